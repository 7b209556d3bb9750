// SPDX-License-Identifier: GPL-2.0
/*
 * dm-cowsnap messages: info, store_append, written, events.  Formats in
 * <linux/dm-cowsnap.h> and Documentation/dm-cowsnap.rst.
 *
 * Each handler parses all its arguments before it writes the answer (the
 * answer buffer overlaps the message text).  Answers are the same when a
 * message is repeated with nothing changed in between, so libdevmapper
 * may send one again with a bigger buffer.
 */
#include <linux/bitmap.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <linux/dm-cowsnap.h>

#include "cowsnap.h"

/* Longest header line of a paged answer, with its newline. */
#define COWSNAP_HEADER_MAX	64
/* Longest "<start> <sectors>\n" line of a written answer. */
#define COWSNAP_RANGE_LINE_MAX	42
/* Longest "<seq> <sec>.<nsec> <event> <member> <value>\n" events line. */
#define COWSNAP_EVENT_LINE_MAX	(96 + COWSNAP_ID_MAX)

/*----------------------------------------------------------------*/

static int cowsnap_usage(struct cowsnap_c *cc, const char *usage)
{
	DMINFO_LIMIT("%s: usage: %s", cowsnap_name(cc), usage);
	return -EINVAL;
}

/*
 * When not even one item fits in the answer buffer, fill it: dm then flags
 * the buffer full and libdevmapper asks again with a bigger one.
 */
static int cowsnap_answer_too_big(char *result, unsigned int maxlen)
{
	if (maxlen) {
		memset(result, '#', maxlen - 1);
		result[maxlen - 1] = '\0';
	}
	return 1;
}

/* info */
static int cowsnap_msg_info(struct cowsnap_c *cc, unsigned int argc,
			    char *result, unsigned int maxlen)
{
	struct cowsnap_set *set = cc->set;
	struct cowsnap_member *m = cc->m;
	unsigned int sz = 0, members;
	u64 used, size, set_chunks, last;
	unsigned long written = 0;
	unsigned int low_water;
	int err;

	if (argc != 1)
		return cowsnap_usage(cc, "info");
	members = READ_ONCE(set->nr_members);
	if (m->written)
		written = bitmap_weight(m->written, m->nr_chunks);

	spin_lock_irq(&set->state_lock);
	err = set->error;
	used = (u64)set->next_chunk << set->chunk_shift;
	size = set->store_sectors;
	set_chunks = set->next_chunk;
	low_water = set->low_water;
	last = set->last_event;
	spin_unlock_irq(&set->state_lock);

	DMEMIT("set=%s member=%s state=%s error=%d chunk_size=%u store_used=%llu store_size=%llu store_dev=%u:%u members=%u copied=%llu set_copied=%llu written=%lu memory=%zu low_water=%u last_event=%llu\n",
	       set->id, m->name,
	       err ? COWSNAP_STATE_CORRUPTED : COWSNAP_STATE_VALID, err,
	       set->chunk_size, used, size, MAJOR(set->store_dev),
	       MINOR(set->store_dev), members, cowsnap_member_copied(m),
	       set_chunks, written, cowsnap_member_memory(m), low_water, last);
	return 1;
}

/* store_append <sectors> */
static int cowsnap_msg_store_append(struct cowsnap_c *cc, unsigned int argc,
				    char **argv)
{
	u64 sectors;
	int r;

	if (argc != 2 || kstrtou64(argv[1], 10, &sectors) || !sectors)
		return cowsnap_usage(cc, "store_append <sectors>=1..");
	r = cowsnap_set_append(cc->set, sectors);
	if (r)
		DMINFO_LIMIT("%s: store_append: the storage device has %llu sectors, the set already uses %llu of them",
		       cowsnap_name(cc),
		       (unsigned long long)bdev_nr_sectors(cc->set->store),
		       (unsigned long long)READ_ONCE(cc->set->store_sectors));
	return r;
}

