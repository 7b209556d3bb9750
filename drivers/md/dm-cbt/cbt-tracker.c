// SPDX-License-Identifier: GPL-2.0
/*
 * cbt-tracker: the registry of change trackers (see cbt-tracker.h).
 */
#include <linux/device-mapper.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "cbt-tracker.h"

static LIST_HEAD(cbt_trackers);
static DEFINE_MUTEX(cbt_trackers_lock);

/*----------------------------------------------------------------*/

/* Smallest power of two >= 4 KiB keeping the map within the default. */
static u32 cbt_default_block_size(sector_t capacity)
{
	u64 bytes = (u64)capacity << SECTOR_SHIFT;
	u64 size = DIV_ROUND_UP_ULL(bytes, CBT_DEFAULT_MAX_BLOCKS);

	if (size <= CBT_BLOCK_MIN)
		return CBT_BLOCK_MIN;
	return min_t(u64, roundup_pow_of_two(size), CBT_BLOCK_MAX);
}

static struct cbt_tracker *cbt_tracker_find(const char *id)
{
	struct cbt_tracker *t;

	list_for_each_entry(t, &cbt_trackers, list)
		if (!strcmp(t->id, id))
			return t;
	return NULL;
}

static struct cbt_tracker *cbt_tracker_create(const char *id,
					      sector_t capacity,
					      u32 block_size, char **error)
{
	struct cbt_tracker *t;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t) {
		*error = "Cannot allocate tracker";
		return NULL;
	}
	t->map = cbt_map_create(capacity, block_size);
	if (!t->map) {
		*error = "Cannot allocate the change map";
		kfree(t);
		return NULL;
	}
	kref_init(&t->ref);
	mutex_init(&t->lock);
	strscpy(t->id, id, sizeof(t->id));
	return t;
}

int cbt_tracker_get(const char *id, sector_t capacity, u32 block_size,
		    struct cbt_tracker **tracker, char **error)
{
	struct cbt_tracker *t;
	int r = 0;

	mutex_lock(&cbt_trackers_lock);
	t = cbt_tracker_find(id);
	if (t) {
		if (block_size && block_size != cbt_map_block_size(t->map)) {
			*error = "block_size differs from the live tracker's";
			r = -EINVAL;
		} else {
			kref_get(&t->ref);
		}
		goto out;
	}

	if (!block_size)
		block_size = cbt_default_block_size(capacity);
	if (cbt_map_blocks(capacity, block_size) > CBT_MAP_MAX) {
		*error = "block_size too small for the device: the change map would exceed 2 GiB";
		r = -EINVAL;
		goto out;
	}
	t = cbt_tracker_create(id, capacity, block_size, error);
	if (!t) {
		r = -ENOMEM;
		goto out;
	}
	list_add(&t->list, &cbt_trackers);
out:
	mutex_unlock(&cbt_trackers_lock);
	if (!r)
		*tracker = t;
	return r;
}

static void cbt_tracker_release(struct kref *ref)
{
	struct cbt_tracker *t = container_of(ref, struct cbt_tracker, ref);

	list_del(&t->list);
	mutex_unlock(&cbt_trackers_lock);
	cbt_map_destroy(t->map);
	mutex_destroy(&t->lock);
	kfree(t);
}

void cbt_tracker_put(struct cbt_tracker *t)
{
	kref_put_mutex(&t->ref, cbt_tracker_release, &cbt_trackers_lock);
}

/*----------------------------------------------------------------*/

const char *cbt_event_name(enum cbt_event_type type)
{
	return type == CBT_EV_GENERATION_RESET ? CBT_EVENT_GENERATION_RESET :
						 CBT_EVENT_TRACKING_LOST;
}

u64 cbt_tracker_add_event(struct cbt_tracker *t, enum cbt_event_type type)
{
	struct cbt_event *ev;
	struct cbt_map_info info;

	cbt_map_info(t->map, &info);
	ev = &t->events[t->last_event % CBT_EVENTS_KEPT];
	ev->seq = ++t->last_event;
	ev->time_ns = ktime_get_real_ns();
	ev->type = type;
	ev->generation = info.generation;
	return ev->seq;
}

unsigned int cbt_tracker_events(struct cbt_tracker *t, u64 after,
				struct cbt_event *out, u64 *first)
{
	u64 seq;
	unsigned int n = 0;

	*first = t->last_event > CBT_EVENTS_KEPT ?
		 t->last_event - CBT_EVENTS_KEPT + 1 : 1;
	for (seq = max(after + 1, *first); after < t->last_event &&
	     seq <= t->last_event; seq++)
		out[n++] = t->events[(seq - 1) % CBT_EVENTS_KEPT];
	return n;
}
