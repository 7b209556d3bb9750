// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap backup-manifest.c and backup-restore.c on plain files (no
 * device-mapper): point names, manifests written and read back, every
 * kind of malformed manifest, the points of a directory, chains, SHA-256
 * of files, and restores of a hand-made backup directory compared with an
 * in-memory model of the volume (corrupt data, changed manifests, existing
 * targets).
 *
 * Each suite works in its own mkdtemp() directory under /tmp, made by the
 * suite's init and removed (whatever a test left there) by its clean.
 */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cowsnap.h"
#include "testlib.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define T0		1795335302LL	/* 2026-11-22T08:15:02Z */
#define T0_NAME		"20261122T081502Z"
#define VUUID		"0123456789abcdef0123456789abcdef"
#define VUUID2		"fedcba9876543210fedcba9876543210"
#define GEN		"6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
#define GEN2		"11111111-2222-4333-8444-555555555555"
#define SHA_EMPTY	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_ABC		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define MIB		(1024ULL * 1024)

/* ------------------------------------------------------------------------
 * Temporary directories, files, text
 * ---------------------------------------------------------------------- */

static char root[PATH_MAX];

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) ? -1 : 0;
}

static int rm_tree(const char *path)
{
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int suite_init(void)
{
	snprintf(root, sizeof(root), "/tmp/cs-unit-backup-XXXXXX");
	if (!mkdtemp(root)) {
		root[0] = '\0';
		return -1;
	}
	return 0;
}

static int suite_clean(void)
{
	int r = root[0] ? rm_tree(root) : 0;

	root[0] = '\0';
	return r ? -1 : 0;
}

/* @buf (PATH_MAX) = printf(@fmt); Return: @buf. */
static char *pathf(char *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static char *pathf(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, PATH_MAX, fmt, ap);
	va_end(ap);
	return buf;
}

/* A new empty directory @name in the suite's directory, in @buf. */
static void new_dir(char *buf, const char *name)
{
	pathf(buf, "%s/%s", root, name);
	CU_ASSERT_EQUAL_FATAL(mkdir(buf, 0700), 0);
}

static bool exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

static int write_bytes(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "w");
	size_t n;

	if (!f)
		return -1;
	n = fwrite(buf, 1, len, f);
	return fclose(f) || n != len ? -1 : 0;
}

static int write_text(const char *path, const char *text)
{
	return write_bytes(path, text, strlen(text));
}

/* The whole file, NUL-terminated, malloc'ed; NULL on error. */
static char *read_bytes(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	FILE *f;
	size_t n;

	f = fopen(path, "r");
	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) || !(buf = malloc((size_t)st.st_size + 1))) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (n != (size_t)st.st_size) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* Does file @path hold exactly @len bytes equal to @want? */
static bool file_equals(const char *path, const void *want, size_t len)
{
	size_t got_len, i;
	char *got = read_bytes(path, &got_len);
	bool ok;

	if (!got) {
		fprintf(stderr, "%s: cannot read\n", path);
		return false;
	}
	ok = got_len == len && !memcmp(got, want, len);
	if (!ok) {
		for (i = 0; i < len && i < got_len; i++)
			if (got[i] != ((const char *)want)[i])
				break;
		fprintf(stderr, "%s: %zu bytes (want %zu), first difference at %zu\n",
			path, got_len, len, i);
	}
	free(got);
	return ok;
}

/* Flip the bits of the byte at @off of @path. */
static int flip_byte(const char *path, off_t off)
{
	unsigned char c;
	int fd = open(path, O_RDWR), r = -1;

	if (fd < 0)
		return -1;
	if (pread(fd, &c, 1, off) == 1) {
		c ^= 0xff;
		r = pwrite(fd, &c, 1, off) == 1 ? 0 : -1;
	}
	close(fd);
	return r;
}

/* Deterministic bytes (xorshift64*), never a whole zero 4 KiB block. */
static void fill_random(unsigned char *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		buf[i] = (unsigned char)((x * 0x2545f4914f6cdd1dULL) >> 56);
		if (!(i % 4096))
			buf[i] |= 1;
	}
}

static void sha256_hex(const void *buf, size_t len, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	CU_ASSERT_FATAL(EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL) == 1);
	for (i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
}

/* ------------------------------------------------------------------------
 * Manifests as text, and their edits
 * ---------------------------------------------------------------------- */

/* The JSON cs_bk_manifest_write() makes of @m, malloc'ed. */
static char *manifest_text(const struct cs_bk_manifest *m)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(cs_bk_manifest_write(m, f), 0);
	CU_ASSERT_EQUAL_FATAL(fclose(f), 0);
	return out;
}

static void write_manifest(const char *path, const struct cs_bk_manifest *m)
{
	char *text = manifest_text(m);

	CU_ASSERT_EQUAL_FATAL(write_text(path, text), 0);
	free(text);
}

/*
 * The value of the @nth (from 0) member "@key" in @text: its first byte,
 * and in *@end the byte after it; NULL if there is no such member.
 * *@member receives the member's opening quote.
 */
static const char *find_value(const char *text, const char *key,
			      unsigned int nth, const char **member,
			      const char **end)
{
	const char *p = text, *q;
	bool str = false;
	int depth = 0;
	char pat[64];

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	for (;;) {
		p = strstr(p, pat);
		if (!p)
			return NULL;
		if (!nth--)
			break;
		p++;
	}
	*member = p;
	p += strlen(pat);
	while (*p == ' ' || *p == '\n')
		p++;
	for (q = p; *q; q++) {
		if (str) {
			if (*q == '\\' && q[1])
				q++;
			else if (*q == '"' && (str = false, !depth))
				return *end = q + 1, p;
			continue;
		}
		if (*q == '"') {
			str = true;
		} else if (*q == '[' || *q == '{') {
			depth++;
		} else if (*q == ']' || *q == '}') {
			if (!depth)
				break;
			if (!--depth)
				return *end = q + 1, p;
		} else if (!depth && (*q == ',' || *q == '\n' || *q == ' ')) {
			break;
		}
	}
	*end = q;
	return p;
}

/* @text with [@from, @to) replaced by @with, malloc'ed. */
static char *text_splice(const char *text, const char *from, const char *to,
		    const char *with)
{
	size_t head = (size_t)(from - text), wl = strlen(with);
	char *out = malloc(head + wl + strlen(to) + 1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	memcpy(out, text, head);
	memcpy(out + head, with, wl);
	strcpy(out + head + wl, to);
	return out;
}

/* @text with the value of member @key (@nth) replaced by @value. */
static char *edit_set(const char *text, const char *key, unsigned int nth,
		      const char *value)
{
	const char *member, *end, *v = find_value(text, key, nth, &member,
						  &end);

	if (!v) {
		fprintf(stderr, "no member \"%s\" #%u in the manifest\n", key,
			nth);
		CU_FAIL_FATAL("edit of a missing member");
	}
	return text_splice(text, v, end, value);
}

/* @text without member @key (@nth), still valid JSON. */
static char *edit_drop(const char *text, const char *key, unsigned int nth)
{
	const char *member, *end, *v = find_value(text, key, nth, &member,
						  &end);

	if (!v) {
		fprintf(stderr, "no member \"%s\" #%u in the manifest\n", key,
			nth);
		CU_FAIL_FATAL("drop of a missing member");
	}
	if (*end == ',')
		return text_splice(text, member, end + 1, "");
	/* the last member: drop the comma before it */
	while (member > text && member[-1] != ',')
		member--;
	CU_ASSERT_FATAL(member > text);
	return text_splice(text, member - 1, end, "");
}

/* @text with the first @old replaced by @new. */
static char *edit_replace(const char *text, const char *old, const char *new)
{
	const char *p = strstr(text, old);

	if (!p) {
		fprintf(stderr, "no \"%s\" in the manifest\n", old);
		CU_FAIL_FATAL("replace of missing text");
	}
	return text_splice(text, p, p + strlen(old), new);
}

static bool rejected(const char *path, const char *text, const char *named);

/* ------------------------------------------------------------------------
 * Manifests in memory
 * ---------------------------------------------------------------------- */

static struct cs_bk_range *ranges_dup(const struct cs_bk_range *r, size_t nr)
{
	struct cs_bk_range *p = calloc(nr ? nr : 1, sizeof(*p));

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	if (nr)
		memcpy(p, r, nr * sizeof(*r));
	return p;
}

static void vol_full(struct cs_bk_volume *v, const char *name,
		     const char *uuid, uint64_t size, const char *gen,
		     unsigned int change_number)
{
	struct cs_bk_range all = { 0, size };

	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	snprintf(v->uuid, sizeof(v->uuid), "%s", uuid);
	v->size = size;
	v->full = true;
	v->block_size = CS_BK_BLOCK_DEFAULT;
	snprintf(v->generation, sizeof(v->generation), "%s", gen);
	v->change_number = change_number;
	snprintf(v->file, sizeof(v->file), "%s.img", name);
	v->file_size = size;
	snprintf(v->sha256, sizeof(v->sha256), "%s", SHA_EMPTY);
	v->bytes_copied = size;
	v->nr_ranges = 1;
	v->ranges = ranges_dup(&all, 1);
}

static void vol_incr(struct cs_bk_volume *v, const char *name,
		     const char *uuid, uint64_t size, const char *base,
		     const char *gen, unsigned int since,
		     unsigned int change_number, const struct cs_bk_range *r,
		     size_t nr)
{
	size_t i;

	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	snprintf(v->uuid, sizeof(v->uuid), "%s", uuid);
	v->size = size;
	v->full = false;
	snprintf(v->base, sizeof(v->base), "%s", base);
	v->block_size = CS_BK_BLOCK_DEFAULT;
	snprintf(v->generation, sizeof(v->generation), "%s", gen);
	v->since = since;
	v->change_number = change_number;
	snprintf(v->file, sizeof(v->file), "%s.delta", name);
	for (i = 0; i < nr; i++)
		v->file_size += r[i].length;
	snprintf(v->sha256, sizeof(v->sha256), "%s", SHA_EMPTY);
	v->bytes_copied = v->file_size;
	v->nr_ranges = nr;
	v->ranges = ranges_dup(r, nr);
}

/* The header of point @seq, taken at T0 + @seq hours; parent @seq - 1. */
static void point_init(struct cs_bk_manifest *m, unsigned int seq,
		       bool parent)
{
	memset(m, 0, sizeof(*m));
	cs_bk_point_name(seq, T0 + (int64_t)seq * 3600, m->point);
	m->sequence = seq;
	if (parent) {
		cs_bk_point_name(seq - 1, T0 + (int64_t)(seq - 1) * 3600,
				 m->parent);
		snprintf(m->parent_sha256, sizeof(m->parent_sha256), "%s",
			 SHA_ABC);
	}
	snprintf(m->set, sizeof(m->set), "s%04u", seq);
	m->chunk_size = 65536;
	m->freeze_us = 1234 + seq;
	m->started = T0 + (int64_t)seq * 3600;
	m->finished = m->started + 7;
}

#define DATA_SIZE	MIB
static const struct cs_bk_range data_ranges[] = {
	{ 0, 4096 }, { 65536, 4096 }, { DATA_SIZE - 4096, 4096 },
};

/*
 * Point 2: "data" incremental on point 1 (3 ranges, 12288 bytes), "logs"
 * full without a tracker (nulls: generation, change_number).
 */
static void sample_two(struct cs_bk_manifest *m)
{
	point_init(m, 2, true);
	m->nr = 2;
	vol_incr(&m->vols[0], "data", VUUID, DATA_SIZE, m->parent, GEN, 6, 7,
		 data_ranges, ARRAY_SIZE(data_ranges));
	vol_full(&m->vols[1], "logs", VUUID2, 8 * MIB, "", 0);
}

/* Point @seq of volume "data": full when @seq is 1, else incremental. */
static void chain_point(struct cs_bk_manifest *m, unsigned int seq)
{
	point_init(m, seq, seq > 1);
	m->nr = 1;
	if (seq == 1)
		vol_full(&m->vols[0], "data", VUUID, DATA_SIZE, GEN, 1);
	else
		vol_incr(&m->vols[0], "data", VUUID, DATA_SIZE, m->parent, GEN,
			 seq - 1, seq, data_ranges, ARRAY_SIZE(data_ranges));
}

/* Make directory @dir/<point> holding @m's manifest. */
static void make_point(const char *dir, const struct cs_bk_manifest *m)
{
	char path[PATH_MAX];

	CU_ASSERT_EQUAL_FATAL(mkdir(pathf(path, "%s/%s", dir, m->point), 0700),
			      0);
	write_manifest(pathf(path, "%s/%s/" CS_BK_MANIFEST, dir, m->point), m);
}

static void check_same_volume(const struct cs_bk_volume *got,
			      const struct cs_bk_volume *want)
{
	size_t i;

	CU_ASSERT_STRING_EQUAL(got->name, want->name);
	CU_ASSERT_STRING_EQUAL(got->uuid, want->uuid);
	CU_ASSERT_EQUAL(got->size, want->size);
	CU_ASSERT_EQUAL(got->full, want->full);
	CU_ASSERT_STRING_EQUAL(got->base, want->base);
	CU_ASSERT_EQUAL(got->block_size, want->block_size);
	CU_ASSERT_STRING_EQUAL(got->generation, want->generation);
	CU_ASSERT_EQUAL(got->change_number, want->change_number);
	CU_ASSERT_EQUAL(got->since, want->since);
	CU_ASSERT_STRING_EQUAL(got->file, want->file);
	CU_ASSERT_EQUAL(got->file_size, want->file_size);
	CU_ASSERT_STRING_EQUAL(got->sha256, want->sha256);
	CU_ASSERT_EQUAL(got->bytes_copied, want->bytes_copied);
	CU_ASSERT_EQUAL_FATAL(got->nr_ranges, want->nr_ranges);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got->ranges);
	for (i = 0; i < want->nr_ranges; i++) {
		CU_ASSERT_EQUAL(got->ranges[i].offset, want->ranges[i].offset);
		CU_ASSERT_EQUAL(got->ranges[i].length, want->ranges[i].length);
	}
}

