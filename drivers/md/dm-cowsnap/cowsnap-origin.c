// SPDX-License-Identifier: GPL-2.0
/*
 * dm-cowsnap: the origin target.  It sits on a member's live volume: the
 * first write to a chunk since the snapshot waits until the chunk's old
 * data is in the storage; later writes pass straight through.  See
 * Documentation/dm-cowsnap.rst and <linux/dm-cowsnap.h>.
 */
#include <linux/bio.h>
#include <linux/device-mapper.h>

#include <linux/dm-cowsnap.h>

#include "cowsnap.h"

/*----------------------------------------------------------------
 * Bio path
 *--------------------------------------------------------------*/

/*
 * A discard is only a hint: on chunks not yet copied it is dropped (so
 * that a trim does not fill the storage with copies), on copied ones it
 * passes.  Either way the image keeps its data.
 */
static int origin_discard(struct cowsnap_c *cc, struct bio *bio, u64 first,
			  u64 last)
{
	u64 chunk, sc;

	for (chunk = first; chunk <= last; chunk++) {
		if (!cowsnap_member_lookup(cc->m, chunk, &sc)) {
			bio_endio(bio);
			return DM_MAPIO_SUBMITTED;
		}
	}
	return DM_MAPIO_REMAPPED;
}

/*
 * The bio is already remapped to the origin device.  Each chunk it writes
 * must be copied first; the bio waits on the first one that is not, and
 * comes back here when that copy is over.  When the set has failed, writes
 * pass: the origin never loses data because of a snapshot.
 */
int cowsnap_origin_process(struct cowsnap_c *cc, struct bio *bio,
			   bool in_worker)
{
	struct cowsnap_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	gfp_t gfp = cowsnap_gfp(in_worker);
	enum cowsnap_chunk_state st;
	u64 chunk, last, sc;

	if (!bio_sectors(bio) || !op_is_write(bio_op(bio)) ||
	    cowsnap_set_error(cc->set))
		return DM_MAPIO_REMAPPED;

	chunk = cowsnap_chunk(cc, pb->offset);
	last = cowsnap_chunk(cc, pb->offset + bio_sectors(bio) - 1);
	if (bio_op(bio) == REQ_OP_DISCARD)
		return origin_discard(cc, bio, chunk, last);

	for (; chunk <= last; chunk++) {
		st = cowsnap_member_need_copy(cc->m, chunk, bio, gfp, &sc);
		switch (st) {
		case COWSNAP_CHUNK_COPIED:
			continue;
		case COWSNAP_CHUNK_WAIT:
			return DM_MAPIO_SUBMITTED;
		case COWSNAP_CHUNK_NOMEM:
			if (cowsnap_no_memory(cc, bio, in_worker))
				return DM_MAPIO_SUBMITTED;
			return DM_MAPIO_REMAPPED;
		default:
			return DM_MAPIO_REMAPPED;
		}
	}
	return DM_MAPIO_REMAPPED;
}

/*
 * A write crossing chunks is cut (the rest comes back as another bio) at
 * the first chunk not yet copied: the copied part before it passes at
 * once, and the parts of a big first write wait on their copies in
 * parallel.  Reads are never cut.
 */
static void origin_cut_write(struct cowsnap_c *cc, struct bio *bio,
			     sector_t offset)
{
	u64 chunk = cowsnap_chunk(cc, offset);
	u64 last = cowsnap_chunk(cc, offset + bio_sectors(bio) - 1);
	sector_t end;
	u64 sc;

	if (chunk == last)
		return;
	while (chunk <= last && cowsnap_member_lookup(cc->m, chunk, &sc))
		chunk++;
	if (chunk > last)
		return;
	end = (chunk + (chunk == cowsnap_chunk(cc, offset))) <<
	      cc->set->chunk_shift;
	dm_accept_partial_bio(bio, end - offset);
}

static int origin_map(struct dm_target *ti, struct bio *bio)
{
	struct cowsnap_c *cc = ti->private;
	struct cowsnap_bio *pb = dm_per_bio_data(bio, sizeof(*pb));

	pb->cc = cc;
	pb->tracked = false;
	pb->offset = dm_target_offset(ti, bio->bi_iter.bi_sector);
	bio_set_dev(bio, cc->origin_dev->bdev);
	if (!bio_sectors(bio))
		return DM_MAPIO_REMAPPED;
	bio->bi_iter.bi_sector = pb->offset;
	if (bio_op(bio) == REQ_OP_WRITE && !cowsnap_set_error(cc->set))
		origin_cut_write(cc, bio, pb->offset);
	return cowsnap_origin_process(cc, bio, false);
}

/*----------------------------------------------------------------
 * Constructor
 *--------------------------------------------------------------*/

static int origin_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	return cowsnap_ctr(ti, argc, argv, false);
}

static int origin_iterate_devices(struct dm_target *ti,
				  iterate_devices_callout_fn fn, void *data)
{
	struct cowsnap_c *cc = ti->private;

	return fn(ti, cc->origin_dev, 0, ti->len, data);
}

/*
 * dm does not cut write-zeroes at chunks: have the block layer do it, so
 * that a big zeroout waits on its chunks' copies in parallel.
 */
static void origin_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct cowsnap_c *cc = ti->private;
	unsigned int chunk = 1U << cc->set->chunk_shift;

	if (limits->max_write_zeroes_sectors > chunk)
		limits->max_write_zeroes_sectors = chunk;
}

/*----------------------------------------------------------------
 * Target type
 *--------------------------------------------------------------*/

struct target_type cowsnap_origin_target = {
	.name		 = COWSNAP_ORIGIN_TARGET_NAME,
	.version	 = { COWSNAP_VERSION_MAJOR, COWSNAP_VERSION_MINOR,
			     COWSNAP_VERSION_PATCH },
	.features	 = DM_TARGET_NOWAIT,
	.module		 = THIS_MODULE,
	.ctr		 = origin_ctr,
	.dtr		 = cowsnap_dtr,
	.map		 = origin_map,
	.postsuspend	 = cowsnap_postsuspend,
	.resume		 = cowsnap_resume,
	.status		 = cowsnap_status,
	.message	 = cowsnap_message,
	.iterate_devices = origin_iterate_devices,
	.io_hints	 = origin_io_hints,
};
