/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcowsnap: loop devices over the files of a snapshot store.
 *
 * A loop is attached with direct I/O (when the file's filesystem allows
 * it) and LO_FLAGS_AUTOCLEAR: the kernel detaches it when its last opener
 * closes it.  The caller keeps the descriptor cs_loop_attach() returns
 * until a dm table holds the loop, then closes it: from then on the loop
 * lives exactly as long as that table, and a failure before that needs no
 * undo besides the close.
 */
#ifndef COWSNAP_LOOP_H
#define COWSNAP_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dm.h"

/**
 * cs_loop_attach() - attach a free loop device to the open file @ffd
 * @ffd: descriptor of a regular file, open for reading and writing
 * @name: file name the loop reports (LO_NAME_SIZE bytes are kept)
 * @dev: receives the loop's device number
 * @path: receives "/dev/loopN" (PATH_MAX bytes)
 * @sectors: receives its size in 512-byte sectors
 *
 * Uses /dev/loop-control and LOOP_CONFIGURE, or LOOP_SET_FD and
 * LOOP_SET_STATUS64 on kernels without it.
 * Return: an open descriptor of the loop device (close it once a dm
 * table holds the loop), or -errno (recorded).
 */
int cs_loop_attach(int ffd, const char *name, struct cs_devno *dev,
		   char *path, uint64_t *sectors);

/**
 * cs_loop_backing() - the backing file of loop device @dev
 * @dev: device number
 * @buf: receives the path as the kernel shows it; an unlinked file ends
 *	with " (deleted)"
 * @size: size of @buf
 *
 * Return: 1 if @dev is a bound loop device, 0 if it is not a loop
 * device (or not bound), -errno.
 */
int cs_loop_backing(struct cs_devno dev, char *buf, size_t size);

/**
 * cs_loop_autoclear() - Return: true if @dev is a loop device with
 * LO_FLAGS_AUTOCLEAR, as every loop cs_loop_attach() makes (and hardly
 * one set up by hand with losetup)
 * @dev: device number
 */
bool cs_loop_autoclear(struct cs_devno dev);

/**
 * cs_loop_backing_fs() - the device of the filesystem holding the backing
 * file of loop device @path (LOOP_GET_STATUS64's lo_device)
 * @path: loop device node
 * @fs: result
 *
 * Return: 0 or -errno.
 */
int cs_loop_backing_fs(const char *path, struct cs_devno *fs);

/**
 * cs_loop_set_capacity() - make loop @path take the new size of its
 * backing file (LOOP_SET_CAPACITY)
 * @path: loop device node
 * @sectors: receives the new size in sectors
 *
 * Return: 0 or -errno (recorded).
 */
int cs_loop_set_capacity(const char *path, uint64_t *sectors);

#endif /* COWSNAP_LOOP_H */
