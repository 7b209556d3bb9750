/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcowsnap: backups of volumes into a directory, their restore and
 * verification.
 *
 * A backup directory holds a chain of *points*, DIR/NNNN-YYYYMMDDTHHMMSSZ/
 * (sequence number, UTC time of the snapshot), each with manifest.json
 * and one data file per volume: VOL.img, the whole volume (sparse), or
 * VOL.delta, the ranges changed since the point the volume's entry names
 * as its base, concatenated.  A point is written as DIR/<point>.partial/
 * and renamed once its data and manifest are on disk: a directory without
 * the suffix is a complete backup.  Format: Documentation/backup.rst.
 *
 * backup-manifest.c: manifests (write, read), points of a directory,
 * chains; backup-copy.c: copying ranges with SHA-256, sparse;
 * backup-run.c: the backup job; backup-restore.c: restore and verify.
 */
#ifndef COWSNAP_BACKUP_H
#define COWSNAP_BACKUP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/dm-cowsnap.h>

#include "cbt.h"
#include "dm.h"
#include "snapshot.h"
#include "util.h"

/** CS_BK_FORMAT - the "format" of a manifest */
#define CS_BK_FORMAT		"cowsnap-backup"
/** CS_BK_VERSION - the manifest version written and read */
#define CS_BK_VERSION		1
/** CS_BK_MANIFEST - the manifest's file name in a point */
#define CS_BK_MANIFEST		"manifest.json"
/** CS_BK_PARTIAL - the suffix of a point being written */
#define CS_BK_PARTIAL		".partial"
/** CS_BK_POINT_LEN - size of a point name buffer */
#define CS_BK_POINT_LEN		40
/** CS_BK_SHA256_LEN - size of a hex SHA-256 buffer */
#define CS_BK_SHA256_LEN	65
/** CS_BK_BLOCK_DEFAULT - block size of a volume without a tracker */
#define CS_BK_BLOCK_DEFAULT	4096
/** CS_BK_CHAIN_MAX - most points a restore applies; a backup takes a full
 * instead of making a longer chain */
#define CS_BK_CHAIN_MAX		64
/** CS_BK_LOCK_DIR - where the per-volume locks are */
#define CS_BK_LOCK_DIR		"/run/cowsnapctl"

/* ------------------------------------------------------------------------
 * Manifests and chains (backup-manifest.c)
 * ---------------------------------------------------------------------- */

/**
 * struct cs_bk_range - bytes [@offset, @offset + @length) of a volume
 */
struct cs_bk_range {
	uint64_t offset;
	uint64_t length;
};

/**
 * struct cs_bk_volume - one volume of a point
 * @name: volume name
 * @uuid: volume uuid
 * @size: bytes
 * @full: the data file is the whole volume; else the changes since @base
 * @base: incremental: the point it applies on; "" for a full
 * @block_size: tracking block size in bytes (CS_BK_BLOCK_DEFAULT without
 *	a tracker)
 * @generation: the tracker's frozen generation, "" without a tracker
 * @change_number: the tracker's frozen number at this point, 0: none
 * @since: incremental: the blocks changed after this number
 * @file: the data file's name in the point
 * @file_size: its size in bytes
 * @sha256: its SHA-256, hex
 * @bytes_copied: bytes read from the snapshot
 * @nr_ranges: ranges in @ranges
 * @ranges: the volume's bytes in the data file, in order, not
 *	overlapping; a full has one, [0, @size); malloc'ed
 */
struct cs_bk_volume {
	char name[CS_DM_NAME_LEN];
	char uuid[CS_VUUID_LEN + 1];
	uint64_t size;
	bool full;
	char base[CS_BK_POINT_LEN];
	uint32_t block_size;
	char generation[CS_CBT_UUID_LEN];
	unsigned int change_number;
	unsigned int since;
	char file[CS_DM_NAME_LEN + 8];
	uint64_t file_size;
	char sha256[CS_BK_SHA256_LEN];
	uint64_t bytes_copied;
	size_t nr_ranges;
	struct cs_bk_range *ranges;
};

/**
 * struct cs_bk_manifest - the manifest of a point
 * @point: its name
 * @sequence: its number, from 1
 * @parent: the complete point before it in the directory, "" if none
 * @parent_sha256: SHA-256 of @parent's manifest file, "" if none
 * @set: the snapshot set it was copied from
 * @chunk_size: that set's chunk size
 * @freeze_us: how long the volumes were frozen
 * @started: when the snapshot was taken (seconds since the epoch)
 * @finished: when the copy ended
 * @nr: volumes
 * @vols: the volumes
 */
