// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzz's oracle, from the constructor and status tables of
 * Documentation/dm-blkfilter.rst, dm-cbt.rst and dm-cowsnap.rst:
 *
 *  - words are split at white space, as dm does; a line with a backslash
 *    (dm's escape) is not judged;
 *  - a device is a path or major:minor; one of the test's own devices
 *    is judged, a path that is no block device is refused, any other
 *    block device is not judged;
 *  - numbers are decimal, a leading '+' allowed, within their range (no
 *    wrap-around: 2^32 is not 0);
 *  - optional arguments: <#opt_args> words, keyword/value pairs, each
 *    keyword (any case) at most once, nothing after them;
 *  - ids: 1 to 64 characters from A-Z a-z 0-9 - _ (ASCII).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "fuzz-model.h"

#define MAX_WORDS	64
#define ID_MAX		64
#define RING_DEFAULT	1024

enum { DEV_REFUSED = -1, DEV_UNSURE = -2 };

struct words {
	unsigned int n;
	char *w[MAX_WORDS];
	char buf[16384];
};

/* ------------------------------------------------------------------ */
/* Words and values                                                   */

/* dm_split_args(): white space as the kernel's isspace() has it. */
static bool k_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0;
}

static bool split(const char *params, struct words *ws)
{
	char *p = ws->buf;

	if (strchr(params, '\\') || strlen(params) >= sizeof(ws->buf))
		return false;
	strcpy(ws->buf, params);
	ws->n = 0;
	for (;;) {
		while (*p && k_space((unsigned char)*p))
			p++;
		if (!*p)
			return true;
		if (ws->n == MAX_WORDS)
			return false;
		ws->w[ws->n++] = p;
		while (*p && !k_space((unsigned char)*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
}

/* A decimal number up to @max: "+" first allowed, no overflow. */
static bool number(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t n = 0;

	if (*s == '+')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	if (*s || n > max)
		return false;
	*v = n;
	return true;
}

static bool pow2_in(uint64_t v, uint64_t min, uint64_t max)
{
	return v >= min && v <= max && !(v & (v - 1));
}

static bool id_ok(const char *id)
{
	size_t len = strlen(id), i;

	if (!len || len > ID_MAX)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)id[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '-' && c != '_')
			return false;
	}
	return true;
}

/* One of ours (its index), refused, or unsure. */
static int device(const struct fz_world *w, const char *word)
{
	unsigned int ma, mi, i;
	struct stat st;
	char c;

	if (sscanf(word, "%u:%u%c", &ma, &mi, &c) == 2 &&
	    word[0] >= '0' && word[0] <= '9') {
		for (i = 0; i < w->nr; i++)
			if (w->devs[i].major == ma && w->devs[i].minor == mi)
				return (int)i;
		return DEV_UNSURE;
	}
	if (stat(word, &st) || !S_ISBLK(st.st_mode))
		return DEV_REFUSED;
	for (i = 0; i < w->nr; i++)
		if (major(st.st_rdev) == w->devs[i].major &&
		    minor(st.st_rdev) == w->devs[i].minor)
			return (int)i;
	return DEV_UNSURE;
}

/* ------------------------------------------------------------------ */
/* Optional arguments                                                 */

struct opt {
	const char *key;
	uint64_t min, max;
	bool pow2;
	bool given;
	uint64_t value;
};

/* The group from word @i on; NULL or the rule broken. */
static const char *opts(const struct words *ws, unsigned int i,
			unsigned int max_words, struct opt *o, unsigned int nr)
{
	uint64_t count;
	unsigned int k;

	if (i == ws->n)
		return NULL;
	if (!number(ws->w[i], max_words, &count) || count > ws->n - i - 1)
		return "<#opt_args>: a number of the words that follow";
	if (count % 2)
		return "<#opt_args>: keyword/value pairs";
	if (ws->n - i - 1 != count)
		return "nothing after the optional arguments";
	for (i++; count; count -= 2, i += 2) {
		for (k = 0; k < nr && strcasecmp(ws->w[i], o[k].key); k++)
			;
		if (k == nr)
			return "unknown keyword";
		if (o[k].given)
			return "keyword given twice";
		if (!number(ws->w[i + 1], UINT32_MAX, &o[k].value) ||
		    o[k].value < o[k].min || o[k].value > o[k].max ||
		    (o[k].pow2 && !pow2_in(o[k].value, o[k].min, o[k].max)))
			return "value out of range";
		o[k].given = true;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Targets                                                            */

#define DEVNO(w, i)	(w)->devs[i].major, (w)->devs[i].minor

/* The device beneath: ours and long enough, refused, or unsure. */
static enum fz_verdict beneath(const struct fz_world *w, int dev, uint64_t len,
			       struct fz_expect *e)
{
	if (dev == DEV_REFUSED) {
		e->why = "the device is no block device";
		return FZ_REFUSE;
	}
	if (dev == DEV_UNSURE)
		return FZ_UNSURE;
	if (len > w->devs[dev].sectors) {
		e->why = "the device is shorter than the target";
		return FZ_REFUSE;
	}
	return FZ_ACCEPT;
}

static enum fz_verdict blkfilter(const struct fz_world *w, uint64_t len,
				 const struct words *ws, struct fz_expect *e)
{
	struct opt o[] = {
		{ "ring_size", 16, 65536, true, false, 0 },
		{ "uevent_ms", 0, 60000, false, false, 0 },
	};
	enum fz_verdict v;
	size_t n;
	int dev;

	if (ws->n < 1) {
		e->why = "no device";
		return FZ_REFUSE;
	}
	dev = device(w, ws->w[0]);
	e->why = opts(ws, 1, 4, o, 2);
	if (e->why)
		return FZ_REFUSE;
	v = beneath(w, dev, len, e);
	if (v != FZ_ACCEPT)
		return v;
	e->below = dev;
	e->ring_size = o[0].given ? (uint32_t)o[0].value : RING_DEFAULT;
	n = (size_t)snprintf(e->table, sizeof(e->table), "%u:%u",
			     DEVNO(w, dev));
	if (o[0].given || o[1].given)
		n += (size_t)snprintf(e->table + n, sizeof(e->table) - n,
				      " %u", 2 * (o[0].given + o[1].given));
	if (o[0].given)
		n += (size_t)snprintf(e->table + n, sizeof(e->table) - n,
				      " ring_size %llu",
				      (unsigned long long)o[0].value);
	if (o[1].given)
		snprintf(e->table + n, sizeof(e->table) - n, " uevent_ms %llu",
			 (unsigned long long)o[1].value);
	return FZ_ACCEPT;
}

static enum fz_verdict cbt(const struct fz_world *w, uint64_t len,
			   const struct words *ws, struct fz_expect *e)
{
	struct opt o[] = {
		{ "block_size", 4096, 1U << 30, true, false, 0 },
	};
	enum fz_verdict v;
	int dev;

	if (ws->n < 2) {
		e->why = "need <dev> <tracker_id>";
		return FZ_REFUSE;
	}
	dev = device(w, ws->w[0]);
	if (!id_ok(ws->w[1])) {
		e->why = "tracker_id: 1 to 64 of A-Z a-z 0-9 - _";
		return FZ_REFUSE;
	}
	e->why = opts(ws, 2, 2, o, 1);
	if (e->why)
		return FZ_REFUSE;
	v = beneath(w, dev, len, e);
	if (v != FZ_ACCEPT)
		return v;
	e->below = dev;
	e->block_size = o[0].given ? (uint32_t)o[0].value : 0;
	if (o[0].given)
		snprintf(e->table, sizeof(e->table),
			 "%u:%u %s 2 block_size %u", DEVNO(w, dev), ws->w[1],
			 e->block_size);
	else
		snprintf(e->table, sizeof(e->table), "%u:%u %s",
			 DEVNO(w, dev), ws->w[1]);
	return FZ_ACCEPT;
}

/* The set rules: with no set alive, or with the one live set. */
static const char *set_rules(const struct fz_world *w, bool image,
			     int origin, int store, const struct words *ws,
			     uint32_t chunk, uint64_t len)
{
	const struct fz_live_set *s = w->set;

	if (!s) {
		if (image)
			return "no cowsnap-origin table of this member";
		if (w->devs[store].sectors < chunk / 512)
			return "storage smaller than one chunk";
		return NULL;
	}
	/* Only images are fuzzed against the live set. */
	if (strcmp(ws->w[2], s->id))
		return store == s->store || origin == s->origin ?
		       "a device of another set" :
		       "no cowsnap-origin table of this member";
	if (store != s->store || chunk != s->chunk_size)
		return "storage or chunk_size differs from the set's";
	if (strcmp(ws->w[3], s->member))
		return "no cowsnap-origin table of this member";
	if (origin != s->origin || len != s->sectors)
		return "origin device or length differs from the member's";
	return NULL;
}

static enum fz_verdict cowsnap(const struct fz_world *w, bool image,
			       uint64_t len, const struct words *ws,
			       struct fz_expect *e)
{
	struct opt o[] = {
		{ "low_water", 0, 99, false, false, 0 },
	};
	uint64_t chunk;
	enum fz_verdict v;
	int origin, store;
	size_t n;

	if (ws->n < 5) {
		e->why = "need 5 arguments";
		return FZ_REFUSE;
	}
	origin = device(w, ws->w[0]);
	store = device(w, ws->w[1]);
	if (!id_ok(ws->w[2]) || !id_ok(ws->w[3])) {
		e->why = "set_id, member: 1 to 64 of A-Z a-z 0-9 - _";
		return FZ_REFUSE;
	}
	if (!number(ws->w[4], UINT32_MAX, &chunk) ||
	    !pow2_in(chunk, 4096, 16U << 20)) {
		e->why = "chunk_size: a power of two from 4096 to 16777216";
		return FZ_REFUSE;
	}
	e->why = opts(ws, 5, 2, o, 1);
	if (e->why)
		return FZ_REFUSE;
	if (store == DEV_REFUSED) {
		e->why = "the storage is no block device";
		return FZ_REFUSE;
	}
	v = beneath(w, origin, len, e);
	if (v != FZ_ACCEPT || store == DEV_UNSURE)
		return v == FZ_REFUSE ? v : FZ_UNSURE;
	if (store == origin) {
		e->why = "the storage is the origin device";
		return FZ_REFUSE;
	}
	e->why = set_rules(w, image, origin, store, ws, (uint32_t)chunk, len);
	if (e->why)
		return FZ_REFUSE;
	e->below = image ? -1 : origin;
	e->chunk_size = (uint32_t)chunk;
	e->store_sectors = w->devs[store].sectors;
	n = (size_t)snprintf(e->table, sizeof(e->table), "%u:%u %u:%u %s %s %u",
			     DEVNO(w, origin), DEVNO(w, store), ws->w[2],
			     ws->w[3], e->chunk_size);
	if (o[0].given)
		snprintf(e->table + n, sizeof(e->table) - n, " 2 low_water %u",
			 (unsigned int)o[0].value);
	return FZ_ACCEPT;
}

enum fz_verdict fz_model_ctr(const struct fz_world *w, const char *target,
			     uint64_t len, const char *params,
			     struct fz_expect *e)
{
	static struct words ws;

	memset(e, 0, sizeof(*e));
	if (!split(params, &ws))
		return FZ_UNSURE;
	if (!strcmp(target, "blkfilter"))
		return blkfilter(w, len, &ws, e);
	if (!strcmp(target, "cbt"))
		return cbt(w, len, &ws, e);
	if (!strcmp(target, "cowsnap-origin"))
		return cowsnap(w, false, len, &ws, e);
	if (!strcmp(target, "cowsnap"))
		return cowsnap(w, true, len, &ws, e);
	return FZ_UNSURE;
}

/* ------------------------------------------------------------------ */
/* Status                                                             */

static bool uuid_ok(const char *s)
{
	unsigned int i;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!strchr("0123456789abcdef", s[i])) {
			return false;
		}
	}
	return true;
}

#define WHY(...)	(snprintf(why, size, __VA_ARGS__), false)

static bool blkfilter_status(const struct fz_expect *e, const char *st,
			     char *why, size_t size)
{
	unsigned long long c[7];
	unsigned int used, ring, i;
	int end = -1;

	if (sscanf(st, "%llu %llu %llu %llu %llu %llu %llu %u/%u%n", &c[0],
		   &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &used, &ring,
		   &end) != 9 || st[end])
		return WHY("not 7 numbers and <used>/<size>");
	for (i = 0; i < 7; i++)
		if (c[i])
			return WHY("counter %u of a new table is %llu", i, c[i]);
	if (used || ring != e->ring_size)
		return WHY("ring %u/%u, 0/%u expected", used, ring,
			   e->ring_size);
	return true;
}

static bool cbt_status(uint64_t len, const struct fz_expect *e,
		       const char *st, char *why, size_t size)
{
	unsigned long long blocks, memory, last;
	unsigned int cur, frozen, bs;
	char state[16], gen[40];
	int end = -1;

	if (sscanf(st, "%15s %39s %u %u %u %llu %llu %llu%n", state, gen, &cur,
		   &frozen, &bs, &blocks, &memory, &last, &end) != 8 || st[end])
		return WHY("not <state> <uuid> and 6 numbers");
	if (strcmp(state, "tracking") || !uuid_ok(gen))
		return WHY("state '%s', generation '%s'", state, gen);
	if (cur < 1 || cur > 255 || frozen > 255)
		return WHY("current %u, frozen %u", cur, frozen);
	if (e->block_size ? bs != e->block_size :
	    !pow2_in(bs, 4096, 1U << 30))
		return WHY("block_size %u", bs);
	if (blocks != (len * 512 + bs - 1) / bs)
		return WHY("%llu blocks of %u bytes for %llu sectors", blocks,
			   bs, (unsigned long long)len);
	return true;
}

static bool cowsnap_status(const struct fz_expect *e, const char *st,
			   char *why, size_t size)
{
	unsigned long long used, store, copied, memory, last;
	unsigned int chunk;
	char state[16];
	int err, end = -1;

	if (sscanf(st, "%15s %d %u %llu %llu %llu %llu %llu%n", state, &err,
		   &chunk, &used, &store, &copied, &memory, &last,
		   &end) != 8 || st[end])
		return WHY("not <state> and 7 numbers");
	if (strcmp(state, "valid") || err)
		return WHY("state '%s', error %d", state, err);
	if (chunk != e->chunk_size || store != e->store_sectors ||
	    used > store)
		return WHY("chunk_size %u, store %llu/%llu; %u, ?/%llu expected",
			   chunk, used, store, e->chunk_size,
			   (unsigned long long)e->store_sectors);
	return true;
}

bool fz_status_ok(const char *target, uint64_t len, const struct fz_expect *e,
		  const char *status, char *why, size_t size)
{
	if (!strcmp(target, "blkfilter"))
		return blkfilter_status(e, status, why, size);
	if (!strcmp(target, "cbt"))
		return cbt_status(len, e, status, why, size);
	return cowsnap_status(e, status, why, size);
}

/* ------------------------------------------------------------------ */
/* Messages                                                           */

/* @ws->w[@i] is a number from @min to @max (absent: @opt). */
static bool arg_num(const struct words *ws, unsigned int i, uint64_t min,
		    uint64_t max, bool opt)
{
	uint64_t v;

	if (i >= ws->n)
		return opt;
	return number(ws->w[i], max, &v) && v >= min;
}

/* The grammar of Documentation/dm-*.rst, Messages. */
static bool msg_grammar(const char *target, const struct words *ws)
{
	const char *verb = ws->w[0];
	unsigned int n = ws->n, i;

	if (!strcmp(target, "blkfilter"))
		return !strcasecmp(verb, "events") && n >= 2 && n <= 3 &&
		       arg_num(ws, 1, 0, UINT64_MAX, false) &&
		       arg_num(ws, 2, 1, 256, true);
	if (!strcmp(target, "cbt")) {
		if (!strcasecmp(verb, "info") || !strcasecmp(verb, "checkpoint"))
			return n == 1;
		if (!strcasecmp(verb, "map"))
			return n == 3 && arg_num(ws, 1, 0, UINT64_MAX, false) &&
			       arg_num(ws, 2, 0, UINT64_MAX, false);
		if (!strcasecmp(verb, "changes"))
			return n >= 3 && n <= 4 &&
			       arg_num(ws, 1, 0, 255, false) &&
			       arg_num(ws, 2, 0, UINT64_MAX, false) &&
			       arg_num(ws, 3, 1, 4096, true);
		if (!strcasecmp(verb, "mark_dirty")) {
			if (n < 3 || n % 2 == 0 || (n - 1) / 2 > 64)
				return false;
			for (i = 1; i < n; i++)
				if (!arg_num(ws, i, 0, UINT64_MAX, false))
					return false;
			return true;
		}
		if (!strcasecmp(verb, "events"))
			return n == 2 && arg_num(ws, 1, 0, UINT64_MAX, false);
		return false;
	}
	if (!strcasecmp(verb, "info"))
		return n == 1;
	if (!strcasecmp(verb, "store_append"))
		return n == 2 && arg_num(ws, 1, 1, UINT64_MAX, false);
	if (!strcasecmp(verb, "written"))
		return n >= 2 && n <= 3 && arg_num(ws, 1, 0, UINT64_MAX, false) &&
		       arg_num(ws, 2, 1, 4096, true);
	if (!strcasecmp(verb, "events"))
		return n >= 2 && n <= 3 && arg_num(ws, 1, 0, UINT64_MAX, false) &&
		       arg_num(ws, 2, 1, 64, true);
	return false;
}

enum fz_verdict fz_model_msg(const char *target, const char *msg)
{
	static struct words ws;

	if (!split(msg, &ws))
		return FZ_UNSURE;
	if (!ws.n || !msg_grammar(target, &ws))
		return FZ_REFUSE;
	return FZ_UNSURE;
}

/* "k1=v k2=v ..." with exactly the keys of @keys, in order. */
static bool keys_ok(const char *line, const char *const *keys)
{
	const char *p = line;
	size_t k;

	for (; *keys; keys++) {
		k = strlen(*keys);
		if (strncmp(p, *keys, k) || p[k] != '=' || !p[k + 1] ||
		    p[k + 1] == ' ')
			return false;
		p = strchr(p + k, ' ');
		if (!p)
			return !keys[1];
		p++;
	}
	return false;
}

/* @n lines after the header, each of at least @min_words words. */
static bool lines_ok(const char *body, unsigned long long n,
		     unsigned int min_words)
{
	const char *p = body, *nl;
	unsigned int words;

	for (; n; n--) {
		nl = strchr(p, '\n');
		if (!nl || nl == p)
			return false;
		for (words = 1; p < nl; p++)
			words += *p == ' ';
		if (words < min_words)
			return false;
		p = nl + 1;
	}
	return !*p;
}

/*
 * The body of a "map" answer: "<hh>x<run>" words, one space apart, whose
 * runs add up to @blocks, then at most a newline.
 */
static bool runs_ok(const char *p, unsigned long long blocks)
{
	unsigned long long sum = 0, run;
	unsigned int byte;
	int n;

	while (*p && *p != '\n') {
		n = -1;
		if (!isxdigit((unsigned char)p[0]) ||
		    !isxdigit((unsigned char)p[1]) || sscanf(p, "%2x%*[x]%llu%n", &byte, &run, &n) != 2 ||
		    n < 4 || p[2] != 'x' || !run)
			return false;
		sum += run;
		p += n;
		if (*p == ' ')
			p++;
	}
	return sum == blocks && (!*p || !strcmp(p, "\n"));
}

static bool answer_ok(const char *target, const char *verb, const char *a)
{
	static const char *const cbt_info[] = { "capacity", "block_size",
		"blocks", "state", "generation", "current", "frozen",
		"frozen_generation", "frozen_blocks", "memory", "last_event",
		NULL };
	static const char *const cs_info[] = { "set", "member", "state",
		"error", "chunk_size", "store_used", "store_size", "store_dev",
		"members", "copied", "set_copied", "written", "memory",
		"low_water", "last_event", NULL };
	static const char *const checkpoint[] = { "frozen", "generation",
		"reset", NULL };
	unsigned long long h[4];
	const char *body = strchr(a, '\n');
	int end = -1;

	if (!strcasecmp(verb, "mark_dirty") ||
	    !strcasecmp(verb, "store_append"))
		return !*a;
	if (!body)
		return false;
	body++;
	if (!strcasecmp(verb, "info"))
		return !*body &&
		       keys_ok(a, strcmp(target, "cbt") ? cs_info : cbt_info);
	if (!strcasecmp(verb, "checkpoint"))
		return !*body && keys_ok(a, checkpoint);
	if (!strcasecmp(verb, "events") && !strcmp(target, "blkfilter"))
		return sscanf(a, "%llu %llu %llu %llu%n", &h[0], &h[1], &h[2],
			      &h[3], &end) == 4 && a + end + 1 == body &&
		       lines_ok(body, h[3], 6);
	if (!strcasecmp(verb, "events"))
		return sscanf(a, "%llu %llu %llu%n", &h[0], &h[1], &h[2],
			      &end) == 3 && a + end + 1 == body &&
		       lines_ok(body, h[2], strcmp(target, "cbt") ? 5 : 4);
	if (!strcasecmp(verb, "changes"))
		return sscanf(a, "%llu %llu %llu%n", &h[0], &h[1], &h[2],
			      &end) == 3 && a + end + 1 == body &&
		       lines_ok(body, h[2], 2);
	if (!strcasecmp(verb, "written"))
		return sscanf(a, "%llu %llu%n", &h[0], &h[1], &end) == 2 &&
		       a + end + 1 == body && lines_ok(body, h[1], 2);
	if (!strcasecmp(verb, "map"))
		return sscanf(a, "%llu %llu %llu %llu%n", &h[0], &h[1], &h[2],
			      &h[3], &end) == 4 && a + end + 1 == body &&
		       h[3] == h[1] + h[2] && runs_ok(body, h[2]);
	return false;
}

bool fz_answer_ok(const char *target, const char *msg, const char *answer,
		  char *why, size_t size)
{
	static struct words ws;

	if (!split(msg, &ws) || !ws.n)
		return true;
	if (answer_ok(target, ws.w[0], answer ? answer : ""))
		return true;
	snprintf(why, size, "the answer to '%s' is not as documented",
		 ws.w[0]);
	return false;
}
