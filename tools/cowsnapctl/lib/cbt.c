// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: answers of the cbt target, its table line and messages
 * (see cbt.h).  Pure functions: no device is touched.  The run-length
 * map text is in cbt-map.c.
 *
 * The parsers are strict: fields separated by single spaces, keys in the
 * documented order, one optional newline at the very end, nothing else.
 * A malformed answer is -EINVAL, never a partial result.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/dm-cbt.h>

#include "cbt.h"
#include "events.h"
#include "util.h"

/* ------------------------------------------------------------------------
 * Fields
 * ---------------------------------------------------------------------- */

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* A uuid: 8-4-4-4-12 hex digits, or 32 hex digits without dashes. */
static int parse_uuid(const char *s, char *out)
{
	size_t len = strlen(s), i;

	if (len != 36 && len != 32)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		bool dash = len == 36 && (i == 8 || i == 13 || i == 18 ||
					  i == 23);

		if (dash ? s[i] != '-' : !is_hex(s[i]))
			return -EINVAL;
	}
	memcpy(out, s, len + 1);
	return 0;
}

static bool block_size_valid(uint64_t v)
{
	return cs_is_power_of_2(v) && v >= CBT_BLOCK_MIN && v <= CBT_BLOCK_MAX;
}

/* ------------------------------------------------------------------------
 * info, checkpoint
 * ---------------------------------------------------------------------- */

enum {
	I_CAPACITY, I_BLOCK_SIZE, I_BLOCKS, I_STATE, I_GENERATION, I_CURRENT,
	I_FROZEN, I_FROZEN_GENERATION, I_FROZEN_BLOCKS, I_MEMORY,
	I_LAST_EVENT, I_NR,
};

static const char *const info_keys[I_NR] = {
	"capacity", "block_size", "blocks", "state", "generation", "current",
	"frozen", "frozen_generation", "frozen_blocks", "memory",
	"last_event",
};

static int parse_info_values(char **v, struct cs_cbt_info *info)
{
	uint64_t bs;

	if (cs_parse_u64(v[I_CAPACITY], &info->capacity) ||
	    cs_parse_u64(v[I_BLOCK_SIZE], &bs) || !block_size_valid(bs) ||
	    cs_parse_u64(v[I_BLOCKS], &info->blocks) ||
	    cs_parse_name(v[I_STATE], info->state, sizeof(info->state)) ||
	    parse_uuid(v[I_GENERATION], info->generation) ||
	    cs_parse_uint(v[I_CURRENT], 1, CBT_CHANGE_MAX, &info->current) ||
	    cs_parse_uint(v[I_FROZEN], 0, CBT_CHANGE_MAX, &info->frozen) ||
	    (strcmp(v[I_FROZEN_GENERATION], "-") &&
	     parse_uuid(v[I_FROZEN_GENERATION], info->frozen_generation)) ||
	    cs_parse_u64(v[I_FROZEN_BLOCKS], &info->frozen_blocks) ||
	    cs_parse_u64(v[I_MEMORY], &info->memory) ||
	    cs_parse_u64(v[I_LAST_EVENT], &info->last_event))
		return -EINVAL;
	info->block_size = (uint32_t)bs;
	info->lost = !strcmp(info->state, "lost");
	return 0;
}

int cs_cbt_info_parse(const char *answer, struct cs_cbt_info *info)
{
	char *copy, *v[I_NR];
	int r;

	memset(info, 0, sizeof(*info));
	r = cs_dup_line(answer, &copy);
	if (r)
		return r;
	r = cs_parse_pairs(copy, info_keys, I_NR, v);
	if (!r)
		r = parse_info_values(v, info);
	free(copy);
	if (r)
		memset(info, 0, sizeof(*info));
	return r;
}

int cs_cbt_checkpoint_parse(const char *answer, struct cs_cbt_checkpoint *cp)
{
	static const char *const keys[] = { "frozen", "generation", "reset" };
	unsigned int reset;
	char *copy, *v[3];
	int r;

	memset(cp, 0, sizeof(*cp));
	r = cs_dup_line(answer, &copy);
	if (r)
		return r;
	if (cs_parse_pairs(copy, keys, 3, v) ||
	    cs_parse_uint(v[0], 1, CBT_CHANGE_MAX, &cp->frozen) ||
	    parse_uuid(v[1], cp->generation) ||
	    strlen(v[2]) != 1 || cs_parse_uint(v[2], 0, 1, &reset))
		r = -EINVAL;
	else
		cp->reset = reset;
	free(copy);
	if (r)
		memset(cp, 0, sizeof(*cp));
	return r;
}

