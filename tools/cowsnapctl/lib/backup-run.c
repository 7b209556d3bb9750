// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: the backup job.  Lock, snapshot, copy, manifest, rename,
 * destroy: the snapshot set goes away on every path, and a point becomes
 * complete only by the final rename.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "stack.h"

/** BACKUP_SET_PREFIX - the IDs of the snapshot sets a backup takes */
#define BACKUP_SET_PREFIX	"backup-"

/**
 * struct run - one backup job
 * @o: its options
 * @res: its result (the manifest being made)
 * @dir: the points already in the directory
 * @dir_lock: fd holding the directory's lock, or -1
 * @dir_lock_made: this run made the lock file: a failed run removes it
 * @vol_lock: fds holding the volumes' locks, or -1
 * @made: the snapshot set, once @have_set
 * @have_set: @made exists and must be destroyed
 * @partial: path of the point being written, once @have_partial
 * @have_partial: @partial exists and must be removed unless renamed
 * @made_dir: this run made the directory: a failed run removes it again
 *	when nothing else is in it
 * @cbt: each volume's tracker, if @has_cbt
 * @has_cbt: the volume has a tracker that was checkpointed
 * @total: bytes to copy in all
 * @done: bytes copied so far
 */
struct run {
	const struct cs_bk_opts *o;
	struct cs_bk_result *res;
	struct cs_bk_dir dir;
	int dir_lock;
	bool dir_lock_made;
	int vol_lock[COWSNAP_MEMBERS_MAX];
	struct cs_snap_made made;
	bool have_set;
	char partial[4096];
	bool have_partial;
	bool made_dir;
	struct cs_cbt cbt[COWSNAP_MEMBERS_MAX];
	bool has_cbt[COWSNAP_MEMBERS_MAX];
	uint64_t total;
	uint64_t done;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void warn(const struct run *run, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!run->o->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	run->o->warn(run->o->priv, "%s", buf);
}

/* ------------------------------------------------------------------------
 * Locks and leftovers
 * ---------------------------------------------------------------------- */

/*
 * Whether @fd is still the file @path names: a failed run may unlink a
 * lock file it made (holding the lock), so a run that got the lock of an
 * unlinked file must open the path again.
 */
static bool still_named(int fd, const char *path)
{
	struct stat a, b;

	return !fstat(fd, &a) && !stat(path, &b) && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/*
 * Lock @path (made if missing, then *@created is set) for this run; its
 * content is our pid.
 */
static int lock_file(const char *path, const char *what, int *fdp,
		     bool *created)
{
	char pid[32] = "";
	unsigned int tries;
	ssize_t n;
	int fd, err;

	for (tries = 0; tries < 10; tries++) {
		*created = false;
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
			  O_NOFOLLOW, 0600);
		if (fd >= 0)
			*created = true;
		else if (errno == EEXIST)
			fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 && errno == ENOENT)
			continue;	/* unlinked between the two opens */
		if (fd < 0)
			return cs_error_set(-errno, path, "lock: %s",
					    strerror(errno));
		if (flock(fd, LOCK_EX | LOCK_NB))
			break;
		if (still_named(fd, path)) {
			n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
			if (ftruncate(fd, 0) ||
			    pwrite(fd, pid, (size_t)n, 0) != n)
				cs_log(1, "%s: could not write our pid", path);
			*fdp = fd;
			return 0;
		}
		close(fd);		/* a failed run unlinked it: again */
	}
	if (tries == 10)
		return cs_error_set(-EAGAIN, path, "lock: the file keeps going");
	err = errno;
	n = pread(fd, pid, sizeof(pid) - 1, 0);
	pid[n > 0 ? n : 0] = 0;
	pid[strcspn(pid, "\n")] = 0;
	close(fd);
	if (err != EWOULDBLOCK)
		return cs_error_set(-err, path, "lock: %s", strerror(err));
	return cs_error_set(-EALREADY, what,
			    "a backup of it is already running%s%s%s",
			    pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
}

static int lock_all(struct run *run, char *const *vols, unsigned int nr)
{
	char path[4096];
	unsigned int i;
	bool made;	/* volume locks stay in CS_BK_LOCK_DIR */
	int r;

	snprintf(path, sizeof(path), "%s/.lock", run->o->dir);
	r = lock_file(path, run->o->dir, &run->dir_lock, &run->dir_lock_made);
	if (r)
		return r;
	if (mkdir(CS_BK_LOCK_DIR, 0700) && errno != EEXIST)
		return cs_error_set(-errno, CS_BK_LOCK_DIR, "%s", strerror(errno));
	for (i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), CS_BK_LOCK_DIR "/backup-%s.lock",
			 vols[i]);
		r = lock_file(path, vols[i], &run->vol_lock[i], &made);
		if (r)
			return r;
	}
	return 0;
}

