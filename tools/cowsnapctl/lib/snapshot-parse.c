// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: table lines, answers and defaults of snapshot sets (see
 * snapshot.h).  Pure functions: no device is touched.
 *
 * The parsers are strict like those of cbt.c: fields separated by single
 * spaces, keys in the documented order, one optional newline at the very
 * end.  A malformed answer is -EINVAL, never a partial result.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "snapshot.h"
#include "util.h"

/* ------------------------------------------------------------------------
 * Fields
 * ---------------------------------------------------------------------- */

/* "major:minor" */
static int parse_devno(const char *s, struct cs_devno *dev)
{
	const char *colon = strchr(s, ':');
	char major[12];
	unsigned int ma, mi;

	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(major))
		return -EINVAL;
	memcpy(major, s, (size_t)(colon - s));
	major[colon - s] = '\0';
	if (cs_parse_uint(major, 0, 0xfff, &ma) ||
	    cs_parse_uint(colon + 1, 0, 0xfffff, &mi))
		return -EINVAL;
	dev->major = ma;
	dev->minor = mi;
	return 0;
}

/* A set ID or member as the kernel takes it: [A-Za-z0-9_-]{1,64}. */
static int parse_id(const char *s, char *out)
{
	size_t len = strlen(s), i;

	if (!len || len > COWSNAP_ID_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", s[i]))
			return -EINVAL;
	memcpy(out, s, len + 1);
	return 0;
}

static int parse_chunk(const char *s, uint32_t *chunk)
{
	uint64_t v;

	if (cs_parse_u64(s, &v) || !cs_snap_chunk_valid(v))
		return -EINVAL;
	*chunk = (uint32_t)v;
	return 0;
}

/* ------------------------------------------------------------------------
 * Table lines, defaults
 * ---------------------------------------------------------------------- */

int cs_snap_params_parse(const char *params, struct cs_snap_params *p)
{
	char *copy, *f[64];
	unsigned int nr_opt;
	int n, r = -EINVAL;

	memset(p, 0, sizeof(*p));
	copy = strdup(params);
	if (!copy)
		return -ENOMEM;
	n = cs_split_fields(copy, f, 64);
	if (n < 5 || n > 64 || parse_devno(f[0], &p->origin) ||
	    parse_devno(f[1], &p->store) || parse_id(f[2], p->set) ||
	    parse_id(f[3], p->member) || parse_chunk(f[4], &p->chunk_size))
		goto out;
	if (n > 5 && (cs_parse_uint(f[5], 0, 58, &nr_opt) ||
		      (int)nr_opt != n - 6))
		goto out;
	r = 0;
out:
	free(copy);
	if (r)
		memset(p, 0, sizeof(*p));
	return r;
}

int cs_snap_params_format(const struct cs_snap_params *p, bool origin,
			  char *buf, size_t size)
{
	char odev[CS_DEVNO_LEN], sdev[CS_DEVNO_LEN];
	int n;

	cs_format_devno(p->origin.major, p->origin.minor, odev);
	cs_format_devno(p->store.major, p->store.minor, sdev);
	n = snprintf(buf, size, "%s%s%s %s %s %" PRIu32, origin ? odev : "",
		     origin ? " " : "", sdev, p->set, p->member,
		     p->chunk_size);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

bool cs_snap_chunk_valid(uint64_t bytes)
{
	return cs_is_power_of_2(bytes) && bytes >= COWSNAP_CHUNK_MIN &&
	       bytes <= COWSNAP_CHUNK_MAX;
}

uint32_t cs_snap_default_chunk(uint64_t largest)
{
	uint32_t chunk = CS_SNAP_CHUNK_DEFAULT;
	uint64_t sectors;

	for (;;) {
		sectors = chunk >> 9;
		if (chunk >= COWSNAP_CHUNK_MAX ||
		    largest / sectors + !!(largest % sectors) <=
		    CS_SNAP_CHUNKS_MAX)
			return chunk;
		chunk <<= 1;
	}
}

uint64_t cs_snap_default_store(uint64_t total, uint32_t chunk_size)
{
	unsigned __int128 bytes;

	bytes = (unsigned __int128)total * 512 * CS_SNAP_STORE_PERCENT / 100;
	if (bytes < CS_SNAP_STORE_MIN)
		bytes = CS_SNAP_STORE_MIN;
	bytes = (bytes + chunk_size - 1) / chunk_size * chunk_size;
	return bytes > UINT64_MAX / 2 ? UINT64_MAX / 2 : (uint64_t)bytes;
}

/* ------------------------------------------------------------------------
 * status, info
 * ---------------------------------------------------------------------- */

int cs_snap_status_parse(const char *text, struct cs_snap_status *st)
{
	char *copy, *f[COWSNAP_STATUS_FIELDS];
	int r;

	memset(st, 0, sizeof(*st));
	r = cs_dup_line(text, &copy);
	if (r)
		return r;
	if (cs_split_fields(copy, f, COWSNAP_STATUS_FIELDS) !=
	    COWSNAP_STATUS_FIELDS ||
	    cs_parse_name(f[0], st->state, sizeof(st->state)) ||
	    cs_parse_uint(f[1], 0, 4095, &st->error) ||
	    parse_chunk(f[2], &st->chunk_size) ||
	    cs_parse_u64(f[3], &st->store_used) ||
	    cs_parse_u64(f[4], &st->store_size) ||
	    cs_parse_u64(f[5], &st->copied) ||
	    cs_parse_u64(f[6], &st->memory) ||
	    cs_parse_u64(f[7], &st->last_event))
		r = -EINVAL;
	free(copy);
	if (r)
		memset(st, 0, sizeof(*st));
	else
		st->corrupted = !strcmp(st->state, COWSNAP_STATE_CORRUPTED);
	return r;
}

enum {
	I_SET, I_MEMBER, I_STATE, I_ERROR, I_CHUNK_SIZE, I_STORE_USED,
	I_STORE_SIZE, I_STORE_DEV, I_MEMBERS, I_COPIED, I_SET_COPIED,
	I_WRITTEN, I_MEMORY, I_LOW_WATER, I_LAST_EVENT, I_NR,
};

static const char *const info_keys[I_NR] = {
	"set", "member", "state", "error", "chunk_size", "store_used",
	"store_size", "store_dev", "members", "copied", "set_copied",
	"written", "memory", "low_water", "last_event",
};

static int parse_info_values(char **v, struct cs_snap_info *i)
{
	if (parse_id(v[I_SET], i->set) || parse_id(v[I_MEMBER], i->member) ||
	    cs_parse_name(v[I_STATE], i->state, sizeof(i->state)) ||
	    cs_parse_uint(v[I_ERROR], 0, 4095, &i->error) ||
	    parse_chunk(v[I_CHUNK_SIZE], &i->chunk_size) ||
	    cs_parse_u64(v[I_STORE_USED], &i->store_used) ||
	    cs_parse_u64(v[I_STORE_SIZE], &i->store_size) ||
	    parse_devno(v[I_STORE_DEV], &i->store_dev) ||
	    cs_parse_uint(v[I_MEMBERS], 1, COWSNAP_MEMBERS_MAX, &i->members) ||
	    cs_parse_u64(v[I_COPIED], &i->copied) ||
	    cs_parse_u64(v[I_SET_COPIED], &i->set_copied) ||
	    cs_parse_u64(v[I_WRITTEN], &i->written) ||
	    cs_parse_u64(v[I_MEMORY], &i->memory) ||
	    cs_parse_uint(v[I_LOW_WATER], 0, 99, &i->low_water) ||
	    cs_parse_u64(v[I_LAST_EVENT], &i->last_event))
		return -EINVAL;
	i->corrupted = !strcmp(i->state, COWSNAP_STATE_CORRUPTED);
	return 0;
}

int cs_snap_info_parse(const char *answer, struct cs_snap_info *info)
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

bool cs_snap_low_space(const struct cs_snap_info *info)
{
	uint64_t free_sectors = 0;

	if (info->store_size > info->store_used)
		free_sectors = info->store_size - info->store_used;
	return (unsigned __int128)free_sectors * 100 <
	       (unsigned __int128)info->store_size * info->low_water;
}

uint64_t cs_snap_growth(const struct cs_snap_info *info, uint64_t step,
			uint64_t limit)
{
	uint64_t size = info->store_size * 512, add;

	if (!limit || info->corrupted || !cs_snap_low_space(info) ||
	    size >= limit || !info->chunk_size)
		return 0;
	add = limit - size < step ? limit - size : step;
	return add / info->chunk_size * info->chunk_size;
}

/* ------------------------------------------------------------------------
 * written
 * ---------------------------------------------------------------------- */

/* A "written" page being parsed, and the end of its last range. */
struct written_parse {
	struct cs_snap_written *page;
	uint64_t sector;
	unsigned int max;
	uint64_t size;
	uint64_t end;
};

static int parse_written_header(char *line, void *arg)
{
	struct written_parse *wp = arg;
	struct cs_snap_written *page = wp->page;
	unsigned int max = wp->max;
	uint64_t count;
	char *f[2];

	if (!max || max > COWSNAP_RANGES_MAX)
		max = COWSNAP_RANGES_MAX;
	if (cs_split_fields(line, f, 2) != 2 ||
	    cs_parse_u64(f[0], &page->next) ||
	    cs_parse_u64(f[1], &count) || count > max ||
	    page->next > wp->size ||
	    (page->next <= wp->sector && page->next != wp->size))
		return -EINVAL;
	return (int)count;
}

static int parse_written_range(char *line, void *rec, void *arg)
{
	struct written_parse *wp = arg;
	uint64_t next = wp->page->next;
	struct cs_cbt_extent *e = rec;
	char *f[2];

	if (cs_split_fields(line, f, 2) != 2 ||
	    cs_parse_u64(f[0], &e->sector) ||
	    cs_parse_u64(f[1], &e->count) || !e->count ||
	    e->sector < wp->end || e->sector >= next ||
	    e->count > UINT64_MAX - e->sector ||
	    (e->sector + e->count > next && next != wp->size))
		return -EINVAL;
	wp->end = e->sector + e->count;
	return 0;
}

static const struct cs_page_parser written_parser = {
	.size = sizeof(struct cs_cbt_extent),
	.header = parse_written_header,
	.record = parse_written_range,
};

int cs_snap_written_parse(const char *answer, uint64_t sector,
			  unsigned int max, uint64_t size,
			  struct cs_snap_written *page)
{
	struct written_parse wp = {
		.page = page, .sector = sector, .max = max, .size = size,
		.end = sector,
	};
	void *ranges;
	int r;

	memset(page, 0, sizeof(*page));
	r = cs_parse_page(answer, &written_parser, &wp, &ranges);
	if (r < 0) {
		memset(page, 0, sizeof(*page));
		return r;
	}
	page->count = (unsigned int)r;
	page->ranges = ranges;
	return 0;
}

void cs_snap_written_free(struct cs_snap_written *page)
{
	free(page->ranges);
	memset(page, 0, sizeof(*page));
}

/* ------------------------------------------------------------------------
 * events
 * ---------------------------------------------------------------------- */

/* An "events" page being parsed, and the sequence number of its last
 * record. */
struct events_parse {
	struct cs_snap_events *page;
	uint64_t prev;
};

static int parse_event(char *line, void *rec, void *arg)
{
	struct events_parse *ep = arg;
	struct cs_snap_event *ev = rec;
	char *f[5];

	if (cs_split_fields(line, f, 5) != 5 ||
	    cs_parse_u64(f[0], &ev->seq) ||
	    cs_parse_timestamp(f[1], &ev->sec, &ev->nsec) ||
	    cs_parse_name(f[2], ev->event, sizeof(ev->event)) ||
	    (strcmp(f[3], "-") && parse_id(f[3], ev->member)) ||
	    cs_parse_u64(f[4], &ev->value))
		return -EINVAL;
	if (!strcmp(f[3], "-"))
		strcpy(ev->member, "-");
	return cs_seq_next(&ep->prev, ev->seq, ep->page->first_seq,
			   ep->page->last_seq);
}

static int parse_events_header(char *line, void *arg)
{
	struct cs_snap_events *page = ((struct events_parse *)arg)->page;

	return cs_parse_seq_header(line, COWSNAP_EVENTS_KEPT, &page->last_seq,
				   &page->first_seq);
}

static const struct cs_page_parser events_parser = {
	.size = sizeof(struct cs_snap_event),
	.header = parse_events_header,
	.record = parse_event,
};

int cs_snap_events_parse(const char *answer, uint64_t after_seq,
			 struct cs_snap_events *page)
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

void cs_snap_events_free(struct cs_snap_events *page)
{
	free(page->events);
	memset(page, 0, sizeof(*page));
}

char *cs_snap_event_format(const struct cs_snap_event *ev, char *buf)
{
	char time[CS_EVENT_TIME_LEN];

	cs_event_format_time(ev->sec, ev->nsec, time);
	snprintf(buf, CS_SNAP_EVENT_LINE_LEN, "%" PRIu64 " %s %s %s %" PRIu64,
		 ev->seq, time, ev->event, ev->member, ev->value);
	return buf;
}

void cs_snap_event_json(struct cs_json *j, const struct cs_snap_event *ev,
			const char *set)
{
	char time[CS_EVENT_TIME_LEN];

	cs_event_format_time(ev->sec, ev->nsec, time);
	cs_json_begin_object(j, NULL);
	cs_json_string(j, "type", "event");
	cs_json_string(j, "set", set);
	cs_json_u64(j, "seq", ev->seq);
	cs_json_string(j, "time", time);
	cs_json_i64(j, "sec", ev->sec);
	cs_json_u64(j, "nsec", ev->nsec);
	cs_json_string(j, "event", ev->event);
	cs_json_string(j, "member", strcmp(ev->member, "-") ? ev->member :
			NULL);
	cs_json_u64(j, "value", ev->value);
	cs_json_end_object(j);
}