static void check_same_manifest(const struct cs_bk_manifest *got,
				const struct cs_bk_manifest *want)
{
	unsigned int i;

	CU_ASSERT_STRING_EQUAL(got->point, want->point);
	CU_ASSERT_EQUAL(got->sequence, want->sequence);
	CU_ASSERT_STRING_EQUAL(got->parent, want->parent);
	CU_ASSERT_STRING_EQUAL(got->parent_sha256, want->parent_sha256);
	CU_ASSERT_STRING_EQUAL(got->set, want->set);
	CU_ASSERT_EQUAL(got->chunk_size, want->chunk_size);
	CU_ASSERT_EQUAL(got->freeze_us, want->freeze_us);
	CU_ASSERT_EQUAL(got->started, want->started);
	CU_ASSERT_EQUAL(got->finished, want->finished);
	CU_ASSERT_EQUAL_FATAL(got->nr, want->nr);
	for (i = 0; i < want->nr; i++)
		check_same_volume(&got->vols[i], &want->vols[i]);
}

/* Write @want to @path, read it back and compare. */
static void round_trip(const char *path, const struct cs_bk_manifest *want)
{
	struct cs_bk_manifest got;

	write_manifest(path, want);
	cs_error_clear();
	CU_ASSERT_EQUAL_FATAL(cs_bk_manifest_read(path, &got), 0);
	CU_ASSERT_EQUAL(cs_last_error()->err, 0);
	check_same_manifest(&got, want);
	cs_bk_manifest_free(&got);
}

/* ------------------------------------------------------------------------
 * Point names
 * ---------------------------------------------------------------------- */

static void test_point_name(void)
{
	char buf[CS_BK_POINT_LEN];

	CU_ASSERT_PTR_EQUAL(cs_bk_point_name(3, T0, buf), buf);
	CU_ASSERT_STRING_EQUAL(buf, "0003-" T0_NAME);
	CU_ASSERT_STRING_EQUAL(cs_bk_point_name(1, 0, buf),
			       "0001-19700101T000000Z");
	CU_ASSERT_STRING_EQUAL(cs_bk_point_name(9999, T0 + 86399, buf),
			       "9999-20261123T081501Z");
	CU_ASSERT_STRING_EQUAL(cs_bk_point_name(12345, 951782400, buf),
			       "12345-20000229T000000Z");
	CU_ASSERT_STRING_EQUAL(cs_bk_point_name(42, 253402300799LL, buf),
			       "0042-99991231T235959Z");
}

static void test_point_round_trip(void)
{
	static const unsigned int seqs[] = {
		1, 2, 9, 10, 99, 1000, 9999, 10000, 123456, 999999999,
	};
	static const int64_t times[] = {
		0, 1, T0, 951868799, 4102444800LL, 253402300799LL,
	};
	char buf[CS_BK_POINT_LEN], partial[CS_BK_POINT_LEN + 8];
	size_t i, j;
	bool p;

	for (i = 0; i < ARRAY_SIZE(seqs); i++)
		for (j = 0; j < ARRAY_SIZE(times); j++) {
			cs_bk_point_name(seqs[i], times[j], buf);
			p = true;
			CU_ASSERT_EQUAL(cs_bk_point_parse(buf, &p), seqs[i]);
			CU_ASSERT_FALSE(p);
			CU_ASSERT_EQUAL(cs_bk_point_parse(buf, NULL), seqs[i]);
			snprintf(partial, sizeof(partial), "%s" CS_BK_PARTIAL,
				 buf);
			p = false;
			CU_ASSERT_EQUAL(cs_bk_point_parse(partial, &p),
					seqs[i]);
			CU_ASSERT_TRUE(p);
			/* without @partial a partial name is no point */
			CU_ASSERT_EQUAL(cs_bk_point_parse(partial, NULL), 0);
		}
}

static void test_point_parse_rejects(void)
{
	static const char *const bad[] = {
		"",
		CS_BK_PARTIAL,
		"001-" T0_NAME,			/* short sequence */
		"1-" T0_NAME,
		"-" T0_NAME,
		"000a-" T0_NAME,		/* letters */
		"a001-" T0_NAME,
		"0x01-" T0_NAME,
		"0001-2026112aT081502Z",
		"0001-20261122T08150aZ",
		"0001-20261122T081502Z1",	/* wrong length */
		"0001-20261122T08150Z",
		"0001-2026112T081502Z",
		"0001-20261122T0815021Z",
		"0001-20261122X081502Z",	/* missing T */
		"0001-20261122t081502Z",
		"0001-202611220081502Z",
		"0001-20261122T081502",		/* missing Z */
		"0001-20261122T081502z",
		"0001-20261122T0815020",
		"0001_20261122T081502Z",	/* missing '-' */
		"000120261122T081502Z",
		"0000-" T0_NAME,		/* sequence 0 */
		"00000-" T0_NAME,
		"1234567890-" T0_NAME,		/* too many digits */
		"4294967296-" T0_NAME,
		" 0001-" T0_NAME,
		"0001-" T0_NAME " ",
		"0001-" T0_NAME "/",
		"0001-" T0_NAME ".part",
		"0001-" T0_NAME ".partial.partial",
		"0001-" T0_NAME "partial",
		"0001-" T0_NAME "-partial",
		"manifest.json",
		"latest",
	};
	size_t i;
	bool p;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (cs_bk_point_parse(bad[i], &p) ||
		    cs_bk_point_parse(bad[i], NULL)) {
			fprintf(stderr, "taken for a point: \"%s\"\n", bad[i]);
			CU_FAIL("not a point name, accepted");
		}
	}
	/* a partial name is still checked */
	CU_ASSERT_EQUAL(cs_bk_point_parse("001-" T0_NAME CS_BK_PARTIAL, &p), 0);
	CU_ASSERT_EQUAL(cs_bk_point_parse("0000-" T0_NAME CS_BK_PARTIAL, &p),
			0);
	/* the longest sequence that fits */
	CU_ASSERT_EQUAL(cs_bk_point_parse("999999999-" T0_NAME, &p),
			999999999);
	CU_ASSERT_EQUAL(cs_bk_point_parse("0012-" T0_NAME, NULL), 12);
}

/* ------------------------------------------------------------------------
 * Manifests: write, read back
 * ---------------------------------------------------------------------- */

static void test_manifest_full_and_incremental(void)
{
	struct cs_bk_manifest m;
	char path[PATH_MAX], dir[PATH_MAX];

	new_dir(dir, "rt-two");
	pathf(path, "%s/" CS_BK_MANIFEST, dir);
	sample_two(&m);
	round_trip(path, &m);
	cs_bk_manifest_free(&m);
	CU_ASSERT_EQUAL(m.nr, 0);	/* zeroed */

	/* a first point: full, no parent */
	chain_point(&m, 1);
	round_trip(path, &m);
	cs_bk_manifest_free(&m);

	/* an incremental without changes */
	chain_point(&m, 2);
	m.vols[0].nr_ranges = 0;
	m.vols[0].file_size = 0;
	m.vols[0].bytes_copied = 0;
	round_trip(path, &m);
	cs_bk_manifest_free(&m);

	/* adjacent ranges are not overlapping; 512-byte tracking blocks */
	chain_point(&m, 5);
	m.vols[0].block_size = 512;
	m.vols[0].ranges[0] = (struct cs_bk_range){ 512, 512 };
	m.vols[0].ranges[1] = (struct cs_bk_range){ 1024, 7680 };
	m.vols[0].ranges[2] = (struct cs_bk_range){ DATA_SIZE - 512, 512 };
	m.vols[0].file_size = 512 + 7680 + 512;
	round_trip(path, &m);
	cs_bk_manifest_free(&m);
}

static void test_manifest_nulls(void)
{
	struct cs_bk_manifest m, got;
	char path[PATH_MAX], dir[PATH_MAX];
	char *text;

	new_dir(dir, "rt-nulls");
	pathf(path, "%s/" CS_BK_MANIFEST, dir);
	point_init(&m, 1, false);
	m.nr = 1;
	vol_full(&m.vols[0], "logs", VUUID2, 8 * MIB, "", 0);
	text = manifest_text(&m);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"parent\": null"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"parent_sha256\": null"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"base\": null"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"generation\": null"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"change_number\": null"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"since\": null"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"kind\": \"full\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"format\": \"cowsnap-backup\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"version\": 1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text,
				      "\"started\": \"2026-11-22T09:15:02Z\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(text,
				      "\"finished\": \"2026-11-22T09:15:09Z\""));
	free(text);

	/* read back: "" and 0 */
	memset(m.parent, 'x', 8);	/* the writer must not look at it... */
	m.parent[0] = '\0';		/* ...past an empty string */
	write_manifest(path, &m);
	memset(&got, 0xa5, sizeof(got));
	CU_ASSERT_EQUAL_FATAL(cs_bk_manifest_read(path, &got), 0);
	CU_ASSERT_STRING_EQUAL(got.parent, "");
	CU_ASSERT_STRING_EQUAL(got.parent_sha256, "");
	CU_ASSERT_STRING_EQUAL(got.vols[0].base, "");
	CU_ASSERT_STRING_EQUAL(got.vols[0].generation, "");
	CU_ASSERT_EQUAL(got.vols[0].change_number, 0);
	CU_ASSERT_EQUAL(got.vols[0].since, 0);
	check_same_manifest(&got, &m);
	cs_bk_manifest_free(&got);

	/* a full volume with a tracker: generation and number, since null */
	cs_bk_manifest_free(&m);
	chain_point(&m, 1);
	text = manifest_text(&m);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"generation\": \"" GEN "\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"change_number\": 1,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"since\": null"));
	free(text);
	round_trip(path, &m);
	cs_bk_manifest_free(&m);
}

