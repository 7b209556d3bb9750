// SPDX-License-Identifier: GPL-2.0
/*
 * blkfilter-log: the bounded log of failed-I/O records (see blkfilter-log.h).
 */
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "blkfilter-log.h"

/*----------------------------------------------------------------*/

/*
 * Record seq s lives in slot (s - 1) & mask.  last_seq is the only counter:
 * how many records were kept and dropped follows from it and the size.
 */
struct blkfilter_log {
	spinlock_t lock;
	u64 last_seq;
	unsigned int mask;
	struct blkfilter_record *ring;
};

/*----------------------------------------------------------------*/

struct blkfilter_log *blkfilter_log_create(unsigned int size)
{
	struct blkfilter_log *log;

	if (WARN_ON_ONCE(!is_power_of_2(size)))
		return NULL;

	log = kzalloc(sizeof(*log), GFP_KERNEL);
	if (!log)
		return NULL;

	log->ring = kvcalloc(size, sizeof(*log->ring), GFP_KERNEL);
	if (!log->ring) {
		kfree(log);
		return NULL;
	}
	spin_lock_init(&log->lock);
	log->mask = size - 1;
	return log;
}

void blkfilter_log_destroy(struct blkfilter_log *log)
{
	if (!log)
		return;
	kvfree(log->ring);
	kfree(log);
}

u64 blkfilter_log_add(struct blkfilter_log *log, u8 class, u8 op,
		      u64 sector, u32 sectors)
{
	struct blkfilter_record *rec;
	unsigned long flags;
	u64 seq;

	spin_lock_irqsave(&log->lock, flags);
	seq = ++log->last_seq;
	rec = &log->ring[(seq - 1) & log->mask];
	rec->seq = seq;
	rec->time_ns = ktime_get_real_ns();
	rec->sector = sector;
	rec->sectors = sectors;
	rec->class = class;
	rec->op = op;
	spin_unlock_irqrestore(&log->lock, flags);

	return seq;
}

/* Caller holds log->lock. */
static void __blkfilter_log_summary(struct blkfilter_log *log,
				    struct blkfilter_log_summary *sum)
{
	u64 size = (u64)log->mask + 1;

	sum->size = size;
	sum->last_seq = log->last_seq;
	sum->used = min(log->last_seq, size);
	sum->dropped = log->last_seq - sum->used;
	sum->first_seq = sum->dropped + 1;
}

void blkfilter_log_summary(struct blkfilter_log *log,
			   struct blkfilter_log_summary *sum)
{
	unsigned long flags;

	spin_lock_irqsave(&log->lock, flags);
	__blkfilter_log_summary(log, sum);
	spin_unlock_irqrestore(&log->lock, flags);
}

unsigned int blkfilter_log_read(struct blkfilter_log *log, u64 after_seq,
				struct blkfilter_record *out, unsigned int max,
				struct blkfilter_log_summary *sum)
{
	unsigned long flags;
	unsigned int n = 0;
	u64 seq;

	spin_lock_irqsave(&log->lock, flags);
	__blkfilter_log_summary(log, sum);
	if (after_seq < sum->last_seq) {
		seq = max(after_seq + 1, sum->first_seq);
		for (; seq <= sum->last_seq && n < max; seq++)
			out[n++] = log->ring[(seq - 1) & log->mask];
	}
	spin_unlock_irqrestore(&log->lock, flags);

	return n;
}
