// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: giving the store of a snapshot set more space (see
 * snapshot.h), by hand (snapshot extend) or from the monitor.
 *
 *	1. more space: the last segment's file grows, or a new segment
 *	   (another unnamed file in the same directory, or what the user
 *	   gave) is attached
 *	2. reload the store's linear table, bigger   undo: the old table
 *	3. "store_append <sectors>" to the set       undo: the old table
 *
 * The old table going back detaches a new segment's loop (autoclear); a
 * grown file stays grown, unused.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"
#include "stack-priv.h"
#include "store.h"

/* Devices a new segment must not lie on: the set's volumes and images. */
static struct cs_devset *set_devices(const struct cs_snap_set *s)
{
	const struct cs_snap_member *m;
	struct cs_devset *d;
	struct cs_volume *vol;
	unsigned int i;

	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	for (i = 0; i < s->nr_members; i++) {
		m = &s->members[i];
		if (m->volume[0] && !cs_volume_open(m->volume, &vol)) {
			cs_devset_add_volume(d, vol);
			cs_volume_free(vol);
		}
		if (m->image.present)
			cs_devset_add(d, m->image.info.dev, m->image.info.name);
	}
	cs_devset_add(d, s->store.dev, s->store.name);
	return d;
}

static uint64_t default_bytes(const struct cs_snap_set *s)
{
	const struct cs_snap_status *st = cs_snap_set_status(s);
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < s->nr_members; i++)
		total += s->members[i].image.present ?
			 s->members[i].image.size : s->members[i].origin.size;
	return cs_snap_default_store(total, st ? st->chunk_size :
				     CS_SNAP_CHUNK_DEFAULT);
}

/* A new segment from @path: what the user gave, or the store's directory. */
static int add_segment(const struct cs_snap_set *s, const char *path,
		       uint64_t bytes, struct cs_seg_new *n)
{
	struct cs_devset *forbid = NULL;
	int r;

	if (s) {
		forbid = set_devices(s);
		if (!forbid)
			return cs_error_set(-ENOMEM, s->id, "%s",
					    strerror(ENOMEM));
	}
	r = cs_seg_open(path, bytes, forbid, n);
	free(forbid);
	return r;
}

/* The store's new segments: @segs has room for @nr + 1. */
static int more_space(const struct cs_snap_set *s, const char *path,
		      uint64_t bytes, struct cs_segment *segs,
		      unsigned int *nr, struct cs_seg_new *n)
{
	struct cs_segment *last = &segs[*nr - 1];
	char dir[PATH_MAX];
	int r;

	if (path)
		r = add_segment(s, path, bytes, n);
	else if (last->kind == CS_SEG_FILE)
		return cs_seg_grow_file(last, bytes);
	else if (last->kind == CS_SEG_TMPFILE) {
		cs_segment_dir(last, dir);
		r = add_segment(NULL, dir, bytes, n);
	} else
		return cs_error_set(-EOPNOTSUPP, s->store.name,
				    "ends with block device %s; give --store to add space",
				    last->path);
	if (!r)
		segs[(*nr)++] = n->seg;
	return r;
}

static int store_append(const struct cs_snap_set *s, uint64_t sectors)
{
	const char *dev = cs_snap_msg_dev(s);
	char msg[64], *answer = NULL;
	int r;

	snprintf(msg, sizeof(msg), "%s %" PRIu64, COWSNAP_MSG_STORE_APPEND,
		 sectors);
	cs_log(1, "%s: message \"%s\"", dev, msg);
	r = cs_dm_message(dev, msg, &answer);
	free(answer);
	if (r)
		return cs_error_set(r, dev, "message \"%s\" failed: %s%s", msg,
				    strerror(-r),
				    r == -EINVAL ? " (see dmesg)" : "");
	return 0;
}

static int grow(const struct cs_snap_set *s, const char *path,
		uint64_t bytes, uint64_t *added)
{
	struct cs_seg_new n = { .loop_fd = -1 };
	struct cs_table new = { 0 };
	struct cs_segment *segs, *more;
	unsigned int nr;
	int r;

	r = cs_store_segments(&s->store_table, &segs);
	if (r <= 0)
		return cs_error_set(r ? r : -EINVAL, s->store.name,
				    "table is not linear segments; not touching it");
	nr = (unsigned int)r;
	more = reallocarray(segs, nr + 1, sizeof(*segs));
	if (!more) {
		free(segs);
		return cs_error_set(-ENOMEM, s->id, "%s", strerror(ENOMEM));
	}
	segs = more;
	r = more_space(s, path, bytes, segs, &nr, &n);
	if (!r)
		r = cs_store_table(segs, nr, &new);
	free(segs);
	if (!r)
		r = cs_store_reload(s->store.name, &s->store_table, &new);
	if (r) {
		cs_seg_abort(&n);
		cs_table_free(&new);
		return r;
	}
	cs_seg_keep(&n);
	*added = cs_table_size(&new) - cs_table_size(&s->store_table);
	r = store_append(s, *added);
	if (r && !cs_stack_replace_table(s->store.name, true, &new,
					 &s->store_table, true))
		cs_error_append("store %s left as it was", s->store.name);
	cs_table_free(&new);
	return r;
}

int cs_snap_extend(const char *id, const char *path, uint64_t bytes,
		   uint64_t *added)
{
	struct cs_snap_set *s;
	int r;

	r = cs_snap_find(id, &s);
	if (r)
		return r;
	if (!s->has_store || !cs_snap_msg_dev(s))
		r = cs_error_set(-ENOENT, id,
				 "snapshot set is incomplete (no store, or no image and no origin)");
	if (!r && !bytes)
		bytes = default_bytes(s);
	if (!r)
		r = grow(s, path, (bytes + 511) / 512 * 512, added);
	cs_snap_sets_free(s, 1);
	return r;
}
