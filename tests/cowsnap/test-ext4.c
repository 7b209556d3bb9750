// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnap under a mounted ext4.  Files are written before the snapshot
 * and their sha256 taken; a writer process creates file after file
 * (every other one fsync'ed, the others left in the page cache) while the
 * snapshot is taken the way cowsnapctl takes it: the origin table loaded,
 * the volume suspended with lockfs (the filesystem frozen and flushed),
 * resumed.  Then the first files are rewritten (half of them in place),
 * truncated, deleted, and the volume frozen once more so that the journal
 * is written back in place: the volume's blocks under the image change.
 *
 * While the volume is suspended its device beneath is hashed block by
 * block: the image must equal it in every block (data, metadata, journal,
 * free space).  It must pass "e2fsck -fn" (no journal to replay: the
 * freeze left it clean), mount with "-o ro" (no noload), hold the first
 * files as they were (sha256) and every file of the writer completed
 * before the snapshot began, whole -- those in the page cache too.  A
 * file the writer was at during the snapshot is absent, empty or whole;
 * none begun after it is there.  The volume keeps every change and passes
 * e2fsck.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cowsnap-test.h"

#define VOL_SECTORS	(128 * CT_MIB / CT_SECTOR)
#define A_FILES		12
#define B_BYTES		(48 * 1024)
#define B_MAX		100000

static struct ct_vol vol;
static char store_path[160], mnt[128], img_mnt[128];

/* Shared with the writer process. */
static struct shared {
	uint64_t started, done;		/* files, through __atomic */
	int stop;
} *sh;
static pid_t writer_pid = -1;

static int ext4_init(void)
{
	char *store;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -1;
	store = tl_loop_create(VOL_SECTORS * CT_SECTOR);
	if (!store)
		return -1;
	snprintf(store_path, sizeof(store_path), "%s", store);
	free(store);
	if (ct_vol_create(&vol, "fs", VOL_SECTORS))
		return -1;
	snprintf(mnt, sizeof(mnt), "/tmp/cowsnap-mnt-%d", (int)getpid());
	snprintf(img_mnt, sizeof(img_mnt), "/tmp/cowsnap-img-%d",
		 (int)getpid());
	/* Registered before the mounts: unmounted before the devices go. */
	tl_defer("rmdir %s %s 2>/dev/null; true", mnt, img_mnt);
	tl_defer("umount %s 2>/dev/null; umount %s 2>/dev/null; true", img_mnt,
		 mnt);
	if (mkdir(mnt, 0755) || mkdir(img_mnt, 0755))
		return -1;
	/* Inode tables and journal written now, not by ext4lazyinit later. */
	if (ct_run("mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "
		   "%s", vol.top_dev))
		return -1;
	return mount(vol.top_dev, mnt, "ext4", 0, NULL) ? -1 : 0;
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

static int ext4_clean(void)
{
	int status;

	tl_run(NULL, "dmsetup resume %s", vol.top);	/* if left frozen */
	stop_writer(&status);
	tl_teardown();
	ct_vol_free(&vol);
	if (sh && sh != MAP_FAILED)
		munmap(sh, sizeof(*sh));
	return 0;
}

/*
 * Write @bytes of pattern @seed as @dir/@name, over what it held (in
 * place) or truncated first; fsync when @sync.
 */
static int write_file(const char *dir, const char *name, size_t bytes,
		      uint32_t seed, bool in_place, bool sync)
{
	char path[256];
	void *buf = malloc(bytes + 1);
	int fd, r = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	tl_pattern_fill(buf, bytes, seed, 0);
	fd = open(path, O_WRONLY | O_CREAT | (in_place ? 0 : O_TRUNC), 0644);
	if (fd >= 0 && write(fd, buf, bytes) == (ssize_t)bytes &&
	    (!sync || !fsync(fd)))
		r = 0;
	if (fd >= 0 && close(fd))
		r = -1;
	free(buf);
	return r;
}

/*
 * @dir/@name: 1 when it holds @bytes of pattern @seed, 0 when it is
 * empty, -1 when it is missing, -2 when it holds anything else.
 */
static int file_state(const char *dir, const char *name, size_t bytes,
		      uint32_t seed)
{
	char path[256];
	void *buf = malloc(bytes + 1);
	struct stat st;
	int fd, r = -2;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &st)) {
		free(buf);
		return -1;
	}
	if (!st.st_size)
		r = 0;
	else if ((size_t)st.st_size == bytes &&
		 (fd = open(path, O_RDONLY)) >= 0) {
		if (read(fd, buf, bytes + 1) == (ssize_t)bytes &&
		    tl_pattern_check(buf, bytes, seed, 0) == -1)
			r = 1;
		close(fd);
	}
	free(buf);
	return r;
}

