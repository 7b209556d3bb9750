// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: check the points of a backup directory, and rebuild a
 * volume from a full point and its incrementals.
 */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"


/* ------------------------------------------------------------------------
 * Checks
 * ---------------------------------------------------------------------- */

static int failed(struct cs_bk_check *out, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int failed(struct cs_bk_check *out, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
	out->err = err;
	return err;
}

static void check_init(struct cs_bk_check *out, const char *point,
		       const char *volume)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->point, sizeof(out->point), "%s", point);
	snprintf(out->volume, sizeof(out->volume), "%s", volume);
}

static bool all_full(const struct cs_bk_manifest *m)
{
	unsigned int i;

	for (i = 0; i < m->nr; i++)
		if (!m->vols[i].full)
			return false;
	return true;
}

int cs_bk_check_parent(const struct cs_bk_dir *dir,
		       const struct cs_bk_manifest *m,
		       struct cs_bk_check *out)
{
	char path[4096], sha[CS_BK_SHA256_LEN];
	unsigned int i;

	check_init(out, m->point, "");
	if (!m->parent[0])
		return 0;
	for (i = 0; i < dir->nr; i++)
		if (!strcmp(dir->points[i].point, m->parent))
			break;
	if (i == dir->nr && all_full(m))
		return 0;	/* pruned: nothing here needs it */
	if (i == dir->nr)
		return failed(out, -ENOENT, "its parent %s is missing",
			      m->parent);
	snprintf(path, sizeof(path), "%s/%s/" CS_BK_MANIFEST, dir->path,
		 m->parent);
	if (cs_bk_sha256_file(path, sha, NULL))
		return failed(out, cs_last_error()->err, "%s: %s", path,
			      cs_last_error()->why);
	if (strcmp(sha, m->parent_sha256))
		return failed(out, -EINVAL,
			      "the manifest of its parent %s changed since it was made",
			      m->parent);
	return 0;
}

int cs_bk_check_volume(const struct cs_bk_dir *dir,
		       const struct cs_bk_manifest *m,
		       const struct cs_bk_volume *v, struct cs_bk_check *out)
{
	const struct cs_bk_manifest *chain[CS_BK_CHAIN_MAX];
	char path[4096 + CS_DM_NAME_LEN], sha[CS_BK_SHA256_LEN];
	uint64_t size;
	int r;

	check_init(out, m->point, v->name);
	r = cs_bk_chain(dir, m, v->name, chain, CS_BK_CHAIN_MAX);
	if (r < 0)
		return failed(out, r, "%s", cs_last_error()->why);
	snprintf(path, sizeof(path), "%s/%s/%s", dir->path, m->point, v->file);
	r = cs_bk_sha256_file(path, sha, &size);
	if (r)
		return failed(out, r, "%s: %s", v->file, cs_last_error()->why);
	if (size != v->file_size)
		return failed(out, -EINVAL,
			      "%s: %llu bytes, the manifest says %llu", v->file,
			      (unsigned long long)size,
			      (unsigned long long)v->file_size);
	if (strcmp(sha, v->sha256))
		return failed(out, -EINVAL, "%s: checksum mismatch (SHA-256 %s, the manifest says %s)",
			      v->file, sha, v->sha256);
	return 0;
}

/* Check volume @volume in every point of @chain, and the parent link of
 * each point after the first. */
