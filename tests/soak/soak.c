// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnap-soak: the guest side of "make soak" (tests/soak/run, guest.sh).
 *
 *   cowsnap-soak --duration SECS [--threads N] [--min-cycles N]
 *                [--seed S] [--inject KIND] --store DIR VOLUME...
 *
 * On cowsnap volumes (cowsnapctl create, filter attach, cbt enable
 * --block-size 4096) that nobody else uses: N writer threads per volume
 * write and read random 4 KiB blocks with O_DIRECT for SECS seconds, while
 * the main thread loops:
 *
 *   1. copy the oracle (what each block holds) just before and just after
 *      "cowsnapctl snapshot create VOLUME... --store DIR" (one set of all
 *      volumes; the writers keep writing);
 *   2. compare each tracker's changes since the previous snapshot's
 *      checkpoint ("cbt changes --since") with the blocks the oracle saw
 *      written between the two snapshots;
 *   3. read every image whole and check each block against the oracle
 *      copies;
 *   4. "snapshot destroy" the set, then "cbt checkpoint" every volume (an
 *      extra checkpoint taken while the writers write).
 *
 * The oracle: every block holds a header (magic, volume, block, generation)
 * and a body computed from them, so a read tells which write it sees.  Each
 * block is written by one thread only (groups of 8 blocks are dealt out to
 * the threads), which keeps, per block, the generation last completed and
 * the one in flight.  A live read must show exactly the completed
 * generation.  A snapshot is taken at an instant inside the create command,
 * so block b of an image must hold a generation between the completed one
 * before the command (before[b]) and the newest one started by its end
 * (after[b]); blocks not written meanwhile have before[b] == after[b] and
 * are checked exactly.  Likewise the tracker must list every block written
 * between the two snapshots for sure (before_k[b] > after_k-1[b]) and no
 * block that cannot have been (after_k[b] <= before_k-1[b]).
 *
 * So that the tracker check has blocks that must not be listed, each volume
 * is cut in ZONES zones and the writers write only to the zones picked for
 * the cycle (at random, at least one); reads go everywhere.
 *
 * --inject KIND breaks the stack once, on purpose, to show that a check
 * catches it (the run must then fail): "image" writes a block beneath the
 * origin while a snapshot exists (copy-on-write bypassed: the image check),
 * "cbt-missing" writes one beneath the tracker (the tracker does not list
 * it), "cbt-extra" marks an unwritten block dirty (the tracker lists it),
 * "live" puts stale data into a block after the writers stopped (the final
 * live check).  The injected blocks lie in zones nobody writes meanwhile.
 *
 * Runs at least --min-cycles cycles (default 100) even if that takes longer
 * than SECS.  Prints one progress line a minute and a summary; exit status
 * 0 only with no mismatch, no I/O error and no failed command.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BLOCK		4096u
#define WORDS		(BLOCK / 8)
#define GROUP		8u		/* blocks a thread owns together */
#define MAX_VOLUMES	8
#define MAX_THREADS	16
#define MAGIC		0x636f77736e61706bULL	/* "cowsnapk" */
#define READ_CHUNK	(1u << 20)
#define MAX_REPORTS	20		/* mismatch lines printed */
#define ZONES		4		/* of a volume, written or not */

struct volume {
	unsigned int idx;
	const char *name;
	char path[256];
	int fd;
	uint64_t blocks;
	_Atomic uint32_t *gen;		/* completed generation, per block */
	_Atomic uint32_t *pending;	/* generation in flight, or 0 */
	uint32_t *before, *after;	/* oracle copies around the snapshot */
	uint32_t *prev_before, *prev_after;
	bool have_prev;
	long prev_frozen;
	char prev_generation[64];
	uint8_t *changed;		/* cbt changes, one byte a block */
};

struct writer {
	struct volume *vol;
	unsigned int idx, nthreads;
	uint64_t rng;
	pthread_t tid;
};

