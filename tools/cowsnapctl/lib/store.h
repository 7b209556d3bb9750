/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcowsnap: the store of a snapshot set.
 *
 * The kernel sees one device, the hidden dm device "cowsnap@ID.store",
 * whose linear table joins the store's segments end to end, so that the
 * store can grow while the set uses it.  A segment is
 *
 *	a block device          used whole
 *	a regular file          through a loop device; grows with fallocate
 *	                        and LOOP_SET_CAPACITY
 *	an unnamed file         made with O_TMPFILE in a directory, through a
 *	                        loop device; more space is another such file
 *
 * The loops have LO_FLAGS_AUTOCLEAR: they go when the store's table goes,
 * and an unnamed file is freed with its loop.  What a segment is, is read
 * back from the table and the loops' backing files: no state is kept.
 */
#ifndef COWSNAP_STORE_H
#define COWSNAP_STORE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/dm-cowsnap.h>

#include "dm.h"
#include "stack.h"
#include "table.h"

/** CS_DEVSET_MAX - most devices in a struct cs_devset */
#define CS_DEVSET_MAX		(COWSNAP_MEMBERS_MAX * 2 * CS_STACK_MAX)

/**
 * enum cs_seg_kind - what a segment of a store is
 * @CS_SEG_BLOCK: a block device
 * @CS_SEG_FILE: a loop device over a named regular file
 * @CS_SEG_TMPFILE: a loop device over an unnamed (or deleted) file
 */
enum cs_seg_kind {
	CS_SEG_BLOCK,
	CS_SEG_FILE,
	CS_SEG_TMPFILE,
};

/**
 * struct cs_segment - one linear target of a store's table
 * @start: first sector in the store
 * @sectors: length in sectors
 * @dev: the device
 * @offset: first sector of @dev used
 * @kind: what the device is
 * @path: "/dev/<kernel name>"
 * @backing: a loop's backing file as the kernel shows it, "" for another
 *	block device; an unnamed file shows as "DIR/#<inode> (deleted)"
 *
 * A loop device with LO_FLAGS_AUTOCLEAR is a file segment (one this
 * library attached); a loop device without it was given as a block device
 * and is one, whatever its backing file.
 */
struct cs_segment {
	uint64_t start;
	uint64_t sectors;
	struct cs_devno dev;
	uint64_t offset;
	enum cs_seg_kind kind;
	char path[PATH_MAX];
	char backing[PATH_MAX];
};

/**
 * cs_store_segments() - describe the segments of a store's table
 * @t: the store's table: linear targets "<major>:<minor> <offset>"
 * @segs: receives a malloc'ed array; free() it
 *
 * Return: the number of segments, or -errno (-EINVAL for a target that is
 * not such a linear one).
 */
int cs_store_segments(const struct cs_table *t, struct cs_segment **segs);

/**
 * cs_segment_dir() - the directory of an unnamed-file segment
 * @seg: a CS_SEG_TMPFILE segment
 * @buf: receives the directory (PATH_MAX bytes)
 */
void cs_segment_dir(const struct cs_segment *seg, char *buf);

/**
 * struct cs_devset - devices a store must not lie on: those of the
 * volumes of its set, each with the volume it belongs to
 * @nr: devices in @dev
 * @dev: device numbers
 * @owner: the volume (or image) each one belongs to
 */
struct cs_devset {
	unsigned int nr;
	struct cs_devno dev[CS_DEVSET_MAX];
	char owner[CS_DEVSET_MAX][CS_DM_NAME_LEN];
};

/**
 * cs_devset_add() - add @dev of @owner to @s (ignored when full)
 * @s: set
 * @dev: device
 * @owner: volume name
 */
void cs_devset_add(struct cs_devset *s, struct cs_devno dev,
		   const char *owner);

/** cs_devset_add_volume() - add every device of @vol's stack and its
 * backing devices to @s */
void cs_devset_add_volume(struct cs_devset *s, const struct cs_volume *vol);

/**
 * struct cs_seg_new - a segment being added to a store
 * @seg: the segment (@start is left for the caller)
 * @loop_fd: descriptor of the loop device, keeping its autoclear loop
 *	bound until a dm table holds it; -1 for a block device
 * @created: a regular file made for it, "" if none
 */
struct cs_seg_new {
	struct cs_segment seg;
	int loop_fd;
	char created[PATH_MAX];
};

/**
 * cs_seg_open() - make @path a segment
 * @path: a block device (used whole), a regular file (grown to @bytes if
 *	smaller), a path that does not exist (a regular file of @bytes is
 *	made, mode 0600) or a directory (an unnamed file of @bytes in it)
 * @bytes: size wanted, a multiple of 512; ignored for a block device
 * @forbid: devices the segment must not lie on, or NULL
 * @n: result; release it with cs_seg_keep() or cs_seg_abort()
 *
 * Return: 0; -EINVAL if @path lies on a device of @forbid, is empty or of
 * another type; -EBUSY if a block device is in use; -ENOSPC; or -errno.
 * An error is recorded on failure.
 */
int cs_seg_open(const char *path, uint64_t bytes,
		const struct cs_devset *forbid, struct cs_seg_new *n);

/** cs_seg_held() - a dm table holds the segment now: close the loop's
 * descriptor; cs_seg_abort() would still remove the file made for it */
void cs_seg_held(struct cs_seg_new *n);

/** cs_seg_keep() - the segment is there to stay: cs_seg_held() and forget
 * the file made for it */
void cs_seg_keep(struct cs_seg_new *n);

/** cs_seg_abort() - give the segment up: close the loop's descriptor (the
 * loop detaches) and remove the file made for it */
void cs_seg_abort(struct cs_seg_new *n);

/**
 * cs_seg_grow_file() - add @bytes to the backing file of a CS_SEG_FILE
 * segment and to its loop
 * @seg: the segment; @sectors becomes the loop's new size
 * @bytes: bytes to add, a multiple of 512
 *
 * Return: 0 or -errno (recorded).
 */
int cs_seg_grow_file(struct cs_segment *seg, uint64_t bytes);

/**
 * cs_store_table() - the linear table of @nr segments, end to end
 * @segs: segments; their @start is set here
 * @nr: number of segments
 * @t: empty table, filled
 *
 * Return: 0 or -ENOMEM.
 */
int cs_store_table(struct cs_segment *segs, unsigned int nr,
		   struct cs_table *t);

/**
 * cs_store_create() - create the store device of set @id over @seg
 * @id: set ID
 * @seg: its first segment
 * @info: receives the new device's dm information
 *
 * Return: 0; -EEXIST if it exists; or -errno (recorded).
 */
int cs_store_create(const char *id, struct cs_segment *seg,
		    struct cs_dm_info *info);

/**
 * cs_store_reload() - give the store device @name the table @new instead
 * of @old (suspend without lockfs, load, resume)
 * @name: dm name of the store
 * @old: its live table
 * @new: the new table
 *
 * Return: 0, or -errno (recorded) with @old live again.
 */
int cs_store_reload(const char *name, const struct cs_table *old,
		    const struct cs_table *new);

#endif /* COWSNAP_STORE_H */
