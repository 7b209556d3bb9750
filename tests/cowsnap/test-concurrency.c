// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnap under concurrent I/O.
 *
 * hot_chunks: writer threads on the origin and on the image start
 * together (a barrier) on the same few chunks, so that first writes of a
 * chunk from both sides race; a new snapshot each round.  Both devices
 * must then hold what the models say, and "copied" count each chunk once.
 *
 * reads_race_first_writes: writers walk the chunks of the origin in
 * order, a small write into each; readers read the image's chunks just at
 * and ahead of the writers' position, so that many image reads of a chunk
 * meet its first origin write.  Every image read must give the snapshot's
 * data -- never the new data, never a mix.
 *
 * discard_zeroout: discards (BLKDISCARD) and write-zeroes (BLKZEROOUT) on
 * the origin, aligned and not, over copied chunks and not, while readers
 * check the image: the image keeps the snapshot's data; a discarded
 * sector of the origin reads as before or as zeros, a zeroed one as
 * zeros.  A discard of chunks not copied copies nothing (it is dropped); a
 * write-zeroes copies like a write.  The image refuses discards; a
 * write-zeroes on the image zeroes the image alone.
 *
 * The volume's disk is a loop device over a file on ext4 (itself on a
 * loop device): unlike tmpfs, ext4 zeroes ranges, so that write-zeroes
 * reach the origin target as such, and are not turned into writes of
 * zero pages above it.
 *
 * The I/O is random from a seeded generator: COWSNAP_SEED=<n> repeats it.
 */
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <linux/fs.h>

#include "cowsnap-test.h"

#define VOL_SECTORS	(16 * CT_MIB / CT_SECTOR)

static unsigned int seed;
static struct ct_vol vol;
static char store_path[160], fs_dir[128];
static struct ct_model origin, image;	/* image: set at each snapshot */

static int concurrency_init(void)
{
	char *store;

	seed = tl_seed("concurrency");
	if (ct_model_init(&origin, VOL_SECTORS) ||
	    ct_model_init(&image, VOL_SECTORS))
		return -1;
	store = tl_loop_create(VOL_SECTORS * CT_SECTOR + 4 * CT_MIB);
	if (!store)
		return -1;
	snprintf(store_path, sizeof(store_path), "%s", store);
	free(store);
	/* The scratch ext4 holding the volume's disk. */
	store = tl_loop_create(VOL_SECTORS * CT_SECTOR + 16 * CT_MIB);
	if (!store)
		return -1;
	snprintf(fs_dir, sizeof(fs_dir), "/tmp/cowsnap-fs-%d", (int)getpid());
	tl_defer("rmdir %s 2>/dev/null; true", fs_dir);
	tl_defer("umount %s 2>/dev/null; true", fs_dir);
	if (mkdir(fs_dir, 0755) || ct_run("mkfs.ext4 -q -F %s", store) ||
	    mount(store, fs_dir, "ext4", 0, NULL)) {
		free(store);
		return -1;
	}
	free(store);
	if (ct_vol_create_in(&vol, "vol", VOL_SECTORS, fs_dir))
		return -1;
	return ct_fill_device(vol.top_dev, VOL_SECTORS, 0, 0) ? -1 : 0;
}

static int concurrency_clean(void)
{
	tl_teardown();
	ct_vol_free(&vol);
	ct_model_free(&origin);
	ct_model_free(&image);
	return 0;
}

/* A snapshot in a new set with chunks of @chunk; the image model. */
static void snapshot(const char *what, uint32_t chunk)
{
	struct ct_set set;

	ct_set_init(&set, what, store_path, chunk, NULL);
	CU_ASSERT_FATAL(ct_snapshot1(&set, &vol) == 0);
	ct_model_copy(&image, &origin);
}

/* Both devices against their models. */
static void check_both(const char *when)
{
	uint64_t first = 0;
	bool bad = false;

	if (ct_model_verify("image", vol.image_dev, &image, &first)) {
		fprintf(stderr, "%s: image sector %llu and others are wrong "
			"(seed %u)\n", when, (unsigned long long)first, seed);
		bad = true;
	}
	if (ct_model_verify("origin", vol.top_dev, &origin, &first)) {
		fprintf(stderr, "%s: origin sector %llu and others are wrong "
			"(seed %u)\n", when, (unsigned long long)first, seed);
		bad = true;
	}
	if (bad)
		CU_FAIL("a device does not hold what the model says");
}

static uint64_t status_copied(void)
{
	struct ct_status st;

	CU_ASSERT_FATAL(ct_status(vol.image, &st) == 0);
	CU_ASSERT_STRING_EQUAL(st.state, COWSNAP_STATE_VALID);
	return st.copied;
}

