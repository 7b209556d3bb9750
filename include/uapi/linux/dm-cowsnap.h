/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dm-cowsnap: the interface between the "cowsnap-origin" and "cowsnap"
 * (copy-on-write snapshot) device-mapper targets and userspace.  All of it
 * is text, documented in Documentation/dm-cowsnap.rst; this header is the
 * one list of names, limits and field orders both sides use.
 *
 * The model.  A snapshot set holds one or more members (volumes) taken at
 * one instant and one difference storage (a block device) shared by all of
 * them.  Each member's device is cut into chunks of chunk_size bytes.  The
 * cowsnap-origin target sits on the member's live volume: the first write
 * to a chunk since the snapshot waits until the chunk's old data has been
 * copied to a free chunk of the storage; later writes pass straight
 * through.  The cowsnap target is the member's image: copied chunks are
 * read from the storage, the others from the origin device.  An image is
 * writable: a write to it first preserves the chunk, then goes to the
 * storage.
 *
 * When the storage is full or fails, the set becomes corrupted: its images
 * fail every I/O, the origins keep working and lose nothing.
 *
 * The storage is transient: the set lives in kernel memory and is gone
 * with the last table that uses it (or a reboot).
 */
#ifndef _UAPI_LINUX_DM_COWSNAP_H
#define _UAPI_LINUX_DM_COWSNAP_H

#include <linux/types.h>

/** COWSNAP_ORIGIN_TARGET_NAME - the origin target in a table line */
#define COWSNAP_ORIGIN_TARGET_NAME	"cowsnap-origin"
/** COWSNAP_IMAGE_TARGET_NAME - the image target in a table line */
#define COWSNAP_IMAGE_TARGET_NAME	"cowsnap"

/** COWSNAP_VERSION_* - target version reported by "dmsetup targets" */
#define COWSNAP_VERSION_MAJOR		1
#define COWSNAP_VERSION_MINOR		0
#define COWSNAP_VERSION_PATCH		0

/*
 * Table lines (both targets take the same arguments):
 *
 *   <start> <len> cowsnap-origin <origin_dev> <store_dev> <set_id> <member>
 *                 <chunk_size> [<#opt_args> <opt_args>...]
 *   <start> <len> cowsnap <origin_dev> <store_dev> <set_id> <member>
 *                 <chunk_size> [<#opt_args> <opt_args>...]
 *
 * <origin_dev>  the member's device beneath the origin target (for the
 *               image: the same device), at least <len> sectors; the
 *               target maps sector N of itself to sector N of it
 * <store_dev>   the difference storage; every table of a set names the
 *               same device
 * <set_id>      the set's identity: 1..COWSNAP_ID_MAX characters from
 *               [A-Za-z0-9_-].  A table naming a live set joins it (a
 *               reference); the set is freed with the last table using it.
 * <member>      the member's name within the set, same rules
 * <chunk_size>  bytes, a power of two, COWSNAP_CHUNK_MIN..COWSNAP_CHUNK_MAX;
 *               every table of a set gives the same size
 *
 * A set's store size is the size of <store_dev> when the set is made;
 * "store_append" adds space later.  A device is the storage of one set at
 * most, and then no member's origin; an origin device belongs to one
 * member of one set.
 *
 * The snapshot instant of a member is the first resume of one of its
 * origin tables.  An image table can be loaded once an origin table of
 * its member is loaded, and resumed once one has been resumed.  When the
 * last origin table of a started member goes, the member is dead (no
 * table may join it again) and, if images of it remain, the set becomes
 * corrupted (ENODEV).
 *
 * Optional arguments (keyword and value):
 *
 *   low_water <percent>  low_space event when free storage falls below
 *                        this share of the store size, 0..99 (0: never).
 *                        Default COWSNAP_LOW_WATER_DEFAULT.  The set
 *                        keeps the value of the latest table that gave one.
 */
/** COWSNAP_ID_MAX - longest set_id or member */
#define COWSNAP_ID_MAX			64
/** COWSNAP_MEMBERS_MAX - most members of one set */
#define COWSNAP_MEMBERS_MAX		32
/** COWSNAP_CHUNK_MIN - smallest chunk_size in bytes */
#define COWSNAP_CHUNK_MIN		4096
/** COWSNAP_CHUNK_MAX - largest chunk_size in bytes */
#define COWSNAP_CHUNK_MAX		(16U << 20)
/** COWSNAP_LOW_WATER_DEFAULT - default low_water percentage */
#define COWSNAP_LOW_WATER_DEFAULT	20

