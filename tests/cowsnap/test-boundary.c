// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnap at the edges of chunks, for chunks of 4 KiB, 64 KiB, 1 MiB and
 * 16 MiB (the smallest and the largest there are), on volumes whose size
 * is not a multiple of the chunk: the first and the last sector of a
 * chunk, writes across chunk borders and over several chunks, whole
 * chunks, the last partial chunk and the volume's last sector -- through
 * the origin (the image keeps the old data) and through the image (the
 * writes go to the store: the origin does not change, the image reads
 * them back), and each over chunks the other one has copied already.
 *
 * After every write both devices are read around it, and across each
 * chunk border near it with reads that straddle the border, against a
 * model of both; "copied" must count the chunks written through either
 * device, "written" those written through the image.  A reload of the
 * origin's table (the same line, as cowsnapctl does when it changes the
 * stack) keeps the snapshot.
 */
#include "cowsnap-test.h"

enum { ORIGIN, IMAGE };

#define PARTIAL		(-1)	/* the last, partial chunk */
#define CHUNKS(k)	((k) << 16)	/* a length of k whole chunks */
#define TO_END		(-1)	/* a length up to the volume's end */

/*
 * One write: on @dev, in chunk @chunk, @off sectors from its start (from
 * its end when negative), @len sectors plus CHUNKS(k) whole chunks, or
 * TO_END.
 */
struct op {
	int dev;
	int chunk;
	int off;
	int len;
	const char *what;
};

/* Chunks 0-15 and the partial one. */
static const struct op ops16[] = {
	{ ORIGIN, 1, 0, 1, "origin: first sector of a chunk" },
	{ ORIGIN, 2, -1, 1, "origin: last sector of a chunk" },
	{ ORIGIN, 3, -2, 5, "origin: across a chunk border" },
	{ ORIGIN, 5, 3, CHUNKS(2), "origin: over three chunks, unaligned" },
	{ ORIGIN, 8, 0, CHUNKS(1), "origin: one whole chunk" },
	{ ORIGIN, 1, 5, 2, "origin: a chunk copied already" },
	{ ORIGIN, PARTIAL, 0, 1, "origin: first sector of the partial chunk" },
	{ ORIGIN, PARTIAL, -1, 1, "origin: the volume's last sector" },
	{ IMAGE, 10, 0, 1, "image: first sector of a chunk" },
	{ IMAGE, 11, -1, 1, "image: last sector of a chunk" },
	{ IMAGE, 12, -3, 6, "image: across a chunk border" },
	{ IMAGE, 1, 1, 1, "image: a chunk the origin copied" },
	{ ORIGIN, 10, 0, 3, "origin: a chunk the image wrote" },
	{ IMAGE, 14, 0, CHUNKS(1), "image: one whole chunk" },
	{ IMAGE, PARTIAL, -2, 2, "image: the volume's last sectors" },
	{ IMAGE, 15, -1, TO_END, "image: into the partial chunk, to the end" },
	{ ORIGIN, 15, -4, TO_END, "origin: over chunks the image wrote, "
	  "to the end" },
	{ ORIGIN, 9, -1, CHUNKS(1) + 2, "origin: over a chunk the image "
	  "wrote, unaligned" },
	{ IMAGE, 5, 0, CHUNKS(3), "image: three chunks the origin copied" },
	{ IMAGE, 0, 0, TO_END, "image: the whole volume" },
	{ ORIGIN, 0, 0, 1, "origin: the first sector, after all that" },
};

/* Chunks 0-1 and the partial one (number 2): the largest chunks. */
static const struct op ops3[] = {
	{ ORIGIN, 0, 0, 1, "origin: first sector of a chunk" },
	{ ORIGIN, 0, -1, 2, "origin: across a chunk border" },
	{ IMAGE, 1, -1, 2, "image: across a chunk border" },
	{ IMAGE, 1, 7, 1, "image: a chunk the origin copied" },
	{ ORIGIN, PARTIAL, -1, 1, "origin: the volume's last sector" },
	{ IMAGE, PARTIAL, 0, TO_END, "image: the whole partial chunk" },
	{ ORIGIN, 2, 100, 1, "origin: a chunk the image wrote" },
};

