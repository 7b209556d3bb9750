// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzzing the constructors and messages of the four targets.
 *
 * ctr: for each of blkfilter, cbt, cowsnap-origin and cowsnap (image),
 * FUZZ_LINES table lines, most mutated from valid ones (an argument
 * dropped, doubled, swapped, cut, given junk, replaced by an edge value:
 * 0, -1, 2^32, 2^64, hex, huge, empty, very long, another device, an
 * unknown keyword, a count that lies), some made of random words; the
 * length of the target is mutated too.  Each is loaded as the inactive
 * table of one scratch device and cleared again: the kernel must refuse
 * it cleanly or accept it.  The first accepted lines of each target are
 * also made live on a device of their own: the table must read back with
 * the device beneath, and data written through it must reach that device
 * (or, for an image, read back).  Nothing may be left behind: after the
 * run the sets and trackers the lines named are free again (a set or
 * tracker still alive would refuse a table with another chunk or block
 * size).
 *
 * messages: FUZZ_MSGS messages per target, mutated from valid ones or
 * random, sent to a live device of each target; an answer must be
 * printable text without a kernel pointer; afterwards every device still
 * passes I/O correctly.
 *
 * No input may make a kernel warning (checked after every batch and by
 * the harness).  The seed is printed; COWSNAP_SEED repeats a run.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dm.h"
#include "fuzz-dm.h"
#include "fuzz-model.h"
#include "table.h"
#include "testlib.h"
#include "../cowsnap/cowsnap-test.h"

#define FUZZ_LINES	1000
#define FUZZ_MSGS	1000
#define LIVE_CHECKS	12		/* accepted lines made live, a target */
#define DEV_BYTES	(8ULL << 20)
#define DEV_SECTORS	(DEV_BYTES >> 9)
#define MAX_WORDS	16
#define BATCH		100		/* inputs between kernel log checks */

static unsigned int seed;
static struct ct_rng rng;	/* splitmix64, cowsnap-test.h */
static int kfd = -1;
static unsigned int live_budget;	/* accepted lines still to make live */

/* Loop devices: one per role, so that no two live tables claim one. */
static struct {
	char *bf, *cbt, *origin, *store, *origin2, *store2, *other;
	char scratch[128];		/* the device tables are loaded into */
	char set[64];			/* the set of the image lines */
	char origin_dev[128];		/* its origin device */
} d;

/* The same devices for the oracle, and their "major:minor" words. */
#define NR_DEVS		7
static struct fz_dev devs[NR_DEVS];
static char devnos[NR_DEVS][24];
static struct fz_world world = { devs, NR_DEVS, NULL };

static uint64_t rnd(void)
{
	return ct_rnd(&rng);
}