static void test_manifest_many_volumes(void)
{
	struct cs_bk_manifest m, got;
	char path[PATH_MAX], dir[PATH_MAX], name[16], uuid[40];
	char *text, *one, *extra, *spoilt;
	const char *member, *end, *obj, *obj_end;
	struct cs_bk_range r[2];
	unsigned int i;

	new_dir(dir, "rt-many");
	pathf(path, "%s/" CS_BK_MANIFEST, dir);
	point_init(&m, 7, true);
	m.nr = COWSNAP_MEMBERS_MAX;
	for (i = 0; i < m.nr; i++) {
		snprintf(name, sizeof(name), "vol%02u", i);
		snprintf(uuid, sizeof(uuid), "%032x", i + 1);
		if (i % 2) {
			r[0] = (struct cs_bk_range){ 0, 4096 };
			r[1] = (struct cs_bk_range){ (i + 1) * 8192ULL,
						     (i + 1) * 4096ULL };
			vol_incr(&m.vols[i], name, uuid, (i + 1) * MIB,
				 m.parent, GEN, i, i + 1, r, 2);
		} else {
			vol_full(&m.vols[i], name, uuid, (i + 1) * MIB,
				 i % 4 ? GEN2 : "", i % 4 ? i : 0);
		}
		if (!(i % 2))
			m.vols[i].block_size = 512U << (i % 12);
	}
	round_trip(path, &m);

	/* each one found by name */
	CU_ASSERT_EQUAL_FATAL(cs_bk_manifest_read(path, &got), 0);
	for (i = 0; i < m.nr; i++) {
		snprintf(name, sizeof(name), "vol%02u", i);
		CU_ASSERT_PTR_EQUAL(cs_bk_manifest_volume(&got, name),
				    &got.vols[i]);
	}
	CU_ASSERT_PTR_NULL(cs_bk_manifest_volume(&got, "vol32"));
	CU_ASSERT_PTR_NULL(cs_bk_manifest_volume(&got, "vol0"));
	CU_ASSERT_PTR_NULL(cs_bk_manifest_volume(&got, ""));
	cs_bk_manifest_free(&got);

	/* one more, "vol32", put into the list: too many */
	text = manifest_text(&m);
	cs_bk_manifest_free(&m);
	point_init(&m, 7, true);
	m.nr = 1;
	vol_full(&m.vols[0], "vol32", VUUID, MIB, "", 0);
	one = manifest_text(&m);
	cs_bk_manifest_free(&m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(find_value(one, "volumes", 0, &member,
						&end));
	obj = strchr(member, '{');
	obj_end = strrchr(one, ']');
	while (obj_end > obj && *obj_end != '}')
		obj_end--;
	CU_ASSERT_FATAL(obj && obj_end > obj);
	CU_ASSERT_FATAL(asprintf(&extra, ",%.*s", (int)(obj_end + 1 - obj),
				 obj) > 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(find_value(text, "volumes", 0, &member,
						&end));
	CU_ASSERT_EQUAL_FATAL(end[-1], ']');
	spoilt = text_splice(text, end - 1, end - 1, extra);
	CU_ASSERT_TRUE(rejected(path, spoilt, "volumes"));
	free(spoilt);
	free(extra);
	free(one);
	free(text);
}

static void test_manifest_extremes(void)
{
	struct cs_bk_manifest m;
	char path[PATH_MAX], dir[PATH_MAX], name[CS_NAME_MAX + 1];

	new_dir(dir, "rt-extremes");
	pathf(path, "%s/" CS_BK_MANIFEST, dir);
	point_init(&m, 999999999, false);
	cs_bk_point_name(999999999, 253402300799LL, m.point);
	m.started = 0;
	m.finished = 253402300799LL;
	m.freeze_us = UINT64_MAX;
	m.chunk_size = 1U << 31;	/* the largest power of two */
	memset(m.set, 's', sizeof(m.set) - 1);
	m.set[sizeof(m.set) - 1] = '\0';
	m.nr = 2;
	memset(name, 'n', CS_NAME_MAX);
	name[CS_NAME_MAX] = '\0';
	name[0] = '9';
	name[1] = '+';
	name[2] = '_';
	name[3] = '.';
	name[4] = '-';
	vol_full(&m.vols[0], name, VUUID, 1ULL << 62, GEN, 255);
	m.vols[0].block_size = 1U << 30;
	m.vols[0].bytes_copied = UINT64_MAX;
	vol_incr(&m.vols[1], "x", VUUID2, 1ULL << 62, "0001-" T0_NAME, GEN2,
		 254, 255, (const struct cs_bk_range[]){
			 { 0, 512 },
			 { (1ULL << 62) - (1ULL << 40), 1ULL << 40 },
		 }, 2);
	m.vols[1].block_size = 512;
	m.vols[1].bytes_copied = 0;
	round_trip(path, &m);
	cs_bk_manifest_free(&m);
}

static void test_manifest_read_missing(void)
{
	struct cs_bk_manifest m;
	char path[PATH_MAX];

	pathf(path, "%s/nothing-here/" CS_BK_MANIFEST, root);
	cs_error_clear();
	CU_ASSERT_EQUAL(cs_bk_manifest_read(path, &m), -ENOENT);
	CU_ASSERT_EQUAL(cs_last_error()->err, -ENOENT);
	CU_ASSERT_STRING_EQUAL(cs_last_error()->dev, path);
	CU_ASSERT_EQUAL(m.nr, 0);
}

/* ------------------------------------------------------------------------
 * Manifests: what a read rejects
 * ---------------------------------------------------------------------- */

enum edit_op { SET, DROP, REPLACE };

/**
 * struct edit - one way to spoil the sample manifest
 * @op: set a member's value, drop a member, or replace text
 * @key: the member (SET, DROP), the text (REPLACE)
 * @nth: which member of that name, from 0
 * @value: the new value or text
 * @named: the key the error must start with, NULL if none
 * @key2: a second member to set too (SET), NULL if none
 * @nth2: which one
 * @value2: its new value
 */
struct edit {
	enum edit_op op;
	const char *key;
	unsigned int nth;
	const char *value;
	const char *named;
	const char *key2;
	unsigned int nth2;
	const char *value2;
};

#define SETV(k, n, v, named)	{ SET, k, n, v, named, NULL, 0, NULL }
#define SET2(k, n, v, k2, n2, v2, named)	\
	{ SET, k, n, v, named, k2, n2, v2 }
#define DROPK(k, n)		{ DROP, k, n, NULL, k, NULL, 0, NULL }

/* In sample_two(): member #0 of a volume key is "data" (incremental:
 * size 1 MiB, ranges [0,4096] [65536,4096] [1044480,4096], file_size
 * 12288), #1 is "logs" (full, 8 MiB). */
static const struct edit edits[] = {
	/* format, version */
	SETV("format", 0, "\"cowsnap-backup2\"", "format"),
	SETV("format", 0, "\"Cowsnap-backup\"", "format"),
	SETV("format", 0, "\"\"", "format"),
	SETV("version", 0, "2", "version"),
	SETV("version", 0, "0", "version"),
	SETV("version", 0, "4294967297", "version"),
	/* missing keys */
	DROPK("format", 0), DROPK("version", 0), DROPK("point", 0),
	DROPK("sequence", 0), DROPK("parent", 0), DROPK("parent_sha256", 0),
	DROPK("set", 0), DROPK("chunk_size", 0), DROPK("freeze_us", 0),
	DROPK("started", 0), DROPK("finished", 0), DROPK("volumes", 0),
	DROPK("name", 0), DROPK("uuid", 0), DROPK("size", 0),
	DROPK("kind", 0), DROPK("base", 0), DROPK("block_size", 0),
	DROPK("generation", 0), DROPK("change_number", 0),
	DROPK("since", 0), DROPK("file", 0), DROPK("file_size", 0),
	DROPK("sha256", 0), DROPK("bytes_copied", 0), DROPK("ranges", 0),
	DROPK("name", 1), DROPK("kind", 1), DROPK("since", 1),
	DROPK("ranges", 1),
	/* wrong types */
	SETV("format", 0, "1", "format"),
	SETV("version", 0, "\"1\"", "version"),
	SETV("version", 0, "1.0", "version"),
	SETV("point", 0, "2", "point"),
	SETV("sequence", 0, "\"2\"", "sequence"),
	SETV("sequence", 0, "true", "sequence"),
	SETV("parent", 0, "1", "parent"),
	SETV("parent_sha256", 0, "[]", "parent_sha256"),
	SETV("set", 0, "{}", "set"),
	SETV("chunk_size", 0, "\"65536\"", "chunk_size"),
	SETV("freeze_us", 0, "1.5", "freeze_us"),
	SETV("started", 0, "1795338902", "started"),
	SETV("volumes", 0, "{}", "volumes"),
	SETV("volumes", 0, "[1]", "volumes"),
	SETV("name", 0, "7", "name"),
	SETV("uuid", 0, "false", "uuid"),
	SETV("size", 0, "\"1048576\"", "size"),
	SETV("size", 0, "1048576.0", "size"),
	SETV("kind", 0, "0", "kind"),
	SETV("base", 0, "[\"0001-20261122T091502Z\"]", "base"),
	SETV("block_size", 0, "\"4096\"", "block_size"),
	SETV("generation", 0, "1", "generation"),
	SETV("change_number", 0, "\"7\"", "change_number"),
	SETV("since", 0, "6.0", "since"),
	SETV("file", 0, "[]", "file"),
	SETV("file_size", 0, "\"12288\"", "file_size"),
	SETV("sha256", 0, "0", "sha256"),
	SETV("bytes_copied", 0, "{}", "bytes_copied"),
	SETV("ranges", 0, "{}", "ranges"),
	SETV("ranges", 0, "[[0, \"4096\"], [65536, 4096], [1044480, 4096]]",
	     "ranges"),
	SETV("ranges", 0, "[[0, 4096, 1], [65536, 4096], [1044480, 4096]]",
	     "ranges"),
	SETV("ranges", 0, "[0, 4096, 65536, 4096, 1044480, 4096]", "ranges"),
	SETV("ranges", 0, "[[0.0, 4096], [65536, 4096], [1044480, 4096]]",
	     "ranges"),
	/* null where a value is needed */
	SETV("point", 0, "null", "point"),
	SETV("set", 0, "null", "set"),
	SETV("chunk_size", 0, "null", "chunk_size"),
	SETV("volumes", 0, "null", "volumes"),
	SETV("name", 0, "null", "name"),
	SETV("size", 0, "null", "size"),
	SETV("base", 0, "null", "base"),	/* of an incremental */
	SETV("since", 0, "null", "since"),	/* of an incremental */
	SETV("sha256", 1, "null", "sha256"),
	SETV("ranges", 1, "null", "ranges"),
	/* negative numbers */
	SETV("sequence", 0, "-2", "sequence"),
	SETV("chunk_size", 0, "-65536", "chunk_size"),
	SETV("freeze_us", 0, "-1", "freeze_us"),
	SETV("size", 0, "-1048576", "size"),
	SETV("block_size", 0, "-4096", "block_size"),
	SETV("change_number", 0, "-7", "change_number"),
	SETV("since", 0, "-1", "since"),
	SETV("file_size", 0, "-12288", "file_size"),
	SETV("file_size", 1, "-1", "file_size"),
	SETV("bytes_copied", 0, "-1", "bytes_copied"),
	SETV("ranges", 0, "[[-4096, 4096], [65536, 8192]]", "ranges"),
	SETV("ranges", 0, "[[0, 4096], [65536, -4096], [1044480, 12288]]",
	     "ranges"),
	/* numbers out of range */
	SETV("sequence", 0, "4294967298", "sequence"),
	SETV("change_number", 0, "256", "change_number"),
	SETV("since", 0, "256", "since"),
	SETV("size", 0, "1000", "size"),
	SETV("size", 0, "0", "size"),
	SETV("block_size", 0, "3000", "block_size"),
	SETV("block_size", 0, "256", "block_size"),
	SETV("block_size", 0, "0", "block_size"),
	SETV("block_size", 0, "2147483648", "block_size"),
	/* ranges of an incremental (sum kept at file_size 12288) */
	SETV("ranges", 0, "[[65536, 4096], [0, 4096], [1044480, 4096]]",
	     "ranges"),					/* out of order */
	SETV("ranges", 0, "[[0, 4096], [1044480, 4096], [65536, 4096]]",
	     "ranges"),
	SETV("ranges", 0, "[[0, 8192], [4096, 4096]]", "ranges"),/* overlap */
	SETV("ranges", 0, "[[0, 4096], [0, 4096], [65536, 4096]]", "ranges"),
	SETV("ranges", 0, "[[0, 4096], [65536, 4096], [65537, 4096]]",
	     "ranges"),
	SETV("ranges", 0, "[[0, 4096], [65536, 4096], [1048576, 4096]]",
	     "ranges"),					/* beyond the size */
	SETV("ranges", 0, "[[0, 4096], [65536, 4096], [1046528, 4096]]",
	     "ranges"),
	SETV("ranges", 0, "[[0, 4096], [4096, 9223372036854775807]]",
	     "ranges"),
	SETV("ranges", 0, "[[9223372036854775807, 12288]]", "ranges"),
	SETV("ranges", 0, "[[18446744073709547520, 12288]]", "ranges"),
	SETV("ranges", 0, "[[0, 0], [0, 4096], [65536, 8192]]", "ranges"),
	/* ... with file_size to match */
	SET2("ranges", 0, "[[0, 2097152]]", "file_size", 0, "2097152",
	     "ranges"),
	SET2("ranges", 0, "[[4096, 1048576]]", "file_size", 0, "1048576",
	     "ranges"),
	SET2("ranges", 0, "[[1044480, 8192]]", "file_size", 0, "8192",
	     "ranges"),
	SET2("ranges", 0, "[[0, 4096], [4096, 9223372036854775807]]",
	     "file_size", 0, "9223372036854779903", "ranges"),
	SET2("ranges", 0, "[[0, 4096], [2048, 4096]]", "file_size", 0, "8192",
	     "ranges"),
	/* ... that do not add up to file_size */
	SETV("file_size", 0, "12289", "ranges"),
	SETV("file_size", 0, "12287", "ranges"),
	SETV("file_size", 0, "0", "ranges"),
	SETV("ranges", 0, "[]", "ranges"),
	SETV("ranges", 0, "[[0, 4096], [65536, 4096]]", "ranges"),
	/* ranges of a full */
	SETV("ranges", 1, "[[0, 8384512]]", "ranges"),
	SETV("ranges", 1, "[[4096, 8384512]]", "ranges"),
	SETV("ranges", 1, "[[0, 16777216]]", "ranges"),
	SETV("ranges", 1, "[[0, 4194304], [4194304, 4194304]]", "ranges"),
	SETV("ranges", 1, "[]", "ranges"),
	SETV("ranges", 0, "[[0, 1048576]]", "ranges"),	/* kind: size */
	/* sha256 */
	SETV("sha256", 0, "\"E3B0C44298FC1C149AFBF4C8996FB924"
	     "27AE41E4649B934CA495991B7852B855\"", "sha256"),	/* upper */
	SETV("sha256", 0, "\"e3b0c44298fc1c149afbf4c8996fb924"
	     "27ae41e4649b934ca495991b7852b85\"", "sha256"),	/* 63 */
	SETV("sha256", 0, "\"" SHA_EMPTY "5\"", "sha256"),	/* 65 */
	SETV("sha256", 0, "\"g3b0c44298fc1c149afbf4c8996fb924"
	     "27ae41e4649b934ca495991b7852b855\"", "sha256"),
	SETV("sha256", 1, "\"\"", "sha256"),
	/* file names */
	SETV("file", 0, "\"dir/data.delta\"", "file"),
	SETV("file", 0, "\"/etc/passwd\"", "file"),
	SETV("file", 1, "\"../logs.img\"", "file"),
	SETV("file", 1, "\"logs/\"", "file"),
	SETV("file", 1, "\"..\"", "file"),
	SETV("file", 1, "\"\"", "file"),
	/* names, kinds, bases */
	SETV("name", 1, "\"data\"", "volumes"),		/* listed twice */
	SETV("name", 0, "\"bad name\"", "name"),
	SETV("name", 0, "\"-data\"", "name"),
	SETV("name", 0, "\"\"", "name"),
	SETV("kind", 0, "\"differential\"", "kind"),
	SETV("kind", 1, "\"Full\"", "kind"),
	SETV("base", 1, "\"0001-20261122T091502Z\"", "base"),
	SETV("base", 0, "\"latest\"", "base"),
	SETV("base", 0, "\"0001-20261122T091502Z.partial\"", "base"),
	SETV("volumes", 0, "[]", "volumes"),
	SETV("volumes", 0, "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
	     "1,1,1,1,1,1,1,1,1]", "volumes"),		/* 33 */
	/* the point's name and sequence */
	SETV("sequence", 0, "3", "sequence"),
	SETV("sequence", 0, "0", "sequence"),
	SETV("point", 0, "\"0003-20261122T101502Z\"", "sequence"),
	SETV("point", 0, "\"0002-20261122T101502Z.partial\"", "sequence"),
	SETV("point", 0, "\"latest\"", "sequence"),
	SETV("point", 0, "\"\"", "point"),
	/* parent and its checksum go together */
	SETV("parent_sha256", 0, "null", "parent_sha256"),
	SETV("parent", 0, "null", "parent_sha256"),
	/* times */
	SETV("started", 0, "\"2026-11-22 10:15:02\"", "started"),
	SETV("started", 0, "\"2026-11-22T10:15:02+01:00\"", "started"),
	SETV("finished", 0, "\"yesterday\"", "finished"),
	SETV("finished", 0, "\"2026-11-22T10:15:09Z \"", "finished"),
	/* text edits */
	{ REPLACE, "\"kind\": \"incremental\"", 0, "\"kind\": \"full\"",
	  "base", NULL, 0, NULL },
};

/* Write @text to @path and expect the read to reject it for @named. */
static bool rejected(const char *path, const char *text, const char *named)
{
	const struct cs_error *e = cs_last_error();
	struct cs_bk_manifest m;
	size_t klen = named ? strlen(named) : 0;
	int r;

	CU_ASSERT_EQUAL_FATAL(write_text(path, text), 0);
	cs_error_clear();
	memset(&m, 0x5a, sizeof(m));
	r = cs_bk_manifest_read(path, &m);
	if (r == 0)
		cs_bk_manifest_free(&m);
	else
		CU_ASSERT_EQUAL(m.nr, 0);	/* freed and zeroed */
	if (r == -EINVAL && e->err == -EINVAL && e->why[0] &&
	    !strcmp(e->dev, path) &&
	    (!named || (!strncmp(e->why, named, klen) && e->why[klen] == ':')))
		return true;
	fprintf(stderr, "read %d (want %d), error %d \"%s\" (should name \"%s\")\n",
		r, -EINVAL, e->err, e->why, named ? named : "");
	return false;
}

static void test_manifest_rejects(void)
{
	struct cs_bk_manifest m, got;
	char path[PATH_MAX], dir[PATH_MAX];
	char *text, *bad;
	size_t i;

	new_dir(dir, "rejects");
	pathf(path, "%s/" CS_BK_MANIFEST, dir);
	sample_two(&m);
	text = manifest_text(&m);
	cs_bk_manifest_free(&m);

	/* the sample itself reads */
	CU_ASSERT_EQUAL_FATAL(write_text(path, text), 0);
	CU_ASSERT_EQUAL_FATAL(cs_bk_manifest_read(path, &got), 0);
	cs_bk_manifest_free(&got);

	for (i = 0; i < ARRAY_SIZE(edits); i++) {
		const struct edit *e = &edits[i];

		bad = e->op == SET ? edit_set(text, e->key, e->nth, e->value) :
		      e->op == DROP ? edit_drop(text, e->key, e->nth) :
		      edit_replace(text, e->key, e->value);
		if (e->key2) {
			char *first = bad;

			bad = edit_set(first, e->key2, e->nth2, e->value2);
			free(first);
		}
		if (!rejected(path, bad, e->named)) {
			fprintf(stderr, "edit %zu: %s \"%s\" #%u %s\n", i,
				e->op == SET ? "set" : e->op == DROP ? "drop" :
				"replace", e->key, e->nth,
				e->value ? e->value : "");
			CU_FAIL("a spoilt manifest was not rejected as it should");
		}
		free(bad);
	}
	free(text);
}

static void test_manifest_not_json(void)
{
	static const char *const texts[] = {
		"", "not json at all\n", "[]", "null", "42", "\"manifest\"",
		"{\"format\": \"cowsnap-backup\", \"version\": 1,",
	};
	struct cs_bk_manifest m;
	char path[PATH_MAX], dir[PATH_MAX];
	char *text;
	size_t i;

	new_dir(dir, "not-json");
	pathf(path, "%s/" CS_BK_MANIFEST, dir);
	for (i = 0; i < ARRAY_SIZE(texts); i++)
		if (!rejected(path, texts[i], NULL)) {
			fprintf(stderr, "text: \"%s\"\n", texts[i]);
			CU_FAIL("not a JSON object, accepted");
		}

	/* a valid manifest cut short, or with garbage after it */
	sample_two(&m);
	text = manifest_text(&m);
	cs_bk_manifest_free(&m);
	text[strlen(text) / 2] = '\0';
	CU_ASSERT_TRUE(rejected(path, text, NULL));
	free(text);
}

/*
 * Values the reader takes although the format forbids them: a full's
 * file_size is the volume's size (Documentation/backup.rst, "file_size");
 * chunk_size must fit the uint32_t it is read into.
 */
static void test_manifest_value_ranges(void)
{
	static const struct edit bad[] = {
		SETV("file_size", 1, "8392704", NULL),	/* size + 4096 */
		SETV("file_size", 1, "4096", NULL),
		SETV("chunk_size", 0, "4294967296", "chunk_size"),
		SETV("chunk_size", 0, "4295032832", "chunk_size"),
	};
	struct cs_bk_manifest m;
	char path[PATH_MAX], dir[PATH_MAX];
	char *text, *spoilt;
	size_t i;

	new_dir(dir, "value-ranges");
	pathf(path, "%s/" CS_BK_MANIFEST, dir);
	sample_two(&m);
	text = manifest_text(&m);
	cs_bk_manifest_free(&m);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		spoilt = edit_set(text, bad[i].key, bad[i].nth, bad[i].value);
		if (!rejected(path, spoilt, bad[i].named)) {
			fprintf(stderr, "accepted: \"%s\": %s (#%u)\n",
				bad[i].key, bad[i].value, bad[i].nth);
			CU_FAIL("a value out of its range was accepted");
		}
		free(spoilt);
	}
	free(text);
}

/* ------------------------------------------------------------------------
 * The points of a directory
 * ---------------------------------------------------------------------- */

/*
 * @dir: points 3, 1 and 2 (made in that order), 0004 whose manifest is
 * not JSON, 0005 and 0009 partial, and entries that are no points.
 */
static void make_dir(const char *dir, char names[10][CS_BK_POINT_LEN])
{
	static const unsigned int order[] = { 3, 1, 2 };
	struct cs_bk_manifest m;
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(order); i++) {
		chain_point(&m, order[i]);
		make_point(dir, &m);
		strcpy(names[order[i]], m.point);
		cs_bk_manifest_free(&m);
	}
	for (i = 4; i < 10; i++)
		cs_bk_point_name((unsigned int)i, T0 + (int64_t)i * 3600,
				 names[i]);
	CU_ASSERT_EQUAL_FATAL(mkdir(pathf(path, "%s/%s", dir, names[4]), 0700),
			      0);
	CU_ASSERT_EQUAL_FATAL(write_text(pathf(path, "%s/%s/" CS_BK_MANIFEST,
					       dir, names[4]), "garbage"), 0);
	CU_ASSERT_EQUAL_FATAL(mkdir(pathf(path, "%s/%s" CS_BK_PARTIAL, dir,
					  names[5]), 0700), 0);
	CU_ASSERT_EQUAL_FATAL(mkdir(pathf(path, "%s/%s" CS_BK_PARTIAL, dir,
					  names[9]), 0700), 0);
	CU_ASSERT_EQUAL_FATAL(mkdir(pathf(path, "%s/notes", dir), 0700), 0);
	CU_ASSERT_EQUAL_FATAL(mkdir(pathf(path, "%s/0010-bad", dir), 0700), 0);
	CU_ASSERT_EQUAL_FATAL(write_text(pathf(path, "%s/.lock", dir), ""), 0);
	CU_ASSERT_EQUAL_FATAL(write_text(pathf(path, "%s/README", dir), "x"),
			      0);
}

