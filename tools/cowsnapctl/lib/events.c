// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: event records of the blkfilter target (see events.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/dm-blkfilter.h>

#include "dm.h"
#include "events.h"
#include "util.h"

static const char *const class_names[] = BLKFILTER_ERROR_CLASS_NAMES;
static const char *const op_names[] = BLKFILTER_OP_NAMES;

_Static_assert(sizeof(class_names) / sizeof(class_names[0]) ==
	       BLKFILTER_ERR_NR, "class names do not match the enum");
_Static_assert(sizeof(op_names) / sizeof(op_names[0]) == BLKFILTER_OP_NR,
	       "op names do not match the enum");

const char *cs_event_class_name(int cls)
{
	return cls >= 0 && cls < BLKFILTER_ERR_NR ? class_names[cls] : NULL;
}

const char *cs_event_op_name(int op)
{
	return op >= 0 && op < BLKFILTER_OP_NR ? op_names[op] : NULL;
}

/* ------------------------------------------------------------------------
 * Parsing
 * ---------------------------------------------------------------------- */

/* A name of [a-z0-9_], mapped to its index in @names or -1. */
static int parse_name(const char *s, const char *const *names, int nr,
		      char *out, int *idx)
{
	int i;

	if (cs_parse_name(s, out, CS_EVENT_NAME_MAX))
		return -EINVAL;
	*idx = -1;
	for (i = 0; i < nr; i++)
		if (!strcmp(s, names[i]))
			*idx = i;
	return 0;
}

/* A page being parsed, and the sequence number of its last record. */
struct events_parse {
	struct cs_events_page *page;
	uint64_t prev;
};

static int parse_record(char *line, void *rec, void *arg)
{
	struct events_parse *ep = arg;
	struct cs_event *ev = rec;
	char *f[6];

	if (cs_split_fields(line, f, 6) != 6 ||
	    cs_parse_u64(f[0], &ev->seq) ||
	    cs_parse_timestamp(f[1], &ev->sec, &ev->nsec) ||
	    parse_name(f[2], class_names, BLKFILTER_ERR_NR, ev->cls_name,
		       &ev->cls) ||
	    parse_name(f[3], op_names, BLKFILTER_OP_NR, ev->op_name,
		       &ev->op) ||
	    cs_parse_u64(f[4], &ev->sector) ||
	    cs_parse_u64(f[5], &ev->sectors))
		return -EINVAL;
	return cs_seq_next(&ep->prev, ev->seq, ep->page->first_seq,
			   ep->page->last_seq);
}

static int parse_header(char *line, void *arg)
{
	struct cs_events_page *page = ((struct events_parse *)arg)->page;
	uint64_t count;
	char *f[4];

	if (cs_split_fields(line, f, 4) != 4 ||
	    cs_parse_u64(f[0], &page->last_seq) ||
	    cs_parse_u64(f[1], &page->first_seq) ||
	    cs_parse_u64(f[2], &page->dropped) ||
	    cs_parse_u64(f[3], &count) ||
	    count > BLKFILTER_EVENTS_MAX ||
	    page->first_seq == 0 || page->first_seq - 1 > page->last_seq)
		return -EINVAL;
	return (int)count;
}

static const struct cs_page_parser events_parser = {
	.size = sizeof(struct cs_event),
	.header = parse_header,
	.record = parse_record,
};

int cs_events_parse(const char *answer, uint64_t after_seq,
		    struct cs_events_page *page)
{
	struct events_parse ep = { .page = page, .prev = after_seq };
	void *events;
	int r;

	memset(page, 0, sizeof(*page));
	r = cs_parse_page(answer, &events_parser, &ep, &events);
	if (r < 0) {
		memset(page, 0, sizeof(*page));
		return r;
	}
	page->count = (unsigned int)r;
	page->events = events;
	return 0;
}

void cs_events_page_free(struct cs_events_page *page)
{
	free(page->events);
	memset(page, 0, sizeof(*page));
}

uint64_t cs_events_missed(const struct cs_events_page *page,
			  uint64_t after_seq)
{
	return page->first_seq > after_seq + 1 ?
	       page->first_seq - after_seq - 1 : 0;
}

/* ------------------------------------------------------------------------
 * Reading
 * ---------------------------------------------------------------------- */

int cs_events_message(uint64_t after_seq, unsigned int max, char *buf,
		      size_t size)
{
	int n;

	if (max)
		n = snprintf(buf, size, "%s %" PRIu64 " %u",
			     BLKFILTER_MSG_EVENTS, after_seq, max);
	else
		n = snprintf(buf, size, "%s %" PRIu64, BLKFILTER_MSG_EVENTS,
			     after_seq);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int cs_events_read(const char *dev, uint64_t after_seq, unsigned int max,
		   struct cs_events_page *page)
{
	char msg[64], *answer = NULL;
	int r;

	r = cs_events_message(after_seq, max, msg, sizeof(msg));
	if (r)
		return cs_error_set(r, dev, "%s", strerror(-r));
	r = cs_dm_message(dev, msg, &answer);
	if (r)
		return cs_error_set(r, dev, "message \"%s\" failed: %s%s", msg,
				    strerror(-r),
				    r == -EINVAL ? " (no blkfilter target?)" : "");
	r = cs_events_parse(answer, after_seq, page);
	if (r == -EINVAL)
		cs_error_set(r, dev, "malformed answer to \"%s\": \"%.60s\"",
			     msg, answer);
	else if (r)
		cs_error_set(r, dev, "%s", strerror(-r));
	free(answer);
	return r;
}

/* ------------------------------------------------------------------------
 * Formatting
 * ---------------------------------------------------------------------- */

int cs_event_format_time(int64_t sec, uint32_t nsec, char *buf)
{
	char date[32];
	time_t t = (time_t)sec;
	struct tm tm;

	if ((int64_t)t != sec || !gmtime_r(&t, &tm) ||
	    !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, CS_EVENT_TIME_LEN, "%" PRId64 ".%09" PRIu32,
			 sec, nsec);
		return -EOVERFLOW;
	}
	snprintf(buf, CS_EVENT_TIME_LEN, "%s.%03" PRIu32 "Z", date,
		 nsec / 1000000);
	return 0;
}

char *cs_event_format(const struct cs_event *ev, char *buf)
{
	char time[CS_EVENT_TIME_LEN];

	cs_event_format_time(ev->sec, ev->nsec, time);
	snprintf(buf, CS_EVENT_LINE_LEN,
		 "%" PRIu64 " %s %s %s %" PRIu64 " %" PRIu64,
		 ev->seq, time, ev->cls_name, ev->op_name, ev->sector,
		 ev->sectors);
	return buf;
}

void cs_event_json(struct cs_json *j, const struct cs_event *ev)
{
	char time[CS_EVENT_TIME_LEN];

	cs_event_format_time(ev->sec, ev->nsec, time);
	cs_json_begin_object(j, NULL);
	cs_json_string(j, "type", "event");
	cs_json_u64(j, "seq", ev->seq);
	cs_json_string(j, "time", time);
	cs_json_i64(j, "sec", ev->sec);
	cs_json_u64(j, "nsec", ev->nsec);
	cs_json_string(j, "class", ev->cls_name);
	cs_json_string(j, "op", ev->op_name);
	cs_json_u64(j, "sector", ev->sector);
	cs_json_u64(j, "sectors", ev->sectors);
	cs_json_end_object(j);
}
