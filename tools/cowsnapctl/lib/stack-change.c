// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: pushing and popping layers of a live volume, with undo.
 *
 * Order of a push (the "-real" pattern):
 *
 *	1. create VOL-<layer> with VOL's table        undo: remove it
 *	2. suspend VOL, lockfs                         undo: resume VOL
 *	3. load VOL's new table                        undo: clear, resume
 *	4. resume VOL                                  undo: load old, resume
 *
 * A pop is steps 2-4 with the table of the device below, then its removal.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "stack.h"

/* Refuse to touch a top device that someone else is in the middle of. */
static int check_idle(const struct cs_volume *vol)
{
	const struct cs_dm_info *top = &vol->layers[0].info;

	if (top->suspended)
		return cs_error_set(-EBUSY, vol->name,
				    "is suspended; resume it first");
	if (top->inactive_table)
		return cs_error_set(-EBUSY, vol->name,
				    "has an inactive table loaded; clear it first");
	if (!top->live_table || !vol->size)
		return cs_error_set(-EBUSY, vol->name, "has no live table");
	return 0;
}

/*
 * Put @old back as the live table of @name after a failed change.  Every
 * failure here is added to the error already recorded.
 */
static void restore_table(const char *name, const struct cs_table *old,
			  bool reload)
{
	int r;

	(void)cs_dm_clear(name);
	if (reload) {
		r = cs_dm_load(name, old);
		if (r)
			cs_error_append("undo: cannot reload the old table of %s: %s",
					name, strerror(-r));
	}
	r = cs_dm_resume(name, 0);
	if (r)
		cs_error_append("undo: %s left suspended: %s", name,
				strerror(-r));
}

static int explain_load(int r, const char *name, const struct cs_table *new)
{
	const char *type = new->nr ? new->targets[0].type : "";

	if (r == -EINVAL && new->nr && cs_dm_target_present(type) == 0)
		return cs_error_set(r, name,
				    "kernel has no %s target (is its module loaded?)",
				    type);
	return cs_error_set(r, name, "cannot load the %s table: %s%s", type,
			    strerror(-r), r == -EINVAL ? " (see dmesg)" : "");
}

/* Record a failed step, or add it to the error already recorded (undo). */
static int step_failed(bool undo, int r, const char *name, const char *what)
{
	if (undo)
		cs_error_append("undo: %s: %s: %s", name, what, strerror(-r));
	else
		cs_error_set(r, name, "%s: %s", what, strerror(-r));
	return r;
}

/*
 * Replace the live table @old of top device @name by @new: suspend with
 * lockfs, load, resume.  On failure @old is live again, or an undo failure
 * is recorded too.  @undo: this call is itself an undo; add its failures
 * to the error already recorded.
 */
static int replace_table(const char *name, const struct cs_table *old,
			 const struct cs_table *new, bool undo)
{
	int r;

	cs_log(1, "%s: suspending (lockfs)", name);
	r = cs_dm_suspend(name, true);
	if (r) {
		step_failed(undo, r, name, "cannot suspend");
		(void)cs_dm_resume(name, 0);
		return r;
	}
	cs_log(1, "%s: loading %s table", name,
	       new->nr ? new->targets[0].type : "empty");
	r = cs_dm_load(name, new);
	if (r) {
		if (undo)
			step_failed(undo, r, name, "cannot load table");
		else
			explain_load(r, name, new);
		restore_table(name, old, false);
		return r;
	}
	cs_log(1, "%s: resuming", name);
	r = cs_dm_resume(name, 0);
	if (r) {
		step_failed(undo, r, name, "cannot resume with the new table");
		restore_table(name, old, true);
		return r;
	}
	return 0;
}

static int create_layer(struct cs_volume *vol, const char *layer,
			char *lname, size_t size, struct cs_dm_info *info)
{
	char luuid[CS_DM_UUID_LEN];
	int r;

	r = cs_layer_dm_name(vol->name, layer, lname, size);
	if (!r)
		r = cs_uuid_format(vol->vuuid, layer, luuid, sizeof(luuid));
	if (r)
		return cs_error_set(r, vol->name, "cannot name layer %s: %s",
				    layer, strerror(-r));
	r = cs_dm_info(lname, info);
	if (!r && info->exists)
		return cs_error_set(-EEXIST, lname, "already exists");
	cs_log(1, "%s: creating with the table of %s", lname, vol->name);
	r = cs_dm_create(lname, luuid, &vol->layers[0].table, CS_DM_HIDDEN);
	if (r)
		return cs_error_set(r, lname, "cannot create: %s",
				    strerror(-r));
	r = cs_dm_info(lname, info);
	if (!r && !info->exists)
		r = -ENXIO;
	if (r) {
		cs_error_set(r, lname, "cannot read new device: %s",
			     strerror(-r));
		(void)cs_dm_remove(lname, CS_DM_HIDDEN);
	}
	return r;
}

int cs_stack_push(struct cs_volume *vol, const char *layer, const char *type,
		  const char *params)
{
	char lname[CS_DM_NAME_LEN], devno[CS_DEVNO_LEN], line[512];
	struct cs_table new = { 0 };
	struct cs_dm_info info;
	int r, r2;

	if (vol->nr_layers == CS_STACK_MAX)
		return cs_error_set(-E2BIG, vol->name, "stack is full");
	r = check_idle(vol);
	if (r)
		return r;
	r = create_layer(vol, layer, lname, sizeof(lname), &info);
	if (r)
		return r;
	snprintf(line, sizeof(line), "%s%s%s",
		 cs_format_devno(info.dev.major, info.dev.minor, devno),
		 *params ? " " : "", params);
	r = cs_table_add(&new, 0, vol->size, type, line);
	if (r) {
		cs_error_set(r, vol->name, "%s", strerror(-r));
		goto undo;
	}
	r = replace_table(vol->name, &vol->layers[0].table, &new, false);
	if (!r)
		goto out;
undo:
	cs_log(1, "%s: removing", lname);
	r2 = cs_dm_remove(lname, CS_DM_HIDDEN);
	if (r2)
		cs_error_append("undo: %s not removed: %s", lname,
				strerror(-r2));
out:
	cs_table_free(&new);
	return r;
}

int cs_stack_pop(struct cs_volume *vol)
{
	struct cs_layer *top = &vol->layers[0], *below = &vol->layers[1];
	int r, r2;

	if (vol->nr_layers < 2)
		return cs_error_set(-EINVAL, vol->name, "has no layer to remove");
	r = check_idle(vol);
	if (r)
		return r;
	if (below->info.open_count > 1)
		return cs_error_set(-EBUSY, below->info.name,
				    "is open by something besides %s",
				    vol->name);
	r = replace_table(vol->name, &top->table, &below->table, false);
	if (r)
		return r;
	cs_log(1, "%s: removing", below->info.name);
	r = cs_dm_remove(below->info.name, CS_DM_HIDDEN);
	if (!r)
		return 0;
	cs_error_set(r, below->info.name, "cannot remove: %s", strerror(-r));
	/* Give the top its layer back rather than leave an orphan. */
	r2 = replace_table(vol->name, &below->table, &top->table, true);
	if (!r2)
		cs_error_append("%s left as it was", vol->name);
	return r;
}
