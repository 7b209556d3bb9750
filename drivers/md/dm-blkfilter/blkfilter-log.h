/* SPDX-License-Identifier: GPL-2.0 */
/*
 * blkfilter-log: the bounded log of failed-I/O records of one blkfilter
 * target.
 *
 * Records get sequence numbers 1, 2, 3...  The log keeps the newest
 * ring_size of them; older ones are overwritten and counted as dropped.
 * Adding never allocates, never sleeps and never fails, so it is safe from
 * bio completion in any context.
 */
#ifndef BLKFILTER_LOG_H
#define BLKFILTER_LOG_H

#include <linux/types.h>

struct blkfilter_log;

/**
 * struct blkfilter_record - one failed bio
 * @seq: sequence number, from 1
 * @time_ns: CLOCK_REALTIME at completion
 * @sector: first sector of the bio on the blkfilter device
 * @sectors: length of the bio in sectors (0 for an empty flush)
 * @class: enum blkfilter_error_class
 * @op: enum blkfilter_op
 */
struct blkfilter_record {
	u64 seq;
	u64 time_ns;
	u64 sector;
	u32 sectors;
	u8 class;
	u8 op;
};

/**
 * struct blkfilter_log_summary - where the log stands
 * @last_seq: newest record (0: none yet); also the number of records added
 * @first_seq: oldest record still kept (last_seq + 1 when empty)
 * @dropped: records overwritten before anyone could read them
 * @used: records kept
 * @size: capacity
 */
struct blkfilter_log_summary {
	u64 last_seq;
	u64 first_seq;
	u64 dropped;
	unsigned int used;
	unsigned int size;
};

/*
 * blkfilter_log_create - allocate a log of @size records (a power of two).
 * May sleep.  Returns the log or NULL when out of memory.
 */
struct blkfilter_log *blkfilter_log_create(unsigned int size);

/* blkfilter_log_destroy - free @log (NULL is fine).  May sleep. */
void blkfilter_log_destroy(struct blkfilter_log *log);

/*
 * blkfilter_log_add - append a record; fills in seq and time.  Any context,
 * never fails.  Returns the sequence number given to the record.
 */
u64 blkfilter_log_add(struct blkfilter_log *log, u8 class, u8 op,
		      u64 sector, u32 sectors);

/* blkfilter_log_summary - read the counters of @log.  Any context. */
void blkfilter_log_summary(struct blkfilter_log *log,
			   struct blkfilter_log_summary *sum);

/*
 * blkfilter_log_read - copy up to @max records with seq > @after_seq, oldest
 * first, into @out, and the summary as it stood at that moment into @sum.
 * Any context.  Returns the number of records copied.
 */
unsigned int blkfilter_log_read(struct blkfilter_log *log, u64 after_seq,
				struct blkfilter_record *out, unsigned int max,
				struct blkfilter_log_summary *sum);

#endif /* BLKFILTER_LOG_H */
