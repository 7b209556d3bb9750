// SPDX-License-Identifier: GPL-2.0
/*
 * cbt oracle: a userspace model of the tracker (one byte per block, the
 * current number, the frozen copy) follows every I/O sent through a cbt
 * device -- O_DIRECT and buffered writes, discards, write-zeroes, reads,
 * flushes, mark_dirty.  After each checkpoint the frozen map ("map", its
 * run-length text decoded here) must equal the model's byte for byte, and
 * "changes" must give exactly the model's blocks for several <since>, in
 * big and in small pages; the same question gives the same answer.
 *
 * The I/O is random from a seeded PRNG; the seed is printed and
 * CBT_SEED=<n> in the environment repeats a run.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/dm-cbt.h>
#include <linux/fs.h>

#include "testlib.h"

#define SECTOR		512ULL
#define PAGE_BYTES	4096ULL
#define ROUNDS		4
#define OPS		24		/* I/Os per round */
#define KIB		1024ULL
#define MIB		(1024 * KIB)

struct model {
	uint64_t bytes;			/* device size */
	uint32_t bs;			/* tracking block size */
	uint64_t blocks, frozen_blocks;
	unsigned int current, frozen_nr;
	uint8_t *map, *frozen;
};

/* One device under test at a time; the suite's clean closes it. */
static struct {
	char name[128], path[160];
	int fd, dfd;			/* buffered, O_DIRECT */
	struct model m;
	char ops[OPS * 2 + 16][48];	/* this round's I/O, for a failure */
	unsigned int nr_ops;
} d = { .fd = -1, .dfd = -1 };

static unsigned int seed;
static uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* ------------------------------------------------------------------ */
/* The model                                                          */

static void model_mark(struct model *m, uint64_t off, uint64_t len)
{
	uint64_t b, end = off + len > m->bytes ? m->bytes : off + len;

	for (b = off / m->bs; off < end && b <= (end - 1) / m->bs; b++)
		m->map[b] = m->current;
}

/*
 * A buffered write reaches the device at writeback, in whole pages (and
 * the device's soft block size, 512..4096, divides a page): every page it
 * dirtied, up to the device's end.  A tracking block being a multiple of
 * 4 KiB, that gives the blocks of the byte range; modelled all the same.
 */
static void model_mark_pages(struct model *m, uint64_t off, uint64_t len)
{
	uint64_t start = off & ~(PAGE_BYTES - 1);
	uint64_t end = (off + len + PAGE_BYTES - 1) & ~(PAGE_BYTES - 1);

	model_mark(m, start, end - start);
}

/* Returns 1 when this checkpoint begins a new generation. */
static int model_checkpoint(struct model *m)
{
	memcpy(m->frozen, m->map, m->blocks);
	m->frozen_blocks = m->blocks;
	m->frozen_nr = m->current;
	if (m->current < CBT_CHANGE_MAX) {
		m->current++;
		return 0;
	}
	memset(m->map, 0, m->blocks);
	m->current = 1;
	return 1;
}

/* ------------------------------------------------------------------ */
/* The device and the I/O                                             */

static void dev_setup(const char *what, uint64_t bytes, uint32_t bs)
{
	char table[512], *loop;

	rng = seed ^ ((uint64_t)bytes << 20) ^ bs;
	loop = tl_loop_create(bytes);
	CU_ASSERT_FATAL(loop != NULL);
	snprintf(d.name, sizeof(d.name), "%s", tl_dm_name(what));
	snprintf(d.path, sizeof(d.path), "/dev/mapper/%s", d.name);
	snprintf(table, sizeof(table), "0 %llu cbt %s %s-%d 2 block_size %u",
		 (unsigned long long)(bytes / SECTOR), loop, what,
		 (int)getpid(), bs);
	free(loop);
	CU_ASSERT_FATAL(tl_dm_create(d.name, table) == 0);
	d.fd = open(d.path, O_RDWR);
	d.dfd = open(d.path, O_RDWR | O_DIRECT);
	CU_ASSERT_FATAL(d.fd >= 0 && d.dfd >= 0);
	d.m = (struct model){ .bytes = bytes, .bs = bs, .current = 1,
			      .blocks = (bytes + bs - 1) / bs };
	d.m.map = calloc(1, d.m.blocks);
	d.m.frozen = calloc(1, d.m.blocks);
	CU_ASSERT_FATAL(d.m.map && d.m.frozen);
}