static void test_dir_read(void)
{
	char dir[PATH_MAX], path[PATH_MAX], names[10][CS_BK_POINT_LEN];
	char partial[2][CS_BK_POINT_LEN + 8];
	struct cs_bk_dir d;
	unsigned int i;

	new_dir(dir, "dir-read");
	make_dir(dir, names);

	cs_error_clear();
	CU_ASSERT_EQUAL_FATAL(cs_bk_dir_read(dir, &d, false), 0);
	CU_ASSERT_PTR_EQUAL(d.path, dir);
	CU_ASSERT_EQUAL_FATAL(d.nr, 3);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(d.points[i].sequence, i + 1);
		CU_ASSERT_STRING_EQUAL(d.points[i].point, names[i + 1]);
		CU_ASSERT_EQUAL(d.points[i].nr, 1);
	}
	CU_ASSERT_EQUAL(d.last_sequence, 9);
	CU_ASSERT_EQUAL_FATAL(d.nr_partial, 2);
	snprintf(partial[0], sizeof(partial[0]), "%s" CS_BK_PARTIAL, names[5]);
	snprintf(partial[1], sizeof(partial[1]), "%s" CS_BK_PARTIAL, names[9]);
	CU_ASSERT_TRUE((!strcmp(d.partial[0], partial[0]) &&
			!strcmp(d.partial[1], partial[1])) ||
		       (!strcmp(d.partial[0], partial[1]) &&
			!strcmp(d.partial[1], partial[0])));
	cs_bk_dir_free(&d);
	CU_ASSERT_EQUAL(d.nr, 0);
	CU_ASSERT_PTR_NULL(d.points);
	CU_ASSERT_PTR_NULL(d.partial);

	/* strict: the unreadable 0004 fails the read, and says why */
	cs_error_clear();
	CU_ASSERT_EQUAL(cs_bk_dir_read(dir, &d, true), -EINVAL);
	CU_ASSERT_EQUAL(cs_last_error()->err, -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(cs_last_error()->dev, names[4]));
	CU_ASSERT_EQUAL(d.nr, 0);
	CU_ASSERT_PTR_NULL(d.points);

	/* without partial points the unreadable one is the last */
	CU_ASSERT_EQUAL(rmdir(pathf(path, "%s/%s" CS_BK_PARTIAL, dir,
				    names[9])), 0);
	CU_ASSERT_EQUAL(rmdir(pathf(path, "%s/%s" CS_BK_PARTIAL, dir,
				    names[5])), 0);
	CU_ASSERT_EQUAL_FATAL(cs_bk_dir_read(dir, &d, false), 0);
	CU_ASSERT_EQUAL(d.nr, 3);
	CU_ASSERT_EQUAL(d.nr_partial, 0);
	CU_ASSERT_EQUAL(d.last_sequence, 4);
	cs_bk_dir_free(&d);

	/* and without it, the last complete one; strict reads all */
	CU_ASSERT_EQUAL(rm_tree(pathf(path, "%s/%s", dir, names[4])), 0);
	CU_ASSERT_EQUAL_FATAL(cs_bk_dir_read(dir, &d, true), 0);
	CU_ASSERT_EQUAL(d.nr, 3);
	CU_ASSERT_EQUAL(d.last_sequence, 3);
	cs_bk_dir_free(&d);
}

