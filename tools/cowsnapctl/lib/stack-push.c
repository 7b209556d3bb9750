// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: pushing a layer below the top of a live volume, in steps,
 * with undo (see struct cs_push).
 *
 * Order of a push (the "-real" pattern, tables loaded before the suspend
 * so that the filesystem is frozen only for the switch, as LVM does):
 *
 *	1. create VOL-<layer> with VOL's table        undo: remove it
 *	2. load VOL's new table (inactive)             undo: clear it
 *	3. suspend VOL, lockfs                         undo: clear, resume VOL
 *	4. resume VOL                                  undo: suspend, load old,
 *	                                                     resume
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "stack-priv.h"

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

int cs_push_create(struct cs_push *p, struct cs_volume *vol,
		   const char *layer)
{
	int r;

	memset(p, 0, sizeof(*p));
	p->vol = vol;
	if (vol->nr_layers == CS_STACK_MAX)
		return cs_error_set(-E2BIG, vol->name, "stack is full");
	r = cs_stack_check_idle(vol);
	if (!r)
		r = create_layer(vol, layer, p->lname, sizeof(p->lname),
				 &p->linfo);
	if (!r)
		p->step = CS_PUSH_CREATED;
	return r;
}

int cs_push_load(struct cs_push *p, const char *type, const char *params)
{
	const char *top = p->vol->name;
	char devno[CS_DEVNO_LEN], line[512];
	int n, r;

	n = snprintf(line, sizeof(line), "%s%s%s",
		     cs_format_devno(p->linfo.dev.major, p->linfo.dev.minor,
				     devno), *params ? " " : "", params);
	if (n < 0 || (size_t)n >= sizeof(line))
		return cs_error_set(-ENAMETOOLONG, top, "table line too long");
	cs_table_free(&p->table);
	r = cs_table_add(&p->table, 0, p->vol->size, type, line);
	if (r)
		return cs_error_set(r, top, "%s", strerror(-r));
	cs_log(1, "%s: loading %s table", top, type);
	r = cs_dm_load(top, &p->table);
	if (r)
		return cs_stack_explain_load(r, top, &p->table);
	p->step = CS_PUSH_LOADED;
	return 0;
}

int cs_push_suspend(struct cs_push *p)
{
	int r;

	cs_log(1, "%s: suspending (lockfs)", p->vol->name);
	r = cs_dm_suspend(p->vol->name, true);
	if (r)
		return cs_stack_step_failed(false, r, p->vol->name,
					    "cannot suspend");
	p->step = CS_PUSH_SUSPENDED;
	return 0;
}

int cs_push_resume(struct cs_push *p)
{
	int r;

	cs_log(1, "%s: resuming", p->vol->name);
	r = cs_dm_resume(p->vol->name, 0);
	if (r) {
		p->step = CS_PUSH_BROKEN;
		return cs_stack_step_failed(false, r, p->vol->name,
					    "cannot resume with the new table");
	}
	p->step = CS_PUSH_RESUMED;
	return 0;
}

/* Give the top its old table back; Return: 0 if it is live again. */
static int undo_top(struct cs_push *p)
{
	const struct cs_table *old = &p->vol->layers[0].table;
	const char *top = p->vol->name;

	switch (p->step) {
	case CS_PUSH_RESUMED:
		return cs_stack_replace_table(top, false, &p->table, old, true);
	case CS_PUSH_BROKEN:
		cs_stack_restore_table(top, old, true, 0);
		return 0;
	case CS_PUSH_LOADED:
	case CS_PUSH_SUSPENDED:
		/* The inactive table goes first: resume would make it live. */
		cs_stack_restore_table(top, old, false, 0);
		return 0;
	default:
		return 0;
	}
}

void cs_push_undo(struct cs_push *p)
{
	int r;

	if (p->step == CS_PUSH_NONE)
		return;
	if (undo_top(p)) {
		cs_error_append("%s kept, %s still uses it", p->lname,
				p->vol->name);
		return;
	}
	cs_log(1, "%s: removing", p->lname);
	r = cs_dm_remove(p->lname, CS_DM_HIDDEN);
	if (r)
		cs_error_append("undo: %s not removed: %s", p->lname,
				strerror(-r));
	p->step = CS_PUSH_NONE;
}

void cs_push_free(struct cs_push *p)
{
	cs_table_free(&p->table);
}

int cs_stack_push(struct cs_volume *vol, const char *layer, const char *type,
		  const char *params)
{
	struct cs_push p;
	int r;

	r = cs_push_create(&p, vol, layer);
	if (r)
		return r;
	r = cs_push_load(&p, type, params);
	if (!r)
		r = cs_push_suspend(&p);
	if (!r)
		r = cs_push_resume(&p);
	if (r)
		cs_push_undo(&p);
	cs_push_free(&p);
	return r;
}
