// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: the store of a snapshot set: its segments and its dm device
 * (see store.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/fs.h>

#include "loop.h"
#include "names.h"
#include "stack-priv.h"
#include "store.h"

#define DELETED_SUFFIX		" (deleted)"
#define CHECK_DEPTH		8

/* ------------------------------------------------------------------------
 * Reading the segments back
 * ---------------------------------------------------------------------- */

static int describe(const struct cs_target *tg, struct cs_segment *seg)
{
	char kname[CS_DM_NAME_LEN];
	unsigned int ma, mi;
	size_t len;
	int n = 0, r;

	memset(seg, 0, sizeof(*seg));
	if (strcmp(tg->type, "linear") ||
	    sscanf(tg->params, "%u:%u %" SCNu64 "%n", &ma, &mi, &seg->offset,
		   &n) != 3 || tg->params[n])
		return -EINVAL;
	seg->start = tg->start;
	seg->sectors = tg->length;
	seg->dev = (struct cs_devno){ ma, mi };
	if (cs_dev_kernel_name(seg->dev, kname, sizeof(kname)))
		snprintf(kname, sizeof(kname), "%u:%u", ma, mi);
	snprintf(seg->path, sizeof(seg->path), "/dev/%s", kname);
	r = cs_loop_backing(seg->dev, seg->backing, sizeof(seg->backing));
	if (r < 0)
		return r;
	seg->kind = CS_SEG_BLOCK;
	/* A loop given as a block device is one; ours clear themselves. */
	if (r && cs_loop_autoclear(seg->dev)) {
		len = strlen(seg->backing);
		seg->kind = CS_SEG_FILE;
		if (len > strlen(DELETED_SUFFIX) &&
		    !strcmp(seg->backing + len - strlen(DELETED_SUFFIX),
			    DELETED_SUFFIX))
			seg->kind = CS_SEG_TMPFILE;
	}
	return 0;
}

int cs_store_segments(const struct cs_table *t, struct cs_segment **segs)
{
	struct cs_segment *s;
	unsigned int i;
	int r;

	s = calloc(t->nr ? t->nr : 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (i = 0; i < t->nr; i++) {
		r = describe(&t->targets[i], &s[i]);
		if (r) {
			free(s);
			return r;
		}
	}
	*segs = s;
	return (int)t->nr;
}

void cs_segment_dir(const struct cs_segment *seg, char *buf)
{
	char copy[PATH_MAX];
	size_t len;

	snprintf(copy, sizeof(copy), "%s", seg->backing);
	len = strlen(copy);
	if (len > strlen(DELETED_SUFFIX))
		copy[len - strlen(DELETED_SUFFIX)] = '\0';
	snprintf(buf, PATH_MAX, "%s", dirname(copy));
}

/* ------------------------------------------------------------------------
 * Devices a store must not lie on
 * ---------------------------------------------------------------------- */

void cs_devset_add(struct cs_devset *s, struct cs_devno dev,
		   const char *owner)
{
	if (s->nr == CS_DEVSET_MAX)
		return;
	s->dev[s->nr] = dev;
	snprintf(s->owner[s->nr], CS_DM_NAME_LEN, "%s", owner);
	s->nr++;
}

void cs_devset_add_volume(struct cs_devset *s, const struct cs_volume *vol)
{
	const struct cs_layer *l;
	unsigned int i, k;

	for (i = 0; i < vol->nr_layers; i++) {
		l = &vol->layers[i];
		cs_devset_add(s, l->info.dev, vol->name);
		for (k = 0; k < l->nr_deps; k++)
			cs_devset_add(s, l->deps[k], vol->name);
	}
}

/* The whole disk of a partition; Return: 1 and @parent, or 0. */
static int partition_parent(struct cs_devno dev, struct cs_devno *parent)
{
	char path[96];
	unsigned int ma, mi;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition",
		 dev.major, dev.minor);
	if (access(path, F_OK))
		return 0;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../dev",
		 dev.major, dev.minor);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fscanf(f, "%u:%u", &ma, &mi);
	fclose(f);
	if (n != 2)
		return 0;
	*parent = (struct cs_devno){ ma, mi };
	return 1;
}

