// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: taking a snapshot set (see snapshot.h).
 *
 * Order, so that the volumes are frozen together and only for the switch:
 *
 *	1. store: its segment and cowsnap@ID.store      undo: remove, detach
 *	2. per volume: VOL-origin with VOL's table,
 *	   the cowsnap-origin table loaded into VOL     undo: clear, remove
 *	3. suspend every VOL (lockfs)                    undo: clear, resume
 *	4. cbt checkpoint of the volumes with a tracker  (stays taken)
 *	5. resume every VOL: the freeze window ends      undo: old table back
 *	6. per volume: the image VOL@ID                  undo: remove
 *
 * Every volume is suspended before the first is resumed: the set holds
 * the volumes as they were at one instant.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <linux/dm-cbt.h>

#include "snapshot.h"
#include "stack.h"
#include "store.h"

/**
 * struct create - a set being made
 * @o: options
 * @made: result
 * @id: set ID
 * @nr: volumes
 * @vols: the volumes, as opened (stale after their push)
 * @push: the push of each one's origin layer
 * @cbt: index of the layer holding a volume's cbt target, -1: none
 * @chunk: chunk size in bytes
 * @store_bytes: store size wanted
 * @seg: the store's first segment
 * @store: the store device, once made (@store.exists)
 * @nr_images: images made
 */
struct create {
	const struct cs_snap_opts *o;
	struct cs_snap_made *made;
	char id[CS_SNAP_NAME_LEN];
	unsigned int nr;
	struct cs_volume *vols[COWSNAP_MEMBERS_MAX];
	struct cs_push push[COWSNAP_MEMBERS_MAX];
	int cbt[COWSNAP_MEMBERS_MAX];
	uint32_t chunk;
	uint64_t store_bytes;
	struct cs_seg_new seg;
	struct cs_dm_info store;
	unsigned int nr_images;
};

/* ------------------------------------------------------------------------
 * Checks
 * ---------------------------------------------------------------------- */

static int choose_id(struct create *c)
{
	char v[CS_VUUID_LEN + 1];
	struct cs_snap_set *set;
	int r;

	if (c->o->id) {
		r = cs_snap_id_check(c->o->id);
		if (r)
			return r;
		snprintf(c->id, sizeof(c->id), "%s", c->o->id);
	} else {
		r = cs_vuuid_generate(v);
		if (r)
			return r;
		snprintf(c->id, sizeof(c->id), "s%.8s", v);
	}
	r = cs_snap_find(c->id, &set);
	if (!r) {
		cs_snap_sets_free(set, 1);
		return cs_error_set(-EEXIST, c->id,
				    "snapshot set exists already");
	}
	return r == -ENOENT ? 0 : r;
}

/* Refuse a volume that is in a set already, or whose image name is bad. */
static int check_volume(struct create *c, const struct cs_volume *vol)
{
	char name[CS_DM_NAME_LEN];
	struct cs_snap_params p;
	struct cs_dm_info info;
	int i, r;

	i = cs_volume_find_target(vol, COWSNAP_ORIGIN_TARGET_NAME);
	if (i >= 0) {
		const struct cs_table *t = &vol->layers[i].table;
		int k = cs_table_find(t, COWSNAP_ORIGIN_TARGET_NAME);

		if (cs_snap_params_parse(t->targets[k].params, &p))
			strcpy(p.set, "?");
		return cs_error_set(-EBUSY, vol->name,
				    "is in snapshot set %s already", p.set);
	}
	r = cs_image_names(vol->name, vol->vuuid, c->id, name, NULL);
	if (r == -ENAMETOOLONG)
		return cs_error_set(r, vol->name,
				    "image name %s@%s is longer than %d characters; choose a shorter set ID",
				    vol->name, c->id, CS_DM_NAME_LEN - 1);
	if (r)
		return cs_error_set(r, vol->name, "%s", strerror(-r));
	r = cs_dm_info(name, &info);
	if (!r && info.exists)
		return cs_error_set(-EEXIST, name, "already exists");
	return r;
}

static int open_volumes(struct create *c, char *const *vols)
{
	unsigned int i, k;
	int r;

	for (i = 0; i < c->nr; i++) {
		for (k = 0; k < i; k++)
			if (!strcmp(vols[i], vols[k]))
				return cs_error_set(-EINVAL, vols[i],
						    "volume given twice");
		r = cs_volume_open(vols[i], &c->vols[i]);
		if (!r)
			r = check_volume(c, c->vols[i]);
		if (r)
			return r;
		c->cbt[i] = cs_volume_find_target(c->vols[i], CBT_TARGET_NAME);
	}
	return 0;
}