static struct volume volumes[MAX_VOLUMES];
static unsigned int nvolumes;
static atomic_bool stop;
static atomic_uint_fast64_t bytes_written, bytes_verified, live_reads;
static atomic_uint_fast64_t mismatches, io_errors, reports;
static uint64_t image_bytes, cbt_checks, cbt_skipped, cbt_mismatches;
static uint64_t cmd_failures, checkpoints, cbt_listed, cbt_unwritten;
static _Atomic unsigned int active_zones = (1u << ZONES) - 1;
static unsigned int prev_zones;
static const char *inject;
static bool injected;

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* A mismatch: counted always, printed for the first MAX_REPORTS. */
static void mismatch(const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&mismatches, 1);
	if (atomic_fetch_add(&reports, 1) >= MAX_REPORTS)
		return;
	va_start(ap, fmt);
	printf("MISMATCH ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static uint64_t body_seed(unsigned int vol, uint64_t block, uint32_t gen)
{
	return mix(((uint64_t)vol << 56) ^ (block << 20) ^ gen ^ MAGIC);
}

static void fill(uint64_t *w, unsigned int vol, uint64_t block, uint32_t gen)
{
	uint64_t s = body_seed(vol, block, gen);
	unsigned int i;

	w[0] = MAGIC;
	w[1] = ((uint64_t)vol << 48) | block;
	w[2] = gen;
	for (i = 3; i < WORDS; i++)
		w[i] = s + i * 0x9e3779b97f4a7c15ULL;
}

/*
 * The generation block @block of volume @vol holds, or -1 when the block is
 * not one of ours (garbage, another block's or volume's data, a torn write).
 */
static int64_t decode(const uint64_t *w, unsigned int vol, uint64_t block)
{
	uint64_t s;
	unsigned int i;

	if (w[0] != MAGIC || w[1] != (((uint64_t)vol << 48) | block) ||
	    w[2] > UINT32_MAX)
		return -1;
	s = body_seed(vol, block, (uint32_t)w[2]);
	for (i = 3; i < WORDS; i++)
		if (w[i] != s + i * 0x9e3779b97f4a7c15ULL)
			return -1;
	return (int64_t)w[2];
}

static void *xalloc(size_t n)
{
	void *p;

	if (posix_memalign(&p, BLOCK, n)) {
		fprintf(stderr, "cowsnap-soak: out of memory (%zu bytes)\n", n);
		exit(2);
	}
	memset(p, 0, n);
	return p;
}

static bool io_full(bool write, int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write ? pwrite(fd, (char *)buf + done, len - done,
				   off + done)
			  : pread(fd, (char *)buf + done, len - done,
				  off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		done += n;
	}
	return true;
}

/* ---------------------------------------------------------------------- */
/* Writers */

static void *writer_main(void *arg)
{
	struct writer *wr = arg;
	struct volume *v = wr->vol;
	uint64_t groups = v->blocks / GROUP;
	uint64_t mine = (groups - wr->idx + wr->nthreads - 1) / wr->nthreads;
	uint64_t *buf = xalloc(GROUP * BLOCK);
	uint64_t g, first, b;
	unsigned int start, len, i;
	uint32_t ng[GROUP];

	while (!atomic_load(&stop)) {
		bool read = xorshift(&wr->rng) % 4 == 0;
		unsigned int tries = 0;

		do {	/* writes only to the cycle's zones */
			g = (xorshift(&wr->rng) % mine) * wr->nthreads +
			    wr->idx;
		} while (!read && !(atomic_load(&active_zones) &
				    (1u << (g * ZONES / groups))) &&
			 ++tries < 64);
		if (tries == 64)
			read = true;
		start = xorshift(&wr->rng) % GROUP;
		len = 1 + xorshift(&wr->rng) % (GROUP - start);
		first = g * GROUP + start;

		if (read) {
			/* read and check: only we write these blocks */
			if (!io_full(false, v->fd, buf, len * BLOCK,
				     first * BLOCK)) {
				fprintf(stderr, "cowsnap-soak: %s: read of "
					"blocks %" PRIu64 "+%u failed: %s\n",
					v->path, first, len, strerror(errno));
				atomic_fetch_add(&io_errors, 1);
				continue;
			}
			for (i = 0; i < len; i++) {
				int64_t got;
				uint32_t want;

				b = first + i;
				want = atomic_load(&v->gen[b]);
				got = decode(buf + i * WORDS, v->idx, b);
				if (got != want)
					mismatch("live %s block %" PRIu64
						 ": holds %" PRId64
						 " (-1: not its data), "
						 "generation %u expected",
						 v->name, b, got, want);
			}
			atomic_fetch_add(&live_reads, 1);
			atomic_fetch_add(&bytes_verified, len * BLOCK);
			continue;
		}

		for (i = 0; i < len; i++) {
			b = first + i;
			ng[i] = atomic_load(&v->gen[b]) + 1;
			atomic_store(&v->pending[b], ng[i]);
			fill(buf + i * WORDS, v->idx, b, ng[i]);
		}
		if (!io_full(true, v->fd, buf, len * BLOCK, first * BLOCK)) {
			fprintf(stderr, "cowsnap-soak: %s: write of blocks %"
				PRIu64 "+%u failed: %s\n", v->path, first,
				len, strerror(errno));
			atomic_fetch_add(&io_errors, 1);
			/* the blocks now hold one of two generations: stop */
			atomic_store(&stop, true);
			break;
		}
		for (i = 0; i < len; i++) {
			atomic_store(&v->gen[first + i], ng[i]);
			atomic_store(&v->pending[first + i], 0);
		}
		atomic_fetch_add(&bytes_written, len * BLOCK);
	}
	free(buf);
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* cowsnapctl */

/* Run a shell command line; its stdout as a string (caller frees). */
static char *run(const char *fmt, ...)
{
	char cmd[2048], *out = NULL;
	size_t len = 0, cap = 0;
	va_list ap;
	FILE *f;
	int c, status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	if (!f) {
		fprintf(stderr, "cowsnap-soak: cannot run %s: %s\n", cmd,
			strerror(errno));
		cmd_failures++;
		return NULL;
	}
	while ((c = fgetc(f)) != EOF) {
		if (len + 2 > cap) {
			cap = cap ? 2 * cap : 4096;
			out = realloc(out, cap);
			if (!out)
				exit(2);
		}
		out[len++] = (char)c;
	}
	if (out)
		out[len] = 0;
	status = pclose(f);
	if (status != 0) {
		fprintf(stderr, "cowsnap-soak: '%s' failed (status %d)%s%s\n",
			cmd, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			out ? ", output: " : "", out ? out : "");
		free(out);
		cmd_failures++;
		return NULL;
	}
	return out ? out : strdup("");
}

static json_object *run_json(const char *what, char *out)
{
	json_object *j;

	if (!out)
		return NULL;
	j = json_tokener_parse(out);
	if (!j) {
		fprintf(stderr, "cowsnap-soak: %s: not JSON: %s\n", what, out);
		cmd_failures++;
	}
	free(out);
	return j;
}

static json_object *key(json_object *o, const char *k)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, k, &v);
	return v;
}

