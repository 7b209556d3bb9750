// SPDX-License-Identifier: GPL-2.0
/*
 * dm-blkfilter: a pass-through device-mapper target that reports every
 * failed I/O of the device beneath it as an event.
 *
 * It is meant to be swapped in over a live volume by a table reload and
 * swapped out the same way; see Documentation/dm-blkfilter.rst.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include <linux/dm-blkfilter.h>

#include "compat.h"
#include "cowsnap-args.h"
#include "cowsnap-uevent.h"
#include "blkfilter-log.h"

#define DM_MSG_PREFIX "blkfilter"

/*----------------------------------------------------------------
 * Constants and structures
 *--------------------------------------------------------------*/

/* Per-cpu bio counters, reported in status INFO in this order. */
enum blkfilter_stat {
	BLKFILTER_STAT_READ,
	BLKFILTER_STAT_WRITE,
	BLKFILTER_STAT_FLUSH,
	BLKFILTER_STAT_DISCARD,
	BLKFILTER_STAT_WRITE_ZEROES,
	BLKFILTER_STAT_NR
};

struct blkfilter_stats {
	u64 count[BLKFILTER_STAT_NR];
};

/*
 * What end_io needs to know of the bio as it was mapped (by completion the
 * block layer may have dropped REQ_FUA or REQ_PREFLUSH from it).
 */
struct blkfilter_bio {
	sector_t sector;
	unsigned int sectors;
	enum blkfilter_op op;
};

struct blkfilter_c {
	struct dm_target *ti;
	struct dm_dev *dev;
	struct blkfilter_log *log;
	struct blkfilter_stats __percpu *stats;

	/* Optional arguments as given; 0 when left out. */
	unsigned int ring_size_arg;
	unsigned int uevent_ms_arg;
	bool uevent_ms_given;
	unsigned long uevent_interval;	/* jiffies */

	/*
	 * Tells userspace about new records.  Only the worker touches the
	 * fields below; a work item never runs concurrently with itself.
	 */
	struct delayed_work notify_work;
	u64 table_event_seq;
	u64 uevent_seq;
	unsigned long uevent_time;
};

static const char * const blkfilter_class_names[] = BLKFILTER_ERROR_CLASS_NAMES;
static const char * const blkfilter_op_names[] = BLKFILTER_OP_NAMES;

static_assert(ARRAY_SIZE(blkfilter_class_names) == BLKFILTER_ERR_NR);
static_assert(ARRAY_SIZE(blkfilter_op_names) == BLKFILTER_OP_NR);

/*----------------------------------------------------------------
 * Helpers
 *--------------------------------------------------------------*/

static enum blkfilter_error_class blkfilter_classify(blk_status_t status)
{
	switch (status) {
	case BLK_STS_IOERR:		return BLKFILTER_ERR_IO;
	case BLK_STS_TIMEOUT:		return BLKFILTER_ERR_TIMEOUT;
#ifdef COWSNAP_HAVE_BLK_STS_DURATION_LIMIT
	case BLK_STS_DURATION_LIMIT:	return BLKFILTER_ERR_TIMEOUT;
#endif
	case BLK_STS_NOSPC:		return BLKFILTER_ERR_NO_SPACE;
	case BLK_STS_TRANSPORT:		return BLKFILTER_ERR_TRANSPORT;
	case BLK_STS_TARGET:		return BLKFILTER_ERR_TARGET;
	case BLK_STS_RESV_CONFLICT:	return BLKFILTER_ERR_NEXUS;
	case BLK_STS_MEDIUM:		return BLKFILTER_ERR_MEDIUM;
	case BLK_STS_PROTECTION:	return BLKFILTER_ERR_PROTECTION;
	case BLK_STS_RESOURCE:		return BLKFILTER_ERR_KERNEL_RESOURCE;
	case BLK_STS_DEV_RESOURCE:	return BLKFILTER_ERR_DEVICE_RESOURCE;
	case BLK_STS_NOTSUPP:		return BLKFILTER_ERR_NOT_SUPPORTED;
	case BLK_STS_OFFLINE:		return BLKFILTER_ERR_OFFLINE;
	default:			return BLKFILTER_ERR_OTHER;
	}
}