static void unlock_all(struct run *run)
{
	unsigned int i;

	for (i = 0; i < COWSNAP_MEMBERS_MAX; i++)
		if (run->vol_lock[i] >= 0)
			close(run->vol_lock[i]);
	if (run->dir_lock >= 0)
		close(run->dir_lock);
}

/* Remove a point directory (it holds only files). */
static int remove_point_dir(const char *path)
{
	char file[4096];
	struct dirent *de;
	DIR *d;
	int r = 0;

	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		if (unlink(file) && !r)
			r = -errno;
	}
	closedir(d);
	if (rmdir(path) && !r)
		r = -errno;
	return r;
}

/* Points a crash left partial, and snapshot sets a killed run left. */
static int remove_leftovers(struct run *run, char *const *vols,
			    unsigned int nr)
{
	struct cs_snap_set *sets;
	char path[4096];
	unsigned int i, k, v;
	int n, r;

	for (i = 0; i < run->dir.nr_partial; i++) {
		snprintf(path, sizeof(path), "%s/%s", run->o->dir,
			 run->dir.partial[i]);
		warn(run, "%s: removing a backup a crash left incomplete", path);
		r = remove_point_dir(path);
		if (r)
			return cs_error_set(r, path, "%s", strerror(-r));
	}
	n = cs_snap_list(&sets);
	if (n < 0)
		return n;
	for (i = 0, r = 0; i < (unsigned int)n && !r; i++) {
		if (strncmp(sets[i].id, BACKUP_SET_PREFIX,
			    strlen(BACKUP_SET_PREFIX)))
			continue;
		for (k = 0; k < sets[i].nr_members; k++)
			for (v = 0; v < nr; v++)
				if (!strcmp(sets[i].members[k].volume, vols[v]))
					goto stale;
		continue;
stale:
		warn(run, "%s: removing snapshot set %s left by a backup that was killed",
		     vols[v], sets[i].id);
		r = cs_snap_destroy(sets[i].id, true);
	}
	cs_snap_sets_free(sets, n);
	return r;
}

/* ------------------------------------------------------------------------
 * What to copy of each volume
 * ---------------------------------------------------------------------- */

static int read_volume(const char *name, struct cs_bk_volume *v)
{
	struct cs_volume *vol;
	int r;

	r = cs_volume_open(name, &vol);
	if (r)
		return r;
	snprintf(v->name, sizeof(v->name), "%s", name);
	snprintf(v->uuid, sizeof(v->uuid), "%s", vol->vuuid);
	v->size = vol->size * 512;
	v->block_size = CS_BK_BLOCK_DEFAULT;
	cs_volume_free(vol);
	return 0;
}

/* The tracker of volume @i, checkpointed by the snapshot: its frozen
 * generation and number into the manifest. */
static int read_tracker(struct run *run, unsigned int i,
			struct cs_cbt_info *info)
{
	struct cs_bk_volume *v = &run->res->m.vols[i];
	int r;

