// SPDX-License-Identifier: GPL-2.0
/*
 * Checks of the backup suite, with CUnit assertions: backups and their
 * --json summaries, manifests, restores, verify: see backup-test.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup-test.h"

static bool is_hex64(const char *s)
{
	size_t i;

	if (strlen(s) != 64)
		return false;
	for (i = 0; i < 64; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

bool bt_contains(const char *s, const char *what)
{
	return s && strstr(s, what);
}

/* The file name of @v's data in a point of @kind. */
static void data_file(char *buf, size_t size, const struct bt_vol *v,
		      const char *kind)
{
	snprintf(buf, size, "%s.%s", v->name,
		 strcmp(kind, "full") ? "delta" : "img");
}

/*
 * The --json summary of a backup of the one volume @v into @dir, of
 * @kind; the point's name into @point.
 */
static void check_summary(json_object *j, const char *dir,
			  const struct bt_vol *v, const char *kind,
			  char *point)
{
	json_object *m = bt_idx(j, "volumes", 0);
	char file[128];

	CU_ASSERT_STRING_EQUAL(bt_str(j, "dir"), dir);
	snprintf(point, 64, "%s", bt_str(j, "point"));
	CU_ASSERT(bt_point_name_ok(point));
	CU_ASSERT(bt_str(j, "set")[0] != '\0');
	CU_ASSERT(bt_num(j, "freeze_us") >= 0);
	CU_ASSERT(bt_num(j, "freeze_ms") >= 0);
	CU_ASSERT(bt_num(j, "duration_ms") >= 0);
	CU_ASSERT(bt_num(j, "bytes_copied") >= 0);
	CU_ASSERT(bt_num(j, "blocks") >= 0);
	CU_ASSERT_FATAL(bt_len(j, "volumes") == 1 && m);
	CU_ASSERT_STRING_EQUAL(bt_str(m, "name"), v->name);
	CU_ASSERT_STRING_EQUAL(bt_str(m, "kind"), kind);
	if (!strcmp(kind, "incremental"))
		CU_ASSERT(bt_null(m, "reason"));
	CU_ASSERT_EQUAL(bt_num(m, "size"), (int64_t)v->size);
	CU_ASSERT_EQUAL(bt_num(m, "bytes_copied"), bt_num(j, "bytes_copied"));
	CU_ASSERT_EQUAL(bt_num(m, "blocks"), bt_num(j, "blocks"));
	CU_ASSERT(bt_num(m, "ranges") >= 0);
	data_file(file, sizeof(file), v, kind);
	CU_ASSERT_STRING_EQUAL(bt_str(m, "file"), file);
	CU_ASSERT(is_hex64(bt_str(m, "sha256")));
}

/*
 * Back up @v into @dir with @opts: must succeed with a summary of @kind.
 * Returns the summary (put by the caller); the point into @point, the
 * stderr (malloc'd) into *@err when that is not NULL.
 */
json_object *bt_backup(const struct bt_vol *v, const char *dir,
		       const char *opts, const char *kind, char *point,
		       char **err)
{
	struct bt_cmd c;
	json_object *j;

	point[0] = '\0';
	bt_cmd(&c, BT_CTL " backup %s --to %s --json%s", v->name, dir, opts);
	CU_ASSERT_EQUAL(c.status, 0);
	j = bt_json(c.out, "backup --json");
	CU_ASSERT(j != NULL);
	if (j)
		check_summary(j, dir, v, kind, point);
	if (err) {
		*err = c.err;
		c.err = NULL;
	}
	bt_cmd_free(&c);
	return j;
}

