/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-cbt internals shared by the target (cbt-target.c) and its message
 * handlers (cbt-message.c).
 */
#ifndef CBT_H
#define CBT_H

#include <linux/device-mapper.h>

#include "cbt-tracker.h"

#define DM_MSG_PREFIX "cbt"

struct cbt_c {
	struct dm_target *ti;
	struct dm_dev *dev;
	struct cbt_tracker *tracker;

	u32 block_size_arg;	/* as given; 0 when left out */
	bool grow;		/* ti->len is beyond the map: grow on resume */
	u8 *grow_buf;		/* for the growth, NULL if allocation failed */
};

/* cbt_notify - dm event and uevent for event @seq.  May sleep. */
void cbt_notify(struct cbt_c *cc, enum cbt_event_type type, u64 seq);

/* The target's .message (see <linux/dm-cbt.h> for the verbs). */
int cbt_message(struct dm_target *ti, unsigned int argc, char **argv,
		char *result, unsigned int maxlen);

#endif /* CBT_H */
