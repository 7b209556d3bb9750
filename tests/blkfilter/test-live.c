// SPDX-License-Identifier: GPL-2.0
/*
 * blkfilter on a live volume: the filter is attached and detached, through
 * libcowsnap, under a mounted ext4 being written to, and no write is lost:
 * every file the writer fsync'ed reads back byte for byte after a remount,
 * and e2fsck finds the filesystem clean.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cowsnap.h"
#include "testlib.h"

#define DEV_BYTES	(256ULL << 20)
#define FILE_BYTES	(192 << 10)

static char *loop;
static char vol[128], mnt[128], dev_path[160];

static int live_init(void)
{
	loop = tl_loop_create(DEV_BYTES);
	if (!loop)
		return -1;
	snprintf(vol, sizeof(vol), "%s", tl_dm_name("live"));
	snprintf(dev_path, sizeof(dev_path), "/dev/mapper/%s", vol);
	snprintf(mnt, sizeof(mnt), "/tmp/cowsnap-mnt-%d", (int)getpid());
	/* Teardown first: whatever of the stack exists goes. */
	tl_defer("dmsetup remove %s-real 2>/dev/null; true", vol);
	tl_defer("dmsetup remove %s 2>/dev/null; true", vol);
	tl_defer("rmdir %s 2>/dev/null; true", mnt);
	tl_defer("umount %s 2>/dev/null; true", mnt);
	if (cs_volume_create(vol, loop, NULL))
		return -1;
	if (tl_run(NULL, "mkfs.ext4 -q -F %s", dev_path) || mkdir(mnt, 0755))
		return -1;
	return mount(dev_path, mnt, "ext4", 0, NULL);
}

static int live_clean(void)
{
	tl_teardown();
	free(loop);
	return 0;
}

/* Target type of the top of the volume, from "dmsetup table". */
static bool top_is(const char *type)
{
	char *out = NULL;
	bool r;

	r = !tl_run(&out, "dmsetup table %s", vol) && strstr(out, type);
	free(out);
	return r;
}

/*
 * The writer: file after file, each fsync'ed, until SIGTERM; then it
 * exits with nothing half-written and reports how many files it finished
 * through @fd.
 */
static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void writer(int fd)
{
	char path[256];
	void *buf = malloc(FILE_BYTES);
	unsigned int n;
	int f;

	signal(SIGTERM, on_term);
	for (n = 0; !stop && buf; n++) {
		snprintf(path, sizeof(path), "%s/f%05u", mnt, n);
		tl_pattern_fill(buf, FILE_BYTES, n, 0);
		f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (f < 0 || write(f, buf, FILE_BYTES) != FILE_BYTES ||
		    fsync(f) || close(f))
			_exit(1);
	}
	if (write(fd, &n, sizeof(n)) != sizeof(n))
		_exit(1);
	_exit(0);
}

static unsigned int check_files(unsigned int nr)
{
	void *buf = malloc(FILE_BYTES);
	char path[256];
	unsigned int i, bad = 0;
	int f;

	for (i = 0; i < nr && buf; i++) {
		snprintf(path, sizeof(path), "%s/f%05u", mnt, i);
		f = open(path, O_RDONLY);
		if (f < 0 || read(f, buf, FILE_BYTES) != FILE_BYTES ||
		    tl_pattern_check(buf, FILE_BYTES, i, 0) != -1)
			bad++;
		if (f >= 0)
			close(f);
	}
	free(buf);
	return bad;
}

static void test_attach_detach_under_writer(void)
{
	uint64_t st[9];
	unsigned int nr = 0, round;
	int pfd[2], status;
	pid_t pid;

	CU_ASSERT_FATAL(pipe(pfd) == 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (!pid)
		writer(pfd[1]);

	for (round = 0; round < 3; round++) {
		usleep(300000);
		CU_ASSERT_EQUAL(cs_filter_attach(vol, NULL), 0);
		CU_ASSERT(top_is(" blkfilter "));
		usleep(500000);
		/* The writes go through the filter while it is there. */
		CU_ASSERT_FATAL(tl_dm_status(vol, st, 9) == 9);
		CU_ASSERT(st[1] > 0);
		CU_ASSERT_EQUAL(st[5], 0);
		CU_ASSERT_EQUAL(cs_filter_detach(vol), 0);
		CU_ASSERT(top_is(" linear "));
	}
	kill(pid, SIGTERM);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CU_ASSERT_EQUAL(read(pfd[0], &nr, sizeof(nr)), (ssize_t)sizeof(nr));
	close(pfd[0]);
	close(pfd[1]);
	CU_ASSERT(nr > 0);

	/* Remount, so every byte comes from the disk, not the page cache. */
	CU_ASSERT_EQUAL_FATAL(umount(mnt), 0);
	CU_ASSERT_EQUAL(tl_run(NULL, "e2fsck -fn %s", dev_path), 0);
	CU_ASSERT_EQUAL_FATAL(mount(dev_path, mnt, "ext4", 0, NULL), 0);
	CU_ASSERT_EQUAL(check_files(nr), 0);
	fprintf(stderr, "live: %u files written across 3 attach/detach\n", nr);
}

/* Wrong-state requests are refused and leave the stack as it was. */
static void test_wrong_state(void)
{
	CU_ASSERT_EQUAL(cs_filter_detach(vol), -ENOTCONN);
	CU_ASSERT(top_is(" linear "));
	CU_ASSERT_EQUAL(cs_filter_attach(vol, NULL), 0);
	CU_ASSERT_EQUAL(cs_filter_attach(vol, NULL), -EEXIST);
	CU_ASSERT(top_is(" blkfilter "));
	CU_ASSERT_EQUAL(cs_volume_remove(vol), -EBUSY);	/* mounted */
	CU_ASSERT(top_is(" blkfilter "));
	CU_ASSERT_EQUAL(cs_filter_detach(vol), 0);
	CU_ASSERT_NOT_EQUAL(tl_run(NULL, "dmsetup info %s-real", vol), 0);
}

static CU_TestInfo live_tests[] = {
	{ "attach_detach_under_writer", test_attach_detach_under_writer },
	{ "wrong_state", test_wrong_state },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "live", live_init, live_clean, NULL, NULL, live_tests },
	CU_SUITE_INFO_NULL,
};