/* The volume, its store and the model of both devices. */
static struct {
	struct ct_vol vol;
	struct ct_set set;
	uint64_t cs, nchunks, partial, sectors;	/* in sectors, chunks */
	uint32_t *gens[2];	/* ORIGIN, IMAGE */
	uint8_t *copied, *written;	/* per chunk */
	const struct op *op;	/* the one being checked */
} b;

static int boundary_clean(void)
{
	tl_teardown();
	ct_vol_free(&b.vol);
	free(b.gens[ORIGIN]);
	free(b.gens[IMAGE]);
	free(b.copied);
	free(b.written);
	memset(&b, 0, sizeof(b));
	return 0;
}

/* The chunk of a sector; the partial chunk is number nchunks. */
static uint64_t chunk_of(uint64_t sector)
{
	return sector / b.cs;
}

static uint64_t chunk_len(uint64_t chunk)
{
	return chunk < b.nchunks ? b.cs : b.partial;
}

/*
 * A volume of @nchunks chunks of @chunk bytes and @partial sectors more,
 * filled with generation 0, with a snapshot and its image.
 */
static void setup(const char *what, uint32_t chunk, uint64_t nchunks,
		  uint64_t partial)
{
	uint64_t store_bytes;
	char *store;

	boundary_clean();
	b.cs = chunk / CT_SECTOR;
	b.nchunks = nchunks;
	b.partial = partial;
	b.sectors = nchunks * b.cs + partial;
	b.gens[ORIGIN] = calloc(b.sectors, sizeof(uint32_t));
	b.gens[IMAGE] = calloc(b.sectors, sizeof(uint32_t));
	b.copied = calloc(nchunks + 1, 1);
	b.written = calloc(nchunks + 1, 1);
	CU_ASSERT_FATAL(b.gens[ORIGIN] && b.gens[IMAGE] && b.copied &&
			b.written);
	/* Every chunk, the partial one whole, and room for metadata. */
	store_bytes = (nchunks + 1) * (uint64_t)chunk + CT_MIB;
	store = tl_loop_create(store_bytes);
	CU_ASSERT_FATAL(store != NULL);
	CU_ASSERT_FATAL(ct_vol_create(&b.vol, what, b.sectors) == 0);
	CU_ASSERT_FATAL(ct_fill_device(b.vol.top_dev, b.sectors, 0, 0) == 0);
	ct_set_init(&b.set, what, store, chunk, NULL);
	free(store);
	CU_ASSERT_FATAL(ct_snapshot1(&b.set, &b.vol) == 0);
}

/* Sectors [@first, @first + @n) of device @dev against the model. */
static bool check_range(int dev, uint64_t first, uint64_t n)
{
	const char *path = dev == IMAGE ? b.vol.image_dev : b.vol.top_dev;
	char what[192];

	snprintf(what, sizeof(what), "after '%s': %s", b.op ? b.op->what :
		 "the snapshot", dev == IMAGE ? "image" : "origin");
	return ct_verify(what, path, first, n, b.gens[dev], NULL, 0,
			 NULL) == 0;
}

/* Chunks of up to 1 MiB are read whole after each write. */
#define WHOLE_MAX	2048
#define EDGE		256	/* sectors read at each end of a larger one */
#define BORDER_MAX	(CT_IO_MAX / CT_SECTOR)	/* longest read across */

/* Both devices over chunks [@c0, @c1]: whole or their ends. */
static bool check_whole(int dev, uint64_t c0, uint64_t c1)
{
	uint64_t first = c0 * b.cs, end, c, len;
	bool ok = true;

	end = c1 >= b.nchunks ? b.sectors : (c1 + 1) * b.cs;
	if (b.cs <= WHOLE_MAX)
		return check_range(dev, first, end - first);
	for (c = c0; c <= c1 && c <= b.nchunks; c++) {
		len = chunk_len(c) < 2 * EDGE ? chunk_len(c) : EDGE;
		ok &= check_range(dev, c * b.cs, len);
		ok &= check_range(dev, c * b.cs + chunk_len(c) - len, len);
	}
	return ok;
}

/*
 * Both devices over chunks [@c0, @c1] against the model: read whole (or
 * their ends), then with reads across every border in there (one sector
 * each side, and a chunk and a bit from the sector before the border).
 */
