// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnap-member: one volume of a snapshot set and its chunk map.  See
 * cowsnap-member.h for the model and the locking.
 */
#include <linux/bitmap.h>
#include <linux/hash.h>
#include <linux/mm.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "cowsnap.h"
#include "cowsnap-member.h"
#include "cowsnap-set.h"

/*
 * An exception.  @value is a pointer to the pending copy while there is
 * one; once the copy is over it is (store_chunk << 2) | EXC_DONE, with
 * EXC_FAILED added when the copy failed.  It never changes after that.
 */
struct cowsnap_exception {
	struct rhash_head node;
	u64 chunk;
	unsigned long value;
};

#define EXC_DONE	1UL
#define EXC_FAILED	2UL

static const struct rhashtable_params cowsnap_map_params = {
	.key_len	= sizeof(u64),
	.key_offset	= offsetof(struct cowsnap_exception, chunk),
	.head_offset	= offsetof(struct cowsnap_exception, node),
};

static struct kmem_cache *cowsnap_exception_cache;

/*----------------------------------------------------------------
 * Members
 *--------------------------------------------------------------*/

struct cowsnap_member *cowsnap_member_find(struct cowsnap_set *set,
					   const char *name)
{
	struct cowsnap_member *m;

	list_for_each_entry(m, &set->members, list)
		if (!strcmp(m->name, name))
			return m;
	return NULL;
}

struct cowsnap_member *cowsnap_member_new(struct cowsnap_set *set,
					  const char *name,
					  struct block_device *origin,
					  sector_t sectors, char **error)
{
	struct cowsnap_member *m;
	unsigned int i;

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m) {
		*error = "Cannot allocate member";
		return ERR_PTR(-ENOMEM);
	}
	if (rhashtable_init(&m->map, &cowsnap_map_params)) {
		kfree(m);
		*error = "Cannot allocate chunk map";
		return ERR_PTR(-ENOMEM);
	}
	strscpy(m->name, name, sizeof(m->name));
	m->set = set;
	m->origin = origin;
	m->sectors = sectors;
	m->nr_chunks = DIV_ROUND_UP_ULL(sectors, 1ULL << set->chunk_shift);
	spin_lock_init(&m->lock);
	spin_lock_init(&m->track_lock);
	for (i = 0; i < COWSNAP_TRACK_BUCKETS; i++)
		INIT_HLIST_HEAD(&m->tracked[i]);
	list_add_tail(&m->list, &set->members);
	WRITE_ONCE(set->nr_members, set->nr_members + 1);
	return m;
}

static void free_exception(void *ptr, void *arg)
{
	kmem_cache_free(cowsnap_exception_cache, ptr);
}

void cowsnap_member_free(struct cowsnap_member *m)
{
	list_del(&m->list);
	WRITE_ONCE(m->set->nr_members, m->set->nr_members - 1);
	rhashtable_free_and_destroy(&m->map, free_exception, NULL);
	bitmap_free(m->written);
	kfree(m);
}

int cowsnap_member_alloc_written(struct cowsnap_member *m)
{
	unsigned long *bits;

	if (m->written)
		return 0;
	if (m->nr_chunks > INT_MAX)
		return -ENOMEM;
	bits = bitmap_zalloc(m->nr_chunks, GFP_KERNEL);
	if (!bits)
		return -ENOMEM;
	spin_lock_bh(&m->lock);
	m->written = bits;
	spin_unlock_bh(&m->lock);
	return 0;
}

sector_t cowsnap_member_chunk_sectors(struct cowsnap_member *m, u64 chunk)
{
	sector_t start = chunk << m->set->chunk_shift;

	return min_t(sector_t, 1ULL << m->set->chunk_shift, m->sectors - start);
}

/*----------------------------------------------------------------
 * The chunk map
 *--------------------------------------------------------------*/

static struct cowsnap_exception *exc_find(struct cowsnap_member *m, u64 chunk)
{
	return rhashtable_lookup_fast(&m->map, &chunk, cowsnap_map_params);
}

/* The state of a done exception; its store chunk in *store_chunk. */
static enum cowsnap_chunk_state exc_state(unsigned long value,
					  u64 *store_chunk)
{
	if (value & EXC_FAILED)
		return COWSNAP_CHUNK_FAILED;
	*store_chunk = value >> 2;
	return COWSNAP_CHUNK_COPIED;
}

bool cowsnap_member_lookup(struct cowsnap_member *m, u64 chunk,
			   u64 *store_chunk)
{
	struct cowsnap_exception *e = exc_find(m, chunk);
	unsigned long value;

	if (!e)
		return false;
	value = smp_load_acquire(&e->value);
	return (value & EXC_DONE) &&
	       exc_state(value, store_chunk) == COWSNAP_CHUNK_COPIED;
}

