// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl: snapshot create, destroy, extend, and the table of the
 * snapshot verbs (list and info are in cmd-snapshot-show.c, wait and
 * monitor in cmd-snapshot-wait.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cowsnapctl.h"

/* ------------------------------------------------------------------------
 * create
 * ---------------------------------------------------------------------- */

int ctl_start_monitor(const struct ctl *ctl, const struct cs_snap_made *m)
{
	char limit[24], step[24], id[CS_SNAP_NAME_LEN];
	char *argv[] = {
		program_invocation_short_name, "snapshot", "monitor", id,
		"--store-limit", limit, "--store-size", step, NULL,
	};

	snprintf(id, sizeof(id), "%s", m->id);
	snprintf(limit, sizeof(limit), "%" PRIu64, ctl->store_limit);
	snprintf(step, sizeof(step), "%" PRIu64, m->store_size * 512);
	return cs_spawn_daemon("/proc/self/exe", argv, CTL_MONITOR_READY);
}

/* Undo a made set after a later failure, keeping the first error. */
static void unmake(const struct cs_snap_made *m)
{
	struct cs_error e = *cs_last_error();
	int r;

	r = cs_snap_destroy(m->id, true);
	cs_error_set(e.err, e.dev, "%s", e.why);
	if (r)
		cs_error_append("undo: snapshot set %s not removed", m->id);
}

static void made_json(const struct cs_snap_made *m, pid_t pid,
		      uint64_t limit)
{
	char path[CS_DM_NAME_LEN + 16];
	struct cs_json j;
	unsigned int i;

	cs_json_init(&j, stdout, CS_JSON_PRETTY);
	cs_json_begin_object(&j, NULL);
	cs_json_string(&j, "set", m->id);
	cs_json_u64(&j, "freeze_ms", (m->freeze_us + 500) / 1000);
	cs_json_u64(&j, "freeze_us", m->freeze_us);
	cs_json_u64(&j, "chunk_size", m->chunk_size);
	cs_json_begin_object(&j, "store");
	cs_json_string(&j, "name", m->store_name);
	cs_json_u64(&j, "size_sectors", m->store_size);
	cs_json_end_object(&j);
	if (limit)
		cs_json_u64(&j, "store_limit_bytes", limit);
	else
		cs_json_null(&j, "store_limit_bytes");
	if (pid)
		cs_json_i64(&j, "monitor_pid", pid);
	else
		cs_json_null(&j, "monitor_pid");
	cs_json_begin_array(&j, "members");
	for (i = 0; i < m->nr; i++) {
		snprintf(path, sizeof(path), "/dev/mapper/%s", m->image[i]);
		cs_json_begin_object(&j, NULL);
		cs_json_string(&j, "volume", m->volume[i]);
		cs_json_string(&j, "image", m->image[i]);
		cs_json_string(&j, "path", path);
		if (m->cbt_frozen[i])
			cs_json_u64(&j, "cbt_frozen", m->cbt_frozen[i]);
		else
			cs_json_null(&j, "cbt_frozen");
		cs_json_end_object(&j);
	}
	cs_json_end_array(&j);
	cs_json_end_object(&j);
	cs_json_finish(&j);
}

static int made_human(const struct cs_snap_made *m, pid_t pid,
		      uint64_t limit)
{
	static const char *const heads[] = { "VOLUME", "IMAGE", "CBT_FROZEN" };
	char size[CS_SIZE_LEN], path[CS_DM_NAME_LEN + 16], frozen[16];
	struct cs_columns c;
	unsigned int i;
	int r;

	printf("set:         %s\nfreeze_ms:   %" PRIu64 ".%" PRIu64 "\n"
	       "chunk_size:  %" PRIu32 "\nstore:       /dev/mapper/%s (%s)\n",
	       m->id, m->freeze_us / 1000, m->freeze_us / 100 % 10,
	       m->chunk_size, m->store_name,
	       cs_format_size(m->store_size, size));
	if (pid)
		printf("monitor:     pid %d, grows the store up to %s\n",
		       (int)pid, cs_format_size(limit / 512, size));
	r = cs_columns_init(&c, 3, heads, 1u << 2);
	for (i = 0; i < m->nr && !r; i++) {
		const char *row[] = { m->volume[i], path, frozen };

		snprintf(path, sizeof(path), "/dev/mapper/%s", m->image[i]);
		snprintf(frozen, sizeof(frozen), m->cbt_frozen[i] ? "%u" : "-",
			 m->cbt_frozen[i]);
		r = cs_columns_add(&c, row);
	}
	if (!r)
		cs_columns_print(&c, stdout);
	cs_columns_free(&c);
	return r;
}

int ctl_check_volume_list(struct ctl *ctl)
{
	int i, k;

	if (ctl->nr_args > COWSNAP_MEMBERS_MAX)
		return ctl_usage_error(ctl, "at most %d volumes in one set",
				       COWSNAP_MEMBERS_MAX);
	for (i = 0; i < ctl->nr_args; i++)
		for (k = 0; k < i; k++)
			if (!strcmp(ctl->args[i], ctl->args[k]))
				return ctl_usage_error(ctl, "volume '%s' given twice",
						       ctl->args[i]);
	return 0;
}

static int check_volumes(struct ctl *ctl)
{
	if (!ctl->store)
		return ctl_usage_error(ctl, "option '--store' is required");
	return ctl_check_volume_list(ctl);
}

static int do_create(struct ctl *ctl)
{
	const struct cs_snap_opts o = {
		.id = ctl->name, .store = ctl->store,
		.store_size = ctl->store_size, .store_limit = ctl->store_limit,
		.chunk_size = ctl->chunk_size,
	};
	struct cs_snap_made *m;
	pid_t pid = 0;
	int r;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	r = cs_snap_create(ctl->args, (unsigned int)ctl->nr_args, &o, m);
	if (!r && ctl->store_limit) {
		r = ctl_start_monitor(ctl, m);
		if (r)
			unmake(m);
		else
			pid = cs_snap_monitor_pid(m->id);
	}
	if (!r && ctl->json)
		made_json(m, pid, ctl->store_limit);
	else if (!r)
		r = made_human(m, pid, ctl->store_limit);
	free(m);
	return r;
}

/* ------------------------------------------------------------------------
 * destroy, extend
 * ---------------------------------------------------------------------- */

static int do_destroy(struct ctl *ctl)
{
	int r;

	r = cs_snap_destroy(ctl->args[0], ctl->force);
	if (!r)
		cs_log(1, "%s: snapshot set destroyed", ctl->args[0]);
	return r;
}

static int do_extend(struct ctl *ctl)
{
	char size[CS_SIZE_LEN];
	uint64_t added;
	int r;

	r = cs_snap_extend(ctl->args[0], ctl->store, ctl->size, &added);
	if (!r)
		printf("%s: store grown by %s (%" PRIu64 " sectors)\n",
		       ctl->args[0], cs_format_size(added, size), added);
	return r;
}

/* ------------------------------------------------------------------------
 * The verbs
 * ---------------------------------------------------------------------- */

static const struct command cmd_snapshot_create = {
	.name = "create", .fn = do_create, .check = check_volumes,
	.min_args = 1,
	.max_args = INT_MAX,
	.options = OPT_STORE | OPT_STORE_SIZE | OPT_STORE_LIMIT |
		   OPT_CHUNK_SIZE | OPT_NAME | OPT_JSON,
	.usage = "VOLUME... --store PATH",
	.help = "Take a snapshot of the volumes at one instant.",
};

static const struct command cmd_snapshot_destroy = {
	.name = "destroy", .fn = do_destroy, .min_args = 1, .max_args = 1,
	.options = OPT_FORCE, .usage = "ID",
	.help = "Remove snapshot set ID: its images, origins and store.",
};

static const struct command cmd_snapshot_extend = {
	.name = "extend", .fn = do_extend, .min_args = 1, .max_args = 1,
	.options = OPT_SIZE | OPT_STORE, .usage = "ID",
	.help = "Give the store of snapshot set ID more space.",
};

static const struct command *const snapshot_verbs[] = {
	&cmd_snapshot_create, &cmd_snapshot_list, &cmd_snapshot_info,
	&cmd_snapshot_wait, &cmd_snapshot_extend, &cmd_snapshot_destroy,
	&cmd_snapshot_monitor, NULL,
};

const struct command cmd_snapshot = {
	.name = "snapshot", .sub = snapshot_verbs,
	.help = "Take copy-on-write snapshots of volumes, several at one instant.",
};
