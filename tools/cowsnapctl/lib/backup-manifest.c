// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: backup manifests (written with json.h, read with json-c),
 * the points of a backup directory, and the chain that rebuilds a volume.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "backup.h"
#include "json.h"
#include "names.h"

/* ------------------------------------------------------------------------
 * Names and times
 * ---------------------------------------------------------------------- */

char *cs_bk_point_name(unsigned int sequence, int64_t when, char *buf)
{
	time_t t = (time_t)when;
	struct tm tm;
	char stamp[24];

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(buf, CS_BK_POINT_LEN, "%04u-%s", sequence, stamp);
	return buf;
}

unsigned int cs_bk_point_parse(const char *name, bool *partial)
{
	size_t len = strlen(name), plen = strlen(CS_BK_PARTIAL), i, digits;
	unsigned long seq;
	char *end;

	if (len > plen && !strcmp(name + len - plen, CS_BK_PARTIAL)) {
		if (!partial)
			return 0;
		*partial = true;
		len -= plen;
	} else if (partial) {
		*partial = false;
	}
	for (digits = 0; digits < len && name[digits] >= '0' &&
			 name[digits] <= '9'; digits++)
		;
	/* NNNN "-" YYYYMMDD "T" HHMMSS "Z" */
	if (digits < 4 || digits > 9 || len != digits + 17 ||
	    name[digits] != '-' || name[digits + 9] != 'T' ||
	    name[len - 1] != 'Z')
		return 0;
	for (i = digits + 1; i < len - 1; i++)
		if (i != digits + 9 && (name[i] < '0' || name[i] > '9'))
			return 0;
	seq = strtoul(name, &end, 10);
	return seq > 0 && seq <= UINT32_MAX ? (unsigned int)seq : 0;
}