static int choose_sizes(struct create *c)
{
	const struct cs_snap_opts *o = c->o;
	uint64_t largest = 0, total = 0;
	unsigned int i;

	for (i = 0; i < c->nr; i++) {
		total += c->vols[i]->size;
		if (c->vols[i]->size > largest)
			largest = c->vols[i]->size;
	}
	c->chunk = o->chunk_size ? o->chunk_size :
		   cs_snap_default_chunk(largest);
	if (!cs_snap_chunk_valid(c->chunk))
		return cs_error_set(-EINVAL, c->id,
				    "chunk size %u is not a power of two within %u..%u",
				    c->chunk, COWSNAP_CHUNK_MIN,
				    COWSNAP_CHUNK_MAX);
	c->store_bytes = o->store_size ? (o->store_size + 511) / 512 * 512 :
			 cs_snap_default_store(total, c->chunk);
	if (o->store_limit && o->store_limit < c->store_bytes)
		return cs_error_set(-EINVAL, c->id,
				    "store limit %" PRIu64 " is below the store size %" PRIu64,
				    o->store_limit, c->store_bytes);
	return 0;
}

/* ------------------------------------------------------------------------
 * Steps
 * ---------------------------------------------------------------------- */

static int make_store(struct create *c)
{
	struct cs_devset *forbid;
	unsigned int i;
	int r;

	forbid = calloc(1, sizeof(*forbid));
	if (!forbid)
		return cs_error_set(-ENOMEM, c->id, "%s", strerror(ENOMEM));
	for (i = 0; i < c->nr; i++)
		cs_devset_add_volume(forbid, c->vols[i]);
	r = cs_seg_open(c->o->store, c->store_bytes, forbid, &c->seg);
	free(forbid);
	if (r)
		return r;
	r = cs_store_create(c->id, &c->seg.seg, &c->store);
	if (r) {
		cs_seg_abort(&c->seg);
		c->store.exists = false;
		return r;
	}
	cs_seg_held(&c->seg);
	return 0;
}

static void fill_params(const struct create *c, unsigned int i,
			struct cs_snap_params *p)
{
	memset(p, 0, sizeof(*p));
	p->origin = c->push[i].linfo.dev;
	p->store = c->store.dev;
	snprintf(p->set, sizeof(p->set), "%s", c->id);
	snprintf(p->member, sizeof(p->member), "%s", c->vols[i]->vuuid);
	p->chunk_size = c->chunk;
}

static int load_origins(struct create *c)
{
	struct cs_snap_params p;
	char params[256];
	unsigned int i;
	int r;

	for (i = 0; i < c->nr; i++) {
		r = cs_push_create(&c->push[i], c->vols[i], CS_LAYER_ORIGIN);
		if (r)
			return r;
		fill_params(c, i, &p);
		r = cs_snap_params_format(&p, false, params, sizeof(params));
		if (r)
			return cs_error_set(r, c->vols[i]->name, "%s",
					    strerror(-r));
		r = cs_push_load(&c->push[i], COWSNAP_ORIGIN_TARGET_NAME,
				 params);
		if (r)
			return r;
	}
	return 0;
}