/* ---------------------------------------------------------------------- */
/* The cycle */

/* A block of volume 0 in a zone no writer touched since the last snapshot
 * and none touches now, or UINT64_MAX when every zone was written. */
static uint64_t quiet_block(uint64_t *rng)
{
	unsigned int quiet = ~(prev_zones | atomic_load(&active_zones)) &
			     ((1u << ZONES) - 1);
	uint64_t per_zone = volumes[0].blocks / ZONES;
	unsigned int z;

	if (!quiet)
		return UINT64_MAX;
	for (z = 0; !(quiet & (1u << z)); z++)
		;
	return z * per_zone + xorshift(rng) % per_zone;
}

/* Write the next generation of block @b of volume 0 through the hidden
 * device NAME-@layer, and update the oracle: the write is a correct one,
 * only the layers above do not see it. */
static void write_beneath(const char *layer, uint64_t b)
{
	struct volume *v = &volumes[0];
	uint64_t *buf = xalloc(BLOCK);
	uint32_t ng = atomic_load(&v->gen[b]) + 1;
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "/dev/mapper/%s-%s", v->name, layer);
	fill(buf, v->idx, b, ng);
	fd = open(path, O_WRONLY | O_DIRECT);
	if (fd < 0 || !io_full(true, fd, buf, BLOCK, b * BLOCK)) {
		fprintf(stderr, "cowsnap-soak: inject: cannot write %s: %s\n",
			path, strerror(errno));
		exit(2);
	}
	close(fd);
	atomic_store(&v->gen[b], ng);
	say("cowsnap-soak: inject %s: block %" PRIu64 " of %s written "
	    "through %s (generation %u)\n", inject, b, v->name, path, ng);
	free(buf);
	injected = true;
}

