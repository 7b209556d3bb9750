// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl backup, restore and verify (Documentation/backup.rst)
 * on volumes made with "cowsnapctl create" over loop devices.
 *
 * chain: a full and three incrementals of a volume with a change tracker,
 *   random writes at random byte offsets between them (an image of the
 *   volume in memory is the oracle); every summary and manifest checked
 *   (form, links, ranges covering every write, sha256 of the data file);
 *   each point restored into a new file, one into a block device too, and
 *   compared with the volume as it was; verify; then one byte of a delta
 *   corrupted: verify names its point, a restore depending on it fails
 *   before writing anything and leaves no file.
 * generation: a tracker re-created between two backups: the next one is
 *   full with a warning about the generation (with and without
 *   --incremental), and the chain goes on from it.
 * sigterm: a full backup of a large volume killed with SIGTERM while it
 *   copies (and a second run refused meanwhile): exit 1, no snapshot set,
 *   no image, store, origin or loop device, no point, the volume intact.
 * overflow: a store of 1 MiB overflowed by writes to the volume during
 *   the copy: exit 6 "overflowed", nothing left, the volume holds the
 *   writes.
 * locks: DIR/.lock and /run/cowsnapctl/backup-VOLUME.lock held by this
 *   program: a backup exits 7 naming DIR or the volume and touches
 *   neither the lock nor anything else; once free, backups work.
 * one_percent: 1% of a 1 GiB volume changed in scattered 64 KiB blocks:
 *   the incremental copies between 1% and 1.5% of it; its restore is the
 *   volume.
 *
 * Each test's devices, files and background run go in its teardown.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backup-test.h"

static unsigned int seed;
static pid_t bg = -1;			/* a background cowsnapctl */
static int lock_fd = -1;
static struct timespec t_start;

/* ------------------------------------------------------------------ */
/* Suite and per-test set-up                                          */

static int backup_init(void)
{
	seed = tl_seed("backup");
	return 0;
}

static void test_setup(void)
{
	clock_gettime(CLOCK_MONOTONIC, &t_start);
}

/* Seconds since the test began. */
static double elapsed(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t_start.tv_sec) +
	       (double)(t.tv_nsec - t_start.tv_nsec) / 1e9;
}

/* What a test made: its background run, its lock, its teardown. */
static void cleanup(void)
{
	if (bg > 0) {
		kill(bg, SIGKILL);
		waitpid(bg, NULL, 0);
		bg = -1;
	}
	if (lock_fd >= 0) {
		close(lock_fd);
		lock_fd = -1;
	}
	tl_teardown();
}

static void test_teardown(void)
{
	cleanup();
	printf("backup: test took %.1f s\n", elapsed());
	fflush(stdout);
}

static int backup_clean(void)
{
	cleanup();
	return 0;
}

/* A step of a long test, with the time it began at. */
static void step(const char *what)
{
	printf("[%.1f s] %s\n", elapsed(), what);
	fflush(stdout);
}

/* A generator for test @n, from the suite's seed. */
static struct bt_rng rng_of(unsigned int n)
{
	struct bt_rng r = { .s = ((uint64_t)seed << 8) | n };

	return r;
}

/* ------------------------------------------------------------------ */
/* chain: full + three incrementals, restores, verify, corruption     */

#define CHAIN_SIZE	(16 * BT_MIB)
#define CHAIN_POINTS	4
#define CHAIN_WRITES	40

/*
 * @n writes of random data (1 byte to @maxlen) at random byte offsets
 * of @v through one descriptor, recorded in @model and @spans; the first
 * ones at the volume's first and last byte, one of zeros over 64 KiB.
 */
static void write_random(const struct bt_vol *v, uint8_t *model,
			 struct bt_rng *r, int n, uint64_t maxlen,
			 struct bt_span *spans)
{
	uint64_t off, len;
	int fd = open(v->dev, O_WRONLY), i;

	CU_ASSERT_FATAL(fd >= 0);
	for (i = 0; i < n; i++) {
		len = 1 + bt_below(r, maxlen);
		off = bt_below(r, v->size - len + 1);
		if (i == 0)
			off = 0;
		if (i == 1)
			off = v->size - len;
		if (i == 2) {
			len = BT_CHUNK;
			off = bt_below(r, v->size / BT_CHUNK) * BT_CHUNK;
			memset(model + off, 0, len);
		} else {
			bt_rnd_fill(r, model + off, len);
		}
		CU_ASSERT_EQUAL_FATAL(pwrite(fd, model + off, len, (off_t)off),
				      (ssize_t)len);
		spans[i].off = off;
		spans[i].len = len;
	}
	CU_ASSERT_EQUAL(fsync(fd), 0);
	CU_ASSERT_EQUAL(close(fd), 0);
}

