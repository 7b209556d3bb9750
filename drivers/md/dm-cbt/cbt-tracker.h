/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cbt-tracker: a change tracker that outlives the tables using it.
 *
 * Trackers are registered in the module under the tracker_id of the table
 * line.  A table naming a live tracker takes it over (a reference); the
 * tracker is freed when the last table using it is destroyed.  Each
 * tracker keeps its map (cbt-map.h) and a small log of events.
 */
#ifndef CBT_TRACKER_H
#define CBT_TRACKER_H

#include <linux/dm-cbt.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/uuid.h>

#include "cbt-map.h"

enum cbt_event_type {
	CBT_EV_GENERATION_RESET,
	CBT_EV_TRACKING_LOST,
};

struct cbt_event {
	u64 seq;
	u64 time_ns;
	enum cbt_event_type type;
	uuid_t generation;	/* the generation that begins (reset) */
};

struct cbt_tracker {
	struct kref ref;
	struct list_head list;		/* in the registry */
	char id[CBT_ID_MAX + 1];
	struct cbt_map *map;

	/* Serialises messages, checkpoints, growth and the event log. */
	struct mutex lock;
	u64 last_event;
	struct cbt_event events[CBT_EVENTS_KEPT];
};

/*
 * cbt_tracker_get - the tracker @id, made for @capacity sectors and
 * @block_size bytes (0: the default for @capacity) when there is none.
 * May sleep.  Returns 0 or -errno with *error set for ti->error.
 */
int cbt_tracker_get(const char *id, sector_t capacity, u32 block_size,
		    struct cbt_tracker **tracker, char **error);

/* cbt_tracker_put - drop a reference; the last one frees it.  May sleep. */
void cbt_tracker_put(struct cbt_tracker *t);

/* cbt_event_name - the name of an event type in messages and uevents. */
const char *cbt_event_name(enum cbt_event_type type);

/*
 * cbt_tracker_add_event - log an event of @type for the map's current
 * generation.  Caller holds t->lock.  Returns its sequence number.
 */
u64 cbt_tracker_add_event(struct cbt_tracker *t, enum cbt_event_type type);

/*
 * cbt_tracker_events - copy the events after @after (oldest first, at most
 * CBT_EVENTS_KEPT) into @out; *first is the oldest still kept.  Caller
 * holds t->lock.  Returns the count.
 */
unsigned int cbt_tracker_events(struct cbt_tracker *t, u64 after,
				struct cbt_event *out, u64 *first);

#endif /* CBT_TRACKER_H */