static void test_dir_read_odd(void)
{
	char dir[PATH_MAX], path[PATH_MAX], name[CS_BK_POINT_LEN];
	struct cs_bk_manifest m;
	struct cs_bk_dir d;

	/* no such directory */
	pathf(path, "%s/no-such-dir", root);
	cs_error_clear();
	CU_ASSERT_EQUAL(cs_bk_dir_read(path, &d, false), -ENOENT);
	CU_ASSERT_EQUAL(cs_last_error()->err, -ENOENT);

	/* an empty one */
	new_dir(dir, "dir-odd");
	CU_ASSERT_EQUAL_FATAL(cs_bk_dir_read(dir, &d, true), 0);
	CU_ASSERT_EQUAL(d.nr, 0);
	CU_ASSERT_EQUAL(d.nr_partial, 0);
	CU_ASSERT_EQUAL(d.last_sequence, 0);
	cs_error_clear();
	CU_ASSERT_PTR_NULL(cs_bk_dir_find(&d, "latest"));
	CU_ASSERT_EQUAL(cs_last_error()->err, -ENOENT);
	CU_ASSERT_NOT_EQUAL(cs_last_error()->why[0], '\0');
	CU_ASSERT_PTR_NULL(cs_bk_dir_find(&d, NULL));
	CU_ASSERT_PTR_NULL(cs_bk_dir_find(&d, "1"));
	cs_bk_dir_free(&d);

	/* a directory whose manifest names another point */
	chain_point(&m, 1);
	make_point(dir, &m);
	cs_bk_point_name(6, T0, name);
	CU_ASSERT_EQUAL_FATAL(mkdir(pathf(path, "%s/%s", dir, name), 0700), 0);
	write_manifest(pathf(path, "%s/%s/" CS_BK_MANIFEST, dir, name), &m);
	cs_bk_manifest_free(&m);
	CU_ASSERT_EQUAL_FATAL(cs_bk_dir_read(dir, &d, false), 0);
	CU_ASSERT_EQUAL(d.nr, 1);
	CU_ASSERT_EQUAL(d.last_sequence, 6);
	cs_bk_dir_free(&d);
	cs_error_clear();
	CU_ASSERT_EQUAL(cs_bk_dir_read(dir, &d, true), -EINVAL);
	CU_ASSERT_EQUAL(cs_last_error()->err, -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(cs_last_error()->why, "point"));

	/* a file with a point's name */
	CU_ASSERT_EQUAL(rm_tree(pathf(path, "%s/%s", dir, name)), 0);
	cs_bk_point_name(8, T0, name);
	CU_ASSERT_EQUAL_FATAL(write_text(pathf(path, "%s/%s", dir, name), "x"),
			      0);
	CU_ASSERT_EQUAL_FATAL(cs_bk_dir_read(dir, &d, false), 0);
	CU_ASSERT_EQUAL(d.nr, 1);
	CU_ASSERT_EQUAL(d.last_sequence, 8);
	cs_bk_dir_free(&d);
	CU_ASSERT_NOT_EQUAL(cs_bk_dir_read(dir, &d, true), 0);
	CU_ASSERT_EQUAL(d.nr, 0);
}

/* cs_bk_dir_find(@at) is NULL and records -ENOENT naming @at. */
static void find_none(const struct cs_bk_dir *d, const char *at)
{
	cs_error_clear();
	if (cs_bk_dir_find(d, at)) {
		fprintf(stderr, "found: \"%s\"\n", at);
		CU_FAIL("a point that is not there was found");
		return;
	}
	CU_ASSERT_EQUAL(cs_last_error()->err, -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(cs_last_error()->why, at));
}

/* cs_bk_dir_find(@at) is NULL and records an error naming point @bad,
 * whose manifest does not read. */
static void find_bad_point(const struct cs_bk_dir *d, const char *at,
			   const char *bad)
{
	cs_error_clear();
	CU_ASSERT_PTR_NULL(cs_bk_dir_find(d, at));
	CU_ASSERT_NOT_EQUAL(cs_last_error()->err, 0);
	CU_ASSERT_NOT_EQUAL(cs_last_error()->err, -ENOENT);
	CU_ASSERT_STRING_EQUAL(cs_last_error()->dev, bad);
	CU_ASSERT_PTR_NOT_NULL(strstr(cs_last_error()->why, CS_BK_MANIFEST));
}

static void test_dir_find(void)
{
	char dir[PATH_MAX], names[10][CS_BK_POINT_LEN], partial[64];
	struct cs_bk_dir d;

	new_dir(dir, "dir-find");
	make_dir(dir, names);
	CU_ASSERT_EQUAL_FATAL(cs_bk_dir_read(dir, &d, false), 0);
	CU_ASSERT_EQUAL_FATAL(d.nr, 3);

	/* the newest point, 4, does not read: "latest" must not silently
	 * fall back to 3 */
	CU_ASSERT_EQUAL_FATAL(d.nr_bad, 1);
	CU_ASSERT_STRING_EQUAL(d.bad[0].point, names[4]);
	find_bad_point(&d, "latest", names[4]);
	find_bad_point(&d, NULL, names[4]);
	find_bad_point(&d, "4", names[4]);
	find_bad_point(&d, names[4], names[4]);
	CU_ASSERT_PTR_EQUAL(cs_bk_dir_find(&d, "1"), &d.points[0]);
	CU_ASSERT_PTR_EQUAL(cs_bk_dir_find(&d, "2"), &d.points[1]);
	CU_ASSERT_PTR_EQUAL(cs_bk_dir_find(&d, "0002"), &d.points[1]);
	CU_ASSERT_PTR_EQUAL(cs_bk_dir_find(&d, "0003"), &d.points[2]);
	CU_ASSERT_PTR_EQUAL(cs_bk_dir_find(&d, names[1]), &d.points[0]);
	CU_ASSERT_PTR_EQUAL(cs_bk_dir_find(&d, names[2]), &d.points[1]);
	CU_ASSERT_PTR_EQUAL(cs_bk_dir_find(&d, names[3]), &d.points[2]);

	find_none(&d, "5");		/* partial */
	find_none(&d, "0009");
	snprintf(partial, sizeof(partial), "%s" CS_BK_PARTIAL, names[5]);
	find_none(&d, partial);
	find_none(&d, "0");
	find_none(&d, "7");
	find_none(&d, "4294967297");
	find_none(&d, "-1");
	find_none(&d, "Latest");
	find_none(&d, "0002-" T0_NAME);	/* sequence right, time wrong */
	find_none(&d, "notes");
	find_none(&d, "");
	cs_bk_dir_free(&d);
}

/* ------------------------------------------------------------------------
 * Chains
 * ---------------------------------------------------------------------- */

/* cs_bk_chain(@at, @volume) fails with @err, recorded. */
static void chain_fails(const struct cs_bk_dir *d,
			const struct cs_bk_manifest *at, const char *volume,
			int err, const char *what)
{
	const struct cs_bk_manifest *chain[8];
	int r;

	cs_error_clear();
	r = cs_bk_chain(d, at, volume, chain, ARRAY_SIZE(chain));
	if (r != err || cs_last_error()->err != err ||
	    !cs_last_error()->why[0]) {
		fprintf(stderr, "%s: chain %d (want %d), error %d \"%s\"\n",
			what, r, err, cs_last_error()->err,
			cs_last_error()->why);
		CU_FAIL("a broken chain was not refused as it should");
	}
}

/*
 * @dir: 1 full, 2 and 3 incrementals of "data"; 4 full with a new
 * generation, 5 incremental on 4.
 */
static void make_chain_dir(const char *dir)
{
	struct cs_bk_manifest m;
	unsigned int i;

	for (i = 1; i <= 5; i++) {
		chain_point(&m, i);
		if (i == 4) {
			cs_bk_manifest_free(&m);
			point_init(&m, 4, true);
			m.nr = 1;
			vol_full(&m.vols[0], "data", VUUID, DATA_SIZE, GEN2, 1);
		} else if (i == 5) {
			snprintf(m.vols[0].generation,
				 sizeof(m.vols[0].generation), "%s", GEN2);
			m.vols[0].since = 1;
			m.vols[0].change_number = 2;
		}
		make_point(dir, &m);
		cs_bk_manifest_free(&m);
	}
}

static void test_chain(void)
{
	const struct cs_bk_manifest *chain[8];
	char dir[PATH_MAX];
	struct cs_bk_dir d;
	struct cs_bk_manifest *p;

	new_dir(dir, "chain");
	make_chain_dir(dir);
	CU_ASSERT_EQUAL_FATAL(cs_bk_dir_read(dir, &d, true), 0);
	CU_ASSERT_EQUAL_FATAL(d.nr, 5);
	p = d.points;

	CU_ASSERT_EQUAL_FATAL(cs_bk_chain(&d, &p[2], "data", chain, 8), 3);
	CU_ASSERT_PTR_EQUAL(chain[0], &p[0]);
	CU_ASSERT_PTR_EQUAL(chain[1], &p[1]);
	CU_ASSERT_PTR_EQUAL(chain[2], &p[2]);
	CU_ASSERT_EQUAL_FATAL(cs_bk_chain(&d, &p[1], "data", chain, 8), 2);
	CU_ASSERT_PTR_EQUAL(chain[0], &p[0]);
	CU_ASSERT_PTR_EQUAL(chain[1], &p[1]);
	CU_ASSERT_EQUAL_FATAL(cs_bk_chain(&d, &p[0], "data", chain, 8), 1);
	CU_ASSERT_PTR_EQUAL(chain[0], &p[0]);
	/* the nearest full */
	CU_ASSERT_EQUAL_FATAL(cs_bk_chain(&d, &p[4], "data", chain, 8), 2);
	CU_ASSERT_PTR_EQUAL(chain[0], &p[3]);
	CU_ASSERT_PTR_EQUAL(chain[1], &p[4]);
	CU_ASSERT_EQUAL_FATAL(cs_bk_chain(&d, &p[3], "data", chain, 8), 1);
	CU_ASSERT_PTR_EQUAL(chain[0], &p[3]);
	/* exactly enough room, then too little */
	CU_ASSERT_EQUAL(cs_bk_chain(&d, &p[2], "data", chain, 3), 3);
	cs_error_clear();
	CU_ASSERT_EQUAL(cs_bk_chain(&d, &p[2], "data", chain, 2), -E2BIG);
	CU_ASSERT_EQUAL(cs_last_error()->err, -E2BIG);

	/* no such volume */
	chain_fails(&d, &p[2], "logs", -ENOENT, "volume absent");
	chain_fails(&d, &p[0], "", -ENOENT, "empty volume name");
	cs_bk_dir_free(&d);
}

