// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnap-set: snapshot sets, their storage, state, events and worker.
 * See cowsnap-set.h.
 */
#include <linux/dm-io.h>
#include <linux/dm-kcopyd.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "cowsnap-uevent.h"
#include "cowsnap.h"
#include "cowsnap-member.h"
#include "cowsnap-set.h"

struct workqueue_struct *cowsnap_wq;

static LIST_HEAD(cowsnap_sets);
static DEFINE_MUTEX(cowsnap_sets_lock);

static void cowsnap_worker(struct work_struct *ws);
static void cowsnap_event_worker(struct work_struct *ws);

/*----------------------------------------------------------------
 * State and events
 *--------------------------------------------------------------*/

const char *cowsnap_event_name(enum cowsnap_event_type type)
{
	switch (type) {
	case COWSNAP_EV_LOW_SPACE:
		return COWSNAP_EVENT_LOW_SPACE;
	case COWSNAP_EV_CORRUPTED:
		return COWSNAP_EVENT_CORRUPTED;
	case COWSNAP_EV_STORE_GROWN:
		return COWSNAP_EVENT_STORE_GROWN;
	}
	return "unknown";
}

/* Under state_lock: log an event and have the worker announce it. */
static void add_event(struct cowsnap_set *set, enum cowsnap_event_type type,
		      struct cowsnap_member *m, u64 value)
{
	struct cowsnap_event *ev;

	ev = &set->events[set->last_event % COWSNAP_EVENTS_KEPT];
	ev->seq = ++set->last_event;
	ev->time_ns = ktime_get_real_ns();
	ev->type = type;
	strscpy(ev->member, m ? m->name : "", sizeof(ev->member));
	ev->value = value;
	queue_work(system_wq, &set->event_work);
}

static void corrupt_locked(struct cowsnap_set *set, int err,
			   struct cowsnap_member *m)
{
	if (set->error)
		return;
	WRITE_ONCE(set->error, err);
	DMERR_LIMIT("snapshot set %s: %s: %s, its images fail from now on",
		    set->id, m ? m->name : "-",
		    err == ENOSPC ? "storage full" :
		    err == ENODEV ? "origin table removed" :
		    err == ENOMEM ? "out of memory for the chunk map" :
		    "storage or origin I/O error");
	add_event(set, COWSNAP_EV_CORRUPTED, m, err);
}

void cowsnap_set_corrupt(struct cowsnap_set *set, int err,
			 struct cowsnap_member *m)
{
	unsigned long flags;

	spin_lock_irqsave(&set->state_lock, flags);
	corrupt_locked(set, err, m);
	spin_unlock_irqrestore(&set->state_lock, flags);
}

/* Under state_lock: below the low-water mark for the first time? */
static void check_low_water(struct cowsnap_set *set)
{
	u64 free = set->store_chunks - set->next_chunk;

	if (!set->low_water || set->low_space_sent ||
	    free * 100 >= (u64)set->low_water * set->store_chunks)
		return;
	set->low_space_sent = true;
	add_event(set, COWSNAP_EV_LOW_SPACE, NULL, free << set->chunk_shift);
}

int cowsnap_set_alloc_chunk(struct cowsnap_set *set, struct cowsnap_member *m,
			    u64 *chunk)
{
	unsigned long flags;
	int r = 0;

	spin_lock_irqsave(&set->state_lock, flags);
	if (set->error) {
		r = -ENOSPC;
	} else if (set->next_chunk >= set->store_chunks) {
		corrupt_locked(set, ENOSPC, m);
		r = -ENOSPC;
	} else {
		*chunk = set->next_chunk++;
		check_low_water(set);
	}
	spin_unlock_irqrestore(&set->state_lock, flags);
	return r;
}

int cowsnap_set_append(struct cowsnap_set *set, sector_t sectors)
{
	sector_t dev_sectors = bdev_nr_sectors(set->store);
	unsigned long flags;
	int r = 0;

	spin_lock_irqsave(&set->state_lock, flags);
	if (sectors > dev_sectors || set->store_sectors > dev_sectors - sectors) {
		r = -EINVAL;
	} else {
		set->store_sectors += sectors;
		set->store_chunks = set->store_sectors >> set->chunk_shift;
		set->low_space_sent = false;
		check_low_water(set);
		add_event(set, COWSNAP_EV_STORE_GROWN, NULL, set->store_sectors);
	}
	spin_unlock_irqrestore(&set->state_lock, flags);
	return r;
}