static enum blkfilter_op blkfilter_op_of(struct bio *bio)
{
	switch (bio_op(bio)) {
	case REQ_OP_READ:
		return BLKFILTER_OP_READ;
	case REQ_OP_WRITE:
		if (!bio_sectors(bio) && (bio->bi_opf & REQ_PREFLUSH))
			return BLKFILTER_OP_FLUSH;
		return (bio->bi_opf & REQ_FUA) ? BLKFILTER_OP_WRITE_FUA :
						 BLKFILTER_OP_WRITE;
	case REQ_OP_DISCARD:
		return BLKFILTER_OP_DISCARD;
	case REQ_OP_WRITE_ZEROES:
		return BLKFILTER_OP_WRITE_ZEROES;
	case REQ_OP_SECURE_ERASE:
		return BLKFILTER_OP_SECURE_ERASE;
	default:
		return BLKFILTER_OP_OTHER;
	}
}

/*
 * Not every error status is a failure of the device: AGAIN is a REQ_NOWAIT
 * bio to retry and DM_REQUEUE dm's own business.  A discard, secure erase
 * or write-zeroes the device beneath does not support (NOTSUPP, or TARGET
 * with a zero limit, as dm core judges it) makes dm stop sending them and
 * the block layer fall back; nothing was lost.
 */
static bool blkfilter_is_failure(struct bio *bio, blk_status_t status)
{
	switch (status) {
	case BLK_STS_AGAIN:
	case BLK_STS_DM_REQUEUE:
		return false;
	case BLK_STS_NOTSUPP:
	case BLK_STS_TARGET:
		switch (bio_op(bio)) {
		case REQ_OP_DISCARD:
		case REQ_OP_SECURE_ERASE:
			return status == BLK_STS_TARGET &&
			       bdev_max_discard_sectors(bio->bi_bdev);
		case REQ_OP_WRITE_ZEROES:
			return status == BLK_STS_TARGET &&
			       bdev_write_zeroes_sectors(bio->bi_bdev);
		default:
			return true;
		}
	default:
		return true;
	}
}

static void blkfilter_count(struct blkfilter_c *bc, struct bio *bio)
{
	struct blkfilter_stats __percpu *s = bc->stats;

	switch (bio_op(bio)) {
	case REQ_OP_READ:
		this_cpu_inc(s->count[BLKFILTER_STAT_READ]);
		break;
	case REQ_OP_WRITE:
		if (bio->bi_opf & REQ_PREFLUSH)
			this_cpu_inc(s->count[BLKFILTER_STAT_FLUSH]);
		if (bio_sectors(bio))
			this_cpu_inc(s->count[BLKFILTER_STAT_WRITE]);
		break;
	case REQ_OP_DISCARD:
	case REQ_OP_SECURE_ERASE:
		this_cpu_inc(s->count[BLKFILTER_STAT_DISCARD]);
		break;
	case REQ_OP_WRITE_ZEROES:
		this_cpu_inc(s->count[BLKFILTER_STAT_WRITE_ZEROES]);
		break;
	default:
		break;
	}
}

static void blkfilter_sum_stats(struct blkfilter_c *bc,
				struct blkfilter_stats *sum)
{
	int cpu, i;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		struct blkfilter_stats *s = per_cpu_ptr(bc->stats, cpu);

		for (i = 0; i < BLKFILTER_STAT_NR; i++)
			sum->count[i] += READ_ONCE(s->count[i]);
	}
}

/*----------------------------------------------------------------
 * Bio path
 *--------------------------------------------------------------*/

static int blkfilter_map(struct dm_target *ti, struct bio *bio)
{
	struct blkfilter_c *bc = ti->private;
	struct blkfilter_bio *bb = dm_per_bio_data(bio, sizeof(*bb));

	bb->sector = bio->bi_iter.bi_sector;
	bb->sectors = bio_sectors(bio);
	bb->op = blkfilter_op_of(bio);
	blkfilter_count(bc, bio);

	bio_set_dev(bio, bc->dev->bdev);
	if (bio_sectors(bio))
		bio->bi_iter.bi_sector = dm_target_offset(ti, bb->sector);

	return DM_MAPIO_REMAPPED;
}

/*
 * Runs in whatever context the device beneath completes bios in: only the
 * log (no allocation, a spinlock) and a work kick happen here.
 */
static int blkfilter_end_io(struct dm_target *ti, struct bio *bio,
			    blk_status_t *error)
{
	struct blkfilter_c *bc = ti->private;
	struct blkfilter_bio *bb;

	if (likely(!*error) || !blkfilter_is_failure(bio, *error))
		return DM_ENDIO_DONE;

	bb = dm_per_bio_data(bio, sizeof(*bb));
	blkfilter_log_add(bc->log, blkfilter_classify(*error), bb->op,
			  bb->sector, bb->sectors);
	mod_delayed_work(system_wq, &bc->notify_work, 0);

	return DM_ENDIO_DONE;
}

