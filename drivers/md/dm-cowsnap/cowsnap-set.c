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
	set->notify = true;
	queue_work(cowsnap_wq, &set->worker);
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
		    err == ENODEV ? "origin table removed" : "I/O error");
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
	if (set->store_dev != store->bd_dev) {
		*error = "Storage device differs from the set's";
		return -EINVAL;
	}
	if (set->chunk_size != chunk_size) {
		*error = "chunk_size differs from the set's";
		return -EINVAL;
	}
	return 0;
}

static struct cowsnap_set *set_new(const char *id, struct block_device *store,
				   u32 chunk_size, char **error)
{
	struct cowsnap_set *set = kzalloc(sizeof(*set), GFP_KERNEL);

	if (!set) {
		*error = "Cannot allocate snapshot set";
		return ERR_PTR(-ENOMEM);
	}
	set->kc = dm_kcopyd_client_create(NULL);
	if (IS_ERR(set->kc)) {
		*error = "Cannot create kcopyd client";
		kfree(set);
		return ERR_CAST(set->kc);
	}
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
	INIT_WORK(&set->worker, cowsnap_worker);
	return set;
}

int cowsnap_set_get(const char *id, struct block_device *store,
		    u32 chunk_size, struct cowsnap_set **setp, char **error)
{
	struct cowsnap_set *set;
	int r = 0;

	mutex_lock(&cowsnap_sets_lock);
	set = set_find(id);
	if (set) {
		r = set_check(set, store, chunk_size, error);
		if (!r)
			kref_get(&set->ref);
	} else if (bdev_nr_sectors(store) < (chunk_size >> SECTOR_SHIFT)) {
		*error = "Storage device is smaller than one chunk";
		r = -EINVAL;
	} else {
		set = set_new(id, store, chunk_size, error);
		if (IS_ERR(set))
			r = PTR_ERR(set);
		else
			list_add_tail(&set->list, &cowsnap_sets);
	}
	mutex_unlock(&cowsnap_sets_lock);
	if (!r)
		*setp = set;
	return r;
}

static void set_release(struct kref *ref)
	__releases(&cowsnap_sets_lock)
{
	struct cowsnap_set *set = container_of(ref, struct cowsnap_set, ref);
	struct cowsnap_member *m, *tmp;

	list_del(&set->list);
	mutex_unlock(&cowsnap_sets_lock);

	/* No table is left, so no bio and no copy: only the worker may run. */
	flush_work(&set->worker);
	dm_kcopyd_client_destroy(set->kc);
	flush_work(&set->worker);
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
		submit_bio_noacct(bio);
	else if (r == DM_MAPIO_KILL)
		bio_io_error(bio);
}

static void reissue_list(struct bio_list *bios)
{
	struct bio *bio;

	while ((bio = bio_list_pop(bios)))
		reissue(bio);
}

/* Announce the newest event on the disk of every live table of the set. */
static void send_events(struct cowsnap_set *set)
{
	struct cowsnap_event ev;
	struct cowsnap_c *cc;

	spin_lock_irq(&set->state_lock);
	ev = set->events[(set->last_event - 1) % COWSNAP_EVENTS_KEPT];
	spin_unlock_irq(&set->state_lock);

	mutex_lock(&set->lock);
	list_for_each_entry(cc, &set->instances, list) {
		if (!cc->live)
			continue;
		dm_table_event(cc->ti->table);
		cowsnap_send_uevent(cc->ti, cowsnap_event_name(ev.type),
				    ev.seq);
	}
	mutex_unlock(&set->lock);
}

static void cowsnap_worker(struct work_struct *ws)
{
	struct cowsnap_set *set = container_of(ws, struct cowsnap_set, worker);
	struct cowsnap_pending *p, *tmp;
	struct bio_list bios, waited;
	LIST_HEAD(start);
	LIST_HEAD(done);
	bool notify;

	spin_lock_irq(&set->work_lock);
	bios = set->deferred;
	bio_list_init(&set->deferred);
	list_splice_init(&set->to_start, &start);
	list_splice_init(&set->completed, &done);
	spin_unlock_irq(&set->work_lock);

	list_for_each_entry_safe(p, tmp, &start, list)
		start_copy(set, p);
	list_for_each_entry_safe(p, tmp, &done, list) {
		list_del(&p->list);
		if (p->error)
			cowsnap_set_corrupt(set, EIO, p->m);
		waited = cowsnap_member_copy_done(p);
		reissue_list(&waited);
	}
	reissue_list(&bios);

	spin_lock_irq(&set->state_lock);
	notify = set->notify;
	set->notify = false;
	spin_unlock_irq(&set->state_lock);
	if (notify)
		send_events(set);
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
