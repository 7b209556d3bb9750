// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnap integrity oracle.  A 64 MiB volume is filled with
 * self-describing sectors before the snapshot; after it, threads write
 * the origin (and, in the second test, the image) at random with
 * O_DIRECT: 512 B to 1 MiB, at 4 KiB-aligned and at odd sector offsets,
 * never two writes of one device over the same sector at once (a range
 * lock), several over the same chunk.  The oracle keeps the newest
 * generation of every sector of both devices.  Afterwards every sector of
 * the image must hold the snapshot's data (or the image's own writes) and
 * every sector of the origin its newest write; "copied" counts every chunk
 * written through either device, "written" exactly those written through
 * the image.
 *
 * The I/O is random from a seeded generator: COWSNAP_SEED=<n> repeats the
 * random choices (the threads may interleave differently).
 */
#include <stdatomic.h>

#include "cowsnap-test.h"

#define VOL_SECTORS	(64 * CT_MIB / CT_SECTOR)
#define WRITES		160		/* per thread */
#define MAX_THREADS	4
#define LOG_MAX		(MAX_THREADS * WRITES)

/* One device and what it must hold. */
struct oracle {
	const char *name;	/* "origin" or "image" */
	const char *path;
	struct ct_model m;
};

/* Every write, for a failure report. */
struct wlog {
	uint64_t sector, n;
	uint32_t gen;
	const struct oracle *o;
	int err;
};

struct writer {
	pthread_t thread;
	struct oracle *o;
	struct ct_rng rng;
	unsigned int writes, failed;
};

static unsigned int seed;
static struct ct_vol vol;
static char store_path[160];
static struct oracle origin = { .name = "origin" };
static struct oracle image = { .name = "image" };
static struct wlog wlog[LOG_MAX];
static atomic_uint nr_wlog;

static int oracle_init(void)
{
	char *store;

	seed = tl_seed("oracle");
	if (ct_model_init(&origin.m, VOL_SECTORS) ||
	    ct_model_init(&image.m, VOL_SECTORS))
		return -1;
	/* The store holds every chunk of the volume, and some to spare. */
	store = tl_loop_create((VOL_SECTORS + 16384) * CT_SECTOR);
	if (!store)
		return -1;
	snprintf(store_path, sizeof(store_path), "%s", store);
	free(store);
	if (ct_vol_create(&vol, "vol", VOL_SECTORS))
		return -1;
	origin.path = vol.top_dev;
	image.path = vol.image_dev;
	/* Generation 0 everywhere: the data before the first snapshot. */
	return ct_fill_device(vol.top_dev, VOL_SECTORS, 0, 0) ? -1 : 0;
}

static int oracle_clean(void)
{
	tl_teardown();
	ct_vol_free(&vol);
	ct_model_free(&origin.m);
	ct_model_free(&image.m);
	return 0;
}

/*
 * A random range: 1 to 2048 sectors (small ones as likely as large),
 * either 4 KiB-aligned in offset and length or at an odd sector.
 */
static void pick_range(struct ct_rng *r, uint64_t *sector, uint64_t *n)
{
	uint64_t most = 1ULL << ct_below(r, 12);

	*n = 1 + ct_below(r, most);
	if (ct_rnd(r) & 1) {
		*n = (*n + 7) & ~7ULL;
		*sector = ct_below(r, (VOL_SECTORS - *n) / 8 + 1) * 8;
		return;
	}
	*sector = ct_below(r, VOL_SECTORS - *n) | 1;	/* stays within */
}

static void *writer(void *arg)
{
	struct writer *w = arg;
	int fd = open(w->o->path, O_WRONLY | O_DIRECT), err;
	uint64_t sector, n;
	unsigned int i, at;
	uint32_t gen;

	if (fd < 0) {
		w->failed = w->writes;
		return NULL;
	}
	for (i = 0; i < w->writes; i++) {
		do
			pick_range(&w->rng, &sector, &n);
		while (!ct_model_claim(&w->o->m, sector, n));
		gen = ct_next_gen();
		err = ct_write(fd, sector, n, gen, 0);
		at = atomic_fetch_add(&nr_wlog, 1);
		if (at < LOG_MAX)
			wlog[at] = (struct wlog){ sector, n, gen, w->o, err };
		if (err && w->failed++ < 3)
			fprintf(stderr, "%s: write of %llu+%llu: %s\n",
				w->o->name, (unsigned long long)sector,
				(unsigned long long)n, strerror(-err));
		ct_model_release(&w->o->m, sector, n, gen, CT_WRITE);
	}
	close(fd);
	return NULL;
}

/* The writes that covered @sector, for a failure report. */
static void print_writes(const struct oracle *o, uint64_t sector)
{
	unsigned int i, n = atomic_load(&nr_wlog);

	fprintf(stderr, "seed %u; writes over %s sector %llu, in order of "
		"completion:\n", seed, o->name, (unsigned long long)sector);
	for (i = 0; i < n && i < LOG_MAX; i++)
		if (wlog[i].sector <= sector &&
		    sector < wlog[i].sector + wlog[i].n)
			fprintf(stderr, "  %s %llu+%llu gen %u%s\n",
				wlog[i].o->name,
				(unsigned long long)wlog[i].sector,
				(unsigned long long)wlog[i].n, wlog[i].gen,
				wlog[i].err ? " (failed)" : "");
}

