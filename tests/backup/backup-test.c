// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers of the backup suite: see backup-test.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "backup-test.h"

#define IO_MAX		(1024 * 1024)

/* ------------------------------------------------------------------ */
/* Seed, random numbers, data                                         */

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t bt_rnd(struct bt_rng *r)
{
	return mix64(r->s += 0x9e3779b97f4a7c15ULL);
}

uint64_t bt_below(struct bt_rng *r, uint64_t n)
{
	return n ? bt_rnd(r) % n : 0;
}

void bt_rnd_fill(struct bt_rng *r, void *buf, size_t len)
{
	uint8_t *b = buf;
	uint64_t x;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		x = bt_rnd(r);
		memcpy(b + i, &x, 8);
	}
	if (i < len) {
		x = bt_rnd(r);
		memcpy(b + i, &x, len - i);
	}
}

void bt_fill(void *buf, size_t len, uint64_t seed, uint64_t off)
{
	uint64_t *w = buf, k = seed * 0xd6e8feb86659fd93ULL, i;

	for (i = 0; i < len / 8; i++)
		w[i] = mix64(k ^ (off / 8 + i)) | 1;
}

/* ------------------------------------------------------------------ */
/* SHA-256 (OpenSSL's)                                                */

void bt_sha256_init(struct bt_sha256 *c)
{
	c->ctx = EVP_MD_CTX_new();
	if (!c->ctx || !EVP_DigestInit_ex(c->ctx, EVP_sha256(), NULL))
		abort();
}

void bt_sha256_update(struct bt_sha256 *c, const void *data, size_t len)
{
	if (!EVP_DigestUpdate(c->ctx, data, len))
		abort();
}

void bt_sha256_hex(struct bt_sha256 *c, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (!EVP_DigestFinal_ex(c->ctx, md, &n) || n != 32)
		abort();
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	EVP_MD_CTX_free(c->ctx);
	c->ctx = NULL;
}

void bt_sha256_buf(const void *data, size_t len, char hex[65])
{
	struct bt_sha256 c;

	bt_sha256_init(&c);
	bt_sha256_update(&c, data, len);
	bt_sha256_hex(&c, hex);
}

