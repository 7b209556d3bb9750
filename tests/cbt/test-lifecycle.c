// SPDX-License-Identifier: GPL-2.0
/*
 * cbt tracker lifecycle: 255 checkpoints wrap into a new generation, told
 * by an event record, a uevent and a dm event; the tracker (live map,
 * frozen copy, numbers, generation) survives table reloads, moving between
 * devices with other layers above and beneath it, and growing; two
 * trackers are independent; the last table's removal frees the tracker;
 * growing beyond what a map can hold loses tracking, said everywhere.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/dm-cbt.h>

#include "testlib.h"

#define BS		4096U
#define DEV_BYTES	(4ULL << 20)		/* 1024 blocks of BS */
#define MAXB		1024

/* What the tracker must hold, for writes of whole blocks. */
struct model {
	uint64_t blocks;
	uint32_t bs;
	unsigned int current, frozen_nr;
	uint8_t map[MAXB], frozen[MAXB];
};

struct info {
	unsigned long long capacity, blocks, frozen_blocks, memory, last_event;
	unsigned int block_size, current, frozen;
	char state[16], generation[40], frozen_generation[40];
};

static int lifecycle_clean(void)
{
	tl_teardown();
	return 0;
}

static void model_init(struct model *m, uint64_t bytes, uint32_t bs)
{
	memset(m, 0, sizeof(*m));
	m->bs = bs;
	m->blocks = (bytes + bs - 1) / bs;
	m->current = 1;
}

/* Returns 1 when the checkpoint begins a new generation. */
static int model_checkpoint(struct model *m)
{
	memcpy(m->frozen, m->map, m->blocks);
	m->frozen_nr = m->current;
	if (m->current++ < CBT_CHANGE_MAX)
		return 0;
	memset(m->map, 0, sizeof(m->map));
	m->current = 1;
	return 1;
}

/*
 * A cbt device for @what over @dev with tracker @id-<pid>; its name
 * (a static buffer) or NULL.
 */
static const char *make_cbt(const char *what, const char *dev, uint64_t bytes,
			    const char *id, uint32_t bs)
{
	static char name[128];
	char table[512];

	snprintf(name, sizeof(name), "%s", tl_dm_name(what));
	snprintf(table, sizeof(table), "0 %llu cbt %s %s-%d 2 block_size %u",
		 (unsigned long long)(bytes >> 9), dev, id, (int)getpid(), bs);
	return tl_dm_create(name, table) ? NULL : name;
}

static void run_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void run_ok(const char *fmt, ...)
{
	char *cmd, *out = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (tl_run(&out, "%s", cmd)) {
		fprintf(stderr, "'%s' failed: %s", cmd, out);
		CU_FAIL("command failed");
	}
	free(out);
	free(cmd);
}

/* O_DIRECT write of blocks [@b, @b + @n) through /dev/mapper/@dev. */
static void write_blocks(const char *dev, struct model *m, uint64_t b,
			 unsigned int n)
{
	char path[160];
	void *buf = tl_alloc_aligned((size_t)n * m->bs);
	int fd;

	snprintf(path, sizeof(path), "/dev/mapper/%s", dev);
	memset(buf, 0x5a, (size_t)n * m->bs);
	fd = open(path, O_WRONLY | O_DIRECT);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(pwrite(fd, buf, (size_t)n * m->bs, b * m->bs),
			(ssize_t)n * m->bs);
	close(fd);
	free(buf);
	memset(m->map + b, (int)m->current, n);
}

static int get_info(const char *dev, struct info *in)
{
	char *out = NULL;
	int n = -1;

	if (!tl_dm_message(dev, "info", &out))
		n = sscanf(out, "capacity=%llu block_size=%u blocks=%llu "
			   "state=%15s generation=%39s current=%u frozen=%u "
			   "frozen_generation=%39s frozen_blocks=%llu "
			   "memory=%llu last_event=%llu", &in->capacity,
			   &in->block_size, &in->blocks, in->state,
			   in->generation, &in->current, &in->frozen,
			   in->frozen_generation, &in->frozen_blocks,
			   &in->memory, &in->last_event);
	if (n != 11)
		fprintf(stderr, "%s: info: bad answer '%s'\n", dev,
			out ? out : "");
	free(out);
	return n == 11 ? 0 : -1;
}