static void format_time(int64_t when, char *buf, size_t size)
{
	time_t t = (time_t)when;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int parse_time(const char *s, int64_t *when)
{
	struct tm tm = { 0 };
	const char *end;

	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		return -EINVAL;
	*when = timegm(&tm);
	return 0;
}

/* ------------------------------------------------------------------------
 * Writing
 * ---------------------------------------------------------------------- */

static void string_or_null(struct cs_json *j, const char *key, const char *s)
{
	if (s[0])
		cs_json_string(j, key, s);
	else
		cs_json_null(j, key);
}

static void u64_or_null(struct cs_json *j, const char *key, uint64_t v,
			bool present)
{
	if (present)
		cs_json_u64(j, key, v);
	else
		cs_json_null(j, key);
}

static void volume_write(struct cs_json *j, const struct cs_bk_volume *v)
{
	size_t i;

	cs_json_begin_object(j, NULL);
	cs_json_string(j, "name", v->name);
	cs_json_string(j, "uuid", v->uuid);
	cs_json_u64(j, "size", v->size);
	cs_json_string(j, "kind", v->full ? "full" : "incremental");
	string_or_null(j, "base", v->base);
	cs_json_u64(j, "block_size", v->block_size);
	string_or_null(j, "generation", v->generation);
	u64_or_null(j, "change_number", v->change_number, v->change_number);
	u64_or_null(j, "since", v->since, !v->full);
	cs_json_string(j, "file", v->file);
	cs_json_u64(j, "file_size", v->file_size);
	cs_json_string(j, "sha256", v->sha256);
	cs_json_u64(j, "bytes_copied", v->bytes_copied);
	cs_json_begin_array(j, "ranges");
	for (i = 0; i < v->nr_ranges; i++) {
		cs_json_begin_array(j, NULL);
		cs_json_u64(j, NULL, v->ranges[i].offset);
		cs_json_u64(j, NULL, v->ranges[i].length);
		cs_json_end_array(j);
	}
	cs_json_end_array(j);
	cs_json_end_object(j);
}

int cs_bk_manifest_write(const struct cs_bk_manifest *m, FILE *f)
{
	char started[32], finished[32];
	struct cs_json j;
	unsigned int i;

	format_time(m->started, started, sizeof(started));
	format_time(m->finished, finished, sizeof(finished));
	cs_json_init(&j, f, CS_JSON_PRETTY);
	cs_json_begin_object(&j, NULL);
	cs_json_string(&j, "format", CS_BK_FORMAT);
	cs_json_u64(&j, "version", CS_BK_VERSION);
	cs_json_string(&j, "point", m->point);
	cs_json_u64(&j, "sequence", m->sequence);
	string_or_null(&j, "parent", m->parent);
	string_or_null(&j, "parent_sha256", m->parent_sha256);
	cs_json_string(&j, "set", m->set);
	cs_json_u64(&j, "chunk_size", m->chunk_size);
	cs_json_u64(&j, "freeze_us", m->freeze_us);
	cs_json_string(&j, "started", started);
	cs_json_string(&j, "finished", finished);
	cs_json_begin_array(&j, "volumes");
	for (i = 0; i < m->nr; i++)
		volume_write(&j, &m->vols[i]);
	cs_json_end_array(&j);
	cs_json_end_object(&j);
	return cs_json_finish(&j) ? -EIO : 0;
}

void cs_bk_manifest_free(struct cs_bk_manifest *m)
{
	unsigned int i;

	for (i = 0; i < m->nr && i < COWSNAP_MEMBERS_MAX; i++)
		free(m->vols[i].ranges);
	memset(m, 0, sizeof(*m));
}

/* ------------------------------------------------------------------------
 * Reading: every value checked, the key named when it is wrong
 * ---------------------------------------------------------------------- */

/* Where a manifest is read from, for the errors. */
struct reader {
	const char *path;
	const char *key;
};

static int bad(const struct reader *rd, const char *what)
{
	return cs_error_set(-EINVAL, rd->path, "%s%s%s", rd->key ? rd->key : "",
			    rd->key ? ": " : "", what);
}

/* Member @key of type @type; *@out is NULL for null when @nullable. */
static int get(struct reader *rd, json_object *o, const char *key,
	       json_type type, bool nullable, json_object **out)
{
	rd->key = key;
	*out = NULL;
	if (!json_object_object_get_ex(o, key, out))
		return bad(rd, "missing");
	/* json-c's null is a NULL object */
	if (!*out)
		return nullable ? 0 : bad(rd, "null");
	if (!json_object_is_type(*out, type))
		return bad(rd, "wrong type");
	return 0;
}

/* A string of at most @size - 1 bytes, or "" for null when @nullable. */
static int get_string(struct reader *rd, json_object *o, const char *key,
		      char *out, size_t size, bool nullable)
{
	json_object *v;
	const char *s;

	if (get(rd, o, key, json_type_string, nullable, &v))
		return -EINVAL;
	s = v ? json_object_get_string(v) : "";
	if (strlen(s) >= size || (!nullable && !s[0]))
		return bad(rd, "bad length");
	strcpy(out, s);
	return 0;
}

/* A non-negative integer, or 0 for null when @nullable. */
static int get_u64(struct reader *rd, json_object *o, const char *key,
		   uint64_t *out, bool nullable)
{
	json_object *v;

	*out = 0;
	if (get(rd, o, key, json_type_int, nullable, &v))
		return -EINVAL;
	if (!v)
		return 0;
	/* json-c keeps numbers above INT64_MAX as uint64 */
	if (json_object_get_int64(v) < 0 &&
	    json_object_get_uint64(v) <= (uint64_t)INT64_MAX)
		return bad(rd, "negative");
	*out = json_object_get_uint64(v);
	return 0;
}

static int get_uint(struct reader *rd, json_object *o, const char *key,
		    unsigned int *out, uint64_t max, bool nullable)
{
	uint64_t v = 0;
	int r;

	r = get_u64(rd, o, key, &v, nullable);
	if (r)
		return r;
	if (v > max)
		return bad(rd, "out of range");
	*out = (unsigned int)v;
	return 0;
}

static bool is_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return strlen(s) == len;
}

static int read_ranges(struct reader *rd, json_object *o,
		       struct cs_bk_volume *v)
{
	uint64_t end = 0, sum = 0;
	json_object *a, *e;
	size_t i, n;

