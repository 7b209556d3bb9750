// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl: backup VOLUME... --to DIR.  One snapshot set of all the
 * volumes, copied whole or as the changes since the last backup in DIR;
 * silent unless something goes wrong, for cron (a progress line on a
 * terminal, a summary with --json).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cowsnapctl.h"

/**
 * struct backup - what the callbacks of one run need
 * @progress: the progress line; first, as ctl_progress_show() takes
 *	the same pointer
 * @ctl: the options
 */
struct backup {
	struct ctl_progress progress;
	const struct ctl *ctl;
};

static int made(void *priv, const struct cs_snap_made *m)
{
	const struct backup *b = priv;

	if (!b->ctl->store_limit)
		return 0;
	cs_log(1, "%s: starting the store monitor", m->id);
	return ctl_start_monitor(b->ctl, m);
}

static void warn(void *priv, const char *fmt, ...)
{
	struct backup *b = priv;
	char buf[512];
	va_list ap;

	ctl_progress_end(&b->progress);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ctl_warn("%s", buf);
}

static uint64_t blocks(const struct cs_bk_volume *v)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < v->nr_ranges; i++)
		n += (v->ranges[i].length + v->block_size - 1) / v->block_size;
	return n;
}

static void volume_json(struct cs_json *j, const struct cs_bk_result *res,
			unsigned int i)
{
	const struct cs_bk_volume *v = &res->m.vols[i];

	cs_json_begin_object(j, NULL);
	cs_json_string(j, "name", v->name);
	cs_json_string(j, "kind", v->full ? "full" : "incremental");
	if (res->reason[i][0])
		cs_json_string(j, "reason", res->reason[i]);
	else
		cs_json_null(j, "reason");
	cs_json_u64(j, "size", v->size);
	cs_json_u64(j, "bytes_copied", v->bytes_copied);
	cs_json_u64(j, "blocks", blocks(v));
	cs_json_u64(j, "ranges", v->nr_ranges);
	cs_json_string(j, "file", v->file);
	cs_json_string(j, "sha256", v->sha256);
	cs_json_end_object(j);
}

static int summary_json(const struct ctl *ctl, const struct cs_bk_result *res)
{
	uint64_t bytes = 0, nr = 0;
	struct cs_json j;
	unsigned int i;

	for (i = 0; i < res->m.nr; i++) {
		bytes += res->m.vols[i].bytes_copied;
		nr += blocks(&res->m.vols[i]);
	}
	cs_json_init(&j, stdout, CS_JSON_PRETTY);
	cs_json_begin_object(&j, NULL);
	cs_json_string(&j, "dir", ctl->to);
	cs_json_string(&j, "point", res->m.point);
	cs_json_string(&j, "set", res->m.set);
	cs_json_u64(&j, "freeze_us", res->m.freeze_us);
	cs_json_u64(&j, "freeze_ms", (res->m.freeze_us + 500) / 1000);
	cs_json_u64(&j, "duration_ms", (res->duration_us + 500) / 1000);
	cs_json_u64(&j, "bytes_copied", bytes);
	cs_json_u64(&j, "blocks", nr);
	cs_json_begin_array(&j, "volumes");
	for (i = 0; i < res->m.nr; i++)
		volume_json(&j, res, i);
	cs_json_end_array(&j);
	cs_json_end_object(&j);
	return cs_json_finish(&j);
}

static int check_backup(struct ctl *ctl)
{
	int i;

	for (i = 0; i < ctl->nr_args; i++)
		if (cs_volume_name_check(ctl->args[i]))
			return ctl_usage_error(ctl, "%s: %s", ctl->args[i],
					       cs_last_error()->why);
	if (!ctl->to)
		return ctl_usage_error(ctl, "option '--to DIR' is required");
	if (ctl->full && ctl->incremental)
		return ctl_usage_error(ctl, "--full and --incremental exclude each other");
	return ctl_check_volume_list(ctl);
}

static int do_backup(struct ctl *ctl)
{
	struct backup b = { .ctl = ctl };
	const struct cs_bk_opts o = {
		.dir = ctl->to,
		.mode = ctl->full ? CS_BK_FULL : ctl->incremental ?
			CS_BK_INCREMENTAL : CS_BK_AUTO,
		.snap = {
			.store = ctl->store, .store_size = ctl->store_size,
			.store_limit = ctl->store_limit,
			.chunk_size = ctl->chunk_size,
		},
		.made = made, .warn = warn, .stop = &ctl_stopped,
		.progress = ctl_progress_show, .priv = &b,
	};
	struct cs_bk_result *res;
	int r;

	res = calloc(1, sizeof(*res));
	if (!res)
		return -ENOMEM;
	ctl_progress_init(&b.progress, "backup");
	ctl_catch_stop();
	r = cs_bk_run(ctl->args, (unsigned int)ctl->nr_args, &o, res);
	ctl_progress_end(&b.progress);
	if (!r && ctl->json)
		r = summary_json(ctl, res);
	if (!r)
		cs_log(1, "%s: backup %s complete", ctl->to, res->m.point);
	cs_bk_manifest_free(&res->m);
	free(res);
	return r;
}

const struct command cmd_backup = {
	.name = "backup", .fn = do_backup, .check = check_backup,
	.min_args = 1, .max_args = INT_MAX,
	.options = OPT_TO | OPT_FULL | OPT_INCREMENTAL | OPT_STORE |
		   OPT_STORE_SIZE | OPT_STORE_LIMIT | OPT_CHUNK_SIZE | OPT_JSON,
	.usage = "VOLUME... --to DIR",
	.help = "Back up the volumes at one instant into DIR, whole or changes only.",
};