static void dev_close(void)
{
	if (d.fd >= 0)
		close(d.fd);
	if (d.dfd >= 0)
		close(d.dfd);
	d.fd = d.dfd = -1;
	free(d.m.map);
	free(d.m.frozen);
	d.m.map = d.m.frozen = NULL;
}

static void dev_remove(void)
{
	dev_close();
	CU_ASSERT_EQUAL(tl_run(NULL, "dmsetup remove %s", d.name), 0);
}

static void note_op(const char *kind, uint64_t off, uint64_t len)
{
	if (d.nr_ops < sizeof(d.ops) / sizeof(d.ops[0]))
		snprintf(d.ops[d.nr_ops++], sizeof(d.ops[0]), "%s %llu+%llu",
			 kind, (unsigned long long)off,
			 (unsigned long long)len);
}

/*
 * A random range in @unit steps: up to about 4 tracking blocks, placed
 * anywhere, at the device's end, or over a block boundary by one unit
 * (its first unit before it, or its last one after it).
 */
static void rnd_range(uint64_t unit, uint64_t *off, uint64_t *len)
{
	const struct model *m = &d.m;
	uint64_t units = m->bytes / unit, n, at;

	n = 1 + rnd_below(1 + rnd_below(4 * m->bs / unit));
	n = n > units ? units : n;
	switch (rnd_below(4)) {
	case 0:
		at = units - n;
		break;
	case 1:
		at = (1 + rnd_below(m->blocks - 1)) * m->bs / unit;
		at = rnd() & 1 ? at - 1 : (at + 1 > n ? at + 1 - n : 0);
		break;
	default:
		at = rnd_below(units - n + 1);
	}
	*off = (at > units - n ? units - n : at) * unit;
	*len = n * unit;
}

static void do_io(void)
{
	uint64_t off, len, range[2];
	int kind = (int)rnd_below(7);
	void *buf;

	rnd_range(kind == 1 ? 1 : SECTOR, &off, &len);
	buf = tl_alloc_aligned(len);
	memset(buf, (int)rnd(), len);
	switch (kind) {
	case 0:
		note_op("direct-write", off, len);
		CU_ASSERT_EQUAL(pwrite(d.dfd, buf, len, off), (ssize_t)len);
		model_mark(&d.m, off, len);
		break;
	case 1:
		note_op("buffered-write", off, len);
		CU_ASSERT_EQUAL(pwrite(d.fd, buf, len, off), (ssize_t)len);
		CU_ASSERT_EQUAL(rnd() & 1 ? fsync(d.fd) : fdatasync(d.fd), 0);
		model_mark_pages(&d.m, off, len);
		break;
	case 2:
	case 3:
		note_op(kind == 2 ? "discard" : "zeroout", off, len);
		range[0] = off;
		range[1] = len;
		CU_ASSERT_EQUAL(ioctl(d.fd, kind == 2 ? BLKDISCARD : BLKZEROOUT,
				      range), 0);
		model_mark(&d.m, off, len);
		break;
	case 4:
	case 5:
		note_op("read", off, len);
		CU_ASSERT_EQUAL(pread(kind == 4 ? d.dfd : d.fd, buf, len, off),
				(ssize_t)len);
		break;
	default:
		note_op("flush", 0, 0);
		CU_ASSERT_EQUAL(fsync(d.fd), 0);
		CU_ASSERT_EQUAL(fdatasync(d.dfd), 0);
	}
	free(buf);
}

/*
 * mark_dirty with @n random ranges of up to @most sectors (0: about 3
 * blocks), the first one at the device's end.
 */
static void do_mark_dirty(unsigned int n, uint64_t most)
{
	uint64_t sectors = d.m.bytes / SECTOR, s, nr;
	char *msg = malloc(32 + n * 48);
	size_t len = sprintf(msg, "mark_dirty");
	unsigned int i;

	CU_ASSERT_FATAL(msg != NULL);
	for (i = 0; i < n; i++) {
		nr = 1 + rnd_below(most ? most : 1 + rnd_below(3 * d.m.bs /
							       SECTOR));
		nr = nr > sectors ? sectors : nr;
		s = i ? rnd_below(sectors - nr + 1) : sectors - nr;
		len += sprintf(msg + len, " %llu %llu", (unsigned long long)s,
			       (unsigned long long)nr);
		note_op("mark_dirty", s * SECTOR, nr * SECTOR);
		model_mark(&d.m, s * SECTOR, nr * SECTOR);
	}
	CU_ASSERT_EQUAL(tl_dm_message(d.name, msg, NULL), 0);
	free(msg);
}

