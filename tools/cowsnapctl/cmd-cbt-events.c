// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl: cbt events, the event records of a volume's tracker
 * (generation_reset, tracking_lost).
 *
 * Reads the records after the last one seen with "events <after_seq>"
 * until an answer is empty; with --follow it then waits and reads again
 * (follow.c), like "events" does for the filter.
 */
#include <stdio.h>

#include "cowsnapctl.h"

/**
 * struct cbt_src - the records of a tracker
 * @cbt: the tracker
 * @page: the page last read
 */
struct cbt_src {
	struct cs_cbt cbt;
	struct cs_cbt_events_page page;
};

static int read_page(void *src, uint64_t after, unsigned int max,
		     struct ctl_page *p)
{
	struct cbt_src *cs = src;
	int r;

	(void)max;	/* the tracker keeps few enough for one answer */
	r = cs_cbt_events_read(&cs->cbt, after, &cs->page);
	if (r)
		return r;
	*p = (struct ctl_page){
		.last_seq = cs->page.last_seq, .first_seq = cs->page.first_seq,
		.count = cs->page.count,
		.missed = cs_cbt_events_missed(&cs->page, after),
	};
	return 0;
}

static uint64_t print_event(void *src, const struct ctl *ctl, unsigned int i)
{
	const struct cs_cbt_event *ev = &((struct cbt_src *)src)->page.events[i];
	char line[CS_CBT_EVENT_LINE_LEN];
	struct cs_json j;

	if (ctl->json) {
		cs_json_init(&j, stdout, 0);
		cs_cbt_event_json(&j, ev);
		cs_json_finish(&j);
	} else {
		printf("%s\n", cs_cbt_event_format(ev, line));
	}
	return ev->seq;
}

static void free_page(void *src)
{
	cs_cbt_events_page_free(&((struct cbt_src *)src)->page);
}

static const struct ctl_records cbt_records = {
	.what = "cbt event", .restart = "cbt enabled", .read = read_page,
	.print = print_event, .free = free_page,
};

static int do_cbt_events(struct ctl *ctl)
{
	struct cbt_src cs = { 0 };
	int r;

	r = cs_cbt_open(ctl->args[0], &cs.cbt);
	if (r)
		return r;
	return ctl_read_records(ctl, cs.cbt.dev, &cbt_records, &cs);
}

const struct command cmd_cbt_events = {
	.name = "events", .fn = do_cbt_events, .min_args = 1, .max_args = 1,
	.options = OPT_JSON | OPT_SINCE | OPT_FOLLOW | OPT_COUNT |
		   OPT_TIMEOUT | OPT_NO_UEVENT,
	.usage = "NAME",
	.help = "Print the tracker events of NAME.",
};
