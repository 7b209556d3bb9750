// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl: events, the failed-I/O records of a volume's filter.
 *
 * Reads pages of records with the "events <after_seq> [<max>]" message
 * until one is empty; with --follow it then waits (uevents, else
 * DM_DEV_WAIT) and reads again, until SIGINT, SIGTERM, --count or
 * --timeout ends it with exit status 0 (follow.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <linux/dm-blkfilter.h>

#include "cowsnapctl.h"

/**
 * struct reader - where a reader stands
 * @ctl: options
 * @vol: volume name, for messages
 * @dev: dm device holding the blkfilter target
 * @after: newest sequence number seen
 * @printed: records printed
 * @read_any: @after comes from a record read, not from --since
 */
struct reader {
	const struct ctl *ctl;
	const char *vol;
	const char *dev;
	uint64_t after;
	uint64_t printed;
	bool read_any;
};

static bool reader_done(const struct reader *rd)
{
	return rd->ctl->count && rd->printed >= rd->ctl->count;
}

static void report_missed(struct reader *rd, const struct cs_events_page *p,
			  uint64_t missed)
{
	struct cs_json j;

	ctl_warn("%s: %" PRIu64 " event records missed (seq %" PRIu64
		 "..%" PRIu64 " overwritten before being read; %" PRIu64
		 " dropped in total)", rd->vol, missed, rd->after + 1,
		 p->first_seq - 1, p->dropped);
	if (!rd->ctl->json)
		return;
	cs_json_init(&j, stdout, 0);
	cs_json_begin_object(&j, NULL);
	cs_json_string(&j, "type", "missed");
	cs_json_u64(&j, "after_seq", rd->after);
	cs_json_u64(&j, "first_seq", p->first_seq);
	cs_json_u64(&j, "count", missed);
	cs_json_u64(&j, "dropped", p->dropped);
	cs_json_end_object(&j);
	cs_json_finish(&j);
}

static void print_event(const struct reader *rd, const struct cs_event *ev)
{
	char line[CS_EVENT_LINE_LEN];
	struct cs_json j;

	if (!rd->ctl->json) {
		printf("%s\n", cs_event_format(ev, line));
		return;
	}
	cs_json_init(&j, stdout, 0);
	cs_event_json(&j, ev);
	cs_json_finish(&j);
}

/* Print one page; Return: records in it. */
static unsigned int print_page(struct reader *rd, struct cs_events_page *p)
{
	uint64_t missed = cs_events_missed(p, rd->after);
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
static int drain(struct reader *rd)
{
	struct cs_events_page page;
	unsigned int max, n;
	uint64_t left;
	int r;

	do {
		left = rd->ctl->count ? rd->ctl->count - rd->printed : 0;
		max = left && left < BLKFILTER_EVENTS_MAX ? (unsigned int)left : 0;
		r = cs_events_read(rd->dev, rd->after, max, &page);
		if (r)
			return r;
		if (rd->read_any && page.last_seq < rd->after) {
			ctl_warn("%s: event sequence restarted (filter attached again?); reading from the start",
				 rd->vol);
			rd->after = 0;
			rd->read_any = false;
			n = 1;
		} else {
			n = print_page(rd, &page);
		}
		cs_events_page_free(&page);
		if (ferror(stdout))
			return cs_error_set(-EIO, NULL,
					    "cannot write to standard output");
	} while (n && !reader_done(rd));
	return 0;
}

static int drain_cb(void *rd)
{
	return drain(rd);
}

static bool done_cb(void *rd)
{
	return reader_done(rd);
}

static int do_events(struct ctl *ctl)
{
	struct reader rd = { .ctl = ctl, .vol = ctl->args[0],
			     .after = ctl->since };
	struct cs_dm_info fdev;
	int r;

	r = cs_filter_device(ctl->args[0], &fdev);
	if (r)
		return r;
	rd.dev = fdev.name;
	if (ctl->follow)
		return ctl_follow(ctl, rd.dev, drain_cb, done_cb, &rd);
	return drain(&rd);
}

const struct command cmd_events = {
	.name = "events", .fn = do_events, .min_args = 1, .max_args = 1,
	.options = OPT_JSON | OPT_SINCE | OPT_FOLLOW | OPT_COUNT |
		   OPT_TIMEOUT | OPT_NO_UEVENT,
	.usage = "NAME",
	.help = "Print the failed-I/O records of NAME.",
};
