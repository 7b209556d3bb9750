// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: volumes: create, adopt, remove, list.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/fs.h>

#include "stack.h"
#include "volume.h"

/* ------------------------------------------------------------------------
 * create
 * ---------------------------------------------------------------------- */

/* Device number and size in sectors of block device @path. */
static int probe_device(const char *path, struct stat *st,
			struct cs_devno *dev, uint64_t *sectors)
{
	uint64_t bytes;
	int fd, r = 0;

	if (stat(path, st))
		return cs_error_set(-errno, path, "%s", strerror(errno));
	if (!S_ISBLK(st->st_mode))
		return cs_error_set(-ENOTBLK, path, "not a block device");
	dev->major = major(st->st_rdev);
	dev->minor = minor(st->st_rdev);
	/*
	 * O_EXCL fails while anything holds the device: a mounted
	 * filesystem, another dm table (a second volume over the same disk
	 * would corrupt it), md, swap.
	 */
	fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0 && errno == EBUSY)
		return cs_error_set(-EBUSY, path,
				    "in use (mounted, or held by another "
				    "device such as a dm table)");
	if (fd < 0)
		return cs_error_set(-errno, path, "cannot open: %s",
				    strerror(errno));
	if (ioctl(fd, BLKGETSIZE64, &bytes))
		r = cs_error_set(-errno, path, "cannot read size: %s",
				 strerror(errno));
	close(fd);
	if (r)
		return r;
	*sectors = bytes >> 9;
	if (!*sectors)
		return cs_error_set(-EINVAL, path,
				    "has size 0 (smaller than one sector)");
	return 0;
}

/* Refuse a device that is already a piece of some cowsnap volume. */
static int check_not_ours(const char *path, struct cs_devno dev)
{
	struct cs_dm_info info;
	int r;

	if (!cs_dm_is_dm(dev))
		return 0;
	r = cs_dm_info_devno(dev, &info);
	if (r)
		return cs_error_set(r, path, "cannot read dm device: %s",
				    strerror(-r));
	if (info.exists && !strncmp(info.uuid, CS_UUID_PREFIX,
				    strlen(CS_UUID_PREFIX)))
		return cs_error_set(-EMEDIUMTYPE, path,
				    "is cowsnap device %s; use the disk beneath it",
				    info.name);
	return 0;
}

int cs_volume_create(const char *name, const char *device, char *vuuid)
{
	char v[CS_VUUID_LEN + 1], uuid[CS_DM_UUID_LEN], params[64];
	struct cs_table table = { 0 };
	struct cs_dm_info info;
	struct cs_devno dev;
	uint64_t sectors;
	struct stat st;
	int r;

	r = cs_volume_name_check(name);
	if (r)
		return r;
	r = cs_dm_info(name, &info);
	if (r)
		return cs_error_set(r, name, "cannot read device: %s",
				    strerror(-r));
	if (info.exists)
		return cs_error_set(-EEXIST, name, "already exists");
	r = probe_device(device, &st, &dev, &sectors);
	if (!r)
		r = check_not_ours(device, dev);
	if (r)
		return r;
	r = cs_vuuid_generate(v);
	if (r)
		return r;
	cs_uuid_format(v, NULL, uuid, sizeof(uuid));
	snprintf(params, sizeof(params), "%" PRIu32 ":%" PRIu32 " 0",
		 dev.major, dev.minor);
	r = cs_table_add(&table, 0, sectors, "linear", params);
	if (r)
		return cs_error_set(r, name, "%s", strerror(-r));
	cs_log(1, "%s: creating, 0 %" PRIu64 " linear %s", name, sectors,
	       params);
	/* The volume's node gets the owner and mode of the device's. */
	r = cs_dm_create_like(name, uuid, &table, 0, &st);
	cs_table_free(&table);
	if (r)
		return cs_error_set(r, name, "cannot create over %s: %s%s",
				    device, strerror(-r),
				    r == -EBUSY ? " (in use? mounted?)" : "");
	if (vuuid)
		memcpy(vuuid, v, sizeof(v));
	return 0;
}

/* ------------------------------------------------------------------------
 * adopt
 * ---------------------------------------------------------------------- */

