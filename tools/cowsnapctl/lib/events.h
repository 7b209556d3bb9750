/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcowsnap: event records of the blkfilter target.
 *
 * The "events <after_seq> [<max>]" message answers a header line and one
 * line per record (format in <linux/dm-blkfilter.h>):
 *
 *	<last_seq> <first_seq> <dropped> <count>
 *	<seq> <sec>.<nsec> <class> <op> <sector> <sectors>
 *
 * cs_events_parse() checks such an answer strictly; cs_events_read() sends
 * the message and parses the answer; the rest formats records.
 */
#ifndef COWSNAP_EVENTS_H
#define COWSNAP_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"

/** CS_EVENT_NAME_MAX - size of a class or op name buffer */
#define CS_EVENT_NAME_MAX	24
/** CS_EVENT_TIME_LEN - size of a cs_event_format_time() buffer */
#define CS_EVENT_TIME_LEN	40
/** CS_EVENT_LINE_LEN - size of a cs_event_format() buffer */
#define CS_EVENT_LINE_LEN	160

/**
 * struct cs_event - one record: a failed bio
 * @seq: sequence number, from 1
 * @sec: completion time, CLOCK_REALTIME seconds
 * @nsec: and nanoseconds
 * @cls: enum blkfilter_error_class, -1 for a name this tool does not know
 * @op: enum blkfilter_op, -1 for a name this tool does not know
 * @cls_name: class name as the kernel sent it
 * @op_name: op name as the kernel sent it
 * @sector: first 512-byte sector of the bio
 * @sectors: its length in sectors (0 for an empty flush)
 */
struct cs_event {
	uint64_t seq;
	int64_t sec;
	uint32_t nsec;
	int cls;
	int op;
	char cls_name[CS_EVENT_NAME_MAX];
	char op_name[CS_EVENT_NAME_MAX];
	uint64_t sector;
	uint64_t sectors;
};

/**
 * struct cs_events_page - one answer to the events message
 * @last_seq: newest record in the ring (0: none ever)
 * @first_seq: oldest record still in the ring
 * @dropped: records overwritten before being read, since the target
 *	instance was created
 * @count: records in @events
 * @events: the records, oldest first, malloc'ed
 */
struct cs_events_page {
	uint64_t last_seq;
	uint64_t first_seq;
	uint64_t dropped;
	unsigned int count;
	struct cs_event *events;
};

/**
 * cs_events_parse() - parse an answer to "events @after_seq ..."
 * @answer: the answer text
 * @after_seq: the after_seq the message asked for
 * @page: receives the header and the records; cs_events_page_free() it
 *
 * Checks that the header has four numbers with first_seq <= last_seq + 1
 * and count <= BLKFILTER_EVENTS_MAX, that exactly count records follow,
 * each with six well-formed fields, nsec < 10^9, and sequence numbers
 * increasing, above @after_seq and within first_seq..last_seq.
 *
 * Return: 0; -EINVAL if the answer is malformed (@page is then empty);
 * -ENOMEM.
 */
int cs_events_parse(const char *answer, uint64_t after_seq,
		    struct cs_events_page *page);

/** cs_events_page_free() - free the records of @page and zero it */
void cs_events_page_free(struct cs_events_page *page);

/**
 * cs_events_missed() - records lost to a reader that had read @after_seq
 * @page: a page read with @after_seq
 * @after_seq: the last sequence number the reader had seen
 *
 * Return: first_seq - after_seq - 1 if the ring no longer holds the record
 * after @after_seq, else 0.
 */
uint64_t cs_events_missed(const struct cs_events_page *page,
			  uint64_t after_seq);

/**
 * cs_events_message() - text of the message reading records after
 * @after_seq
 * @after_seq: last sequence number seen (0: from the start)
 * @max: most records wanted, 0 for the target's maximum
 * @buf: output
 * @size: size of @buf
 *
 * Return: 0 or -ENAMETOOLONG.
 */
int cs_events_message(uint64_t after_seq, unsigned int max, char *buf,
		      size_t size);

/**
 * cs_events_read() - read one page of records from a blkfilter device
 * @dev: dm name of the device whose table holds the blkfilter target
 * @after_seq: last sequence number seen (0: from the start)
 * @max: most records wanted, 0 for the target's maximum
 * @page: receives the page; cs_events_page_free() it
 *
 * Return: 0; -EINVAL if the target refused the message (no blkfilter
 * target) or its answer was malformed; or -errno.  An error is recorded
 * on failure.
 */
int cs_events_read(const char *dev, uint64_t after_seq, unsigned int max,
		   struct cs_events_page *page);

/**
 * cs_event_format_time() - ISO 8601 UTC time with milliseconds
 * @sec: seconds since the epoch
 * @nsec: nanoseconds
 * @buf: CS_EVENT_TIME_LEN bytes; receives e.g. "2024-05-01T12:34:56.789Z"
 *
 * Return: 0, or -EOVERFLOW if @sec is beyond what gmtime handles.
 */
int cs_event_format_time(int64_t sec, uint32_t nsec, char *buf);

/**
 * cs_event_format() - a record as one human line, without newline:
 * "SEQ TIME CLASS OP SECTOR SECTORS"
 * @ev: the record
 * @buf: CS_EVENT_LINE_LEN bytes
 *
 * Return: @buf.
 */
char *cs_event_format(const struct cs_event *ev, char *buf);

/**
 * cs_event_json() - a record as a JSON object (see cowsnapctl(8))
 * @j: writer; the object is written where a value without key is expected
 * @ev: the record
 */
void cs_event_json(struct cs_json *j, const struct cs_event *ev);

/** cs_event_class_name() - Return: name of class @cls, or NULL */
const char *cs_event_class_name(int cls);
/** cs_event_op_name() - Return: name of op @op, or NULL */
const char *cs_event_op_name(int op);

#endif /* COWSNAP_EVENTS_H */