/* The bucket of tracked reads of @chunk. */
static struct hlist_head *track_head(struct cowsnap_member *m, u64 chunk)
{
	return &m->tracked[hash_64(chunk, COWSNAP_TRACK_BITS)];
}

/*
 * Under m->lock: where an image read of an exception goes.  Once the copy
 * has landed (p->copied) the storage holds the image's data, even while
 * origin writes still wait for earlier reads to drain.
 */
static enum cowsnap_chunk_state exc_read_state(struct cowsnap_exception *e,
					       u64 *store_chunk)
{
	struct cowsnap_pending *p;

	if (e->value & EXC_DONE)
		return exc_state(e->value, store_chunk);
	p = (struct cowsnap_pending *)e->value;
	if (!p->copied)
		return COWSNAP_CHUNK_ORIGIN;
	*store_chunk = p->store_chunk;
	return COWSNAP_CHUNK_COPIED;
}

/* A new exception for @chunk, pending on a copy to a free store chunk. */
static struct cowsnap_exception *exc_new(struct cowsnap_member *m, u64 chunk,
					 gfp_t gfp)
{
	struct cowsnap_exception *e;
	struct cowsnap_pending *p;

	e = kmem_cache_alloc(cowsnap_exception_cache, gfp | __GFP_NOWARN);
	if (!e)
		return NULL;
	p = kzalloc(sizeof(*p), gfp | __GFP_NOWARN);
	if (!p) {
		kmem_cache_free(cowsnap_exception_cache, e);
		return NULL;
	}
	e->chunk = chunk;
	e->value = (unsigned long)p;
	p->m = m;
	p->e = e;
	p->chunk = chunk;
	bio_list_init(&p->bios);
	return e;
}

static void exc_drop(struct cowsnap_exception *e)
{
	kfree((void *)e->value);
	kmem_cache_free(cowsnap_exception_cache, e);
}

/*
 * Under m->lock: what an existing exception means for @bio, which waits
 * on the copy when there is one.
 */
static enum cowsnap_chunk_state exc_join(struct cowsnap_exception *e,
					 struct bio *bio, u64 *store_chunk)
{
	struct cowsnap_pending *p;

	if (e->value & EXC_DONE)
		return exc_state(e->value, store_chunk);
	p = (struct cowsnap_pending *)e->value;
	if (bio)
		bio_list_add(&p->bios, bio);
	return COWSNAP_CHUNK_WAIT;
}

/*
 * Under m->lock: insert @e, then give it a store chunk (so that a full map
 * wastes no storage), @bio waiting on it.  Returns WAIT; FAILED when there
 * is no chunk (the exception stays, failed: a lockless lookup may hold it);
 * NOMEM when @e could not be inserted.
 */
static enum cowsnap_chunk_state exc_insert(struct cowsnap_member *m,
					   struct cowsnap_exception *e,
					   struct bio *bio)
{
	struct cowsnap_pending *p = (struct cowsnap_pending *)e->value;

	if (rhashtable_insert_fast(&m->map, &e->node, cowsnap_map_params))
		return COWSNAP_CHUNK_NOMEM;
	if (cowsnap_set_alloc_chunk(m->set, m, &p->store_chunk)) {
		smp_store_release(&e->value, EXC_DONE | EXC_FAILED);
		kfree(p);
		return COWSNAP_CHUNK_FAILED;
	}
	if (bio)
		bio_list_add(&p->bios, bio);
	return COWSNAP_CHUNK_WAIT;
}

enum cowsnap_chunk_state cowsnap_member_need_copy(struct cowsnap_member *m,
						  u64 chunk, struct bio *bio,
						  gfp_t gfp, u64 *store_chunk)
{
	struct cowsnap_exception *e, *new;
	enum cowsnap_chunk_state st;

	if (cowsnap_member_lookup(m, chunk, store_chunk))
		return COWSNAP_CHUNK_COPIED;
	new = exc_new(m, chunk, gfp);

	spin_lock_bh(&m->lock);
	e = exc_find(m, chunk);
	if (e) {
		st = exc_join(e, bio, store_chunk);
	} else if (!new) {
		st = COWSNAP_CHUNK_NOMEM;
	} else {
		st = exc_insert(m, new, bio);
		if (st != COWSNAP_CHUNK_NOMEM)
			e = new;	/* in the map now */
	}
	spin_unlock_bh(&m->lock);

	if (e == new && st == COWSNAP_CHUNK_WAIT)
		cowsnap_set_start_copy(m->set,
				       (struct cowsnap_pending *)new->value);
	else if (e != new && new)
		exc_drop(new);
	return st;
}