/*----------------------------------------------------------------
 * Worker: tell userspace
 *--------------------------------------------------------------*/

/*
 * dm_table_event() at once for every batch of new records; a uevent at
 * most once per uevent_interval, re-armed for the remainder when too early.
 */
static void blkfilter_notify(struct work_struct *ws)
{
	struct blkfilter_c *bc = container_of(to_delayed_work(ws),
					      struct blkfilter_c, notify_work);
	struct blkfilter_log_summary sum;
	unsigned long now = jiffies, due;

	blkfilter_log_summary(bc->log, &sum);

	if (sum.last_seq != bc->table_event_seq) {
		bc->table_event_seq = sum.last_seq;
		dm_table_event(bc->ti->table);
	}

	if (sum.last_seq == bc->uevent_seq)
		return;

	due = bc->uevent_time + bc->uevent_interval;
	if (bc->uevent_seq && time_before(now, due)) {
		queue_delayed_work(system_wq, &bc->notify_work, due - now);
		return;
	}
	bc->uevent_seq = sum.last_seq;
	bc->uevent_time = now;
	cowsnap_send_uevent(bc->ti, BLKFILTER_EVENT_IO_ERROR, sum.last_seq);
}

/*----------------------------------------------------------------
 * Constructor and destructor
 *--------------------------------------------------------------*/

static int parse_uint_arg(struct dm_arg_set *as, unsigned int *value,
			  char **error, char *bad_value)
{
	const char *arg = dm_shift_arg(as);

	if (!arg || kstrtouint(arg, 10, value)) {
		*error = bad_value;
		return -EINVAL;
	}
	return 0;
}

static int parse_ring_size(struct dm_arg_set *as, void *ctx, char **error)
{
	struct blkfilter_c *bc = ctx;
	unsigned int n;

	if (bc->ring_size_arg) {
		*error = "Duplicate ring_size argument";
		return -EINVAL;
	}
	if (parse_uint_arg(as, &n, error, "Invalid ring_size value"))
		return -EINVAL;
	if (n < BLKFILTER_RING_MIN || n > BLKFILTER_RING_MAX ||
	    !is_power_of_2(n)) {
		*error = "ring_size must be a power of two from 16 to 65536";
		return -EINVAL;
	}
	bc->ring_size_arg = n;
	return 0;
}

static int parse_uevent_ms(struct dm_arg_set *as, void *ctx, char **error)
{
	struct blkfilter_c *bc = ctx;
	unsigned int n;

	if (bc->uevent_ms_given) {
		*error = "Duplicate uevent_ms argument";
		return -EINVAL;
	}
	if (parse_uint_arg(as, &n, error, "Invalid uevent_ms value"))
		return -EINVAL;
	if (n > BLKFILTER_UEVENT_MS_MAX) {
		*error = "uevent_ms must be from 0 to 60000";
		return -EINVAL;
	}
	bc->uevent_ms_arg = n;
	bc->uevent_ms_given = true;
	return 0;
}

static int parse_features(struct dm_arg_set *as, struct blkfilter_c *bc,
			  char **error)
{
	static const struct cowsnap_opt opts[] = {
		{ "ring_size", parse_ring_size },
		{ "uevent_ms", parse_uevent_ms },
	};

	return cowsnap_parse_opts(as, 4, opts, ARRAY_SIZE(opts), bc, error);
}

/*
 * Construct a blkfilter device:
 *
 *   blkfilter <dev> [<#opt_args> [ring_size <n>] [uevent_ms <n>]]
 *
 * <dev>        the device beneath, at least as long as the target
 * ring_size    event records kept, a power of two from 16 to 65536 (1024)
 * uevent_ms    at most one uevent per <n> ms, 0 to 60000 (1000; 0: no limit)
 */
