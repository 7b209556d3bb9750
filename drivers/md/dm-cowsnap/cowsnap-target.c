// SPDX-License-Identifier: GPL-2.0
/*
 * dm-cowsnap: copy-on-write snapshots of one or several volumes with
 * shared difference storage.  This file holds what the origin and image
 * targets share: the constructor and destructor, suspend and resume,
 * status, and the module.  See Documentation/dm-cowsnap.rst and
 * <linux/dm-cowsnap.h>.
 */
#include <linux/blkdev.h>
#include <linux/ctype.h>
#include <linux/device-mapper.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/slab.h>

#include <linux/dm-cowsnap.h>

#include "cowsnap-args.h"
#include "cowsnap.h"

/*----------------------------------------------------------------
 * Argument parsing
 *--------------------------------------------------------------*/

static int parse_id(const char *id, char *what, char **error)
{
	size_t len = strlen(id), i;

	if (!len || len > COWSNAP_ID_MAX) {
		*error = what;
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		if (!isascii(id[i]) || (!isalnum(id[i]) && id[i] != '-' &&
					id[i] != '_')) {
			*error = what;
			return -EINVAL;
		}
	}
	return 0;
}

static int parse_chunk_size(const char *arg, u32 *chunk_size, char **error)
{
	u32 n;

	if (kstrtou32(arg, 10, &n)) {
		*error = "Invalid chunk_size value";
		return -EINVAL;
	}
	if (n < COWSNAP_CHUNK_MIN || n > COWSNAP_CHUNK_MAX ||
	    !is_power_of_2(n)) {
		*error = "chunk_size must be a power of two from 4096 to 16777216";
		return -EINVAL;
	}
	*chunk_size = n;
	return 0;
}

/* kstrtouint(), not dm_read_arg(): "4294967301" is no 5. */
static int parse_low_water(struct dm_arg_set *as, void *ctx, char **error)
{
	struct cowsnap_c *cc = ctx;
	const char *arg = dm_shift_arg(as);
	unsigned int n;

	if (cc->low_water_arg >= 0) {
		*error = "Duplicate low_water argument";
		return -EINVAL;
	}
	if (!arg || kstrtouint(arg, 10, &n) || n > 99) {
		*error = "low_water must be a percentage from 0 to 99";
		return -EINVAL;
	}
	cc->low_water_arg = n;
	return 0;
}

static int parse_features(struct dm_arg_set *as, struct cowsnap_c *cc,
			  char **error)
{
	static const struct cowsnap_opt opts[] = {
		{ "low_water", parse_low_water },
	};

	return cowsnap_parse_opts(as, 2, opts, ARRAY_SIZE(opts), cc, error);
}

static int get_store(struct dm_target *ti, struct dm_arg_set *as,
		     struct cowsnap_c *cc)
{
	int r;

	r = dm_get_device(ti, dm_shift_arg(as), dm_table_get_mode(ti->table),
			  &cc->store_dev);
	if (r) {
		ti->error = "Cannot open the storage device";
		return r;
	}
	if (cc->store_dev->bdev == cc->origin_dev->bdev) {
		ti->error = "Storage device is the origin device";
		dm_put_device(ti, cc->store_dev);
		return -EINVAL;
	}
	return 0;
}

/*----------------------------------------------------------------
 * Constructor and destructor
 *--------------------------------------------------------------*/

/* <set_id> <member> <chunk_size> [<#opt_args> <opt_args>...] */
static int parse_table_args(struct dm_arg_set *as, struct cowsnap_c *cc,
		      struct cowsnap_join *j, char **error)
{
	int r;

	j->set_id = dm_shift_arg(as);
	j->member = dm_shift_arg(as);
	r = parse_id(j->set_id,
		     "set_id must be 1 to 64 characters from A-Z a-z 0-9 - _",
		     error);
	if (!r)
		r = parse_id(j->member,
			     "member must be 1 to 64 characters from A-Z a-z 0-9 - _",
			     error);
	if (!r)
		r = parse_chunk_size(dm_shift_arg(as), &j->chunk_size, error);
	if (!r)
		r = parse_features(as, cc, error);
	return r;
}

static void set_limits(struct dm_target *ti, bool image, u32 chunk_size)
{
	ti->num_flush_bios = 1;
	ti->num_discard_bios = image ? 0 : 1;
	ti->num_write_zeroes_bios = image ? 0 : 1;
	ti->per_io_data_size = sizeof(struct cowsnap_bio);
	/* An image bio must not cross chunks; the origin cuts writes itself. */
	if (image)
		ti->max_io_len = chunk_size >> SECTOR_SHIFT;
}

/*
 * Construct a cowsnap-origin or a cowsnap (image) target:
 *
 *   <origin_dev> <store_dev> <set_id> <member> <chunk_size>
 *   [<#opt_args> [low_water <percent>]]
 *
 * <origin_dev>  the member's device beneath the origin
 * <store_dev>   the set's difference storage
 * <set_id>      the set's identity: a live set is joined
 * <member>      the member's name in the set
 * <chunk_size>  bytes, a power of two from 4 KiB to 16 MiB
 * low_water     percent of the storage; below it, a low_space event
 */