struct cs_bk_manifest {
	char point[CS_BK_POINT_LEN];
	unsigned int sequence;
	char parent[CS_BK_POINT_LEN];
	char parent_sha256[CS_BK_SHA256_LEN];
	char set[CS_SNAP_NAME_LEN];
	uint32_t chunk_size;
	uint64_t freeze_us;
	int64_t started;
	int64_t finished;
	unsigned int nr;
	struct cs_bk_volume vols[COWSNAP_MEMBERS_MAX];
};

/** cs_bk_manifest_free() - free the ranges of @m and zero it */
void cs_bk_manifest_free(struct cs_bk_manifest *m);

/**
 * cs_bk_manifest_write() - write @m as JSON to @f
 * @m: manifest
 * @f: stream
 *
 * Return: 0 or -EIO.
 */
int cs_bk_manifest_write(const struct cs_bk_manifest *m, FILE *f);

/**
 * cs_bk_manifest_read() - read and check a manifest
 * @path: the file
 * @m: result; cs_bk_manifest_free() it
 *
 * Checks the format, the version, every key's type, the names, and that
 * the ranges are in order, inside the volume and (for an incremental)
 * add up to the file size.
 * Return: 0; -ENOENT; -EINVAL for a malformed manifest; -errno.  An error
 * naming @path and the key is recorded on failure.
 */
int cs_bk_manifest_read(const char *path, struct cs_bk_manifest *m);

/**
 * cs_bk_manifest_volume() - the entry of volume @name in @m, NULL if none
 */
struct cs_bk_volume *cs_bk_manifest_volume(const struct cs_bk_manifest *m,
					   const char *name);

/**
 * cs_bk_point_name() - make a point name
 * @sequence: from 1
 * @when: UTC time, seconds since the epoch
 * @buf: CS_BK_POINT_LEN bytes
 *
 * Return: @buf: "%04u-YYYYMMDDTHHMMSSZ".
 */
char *cs_bk_point_name(unsigned int sequence, int64_t when, char *buf);

/**
 * cs_bk_point_parse() - is @name a point name?
 * @name: a directory entry
 * @partial: receives whether it ends in CS_BK_PARTIAL; NULL: such a name
 *	is not a point
 *
 * Return: the sequence number, or 0 if @name is not a point.
 */
unsigned int cs_bk_point_parse(const char *name, bool *partial);

struct cs_bk_check;

/**
 * struct cs_bk_dir - the points of a backup directory
 * @path: the directory
 * @last_sequence: the highest sequence number of any point, complete,
 *	partial or unreadable (0: none)
 * @nr: complete points
 * @points: their manifests, by sequence number
 * @nr_partial: points being written or left by a crash
 * @partial: their names, malloc'ed
 * @nr_bad: complete points whose manifest does not read
 * @bad: their names and why, malloc'ed
 */
struct cs_bk_dir {
	const char *path;
	unsigned int last_sequence;
	unsigned int nr;
	struct cs_bk_manifest *points;
	unsigned int nr_partial;
	char (*partial)[CS_BK_POINT_LEN + 8];
	unsigned int nr_bad;
	struct cs_bk_check *bad;
};

/**
 * cs_bk_dir_read() - read every complete point's manifest in @path
 * @path: the directory
 * @dir: result; cs_bk_dir_free() it
 * @strict: fail on a manifest that does not read; false: list it in
 *	@dir->bad
 *
 * Return: 0; -ENOENT if @path does not exist; -errno (recorded).
 */
int cs_bk_dir_read(const char *path, struct cs_bk_dir *dir, bool strict);

/** cs_bk_dir_free() - free what cs_bk_dir_read() read */
void cs_bk_dir_free(struct cs_bk_dir *dir);

/**
 * cs_bk_dir_find() - the point @at of @dir
 * @dir: the points
 * @at: a point name, its sequence number ("3", "0003"), or "latest"
 *	(also NULL)
 *
 * Return: the manifest, or NULL (an error is recorded, naming the
 * manifest's fault when @at, or the latest point, does not read).
 */
struct cs_bk_manifest *cs_bk_dir_find(const struct cs_bk_dir *dir,
				      const char *at);

/**
 * cs_bk_chain() - the points to apply, full first, to rebuild a volume
 * @dir: the points
 * @at: the last point
 * @volume: the volume's name
 * @chain: receives up to @max manifests (in @dir), the full first
 * @max: room in @chain
 *
 * Follows each incremental's base back to a full, checking that the base
 * holds the volume with the same uuid, size and generation, and the
 * change number the incremental starts from.
 * Return: the number of points; -ENOENT if @at has no such volume or a
 * base is missing; -EINVAL for a broken link; -E2BIG.  An error is
 * recorded on failure.
 */