static int check_on(const struct cs_devset *f, struct cs_devno dev,
		    const char *path, unsigned int depth);

/* What @dev lies on: a dm device's deps, a loop's filesystem, a disk. */
static int check_below(const struct cs_devset *f, struct cs_devno dev,
		       const char *path, unsigned int depth)
{
	char kname[CS_DM_NAME_LEN], node[CS_DM_NAME_LEN + 8], file[16];
	struct cs_dm_info info;
	struct cs_devno *deps, below;
	unsigned int nr, i;
	int r = 0;

	if (cs_dm_is_dm(dev)) {
		if (cs_dm_info_devno(dev, &info) || !info.exists ||
		    cs_dm_deps(info.name, &deps, &nr))
			return 0;
		for (i = 0; i < nr && !r; i++)
			r = check_on(f, deps[i], path, depth + 1);
		free(deps);
		return r;
	}
	if (partition_parent(dev, &below))
		return check_on(f, below, path, depth + 1);
	if (cs_loop_backing(dev, file, sizeof(file)) != 1 ||
	    cs_dev_kernel_name(dev, kname, sizeof(kname)))
		return 0;
	snprintf(node, sizeof(node), "/dev/%s", kname);
	if (cs_loop_backing_fs(node, &below))
		return 0;
	return check_on(f, below, path, depth + 1);
}

static int check_on(const struct cs_devset *f, struct cs_devno dev,
		    const char *path, unsigned int depth)
{
	unsigned int i;

	if (!f)
		return 0;
	for (i = 0; i < f->nr; i++)
		if (f->dev[i].major == dev.major &&
		    f->dev[i].minor == dev.minor)
			return cs_error_set(-EINVAL, path,
					    "lies on %s, a volume of the snapshot set; put the store elsewhere",
					    f->owner[i]);
	if (depth >= CHECK_DEPTH)
		return 0;
	return check_below(f, dev, path, depth);
}

static int check_on_fs(const struct cs_devset *f, const struct stat *st,
		       const char *path)
{
	struct cs_devno dev = { major(st->st_dev), minor(st->st_dev) };

	return check_on(f, dev, path, 0);
}

/* ------------------------------------------------------------------------
 * New segments
 * ---------------------------------------------------------------------- */

/* Make bytes [@from, @from + @len) of @fd real; sparse if need be. */
static int allocate(int fd, uint64_t from, uint64_t len, const char *path)
{
	if (!len || !fallocate(fd, 0, (off_t)from, (off_t)len))
		return 0;
	if (errno == EOPNOTSUPP &&
	    !ftruncate(fd, (off_t)(from + len))) {
		cs_log(1, "%s: no fallocate here; the file is sparse", path);
		return 0;
	}
	if (errno == ENOSPC)
		return cs_error_set(-ENOSPC, path,
				    "no space for %" PRIu64 " more bytes",
				    len);
	return cs_error_set(-errno, path, "cannot allocate: %s",
			    strerror(errno));
}

/* Attach a loop to @fd (closed here) and fill @n with it. */
static int attach_file(int fd, const char *name, enum cs_seg_kind kind,
		       struct cs_seg_new *n)
{
	struct cs_segment *seg = &n->seg;
	int lfd;

	lfd = cs_loop_attach(fd, name, &seg->dev, seg->path, &seg->sectors);
	close(fd);		/* the loop holds the file now */
	if (lfd < 0)
		return lfd;
	n->loop_fd = lfd;
	seg->kind = kind;
	if (cs_loop_backing(seg->dev, seg->backing, sizeof(seg->backing)) <= 0)
		snprintf(seg->backing, sizeof(seg->backing), "%s", name);
	if (!seg->sectors) {
		cs_seg_abort(n);
		return cs_error_set(-EINVAL, name, "is empty");
	}
	return 0;
}

static int open_tmpfile(const char *dir, const struct stat *st,
			uint64_t bytes, const struct cs_devset *forbid,
			struct cs_seg_new *n)
{
	char name[PATH_MAX];
	int fd, r;

