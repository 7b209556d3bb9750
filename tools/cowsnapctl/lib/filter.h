/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcowsnap: the blkfilter layer of a volume.
 *
 * Attached, the top device VOL has the table "0 <len> blkfilter <dev>
 * [opts]" where <dev> is the hidden device VOL-real holding VOL's previous
 * table (see stack.h and <linux/dm-blkfilter.h>).  A layer pushed later
 * (cbt) moves that table into its own hidden device.
 */
#ifndef COWSNAP_FILTER_H
#define COWSNAP_FILTER_H

#include <stddef.h>

#include "dm.h"

/**
 * struct cs_filter_opts - optional arguments of the blkfilter table line
 * @ring_size: event records kept, a power of two within
 *	BLKFILTER_RING_MIN..BLKFILTER_RING_MAX; 0 for the target's default
 * @uevent_ms: at most one uevent per @uevent_ms milliseconds,
 *	0..BLKFILTER_UEVENT_MS_MAX; -1 for the target's default
 */
struct cs_filter_opts {
	unsigned int ring_size;
	int uevent_ms;
};

/** CS_FILTER_OPTS_INIT - the target's defaults for every option */
#define CS_FILTER_OPTS_INIT	{ .ring_size = 0, .uevent_ms = -1 }

/**
 * cs_filter_params() - the optional part of a blkfilter table line
 * @opts: options
 * @buf: receives "" or e.g. "4 ring_size 4096 uevent_ms 0"
 * @size: size of @buf
 *
 * Return: 0; -EINVAL (with an error record) if an option is out of range
 * or @ring_size is not a power of two; -ENAMETOOLONG if @buf is too small.
 */
int cs_filter_params(const struct cs_filter_opts *opts, char *buf,
		     size_t size);

/**
 * cs_filter_attach() - attach the blkfilter layer to volume @name
 * @name: volume (top dm device) name
 * @opts: table options, or NULL for the defaults
 *
 * Safe on a mounted volume: the filesystem is frozen for the table swap.
 * Return: 0; -EEXIST if a filter is attached already; -ENODEV,
 * -EMEDIUMTYPE (see cs_volume_open()); -EINVAL for bad @opts or a table
 * the kernel refused; or -errno.  Nothing is left changed on failure.
 * An error is recorded on failure.
 */
int cs_filter_attach(const char *name, const struct cs_filter_opts *opts);

/**
 * cs_filter_detach() - detach the blkfilter layer from volume @name
 * @name: volume name
 *
 * The filter may be below other layers (cbt enabled after it): the device
 * holding its target gets the table of VOL-real (see cs_stack_remove()).
 * Return: 0; -ENOTCONN if no filter is attached; -EBUSY if the device
 * holding it is not a single blkfilter target, is suspended, or its hidden
 * device is in use; or -errno.  An error is recorded on failure.
 */
int cs_filter_detach(const char *name);

/**
 * cs_filter_device() - the dm device of volume @name holding blkfilter
 * @name: volume name
 * @info: receives that device's information (name, dev, event_nr)
 *
 * Return: 0; -ENOTCONN if no filter is attached; or as cs_volume_open().
 * An error is recorded on failure.
 */
int cs_filter_device(const char *name, struct cs_dm_info *info);

#endif /* COWSNAP_FILTER_H */