	if (get(rd, o, "ranges", json_type_array, false, &a))
		return -EINVAL;
	n = json_object_array_length(a);
	v->ranges = calloc(n ? n : 1, sizeof(*v->ranges));
	if (!v->ranges)
		return -ENOMEM;
	v->nr_ranges = n;
	for (i = 0; i < n; i++) {
		struct cs_bk_range *r = &v->ranges[i];
		json_object *x, *y;

		e = json_object_array_get_idx(a, i);
		if (!json_object_is_type(e, json_type_array) ||
		    json_object_array_length(e) != 2)
			return bad(rd, "not a pair");
		x = json_object_array_get_idx(e, 0);
		y = json_object_array_get_idx(e, 1);
		if (!json_object_is_type(x, json_type_int) ||
		    !json_object_is_type(y, json_type_int) ||
		    json_object_get_int64(x) < 0 || json_object_get_int64(y) <= 0)
			return bad(rd, "not a pair of offset and length");
		r->offset = (uint64_t)json_object_get_int64(x);
		r->length = (uint64_t)json_object_get_int64(y);
		if (r->offset < end || r->length > v->size ||
		    r->offset > v->size - r->length)
			return bad(rd, "out of order or beyond the volume");
		end = r->offset + r->length;
		sum += r->length;
	}
	if (v->full && (n != 1 || v->ranges[0].offset ||
			v->ranges[0].length != v->size))
		return bad(rd, "a full backup must hold [0, size]");
	if (v->full && v->file_size != v->size)
		return rd->key = "file_size", bad(rd, "a full image is the volume's size");
	if (!v->full && sum != v->file_size)
		return bad(rd, "does not add up to file_size");
	return 0;
}

static int read_kind(struct reader *rd, json_object *o,
		     struct cs_bk_volume *v)
{
	char kind[16];
	int r;

	r = get_string(rd, o, "kind", kind, sizeof(kind), false);
	if (r)
		return r;
	if (strcmp(kind, "full") && strcmp(kind, "incremental"))
		return bad(rd, "neither full nor incremental");
	v->full = !strcmp(kind, "full");
	r = get_string(rd, o, "base", v->base, sizeof(v->base), v->full);
	if (!r && (v->full ? v->base[0] != 0 :
		   !cs_bk_point_parse(v->base, NULL)))
		r = bad(rd, v->full ? "a full backup has no base" :
			"not a point name");
	if (!r)
		r = get_uint(rd, o, "since", &v->since, 255, v->full);
	return r;
}

static int read_volume(struct reader *rd, json_object *o,
		       struct cs_bk_volume *v)
{
	uint64_t bs = 0;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return rd->key = "volumes", bad(rd, "not an object");
	r = get_string(rd, o, "name", v->name, sizeof(v->name), false);
	if (!r && cs_volume_name_check(v->name))
		r = bad(rd, "not a volume name");
	if (!r)
		r = get_string(rd, o, "uuid", v->uuid, sizeof(v->uuid), false);
	if (!r)
		r = get_u64(rd, o, "size", &v->size, false);
	if (!r && (!v->size || v->size % 512))
		r = bad(rd, "not a whole number of sectors");
	if (!r)
		r = read_kind(rd, o, v);
	if (!r)
		r = get_u64(rd, o, "block_size", &bs, false);
	if (!r && (bs < 512 || bs > (1U << 30) || !cs_is_power_of_2(bs)))
		r = bad(rd, "not a power of two");
	v->block_size = (uint32_t)bs;
	if (!r)
		r = get_string(rd, o, "generation", v->generation,
			       sizeof(v->generation), true);
	if (!r)
		r = get_uint(rd, o, "change_number", &v->change_number, 255,
			     true);
	if (!r)
		r = get_string(rd, o, "file", v->file, sizeof(v->file), false);
	if (!r && (strchr(v->file, '/') || v->file[0] == '.'))
		r = bad(rd, "not a file name");
	if (!r)
		r = get_u64(rd, o, "file_size", &v->file_size, false);
	if (!r)
		r = get_string(rd, o, "sha256", v->sha256, sizeof(v->sha256),
			       false);
	if (!r && !is_hex(v->sha256, 64))
		r = bad(rd, "not a SHA-256");
	if (!r)
		r = get_u64(rd, o, "bytes_copied", &v->bytes_copied, false);
	if (!r)
		r = read_ranges(rd, o, v);
	return r;
}

static int read_volumes(struct reader *rd, json_object *o,
			struct cs_bk_manifest *m)
{
	json_object *a;
	size_t i, n;
	int r;

	if (get(rd, o, "volumes", json_type_array, false, &a))
		return -EINVAL;
	n = json_object_array_length(a);
	if (!n || n > COWSNAP_MEMBERS_MAX)
		return bad(rd, "no volume, or too many");
	for (i = 0; i < n; i++) {
		m->nr = (unsigned int)i + 1;
		r = read_volume(rd, json_object_array_get_idx(a, i),
				&m->vols[i]);
		if (r)
			return r;
		if (cs_bk_manifest_volume(m, m->vols[i].name) != &m->vols[i]) {
			rd->key = "volumes";
			return bad(rd, "a volume is listed twice");
		}
	}
	return 0;
}