void cowsnap_set_set_low_water(struct cowsnap_set *set, unsigned int pct)
{
	unsigned long flags;

	spin_lock_irqsave(&set->state_lock, flags);
	set->low_water = pct;
	check_low_water(set);
	spin_unlock_irqrestore(&set->state_lock, flags);
}

unsigned int cowsnap_set_events(struct cowsnap_set *set, u64 after,
				unsigned int max, struct cowsnap_event *out,
				u64 *first, u64 *last)
{
	unsigned long flags;
	unsigned int n = 0;
	u64 seq;

	spin_lock_irqsave(&set->state_lock, flags);
	*last = set->last_event;
	*first = *last > COWSNAP_EVENTS_KEPT ?
		 *last - COWSNAP_EVENTS_KEPT + 1 : 1;
	for (seq = max(after + 1, *first); seq <= *last && n < max; seq++)
		out[n++] = set->events[(seq - 1) % COWSNAP_EVENTS_KEPT];
	spin_unlock_irqrestore(&set->state_lock, flags);
	return n;
}

/*----------------------------------------------------------------
 * Registry
 *--------------------------------------------------------------*/

static struct cowsnap_set *set_find(const char *id)
{
	struct cowsnap_set *set;

	list_for_each_entry(set, &cowsnap_sets, list)
		if (!strcmp(set->id, id))
			return set;
	return NULL;
}

static int set_check(struct cowsnap_set *set, struct block_device *store,
		     u32 chunk_size, char **error)
{
	if (set->store != store) {
		*error = "Storage device differs from the set's";
		return -EINVAL;
	}
	if (set->chunk_size != chunk_size) {
		*error = "chunk_size differs from the set's";
		return -EINVAL;
	}
	return 0;
}

/*
 * A device is the storage of at most one set and is then no member's
 * origin; a member's origin belongs to one member of one set.  Else copies
 * of one would overwrite another's data unseen.
 */
static int check_device_free(struct block_device *bdev, char **error)
{
	struct cowsnap_member *m;
	struct cowsnap_set *set;

	list_for_each_entry(set, &cowsnap_sets, list) {
		if (set->store == bdev) {
			*error = "Device is the storage of a snapshot set";
			return -EBUSY;
		}
		list_for_each_entry(m, &set->members, list) {
			if (m->origin == bdev && !m->dead) {
				*error = "Device is the origin of a snapshot set member";
				return -EBUSY;
			}
		}
	}
	return 0;
}

static struct cowsnap_set *set_new(const char *id, struct block_device *store,
				   u32 chunk_size, char **error)
{
	struct cowsnap_set *set = kzalloc(sizeof(*set), GFP_KERNEL);
	struct dm_kcopyd_client *kc;

	if (!set) {
		*error = "Cannot allocate snapshot set";
		return ERR_PTR(-ENOMEM);
	}
	kc = dm_kcopyd_client_create(NULL);
	if (IS_ERR(kc)) {
		*error = "Cannot create kcopyd client";
		kfree(set);
		return ERR_CAST(kc);
	}
	set->kc = kc;
	kref_init(&set->ref);
	strscpy(set->id, id, sizeof(set->id));
	set->chunk_size = chunk_size;
	set->chunk_shift = ilog2(chunk_size >> SECTOR_SHIFT);
	set->store_dev = store->bd_dev;
	set->store = store;
	set->store_sectors = bdev_nr_sectors(store);
	set->store_chunks = set->store_sectors >> set->chunk_shift;
	set->low_water = COWSNAP_LOW_WATER_DEFAULT;
	mutex_init(&set->lock);
	INIT_LIST_HEAD(&set->members);
	INIT_LIST_HEAD(&set->instances);
	spin_lock_init(&set->state_lock);
	spin_lock_init(&set->work_lock);
	bio_list_init(&set->deferred);
	INIT_LIST_HEAD(&set->to_start);
	INIT_LIST_HEAD(&set->completed);
	INIT_LIST_HEAD(&set->draining);
	INIT_WORK(&set->worker, cowsnap_worker);
	INIT_WORK(&set->event_work, cowsnap_event_worker);
	return set;
}

