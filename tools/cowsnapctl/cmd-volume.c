// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl: create, adopt, remove, list, status.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/dm-blkfilter.h>
#include <linux/dm-cbt.h>

#include "cowsnapctl.h"

/* ------------------------------------------------------------------------
 * create, adopt, remove
 * ---------------------------------------------------------------------- */

static int check_name(struct ctl *ctl)
{
	if (cs_volume_name_check(ctl->args[0]))
		return ctl_usage_error(ctl, "'%s': %s", ctl->args[0],
				       cs_last_error()->why);
	return 0;
}

static int do_create(struct ctl *ctl)
{
	char vuuid[CS_VUUID_LEN + 1];
	int r;

	r = check_name(ctl);
	if (r)
		return r;
	r = cs_volume_create(ctl->args[0], ctl->args[1], vuuid);
	if (!r)
		cs_log(1, "%s: created over %s, dm uuid %s%s", ctl->args[0],
		       ctl->args[1], CS_UUID_PREFIX, vuuid);
	return r;
}

static int do_adopt(struct ctl *ctl)
{
	char vuuid[CS_VUUID_LEN + 1];
	int r;

	r = cs_volume_adopt(ctl->args[0], vuuid);
	if (!r)
		cs_log(1, "%s: adopted, dm uuid %s%s", ctl->args[0],
		       CS_UUID_PREFIX, vuuid);
	return r;
}

static int do_remove(struct ctl *ctl)
{
	return cs_volume_remove(ctl->args[0]);
}

const struct command cmd_create = {
	.name = "create", .fn = do_create, .min_args = 2, .max_args = 2,
	.usage = "NAME DEVICE",
	.help = "Make block device DEVICE the volume NAME.",
};

const struct command cmd_adopt = {
	.name = "adopt", .fn = do_adopt, .min_args = 1, .max_args = 1,
	.usage = "NAME",
	.help = "Manage the existing dm device NAME.",
};

const struct command cmd_remove = {
	.name = "remove", .fn = do_remove, .min_args = 1, .max_args = 1,
	.usage = "NAME",
	.help = "Remove the dm devices of volume NAME.",
};

/* ------------------------------------------------------------------------
 * list
 * ---------------------------------------------------------------------- */

static const char *layer_label(const struct cs_layer *l)
{
	return l->layer[0] ? l->layer : "top";
}

static const char *target_type(const struct cs_layer *l)
{
	return l->table.nr ? l->table.targets[0].type : "-";
}

static bool has_filter(const struct cs_volume *vol)
{
	return cs_volume_find_target(vol, BLKFILTER_TARGET_NAME) >= 0;
}

static void list_json(struct cs_volume **vols, int nr)
{
	const struct cs_volume *vol;
	const struct cs_dm_info *top;
	char devno[CS_DEVNO_LEN];
	struct cs_json j;
	unsigned int l;
	int i;

	cs_json_init(&j, stdout, CS_JSON_PRETTY);
	cs_json_begin_object(&j, NULL);
	cs_json_begin_array(&j, "volumes");
	for (i = 0; i < nr; i++) {
		vol = vols[i];
		top = &vol->layers[0].info;
		cs_json_begin_object(&j, NULL);
		cs_json_string(&j, "name", vol->name);
		cs_json_string(&j, "uuid", top->uuid);
		cs_json_string(&j, "devno", cs_format_devno(top->dev.major,
							    top->dev.minor, devno));
		cs_json_u64(&j, "major", top->dev.major);
		cs_json_u64(&j, "minor", top->dev.minor);
		cs_json_u64(&j, "size_sectors", vol->size);
		cs_json_u64(&j, "size_bytes", vol->size * 512);
		cs_json_i64(&j, "open_count", top->open_count);
		cs_json_bool(&j, "filter", has_filter(vol));
		cs_json_bool(&j, "cbt",
			     cs_volume_find_target(vol, CBT_TARGET_NAME) >= 0);
		cs_json_begin_array(&j, "layers");
		for (l = 0; l < vol->nr_layers; l++) {
			cs_json_begin_object(&j, NULL);
			cs_json_string(&j, "layer", layer_label(&vol->layers[l]));
			cs_json_string(&j, "name", vol->layers[l].info.name);
			cs_json_string(&j, "target", target_type(&vol->layers[l]));
			cs_json_end_object(&j);
		}
		cs_json_end_array(&j);
		cs_json_end_object(&j);
	}
	cs_json_end_array(&j);
	cs_json_end_object(&j);
	cs_json_finish(&j);
}

static int list_human(struct cs_volume **vols, int nr)
{
	static const char *const heads[] = {
		"VOLUME", "DEVNO", "SIZE", "OPEN", "LAYERS",
	};
	char devno[CS_DEVNO_LEN], size[CS_SIZE_LEN], open[16], layers[256];
	const struct cs_dm_info *top;
	struct cs_columns c;
	unsigned int l;
	int i, r;

	r = cs_columns_init(&c, 5, heads, 1u << 2 | 1u << 3);
	for (i = 0; i < nr && !r; i++) {
		const char *cells[] = { vols[i]->name, devno, size, open, layers };

		top = &vols[i]->layers[0].info;
		cs_format_devno(top->dev.major, top->dev.minor, devno);
		cs_format_size(vols[i]->size, size);
		snprintf(open, sizeof(open), "%d", top->open_count);
		layers[0] = '\0';
		for (l = 0; l < vols[i]->nr_layers; l++)
			snprintf(layers + strlen(layers),
				 sizeof(layers) - strlen(layers), "%s%s",
				 l ? "," : "", target_type(&vols[i]->layers[l]));
		r = cs_columns_add(&c, cells);
	}
	if (!r && nr)
		cs_columns_print(&c, stdout);
	cs_columns_free(&c);
	return r;
}

static int do_list(struct ctl *ctl)
{
	struct cs_volume **vols = NULL;
	char **names = NULL;
	int nr, n = 0, i, r;

	nr = cs_volume_list(&names);
	if (nr < 0)
		return nr;
	r = -ENOMEM;
	vols = calloc(nr ? nr : 1, sizeof(*vols));
	if (!vols)
		goto out;
	for (i = 0, r = 0; i < nr && !r; i++) {
		r = cs_volume_open(names[i], &vols[n]);
		if (!r)
			n++;
		else if (r == -ENODEV || r == -EMEDIUMTYPE)
			r = 0;		/* gone or changed meanwhile */
	}
	if (!r && ctl->json)
		list_json(vols, n);
	else if (!r)
		r = list_human(vols, n);
out:
	for (i = 0; vols && i < n; i++)
		cs_volume_free(vols[i]);
	free(vols);
	cs_strv_free(names);
	return r;
}

const struct command cmd_list = {
	.name = "list", .fn = do_list, .min_args = 0, .max_args = 0,
	.options = OPT_JSON, .usage = "",
	.help = "List the volumes and their layers.",
};
