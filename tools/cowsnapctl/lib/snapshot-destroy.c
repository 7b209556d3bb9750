// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: destroying a snapshot set (see snapshot.h).
 *
 *	1. stop the set's monitor
 *	2. (--force) suspend the open images with lockfs: no more writes
 *	3. for each member whose volume has a tracker: read the sectors
 *	   written through its image ("written", paged) and mark them dirty
 *	   ("mark_dirty"), so that the next incremental backup holds them
 *	4. remove the images; an open one (--force) gets a table that fails
 *	   all I/O and a deferred remove
 *	5. remove each volume's origin layer (cs_stack_remove())
 *	6. remove the store; its loops detach themselves
 *
 * Nothing is removed if step 3 fails; if an image cannot be removed, the
 * images removed before it are made again.  A later failure leaves a set
 * that a second destroy finishes: it works on whatever devices are left.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <linux/dm-cbt.h>

#include "snapshot.h"
#include "stack.h"

/* ------------------------------------------------------------------------
 * Written ranges into the tracker
 * ---------------------------------------------------------------------- */

static int add_extents(struct cs_cbt_extent **all, size_t *nr,
		       const struct cs_snap_written *page, uint64_t size)
{
	struct cs_cbt_extent *v, e;
	unsigned int i;

	v = reallocarray(*all, *nr + page->count + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*all = v;
	for (i = 0; i < page->count; i++) {
		e = page->ranges[i];
		if (e.sector >= size)
			continue;
		if (e.count > size - e.sector)	/* a chunk past the end */
			e.count = size - e.sector;
		v[(*nr)++] = e;
	}
	return 0;
}

/* Every range written through the image of member @dev (@size sectors). */
static int read_written(const char *dev, uint64_t size,
			struct cs_cbt_extent **all, size_t *nr)
{
	struct cs_snap_written page;
	uint64_t sector = 0;
	char msg[64], *answer;
	int r = 0;

	while (!r && sector < size) {
		snprintf(msg, sizeof(msg), "%s %" PRIu64, COWSNAP_MSG_WRITTEN,
			 sector);
		r = cs_dm_message(dev, msg, &answer);
		if (r)
			return cs_error_set(r, dev, "message \"%s\" failed: %s",
					    msg, strerror(-r));
		r = cs_snap_written_parse(answer, sector, 0, size, &page);
		if (r)
			cs_error_set(r, dev, "malformed answer to \"%s\": \"%.60s\"",
				     msg, answer);
		free(answer);
		if (!r)
			r = add_extents(all, nr, &page, size);
		sector = page.next;
		cs_snap_written_free(&page);
	}
	return r;
}

static int mark_member(const struct cs_snap_member *m)
{
	const struct cs_snap_dev *d = m->image.present ? &m->image : &m->origin;
	struct cs_cbt_extent *all = NULL;
	struct cs_snap_info info;
	struct cs_cbt cbt;
	size_t nr = 0;
	int r;

	if (!m->volume[0] || !d->present)
		return 0;
	r = cs_cbt_open(m->volume, &cbt);
	if (r == -ENOTCONN || r == -ENODEV)
		return 0;		/* no tracker, or no volume */
	if (!r)
		r = cs_snap_get_info(d->info.name, &info);
	if (r || !info.written)
		return r;
	r = read_written(d->info.name, d->size, &all, &nr);
	if (!r && nr)
		r = cs_cbt_mark_dirty(&cbt, all, nr);
	if (!r)
		cs_log(1, "%s: %zu ranges written through %s marked dirty",
		       m->volume, nr, d->info.name);
	free(all);
	return r;
}

/* ------------------------------------------------------------------------
 * Images
 * ---------------------------------------------------------------------- */

static int image_table(const struct cs_snap_dev *d, struct cs_table *t)
{
	char params[256];
	int r;

	r = cs_snap_params_format(&d->params, true, params, sizeof(params));
	if (!r)
		r = cs_table_add(t, 0, d->size, COWSNAP_IMAGE_TARGET_NAME,
				 params);
	return r;
}

/* Undo: make the images of members [0, @n) again. */
static void recreate_images(const struct cs_snap_set *s, unsigned int n)
{
	const struct cs_snap_dev *d;
	struct cs_table t = { 0 };
	struct stat st, *like;
	int r;

	while (n--) {
		d = &s->members[n].image;
		if (!d->present)
			continue;
		like = s->members[n].volume[0] &&
		       !cs_dm_node_stat(s->members[n].volume, &st) ? &st : NULL;
		r = image_table(d, &t);
		if (!r)
			r = cs_dm_create_like(d->info.name, d->info.uuid, &t,
					      0, like);
		cs_table_free(&t);
		if (r)
			cs_error_append("undo: cannot create %s again: %s",
					d->info.name, strerror(-r));
	}
}

/* An open image: fail all its I/O from now on, remove it once closed. */
static int remove_open_image(const struct cs_snap_dev *d)
{
	struct cs_table t = { 0 };
	const char *name = d->info.name;
	int r;

	r = cs_table_add(&t, 0, d->size, "error", "");
	if (!r)
		r = cs_dm_load(name, &t);
	if (!r)
		r = cs_dm_resume(name, 0);
	cs_table_free(&t);
	if (r)
		return cs_error_set(r, name, "cannot replace the table: %s",
				    strerror(-r));
	cs_log(1, "%s: open, fails all I/O; removed when closed", name);
	r = cs_dm_remove_deferred(name, 0);
	if (r)
		return cs_error_set(r, name, "cannot remove: %s",
				    strerror(-r));
	return 0;
}

static int remove_images(const struct cs_snap_set *s, bool force)
{
	const struct cs_snap_dev *d;
	unsigned int i;
	int r = 0;

	for (i = 0; i < s->nr_members && !r; i++) {
		d = &s->members[i].image;
		if (!d->present)
			continue;
		if (force && d->info.open_count > 0) {
			r = remove_open_image(d);
			continue;
		}
		cs_log(1, "%s: removing", d->info.name);
		r = cs_dm_remove(d->info.name, 0);
		if (r) {
			cs_error_set(r, d->info.name, "cannot remove: %s%s",
				     strerror(-r),
				     r == -EBUSY ? " (opened meanwhile?)" : "");
			recreate_images(s, i);
		}
	}
	return r;
}

/* --force: freeze the open images, so that nothing is written after the
 * written ranges are read; Return: 0 or -errno (all resumed again). */
static int suspend_open(const struct cs_snap_set *s, bool resume)
{
	const struct cs_snap_dev *d;
	unsigned int i;
	int r = 0;

	for (i = 0; i < s->nr_members; i++) {
		d = &s->members[i].image;
		if (!d->present || d->info.open_count <= 0)
			continue;
		if (resume) {
			(void)cs_dm_resume(d->info.name, 0);
			continue;
		}
		r = cs_dm_suspend(d->info.name, true);
		if (r) {
			cs_error_set(r, d->info.name, "cannot suspend: %s",
				     strerror(-r));
			suspend_open(s, true);
			return r;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Origins, store, the whole
 * ---------------------------------------------------------------------- */

/* The layer of @vol holding the origin target of set @id, or -ENOENT. */
static int find_origin(const struct cs_volume *vol, const char *id)
{
	struct cs_snap_params p;
	const struct cs_table *t;
	unsigned int i;

	for (i = 0; i + 1 < vol->nr_layers; i++) {
		t = &vol->layers[i].table;
		if (cs_table_is(t, COWSNAP_ORIGIN_TARGET_NAME) &&
		    !cs_snap_params_parse(t->targets[0].params, &p) &&
		    !strcmp(p.set, id) &&
		    !strcmp(vol->layers[i + 1].layer, CS_LAYER_ORIGIN))
			return (int)i;
	}
	return -ENOENT;
}

static int remove_origin(const struct cs_snap_set *s,
			 const struct cs_snap_member *m)
{
	struct cs_volume *vol;
	int i, r;

	if (!m->origin.present)
		return 0;
	if (!m->volume[0])
		return cs_error_set(-ENODEV, m->origin.info.name,
				    "no volume has uuid %s%s; not touching it",
				    CS_UUID_PREFIX, m->member);
	r = cs_volume_open(m->volume, &vol);
	if (r)
		return r;
	i = find_origin(vol, s->id);
	if (i < 0)
		r = cs_error_set(-EBUSY, m->origin.info.name,
				 "table is not a single cowsnap-origin target over %s-%s; not touching it",
				 m->volume, CS_LAYER_ORIGIN);
	else
		r = cs_stack_remove(vol, (unsigned int)i);
	cs_volume_free(vol);
	return r;
}

static int check_open(const struct cs_snap_set *s)
{
	const struct cs_snap_dev *d;
	unsigned int i;

	for (i = 0; i < s->nr_members; i++) {
		d = &s->members[i].image;
		if (d->present && d->info.open_count > 0)
			return cs_error_set(-EBUSY, d->info.name,
					    "is open (open count %d); unmount it, or use --force",
					    d->info.open_count);
	}
	return 0;
}

static int destroy_set(const struct cs_snap_set *s, bool force)
{
	unsigned int i;
	int r;

	r = force ? 0 : check_open(s);
	if (!r)
		r = cs_snap_monitor_stop(s->id, 5000);
	if (!r && force)
		r = suspend_open(s, false);
	if (r)
		return r;
	for (i = 0; i < s->nr_members && !r; i++)
		r = mark_member(&s->members[i]);
	if (r) {
		if (force)
			suspend_open(s, true);
		return r;
	}
	r = remove_images(s, force);
	for (i = 0; i < s->nr_members && !r; i++)
		r = remove_origin(s, &s->members[i]);
	if (!r && s->has_store) {
		cs_log(1, "%s: removing", s->store.name);
		r = cs_dm_remove(s->store.name, CS_DM_HIDDEN);
		if (r)
			cs_error_set(r, s->store.name, "cannot remove: %s",
				     strerror(-r));
	}
	return r;
}

int cs_snap_destroy(const char *id, bool force)
{
	struct cs_snap_set *s;
	int r;

	r = cs_snap_find(id, &s);
	if (r)
		return r;
	r = destroy_set(s, force);
	cs_snap_sets_free(s, 1);
	return r;
}