/* ------------------------------------------------------------------ */
/* Hot chunks                                                         */

#define HOT_ROUNDS	8
#define HOT_CHUNKS	6
#define HOT_WRITES	24		/* per thread and round */
#define HOT_ORIGIN	3		/* writer threads on the origin */
#define HOT_IMAGE	2		/* and on the image */

struct hot_writer {
	pthread_t thread;
	pthread_barrier_t *start;
	struct ct_model *m;
	const char *path;
	uint64_t first, sectors;	/* the hot region */
	struct ct_rng rng;
	unsigned int failed;
	uint8_t *touched;		/* chunks written, shared (racy ok) */
	uint64_t cs;
};

static void *hot_writer(void *arg)
{
	struct hot_writer *w = arg;
	int fd = open(w->path, O_WRONLY | O_DIRECT), err;
	uint64_t sector, n, c;
	unsigned int i;
	uint32_t gen;

	pthread_barrier_wait(w->start);
	if (fd < 0) {
		w->failed++;
		return NULL;
	}
	for (i = 0; i < HOT_WRITES; i++) {
		do {
			n = 1 + ct_below(&w->rng, ct_rnd(&w->rng) & 1 ? 8 :
					 2 * w->cs);
			sector = w->first + ct_below(&w->rng,
						     w->sectors - n + 1);
		} while (!ct_model_claim(w->m, sector, n));
		gen = ct_next_gen();
		err = ct_write(fd, sector, n, gen, 0);
		if (err && w->failed++ < 3)
			fprintf(stderr, "write of %llu+%llu to %s: %s\n",
				(unsigned long long)sector,
				(unsigned long long)n, w->path, strerror(-err));
		for (c = sector / w->cs; c <= (sector + n - 1) / w->cs; c++)
			__atomic_store_n(&w->touched[c], 1, __ATOMIC_RELAXED);
		ct_model_release(w->m, sector, n, gen, CT_WRITE);
	}
	close(fd);
	return NULL;
}

static void hot_round(unsigned int round, uint32_t chunk)
{
	struct hot_writer w[HOT_ORIGIN + HOT_IMAGE];
	uint64_t cs = chunk / CT_SECTOR, nc = VOL_SECTORS / cs, c, touched = 0;
	uint8_t *chunks = calloc(nc, 1);
	unsigned int i, failed = 0, n = HOT_ORIGIN + HOT_IMAGE;
	pthread_barrier_t start;
	struct ct_rng r = { seed ^ (round * 7919U) };
	uint64_t first;

	CU_ASSERT_FATAL(chunks != NULL);
	snapshot("hot", chunk);
	first = ct_below(&r, nc - HOT_CHUNKS) * cs;
	pthread_barrier_init(&start, NULL, n);
	for (i = 0; i < n; i++) {
		w[i] = (struct hot_writer){
			.start = &start,
			.m = i < HOT_ORIGIN ? &origin : &image,
			.path = i < HOT_ORIGIN ? vol.top_dev : vol.image_dev,
			.first = first, .sectors = HOT_CHUNKS * cs,
			.rng = { seed ^ (round << 16) ^ (i << 8) },
			.touched = chunks, .cs = cs,
		};
		CU_ASSERT_FATAL(pthread_create(&w[i].thread, NULL, hot_writer,
					       &w[i]) == 0);
	}
	for (i = 0; i < n; i++) {
		pthread_join(w[i].thread, NULL);
		failed += w[i].failed;
	}
	pthread_barrier_destroy(&start);
	CU_ASSERT_EQUAL(failed, 0);
	check_both("hot chunks");
	for (c = 0; c < nc; c++)
		touched += chunks[c];
	if (status_copied() != touched) {
		fprintf(stderr, "round %u: copied %llu, %llu chunks written\n",
			round, (unsigned long long)status_copied(),
			(unsigned long long)touched);
		CU_FAIL("copied is not the number of chunks written");
	}
	CU_ASSERT_FATAL(ct_drop1(&vol) == 0);
	free(chunks);
}

static void test_hot_chunks(void)
{
	static const uint32_t chunks[] = { 4096, 65536, 16384, 8192, 262144 };
	unsigned int round;

	for (round = 0; round < HOT_ROUNDS; round++)
		hot_round(round, chunks[round % 5]);
}

/* ------------------------------------------------------------------ */
/* Image reads racing first writes                                    */

#define RACE_READERS	2
#define RACE_WRITERS	2
#define RACE_CHUNKS	1536		/* the chunks walked */