int bt_sha256_file(const char *path, char hex[65])
{
	struct bt_sha256 c;
	char *buf = malloc(IO_MAX);
	int fd = open(path, O_RDONLY);
	ssize_t n = -1;

	if (fd >= 0 && buf) {
		bt_sha256_init(&c);
		while ((n = read(fd, buf, IO_MAX)) > 0)
			bt_sha256_update(&c, buf, (size_t)n);
		if (!n)
			bt_sha256_hex(&c, hex);
		else
			EVP_MD_CTX_free(c.ctx);
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	if (n) {
		fprintf(stderr, "sha256 of %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Commands                                                           */

char *bt_read_text(const char *path)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 1024) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

int bt_cmd(struct bt_cmd *c, const char *fmt, ...)
{
	char err_path[64], *cmd;
	struct timespec t0, t1;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	snprintf(err_path, sizeof(err_path), "/tmp/cowsnap-bt-stderr-%d",
		 (int)getpid());
	c->out = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	c->status = tl_run(&c->out, "( %s ) 2>%s", cmd, err_path);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	c->err = bt_read_text(err_path);
	if (!c->err)
		c->err = strdup("");
	unlink(err_path);
	printf("$ %s  -> %d (%.1f s)\n", cmd, c->status,
	       (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (c->err[0])
		printf("%s%s", c->err,
		       c->err[strlen(c->err) - 1] == '\n' ? "" : "\n");
	fflush(stdout);
	free(cmd);
	return c->status;
}

void bt_cmd_free(struct bt_cmd *c)
{
	free(c->out);
	free(c->err);
	c->out = c->err = NULL;
}

pid_t bt_spawn(const char *out_path, const char *err_path,
	       const char *fmt, ...)
{
	char *cmd, *full;
	va_list ap;
	pid_t pid;
	int fd;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (asprintf(&full, "exec %s", cmd) < 0)
		abort();
	printf("$ %s &\n", cmd);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (!pid) {
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			dup2(fd, 0);
		fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0)
			dup2(fd, 1);
		fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0)
			dup2(fd, 2);
		execl("/bin/sh", "sh", "-c", full, (char *)NULL);
		_exit(127);
	}
	free(full);
	free(cmd);
	return pid;
}

bool bt_wait(pid_t pid, int ms, int *status)
{
	int i;

	for (i = 0; i <= ms / 10; i++) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return true;
		usleep(10000);
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* JSON                                                               */

json_object *bt_json(const char *text, const char *what)
{
	json_object *j = text ? json_tokener_parse(text) : NULL;

	if (!j || !json_object_is_type(j, json_type_object)) {
		fprintf(stderr, "%s: not a JSON object: '%.400s'\n", what,
			text ? text : "(nothing)");
		if (j)
			json_object_put(j);
		return NULL;
	}
	return j;
}

json_object *bt_json_file(const char *path)
{
	char *text = bt_read_text(path);
	json_object *j = bt_json(text, path);

	free(text);
	return j;
}

json_object *bt_get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		fprintf(stderr, "JSON: no key \"%s\"\n", key);
	return v;
}

const char *bt_str(json_object *o, const char *key)
{
	json_object *v = bt_get(o, key);

	return v && json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : "";
}

int64_t bt_num(json_object *o, const char *key)
{
	json_object *v = bt_get(o, key);

	return v && json_object_is_type(v, json_type_int) ?
	       json_object_get_int64(v) : -1;
}

int bt_bool(json_object *o, const char *key)
{
	json_object *v = bt_get(o, key);

	return v && json_object_is_type(v, json_type_boolean) ?
	       json_object_get_boolean(v) : -1;
}

bool bt_null(json_object *o, const char *key)
{
	json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) && !v;
}

size_t bt_len(json_object *o, const char *key)
{
	json_object *v = bt_get(o, key);

	return v && json_object_is_type(v, json_type_array) ?
	       json_object_array_length(v) : 0;
}

json_object *bt_idx(json_object *o, const char *key, size_t i)
{
	json_object *v = bt_get(o, key);

	if (!v || !json_object_is_type(v, json_type_array) ||
	    i >= json_object_array_length(v))
		return NULL;
	return json_object_array_get_idx(v, i);
}

/* ------------------------------------------------------------------ */
/* Volumes and directories                                            */

static int write_all(int fd, uint64_t off, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = pwrite(fd, p, len, (off_t)off);
		if (n <= 0)
			return -1;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* The whole of @path with bt_fill(@seed); 0 or -1. */
static int fill_file(const char *path, uint64_t size, uint64_t seed)
{
	uint8_t *buf = malloc(IO_MAX);
	uint64_t off;
	size_t n;
	int fd = open(path, O_WRONLY), r = 0;

	if (fd < 0 || !buf)
		r = -1;
	for (off = 0; !r && off < size; off += n) {
		n = size - off < IO_MAX ? (size_t)(size - off) : IO_MAX;
		bt_fill(buf, n, seed, off);
		r = write_all(fd, off, buf, n);
	}
	if (fd >= 0 && close(fd))
		r = -1;
	free(buf);
	return r;
}

int bt_vol_create(struct bt_vol *v, const char *what, uint64_t size,
		  uint64_t fill_seed, bool cbt)
{
	char *out = NULL;

	memset(v, 0, sizeof(*v));
	v->size = size;
	snprintf(v->name, sizeof(v->name), "bt%d%s", (int)getpid(), what);
	snprintf(v->dev, sizeof(v->dev), "/dev/mapper/%s", v->name);
	v->loop = tl_loop_create(size);
	if (!v->loop)
		return -1;
	if (tl_run(&out, "losetup -n -O BACK-FILE %s", v->loop)) {
		free(out);
		return -1;
	}
	snprintf(v->file, sizeof(v->file), "%.*s", (int)strcspn(out, "\n"),
		 out);
	free(out);
	if (fill_seed && fill_file(v->file, size, fill_seed))
		return -1;
	/* Run newest first: sets go, then the volume, then its disk. */
	tl_defer("rm -f /run/cowsnapctl/backup-%s.lock", v->name);
	tl_defer("cowsnapctl remove %s 2>/dev/null; for n in $(dmsetup ls | "
		 "cut -f1 | grep '^%s\\(-\\|@\\|$\\)'); do "
		 "dmsetup remove --force $n; done; true", v->name, v->name);
	tl_defer("for s in $(cowsnapctl snapshot list --json 2>/dev/null | "
		 "sed -n 's/^ *\"set\": \"\\(.*\\)\",$/\\1/p'); do "
		 "cowsnapctl snapshot destroy \"$s\" --force; done; true");
	if (tl_run(&out, "cowsnapctl create %s %s", v->name, v->loop)) {
		fprintf(stderr, "cowsnapctl create %s %s: %s", v->name,
			v->loop, out ? out : "");
		free(out);
		return -1;
	}
	free(out);
	out = NULL;
	if (cbt && tl_run(&out, "cowsnapctl cbt enable %s", v->name)) {
		fprintf(stderr, "cowsnapctl cbt enable %s: %s", v->name,
			out ? out : "");
		free(out);
		return -1;
	}
	free(out);
	return 0;
}

void bt_vol_free(struct bt_vol *v)
{
	free(v->loop);
	v->loop = NULL;
}

const char *bt_workdir(const char *what)
{
	static char dir[128];

	snprintf(dir, sizeof(dir), "/tmp/cowsnap-bt-%d-%s", (int)getpid(),
		 what);
	tl_defer("rm -rf %s", dir);
	/* A store left in the directory (an unnamed file) by a failed run. */
	tl_defer("losetup -a | grep -F '%s/' | cut -d: -f1 | "
		 "xargs -r -n1 losetup -d; true", dir);
	if (mkdir(dir, 0755)) {
		fprintf(stderr, "mkdir %s: %s\n", dir, strerror(errno));
		return NULL;
	}
	return dir;
}

int bt_vol_write(const struct bt_vol *v, uint64_t off, const void *buf,
		 size_t len)
{
	int fd = open(v->dev, O_WRONLY), r;

	if (fd < 0)
		return -1;
	r = write_all(fd, off, buf, len);
	if (fsync(fd))
		r = -1;
	if (close(fd))
		r = -1;
	if (r)
		fprintf(stderr, "write %s at %" PRIu64 ": %s\n", v->dev, off,
			strerror(errno));
	return r;
}

/* ------------------------------------------------------------------ */
/* Points of a backup directory                                       */

bool bt_point_name_ok(const char *s)
{
	static const char form[] = "dddd-ddddddddTddddddZ";
	size_t i;

	if (strlen(s) != BT_POINT_LEN)
		return false;
	for (i = 0; i < BT_POINT_LEN; i++)
		if (form[i] == 'd' ? (s[i] < '0' || s[i] > '9') :
		    s[i] != form[i])
			return false;
	return true;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

int bt_points(const char *dir, struct bt_points *p)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t len;

	memset(p, 0, sizeof(*p));
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strcmp(e->d_name, ".lock"))
			continue;
		len = strlen(e->d_name);
		if (bt_point_name_ok(e->d_name)) {
			if (p->complete < BT_POINTS_MAX)
				snprintf(p->name[p->complete], 64, "%.63s",
					 e->d_name);
			p->complete++;
		} else if (len > 8 && !strcmp(e->d_name + len - 8,
					      ".partial")) {
			if (!p->partial)
				snprintf(p->partial_name, 64, "%.63s",
					 e->d_name);
			p->partial++;
		} else {
			fprintf(stderr, "%s: unexpected entry '%s'\n", dir,
				e->d_name);
			p->other++;
		}
	}
	closedir(d);
	qsort(p->name, p->complete < BT_POINTS_MAX ? p->complete :
	      BT_POINTS_MAX, sizeof(p->name[0]), cmp_names);
	return 0;
}

int64_t bt_partial_bytes(const char *dir)
{
	struct bt_points p;
	char path[512];
	struct dirent *e;
	struct stat st;
	int64_t bytes = 0;
	DIR *d;

	if (bt_points(dir, &p) || !p.partial)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, p.partial_name);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s/%s", dir, p.partial_name,
			 e->d_name);
		if (e->d_name[0] != '.' && !stat(path, &st) &&
		    S_ISREG(st.st_mode))
			bytes += (int64_t)st.st_blocks * 512;
	}
	closedir(d);
	return bytes;
}