static int read_times(struct reader *rd, json_object *o,
		      struct cs_bk_manifest *m)
{
	char s[32];
	int r;

	r = get_string(rd, o, "started", s, sizeof(s), false);
	if (!r && parse_time(s, &m->started))
		r = bad(rd, "not a UTC time");
	if (!r)
		r = get_string(rd, o, "finished", s, sizeof(s), false);
	if (!r && parse_time(s, &m->finished))
		r = bad(rd, "not a UTC time");
	return r;
}

static int read_top(struct reader *rd, json_object *o,
		    struct cs_bk_manifest *m)
{
	char format[32];
	unsigned int version = 0;
	uint64_t v = 0;
	int r;

	r = get_string(rd, o, "format", format, sizeof(format), false);
	if (!r && strcmp(format, CS_BK_FORMAT))
		r = bad(rd, "not a cowsnap backup manifest");
	if (!r)
		r = get_uint(rd, o, "version", &version, UINT32_MAX, false);
	if (!r && version != CS_BK_VERSION)
		r = bad(rd, "a version this cowsnapctl does not read");
	if (!r)
		r = get_string(rd, o, "point", m->point, sizeof(m->point), false);
	if (!r)
		r = get_uint(rd, o, "sequence", &m->sequence, UINT32_MAX, false);
	if (!r && cs_bk_point_parse(m->point, NULL) != m->sequence)
		r = bad(rd, "does not match the point's name");
	if (!r)
		r = get_string(rd, o, "parent", m->parent, sizeof(m->parent),
			       true);
	if (!r)
		r = get_string(rd, o, "parent_sha256", m->parent_sha256,
			       sizeof(m->parent_sha256), true);
	if (!r && !m->parent[0] != !m->parent_sha256[0])
		r = bad(rd, "parent and parent_sha256 go together");
	if (!r)
		r = get_string(rd, o, "set", m->set, sizeof(m->set), false);
	if (!r)
		r = get_u64(rd, o, "chunk_size", &v, false);
	if (!r && (v > UINT32_MAX || !cs_is_power_of_2(v)))
		r = bad(rd, "not a power of two");
	m->chunk_size = (uint32_t)v;
	if (!r)
		r = get_u64(rd, o, "freeze_us", &m->freeze_us, false);
	if (!r)
		r = read_times(rd, o, m);
	return r;
}