/* The ranges of a manifest's volume: sorted, apart, inside, their sum. */
static int64_t check_ranges(json_object *m, uint64_t size, uint64_t bs,
			    uint64_t *blocks)
{
	json_object *ranges = bt_get(m, "ranges"), *r;
	uint64_t sum = 0, end = 0, off, len;
	size_t i, n;

	if (!ranges || !json_object_is_type(ranges, json_type_array))
		return -1;
	n = json_object_array_length(ranges);
	*blocks = 0;
	for (i = 0; i < n; i++) {
		r = json_object_array_get_idx(ranges, i);
		if (!json_object_is_type(r, json_type_array) ||
		    json_object_array_length(r) != 2)
			return -1;
		off = (uint64_t)json_object_get_int64(
				json_object_array_get_idx(r, 0));
		len = (uint64_t)json_object_get_int64(
				json_object_array_get_idx(r, 1));
		if (!len || off < end || off + len > size) {
			fprintf(stderr, "range %zu [%" PRIu64 ", %" PRIu64
				"] out of order, empty or outside\n", i, off,
				len);
			return -1;
		}
		end = off + len;
		sum += len;
		*blocks += (len + bs - 1) / bs;
	}
	return (int64_t)sum;
}

/* The manifest of the previous point's sha256, or "" for none. */
static void manifest_sha(const char *dir, const char *point, char hex[65])
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s/manifest.json", dir, point);
	if (bt_sha256_file(path, hex))
		hex[0] = '\0';
}

/*
 * DIR/POINT/manifest.json of a backup of @v whose summary is @sum, the
 * point after @parent (NULL: none); with @hash the sha256 of the data file
 * is computed.  Returns the manifest (put by the caller) or NULL.
 */
json_object *bt_check_manifest(const char *dir, const char *point,
			       const struct bt_vol *v, json_object *sum,
			       const char *parent, bool hash, bool cbt)
{
	json_object *j, *m, *s = bt_idx(sum, "volumes", 0);
	char path[512], hex[65], psha[65];
	uint64_t blocks = 0, bs;
	const char *kind;
	struct stat st;
	int64_t total;

	snprintf(path, sizeof(path), "%s/%s/manifest.json", dir, point);
	j = bt_json_file(path);
	CU_ASSERT_FATAL(j != NULL);
	CU_ASSERT_STRING_EQUAL(bt_str(j, "format"), "cowsnap-backup");
	CU_ASSERT_EQUAL(bt_num(j, "version"), 1);
	CU_ASSERT_STRING_EQUAL(bt_str(j, "point"), point);
	CU_ASSERT_EQUAL(bt_num(j, "sequence"), atoi(point));
	if (parent) {
		manifest_sha(dir, parent, psha);
		CU_ASSERT_STRING_EQUAL(bt_str(j, "parent"), parent);
		CU_ASSERT_STRING_EQUAL(bt_str(j, "parent_sha256"), psha);
	} else {
		CU_ASSERT(bt_null(j, "parent"));
		CU_ASSERT(bt_null(j, "parent_sha256"));
	}
	CU_ASSERT_STRING_EQUAL(bt_str(j, "set"), bt_str(sum, "set"));
	CU_ASSERT(bt_num(j, "chunk_size") > 0);
	CU_ASSERT(bt_num(j, "freeze_us") >= 0);
	CU_ASSERT(bt_str(j, "started")[0] && bt_str(j, "finished")[0]);
	CU_ASSERT_FATAL(bt_len(j, "volumes") == 1);
	m = bt_idx(j, "volumes", 0);
	kind = bt_str(s, "kind");
	CU_ASSERT_STRING_EQUAL(bt_str(m, "name"), v->name);
	CU_ASSERT(bt_str(m, "uuid")[0] != '\0');
	CU_ASSERT_EQUAL(bt_num(m, "size"), (int64_t)v->size);
	CU_ASSERT_STRING_EQUAL(bt_str(m, "kind"), kind);
	bs = (uint64_t)bt_num(m, "block_size");
	CU_ASSERT(bs > 0 && bs <= 1048576);
	if (cbt) {
		CU_ASSERT_EQUAL(strlen(bt_str(m, "generation")), 36);
		CU_ASSERT(bt_num(m, "change_number") > 0);
	} else {
		CU_ASSERT_EQUAL(bs, 4096);
		CU_ASSERT(bt_null(m, "generation"));
		CU_ASSERT(bt_null(m, "change_number"));
	}
	if (!strcmp(kind, "incremental")) {
		CU_ASSERT_STRING_EQUAL(bt_str(m, "base"), parent ? parent : "");
		CU_ASSERT(bt_num(m, "since") >= 0);
	} else {
		CU_ASSERT(bt_null(m, "base"));
		CU_ASSERT(bt_null(m, "since"));
	}
	CU_ASSERT_STRING_EQUAL(bt_str(m, "file"), bt_str(s, "file"));
	CU_ASSERT_STRING_EQUAL(bt_str(m, "sha256"), bt_str(s, "sha256"));
	CU_ASSERT_EQUAL(bt_num(m, "bytes_copied"), bt_num(s, "bytes_copied"));

	/* The data file: its size, its ranges, its checksum. */
	snprintf(path, sizeof(path), "%s/%s/%s", dir, point,
		 bt_str(m, "file"));
	CU_ASSERT_FATAL(stat(path, &st) == 0);
	CU_ASSERT_EQUAL(bt_num(m, "file_size"), (int64_t)st.st_size);
	total = check_ranges(m, v->size, bs, &blocks);
	CU_ASSERT_EQUAL(total, bt_num(m, "file_size"));
	CU_ASSERT_EQUAL((int64_t)bt_len(m, "ranges"), bt_num(s, "ranges"));
	CU_ASSERT_EQUAL((int64_t)blocks, bt_num(s, "blocks"));
	if (!strcmp(kind, "full")) {
		CU_ASSERT_EQUAL(st.st_size, (off_t)v->size);
		CU_ASSERT_EQUAL(bt_len(m, "ranges"), 1);
	} else {
		CU_ASSERT_EQUAL(bt_num(m, "bytes_copied"),
				bt_num(m, "file_size"));
	}
	if (hash) {
		CU_ASSERT_FATAL(bt_sha256_file(path, hex) == 0);
		if (strcmp(hex, bt_str(m, "sha256")))
			fprintf(stderr, "%s: sha256 %s, manifest says %s\n",
				path, hex, bt_str(m, "sha256"));
		CU_ASSERT_STRING_EQUAL(hex, bt_str(m, "sha256"));
	}
	return j;
}

