/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcowsnap: snapshot sets (the cowsnap-origin and cowsnap targets).
 *
 * A set ID holds one or more member volumes taken at one instant and one
 * store shared by all of them (format of everything in
 * <linux/dm-cowsnap.h>).  For each member volume VOL:
 *
 *	VOL              0 <len> cowsnap-origin <VOL-origin> <store> ID <vuuid> <chunk>
 *	VOL-origin       the table VOL had before (hidden layer)
 *	VOL@ID           0 <len> cowsnap <VOL-origin> <store> ID <vuuid> <chunk>
 *	cowsnap@ID.store 0 <n> linear <segment> 0 ...      (hidden, one a set)
 *
 * The member name is the volume uuid.  The tool keeps no state of its own:
 * a set is found again by scanning the dm devices (cs_snap_find()).
 *
 * snapshot-parse.c: answers, table lines, defaults (pure functions);
 * snapshot-find.c: the scan; snapshot-create.c, snapshot-destroy.c,
 * snapshot-grow.c: changes; snapshot-monitor.c: the growth monitor's
 * socket and start.  store.c (store.h) handles the store's segments.
 */
#ifndef COWSNAP_SNAPSHOT_H
#define COWSNAP_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/dm-cowsnap.h>

#include "cbt.h"
#include "dm.h"
#include "json.h"
#include "names.h"
#include "table.h"

/** CS_SNAP_NAME_LEN - size of a set ID, member or state buffer */
#define CS_SNAP_NAME_LEN	(COWSNAP_ID_MAX + 1)
/** CS_SNAP_CHUNK_DEFAULT - chunk size for volumes up to 1 TiB */
#define CS_SNAP_CHUNK_DEFAULT	(64U << 10)
/** CS_SNAP_CHUNKS_MAX - the default chunk size doubles until the largest
 * member has at most this many chunks */
#define CS_SNAP_CHUNKS_MAX	(1ULL << 24)
/** CS_SNAP_STORE_MIN - smallest default store size in bytes */
#define CS_SNAP_STORE_MIN	(64ULL << 20)
/** CS_SNAP_STORE_PERCENT - default store size: this share of the members */
#define CS_SNAP_STORE_PERCENT	10
/** CS_SNAP_EVENT_LINE_LEN - size of a cs_snap_event_format() buffer */
#define CS_SNAP_EVENT_LINE_LEN	200

/* ------------------------------------------------------------------------
 * Table lines and answers (snapshot-parse.c): pure functions
 * ---------------------------------------------------------------------- */

/**
 * struct cs_snap_params - the arguments of a cowsnap-origin or cowsnap
 * table line
 * @origin: the member's device beneath the origin target
 * @store: the store device
 * @set: set ID
 * @member: member name
 * @chunk_size: bytes
 */
struct cs_snap_params {
	struct cs_devno origin;
	struct cs_devno store;
	char set[CS_SNAP_NAME_LEN];
	char member[CS_SNAP_NAME_LEN];
	uint32_t chunk_size;
};

/**
 * cs_snap_params_parse() - parse the parameters of a table line
 * @params: "<origin> <store> <set> <member> <chunk> [<#opt> <opt>...]",
 *	devices as major:minor (what the kernel's TABLE status gives)
 * @p: result
 *
 * Optional arguments are checked for their count and skipped.
 * Return: 0 or -EINVAL.
 */
int cs_snap_params_parse(const char *params, struct cs_snap_params *p);

/**
 * cs_snap_params_format() - the parameters of a table line
 * @p: parameters
 * @origin: start with the origin device (the image's line); false: leave
 *	it out (cs_push_load() puts the new layer's device first)
 * @buf: output
 * @size: size of @buf
 *
 * Return: 0 or -ENAMETOOLONG.
 */
int cs_snap_params_format(const struct cs_snap_params *p, bool origin,
			  char *buf, size_t size);

/**
 * cs_snap_chunk_valid() - Return: true if @bytes is a power of two within
 * COWSNAP_CHUNK_MIN..COWSNAP_CHUNK_MAX
 * @bytes: chunk size
 */
bool cs_snap_chunk_valid(uint64_t bytes);

/**
 * cs_snap_default_chunk() - the default chunk size: CS_SNAP_CHUNK_DEFAULT,
 * doubled while a member of @largest sectors would have more than
 * CS_SNAP_CHUNKS_MAX chunks, at most COWSNAP_CHUNK_MAX
 * @largest: size of the largest member in sectors
 *
 * Return: bytes.
 */