static int blkfilter_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	struct blkfilter_c *bc;
	int r;

	if (argc < 1) {
		ti->error = "Missing device beneath";
		return -EINVAL;
	}

	bc = kzalloc(sizeof(*bc), GFP_KERNEL);
	if (!bc) {
		ti->error = "Cannot allocate blkfilter context";
		return -ENOMEM;
	}
	bc->ti = ti;
	INIT_DELAYED_WORK(&bc->notify_work, blkfilter_notify);

	r = cowsnap_get_dev(ti, &as, &bc->dev, &ti->error);
	if (r)
		goto out_free;

	r = parse_features(&as, bc, &ti->error);
	if (r)
		goto out_put_dev;

	bc->log = blkfilter_log_create(bc->ring_size_arg ?:
				       BLKFILTER_RING_DEFAULT);
	if (!bc->log) {
		ti->error = "Cannot allocate event ring";
		r = -ENOMEM;
		goto out_put_dev;
	}

	bc->stats = alloc_percpu(struct blkfilter_stats);
	if (!bc->stats) {
		ti->error = "Cannot allocate counters";
		r = -ENOMEM;
		goto out_log;
	}

	bc->uevent_interval = msecs_to_jiffies(bc->uevent_ms_given ?
					       bc->uevent_ms_arg :
					       BLKFILTER_UEVENT_MS_DEFAULT);

	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->num_secure_erase_bios = 1;
	ti->num_write_zeroes_bios = 1;
	ti->per_io_data_size = sizeof(struct blkfilter_bio);
	ti->private = bc;
	return 0;

out_log:
	blkfilter_log_destroy(bc->log);
out_put_dev:
	dm_put_device(ti, bc->dev);
out_free:
	kfree(bc);
	return r;
}

static void blkfilter_dtr(struct dm_target *ti)
{
	struct blkfilter_c *bc = ti->private;

	cancel_delayed_work_sync(&bc->notify_work);
	free_percpu(bc->stats);
	blkfilter_log_destroy(bc->log);
	dm_put_device(ti, bc->dev);
	kfree(bc);
}

/*----------------------------------------------------------------
 * Suspend
 *--------------------------------------------------------------*/

/*
 * No I/O is in flight once suspended: send what is pending now, while this
 * table is still the live one, so no record of it goes unannounced when a
 * reload swaps it out.
 */
static void blkfilter_postsuspend(struct dm_target *ti)
{
	struct blkfilter_c *bc = ti->private;

	flush_delayed_work(&bc->notify_work);
}

/*----------------------------------------------------------------
 * Status and messages
 *--------------------------------------------------------------*/

/*
 * Status INFO:
 *   <reads> <writes> <flushes> <discards> <write_zeroes> <errors>
 *   <events_dropped> <ring_used>/<ring_size>
 *
 * Status TABLE:
 *   <dev> [<#opt_args> [ring_size <n>] [uevent_ms <n>]]
 */
static void blkfilter_status(struct dm_target *ti, status_type_t type,
			     unsigned int status_flags, char *result,
			     unsigned int maxlen)
{
	struct blkfilter_c *bc = ti->private;
	struct blkfilter_log_summary sum;
	struct blkfilter_stats st;
	unsigned int sz = 0, nr_opt;

	switch (type) {
	case STATUSTYPE_INFO:
		blkfilter_sum_stats(bc, &st);
		blkfilter_log_summary(bc->log, &sum);
		DMEMIT("%llu %llu %llu %llu %llu %llu %llu %u/%u",
		       st.count[BLKFILTER_STAT_READ],
		       st.count[BLKFILTER_STAT_WRITE],
		       st.count[BLKFILTER_STAT_FLUSH],
		       st.count[BLKFILTER_STAT_DISCARD],
		       st.count[BLKFILTER_STAT_WRITE_ZEROES],
		       sum.last_seq, sum.dropped, sum.used, sum.size);
		break;

	case STATUSTYPE_TABLE:
		DMEMIT("%s", bc->dev->name);
		nr_opt = (bc->ring_size_arg ? 2 : 0) +
			 (bc->uevent_ms_given ? 2 : 0);
		if (!nr_opt)
			break;
		DMEMIT(" %u", nr_opt);
		if (bc->ring_size_arg)
			DMEMIT(" ring_size %u", bc->ring_size_arg);
		if (bc->uevent_ms_given)
			DMEMIT(" uevent_ms %u", bc->uevent_ms_arg);
		break;

	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",device_name=%s;", bc->dev->name);
		break;
	}
}

/* Emit one record line; the caller made sure it fits. */
static unsigned int blkfilter_emit_record(const struct blkfilter_record *rec,
					  char *result, unsigned int maxlen)
{
	unsigned int sz = 0;
	u32 nsec;
	u64 sec = div_u64_rem(rec->time_ns, NSEC_PER_SEC, &nsec);

	DMEMIT("%llu %llu.%09u %s %s %llu %u\n", rec->seq, sec, nsec,
	       blkfilter_class_names[rec->class], blkfilter_op_names[rec->op],
	       rec->sector, rec->sectors);
	return sz;
}

/* Longest header line of an "events" answer, with its newline. */
#define BLKFILTER_EVENTS_HEADER_MAX	96