/* ------------------------------------------------------------------------
 * changes
 * ---------------------------------------------------------------------- */

/* A "changes" page being parsed, and the end of its last range. */
struct changes_parse {
	struct cs_cbt_changes_page *page;
	uint64_t offset;
	unsigned int max;
	uint64_t frozen_blocks;
	uint64_t end;
};

static int parse_changes_header(char *line, void *arg)
{
	struct changes_parse *cp = arg;
	struct cs_cbt_changes_page *page = cp->page;
	unsigned int max = cp->max;
	uint64_t count;
	char *f[3];

	if (!max || max > CBT_RANGES_MAX)
		max = CBT_RANGES_MAX;
	if (cs_split_fields(line, f, 3) != 3 ||
	    cs_parse_uint(f[0], 1, CBT_CHANGE_MAX, &page->frozen) ||
	    cs_parse_u64(f[1], &page->next) ||
	    cs_parse_u64(f[2], &count) || count > max ||
	    page->next > cp->frozen_blocks ||
	    (page->next <= cp->offset && page->next != cp->frozen_blocks))
		return -EINVAL;
	return (int)count;
}

static int parse_range(char *line, void *rec, void *arg)
{
	struct changes_parse *cp = arg;
	uint64_t next = cp->page->next;
	struct cs_cbt_range *rg = rec;
	char *f[2];

	if (cs_split_fields(line, f, 2) != 2 ||
	    cs_parse_u64(f[0], &rg->start) ||
	    cs_parse_u64(f[1], &rg->blocks) ||
	    !rg->blocks || rg->start < cp->end || rg->start > next ||
	    rg->blocks > next - rg->start)
		return -EINVAL;
	cp->end = rg->start + rg->blocks;
	return 0;
}

static const struct cs_page_parser changes_parser = {
	.size = sizeof(struct cs_cbt_range),
	.header = parse_changes_header,
	.record = parse_range,
};

int cs_cbt_changes_parse(const char *answer, uint64_t offset, unsigned int max,
			 uint64_t frozen_blocks,
			 struct cs_cbt_changes_page *page)
{
	struct changes_parse cp = {
		.page = page, .offset = offset, .max = max,
		.frozen_blocks = frozen_blocks, .end = offset,
	};
	void *ranges;
	int r;

	memset(page, 0, sizeof(*page));
	r = cs_parse_page(answer, &changes_parser, &cp, &ranges);
	if (r < 0) {
		memset(page, 0, sizeof(*page));
		return r;
	}
	page->count = (unsigned int)r;
	page->ranges = ranges;
	return 0;
}

void cs_cbt_changes_page_free(struct cs_cbt_changes_page *page)
{
	free(page->ranges);
	memset(page, 0, sizeof(*page));
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
	uint64_t v;

	return __builtin_mul_overflow(a, b, &v) ? UINT64_MAX : v;
}

void cs_cbt_range_bytes(const struct cs_cbt_range *r, uint32_t block_size,
			uint64_t capacity, uint64_t *offset, uint64_t *length)
{
	uint64_t start = mul_sat(r->start, block_size);
	uint64_t end = mul_sat(r->start + r->blocks, block_size);
	uint64_t cap = mul_sat(capacity, 512);

	if (end > cap)
		end = cap;
	*offset = start;
	*length = end > start ? end - start : 0;
}

/* ------------------------------------------------------------------------
 * events
 * ---------------------------------------------------------------------- */

/* An "events" page being parsed, and the sequence number of its last
 * record. */
struct events_parse {
	struct cs_cbt_events_page *page;
	uint64_t prev;
};

static int parse_event(char *line, void *rec, void *arg)
{
	struct events_parse *ep = arg;
	struct cs_cbt_event *ev = rec;
	char *f[4];

	if (cs_split_fields(line, f, 4) != 4 ||
	    cs_parse_u64(f[0], &ev->seq) ||
	    cs_parse_timestamp(f[1], &ev->sec, &ev->nsec) ||
	    cs_parse_name(f[2], ev->event, sizeof(ev->event)) ||
	    parse_uuid(f[3], ev->generation))
		return -EINVAL;
	return cs_seq_next(&ep->prev, ev->seq, ep->page->first_seq,
			   ep->page->last_seq);
}

