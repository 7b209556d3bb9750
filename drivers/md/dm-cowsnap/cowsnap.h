/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-cowsnap internals shared by the origin (cowsnap-origin.c) and image
 * (cowsnap-image.c) targets, their common constructor, status and
 * messages (cowsnap-target.c, cowsnap-message.c).
 */
#ifndef COWSNAP_H
#define COWSNAP_H

#include <linux/device-mapper.h>

#include "cowsnap-member.h"
#include "cowsnap-set.h"

#define DM_MSG_PREFIX "cowsnap"

/* A table (target instance) of either kind. */
struct cowsnap_c {
	struct dm_target *ti;
	struct dm_dev *origin_dev;
	struct dm_dev *store_dev;
	struct cowsnap_set *set;
	struct cowsnap_member *m;
	struct list_head list;		/* in set->instances */
	bool image;
	bool live;			/* resumed: events go to its disk */
	int low_water_arg;		/* as given; -1 when left out */
};

/* cowsnap_name - the dm device name of the table, for log lines. */
static inline const char *cowsnap_name(struct cowsnap_c *cc)
{
	return dm_table_device_name(cc->ti->table);
}

/* cowsnap_chunk - the chunk of target sector @offset. */
static inline u64 cowsnap_chunk(struct cowsnap_c *cc, sector_t offset)
{
	return offset >> cc->set->chunk_shift;
}

/* Allocations of the bio path: none may sleep in map, the worker may. */
static inline gfp_t cowsnap_gfp(bool in_worker)
{
	return in_worker ? GFP_NOIO : GFP_NOWAIT;
}

/*
 * cowsnap_no_memory - there was no memory for a new exception.  From map
 * the bio goes to the worker (true: it is taken); in the worker the set
 * fails (false: the caller treats the bio as for a failed set).
 */
static inline bool cowsnap_no_memory(struct cowsnap_c *cc, struct bio *bio,
				     bool in_worker)
{
	if (!in_worker) {
		cowsnap_set_defer_bio(cc->set, bio);
		return true;
	}
	cowsnap_set_corrupt(cc->set, ENOMEM, cc->m);
	return false;
}

/* Shared by both targets (cowsnap-target.c). */
int cowsnap_ctr(struct dm_target *ti, unsigned int argc, char **argv,
		bool image);
void cowsnap_dtr(struct dm_target *ti);
void cowsnap_resume(struct dm_target *ti);
void cowsnap_postsuspend(struct dm_target *ti);
int cowsnap_image_preresume(struct dm_target *ti);
void cowsnap_status(struct dm_target *ti, status_type_t type,
		    unsigned int status_flags, char *result, unsigned int maxlen);

/* The targets' .message (cowsnap-message.c). */
int cowsnap_message(struct dm_target *ti, unsigned int argc, char **argv,
		    char *result, unsigned int maxlen);

/*
 * The bio paths, also used by the worker to reissue a bio that waited
 * (@in_worker: may sleep, allocate with GFP_NOIO).  Return a DM_MAPIO_*.
 */
int cowsnap_origin_process(struct cowsnap_c *cc, struct bio *bio,
			   bool in_worker);
int cowsnap_image_process(struct cowsnap_c *cc, struct bio *bio,
			  bool in_worker);

/* The target types, registered by cowsnap-target.c. */
extern struct target_type cowsnap_origin_target;
extern struct target_type cowsnap_image_target;

#endif /* COWSNAP_H */