int cowsnap_ctr(struct dm_target *ti, unsigned int argc, char **argv,
		bool image)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	struct cowsnap_join j = { .image = image, .sectors = ti->len };
	struct cowsnap_c *cc;
	int r;

	if (argc < 5) {
		ti->error = "Need <origin_dev> <store_dev> <set_id> <member> <chunk_size>";
		return -EINVAL;
	}
	cc = kzalloc(sizeof(*cc), GFP_KERNEL);
	if (!cc) {
		ti->error = "Cannot allocate cowsnap context";
		return -ENOMEM;
	}
	cc->ti = ti;
	cc->image = image;
	cc->low_water_arg = -1;

	r = cowsnap_get_dev(ti, &as, &cc->origin_dev, &ti->error);
	if (r)
		goto out_free;
	r = get_store(ti, &as, cc);
	if (r)
		goto out_put_origin;
	r = parse_table_args(&as, cc, &j, &ti->error);
	if (r)
		goto out_put_store;
	j.store = cc->store_dev->bdev;
	j.origin = cc->origin_dev->bdev;
	r = cowsnap_set_join(&j, cc, &ti->error);
	if (r)
		goto out_put_store;
	if (cc->low_water_arg >= 0)
		cowsnap_set_set_low_water(cc->set, cc->low_water_arg);

	set_limits(ti, image, j.chunk_size);
	ti->private = cc;
	return 0;

out_put_store:
	dm_put_device(ti, cc->store_dev);
out_put_origin:
	dm_put_device(ti, cc->origin_dev);
out_free:
	kfree(cc);
	return r;
}

void cowsnap_dtr(struct dm_target *ti)
{
	struct cowsnap_c *cc = ti->private;

	cowsnap_set_leave(cc);
	dm_put_device(ti, cc->store_dev);
	dm_put_device(ti, cc->origin_dev);
	kfree(cc);
}

/*----------------------------------------------------------------
 * Suspend and resume
 *--------------------------------------------------------------*/

/* An image is a snapshot only once an origin table of its member runs. */
int cowsnap_image_preresume(struct dm_target *ti)
{
	struct cowsnap_c *cc = ti->private;

	if (cowsnap_set_started(cc))
		return 0;
	DMERR("%s: no cowsnap-origin table of member %s of set %s has been resumed",
	      cowsnap_name(cc), cc->m->name, cc->set->id);
	return -EINVAL;
}

void cowsnap_postsuspend(struct dm_target *ti)
{
	struct cowsnap_c *cc = ti->private;

	cowsnap_set_resume(cc, false);
}

void cowsnap_resume(struct dm_target *ti)
{
	struct cowsnap_c *cc = ti->private;

	cowsnap_set_resume(cc, true);
}

/*----------------------------------------------------------------
 * Status
 *--------------------------------------------------------------*/

/*
 * Status INFO:
 *   <state> <error> <chunk_size> <store_used> <store_size> <copied>
 *   <memory> <last_event>
 *
 * Status TABLE:
 *   <origin_dev> <store_dev> <set_id> <member> <chunk_size>
 *   [2 low_water <percent>]
 */
static void status_info(struct cowsnap_c *cc, char *result,
			unsigned int maxlen)
{
	struct cowsnap_set *set = cc->set;
	sector_t used, size;
	u64 last;
	int err;
	unsigned int sz = 0;

	spin_lock_irq(&set->state_lock);
	err = set->error;
	used = set->next_chunk << set->chunk_shift;
	size = set->store_sectors;
	last = set->last_event;
	spin_unlock_irq(&set->state_lock);

	DMEMIT("%s %d %u %llu %llu %llu %zu %llu",
	       err ? COWSNAP_STATE_CORRUPTED : COWSNAP_STATE_VALID, err,
	       set->chunk_size, (unsigned long long)used,
	       (unsigned long long)size, cowsnap_member_copied(cc->m),
	       cowsnap_member_memory(cc->m), last);
}

void cowsnap_status(struct dm_target *ti, status_type_t type,
		    unsigned int status_flags, char *result, unsigned int maxlen)
{
	struct cowsnap_c *cc = ti->private;
	unsigned int sz = 0;

	switch (type) {
	case STATUSTYPE_INFO:
		status_info(cc, result, maxlen);
		break;

	case STATUSTYPE_TABLE:
		DMEMIT("%s %s %s %s %u", cc->origin_dev->name,
		       cc->store_dev->name, cc->set->id, cc->m->name,
		       cc->set->chunk_size);
		if (cc->low_water_arg >= 0)
			DMEMIT(" 2 low_water %d", cc->low_water_arg);
		break;

	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",origin_name=%s,store_name=%s,set_id=%s,member=%s;",
		       cc->origin_dev->name, cc->store_dev->name, cc->set->id,
		       cc->m->name);
		break;
	}
}

/*----------------------------------------------------------------
 * Module
 *--------------------------------------------------------------*/

static int __init dm_cowsnap_init(void)
{
	int r;

	r = cowsnap_members_init();
	if (r)
		return r;
	r = cowsnap_sets_init();
	if (r)
		goto out_cache;
	r = dm_register_target(&cowsnap_origin_target);
	if (r)
		goto out_sets;
	r = dm_register_target(&cowsnap_image_target);
	if (r)
		goto out_origin;
	return 0;

out_origin:
	dm_unregister_target(&cowsnap_origin_target);
out_sets:
	cowsnap_sets_exit();
out_cache:
	cowsnap_members_exit();
	return r;
}

static void __exit dm_cowsnap_exit(void)
{
	dm_unregister_target(&cowsnap_image_target);
	dm_unregister_target(&cowsnap_origin_target);
	cowsnap_sets_exit();
	cowsnap_members_exit();
}

module_init(dm_cowsnap_init);
module_exit(dm_cowsnap_exit);

MODULE_DESCRIPTION(DM_NAME " copy-on-write snapshot targets (cowsnap-origin, cowsnap)");
MODULE_AUTHOR("The cowsnap authors");
MODULE_LICENSE("GPL");
