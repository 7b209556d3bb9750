/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dm-cbt: the interface between the "cbt" (changed-block tracking)
 * device-mapper target and userspace.  All of it is text, documented in
 * Documentation/dm-cbt.rst; this header is the one list of names, limits
 * and field orders both sides use.
 *
 * The model.  The device is cut into tracking blocks of block_size bytes (a
 * power of two, at least 4 KiB).  A map holds one byte per block: the change
 * number in force when the block was last changed (0: not changed in this
 * generation).  The tracker has a current change number (1..255) and a
 * generation UUID.  A checkpoint freezes a read-only copy of the map as it
 * stands (the frozen copy, numbered with the current change number) and
 * increments the current number.  The blocks changed after checkpoint N and
 * before the frozen one are those whose frozen byte is greater than N.
 * When the current number would pass 255, the checkpoint still freezes the
 * map, then the map is cleared, the number restarts at 1 and a new
 * generation UUID is made (event "generation_reset"): backup software that
 * sees a new generation takes a full backup.
 */
#ifndef _UAPI_LINUX_DM_CBT_H
#define _UAPI_LINUX_DM_CBT_H

#include <linux/types.h>

/** CBT_TARGET_NAME - name of the target in a table line */
#define CBT_TARGET_NAME			"cbt"

/** CBT_VERSION_* - target version reported by "dmsetup targets" */
#define CBT_VERSION_MAJOR		1
#define CBT_VERSION_MINOR		0
#define CBT_VERSION_PATCH		0

/*
 * Table line:
 *
 *   <start> <len> cbt <dev> <tracker_id> [<#opt_args> <opt_args>...]
 *
 * <tracker_id> names the tracker: 1..CBT_ID_MAX characters from [A-Za-z0-9_-].
 * A table whose tracker_id is already live takes that tracker over (its map,
 * numbers and generation survive the reload); the tracker is freed when the
 * last table using it is destroyed.
 *
 * Optional arguments (keyword and value):
 *
 *   block_size <bytes>   a power of two, CBT_BLOCK_MIN..CBT_BLOCK_MAX.
 *                        Default: the smallest such size, at least 4 KiB,
 *                        that keeps the map at most CBT_DEFAULT_MAX_BLOCKS
 *                        blocks.  A tracker taken over keeps its size; a
 *                        different block_size is refused.
 */
/** CBT_ID_MAX - longest tracker_id */
#define CBT_ID_MAX			64
/** CBT_BLOCK_MIN - smallest block_size in bytes */
#define CBT_BLOCK_MIN			4096
/** CBT_BLOCK_MAX - largest block_size in bytes */
#define CBT_BLOCK_MAX			(1U << 30)
/** CBT_DEFAULT_MAX_BLOCKS - block count the default block_size stays within */
#define CBT_DEFAULT_MAX_BLOCKS		(1U << 22)
/** CBT_CHANGE_MAX - largest change number; the next checkpoint wraps */
#define CBT_CHANGE_MAX			255

/*
 * Status INFO ("dmsetup status"), space separated, in this order:
 *
 *   <state> <generation> <current> <frozen> <block_size> <blocks>
 *   <memory> <last_event>
 *
 * state       "tracking", or "lost" when the map could not be kept (see the
 *             tracking_lost event); changes cannot be read until the next
 *             checkpoint starts a new generation
 * generation  the generation UUID
 * current     the current change number, 1..255
 * frozen      the change number of the frozen copy, 0 when there is none
 * block_size  in bytes
 * blocks      tracking blocks of the map
 * memory      bytes of kernel memory held for the map and the frozen copy
 * last_event  sequence number of the newest event record, 0 when none
 */
/** CBT_STATUS_FIELDS - number of space-separated INFO fields */
#define CBT_STATUS_FIELDS		8