int cs_volume_adopt(const char *name, char *vuuid)
{
	char v[CS_VUUID_LEN + 1], uuid[CS_DM_UUID_LEN];
	struct cs_dm_info info;
	int r;

	r = cs_dm_info(name, &info);
	if (r)
		return cs_error_set(r, name, "cannot read device: %s",
				    strerror(-r));
	if (!info.exists)
		return cs_error_set(-ENODEV, name, "no such device");
	switch (cs_uuid_parse(info.uuid, NULL, NULL)) {
	case CS_UUID_NONE:
		break;
	case CS_UUID_VOLUME:
		return cs_error_set(-EEXIST, name, "is a cowsnap volume already");
	case CS_UUID_FOREIGN:
		return cs_error_set(-EMEDIUMTYPE, name,
				    "has dm uuid %s, owned by another manager",
				    info.uuid);
	default:
		return cs_error_set(-EMEDIUMTYPE, name,
				    "is a cowsnap device (dm uuid %s), not adoptable",
				    info.uuid);
	}
	r = cs_volume_name_check(name);
	if (r)
		return r;
	r = cs_vuuid_generate(v);
	if (r)
		return r;
	cs_uuid_format(v, NULL, uuid, sizeof(uuid));
	cs_log(1, "%s: setting dm uuid %s", name, uuid);
	r = cs_dm_set_uuid(name, uuid);
	if (r)
		return cs_error_set(r, name, "cannot set dm uuid: %s",
				    strerror(-r));
	if (vuuid)
		memcpy(vuuid, v, sizeof(v));
	return 0;
}

/* ------------------------------------------------------------------------
 * remove
 * ---------------------------------------------------------------------- */

static unsigned int layer_flags(unsigned int i)
{
	return i ? CS_DM_HIDDEN : 0;
}

static int check_unused(const struct cs_volume *vol)
{
	const struct cs_dm_info *info = &vol->layers[0].info;
	unsigned int i;

	if (info->open_count)
		return cs_error_set(-EBUSY, vol->name,
				    "is open (open count %d); unmount it first",
				    info->open_count);
	for (i = 1; i < vol->nr_layers; i++) {
		info = &vol->layers[i].info;
		if (info->open_count > 1)
			return cs_error_set(-EBUSY, info->name,
					    "is open by something besides %s",
					    vol->layers[i - 1].info.name);
	}
	return 0;
}

/* Undo: create layers @n-1 .. 0 again, bottom-up. */
static void recreate(const struct cs_volume *vol, unsigned int n)
{
	const struct cs_layer *l;
	int r;

	while (n--) {
		l = &vol->layers[n];
		r = cs_dm_create(l->info.name, l->info.uuid, &l->table,
				 layer_flags(n));
		if (r)
			cs_error_append("undo: cannot create %s again: %s",
					l->info.name, strerror(-r));
	}
}

int cs_volume_remove(const char *name)
{
	struct cs_volume *vol;
	unsigned int i;
	int r;

	r = cs_volume_open(name, &vol);
	if (r)
		return r;
	r = check_unused(vol);
	if (r)
		goto out;
	for (i = 0; i < vol->nr_layers; i++) {
		cs_log(1, "%s: removing", vol->layers[i].info.name);
		r = cs_dm_remove(vol->layers[i].info.name, layer_flags(i));
		if (r) {
			cs_error_set(r, vol->layers[i].info.name,
				     "cannot remove: %s", strerror(-r));
			recreate(vol, i);
			break;
		}
	}
out:
	cs_volume_free(vol);
	return r;
}

/* ------------------------------------------------------------------------
 * list
 * ---------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cs_volume_list(char ***names)
{
	struct cs_dm_info info;
	char **all, **p;
	int nr, n = 0, r;

	nr = cs_dm_list(&all);
	if (nr < 0)
		return cs_error_set(nr, NULL, "cannot list dm devices: %s",
				    strerror(-nr));
	/* Keep the volumes in place, free the others. */
	for (p = all; *p; p++) {
		r = cs_dm_info(*p, &info);
		if (!r && info.exists &&
		    cs_uuid_parse(info.uuid, NULL, NULL) == CS_UUID_VOLUME) {
			all[n++] = *p;
			continue;
		}
		free(*p);
		if (r && r != -ENXIO) {
			for (p++; *p; p++)
				free(*p);
			all[n] = NULL;
			cs_strv_free(all);
			return cs_error_set(r, NULL, "cannot read dm devices: %s",
					    strerror(-r));
		}
	}
	all[n] = NULL;
	qsort(all, n, sizeof(*all), cmp_str);
	*names = all;
	return n;
}
