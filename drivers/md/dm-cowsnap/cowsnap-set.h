/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cowsnap-set: a snapshot set, the state that outlives the tables using it.
 *
 * Sets are registered in the module under the set_id of the table line.
 * A table naming a live set joins it (a reference); the set is freed when
 * the last table using it is destroyed.  A set owns the difference storage
 * (a bump allocator of chunks over one block device), its state (valid or
 * corrupted), a small log of events, the kcopyd client that copies chunks
 * and the worker that starts copies, finishes them and sends events.
 *
 * The members (one per volume, cowsnap-member.h) live as long as the set.
 */
#ifndef COWSNAP_SET_H
#define COWSNAP_SET_H

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/dm-cowsnap.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

struct dm_kcopyd_client;
struct cowsnap_member;
struct cowsnap_pending;
struct cowsnap_c;

enum cowsnap_event_type {
	COWSNAP_EV_LOW_SPACE,
	COWSNAP_EV_CORRUPTED,
	COWSNAP_EV_STORE_GROWN,
};

struct cowsnap_event {
	u64 seq;
	u64 time_ns;
	enum cowsnap_event_type type;
	char member[COWSNAP_ID_MAX + 1];	/* "" for the whole set */
	u64 value;
};

struct cowsnap_set {
	struct kref ref;		/* under the registry mutex */
	struct list_head list;		/* in the registry */
	char id[COWSNAP_ID_MAX + 1];
	u32 chunk_size;			/* bytes */
	unsigned int chunk_shift;	/* log2 of the chunk in sectors */

	/* The storage: valid while any table of the set holds it. */
	dev_t store_dev;
	struct block_device *store;

	/*
	 * Members: added under the registry mutex, freed with the set.
	 * Tables (struct cowsnap_c) and the members' counts: under @lock.
	 */
	struct list_head members;
	unsigned int nr_members;
	struct mutex lock;
	struct list_head instances;

	/* Allocator, state and event log; taken with interrupts off. */
	spinlock_t state_lock;
	sector_t store_sectors;		/* the set may use this much */
	u64 store_chunks;
	u64 next_chunk;			/* chunks handed out */
	int error;			/* 0: valid; else corrupted, errno > 0 */
	unsigned int low_water;		/* percent */
	bool low_space_sent;
	u64 last_event;
	struct cowsnap_event events[COWSNAP_EVENTS_KEPT];

	/* Work for the worker, under work_lock (interrupts off). */
	spinlock_t work_lock;
	struct bio_list deferred;	/* bios map() could not handle */
	struct list_head to_start;	/* copies to start */
	struct list_head completed;	/* copies kcopyd finished */
	struct list_head draining;	/* copies waiting for tracked reads */
	struct work_struct worker;
	struct work_struct event_work;	/* announces events (system_wq) */

	struct dm_kcopyd_client *kc;
};

/* What a table joins: its set and member (from the table line). */
struct cowsnap_join {
	const char *set_id;
	const char *member;
	struct block_device *store;
	struct block_device *origin;
	sector_t sectors;
	u32 chunk_size;
	bool image;
};

/*
 * cowsnap_set_join - join table @cc to the set and member of @j (made
 * when there are none; a live set must have the same storage and chunk
 * size, a live member the same origin and size, an image needs a loaded
 * origin).  Sets cc->set and cc->m.  May sleep.  Returns 0 or -errno with
 * *error set for ti->error.
 */
int cowsnap_set_join(const struct cowsnap_join *j, struct cowsnap_c *cc,
		     char **error);

/*
 * cowsnap_set_leave - the table @cc goes; the set is put.  When the last
 * origin table of a started member goes, the member is dead (and the set
 * corrupted if it has images).  May sleep.
 */
void cowsnap_set_leave(struct cowsnap_c *cc);

/* cowsnap_set_resume - table @cc is @live; an origin starts its member. */
void cowsnap_set_resume(struct cowsnap_c *cc, bool live);

/* cowsnap_set_started - an origin table of cc's member runs.  May sleep. */
bool cowsnap_set_started(struct cowsnap_c *cc);

/* cowsnap_set_put - drop a reference; the last one frees it.  May sleep. */
void cowsnap_set_put(struct cowsnap_set *set);

/* cowsnap_set_error - 0 while the set is valid, else its errno (> 0). */
static inline int cowsnap_set_error(struct cowsnap_set *set)
{
	return READ_ONCE(set->error);
}

/*
 * cowsnap_set_alloc_chunk - a free chunk of the storage for member @m in
 * *chunk.  Not from hard interrupts.  Returns 0, or -ENOSPC after corrupting the set
 * (storage full) or because it already is corrupted.  May log low_space.
 */
int cowsnap_set_alloc_chunk(struct cowsnap_set *set, struct cowsnap_member *m,
			    u64 *chunk);

/*
 * cowsnap_set_corrupt - make the set fail with @err (> 0) because of
 * @member (NULL: the set); only the first call counts.  Any context.
 */
void cowsnap_set_corrupt(struct cowsnap_set *set, int err,
			 struct cowsnap_member *member);

/*
 * cowsnap_set_append - let the set use @sectors more of its storage.
 * Process context.  Returns 0, or -EINVAL when the device is too small.
 */
int cowsnap_set_append(struct cowsnap_set *set, sector_t sectors);

/* cowsnap_set_set_low_water - the low_space threshold in percent. */
void cowsnap_set_set_low_water(struct cowsnap_set *set, unsigned int pct);

/*
 * cowsnap_set_events - copy the events after @after (oldest first, at
 * most @max) into @out; *first is the oldest still kept and *last the
 * newest.  Any context.  Returns the count.
 */
unsigned int cowsnap_set_events(struct cowsnap_set *set, u64 after,
				unsigned int max, struct cowsnap_event *out,
				u64 *first, u64 *last);

/* cowsnap_event_name - the name of an event type in messages and uevents. */
const char *cowsnap_event_name(enum cowsnap_event_type type);

/*
 * Work for the worker; any context.  A deferred bio is processed again
 * (where it may sleep); a pending copy is started.
 */
void cowsnap_set_defer_bio(struct cowsnap_set *set, struct bio *bio);
void cowsnap_set_start_copy(struct cowsnap_set *set, struct cowsnap_pending *p);

/* cowsnap_set_kick - run the worker (a tracked read ended).  Any context. */
void cowsnap_set_kick(struct cowsnap_set *set);

/* The module's workqueue, made in init. */
extern struct workqueue_struct *cowsnap_wq;

/* Module init and exit of the set registry. */
int cowsnap_sets_init(void);
void cowsnap_sets_exit(void);

#endif /* COWSNAP_SET_H */