static unsigned int below(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

/* ------------------------------------------------------------------ */
/* Words                                                              */

struct line {
	unsigned int n;
	char *w[MAX_WORDS];
};

static void line_free(struct line *l)
{
	unsigned int i;

	for (i = 0; i < l->n; i++)
		free(l->w[i]);
	l->n = 0;
}

static void line_push(struct line *l, const char *w)
{
	if (l->n < MAX_WORDS)
		l->w[l->n++] = strdup(w);
}

static void line_split(struct line *l, const char *text)
{
	char *copy = strdup(text), *save = NULL, *w;

	l->n = 0;
	for (w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
		line_push(l, w);
	free(copy);
}

static char *line_join(const struct line *l)
{
	size_t len = 1;
	unsigned int i;
	char *s;

	for (i = 0; i < l->n; i++)
		len += strlen(l->w[i]) + 1;
	s = calloc(1, len);
	for (i = 0; i < l->n; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, l->w[i]);
	}
	return s;
}

/* A word that is likely to hit an edge of some parser. */
static const char *edge_word(void)
{
	static char buf[400];
	static const char *const words[] = {
		"0", "1", "-1", "2", "4", "15", "16", "17", "99", "100",
		"4095", "4096", "4097", "65536", "65537", "60000", "60001",
		"16777216", "33554432", "1073741824", "2147483648",
		"4294967295", "4294967296", "9223372036854775807",
		"9223372036854775808", "18446744073709551615",
		"18446744073709551616", "0x1000", "010", "+4096", "4096k",
		"1e3", " ", "-", "ring_size", "uevent_ms", "block_size",
		"low_water", "chunk_size", "/dev/null", "/dev/zero",
		"/nonexistent", "7:0", "0:0", "999:999", "254:0", "a:b",
		"bad/id", "bad id", "id.with.dot", "%s%n%p", "\\", "\"",
		"info", "events", "checkpoint", "map", "changes",
		"mark_dirty", "written", "store_append", "LOW_WATER",
		"Ring_Size", "caf\xe9", "\xc0\xc1", "id\x7f", "\t",
	};

	switch (below(6)) {
	case 4:				/* one of our devices */
		return below(2) ? devs[below(NR_DEVS)].path :
				  devnos[below(NR_DEVS)];
	case 0:				/* very long */
		memset(buf, "a1_-"[below(4)], 65 + below(300));
		buf[65 + below(300)] = '\0';
		return buf;
	case 1:				/* a random number */
		snprintf(buf, sizeof(buf), "%llu",
			 (unsigned long long)(rnd() >> below(64)));
		return buf;
	default:
		return words[below(sizeof(words) / sizeof(words[0]))];
	}
}

/* A word of 1 to 8 KiB: a digit run now and then. */
static const char *long_word(void)
{
	static char buf[8193];
	size_t n = 1024 + below(7169);

	memset(buf, below(2) ? '9' : 'z', n);
	buf[n] = '\0';
	return buf;
}

/* Change @l in one of a dozen ways. */
static void mutate(struct line *l)
{
	unsigned int i = l->n ? below(l->n) : 0, j;
	char buf[512], *t;

	switch (below(9)) {
	case 0:				/* drop a word */
		if (l->n) {
			free(l->w[i]);
			memmove(l->w + i, l->w + i + 1,
				(l->n - i - 1) * sizeof(char *));
			l->n--;
		}
		break;
	case 1:				/* double one */
		if (l->n && l->n < MAX_WORDS) {
			memmove(l->w + i + 1, l->w + i,
				(l->n - i) * sizeof(char *));
			l->w[i] = strdup(l->w[i + 1]);
			l->n++;
		}
		break;
	case 2:				/* swap two */
		if (l->n > 1) {
			j = below(l->n);
			t = l->w[i];
			l->w[i] = l->w[j];
			l->w[j] = t;
		}
		break;
	case 3:				/* cut one short */
		if (l->n && strlen(l->w[i]) > 1)
			l->w[i][below((unsigned int)strlen(l->w[i]))] = '\0';
		break;
	case 4:				/* junk after one */
		if (l->n) {
			snprintf(buf, sizeof(buf), "%s%s", l->w[i],
				 (const char *[]){ "x", "0", "-1", ":", "/",
						   "9999999999" }[below(6)]);
			free(l->w[i]);
			l->w[i] = strdup(buf);
		}
		break;
	case 5:				/* append words */
		for (j = below(3) + 1; j; j--)
			line_push(l, edge_word());
		break;
	case 6:				/* change its case */
		for (t = l->n ? l->w[i] : ""; *t; t++)
			*t = (char)(below(2) ? toupper((unsigned char)*t) :
					       tolower((unsigned char)*t));
		break;
	default:			/* replace one by an edge value */
		if (l->n) {
			free(l->w[i]);
			l->w[i] = strdup(edge_word());
		}
		break;
	}
}

/* A line of @l's first word (the target) and random words. */
static void randomize(struct line *l)
{
	unsigned int n = below(8), i;

	while (l->n > 1) {
		free(l->w[--l->n]);
	}
	for (i = 0; i < n; i++)
		line_push(l, edge_word());
}

/* ------------------------------------------------------------------ */
/* Kernel log                                                         */

static bool log_clean(const char *what)
{
	char *log = tl_kmsg_read(kfd);
	bool ok = log && !tl_kmsg_has_warning(log);

	if (!ok)
		fprintf(stderr, "%s: kernel log:\n%s", what, log ? log : "?");
	free(log);
	return ok;
}

/* Quiet console while thousands of refusals are logged; kmsg keeps them. */
static void console_quiet(bool quiet)
{
	tl_run(NULL, "dmesg -n %d", quiet ? 1 : 7);
}

/* ------------------------------------------------------------------ */
/* Tables                                                             */

/* 4 KiB at sector 8 through @path, then read back (and from @below). */
static bool data_passes(const char *path, const char *below)
{
	void *buf = tl_alloc_aligned(4096), *got = tl_alloc_aligned(4096);
	uint32_t s = (uint32_t)rnd();
	bool ok = false;
	int fd;

	tl_pattern_fill(buf, 4096, s, 4096);
	fd = open(path, O_RDWR | O_DIRECT);
	if (fd >= 0 && pwrite(fd, buf, 4096, 4096) == 4096 &&
	    pread(fd, got, 4096, 4096) == 4096 &&
	    tl_pattern_check(got, 4096, s, 4096) < 0)
		ok = true;
	if (fd >= 0)
		close(fd);
	if (ok && below) {
		fd = open(below, O_RDONLY | O_DIRECT);
		ok = fd >= 0 && pread(fd, got, 4096, 4096) == 4096 &&
		     tl_pattern_check(got, 4096, s, 4096) < 0;
		if (fd >= 0)
			close(fd);
	}
	if (!ok)
		fprintf(stderr, "%s: data written does not read back%s%s\n",
			path, below ? " from " : "", below ? below : "");
	free(buf);
	free(got);
	return ok;
}

/*
 * A line the oracle accepts, made live on a new device: it must read back
 * as the docs say, and data written through it must read back (and be
 * found on the device beneath, for a pass-through or an origin).
 */
static bool live_check(const char *target, uint64_t len, const char *params,
		       const struct fz_expect *e)
{
	char name[128], table[1536], path[160];
	struct cs_table t = { 0 };
	bool ok;

	snprintf(name, sizeof(name), "%s", tl_dm_name("live"));
	snprintf(table, sizeof(table), "0 %llu %s %s",
		 (unsigned long long)len, target, params);
	if (tl_dm_create(name, table)) {
		fprintf(stderr, "accepted as inactive table, refused live: "
			"%s\n", table);
		return false;
	}
	ok = !cs_dm_table(name, &t) && t.nr == 1 &&
	     !strcmp(t.targets[0].params, e->table);
	if (!ok)
		fprintf(stderr, "%s: live table reads back as '%s', '%s' "
			"expected\n", table, t.nr ? t.targets[0].params : "?",
			e->table);
	cs_table_free(&t);
	snprintf(path, sizeof(path), "/dev/mapper/%s", name);
	if (len >= 16)
		ok = data_passes(path, e->below >= 0 ? devs[e->below].path :
				 NULL) && ok;
	ok = !tl_run(NULL, "dmsetup remove %s", name) && ok;
	return ok;
}

struct ctr_spec {
	const char *target;
	const char *valid[4];		/* printf formats: %1$s dev, %2$s store, %3$s id */
	const char *dev, *store;	/* devices of the valid lines */
};

/* The length of a fuzzed table: mostly right, sometimes not. */
static uint64_t fuzz_len(void)
{
	static const uint64_t lens[] = { 1, 7, 8, 127, 128, DEV_SECTORS - 1,
		DEV_SECTORS + 1, DEV_SECTORS * 2, 1ULL << 40, 1ULL << 62 };

	if (below(4))
		return DEV_SECTORS;
	return lens[below(sizeof(lens) / sizeof(lens[0]))];
}

/* A fuzzed line: a valid one changed, or random words. */
static char *fuzz_line(const char *valid, unsigned int i)
{
	struct line l;
	char *params;

	line_split(&l, valid);
	if (!below(8)) {
		randomize(&l);
	} else {
		unsigned int m = below(i % 10 ? 3 : 1) + (i % 10 != 0);

		while (m--)
			mutate(&l);
	}
	params = line_join(&l);
	line_free(&l);
	return params;
}

/*
 * An accepted line, still the scratch device's inactive table: its table
 * and status read back as the docs say (only that they read, when the
 * oracle could not judge it).
 */
static bool readback_ok(const char *target, uint64_t len,
			const char *params, enum fz_verdict v,
			const struct fz_expect *e)
{
	struct fz_target tab, st;
	char why[2600] = "";

	if (fz_dm_inactive(d.scratch, false, &tab) ||
	    fz_dm_inactive(d.scratch, true, &st))
		snprintf(why, sizeof(why), "cannot read the inactive table");
	else if (tab.start || tab.len != len || strcmp(tab.type, target) ||
		 strcmp(st.type, target))
		snprintf(why, sizeof(why), "reads back as %llu %llu %s",
			 (unsigned long long)tab.start,
			 (unsigned long long)tab.len, tab.type);
	else if (v == FZ_ACCEPT && strcmp(tab.params, e->table))
		snprintf(why, sizeof(why), "table reads back as '%s', '%s' "
			 "expected", tab.params, e->table);
	else if (v == FZ_ACCEPT &&
		 !fz_status_ok(target, len, e, st.params, why, sizeof(why)))
		;
	else
		return true;
	fprintf(stderr, "%s: '%s' (length %llu): %s\n", target, params,
		(unsigned long long)len, why);
	return false;
}

/* Load one line; 0 refused, 1 accepted, -1 a failure (said why). */
static int try_line(const char *target, uint64_t len, const char *params)
{
	struct cs_table t = { 0 };
	struct fz_expect e;
	enum fz_verdict v;
	int r, ret;

	v = fz_model_ctr(&world, target, len, params, &e);
	cs_table_add(&t, 0, len, target, params);
	r = cs_dm_load(d.scratch, &t);
	cs_table_free(&t);
	if (r) {
		if (v != FZ_ACCEPT)
			return 0;
		fprintf(stderr, "%s: '%s' (length %llu) refused (%s), the "
			"docs accept it\n", target, params,
			(unsigned long long)len, strerror(-r));
		return -1;
	}
	ret = 1;
	if (v == FZ_REFUSE) {
		fprintf(stderr, "%s: '%s' (length %llu) accepted, the docs "
			"refuse it: %s\n", target, params,
			(unsigned long long)len, e.why);
		ret = -1;
	} else if (!readback_ok(target, len, params, v, &e)) {
		ret = -1;
	}
	if (cs_dm_clear(d.scratch)) {
		fprintf(stderr, "%s: cannot clear '%s'\n", target, params);
		ret = -1;
	}
	if (ret > 0 && v == FZ_ACCEPT && len == DEV_SECTORS && !below(3) &&
	    live_budget) {
		live_budget--;
		if (!live_check(target, len, params, &e))
			ret = -1;
	}
	return ret;
}

/* Load and clear @table on the scratch device; false: refused. */
static bool probe(const char *params, const char *target)
{
	struct cs_table t = { 0 };
	int r;

	cs_table_add(&t, 0, DEV_SECTORS, target, params);
	r = cs_dm_load(d.scratch, &t);
	cs_table_free(&t);
	if (!r)
		r = cs_dm_clear(d.scratch);
	if (r)
		fprintf(stderr, "probe '%s %s' refused: %s\n", target, params,
			strerror(-r));
	return !r;
}

/*
 * Nothing held: every device no live set uses makes a set of its own, as
 * origin and as storage (a set or member left behind holds its storage
 * or its origin: EBUSY); every tracker id of the valid lines takes two
 * block sizes (a tracker left behind has one).
 */
static bool nothing_held(const struct ctr_spec *s, const char *id)
{
	const struct fz_live_set *ls = world.set;
	char params[256];
	unsigned int i, j;
	bool ok = true;

	for (i = 0; i < NR_DEVS; i++) {
		if (ls && ((int)i == ls->origin || (int)i == ls->store))
			continue;
		for (j = (i + 1) % NR_DEVS; ls && ((int)j == ls->origin ||
		     (int)j == ls->store); j = (j + 1) % NR_DEVS)
			;
		snprintf(params, sizeof(params), "%s %s fzprobe-%d m0 4096",
			 devs[i].path, devs[j].path, (int)getpid());
		ok = probe(params, "cowsnap-origin") && ok;
	}
	if (strcmp(s->target, "cbt"))
		return ok;
	for (i = 0; i < 4; i++) {
		snprintf(params, sizeof(params), "%s %s%s 2 block_size %u",
			 s->dev, id, i & 2 ? "-b" : "", i & 1 ? 8192 : 16384);
		ok = probe(params, "cbt") && ok;
	}
	return ok;
}

/*
 * Load FUZZ_LINES lines of @s into the scratch device and clear them.
 * Returns the number of failures (a refusal the docs demand is none; a
 * kernel warning, a line judged otherwise than the docs say, a table
 * that does not read back, anything left behind is one).
 */
static unsigned int fuzz_ctr(const struct ctr_spec *s, const char *id)
{
	unsigned int i, v, n[3] = { 0 }, bad = 0, unjudged = 0;
	char valid[4][512], *params, tline[64], *names, *now;
	struct fz_expect e;
	uint64_t len;
	int r;

	for (v = 0; v < 4 && s->valid[v]; v++)
		snprintf(valid[v], sizeof(valid[v]), s->valid[v], s->dev,
			 s->store, id);
	live_budget = LIVE_CHECKS;
	names = fz_dm_names();
	for (i = 0; i < FUZZ_LINES; i++) {
		params = fuzz_line(valid[below(v)], i);
		len = i % 10 ? fuzz_len() : DEV_SECTORS;
		if (fz_model_ctr(&world, s->target, len, params, &e) ==
		    FZ_UNSURE)
			unjudged++;
		r = try_line(s->target, len, params);
		n[r + 1]++;
		now = fz_dm_names();
		if (!now || !names || strcmp(now, names)) {
			fprintf(stderr, "%s: after '%s': dm devices '%s', "
				"'%s' before\n", s->target, params, now, names);
			n[0]++;
		}
		free(now);
		free(params);
		if ((i + 1) % BATCH == 0) {
			snprintf(tline, sizeof(tline), "%s ctr %u", s->target,
				 i + 1);
			if (!log_clean(tline) || !nothing_held(s, id))
				n[0]++;
		}
	}
	/* Each valid line is still accepted as the docs say. */
	for (i = 0; i < v; i++)
		if (try_line(s->target, DEV_SECTORS, valid[i]) != 1)
			n[0]++;
	bad = n[0];
	printf("fuzz: %s ctr: %u lines, %u accepted (%u made live), %u "
	       "refused, %u not judged (a device not ours), %u failures\n",
	       s->target, FUZZ_LINES, n[2], LIVE_CHECKS - live_budget, n[1],
	       unjudged, bad);
	free(names);
	CU_ASSERT(n[2] > 0 && n[1] > 0);
	return bad;
}

/* ------------------------------------------------------------------ */
/* Messages                                                           */

/*
 * Printable, and no number that looks like a kernel address: 16 hex
 * digits from "ff" on (x86-64 kernel addresses, 4- or 5-level paging).
 */
static bool answer_ok(const char *a)
{
	const char *p = a;
	size_t n;

	for (; *p; p++)
		if (!isprint((unsigned char)*p) && *p != '\n')
			return false;
	for (p = a; *p; p += n ? n : 1) {
		n = strspn(p, "0123456789abcdefABCDEF");
		if (n >= 16 && !strncasecmp(p, "ff", 2))
			return false;
	}
	return true;
}

static unsigned int fuzz_msgs(const char *target, const char *dev,
			      const char *const *valid)
{
	unsigned int i, v, accepted = 0, refused = 0, bad = 0;
	char *msg, *ans = NULL, tline[64], why[128] = "";
	struct line l;

	for (v = 0; valid[v]; v++)
		;
	for (i = 0; i < FUZZ_MSGS; i++) {
		line_split(&l, valid[below(v)]);
		if (!below(6)) {
			line_free(&l);
			line_push(&l, edge_word());
			randomize(&l);
		} else {
			unsigned int m = below(i % 10 ? 3 : 1) + (i % 10 != 0);

			while (m--)
				mutate(&l);
		}
		if (!l.n)
			line_push(&l, "info");
		if (!below(20))			/* a long line */
			line_push(&l, long_word());
		msg = line_join(&l);
		if (!cs_dm_message(dev, msg, &ans)) {
			accepted++;
			if (fz_model_msg(target, msg) == FZ_REFUSE) {
				fprintf(stderr, "%s: '%.200s' accepted, the "
					"docs refuse it\n", target, msg);
				bad++;
			} else if (!answer_ok(ans) ||
				   !fz_answer_ok(target, msg, ans, why,
						 sizeof(why))) {
				fprintf(stderr, "%s: '%.200s': bad answer "
					"'%s' %s\n", target, msg, ans, why);
				bad++;
			}
		} else {
			refused++;
		}
		free(ans);
		ans = NULL;
		free(msg);
		line_free(&l);
		if ((i + 1) % BATCH == 0) {
			snprintf(tline, sizeof(tline), "%s msg %u", target,
				 i + 1);
			if (!log_clean(tline))
				bad++;
		}
	}
	printf("fuzz: %s messages: %u, %u accepted, %u refused, %u "
	       "failures\n", target, FUZZ_MSGS, accepted, refused, bad);
	CU_ASSERT(accepted > 0 && refused > 0);
	return bad;
}

/* ------------------------------------------------------------------ */

/* The oracle's view of our devices. */
static int world_init(void)
{
	char *const paths[NR_DEVS] = { d.bf, d.cbt, d.origin, d.store,
				       d.origin2, d.store2, d.other };
	struct stat st;
	unsigned int i;

	for (i = 0; i < NR_DEVS; i++) {
		if (stat(paths[i], &st) || !S_ISBLK(st.st_mode))
			return -1;
		devs[i].path = paths[i];
		devs[i].major = major(st.st_rdev);
		devs[i].minor = minor(st.st_rdev);
		devs[i].sectors = DEV_SECTORS;
		snprintf(devnos[i], sizeof(devnos[i]), "%u:%u", devs[i].major,
			 devs[i].minor);
	}
	return 0;
}

static int fuzz_init(void)
{
	seed = tl_seed("fuzz");
	rng.s = seed;
	d.bf = tl_loop_create(DEV_BYTES);
	d.cbt = tl_loop_create(DEV_BYTES);
	d.origin = tl_loop_create(DEV_BYTES);
	d.store = tl_loop_create(DEV_BYTES);
	d.origin2 = tl_loop_create(DEV_BYTES);
	d.store2 = tl_loop_create(DEV_BYTES);
	d.other = tl_loop_create(DEV_BYTES);
	if (!d.bf || !d.cbt || !d.origin || !d.store || !d.origin2 ||
	    !d.store2 || !d.other)
		return -1;
	if (world_init())
		return -1;
	snprintf(d.scratch, sizeof(d.scratch), "%s", tl_dm_name("scratch"));
	tl_defer("dmsetup remove %s", d.scratch);
	if (tl_run(NULL, "dmsetup create %s --notable", d.scratch))
		return -1;
	kfd = tl_kmsg_open();
	console_quiet(true);
	return kfd < 0 ? -1 : 0;
}

static int fuzz_clean(void)
{
	console_quiet(false);
	tl_teardown();
	if (kfd >= 0)
		close(kfd);
	free(d.bf);
	free(d.cbt);
	free(d.origin);
	free(d.store);
	free(d.origin2);
	free(d.store2);
	free(d.other);
	return 0;
}

static void test_ctr_blkfilter(void)
{
	const struct ctr_spec s = {
		.target = "blkfilter", .dev = d.bf,
		.valid = { "%1$s", "%1$s 2 ring_size 64",
			   "%1$s 4 uevent_ms 0 ring_size 16",
			   "%1$s 2 uevent_ms 60000" },
	};

	CU_ASSERT_EQUAL(fuzz_ctr(&s, ""), 0);
}

static void test_ctr_cbt(void)
{
	char id[64];
	const struct ctr_spec s = {
		.target = "cbt", .dev = d.cbt,
		.valid = { "%1$s %3$s", "%1$s %3$s 2 block_size 4096",
			   "%1$s %3$s 2 block_size 65536",
			   "%1$s %3$s-b 2 block_size 1073741824" },
	};

	snprintf(id, sizeof(id), "fz-%d", (int)getpid());
	CU_ASSERT_EQUAL(fuzz_ctr(&s, id), 0);
	/* No tracker left: another block size for the same ids is fine. */
	CU_ASSERT_EQUAL(tl_run(NULL, "dmsetup create %s --table '0 %llu cbt "
			       "%s %s 2 block_size 8192' && dmsetup remove %s",
			       tl_dm_name("after"),
			       (unsigned long long)DEV_SECTORS, d.cbt, id,
			       tl_dm_name("after")), 0);
}

static void test_ctr_origin(void)
{
	char id[64];
	const struct ctr_spec s = {
		.target = "cowsnap-origin", .dev = d.origin, .store = d.store,
		.valid = { "%1$s %2$s %3$s m0 65536",
			   "%1$s %2$s %3$s m1 4096 2 low_water 10",
			   "%1$s %2$s %3$s-b vol_2 4194304 2 low_water 0",
			   "%1$s %2$s %3$s m0 65536 0" },
	};

	snprintf(id, sizeof(id), "fzo-%d", (int)getpid());
	CU_ASSERT_EQUAL(fuzz_ctr(&s, id), 0);
	/* No set left: the ids and the store take another chunk size. */
	CU_ASSERT_EQUAL(tl_run(NULL, "dmsetup create %s --table '0 %llu "
			       "cowsnap-origin %s %s %s m0 8192' && dmsetup "
			       "remove %s", tl_dm_name("after"),
			       (unsigned long long)DEV_SECTORS, d.origin,
			       d.store, id, tl_dm_name("after")), 0);
}

static void test_ctr_image(void)
{
	const struct ctr_spec s = {
		.target = "cowsnap", .dev = d.origin2, .store = d.store2,
		.valid = { "%1$s %2$s %3$s m0 65536",
			   "%1$s %2$s %3$s m0 65536 2 low_water 30" },
	};
	char table[512];
	static struct fz_live_set set = {
		.member = "m0", .origin = 4, .store = 5,	/* origin2, store2 */
		.chunk_size = 65536, .sectors = DEV_SECTORS,
	};

	snprintf(d.set, sizeof(d.set), "fzi-%d", (int)getpid());
	snprintf(d.origin_dev, sizeof(d.origin_dev), "%s",
		 tl_dm_name("origin"));
	snprintf(table, sizeof(table), "0 %llu cowsnap-origin %s %s %s m0 "
		 "65536", (unsigned long long)DEV_SECTORS, d.origin2,
		 d.store2, d.set);
	CU_ASSERT_FATAL(tl_dm_create(d.origin_dev, table) == 0);
	set.id = d.set;
	world.set = &set;
	CU_ASSERT_EQUAL(fuzz_ctr(&s, d.set), 0);
}

static void test_messages(void)
{
	static const char *const bf[] = { "events 0", "events 3 10",
		"events 0 256", NULL };
	static const char *const cbt[] = { "info", "checkpoint", "map 0 16",
		"changes 1 0", "changes 1 0 5", "mark_dirty 0 8",
		"mark_dirty 8 8 64 8", "events 0", NULL };
	static const char *const cs[] = { "info", "store_append 16384",
		"written 0", "written 0 10", "events 0", "events 0 5",
		NULL };
	char bfn[128], cbtn[128], img[128], table[512], path[160];
	char o[160], id[64];

	snprintf(bfn, sizeof(bfn), "%s", tl_dm_name("msg-bf"));
	snprintf(table, sizeof(table), "0 %llu blkfilter %s",
		 (unsigned long long)DEV_SECTORS, d.bf);
	CU_ASSERT_FATAL(tl_dm_create(bfn, table) == 0);
	snprintf(cbtn, sizeof(cbtn), "%s", tl_dm_name("msg-cbt"));
	snprintf(id, sizeof(id), "fzm-%d", (int)getpid());
	snprintf(table, sizeof(table), "0 %llu cbt %s %s",
		 (unsigned long long)DEV_SECTORS, d.cbt, id);
	CU_ASSERT_FATAL(tl_dm_create(cbtn, table) == 0);
	if (!d.origin_dev[0])
		CU_FAIL_FATAL("the image fuzz did not make the origin");
	snprintf(img, sizeof(img), "%s", tl_dm_name("msg-img"));
	snprintf(table, sizeof(table), "0 %llu cowsnap %s %s %s m0 65536",
		 (unsigned long long)DEV_SECTORS, d.origin2, d.store2, d.set);
	CU_ASSERT_FATAL(tl_dm_create(img, table) == 0);

	CU_ASSERT_EQUAL(fuzz_msgs("blkfilter", bfn, bf), 0);
	CU_ASSERT_EQUAL(fuzz_msgs("cbt", cbtn, cbt), 0);
	CU_ASSERT_EQUAL(fuzz_msgs("cowsnap-origin", d.origin_dev, cs), 0);
	CU_ASSERT_EQUAL(fuzz_msgs("cowsnap", img, cs), 0);

	/* Every device still passes data. */
	snprintf(path, sizeof(path), "/dev/mapper/%s", bfn);
	CU_ASSERT(data_passes(path, d.bf));
	snprintf(path, sizeof(path), "/dev/mapper/%s", cbtn);
	CU_ASSERT(data_passes(path, d.cbt));
	snprintf(o, sizeof(o), "/dev/mapper/%s", d.origin_dev);
	CU_ASSERT(data_passes(o, d.origin2));
	snprintf(path, sizeof(path), "/dev/mapper/%s", img);
	CU_ASSERT(data_passes(path, NULL));
	CU_ASSERT(log_clean("after the messages"));
}

static CU_TestInfo fuzz_tests[] = {
	{ "ctr_blkfilter", test_ctr_blkfilter },
	{ "ctr_cbt", test_ctr_cbt },
	{ "ctr_origin", test_ctr_origin },
	{ "ctr_image", test_ctr_image },
	{ "messages", test_messages },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "fuzz", fuzz_init, fuzz_clean, NULL, NULL, fuzz_tests },
	CU_SUITE_INFO_NULL,
};