enum cowsnap_chunk_state cowsnap_member_read(struct cowsnap_member *m,
					     u64 chunk, struct bio *bio,
					     u64 *store_chunk)
{
	struct cowsnap_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	enum cowsnap_chunk_state st = COWSNAP_CHUNK_ORIGIN;
	struct cowsnap_exception *e;
	unsigned long flags;

	if (cowsnap_member_lookup(m, chunk, store_chunk))
		return COWSNAP_CHUNK_COPIED;

	spin_lock_bh(&m->lock);
	e = exc_find(m, chunk);
	if (e)
		st = exc_read_state(e, store_chunk);
	if (st == COWSNAP_CHUNK_ORIGIN) {
		pb->chunk = chunk;
		pb->tracked = true;
		spin_lock_irqsave(&m->track_lock, flags);
		hlist_add_head(&pb->track, track_head(m, chunk));
		spin_unlock_irqrestore(&m->track_lock, flags);
	}
	spin_unlock_bh(&m->lock);
	return st;
}

void cowsnap_member_untrack(struct cowsnap_member *m, struct bio *bio)
{
	struct cowsnap_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	unsigned long flags;

	if (!pb->tracked)
		return;
	spin_lock_irqsave(&m->track_lock, flags);
	hlist_del(&pb->track);
	spin_unlock_irqrestore(&m->track_lock, flags);
	pb->tracked = false;
	if (atomic_read(&m->draining))
		cowsnap_set_kick(m->set);
}

static bool chunk_is_tracked(struct cowsnap_member *m, u64 chunk)
{
	struct cowsnap_bio *pb;
	unsigned long flags;
	bool found = false;

	spin_lock_irqsave(&m->track_lock, flags);
	hlist_for_each_entry(pb, track_head(m, chunk), track) {
		if (pb->chunk == chunk) {
			found = true;
			break;
		}
	}
	spin_unlock_irqrestore(&m->track_lock, flags);
	return found;
}

void cowsnap_member_mark_written(struct cowsnap_member *m, u64 chunk)
{
	if (m->written && chunk < m->nr_chunks)
		set_bit(chunk, m->written);
}

bool cowsnap_member_copy_landed(struct cowsnap_pending *p)
{
	struct cowsnap_member *m = p->m;

	if (!p->error) {
		spin_lock_bh(&m->lock);
		p->copied = true;
		spin_unlock_bh(&m->lock);
		atomic_inc(&m->draining);
	}
	return !p->error && chunk_is_tracked(m, p->chunk);
}

bool cowsnap_member_drained(struct cowsnap_pending *p)
{
	return !chunk_is_tracked(p->m, p->chunk);
}

struct bio_list cowsnap_member_copy_done(struct cowsnap_pending *p)
{
	struct cowsnap_member *m = p->m;
	unsigned long value = (p->store_chunk << 2) | EXC_DONE;
	struct bio_list bios;

	if (p->error)
		value |= EXC_FAILED;
	spin_lock_bh(&m->lock);
	smp_store_release(&p->e->value, value);
	bios = p->bios;
	if (!p->error)
		m->copied++;
	spin_unlock_bh(&m->lock);
	if (!p->error)
		atomic_dec(&m->draining);
	kfree(p);
	return bios;
}

u64 cowsnap_member_copied(struct cowsnap_member *m)
{
	u64 n;

	spin_lock_bh(&m->lock);
	n = m->copied;
	spin_unlock_bh(&m->lock);
	return n;
}

size_t cowsnap_member_memory(struct cowsnap_member *m)
{
	const struct bucket_table *tbl;
	size_t bytes;

	rcu_read_lock();
	tbl = rht_dereference_rcu(m->map.tbl, &m->map);
	bytes = tbl->size * sizeof(tbl->buckets[0]);
	rcu_read_unlock();
	bytes += atomic_read(&m->map.nelems) *
		 kmem_cache_size(cowsnap_exception_cache);
	if (m->written)
		bytes += BITS_TO_LONGS(m->nr_chunks) * sizeof(long);
	return bytes + sizeof(*m);
}

/*----------------------------------------------------------------
 * Module
 *--------------------------------------------------------------*/

int cowsnap_members_init(void)
{
	cowsnap_exception_cache = KMEM_CACHE(cowsnap_exception, 0);
	return cowsnap_exception_cache ? 0 : -ENOMEM;
}

void cowsnap_members_exit(void)
{
	kmem_cache_destroy(cowsnap_exception_cache);
}