/* --inject: before the snapshot ("cbt-*") or while it exists ("image"). */
static void inject_fault(bool snapshot_exists, uint64_t *rng)
{
	uint64_t b;

	if (!inject || injected || !volumes[0].have_prev)
		return;
	b = quiet_block(rng);
	if (b == UINT64_MAX)
		return;		/* next cycle */
	if (snapshot_exists && !strcmp(inject, "image")) {
		write_beneath("origin", b);
	} else if (!snapshot_exists && !strcmp(inject, "cbt-missing")) {
		write_beneath("cbt", b);
	} else if (!snapshot_exists && !strcmp(inject, "cbt-extra")) {
		free(run("cowsnapctl cbt mark-dirty %s %" PRIu64 ":8",
			 volumes[0].name, b * (BLOCK / 512)));
		say("cowsnap-soak: inject cbt-extra: block %" PRIu64 " of %s "
		    "marked dirty, not written\n", b, volumes[0].name);
		injected = true;
	}
}

static void copy_before(void)
{
	unsigned int i;
	uint64_t b;

	for (i = 0; i < nvolumes; i++)
		for (b = 0; b < volumes[i].blocks; b++)
			volumes[i].before[b] = atomic_load(&volumes[i].gen[b]);
}

static void copy_after(void)
{
	unsigned int i;
	uint32_t p, g;
	uint64_t b;

	for (i = 0; i < nvolumes; i++)
		for (b = 0; b < volumes[i].blocks; b++) {
			p = atomic_load(&volumes[i].pending[b]);
			g = atomic_load(&volumes[i].gen[b]);
			volumes[i].after[b] = p > g ? p : g;
		}
}