/* ------------------------------------------------------------------ */
/* Messages                                                           */

struct info {
	unsigned long long capacity, blocks, frozen_blocks, memory, last_event;
	unsigned int block_size, current, frozen;
	char state[16], generation[40], frozen_generation[40];
};

static int get_info(struct info *in)
{
	char *out = NULL;
	int n = -1;

	if (!tl_dm_message(d.name, "info", &out))
		n = sscanf(out, "capacity=%llu block_size=%u blocks=%llu "
			   "state=%15s generation=%39s current=%u frozen=%u "
			   "frozen_generation=%39s frozen_blocks=%llu "
			   "memory=%llu last_event=%llu", &in->capacity,
			   &in->block_size, &in->blocks, in->state,
			   in->generation, &in->current, &in->frozen,
			   in->frozen_generation, &in->frozen_blocks,
			   &in->memory, &in->last_event);
	if (n != 11)
		fprintf(stderr, "%s: info: bad answer '%s'\n", d.name,
			out ? out : "");
	free(out);
	return n == 11 ? 0 : -1;
}

/* info agrees with the model (status INFO: see test-lifecycle.c). */
static void check_info(struct info *in)
{
	CU_ASSERT_FATAL(get_info(in) == 0);
	CU_ASSERT_EQUAL(in->capacity, d.m.bytes / SECTOR);
	CU_ASSERT_EQUAL(in->block_size, d.m.bs);
	CU_ASSERT_EQUAL(in->blocks, d.m.blocks);
	CU_ASSERT_STRING_EQUAL(in->state, "tracking");
	CU_ASSERT_EQUAL(strlen(in->generation), 36);
	CU_ASSERT_EQUAL(in->current, d.m.current);
	CU_ASSERT_EQUAL(in->frozen, d.m.frozen_nr);
	if (d.m.frozen_nr)
		CU_ASSERT_EQUAL(in->frozen_blocks, d.m.frozen_blocks);
	if (!d.m.frozen_nr)
		CU_ASSERT_STRING_EQUAL(in->frozen_generation, "-");
}

static void checkpoint(void)
{
	char *out = NULL, gen[40] = "";
	unsigned int frozen = 0;
	struct info in;
	int reset = -1;

	CU_ASSERT_FATAL(get_info(&in) == 0);
	CU_ASSERT_FATAL(tl_dm_message(d.name, "checkpoint", &out) == 0);
	CU_ASSERT_EQUAL(sscanf(out, "frozen=%u generation=%39s reset=%d",
			       &frozen, gen, &reset), 3);
	free(out);
	CU_ASSERT_EQUAL(reset, model_checkpoint(&d.m));
	CU_ASSERT_EQUAL(frozen, d.m.frozen_nr);
	CU_ASSERT_STRING_EQUAL(gen, in.generation);
}

/*
 * One "map" answer for blocks from @offset into @out (room for @room).
 * Returns the blocks decoded, or -1 when the answer is malformed.
 */
static long long decode_map(const char *ans, uint64_t offset, uint8_t *out,
			    uint64_t room, unsigned int *frozen,
			    uint64_t *next)
{
	unsigned long long off, nr, nx, run, done = 0;
	unsigned int val;
	const char *p;
	char *end;
	int n;

	if (sscanf(ans, "%u %llu %llu %llu\n%n", frozen, &off, &nr, &nx,
		   &n) != 4 || off != offset || nr > room)
		return -1;
	for (p = ans + n; *(p += strspn(p, " \n")); p = end) {
		if (!isxdigit(p[0]) || !isxdigit(p[1]) || p[2] != 'x' ||
		    !isdigit(p[3]) || sscanf(p, "%2x", &val) != 1)
			return -1;
		run = strtoull(p + 3, &end, 10);
		if (!run || run > nr - done || (*end && !isspace(*end)))
			return -1;
		memset(out + done, (int)val, run);
		done += run;
	}
	*next = nx;
	return done == nr ? (long long)nr : -1;
}

