// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl: cbt events, the event records of a volume's tracker
 * (generation_reset, tracking_lost).
 *
 * Reads the records after the last one seen with "events <after_seq>"
 * until an answer is empty; with --follow it then waits and reads again
 * (follow.c), like "events" does for the filter.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "cowsnapctl.h"

/**
 * struct cbt_reader - where a reader stands
 * @ctl: options
 * @vol: volume name, for messages
 * @cbt: the tracker
 * @after: newest sequence number seen
 * @printed: records printed
 * @read_any: @after comes from a record read, not from --since
 */
struct cbt_reader {
	const struct ctl *ctl;
	const char *vol;
	struct cs_cbt cbt;
	uint64_t after;
	uint64_t printed;
	bool read_any;
};

static bool reader_done(void *priv)
{
	const struct cbt_reader *rd = priv;

	return rd->ctl->count && rd->printed >= rd->ctl->count;
}

static void report_missed(const struct cbt_reader *rd,
			  const struct cs_cbt_events_page *p, uint64_t missed)
{
	struct cs_json j;

	ctl_warn("%s: %" PRIu64 " cbt event records missed (seq %" PRIu64
		 "..%" PRIu64 " no longer kept)", rd->vol, missed,
		 rd->after + 1, p->first_seq - 1);
	if (!rd->ctl->json)
		return;
	cs_json_init(&j, stdout, 0);
	cs_json_begin_object(&j, NULL);
	cs_json_string(&j, "type", "missed");
	cs_json_u64(&j, "after_seq", rd->after);
	cs_json_u64(&j, "first_seq", p->first_seq);
	cs_json_u64(&j, "count", missed);
	cs_json_end_object(&j);
	cs_json_finish(&j);
}

static void print_event(const struct cbt_reader *rd,
			const struct cs_cbt_event *ev)
{
	char line[CS_CBT_EVENT_LINE_LEN];
	struct cs_json j;

	if (!rd->ctl->json) {
		printf("%s\n", cs_cbt_event_format(ev, line));
		return;
	}
	cs_json_init(&j, stdout, 0);
	cs_cbt_event_json(&j, ev);
	cs_json_finish(&j);
}

/* Print one answer; Return: records in it. */
static unsigned int print_page(struct cbt_reader *rd,
			       const struct cs_cbt_events_page *p)
{
	uint64_t missed = cs_cbt_events_missed(p, rd->after);
	unsigned int i;

	if (missed) {
		report_missed(rd, p, missed);
		rd->after = p->first_seq - 1;
	}
	for (i = 0; i < p->count && !reader_done(rd); i++) {
		print_event(rd, &p->events[i]);
		rd->after = p->events[i].seq;
		rd->read_any = true;
		rd->printed++;
	}
	fflush(stdout);
	return p->count;
}

/* Read and print every record after rd->after.  Return: 0 or -errno. */
static int drain(void *priv)
{
	struct cbt_reader *rd = priv;
	struct cs_cbt_events_page page;
	unsigned int n;
	int r;

	do {
		r = cs_cbt_events_read(&rd->cbt, rd->after, &page);
		if (r)
			return r;
		if (rd->read_any && page.last_seq < rd->after) {
			ctl_warn("%s: cbt event sequence restarted (cbt enabled again?); reading from the start",
				 rd->vol);
			rd->after = 0;
			rd->read_any = false;
			n = 1;
		} else {
			n = print_page(rd, &page);
		}
		cs_cbt_events_page_free(&page);
		if (ferror(stdout))
			return cs_error_set(-EIO, NULL,
					    "cannot write to standard output");
	} while (n && !reader_done(rd));
	return 0;
}

static int do_cbt_events(struct ctl *ctl)
{
	struct cbt_reader rd = { .ctl = ctl, .vol = ctl->args[0],
				 .after = ctl->since };
	int r;

	r = cs_cbt_open(ctl->args[0], &rd.cbt);
	if (r)
		return r;
	if (ctl->follow)
		return ctl_follow(ctl, rd.cbt.dev, drain, reader_done, &rd);
	return drain(&rd);
}

const struct command cmd_cbt_events = {
	.name = "events", .fn = do_cbt_events, .min_args = 1, .max_args = 1,
	.options = OPT_JSON | OPT_SINCE | OPT_FOLLOW | OPT_COUNT |
		   OPT_TIMEOUT | OPT_NO_UEVENT,
	.usage = "NAME",
	.help = "Print the tracker events of NAME.",
};