/* "checkpoint": the answer's numbers; 0 or -1. */
static int checkpoint(const char *dev, unsigned int *frozen, char *gen,
		      int *reset)
{
	char *out = NULL;
	int n = -1;

	if (!tl_dm_message(dev, "checkpoint", &out))
		n = sscanf(out, "frozen=%u generation=%39s reset=%d", frozen,
			   gen, reset);
	free(out);
	return n == 3 ? 0 : -1;
}

/* The whole frozen copy (@blocks blocks) decoded into @out; 0 or -1. */
static int read_map(const char *dev, uint64_t blocks, uint8_t *out)
{
	unsigned long long off = 0, nr, next, run, done;
	unsigned int fr, val;
	char msg[64], *ans = NULL, *p;
	int n;

	while (off < blocks) {
		snprintf(msg, sizeof(msg), "map %llu %llu", off, blocks - off);
		if (tl_dm_message(dev, msg, &ans) ||
		    sscanf(ans, "%u %*u %llu %llu%n", &fr, &nr, &next,
			   &n) != 3 || next != off + nr || !nr || next > blocks)
			goto bad;
		for (p = ans + n, done = 0; *(p += strspn(p, " \n")); ) {
			if (sscanf(p, "%2x", &val) != 1 || p[2] != 'x' ||
			    !isdigit(p[3]))
				goto bad;
			run = strtoull(p + 3, &p, 10);
			if (!run || run > nr - done)
				goto bad;
			memset(out + off + done, (int)val, run);
			done += run;
		}
		if (done != nr)
			goto bad;
		free(ans);
		ans = NULL;
		off = next;
	}
	return 0;
bad:
	fprintf(stderr, "%s: '%s': bad answer '%.300s'\n", dev, msg,
		ans ? ans : "");
	free(ans);
	return -1;
}

/*
 * Checkpoint @dev; its answer (with the generation in force before it)
 * and its frozen copy must match the model.
 */
static void checkpoint_and_compare(const char *dev, struct model *m)
{
	uint8_t got[MAXB];
	unsigned int frozen = 0;
	struct info in;
	char gen[40] = "";
	int reset = -1;
	uint64_t b;

	CU_ASSERT_FATAL(get_info(dev, &in) == 0);
	CU_ASSERT_FATAL(checkpoint(dev, &frozen, gen, &reset) == 0);
	CU_ASSERT_EQUAL(reset, model_checkpoint(m));
	CU_ASSERT_EQUAL(frozen, m->frozen_nr);
	CU_ASSERT_STRING_EQUAL(gen, in.generation);
	CU_ASSERT_FATAL(read_map(dev, m->blocks, got) == 0);
	for (b = 0; b < m->blocks; b++)
		if (got[b] != m->frozen[b]) {
			fprintf(stderr, "%s: frozen block %llu is %u, not %u\n",
				dev, (unsigned long long)b, got[b],
				m->frozen[b]);
			CU_FAIL("frozen copy differs from the model");
			break;
		}
}

/* ------------------------------------------------------------------ */
/* Generation reset                                                   */

/* The single record of "events 0" and what status INFO says. */
static void check_reset_record(const char *name, const struct info *in)
{
	unsigned long long last = 0, first = 0, seq = 0, sec, nsec;
	char *out = NULL, ev[32] = "", gen[40] = "", state[16] = "";
	unsigned long long blocks = 0, mem, slast = 0;
	unsigned int count = 0, cur = 0, fr = 0, bs = 0;
	char sgen[40] = "";

	CU_ASSERT_FATAL(tl_dm_message(name, "events 0", &out) == 0);
	CU_ASSERT_EQUAL(sscanf(out, "%llu %llu %u\n%llu %llu.%llu %31s %39s",
			       &last, &first, &count, &seq, &sec, &nsec, ev,
			       gen), 8);
	CU_ASSERT_EQUAL(count, 1);
	CU_ASSERT(last == in->last_event && seq == last && first <= seq);
	CU_ASSERT_STRING_EQUAL(ev, CBT_EVENT_GENERATION_RESET);
	CU_ASSERT_STRING_EQUAL(gen, in->generation);	/* the new one */
	free(out);
	CU_ASSERT_FATAL(tl_run(&out, "dmsetup status %s", name) == 0);
	CU_ASSERT_EQUAL(sscanf(out, "%*u %*u cbt %15s %39s %u %u %u %llu %llu "
			       "%llu", state, sgen, &cur, &fr, &bs, &blocks,
			       &mem, &slast), 8);
	CU_ASSERT_STRING_EQUAL(state, "tracking");
	CU_ASSERT_STRING_EQUAL(sgen, in->generation);
	CU_ASSERT(cur == in->current && fr == in->frozen && bs == BS);
	CU_ASSERT(blocks == in->blocks && slast == in->last_event);
	free(out);
}