uint32_t cs_snap_default_chunk(uint64_t largest);

/**
 * cs_snap_default_store() - the default store size: CS_SNAP_STORE_PERCENT
 * of the members' total, at least CS_SNAP_STORE_MIN, rounded up to a
 * whole chunk
 * @total: size of all members together in sectors
 * @chunk_size: chunk size in bytes
 *
 * Return: bytes.
 */
uint64_t cs_snap_default_store(uint64_t total, uint32_t chunk_size);

/**
 * struct cs_snap_status - the status INFO of either target
 * @state: "valid", "corrupted" (or a state this tool does not know)
 * @corrupted: @state is "corrupted"
 * @error: 0 or the errno that corrupted the set
 * @chunk_size: bytes
 * @store_used: sectors of the store in use by the whole set
 * @store_size: sectors of the store the set may use
 * @copied: chunks of this member held in the store
 * @memory: bytes of kernel memory for this member's chunk map
 * @last_event: newest event record of the set, 0: none
 */
struct cs_snap_status {
	char state[CS_SNAP_NAME_LEN];
	bool corrupted;
	unsigned int error;
	uint32_t chunk_size;
	uint64_t store_used;
	uint64_t store_size;
	uint64_t copied;
	uint64_t memory;
	uint64_t last_event;
};

/**
 * cs_snap_status_parse() - parse "<state> <error> <chunk_size>
 * <store_used> <store_size> <copied> <memory> <last_event>"
 * @text: status INFO text (one optional final newline)
 * @st: result
 *
 * Return: 0 or -EINVAL.
 */
int cs_snap_status_parse(const char *text, struct cs_snap_status *st);

/**
 * struct cs_snap_info - the answer to "info"
 * @set: set ID
 * @member: member name
 * @state: as in struct cs_snap_status
 * @corrupted: @state is "corrupted"
 * @error: errno that corrupted the set, 0: none
 * @chunk_size: bytes
 * @store_used: sectors of the store in use
 * @store_size: sectors of the store the set may use
 * @store_dev: the store device
 * @members: members of the set
 * @copied: chunks of this member in the store
 * @set_copied: chunks of the whole set in the store
 * @written: chunks of this member written through its image
 * @memory: bytes of kernel memory for this member
 * @low_water: percent of the store size; below it free space is low
 * @last_event: newest event record of the set
 */
struct cs_snap_info {
	char set[CS_SNAP_NAME_LEN];
	char member[CS_SNAP_NAME_LEN];
	char state[CS_SNAP_NAME_LEN];
	bool corrupted;
	unsigned int error;
	uint32_t chunk_size;
	uint64_t store_used;
	uint64_t store_size;
	struct cs_devno store_dev;
	unsigned int members;
	uint64_t copied;
	uint64_t set_copied;
	uint64_t written;
	uint64_t memory;
	unsigned int low_water;
	uint64_t last_event;
};

/**
 * cs_snap_info_parse() - parse the answer to "info": the fifteen
 * key=value pairs in the order of <linux/dm-cowsnap.h>
 * @answer: the answer (one optional final newline)
 * @info: result
 *
 * Return: 0 or -EINVAL.
 */
int cs_snap_info_parse(const char *answer, struct cs_snap_info *info);

/**
 * cs_snap_low_space() - is the free space of the store below low water?
 * @info: answer to "info"
 *
 * Return: true when store_size - store_used < low_water% of store_size
 * (never with low_water 0).
 */
bool cs_snap_low_space(const struct cs_snap_info *info);

/**
 * cs_snap_growth() - how much the monitor adds to a store
 * @info: answer to "info"
 * @step: bytes to add each time
 * @limit: the store may grow up to this many bytes, 0: never
 *
 * Return: bytes to add now, a multiple of 512: @step, cut to @limit; 0
 * when the space is not low, the set is corrupted or the limit reached.
 */
uint64_t cs_snap_growth(const struct cs_snap_info *info, uint64_t step,
			uint64_t limit);

/**
 * struct cs_snap_written - one answer to "written"
 * @next: sector to ask for next; the member's size at the end
 * @count: ranges in @ranges
 * @ranges: sector ranges, sorted, not overlapping, malloc'ed
 */
struct cs_snap_written {
	uint64_t next;
	unsigned int count;
	struct cs_cbt_extent *ranges;
};

