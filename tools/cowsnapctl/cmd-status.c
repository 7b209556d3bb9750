// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl: status, the layer stack of one volume from top to disk.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/dm-blkfilter.h>
#include <linux/dm-cbt.h>

#include "cowsnapctl.h"

/* "/dev/mapper/<name>" for a dm device, "/dev/<kernel name>" otherwise. */
static void backing_path(struct cs_devno dev, char *buf, size_t size)
{
	char kname[CS_DM_NAME_LEN];
	struct cs_dm_info info;

	if (cs_dm_is_dm(dev) && !cs_dm_info_devno(dev, &info) && info.exists)
		snprintf(buf, size, "/dev/mapper/%s", info.name);
	else if (!cs_dev_kernel_name(dev, kname, sizeof(kname)))
		snprintf(buf, size, "/dev/%s", kname);
	else
		snprintf(buf, size, "?");
}

static const struct cs_layer *bottom(const struct cs_volume *vol)
{
	return &vol->layers[vol->nr_layers - 1];
}

/* ------------------------------------------------------------------------
 * JSON
 * ---------------------------------------------------------------------- */

static void json_devno(struct cs_json *j, struct cs_devno dev)
{
	char devno[CS_DEVNO_LEN];

	cs_json_string(j, "devno", cs_format_devno(dev.major, dev.minor, devno));
	cs_json_u64(j, "major", dev.major);
	cs_json_u64(j, "minor", dev.minor);
}

static void json_layer(struct cs_json *j, const struct cs_layer *l)
{
	unsigned int i;

	cs_json_begin_object(j, NULL);
	cs_json_string(j, "layer", l->layer[0] ? l->layer : "top");
	cs_json_string(j, "name", l->info.name);
	cs_json_string(j, "uuid", l->info.uuid);
	json_devno(j, l->info.dev);
	cs_json_i64(j, "open_count", l->info.open_count);
	cs_json_bool(j, "suspended", l->info.suspended);
	cs_json_begin_array(j, "targets");
	for (i = 0; i < l->table.nr; i++) {
		const struct cs_target *t = &l->table.targets[i];

		cs_json_begin_object(j, NULL);
		cs_json_u64(j, "start", t->start);
		cs_json_u64(j, "length", t->length);
		cs_json_string(j, "type", t->type);
		cs_json_string(j, "params", t->params);
		cs_json_string(j, "status", i < l->status.nr ?
			       l->status.targets[i].params : NULL);
		cs_json_end_object(j);
	}
	cs_json_end_array(j);
	cs_json_end_object(j);
}

static void status_json(const struct cs_volume *vol)
{
	const struct cs_layer *b = bottom(vol);
	char path[CS_DM_NAME_LEN + 16];
	struct cs_json j;
	unsigned int i;

	cs_json_init(&j, stdout, CS_JSON_PRETTY);
	cs_json_begin_object(&j, NULL);
	cs_json_string(&j, "name", vol->name);
	cs_json_string(&j, "uuid", vol->layers[0].info.uuid);
	cs_json_u64(&j, "size_sectors", vol->size);
	cs_json_u64(&j, "size_bytes", vol->size * 512);
	cs_json_bool(&j, "filter",
		     cs_volume_find_target(vol, BLKFILTER_TARGET_NAME) >= 0);
	cs_json_bool(&j, "cbt", cs_volume_find_target(vol, CBT_TARGET_NAME) >= 0);
	cs_json_begin_array(&j, "layers");
	for (i = 0; i < vol->nr_layers; i++)
		json_layer(&j, &vol->layers[i]);
	cs_json_end_array(&j);
	cs_json_begin_array(&j, "backing");
	for (i = 0; i < b->nr_deps; i++) {
		backing_path(b->deps[i], path, sizeof(path));
		cs_json_begin_object(&j, NULL);
		cs_json_string(&j, "path", path);
		json_devno(&j, b->deps[i]);
		cs_json_end_object(&j);
	}
	cs_json_end_array(&j);
	cs_json_end_object(&j);
	cs_json_finish(&j);
}

/* ------------------------------------------------------------------------
 * Human
 * ---------------------------------------------------------------------- */

static int add_layer_rows(struct cs_columns *c, const struct cs_layer *l)
{
	char devno[CS_DEVNO_LEN], open[16], line[1024];
	const char *label = l->layer[0] ? l->layer : "top";
	unsigned int i;
	int r = 0;

	cs_format_devno(l->info.dev.major, l->info.dev.minor, devno);
	snprintf(open, sizeof(open), "%d", l->info.open_count);
	for (i = 0; i < l->table.nr && !r; i++) {
		const struct cs_target *t = &l->table.targets[i];
		const char *first[] = { label, l->info.name, devno, open,
					t->type, line };
		const char *more[] = { "", "", "", "", t->type, line };

		snprintf(line, sizeof(line), "%" PRIu64 " %" PRIu64 " %s %s",
			 t->start, t->length, t->type, t->params);
		r = cs_columns_add(c, i ? more : first);
	}
	if (!l->table.nr) {
		const char *empty[] = { label, l->info.name, devno, open,
					"-", "(no table)" };

		r = cs_columns_add(c, empty);
	}
	return r;
}

static int status_human(const struct cs_volume *vol)
{
	static const char *const heads[] = {
		"LAYER", "DEVICE", "DEVNO", "OPEN", "TARGET", "TABLE",
	};
	const struct cs_layer *b = bottom(vol);
	char size[CS_SIZE_LEN], path[CS_DM_NAME_LEN + 16], devno[CS_DEVNO_LEN];
	struct cs_columns c;
	unsigned int i;
	int r;

	printf("%s: volume %s, %s (%" PRIu64 " sectors), open count %d\n",
	       vol->name, vol->layers[0].info.uuid, cs_format_size(vol->size, size),
	       vol->size, vol->layers[0].info.open_count);
	r = cs_columns_init(&c, 6, heads, 1u << 3);
	for (i = 0; i < vol->nr_layers && !r; i++)
		r = add_layer_rows(&c, &vol->layers[i]);
	for (i = 0; i < b->nr_deps && !r; i++) {
		const char *row[] = { "backing", path, devno, "", "", "" };

		backing_path(b->deps[i], path, sizeof(path));
		cs_format_devno(b->deps[i].major, b->deps[i].minor, devno);
		r = cs_columns_add(&c, row);
	}
	if (!r)
		cs_columns_print(&c, stdout);
	cs_columns_free(&c);
	return r;
}

static int do_status(struct ctl *ctl)
{
	struct cs_volume *vol;
	int r;

	r = cs_volume_open(ctl->args[0], &vol);
	if (r)
		return r;
	if (ctl->json)
		status_json(vol);
	else
		r = status_human(vol);
	cs_volume_free(vol);
	return r;
}

const struct command cmd_status = {
	.name = "status", .fn = do_status, .min_args = 1, .max_args = 1,
	.options = OPT_JSON, .usage = "NAME",
	.help = "Show the layer stack of volume NAME.",
};