static void test_generation_reset(void)
{
	char *loop = tl_loop_create(DEV_BYTES), *out = NULL, dev[32];
	char gen[40] = "";
	const char *name = make_cbt("wrap", loop, DEV_BYTES, "wrap", BS);
	unsigned int n, frozen = 0, bad = 0;
	unsigned long long next = 0, start = 0, nr = 0;
	struct info a, b;
	struct model m;
	int64_t ev0, ev = -1;
	int reset = -1, fd, i;

	CU_ASSERT_FATAL(name != NULL);
	snprintf(dev, sizeof(dev), "%s", tl_dm_dev(name));
	model_init(&m, DEV_BYTES, BS);
	write_blocks(name, &m, 0, 1);
	CU_ASSERT_FATAL(get_info(name, &a) == 0);
	CU_ASSERT_EQUAL(a.last_event, 0);
	for (n = 1; n < CBT_CHANGE_MAX; n++) {	/* no reset in these */
		if (checkpoint(name, &frozen, gen, &reset) || frozen != n ||
		    reset != 0 || strcmp(gen, a.generation)) {
			fprintf(stderr, "checkpoint %u: frozen=%u %s "
				"reset=%d\n", n, frozen, gen, reset);
			bad++;
		}
		model_checkpoint(&m);
	}
	CU_ASSERT_FATAL(bad == 0);
	CU_ASSERT_FATAL(get_info(name, &b) == 0);
	CU_ASSERT_EQUAL(b.current, CBT_CHANGE_MAX);
	CU_ASSERT_EQUAL(b.last_event, 0);
	write_blocks(name, &m, 1, 2);		/* marked 255 */

	fd = tl_uevent_open();
	CU_ASSERT_FATAL(fd >= 0);
	ev0 = tl_dm_event_nr(name);
	checkpoint_and_compare(name, &m);	/* reset=1, frozen=255 */
	CU_ASSERT_FATAL(get_info(name, &b) == 0);
	CU_ASSERT_EQUAL(b.current, 1);
	CU_ASSERT_EQUAL(b.frozen, CBT_CHANGE_MAX);
	CU_ASSERT_STRING_EQUAL(b.frozen_generation, a.generation);
	CU_ASSERT_STRING_NOT_EQUAL(b.generation, a.generation);
	CU_ASSERT_EQUAL(strlen(b.generation), 36);
	CU_ASSERT(b.last_event >= 1);
	CU_ASSERT_EQUAL(tl_dm_message(name, "changes 254 0", &out), 0);
	CU_ASSERT_EQUAL(sscanf(out, "%u %llu %u %llu %llu", &frozen, &next,
			       &n, &start, &nr), 5);
	CU_ASSERT(frozen == 255 && next == 1024 && n == 1);
	CU_ASSERT(start == 1 && nr == 2);
	free(out);
	check_reset_record(name, &b);
	CU_ASSERT_EQUAL(tl_uevent_wait(fd, dev, CBT_TARGET_NAME,
				       CBT_EVENT_GENERATION_RESET, 5000),
			b.last_event);
	close(fd);
	for (i = 0; i < 100 && (ev = tl_dm_event_nr(name)) <= ev0; i++)
		usleep(100000);
	CU_ASSERT(ev > ev0);

	/* The live map started empty; the 256th checkpoint is number 1. */
	checkpoint_and_compare(name, &m);
	CU_ASSERT_EQUAL(m.frozen_nr, 1);
	CU_ASSERT_FATAL(get_info(name, &a) == 0);
	CU_ASSERT_STRING_EQUAL(a.generation, b.generation);
	CU_ASSERT_EQUAL(a.current, 2);
	CU_ASSERT_EQUAL(a.last_event, b.last_event);
	run_ok("dmsetup remove %s", name);
	free(loop);
}

