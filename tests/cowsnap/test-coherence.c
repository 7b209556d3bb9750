// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnap: one instant for every member of a set.  Two volumes are the
 * members of one set, with one store.  A writer thread writes without
 * pause, one write at a time, alternating between the volumes: write
 * number i (its counter, 1, 2, ...) goes to volume i % 2, slot (i / 2)
 * modulo the slots, and every sector of it carries i.  Meanwhile the
 * snapshot is taken the way cowsnapctl takes it: load both origin tables,
 * suspend both volumes, resume both.
 *
 * The writes are ordered, so the images together must show a prefix of
 * them: for the newest counter K found in either image, every slot of
 * both images holds the last write up to K that went there -- no write in
 * one image whose predecessor is missing from the other.  K lies between
 * the writes completed before the snapshot began and those begun before
 * it ended.  The writes after it change the volumes, not the images.
 */
#include <stdatomic.h>

#include "cowsnap-test.h"

#define VOL_SECTORS	(2 * CT_MIB / CT_SECTOR)
#define SLOT		8ULL			/* sectors of one write */
#define SLOTS		(VOL_SECTORS / SLOT)
#define ROUNDS		3
#define GAP		150	/* writes before and after a snapshot */

static struct ct_vol vols[2];
static struct ct_vol *both[2] = { &vols[0], &vols[1] };
static char store_path[160];

static struct {
	pthread_t thread;
	bool running;
	atomic_int stop;
	atomic_uint_fast64_t started, done;	/* counters */
	unsigned int failed;
} w;

static int coherence_init(void)
{
	char *store;
	int i;

	store = tl_loop_create(2 * VOL_SECTORS * CT_SECTOR + 4 * CT_MIB);
	if (!store)
		return -1;
	snprintf(store_path, sizeof(store_path), "%s", store);
	free(store);
	for (i = 0; i < 2; i++)
		if (ct_vol_create(&vols[i], i ? "b" : "a", VOL_SECTORS) ||
		    ct_fill_device(vols[i].top_dev, VOL_SECTORS, 0, i + 1))
			return -1;
	return 0;
}

static void stop_writer(void)
{
	if (!w.running)
		return;
	atomic_store(&w.stop, 1);
	pthread_join(w.thread, NULL);
	w.running = false;
}

static int coherence_clean(void)
{
	/* A writer blocked on a volume left suspended would never stop. */
	tl_run(NULL, "dmsetup resume %s; dmsetup resume %s", vols[0].top,
	       vols[1].top);
	stop_writer();
	tl_teardown();
	ct_vol_free(&vols[0]);
	ct_vol_free(&vols[1]);
	return 0;
}

/* Write i: volume i % 2, slot (i / 2) % SLOTS, generation i. */
static void *writer(void *arg)
{
	int fd[2], err;
	uint64_t i;

	(void)arg;
	fd[0] = open(vols[0].top_dev, O_WRONLY | O_DIRECT);
	fd[1] = open(vols[1].top_dev, O_WRONLY | O_DIRECT);
	if (fd[0] < 0 || fd[1] < 0) {
		w.failed++;
		return NULL;
	}
	while (!atomic_load(&w.stop)) {
		i = atomic_load(&w.started) + 1;
		atomic_store(&w.started, i);
		err = ct_write(fd[i % 2], (i / 2) % SLOTS * SLOT, SLOT, i,
			       i % 2 + 1);
		if (err && w.failed++ < 3)
			fprintf(stderr, "write %llu: %s\n",
				(unsigned long long)i, strerror(-err));
		atomic_store(&w.done, i);
	}
	close(fd[0]);
	close(fd[1]);
	return NULL;
}

/* Let the writer complete @n more writes (60 s at most). */
static void wait_writes(uint64_t n)
{
	uint64_t want = atomic_load(&w.done) + n;
	int i;

	for (i = 0; i < 6000 && atomic_load(&w.done) < want; i++)
		usleep(10000);
	CU_ASSERT_FATAL(atomic_load(&w.done) >= want);
}

/* The counter of the last write up to @k into slot @s of volume @v. */
static uint64_t expected(uint64_t k, unsigned int v, uint64_t s)
{
	uint64_t m;

	if (k < v)
		return 0;
	m = (k - v) / 2;		/* the last write to v is 2m + v */
	if (m < s)
		return 0;		/* slot never written: the fill */
	m -= (m - s) % SLOTS;
	return 2 * m + v;
}

/*
 * The counters of every slot of device @path of volume @v into @got
 * (UINT64_MAX: the slot is not one whole write).  0 or -1.
 */
