// SPDX-License-Identifier: GPL-2.0
/*
 * dm-cowsnap: the image target, a member's point-in-time image.  Copied
 * chunks are read from the storage, the others from the origin device.
 * Writes preserve the chunk first, then go to the storage.  See
 * Documentation/dm-cowsnap.rst and <linux/dm-cowsnap.h>.
 */
#include <linux/bio.h>
#include <linux/device-mapper.h>

#include <linux/dm-cowsnap.h>

#include "cowsnap.h"

/*----------------------------------------------------------------
 * Bio path
 *--------------------------------------------------------------*/

static void remap_store(struct cowsnap_c *cc, struct bio *bio, u64 sc,
			sector_t offset)
{
	sector_t mask = (1ULL << cc->set->chunk_shift) - 1;

	bio_set_dev(bio, cc->store_dev->bdev);
	bio->bi_iter.bi_sector = (sc << cc->set->chunk_shift) + (offset & mask);
}

static void remap_origin(struct cowsnap_c *cc, struct bio *bio,
			 sector_t offset)
{
	bio_set_dev(bio, cc->origin_dev->bdev);
	bio->bi_iter.bi_sector = offset;
}

/* Where the chunk of a data bio is, or whether the bio must wait. */
static enum cowsnap_chunk_state image_locate(struct cowsnap_c *cc,
					     struct bio *bio, u64 chunk,
					     bool in_worker, u64 *sc)
{
	enum cowsnap_chunk_state st;

	if (bio_data_dir(bio) == READ)
		return cowsnap_member_read(cc->m, chunk, bio, sc);
	st = cowsnap_member_need_copy(cc->m, chunk, bio,
				      cowsnap_gfp(in_worker), sc);
	if (st == COWSNAP_CHUNK_COPIED)
		cowsnap_member_mark_written(cc->m, chunk);
	return st;
}

/*
 * Bios never cross a chunk (max_io_len).  A corrupted set fails them all.
 */
int cowsnap_image_process(struct cowsnap_c *cc, struct bio *bio,
			  bool in_worker)
{
	struct cowsnap_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	enum cowsnap_chunk_state st;
	u64 sc = 0;

	if (cowsnap_set_error(cc->set))
		return DM_MAPIO_KILL;
	if (!bio_sectors(bio)) {
		bio_set_dev(bio, cc->store_dev->bdev);
		return DM_MAPIO_REMAPPED;
	}

	st = image_locate(cc, bio, cowsnap_chunk(cc, pb->offset), in_worker,
			  &sc);
	switch (st) {
	case COWSNAP_CHUNK_COPIED:
		remap_store(cc, bio, sc, pb->offset);
		return DM_MAPIO_REMAPPED;
	case COWSNAP_CHUNK_ORIGIN:
		remap_origin(cc, bio, pb->offset);
		return DM_MAPIO_REMAPPED;
	case COWSNAP_CHUNK_WAIT:
		return DM_MAPIO_SUBMITTED;
	case COWSNAP_CHUNK_NOMEM:
		if (cowsnap_no_memory(cc, bio, in_worker))
			return DM_MAPIO_SUBMITTED;
		return DM_MAPIO_KILL;
	default:
		return DM_MAPIO_KILL;
	}
}

static int image_map(struct dm_target *ti, struct bio *bio)
{
	struct cowsnap_c *cc = ti->private;
	struct cowsnap_bio *pb = dm_per_bio_data(bio, sizeof(*pb));

	pb->cc = cc;
	pb->tracked = false;
	pb->offset = dm_target_offset(ti, bio->bi_iter.bi_sector);
	return cowsnap_image_process(cc, bio, false);
}

static int image_end_io(struct dm_target *ti, struct bio *bio,
			blk_status_t *error)
{
	struct cowsnap_c *cc = ti->private;

	cowsnap_member_untrack(cc->m, bio);
	return DM_ENDIO_DONE;
}

/*----------------------------------------------------------------
 * Constructor
 *--------------------------------------------------------------*/

static int image_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	return cowsnap_ctr(ti, argc, argv, true);
}

static int image_iterate_devices(struct dm_target *ti,
				 iterate_devices_callout_fn fn, void *data)
{
	struct cowsnap_c *cc = ti->private;
	int r;

	r = fn(ti, cc->origin_dev, 0, ti->len, data);
	if (!r)
		r = fn(ti, cc->store_dev, 0,
		       bdev_nr_sectors(cc->store_dev->bdev), data);
	return r;
}

/*----------------------------------------------------------------
 * Target type
 *--------------------------------------------------------------*/

struct target_type cowsnap_image_target = {
	.name		 = COWSNAP_IMAGE_TARGET_NAME,
	.version	 = { COWSNAP_VERSION_MAJOR, COWSNAP_VERSION_MINOR,
			     COWSNAP_VERSION_PATCH },
	.features	 = DM_TARGET_NOWAIT,
	.module		 = THIS_MODULE,
	.ctr		 = image_ctr,
	.dtr		 = cowsnap_dtr,
	.map		 = image_map,
	.end_io		 = image_end_io,
	.preresume	 = cowsnap_image_preresume,
	.postsuspend	 = cowsnap_postsuspend,
	.resume		 = cowsnap_resume,
	.status		 = cowsnap_status,
	.message	 = cowsnap_message,
	.iterate_devices = image_iterate_devices,
};