/*
 * events <after_seq> [<max>]
 *
 * Answers as many whole records as fit; when not even one fits, the answer
 * is cut at maxlen, dm flags the buffer full and libdevmapper asks again
 * with a bigger one.
 */
static int blkfilter_message_events(struct blkfilter_c *bc, unsigned int argc,
				    char **argv, char *result,
				    unsigned int maxlen)
{
	unsigned int max = BLKFILTER_EVENTS_MAX, fit, n, i, sz = 0;
	struct blkfilter_log_summary sum;
	struct blkfilter_record *recs;
	u64 after;

	if (argc < 2 || argc > 3 || kstrtou64(argv[1], 10, &after) ||
	    (argc == 3 && (kstrtouint(argv[2], 10, &max) || !max ||
			   max > BLKFILTER_EVENTS_MAX))) {
		DMINFO("%s: usage: events <after_seq> [<max> 1..%u]",
		       dm_table_device_name(bc->ti->table),
		       BLKFILTER_EVENTS_MAX);
		return -EINVAL;
	}

	fit = maxlen > BLKFILTER_EVENTS_HEADER_MAX ?
	      (maxlen - BLKFILTER_EVENTS_HEADER_MAX) / BLKFILTER_EVENT_LINE_MAX : 0;
	max = clamp(fit, 1U, max);

	/* Parsed everything above: result overlaps argv from here on. */
	/* The device may be suspended: no reclaim that waits on its I/O. */
	recs = kmalloc_array(max, sizeof(*recs), GFP_NOIO);
	if (!recs)
		return -ENOMEM;

	n = blkfilter_log_read(bc->log, after, recs, max, &sum);
	DMEMIT("%llu %llu %llu %u\n", sum.last_seq, sum.first_seq,
	       sum.dropped, n);
	for (i = 0; i < n && sz < maxlen; i++)
		sz += blkfilter_emit_record(&recs[i], result + sz, maxlen - sz);

	kfree(recs);
	return 1;
}

/*
 * Messages:
 *   events <after_seq> [<max>]
 */
static int blkfilter_message(struct dm_target *ti, unsigned int argc,
			     char **argv, char *result, unsigned int maxlen)
{
	struct blkfilter_c *bc = ti->private;

	if (!strcasecmp(argv[0], BLKFILTER_MSG_EVENTS))
		return blkfilter_message_events(bc, argc, argv, result, maxlen);

	DMINFO("%s: unknown message '%s' (known: events)",
	       dm_table_device_name(ti->table), argv[0]);
	return -EINVAL;
}

static int blkfilter_iterate_devices(struct dm_target *ti,
				     iterate_devices_callout_fn fn, void *data)
{
	struct blkfilter_c *bc = ti->private;

	return fn(ti, bc->dev, 0, ti->len, data);
}

static int blkfilter_prepare_ioctl(struct dm_target *ti,
				   struct block_device **bdev)
{
	struct blkfilter_c *bc = ti->private;

	*bdev = bc->dev->bdev;
	/* Only ioctls on the whole device pass through unchecked. */
	return ti->len != bdev_nr_sectors(bc->dev->bdev);
}

/*----------------------------------------------------------------
 * Target type and module
 *--------------------------------------------------------------*/

static struct target_type blkfilter_target = {
	.name		 = BLKFILTER_TARGET_NAME,
	.version	 = { BLKFILTER_VERSION_MAJOR, BLKFILTER_VERSION_MINOR,
			     BLKFILTER_VERSION_PATCH },
	.features	 = DM_TARGET_NOWAIT | DM_TARGET_PASSES_INTEGRITY |
			   DM_TARGET_PASSES_CRYPTO,
	.module		 = THIS_MODULE,
	.ctr		 = blkfilter_ctr,
	.dtr		 = blkfilter_dtr,
	.map		 = blkfilter_map,
	.end_io		 = blkfilter_end_io,
	.postsuspend	 = blkfilter_postsuspend,
	.status		 = blkfilter_status,
	.message	 = blkfilter_message,
	.iterate_devices = blkfilter_iterate_devices,
	.prepare_ioctl	 = blkfilter_prepare_ioctl,
};

static int __init dm_blkfilter_init(void)
{
	return dm_register_target(&blkfilter_target);
}

static void __exit dm_blkfilter_exit(void)
{
	dm_unregister_target(&blkfilter_target);
}

module_init(dm_blkfilter_init);
module_exit(dm_blkfilter_exit);

MODULE_DESCRIPTION(DM_NAME " pass-through target reporting failed I/O as events");
MODULE_AUTHOR("The cowsnap authors");
MODULE_LICENSE("GPL");