static void test_chain_broken_links(void)
{
	char dir[PATH_MAX], saved[CS_BK_POINT_LEN];
	struct cs_bk_volume *v1, *v2, *v3;
	struct cs_bk_manifest *p;
	struct cs_bk_dir d;

	new_dir(dir, "chain-links");
	make_chain_dir(dir);
	CU_ASSERT_EQUAL_FATAL(cs_bk_dir_read(dir, &d, true), 0);
	CU_ASSERT_EQUAL_FATAL(d.nr, 5);
	p = d.points;
	v1 = &p[0].vols[0];
	v2 = &p[1].vols[0];
	v3 = &p[2].vols[0];

	/* the base's number is not the one the incremental starts from */
	v2->change_number = 5;
	chain_fails(&d, &p[2], "data", -EINVAL, "change_number != since");
	v2->change_number = 2;
	v3->since = 1;
	chain_fails(&d, &p[2], "data", -EINVAL, "since != change_number");
	v3->since = 2;
	/* an other volume under the same name: uuid, size, generation */
	v1->uuid[0] = 'f';
	chain_fails(&d, &p[2], "data", -EINVAL, "base uuid");
	chain_fails(&d, &p[1], "data", -EINVAL, "base uuid");
	v1->uuid[0] = '0';
	v1->size += 512;
	chain_fails(&d, &p[1], "data", -EINVAL, "base size");
	v1->size -= 512;
	strcpy(v2->generation, GEN2);
	chain_fails(&d, &p[2], "data", -EINVAL, "base generation");
	chain_fails(&d, &p[1], "data", -EINVAL, "generation");
	strcpy(v2->generation, GEN);
	/* an incremental without a tracker generation */
	v1->generation[0] = v2->generation[0] = '\0';
	chain_fails(&d, &p[1], "data", -EINVAL, "no generation");
	strcpy(v1->generation, GEN);
	strcpy(v2->generation, GEN);
	/* the base does not hold the volume */
	strcpy(v1->name, "other");
	chain_fails(&d, &p[1], "data", -ENOENT, "base without the volume");
	strcpy(v1->name, "data");
	/* the base is not there, or not before */
	strcpy(saved, v3->base);
	cs_bk_point_name(7, T0, v3->base);
	chain_fails(&d, &p[2], "data", -ENOENT, "base missing");
	strcpy(v3->base, p[2].point);
	chain_fails(&d, &p[2], "data", -ENOENT, "base is itself");
	strcpy(v2->base, p[2].point);
	chain_fails(&d, &p[1], "data", -ENOENT, "base after");
	strcpy(v2->base, p[0].point);
	strcpy(v3->base, saved);
	/* all mended */
	CU_ASSERT_EQUAL(cs_bk_chain(&d, &p[2], "data",
				    (const struct cs_bk_manifest *[8]){ 0 }, 8),
			3);
	cs_bk_dir_free(&d);
}

static void test_chain_on_disk(void)
{
	char dir[PATH_MAX], path[PATH_MAX];
	const struct cs_bk_manifest *chain[8];
	struct cs_bk_manifest m;
	struct cs_bk_dir d;

	/* the base's manifest records another change number */
	new_dir(dir, "chain-disk");
	make_chain_dir(dir);
	chain_point(&m, 2);
	m.vols[0].change_number = 4;
	write_manifest(pathf(path, "%s/%s/" CS_BK_MANIFEST, dir, m.point), &m);
	cs_bk_manifest_free(&m);
	CU_ASSERT_EQUAL_FATAL(cs_bk_dir_read(dir, &d, true), 0);
	CU_ASSERT_EQUAL(cs_bk_chain(&d, &d.points[1], "data", chain, 8), 2);
	chain_fails(&d, &d.points[2], "data", -EINVAL, "on disk: since");
	cs_bk_dir_free(&d);

	/* mended; then the full point is gone */
	chain_point(&m, 2);
	write_manifest(pathf(path, "%s/%s/" CS_BK_MANIFEST, dir, m.point), &m);
	cs_bk_manifest_free(&m);
	chain_point(&m, 1);
	CU_ASSERT_EQUAL(rm_tree(pathf(path, "%s/%s", dir, m.point)), 0);
	cs_bk_manifest_free(&m);
	CU_ASSERT_EQUAL_FATAL(cs_bk_dir_read(dir, &d, true), 0);
	CU_ASSERT_EQUAL_FATAL(d.nr, 4);
	chain_fails(&d, &d.points[0], "data", -ENOENT, "on disk: no full");
	chain_fails(&d, &d.points[1], "data", -ENOENT, "on disk: no full");
	CU_ASSERT_EQUAL(cs_bk_chain(&d, &d.points[3], "data", chain, 8), 2);
	cs_bk_dir_free(&d);
}

/* ------------------------------------------------------------------------
 * SHA-256 of a file
 * ---------------------------------------------------------------------- */