/**
 * cs_snap_written_parse() - parse an answer to "written @sector [@max]"
 * @answer: "<next> <count>\n" then count "<start> <nr>" lines
 * @sector: the sector asked for
 * @max: the max asked for, 0 if none (COWSNAP_RANGES_MAX)
 * @size: the member's size in sectors
 * @page: result; cs_snap_written_free() it
 *
 * Checks count <= @max, ranges of at least one sector, at or after
 * @sector, sorted, not overlapping, ending at or before next; next <=
 * @size; progress (next > @sector, or next is @size).  Ranges may end
 * beyond @size (whole chunks) only when next is @size.
 * Return: 0; -EINVAL (@page is then empty); -ENOMEM.
 */
int cs_snap_written_parse(const char *answer, uint64_t sector,
			  unsigned int max, uint64_t size,
			  struct cs_snap_written *page);

/** cs_snap_written_free() - free the ranges of @page and zero it */
void cs_snap_written_free(struct cs_snap_written *page);

/**
 * struct cs_snap_event - one event record of a set
 * @seq: sequence number, from 1
 * @sec: time, CLOCK_REALTIME seconds
 * @nsec: and nanoseconds
 * @event: name, e.g. COWSNAP_EVENT_LOW_SPACE
 * @member: the member it is about, "-" for the whole set
 * @value: low_space: free sectors; corrupted: the errno; store_grown:
 *	the new store size in sectors
 */
struct cs_snap_event {
	uint64_t seq;
	int64_t sec;
	uint32_t nsec;
	char event[32];
	char member[CS_SNAP_NAME_LEN];
	uint64_t value;
};

/**
 * struct cs_snap_events - one answer to "events"
 * @last_seq: newest record (0: none ever)
 * @first_seq: oldest record still kept
 * @count: records in @events
 * @events: the records, oldest first, malloc'ed
 */
struct cs_snap_events {
	uint64_t last_seq;
	uint64_t first_seq;
	unsigned int count;
	struct cs_snap_event *events;
};

/**
 * cs_snap_events_parse() - parse an answer to "events @after_seq [max]"
 * @answer: "<last_seq> <first_seq> <count>\n" then count
 *	"<seq> <sec>.<nsec> <event> <member|-> <value>" lines
 * @after_seq: the after_seq asked for
 * @page: result; cs_snap_events_free() it
 *
 * Checks first_seq <= last_seq + 1 (first_seq 0 only without records),
 * count <= COWSNAP_EVENTS_KEPT, exactly count well-formed records with
 * sequence numbers increasing, above @after_seq, within
 * first_seq..last_seq.
 * Return: 0; -EINVAL (@page is then empty); -ENOMEM.
 */
int cs_snap_events_parse(const char *answer, uint64_t after_seq,
			 struct cs_snap_events *page);

/** cs_snap_events_free() - free the records of @page and zero it */
void cs_snap_events_free(struct cs_snap_events *page);

/**
 * cs_snap_event_format() - a record as one line without newline:
 * "SEQ TIME EVENT MEMBER VALUE"
 * @ev: the record
 * @buf: CS_SNAP_EVENT_LINE_LEN bytes
 *
 * Return: @buf.
 */
char *cs_snap_event_format(const struct cs_snap_event *ev, char *buf);

/**
 * cs_snap_event_json() - a record as a JSON object (see cowsnapctl(8))
 * @j: writer; the object goes where a value without key is expected
 * @ev: the record
 * @set: the set ID
 */
void cs_snap_event_json(struct cs_json *j, const struct cs_snap_event *ev,
			const char *set);

/* ------------------------------------------------------------------------
 * Finding sets (snapshot-find.c)
 * ---------------------------------------------------------------------- */

/**
 * struct cs_snap_dev - an image or the device holding an origin target
 * @present: the device exists
 * @info: its dm information
 * @params: its table line's parameters
 * @size: its table's length in sectors
 * @status_ok: @status was read and parsed
 * @status: its status INFO
 */
struct cs_snap_dev {
	bool present;
	struct cs_dm_info info;
	struct cs_snap_params params;
	uint64_t size;
	bool status_ok;
	struct cs_snap_status status;
};

/**
 * struct cs_snap_member - a member of a set, as found
 * @member: member name (the volume uuid)
 * @volume: name of the volume whose uuid is @member, "" if none
 * @image: the image VOL@ID
 * @origin: the device holding the member's cowsnap-origin target
 */
struct cs_snap_member {
	char member[CS_SNAP_NAME_LEN];
	char volume[CS_DM_NAME_LEN];
	struct cs_snap_dev image;
	struct cs_snap_dev origin;
};