static struct cowsnap_set *set_lookup(const struct cowsnap_join *j,
				      char **error)
{
	struct cowsnap_set *set = set_find(j->set_id);
	int r;

	if (set) {
		r = set_check(set, j->store, j->chunk_size, error);
		if (r)
			return ERR_PTR(r);
		kref_get(&set->ref);
		return set;
	}
	if (bdev_nr_sectors(j->store) < (j->chunk_size >> SECTOR_SHIFT)) {
		*error = "Storage device is smaller than one chunk";
		return ERR_PTR(-EINVAL);
	}
	/* Exceptions keep a store chunk in the bits of a long but two. */
	if ((bdev_nr_sectors(j->store) >> ilog2(j->chunk_size >> SECTOR_SHIFT)) >
	    (ULONG_MAX >> 2)) {
		*error = "Storage device has too many chunks for this machine";
		return ERR_PTR(-EINVAL);
	}
	r = check_device_free(j->store, error);
	if (r)
		return ERR_PTR(r);
	set = set_new(j->set_id, j->store, j->chunk_size, error);
	if (!IS_ERR(set))
		list_add_tail(&set->list, &cowsnap_sets);
	return set;
}

/*
 * A live member is joined with its own device and size.  (A member has
 * tables or has started: one that lost all its tables before it started
 * was freed, so its device cannot change under it.)
 */
static int member_check(const struct cowsnap_member *m,
			const struct cowsnap_join *j, char **error)
{
	if (m->origin != j->origin) {
		*error = "Member's origin device differs from the set's";
		return -EINVAL;
	}
	if (m->sectors != j->sectors) {
		*error = "Target length differs from the member's size";
		return -EINVAL;
	}
	return 0;
}

/* The member an origin table joins, made if need be. */
static struct cowsnap_member *origin_member(struct cowsnap_set *set,
					    const struct cowsnap_join *j,
					    char **error)
{
	struct cowsnap_member *m = cowsnap_member_find(set, j->member);
	int r;

	if (m && m->dead) {
		*error = "Member lost its origin table; make a new snapshot set";
		return ERR_PTR(-EINVAL);
	}
	if (m) {
		r = member_check(m, j, error);
		return r ? ERR_PTR(r) : m;
	}
	if (READ_ONCE(set->nr_members) == COWSNAP_MEMBERS_MAX) {
		*error = "Set has the most members it can";
		return ERR_PTR(-EINVAL);
	}
	r = check_device_free(j->origin, error);
	if (r)
		return ERR_PTR(r);
	return cowsnap_member_new(set, j->member, j->origin, j->sectors,
				  error);
}

/* The member an image table joins: one whose origin table is loaded. */
static struct cowsnap_member *image_member(struct cowsnap_set *set,
					   const struct cowsnap_join *j,
					   char **error)
{
	struct cowsnap_member *m = cowsnap_member_find(set, j->member);
	int r;

	if (!m || !m->nr_origins) {
		*error = "No cowsnap-origin table of this member is loaded";
		return ERR_PTR(-EINVAL);
	}
	r = member_check(m, j, error);
	if (r)
		return ERR_PTR(r);
	if (cowsnap_member_alloc_written(m)) {
		*error = "Cannot allocate the image-written bitmap";
		return ERR_PTR(-ENOMEM);
	}
	return m;
}

/* Nothing can fail once the member is found or made. */
static int member_join(struct cowsnap_set *set, const struct cowsnap_join *j,
		       struct cowsnap_c *cc, char **error)
{
	struct cowsnap_member *m;

	m = j->image ? image_member(set, j, error) :
		       origin_member(set, j, error);
	if (IS_ERR(m))
		return PTR_ERR(m);
	mutex_lock(&set->lock);
	if (j->image)
		m->nr_images++;
	else
		m->nr_origins++;
	list_add_tail(&cc->list, &set->instances);
	mutex_unlock(&set->lock);
	cc->set = set;
	cc->m = m;
	return 0;
}

int cowsnap_set_join(const struct cowsnap_join *j, struct cowsnap_c *cc,
		     char **error)
{
	struct cowsnap_set *set;
	int r;

	mutex_lock(&cowsnap_sets_lock);
	set = set_lookup(j, error);
	if (IS_ERR(set)) {
		mutex_unlock(&cowsnap_sets_lock);
		return PTR_ERR(set);
	}
	r = member_join(set, j, cc, error);
	mutex_unlock(&cowsnap_sets_lock);
	if (r)
		cowsnap_set_put(set);
	return r;
}