static void check_chunks(uint64_t c0, uint64_t c1)
{
	uint64_t c, at, n;
	int dev;
	bool ok = true;

	for (dev = ORIGIN; dev <= IMAGE; dev++) {
		ok &= check_whole(dev, c0, c1);
		for (c = c0 + 1; c <= c1 && c <= b.nchunks; c++) {
			at = c * b.cs - 1;
			n = b.sectors - at;
			ok &= check_range(dev, at, n < 2 ? n : 2);
			n = n < b.cs + 3 ? n : b.cs + 3;
			n = n < BORDER_MAX ? n : BORDER_MAX;
			ok &= check_range(dev, at, n);
		}
	}
	if (!ok)
		CU_FAIL("a device does not hold what the model says");
}

/* "copied" and "written" against the model. */
static void check_counts(void)
{
	uint64_t c, copied = 0, written = 0;
	uint8_t *got = calloc(b.nchunks + 1, 1);
	struct ct_status st;
	struct ct_info in;

	CU_ASSERT_FATAL(got != NULL);
	for (c = 0; c <= b.nchunks; c++) {
		copied += b.copied[c];
		written += b.written[c];
	}
	CU_ASSERT_FATAL(ct_status(b.vol.image, &st) == 0);
	CU_ASSERT_FATAL(ct_info(b.vol.top, &in) == 0);
	if (st.copied != copied || in.copied != copied ||
	    in.written != written || strcmp(st.state, COWSNAP_STATE_VALID)) {
		fprintf(stderr, "after '%s': %s %u, copied %llu (info %llu), "
			"written %llu; the model: copied %llu, written %llu\n",
			b.op ? b.op->what : "-", st.state, st.error,
			st.copied, in.copied, in.written,
			(unsigned long long)copied,
			(unsigned long long)written);
		CU_FAIL("status or info differ from the model");
	}
	CU_ASSERT_FATAL(ct_written(b.vol.image, b.sectors, b.cs, 0, got) >= 0);
	for (c = 0; c <= b.nchunks && c * b.cs < b.sectors; c++)
		if (got[c] != b.written[c]) {
			fprintf(stderr, "after '%s': chunk %llu is %s 'written'"
				"\n", b.op ? b.op->what : "-",
				(unsigned long long)c,
				got[c] ? "in" : "not in");
			CU_FAIL("'written' differs from the model");
			break;
		}
	free(got);
}

/* Do @op, update the model, check around it. */
static void do_op(const struct op *op)
{
	uint64_t chunk = op->chunk == PARTIAL ? b.nchunks : (uint64_t)op->chunk;
	uint64_t start, n, c, c0, c1, i;
	uint32_t gen = ct_next_gen();
	int r;

	start = chunk * b.cs + (op->off >= 0 ? (uint64_t)op->off :
				chunk_len(chunk) - (uint64_t)-op->off);
	if (op->len == TO_END)
		n = b.sectors - start;
	else
		n = (uint64_t)(op->len >> 16) * b.cs + (op->len & 0xffff);
	CU_ASSERT_FATAL(start + n <= b.sectors);
	b.op = op;
	r = ct_write_path(op->dev == IMAGE ? b.vol.image_dev : b.vol.top_dev,
			  start, n, gen, 0);
	if (r) {
		fprintf(stderr, "'%s' (%llu+%llu): %s\n", op->what,
			(unsigned long long)start, (unsigned long long)n,
			strerror(-r));
		CU_FAIL("a write failed");
	}
	for (i = start; i < start + n; i++)
		b.gens[op->dev][i] = gen;
	c0 = chunk_of(start);
	c1 = chunk_of(start + n - 1);
	for (c = c0; c <= c1; c++) {
		b.copied[c] = 1;
		if (op->dev == IMAGE)
			b.written[c] = 1;
	}
	check_chunks(c0 ? c0 - 1 : 0, c1 + 1);
	if (b.cs > WHOLE_MAX && n <= 2 * CT_IO_MAX / CT_SECTOR &&
	    !(check_range(ORIGIN, start, n) && check_range(IMAGE, start, n)))
		CU_FAIL("a device does not hold what the model says");
	check_counts();
}

static void run_ops(const struct op *ops, unsigned int nr)
{
	unsigned int i;

	b.op = NULL;
	check_chunks(0, b.nchunks);
	check_counts();
	for (i = 0; i < nr; i++)
		do_op(&ops[i]);
	b.op = NULL;
	/* Everything, at the end. */
	CU_ASSERT_TRUE(check_range(ORIGIN, 0, b.sectors));
	CU_ASSERT_TRUE(check_range(IMAGE, 0, b.sectors));
	CU_ASSERT_FATAL(ct_drop1(&b.vol) == 0);
	CU_ASSERT_TRUE(check_range(ORIGIN, 0, b.sectors));
}