struct race {
	uint64_t cs;
	atomic_uint_fast64_t cursor;	/* the next chunk a writer takes */
	atomic_int stop;
	atomic_uint_fast64_t reads, bad;
};

struct race_thread {
	pthread_t thread;
	struct race *race;
	struct ct_rng rng;
	unsigned int failed;
};

static void *race_writer(void *arg)
{
	struct race_thread *t = arg;
	struct race *rc = t->race;
	int fd = open(vol.top_dev, O_WRONLY | O_DIRECT), err;
	uint64_t c, sector, n;
	uint32_t gen;

	if (fd < 0) {
		t->failed++;
		return NULL;
	}
	while ((c = atomic_fetch_add(&rc->cursor, 1)) < RACE_CHUNKS) {
		n = 1 + ct_below(&t->rng, 8);
		sector = c * rc->cs + ct_below(&t->rng, rc->cs - n + 1);
		/* Only this thread writes chunk c: the claim always works. */
		if (!ct_model_claim(&origin, sector, n)) {
			t->failed++;
			continue;
		}
		gen = ct_next_gen();
		err = ct_write(fd, sector, n, gen, 0);
		if (err && t->failed++ < 3)
			fprintf(stderr, "origin write of %llu+%llu: %s\n",
				(unsigned long long)sector,
				(unsigned long long)n, strerror(-err));
		ct_model_release(&origin, sector, n, gen, CT_WRITE);
	}
	close(fd);
	return NULL;
}

