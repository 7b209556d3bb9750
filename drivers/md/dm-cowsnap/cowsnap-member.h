/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cowsnap-member: one volume of a snapshot set and its chunk map.
 *
 * The map holds one exception per chunk that has been, or is being, copied
 * to the storage: nothing at all for an untouched chunk, so its memory grows
 * with the copied chunks only (an rhashtable of small entries).  An
 * exception is
 *
 *   pending   its copy is running; the bios that need the chunk copied
 *             wait on it;
 *   copied    its old data is in store chunk @store_chunk: image I/O goes
 *             there, origin writes pass straight through;
 *   failed    its copy failed (the set is corrupted).
 *
 * Image reads of a chunk that is not copied go to the origin; they are
 * "tracked" so that a copy finishing under them holds the origin writes
 * back until they are done (else they could read the new data).
 *
 * Locking: m->lock (a spinlock taken with bottom halves off) covers the
 * insertion of exceptions and their pending lists; m->track_lock (with
 * interrupts off, as completions take it) the tracked reads, nested inside
 * m->lock.  A copied exception never changes again, so the bio path looks
 * it up without a lock.
 */
#ifndef COWSNAP_MEMBER_H
#define COWSNAP_MEMBER_H

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/dm-cowsnap.h>
#include <linux/list.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct cowsnap_set;

#define COWSNAP_TRACK_BITS	6
#define COWSNAP_TRACK_BUCKETS	(1U << COWSNAP_TRACK_BITS)

struct cowsnap_member {
	struct list_head list;		/* in set->members */
	struct cowsnap_set *set;
	char name[COWSNAP_ID_MAX + 1];

	/* The origin device: valid while any table of the member holds it. */
	struct block_device *origin;
	sector_t sectors;		/* the member's size */
	u64 nr_chunks;

	/* Under set->lock. */
	unsigned int nr_origins;	/* tables */
	unsigned int nr_images;
	bool started;			/* an origin table was resumed */
	bool dead;			/* ...and all of them are gone */

	spinlock_t lock;		/* bh: the map and pending lists */
	struct rhashtable map;
	spinlock_t track_lock;		/* irq: tracked reads */
	struct hlist_head tracked[COWSNAP_TRACK_BUCKETS];
	u64 copied;			/* chunks copied, under lock */
	atomic_t draining;		/* copies waiting for tracked reads */
	unsigned long *written;		/* chunks written by an image */
};

/* A copy in progress and the bios waiting for it. */
struct cowsnap_pending {
	struct list_head list;		/* in set->to_start or ->completed */
	struct cowsnap_member *m;
	struct cowsnap_exception *e;
	u64 chunk;
	u64 store_chunk;
	struct bio_list bios;		/* under m->lock */
	bool copied;			/* the data is in the store; m->lock */
	int error;
};

/* What the bio path needs to know about the chunk of a bio. */
enum cowsnap_chunk_state {
	COWSNAP_CHUNK_COPIED,		/* *store_chunk holds the old data */
	COWSNAP_CHUNK_WAIT,		/* the bio waits for the copy */
	COWSNAP_CHUNK_ORIGIN,		/* read from the origin, tracked */
	COWSNAP_CHUNK_FAILED,		/* set corrupted or storage full */
	COWSNAP_CHUNK_NOMEM,		/* no memory now: defer the bio */
};

/* Per-bio data of both targets. */
struct cowsnap_bio {
	struct cowsnap_c *cc;
	sector_t offset;		/* in the target */
	struct hlist_node track;
	u64 chunk;
	bool tracked;
};

/*
 * cowsnap_member_find - the member @name of @set, or NULL.  Caller holds
 * the registry mutex.
 */
struct cowsnap_member *cowsnap_member_find(struct cowsnap_set *set,
					   const char *name);

/*
 * cowsnap_member_new - add member @name over @origin, @sectors long, to
 * @set.  Caller holds the registry mutex.  May sleep.  Returns the member
 * or an ERR_PTR with *error set.
 */
struct cowsnap_member *cowsnap_member_new(struct cowsnap_set *set,
					  const char *name,
					  struct block_device *origin,
					  sector_t sectors, char **error);

/* cowsnap_member_free - free a member of a set being freed.  May sleep. */
void cowsnap_member_free(struct cowsnap_member *m);

/*
 * cowsnap_member_alloc_written - the bitmap of image-written chunks, made
 * for the first image.  Caller holds the registry mutex.  May sleep.
 * Returns 0 or -ENOMEM.
 */
int cowsnap_member_alloc_written(struct cowsnap_member *m);

/*
 * cowsnap_member_lookup - the store chunk of @chunk when it is copied.
 * Any context but hard interrupts; no lock.  Returns true if so.
 */
bool cowsnap_member_lookup(struct cowsnap_member *m, u64 chunk,
			   u64 *store_chunk);

/*
 * cowsnap_member_need_copy - make sure @chunk gets copied.  @bio (may be
 * NULL) waits for the copy when there is one to wait for; @gfp is for the
 * new exception (GFP_NOWAIT from map).  Not from hard interrupts.  Returns
 * COPIED (with *store_chunk), WAIT (the bio was queued), FAILED or NOMEM.
 */
enum cowsnap_chunk_state cowsnap_member_need_copy(struct cowsnap_member *m,
						  u64 chunk, struct bio *bio,
						  gfp_t gfp, u64 *store_chunk);

/*
 * cowsnap_member_read - where an image read of @chunk goes: COPIED (with
 * *store_chunk), ORIGIN (the bio is now tracked until
 * cowsnap_member_untrack()) or FAILED.  Not from hard interrupts.
 */
enum cowsnap_chunk_state cowsnap_member_read(struct cowsnap_member *m,
					     u64 chunk, struct bio *bio,
					     u64 *store_chunk);

/* cowsnap_member_untrack - a tracked read is done.  Any context. */
void cowsnap_member_untrack(struct cowsnap_member *m, struct bio *bio);

/* cowsnap_member_mark_written - an image wrote @chunk.  Any context. */
void cowsnap_member_mark_written(struct cowsnap_member *m, u64 chunk);

/*
 * The end of a copy, in the worker, in three steps:
 *
 * cowsnap_member_copy_landed - kcopyd is done with @p (error in
 * p->error): image reads now go to the storage, while origin writes still
 * wait.  Returns true when image reads sent to the origin earlier are
 * still in flight: they must end before the origin changes.
 *
 * cowsnap_member_drained - true once they have (untrack kicks the worker).
 *
 * cowsnap_member_copy_done - mark the chunk copied (or failed) and return
 * the bios that waited, to reissue.  Frees @p.
 */
bool cowsnap_member_copy_landed(struct cowsnap_pending *p);
bool cowsnap_member_drained(struct cowsnap_pending *p);
struct bio_list cowsnap_member_copy_done(struct cowsnap_pending *p);

/* cowsnap_member_memory - bytes of kernel memory of the chunk map. */
size_t cowsnap_member_memory(struct cowsnap_member *m);

/* cowsnap_member_copied - chunks held in the storage. */
u64 cowsnap_member_copied(struct cowsnap_member *m);

/* cowsnap_member_chunk_sectors - sectors of chunk @chunk (the last may be short). */
sector_t cowsnap_member_chunk_sectors(struct cowsnap_member *m, u64 chunk);

/* Module init and exit of the exception cache. */
int cowsnap_members_init(void);
void cowsnap_members_exit(void);

#endif /* COWSNAP_MEMBER_H */