/* Flip one byte in the middle of @path. */
static void corrupt(const char *path)
{
	struct stat st;
	uint8_t b = 0;
	int fd = open(path, O_RDWR);

	CU_ASSERT_FATAL(fd >= 0 && !fstat(fd, &st) && st.st_size > 0);
	CU_ASSERT_FATAL(pread(fd, &b, 1, st.st_size / 2) == 1);
	b ^= 0x5a;
	CU_ASSERT_FATAL(pwrite(fd, &b, 1, st.st_size / 2) == 1);
	CU_ASSERT_EQUAL(close(fd), 0);
	printf("corrupted the byte at %lld of %s\n",
	       (long long)st.st_size / 2, path);
}

static void test_chain(void)
{
	char point[CHAIN_POINTS][64], path[512], at[64], back[200];
	json_object *sum[CHAIN_POINTS] = { 0 }, *man[CHAIN_POINTS] = { 0 };
	uint8_t *model, *img[CHAIN_POINTS] = { 0 };
	struct bt_span spans[CHAIN_WRITES];
	struct bt_oracle o[CHAIN_POINTS];
	struct bt_rng r = rng_of(1);
	const char *w = bt_workdir("chain");
	struct bt_points pts;
	struct bt_vol v;
	struct bt_cmd c;
	struct stat st;
	json_object *e, *e0;
	char *dev, *small, *line, *save = NULL;
	int p, lines = 0;

	CU_ASSERT_FATAL(w != NULL);
	snprintf(back, sizeof(back), "%s/backup", w);
	CU_ASSERT_FATAL(bt_vol_create(&v, "chain", CHAIN_SIZE, 0, true) == 0);
	model = calloc(1, CHAIN_SIZE);
	CU_ASSERT_FATAL(model != NULL);

	for (p = 0; p < CHAIN_POINTS; p++) {
		if (p)
			write_random(&v, model, &r, CHAIN_WRITES, 128 * BT_KIB,
				     spans);
		else
			write_random(&v, model, &r, 16, BT_MIB, spans);
		o[p] = (struct bt_oracle){ .size = CHAIN_SIZE, .image = model };
		CU_ASSERT_EQUAL_FATAL(bt_compare("volume", v.dev, &o[p]), 0);
		sum[p] = bt_backup(&v, back, p == 2 ? " --incremental" : "",
				   p ? "incremental" : "full", point[p], NULL);
		CU_ASSERT_FATAL(sum[p] != NULL);
		man[p] = bt_check_manifest(back, point[p], &v, sum[p],
					   p ? point[p - 1] : NULL, true, true);
		CU_ASSERT_EQUAL(atoi(point[p]), p + 1);
		img[p] = malloc(CHAIN_SIZE);
		CU_ASSERT_FATAL(img[p] != NULL);
		memcpy(img[p], model, CHAIN_SIZE);
		o[p].image = img[p];
		if (!p)
			continue;
		/* The changes since the point before, in its generation. */
		e = bt_manifest_volume(man[p]);
		e0 = bt_manifest_volume(man[p - 1]);
		bt_check_coverage(e, spans, CHAIN_WRITES, CHAIN_SIZE);
		CU_ASSERT_EQUAL(bt_num(e, "since"),
				bt_num(e0, "change_number"));
		CU_ASSERT(bt_num(e, "change_number") > bt_num(e, "since"));
		CU_ASSERT_STRING_EQUAL(bt_str(e, "generation"),
				       bt_str(e0, "generation"));
	}
	CU_ASSERT_FATAL(stat(back, &st) == 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0700);
	CU_ASSERT_FATAL(bt_points(back, &pts) == 0);
	CU_ASSERT_EQUAL(pts.complete, CHAIN_POINTS);
	CU_ASSERT_EQUAL(pts.partial + pts.other, 0);
	for (p = 0; p < CHAIN_POINTS && p < pts.complete; p++)
		CU_ASSERT_STRING_EQUAL(pts.name[p], point[p]);

	step("restores");
	/* Each point into a new file, each way of naming it. */
	snprintf(path, sizeof(path), "%s/r1", w);
	bt_restore_ok(back, "1", path, "", &v, point[0], point, 1, &o[0]);
	snprintf(path, sizeof(path), "%s/r2", w);
	bt_restore_ok(back, "0002", path, "", &v, point[1], point, 2, &o[1]);
	snprintf(path, sizeof(path), "%s/r3", w);
	bt_restore_ok(back, point[2], path, "", &v, point[2], point, 3, &o[2]);
	unlink(path);
	snprintf(path, sizeof(path), "%s/r4", w);
	bt_restore_ok(back, NULL, path, "", &v, point[3], point, 4, &o[3]);
	unlink(path);
	snprintf(path, sizeof(path), "%s/r4b", w);
	bt_restore_ok(back, "latest", path, "", &v, point[3], point, 4, &o[3]);
	unlink(path);

	/* A block device; one too small is refused. */
	dev = tl_loop_create(CHAIN_SIZE + BT_MIB);
	CU_ASSERT_FATAL(dev != NULL);
	bt_restore_ok(back, "3", dev, "", &v, point[2], point, 3, &o[2]);
	small = tl_loop_create(CHAIN_SIZE - BT_MIB);
	CU_ASSERT_FATAL(small != NULL);
	CU_ASSERT_NOT_EQUAL(bt_cmd(&c, BT_CTL " restore --from %s --to %s",
				   back, small), 0);
	bt_cmd_free(&c);

	/* An existing file: refused, then overwritten with --force. */
	snprintf(path, sizeof(path), "%s/r1", w);
	CU_ASSERT_EQUAL(bt_cmd(&c, BT_CTL " restore --from %s --to %s --at 2",
			       back, path), 4);
	bt_cmd_free(&c);
	CU_ASSERT_EQUAL(bt_compare("r1 after a refused restore", path, &o[0]),
			0);
	bt_restore_ok(back, "2", path, " --force", &v, point[1], point, 2,
		      &o[1]);
	unlink(path);

	step("verify");
	/* verify: one line per point. */
	CU_ASSERT_EQUAL(bt_cmd(&c, BT_CTL " verify %s", back), 0);
	for (line = strtok_r(c.out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		printf("%s\n", line);
		if (lines < CHAIN_POINTS &&
		    !strncmp(line, point[lines], BT_POINT_LEN) &&
		    bt_contains(line, lines ? "incremental" : "full") &&
		    bt_contains(line, v.name) &&
		    !strcmp(line + strlen(line) - 2, "ok"))
			lines++;
	}
	CU_ASSERT_EQUAL(lines, CHAIN_POINTS);
	bt_cmd_free(&c);
	bt_check_verify_json(back, true, CHAIN_POINTS, -1, point);

	/* One byte of the first incremental's delta. */
	snprintf(path, sizeof(path), "%s/%s/%s", back, point[1],
		 bt_str(bt_manifest_volume(man[1]), "file"));
	corrupt(path);
	CU_ASSERT_EQUAL(bt_cmd(&c, BT_CTL " verify %s", back), 1);
	CU_ASSERT(bt_contains(c.err, point[1]));
	bt_cmd_free(&c);
	bt_check_verify_json(back, false, CHAIN_POINTS, 1, point);

	/* Restores depending on it fail; nothing is written. */
	snprintf(path, sizeof(path), "%s/r5", w);
	CU_ASSERT_EQUAL(bt_cmd(&c, BT_CTL " restore --from %s --to %s --at 3",
			       back, path), 1);
	bt_cmd_free(&c);
	CU_ASSERT(access(path, F_OK) && errno == ENOENT);
	CU_ASSERT_EQUAL(bt_cmd(&c, BT_CTL " restore --from %s --to %s", back,
			       dev), 1);
	bt_cmd_free(&c);
	CU_ASSERT_EQUAL(bt_compare("device after a failed restore", dev,
				   &o[2]), 0);
	/* One that does not is still right. */
	snprintf(at, sizeof(at), "%s", point[0]);
	snprintf(path, sizeof(path), "%s/r6", w);
	bt_restore_ok(back, at, path, "", &v, point[0], point, 1, &o[0]);

	for (p = 0; p < CHAIN_POINTS; p++) {
		if (sum[p])
			json_object_put(sum[p]);
		if (man[p])
			json_object_put(man[p]);
		free(img[p]);
	}
	free(model);
	free(dev);
	free(small);
	bt_vol_free(&v);
}

/* ------------------------------------------------------------------ */
/* generation: a new tracker forces a full backup                     */

#define GEN_SIZE	(8 * BT_MIB)

static void reset_tracker(const struct bt_vol *v)
{
	struct bt_cmd c;

	CU_ASSERT_EQUAL(bt_cmd(&c, "cowsnapctl cbt disable %s && cowsnapctl "
			       "cbt enable %s", v->name, v->name), 0);
	bt_cmd_free(&c);
}

/* A backup that must be a full one for a changed generation. */
static json_object *backup_new_generation(const struct bt_vol *v,
					  const char *dir, const char *opts,
					  char *point)
{
	json_object *j;
	char *err = NULL;

	j = bt_backup(v, dir, opts, "full", point, &err);
	CU_ASSERT(bt_contains(err, "warning"));
	CU_ASSERT(bt_contains(err, "generation"));
	CU_ASSERT(bt_contains(err, v->name));
	if (j)
		CU_ASSERT(bt_str(bt_idx(j, "volumes", 0), "reason")[0]);
	free(err);
	return j;
}

static void test_generation(void)
{
	json_object *sum[4] = { 0 }, *man[4] = { 0 }, *e[4];
	char point[4][64], path[512], back[200], *err = NULL;
	uint8_t *model, *img[4] = { 0 };
	struct bt_span spans[16];
	struct bt_oracle o[4];
	struct bt_rng r = rng_of(2);
	const char *w = bt_workdir("gen");
	struct bt_vol v;
	int p;

	CU_ASSERT_FATAL(w != NULL);
	snprintf(back, sizeof(back), "%s/backup", w);
	CU_ASSERT_FATAL(bt_vol_create(&v, "gen", GEN_SIZE, 0, true) == 0);
	model = calloc(1, GEN_SIZE);
	CU_ASSERT_FATAL(model != NULL);

	/* 1: the first backup, full without a word. */
	write_random(&v, model, &r, 16, 512 * BT_KIB, spans);
	sum[0] = bt_backup(&v, back, "", "full", point[0], &err);
	CU_ASSERT_STRING_EQUAL(err ? err : "?", "");
	free(err);
	/* 2: a new tracker; no flag: full, with a warning. */
	img[0] = malloc(GEN_SIZE);
	CU_ASSERT_FATAL(img[0] && sum[0]);
	memcpy(img[0], model, GEN_SIZE);
	write_random(&v, model, &r, 8, 64 * BT_KIB, spans);
	reset_tracker(&v);
	write_random(&v, model, &r, 8, 64 * BT_KIB, spans);
	sum[1] = backup_new_generation(&v, back, "", point[1]);
	CU_ASSERT_FATAL(sum[1] != NULL);
	img[1] = malloc(GEN_SIZE);
	CU_ASSERT_FATAL(img[1] != NULL);
	memcpy(img[1], model, GEN_SIZE);
	/* 3: the chain goes on from the new full. */
	write_random(&v, model, &r, 8, 64 * BT_KIB, spans);
	sum[2] = bt_backup(&v, back, " --incremental", "incremental", point[2],
			NULL);
	CU_ASSERT_FATAL(sum[2] != NULL);
	img[2] = malloc(GEN_SIZE);
	CU_ASSERT_FATAL(img[2] != NULL);
	memcpy(img[2], model, GEN_SIZE);
	/* 4: again a new tracker, with --incremental: full, warned. */
	reset_tracker(&v);
	write_random(&v, model, &r, 8, 64 * BT_KIB, spans);
	sum[3] = backup_new_generation(&v, back, " --incremental", point[3]);
	CU_ASSERT_FATAL(sum[3] != NULL);
	img[3] = model;

	for (p = 0; p < 4; p++) {
		man[p] = bt_check_manifest(back, point[p], &v, sum[p],
					   p ? point[p - 1] : NULL, true, true);
		o[p] = (struct bt_oracle){ .size = GEN_SIZE, .image = img[p] };
	}
	for (p = 0; p < 4; p++)
		e[p] = bt_manifest_volume(man[p]);
	CU_ASSERT_STRING_NOT_EQUAL(bt_str(e[1], "generation"),
				   bt_str(e[0], "generation"));
	CU_ASSERT_STRING_EQUAL(bt_str(e[2], "generation"),
			       bt_str(e[1], "generation"));
	CU_ASSERT_EQUAL(bt_num(e[2], "since"), bt_num(e[1], "change_number"));
	CU_ASSERT_STRING_NOT_EQUAL(bt_str(e[3], "generation"),
				   bt_str(e[2], "generation"));

	/* Every point restores to what the volume was. */
	snprintf(path, sizeof(path), "%s/r2", w);
	bt_restore_ok(back, "2", path, "", &v, point[1], point + 1, 1, &o[1]);
	snprintf(path, sizeof(path), "%s/r3", w);
	bt_restore_ok(back, "3", path, "", &v, point[2], point + 1, 2, &o[2]);
	snprintf(path, sizeof(path), "%s/r4", w);
	bt_restore_ok(back, NULL, path, "", &v, point[3], point + 3, 1, &o[3]);
	snprintf(path, sizeof(path), "%s/r1", w);
	bt_restore_ok(back, "1", path, "", &v, point[0], point, 1, &o[0]);

	for (p = 0; p < 4; p++) {
		if (sum[p])
			json_object_put(sum[p]);
		if (man[p])
			json_object_put(man[p]);
		if (p < 3)
			free(img[p]);
	}
	free(model);
	bt_vol_free(&v);
}

/* ------------------------------------------------------------------ */
/* sigterm and overflow: a large full backup, interrupted             */

/* Non-zero data in every block: a full copy takes seconds in the VM. */
#define BIG_SIZE	(256 * BT_MIB)
#define BIG_BS		BT_CHUNK
#define BIG_BLOCKS	(BIG_SIZE / BIG_BS)
/* Enough in the .partial directory to know that the copy runs. */
#define PARTIAL_BYTES	(256 * BT_KIB)

/* The volume as its oracle says, or what differs. */
static void check_volume(const struct bt_vol *v, const struct bt_oracle *o)
{
	CU_ASSERT_EQUAL(bt_compare("volume", v->dev, o), 0);
}

/* Start a backup in the background and wait for its copy to run. */
static void start_backup(const struct bt_vol *v, const char *dir,
			 const char *opts, const char *out, const char *err)
{
	bool ended;
	int status = 0;
	char *text;

	bg = bt_spawn(out, err, "cowsnapctl backup %s --to %s%s", v->name,
		      dir, opts);
	CU_ASSERT_FATAL(bg > 0);
	if (bt_wait_partial(dir, PARTIAL_BYTES, bg, 60000, &ended, &status))
		return;
	text = bt_read_text(err);
	fprintf(stderr, "backup %s: %s before its copy was seen; stderr: "
		"%s\n", ended ? "ended" : "no .partial in 60 s", ended ?
		"(too fast: make BIG_SIZE larger)" : "", text ? text : "");
	free(text);
	if (ended)
		bg = -1;
	CU_FAIL_FATAL("the backup's copy was not seen running");
}

/* Wait for the background backup; its exit status (-1: killed). */
static int end_backup(void)
{
	int status = 0;

	CU_ASSERT_FATAL(bt_wait(bg, 120000, &status));
	bg = -1;
	if (WIFSIGNALED(status))
		fprintf(stderr, "backup killed by signal %d\n",
			WTERMSIG(status));
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_sigterm(void)
{
	const char *w = bt_workdir("term");
	char back[200], out[200], err[200], pid[32], *text;
	uint64_t *seeds = malloc(BIG_BLOCKS * sizeof(*seeds)), i;
	uint64_t s = ((uint64_t)seed << 8) | 3;
	struct bt_sys before;
	struct bt_oracle o;
	struct bt_vol v;
	struct bt_cmd c;

	CU_ASSERT_FATAL(w != NULL && seeds != NULL);
	snprintf(back, sizeof(back), "%s/backup", w);
	snprintf(out, sizeof(out), "%s/out", w);
	snprintf(err, sizeof(err), "%s/err", w);
	CU_ASSERT_FATAL(bt_vol_create(&v, "term", BIG_SIZE, s, true) == 0);
	for (i = 0; i < BIG_BLOCKS; i++)
		seeds[i] = s;
	o = (struct bt_oracle){ .size = BIG_SIZE, .seeds = seeds,
				.bs = BIG_BS };
	bt_sys_get(&before);

	start_backup(&v, back, "", out, err);
	/* A second run meanwhile: refused, and the first one's point kept. */
	snprintf(pid, sizeof(pid), "pid %d", (int)bg);
	CU_ASSERT_EQUAL(bt_cmd(&c, BT_CTL " backup %s --to %s", v.name, back),
			7);
	CU_ASSERT(bt_contains(c.err, "already running"));
	CU_ASSERT(bt_contains(c.err, pid));
	bt_cmd_free(&c);
	CU_ASSERT(bt_partial_bytes(back) >= 0);

	printf("SIGTERM to %d with %lld bytes in the partial point\n", (int)bg,
	       (long long)bt_partial_bytes(back));
	CU_ASSERT_FATAL(kill(bg, SIGTERM) == 0);
	CU_ASSERT_EQUAL(end_backup(), 1);
	text = bt_read_text(err);
	printf("stderr: %s", text ? text : "");
	CU_ASSERT(bt_contains(text, "interrupted"));
	free(text);

	CU_ASSERT(bt_sys_same(&before, "after SIGTERM"));
	bt_check_no_point(back);
	check_volume(&v, &o);
	bt_sys_free(&before);
	free(seeds);
	bt_vol_free(&v);
}

#define OVF_STORE	"1M"
#define OVF_BYTES	(4 * BT_MIB)	/* 64 chunks: four times the store */

static void test_overflow(void)
{
	const char *w = bt_workdir("ovf");
	char back[200], out[200], err[200], *text;
	uint64_t *seeds = malloc(BIG_BLOCKS * sizeof(*seeds)), i, off;
	uint64_t s = ((uint64_t)seed << 8) | 4, s2 = s + 1;
	uint8_t *buf = tl_alloc_aligned(BIG_BS);
	struct bt_sys before;
	struct bt_oracle o;
	struct bt_vol v;
	int fd;

	CU_ASSERT_FATAL(w != NULL && seeds != NULL);
	snprintf(back, sizeof(back), "%s/backup", w);
	snprintf(out, sizeof(out), "%s/out", w);
	snprintf(err, sizeof(err), "%s/err", w);
	CU_ASSERT_FATAL(bt_vol_create(&v, "ovf", BIG_SIZE, s, false) == 0);
	for (i = 0; i < BIG_BLOCKS; i++)
		seeds[i] = s;
	o = (struct bt_oracle){ .size = BIG_SIZE, .seeds = seeds,
				.bs = BIG_BS };
	bt_sys_get(&before);

	start_backup(&v, back, " --store-size " OVF_STORE, out, err);
	/* The writer: the volume's last chunks, each one a copy-on-write. */
	fd = open(v.dev, O_WRONLY | O_DIRECT);
	CU_ASSERT_FATAL(fd >= 0);
	for (off = BIG_SIZE - OVF_BYTES; off < BIG_SIZE; off += BIG_BS) {
		bt_fill(buf, BIG_BS, s2, off);
		CU_ASSERT_EQUAL(pwrite(fd, buf, BIG_BS, (off_t)off),
				(ssize_t)BIG_BS);
		seeds[off / BIG_BS] = s2;
	}
	CU_ASSERT_EQUAL(close(fd), 0);
	printf("wrote %llu chunks while the copy ran (%lld bytes in the "
	       "partial point)\n", OVF_BYTES / BIG_BS,
	       (long long)bt_partial_bytes(back));

	CU_ASSERT_EQUAL(end_backup(), 6);
	text = bt_read_text(err);
	printf("stderr: %s", text ? text : "");
	CU_ASSERT(bt_contains(text, "overflowed"));
	CU_ASSERT(bt_contains(text, v.name));
	CU_ASSERT(bt_contains(text, "no backup was made"));
	free(text);

	CU_ASSERT(bt_sys_same(&before, "after the overflow"));
	bt_check_no_point(back);
	check_volume(&v, &o);
	bt_sys_free(&before);
	free(seeds);
	free(buf);
	bt_vol_free(&v);
}

/* ------------------------------------------------------------------ */
/* locks                                                              */

struct held {
	char path[256];
	char content[32];
	struct stat st;
};

/* Take the lock file @path as a backup would hold it; 0 or -1. */
static int hold(struct held *h, const char *path)
{
	snprintf(h->path, sizeof(h->path), "%s", path);
	snprintf(h->content, sizeof(h->content), "%d\n", (int)getpid());
	lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) ||
	    ftruncate(lock_fd, 0) ||
	    write(lock_fd, h->content, strlen(h->content)) !=
	    (ssize_t)strlen(h->content) || fstat(lock_fd, &h->st)) {
		fprintf(stderr, "lock %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The lock is still held by this program: same file, same content. */
static void still_held(const struct held *h)
{
	struct stat st;
	char *text = bt_read_text(h->path);
	int fd = open(h->path, O_RDWR | O_CLOEXEC);

	CU_ASSERT(stat(h->path, &st) == 0 && st.st_ino == h->st.st_ino &&
		  st.st_dev == h->st.st_dev);
	CU_ASSERT(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) && errno ==
		  EWOULDBLOCK);
	CU_ASSERT_STRING_EQUAL(text ? text : "", h->content);
	if (fd >= 0)
		close(fd);
	free(text);
}

static void release(void)
{
	CU_ASSERT_EQUAL(close(lock_fd), 0);
	lock_fd = -1;
}

/* A backup of @v into @dir refused for the lock, naming @who. */
static void refused(const struct bt_vol *v, const char *dir, const char *who,
		    const struct bt_sys *before)
{
	struct bt_cmd c;

	CU_ASSERT_EQUAL(bt_cmd(&c, BT_CTL " backup %s --to %s", v->name, dir),
			7);
	CU_ASSERT(bt_contains(c.err, "already running"));
	CU_ASSERT(bt_contains(c.err, who));
	bt_cmd_free(&c);
	CU_ASSERT(bt_sys_same(before, "after a refused backup"));
	bt_check_no_point(dir);
}

static void test_locks(void)
{
	const char *w = bt_workdir("lock");
	char back[200], back2[200], path[512], point[64];
	struct bt_sys before;
	struct bt_points p;
	struct held h;
	struct bt_vol v;
	json_object *j;

	CU_ASSERT_FATAL(w != NULL);
	snprintf(back, sizeof(back), "%s/backup", w);
	snprintf(back2, sizeof(back2), "%s/backup2", w);
	CU_ASSERT_FATAL(bt_vol_create(&v, "lock", 4 * BT_MIB, 7, true) == 0);
	bt_sys_get(&before);

	/* DIR/.lock */
	CU_ASSERT_FATAL(mkdir(back, 0700) == 0);
	snprintf(path, sizeof(path), "%s/.lock", back);
	CU_ASSERT_FATAL(hold(&h, path) == 0);
	refused(&v, back, back, &before);
	still_held(&h);
	release();
	j = bt_backup(&v, back, "", "full", point, NULL);
	CU_ASSERT(j != NULL);
	if (j)
		json_object_put(j);

	/* /run/cowsnapctl/backup-VOLUME.lock, another DIR */
	CU_ASSERT_FATAL(mkdir("/run/cowsnapctl", 0755) == 0 ||
			errno == EEXIST);
	snprintf(path, sizeof(path), "/run/cowsnapctl/backup-%s.lock", v.name);
	CU_ASSERT_FATAL(hold(&h, path) == 0);
	refused(&v, back2, v.name, &before);
	still_held(&h);
	/* The first DIR is not touched either. */
	CU_ASSERT_FATAL(bt_points(back, &p) == 0);
	CU_ASSERT_EQUAL(p.complete, 1);
	release();
	j = bt_backup(&v, back2, "", "full", point, NULL);
	CU_ASSERT(j != NULL);
	if (j)
		json_object_put(j);
	bt_sys_free(&before);
	bt_vol_free(&v);
}

/* ------------------------------------------------------------------ */
/* one_percent: an incremental copies what changed                    */

#define PCT_SIZE	BT_GIB
#define PCT_BS		BT_CHUNK
#define PCT_BLOCKS	(PCT_SIZE / PCT_BS)
#define PCT_BEFORE	64			/* blocks written before */
#define PCT_CHANGED	(PCT_BLOCKS / 100 + 1)	/* 164 blocks: 1.0 % */

/* Write @n distinct random blocks of @v with new data; their spans. */
static void write_blocks(const struct bt_vol *v, uint64_t *seeds,
			 struct bt_rng *r, unsigned int n, uint64_t s,
			 struct bt_span *spans)
{
	uint8_t *buf = tl_alloc_aligned(PCT_BS), *mark = calloc(PCT_BLOCKS, 1);
	unsigned int i = 0;
	uint64_t b;
	int fd = open(v->dev, O_WRONLY | O_DIRECT);

	CU_ASSERT_FATAL(fd >= 0 && mark != NULL);
	while (i < n) {
		b = bt_below(r, PCT_BLOCKS);
		if (mark[b])
			continue;
		mark[b] = 1;
		bt_fill(buf, PCT_BS, s + b, b * PCT_BS);
		CU_ASSERT_EQUAL_FATAL(pwrite(fd, buf, PCT_BS,
					     (off_t)(b * PCT_BS)),
				      (ssize_t)PCT_BS);
		seeds[b] = s + b;
		if (spans) {
			spans[i].off = b * PCT_BS;
			spans[i].len = PCT_BS;
		}
		i++;
	}
	CU_ASSERT_EQUAL(close(fd), 0);
	free(buf);
	free(mark);
}

static void test_one_percent(void)
{
	const char *w = bt_workdir("pct");
	uint64_t *seeds = calloc(PCT_BLOCKS, sizeof(*seeds)), copied;
	uint64_t s = ((uint64_t)seed << 32) | 6;
	char point[2][64], back[200], path[512];
	struct bt_span *spans = calloc(PCT_CHANGED, sizeof(*spans));
	json_object *sum[2] = { 0 }, *man[2] = { 0 };
	struct bt_rng r = rng_of(6);
	struct bt_oracle o;
	struct bt_vol v;
	struct stat st;

	CU_ASSERT_FATAL(w != NULL && seeds != NULL && spans != NULL);
	snprintf(back, sizeof(back), "%s/backup", w);
	CU_ASSERT_FATAL(bt_vol_create(&v, "pct", PCT_SIZE, 0, true) == 0);
	o = (struct bt_oracle){ .size = PCT_SIZE, .seeds = seeds,
				.bs = PCT_BS };

	step("writes before the full backup");
	write_blocks(&v, seeds, &r, PCT_BEFORE, s, NULL);
	step("full backup");
	sum[0] = bt_backup(&v, back, "", "full", point[0], NULL);
	CU_ASSERT_FATAL(sum[0] != NULL);
	/* 1 GiB is not hashed here: the restore checks it. */
	man[0] = bt_check_manifest(back, point[0], &v, sum[0], NULL, false,
				   true);
	snprintf(path, sizeof(path), "%s/%s/%s.img", back, point[0], v.name);
	CU_ASSERT_FATAL(stat(path, &st) == 0);
	printf("full: %lld bytes allocated of %llu\n",
	       (long long)st.st_blocks * 512, (unsigned long long)PCT_SIZE);
	/* Zero blocks are holes: about the data written, not 1 GiB. */
	CU_ASSERT((uint64_t)st.st_blocks * 512 <= 2 * PCT_BEFORE * PCT_BS);

	step("1 % changed");
	write_blocks(&v, seeds, &r, PCT_CHANGED, s + PCT_BLOCKS, spans);
	step("incremental backup");
	sum[1] = bt_backup(&v, back, "", "incremental", point[1], NULL);
	CU_ASSERT_FATAL(sum[1] != NULL);
	man[1] = bt_check_manifest(back, point[1], &v, sum[1], point[0], true,
				true);
	copied = (uint64_t)bt_num(sum[1], "bytes_copied");
	printf("incremental: %llu bytes copied for %llu changed (%.3f %% of "
	       "the volume)\n", (unsigned long long)copied,
	       (unsigned long long)(PCT_CHANGED * PCT_BS),
	       100.0 * (double)copied / (double)PCT_SIZE);
	CU_ASSERT(copied * 100 >= PCT_SIZE);
	CU_ASSERT(copied * 1000 <= PCT_SIZE * 15);
	bt_check_coverage(bt_manifest_volume(man[1]), spans, PCT_CHANGED,
			  PCT_SIZE);

	step("volume against the oracle");
	CU_ASSERT_EQUAL(bt_compare("volume (its disk)", v.file, &o), 0);
	step("restore");
	snprintf(path, sizeof(path), "%s/restored", w);
	bt_restore_ok(back, NULL, path, "", &v, point[1], point, 2, &o);
	step("done");

	json_object_put(sum[0]);
	json_object_put(sum[1]);
	if (man[0])
		json_object_put(man[0]);
	if (man[1])
		json_object_put(man[1]);
	free(seeds);
	free(spans);
	bt_vol_free(&v);
}

static CU_TestInfo backup_tests[] = {
	{ "chain", test_chain },
	{ "generation", test_generation },
	{ "sigterm", test_sigterm },
	{ "overflow", test_overflow },
	{ "locks", test_locks },
	{ "one_percent", test_one_percent },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "backup", backup_init, backup_clean, test_setup, test_teardown,
	  backup_tests },
	CU_SUITE_INFO_NULL,
};
