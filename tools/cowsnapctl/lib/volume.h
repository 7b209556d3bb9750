/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcowsnap: volumes: create, adopt, remove, list.
 *
 * These change dm mappings only; no data on any disk is written.
 */
#ifndef COWSNAP_VOLUME_H
#define COWSNAP_VOLUME_H

#include "util.h"

/**
 * cs_volume_create() - make block device @device the volume @name
 * @name: new volume name (see cs_volume_name_check())
 * @device: path of a block device, e.g. /dev/loop0
 * @vuuid: if not NULL, receives the new volume uuid (CS_VUUID_LEN + 1)
 *
 * Creates /dev/mapper/@name with dm uuid "COWSNAP-<vuuid>" and a linear
 * table over all of @device.
 *
 * Return: 0; -EINVAL for a bad name or a device of size 0; -ENOENT if
 * @device does not exist; -ENOTBLK if it is not a block device; -EEXIST if
 * a dm device @name exists; -EMEDIUMTYPE if @device is itself part of a
 * cowsnap volume; -EBUSY if @device is in use; or -errno.  An error is
 * recorded on failure.
 */
int cs_volume_create(const char *name, const char *device, char *vuuid);

/**
 * cs_volume_adopt() - take the existing dm device @name under management
 * @name: dm name of a device without dm uuid
 * @vuuid: if not NULL, receives the new volume uuid (CS_VUUID_LEN + 1)
 *
 * Gives the device the dm uuid "COWSNAP-<vuuid>"; its table is untouched.
 *
 * Return: 0; -ENODEV if there is no such device; -EEXIST if it is a
 * cowsnap volume already; -EMEDIUMTYPE if it has another dm uuid; -EINVAL
 * if its name is not a valid volume name; or -errno.  An error is
 * recorded on failure.
 */
int cs_volume_adopt(const char *name, char *vuuid);

/**
 * cs_volume_remove() - remove the dm devices of volume @name
 * @name: volume name
 *
 * Removes the top, then each hidden layer below it.  If one cannot be
 * removed, those already removed are created again.  Data is untouched.
 *
 * Return: 0; -EBUSY if the volume is open (mounted) or a hidden layer is
 * used by something else; as cs_volume_open(); or -errno.  An error is
 * recorded on failure.
 */
int cs_volume_remove(const char *name);

/**
 * cs_volume_list() - names of all volumes (top devices), sorted
 * @names: receives a NULL-terminated array; free it with cs_strv_free()
 *
 * Return: number of volumes, or -errno.
 */
int cs_volume_list(char ***names);

#endif /* COWSNAP_VOLUME_H */