	r = check_on_fs(forbid, st, dir);
	if (r)
		return r;
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR))
		return cs_error_set(-EOPNOTSUPP, dir,
				    "its filesystem cannot make unnamed files (O_TMPFILE); give a file instead");
	if (fd < 0)
		return cs_error_set(-errno, dir, "cannot make a file: %s",
				    strerror(errno));
	r = allocate(fd, 0, bytes, dir);
	if (r) {
		close(fd);
		return r;
	}
	snprintf(name, sizeof(name), "%s (unnamed)", dir);
	return attach_file(fd, name, CS_SEG_TMPFILE, n);
}

/* An existing regular file, grown to @bytes if smaller. */
static int open_file(const char *path, uint64_t bytes,
		     const struct cs_devset *forbid, struct cs_seg_new *n)
{
	struct stat st;
	int fd, r;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return cs_error_set(-errno, path, "cannot open: %s",
				    strerror(errno));
	if (fstat(fd, &st))
		r = cs_error_set(-errno, path, "%s", strerror(errno));
	else
		r = check_on_fs(forbid, &st, path);
	if (!r && (uint64_t)st.st_size < bytes)
		r = allocate(fd, (uint64_t)st.st_size,
			     bytes - (uint64_t)st.st_size, path);
	if (r) {
		close(fd);
		return r;
	}
	return attach_file(fd, path, CS_SEG_FILE, n);
}

static int open_new_file(const char *path, uint64_t bytes,
			 const struct cs_devset *forbid, struct cs_seg_new *n)
{
	char copy[PATH_MAX];
	struct stat st;
	int fd, r;

	snprintf(copy, sizeof(copy), "%s", path);
	if (stat(dirname(copy), &st))
		return cs_error_set(-ENOENT, path, "no such file or directory");
	r = check_on_fs(forbid, &st, path);
	if (r)
		return r;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return cs_error_set(-errno, path, "cannot create: %s",
				    strerror(errno));
	snprintf(n->created, sizeof(n->created), "%s", path);
	r = allocate(fd, 0, bytes, path);
	if (r) {
		close(fd);
		unlink(path);
		n->created[0] = '\0';
		return r;
	}
	r = attach_file(fd, path, CS_SEG_FILE, n);
	if (r && n->created[0]) {
		unlink(path);
		n->created[0] = '\0';
	}
	return r;
}

static int open_block(const char *path, const struct stat *st,
		      const struct cs_devset *forbid, struct cs_seg_new *n)
{
	struct cs_segment *seg = &n->seg;
	char kname[CS_DM_NAME_LEN];
	uint64_t bytes;
	int fd, r = 0;

	seg->dev = (struct cs_devno){ major(st->st_rdev), minor(st->st_rdev) };
	r = check_on(forbid, seg->dev, path, 0);
	if (r)
		return r;
	fd = open(path, O_RDWR | O_EXCL | O_CLOEXEC);
	if (fd < 0 && errno == EBUSY)
		return cs_error_set(-EBUSY, path,
				    "in use (mounted, or held by another device)");
	if (fd < 0)
		return cs_error_set(-errno, path, "cannot open: %s",
				    strerror(errno));
	if (ioctl(fd, BLKGETSIZE64, &bytes))
		r = cs_error_set(-errno, path, "cannot read size: %s",
				 strerror(errno));
	close(fd);
	if (r)
		return r;
	seg->kind = CS_SEG_BLOCK;
	seg->sectors = bytes >> 9;
	if (cs_dev_kernel_name(seg->dev, kname, sizeof(kname)))
		snprintf(seg->path, sizeof(seg->path), "%s", path);
	else
		snprintf(seg->path, sizeof(seg->path), "/dev/%s", kname);
	return seg->sectors ? 0 : cs_error_set(-EINVAL, path, "is empty");
}

