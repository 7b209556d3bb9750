// SPDX-License-Identifier: GPL-2.0
/*
 * blkfilter data path: what goes through the filter comes back identical,
 * for every I/O size and kind, checked against a model of the whole device;
 * the counters count what was sent; the table line reads back as written.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/fs.h>

#include "testlib.h"

#define DEV_BYTES	(64ULL << 20)
/* Status INFO as numbers: the 8 fields, ring_used/ring_size counting 2. */
#define NR_FIELDS	9

static char *loop;
static char dev_path[160];
static const char *name;
static uint8_t *model;		/* what the device must hold, byte for byte */

static int io_init(void)
{
	char table[256];

	loop = tl_loop_create(DEV_BYTES);
	if (!loop)
		return -1;
	name = strdup(tl_dm_name("io"));
	snprintf(table, sizeof(table), "0 %llu blkfilter %s",
		 DEV_BYTES >> 9, loop);
	if (tl_dm_create(name, table))
		return -1;
	snprintf(dev_path, sizeof(dev_path), "/dev/mapper/%s", name);
	model = calloc(1, DEV_BYTES);
	return model ? 0 : -1;
}

static int io_clean(void)
{
	tl_teardown();
	free(model);
	free(loop);
	return 0;
}

/* Write @len bytes of pattern @seed at @off through the filter. */
static void write_pattern(int flags, uint64_t off, size_t len, uint32_t seed)
{
	void *buf;
	int fd;

	buf = tl_alloc_aligned(len);
	tl_pattern_fill(buf, len, seed, off);
	fd = open(dev_path, O_WRONLY | flags);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
	CU_ASSERT_EQUAL(fsync(fd), 0);
	close(fd);
	tl_pattern_fill(model + off, len, seed, off);
	free(buf);
}

/* The whole of @path must equal the model. */
static void check_against_model(const char *path)
{
	size_t chunk = 1 << 20;
	uint64_t off;
	void *buf;
	int fd;

	buf = tl_alloc_aligned(chunk);
	fd = open(path, O_RDONLY | O_DIRECT);
	CU_ASSERT_FATAL(fd >= 0);
	for (off = 0; off < DEV_BYTES; off += chunk) {
		CU_ASSERT_EQUAL_FATAL(pread(fd, buf, chunk, (off_t)off),
				      (ssize_t)chunk);
		if (memcmp(buf, model + off, chunk)) {
			fprintf(stderr, "%s: differs from model in MiB %llu\n",
				path, (unsigned long long)(off >> 20));
			CU_FAIL("device content differs from the model");
			break;
		}
	}
	close(fd);
	free(buf);
}

static void test_direct_sizes(void)
{
	static const size_t sizes[] = { 512, 1024, 4096, 8192, 65536,
					1 << 20, 3 << 20, 1536 };
	uint64_t off = 0;
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		write_pattern(O_DIRECT, off, sizes[i], 100 + i);
		off += sizes[i] + 512 * (i + 1);
	}
	/* The last sector of the device. */
	write_pattern(O_DIRECT, DEV_BYTES - 512, 512, 99);
	check_against_model(dev_path);
	check_against_model(loop);
}