/**
 * struct cs_snap_set - a set, as found by scanning the dm devices
 * @id: set ID
 * @has_store: the store device exists
 * @store: its dm information
 * @store_table: its table (the segments)
 * @nr_members: members found (an image or an origin target)
 * @members: in the order of their devices' names
 */
struct cs_snap_set {
	char id[CS_SNAP_NAME_LEN];
	bool has_store;
	struct cs_dm_info store;
	struct cs_table store_table;
	unsigned int nr_members;
	struct cs_snap_member members[COWSNAP_MEMBERS_MAX];
};

/**
 * cs_snap_list() - every set there is
 * @sets: receives a malloc'ed array sorted by ID; cs_snap_sets_free() it
 *
 * Return: the number of sets, or -errno (recorded).
 */
int cs_snap_list(struct cs_snap_set **sets);

/** cs_snap_sets_free() - free @nr sets from cs_snap_list() */
void cs_snap_sets_free(struct cs_snap_set *sets, int nr);

/**
 * cs_snap_find() - the set @id
 * @id: set ID
 * @set: receives it, malloc'ed; cs_snap_sets_free(@set, 1) it
 *
 * Return: 0; -ENOENT if no device of the set exists; -EINVAL for a
 * malformed @id; or -errno.  An error is recorded on failure.
 */
int cs_snap_find(const char *id, struct cs_snap_set **set);

/**
 * cs_snap_member_status() - the status of a member: its image's, else its
 * origin's; NULL if neither was read
 * @m: member
 */
const struct cs_snap_status *cs_snap_member_status(
	const struct cs_snap_member *m);

/**
 * cs_snap_set_state() - "valid", "corrupted", or "incomplete" when a
 * member has no image or no origin, or the set no store
 * @s: set
 */
const char *cs_snap_set_state(const struct cs_snap_set *s);

/**
 * cs_snap_set_status() - the set-wide part of a status (store, state):
 * the first member's that was read, NULL if none
 * @s: set
 */
const struct cs_snap_status *cs_snap_set_status(const struct cs_snap_set *s);

/**
 * cs_snap_msg_dev() - a device to send set-wide messages to: the first
 * image, else the first origin; NULL if none
 * @s: set
 */
const char *cs_snap_msg_dev(const struct cs_snap_set *s);

/**
 * cs_snap_get_info() - send "info" to @dev and parse the answer
 * @dev: dm name of an image or origin device
 * @info: result
 *
 * Return: 0 or -errno (recorded).
 */
int cs_snap_get_info(const char *dev, struct cs_snap_info *info);

/**
 * cs_snap_events_read() - send "events @after_seq" to @dev and parse
 * @dev: dm name of an image or origin device
 * @after_seq: last sequence number seen
 * @page: result; cs_snap_events_free() it
 *
 * Return: 0 or -errno (recorded).
 */
int cs_snap_events_read(const char *dev, uint64_t after_seq,
			struct cs_snap_events *page);

/* ------------------------------------------------------------------------
 * Changes (snapshot-create.c, snapshot-destroy.c, snapshot-grow.c)
 * ---------------------------------------------------------------------- */

/**
 * struct cs_snap_opts - how to make a set
 * @id: set ID, NULL to make one up ("s" and 8 random hex digits)
 * @store: path of the store: block device, regular file (made if it does
 *	not exist) or directory (an unnamed file in it)
 * @store_size: bytes, 0 for cs_snap_default_store()
 * @store_limit: bytes the monitor may grow the store to, 0: no growth;
 *	only checked here
 * @chunk_size: bytes, 0 for cs_snap_default_chunk()
 */
struct cs_snap_opts {
	const char *id;
	const char *store;
	uint64_t store_size;
	uint64_t store_limit;
	uint32_t chunk_size;
};

/**
 * struct cs_snap_made - what cs_snap_create() made
 * @id: set ID
 * @chunk_size: bytes
 * @store_name: dm name of the store
 * @store_size: store size in sectors
 * @freeze_us: microseconds from the first suspend to the last resume
 * @nr: members
 * @volume: volume names, in the order given
 * @image: dm names of their images
 * @cbt_frozen: the change number frozen by the checkpoint taken at the
 *	snapshot, 0 for a volume without cbt
 */
struct cs_snap_made {
	char id[CS_SNAP_NAME_LEN];
	uint32_t chunk_size;
	char store_name[CS_DM_NAME_LEN];
	uint64_t store_size;
	uint64_t freeze_us;
	unsigned int nr;
	char volume[COWSNAP_MEMBERS_MAX][CS_DM_NAME_LEN];
	char image[COWSNAP_MEMBERS_MAX][CS_DM_NAME_LEN];
	unsigned int cbt_frozen[COWSNAP_MEMBERS_MAX];
};