json_object *bt_manifest_volume(json_object *man)
{
	return bt_idx(man, "volumes", 0);
}

/* Is [off, off + len) inside the union of the ranges of @m? */
static bool covered(json_object *m, uint64_t off, uint64_t len)
{
	json_object *ranges = bt_get(m, "ranges"), *r;
	uint64_t a, b, end = off + len;
	size_t i, n = ranges ? json_object_array_length(ranges) : 0;

	for (i = 0; i < n && off < end; i++) {
		r = json_object_array_get_idx(ranges, i);
		a = (uint64_t)json_object_get_int64(
				json_object_array_get_idx(r, 0));
		b = a + (uint64_t)json_object_get_int64(
				json_object_array_get_idx(r, 1));
		if (a <= off && off < b)
			off = b;
	}
	return off >= end;
}

/* ------------------------------------------------------------------ */
/* Restores                                                           */

/*
 * Restore @at (NULL: the default) of @dir into @to with @opts: must
 * succeed, its --json say @point and @chain (@n points), and @to hold what
 * @o says.
 */
void bt_restore_ok(const char *dir, const char *at, const char *to,
		   const char *opts, const struct bt_vol *v, const char *point,
		   char (*chain)[64], int n, const struct bt_oracle *o)
{
	char at_opt[96] = "";
	struct bt_cmd c;
	json_object *j;
	int i;

	if (at)
		snprintf(at_opt, sizeof(at_opt), " --at %s", at);
	bt_cmd(&c, BT_CTL " restore --from %s --to %s%s --json%s", dir, to,
	       at_opt, opts);
	CU_ASSERT_EQUAL(c.status, 0);
	j = bt_json(c.out, "restore --json");
	CU_ASSERT(j != NULL);
	if (j) {
		CU_ASSERT_STRING_EQUAL(bt_str(j, "volume"), v->name);
		CU_ASSERT_STRING_EQUAL(bt_str(j, "point"), point);
		CU_ASSERT_EQUAL(bt_num(j, "size"), (int64_t)v->size);
		CU_ASSERT(bt_num(j, "bytes_written") >= 0);
		CU_ASSERT_EQUAL(bt_len(j, "chain"), (size_t)n);
		for (i = 0; i < n && i < (int)bt_len(j, "chain"); i++)
			CU_ASSERT_STRING_EQUAL(json_object_get_string(
				bt_idx(j, "chain", (size_t)i)), chain[i]);
		json_object_put(j);
	}
	bt_cmd_free(&c);
	CU_ASSERT_EQUAL(bt_compare(to, to, o), 0);
}

