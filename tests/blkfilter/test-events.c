// SPDX-License-Identifier: GPL-2.0
/*
 * blkfilter events: errors injected beneath the filter (dm "error" ranges
 * and dm-flakey) come out as records with the right class, operation,
 * sector and length, in order, paged, idempotent; the ring's overflow is
 * counted; dm_table_event() and rate-limited uevents announce them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <linux/fs.h>

#include "testlib.h"

#define DEV_SECTORS	32768ULL
#define BAD_START	2048ULL		/* an "error" range beneath */
#define BAD_SECTORS	64ULL

static char *loop;
static char lower[128];

static int events_init(void)
{
	char table[512];

	loop = tl_loop_create(DEV_SECTORS << 9);
	if (!loop)
		return -1;
	snprintf(lower, sizeof(lower), "%s", tl_dm_name("lower"));
	snprintf(table, sizeof(table),
		 "0 %llu linear %s 0\n%llu %llu error\n%llu %llu linear %s %llu",
		 BAD_START, loop, BAD_START, BAD_SECTORS,
		 BAD_START + BAD_SECTORS, DEV_SECTORS - BAD_START - BAD_SECTORS,
		 loop, BAD_START + BAD_SECTORS);
	return tl_dm_create(lower, table) ? -1 : 0;
}

static int events_clean(void)
{
	tl_teardown();
	free(loop);
	return 0;
}

/* A filter over @below with optional arguments @opts; returns its name. */
static const char *make_filter(const char *what, const char *below,
			       const char *opts)
{
	static char name[128];
	char table[256];

	snprintf(name, sizeof(name), "%s", tl_dm_name(what));
	snprintf(table, sizeof(table), "0 %llu blkfilter /dev/mapper/%s %s",
		 DEV_SECTORS, below, opts);
	return tl_dm_create(name, table) ? NULL : name;
}

static void remove_dev(const char *name)
{
	CU_ASSERT_EQUAL(tl_run(NULL, "dmsetup remove %s", name), 0);
}