/* Compare the tracker's changes since the last snapshot with the oracle. */
static void check_cbt(struct volume *v, long frozen, const char *generation)
{
	json_object *j, *ranges, *r;
	uint64_t b, start, n;
	size_t i;
	long jfrozen;

	if (!v->have_prev || frozen <= v->prev_frozen ||
	    strcmp(generation, v->prev_generation)) {
		/* first cycle, or a new generation began (255 checkpoints) */
		if (v->have_prev)
			cbt_skipped++;
		return;
	}
	j = run_json("cbt changes",
		     run("cowsnapctl cbt changes %s --since %ld --json",
			 v->name, v->prev_frozen));
	if (!j)
		return;
	jfrozen = json_object_get_int64(key(j, "frozen"));
	if (jfrozen != frozen ||
	    json_object_get_int64(key(j, "block_size")) != BLOCK) {
		fprintf(stderr, "cowsnap-soak: %s: cbt changes answered for "
			"frozen %ld, block size %" PRId64 "; expected %ld, "
			"%u\n",
			v->name, jfrozen,
			json_object_get_int64(key(j, "block_size")), frozen,
			BLOCK);
		cmd_failures++;
		json_object_put(j);
		return;
	}
	memset(v->changed, 0, v->blocks);
	ranges = key(j, "ranges");
	for (i = 0; i < json_object_array_length(ranges); i++) {
		r = json_object_array_get_idx(ranges, i);
		start = json_object_get_int64(key(r, "start_block"));
		n = json_object_get_int64(key(r, "blocks"));
		if (start + n > v->blocks || n == 0) {
			mismatch("cbt %s: range %" PRIu64 "+%" PRIu64
				 " outside the volume's %" PRIu64 " blocks",
				 v->name, start, n, v->blocks);
			cbt_mismatches++;
			continue;
		}
		memset(v->changed + start, 1, n);
	}
	json_object_put(j);

	for (b = 0; b < v->blocks; b++) {
		bool sure = v->before[b] > v->prev_after[b];
		bool maybe = v->after[b] > v->prev_before[b];

		cbt_listed += v->changed[b];
		cbt_unwritten += !maybe;

		if (sure && !v->changed[b]) {
			mismatch("cbt %s block %" PRIu64 ": written between "
				 "checkpoints %ld and %ld (generation %u -> "
				 "%u) but not listed", v->name, b,
				 v->prev_frozen, frozen, v->prev_after[b],
				 v->before[b]);
			cbt_mismatches++;
		} else if (!maybe && v->changed[b]) {
			mismatch("cbt %s block %" PRIu64 ": listed as changed "
				 "after checkpoint %ld but not written "
				 "(generation %u)", v->name, b, v->prev_frozen,
				 v->before[b]);
			cbt_mismatches++;
		}
	}
	cbt_checks++;
}

/* Read image @path whole; every block within the oracle's window. */
static void check_image(struct volume *v, const char *path)
{
	uint64_t *buf = xalloc(READ_CHUNK);
	uint64_t b, first, n, i;
	int64_t got;
	int fd;

	fd = open(path, O_RDONLY | O_DIRECT);
	if (fd < 0) {
		fprintf(stderr, "cowsnap-soak: cannot open image %s: %s\n",
			path, strerror(errno));
		atomic_fetch_add(&io_errors, 1);
		free(buf);
		return;
	}
	for (first = 0; first < v->blocks; first += n) {
		n = v->blocks - first;
		if (n > READ_CHUNK / BLOCK)
			n = READ_CHUNK / BLOCK;
		if (!io_full(false, fd, buf, n * BLOCK, first * BLOCK)) {
			fprintf(stderr, "cowsnap-soak: read of image %s at "
				"block %" PRIu64 " failed: %s\n", path, first,
				strerror(errno));
			atomic_fetch_add(&io_errors, 1);
			break;
		}
		for (i = 0; i < n; i++) {
			b = first + i;
			got = decode(buf + i * WORDS, v->idx, b);
			if (got < v->before[b] || got > v->after[b])
				mismatch("image %s block %" PRIu64 ": holds %"
					 PRId64 " (-1: not its data), "
					 "generation %u to %u expected",
					 path, b, got, v->before[b],
					 v->after[b]);
		}
		image_bytes += n * BLOCK;
	}
	close(fd);
	free(buf);
}

