/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dm-blkfilter: the interface between the "blkfilter" device-mapper target
 * and userspace (cowsnapctl and anything else that reads its events).
 *
 * The target talks through three channels, all text, all documented in
 * Documentation/dm-blkfilter.rst:
 *
 *  - the table line and "dmsetup status" (field order below),
 *  - dm messages ("dmsetup message DEV 0 events ..."),
 *  - events: dm_table_event() plus a KOBJ_CHANGE uevent on the dm disk.
 *
 * Nothing here is a binary ABI: the numeric codes appear in no ioctl.  They
 * exist so that the kernel and the tool agree on one list of names.
 */
#ifndef _UAPI_LINUX_DM_BLKFILTER_H
#define _UAPI_LINUX_DM_BLKFILTER_H

#include <linux/types.h>

/** BLKFILTER_TARGET_NAME - name of the target in a table line */
#define BLKFILTER_TARGET_NAME		"blkfilter"

/** BLKFILTER_VERSION_* - target version reported by "dmsetup targets" */
#define BLKFILTER_VERSION_MAJOR		1
#define BLKFILTER_VERSION_MINOR		0
#define BLKFILTER_VERSION_PATCH		0

/*
 * Table line:
 *
 *   <start> <len> blkfilter <dev> [<#opt_args> <opt_args>...]
 *
 * Optional arguments (each a keyword and a value):
 *
 *   ring_size <n>       event records kept, a power of two,
 *                       BLKFILTER_RING_MIN..BLKFILTER_RING_MAX
 *   uevent_ms <n>       at most one uevent per <n> milliseconds,
 *                       0..BLKFILTER_UEVENT_MS_MAX (0: no limit)
 */
/** BLKFILTER_RING_DEFAULT - event records kept when ring_size is not given */
#define BLKFILTER_RING_DEFAULT		1024
/** BLKFILTER_RING_MIN - smallest accepted ring_size */
#define BLKFILTER_RING_MIN		16
/** BLKFILTER_RING_MAX - largest accepted ring_size */
#define BLKFILTER_RING_MAX		65536
/** BLKFILTER_UEVENT_MS_DEFAULT - uevent rate limit when uevent_ms is not given */
#define BLKFILTER_UEVENT_MS_DEFAULT	1000
/** BLKFILTER_UEVENT_MS_MAX - largest accepted uevent_ms */
#define BLKFILTER_UEVENT_MS_MAX		60000

/*
 * Status INFO ("dmsetup status"), space separated, in this order:
 *
 *   <reads> <writes> <flushes> <discards> <write_zeroes> <errors>
 *   <events_dropped> <ring_used>/<ring_size>
 *
 * reads..write_zeroes count bios mapped by the target (a write with
 * REQ_PREFLUSH counts as a write and as a flush, an empty flush as a flush,
 * a secure erase as a discard); errors counts bios that completed with an
 * error and is also the sequence number of the newest event record;
 * events_dropped counts records overwritten in the ring (whether or not
 * anyone read them before); ring_used/ring_size is how full the ring is.
 */
/** BLKFILTER_STATUS_FIELDS - number of space-separated INFO fields */
#define BLKFILTER_STATUS_FIELDS		8

/*
 * Messages ("dmsetup message DEV 0 <verb> <args>"):
 *
 *   events <after_seq> [<max>]
 *
 * Returns the records whose sequence number is greater than <after_seq>,
 * oldest first, at most <max> of them (default and ceiling
 * BLKFILTER_EVENTS_MAX) and at most as many as fit the answer buffer.  The
 * answer is a header line then one line per record:
 *
 *   <last_seq> <first_seq> <dropped> <count>
 *   <seq> <sec>.<nsec> <class> <op> <sector> <sectors>
 *
 * first_seq is the oldest record still in the ring (last_seq + 1 when the
 * ring is empty); a reader whose after_seq + 1 < first_seq missed records.
 * <sec>.<nsec> is CLOCK_REALTIME at completion, <class> and <op> are the
 * names below, <sector> is the first 512-byte sector of the failed bio on
 * the blkfilter device, <sectors> its length (0 for an empty flush).  The
 * same message returns the same answer until new records arrive.
 */
/** BLKFILTER_MSG_EVENTS - verb of the message that reads event records */
#define BLKFILTER_MSG_EVENTS		"events"
/** BLKFILTER_EVENTS_MAX - most records one "events" answer carries */
#define BLKFILTER_EVENTS_MAX		256
/** BLKFILTER_EVENT_LINE_MAX - upper bound of one record line, with '\n' */
#define BLKFILTER_EVENT_LINE_MAX	128

/*
 * Uevents: KOBJ_CHANGE on the dm disk with these variables, besides the
 * kernel's own (DEVNAME, MAJOR, MINOR, ...).
 */
