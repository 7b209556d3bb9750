// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl: cbt enable, disable, info, checkpoint, mark-dirty, and the
 * table of the cbt verbs (changes and map are in cmd-cbt-read.c, events
 * in cmd-cbt-events.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/dm-cbt.h>

#include "cowsnapctl.h"

/* ------------------------------------------------------------------------
 * enable, disable
 * ---------------------------------------------------------------------- */

static int do_enable(struct ctl *ctl)
{
	int r;

	r = cs_cbt_enable(ctl->args[0], ctl->block_size);
	if (!r)
		cs_log(1, "%s: cbt enabled", ctl->args[0]);
	return r;
}

static int do_disable(struct ctl *ctl)
{
	int r;

	r = cs_cbt_disable(ctl->args[0]);
	if (!r)
		cs_log(1, "%s: cbt disabled", ctl->args[0]);
	return r;
}

/* ------------------------------------------------------------------------
 * info
 * ---------------------------------------------------------------------- */

/* One key of the info answer: a number, or a string (NULL: none). */
struct info_field {
	const char *key;
	bool text;
	const char *str;
	uint64_t num;
};

#define NUM(k, v)	{ .key = k, .num = v }
#define STR(k, v)	{ .key = k, .text = true, .str = v }

static void print_info(const struct cs_cbt_info *i, bool json)
{
	const struct info_field f[] = {
		NUM("capacity", i->capacity),
		NUM("block_size", i->block_size),
		NUM("blocks", i->blocks),
		STR("state", i->state),
		STR("generation", i->generation),
		NUM("current", i->current),
		NUM("frozen", i->frozen),
		STR("frozen_generation", i->frozen_generation[0] ?
		    i->frozen_generation : NULL),
		NUM("frozen_blocks", i->frozen_blocks),
		NUM("memory", i->memory),
		NUM("last_event", i->last_event),
	};
	const unsigned int n = sizeof(f) / sizeof(f[0]);
	struct cs_json j;
	unsigned int k;

	if (!json) {
		for (k = 0; k < n; k++) {
			printf("%s:%*s", f[k].key, 19 - (int)strlen(f[k].key), "");
			if (f[k].text)
				printf("%s\n", f[k].str ? f[k].str : "-");
			else
				printf("%" PRIu64 "\n", f[k].num);
		}
		return;
	}
	cs_json_init(&j, stdout, CS_JSON_PRETTY);
	cs_json_begin_object(&j, NULL);
	for (k = 0; k < n; k++) {
		if (f[k].text)
			cs_json_string(&j, f[k].key, f[k].str);
		else
			cs_json_u64(&j, f[k].key, f[k].num);
	}
	cs_json_end_object(&j);
	cs_json_finish(&j);
}

static int do_info(struct ctl *ctl)
{
	struct cs_cbt_info info;
	struct cs_cbt cbt;
	int r;

	r = cs_cbt_open(ctl->args[0], &cbt);
	if (!r)
		r = cs_cbt_get_info(&cbt, &info);
	if (!r)
		print_info(&info, ctl->json);
	return r;
}

/* ------------------------------------------------------------------------
 * checkpoint
 * ---------------------------------------------------------------------- */

static int do_checkpoint(struct ctl *ctl)
{
	struct cs_cbt_checkpoint cp;
	struct cs_cbt cbt;
	struct cs_json j;
	int r;

	r = cs_cbt_open(ctl->args[0], &cbt);
	if (!r)
		r = cs_cbt_checkpoint(&cbt, &cp);
	if (r)
		return r;
	if (!ctl->json) {
		printf("frozen:     %u\ngeneration: %s\n", cp.frozen,
		       cp.generation);
		if (cp.reset)
			printf("new generation: the live map was cleared, its change numbers restart at 1\n");
		return 0;
	}
	cs_json_init(&j, stdout, CS_JSON_PRETTY);
	cs_json_begin_object(&j, NULL);
	cs_json_u64(&j, "frozen", cp.frozen);
	cs_json_string(&j, "generation", cp.generation);
	cs_json_bool(&j, "reset", cp.reset);
	cs_json_end_object(&j);
	return cs_json_finish(&j);
}

/* ------------------------------------------------------------------------
 * mark-dirty
 * ---------------------------------------------------------------------- */

static int parse_extents(struct ctl *ctl, struct cs_cbt_extent *e)
{
	int i, r;

	for (i = 1; i < ctl->nr_args; i++) {
		r = cs_cbt_extent_parse(ctl->args[i], &e[i - 1]);
		if (r)
			return ctl_usage_error(ctl,
					       "invalid range '%s' (SECTOR:COUNT in 512-byte sectors, COUNT at least 1)",
					       ctl->args[i]);
	}
	return 0;
}

static int check_extents(struct ctl *ctl, const struct cs_cbt_extent *e,
			 size_t nr, uint64_t capacity)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (e[i].sector + e[i].count > capacity)
			return ctl_usage_error(ctl,
					       "range '%s' ends beyond the end of %s (%" PRIu64 " sectors)",
					       ctl->args[i + 1], ctl->args[0],
					       capacity);
	return 0;
}