/**
 * cs_snap_create() - take a snapshot set of volumes @vols at one instant
 * @vols: volume names, no two the same
 * @nr: 1..COWSNAP_MEMBERS_MAX
 * @o: options
 * @made: result
 *
 * Sets up the store, creates VOL-origin and loads the cowsnap-origin
 * table into every volume, suspends them all (lockfs), takes a cbt
 * checkpoint of those with a tracker, resumes them all, then creates the
 * images.  Undoes everything on failure.
 *
 * Return: 0; -EEXIST if the set exists; -EBUSY if a volume is in a set
 * already, suspended or busy; -EINVAL for bad options or a store on a
 * volume of the set; as cs_volume_open(); or -errno.  An error is
 * recorded on failure.
 */
int cs_snap_create(char *const *vols, unsigned int nr,
		   const struct cs_snap_opts *o, struct cs_snap_made *made);

/**
 * cs_snap_destroy() - remove the set @id
 * @id: set ID
 * @force: also when an image is open: such an image gets a table that
 *	fails all I/O and is removed when its last opener closes it
 *
 * Stops the monitor, marks the sectors written through each image dirty
 * in its volume's tracker (if it has one), removes the images, the origin
 * layers and the store.  Works on incomplete sets too.
 *
 * Return: 0; -ENOENT if there is no such set; -EBUSY if an image is open
 * and not @force; or -errno.  An error is recorded on failure.
 */
int cs_snap_destroy(const char *id, bool force);

/**
 * cs_snap_extend() - give the store of set @id more space
 * @id: set ID
 * @path: NULL to grow the store's last segment (a file grows, a directory
 *	gets another unnamed file), or a block device, file or directory
 *	to add as a new segment
 * @bytes: bytes to add (a block device adds all of itself); 0 for
 *	cs_snap_default_store() of the members
 * @added: receives the sectors added
 *
 * Reloads the store's table, then sends "store_append" to the set.
 * Return: 0; -ENOENT if there is no such set; -EOPNOTSUPP if the last
 * segment is a block device and @path is NULL; -EINVAL; or -errno.  An
 * error is recorded on failure.
 */
int cs_snap_extend(const char *id, const char *path, uint64_t bytes,
		   uint64_t *added);

/* ------------------------------------------------------------------------
 * The monitor (snapshot-monitor.c)
 * ---------------------------------------------------------------------- */

/**
 * cs_snap_monitor_listen() - claim the monitor's socket of set @id (an
 * abstract unix socket "cowsnap-monitor/ID"): one monitor a set
 * @id: set ID
 *
 * Return: the listening descriptor, -EEXIST if a monitor of @id runs, or
 * -errno (recorded).
 */
int cs_snap_monitor_listen(const char *id);

/**
 * cs_snap_monitor_accept() - take a connection of the monitor's socket
 * @fd: from cs_snap_monitor_listen()
 *
 * Return: 1 if the peer asked the monitor to stop, else 0.
 */
int cs_snap_monitor_accept(int fd);

/**
 * cs_snap_monitor_pid() - the pid of the monitor of set @id
 * @id: set ID
 *
 * Return: the pid, or 0 if none runs.
 */
pid_t cs_snap_monitor_pid(const char *id);

/**
 * cs_snap_monitor_stop() - ask the monitor of set @id to exit, and wait
 * @id: set ID
 * @timeout_ms: longest wait
 *
 * Return: 0 (also when none ran), -ETIMEDOUT (recorded).
 */
int cs_snap_monitor_stop(const char *id, int timeout_ms);

/** CS_DETACHED_ENV - set to "1" in the environment of a program run by
 * cs_spawn_daemon(): it should put its stdout and stderr on /dev/null
 * once it has said it is ready */
#define CS_DETACHED_ENV		"COWSNAP_DETACHED"

/**
 * cs_spawn_daemon() - run @argv detached: double fork, new session,
 * working directory /, stdin on /dev/null, stdout and stderr on a pipe
 * read here until the program says it is ready
 * @path: program to execute
 * @argv: its arguments
 * @ready: the program writes a line starting with this when it is ready
 *
 * Return: 0 once the program said it is ready; -ECHILD (recorded, with
 * the program's first line) if it ended or said something else first;
 * -ETIMEDOUT after 10 s; or -errno.
 */
int cs_spawn_daemon(const char *path, char *const argv[], const char *ready);

#endif /* COWSNAP_SNAPSHOT_H */
