// SPDX-License-Identifier: GPL-2.0
/*
 * dm-cbt: changed-block tracking.  A pass-through target that notes, per
 * tracking block, the change number in force when the block was last
 * changed, so that incremental backups copy only what changed.  See
 * Documentation/dm-cbt.rst and <linux/dm-cbt.h>.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/ctype.h>
#include <linux/device-mapper.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/slab.h>

#include <linux/dm-cbt.h>

#include "cowsnap-args.h"
#include "cowsnap-uevent.h"
#include "cbt.h"
#include "cbt-map.h"

/*----------------------------------------------------------------
 * Helpers
 *--------------------------------------------------------------*/

static const char *cbt_dev_name(struct cbt_c *cc)
{
	return dm_table_device_name(cc->ti->table);
}

void cbt_notify(struct cbt_c *cc, enum cbt_event_type type, u64 seq)
{
	dm_table_event(cc->ti->table);
	cowsnap_send_uevent(cc->ti, cbt_event_name(type), seq);
}

/*----------------------------------------------------------------
 * Bio path
 *--------------------------------------------------------------*/

/*
 * A change is marked when its bio is mapped, so that one that fails (and
 * may have partly landed) counts too, and again at completion when a
 * checkpoint came in between: its data landed after that checkpoint, so
 * the next incremental must hold it.
 */
struct cbt_bio {
	sector_t offset;
	unsigned int sectors;
	u8 change_nr;		/* marked with; 0: not a change */
};

static int cbt_map_bio(struct dm_target *ti, struct bio *bio)
{
	struct cbt_c *cc = ti->private;
	struct cbt_bio *cb = dm_per_bio_data(bio, sizeof(*cb));

	cb->offset = dm_target_offset(ti, bio->bi_iter.bi_sector);
	cb->sectors = bio_sectors(bio);
	cb->change_nr = 0;
	if (op_is_write(bio_op(bio)) && cb->sectors)
		cb->change_nr = cbt_map_mark(cc->tracker->map, cb->offset,
					     cb->sectors);

	bio_set_dev(bio, cc->dev->bdev);
	if (cb->sectors)
		bio->bi_iter.bi_sector = cb->offset;
	return DM_MAPIO_REMAPPED;
}

static int cbt_end_io(struct dm_target *ti, struct bio *bio,
		      blk_status_t *error)
{
	struct cbt_c *cc = ti->private;
	struct cbt_bio *cb = dm_per_bio_data(bio, sizeof(*cb));
	struct cbt_map *map = cc->tracker->map;

	if (cb->change_nr && cb->change_nr != cbt_map_change_nr(map))
		cbt_map_mark(map, cb->offset, cb->sectors);
	return DM_ENDIO_DONE;
}

/*----------------------------------------------------------------
 * Constructor and destructor
 *--------------------------------------------------------------*/

static int parse_tracker_id(const char *id, char **error)
{
	size_t len = strlen(id), i;

	if (!len || len > CBT_ID_MAX) {
		*error = "tracker_id must be 1 to 64 characters";
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		/* The kernel's isalnum() takes Latin-1 letters too. */
		if (!isascii(id[i]) ||
		    (!isalnum(id[i]) && id[i] != '-' && id[i] != '_')) {
			*error = "tracker_id may hold only A-Z a-z 0-9 - _";
			return -EINVAL;
		}
	}
	return 0;
}

static int parse_block_size(struct dm_arg_set *as, void *ctx, char **error)
{
	struct cbt_c *cc = ctx;
	const char *arg = dm_shift_arg(as);
	u32 n;

	if (cc->block_size_arg) {
		*error = "Duplicate block_size argument";
		return -EINVAL;
	}
	if (!arg || kstrtou32(arg, 10, &n)) {
		*error = "Invalid block_size value";
		return -EINVAL;
	}
	if (n < CBT_BLOCK_MIN || n > CBT_BLOCK_MAX || !is_power_of_2(n)) {
		*error = "block_size must be a power of two from 4096 to 1073741824";
		return -EINVAL;
	}
	cc->block_size_arg = n;
	return 0;
}

static int parse_features(struct dm_arg_set *as, struct cbt_c *cc,
			  char **error)
{
	static const struct cowsnap_opt opts[] = {
		{ "block_size", parse_block_size },
	};

	return cowsnap_parse_opts(as, 2, opts, ARRAY_SIZE(opts), cc, error);
}

/* A bigger table than the tracker's map: prepare the growth for resume. */
static void cbt_prepare_grow(struct cbt_c *cc)
{
	struct cbt_tracker *t = cc->tracker;

	mutex_lock(&t->lock);
	cc->grow_buf = cbt_map_grow_buffer(t->map, cc->ti->len, &cc->grow);
	mutex_unlock(&t->lock);
}

/*
 * Construct a cbt device:
 *
 *   cbt <dev> <tracker_id> [<#opt_args> [block_size <bytes>]]
 *
 * <dev>         the device beneath, at least as long as the target
 * <tracker_id>  the tracker's identity: a live tracker is taken over
 * block_size    tracking block, a power of two from 4 KiB to 1 GiB
 */