/* The writer: b<n> files of B_BYTES, every other one fsync'ed. */
static void writer(void)
{
	char name[32];
	uint64_t i;

	for (i = 0; i < B_MAX && !__atomic_load_n(&sh->stop,
						    __ATOMIC_SEQ_CST); i++) {
		__atomic_store_n(&sh->started, i + 1, __ATOMIC_SEQ_CST);
		snprintf(name, sizeof(name), "b%06llu", (unsigned long long)i);
		if (write_file(mnt, name, B_BYTES, (uint32_t)i, false,
			       i % 2 == 0))
			_exit(1);
		__atomic_store_n(&sh->done, i + 1, __ATOMIC_SEQ_CST);
	}
	_exit(0);
}

static void wait_files(uint64_t n)
{
	uint64_t want = __atomic_load_n(&sh->done, __ATOMIC_SEQ_CST) + n;
	int i;

	for (i = 0; i < 6000 && __atomic_load_n(&sh->done,
						 __ATOMIC_SEQ_CST) < want; i++)
		usleep(10000);
	CU_ASSERT_FATAL(__atomic_load_n(&sh->done, __ATOMIC_SEQ_CST) >= want);
}

static size_t a_bytes(unsigned int i)
{
	return 4096 * (1 + (i * 37) % 96) + (i % 3) * 333;
}

/* "sha256sum" of the first files under @dir, as it prints them. */
static char *a_sums(const char *dir)
{
	char *out = NULL;

	if (tl_run(&out, "cd %s && sha256sum a?? d1/d2/a??", dir)) {
		fprintf(stderr, "sha256sum in %s: %s", dir, out ? out : "");
		free(out);
		return NULL;
	}
	return out;
}

/*
 * The first files: a00.. and d1/d2/a00..; when @again, every other one is
 * rewritten in place (its blocks on the volume change, not only the
 * inode), the others truncated and written anew.
 */
static void write_a_files(uint32_t seed, bool again)
{
	char name[32];
	unsigned int i;

	for (i = 0; i < A_FILES; i++) {
		snprintf(name, sizeof(name), i % 4 == 3 ? "d1/d2/a%02u" :
			 "a%02u", i);
		CU_ASSERT_EQUAL_FATAL(write_file(mnt, name, a_bytes(i),
						 seed + i, again && i % 2 == 0,
						 again), 0);
	}
}

/* The writer's files in the image, given what it had done when. */
static void check_b_files(uint64_t low, uint64_t high)
{
	uint64_t i, present = 0, bad = 0;
	char name[32];
	int st;

	for (i = 0; i < high + 20; i++) {
		snprintf(name, sizeof(name), "b%06llu", (unsigned long long)i);
		st = file_state(img_mnt, name, B_BYTES, (uint32_t)i);
		present += st >= 0;
		if (i < low && st == 1)
			continue;	/* complete before: whole */
		if (i >= low && i < high && st != -2)
			continue;	/* at it during: none, empty, whole */
		if (i >= high && st == -1)
			continue;	/* begun after: absent */
		if (bad++ < 5)
			fprintf(stderr, "image: %s (%s) is %s\n", name,
				i < low ? "written before the snapshot" :
				i < high ? "written during it" :
				"begun after it", st == 1 ? "whole" :
				st == 0 ? "empty" : st == -1 ? "missing" :
				"damaged");
	}
	printf("ext4: %llu files complete before the snapshot, %llu begun "
	       "before its end; %llu in the image\n", (unsigned long long)low,
	       (unsigned long long)high, (unsigned long long)present);
	if (bad)
		CU_FAIL("the image does not hold the files of its instant");
}

#define BLOCK		4096ULL
#define BLOCKS		(VOL_SECTORS * CT_SECTOR / BLOCK)