int cs_bk_manifest_read(const char *path, struct cs_bk_manifest *m)
{
	struct reader rd = { .path = path };
	const char *why;
	json_object *o;
	int fd, r;

	memset(m, 0, sizeof(*m));
	/* Opened here, so that "Permission denied" is not a parse error. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cs_error_set(-errno, path, "cannot open: %s",
				    strerror(errno));
	o = json_object_from_fd(fd);
	close(fd);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		why = o ? "the top is not an object" : json_util_get_last_err();
		return cs_error_set(-EINVAL, path, "not a JSON object: %.*s",
				    (int)strcspn(why ? why : "", "\n"),
				    why ? why : "");
	}
	r = read_top(&rd, o, m);
	if (!r)
		r = read_volumes(&rd, o, m);
	json_object_put(o);
	if (r)
		cs_bk_manifest_free(m);
	return r;
}

struct cs_bk_volume *cs_bk_manifest_volume(const struct cs_bk_manifest *m,
					   const char *name)
{
	unsigned int i;

	for (i = 0; i < m->nr; i++)
		if (!strcmp(m->vols[i].name, name))
			return (struct cs_bk_volume *)&m->vols[i];
	return NULL;
}

/* ------------------------------------------------------------------------
 * The points of a directory
 * ---------------------------------------------------------------------- */

static int by_sequence(const void *a, const void *b)
{
	const struct cs_bk_manifest *x = a, *y = b;

	return x->sequence < y->sequence ? -1 : x->sequence > y->sequence;
}

static int add_partial(struct cs_bk_dir *dir, const char *name)
{
	void *p = realloc(dir->partial, (dir->nr_partial + 1) *
			  sizeof(*dir->partial));

	if (!p)
		return -ENOMEM;
	dir->partial = p;
	snprintf(dir->partial[dir->nr_partial++], sizeof(*dir->partial),
		 "%.*s", (int)sizeof(*dir->partial) - 1, name);
	return 0;
}

/* A point whose manifest does not read: keep its name and the reason. */
static int add_bad(struct cs_bk_dir *dir, const char *name)
{
	const struct cs_error *e = cs_last_error();
	struct cs_bk_check *b;

	b = realloc(dir->bad, (dir->nr_bad + 1) * sizeof(*b));
	if (!b)
		return -ENOMEM;
	dir->bad = b;
	b += dir->nr_bad++;
	memset(b, 0, sizeof(*b));
	snprintf(b->point, sizeof(b->point), "%s", name);
	b->err = e->err;
	snprintf(b->why, sizeof(b->why), "%s: %.*s", CS_BK_MANIFEST,
		 (int)sizeof(b->why) - 16, e->why);
	return 0;
}

static int add_point(struct cs_bk_dir *dir, const char *name, bool strict)
{
	char path[4096];
	struct cs_bk_manifest *p;
	int r;

	p = realloc(dir->points, (dir->nr + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	dir->points = p;
	snprintf(path, sizeof(path), "%s/%s/" CS_BK_MANIFEST, dir->path, name);
	r = cs_bk_manifest_read(path, &p[dir->nr]);
	if (!r && strcmp(p[dir->nr].point, name)) {
		cs_bk_manifest_free(&p[dir->nr]);
		r = cs_error_set(-EINVAL, path, "point: names another point");
	}
	if (!r)
		dir->nr++;
	if (!r || strict || r == -ENOMEM)
		return r;
	return add_bad(dir, name);
}

int cs_bk_dir_read(const char *path, struct cs_bk_dir *dir, bool strict)
{
	struct dirent *de;
	unsigned int seq;
	bool partial;
	DIR *d;
	int r = 0;

	memset(dir, 0, sizeof(*dir));
	dir->path = path;
	d = opendir(path);
	if (!d)
		return cs_error_set(-errno, path, "%s", strerror(errno));
	while (!r && (errno = 0, de = readdir(d))) {
		seq = cs_bk_point_parse(de->d_name, &partial);
		if (!seq)
			continue;
		if (seq > dir->last_sequence)
			dir->last_sequence = seq;
		r = partial ? add_partial(dir, de->d_name) :
		    add_point(dir, de->d_name, strict);
	}
	if (!r && errno)
		r = cs_error_set(-errno, path, "%s", strerror(errno));
	closedir(d);
	if (r) {
		cs_bk_dir_free(dir);
		return r;
	}
	if (dir->nr)
		qsort(dir->points, dir->nr, sizeof(*dir->points), by_sequence);
	return 0;
}

void cs_bk_dir_free(struct cs_bk_dir *dir)
{
	unsigned int i;

	for (i = 0; i < dir->nr; i++)
		cs_bk_manifest_free(&dir->points[i]);
	free(dir->points);
	free(dir->partial);
	free(dir->bad);
	memset(dir, 0, sizeof(*dir));
}

static struct cs_bk_manifest *find_name(const struct cs_bk_dir *dir,
					const char *name)
{
	unsigned int i;

	for (i = 0; i < dir->nr; i++)
		if (!strcmp(dir->points[i].point, name))
			return &dir->points[i];
	return NULL;
}

/* The point @seq (or named @name) whose manifest does not read. */
static const struct cs_bk_check *find_bad(const struct cs_bk_dir *dir,
					  unsigned int seq, const char *name)
{
	unsigned int i;

	for (i = 0; i < dir->nr_bad; i++)
		if (cs_bk_point_parse(dir->bad[i].point, NULL) == seq ||
		    (name && !strcmp(dir->bad[i].point, name)))
			return &dir->bad[i];
	return NULL;
}

static const struct cs_bk_check *newest_bad(const struct cs_bk_dir *dir)
{
	const struct cs_bk_check *b = NULL;
	unsigned int i;

	for (i = 0; i < dir->nr_bad; i++)
		if (!b || cs_bk_point_parse(dir->bad[i].point, NULL) >
			  cs_bk_point_parse(b->point, NULL))
			b = &dir->bad[i];
	return b;
}

struct cs_bk_manifest *cs_bk_dir_find(const struct cs_bk_dir *dir,
				      const char *at)
{
	const struct cs_bk_check *b;
	unsigned int i, seq = 0;

	if (!at || !strcmp(at, "latest")) {
		b = newest_bad(dir);
		if (b && (!dir->nr || cs_bk_point_parse(b->point, NULL) >
				      dir->points[dir->nr - 1].sequence))
			cs_error_set(b->err, b->point,
				     "the latest backup does not read (%s); give --at to restore an earlier one",
				     b->why);
		else if (dir->nr)
			return &dir->points[dir->nr - 1];
		else
			cs_error_set(-ENOENT, dir->path, "no complete backup here");
		return NULL;
	}
	if (!cs_parse_uint(at, 1, UINT32_MAX, &seq)) {
		for (i = 0; i < dir->nr; i++)
			if (dir->points[i].sequence == seq)
				return &dir->points[i];
	} else if (find_name(dir, at)) {
		return find_name(dir, at);
	}
	b = find_bad(dir, seq, at);
	if (b)
		cs_error_set(b->err, b->point, "%s", b->why);
	else
		cs_error_set(-ENOENT, dir->path, "no complete backup point '%s'",
			     at);
	return NULL;
}

/* Is @base's entry @b the one incremental @v applies on? */
static int check_link(const struct cs_bk_manifest *base,
		      const struct cs_bk_volume *b,
		      const struct cs_bk_volume *v, const char *point)
{
	if (!b)
		return cs_error_set(-ENOENT, point,
				    "%s: its base %s does not hold the volume",
				    v->name, base->point);
	if (strcmp(b->uuid, v->uuid) || b->size != v->size ||
	    strcmp(b->generation, v->generation) ||
	    b->change_number != v->since || !v->generation[0])
		return cs_error_set(-EINVAL, point,
				    "%s: does not follow its base %s (uuid, size, generation or change number differ)",
				    v->name, base->point);
	return 0;
}

int cs_bk_chain(const struct cs_bk_dir *dir, const struct cs_bk_manifest *at,
		const char *volume, const struct cs_bk_manifest **chain,
		unsigned int max)
{
	const struct cs_bk_manifest *m = at, *base;
	const struct cs_bk_volume *v;
	unsigned int n = 0, i;

	v = cs_bk_manifest_volume(m, volume);
	if (!v)
		return cs_error_set(-ENOENT, at->point, "no volume '%s' in it",
				    volume);
	for (;;) {
		if (n == max)
			return cs_error_set(-E2BIG, at->point,
					    "%s: more than %u points to apply",
					    volume, max);
		chain[n++] = m;
		if (v->full)
			break;
		base = find_name(dir, v->base);
		if (!base || base->sequence >= m->sequence)
			return cs_error_set(-ENOENT, m->point,
					    "%s: its base %s is missing",
					    volume, v->base);
		if (check_link(base, cs_bk_manifest_volume(base, volume), v,
			       m->point))
			return cs_last_error()->err;
		m = base;
		v = cs_bk_manifest_volume(m, volume);
	}
	for (i = 0; i < n / 2; i++) {
		base = chain[i];
		chain[i] = chain[n - 1 - i];
		chain[n - 1 - i] = base;
	}
	return (int)n;
}

/* ------------------------------------------------------------------------
 * SHA-256 of a file
 * ---------------------------------------------------------------------- */

int cs_bk_sha256_file(const char *path, char *hex, uint64_t *size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	const size_t len = 1 << 20;
	uint64_t total = 0;
	unsigned int n, i;
	EVP_MD_CTX *ctx;
	char *buf;
	ssize_t got;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cs_error_set(-errno, path, "%s", strerror(errno));
	buf = malloc(len);
	ctx = EVP_MD_CTX_new();
	if (!buf || !ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		r = -ENOMEM;
	while (!r && (got = read(fd, buf, len)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			r = cs_error_set(-errno, path, "%s", strerror(errno));
		else if (!EVP_DigestUpdate(ctx, buf, (size_t)got))
			r = -ENOMEM;
		else
			total += (uint64_t)got;
	}
	if (!r && !EVP_DigestFinal_ex(ctx, md, &n))
		r = -ENOMEM;
	for (i = 0; !r && i < n && i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	if (!r && size)
		*size = total;
	EVP_MD_CTX_free(ctx);
	free(buf);
	close(fd);
	return r;
}