/* The whole frozen copy, @count blocks a message.  Returns pages or -1. */
static int read_map(uint64_t count, uint8_t *out)
{
	uint64_t off = 0, next = 0;
	char msg[64], *ans = NULL;
	unsigned int fr = 0;
	int pages = 0;
	long long n;

	while (off < d.m.frozen_blocks) {
		snprintf(msg, sizeof(msg), "map %llu %llu",
			 (unsigned long long)off, (unsigned long long)count);
		n = -1;
		if (!tl_dm_message(d.name, msg, &ans))
			n = decode_map(ans, off, out + off,
				       d.m.frozen_blocks - off, &fr, &next);
		if (n <= 0 || (uint64_t)n > count || next != off + n ||
		    fr != d.m.frozen_nr) {
			fprintf(stderr, "%s: '%s': bad answer '%.300s'\n",
				d.name, msg, ans ? ans : "");
			free(ans);
			return -1;
		}
		free(ans);
		ans = NULL;
		off = next;
		pages++;
	}
	return pages;
}

/*
 * "changes <since> <from> [<max>]" page by page to the end: each answer's
 * ranges ascend, do not touch, lie in [offset, next); the blocks they
 * cover go into @set.  Returns the pages or -1.
 */
static int read_changes(unsigned int since, uint64_t from, unsigned int max,
			uint8_t *set)
{
	unsigned long long off, next, start, nr, prev;
	unsigned int fr, count, i;
	char msg[96], *ans = NULL, *p;
	int n, pages = 0;

	memset(set, 0, d.m.frozen_blocks);
	for (off = from; off < d.m.frozen_blocks; off = next, pages++) {
		n = snprintf(msg, sizeof(msg), "changes %u %llu", since, off);
		if (max)
			snprintf(msg + n, sizeof(msg) - n, " %u", max);
		if (tl_dm_message(d.name, msg, &ans) ||
		    sscanf(ans, "%u %llu %u%n", &fr, &next, &count, &n) != 3 ||
		    fr != d.m.frozen_nr || next <= off ||
		    next > d.m.frozen_blocks ||
		    count > (max ? max : CBT_RANGES_MAX))
			goto bad;
		for (p = ans + n, prev = off, i = 0; i < count; i++, p += n) {
			if (sscanf(p, "%llu %llu%n", &start, &nr, &n) != 2 ||
			    !nr || start < prev || (i && start == prev) ||
			    start + nr > next)
				goto bad;
			memset(set + start, 1, nr);
			prev = start + nr;
		}
		if (p[strspn(p, " \n")])
			goto bad;
		free(ans);
		ans = NULL;
	}
	return pages;
bad:
	fprintf(stderr, "%s: '%s': bad answer '%.300s'\n", d.name, msg,
		ans ? ans : "");
	free(ans);
	return -1;
}

static void print_ops(void)
{
	unsigned int i;

	fprintf(stderr, "seed %u; this round's I/O:\n", seed);
	for (i = 0; i < d.nr_ops; i++)
		fprintf(stderr, "  %s\n", d.ops[i]);
}

static void check_changes(unsigned int since, uint64_t from, unsigned int max)
{
	uint8_t *set = malloc(d.m.frozen_blocks);
	uint64_t b;

	CU_ASSERT_FATAL(set != NULL);
	CU_ASSERT_FATAL(read_changes(since, from, max, set) >= 0);
	for (b = from; b < d.m.frozen_blocks; b++)
		if (set[b] != (d.m.frozen[b] > since))
			break;
	if (b < d.m.frozen_blocks) {
		fprintf(stderr, "%s: changes %u from %llu: block %llu is %s a "
			"range, its frozen number is %u\n", d.name, since,
			(unsigned long long)from, (unsigned long long)b,
			set[b] ? "in" : "not in", d.m.frozen[b]);
		print_ops();
		CU_FAIL("changes differ from the model");
	}
	free(set);
}

/* After a checkpoint: the frozen copy and the changes match the model. */
static void verify_frozen(void)
{
	uint8_t *got = malloc(d.m.frozen_blocks);
	unsigned int fr = d.m.frozen_nr, shown = 0;
	struct info in;
	uint64_t b;

	check_info(&in);
	CU_ASSERT_FATAL(got != NULL);
	CU_ASSERT_FATAL(read_map(d.m.frozen_blocks, got) > 0);
	for (b = 0; b < d.m.frozen_blocks; b++)
		if (got[b] != d.m.frozen[b] && shown++ < 8)
			fprintf(stderr, "%s: frozen block %llu is %u, model "
				"%u\n", d.name, (unsigned long long)b, got[b],
				d.m.frozen[b]);
	if (shown) {
		print_ops();
		CU_FAIL("frozen map differs from the model");
	}
	free(got);
	check_changes(0, 0, 0);
	check_changes(fr - 1, 0, 0);
	check_changes((unsigned int)rnd_below(fr), 0, 0);
	check_changes(fr, 0, 0);
	d.nr_ops = 0;
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */

static void run_oracle(const char *what, uint64_t bytes, uint32_t bs)
{
	struct info in;
	unsigned int r, i;

	dev_setup(what, bytes, bs);
	check_info(&in);
	CU_ASSERT_EQUAL(in.last_event, 0);
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < OPS; i++)
			do_io();
		checkpoint();
		verify_frozen();
	}
	dev_remove();
}

