// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: removing layers of a live volume, with undo, and the table
 * changes that pushing (stack-push.c) shares.
 *
 * Removing the layer whose target is in the table of device D (the top or
 * a hidden layer) gives D the table of the device below it, then removes
 * that device.  When D is hidden, the top is suspended with lockfs first
 * and resumed last, D is suspended without lockfs: top-down suspend,
 * bottom-up resume, as LVM does.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "stack-priv.h"

int cs_stack_check_idle(const struct cs_volume *vol)
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

void cs_stack_restore_table(const char *name, const struct cs_table *old,
			    bool reload, unsigned int flags)
{
	int r;

	(void)cs_dm_clear(name);
	if (reload) {
		r = cs_dm_load(name, old);
		if (r)
			cs_error_append("undo: cannot reload the old table of %s: %s",
					name, strerror(-r));
	}
	r = cs_dm_resume(name, flags);
	if (r)
		cs_error_append("undo: %s left suspended: %s", name,
				strerror(-r));
}

int cs_stack_explain_load(int r, const char *name,
			  const struct cs_table *new)
{
	const char *type = new->nr ? new->targets[0].type : "";

	if (r == -EINVAL && new->nr && cs_dm_target_present(type) == 0)
		return cs_error_set(r, name,
				    "kernel has no %s target (is its module loaded?)",
				    type);
	return cs_error_set(r, name, "cannot load the %s table: %s%s", type,
			    strerror(-r), r == -EINVAL ? " (see dmesg)" : "");
}

int cs_stack_step_failed(bool undo, int r, const char *name,
			 const char *what)
{
	if (undo)
		cs_error_append("undo: %s: %s: %s", name, what, strerror(-r));
	else
		cs_error_set(r, name, "%s: %s", what, strerror(-r));
	return r;
}

int cs_stack_replace_table(const char *name, bool hidden,
			   const struct cs_table *old,
			   const struct cs_table *new, bool undo)
{
	unsigned int flags = hidden ? CS_DM_HIDDEN : 0;
	int r;

	cs_log(1, "%s: suspending%s", name, hidden ? "" : " (lockfs)");
	r = cs_dm_suspend(name, !hidden);
	if (r) {
		cs_stack_step_failed(undo, r, name, "cannot suspend");
		(void)cs_dm_resume(name, flags);
		return r;
	}
	cs_log(1, "%s: loading %s table", name,
	       new->nr ? new->targets[0].type : "empty");
	r = cs_dm_load(name, new);
	if (r) {
		if (undo)
			cs_stack_step_failed(undo, r, name, "cannot load table");
		else
			cs_stack_explain_load(r, name, new);
		cs_stack_restore_table(name, old, false, flags);
		return r;
	}
	cs_log(1, "%s: resuming", name);
	r = cs_dm_resume(name, flags);
	if (r) {
		cs_stack_step_failed(undo, r, name,
				     "cannot resume with the new table");
		cs_stack_restore_table(name, old, true, flags);
		return r;
	}
	return 0;
}

/*
 * Replace the table @old of layers[@idx] by @new.  A hidden layer is
 * changed while the top is suspended with lockfs, so that no bio is in
 * flight through it and the filesystem on the top is frozen.  On failure
 * @old is live again (or the failure of that is recorded too).
 */
static int change_table(const struct cs_volume *vol, unsigned int idx,
			const struct cs_table *old, const struct cs_table *new,
			bool undo)
{
	const char *name = vol->layers[idx].info.name;
	int r, r2;

	if (!idx)
		return cs_stack_replace_table(name, false, old, new, undo);
	cs_log(1, "%s: suspending (lockfs)", vol->name);
	r = cs_dm_suspend(vol->name, true);
	if (r) {
		cs_stack_step_failed(undo, r, vol->name, "cannot suspend");
		(void)cs_dm_resume(vol->name, 0);
		return r;
	}
	r = cs_stack_replace_table(name, true, old, new, undo);
	cs_log(1, "%s: resuming", vol->name);
	r2 = cs_dm_resume(vol->name, 0);
	if (!r2)
		return r;
	if (!r) {
		cs_stack_step_failed(undo, r2, vol->name, "cannot resume");
		/* Give the layer its table back so that the caller's undo holds. */
		(void)cs_stack_replace_table(name, true, new, old, true);
		r = r2;
	}
	cs_error_append("%s left suspended", vol->name);
	return r;
}

/* A hidden layer whose table is about to change must be left alone too. */
static int check_layer_idle(const struct cs_layer *l)
{
	if (l->info.suspended)
		return cs_error_set(-EBUSY, l->info.name,
				    "is suspended; resume it first");
	if (l->info.inactive_table)
		return cs_error_set(-EBUSY, l->info.name,
				    "has an inactive table loaded; clear it first");
	return 0;
}

int cs_stack_remove(struct cs_volume *vol, unsigned int idx)
{
	struct cs_layer *l, *below;
	int r, r2;

	if (idx + 1 >= vol->nr_layers)
		return cs_error_set(-EINVAL, vol->name, "has no layer to remove");
	l = &vol->layers[idx];
	below = &vol->layers[idx + 1];
	r = cs_stack_check_idle(vol);
	if (!r && idx)
		r = check_layer_idle(l);
	if (r)
		return r;
	if (below->info.open_count > 1)
		return cs_error_set(-EBUSY, below->info.name,
				    "is open by something besides %s",
				    l->info.name);
	r = change_table(vol, idx, &l->table, &below->table, false);
	if (r)
		return r;
	cs_log(1, "%s: removing", below->info.name);
	r = cs_dm_remove(below->info.name, CS_DM_HIDDEN);
	if (!r)
		return 0;
	cs_error_set(r, below->info.name, "cannot remove: %s", strerror(-r));
	/* Give the layer back rather than leave an orphan. */
	r2 = change_table(vol, idx, &below->table, &l->table, true);
	if (!r2)
		cs_error_append("%s left as it was", vol->name);
	return r;
}

int cs_stack_pop(struct cs_volume *vol)
{
	return cs_stack_remove(vol, 0);
}