static bool cycle(const char *store, unsigned long store_mb, uint64_t *rng)
{
	char names[1024] = "", set[64];
	json_object *j, *members, *m, *cf;
	unsigned int i, k;
	size_t mi;

	for (i = 0; i < nvolumes; i++) {
		strcat(names, " ");
		strcat(names, volumes[i].name);
	}
	prev_zones = atomic_load(&active_zones);
	atomic_store(&active_zones,
		     1 + xorshift(rng) % ((1u << ZONES) - 1));
	inject_fault(false, rng);
	copy_before();
	j = run_json("snapshot create",
		     run("cowsnapctl snapshot create%s --store %s "
			 "--store-size %luM --json", names, store, store_mb));
	copy_after();
	if (!j)
		return false;
	snprintf(set, sizeof(set), "%s",
		 json_object_get_string(key(j, "set")));
	inject_fault(true, rng);
	members = key(j, "members");
	if (json_object_array_length(members) != nvolumes) {
		fprintf(stderr, "cowsnap-soak: set %s has %zu members, not "
			"%u\n", set, json_object_array_length(members),
			nvolumes);
		cmd_failures++;
	}
	for (mi = 0; mi < json_object_array_length(members); mi++) {
		struct volume *v = NULL;
		json_object *info;
		const char *generation = "";
		long frozen;

		m = json_object_array_get_idx(members, mi);
		for (k = 0; k < nvolumes; k++)
			if (!strcmp(volumes[k].name, json_object_get_string(
					key(m, "volume"))))
				v = &volumes[k];
		if (!v)
			continue;
		cf = key(m, "cbt_frozen");
		if (!cf || json_object_get_type(cf) != json_type_int) {
			fprintf(stderr, "cowsnap-soak: %s has no cbt tracker "
				"(cbt_frozen null)\n", v->name);
			cmd_failures++;
		} else {
			frozen = json_object_get_int64(cf);
			info = run_json("cbt info",
					run("cowsnapctl cbt info %s --json",
					    v->name));
			if (info) {
				json_object *fg = key(info,
						      "frozen_generation");

				generation = fg ? json_object_get_string(fg)
						: "";
				if (json_object_get_int64(key(info, "frozen"))
				    != frozen) {
					fprintf(stderr, "cowsnap-soak: %s: "
						"frozen %" PRId64 " after the "
						"snapshot froze %ld\n",
						v->name,
						json_object_get_int64(
						key(info, "frozen")), frozen);
					cmd_failures++;
				}
			}
			check_cbt(v, frozen, generation);
			v->prev_frozen = frozen;
			snprintf(v->prev_generation,
				 sizeof(v->prev_generation), "%s", generation);
			if (info)
				json_object_put(info);
		}
		check_image(v, json_object_get_string(key(m, "path")));
		memcpy(v->prev_before, v->before, v->blocks * 4);
		memcpy(v->prev_after, v->after, v->blocks * 4);
		v->have_prev = true;
	}
	json_object_put(j);
	free(run("cowsnapctl snapshot destroy %s", set));

	/* an extra checkpoint of every tracker, taken under writes */
	for (i = 0; i < nvolumes; i++) {
		char *out = run("cowsnapctl cbt checkpoint %s --json",
				volumes[i].name);

		checkpoints += out != NULL;
		free(out);
	}
	return true;
}

/* ---------------------------------------------------------------------- */

static void open_volume(struct volume *v, unsigned int idx, const char *name)
{
	uint64_t size;

	v->idx = idx;
	v->name = name;
	snprintf(v->path, sizeof(v->path), "/dev/mapper/%s", name);
	v->fd = open(v->path, O_RDWR | O_DIRECT);
	if (v->fd < 0 || ioctl(v->fd, BLKGETSIZE64, &size)) {
		fprintf(stderr, "cowsnap-soak: cannot open volume %s: %s\n",
			v->path, strerror(errno));
		exit(2);
	}
	if (size % (ZONES * GROUP * BLOCK) || size == 0) {
		fprintf(stderr, "cowsnap-soak: volume %s: size %" PRIu64
			" is not a multiple of %u bytes\n", v->path, size,
			ZONES * GROUP * BLOCK);
		exit(2);
	}
	v->blocks = size / BLOCK;
	v->gen = xalloc(v->blocks * sizeof(*v->gen));
	v->pending = xalloc(v->blocks * sizeof(*v->pending));
	v->before = xalloc(v->blocks * 4);
	v->after = xalloc(v->blocks * 4);
	v->prev_before = xalloc(v->blocks * 4);
	v->prev_after = xalloc(v->blocks * 4);
	v->changed = xalloc(v->blocks);
}