static int read_slots(const char *path, unsigned int v, uint64_t *got)
{
	void *buf = tl_alloc_aligned(VOL_SECTORS * CT_SECTOR);
	const struct ct_sector *sec;
	int fd = open(path, O_RDONLY | O_DIRECT), r;
	uint64_t s, i;

	r = fd < 0 ? -1 : ct_read(fd, buf, 0, VOL_SECTORS);
	if (fd >= 0)
		close(fd);
	for (s = 0; s < SLOTS && !r; s++) {
		sec = (const struct ct_sector *)buf + s * SLOT;
		got[s] = sec->gen;
		for (i = 0; i < SLOT; i++)
			if (!ct_sector_is(sec + i, s * SLOT + i, sec->gen,
					  v + 1))
				got[s] = UINT64_MAX;
	}
	free(buf);
	return r ? -1 : 0;
}

/* Both images against the write order; returns K. */
static uint64_t check_images(uint64_t low, uint64_t high)
{
	static uint64_t got[2][SLOTS];
	uint64_t k = 0, s, want;
	unsigned int v, bad = 0;

	for (v = 0; v < 2; v++) {
		CU_ASSERT_FATAL(read_slots(vols[v].image_dev, v, got[v]) == 0);
		for (s = 0; s < SLOTS; s++)
			if (got[v][s] != UINT64_MAX && got[v][s] > k)
				k = got[v][s];
	}
	printf("coherence: writes up to %llu were complete before the "
	       "snapshot, %llu begun before its end; the images hold up to "
	       "%llu\n", (unsigned long long)low, (unsigned long long)high,
	       (unsigned long long)k);
	if (k < low || k > high) {
		fprintf(stderr, "newest write in the images %llu, not in "
			"[%llu, %llu]\n", (unsigned long long)k,
			(unsigned long long)low, (unsigned long long)high);
		CU_FAIL("the images are not the instant of the snapshot");
	}
	for (v = 0; v < 2; v++)
		for (s = 0; s < SLOTS; s++) {
			want = expected(k, v, s);
			if (got[v][s] == want || bad++ >= 8)
				continue;
			if (got[v][s] == UINT64_MAX)
				fprintf(stderr, "image %c slot %llu: not one "
					"whole write, want write %llu\n",
					'a' + v, (unsigned long long)s,
					(unsigned long long)want);
			else
				fprintf(stderr, "image %c slot %llu: write "
					"%llu, want %llu (newest in the images"
					": %llu)\n", 'a' + v,
					(unsigned long long)s,
					(unsigned long long)got[v][s],
					(unsigned long long)want,
					(unsigned long long)k);
		}
	if (bad)
		CU_FAIL("the images do not show one instant of the writes");
	return k;
}

static void test_two_members(void)
{
	static const uint32_t chunks[ROUNDS] = { 4096, 65536, 16384 };
	static uint64_t got[SLOTS];
	uint64_t low, high, k, last, s;
	struct ct_info in;
	struct ct_set set;
	unsigned int r, v, bad = 0;

	CU_ASSERT_FATAL(pthread_create(&w.thread, NULL, writer, NULL) == 0);
	w.running = true;
	for (r = 0; r < ROUNDS; r++) {
		wait_writes(GAP);
		ct_set_init(&set, "coh", store_path, chunks[r], NULL);
		low = atomic_load(&w.done);
		CU_ASSERT_FATAL(ct_snapshot(&set, both, 2) == 0);
		high = atomic_load(&w.started);
		CU_ASSERT_FATAL(ct_image_create(&set, &vols[0]) == 0);
		CU_ASSERT_FATAL(ct_image_create(&set, &vols[1]) == 0);
		CU_ASSERT_FATAL(ct_info(vols[1].image, &in) == 0);
		CU_ASSERT_EQUAL(in.members, 2);
		CU_ASSERT_STRING_EQUAL(in.set, set.id);
		wait_writes(GAP);	/* the volumes change, not the images */
		k = check_images(low, high);
		CU_ASSERT(atomic_load(&w.done) > k);
		CU_ASSERT_FATAL(ct_drop(both, 2) == 0);
	}
	stop_writer();
	CU_ASSERT_EQUAL(w.failed, 0);

	/* The volumes hold every write, the last one included. */
	last = atomic_load(&w.done);
	for (v = 0; v < 2; v++) {
		CU_ASSERT_FATAL(read_slots(vols[v].top_dev, v, got) == 0);
		for (s = 0; s < SLOTS; s++)
			if (got[s] != expected(last, v, s) && bad++ < 4)
				fprintf(stderr, "volume %c slot %llu: write "
					"%llu, want %llu\n", 'a' + v,
					(unsigned long long)s,
					(unsigned long long)got[s],
					(unsigned long long)expected(last, v,
								     s));
	}
	if (bad)
		CU_FAIL("a volume lost writes");
}

static CU_TestInfo coherence_tests[] = {
	{ "two_members", test_two_members },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "coherence", coherence_init, coherence_clean, NULL, NULL,
	  coherence_tests },
	CU_SUITE_INFO_NULL,
};