	if (!run->made.cbt_frozen[i])
		return 0;
	r = cs_cbt_open(v->name, &run->cbt[i]);
	if (!r)
		r = cs_cbt_get_info(&run->cbt[i], info);
	if (r)
		return r;
	if (info->frozen != run->made.cbt_frozen[i])
		return cs_error_set(-EAGAIN, v->name,
				    "a change-tracking checkpoint was taken during the backup; run it again");
	run->has_cbt[i] = true;
	v->block_size = info->block_size;
	snprintf(v->generation, sizeof(v->generation), "%s",
		 info->frozen_generation);
	v->change_number = info->frozen;
	return 0;
}

/* Can @last's chain of @name take one more point?  If not, say why. */
static bool chain_full(const struct run *run, const struct cs_bk_manifest *last,
		       const char *name, char *buf, size_t size)
{
	const struct cs_bk_manifest *chain[CS_BK_CHAIN_MAX];
	int n;

	n = cs_bk_chain(&run->dir, last, name, chain, CS_BK_CHAIN_MAX);
	if (n < 0)
		snprintf(buf, size, "the backups it would build on are broken (%.160s)",
			 cs_last_error()->why);
	else if (n == CS_BK_CHAIN_MAX)
		snprintf(buf, size, "%d backups since the last full one",
			 CS_BK_CHAIN_MAX);
	return n < 0 || n == CS_BK_CHAIN_MAX;
}

/* Why volume @i cannot be incremental on @prev; NULL if it can. */
static const char *why_full(const struct run *run, unsigned int i,
			    const struct cs_bk_manifest *last,
			    const struct cs_bk_volume *prev, char *buf,
			    size_t size)
{
	const struct cs_bk_volume *v = &run->res->m.vols[i];

	if (run->o->mode == CS_BK_FULL)
		return "";
	if (!last)
		return run->o->mode == CS_BK_INCREMENTAL ?
		       "no earlier backup in the directory" : "";
	if (!prev)
		snprintf(buf, size, "not in the last backup %s", last->point);
	else if (!run->has_cbt[i])
		snprintf(buf, size, "no change tracking (cowsnapctl cbt enable %s)",
			 v->name);
	else if (strcmp(prev->uuid, v->uuid))
		snprintf(buf, size, "the volume was re-created since backup %s",
			 last->point);
	else if (prev->size != v->size)
		snprintf(buf, size, "the volume's size changed since backup %s",
			 last->point);
	else if (!prev->change_number)
		snprintf(buf, size, "the last backup %s was made without change tracking",
			 last->point);
	else if (strcmp(prev->generation, v->generation))
		snprintf(buf, size, "the change-tracking generation changed since backup %s (tracker reset or re-created, reboot, or 255 checkpoints)",
			 last->point);
	else if (chain_full(run, last, v->name, buf, size))
		;
	else
		return NULL;
	return buf;
}

static int changed_ranges(struct run *run, unsigned int i, unsigned int since,
			  const struct cs_cbt_info *info)
{
	struct cs_bk_volume *v = &run->res->m.vols[i];
	struct cs_cbt_ranges rs = { 0 };
	struct cs_cbt_info after;
	uint64_t off, len;
	size_t k;
	int r;

	r = cs_cbt_changes(&run->cbt[i], since, &after, &rs);
	if (!r && (after.frozen != info->frozen ||
		   strcmp(after.frozen_generation, info->frozen_generation)))
		r = cs_error_set(-EAGAIN, v->name,
				 "a change-tracking checkpoint was taken during the backup; run it again");
	v->ranges = calloc(rs.nr ? rs.nr : 1, sizeof(*v->ranges));
	if (!r && !v->ranges)
		r = -ENOMEM;
	for (k = 0; !r && k < rs.nr; k++) {
		cs_cbt_range_bytes(&rs.r[k], info->block_size, info->capacity,
				   &off, &len);
		if (len > v->size || off > v->size - len)
			len = off < v->size ? v->size - off : 0;
		if (!len)
			continue;
		v->ranges[v->nr_ranges].offset = off;
		v->ranges[v->nr_ranges++].length = len;
		v->file_size += len;
	}
	cs_cbt_ranges_free(&rs);
	return r;
}