/* Generation 0 everywhere, so that every block can be checked. */
static void init_volume(struct volume *v)
{
	uint64_t *buf = xalloc(READ_CHUNK);
	uint64_t first, n, i;

	for (first = 0; first < v->blocks; first += n) {
		n = v->blocks - first;
		if (n > READ_CHUNK / BLOCK)
			n = READ_CHUNK / BLOCK;
		for (i = 0; i < n; i++)
			fill(buf + i * WORDS, v->idx, first + i, 0);
		if (!io_full(true, v->fd, buf, n * BLOCK, first * BLOCK)) {
			fprintf(stderr, "cowsnap-soak: cannot initialise %s: "
				"%s\n", v->path, strerror(errno));
			exit(2);
		}
	}
	free(buf);
}

/* After the writers stopped: every block of every volume, exactly. */
static void check_live(struct volume *v)
{
	uint64_t *buf = xalloc(READ_CHUNK);
	uint64_t first, n, i;
	int64_t got;

	for (first = 0; first < v->blocks; first += n) {
		n = v->blocks - first;
		if (n > READ_CHUNK / BLOCK)
			n = READ_CHUNK / BLOCK;
		if (!io_full(false, v->fd, buf, n * BLOCK, first * BLOCK)) {
			fprintf(stderr, "cowsnap-soak: final read of %s "
				"failed: %s\n", v->path, strerror(errno));
			atomic_fetch_add(&io_errors, 1);
			break;
		}
		for (i = 0; i < n; i++) {
			got = decode(buf + i * WORDS, v->idx, first + i);
			if (got != atomic_load(&v->gen[first + i]))
				mismatch("final %s block %" PRIu64 ": holds %"
					 PRId64 ", generation %u expected",
					 v->name, first + i, got,
					 atomic_load(&v->gen[first + i]));
		}
		atomic_fetch_add(&bytes_verified, n * BLOCK);
	}
	free(buf);
}

