/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcowsnap: every call into libdevmapper.
 *
 * Thin wrappers, one ioctl each (except cs_dm_create(), which libdevmapper
 * runs as create + load + resume and reverts itself).  They return 0 or a
 * negative errno (the ioctl's errno, -EIO if libdevmapper failed before
 * the ioctl) and record no error: the callers in stack.c know what the
 * step meant.  Device nodes in /dev/mapper follow udev when it runs and
 * are made by libdevmapper itself otherwise (or when DM_DISABLE_UDEV is
 * set); create, resume, rename and remove wait for udev with a cookie.
 * libdevmapper's own messages appear only with cs_set_verbose() >= 1.
 */
#ifndef COWSNAP_DM_H
#define COWSNAP_DM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/stat.h>

#include "table.h"

/** CS_DM_NAME_LEN - size of a dm name buffer (DM_NAME_LEN) */
#define CS_DM_NAME_LEN		128
/** CS_DM_UUID_LEN - size of a dm uuid buffer (DM_UUID_LEN) */
#define CS_DM_UUID_LEN		129

/** CS_DM_HIDDEN - udev flags of a hidden layer: no disk, subsystem or
 * other rules, so that its filesystem does not show in /dev/disk */
#define CS_DM_HIDDEN		0x1

/**
 * struct cs_devno - a block device number
 * @major: major number
 * @minor: minor number
 */
struct cs_devno {
	uint32_t major;
	uint32_t minor;
};

/**
 * struct cs_dm_info - what DM_DEV_STATUS says about a device
 * @exists: the device exists; nothing else is valid if false
 * @suspended: the device is suspended
 * @live_table: it has a live table
 * @inactive_table: a table is loaded but not yet resumed
 * @read_only: the device is read-only
 * @open_count: number of openers (mounts, holders)
 * @event_nr: event counter (DM_DEV_WAIT)
 * @target_count: targets in the live table
 * @dev: device number
 * @name: dm name
 * @uuid: dm uuid, "" if none
 */
struct cs_dm_info {
	bool exists;
	bool suspended;
	bool live_table;
	bool inactive_table;
	bool read_only;
	int32_t open_count;
	uint32_t event_nr;
	int32_t target_count;
	struct cs_devno dev;
	char name[CS_DM_NAME_LEN];
	char uuid[CS_DM_UUID_LEN];
};

/**
 * cs_dm_available() - can we talk to the kernel's device-mapper?
 *
 * Return: 0; -EACCES or -EPERM without the privilege; -EOPNOTSUPP if the
 * kernel has no device-mapper.  An error is recorded on failure.  Every
 * other function returns the same codes when device-mapper is missing.
 */
int cs_dm_available(void);

/**
 * cs_dm_info() - information about the dm device @name
 * @name: dm name
 * @info: result; @info->exists is false if there is no such device
 *
 * Return: 0 (also when the device does not exist) or -errno.
 */
int cs_dm_info(const char *name, struct cs_dm_info *info);

/**
 * cs_dm_info_devno() - cs_dm_info() by device number
 * @dev: device number of a dm device
 * @info: result
 *
 * Return: 0 or -errno.
 */
int cs_dm_info_devno(struct cs_devno dev, struct cs_dm_info *info);

/**
 * cs_dm_table() - the live table of @name (DM_TABLE_STATUS)
 * @name: dm name
 * @table: empty table, filled; cs_table_free() it
 *
 * Return: 0, -ENXIO if there is no such device, or -errno.
 */
int cs_dm_table(const char *name, struct cs_table *table);

/**
 * cs_dm_status() - the status (INFO) lines of @name's live table
 * @name: dm name
 * @status: empty table; each target's params hold its status text
 *
 * Return: 0 or -errno.
 */
int cs_dm_status(const char *name, struct cs_table *status);

/**
 * cs_dm_deps() - the devices that @name's live table uses
 * @name: dm name
 * @devs: receives a malloc'ed array, free() it
 * @nr: receives its length
 *
 * Return: 0 or -errno.
 */
int cs_dm_deps(const char *name, struct cs_devno **devs, unsigned int *nr);

/**
 * cs_dm_list() - names of all dm devices
 * @names: receives a NULL-terminated malloc'ed array of strings; free it
 *	with cs_strv_free()
 *
 * Return: the number of names, or -errno.
 */
int cs_dm_list(char ***names);

/** cs_strv_free() - free a NULL-terminated array of strings and itself */
void cs_strv_free(char **v);

/**
 * cs_dm_create() - create @name with @uuid and activate @table
 * @name: new dm name
 * @uuid: dm uuid, or NULL for none
 * @table: live table to load and resume
 * @flags: 0 or CS_DM_HIDDEN
 *
 * The device is removed again if the table cannot be loaded or resumed.
 * Return: 0, -EBUSY if @name or @uuid is taken, or -errno.
 */