static int plan_volume(struct run *run, unsigned int i)
{
	const struct cs_bk_manifest *last = run->dir.nr ?
		&run->dir.points[run->dir.nr - 1] : NULL;
	struct cs_bk_volume *v = &run->res->m.vols[i];
	const struct cs_bk_volume *prev;
	struct cs_cbt_info info;
	char buf[256];
	const char *why;
	int r;

	r = read_tracker(run, i, &info);
	if (r)
		return r;
	prev = last ? cs_bk_manifest_volume(last, v->name) : NULL;
	why = why_full(run, i, last, prev, buf, sizeof(buf));
	if (!why) {
		v->full = false;
		v->since = prev->change_number;
		snprintf(v->base, sizeof(v->base), "%s", last->point);
		strcat(strcpy(v->file, v->name), ".delta");
		return changed_ranges(run, i, v->since, &info);
	}
	if (why[0]) {
		warn(run, "%s: %s: taking a full backup", v->name, why);
		snprintf(run->res->reason[i], sizeof(run->res->reason[i]), "%s",
			 why);
	}
	v->full = true;
	strcat(strcpy(v->file, v->name), ".img");
	v->ranges = calloc(1, sizeof(*v->ranges));
	if (!v->ranges)
		return -ENOMEM;
	v->nr_ranges = 1;
	v->ranges[0].length = v->size;
	v->file_size = v->size;
	return 0;
}

/* ------------------------------------------------------------------------
 * Copying
 * ---------------------------------------------------------------------- */

/* Reading the image failed, or the set is found corrupted at the end: did
 * the set overflow?  Return: -EOVERFLOW, or the error recorded before. */
static int image_failed(struct run *run, unsigned int i)
{
	const struct cs_error e = *cs_last_error();
	const char *vol = run->res->m.vols[i].name;
	struct cs_snap_info info;

	if (cs_snap_get_info(run->made.image[i], &info) || !info.corrupted)
		return cs_error_set(e.err, e.dev, "%s", e.why);
	if (info.error == ENOSPC)
		return cs_error_set(-EOVERFLOW, vol,
				    "snapshot set %s overflowed while copying (store full): no backup was made; the volume is intact. Give the snapshot more room with --store-size or --store-limit",
				    run->made.id);
	return cs_error_set(-EIO, vol,
			    "snapshot set %s failed while copying (%s): no backup was made; the volume is intact",
			    run->made.id, strerror((int)info.error));
}

static int open_image(const char *image)
{
	char path[CS_DM_NAME_LEN + 16];
	int fd;

	snprintf(path, sizeof(path), "/dev/mapper/%s", image);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_DIRECT);
	if (fd < 0 && errno == EINVAL)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cs_error_set(-errno, path, "%s", strerror(errno));
	return fd;
}

static int copy_volume(struct run *run, unsigned int i)
{
	struct cs_bk_volume *v = &run->res->m.vols[i];
	char path[4096 + CS_DM_NAME_LEN];
	struct cs_bk_copy c = {
		.in_name = run->made.image[i], .out_name = path,
		.packed = !v->full, .stop = run->o->stop,
		.progress = run->o->progress, .priv = run->o->priv,
		.done = run->done, .total = run->total,
	};
	int r;

	snprintf(path, sizeof(path), "%s/%s", run->partial, v->file);
	c.in = open_image(run->made.image[i]);
	if (c.in < 0)
		return c.in;
	c.out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (c.out < 0)
		r = cs_error_set(-errno, path, "%s", strerror(errno));
	else if (v->full && ftruncate(c.out, (off_t)v->size))
		r = cs_error_set(-errno, path, "%s", strerror(errno));
	else
		r = cs_bk_copy_ranges(&c, v->ranges, v->nr_ranges);
	if (r && c.read_failed)
		r = image_failed(run, i);
	if (r == -EINTR)
		r = cs_error_set(-EINTR, v->name, "interrupted: no backup was made");
	if (!r && fsync(c.out))
		r = cs_error_set(-errno, path, "%s", strerror(errno));
	cs_bk_copy_finish(&c, r ? NULL : v->sha256);
	v->bytes_copied = c.done - run->done;
	run->done = c.done;
	if (c.out >= 0)
		close(c.out);
	close(c.in);
	return r;
}