/** COWSNAP_UEVENT_EVENT - uevent variable naming the event */
#define COWSNAP_UEVENT_EVENT		"COWSNAP_EVENT"
/** COWSNAP_UEVENT_SEQ - uevent variable carrying the newest sequence number */
#define COWSNAP_UEVENT_SEQ		"COWSNAP_SEQ"
/** COWSNAP_UEVENT_TARGET - uevent variable naming the target that sent it */
#define COWSNAP_UEVENT_TARGET		"COWSNAP_TARGET"
/** BLKFILTER_EVENT_IO_ERROR - COWSNAP_EVENT value for failed I/O records */
#define BLKFILTER_EVENT_IO_ERROR	"io_error"

/**
 * enum blkfilter_error_class - what went wrong, after the block layer status
 * @BLKFILTER_ERR_IO: generic I/O error (BLK_STS_IOERR)
 * @BLKFILTER_ERR_TIMEOUT: the command timed out (BLK_STS_TIMEOUT,
 *	BLK_STS_DURATION_LIMIT)
 * @BLKFILTER_ERR_NO_SPACE: out of space (BLK_STS_NOSPC)
 * @BLKFILTER_ERR_TRANSPORT: recoverable transport error (BLK_STS_TRANSPORT)
 * @BLKFILTER_ERR_TARGET: critical target error (BLK_STS_TARGET)
 * @BLKFILTER_ERR_NEXUS: critical nexus error, e.g. reservation conflict
 *	(BLK_STS_RESV_CONFLICT, called BLK_STS_NEXUS before v6.5)
 * @BLKFILTER_ERR_MEDIUM: critical medium error, a bad sector (BLK_STS_MEDIUM)
 * @BLKFILTER_ERR_PROTECTION: integrity protection error (BLK_STS_PROTECTION)
 * @BLKFILTER_ERR_KERNEL_RESOURCE: kernel out of resources (BLK_STS_RESOURCE)
 * @BLKFILTER_ERR_DEVICE_RESOURCE: device out of resources
 *	(BLK_STS_DEV_RESOURCE)
 * @BLKFILTER_ERR_NOT_SUPPORTED: operation not supported (BLK_STS_NOTSUPP)
 * @BLKFILTER_ERR_OFFLINE: device offline (BLK_STS_OFFLINE)
 * @BLKFILTER_ERR_OTHER: any other status
 * @BLKFILTER_ERR_NR: number of classes
 */
enum blkfilter_error_class {
	BLKFILTER_ERR_IO = 0,
	BLKFILTER_ERR_TIMEOUT,
	BLKFILTER_ERR_NO_SPACE,
	BLKFILTER_ERR_TRANSPORT,
	BLKFILTER_ERR_TARGET,
	BLKFILTER_ERR_NEXUS,
	BLKFILTER_ERR_MEDIUM,
	BLKFILTER_ERR_PROTECTION,
	BLKFILTER_ERR_KERNEL_RESOURCE,
	BLKFILTER_ERR_DEVICE_RESOURCE,
	BLKFILTER_ERR_NOT_SUPPORTED,
	BLKFILTER_ERR_OFFLINE,
	BLKFILTER_ERR_OTHER,
	BLKFILTER_ERR_NR
};

/**
 * BLKFILTER_ERROR_CLASS_NAMES - names of enum blkfilter_error_class, in order,
 * as they appear in "events" answers
 */
#define BLKFILTER_ERROR_CLASS_NAMES {					\
	"io", "timeout", "no_space", "transport", "target", "nexus",	\
	"medium", "protection", "kernel_resource", "device_resource",	\
	"not_supported", "offline", "other" }

/**
 * enum blkfilter_op - the operation of a failed bio
 * @BLKFILTER_OP_READ: read
 * @BLKFILTER_OP_WRITE: write without FUA
 * @BLKFILTER_OP_WRITE_FUA: write with REQ_FUA
 * @BLKFILTER_OP_FLUSH: empty flush (REQ_PREFLUSH without data)
 * @BLKFILTER_OP_DISCARD: discard
 * @BLKFILTER_OP_WRITE_ZEROES: write zeroes
 * @BLKFILTER_OP_SECURE_ERASE: secure erase
 * @BLKFILTER_OP_OTHER: anything else
 * @BLKFILTER_OP_NR: number of operations
 */
enum blkfilter_op {
	BLKFILTER_OP_READ = 0,
	BLKFILTER_OP_WRITE,
	BLKFILTER_OP_WRITE_FUA,
	BLKFILTER_OP_FLUSH,
	BLKFILTER_OP_DISCARD,
	BLKFILTER_OP_WRITE_ZEROES,
	BLKFILTER_OP_SECURE_ERASE,
	BLKFILTER_OP_OTHER,
	BLKFILTER_OP_NR
};

/**
 * BLKFILTER_OP_NAMES - names of enum blkfilter_op, in order, as they appear
 * in "events" answers
 */
#define BLKFILTER_OP_NAMES {						\
	"read", "write", "write_fua", "flush", "discard",		\
	"write_zeroes", "secure_erase", "other" }

#endif /* _UAPI_LINUX_DM_BLKFILTER_H */