bool bt_wait_partial(const char *dir, int64_t bytes, pid_t pid, int ms,
		     bool *ended, int *status)
{
	int i;

	*ended = false;
	for (i = 0; i <= ms / 10; i++) {
		if (bt_partial_bytes(dir) >= bytes)
			return true;
		if (waitpid(pid, status, WNOHANG) == pid) {
			*ended = true;
			return false;
		}
		usleep(10000);
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Expected content                                                   */

/* The expected bytes [off, off + len) into @buf (len <= IO_MAX). */
static void expect_fill(const struct bt_oracle *o, uint64_t off, size_t len,
			uint8_t *buf)
{
	uint64_t b, end, n;

	if (o->image) {
		memcpy(buf, o->image + off, len);
		return;
	}
	for (end = off + len; off < end; off += n, buf += n) {
		b = off / o->bs;
		n = (b + 1) * o->bs < end ? (b + 1) * o->bs - off : end - off;
		if (o->seeds[b])
			bt_fill(buf, n, o->seeds[b], off);
		else
			memset(buf, 0, n);
	}
}

/* Is [off, off + len) expected to be all zeros? */
static bool expect_zero(const struct bt_oracle *o, uint64_t off, uint64_t len)
{
	uint64_t i, b;

	if (o->image) {
		for (i = 0; i < len; i++)
			if (o->image[off + i])
				return false;
		return true;
	}
	for (b = off / o->bs; b * o->bs < off + len; b++)
		if (o->seeds[b])
			return false;
	return true;
}

static void report_diff(const char *what, uint64_t off, const char *why,
			uint64_t *bad)
{
	if (*bad < 5)
		fprintf(stderr, "%s: 4 KiB block at %" PRIu64 " (byte %" PRIu64
			"): %s\n", what, off / 4096, off, why);
	(*bad)++;
}

/* Compare [off, off + len) read from @fd with the oracle. */
static int compare_range(const char *what, int fd, const struct bt_oracle *o,
			 uint64_t off, uint64_t len, uint8_t *got,
			 uint8_t *want, uint64_t *bad)
{
	uint64_t end = off + len, i;
	size_t n, k;
	ssize_t r;

	for (; off < end; off += n) {
		n = end - off < IO_MAX ? (size_t)(end - off) : IO_MAX;
		r = pread(fd, got, n, (off_t)off);
		if (r != (ssize_t)n) {
			fprintf(stderr, "%s: read at %" PRIu64 ": %s\n", what,
				off, r < 0 ? strerror(errno) : "short");
			return -1;
		}
		expect_fill(o, off, n, want);
		if (!memcmp(got, want, n))
			continue;
		for (i = 0; i < n; i += k) {
			k = 4096 - (off + i) % 4096;
			if (k > n - i)
				k = n - i;
			if (memcmp(got + i, want + i, k))
				report_diff(what, off + i, "differs", bad);
		}
	}
	return 0;
}

uint64_t bt_compare(const char *what, const char *path,
		    const struct bt_oracle *o)
{
	uint8_t *got = tl_alloc_aligned(IO_MAX), *want = malloc(IO_MAX);
	uint64_t bad = 0, off = 0, data, hole;
	struct stat st;
	int fd = open(path, O_RDONLY), r = 0;
	bool blk;

	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "%s: %s: %s\n", what, path, strerror(errno));
		bad = 1;
		goto out;
	}
	blk = S_ISBLK(st.st_mode);
	if (blk ? tl_dev_bytes(path) < o->size :
		  (uint64_t)st.st_size != o->size) {
		fprintf(stderr, "%s: %s has %" PRIu64 " bytes, want %s%" PRIu64
			"\n", what, path, blk ? tl_dev_bytes(path) :
			(uint64_t)st.st_size, blk ? "at least " : "", o->size);
		bad = 1;
		goto out;
	}
	if (blk) {
		/* What is on the device, not in a page cache. */
		close(fd);
		fd = open(path, O_RDONLY | O_DIRECT);
		if (fd < 0) {
			bad = 1;
			goto out;
		}
		r = compare_range(what, fd, o, 0, o->size, got, want, &bad);
		goto out;
	}
	/* A file: only its data is read, its holes must be zeros. */
	while (!r && off < o->size) {
		data = (uint64_t)lseek(fd, (off_t)off, SEEK_DATA);
		if (data == (uint64_t)-1)
			data = o->size;	/* ENXIO: a hole to the end */
		if (data > off && !expect_zero(o, off, data - off))
			report_diff(what, off, "a hole where data is due",
				    &bad);
		if (data >= o->size)
			break;
		hole = (uint64_t)lseek(fd, (off_t)data, SEEK_HOLE);
		if (hole == (uint64_t)-1 || hole > o->size)
			hole = o->size;
		r = compare_range(what, fd, o, data, hole - data, got, want,
				  &bad);
		off = hole;
	}
out:
	if (r)
		bad = bad ? bad : 1;
	if (bad > 5)
		fprintf(stderr, "%s: %" PRIu64 " blocks differ\n", what, bad);
	if (fd >= 0)
		close(fd);
	free(got);
	free(want);
	return bad;
}