static int cbt_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	const char *id;
	struct cbt_c *cc;
	int r;

	if (argc < 2) {
		ti->error = "Need <dev> <tracker_id>";
		return -EINVAL;
	}
	cc = kzalloc(sizeof(*cc), GFP_KERNEL);
	if (!cc) {
		ti->error = "Cannot allocate cbt context";
		return -ENOMEM;
	}
	cc->ti = ti;

	r = cowsnap_get_dev(ti, &as, &cc->dev, &ti->error);
	if (r)
		goto out_free;
	id = dm_shift_arg(&as);
	r = parse_tracker_id(id, &ti->error);
	if (r)
		goto out_put_dev;
	r = parse_features(&as, cc, &ti->error);
	if (r)
		goto out_put_dev;
	r = cbt_tracker_get(id, ti->len, cc->block_size_arg, &cc->tracker,
			    &ti->error);
	if (r)
		goto out_put_dev;
	cbt_prepare_grow(cc);

	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->num_secure_erase_bios = 1;
	ti->num_write_zeroes_bios = 1;
	ti->per_io_data_size = sizeof(struct cbt_bio);
	ti->private = cc;
	return 0;

out_put_dev:
	dm_put_device(ti, cc->dev);
out_free:
	kfree(cc);
	return r;
}

static void cbt_dtr(struct dm_target *ti)
{
	struct cbt_c *cc = ti->private;

	kvfree(cc->grow_buf);
	cbt_tracker_put(cc->tracker);
	dm_put_device(ti, cc->dev);
	kfree(cc);
}

/*----------------------------------------------------------------
 * Resume
 *--------------------------------------------------------------*/

/*
 * The table is bigger than the map: grow it, the new blocks counting as
 * changed; without memory for that, tracking is lost (and said so).
 */
static int cbt_preresume(struct dm_target *ti)
{
	struct cbt_c *cc = ti->private;
	struct cbt_tracker *t = cc->tracker;
	u64 seq = 0;

	if (!cc->grow)
		return 0;

	mutex_lock(&t->lock);
	if (cc->grow_buf) {
		cbt_map_grow(t->map, ti->len, cc->grow_buf);
	} else {
		DMWARN("%s: no memory to grow the change map: tracking lost",
		       cbt_dev_name(cc));
		cbt_map_lose(t->map);
		cbt_map_grow(t->map, ti->len, NULL);
		seq = cbt_tracker_add_event(t, CBT_EV_TRACKING_LOST);
	}
	mutex_unlock(&t->lock);
	cc->grow_buf = NULL;
	cc->grow = false;

	if (seq)
		cbt_notify(cc, CBT_EV_TRACKING_LOST, seq);
	return 0;
}

/*----------------------------------------------------------------
 * Status
 *--------------------------------------------------------------*/

/*
 * Status INFO:
 *   <state> <generation> <current> <frozen> <block_size> <blocks>
 *   <memory> <last_event>
 *
 * Status TABLE:
 *   <dev> <tracker_id> [2 block_size <bytes>]
 */
static void cbt_status(struct dm_target *ti, status_type_t type,
		       unsigned int status_flags, char *result,
		       unsigned int maxlen)
{
	struct cbt_c *cc = ti->private;
	struct cbt_map_info info;
	unsigned int sz = 0;

	switch (type) {
	case STATUSTYPE_INFO:
		cbt_map_info(cc->tracker->map, &info);
		DMEMIT("%s %pUb %u %u %u %llu %zu %llu",
		       info.lost ? "lost" : "tracking", &info.generation,
		       info.change_nr, info.frozen_nr, info.block_size,
		       info.blocks, info.memory,
		       READ_ONCE(cc->tracker->last_event));
		break;

	case STATUSTYPE_TABLE:
		DMEMIT("%s %s", cc->dev->name, cc->tracker->id);
		if (cc->block_size_arg)
			DMEMIT(" 2 block_size %u", cc->block_size_arg);
		break;

	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",device_name=%s,tracker_id=%s;", cc->dev->name,
		       cc->tracker->id);
		break;
	}
}

static int cbt_iterate_devices(struct dm_target *ti,
			       iterate_devices_callout_fn fn, void *data)
{
	struct cbt_c *cc = ti->private;

	return fn(ti, cc->dev, 0, ti->len, data);
}

/*----------------------------------------------------------------
 * Target type and module
 *--------------------------------------------------------------*/

static struct target_type cbt_target = {
	.name		 = CBT_TARGET_NAME,
	.version	 = { CBT_VERSION_MAJOR, CBT_VERSION_MINOR,
			     CBT_VERSION_PATCH },
	.features	 = DM_TARGET_NOWAIT,
	.module		 = THIS_MODULE,
	.ctr		 = cbt_ctr,
	.dtr		 = cbt_dtr,
	.map		 = cbt_map_bio,
	.end_io		 = cbt_end_io,
	.preresume	 = cbt_preresume,
	.status		 = cbt_status,
	.message	 = cbt_message,
	.iterate_devices = cbt_iterate_devices,
};

static int __init dm_cbt_init(void)
{
	return dm_register_target(&cbt_target);
}

static void __exit dm_cbt_exit(void)
{
	dm_unregister_target(&cbt_target);
}

module_init(dm_cbt_init);
module_exit(dm_cbt_exit);

MODULE_DESCRIPTION(DM_NAME " changed-block tracking target");
MODULE_AUTHOR("The cowsnap authors");
MODULE_LICENSE("GPL");