/* ------------------------------------------------------------------ */
/* Surviving reloads, layer changes and growth                        */

/* The numbers of a tracker that must survive a change of its tables. */
static void same_tracker(const struct info *a, const struct info *b)
{
	CU_ASSERT_STRING_EQUAL(a->generation, b->generation);
	CU_ASSERT_STRING_EQUAL(a->frozen_generation, b->frozen_generation);
	CU_ASSERT_EQUAL(a->current, b->current);
	CU_ASSERT_EQUAL(a->frozen, b->frozen);
	CU_ASSERT_EQUAL(a->frozen_blocks, b->frozen_blocks);
	CU_ASSERT_EQUAL(a->block_size, b->block_size);
	CU_ASSERT_EQUAL(a->last_event, b->last_event);
}

static void test_reload(void)
{
	char *loop = tl_loop_create(DEV_BYTES), *map1 = NULL, *map2 = NULL;
	const char *name = make_cbt("reload", loop, DEV_BYTES, "reload", BS);
	char table[512], *out = NULL;
	struct info a, b;
	struct model m;

	CU_ASSERT_FATAL(name != NULL);
	model_init(&m, DEV_BYTES, BS);
	write_blocks(name, &m, 3, 2);
	checkpoint_and_compare(name, &m);
	write_blocks(name, &m, 10, 1);		/* in the live map only */
	write_blocks(name, &m, 4, 1);
	CU_ASSERT_FATAL(get_info(name, &a) == 0);
	CU_ASSERT_FATAL(tl_dm_message(name, "map 0 1024", &map1) == 0);
	CU_ASSERT_FATAL(tl_run(&out, "dmsetup table %s", name) == 0);
	snprintf(table, sizeof(table), "%.*s", (int)strcspn(out, "\n"), out);
	free(out);
	run_ok("dmsetup reload %s --table '%s'", name, table);
	run_ok("dmsetup suspend %s && dmsetup resume %s", name, name);
	CU_ASSERT_FATAL(get_info(name, &b) == 0);
	same_tracker(&a, &b);
	CU_ASSERT_FATAL(tl_dm_message(name, "map 0 1024", &map2) == 0);
	CU_ASSERT_STRING_EQUAL(map1, map2);
	CU_ASSERT_FATAL(tl_run(&out, "dmsetup table %s", name) == 0);
	CU_ASSERT_NSTRING_EQUAL(out, table, strlen(table));
	free(out);
	write_blocks(name, &m, 20, 1);
	checkpoint_and_compare(name, &m);	/* 3,4: 1; 4,10,20: 2 */
	run_ok("dmsetup remove %s", name);
	free(map1);
	free(map2);
	free(loop);
}

#define CBT_LINE "'0 %llu cbt %s %s 2 block_size %u'"

/*
 * The way cowsnapctl changes a volume's stack: the tracker moves from the
 * volume to a hidden device under a blkfilter, gets a blkfilter and then
 * a linear device beneath, and comes back.  Writes go to the volume.
 */
