// SPDX-License-Identifier: GPL-2.0
/*
 * cbt under a writer: a child process writes blocks with O_DIRECT without
 * pause while checkpoints are taken and the frozen copy is read, in small
 * pages, again and again.  Every read of the frozen copy gives the same
 * bytes; every write completed before the checkpoint message is marked in
 * it, with the checkpoint's number when it began after the previous one;
 * nothing else is.  A write held in flight (dm-delay beneath) across a
 * checkpoint changes its block after it: the next checkpoint counts it.
 */
#include <ctype.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define BS		4096U
#define BLOCKS		4096U		/* a 16 MiB device */
#define WRITTEN		3072U		/* the writer's blocks are below */
#define MAX_WRITES	(1U << 20)
#define ROUNDS		3
#define READS		4		/* of the frozen copy per round */
#define PAGE_BLOCKS	256		/* blocks asked for per "map" */

/* Shared with the writer; counters through __atomic, sequentially. */
struct shared {
	uint64_t started;		/* writes begun */
	uint64_t done;			/* writes completed */
	int stop;
	uint32_t block[MAX_WRITES];	/* the block of each write */
};

static struct shared *sh;
static char name[128], path[160];
static pid_t writer_pid = -1;

static uint64_t load(uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static int consistency_init(void)
{
	char table[512], *loop;
	int r;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -1;
	loop = tl_loop_create((uint64_t)BLOCKS * BS);
	if (!loop)
		return -1;
	snprintf(name, sizeof(name), "%s", tl_dm_name("busy"));
	snprintf(path, sizeof(path), "/dev/mapper/%s", name);
	snprintf(table, sizeof(table), "0 %u cbt %s busy-%d 2 block_size %u",
		 BLOCKS * (BS >> 9), loop, (int)getpid(), BS);
	free(loop);
	r = tl_dm_create(name, table);
	return r ? -1 : 0;
}

static void stop_writer(int *status)
{
	if (writer_pid < 0)
		return;
	__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
	if (waitpid(writer_pid, status, 0) != writer_pid)
		*status = -1;
	writer_pid = -1;
}

static int consistency_clean(void)
{
	int status;

	stop_writer(&status);
	tl_teardown();
	munmap(sh, sizeof(*sh));
	return 0;
}

/* The child: random blocks below WRITTEN, one at a time, until told. */
static void writer(void)
{
	uint64_t i, x = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL;
	void *buf = tl_alloc_aligned(BS);
	int fd = open(path, O_WRONLY | O_DIRECT);

	if (fd < 0)
		_exit(2);
	memset(buf, 0xc3, BS);
	for (i = 0; i < MAX_WRITES && !__atomic_load_n(&sh->stop,
						       __ATOMIC_SEQ_CST); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		sh->block[i] = (uint32_t)(x % WRITTEN);
		__atomic_store_n(&sh->started, i + 1, __ATOMIC_SEQ_CST);
		if (pwrite(fd, buf, BS, (off_t)sh->block[i] * BS) != BS)
			_exit(1);
		__atomic_store_n(&sh->done, i + 1, __ATOMIC_SEQ_CST);
	}
	_exit(0);
}

/* Let the writer complete at least @n more writes (30 s at most). */
static void wait_writes(uint64_t n)
{
	uint64_t want = load(&sh->done) + n;
	int i;

	for (i = 0; i < 3000 && load(&sh->done) < want; i++)
		usleep(10000);
	CU_ASSERT_FATAL(load(&sh->done) >= want);
}

/*
 * The frozen copy in pages of PAGE_BLOCKS, decoded into @out; returns the
 * answers one after another (malloc'd), or NULL when one is malformed.
 */
static char *read_map(uint8_t *out)
{
	unsigned long long off = 0, nr, next, run, done;
	size_t len = 0;
	unsigned int fr, val;
	char msg[64], *ans = NULL, *all = NULL, *p;
	int n;

	while (off < BLOCKS) {
		snprintf(msg, sizeof(msg), "map %llu %u", off, PAGE_BLOCKS);
		if (tl_dm_message(name, msg, &ans) ||
		    sscanf(ans, "%u %*u %llu %llu%n", &fr, &nr, &next,
			   &n) != 3 || !nr || nr > PAGE_BLOCKS ||
		    next != off + nr || next > BLOCKS)
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
		all = realloc(all, len + strlen(ans) + 1);
		CU_ASSERT_FATAL(all != NULL);
		len += sprintf(all + len, "%s", ans);
		free(ans);
		ans = NULL;
		off = next;
	}
	return all;
bad:
	fprintf(stderr, "%s: '%s': bad answer '%.300s'\n", name, msg,
		ans ? ans : "");
	free(ans);
	free(all);
	return NULL;
}

/*
 * Writes [0, @done) completed before checkpoint @r was sent; those from
 * @started on began after checkpoint r - 1 had answered.
 */
static void check_frozen(const uint8_t *frozen, unsigned int r,
			 uint64_t started, uint64_t done)
{
	static uint8_t written[BLOCKS];
	uint64_t i, n = load(&sh->started);
	unsigned int bad = 0, b, v;

	memset(written, 0, sizeof(written));
	for (i = 0; i < n; i++)
		written[sh->block[i]] = 1;
	for (i = 0; i < done; i++) {
		v = frozen[sh->block[i]];
		if (v && v <= r && (i < started || v == r))
			continue;
		if (bad++ < 8)
			fprintf(stderr, "write %llu (block %u, %s checkpoint "
				"%u began): frozen number %u\n",
				(unsigned long long)i, sh->block[i],
				i < started ? "before" : "after", r - 1, v);
	}
	for (b = 0; b < BLOCKS; b++)
		if (frozen[b] && (!written[b] || frozen[b] > r) && bad++ < 8)
			fprintf(stderr, "block %u: frozen number %u, %s\n", b,
				frozen[b], written[b] ? "written" :
				"never written");
	if (bad)
		CU_FAIL("the frozen copy does not hold what was written");
}

static void test_frozen_under_writer(void)
{
	uint8_t *frozen = malloc(BLOCKS), *again = malloc(BLOCKS);
	uint64_t started = 0, next_started, done, during;
	char *first, *next, *out = NULL, *changes[2], msg[32];
	char gen[40] = "";
	unsigned int r, i, nr = 0;
	int reset = -1, status = 0;

	CU_ASSERT_FATAL(frozen && again);
	writer_pid = fork();
	CU_ASSERT_FATAL(writer_pid >= 0);
	if (!writer_pid)
		writer();
	for (r = 1; r <= ROUNDS; r++) {
		wait_writes(200);
		done = load(&sh->done);
		CU_ASSERT_FATAL(tl_dm_message(name, "checkpoint", &out) == 0);
		CU_ASSERT_EQUAL(sscanf(out, "frozen=%u generation=%39s "
				       "reset=%d", &nr, gen, &reset), 3);
		CU_ASSERT(nr == r && reset == 0);
		free(out);
		out = NULL;
		next_started = load(&sh->started);
		during = load(&sh->done);
		snprintf(msg, sizeof(msg), "changes %u 0", r - 1);
		CU_ASSERT_FATAL(tl_dm_message(name, msg, &changes[0]) == 0);
		first = read_map(frozen);
		CU_ASSERT_FATAL(first != NULL);
		for (i = 1; i < READS; i++) {
			next = read_map(again);
			CU_ASSERT_FATAL(next != NULL);
			if (strcmp(first, next) ||
			    memcmp(frozen, again, BLOCKS))
				CU_FAIL("the frozen copy changed under writes");
			free(next);
		}
		CU_ASSERT_FATAL(tl_dm_message(name, msg, &changes[1]) == 0);
		CU_ASSERT_STRING_EQUAL(changes[0], changes[1]);
		free(changes[0]);
		free(changes[1]);
		/* The writes went on meanwhile: some landed during reads. */
		CU_ASSERT(load(&sh->done) > during);
		check_frozen(frozen, r, started, done);
		free(first);
		started = next_started;
	}
	stop_writer(&status);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(frozen);
	free(again);
}

/*
 * The block is changed when the write's data lands, after checkpoint 1
 * has answered: "changes 1" at checkpoint 2 must hold it (whether the
 * frozen copy of checkpoint 1 holds it too does not matter).
 */
static void test_write_across_checkpoint(void)
{
	char *lower = tl_loop_create((uint64_t)BLOCKS * BS), *out = NULL;
	char delay[128], slow[128], table[512];
	unsigned long long next = 0, start = 0, nr = 0;
	unsigned int frozen = 0, count = 0;
	int status = -1;
	pid_t pid;

	CU_ASSERT_FATAL(lower != NULL);
	snprintf(delay, sizeof(delay), "%s", tl_dm_name("delay"));
	snprintf(slow, sizeof(slow), "%s", tl_dm_name("slow"));
	snprintf(table, sizeof(table), "0 %u delay %s 0 0 %s 0 5000",
		 BLOCKS * (BS >> 9), lower, lower);	/* writes wait 5 s */
	CU_ASSERT_FATAL(tl_dm_create(delay, table) == 0);
	snprintf(table, sizeof(table), "0 %u cbt /dev/mapper/%s slow-%d 2 "
		 "block_size %u", BLOCKS * (BS >> 9), delay, (int)getpid(), BS);
	CU_ASSERT_FATAL(tl_dm_create(slow, table) == 0);

	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (!pid) {
		void *buf = tl_alloc_aligned(BS);
		char dev[160];
		int fd;

		snprintf(dev, sizeof(dev), "/dev/mapper/%s", slow);
		fd = open(dev, O_WRONLY | O_DIRECT);
		memset(buf, 0x11, BS);
		_exit(fd >= 0 && pwrite(fd, buf, BS, 5 * BS) == BS ? 0 : 1);
	}
	tl_defer("kill %d 2>/dev/null; true", (int)pid);
	usleep(500000);
	CU_ASSERT_FATAL(tl_dm_message(slow, "checkpoint", NULL) == 0);
	/* Still held beneath when the checkpoint answered. */
	CU_ASSERT_FATAL(waitpid(pid, &status, WNOHANG) == 0);
	CU_ASSERT_FATAL(waitpid(pid, &status, 0) == pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CU_ASSERT_FATAL(tl_dm_message(slow, "checkpoint", NULL) == 0);
	CU_ASSERT_FATAL(tl_dm_message(slow, "changes 1 0", &out) == 0);
	if (sscanf(out, "%u %llu %u %llu %llu", &frozen, &next, &count,
		   &start, &nr) != 5 || frozen != 2 || count != 1 ||
	    start != 5 || nr != 1) {
		fprintf(stderr, "changes 1 0 at checkpoint 2: '%s', want "
			"block 5\n", out);
		CU_FAIL("a write landing after checkpoint 1 is not counted");
	}
	free(out);
	CU_ASSERT_EQUAL(tl_run(NULL, "dmsetup remove %s && dmsetup remove %s",
			       slow, delay), 0);
	free(lower);
}

static CU_TestInfo consistency_tests[] = {
	{ "frozen_under_writer", test_frozen_under_writer },
	{ "write_across_checkpoint", test_write_across_checkpoint },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "consistency", consistency_init, consistency_clean, NULL, NULL,
	  consistency_tests },
	CU_SUITE_INFO_NULL,
};
