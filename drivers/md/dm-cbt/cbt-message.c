// SPDX-License-Identifier: GPL-2.0
/*
 * dm-cbt messages: info, checkpoint, map, changes, mark_dirty, events.
 * Formats in <linux/dm-cbt.h> and Documentation/dm-cbt.rst.
 *
 * Each handler parses all its arguments before it writes the answer (the
 * answer buffer overlaps the message text) and runs under the tracker's
 * mutex, so the frozen copy it reads cannot change half-way.
 */
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <linux/dm-cbt.h>

#include "cbt.h"
#include "cbt-map.h"

/* Longest header line of a paged answer, with its newline. */
#define CBT_HEADER_MAX		96
/* Longest "<start> <blocks>\n" line of a changes answer. */
#define CBT_RANGE_LINE_MAX	42
/* Longest "<seq> <sec>.<nsec> <event> <uuid>\n" line of events. */
#define CBT_EVENT_LINE_MAX	112

/*----------------------------------------------------------------*/

static const char *cbt_name(struct cbt_c *cc)
{
	return dm_table_device_name(cc->ti->table);
}

static int cbt_usage(struct cbt_c *cc, const char *usage)
{
	DMINFO("%s: usage: %s", cbt_name(cc), usage);
	return -EINVAL;
}

/*
 * When not even one item fits in the answer buffer, fill it: dm then flags
 * the buffer full and libdevmapper asks again with a bigger one.
 */
static int cbt_answer_too_big(char *result, unsigned int maxlen)
{
	if (maxlen) {
		memset(result, '#', maxlen - 1);
		result[maxlen - 1] = '\0';
	}
	return 1;
}

/* Frozen-copy readers need a map that is being tracked. */
static int cbt_check_offset(struct cbt_c *cc, struct cbt_map_info *info,
			    u64 offset)
{
	if (info->lost) {
		DMINFO("%s: tracking lost: checkpoint to start a new generation",
		       cbt_name(cc));
		return -ENODATA;
	}
	if (offset > info->frozen_blocks) {
		DMINFO("%s: offset %llu is beyond the frozen copy (%llu blocks)",
		       cbt_name(cc), offset, info->frozen_blocks);
		return -EINVAL;
	}
	return 0;
}

/*----------------------------------------------------------------*/

static int cbt_msg_info(struct cbt_c *cc, char *result, unsigned int maxlen)
{
	struct cbt_map_info info;
	unsigned int sz = 0;

	cbt_map_info(cc->tracker->map, &info);
	DMEMIT("capacity=%llu block_size=%u blocks=%llu state=%s "
	       "generation=%pUb current=%u frozen=%u frozen_generation=",
	       (unsigned long long)info.capacity, info.block_size, info.blocks,
	       info.lost ? "lost" : "tracking", &info.generation,
	       info.change_nr, info.frozen_nr);
	if (info.frozen_nr)
		DMEMIT("%pUb", &info.frozen_generation);
	else
		DMEMIT("-");
	DMEMIT(" frozen_blocks=%llu memory=%zu last_event=%llu\n",
	       info.frozen_blocks, info.memory,
	       READ_ONCE(cc->tracker->last_event));
	return 1;
}

static int cbt_msg_checkpoint(struct cbt_c *cc, char *result,
			      unsigned int maxlen)
{
	struct cbt_tracker *t = cc->tracker;
	struct cbt_map_info info;
	unsigned int sz = 0;
	u64 seq = 0;
	int r;

	mutex_lock(&t->lock);
	r = cbt_map_checkpoint(t->map);
	if (r > 0)
		seq = cbt_tracker_add_event(t, CBT_EV_GENERATION_RESET);
	cbt_map_info(t->map, &info);
	mutex_unlock(&t->lock);

	if (r < 0) {
		DMWARN("%s: checkpoint: no memory for %s (%llu blocks)",
		       cbt_name(cc), info.lost ? "a new change map" :
		       "the frozen copy", info.lost ?
		       cbt_map_blocks(info.capacity, info.block_size) :
		       info.blocks);
		return r;
	}
	DMEMIT("frozen=%u generation=", info.frozen_nr);
	if (info.frozen_nr)
		DMEMIT("%pUb", &info.frozen_generation);
	else
		DMEMIT("-");
	DMEMIT(" reset=%d\n", r);
	if (seq)
		cbt_notify(cc, CBT_EV_GENERATION_RESET, seq);
	return 1;
}