/* ------------------------------------------------------------------ */
/* What a run may leave behind                                        */

void bt_sys_get(struct bt_sys *s)
{
	s->dm = NULL;
	s->loops = NULL;
	tl_run(&s->dm, "dmsetup ls | grep -vx 'No devices found' | cut -f1 | "
	       "sort");
	tl_run(&s->loops, "losetup -a | cut -d: -f1 | sort");
}

void bt_sys_free(struct bt_sys *s)
{
	free(s->dm);
	free(s->loops);
	s->dm = s->loops = NULL;
}

int bt_snapshot_sets(void)
{
	char *out = NULL;
	json_object *j;
	int n = -1;

	if (!tl_run(&out, "cowsnapctl snapshot list --json 2>/dev/null")) {
		j = bt_json(out, "snapshot list --json");
		if (j && json_object_is_type(bt_get(j, "sets"),
					     json_type_array))
			n = (int)bt_len(j, "sets");
		if (j)
			json_object_put(j);
	}
	free(out);
	return n;
}

static void print_cmd(const char *cmd)
{
	char *out = NULL;

	tl_run(&out, "%s", cmd);
	fprintf(stderr, "$ %s\n%s", cmd, out ? out : "");
	free(out);
}

bool bt_sys_same(const struct bt_sys *before, const char *what)
{
	struct bt_sys now;
	bool same = true;
	int sets = bt_snapshot_sets();

	bt_sys_get(&now);
	if (!now.dm || !before->dm || strcmp(now.dm, before->dm)) {
		fprintf(stderr, "%s: dm devices now:\n%sbefore:\n%s", what,
			now.dm ? now.dm : "?\n",
			before->dm ? before->dm : "?\n");
		same = false;
	}
	if (now.dm && (strchr(now.dm, '@') || strstr(now.dm, "-origin\n"))) {
		fprintf(stderr, "%s: an image, store or origin is left\n",
			what);
		same = false;
	}
	if (!now.loops || !before->loops || strcmp(now.loops, before->loops)) {
		fprintf(stderr, "%s: loop devices now:\n%sbefore:\n%s", what,
			now.loops ? now.loops : "?\n",
			before->loops ? before->loops : "?\n");
		print_cmd("losetup -a");
		same = false;
	}
	if (sets) {
		fprintf(stderr, "%s: %d snapshot sets are left\n", what, sets);
		print_cmd("cowsnapctl snapshot list");
		same = false;
	}
	bt_sys_free(&now);
	return same;
}