/* written <sector> [<max>] */
static int cowsnap_msg_written(struct cowsnap_c *cc, unsigned int argc,
			       char **argv, char *result, unsigned int maxlen)
{
	struct cowsnap_member *m = cc->m;
	unsigned int max = COWSNAP_RANGES_MAX, n = 0, sz = 0, shift;
	unsigned long start, end, chunk;
	char *body;
	u64 sector;
	int len;

	if (argc < 2 || argc > 3 || kstrtou64(argv[1], 10, &sector) ||
	    (argc == 3 && (kstrtouint(argv[2], 10, &max) || !max ||
			   max > COWSNAP_RANGES_MAX)))
		return cowsnap_usage(cc, "written <sector> [<max>=1..4096]");
	if (sector > m->sectors)
		return cowsnap_usage(cc, "written: sector beyond the member");
	if (maxlen < COWSNAP_HEADER_MAX + COWSNAP_RANGE_LINE_MAX)
		return cowsnap_answer_too_big(result, maxlen);
	max = min(max, (maxlen - COWSNAP_HEADER_MAX) / COWSNAP_RANGE_LINE_MAX);

	/* The body goes after room for the header, then moves up. */
	shift = cc->set->chunk_shift;
	body = result + COWSNAP_HEADER_MAX;
	body[0] = '\0';
	chunk = sector >> shift;
	mutex_lock(&cc->set->lock);
	while (m->written && n < max && chunk < m->nr_chunks) {
		start = find_next_bit(m->written, m->nr_chunks, chunk);
		if (start >= m->nr_chunks) {
			chunk = start;
			break;
		}
		end = find_next_zero_bit(m->written, m->nr_chunks, start);
		sz += scnprintf(body + sz, maxlen - COWSNAP_HEADER_MAX - sz,
				"%llu %llu\n", (u64)start << shift,
				min_t(u64, (u64)(end - start) << shift,
				      m->sectors - ((u64)start << shift)));
		n++;
		chunk = end;
	}
	mutex_unlock(&cc->set->lock);
	/* Where to go on: the member's size once the bitmap is read through. */
	if (!m->written || chunk >= m->nr_chunks)
		sector = m->sectors;
	else
		sector = (u64)chunk << shift;

	len = scnprintf(result, COWSNAP_HEADER_MAX, "%llu %u\n", sector, n);
	memmove(result + len, body, sz + 1);
	return 1;
}

/* events <after_seq> [<max>] */
static int cowsnap_msg_events(struct cowsnap_c *cc, unsigned int argc,
			      char **argv, char *result, unsigned int maxlen)
{
	unsigned int max = COWSNAP_EVENTS_KEPT, n, i, sz = 0;
	struct cowsnap_event *evs;
	u64 after, first, last;
	u32 nsec;

	if (argc < 2 || argc > 3 || kstrtou64(argv[1], 10, &after) ||
	    (argc == 3 && (kstrtouint(argv[2], 10, &max) || !max ||
			   max > COWSNAP_EVENTS_KEPT)))
		return cowsnap_usage(cc, "events <after_seq> [<max>=1..64]");
	if (maxlen < COWSNAP_HEADER_MAX + COWSNAP_EVENT_LINE_MAX)
		return cowsnap_answer_too_big(result, maxlen);
	max = min(max, (maxlen - COWSNAP_HEADER_MAX) / COWSNAP_EVENT_LINE_MAX);

	evs = kmalloc_array(max, sizeof(*evs), GFP_KERNEL);
	if (!evs)
		return -ENOMEM;
	n = cowsnap_set_events(cc->set, after, max, evs, &first, &last);
	DMEMIT("%llu %llu %u\n", last, first, n);
	for (i = 0; i < n; i++) {
		u64 sec = div_u64_rem(evs[i].time_ns, NSEC_PER_SEC, &nsec);

		DMEMIT("%llu %llu.%09u %s %s %llu\n", evs[i].seq, sec, nsec,
		       cowsnap_event_name(evs[i].type),
		       evs[i].member[0] ? evs[i].member : "-", evs[i].value);
	}
	kfree(evs);
	return 1;
}

int cowsnap_message(struct dm_target *ti, unsigned int argc, char **argv,
		    char *result, unsigned int maxlen)
{
	struct cowsnap_c *cc = ti->private;

	if (!strcasecmp(argv[0], COWSNAP_MSG_INFO))
		return cowsnap_msg_info(cc, argc, result, maxlen);
	if (!strcasecmp(argv[0], COWSNAP_MSG_STORE_APPEND))
		return cowsnap_msg_store_append(cc, argc, argv);
	if (!strcasecmp(argv[0], COWSNAP_MSG_WRITTEN))
		return cowsnap_msg_written(cc, argc, argv, result, maxlen);
	if (!strcasecmp(argv[0], COWSNAP_MSG_EVENTS))
		return cowsnap_msg_events(cc, argc, argv, result, maxlen);

	DMINFO_LIMIT("%s: unknown message \"%s\" (expected info, store_append, written or events)",
	       cowsnap_name(cc), argv[0]);
	return -EINVAL;
}