static int do_mark_dirty(struct ctl *ctl)
{
	size_t nr = (size_t)ctl->nr_args - 1;
	struct cs_cbt_extent *e;
	struct cs_cbt_info info;
	struct cs_cbt cbt;
	int r;

	e = calloc(nr, sizeof(*e));
	if (!e)
		return -ENOMEM;
	r = parse_extents(ctl, e);
	if (!r)
		r = cs_cbt_open(ctl->args[0], &cbt);
	if (!r)
		r = cs_cbt_get_info(&cbt, &info);
	if (!r)
		r = check_extents(ctl, e, nr, info.capacity);
	if (!r)
		r = cs_cbt_mark_dirty(&cbt, e, nr);
	if (!r)
		cs_log(1, "%s: %zu ranges marked dirty", ctl->args[0], nr);
	free(e);
	return r;
}

/* ------------------------------------------------------------------------
 * The verbs
 * ---------------------------------------------------------------------- */

static const struct command cmd_cbt_enable = {
	.name = "enable", .fn = do_enable, .min_args = 1, .max_args = 1,
	.options = OPT_BLOCK_SIZE, .usage = "NAME",
	.help = "Track the changed blocks of NAME.",
};

static const struct command cmd_cbt_disable = {
	.name = "disable", .fn = do_disable, .min_args = 1, .max_args = 1,
	.usage = "NAME",
	.help = "Stop tracking NAME, forget its map.",
};

static const struct command cmd_cbt_info = {
	.name = "info", .fn = do_info, .min_args = 1, .max_args = 1,
	.options = OPT_JSON, .usage = "NAME",
	.help = "Show the change tracker of NAME.",
};

static const struct command cmd_cbt_checkpoint = {
	.name = "checkpoint", .fn = do_checkpoint, .min_args = 1,
	.max_args = 1, .options = OPT_JSON, .usage = "NAME",
	.help = "Freeze the change map of NAME.",
};

static const struct command cmd_cbt_mark_dirty = {
	.name = "mark-dirty", .fn = do_mark_dirty, .min_args = 2,
	.max_args = INT_MAX, .usage = "NAME SECTOR:COUNT...",
	.help = "Mark sectors of NAME as changed.",
};

static const struct command *const cbt_verbs[] = {
	&cmd_cbt_enable, &cmd_cbt_disable, &cmd_cbt_info, &cmd_cbt_checkpoint,
	&cmd_cbt_changes, &cmd_cbt_map, &cmd_cbt_mark_dirty, &cmd_cbt_events,
	NULL,
};

const struct command cmd_cbt = {
	.name = "cbt", .sub = cbt_verbs,
	.help = "Track the blocks of a volume that change, for incremental backups.",
};