/*
 * Status INFO ("dmsetup status"), space separated, in this order (the
 * same for both targets):
 *
 *   <state> <error> <chunk_size> <store_used> <store_size> <copied>
 *   <memory> <last_event>
 *
 * state       "valid", or "corrupted" once the set has failed
 * error       0, or the positive errno that corrupted the set (28: storage
 *             full, 5: I/O error copying a chunk, 19: origin table
 *             removed, 12: no memory for the chunk map)
 * chunk_size  in bytes
 * store_used  sectors of the storage in use by the whole set
 * store_size  sectors of the storage the set may use
 * copied      chunks of this member held in the storage
 * memory      bytes of kernel memory held for this member: its chunk map,
 *             the bitmap of image-written chunks, the member itself
 * last_event  sequence number of the set's newest event record, 0: none
 *
 * Status TABLE reproduces the constructor arguments.
 */
/** COWSNAP_STATUS_FIELDS - number of space-separated INFO fields */
#define COWSNAP_STATUS_FIELDS		8
/** COWSNAP_STATE_VALID - state of a set whose images are intact */
#define COWSNAP_STATE_VALID		"valid"
/** COWSNAP_STATE_CORRUPTED - state of a set whose images fail all I/O */
#define COWSNAP_STATE_CORRUPTED		"corrupted"

/*
 * Messages ("dmsetup message DEV 0 <verb> <args>"), to either target.
 *
 * info
 *   key=value pairs on one line, in this order:
 *   set=<set_id> member=<member> state=<state> error=<errno>
 *   chunk_size=<bytes> store_used=<sectors> store_size=<sectors>
 *   store_dev=<major:minor> members=<n> copied=<chunks>
 *   set_copied=<chunks> written=<chunks> memory=<bytes>
 *   low_water=<percent> last_event=<seq>
 *   (members: members of the set; set_copied: store chunks the set has
 *   handed out, copies in progress included; written: chunks of this
 *   member written through an image)
 *
 * store_append <sectors>
 *   The storage device has grown: the set may use <sectors> more of it.
 *   Refused when the device is not that big.  Re-arms low_space.
 *
 * written <sector> [<max>]
 *   Sector ranges of this member written through an image, from the chunk
 *   holding <sector> on, at most <max> ranges (default and ceiling
 *   COWSNAP_RANGES_MAX), in whole chunks (the last one ends with the
 *   member):
 *     <next> <count>
 *     <start_sector> <nr_sectors>     (count lines)
 *   <next> is the sector to ask for next; the member's size at the end.
 *   Backup software marks these dirty in the volume's tracker before it
 *   drops the snapshot, so the next incremental holds them.
 *
 * events <after_seq> [<max>]
 *   The set's event records after <after_seq>, oldest first, at most
 *   <max> (default and ceiling COWSNAP_EVENTS_KEPT):
 *     <last_seq> <first_seq> <count>
 *     <seq> <sec>.<nsec> <event> <member|-> <value>
 *   value: low_space: free sectors; corrupted: the errno;
 *   store_grown: the new store size in sectors.
 */
/** COWSNAP_MSG_INFO - verb of the info message */
#define COWSNAP_MSG_INFO		"info"
/** COWSNAP_MSG_STORE_APPEND - verb that adds storage space */
#define COWSNAP_MSG_STORE_APPEND	"store_append"
/** COWSNAP_MSG_WRITTEN - verb of the paged image-written ranges read */
#define COWSNAP_MSG_WRITTEN		"written"
/** COWSNAP_MSG_EVENTS - verb that reads event records */
#define COWSNAP_MSG_EVENTS		"events"
/** COWSNAP_RANGES_MAX - most ranges one "written" answer carries */
#define COWSNAP_RANGES_MAX		4096
/** COWSNAP_EVENTS_KEPT - event records a set keeps */
#define COWSNAP_EVENTS_KEPT		64

/*
 * Events: records read with the "events" message, announced by
 * dm_table_event() and a KOBJ_CHANGE uevent on the dm disk of every live
 * table of the set, carrying COWSNAP_TARGET=<target>, COWSNAP_EVENT=<event>,
 * COWSNAP_SEQ=<seq> (the COWSNAP_UEVENT_* names of <linux/dm-blkfilter.h>).
 * Events logged together are announced once, with the newest: readers ask
 * for every record after the last one they saw.
 */
/** COWSNAP_EVENT_LOW_SPACE - free storage fell below low_water */
#define COWSNAP_EVENT_LOW_SPACE		"low_space"
/** COWSNAP_EVENT_CORRUPTED - the set failed; its images fail all I/O */
#define COWSNAP_EVENT_CORRUPTED		"corrupted"
/** COWSNAP_EVENT_STORE_GROWN - store_append added space */
#define COWSNAP_EVENT_STORE_GROWN	"store_grown"

#endif /* _UAPI_LINUX_DM_COWSNAP_H */