int cs_dm_create(const char *name, const char *uuid,
		 const struct cs_table *table, unsigned int flags);

/**
 * cs_dm_create_like() - cs_dm_create() whose node copies another's owner
 * @name: new dm name
 * @uuid: dm uuid, or NULL for none
 * @table: live table to load and resume
 * @flags: 0 or CS_DM_HIDDEN
 * @like: stat of the node whose uid, gid and mode bits the new
 *	  /dev/mapper/@name gets, or NULL for libdevmapper's defaults
 *
 * @like applies where libdevmapper makes the node itself (no udev, or
 * DM_DISABLE_UDEV set); under udev its rules set owner and mode.
 * Return: as cs_dm_create().
 */
int cs_dm_create_like(const char *name, const char *uuid,
		      const struct cs_table *table, unsigned int flags,
		      const struct stat *like);

/**
 * cs_dm_node_stat() - stat /dev/mapper/@name (following a udev symlink)
 * @name: dm name
 * @st: filled in
 *
 * Return: 0, or -errno with the error recorded (naming the node).
 */
int cs_dm_node_stat(const char *name, struct stat *st);

/**
 * cs_dm_load() - load @table as the inactive table of @name
 * @name: dm name
 * @table: table
 *
 * Return: 0 or -errno (-EINVAL: the kernel refused the table, see dmesg).
 */
int cs_dm_load(const char *name, const struct cs_table *table);

/**
 * cs_dm_clear() - drop the inactive table of @name
 * @name: dm name
 *
 * Return: 0 or -errno.
 */
int cs_dm_clear(const char *name);

/**
 * cs_dm_suspend() - suspend @name, flushing I/O in flight
 * @name: dm name
 * @lockfs: freeze a filesystem mounted on it first (the default of
 *	dmsetup suspend); false: DM_SKIP_LOCKFS
 *
 * Return: 0 or -errno.
 */
int cs_dm_suspend(const char *name, bool lockfs);

/**
 * cs_dm_resume() - resume @name, making a loaded inactive table live
 * @name: dm name
 * @flags: 0 or CS_DM_HIDDEN
 *
 * Return: 0 or -errno.
 */
int cs_dm_resume(const char *name, unsigned int flags);

/**
 * cs_dm_remove() - remove the dm device @name (its mapping only)
 * @name: dm name
 * @flags: 0 or CS_DM_HIDDEN
 *
 * Retries for a while if it is briefly busy (udev probing it).
 * Return: 0, -EBUSY if it is open, -ENXIO if it does not exist, or -errno.
 */
int cs_dm_remove(const char *name, unsigned int flags);

/**
 * cs_dm_remove_deferred() - remove @name, or mark it to be removed when
 * its last opener closes it (DM_DEFERRED_REMOVE)
 * @name: dm name
 * @flags: 0 or CS_DM_HIDDEN
 *
 * Return: 0 (removed, or marked while open), -ENXIO if it does not exist,
 * or -errno.
 */
int cs_dm_remove_deferred(const char *name, unsigned int flags);

/**
 * cs_dm_set_uuid() - give @name the dm uuid @uuid (it must have none)
 * @name: dm name
 * @uuid: new dm uuid
 *
 * Return: 0, -EINVAL if the kernel refused (it already has one), -errno.
 */
int cs_dm_set_uuid(const char *name, const char *uuid);

/**
 * cs_dm_message() - send a target message to sector 0 of @name
 * @name: dm name
 * @msg: message text
 * @answer: receives the answer, malloc'ed ("" if none); free() it
 *
 * Return: 0 or -errno (-EINVAL: the target refused the message).
 */
int cs_dm_message(const char *name, const char *msg, char **answer);

/**
 * cs_dm_wait_event() - wait until @name's event counter differs from
 * @event_nr (DM_DEV_WAIT)
 * @name: dm name
 * @event_nr: counter value from cs_dm_info()
 *
 * Sleeps; a signal without SA_RESTART ends the wait.
 * Return: 0, -EINTR on a signal, or -errno.
 */
int cs_dm_wait_event(const char *name, uint32_t event_nr);

/**
 * cs_dm_target_present() - is target type @type registered in the kernel?
 * @type: target type name
 *
 * Return: 1 yes, 0 no (its module may still load on first use), -errno.
 */
int cs_dm_target_present(const char *type);

/** cs_dm_is_dm() - Return: true if @dev is a device-mapper device */
bool cs_dm_is_dm(struct cs_devno dev);

/**
 * cs_dev_kernel_name() - kernel name of a block device ("loop0", "dm-3")
 * @dev: device number
 * @buf: output
 * @size: size of @buf
 *
 * Return: 0 or -ENODEV.
 */
int cs_dev_kernel_name(struct cs_devno dev, char *buf, size_t size);

#endif /* COWSNAP_DM_H */
