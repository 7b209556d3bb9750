// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl: events, the failed-I/O records of a volume's filter.
 *
 * Reads pages of records with the "events <after_seq> [<max>]" message
 * until one is empty; with --follow it then waits (uevents, else
 * DM_DEV_WAIT) and reads again, until SIGINT, SIGTERM, --count or
 * --timeout ends it with exit status 0 (follow.c).
 */
#include <stdio.h>

#include <linux/dm-blkfilter.h>

#include "cowsnapctl.h"

/**
 * struct filter_src - the records of a filter
 * @dev: dm device holding the blkfilter target
 * @page: the page last read
 */
struct filter_src {
	const char *dev;
	struct cs_events_page page;
};

static int read_page(void *src, uint64_t after, unsigned int max,
		     struct ctl_page *p)
{
	struct filter_src *fs = src;
	int r;

	r = cs_events_read(fs->dev, after, max, &fs->page);
	if (r)
		return r;
	*p = (struct ctl_page){
		.last_seq = fs->page.last_seq, .first_seq = fs->page.first_seq,
		.dropped = fs->page.dropped, .count = fs->page.count,
		.missed = cs_events_missed(&fs->page, after),
	};
	return 0;
}

static uint64_t print_event(void *src, const struct ctl *ctl, unsigned int i)
{
	const struct cs_event *ev = &((struct filter_src *)src)->page.events[i];
	char line[CS_EVENT_LINE_LEN];
	struct cs_json j;

	if (ctl->json) {
		cs_json_init(&j, stdout, 0);
		cs_event_json(&j, ev);
		cs_json_finish(&j);
	} else {
		printf("%s\n", cs_event_format(ev, line));
	}
	return ev->seq;
}

static void free_page(void *src)
{
	cs_events_page_free(&((struct filter_src *)src)->page);
}

static const struct ctl_records filter_records = {
	.what = "event", .restart = "filter attached", .dropped = true,
	.max = BLKFILTER_EVENTS_MAX, .read = read_page, .print = print_event,
	.free = free_page,
};

static int do_events(struct ctl *ctl)
{
	struct filter_src fs = { 0 };
	struct cs_dm_info fdev;
	int r;

	r = cs_filter_device(ctl->args[0], &fdev);
	if (r)
		return r;
	fs.dev = fdev.name;
	return ctl_read_records(ctl, fdev.name, &filter_records, &fs);
}

const struct command cmd_events = {
	.name = "events", .fn = do_events, .min_args = 1, .max_args = 1,
	.options = OPT_JSON | OPT_SINCE | OPT_FOLLOW | OPT_COUNT |
		   OPT_TIMEOUT | OPT_NO_UEVENT,
	.usage = "NAME",
	.help = "Print the failed-I/O records of NAME.",
};