/* One O_DIRECT read or write of @sectors at @sector; returns -errno or 0. */
static int direct_io(const char *name, bool write, uint64_t sector,
		     unsigned int sectors)
{
	char path[160];
	void *buf = tl_alloc_aligned(sectors << 9);
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), "/dev/mapper/%s", name);
	fd = open(path, (write ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	memset(buf, 0xa5, sectors << 9);
	n = write ? pwrite(fd, buf, sectors << 9, sector << 9) :
		    pread(fd, buf, sectors << 9, sector << 9);
	err = n < 0 ? -errno : 0;
	close(fd);
	free(buf);
	return err;
}

struct record {
	uint64_t seq, sector;
	double time;
	unsigned int sectors;
	char class[32], op[32];
};

struct answer {
	uint64_t last_seq, first_seq, dropped;
	unsigned int count;
	struct record rec[256];
};

/* Send "events <after> [<max>]" and parse the answer; 0 or -1. */
static int read_events(const char *name, uint64_t after, unsigned int max,
		       struct answer *a, char **raw)
{
	char msg[64], *out = NULL, *line;
	unsigned int i;

	if (max)
		snprintf(msg, sizeof(msg), "events %" PRIu64 " %u", after, max);
	else
		snprintf(msg, sizeof(msg), "events %" PRIu64, after);
	if (tl_dm_message(name, msg, &out) ||
	    sscanf(out, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %u", &a->last_seq,
		   &a->first_seq, &a->dropped, &a->count) != 4 ||
	    a->count > 256) {
		free(out);
		return -1;
	}
	line = out;
	for (i = 0; i < a->count; i++) {
		struct record *r = &a->rec[i];

		line = strchr(line, '\n');
		if (!line || sscanf(++line, "%" SCNu64 " %lf %31s %31s %" SCNu64
				    " %u", &r->seq, &r->time, r->class, r->op,
				    &r->sector, &r->sectors) != 6) {
			free(out);
			return -1;
		}
	}
	if (raw)
		*raw = out;
	else
		free(out);
	return 0;
}

static void test_read_write_records(void)
{
	const char *f = make_filter("rw", lower, "");
	struct answer a;
	double now = (double)time(NULL);

	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_EQUAL(direct_io(f, false, BAD_START + 8, 8), -EIO);
	CU_ASSERT_EQUAL(direct_io(f, true, BAD_START, 16), -EIO);
	CU_ASSERT_EQUAL(direct_io(f, true, 0, 8), 0);	/* a good one */
	CU_ASSERT_EQUAL(direct_io(f, false, BAD_START + BAD_SECTORS - 1, 1),
			-EIO);

	CU_ASSERT_FATAL(read_events(f, 0, 0, &a, NULL) == 0);
	CU_ASSERT_EQUAL(a.last_seq, 3);
	CU_ASSERT_EQUAL(a.first_seq, 1);
	CU_ASSERT_EQUAL(a.dropped, 0);
	CU_ASSERT_EQUAL_FATAL(a.count, 3);
	CU_ASSERT_EQUAL(a.rec[0].seq, 1);
	CU_ASSERT_STRING_EQUAL(a.rec[0].class, "io");
	CU_ASSERT_STRING_EQUAL(a.rec[0].op, "read");
	CU_ASSERT_EQUAL(a.rec[0].sector, BAD_START + 8);
	CU_ASSERT_EQUAL(a.rec[0].sectors, 8);
	CU_ASSERT(a.rec[0].time > now - 60 && a.rec[0].time < now + 60);
	CU_ASSERT_EQUAL(a.rec[1].seq, 2);
	CU_ASSERT_STRING_EQUAL(a.rec[1].op, "write");
	CU_ASSERT_EQUAL(a.rec[1].sector, BAD_START);
	CU_ASSERT_EQUAL(a.rec[1].sectors, 16);
	CU_ASSERT_EQUAL(a.rec[2].sector, BAD_START + BAD_SECTORS - 1);
	CU_ASSERT_EQUAL(a.rec[2].sectors, 1);
	CU_ASSERT(a.rec[1].time >= a.rec[0].time);

	/* After the newest: nothing, and the header still says where. */
	CU_ASSERT_FATAL(read_events(f, 3, 0, &a, NULL) == 0);
	CU_ASSERT_EQUAL(a.count, 0);
	CU_ASSERT_EQUAL(a.last_seq, 3);
	remove_dev(f);
}

/*
 * dm-flakey with error_writes: writes and discards fail beneath, each one
 * recorded.
 */
static void test_flakey_writes(void)
{
	const char *flakey = strdup(tl_dm_name("flakey"));
	uint64_t range[2] = { 8192 << 9, 2048 << 9 }, next = 8192;
	char table[256], path[160];
	const char *f;
	struct answer a;
	unsigned int i;
	int fd;

	snprintf(table, sizeof(table),
		 "0 %llu flakey %s 0 0 1 1 error_writes", DEV_SECTORS, loop);
	CU_ASSERT_FATAL(tl_dm_create(flakey, table) == 0);
	f = make_filter("overflakey", flakey, "");
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_EQUAL(direct_io(f, true, 100, 8), -EIO);
	CU_ASSERT_EQUAL(direct_io(f, true, 5000, 24), -EIO);
	/* Discards are writes to dm-flakey: they fail too. */
	snprintf(path, sizeof(path), "/dev/mapper/%s", f);
	fd = open(path, O_WRONLY);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_NOT_EQUAL(ioctl(fd, BLKDISCARD, range), 0);
	close(fd);

	CU_ASSERT_FATAL(read_events(f, 0, 0, &a, NULL) == 0);
	CU_ASSERT_FATAL(a.count >= 3);
	CU_ASSERT_STRING_EQUAL(a.rec[0].op, "write");
	CU_ASSERT_STRING_EQUAL(a.rec[0].class, "io");
	CU_ASSERT_EQUAL(a.rec[0].sector, 100);
	CU_ASSERT_EQUAL(a.rec[0].sectors, 8);
	CU_ASSERT_STRING_EQUAL(a.rec[1].op, "write");
	CU_ASSERT_EQUAL(a.rec[1].sector, 5000);
	CU_ASSERT_EQUAL(a.rec[1].sectors, 24);
	/* The discard may be split; its pieces cover the range exactly. */
	for (i = 2; i < a.count; i++) {
		CU_ASSERT_STRING_EQUAL(a.rec[i].op, "discard");
		CU_ASSERT_EQUAL(a.rec[i].sector, next);
		next += a.rec[i].sectors;
	}
	CU_ASSERT_EQUAL(next, 8192 + 2048);
	remove_dev(f);
	remove_dev(flakey);
	free((void *)flakey);
}

/*
 * A thin pool that runs out of data space with error_if_no_space fails
 * writes with BLK_STS_NOSPC: the record's class is no_space.
 */
static void test_no_space_class(void)
{
	char *meta = tl_loop_create(4 << 20), *data = tl_loop_create(4 << 20);
	char pool[128], thin[128], table[512];
	unsigned int i, failed_at = 0;
	const char *f;
	struct answer a;
	int r;

	CU_ASSERT_FATAL(meta && data);
	snprintf(pool, sizeof(pool), "%s", tl_dm_name("pool"));
	snprintf(thin, sizeof(thin), "%s", tl_dm_name("thin"));
	CU_ASSERT_FATAL(tl_run(NULL, "dd if=/dev/zero of=%s bs=4096 count=1",
			       meta) == 0);
	snprintf(table, sizeof(table), "0 8192 thin-pool %s %s 128 0 1 "
		 "error_if_no_space", meta, data);
	CU_ASSERT_FATAL(tl_dm_create(pool, table) == 0);
	CU_ASSERT_FATAL(tl_dm_message(pool, "create_thin 0", NULL) == 0);
	snprintf(table, sizeof(table), "0 %llu thin /dev/mapper/%s 0",
		 DEV_SECTORS, pool);
	CU_ASSERT_FATAL(tl_dm_create(thin, table) == 0);
	f = make_filter("nospace", thin, "");
	CU_ASSERT_FATAL(f != NULL);

	/* 64 blocks of 64 KiB fit; the next write finds no space. */
	for (i = 0; i < 80 && !failed_at; i++) {
		r = direct_io(f, true, i * 128ULL, 128);
		if (r) {
			CU_ASSERT_EQUAL(r, -ENOSPC);
			failed_at = i;
		}
	}
	CU_ASSERT_EQUAL(failed_at, 64);
	CU_ASSERT_FATAL(read_events(f, 0, 0, &a, NULL) == 0);
	CU_ASSERT_EQUAL_FATAL(a.count, 1);
	CU_ASSERT_STRING_EQUAL(a.rec[0].class, "no_space");
	CU_ASSERT_STRING_EQUAL(a.rec[0].op, "write");
	CU_ASSERT_EQUAL(a.rec[0].sector, failed_at * 128ULL);
	CU_ASSERT_EQUAL(a.rec[0].sectors, 128);
	remove_dev(f);
	remove_dev(thin);
	remove_dev(pool);
	free(meta);
	free(data);
}

/* 300 records read in pages; same question, same answer. */
static void test_paging(void)
{
	const char *f = make_filter("paging", lower, "");
	unsigned int i, pages = 0, total = 0;
	uint64_t after = 0, sectors[300];
	char *raw1 = NULL, *raw2 = NULL;
	struct answer a;

	CU_ASSERT_FATAL(f != NULL);
	for (i = 0; i < 300; i++) {
		sectors[i] = BAD_START + (i * 7) % BAD_SECTORS;
		CU_ASSERT_EQUAL(direct_io(f, false, sectors[i], 1), -EIO);
	}
	do {
		CU_ASSERT_FATAL(read_events(f, after, 0, &a, NULL) == 0);
		CU_ASSERT(a.count <= 256);
		for (i = 0; i < a.count; i++) {
			CU_ASSERT_EQUAL_FATAL(a.rec[i].seq, after + 1);
			CU_ASSERT_EQUAL(a.rec[i].sector, sectors[after]);
			after++;
		}
		total += a.count;
		pages++;
	} while (a.count);
	CU_ASSERT_EQUAL(total, 300);
	CU_ASSERT(pages >= 3);	/* at least two full pages and the end */

	CU_ASSERT_FATAL(read_events(f, 10, 5, &a, &raw1) == 0);
	CU_ASSERT_EQUAL(a.count, 5);
	CU_ASSERT_EQUAL(a.rec[0].seq, 11);
	CU_ASSERT_FATAL(read_events(f, 10, 5, &a, &raw2) == 0);
	CU_ASSERT_STRING_EQUAL(raw1, raw2);
	free(raw1);
	free(raw2);
	remove_dev(f);
}

static void test_ring_overflow(void)
{
	const char *f = make_filter("overflow", lower, "2 ring_size 16");
	uint64_t st[9], sectors[40];
	struct answer a;
	unsigned int i;

	CU_ASSERT_FATAL(f != NULL);
	for (i = 0; i < 40; i++) {
		sectors[i] = BAD_START + i;
		CU_ASSERT_EQUAL(direct_io(f, false, sectors[i], 1), -EIO);
	}
	CU_ASSERT_FATAL(tl_dm_status(f, st, 9) == 9);
	CU_ASSERT_EQUAL(st[5], 40);	/* errors */
	CU_ASSERT_EQUAL(st[6], 24);	/* dropped */
	CU_ASSERT_EQUAL(st[7], 16);	/* used */
	CU_ASSERT_EQUAL(st[8], 16);	/* size */
	CU_ASSERT_FATAL(read_events(f, 0, 0, &a, NULL) == 0);
	CU_ASSERT_EQUAL(a.last_seq, 40);
	CU_ASSERT_EQUAL(a.first_seq, 25);
	CU_ASSERT_EQUAL(a.dropped, 24);
	CU_ASSERT_EQUAL_FATAL(a.count, 16);
	for (i = 0; i < 16; i++) {
		CU_ASSERT_EQUAL(a.rec[i].seq, 25 + i);
		CU_ASSERT_EQUAL(a.rec[i].sector, sectors[24 + i]);
	}
	remove_dev(f);
}

static void test_table_event(void)
{
	const char *f = make_filter("tevent", lower, "");
	int64_t before, now = -1;
	int i;

	CU_ASSERT_FATAL(f != NULL);
	before = tl_dm_event_nr(f);
	CU_ASSERT_FATAL(before >= 0);
	CU_ASSERT_EQUAL(direct_io(f, false, BAD_START, 1), -EIO);
	/* The worker runs soon after; give it up to 10 s under emulation. */
	for (i = 0; i < 100; i++) {
		now = tl_dm_event_nr(f);
		if (now > before)
			break;
		usleep(100000);
	}
	CU_ASSERT(now > before);
	remove_dev(f);
}

/* ------------------------------------------------------------------ */
/* Uevents                                                            */

/*
 * Collect our uevents for device @dev ("major:minor") until none comes for
 * @ms; returns how many, and the COWSNAP_SEQ of the last in *last_seq.
 */
static int uevent_collect(int fd, const char *dev, int ms, uint64_t *last_seq)
{
	uint64_t seq;
	int n = 0;

	while ((seq = tl_uevent_wait(fd, dev, "blkfilter", "io_error", ms))) {
		n++;
		*last_seq = seq;
	}
	return n;
}

static void test_uevent(void)
{
	int fd = tl_uevent_open();
	const char *f = make_filter("uevent", lower, "2 uevent_ms 0");
	uint64_t seq = 0;
	char dev[32];
	int n;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(f != NULL);
	snprintf(dev, sizeof(dev), "%s", tl_dm_dev(f));
	CU_ASSERT_EQUAL(direct_io(f, false, BAD_START, 1), -EIO);
	n = uevent_collect(fd, dev, 3000, &seq);
	CU_ASSERT(n >= 1);
	CU_ASSERT_EQUAL(seq, 1);
	CU_ASSERT_EQUAL(direct_io(f, true, BAD_START, 1), -EIO);
	CU_ASSERT_EQUAL(direct_io(f, true, BAD_START, 1), -EIO);
	n = uevent_collect(fd, dev, 3000, &seq);
	CU_ASSERT(n >= 1 && n <= 2);
	CU_ASSERT_EQUAL(seq, 3);
	close(fd);
	remove_dev(f);
}

/* With a 60 s limit, a burst of errors gives exactly one uevent. */
static void test_uevent_rate_limit(void)
{
	int fd = tl_uevent_open();
	const char *f = make_filter("ratelimit", lower, "2 uevent_ms 60000");
	uint64_t seq = 0, st[9];
	char dev[32];
	int i;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(f != NULL);
	snprintf(dev, sizeof(dev), "%s", tl_dm_dev(f));
	for (i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(direct_io(f, false, BAD_START + i, 1), -EIO);
	CU_ASSERT_EQUAL(uevent_collect(fd, dev, 3000, &seq), 1);
	CU_ASSERT(seq >= 1 && seq <= 10);
	CU_ASSERT_FATAL(tl_dm_status(f, st, 9) == 9);
	CU_ASSERT_EQUAL(st[5], 10);
	close(fd);
	/* Removing it with a uevent still due must not wait for it. */
	remove_dev(f);
}

static CU_TestInfo events_tests[] = {
	{ "read_write_records", test_read_write_records },
	{ "flakey_writes_discards", test_flakey_writes },
	{ "no_space_class", test_no_space_class },
	{ "paging", test_paging },
	{ "ring_overflow", test_ring_overflow },
	{ "table_event", test_table_event },
	{ "uevent", test_uevent },
	{ "uevent_rate_limit", test_uevent_rate_limit },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "events", events_init, events_clean, NULL, NULL, events_tests },
	CU_SUITE_INFO_NULL,
};