/* Every image read before the set failed was right; fail all the same,
 * so that a backup is only complete when the whole set held. */
static int check_set(struct run *run)
{
	struct cs_snap_info info;
	int r;

	r = cs_snap_get_info(run->made.image[0], &info);
	if (r || !info.corrupted)
		return r;
	cs_error_set(-EIO, run->res->m.vols[0].name,
		     "snapshot set %s failed during the backup", run->made.id);
	return image_failed(run, 0);
}

/* ------------------------------------------------------------------------
 * The point
 * ---------------------------------------------------------------------- */

static int fsync_path(const char *path)
{
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd))
		r = cs_error_set(-errno, path, "%s", strerror(errno));
	if (fd >= 0)
		close(fd);
	return r;
}

static int link_parent(struct run *run)
{
	struct cs_bk_manifest *m = &run->res->m;
	const struct cs_bk_manifest *last;
	char path[4096];

	if (!run->dir.nr)
		return 0;
	last = &run->dir.points[run->dir.nr - 1];
	snprintf(m->parent, sizeof(m->parent), "%s", last->point);
	snprintf(path, sizeof(path), "%s/%s/" CS_BK_MANIFEST, run->o->dir,
		 last->point);
	return cs_bk_sha256_file(path, m->parent_sha256, NULL);
}

static int make_partial(struct run *run)
{
	struct cs_bk_manifest *m = &run->res->m;

	m->sequence = run->dir.last_sequence + 1;
	m->started = time(NULL);
	cs_bk_point_name(m->sequence, m->started, m->point);
	snprintf(run->partial, sizeof(run->partial), "%s/%s" CS_BK_PARTIAL,
		 run->o->dir, m->point);
	if (mkdir(run->partial, 0700))
		return cs_error_set(-errno, run->partial, "%s", strerror(errno));
	run->have_partial = true;
	return link_parent(run);
}

static int write_manifest(struct run *run)
{
	char path[4096 + 32];
	FILE *f = NULL;
	int fd, r;

	snprintf(path, sizeof(path), "%s/" CS_BK_MANIFEST, run->partial);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return cs_error_set(r, path, "%s", strerror(-r));
	}
	run->res->m.finished = time(NULL);
	r = cs_bk_manifest_write(&run->res->m, f);
	if (!r && (fflush(f) || fsync(fileno(f))))
		r = -errno;
	if (fclose(f) && !r)
		r = -errno;
	if (r)
		return cs_error_set(r, path, "%s", strerror(-r));
	return 0;
}

/* Make the point complete: its manifest on disk, then the rename. */
static int complete(struct run *run)
{
	char path[4096];
	int r;

	r = write_manifest(run);
	if (!r)
		r = fsync_path(run->partial);
	if (r)
		return r;
	snprintf(path, sizeof(path), "%s/%s", run->o->dir, run->res->m.point);
	if (rename(run->partial, path))
		return cs_error_set(-errno, path, "%s", strerror(errno));
	run->have_partial = false;
	return fsync_path(run->o->dir);
}

/* ------------------------------------------------------------------------
 * The job
 * ---------------------------------------------------------------------- */

static int take_snapshot(struct run *run, char *const *vols, unsigned int nr)
{
	struct cs_snap_opts so = run->o->snap;
	char id[CS_SNAP_NAME_LEN], u[CS_VUUID_LEN + 1];
	int r;

	r = cs_vuuid_generate(u);
	if (r)
		return r;
	snprintf(id, sizeof(id), BACKUP_SET_PREFIX "%.8s", u);
	so.id = id;
	if (!so.store)
		so.store = run->o->dir;
	r = cs_snap_create(vols, nr, &so, &run->made);
	if (r)
		return r;
	run->have_set = true;
	snprintf(run->res->m.set, sizeof(run->res->m.set), "%s", run->made.id);
	run->res->m.chunk_size = run->made.chunk_size;
	run->res->m.freeze_us = run->made.freeze_us;
	return run->o->made ? run->o->made(run->o->priv, &run->made) : 0;
}