static int check_chain(const struct cs_bk_dir *dir,
		       const struct cs_bk_manifest *const *chain, int n,
		       const char *volume)
{
	struct cs_bk_check c;
	int i;

	for (i = 0; i < n; i++) {
		/* the full point at the start needs no parent */
		if (cs_bk_check_volume(dir, chain[i],
				       cs_bk_manifest_volume(chain[i], volume),
				       &c) ||
		    (i && cs_bk_check_parent(dir, chain[i], &c)))
			return cs_error_set(c.err == -ENOENT ? -ENOENT : -EINVAL,
					    c.point, "%s%s%s", c.volume,
					    c.volume[0] ? ": " : "", c.why);
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * The target
 * ---------------------------------------------------------------------- */

/**
 * struct target - where a restore writes
 * @path: its path
 * @fd: open for writing
 * @bdev: a block device
 * @made: a file this restore made (removed if it fails)
 */
struct target {
	const char *path;
	int fd;
	bool bdev;
	bool made;
};

static int open_bdev(struct target *t, uint64_t size)
{
	uint64_t bytes;

	t->bdev = true;
	t->fd = open(t->path, O_WRONLY | O_EXCL | O_CLOEXEC);
	if (t->fd < 0 && errno == EBUSY)
		return cs_error_set(-EBUSY, t->path,
				    "in use (mounted, or held by another device)");
	if (t->fd < 0)
		return cs_error_set(-errno, t->path, "%s", strerror(errno));
	if (ioctl(t->fd, BLKGETSIZE64, &bytes))
		return cs_error_set(-errno, t->path, "%s", strerror(errno));
	if (bytes < size)
		return cs_error_set(-EFBIG, t->path,
				    "holds %llu bytes; the volume needs %llu",
				    (unsigned long long)bytes,
				    (unsigned long long)size);
	return 0;
}

static int open_target(struct target *t, uint64_t size, bool force)
{
	struct stat st;

	if (!stat(t->path, &st) && S_ISBLK(st.st_mode))
		return open_bdev(t, size);
	if (!stat(t->path, &st) && !S_ISREG(st.st_mode))
		return cs_error_set(-EINVAL, t->path,
				    "neither a block device nor a file");
	if (!stat(t->path, &st) && st.st_size && !force)
		return cs_error_set(-EEXIST, t->path,
				    "exists and is not empty (--force overwrites it)");
	t->fd = open(t->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (t->fd >= 0)
		t->made = true;
	else if (errno == EEXIST)
		t->fd = open(t->path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (t->fd < 0)
		return cs_error_set(-errno, t->path, "%s", strerror(errno));
	if (ftruncate(t->fd, (off_t)size))
		return cs_error_set(-errno, t->path, "%s", strerror(errno));
	return 0;
}

/* ------------------------------------------------------------------------
 * Applying the points
 * ---------------------------------------------------------------------- */

/**
 * struct apply - copying data files into the target
 * @o: the options
 * @t: the target
 * @buf: COPY_LEN bytes
 * @done: bytes written
 * @total: bytes to write
 */
struct apply {
	const struct cs_bk_restore_opts *o;
	struct target *t;
	char *buf;
	uint64_t done;
	uint64_t total;
};

#define COPY_LEN	(1U << 20)

/* Write all of @buf at @off of the target; a full device is ENOSPC. */
static int write_all(struct apply *a, const char *buf, size_t len,
		     uint64_t off)
{
	ssize_t n;

	while (len) {
		n = pwrite(a->t->fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return cs_error_set(n ? -errno : -ENOSPC, a->t->path,
					    "write: %s",
					    strerror(n ? errno : ENOSPC));
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Copy @len bytes of @in from @from to the target at @to. */
static int copy_bytes(struct apply *a, int in, const char *name,
		      uint64_t from, uint64_t to, uint64_t len)
{
	ssize_t got;
	size_t n;
	int r;

	while (len) {
		if (a->o->stop && *a->o->stop)
			return cs_error_set(-EINTR, a->t->path, "interrupted");
		n = len < COPY_LEN ? (size_t)len : COPY_LEN;
		got = pread(in, a->buf, n, (off_t)from);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return cs_error_set(got ? -errno : -EIO, name, "read: %s",
					    got ? strerror(errno) : "short file");
		r = write_all(a, a->buf, (size_t)got, to);
		if (r)
			return r;
		from += (uint64_t)got;
		to += (uint64_t)got;
		len -= (uint64_t)got;
		a->done += (uint64_t)got;
		if (a->o->progress)
			a->o->progress(a->o->priv, a->done, a->total);
	}
	return 0;
}

/* Zero [@off, @off + @len) of a block device target. */
static int zero_bdev(struct apply *a, uint64_t off, uint64_t len)
{
	uint64_t range[2] = { off, len };

	if (!len || !ioctl(a->t->fd, BLKZEROOUT, range))
		return 0;
	memset(a->buf, 0, COPY_LEN);
	while (len) {
		size_t n = len < COPY_LEN ? (size_t)len : COPY_LEN;

		int r = write_all(a, a->buf, n, off);

		if (r)
			return r;
		off += n;
		len -= n;
	}
	return 0;
}

/* A full image: its data segments, up to the volume's @size; its holes
 * are zero (a made file is already, a device is zeroed). */
static int apply_full(struct apply *a, int in, const char *name,
		      uint64_t size)
{
	uint64_t data, hole = 0;
	off_t pos;
	int r;

	while (hole < size) {
		pos = lseek(in, (off_t)hole, SEEK_DATA);
		if (pos < 0 && errno != ENXIO)
			return cs_error_set(-errno, name, "%s", strerror(errno));
		data = pos < 0 || (uint64_t)pos > size ? size : (uint64_t)pos;
		if (a->t->bdev) {
			r = zero_bdev(a, hole, data - hole);
			if (r)
				return r;
		}
		a->done += data - hole;		/* holes count as done */
		if (data == size)
			break;
		pos = lseek(in, (off_t)data, SEEK_HOLE);
		if (pos < 0)
			return cs_error_set(-errno, name, "%s", strerror(errno));
		hole = (uint64_t)pos > size ? size : (uint64_t)pos;
		r = copy_bytes(a, in, name, data, data, hole - data);
		if (r)
			return r;
	}
	if (a->o->progress)
		a->o->progress(a->o->priv, a->done, a->total);
	return 0;
}

static int apply_point(struct apply *a, const struct cs_bk_manifest *m,
		       const struct cs_bk_volume *v)
{
	char path[4096 + CS_DM_NAME_LEN];
	uint64_t from = 0;
	size_t i;
	int in, r = 0;

	snprintf(path, sizeof(path), "%s/%s/%s", a->o->dir, m->point, v->file);
	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return cs_error_set(-errno, path, "%s", strerror(errno));
	if (v->full)
		r = apply_full(a, in, path, v->size);
	for (i = 0; !v->full && !r && i < v->nr_ranges; i++) {
		r = copy_bytes(a, in, path, from, v->ranges[i].offset,
			       v->ranges[i].length);
		from += v->ranges[i].length;
	}
	close(in);
	return r;
}

static int apply_chain(const struct cs_bk_restore_opts *o, struct target *t,
		       const struct cs_bk_manifest *const *chain, int n,
		       struct cs_bk_restored *res)
{
	struct apply a = { .o = o, .t = t };
	int i, r = 0;

	a.buf = malloc(COPY_LEN);
	if (!a.buf)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		a.total += cs_bk_manifest_volume(chain[i], res->volume)->file_size;
	for (i = 0; !r && i < n; i++)
		r = apply_point(&a, chain[i],
				cs_bk_manifest_volume(chain[i], res->volume));
	if (!r && fsync(t->fd))
		r = cs_error_set(-errno, t->path, "%s", strerror(errno));
	res->bytes_written = a.done;
	free(a.buf);
	return r;
}

/* ------------------------------------------------------------------------
 * Restore
 * ---------------------------------------------------------------------- */

static int pick_volume(const struct cs_bk_manifest *m, const char *volume,
		       struct cs_bk_restored *res)
{
	if (!volume && m->nr > 1)
		return cs_error_set(-EINVAL, m->point,
				    "holds %u volumes: say which with --volume",
				    m->nr);
	if (!volume)
		volume = m->vols[0].name;
	if (!cs_bk_manifest_volume(m, volume))
		return cs_error_set(-ENOENT, m->point, "no volume '%s' in it",
				    volume);
	snprintf(res->volume, sizeof(res->volume), "%s", volume);
	res->size = cs_bk_manifest_volume(m, volume)->size;
	return 0;
}

static int restore_chain(const struct cs_bk_restore_opts *o,
			 const struct cs_bk_dir *dir,
			 const struct cs_bk_manifest *at,
			 struct cs_bk_restored *res)
{
	const struct cs_bk_manifest *chain[CS_BK_CHAIN_MAX];
	struct target t = { .path = o->target, .fd = -1 };
	int n, i, r;

	r = pick_volume(at, o->volume, res);
	if (r)
		return r;
	n = cs_bk_chain(dir, at, res->volume, chain, CS_BK_CHAIN_MAX);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++)
		snprintf(res->chain[i], sizeof(res->chain[i]), "%s",
			 chain[i]->point);
	res->nr = (unsigned int)n;
	r = check_chain(dir, chain, n, res->volume);
	if (!r)
		r = open_target(&t, res->size, o->force);
	if (!r)
		r = apply_chain(o, &t, chain, n, res);
	if (t.fd >= 0)
		close(t.fd);
	if (r && t.made)
		unlink(t.path);
	return r;
}

int cs_bk_restore(const struct cs_bk_restore_opts *o,
		  struct cs_bk_restored *res)
{
	const struct cs_bk_manifest *at;
	struct cs_bk_dir dir;
	int r;

	memset(res, 0, sizeof(*res));
	r = cs_bk_dir_read(o->dir, &dir, false);
	if (r)
		return r;
	at = cs_bk_dir_find(&dir, o->at);
	r = at ? restore_chain(o, &dir, at, res) : cs_last_error()->err;
	cs_bk_dir_free(&dir);
	return r;
}