/* map <offset> <count> */
static int cbt_msg_map(struct cbt_c *cc, unsigned int argc, char **argv,
		       char *result, unsigned int maxlen)
{
	struct cbt_tracker *t = cc->tracker;
	struct cbt_map_info info;
	char header[CBT_HEADER_MAX];
	u64 offset, count, n;
	int r, len;

	if (argc != 3 || kstrtou64(argv[1], 10, &offset) ||
	    kstrtou64(argv[2], 10, &count) || !count)
		return cbt_usage(cc, "map <offset> <count>=1..");
	if (maxlen <= CBT_HEADER_MAX)
		return cbt_answer_too_big(result, maxlen);

	mutex_lock(&t->lock);
	cbt_map_info(t->map, &info);
	r = cbt_check_offset(cc, &info, offset);
	if (r)
		goto out;
	/* The body goes after room for the header, then moves up. */
	n = cbt_map_encode(t->map, offset, count, result + CBT_HEADER_MAX,
			   maxlen - CBT_HEADER_MAX);
	if (!n && offset < info.frozen_blocks) {
		r = cbt_answer_too_big(result, maxlen);
		goto out;
	}
	len = scnprintf(header, sizeof(header), "%u %llu %llu %llu\n",
			info.frozen_nr, offset, n, offset + n);
	memmove(result + len, result + CBT_HEADER_MAX,
		strlen(result + CBT_HEADER_MAX) + 1);
	memcpy(result, header, len);
	r = 1;
out:
	mutex_unlock(&t->lock);
	return r;
}

/* changes <since> <offset> [<max>] */
static int cbt_msg_changes(struct cbt_c *cc, unsigned int argc, char **argv,
			   char *result, unsigned int maxlen)
{
	unsigned int max = CBT_RANGES_MAX, n, i, sz = 0;
	struct cbt_tracker *t = cc->tracker;
	struct cbt_map_info info;
	struct cbt_range *ranges;
	u64 offset, next;
	u8 since;
	int r;

	if (argc < 3 || argc > 4 || kstrtou8(argv[1], 10, &since) ||
	    kstrtou64(argv[2], 10, &offset) ||
	    (argc == 4 && (kstrtouint(argv[3], 10, &max) || !max ||
			   max > CBT_RANGES_MAX)))
		return cbt_usage(cc, "changes <since>=0..255 <offset> [<max>=1..4096]");
	if (maxlen < CBT_HEADER_MAX + CBT_RANGE_LINE_MAX)
		return cbt_answer_too_big(result, maxlen);
	max = min(max, (maxlen - CBT_HEADER_MAX) / CBT_RANGE_LINE_MAX);

	ranges = kvmalloc_array(max, sizeof(*ranges), GFP_KERNEL);
	if (!ranges)
		return -ENOMEM;

	mutex_lock(&t->lock);
	cbt_map_info(t->map, &info);
	r = cbt_check_offset(cc, &info, offset);
	if (!r) {
		n = cbt_map_changes(t->map, since, offset, ranges, max, &next);
		DMEMIT("%u %llu %u\n", info.frozen_nr, next, n);
		for (i = 0; i < n; i++)
			DMEMIT("%llu %llu\n", ranges[i].start, ranges[i].blocks);
		r = 1;
	}
	mutex_unlock(&t->lock);
	kvfree(ranges);
	return r;
}