/* Chunks of @chunk_sectors written through @o since the snapshot. */
static uint64_t mark_chunks(const struct oracle *o, uint64_t chunk_sectors,
			    uint8_t *chunks)
{
	unsigned int i, n = atomic_load(&nr_wlog);
	uint64_t c, count = 0;

	for (i = 0; i < n && i < LOG_MAX; i++) {
		if (wlog[i].o != o)
			continue;
		for (c = wlog[i].sector / chunk_sectors;
		     c <= (wlog[i].sector + wlog[i].n - 1) / chunk_sectors; c++)
			if (!(chunks[c] & (o == &origin ? 1 : 2))) {
				chunks[c] |= o == &origin ? 1 : 2;
				count++;
			}
	}
	return count;
}

static void check_device(struct oracle *o)
{
	uint64_t first = 0;

	if (ct_model_verify(o->name, o->path, &o->m, &first)) {
		print_writes(o, first);
		CU_FAIL("a device does not hold what the oracle says");
	}
}

/*
 * Status and info against the oracle: every chunk written through either
 * device is copied, once; "written" holds the image's chunks exactly.
 */
static void check_counts(uint32_t chunk)
{
	uint64_t cs = chunk / CT_SECTOR, nc = VOL_SECTORS / cs, c, both = 0;
	uint8_t *chunks = calloc(nc, 1), *written = calloc(nc, 1);
	uint8_t *paged = calloc(nc, 1);
	uint64_t img_chunks;
	struct ct_status st;
	struct ct_info in;

	CU_ASSERT_FATAL(chunks && written && paged);
	mark_chunks(&origin, cs, chunks);
	img_chunks = mark_chunks(&image, cs, chunks);
	for (c = 0; c < nc; c++)
		both += chunks[c] != 0;
	CU_ASSERT_FATAL(ct_status(vol.image, &st) == 0);
	CU_ASSERT_STRING_EQUAL(st.target, COWSNAP_IMAGE_TARGET_NAME);
	CU_ASSERT_STRING_EQUAL(st.state, COWSNAP_STATE_VALID);
	CU_ASSERT_EQUAL(st.error, 0);
	CU_ASSERT_EQUAL(st.chunk_size, chunk);
	if (st.copied != both) {
		fprintf(stderr, "status copied %llu, %llu chunks written\n",
			st.copied, (unsigned long long)both);
		CU_FAIL("copied is not the number of chunks written");
	}
	CU_ASSERT(st.store_used >= both * cs);
	CU_ASSERT(st.store_used <= st.store_size);
	CU_ASSERT(!both || st.memory > 0);
	CU_ASSERT_FATAL(ct_info(vol.top, &in) == 0);
	CU_ASSERT_EQUAL(in.copied, both);
	CU_ASSERT_EQUAL(in.set_copied, both);
	CU_ASSERT_EQUAL(in.written, img_chunks);
	CU_ASSERT_EQUAL(in.members, 1);
	CU_ASSERT_FATAL(ct_written(vol.top, VOL_SECTORS, cs, 0, written) >= 0);
	/* In pages of 7 ranges, from the image: the same. */
	CU_ASSERT_FATAL(ct_written(vol.image, VOL_SECTORS, cs, 7, paged) >= 0);
	CU_ASSERT(memcmp(written, paged, nc) == 0);
	for (c = 0; c < nc; c++)
		if (!written[c] != !(chunks[c] & 2)) {
			fprintf(stderr, "chunk %llu: %s in 'written', %s "
				"written through the image\n",
				(unsigned long long)c,
				written[c] ? "is" : "not",
				chunks[c] & 2 ? "was" : "not");
			CU_FAIL("'written' differs from the image's writes");
			break;
		}
	free(chunks);
	free(written);
	free(paged);
}

/*
 * A snapshot with chunks of @chunk; @nr_origin threads write the origin
 * and @nr_image threads the image, WRITES each.
 */
static void run_oracle(const char *what, uint32_t chunk,
		       unsigned int nr_origin, unsigned int nr_image)
{
	struct writer w[MAX_THREADS];
	unsigned int i, failed = 0, n = nr_origin + nr_image;
	struct ct_set set;

	ct_model_copy(&image.m, &origin.m);
	atomic_store(&nr_wlog, 0);
	ct_set_init(&set, what, store_path, chunk, NULL);
	CU_ASSERT_FATAL(ct_snapshot1(&set, &vol) == 0);
	for (i = 0; i < n; i++) {
		w[i] = (struct writer){
			.o = i < nr_origin ? &origin : &image,
			.rng = { seed ^ (chunk * 0x10001ULL) ^ (i << 8) },
			.writes = WRITES,
		};
		CU_ASSERT_FATAL(pthread_create(&w[i].thread, NULL, writer,
					       &w[i]) == 0);
	}
	for (i = 0; i < n; i++) {
		pthread_join(w[i].thread, NULL);
		failed += w[i].failed;
	}
	CU_ASSERT_EQUAL(failed, 0);
	check_device(&image);
	check_device(&origin);
	check_counts(chunk);
	CU_ASSERT_FATAL(ct_drop1(&vol) == 0);
	/* Without the snapshot the volume still holds its newest data. */
	check_device(&origin);
}

static void test_origin_writers(void)
{
	run_oracle("orig", 64 * CT_KIB, 4, 0);
}

static void test_origin_and_image_writers(void)
{
	run_oracle("both", 4 * CT_KIB, 2, 2);
}

static void test_one_writer_big_chunks(void)
{
	run_oracle("big", CT_MIB, 1, 1);
}

static CU_TestInfo oracle_tests[] = {
	{ "origin_writers", test_origin_writers },
	{ "origin_and_image_writers", test_origin_and_image_writers },
	{ "big_chunks", test_one_writer_big_chunks },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "oracle", oracle_init, oracle_clean, NULL, NULL, oracle_tests },
	CU_SUITE_INFO_NULL,
};