/* Image chunks at and just ahead of the writers, whole, against gen 0. */
static void *race_reader(void *arg)
{
	struct race_thread *t = arg;
	struct race *rc = t->race;
	void *buf = tl_alloc_aligned(rc->cs * CT_SECTOR);
	int fd = open(vol.image_dev, O_RDONLY | O_DIRECT), err;
	uint64_t c, i, s;
	char desc[160];

	if (fd < 0)
		t->failed++;
	while (fd >= 0 && !atomic_load(&rc->stop)) {
		c = atomic_load(&rc->cursor) + ct_below(&t->rng, 4);
		if (c >= RACE_CHUNKS)
			c = ct_below(&t->rng, RACE_CHUNKS);
		err = ct_read(fd, buf, c * rc->cs, rc->cs);
		atomic_fetch_add(&rc->reads, 1);
		if (err) {
			if (t->failed++ < 3)
				fprintf(stderr, "image read of chunk %llu: "
					"%s\n", (unsigned long long)c,
					strerror(-err));
			continue;
		}
		for (i = 0; i < rc->cs; i++) {
			s = c * rc->cs + i;
			if (ct_sector_is((char *)buf + i * CT_SECTOR, s,
					 image.gens[s], 0))
				continue;
			if (atomic_fetch_add(&rc->bad, 1) < 5)
				fprintf(stderr, "image read of chunk %llu: "
					"sector %llu holds %s\n",
					(unsigned long long)c,
					(unsigned long long)s,
					ct_describe((char *)buf +
						    i * CT_SECTOR, desc,
						    sizeof(desc)));
			break;
		}
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static void race_round(uint32_t chunk, unsigned int round)
{
	struct race rc = { .cs = chunk / CT_SECTOR };
	struct race_thread t[RACE_READERS + RACE_WRITERS];
	unsigned int i, failed = 0;

	CU_ASSERT_FATAL(RACE_CHUNKS * rc.cs <= VOL_SECTORS);
	snapshot("race", chunk);
	for (i = 0; i < RACE_READERS + RACE_WRITERS; i++) {
		t[i] = (struct race_thread){
			.race = &rc,
			.rng = { seed ^ (round << 20) ^ (i << 4) },
		};
		CU_ASSERT_FATAL(pthread_create(&t[i].thread, NULL,
					       i < RACE_READERS ? race_reader :
					       race_writer, &t[i]) == 0);
	}
	for (i = RACE_READERS; i < RACE_READERS + RACE_WRITERS; i++)
		pthread_join(t[i].thread, NULL);
	atomic_store(&rc.stop, 1);
	for (i = 0; i < RACE_READERS; i++)
		pthread_join(t[i].thread, NULL);
	for (i = 0; i < RACE_READERS + RACE_WRITERS; i++)
		failed += t[i].failed;
	printf("reads_race_first_writes: %u-byte chunks: %llu image reads "
	       "during %u first writes\n", chunk,
	       (unsigned long long)atomic_load(&rc.reads), RACE_CHUNKS);
	CU_ASSERT_EQUAL(failed, 0);
	if (atomic_load(&rc.bad)) {
		fprintf(stderr, "%llu image reads gave data other than the "
			"snapshot's (seed %u)\n",
			(unsigned long long)atomic_load(&rc.bad), seed);
		CU_FAIL("an image read racing a first write saw new data");
	}
	CU_ASSERT(atomic_load(&rc.reads) >= 100);	/* it did race */
	check_both("reads racing first writes");
	CU_ASSERT_EQUAL(status_copied(), RACE_CHUNKS);
	CU_ASSERT_FATAL(ct_drop1(&vol) == 0);
}

static void test_reads_race_first_writes(void)
{
	race_round(4096, 0);
	race_round(8192, 1);
}

/* ------------------------------------------------------------------ */
/* Discards and write-zeroes                                          */

#define DZ_CHUNK	(64 * CT_KIB)
#define DZ_CS		(DZ_CHUNK / CT_SECTOR)
#define DZ_READERS	2

struct dz_reader {
	pthread_t thread;
	struct ct_rng rng;
	atomic_int *stop;
	unsigned int reads, bad, failed;
};

/* Random 64 KiB-or-less pieces of the image, against the snapshot. */
static void *dz_reader(void *arg)
{
	struct dz_reader *r = arg;
	void *buf = tl_alloc_aligned(DZ_CHUNK);
	int fd = open(vol.image_dev, O_RDONLY | O_DIRECT);
	uint64_t s, n, i;

	if (fd < 0)
		r->failed++;
	while (fd >= 0 && !atomic_load(r->stop)) {
		n = 1 + ct_below(&r->rng, DZ_CS);
		s = ct_below(&r->rng, VOL_SECTORS - n + 1);
		r->reads++;
		if (ct_read(fd, buf, s, n)) {
			r->failed++;
			continue;
		}
		for (i = 0; i < n; i++)
			if (!ct_sector_is((char *)buf + i * CT_SECTOR, s + i,
					  image.gens[s + i], 0)) {
				r->bad++;
				break;
			}
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* BLKDISCARD or BLKZEROOUT of [@s, @s + @n) on @path. */
static int range_ioctl(const char *path, unsigned long req, uint64_t s,
		       uint64_t n)
{
	uint64_t range[2] = { s * CT_SECTOR, n * CT_SECTOR };
	int fd = open(path, O_WRONLY), r;

	if (fd < 0)
		return -errno;
	r = ioctl(fd, req, range) ? -errno : 0;
	close(fd);
	return r;
}

/* One origin operation: @kind over [@s, @s + @n). */
static void dz_op(enum ct_kind kind, uint64_t s, uint64_t n)
{
	uint32_t gen = ct_next_gen();
	int r;

	CU_ASSERT_FATAL(ct_model_claim(&origin, s, n));
	if (kind == CT_WRITE)
		r = ct_write_path(vol.top_dev, s, n, gen, 0);
	else
		r = range_ioctl(vol.top_dev, kind == CT_DISCARD ? BLKDISCARD :
				BLKZEROOUT, s, n);
	if (r) {
		fprintf(stderr, "origin %s of %llu+%llu: %s\n",
			kind == CT_WRITE ? "write" : kind == CT_DISCARD ?
			"discard" : "write-zeroes", (unsigned long long)s,
			(unsigned long long)n, strerror(-r));
		CU_FAIL("an origin operation failed");
	}
	ct_model_release(&origin, s, n, gen, kind);
}

/* Copied chunks before and after an operation that must copy @more. */
#define EXPECT_COPIED(more, op)						\
	do {								\
		uint64_t before_ = status_copied();			\
		op;							\
		if (status_copied() != before_ + (more)) {		\
			fprintf(stderr, "%s: copied %llu -> %llu, want "\
				"+%d\n", #op,				\
				(unsigned long long)before_,		\
				(unsigned long long)status_copied(),	\
				(int)(more));				\
			CU_FAIL("copied changed wrongly");		\
		}							\
	} while (0)

/* The scripted part: each kind over copied and uncopied chunks. */
static void dz_script(void)
{
	/* Chunks 0-3 copied by writes. */
	EXPECT_COPIED(4, dz_op(CT_WRITE, 0, 4 * DZ_CS));
	/* Chunks 2-9: 2-3 copied (passed down), 4-9 not (dropped). */
	EXPECT_COPIED(0, dz_op(CT_DISCARD, 2 * DZ_CS, 8 * DZ_CS));
	/* Unaligned, chunks 12-14, not copied. */
	EXPECT_COPIED(0, dz_op(CT_DISCARD, 12 * DZ_CS + 5, 2 * DZ_CS + 95));
	/* Write-zeroes copies like a write: chunks 16-19, then 20. */
	EXPECT_COPIED(4, dz_op(CT_ZEROOUT, 16 * DZ_CS, 4 * DZ_CS));
	EXPECT_COPIED(1, dz_op(CT_ZEROOUT, 20 * DZ_CS + 3, 7));
	/* Over a copied chunk and into two that are not. */
	EXPECT_COPIED(2, dz_op(CT_ZEROOUT, 3 * DZ_CS + 9, 2 * DZ_CS));
	/* A discarded chunk written: its copy must be the snapshot's. */
	EXPECT_COPIED(1, dz_op(CT_WRITE, 6 * DZ_CS + 1, 3));
	EXPECT_COPIED(1, dz_op(CT_WRITE, 13 * DZ_CS, DZ_CS));
	/* Discard of zeroed chunks, write-zeroes of discarded ones. */
	EXPECT_COPIED(0, dz_op(CT_DISCARD, 16 * DZ_CS, 2 * DZ_CS));
	EXPECT_COPIED(1, dz_op(CT_ZEROOUT, 8 * DZ_CS, DZ_CS));
}

/* Random writes, discards and write-zeroes anywhere. */
static void dz_random(unsigned int nr)
{
	struct ct_rng r = { seed ^ 0xd15c };
	enum ct_kind kind;
	uint64_t s, n;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		kind = (enum ct_kind)ct_below(&r, 3);
		n = 1 + ct_below(&r, ct_rnd(&r) & 1 ? 16 : 4 * DZ_CS);
		s = ct_below(&r, VOL_SECTORS - n + 1);
		dz_op(kind, s, n);
	}
}

static void test_discard_zeroout(void)
{
	struct dz_reader rd[DZ_READERS];
	unsigned int i, reads = 0, bad = 0, failed = 0;
	atomic_int stop = 0;
	uint64_t copied;
	uint8_t *zero;
	char *out = NULL;

	snapshot("dz", DZ_CHUNK);
	/* Else BLKZEROOUT writes zero pages: not what this is about. */
	CU_ASSERT_FATAL(tl_run(&out, "cat /sys/dev/block/%s/queue/"
			       "write_zeroes_max_bytes",
			       tl_dm_dev(vol.top)) == 0);
	if (strtoull(out, NULL, 10) == 0)
		CU_FAIL("the volume takes no write-zeroes");
	free(out);
	for (i = 0; i < DZ_READERS; i++) {
		rd[i] = (struct dz_reader){ .rng = { seed ^ (i << 12) },
					    .stop = &stop };
		CU_ASSERT_FATAL(pthread_create(&rd[i].thread, NULL, dz_reader,
					       &rd[i]) == 0);
	}
	dz_script();
	dz_random(40);
	atomic_store(&stop, 1);
	for (i = 0; i < DZ_READERS; i++) {
		pthread_join(rd[i].thread, NULL);
		reads += rd[i].reads;
		bad += rd[i].bad;
		failed += rd[i].failed;
	}
	CU_ASSERT(reads > 0);
	CU_ASSERT_EQUAL(failed, 0);
	if (bad) {
		fprintf(stderr, "%u of %u image reads during discards and "
			"write-zeroes gave other data (seed %u)\n", bad, reads,
			seed);
		CU_FAIL("the image changed under origin discards/zeroes");
	}
	check_both("discards and write-zeroes");

	/* The image takes no discard and stays as it was. */
	copied = status_copied();
	CU_ASSERT_EQUAL(range_ioctl(vol.image_dev, BLKDISCARD, 30 * DZ_CS,
				    DZ_CS), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(status_copied(), copied);
	/* Write-zeroes on the image: the image reads zeros, not the origin. */
	zero = image.zero_ok;
	CU_ASSERT_EQUAL(range_ioctl(vol.image_dev, BLKZEROOUT,
				    31 * DZ_CS + 1, DZ_CS), 0);
	for (i = 0; i < DZ_CS; i++) {
		image.gens[31 * DZ_CS + 1 + i] = CT_GEN_ZERO;
		zero[31 * DZ_CS + 1 + i] = 1;
	}
	check_both("write-zeroes on the image");
	CU_ASSERT_FATAL(ct_drop1(&vol) == 0);
	CU_ASSERT_EQUAL(ct_model_verify("origin", vol.top_dev, &origin, NULL),
			0);
}

static CU_TestInfo concurrency_tests[] = {
	{ "hot_chunks", test_hot_chunks },
	{ "reads_race_first_writes", test_reads_race_first_writes },
	{ "discard_zeroout", test_discard_zeroout },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "concurrency", concurrency_init, concurrency_clean, NULL, NULL,
	  concurrency_tests },
	CU_SUITE_INFO_NULL,
};