int cs_bk_chain(const struct cs_bk_dir *dir, const struct cs_bk_manifest *at,
		const char *volume, const struct cs_bk_manifest **chain,
		unsigned int max);

/**
 * cs_bk_sha256_file() - the SHA-256 of a file
 * @path: the file
 * @hex: CS_BK_SHA256_LEN bytes
 * @size: receives the bytes read, may be NULL
 *
 * Return: 0 or -errno (recorded).
 */
int cs_bk_sha256_file(const char *path, char *hex, uint64_t *size);

/* ------------------------------------------------------------------------
 * Copying (backup-copy.c)
 * ---------------------------------------------------------------------- */

/**
 * cs_bk_progress_fn - called as data is copied: @done of @total bytes
 */
typedef void (*cs_bk_progress_fn)(void *priv, uint64_t done, uint64_t total);

/**
 * struct cs_bk_copy - one copy of ranges from a device into a file
 * @in: fd to read (the image)
 * @in_name: its name, for errors
 * @out: fd to write (the data file)
 * @out_name: its name, for errors
 * @packed: write the ranges one after the other (a delta); false: at
 *	their offsets, leaving holes for zero blocks (an image)
 * @stop: stop when it becomes non-zero (a signal handler's flag), may be
 *	NULL
 * @progress: may be NULL
 * @priv: passed to @progress
 * @done: bytes copied so far, updated; also passed to @progress
 * @total: passed to @progress
 * @sha: running SHA-256 of what was written (an EVP_MD_CTX)
 * @read_failed: set when reading @in failed (the image may have failed)
 */
struct cs_bk_copy {
	int in;
	const char *in_name;
	int out;
	const char *out_name;
	bool packed;
	volatile sig_atomic_t *stop;
	cs_bk_progress_fn progress;
	void *priv;
	uint64_t done;
	uint64_t total;
	void *sha;
	bool read_failed;
};

/**
 * cs_bk_copy_ranges() - copy ranges, hashing what it writes
 * @c: the copy; c->sha is made here and freed by cs_bk_copy_finish()
 * @r: ranges
 * @nr: number of ranges
 *
 * Return: 0; -EINTR when c->stop was set; -errno (recorded; a failed
 * read also sets c->read_failed).
 */
int cs_bk_copy_ranges(struct cs_bk_copy *c, const struct cs_bk_range *r,
		      size_t nr);

/**
 * cs_bk_copy_finish() - end the hash of @c
 * @c: the copy
 * @hex: CS_BK_SHA256_LEN bytes, may be NULL (just free it)
 */
void cs_bk_copy_finish(struct cs_bk_copy *c, char *hex);

/* ------------------------------------------------------------------------
 * The backup job (backup-run.c)
 * ---------------------------------------------------------------------- */

/**
 * enum cs_bk_mode - what kind of backup to take
 * @CS_BK_AUTO: incremental where possible, else full
 * @CS_BK_FULL: full
 * @CS_BK_INCREMENTAL: as @CS_BK_AUTO, but say why when it cannot be
 */
enum cs_bk_mode {
	CS_BK_AUTO,
	CS_BK_FULL,
	CS_BK_INCREMENTAL,
};

/**
 * struct cs_bk_opts - how to back up
 * @dir: the backup directory (made if missing)
 * @mode: full, incremental, or either
 * @snap: the snapshot's options; a NULL @snap.store is @dir
 * @made: called once the snapshot set exists (to start its monitor),
 *	may be NULL; Return: 0 or -errno (recorded)
 * @warn: prints a warning line (why a volume is backed up full)
 * @stop: set by a signal handler to stop the run, may be NULL
 * @progress: may be NULL
 * @priv: passed to @made, @warn and @progress
 */
struct cs_bk_opts {
	const char *dir;
	enum cs_bk_mode mode;
	struct cs_snap_opts snap;
	int (*made)(void *priv, const struct cs_snap_made *m);
	void (*warn)(void *priv, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));
	volatile sig_atomic_t *stop;
	cs_bk_progress_fn progress;
	void *priv;
};

/**
 * struct cs_bk_result - what a backup did
 * @m: the manifest written (also partly filled on failure)
 * @reason: why each volume is full when an incremental was possible to
 *	ask for, "" if it is not, or is incremental
 * @duration_us: from the start of the run to its end
 */
