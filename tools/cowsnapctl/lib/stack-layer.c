// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: a layer that is one target over the layer below (cbt,
 * blkfilter), enabled, found and disabled by its target type (see
 * struct cs_layer_type).
 */
#include <errno.h>

#include "stack.h"

/* Read volume @name into *@volp (cs_volume_free() it); Return: the index
 * of the layer holding @lt's target; -ENOTCONN if there is none, or as
 * cs_volume_open(), with *@volp freed. */
static int open_layer(const char *name, const struct cs_layer_type *lt,
		      struct cs_volume **volp)
{
	int r;

	r = cs_volume_open(name, volp);
	if (r)
		return r;
	r = cs_volume_find_target(*volp, lt->target);
	if (r < 0) {
		cs_volume_free(*volp);
		return cs_error_set(-ENOTCONN, name, "%s", lt->absent);
	}
	return r;
}

int cs_layer_enable(const char *name, const struct cs_layer_type *lt,
		    cs_layer_params_fn *params, const void *arg)
{
	char buf[CS_LAYER_PARAMS_MAX];
	struct cs_volume *vol;
	int r;

	r = cs_volume_open(name, &vol);
	if (r)
		return r;
	r = cs_volume_find_target(vol, lt->target);
	if (r >= 0) {
		r = cs_error_set(-EEXIST, name, "%s (%s)", lt->present,
				 vol->layers[r].info.name);
		goto out;
	}
	r = params(vol, arg, buf, sizeof(buf));
	if (!r)
		r = cs_stack_push(vol, lt->layer, lt->target, buf);
out:
	cs_volume_free(vol);
	return r;
}

int cs_layer_find(const char *name, const struct cs_layer_type *lt,
		  struct cs_dm_info *info)
{
	struct cs_volume *vol;
	int r;

	r = open_layer(name, lt, &vol);
	if (r < 0)
		return r;
	*info = vol->layers[r].info;
	cs_volume_free(vol);
	return 0;
}

int cs_layer_disable(const char *name, const struct cs_layer_type *lt)
{
	struct cs_volume *vol;
	int r;

	r = open_layer(name, lt, &vol);
	if (r < 0)
		return r;
	if (!cs_table_is(&vol->layers[r].table, lt->target) ||
	    (unsigned int)r + 1 >= vol->nr_layers)
		r = cs_error_set(-EBUSY, vol->layers[r].info.name,
				 "table is not a single %s target over a layer of %s; not touching it",
				 lt->target, name);
	else
		r = cs_stack_remove(vol, (unsigned int)r);
	cs_volume_free(vol);
	return r;
}