#define NR(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * The partial chunk is at least a sector; the smallest chunk takes
 * writes 3 sectors from its end and 5 from its start.
 */
static void test_chunk_4k(void)
{
	setup("b4k", 4096, 16, 3);
	run_ops(ops16, NR(ops16));
}

static void test_chunk_64k(void)
{
	setup("b64k", 64 * CT_KIB, 16, 6);
	run_ops(ops16, NR(ops16));
}

static void test_chunk_1m(void)
{
	setup("b1m", CT_MIB, 16, 1);
	run_ops(ops16, NR(ops16));
}

static void test_chunk_max(void)
{
	setup("bmax", COWSNAP_CHUNK_MAX, 2, 2047);
	run_ops(ops3, NR(ops3));
}

/* Size a multiple of the chunk: no partial chunk, the last one whole. */
static void test_no_partial_chunk(void)
{
	static const struct op ops[] = {
		{ ORIGIN, 7, -1, 1, "origin: the volume's last sector" },
		{ IMAGE, 6, -1, TO_END, "image: to the end" },
		{ ORIGIN, 5, 0, TO_END, "origin: to the end" },
	};

	setup("bwhole", 8192, 8, 0);
	run_ops(ops, NR(ops));
}

/*
 * The origin's table reloaded with its own line (a takeover, the way
 * cowsnapctl moves a layer): the same snapshot, the same copies; chunks
 * copied before are not copied again.
 */
static void test_reload_keeps_snapshot(void)
{
	static const struct op before[] = {
		{ ORIGIN, 2, 0, 3, "origin: before the reload" },
		{ IMAGE, 4, -1, 2, "image: before the reload" },
	};
	static const struct op after[] = {
		{ ORIGIN, 2, 8, 1, "origin: a chunk copied before the reload" },
		{ ORIGIN, 5, 0, 1, "origin: a chunk written through the image "
		  "before the reload" },
		{ ORIGIN, 9, -1, 1, "origin: a new chunk after the reload" },
		{ IMAGE, 2, 0, 1, "image: after the reload" },
	};
	char table[CT_LINE_MAX], *out = NULL;
	struct ct_info in0, in1;
	unsigned int i;

	setup("breload", 64 * CT_KIB, 12, 0);
	for (i = 0; i < NR(before); i++)
		do_op(&before[i]);
	CU_ASSERT_FATAL(ct_info(b.vol.top, &in0) == 0);
	CU_ASSERT_FATAL(tl_run(&out, "dmsetup table %s", b.vol.top) == 0);
	snprintf(table, sizeof(table), "%.*s", (int)strcspn(out, "\n"), out);
	free(out);
	CU_ASSERT_FATAL(ct_run("dmsetup reload %s --table '%s' && dmsetup "
			       "suspend %s && dmsetup resume %s", b.vol.top,
			       table, b.vol.top, b.vol.top) == 0);
	CU_ASSERT_FATAL(ct_info(b.vol.top, &in1) == 0);
	CU_ASSERT_STRING_EQUAL(in0.set, in1.set);
	CU_ASSERT_EQUAL(in0.copied, in1.copied);
	CU_ASSERT_EQUAL(in0.written, in1.written);
	CU_ASSERT_EQUAL(in0.store_used, in1.store_used);
	CU_ASSERT_EQUAL(in1.members, 1);
	b.op = NULL;
	check_chunks(0, b.nchunks);
	for (i = 0; i < NR(after); i++)
		do_op(&after[i]);
	run_ops(NULL, 0);
}

static CU_TestInfo boundary_tests[] = {
	{ "chunk_4k", test_chunk_4k },
	{ "chunk_64k", test_chunk_64k },
	{ "chunk_1m", test_chunk_1m },
	{ "chunk_16m", test_chunk_max },
	{ "no_partial_chunk", test_no_partial_chunk },
	{ "reload_keeps_snapshot", test_reload_keeps_snapshot },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "boundary", NULL, boundary_clean, NULL, NULL, boundary_tests },
	CU_SUITE_INFO_NULL,
};