static int parse_events_header(char *line, void *arg)
{
	struct cs_cbt_events_page *page = ((struct events_parse *)arg)->page;

	return cs_parse_seq_header(line, CBT_EVENTS_KEPT, &page->last_seq,
				   &page->first_seq);
}

static const struct cs_page_parser events_parser = {
	.size = sizeof(struct cs_cbt_event),
	.header = parse_events_header,
	.record = parse_event,
};

int cs_cbt_events_parse(const char *answer, uint64_t after_seq,
			struct cs_cbt_events_page *page)
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

void cs_cbt_events_page_free(struct cs_cbt_events_page *page)
{
	free(page->events);
	memset(page, 0, sizeof(*page));
}

uint64_t cs_cbt_events_missed(const struct cs_cbt_events_page *page,
			      uint64_t after_seq)
{
	return page->first_seq > after_seq + 1 ?
	       page->first_seq - after_seq - 1 : 0;
}

char *cs_cbt_event_format(const struct cs_cbt_event *ev, char *buf)
{
	char time[CS_EVENT_TIME_LEN];

	cs_event_format_time(ev->sec, ev->nsec, time);
	snprintf(buf, CS_CBT_EVENT_LINE_LEN, "%" PRIu64 " %s %s %s", ev->seq,
		 time, ev->event, ev->generation);
	return buf;
}

void cs_cbt_event_json(struct cs_json *j, const struct cs_cbt_event *ev)
{
	char time[CS_EVENT_TIME_LEN];

	cs_event_format_time(ev->sec, ev->nsec, time);
	cs_json_begin_object(j, NULL);
	cs_json_string(j, "type", "event");
	cs_json_u64(j, "seq", ev->seq);
	cs_json_string(j, "time", time);
	cs_json_i64(j, "sec", ev->sec);
	cs_json_u64(j, "nsec", ev->nsec);
	cs_json_string(j, "event", ev->event);
	cs_json_string(j, "generation", ev->generation);
	cs_json_end_object(j);
}

/* ------------------------------------------------------------------------
 * Table line and messages
 * ---------------------------------------------------------------------- */

int cs_cbt_table_params(const char *tracker_id, uint32_t block_size,
			char *buf, size_t size)
{
	size_t len = strlen(tracker_id), i;
	int n;

	if (!len || len > CBT_ID_MAX)
		return cs_error_set(-EINVAL, NULL,
				    "tracker id must be 1 to %d characters",
				    CBT_ID_MAX);
	for (i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
			    tracker_id[i]))
			return cs_error_set(-EINVAL, NULL,
					    "invalid character in tracker id '%s'",
					    tracker_id);
	if (block_size && !block_size_valid(block_size))
		return cs_error_set(-EINVAL, NULL,
				    "block size %u is not a power of two within %u..%u",
				    block_size, CBT_BLOCK_MIN, CBT_BLOCK_MAX);
	if (block_size)
		n = snprintf(buf, size, "%s 2 block_size %u", tracker_id,
			     block_size);
	else
		n = snprintf(buf, size, "%s", tracker_id);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int cs_cbt_extent_parse(const char *s, struct cs_cbt_extent *e)
{
	const char *colon = strchr(s, ':');
	char sector[24];
	int r;

	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(sector))
		return -EINVAL;
	memcpy(sector, s, (size_t)(colon - s));
	sector[colon - s] = '\0';
	r = cs_parse_u64(sector, &e->sector);
	if (!r)
		r = cs_parse_u64(colon + 1, &e->count);
	if (r)
		return r;
	if (!e->count)
		return -EINVAL;
	if (e->count > UINT64_MAX - e->sector)
		return -ERANGE;
	return 0;
}

int cs_cbt_mark_message(const struct cs_cbt_extent *e, size_t nr, char *buf,
			size_t size)
{
	size_t len, i;
	int n;

	if (!nr || nr > CBT_MARK_RANGES_MAX)
		return -EINVAL;
	n = snprintf(buf, size, "%s", CBT_MSG_MARK_DIRTY);
	for (i = 0; i < nr && n >= 0 && (size_t)n < size; i++) {
		len = (size_t)n;
		n = snprintf(buf + len, size - len, " %" PRIu64 " %" PRIu64,
			     e[i].sector, e[i].count);
		if (n >= 0)
			n += (int)len;
	}
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