/* The volume's tracker freezes the instant of the snapshot. */
static int checkpoint(struct create *c, unsigned int i)
{
	struct cs_cbt_checkpoint cp;
	struct cs_cbt cbt = { .send = NULL };
	const char *dev;
	int r;

	if (c->cbt[i] < 0)
		return 0;
	/* A cbt target in the top moved to VOL-origin with its table. */
	dev = c->cbt[i] ? c->vols[i]->layers[c->cbt[i]].info.name :
	      c->push[i].lname;
	snprintf(cbt.dev, sizeof(cbt.dev), "%s", dev);
	r = cs_cbt_checkpoint(&cbt, &cp);
	if (!r)
		c->made->cbt_frozen[i] = cp.frozen;
	return r;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int freeze(struct create *c)
{
	uint64_t start = now_us();
	unsigned int i;
	int r = 0;

	for (i = 0; i < c->nr && !r; i++)
		r = cs_push_suspend(&c->push[i]);
	for (i = 0; i < c->nr && !r; i++)
		r = checkpoint(c, i);
	for (i = 0; i < c->nr && !r; i++)
		r = cs_push_resume(&c->push[i]);
	c->made->freeze_us = now_us() - start;
	if (!r)
		cs_log(1, "%s: %u volumes frozen for %" PRIu64 " us", c->id,
		       c->nr, c->made->freeze_us);
	return r;
}

static int make_image(struct create *c, unsigned int i)
{
	char name[CS_DM_NAME_LEN], uuid[CS_DM_UUID_LEN], params[256];
	struct cs_table t = { 0 };
	struct cs_snap_params p;
	struct stat st;
	int r;

	fill_params(c, i, &p);
	cs_image_names(c->vols[i]->name, c->vols[i]->vuuid, c->id, name, uuid);
	/* The image holds the volume's data: it gets the volume node's owner. */
	r = cs_dm_node_stat(c->vols[i]->name, &st);
	if (r)
		return r;
	r = cs_snap_params_format(&p, true, params, sizeof(params));
	if (!r)
		r = cs_table_add(&t, 0, c->vols[i]->size,
				 COWSNAP_IMAGE_TARGET_NAME, params);
	if (r)
		return cs_error_set(r, name, "%s", strerror(-r));
	cs_log(1, "%s: creating, 0 %" PRIu64 " %s %s", name, c->vols[i]->size,
	       COWSNAP_IMAGE_TARGET_NAME, params);
	r = cs_dm_create_like(name, uuid, &t, 0, &st);
	cs_table_free(&t);
	if (r)
		return cs_error_set(r, name, "cannot create: %s%s",
				    strerror(-r),
				    r == -EINVAL ? " (see dmesg)" : "");
	snprintf(c->made->image[i], CS_DM_NAME_LEN, "%s", name);
	c->nr_images++;
	return 0;
}

/* ------------------------------------------------------------------------
 * Undo, and the whole
 * ---------------------------------------------------------------------- */

static void undo(struct create *c)
{
	unsigned int i;
	int r;

	while (c->nr_images) {
		i = --c->nr_images;
		r = cs_dm_remove(c->made->image[i], 0);
		if (r)
			cs_error_append("undo: %s not removed: %s",
					c->made->image[i], strerror(-r));
	}
	for (i = c->nr; i-- > 0;)
		cs_push_undo(&c->push[i]);
	if (c->store.exists) {
		r = cs_dm_remove(c->store.name, CS_DM_HIDDEN);
		if (r)
			cs_error_append("undo: %s not removed: %s",
					c->store.name, strerror(-r));
	}
	cs_seg_abort(&c->seg);
}

static void fill_made(struct create *c)
{
	struct cs_snap_made *m = c->made;
	unsigned int i;

	snprintf(m->id, sizeof(m->id), "%s", c->id);
	m->chunk_size = c->chunk;
	snprintf(m->store_name, sizeof(m->store_name), "%s", c->store.name);
	m->store_size = c->seg.seg.sectors;
	m->nr = c->nr;
	for (i = 0; i < c->nr; i++)
		snprintf(m->volume[i], CS_DM_NAME_LEN, "%s", c->vols[i]->name);
}

static int create_set(struct create *c, char *const *vols)
{
	unsigned int i;
	int r;

	r = choose_id(c);
	if (!r)
		r = open_volumes(c, vols);
	if (!r)
		r = choose_sizes(c);
	if (r)
		return r;
	r = make_store(c);
	if (r)
		return r;
	r = load_origins(c);
	if (!r)
		r = freeze(c);
	for (i = 0; i < c->nr && !r; i++)
		r = make_image(c, i);
	if (r) {
		undo(c);
		return r;
	}
	cs_seg_keep(&c->seg);
	fill_made(c);
	return 0;
}

int cs_snap_create(char *const *vols, unsigned int nr,
		   const struct cs_snap_opts *o, struct cs_snap_made *made)
{
	struct create *c;
	unsigned int i;
	int r;

	if (!nr || nr > COWSNAP_MEMBERS_MAX)
		return cs_error_set(-EINVAL, NULL,
				    "a snapshot set holds 1 to %d volumes",
				    COWSNAP_MEMBERS_MAX);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	memset(made, 0, sizeof(*made));
	c->o = o;
	c->made = made;
	c->nr = nr;
	c->seg.loop_fd = -1;
	r = create_set(c, vols);
	for (i = 0; i < nr; i++) {
		cs_push_free(&c->push[i]);
		cs_volume_free(c->vols[i]);
	}
	free(c);
	return r;
}