struct cs_bk_result {
	struct cs_bk_manifest m;
	char reason[COWSNAP_MEMBERS_MAX][256];
	uint64_t duration_us;
};

/**
 * cs_bk_run() - back up volumes @vols into a new point of @o->dir
 * @vols: volume names, no two the same
 * @nr: 1..COWSNAP_MEMBERS_MAX
 * @o: options
 * @res: result; cs_bk_manifest_free(&@res->m) it
 *
 * Locks @o->dir and each volume, removes points a crash left partial,
 * takes one snapshot set of all volumes (checkpointing their trackers),
 * copies each image (whole, or the changes since the last point), writes
 * the manifest, renames the point complete, and destroys the snapshot
 * set, also on failure.
 *
 * Return: 0; -EALREADY if another backup holds a lock; -EOVERFLOW if the
 * snapshot set overflowed while copying; -EINTR if @o->stop was set; as
 * cs_snap_create(); -errno.  An error is recorded on failure; nothing of
 * the run is left but the locks' files.
 */
int cs_bk_run(char *const *vols, unsigned int nr, const struct cs_bk_opts *o,
	      struct cs_bk_result *res);

/* ------------------------------------------------------------------------
 * Restore and verify (backup-restore.c)
 * ---------------------------------------------------------------------- */

/**
 * struct cs_bk_check - the outcome of checking one volume of one point
 * @point: the point
 * @volume: the volume
 * @err: 0 or -errno
 * @why: the reason, "" when @err is 0
 */
struct cs_bk_check {
	char point[CS_BK_POINT_LEN];
	char volume[CS_DM_NAME_LEN];
	int err;
	char why[256];
};

/**
 * cs_bk_check_volume() - check a volume of a point: its base link, its
 * data file's size and SHA-256, its ranges
 * @dir: the points
 * @m: the point
 * @v: the volume's entry in @m
 * @out: result
 *
 * Return: @out->err.
 */
int cs_bk_check_volume(const struct cs_bk_dir *dir,
		       const struct cs_bk_manifest *m,
		       const struct cs_bk_volume *v, struct cs_bk_check *out);

/**
 * cs_bk_check_parent() - check the parent link of a point: the parent
 * exists and its manifest's SHA-256 is the one recorded (a point whose
 * volumes are all full may have lost its parent: it needs none)
 * @dir: the points
 * @m: the point
 * @out: result
 *
 * Return: @out->err.
 */
int cs_bk_check_parent(const struct cs_bk_dir *dir,
		       const struct cs_bk_manifest *m,
		       struct cs_bk_check *out);

/**
 * struct cs_bk_restore_opts - what to restore where
 * @dir: the backup directory
 * @at: the point, NULL for the latest
 * @volume: the volume, NULL when the point holds one volume
 * @target: a block device, or a file (made with the volume's size)
 * @force: overwrite a non-empty file
 * @stop: set by a signal handler to stop, may be NULL
 * @progress: may be NULL
 * @priv: passed to @progress
 */
struct cs_bk_restore_opts {
	const char *dir;
	const char *at;
	const char *volume;
	const char *target;
	bool force;
	volatile sig_atomic_t *stop;
	cs_bk_progress_fn progress;
	void *priv;
};

/**
 * struct cs_bk_restored - what a restore did
 * @volume: the volume
 * @size: its size in bytes
 * @nr: points applied
 * @chain: their names, the full first
 * @bytes_written: bytes of the target restored: the full image's size (its
 *	holes included) plus the data of each incremental
 */
struct cs_bk_restored {
	char volume[CS_DM_NAME_LEN];
	uint64_t size;
	unsigned int nr;
	char chain[64][CS_BK_POINT_LEN];
	uint64_t bytes_written;
};

/**
 * cs_bk_restore() - rebuild a volume as it was at a point
 * @o: options
 * @res: result
 *
 * Checks every point of the chain first (links, sizes, checksums), then
 * writes the full image and applies each incremental in order, then
 * syncs the target.  A block device is opened exclusively and must hold
 * the volume; a file is made (or, with @force, truncated) and removed
 * again if the restore fails.
 * Return: 0; -ENOENT (no directory, point or volume); -EINVAL (a broken
 * chain or a checksum mismatch); -EEXIST (a non-empty file without
 * @force); -EBUSY (a device in use); -EFBIG (a device too small);
 * -EINTR; -errno.  An error is recorded on failure.
 */
int cs_bk_restore(const struct cs_bk_restore_opts *o,
		  struct cs_bk_restored *res);

#endif /* COWSNAP_BACKUP_H */