static void test_layers(void)
{
	char *loop = tl_loop_create(DEV_BYTES), top[128], mid[128], bf[128];
	unsigned long long sect = DEV_BYTES >> 9;
	char lin[128], id[64], gen[40];
	struct info a, b;
	struct model m;

	CU_ASSERT_FATAL(loop != NULL);
	snprintf(top, sizeof(top), "%s", tl_dm_name("vol"));
	snprintf(mid, sizeof(mid), "%s", tl_dm_name("vol-cbt"));
	snprintf(bf, sizeof(bf), "%s", tl_dm_name("vol-bf"));
	snprintf(lin, sizeof(lin), "%s", tl_dm_name("vol-lin"));
	snprintf(id, sizeof(id), "layers-%d", (int)getpid());
	/* Whatever the stack is when a test fails: top-down, a few passes. */
	tl_defer("for i in 1 2 3; do for n in %s %s %s %s; do "
		 "dmsetup remove $n 2>/dev/null; done; done; true",
		 top, mid, bf, lin);
	model_init(&m, DEV_BYTES, BS);

	run_ok("dmsetup create %s --table " CBT_LINE, top, sect, loop, id, BS);
	write_blocks(top, &m, 0, 3);
	checkpoint_and_compare(top, &m);
	write_blocks(top, &m, 2, 2);		/* live marks move along */
	CU_ASSERT_FATAL(get_info(top, &a) == 0);
	snprintf(gen, sizeof(gen), "%s", a.generation);

	/* The volume gets a blkfilter; the tracker goes beneath it. */
	run_ok("dmsetup suspend %s", top);
	run_ok("dmsetup create %s --table " CBT_LINE, mid, sect, loop, id, BS);
	run_ok("dmsetup reload %s --table '0 %llu blkfilter /dev/mapper/%s'",
	       top, sect, mid);
	run_ok("dmsetup resume %s", top);
	CU_ASSERT_FATAL(get_info(mid, &b) == 0);
	same_tracker(&a, &b);
	write_blocks(top, &m, 100, 1);
	checkpoint_and_compare(mid, &m);
	write_blocks(top, &m, 101, 1);

	/* A blkfilter beneath the tracker. */
	run_ok("dmsetup create %s --table '0 %llu blkfilter %s'", bf, sect,
	       loop);
	run_ok("dmsetup reload %s --table '0 %llu cbt /dev/mapper/%s %s 2 "
	       "block_size %u'", mid, sect, bf, id, BS);
	run_ok("dmsetup suspend %s && dmsetup resume %s", mid, mid);
	write_blocks(top, &m, 200, 4);
	checkpoint_and_compare(mid, &m);
	write_blocks(top, &m, 201, 1);

	/* A linear device beneath instead. */
	run_ok("dmsetup create %s --table '0 %llu linear %s 0'", lin, sect,
	       loop);
	run_ok("dmsetup reload %s --table '0 %llu cbt /dev/mapper/%s %s 2 "
	       "block_size %u'", mid, sect, lin, id, BS);
	run_ok("dmsetup suspend %s && dmsetup resume %s", mid, mid);
	run_ok("dmsetup remove %s", bf);
	write_blocks(top, &m, 300, 1);
	checkpoint_and_compare(mid, &m);
	write_blocks(top, &m, 301, 1);

	/* Back on the volume; the hidden device goes. */
	CU_ASSERT_FATAL(get_info(mid, &a) == 0);
	run_ok("dmsetup reload %s --table '0 %llu cbt /dev/mapper/%s %s 2 "
	       "block_size %u'", top, sect, lin, id, BS);
	run_ok("dmsetup suspend %s && dmsetup resume %s", top, top);
	run_ok("dmsetup remove %s", mid);
	CU_ASSERT_FATAL(get_info(top, &b) == 0);
	same_tracker(&a, &b);
	CU_ASSERT_STRING_EQUAL(b.generation, gen);
	write_blocks(top, &m, 1023, 1);
	checkpoint_and_compare(top, &m);
	run_ok("dmsetup remove %s && dmsetup remove %s", top, lin);
	free(loop);
}