/* Sizes that are not a multiple of the block size: a partial last block. */
static void test_oracle_4k(void)
{
	run_oracle("o4k", 24 * MIB + 2560, 4096);
}

static void test_oracle_64k(void)
{
	run_oracle("o64k", 40 * MIB + 20 * KIB, 64 * KIB);
}

static void test_oracle_1m(void)
{
	run_oracle("o1m", 72 * MIB + 300 * KIB + 512, MIB);
}

static void test_mark_dirty(void)
{
	unsigned int r, i;

	dev_setup("mark", 16 * MIB + 1536, 4096);
	for (r = 0; r < 3; r++) {
		do_mark_dirty(CBT_MARK_RANGES_MAX, 0);
		do_mark_dirty(1, 0);
		for (i = 0; i < 6; i++) {
			do_io();
			do_mark_dirty(1 + (unsigned int)rnd_below(4), 0);
		}
		checkpoint();
		verify_frozen();
	}
	dev_remove();
}

/* Small pages, pages starting inside a range, the same answer twice. */
static void test_paging(void)
{
	static const char *const msgs[] = {
		"info", "map 0 100", "map 1000 100", "map 2048 1",
		"changes 0 0 3", "changes 0 700 3", "changes 1 0", "events 0",
	};
	char *first[8], *again = NULL;
	uint8_t *got;
	uint64_t b;
	unsigned int i;

	dev_setup("page", 8 * MIB + 512, 4096);		/* 2049 blocks */
	for (i = 0; i < 2; i++) {	/* a hundred short ranges or so */
		do_mark_dirty(CBT_MARK_RANGES_MAX, 8);
		do_io();
	}
	checkpoint();
	verify_frozen();

	got = malloc(d.m.frozen_blocks);
	CU_ASSERT_FATAL(got != NULL);
	CU_ASSERT(read_map(100, got) == 21);
	CU_ASSERT(memcmp(got, d.m.frozen, d.m.frozen_blocks) == 0);
	CU_ASSERT(read_map(37, got) == 56);
	CU_ASSERT(memcmp(got, d.m.frozen, d.m.frozen_blocks) == 0);
	free(got);
	check_changes(0, 0, 3);
	check_changes(0, 700, 3);
	check_changes(1, 0, 1);
	for (b = 1; b < d.m.frozen_blocks; b++)	/* inside a range */
		if (d.m.frozen[b - 1] && d.m.frozen[b])
			break;
	check_changes(0, b, 2);

	/* Writes and marks change the live map, not these answers. */
	for (i = 0; i < 8; i++)
		CU_ASSERT_FATAL(tl_dm_message(d.name, msgs[i], &first[i]) == 0);
	for (i = 0; i < 10; i++)
		do_io();
	do_mark_dirty(5, 0);
	for (i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(tl_dm_message(d.name, msgs[i], &again), 0);
		if (strcmp(first[i], again)) {
			fprintf(stderr, "'%s' answered '%.200s', then "
				"'%.200s'\n", msgs[i], first[i], again);
			CU_FAIL("the same question got another answer");
		}
		free(again);
		free(first[i]);
	}
	checkpoint();
	verify_frozen();
	dev_remove();
}

static int oracle_init(void)
{
	const char *s = getenv("CBT_SEED");

	seed = s ? (unsigned int)strtoul(s, NULL, 0) :
		   (unsigned int)time(NULL) ^ (unsigned int)getpid();
	printf("cbt oracle: seed %u (CBT_SEED=%u repeats it)\n", seed, seed);
	fflush(stdout);
	return 0;
}

static int oracle_clean(void)
{
	dev_close();
	tl_teardown();
	return 0;
}

static CU_TestInfo oracle_tests[] = {
	{ "oracle_4k", test_oracle_4k },
	{ "oracle_64k", test_oracle_64k },
	{ "oracle_1m", test_oracle_1m },
	{ "mark_dirty", test_mark_dirty },
	{ "paging", test_paging },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "oracle", oracle_init, oracle_clean, NULL, NULL, oracle_tests },
	CU_SUITE_INFO_NULL,
};