static void test_buffered_unaligned(void)
{
	static const struct { uint64_t off; size_t len; } w[] = {
		{ 20 << 20, 1 }, { (20 << 20) + 3, 4093 }, { (21 << 20) - 7, 19 },
		{ 22 << 20, 1 << 20 }, { (24 << 20) + 511, 131073 },
		{ DEV_BYTES - 100, 100 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		write_pattern(0, w[i].off, w[i].len, 200 + i);
	check_against_model(dev_path);
	check_against_model(loop);
}

static void test_zeroout_and_discard(void)
{
	uint64_t before[NR_FIELDS], after[NR_FIELDS];
	uint64_t range[2];
	void *buf;
	int fd;

	write_pattern(O_DIRECT, 40 << 20, 4 << 20, 300);
	CU_ASSERT_FATAL(tl_dm_status(name, before, NR_FIELDS) == NR_FIELDS);

	fd = open(dev_path, O_WRONLY);
	CU_ASSERT_FATAL(fd >= 0);
	range[0] = 41 << 20;
	range[1] = 1 << 20;
	CU_ASSERT_EQUAL(ioctl(fd, BLKZEROOUT, range), 0);
	memset(model + range[0], 0, range[1]);
	range[0] = 48 << 20;
	range[1] = 2 << 20;
	CU_ASSERT_EQUAL(ioctl(fd, BLKDISCARD, range), 0);
	close(fd);

	CU_ASSERT_FATAL(tl_dm_status(name, after, NR_FIELDS) == NR_FIELDS);
	/* status: reads writes flushes discards write_zeroes ... */
	CU_ASSERT(after[3] > before[3]);
	CU_ASSERT(after[4] > before[4]);
	/* Write-zeroes the loop device cannot do falls back, no error. */
	CU_ASSERT_EQUAL(after[5], 0);
	/* Discarded bytes are undefined: take them from the device. */
	buf = tl_alloc_aligned(2 << 20);
	fd = open(loop, O_RDONLY | O_DIRECT);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(pread(fd, buf, 2 << 20, 48 << 20), 2 << 20);
	memcpy(model + (48 << 20), buf, 2 << 20);
	close(fd);
	free(buf);
	check_against_model(dev_path);
}

static void test_counters(void)
{
	uint64_t before[NR_FIELDS], after[NR_FIELDS];
	void *buf;
	int fd, i;

	buf = tl_alloc_aligned(4096);
	CU_ASSERT_FATAL(tl_dm_status(name, before, NR_FIELDS) == NR_FIELDS);
	fd = open(dev_path, O_RDWR | O_DIRECT);
	CU_ASSERT_FATAL(fd >= 0);
	for (i = 0; i < 10; i++) {
		tl_pattern_fill(buf, 4096, 400, 4096 * i);
		CU_ASSERT_EQUAL(pwrite(fd, buf, 4096, 4096 * i), 4096);
		memcpy(model + 4096 * i, buf, 4096);
	}
	for (i = 0; i < 7; i++)
		CU_ASSERT_EQUAL(pread(fd, buf, 4096, 4096 * i), 4096);
	close(fd);
	CU_ASSERT_FATAL(tl_dm_status(name, after, NR_FIELDS) == NR_FIELDS);
	CU_ASSERT_EQUAL(after[0] - before[0], 7);	/* reads */
	CU_ASSERT_EQUAL(after[1] - before[1], 10);	/* writes */
	CU_ASSERT_EQUAL(after[5], 0);			/* errors */
	CU_ASSERT_EQUAL(after[6], 0);			/* dropped */
	CU_ASSERT_EQUAL(after[7], 0);			/* ring used */
	CU_ASSERT_EQUAL(after[8], 1024);		/* ring size */
	free(buf);
}

/* "dmsetup table" gives back the constructor line, device as major:minor. */
static void test_table_line(void)
{
	static const char *const opts[] = {
		"", " 2 ring_size 64", " 2 uevent_ms 0",
		" 4 ring_size 65536 uevent_ms 250",
	};
	char table[256], want[256], *out = NULL;
	const char *tname = tl_dm_name("tableline");
	struct stat st;
	unsigned int i;

	CU_ASSERT_FATAL(stat(loop, &st) == 0);
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		snprintf(table, sizeof(table), "0 8192 blkfilter %s%s", loop,
			 opts[i]);
		CU_ASSERT_FATAL(tl_dm_create(tname, table) == 0);
		snprintf(want, sizeof(want), "0 8192 blkfilter %u:%u%s\n",
			 major(st.st_rdev), minor(st.st_rdev), opts[i]);
		CU_ASSERT_EQUAL(tl_run(&out, "dmsetup table %s", tname), 0);
		CU_ASSERT_STRING_EQUAL(out, want);
		free(out);
		CU_ASSERT_EQUAL(tl_run(NULL, "dmsetup remove %s", tname), 0);
	}
}

static CU_TestInfo io_tests[] = {
	{ "direct_sizes", test_direct_sizes },
	{ "buffered_unaligned", test_buffered_unaligned },
	{ "zeroout_and_discard", test_zeroout_and_discard },
	{ "counters", test_counters },
	{ "table_line", test_table_line },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "io", io_init, io_clean, NULL, NULL, io_tests },
	CU_SUITE_INFO_NULL,
};