/* Growing: the new blocks count as changed at the next checkpoint. */
static void test_resize(void)
{
	const uint64_t old = 8 << 20, grown = (12 << 20) + (20 << 10);
	const uint32_t bs = 64 << 10;		/* 128, then 193 blocks */
	char *loop = tl_loop_create(old), *out = NULL, file[256], line[512];
	const char *name = make_cbt("grow", loop, old, "grow", bs);
	uint8_t got[MAXB];
	struct info in;
	struct model m;

	CU_ASSERT_FATAL(name != NULL);
	model_init(&m, old, bs);
	write_blocks(name, &m, 5, 1);
	checkpoint_and_compare(name, &m);
	write_blocks(name, &m, 7, 1);

	CU_ASSERT_FATAL(tl_run(&out, "losetup -l -n -O BACK-FILE %s",
			       loop) == 0);
	snprintf(file, sizeof(file), "%.*s", (int)strcspn(out, " \n"), out);
	free(out);
	CU_ASSERT_FATAL(truncate(file, grown) == 0);
	run_ok("losetup -c %s", loop);
	CU_ASSERT_EQUAL_FATAL(tl_dev_bytes(loop), grown);
	snprintf(line, sizeof(line), "0 %llu cbt %s grow-%d 2 block_size %u",
		 (unsigned long long)(grown >> 9), loop, (int)getpid(), bs);
	run_ok("dmsetup reload %s --table '%s'", name, line);
	run_ok("dmsetup suspend %s && dmsetup resume %s", name, name);

	CU_ASSERT_FATAL(get_info(name, &in) == 0);
	CU_ASSERT_EQUAL(in.capacity, grown >> 9);
	CU_ASSERT_EQUAL(in.blocks, 193);
	CU_ASSERT_EQUAL(in.current, 2);
	CU_ASSERT_EQUAL(in.frozen_blocks, 128);	/* the old frozen copy */
	CU_ASSERT_FATAL(read_map(name, 128, got) == 0);
	CU_ASSERT(memcmp(got, m.frozen, 128) == 0);

	memset(m.map + m.blocks, (int)m.current, 193 - m.blocks);
	m.blocks = 193;
	write_blocks(name, &m, 190, 1);
	checkpoint_and_compare(name, &m);
	CU_ASSERT_FATAL(get_info(name, &in) == 0);
	CU_ASSERT_EQUAL(in.frozen_blocks, 193);
	run_ok("dmsetup remove %s", name);
	free(loop);
}

static void test_two_trackers(void)
{
	char *la = tl_loop_create(DEV_BYTES), *lb = tl_loop_create(DEV_BYTES);
	char a[128], b[128];
	struct model ma, mb;
	struct info ia, ib;

	CU_ASSERT_FATAL(la && lb);
	CU_ASSERT_FATAL(make_cbt("one", la, DEV_BYTES, "one", BS) != NULL);
	snprintf(a, sizeof(a), "%s", tl_dm_name("one"));
	CU_ASSERT_FATAL(make_cbt("two", lb, DEV_BYTES, "two", BS) != NULL);
	snprintf(b, sizeof(b), "%s", tl_dm_name("two"));
	model_init(&ma, DEV_BYTES, BS);
	model_init(&mb, DEV_BYTES, BS);

	write_blocks(a, &ma, 1, 2);
	CU_ASSERT_EQUAL(tl_dm_message(b, "mark_dirty 80 8", NULL), 0);
	mb.map[10] = 1;
	checkpoint_and_compare(a, &ma);
	write_blocks(a, &ma, 3, 1);
	checkpoint_and_compare(a, &ma);
	CU_ASSERT_FATAL(get_info(a, &ia) == 0 && get_info(b, &ib) == 0);
	CU_ASSERT_STRING_NOT_EQUAL(ia.generation, ib.generation);
	CU_ASSERT_EQUAL(ia.current, 3);
	CU_ASSERT(ib.current == 1 && ib.frozen == 0);
	checkpoint_and_compare(b, &mb);
	checkpoint_and_compare(a, &ma);
	run_ok("dmsetup remove %s && dmsetup remove %s", a, b);
	free(la);
	free(lb);
}

/*
 * Two tables share a tracker; removing one keeps it, removing the last
 * frees it: the same id then starts afresh.
 */