/* The incremental @m holds every write of @spans, and not much more. */
void bt_check_coverage(json_object *m, const struct bt_span *spans, int n,
		       uint64_t size)
{
	uint64_t chunks = 0, c, bad = 0;
	uint8_t *touched = calloc(size / BT_CHUNK, 1);
	int i;

	CU_ASSERT_FATAL(touched != NULL);
	for (i = 0; i < n; i++) {
		if (!covered(m, spans[i].off, spans[i].len) && bad++ < 5)
			fprintf(stderr, "write [%" PRIu64 ", +%" PRIu64 "] "
				"is not in the incremental's ranges\n",
				spans[i].off, spans[i].len);
		for (c = spans[i].off / BT_CHUNK;
		     c <= (spans[i].off + spans[i].len - 1) / BT_CHUNK; c++)
			touched[c] = 1;
	}
	for (c = 0; c < size / BT_CHUNK; c++)
		chunks += touched[c];
	CU_ASSERT_EQUAL(bad, 0);
	/* The tracker's blocks are 4 KiB: whole chunks are the most. */
	CU_ASSERT(bt_num(m, "file_size") > 0);
	CU_ASSERT((uint64_t)bt_num(m, "file_size") <= chunks * BT_CHUNK);
	free(touched);
}

/* verify DIR --json: overall @ok, @n points, point @bad (-1: none) not ok. */
void bt_check_verify_json(const char *dir, bool ok, int n, int bad,
			  char (*points)[64])
{
	json_object *j, *p, *m;
	struct bt_cmd c;
	int i;

	bt_cmd(&c, BT_CTL " verify %s --json", dir);
	CU_ASSERT_EQUAL(c.status, ok ? 0 : 1);
	j = bt_json(c.out, "verify --json");
	CU_ASSERT_FATAL(j != NULL);
	CU_ASSERT_STRING_EQUAL(bt_str(j, "dir"), dir);
	CU_ASSERT_EQUAL(bt_bool(j, "ok"), ok);
	CU_ASSERT_EQUAL_FATAL(bt_len(j, "points"), (size_t)n);
	for (i = 0; i < n; i++) {
		p = bt_idx(j, "points", (size_t)i);
		m = bt_idx(p, "volumes", 0);
		CU_ASSERT_STRING_EQUAL(bt_str(p, "point"), points[i]);
		CU_ASSERT_EQUAL(bt_len(p, "volumes"), 1);
		if (i == bad) {
			CU_ASSERT_EQUAL(bt_bool(p, "ok"), 0);
			CU_ASSERT_EQUAL(bt_bool(m, "ok"), 0);
			CU_ASSERT(bt_str(m, "error")[0] != '\0');
		} else if (bad < 0 || i < bad) {
			/* those after the bad one may be told bad too */
			CU_ASSERT_EQUAL(bt_bool(p, "ok"), 1);
			CU_ASSERT_EQUAL(bt_bool(m, "ok"), 1);
		}
		CU_ASSERT_STRING_EQUAL(bt_str(m, "kind"),
				       i ? "incremental" : "full");
	}
	json_object_put(j);
	bt_cmd_free(&c);
}

/* DIR holds no point, complete or partial. */
void bt_check_no_point(const char *dir)
{
	struct bt_points p;

	CU_ASSERT_FATAL(bt_points(dir, &p) == 0 || errno == ENOENT);
	CU_ASSERT_EQUAL(p.complete, 0);
	CU_ASSERT_EQUAL(p.partial, 0);
	CU_ASSERT_EQUAL(p.other, 0);
}

