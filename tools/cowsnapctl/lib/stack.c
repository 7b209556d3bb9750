// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: a volume as a stack of dm devices (see stack.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"

/* ------------------------------------------------------------------------
 * Reading the stack
 * ---------------------------------------------------------------------- */

static int check_top(const char *name, const struct cs_dm_info *info,
		     char *vuuid)
{
	if (!info->exists)
		return cs_error_set(-ENODEV, name, "no such device");
	switch (cs_uuid_parse(info->uuid, vuuid, NULL)) {
	case CS_UUID_VOLUME:
		return 0;
	case CS_UUID_NONE:
		return cs_error_set(-EMEDIUMTYPE, name,
				    "not a cowsnap volume (no dm uuid; 'cowsnapctl adopt' takes it over)");
	case CS_UUID_FOREIGN:
		return cs_error_set(-EMEDIUMTYPE, name,
				    "has dm uuid %s, owned by another manager",
				    info->uuid);
	case CS_UUID_LAYER:
		return cs_error_set(-EMEDIUMTYPE, name,
				    "is a hidden layer of a cowsnap volume, not a volume");
	case CS_UUID_IMAGE:
		return cs_error_set(-EMEDIUMTYPE, name,
				    "is the image of a snapshot set, not a volume");
	case CS_UUID_STORE:
		return cs_error_set(-EMEDIUMTYPE, name,
				    "is the store of a snapshot set, not a volume");
	default:
		return cs_error_set(-EMEDIUMTYPE, name,
				    "has a malformed cowsnap dm uuid %s",
				    info->uuid);
	}
}

static int read_layer(struct cs_layer *l, const struct cs_dm_info *info,
		      const char *layer)
{
	const char *name = info->name;
	int r;

	l->info = *info;
	snprintf(l->layer, sizeof(l->layer), "%s", layer);
	r = cs_dm_table(name, &l->table);
	if (!r)
		r = cs_dm_status(name, &l->status);
	if (!r)
		r = cs_dm_deps(name, &l->deps, &l->nr_deps);
	if (r)
		return cs_error_set(r, name, "cannot read table: %s",
				    strerror(-r));
	return 0;
}

/*
 * The device below layer @l: the dependency that is a hidden layer of the
 * same volume.  Return: 1 and @below filled, 0 if @l is the bottom, -errno.
 */
static int find_below(const struct cs_volume *vol, const struct cs_layer *l,
		      struct cs_dm_info *below, char *layer)
{
	char vuuid[CS_VUUID_LEN + 1];
	unsigned int i;
	int r;

	for (i = 0; i < l->nr_deps; i++) {
		if (!cs_dm_is_dm(l->deps[i]))
			continue;
		r = cs_dm_info_devno(l->deps[i], below);
		if (r)
			return cs_error_set(r, l->info.name,
					    "cannot read the device below: %s",
					    strerror(-r));
		if (below->exists &&
		    cs_uuid_parse(below->uuid, vuuid, layer) == CS_UUID_LAYER &&
		    !strcmp(vuuid, vol->vuuid))
			return 1;
	}
	return 0;
}

int cs_volume_open(const char *name, struct cs_volume **volp)
{
	char layer[CS_LAYER_MAX] = "";
	struct cs_volume *vol;
	struct cs_dm_info info;
	int r;

	vol = calloc(1, sizeof(*vol));
	if (!vol)
		return -ENOMEM;
	r = cs_dm_info(name, &info);
	if (r) {
		cs_error_set(r, name, "cannot read device: %s", strerror(-r));
		goto fail;
	}
	r = check_top(name, &info, vol->vuuid);
	if (r)
		goto fail;
	snprintf(vol->name, sizeof(vol->name), "%s", info.name);
	for (;;) {
		if (vol->nr_layers == CS_STACK_MAX) {
			r = cs_error_set(-ELOOP, name,
					 "stack deeper than %d devices",
					 CS_STACK_MAX);
			goto fail;
		}
		r = read_layer(&vol->layers[vol->nr_layers++], &info, layer);
		if (r)
			goto fail;
		r = find_below(vol, &vol->layers[vol->nr_layers - 1], &info,
			       layer);
		if (r < 0)
			goto fail;
		if (!r)
			break;
	}
	vol->size = cs_table_size(&vol->layers[0].table);
	*volp = vol;
	return 0;
fail:
	cs_volume_free(vol);
	return r;
}

void cs_volume_free(struct cs_volume *vol)
{
	unsigned int i;

	if (!vol)
		return;
	for (i = 0; i < vol->nr_layers; i++) {
		cs_table_free(&vol->layers[i].table);
		cs_table_free(&vol->layers[i].status);
		free(vol->layers[i].deps);
	}
	free(vol);
}

int cs_volume_find_target(const struct cs_volume *vol, const char *type)
{
	unsigned int i;

	for (i = 0; i < vol->nr_layers; i++)
		if (cs_table_find(&vol->layers[i].table, type) >= 0)
			return (int)i;
	return -ENOENT;
}