void cowsnap_set_leave(struct cowsnap_c *cc)
{
	struct cowsnap_set *set = cc->set;
	struct cowsnap_member *m = cc->m;

	mutex_lock(&cowsnap_sets_lock);
	mutex_lock(&set->lock);
	list_del(&cc->list);
	if (cc->image) {
		m->nr_images--;
	} else if (!--m->nr_origins && m->started) {
		/* Writes would now reach the origin without a copy. */
		m->dead = true;
		if (m->nr_images)
			cowsnap_set_corrupt(set, ENODEV, m);
	}
	/* A member that never began goes with its last table. */
	if (!m->nr_origins && !m->nr_images && !m->started)
		cowsnap_member_free(m);
	mutex_unlock(&set->lock);
	mutex_unlock(&cowsnap_sets_lock);
	cowsnap_set_put(set);
}

void cowsnap_set_resume(struct cowsnap_c *cc, bool live)
{
	mutex_lock(&cc->set->lock);
	cc->live = live;
	if (live && !cc->image)
		cc->m->started = true;
	mutex_unlock(&cc->set->lock);
}

bool cowsnap_set_started(struct cowsnap_c *cc)
{
	bool started;

	mutex_lock(&cc->set->lock);
	started = cc->m->started && !cc->m->dead;
	mutex_unlock(&cc->set->lock);
	return started;
}

static void set_release(struct kref *ref)
	__releases(&cowsnap_sets_lock)
{
	struct cowsnap_set *set = container_of(ref, struct cowsnap_set, ref);
	struct cowsnap_member *m, *tmp;

	list_del(&set->list);
	mutex_unlock(&cowsnap_sets_lock);

	/* No table is left, so no bio and no copy: only the workers may run. */
	flush_work(&set->worker);
	dm_kcopyd_client_destroy(set->kc);
	flush_work(&set->worker);
	flush_work(&set->event_work);
	list_for_each_entry_safe(m, tmp, &set->members, list)
		cowsnap_member_free(m);
	kfree(set);
}

void cowsnap_set_put(struct cowsnap_set *set)
{
	kref_put_mutex(&set->ref, set_release, &cowsnap_sets_lock);
}

/*----------------------------------------------------------------
 * Worker
 *--------------------------------------------------------------*/

static void queue_worker(struct cowsnap_set *set)
{
	queue_work(cowsnap_wq, &set->worker);
}

void cowsnap_set_defer_bio(struct cowsnap_set *set, struct bio *bio)
{
	unsigned long flags;

	spin_lock_irqsave(&set->work_lock, flags);
	bio_list_add(&set->deferred, bio);
	spin_unlock_irqrestore(&set->work_lock, flags);
	queue_worker(set);
}

void cowsnap_set_start_copy(struct cowsnap_set *set, struct cowsnap_pending *p)
{
	unsigned long flags;

	spin_lock_irqsave(&set->work_lock, flags);
	list_add_tail(&p->list, &set->to_start);
	spin_unlock_irqrestore(&set->work_lock, flags);
	queue_worker(set);
}

/* kcopyd's completion: hand the copy back to the worker. */
static void copy_done(int read_err, unsigned long write_err, void *context)
{
	struct cowsnap_pending *p = context;
	struct cowsnap_set *set = p->m->set;
	unsigned long flags;

	p->error = read_err || write_err ? -EIO : 0;
	spin_lock_irqsave(&set->work_lock, flags);
	list_add_tail(&p->list, &set->completed);
	spin_unlock_irqrestore(&set->work_lock, flags);
	queue_worker(set);
}

static void start_copy(struct cowsnap_set *set, struct cowsnap_pending *p)
{
	struct cowsnap_member *m = p->m;
	u64 chunk = p->chunk;
	sector_t len = cowsnap_member_chunk_sectors(m, chunk);
	struct dm_io_region from = {
		.bdev = m->origin,
		.sector = chunk << set->chunk_shift,
		.count = len,
	};
	struct dm_io_region to = {
		.bdev = set->store,
		.sector = p->store_chunk << set->chunk_shift,
		.count = len,
	};

	dm_kcopyd_copy(set->kc, &from, 1, &to, 0, copy_done, p);
}