/*
 * Messages ("dmsetup message DEV 0 <verb> <args>").  Answers start with a
 * header line; paged answers carry where to go on.  A message repeated
 * without a checkpoint in between returns the same answer.
 *
 * info
 *   key=value pairs on one line, in this order:
 *   capacity=<sectors> block_size=<bytes> blocks=<n> state=<state>
 *   generation=<uuid> current=<n> frozen=<n> frozen_generation=<uuid|->
 *   frozen_blocks=<n> memory=<bytes> last_event=<seq>
 *
 * checkpoint
 *   Freezes the map, increments the current number (wrapping as above).
 *   Answer: frozen=<n> generation=<uuid> reset=<0|1>
 *   (generation is that of the frozen copy; reset=1 when this checkpoint
 *   started a new generation for the live map).
 *
 * map <offset> <count>
 *   The frozen copy, blocks <offset>.. at most <count> of them, as
 *   run-length text.  Answer:
 *     <frozen> <offset> <blocks> <next>
 *     <hh>x<run> <hh>x<run> ...
 *   <blocks> blocks are encoded (as many as fit the answer buffer); <hh> is
 *   the byte value in two hex digits, <run> how many blocks in a row hold
 *   it (decimal).  <next> is the offset to ask for next; it equals
 *   frozen_blocks at the end.
 *
 * changes <since> <offset> [<max>]
 *   Ranges of frozen blocks whose byte is greater than <since> (0: every
 *   block changed in the frozen generation), from block <offset> on, at
 *   most <max> ranges (default and ceiling CBT_RANGES_MAX).  Answer:
 *     <frozen> <next> <count>
 *     <start_block> <nr_blocks>      (count lines)
 *   <next> is the offset to ask for next; frozen_blocks at the end.
 *
 * mark_dirty <sector> <nr_sectors> [<sector> <nr_sectors>...]
 *   Marks the blocks of each range as changed with the current number.
 *
 * events <after_seq>
 *   Event records after <after_seq>, oldest first:
 *     <last_seq> <first_seq> <count>
 *     <seq> <sec>.<nsec> <event> <generation>
 */
/** CBT_MSG_INFO - verb of the info message */
#define CBT_MSG_INFO			"info"
/** CBT_MSG_CHECKPOINT - verb of the checkpoint message */
#define CBT_MSG_CHECKPOINT		"checkpoint"
/** CBT_MSG_MAP - verb of the paged frozen-map read */
#define CBT_MSG_MAP			"map"
/** CBT_MSG_CHANGES - verb of the paged changed-ranges read */
#define CBT_MSG_CHANGES			"changes"
/** CBT_MSG_MARK_DIRTY - verb that marks sector ranges changed */
#define CBT_MSG_MARK_DIRTY		"mark_dirty"
/** CBT_MSG_EVENTS - verb that reads event records */
#define CBT_MSG_EVENTS			"events"
/** CBT_RANGES_MAX - most ranges one "changes" answer carries */
#define CBT_RANGES_MAX			4096
/** CBT_MARK_RANGES_MAX - most ranges one "mark_dirty" message takes */
#define CBT_MARK_RANGES_MAX		64
/** CBT_EVENTS_KEPT - event records a tracker keeps */
#define CBT_EVENTS_KEPT			64

/*
 * Events: records read with the "events" message, announced by
 * dm_table_event() and a KOBJ_CHANGE uevent on the dm disk carrying
 * COWSNAP_TARGET=cbt, COWSNAP_EVENT=<event>, COWSNAP_SEQ=<seq> (the
 * COWSNAP_UEVENT_* names of <linux/dm-blkfilter.h>).
 */
/** CBT_EVENT_GENERATION_RESET - a new generation began: take a full backup */
#define CBT_EVENT_GENERATION_RESET	"generation_reset"
/** CBT_EVENT_TRACKING_LOST - the map could not be kept: take a full backup */
#define CBT_EVENT_TRACKING_LOST		"tracking_lost"

#endif /* _UAPI_LINUX_DM_CBT_H */