/*
 * A failed run leaves the directory as it found it: the lock file it made
 * goes (while still held: a run waiting for it opens the path again),
 * and a directory it made goes if that left it empty.
 */
static void remove_made(struct run *run)
{
	char path[4096];

	if (run->dir_lock >= 0 && (run->dir_lock_made || run->made_dir)) {
		snprintf(path, sizeof(path), "%s/.lock", run->o->dir);
		unlink(path);
	}
	unlock_all(run);
	if (run->made_dir)
		rmdir(run->o->dir);
}

static int prepare(struct run *run, char *const *vols, unsigned int nr)
{
	unsigned int i;
	int r;

	/* the volumes first: a mistyped name makes nothing */
	for (i = 0; i < nr; i++) {
		run->res->m.nr = i + 1;
		r = read_volume(vols[i], &run->res->m.vols[i]);
		if (r)
			return r;
	}
	if (!mkdir(run->o->dir, 0700))
		run->made_dir = true;
	else if (errno != EEXIST)
		return cs_error_set(-errno, run->o->dir, "%s", strerror(errno));
	r = lock_all(run, vols, nr);
	if (!r)
		r = cs_bk_dir_read(run->o->dir, &run->dir, false);
	if (!r)
		r = remove_leftovers(run, vols, nr);
	return r;
}

static int copy_all(struct run *run)
{
	struct cs_bk_manifest *m = &run->res->m;
	unsigned int i;
	int r = 0;

	for (i = 0; !r && i < m->nr; i++) {
		r = plan_volume(run, i);
		run->total += m->vols[i].full ? m->vols[i].size :
			      m->vols[i].file_size;
	}
	for (i = 0; !r && i < m->nr; i++)
		r = copy_volume(run, i);
	if (!r)
		r = check_set(run);
	return r;
}

/* Destroy the set and remove what is partial, keeping the first error. */
static int finish(struct run *run, int r)
{
	struct cs_error e = *cs_last_error();
	int d;

	if (run->have_set) {
		d = cs_snap_destroy(run->made.id, true);
		if (d && !r) {
			r = d;
			cs_error_append("the backup %s is complete, but snapshot set %s was not removed: cowsnapctl snapshot destroy %s --force",
					run->res->m.point, run->made.id,
					run->made.id);
		} else if (d) {
			cs_error_set(e.err, e.dev, "%s", e.why);
			cs_error_append("snapshot set %s not removed: cowsnapctl snapshot destroy %s --force",
					run->made.id, run->made.id);
		} else if (r) {
			cs_error_set(e.err, e.dev, "%s", e.why);
		}
	}
	if (run->have_partial && remove_point_dir(run->partial))
		cs_error_append("%s not removed", run->partial);
	return r;
}

int cs_bk_run(char *const *vols, unsigned int nr, const struct cs_bk_opts *o,
	      struct cs_bk_result *res)
{
	uint64_t start = now_us();
	struct run *run;
	int r;

	memset(res, 0, sizeof(*res));
	if (!nr || nr > COWSNAP_MEMBERS_MAX)
		return cs_error_set(-EINVAL, NULL, "1 to %d volumes",
				    COWSNAP_MEMBERS_MAX);
	run = calloc(1, sizeof(*run));
	if (!run)
		return -ENOMEM;
	run->o = o;
	run->res = res;
	run->dir_lock = -1;
	memset(run->vol_lock, -1, sizeof(run->vol_lock));
	r = prepare(run, vols, nr);
	if (!r)
		r = take_snapshot(run, vols, nr);
	if (!r && o->stop && *o->stop)
		r = cs_error_set(-EINTR, vols[0], "interrupted: no backup was made");
	if (!r)
		r = make_partial(run);
	if (!r)
		r = copy_all(run);
	if (!r)
		r = complete(run);
	r = finish(run, r);
	res->duration_us = now_us() - start;
	cs_bk_dir_free(&run->dir);
	if (r)
		remove_made(run);
	else
		unlock_all(run);
	free(run);
	return r;
}