/* Send a bio that waited through its target's bio path again. */
static void reissue(struct bio *bio)
{
	struct cowsnap_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	struct cowsnap_c *cc = pb->cc;
	int r;

	if (cc->image)
		r = cowsnap_image_process(cc, bio, true);
	else
		r = cowsnap_origin_process(cc, bio, true);
	if (r == DM_MAPIO_REMAPPED)
		dm_submit_bio_remap(bio, NULL);
	else if (r == DM_MAPIO_KILL)
		bio_io_error(bio);
}

static void reissue_list(struct bio_list *bios)
{
	struct bio *bio;

	while ((bio = bio_list_pop(bios)))
		reissue(bio);
}

static void finish_copy(struct cowsnap_pending *p)
{
	struct bio_list waited = cowsnap_member_copy_done(p);

	reissue_list(&waited);
}

/*
 * Copies kcopyd finished (@done) and copies waiting for image reads of the
 * origin to drain (@draining): finish those that can; the others wait on
 * set->draining for the next kick.
 */
static void end_copies(struct cowsnap_set *set, struct list_head *done,
		       struct list_head *draining)
{
	struct cowsnap_pending *p, *tmp;
	LIST_HEAD(wait);

	list_for_each_entry_safe(p, tmp, done, list) {
		list_del(&p->list);
		if (p->error)
			cowsnap_set_corrupt(set, EIO, p->m);
		if (cowsnap_member_copy_landed(p))
			list_add_tail(&p->list, &wait);
		else
			finish_copy(p);
	}
	list_for_each_entry_safe(p, tmp, draining, list) {
		list_del(&p->list);
		if (cowsnap_member_drained(p))
			finish_copy(p);
		else
			list_add_tail(&p->list, &wait);
	}
	if (list_empty(&wait))
		return;
	spin_lock_irq(&set->work_lock);
	list_splice_tail(&wait, &set->draining);
	spin_unlock_irq(&set->work_lock);
}

static void cowsnap_worker(struct work_struct *ws)
{
	struct cowsnap_set *set = container_of(ws, struct cowsnap_set, worker);
	struct cowsnap_pending *p, *tmp;
	LIST_HEAD(draining);
	LIST_HEAD(start);
	LIST_HEAD(done);
	struct bio_list bios;

	spin_lock_irq(&set->work_lock);
	bios = set->deferred;
	bio_list_init(&set->deferred);
	list_splice_init(&set->to_start, &start);
	list_splice_init(&set->completed, &done);
	list_splice_init(&set->draining, &draining);
	spin_unlock_irq(&set->work_lock);

	list_for_each_entry_safe(p, tmp, &start, list) {
		list_del(&p->list);
		start_copy(set, p);
	}
	end_copies(set, &done, &draining);
	reissue_list(&bios);
}

void cowsnap_set_kick(struct cowsnap_set *set)
{
	queue_worker(set);
}

/*
 * Announce the newest event on the disk of every live table of the set.
 * Its own work item, so that the I/O worker never waits for set->lock or
 * for the allocations of a uevent.
 */
static void cowsnap_event_worker(struct work_struct *ws)
{
	struct cowsnap_set *set = container_of(ws, struct cowsnap_set,
					       event_work);
	struct cowsnap_event ev;
	unsigned int noio;
	struct cowsnap_c *cc;

	spin_lock_irq(&set->state_lock);
	ev = set->events[(set->last_event - 1) % COWSNAP_EVENTS_KEPT];
	spin_unlock_irq(&set->state_lock);

	noio = memalloc_noio_save();
	mutex_lock(&set->lock);
	list_for_each_entry(cc, &set->instances, list) {
		if (!cc->live)
			continue;
		dm_table_event(cc->ti->table);
		cowsnap_send_uevent(cc->ti, cowsnap_event_name(ev.type),
				    ev.seq);
	}
	mutex_unlock(&set->lock);
	memalloc_noio_restore(noio);
}

/*----------------------------------------------------------------
 * Module
 *--------------------------------------------------------------*/

int cowsnap_sets_init(void)
{
	cowsnap_wq = alloc_workqueue("kcowsnapd", WQ_MEM_RECLAIM, 0);
	return cowsnap_wq ? 0 : -ENOMEM;
}

void cowsnap_sets_exit(void)
{
	destroy_workqueue(cowsnap_wq);
}