/* mark_dirty <sector> <nr_sectors> [<sector> <nr_sectors>...] */
static int cbt_msg_mark_dirty(struct cbt_c *cc, unsigned int argc,
			      char **argv)
{
	struct cbt_range ranges[CBT_MARK_RANGES_MAX];
	unsigned int i, n = (argc - 1) / 2;
	sector_t capacity = cc->ti->len;

	if (argc < 3 || !(argc % 2) || n > CBT_MARK_RANGES_MAX)
		return cbt_usage(cc, "mark_dirty <sector> <nr_sectors> ... (1..64 ranges)");
	for (i = 0; i < n; i++) {
		u64 s, nr;

		if (kstrtou64(argv[1 + 2 * i], 10, &s) ||
		    kstrtou64(argv[2 + 2 * i], 10, &nr) || !nr ||
		    s >= capacity || nr > capacity - s)
			return cbt_usage(cc, "mark_dirty: each range non-empty and within the device");
		ranges[i].start = s;
		ranges[i].blocks = nr;
	}
	for (i = 0; i < n; i++)
		cbt_map_mark(cc->tracker->map, ranges[i].start,
			     ranges[i].blocks);
	return 0;
}

/* events <after_seq> */
static int cbt_msg_events(struct cbt_c *cc, unsigned int argc, char **argv,
			  char *result, unsigned int maxlen)
{
	struct cbt_tracker *t = cc->tracker;
	unsigned int n, i, sz = 0, fit;
	struct cbt_event *evs;
	u64 after, first, last;
	u32 nsec;

	if (argc != 2 || kstrtou64(argv[1], 10, &after))
		return cbt_usage(cc, "events <after_seq>");
	if (maxlen < CBT_HEADER_MAX + CBT_EVENT_LINE_MAX)
		return cbt_answer_too_big(result, maxlen);
	fit = (maxlen - CBT_HEADER_MAX) / CBT_EVENT_LINE_MAX;

	evs = kmalloc_array(CBT_EVENTS_KEPT, sizeof(*evs), GFP_KERNEL);
	if (!evs)
		return -ENOMEM;
	mutex_lock(&t->lock);
	n = min(cbt_tracker_events(t, after, evs, &first), fit);
	last = t->last_event;
	mutex_unlock(&t->lock);

	DMEMIT("%llu %llu %u\n", last, first, n);
	for (i = 0; i < n; i++) {
		u64 sec = div_u64_rem(evs[i].time_ns, NSEC_PER_SEC, &nsec);

		DMEMIT("%llu %llu.%09u %s %pUb\n", evs[i].seq, sec, nsec,
		       cbt_event_name(evs[i].type), &evs[i].generation);
	}
	kfree(evs);
	return 1;
}

/*----------------------------------------------------------------*/

/*
 * Messages:
 *   info
 *   checkpoint
 *   map <offset> <count>
 *   changes <since> <offset> [<max>]
 *   mark_dirty <sector> <nr_sectors> [<sector> <nr_sectors>...]
 *   events <after_seq>
 */
int cbt_message(struct dm_target *ti, unsigned int argc, char **argv,
		char *result, unsigned int maxlen)
{
	struct cbt_c *cc = ti->private;

	if (!strcasecmp(argv[0], CBT_MSG_INFO) && argc == 1)
		return cbt_msg_info(cc, result, maxlen);
	if (!strcasecmp(argv[0], CBT_MSG_CHECKPOINT) && argc == 1)
		return cbt_msg_checkpoint(cc, result, maxlen);
	if (!strcasecmp(argv[0], CBT_MSG_MAP))
		return cbt_msg_map(cc, argc, argv, result, maxlen);
	if (!strcasecmp(argv[0], CBT_MSG_CHANGES))
		return cbt_msg_changes(cc, argc, argv, result, maxlen);
	if (!strcasecmp(argv[0], CBT_MSG_MARK_DIRTY))
		return cbt_msg_mark_dirty(cc, argc, argv);
	if (!strcasecmp(argv[0], CBT_MSG_EVENTS))
		return cbt_msg_events(cc, argc, argv, result, maxlen);

	DMINFO("%s: unknown message '%s' or wrong argument count (known: "
	       "info, checkpoint, map, changes, mark_dirty, events)",
	       cbt_name(cc), argv[0]);
	return -EINVAL;
}