/* A hash of every 4 KiB block of @path (BLOCKS of them), or NULL. */
static uint64_t *hash_blocks(const char *path)
{
	uint64_t *h = calloc(BLOCKS, sizeof(*h)), b, i, n;
	const size_t io = CT_IO_MAX;
	uint64_t *buf = tl_alloc_aligned(io);
	int fd = open(path, O_RDONLY | O_DIRECT);

	for (b = 0; fd >= 0 && h && b < BLOCKS; b += n) {
		n = io / BLOCK;
		if (pread(fd, buf, io, (off_t)(b * BLOCK)) != (ssize_t)io)
			break;
		for (i = 0; i < io / 8; i++)
			h[b + i / 512] = (h[b + i / 512] ^ buf[i]) *
					 0x100000001b3ULL;
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	if (b < BLOCKS) {
		fprintf(stderr, "cannot read %s\n", path);
		free(h);
		return NULL;
	}
	return h;
}

/*
 * The snapshot, the way cowsnapctl takes it, and while the volume is
 * suspended (quiet, its filesystem frozen and flushed) a hash of every
 * block of the device beneath it: the volume at the instant.
 */
static uint64_t *snapshot_and_hash(const struct ct_set *set)
{
	char table[CT_LINE_MAX];
	uint64_t *h = NULL;

	ct_line(table, sizeof(table), COWSNAP_ORIGIN_TARGET_NAME, set, &vol);
	if (!ct_run("dmsetup reload %s --table '%s' && dmsetup suspend %s",
		    vol.top, table, vol.top))
		h = hash_blocks(vol.lower_dev);
	if (ct_run("dmsetup resume %s", vol.top)) {
		free(h);
		return NULL;
	}
	return h;
}

/* The image, block for block, against the volume at the instant. */
static void check_blocks(const uint64_t *want)
{
	uint64_t *got = hash_blocks(vol.image_dev), b, bad = 0;

	CU_ASSERT_FATAL(got != NULL);
	for (b = 0; b < BLOCKS; b++)
		if (got[b] != want[b] && bad++ < 8)
			fprintf(stderr, "image: 4 KiB block %llu differs from "
				"the volume at the snapshot\n",
				(unsigned long long)b);
	if (bad) {
		fprintf(stderr, "image: %llu blocks differ\n",
			(unsigned long long)bad);
		CU_FAIL("the image is not the volume at the snapshot");
	}
	free(got);
}

static void test_snapshot_under_writer(void)
{
	char *sums = NULL, *img_sums = NULL, path[256];
	uint64_t low, high, done, i, *instant;
	struct ct_set set;
	int status = -1;

	CU_ASSERT_FATAL(ct_run("mkdir -p %s/d1/d2", mnt) == 0);
	write_a_files(1000, false);
	CU_ASSERT_FATAL(ct_run("sync") == 0);
	sums = a_sums(mnt);
	CU_ASSERT_FATAL(sums != NULL);

	writer_pid = fork();
	CU_ASSERT_FATAL(writer_pid >= 0);
	if (!writer_pid)
		writer();
	wait_files(10);
	ct_set_init(&set, "fs", store_path, 64 * CT_KIB, NULL);
	low = __atomic_load_n(&sh->done, __ATOMIC_SEQ_CST);
	instant = snapshot_and_hash(&set);
	CU_ASSERT_FATAL(instant != NULL);
	high = __atomic_load_n(&sh->started, __ATOMIC_SEQ_CST);
	CU_ASSERT_FATAL(ct_image_create(&set, &vol) == 0);

	/* After the instant: the first files change, the writer goes on. */
	write_a_files(2000, true);
	snprintf(path, sizeof(path), "%s/a00", mnt);
	CU_ASSERT_EQUAL(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/a01", mnt);
	CU_ASSERT_EQUAL(truncate(path, 0), 0);
	wait_files(10);
	stop_writer(&status);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	done = __atomic_load_n(&sh->done, __ATOMIC_SEQ_CST);
	/*
	 * Freeze and thaw the volume: the journal is checkpointed, so that
	 * the metadata of the changes above is written in place on the
	 * volume too, over blocks the image still shows.
	 */
	CU_ASSERT_FATAL(ct_run("sync && dmsetup suspend %s && dmsetup resume "
			       "%s", vol.top, vol.top) == 0);

	/* The image: the volume's blocks at the instant, every one. */
	check_blocks(instant);
	free(instant);
	/* Clean without a journal replay, then mounted ro. */
	CU_ASSERT_EQUAL(ct_run("e2fsck -fn %s", vol.image_dev), 0);
	CU_ASSERT_EQUAL_FATAL(mount(vol.image_dev, img_mnt, "ext4", MS_RDONLY,
				    NULL), 0);
	img_sums = a_sums(img_mnt);
	CU_ASSERT_FATAL(img_sums != NULL);
	if (strcmp(sums, img_sums)) {
		fprintf(stderr, "before the snapshot:\n%safter, in the "
			"image:\n%s", sums, img_sums);
		CU_FAIL("the image's files differ from the snapshot's");
	}
	check_b_files(low, high);
	CU_ASSERT_EQUAL(umount(img_mnt), 0);
	CU_ASSERT_EQUAL(ct_run("dmsetup remove %s", vol.image), 0);

	/* The volume: every change, a clean filesystem. */
	CU_ASSERT_EQUAL(file_state(mnt, "a00", 0, 0), -1);
	CU_ASSERT_EQUAL(file_state(mnt, "a01", a_bytes(1), 2001), 0);
	CU_ASSERT_EQUAL(file_state(mnt, "a02", a_bytes(2), 2002), 1);
	CU_ASSERT_EQUAL(file_state(mnt, "d1/d2/a03", a_bytes(3), 2003), 1);
	for (i = 0; i < done; i++) {
		snprintf(path, sizeof(path), "b%06llu", (unsigned long long)i);
		if (file_state(mnt, path, B_BYTES, (uint32_t)i) != 1) {
			fprintf(stderr, "volume: %s is not whole\n", path);
			CU_FAIL("the volume lost a file");
			break;
		}
	}
	CU_ASSERT_EQUAL_FATAL(umount(mnt), 0);
	CU_ASSERT_FATAL(ct_drop1(&vol) == 0);
	CU_ASSERT_EQUAL(ct_run("e2fsck -fn %s", vol.top_dev), 0);
	free(sums);
	free(img_sums);
}

static CU_TestInfo ext4_tests[] = {
	{ "snapshot_under_writer", test_snapshot_under_writer },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "ext4", ext4_init, ext4_clean, NULL, NULL, ext4_tests },
	CU_SUITE_INFO_NULL,
};