static void test_sha256_file(void)
{
	char dir[PATH_MAX], path[PATH_MAX], hex[CS_BK_SHA256_LEN];
	char want[CS_BK_SHA256_LEN];
	const size_t len = 3 * MIB + 7;
	unsigned char *buf;
	uint64_t size = 1;

	new_dir(dir, "sha");
	pathf(path, "%s/empty", dir);
	CU_ASSERT_EQUAL_FATAL(write_text(path, ""), 0);
	CU_ASSERT_EQUAL(cs_bk_sha256_file(path, hex, &size), 0);
	CU_ASSERT_STRING_EQUAL(hex, SHA_EMPTY);
	CU_ASSERT_EQUAL(size, 0);

	pathf(path, "%s/abc", dir);
	CU_ASSERT_EQUAL_FATAL(write_text(path, "abc"), 0);
	CU_ASSERT_EQUAL(cs_bk_sha256_file(path, hex, &size), 0);
	CU_ASSERT_STRING_EQUAL(hex, SHA_ABC);
	CU_ASSERT_EQUAL(size, 3);
	CU_ASSERT_EQUAL(cs_bk_sha256_file(path, hex, NULL), 0);
	CU_ASSERT_STRING_EQUAL(hex, SHA_ABC);

	/* more than one read buffer */
	buf = malloc(len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	fill_random(buf, len, 77);
	pathf(path, "%s/big", dir);
	CU_ASSERT_EQUAL_FATAL(write_bytes(path, buf, len), 0);
	sha256_hex(buf, len, want);
	CU_ASSERT_EQUAL(cs_bk_sha256_file(path, hex, &size), 0);
	CU_ASSERT_STRING_EQUAL(hex, want);
	CU_ASSERT_EQUAL(size, len);
	free(buf);

	pathf(path, "%s/none", dir);
	cs_error_clear();
	CU_ASSERT_EQUAL(cs_bk_sha256_file(path, hex, &size), -ENOENT);
	CU_ASSERT_EQUAL(cs_last_error()->err, -ENOENT);
	CU_ASSERT_STRING_EQUAL(cs_last_error()->dev, path);
	/* a directory is not a file to hash */
	CU_ASSERT_EQUAL(cs_bk_sha256_file(dir, hex, &size), -EISDIR);
}

/* ------------------------------------------------------------------------
 * Restore, end to end on files
 * ---------------------------------------------------------------------- */

/* "data": not a whole number of 4 KiB blocks; holes in its first image */
#define E_SIZE		(MIB + 1536)
#define E_HOLE		(256 * 1024)		/* [256K, 512K) zero */
#define E_HOLE_LEN	(256 * 1024)
#define E_TAIL		(MIB - 8192)		/* [E_TAIL, E_SIZE) zero */
#define L_SIZE		(64 * 1024 + 512)	/* "logs", full in point 2 */

static const struct cs_bk_range e_ranges2[] = {
	{ 4096, 8192 },				/* over data */
	{ 300 * 1024, 8192 },			/* into the hole */
	{ MIB, 1536 },				/* the unaligned tail */
};
static const struct cs_bk_range e_ranges3[] = {
	{ 8192, 8192 },				/* overlaps point 2's */
	{ 700 * 1024, 4096 },
	{ MIB, 1536 },				/* the tail again */
};

/**
 * struct fixture - a backup directory made by hand, and its model
 * @dir: the directory
 * @point: names of points 1..3
 * @at: "data" as it is at points 1..3
 * @logs: "logs" (point 2 only)
 * @delta: the size of "data"'s delta at points 2, 3
 */
struct fixture {
	char dir[PATH_MAX];
	char point[4][CS_BK_POINT_LEN];
	unsigned char *at[4];
	unsigned char *logs;
	uint64_t delta[4];
};

/* Write @len bytes of @buf to a new file, leaving zero 4 KiB blocks out. */
static int write_sparse(const char *path, const unsigned char *buf,
			uint64_t len)
{
	static const unsigned char zero[4096];
	uint64_t off, n;
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return -1;
	for (off = 0; !r && off < len; off += n) {
		n = len - off < 4096 ? len - off : 4096;
		if (memcmp(buf + off, zero, n) &&
		    pwrite(fd, buf + off, n, (off_t)off) != (ssize_t)n)
			r = -1;
	}
	if (ftruncate(fd, (off_t)len))
		r = -1;
	return close(fd) || r ? -1 : 0;
}

/* The SHA-256 and size of @dir/@point/@file into @v. */
static void hash_into(const struct fixture *fx, const char *point,
		      struct cs_bk_volume *v)
{
	char path[PATH_MAX];
	uint64_t size;

	pathf(path, "%s/%s/%s", fx->dir, point, v->file);
	CU_ASSERT_EQUAL_FATAL(cs_bk_sha256_file(path, v->sha256, &size), 0);
	v->file_size = size;
}

/* Make point @seq (2, 3): "data" incremental with @r on point @seq - 1. */
static void fixture_delta(struct fixture *fx, struct cs_bk_manifest *m,
			  unsigned int seq, const struct cs_bk_range *r,
			  size_t nr)
{
	char path[PATH_MAX];
	unsigned char *delta;
	uint64_t len = 0;
	size_t i;

	fx->at[seq] = malloc(E_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fx->at[seq]);
	memcpy(fx->at[seq], fx->at[seq - 1], E_SIZE);
	for (i = 0; i < nr; i++)
		len += r[i].length;
	delta = malloc(len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(delta);
	fill_random(delta, len, 1000 + seq);
	for (len = 0, i = 0; i < nr; len += r[i].length, i++)
		memcpy(fx->at[seq] + r[i].offset, delta + len, r[i].length);
	fx->delta[seq] = len;

	vol_incr(&m->vols[0], "data", VUUID, E_SIZE, fx->point[seq - 1], GEN,
		 seq - 1, seq, r, nr);
	CU_ASSERT_EQUAL_FATAL(write_bytes(pathf(path, "%s/%s/data.delta",
						fx->dir, m->point), delta, len),
			      0);
	free(delta);
	hash_into(fx, m->point, &m->vols[0]);
	CU_ASSERT_EQUAL(m->vols[0].file_size, len);
}

/* Write point @m's manifest; its parent's checksum is taken first. */
static void fixture_manifest(struct fixture *fx, struct cs_bk_manifest *m)
{
	char path[PATH_MAX];

	if (m->parent[0])
		CU_ASSERT_EQUAL_FATAL(cs_bk_sha256_file(
			pathf(path, "%s/%s/" CS_BK_MANIFEST, fx->dir, m->parent),
			m->parent_sha256, NULL), 0);
	write_manifest(pathf(path, "%s/%s/" CS_BK_MANIFEST, fx->dir, m->point),
		       m);
	cs_bk_manifest_free(m);
}

/*
 * @fx->dir = the suite's @name: point 1 "data" full (sparse), point 2
 * "data" incremental (3 ranges) and "logs" full, point 3 "data"
 * incremental on 2.
 */
static void fixture_build(struct fixture *fx, const char *name)
{
	char path[PATH_MAX], want[CS_BK_SHA256_LEN];
	struct cs_bk_manifest m;
	unsigned int i;

	memset(fx, 0, sizeof(*fx));
	new_dir(fx->dir, name);
	for (i = 1; i <= 3; i++) {
		cs_bk_point_name(i, T0 + (int64_t)i * 86400, fx->point[i]);
		CU_ASSERT_EQUAL_FATAL(mkdir(pathf(path, "%s/%s", fx->dir,
						  fx->point[i]), 0700), 0);
	}

	/* point 1: the whole of "data" */
	fx->at[1] = malloc(E_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fx->at[1]);
	fill_random(fx->at[1], E_SIZE, 1);
	memset(fx->at[1] + E_HOLE, 0, E_HOLE_LEN);
	memset(fx->at[1] + E_TAIL, 0, E_SIZE - E_TAIL);
	fx->at[0] = fx->at[1];
	CU_ASSERT_EQUAL_FATAL(write_sparse(pathf(path, "%s/%s/data.img",
						 fx->dir, fx->point[1]),
					   fx->at[1], E_SIZE), 0);
	memset(&m, 0, sizeof(m));
	point_init(&m, 1, false);
	strcpy(m.point, fx->point[1]);
	m.nr = 1;
	vol_full(&m.vols[0], "data", VUUID, E_SIZE, GEN, 1);
	hash_into(fx, m.point, &m.vols[0]);
	sha256_hex(fx->at[1], E_SIZE, want);
	CU_ASSERT_STRING_EQUAL(m.vols[0].sha256, want);
	CU_ASSERT_EQUAL(m.vols[0].file_size, E_SIZE);
	fixture_manifest(fx, &m);

	/* point 2: the changes of "data", and all of "logs" */
	point_init(&m, 2, true);
	strcpy(m.point, fx->point[2]);
	strcpy(m.parent, fx->point[1]);
	m.nr = 2;
	fixture_delta(fx, &m, 2, e_ranges2, ARRAY_SIZE(e_ranges2));
	fx->logs = malloc(L_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fx->logs);
	fill_random(fx->logs, L_SIZE, 2);
	CU_ASSERT_EQUAL_FATAL(write_sparse(pathf(path, "%s/%s/logs.img",
						 fx->dir, fx->point[2]),
					   fx->logs, L_SIZE), 0);
	vol_full(&m.vols[1], "logs", VUUID2, L_SIZE, "", 0);
	hash_into(fx, m.point, &m.vols[1]);
	fixture_manifest(fx, &m);

	/* point 3: more changes of "data" */
	point_init(&m, 3, true);
	strcpy(m.point, fx->point[3]);
	strcpy(m.parent, fx->point[2]);
	m.nr = 1;
	fixture_delta(fx, &m, 3, e_ranges3, ARRAY_SIZE(e_ranges3));
	fixture_manifest(fx, &m);
}

static void fixture_free(struct fixture *fx)
{
	free(fx->at[1]);
	free(fx->at[2]);
	free(fx->at[3]);
	free(fx->logs);
	memset(fx, 0, sizeof(*fx));
}

/**
 * struct progress - what the progress callback saw
 * @calls: how many times it was called
 * @done: the last done
 * @total: the total of the first call
 * @bad: done went back, or total changed
 */
struct progress {
	unsigned int calls;
	uint64_t done;
	uint64_t total;
	bool bad;
};

static void on_progress(void *priv, uint64_t done, uint64_t total)
{
	struct progress *p = priv;

	if (p->calls && (done < p->done || total != p->total))
		p->bad = true;
	p->calls++;
	p->done = done;
	p->total = total;
}

static int restore_opts(const struct cs_bk_restore_opts *o,
			struct cs_bk_restored *res)
{
	int r;

	cs_error_clear();
	memset(res, 0xa5, sizeof(*res));
	r = cs_bk_restore(o, res);
	if (r && (cs_last_error()->err != r || !cs_last_error()->why[0])) {
		fprintf(stderr, "restore %d, error %d \"%s\"\n", r,
			cs_last_error()->err, cs_last_error()->why);
		CU_FAIL("a failed restore recorded no error");
	}
	return r;
}

static int restore(const struct fixture *fx, const char *at,
		   const char *volume, const char *target, bool force,
		   struct cs_bk_restored *res)
{
	struct cs_bk_restore_opts o = {
		.dir = fx->dir, .at = at, .volume = volume, .target = target,
		.force = force,
	};

	return restore_opts(&o, res);
}

/* Restore "data" @at into a new file: it must be point @seq's. */
static void restore_data(const struct fixture *fx, const char *at,
			 unsigned int seq, uint64_t *bytes_written)
{
	char target[PATH_MAX];
	struct cs_bk_restored res;
	struct stat st;
	unsigned int i;
	int fd;

	pathf(target, "%s/restored-%u", root, seq);
	if (restore(fx, at, "data", target, false, &res)) {
		fprintf(stderr, "restore at \"%s\": %s\n", at ? at : "(null)",
			cs_last_error()->why);
		CU_FAIL("restore failed");
		return;
	}
	CU_ASSERT_TRUE(file_equals(target, fx->at[seq], E_SIZE));
	CU_ASSERT_EQUAL(stat(target, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	if (seq == 1) {
		/* sparse where the image had holes */
		fd = open(target, O_RDONLY);
		CU_ASSERT_TRUE(fd >= 0);
		CU_ASSERT_EQUAL(lseek(fd, E_HOLE, SEEK_DATA),
				E_HOLE + E_HOLE_LEN);
		close(fd);
	}
	CU_ASSERT_STRING_EQUAL(res.volume, "data");
	CU_ASSERT_EQUAL(res.size, E_SIZE);
	CU_ASSERT_EQUAL_FATAL(res.nr, seq);
	for (i = 0; i < seq; i++)
		CU_ASSERT_STRING_EQUAL(res.chain[i], fx->point[i + 1]);
	if (bytes_written)
		*bytes_written = res.bytes_written;
	CU_ASSERT_EQUAL(unlink(target), 0);
}

static void test_restore_points(void)
{
	struct fixture fx;
	uint64_t bw[4] = { 0 }, other;

	fixture_build(&fx, "restore-points");
	restore_data(&fx, "1", 1, &bw[1]);
	restore_data(&fx, "0001", 1, &other);
	CU_ASSERT_EQUAL(other, bw[1]);
	restore_data(&fx, fx.point[1], 1, NULL);
	restore_data(&fx, "2", 2, &bw[2]);
	restore_data(&fx, "0002", 2, NULL);
	restore_data(&fx, fx.point[2], 2, NULL);
	restore_data(&fx, "3", 3, &bw[3]);
	restore_data(&fx, "latest", 3, &other);
	CU_ASSERT_EQUAL(other, bw[3]);
	restore_data(&fx, NULL, 3, NULL);
	restore_data(&fx, fx.point[3], 3, NULL);

	/* the image's size (holes included), then each delta's */
	CU_ASSERT_EQUAL(bw[1], E_SIZE);
	CU_ASSERT_EQUAL(bw[2], E_SIZE + fx.delta[2]);
	CU_ASSERT_EQUAL(bw[3], E_SIZE + fx.delta[2] + fx.delta[3]);
	fixture_free(&fx);
}

static void test_restore_other_volume(void)
{
	char target[PATH_MAX];
	struct cs_bk_restored res;
	struct fixture fx;

	fixture_build(&fx, "restore-logs");
	pathf(target, "%s/logs-restored", root);
	CU_ASSERT_EQUAL_FATAL(restore(&fx, "2", "logs", target, false, &res),
			      0);
	CU_ASSERT_TRUE(file_equals(target, fx.logs, L_SIZE));
	CU_ASSERT_STRING_EQUAL(res.volume, "logs");
	CU_ASSERT_EQUAL(res.size, L_SIZE);
	CU_ASSERT_EQUAL(res.nr, 1);
	CU_ASSERT_STRING_EQUAL(res.chain[0], fx.point[2]);
	CU_ASSERT_EQUAL(res.bytes_written, L_SIZE);
	CU_ASSERT_EQUAL(unlink(target), 0);

	/* point 1 holds one volume: it needs no name */
	CU_ASSERT_EQUAL(restore(&fx, "1", NULL, target, false, &res), 0);
	CU_ASSERT_TRUE(file_equals(target, fx.at[1], E_SIZE));
	CU_ASSERT_STRING_EQUAL(res.volume, "data");
	CU_ASSERT_EQUAL(unlink(target), 0);
	fixture_free(&fx);
}

static void test_restore_progress(void)
{
	char target[PATH_MAX];
	struct cs_bk_restored res;
	struct progress p = { 0 };
	struct fixture fx;
	struct cs_bk_restore_opts o = {
		.at = "3", .volume = "data", .target = target,
		.progress = on_progress, .priv = &p,
	};

	fixture_build(&fx, "restore-progress");
	o.dir = fx.dir;
	pathf(target, "%s/progress-restored", root);
	CU_ASSERT_EQUAL_FATAL(restore_opts(&o, &res), 0);
	CU_ASSERT_TRUE(file_equals(target, fx.at[3], E_SIZE));
	CU_ASSERT_TRUE(p.calls >= 3);
	CU_ASSERT_FALSE(p.bad);
	CU_ASSERT_EQUAL(p.done, res.bytes_written);
	CU_ASSERT_EQUAL(p.total, E_SIZE + fx.delta[2] + fx.delta[3]);
	CU_ASSERT_EQUAL(p.done, p.total);	/* the deltas come last */
	CU_ASSERT_EQUAL(unlink(target), 0);
	fixture_free(&fx);
}

/* A restore @at of @volume into new file @target fails with @err and
 * leaves no file. */
static void restore_fails(const struct fixture *fx, const char *at,
			  const char *volume, int err, const char *what)
{
	char target[PATH_MAX];
	struct cs_bk_restored res;
	int r;

	pathf(target, "%s/failed-restore", root);
	r = restore(fx, at, volume, target, false, &res);
	if (r != err) {
		fprintf(stderr, "%s: restore %d (want %d): %s\n", what, r, err,
			cs_last_error()->why);
		CU_FAIL("restore did not fail as it should");
	}
	if (exists(target)) {
		fprintf(stderr, "%s: %s left behind\n", what, target);
		CU_FAIL("a failed restore left its file");
		unlink(target);
	}
}

static void test_restore_refused(void)
{
	char target[PATH_MAX], dir[PATH_MAX];
	volatile sig_atomic_t stop = 1;
	struct cs_bk_restored res;
	struct fixture fx;
	struct cs_bk_restore_opts o = { .at = "3", .volume = "data",
					.target = target, .stop = &stop };

	fixture_build(&fx, "restore-refused");
	restore_fails(&fx, "2", NULL, -EINVAL, "two volumes, none named");
	restore_fails(&fx, "1", "logs", -ENOENT, "volume not in the point");
	restore_fails(&fx, "3", "logs", -ENOENT, "volume not in the point");
	restore_fails(&fx, "2", "nope", -ENOENT, "no such volume");
	restore_fails(&fx, "4", "data", -ENOENT, "no such point");
	restore_fails(&fx, "nope", "data", -ENOENT, "no such point");

	/* interrupted: no file left */
	o.dir = fx.dir;
	pathf(target, "%s/interrupted", root);
	CU_ASSERT_EQUAL(restore_opts(&o, &res), -EINTR);
	CU_ASSERT_FALSE(exists(target));

	/* the target is a directory */
	new_dir(dir, "target-dir");
	CU_ASSERT_EQUAL(restore(&fx, "1", "data", dir, false, &res), -EINVAL);
	CU_ASSERT_EQUAL(restore(&fx, "1", "data", dir, true, &res), -EINVAL);
	CU_ASSERT_TRUE(exists(dir));

	/* no such directory */
	pathf(fx.dir, "%s/no-backups-here", root);
	restore_fails(&fx, "1", "data", -ENOENT, "no directory");
	fixture_free(&fx);
}

static void test_restore_existing_target(void)
{
	static const char precious[] = "precious data\n";
	char target[PATH_MAX];
	struct cs_bk_restored res;
	unsigned char *ff;
	struct fixture fx;

	fixture_build(&fx, "restore-existing");
	pathf(target, "%s/existing", root);

	/* not empty, no force: refused, untouched */
	CU_ASSERT_EQUAL_FATAL(write_text(target, precious), 0);
	CU_ASSERT_EQUAL(restore(&fx, "2", "data", target, false, &res),
			-EEXIST);
	CU_ASSERT_TRUE(file_equals(target, precious, strlen(precious)));

	/* forced */
	CU_ASSERT_EQUAL(restore(&fx, "2", "data", target, true, &res), 0);
	CU_ASSERT_TRUE(file_equals(target, fx.at[2], E_SIZE));
	CU_ASSERT_EQUAL(unlink(target), 0);

	/* forced over a longer file of 0xff: the holes must read zero */
	ff = malloc(E_SIZE + 8192);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ff);
	memset(ff, 0xff, E_SIZE + 8192);
	CU_ASSERT_EQUAL_FATAL(write_bytes(target, ff, E_SIZE + 8192), 0);
	free(ff);
	CU_ASSERT_EQUAL(restore(&fx, "3", "data", target, true, &res), 0);
	CU_ASSERT_TRUE(file_equals(target, fx.at[3], E_SIZE));
	/* and not empty again: refused */
	CU_ASSERT_EQUAL(restore(&fx, "1", "data", target, false, &res),
			-EEXIST);
	CU_ASSERT_TRUE(file_equals(target, fx.at[3], E_SIZE));
	CU_ASSERT_EQUAL(unlink(target), 0);

	/* an empty file needs no force */
	CU_ASSERT_EQUAL_FATAL(write_text(target, ""), 0);
	CU_ASSERT_EQUAL(restore(&fx, "1", "data", target, false, &res), 0);
	CU_ASSERT_TRUE(file_equals(target, fx.at[1], E_SIZE));
	CU_ASSERT_EQUAL(unlink(target), 0);
	fixture_free(&fx);
}

/* cs_bk_check_volume() of @vol of point @seq: @err, and a reason with @why. */
static void check_volume_is(const struct fixture *fx, unsigned int seq,
			    const char *vol, int err, const char *why)
{
	const struct cs_bk_manifest *m;
	struct cs_bk_check c;
	struct cs_bk_dir d;

	CU_ASSERT_EQUAL_FATAL(cs_bk_dir_read(fx->dir, &d, false), 0);
	m = cs_bk_dir_find(&d, fx->point[seq]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cs_bk_manifest_volume(m, vol));
	memset(&c, 0x5a, sizeof(c));
	CU_ASSERT_EQUAL(cs_bk_check_volume(&d, m, cs_bk_manifest_volume(m, vol),
					   &c), err);
	CU_ASSERT_EQUAL(c.err, err);
	CU_ASSERT_STRING_EQUAL(c.point, fx->point[seq]);
	CU_ASSERT_STRING_EQUAL(c.volume, vol);
	if (!why) {
		CU_ASSERT_STRING_EQUAL(c.why, "");
	}
	if (why && !strstr(c.why, why)) {
		fprintf(stderr, "check of %s: \"%s\", want \"%s\"\n",
			fx->point[seq], c.why, why);
		CU_FAIL("the check does not say why");
	}
	cs_bk_dir_free(&d);
}

/* cs_bk_check_parent() of point @seq is @err. */
static void check_parent_is(const struct fixture *fx, unsigned int seq,
			    int err)
{
	const struct cs_bk_manifest *m;
	struct cs_bk_check c;
	struct cs_bk_dir d;

	CU_ASSERT_EQUAL_FATAL(cs_bk_dir_read(fx->dir, &d, false), 0);
	m = cs_bk_dir_find(&d, fx->point[seq]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	memset(&c, 0x5a, sizeof(c));
	CU_ASSERT_EQUAL(cs_bk_check_parent(&d, m, &c), err);
	CU_ASSERT_EQUAL(c.err, err);
	CU_ASSERT_STRING_EQUAL(c.point, fx->point[seq]);
	if (err) {
		CU_ASSERT_NOT_EQUAL(c.why[0], '\0');
	} else {
		CU_ASSERT_STRING_EQUAL(c.why, "");
	}
	cs_bk_dir_free(&d);
}

static void test_restore_corrupt_delta(void)
{
	char path[PATH_MAX];
	struct fixture fx;

	fixture_build(&fx, "restore-corrupt");
	check_volume_is(&fx, 2, "data", 0, NULL);
	pathf(path, "%s/%s/data.delta", fx.dir, fx.point[2]);
	CU_ASSERT_EQUAL_FATAL(flip_byte(path, 5000), 0);

	restore_fails(&fx, "2", "data", -EINVAL, "corrupt delta at 2");
	restore_fails(&fx, "3", "data", -EINVAL, "corrupt delta before 3");
	restore_data(&fx, "1", 1, NULL);
	check_volume_is(&fx, 2, "data", -EINVAL, "checksum");
	check_volume_is(&fx, 1, "data", 0, NULL);
	check_volume_is(&fx, 3, "data", 0, NULL);
	check_volume_is(&fx, 2, "logs", 0, NULL);

	/* mended, then cut short */
	CU_ASSERT_EQUAL_FATAL(flip_byte(path, 5000), 0);
	check_volume_is(&fx, 2, "data", 0, NULL);
	restore_data(&fx, "2", 2, NULL);
	CU_ASSERT_EQUAL_FATAL(truncate(path, (off_t)fx.delta[2] - 1), 0);
	check_volume_is(&fx, 2, "data", -EINVAL, "bytes");
	restore_fails(&fx, "2", "data", -EINVAL, "short delta at 2");

	/* gone */
	CU_ASSERT_EQUAL_FATAL(unlink(path), 0);
	check_volume_is(&fx, 2, "data", -ENOENT, "data.delta");
	restore_fails(&fx, "2", "data", -ENOENT, "no delta at 2");
	restore_data(&fx, "1", 1, NULL);
	fixture_free(&fx);
}

static void test_restore_corrupt_image(void)
{
	char path[PATH_MAX];
	struct fixture fx;

	fixture_build(&fx, "restore-corrupt-image");
	pathf(path, "%s/%s/data.img", fx.dir, fx.point[1]);
	/* a byte in a hole of the sparse image */
	CU_ASSERT_EQUAL_FATAL(flip_byte(path, E_HOLE + 100), 0);
	check_volume_is(&fx, 1, "data", -EINVAL, "checksum");
	check_volume_is(&fx, 2, "data", 0, NULL);
	restore_fails(&fx, "1", "data", -EINVAL, "corrupt image");
	restore_fails(&fx, "3", "data", -EINVAL, "corrupt image under 3");
	fixture_free(&fx);
}

/*
 * A full image longer than its volume (manifest consistent with the file):
 * the restore must refuse it, or write the volume's size and no more
 * ("bytes beyond the volume's size are not touched").
 */
static void test_restore_image_beyond_size(void)
{
	char dir[PATH_MAX], path[PATH_MAX], target[PATH_MAX];
	const uint64_t size = 64 * 1024, len = size + 4096;
	struct cs_bk_restore_opts o = { .at = "1", .target = target };
	struct cs_bk_restored res;
	struct cs_bk_manifest m;
	unsigned char *buf;
	struct stat st;
	int r;

	new_dir(dir, "beyond-size");
	point_init(&m, 1, false);
	m.nr = 1;
	vol_full(&m.vols[0], "v", VUUID, size, "", 0);
	CU_ASSERT_EQUAL_FATAL(mkdir(pathf(path, "%s/%s", dir, m.point), 0700),
			      0);
	buf = malloc(len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	fill_random(buf, len, 9);
	pathf(path, "%s/%s/v.img", dir, m.point);
	CU_ASSERT_EQUAL_FATAL(write_bytes(path, buf, len), 0);
	CU_ASSERT_EQUAL_FATAL(cs_bk_sha256_file(path, m.vols[0].sha256,
						&m.vols[0].file_size), 0);
	write_manifest(pathf(path, "%s/%s/" CS_BK_MANIFEST, dir, m.point), &m);
	cs_bk_manifest_free(&m);

	o.dir = dir;
	pathf(target, "%s/beyond-size-restored", root);
	cs_error_clear();
	r = cs_bk_restore(&o, &res);
	if (r) {
		CU_ASSERT_FALSE(exists(target));
	} else {
		CU_ASSERT_EQUAL(stat(target, &st), 0);
		if (st.st_size != (off_t)size)
			fprintf(stderr, "restored %lld bytes of a volume of %llu\n",
				(long long)st.st_size,
				(unsigned long long)size);
		CU_ASSERT_EQUAL(st.st_size, (off_t)size);
		CU_ASSERT_EQUAL(res.bytes_written, size);
		CU_ASSERT_EQUAL(unlink(target), 0);
	}
	free(buf);
}

static void test_check_parent(void)
{
	char path[PATH_MAX];
	struct cs_bk_manifest m;
	struct fixture fx;

	fixture_build(&fx, "check-parent");
	check_parent_is(&fx, 1, 0);
	check_parent_is(&fx, 2, 0);
	check_parent_is(&fx, 3, 0);
	check_volume_is(&fx, 1, "data", 0, NULL);
	check_volume_is(&fx, 2, "data", 0, NULL);
	check_volume_is(&fx, 2, "logs", 0, NULL);
	check_volume_is(&fx, 3, "data", 0, NULL);

	/* point 1's manifest changed (still valid) after 2 was made */
	pathf(path, "%s/%s/" CS_BK_MANIFEST, fx.dir, fx.point[1]);
	CU_ASSERT_EQUAL_FATAL(cs_bk_manifest_read(path, &m), 0);
	m.freeze_us++;
	write_manifest(path, &m);
	cs_bk_manifest_free(&m);
	check_parent_is(&fx, 1, 0);
	check_parent_is(&fx, 2, -EINVAL);
	check_parent_is(&fx, 3, 0);
	check_volume_is(&fx, 2, "data", 0, NULL);	/* its data is fine */
	restore_fails(&fx, "2", "data", -EINVAL, "parent changed");
	restore_fails(&fx, "3", "data", -EINVAL, "parent of 2 changed");
	restore_data(&fx, "1", 1, NULL);

	/* point 1 gone */
	CU_ASSERT_EQUAL(rm_tree(pathf(path, "%s/%s", fx.dir, fx.point[1])), 0);
	check_parent_is(&fx, 2, -ENOENT);
	check_volume_is(&fx, 2, "data", -ENOENT, fx.point[1]);
	check_volume_is(&fx, 2, "logs", 0, NULL);
	restore_fails(&fx, "2", "data", -ENOENT, "base gone");
	/* a full volume needs no parent: it restores on its own */
	{
		struct cs_bk_restored res;
		char target[PATH_MAX];

		pathf(target, "%s/full-without-parent", root);
		CU_ASSERT_EQUAL(restore(&fx, "2", "logs", target, false, &res), 0);
		CU_ASSERT_EQUAL(res.nr, 1);
		unlink(target);
	}
	restore_fails(&fx, "3", "data", -ENOENT, "chain broken");
	fixture_free(&fx);
}

/* ------------------------------------------------------------------------
 * Suites
 * ---------------------------------------------------------------------- */

static CU_TestInfo name_tests[] = {
	{ "point_name", test_point_name },
	{ "point_round_trip", test_point_round_trip },
	{ "point_parse_rejects", test_point_parse_rejects },
	{ "sha256_file", test_sha256_file },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo manifest_tests[] = {
	{ "full_and_incremental", test_manifest_full_and_incremental },
	{ "nulls", test_manifest_nulls },
	{ "many_volumes", test_manifest_many_volumes },
	{ "extremes", test_manifest_extremes },
	{ "read_missing", test_manifest_read_missing },
	{ "rejects", test_manifest_rejects },
	{ "not_json", test_manifest_not_json },
	{ "value_ranges", test_manifest_value_ranges },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo dir_tests[] = {
	{ "dir_read", test_dir_read },
	{ "dir_read_odd", test_dir_read_odd },
	{ "dir_find", test_dir_find },
	{ "chain", test_chain },
	{ "chain_broken_links", test_chain_broken_links },
	{ "chain_on_disk", test_chain_on_disk },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo restore_tests[] = {
	{ "points", test_restore_points },
	{ "other_volume", test_restore_other_volume },
	{ "progress", test_restore_progress },
	{ "refused", test_restore_refused },
	{ "existing_target", test_restore_existing_target },
	{ "corrupt_delta", test_restore_corrupt_delta },
	{ "corrupt_image", test_restore_corrupt_image },
	{ "check_parent", test_check_parent },
	{ "image_beyond_size", test_restore_image_beyond_size },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "backup_names", suite_init, suite_clean, NULL, NULL, name_tests },
	{ "backup_manifest", suite_init, suite_clean, NULL, NULL,
	  manifest_tests },
	{ "backup_dir", suite_init, suite_clean, NULL, NULL, dir_tests },
	{ "backup_restore", suite_init, suite_clean, NULL, NULL,
	  restore_tests },
	CU_SUITE_INFO_NULL,
};