static void usage(void)
{
	fprintf(stderr, "usage: cowsnap-soak --duration SECS [--threads N] "
		"[--min-cycles N] [--seed S]\n"
		"                    "
		"[--inject image|cbt-missing|cbt-extra|live] "
		"--store DIR VOLUME...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "threads", required_argument, NULL, 't' },
		{ "min-cycles", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 's' },
		{ "store", required_argument, NULL, 'S' },
		{ "inject", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	struct writer writers[MAX_VOLUMES * MAX_THREADS];
	unsigned long duration = 0, nthreads = 4, min_cycles = 100;
	unsigned long store_mb = 0, cycles = 0, failed_cycles = 0;
	unsigned int seed, i, t, nw = 0;
	const char *store = NULL, *env = getenv("COWSNAP_SEED");
	double start, last, elapsed;
	uint64_t rng;
	int c;

	seed = env ? (unsigned int)strtoul(env, NULL, 0)
		   : (unsigned int)time(NULL) ^ ((unsigned int)getpid() << 16);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': duration = strtoul(optarg, NULL, 0); break;
		case 't': nthreads = strtoul(optarg, NULL, 0); break;
		case 'c': min_cycles = strtoul(optarg, NULL, 0); break;
		case 's': seed = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'S': store = optarg; break;
		case 'i': inject = optarg; break;
		default: usage();
		}
	}
	if (inject && strcmp(inject, "image") && strcmp(inject, "live") &&
	    strcmp(inject, "cbt-missing") && strcmp(inject, "cbt-extra"))
		usage();
	if (!duration || !store || optind >= argc || nthreads < 1 ||
	    nthreads > MAX_THREADS || argc - optind > MAX_VOLUMES)
		usage();
	say("cowsnap-soak: seed %u (COWSNAP_SEED=%u repeats the choices), "
	    "%lu s, %lu writer threads per volume, at least %lu cycles\n",
	    seed, seed, duration, nthreads, min_cycles);

	for (; optind < argc; optind++) {
		struct volume *v = &volumes[nvolumes];

		open_volume(v, nvolumes, argv[optind]);
		init_volume(v);
		/* the store may have to hold every chunk of every volume */
		store_mb += (v->blocks * BLOCK >> 20) + 1;
		say("cowsnap-soak: volume %s: %" PRIu64 " blocks of %u\n",
		    v->name, v->blocks, BLOCK);
		nvolumes++;
	}

	for (i = 0; i < nvolumes; i++)
		for (t = 0; t < nthreads; t++, nw++) {
			writers[nw] = (struct writer){
				.vol = &volumes[i], .idx = t,
				.nthreads = (unsigned int)nthreads,
				.rng = mix(seed ^ ((uint64_t)nw << 32)) | 1,
			};
			if (pthread_create(&writers[nw].tid, NULL,
					   writer_main, &writers[nw])) {
				fprintf(stderr, "cowsnap-soak: cannot start a "
					"thread\n");
				return 2;
			}
		}

	rng = mix(seed ^ 0x5a5a5a5aULL) | 1;
	start = last = now();
	while (!atomic_load(&stop)) {
		elapsed = now() - start;
		if (elapsed >= duration && cycles >= min_cycles)
			break;
		if (cycle(store, store_mb, &rng))
			cycles++;
		else
			failed_cycles++;
		if (failed_cycles > 3)
			break;
		if (now() - last >= 60) {
			last = now();
			say("cowsnap-soak: %.0f s: %lu cycles, %" PRIu64
			    " MiB written, %" PRIu64 " MiB verified, %" PRIu64
			    " mismatches\n", last - start, cycles,
			    (uint64_t)atomic_load(&bytes_written) >> 20,
			    (uint64_t)(atomic_load(&bytes_verified) +
				       image_bytes) >> 20,
			    (uint64_t)atomic_load(&mismatches));
		}
	}
	atomic_store(&stop, true);
	for (i = 0; i < nw; i++)
		pthread_join(writers[i].tid, NULL);
	if (inject && !strcmp(inject, "live")) {
		uint64_t *buf = xalloc(BLOCK), b = volumes[0].blocks / 2;

		fill(buf, volumes[0].idx, b,
		     atomic_load(&volumes[0].gen[b]) + 7);
		if (!io_full(true, volumes[0].fd, buf, BLOCK, b * BLOCK))
			exit(2);
		say("cowsnap-soak: inject live: block %" PRIu64 " of %s "
		    "overwritten behind the oracle\n", b, volumes[0].name);
		injected = true;
		free(buf);
	}
	for (i = 0; i < nvolumes; i++) {
		check_live(&volumes[i]);
		close(volumes[i].fd);
	}
	elapsed = now() - start;

	say("soak: duration_s=%.0f cycles=%lu failed_cycles=%lu\n", elapsed,
	    cycles, failed_cycles);
	say("soak: bytes_written=%" PRIu64 " bytes_verified_live=%" PRIu64
	    " live_reads=%" PRIu64 " bytes_verified_images=%" PRIu64 "\n",
	    (uint64_t)atomic_load(&bytes_written),
	    (uint64_t)atomic_load(&bytes_verified),
	    (uint64_t)atomic_load(&live_reads), image_bytes);
	say("soak: cbt_checks=%" PRIu64 " cbt_skipped_generation_reset=%"
	    PRIu64 " extra_checkpoints=%" PRIu64 " cbt_blocks_listed=%" PRIu64
	    " cbt_blocks_unwritten=%" PRIu64 "\n", cbt_checks, cbt_skipped,
	    checkpoints, cbt_listed, cbt_unwritten);
	if (inject)
		say("soak: injected=%s (%s): this run must fail\n", inject,
		    injected ? "done" : "no chance: no quiet zone");
	say("soak: mismatches=%" PRIu64 " (cbt %" PRIu64 ") io_errors=%"
	    PRIu64 " command_failures=%" PRIu64 "\n",
	    (uint64_t)atomic_load(&mismatches), cbt_mismatches,
	    (uint64_t)atomic_load(&io_errors), cmd_failures);
	if (atomic_load(&mismatches) || atomic_load(&io_errors) ||
	    cmd_failures || failed_cycles || cycles < min_cycles) {
		say("soak: FAIL\n");
		return 1;
	}
	say("soak: PASS\n");
	return 0;
}