static void test_freed_with_last_table(void)
{
	char *loop = tl_loop_create(DEV_BYTES), a[128], b[128];
	struct info ia, ib;
	struct model m;
	int i;

	CU_ASSERT_FATAL(loop != NULL);
	CU_ASSERT_FATAL(make_cbt("first", loop, DEV_BYTES, "fresh",
				 BS) != NULL);
	snprintf(a, sizeof(a), "%s", tl_dm_name("first"));
	model_init(&m, DEV_BYTES, BS);
	write_blocks(a, &m, 1, 1);
	for (i = 0; i < 3; i++)
		checkpoint_and_compare(a, &m);
	CU_ASSERT_FATAL(get_info(a, &ia) == 0);
	CU_ASSERT_FATAL(make_cbt("second", loop, DEV_BYTES, "fresh",
				 BS) != NULL);
	snprintf(b, sizeof(b), "%s", tl_dm_name("second"));
	CU_ASSERT_FATAL(get_info(b, &ib) == 0);
	same_tracker(&ia, &ib);
	write_blocks(b, &m, 2, 1);
	run_ok("dmsetup remove %s", a);
	checkpoint_and_compare(b, &m);		/* 1: 1, 2: 4 */
	run_ok("dmsetup remove %s", b);

	CU_ASSERT_FATAL(make_cbt("first", loop, DEV_BYTES, "fresh",
				 BS) != NULL);
	CU_ASSERT_FATAL(get_info(a, &ib) == 0);
	CU_ASSERT_STRING_NOT_EQUAL(ib.generation, ia.generation);
	CU_ASSERT(ib.current == 1 && ib.frozen == 0 && ib.last_event == 0);
	CU_ASSERT_STRING_EQUAL(ib.frozen_generation, "-");
	model_init(&m, DEV_BYTES, BS);
	checkpoint_and_compare(a, &m);		/* nothing of the old one */
	run_ok("dmsetup remove %s", a);
	free(loop);
}

/* ------------------------------------------------------------------ */
/* Tracking lost                                                      */

/* "dmsetup message" to @dev fails and the kernel log since @kfd has @what. */
static void refused_with(const char *dev, const char *msg, int kfd,
			 const char *what)
{
	char *log;

	CU_ASSERT_NOT_EQUAL(tl_dm_message(dev, msg, NULL), 0);
	log = tl_kmsg_read(kfd);
	CU_ASSERT_FATAL(log != NULL);
	if (!strstr(log, what)) {
		fprintf(stderr, "'%s': no '%s' in the log:\n%s", msg, what,
			log);
		CU_FAIL("the refusal is not explained in the kernel log");
	}
	CU_ASSERT(!tl_kmsg_has_warning(log));
	free(log);
}

/*
 * A map needs a byte per block, at most CBT_MAP_MAX (2 GiB - 1): a table
 * needing more for a new tracker is refused and explained; a live tracker
 * grown beyond it loses tracking: state "lost" with a new generation, one
 * tracking_lost record, a uevent and a dm event; frozen-copy readers fail
 * with ENODATA; a checkpoint cannot start over at that size and says so;
 * I/O goes on; no allocation warning anywhere.  The last table's removal
 * frees the lost tracker and the same id starts afresh.
 */