int cs_seg_open(const char *path, uint64_t bytes,
		const struct cs_devset *forbid, struct cs_seg_new *n)
{
	struct stat st;

	memset(n, 0, sizeof(*n));
	n->loop_fd = -1;
	if (stat(path, &st)) {
		if (errno == ENOENT)
			return open_new_file(path, bytes, forbid, n);
		return cs_error_set(-errno, path, "%s", strerror(errno));
	}
	if (S_ISBLK(st.st_mode))
		return open_block(path, &st, forbid, n);
	if (S_ISREG(st.st_mode))
		return open_file(path, bytes, forbid, n);
	if (S_ISDIR(st.st_mode))
		return open_tmpfile(path, &st, bytes, forbid, n);
	return cs_error_set(-EINVAL, path,
			    "not a block device, regular file or directory");
}

void cs_seg_held(struct cs_seg_new *n)
{
	if (n->loop_fd >= 0)
		close(n->loop_fd);
	n->loop_fd = -1;
}

void cs_seg_keep(struct cs_seg_new *n)
{
	cs_seg_held(n);
	n->created[0] = '\0';
}

void cs_seg_abort(struct cs_seg_new *n)
{
	if (n->loop_fd >= 0)
		close(n->loop_fd);
	n->loop_fd = -1;
	if (n->created[0])
		unlink(n->created);
	n->created[0] = '\0';
}

int cs_seg_grow_file(struct cs_segment *seg, uint64_t bytes)
{
	uint64_t sectors;
	struct stat st;
	int fd, r;

	fd = open(seg->backing, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return cs_error_set(-errno, seg->backing, "cannot open: %s",
				    strerror(errno));
	if (fstat(fd, &st))
		r = cs_error_set(-errno, seg->backing, "%s", strerror(errno));
	else
		r = allocate(fd, (uint64_t)st.st_size, bytes, seg->backing);
	close(fd);
	if (!r)
		r = cs_loop_set_capacity(seg->path, &sectors);
	if (r)
		return r;
	if (sectors <= seg->offset + seg->sectors)
		return cs_error_set(-EIO, seg->path, "did not grow");
	seg->sectors = sectors - seg->offset;
	return 0;
}

/* ------------------------------------------------------------------------
 * The store's dm device
 * ---------------------------------------------------------------------- */

int cs_store_table(struct cs_segment *segs, unsigned int nr,
		   struct cs_table *t)
{
	uint64_t start = 0;
	char params[64];
	unsigned int i;
	int r;

	for (i = 0; i < nr; i++) {
		segs[i].start = start;
		snprintf(params, sizeof(params), "%u:%u %" PRIu64,
			 segs[i].dev.major, segs[i].dev.minor, segs[i].offset);
		r = cs_table_add(t, start, segs[i].sectors, "linear", params);
		if (r) {
			cs_table_free(t);
			return r;
		}
		start += segs[i].sectors;
	}
	return 0;
}

int cs_store_create(const char *id, struct cs_segment *seg,
		    struct cs_dm_info *info)
{
	char name[CS_DM_NAME_LEN], uuid[CS_DM_UUID_LEN];
	struct cs_table t = { 0 };
	int r;

	r = cs_store_names(id, name, uuid);
	if (r)
		return cs_error_set(r, id, "invalid snapshot set ID");
	r = cs_dm_info(name, info);
	if (!r && info->exists)
		return cs_error_set(-EEXIST, name, "already exists");
	r = cs_store_table(seg, 1, &t);
	if (r)
		return cs_error_set(r, name, "%s", strerror(-r));
	cs_log(1, "%s: creating over %s", name, seg->path);
	r = cs_dm_create(name, uuid, &t, CS_DM_HIDDEN);
	cs_table_free(&t);
	if (r)
		return cs_error_set(r, name, "cannot create: %s",
				    strerror(-r));
	r = cs_dm_info(name, info);
	if (!r && !info->exists)
		r = -ENXIO;
	if (r) {
		cs_error_set(r, name, "cannot read new device: %s",
			     strerror(-r));
		(void)cs_dm_remove(name, CS_DM_HIDDEN);
	}
	return r;
}

int cs_store_reload(const char *name, const struct cs_table *old,
		    const struct cs_table *new)
{
	return cs_stack_replace_table(name, true, old, new, false);
}