static void test_tracking_lost(void)
{
	const unsigned long long big = 1ULL << 34;	/* 2^31 blocks of BS */
	char *loop = tl_loop_create(DEV_BYTES), *log, zero[128], huge[128];
	const char *name = make_cbt("lose", loop, DEV_BYTES, "lose", BS);
	char dev[32], table[512];
	unsigned long long last = 0, first = 0, seq = 0, sec, nsec;
	char *out = NULL, ev[32] = "", gen[40] = "";
	unsigned int count = 0;
	int64_t ev0, evn = -1;
	struct info a, b;
	struct model m;
	int ufd, kfd, i;

	CU_ASSERT_FATAL(name != NULL);
	snprintf(dev, sizeof(dev), "%s", tl_dm_dev(name));
	model_init(&m, DEV_BYTES, BS);
	write_blocks(name, &m, 3, 2);
	checkpoint_and_compare(name, &m);
	CU_ASSERT_FATAL(get_info(name, &a) == 0);
	snprintf(zero, sizeof(zero), "%s", tl_dm_name("zero"));
	snprintf(table, sizeof(table), "0 %llu zero", big);
	CU_ASSERT_FATAL(tl_dm_create(zero, table) == 0);

	/* A new tracker that big: refused, nothing made. */
	kfd = tl_kmsg_open();
	CU_ASSERT_FATAL(kfd >= 0);
	snprintf(huge, sizeof(huge), "%s", tl_dm_name("huge"));
	snprintf(table, sizeof(table), "0 %llu cbt /dev/mapper/%s huge-%d 2 "
		 "block_size %u", big, zero, (int)getpid(), BS);
	CU_ASSERT_NOT_EQUAL(tl_dm_create(huge, table), 0);
	CU_ASSERT_STRING_EQUAL(tl_dm_dev(huge), "");
	log = tl_kmsg_read(kfd);
	CU_ASSERT_FATAL(log != NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "change map would exceed 2 GiB"));
	CU_ASSERT(!tl_kmsg_has_warning(log));
	free(log);

	/* The live tracker grown that big: lost. */
	ufd = tl_uevent_open();
	CU_ASSERT_FATAL(ufd >= 0);
	ev0 = tl_dm_event_nr(name);
	snprintf(table, sizeof(table), "0 %llu cbt /dev/mapper/%s lose-%d 2 "
		 "block_size %u", big, zero, (int)getpid(), BS);
	run_ok("dmsetup reload %s --table '%s'", name, table);
	run_ok("dmsetup suspend %s && dmsetup resume %s", name, name);
	CU_ASSERT_FATAL(get_info(name, &b) == 0);
	CU_ASSERT_STRING_EQUAL(b.state, "lost");
	CU_ASSERT_STRING_NOT_EQUAL(b.generation, a.generation);
	CU_ASSERT_EQUAL(b.capacity, big);
	CU_ASSERT(b.blocks == 0 && b.frozen_blocks == 0 && b.frozen == 0);
	CU_ASSERT_EQUAL(b.last_event, a.last_event + 1);
	CU_ASSERT_FATAL(tl_dm_message(name, "events 0", &out) == 0);
	CU_ASSERT_EQUAL(sscanf(out, "%llu %llu %u\n%llu %llu.%llu %31s %39s",
			       &last, &first, &count, &seq, &sec, &nsec, ev,
			       gen), 8);
	CU_ASSERT(count == 1 && seq == b.last_event && last == seq);
	CU_ASSERT_STRING_EQUAL(ev, CBT_EVENT_TRACKING_LOST);
	CU_ASSERT_STRING_EQUAL(gen, b.generation);
	free(out);
	CU_ASSERT_EQUAL(tl_uevent_wait(ufd, dev, CBT_TARGET_NAME,
				       CBT_EVENT_TRACKING_LOST, 5000),
			b.last_event);
	close(ufd);
	for (i = 0; i < 100 && (evn = tl_dm_event_nr(name)) <= ev0; i++)
		usleep(100000);
	CU_ASSERT(evn > ev0);
	log = tl_kmsg_read(kfd);
	CU_ASSERT_FATAL(log != NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "tracking lost"));
	CU_ASSERT(!tl_kmsg_has_warning(log));
	free(log);

	/* Nothing to read, no way to start over at that size; I/O goes on. */
	refused_with(name, "map 0 16", kfd, "tracking lost");
	refused_with(name, "changes 1 0", kfd, "tracking lost");
	refused_with(name, "checkpoint", kfd,
		     "no memory for a new change map (2147483648 blocks)");
	write_blocks(name, &m, 0, 4);
	CU_ASSERT_FATAL(get_info(name, &b) == 0);
	CU_ASSERT_STRING_EQUAL(b.state, "lost");

	/* The last table gone, the same id is a new, tracking tracker. */
	run_ok("dmsetup remove %s", name);
	CU_ASSERT_FATAL(make_cbt("lose", loop, DEV_BYTES, "lose", BS) != NULL);
	CU_ASSERT_FATAL(get_info(name, &a) == 0);
	CU_ASSERT_STRING_EQUAL(a.state, "tracking");
	CU_ASSERT_STRING_NOT_EQUAL(a.generation, b.generation);
	CU_ASSERT(a.capacity == DEV_BYTES >> 9 && a.last_event == 0);
	model_init(&m, DEV_BYTES, BS);
	write_blocks(name, &m, 7, 1);
	checkpoint_and_compare(name, &m);
	run_ok("dmsetup remove %s && dmsetup remove %s", name, zero);
	close(kfd);
	free(loop);
}

static CU_TestInfo lifecycle_tests[] = {
	{ "generation_reset", test_generation_reset },
	{ "reload", test_reload },
	{ "layers", test_layers },
	{ "resize", test_resize },
	{ "two_trackers", test_two_trackers },
	{ "freed_with_last_table", test_freed_with_last_table },
	{ "tracking_lost", test_tracking_lost },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "lifecycle", NULL, lifecycle_clean, NULL, NULL, lifecycle_tests },
	CU_SUITE_INFO_NULL,
};
