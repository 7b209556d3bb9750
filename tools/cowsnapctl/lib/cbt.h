/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcowsnap: the cbt (changed-block tracking) layer of a volume.
 *
 * Enabled, the volume has a cbt target "0 <len> cbt <dev> <vuuid> [2
 * block_size <n>]" over the hidden device VOL-cbt (see stack.h); the
 * tracker id is the volume uuid, so every reload of the table (a filter
 * attached above it, say) hands the same tracker over.  Everything else
 * is text messages, formats in <linux/dm-cbt.h>:
 *
 *	info                       one line of key=value pairs
 *	checkpoint                 frozen=<n> generation=<uuid> reset=<0|1>
 *	changes <since> <off> [max]  paged ranges of changed frozen blocks
 *	map <off> <count>          paged run-length text of the frozen map
 *	mark_dirty <sector> <nr>...
 *	events <after_seq>         event records
 *
 * cbt.c parses the answers and builds table lines and messages (pure
 * functions); cbt-map.c decodes the run-length map text (pure); cbt-dev.c
 * enables and disables the layer and pages through the answers, sending
 * its messages through struct cs_cbt (libdevmapper, or a test's fake).
 */
#ifndef COWSNAP_CBT_H
#define COWSNAP_CBT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dm.h"
#include "json.h"

/** CS_CBT_UUID_LEN - size of a generation uuid buffer (36 characters) */
#define CS_CBT_UUID_LEN		40
/** CS_CBT_NAME_LEN - size of a state or event name buffer */
#define CS_CBT_NAME_LEN		32
/** CS_CBT_MAP_PAGE - blocks asked for in one "map" message by default */
#define CS_CBT_MAP_PAGE		(1u << 20)
/** CS_CBT_EVENT_LINE_LEN - size of a cs_cbt_event_format() buffer */
#define CS_CBT_EVENT_LINE_LEN	160

/* ------------------------------------------------------------------------
 * Answers and their parsers (cbt.c, cbt-map.c): pure functions
 * ---------------------------------------------------------------------- */

/**
 * struct cs_cbt_info - the answer to "info"
 * @capacity: size of the tracked device in 512-byte sectors
 * @block_size: tracking block size in bytes
 * @blocks: blocks of the live map
 * @state: "tracking" or "lost" (or a state this tool does not know)
 * @lost: @state is "lost": changes cannot be read until a checkpoint
 * @generation: uuid of the live map's generation
 * @current: current change number, 1..CBT_CHANGE_MAX
 * @frozen: change number of the frozen copy, 0 when there is none
 * @frozen_generation: generation of the frozen copy, "" when there is none
 * @frozen_blocks: blocks of the frozen copy
 * @memory: bytes of kernel memory held for the maps
 * @last_event: newest event sequence number, 0 when none
 */
struct cs_cbt_info {
	uint64_t capacity;
	uint32_t block_size;
	uint64_t blocks;
	char state[CS_CBT_NAME_LEN];
	bool lost;
	char generation[CS_CBT_UUID_LEN];
	unsigned int current;
	unsigned int frozen;
	char frozen_generation[CS_CBT_UUID_LEN];
	uint64_t frozen_blocks;
	uint64_t memory;
	uint64_t last_event;
};

/**
 * cs_cbt_info_parse() - parse the answer to "info"
 * @answer: "capacity=<n> block_size=<n> ... last_event=<n>", the eleven
 *	keys in the order of <linux/dm-cbt.h>, one optional final newline
 * @info: result
 *
 * Checks every value: numbers in range (block_size a power of two within
 * CBT_BLOCK_MIN..CBT_BLOCK_MAX, current 1..255, frozen 0..255), state a
 * lowercase name, generations uuids ("-" for no frozen generation).
 * Return: 0 or -EINVAL.
 */
int cs_cbt_info_parse(const char *answer, struct cs_cbt_info *info);

/**
 * struct cs_cbt_checkpoint - the answer to "checkpoint"
 * @frozen: change number of the new frozen copy, 1..255
 * @generation: generation of the frozen copy
 * @reset: this checkpoint started a new generation for the live map
 */
struct cs_cbt_checkpoint {
	unsigned int frozen;
	char generation[CS_CBT_UUID_LEN];
	bool reset;
};

/**
 * cs_cbt_checkpoint_parse() - parse "frozen=<n> generation=<uuid>
 * reset=<0|1>" (one optional final newline)
 * @answer: the answer
 * @cp: result
 *
 * Return: 0 or -EINVAL.
 */
int cs_cbt_checkpoint_parse(const char *answer, struct cs_cbt_checkpoint *cp);

/**
 * struct cs_cbt_range - changed blocks [@start, @start + @blocks)
 * @start: first block
 * @blocks: number of blocks, at least 1
 */
struct cs_cbt_range {
	uint64_t start;
	uint64_t blocks;
};

/**
 * struct cs_cbt_changes_page - one answer to "changes"
 * @frozen: change number of the frozen copy the answer comes from
 * @next: block to ask for next; the frozen block count at the end
 * @count: ranges in @ranges
 * @ranges: sorted, not overlapping, malloc'ed (NULL when @count is 0)
 */
struct cs_cbt_changes_page {
	unsigned int frozen;
	uint64_t next;
	unsigned int count;
	struct cs_cbt_range *ranges;
};

/**
 * cs_cbt_changes_parse() - parse an answer to "changes <since> @offset
 * [@max]"
 * @answer: "<frozen> <next> <count>\n" then count "<start> <blocks>" lines
 * @offset: the offset asked for
 * @max: the max asked for, 0 if none was given (CBT_RANGES_MAX)
 * @frozen_blocks: blocks of the frozen copy (from "info")
 * @page: result; cs_cbt_changes_page_free() it
 *
 * Checks that frozen is 1..255, count <= @max, exactly count ranges follow,
 * each at least one block, at or after @offset, sorted and not
 * overlapping, ending at or before next; that next <= @frozen_blocks and
 * that the answer makes progress (next > @offset, or next is the end).
 *
 * Return: 0; -EINVAL if the answer is malformed (@page is then empty);
 * -ENOMEM.
 */
int cs_cbt_changes_parse(const char *answer, uint64_t offset, unsigned int max,
			 uint64_t frozen_blocks,
			 struct cs_cbt_changes_page *page);

/** cs_cbt_changes_page_free() - free the ranges of @page and zero it */
void cs_cbt_changes_page_free(struct cs_cbt_changes_page *page);

/**
 * cs_cbt_range_bytes() - the bytes of the device a range covers
 * @r: range of blocks
 * @block_size: block size in bytes
 * @capacity: device size in 512-byte sectors; the last block of a device
 *	whose size is not a multiple of @block_size is cut at the end
 * @offset: receives the first byte
 * @length: receives the length in bytes (0 if @r lies beyond the end)
 */
void cs_cbt_range_bytes(const struct cs_cbt_range *r, uint32_t block_size,
			uint64_t capacity, uint64_t *offset, uint64_t *length);

/**
 * cs_cbt_rle_decode() - decode run-length map text into bytes
 * @text: "<hh>x<run> <hh>x<run> ...": two hex digits, 'x', a decimal run
 *	of at least 1; tokens separated by single spaces; "" for no block
 * @out: receives exactly @nr bytes
 * @nr: number of blocks the text must describe
 * @max_value: largest byte value accepted
 *
 * Return: 0; -EINVAL if a token is malformed, a value is above
 * @max_value, or the runs add up to more or less than @nr (nothing is
 * written beyond @out[@nr - 1]).
 */
int cs_cbt_rle_decode(const char *text, uint8_t *out, uint64_t nr,
		      unsigned int max_value);

/**
 * struct cs_cbt_map_page - the header of one answer to "map"
 * @frozen: change number of the frozen copy
 * @offset: first block of the page
 * @blocks: blocks decoded
 * @next: block to ask for next: @offset + @blocks
 */
struct cs_cbt_map_page {
	unsigned int frozen;
	uint64_t offset;
	uint64_t blocks;
	uint64_t next;
};

/**
 * cs_cbt_map_parse() - parse and decode an answer to "map @offset @count"
 * @answer: "<frozen> <offset> <blocks> <next>\n<runs>" (see
 *	cs_cbt_rle_decode(); the runs line may be missing when blocks is 0)
 * @offset: the offset asked for
 * @count: the count asked for
 * @frozen_blocks: blocks of the frozen copy (from "info")
 * @buf: receives the page's bytes: room for @count bytes
 * @page: receives the header
 *
 * Checks that frozen is 1..255, the offset is @offset, blocks <= @count,
 * next = offset + blocks <= @frozen_blocks, blocks > 0 unless @offset is
 * the end, and that every byte is at most frozen.
 * Return: 0 or -EINVAL.
 */
int cs_cbt_map_parse(const char *answer, uint64_t offset, uint64_t count,
		     uint64_t frozen_blocks, uint8_t *buf,
		     struct cs_cbt_map_page *page);

/**
 * struct cs_cbt_event - one event record of a tracker
 * @seq: sequence number, from 1
 * @sec: time, CLOCK_REALTIME seconds
 * @nsec: and nanoseconds
 * @event: event name, e.g. CBT_EVENT_GENERATION_RESET
 * @generation: the generation the record names
 */
struct cs_cbt_event {
	uint64_t seq;
	int64_t sec;
	uint32_t nsec;
	char event[CS_CBT_NAME_LEN];
	char generation[CS_CBT_UUID_LEN];
};

/**
 * struct cs_cbt_events_page - one answer to "events"
 * @last_seq: newest record (0: none ever)
 * @first_seq: oldest record still kept
 * @count: records in @events
 * @events: the records, oldest first, malloc'ed
 */
struct cs_cbt_events_page {
	uint64_t last_seq;
	uint64_t first_seq;
	unsigned int count;
	struct cs_cbt_event *events;
};

/**
 * cs_cbt_events_parse() - parse an answer to "events @after_seq"
 * @answer: "<last_seq> <first_seq> <count>\n" then count
 *	"<seq> <sec>.<nsec> <event> <generation>" lines
 * @after_seq: the after_seq asked for
 * @page: result; cs_cbt_events_page_free() it
 *
 * Checks first_seq <= last_seq + 1 (first_seq 0 only with no record
 * ever), count <= CBT_EVENTS_KEPT, exactly count well-formed records with
 * sequence numbers increasing, above @after_seq, within
 * first_seq..last_seq.
 * Return: 0; -EINVAL (@page is then empty); -ENOMEM.
 */
int cs_cbt_events_parse(const char *answer, uint64_t after_seq,
			struct cs_cbt_events_page *page);

/** cs_cbt_events_page_free() - free the records of @page and zero it */
void cs_cbt_events_page_free(struct cs_cbt_events_page *page);

/**
 * cs_cbt_events_missed() - records lost to a reader that had read
 * @after_seq: first_seq - @after_seq - 1 when the tracker no longer keeps
 * the record after @after_seq, else 0
 * @page: a page read with @after_seq
 * @after_seq: the last sequence number the reader had seen
 */
uint64_t cs_cbt_events_missed(const struct cs_cbt_events_page *page,
			      uint64_t after_seq);

/**
 * cs_cbt_event_format() - a record as one line without newline:
 * "SEQ TIME EVENT GENERATION"
 * @ev: the record
 * @buf: CS_CBT_EVENT_LINE_LEN bytes
 *
 * Return: @buf.
 */
char *cs_cbt_event_format(const struct cs_cbt_event *ev, char *buf);

/**
 * cs_cbt_event_json() - a record as a JSON object (see cowsnapctl(8))
 * @j: writer; the object goes where a value without key is expected
 * @ev: the record
 */
void cs_cbt_event_json(struct cs_json *j, const struct cs_cbt_event *ev);

/**
 * cs_cbt_table_params() - the cbt table parameters after the device
 * @tracker_id: 1..CBT_ID_MAX characters from [A-Za-z0-9_-]
 * @block_size: bytes, a power of two within CBT_BLOCK_MIN..CBT_BLOCK_MAX,
 *	or 0 for the target's default
 * @buf: receives "<id>" or "<id> 2 block_size <n>"
 * @size: size of @buf
 *
 * Return: 0; -EINVAL (with an error record); -ENAMETOOLONG.
 */
int cs_cbt_table_params(const char *tracker_id, uint32_t block_size,
			char *buf, size_t size);

/**
 * struct cs_cbt_extent - sectors [@sector, @sector + @count) to mark dirty
 * @sector: first 512-byte sector
 * @count: number of sectors, at least 1
 */
struct cs_cbt_extent {
	uint64_t sector;
	uint64_t count;
};

/**
 * cs_cbt_extent_parse() - parse "SECTOR:COUNT" (decimal, 512-byte sectors)
 * @s: the text
 * @e: result
 *
 * Return: 0; -EINVAL if malformed or COUNT is 0; -ERANGE if the end
 * does not fit in 64 bits.
 */
int cs_cbt_extent_parse(const char *s, struct cs_cbt_extent *e);

/**
 * cs_cbt_mark_message() - "mark_dirty <sector> <count>..." for @nr extents
 * @e: extents
 * @nr: 1..CBT_MARK_RANGES_MAX
 * @buf: output
 * @size: size of @buf
 *
 * Return: 0; -EINVAL for a bad @nr; -ENAMETOOLONG.
 */
int cs_cbt_mark_message(const struct cs_cbt_extent *e, size_t nr, char *buf,
			size_t size);

/* ------------------------------------------------------------------------
 * The layer and its tracker (cbt-dev.c)
 * ---------------------------------------------------------------------- */

/**
 * cs_cbt_send_fn - send message @msg to dm device @dev, answer in *@answer
 * (malloc'ed); Return: 0 or -errno.  cs_dm_message() has this shape.
 */
typedef int (*cs_cbt_send_fn)(void *priv, const char *dev, const char *msg,
			      char **answer);

/**
 * struct cs_cbt - a tracker to talk to
 * @dev: dm name of the device whose table holds the cbt target
 * @send: how messages are sent; NULL: cs_dm_message()
 * @priv: passed to @send
 */
struct cs_cbt {
	char dev[CS_DM_NAME_LEN];
	cs_cbt_send_fn send;
	void *priv;
};

/**
 * cs_cbt_enable() - add the cbt layer to volume @name
 * @name: volume name
 * @block_size: tracking block size in bytes, 0 for the target's default
 *
 * Pushes the layer on top (cs_stack_push(), hidden device VOL-cbt) with
 * the volume uuid as tracker id.  Safe on a mounted volume.
 * Return: 0; -EEXIST if cbt is enabled already or VOL-cbt exists; -EINVAL
 * for a bad @block_size or a table the kernel refused; as
 * cs_volume_open(); or -errno.  An error is recorded on failure.
 */
int cs_cbt_enable(const char *name, uint32_t block_size);

/**
 * cs_cbt_disable() - remove the cbt layer from volume @name
 * @name: volume name
 *
 * The cbt target may be below other layers (cs_stack_remove()).  The
 * kernel frees the tracker with its last table.
 * Return: 0; -ENOTCONN if cbt is not enabled; -EBUSY; as cs_volume_open();
 * or -errno.  An error is recorded on failure.
 */
int cs_cbt_disable(const char *name);

/**
 * cs_cbt_open() - find the tracker of volume @name
 * @name: volume name
 * @cbt: receives the dm device holding the cbt target; @send is NULL
 *
 * Return: 0; -ENOTCONN if cbt is not enabled; as cs_volume_open().  An
 * error is recorded on failure.
 */
int cs_cbt_open(const char *name, struct cs_cbt *cbt);

/**
 * cs_cbt_get_info() - send "info"
 * @cbt: tracker
 * @info: result
 *
 * Return: 0; -EINVAL if the target refused or the answer is malformed;
 * -errno.  An error is recorded on failure.
 */
int cs_cbt_get_info(const struct cs_cbt *cbt, struct cs_cbt_info *info);

/**
 * cs_cbt_checkpoint() - send "checkpoint"
 * @cbt: tracker
 * @cp: result
 *
 * Return: as cs_cbt_get_info().
 */
int cs_cbt_checkpoint(const struct cs_cbt *cbt, struct cs_cbt_checkpoint *cp);

/**
 * struct cs_cbt_ranges - a growing list of ranges
 * @nr: ranges in @r
 * @alloc: room in @r
 * @r: the ranges, sorted; adjacent ones are merged
 */
struct cs_cbt_ranges {
	size_t nr;
	size_t alloc;
	struct cs_cbt_range *r;
};

/** cs_cbt_ranges_free() - free the ranges of @rs and zero it */
void cs_cbt_ranges_free(struct cs_cbt_ranges *rs);

/**
 * cs_cbt_changes() - every range of the frozen copy changed after @since
 * @cbt: tracker
 * @since: change number, 0 for every block changed in the frozen
 *	generation
 * @info: receives the "info" the ranges belong to
 * @out: empty list; receives the ranges, merged across pages
 *
 * Reads "info", then pages with "changes" until the end of the frozen
 * copy, then "info" again.
 * Return: 0; -ENODATA if there is no frozen copy or tracking was lost;
 * -ESTALE if @since is above the frozen change number; -EAGAIN if a
 * checkpoint was taken while reading; -EINVAL for a malformed answer;
 * -errno.  An error is recorded on failure; @out is then empty.
 */
int cs_cbt_changes(const struct cs_cbt *cbt, unsigned int since,
		   struct cs_cbt_info *info, struct cs_cbt_ranges *out);

/**
 * cs_cbt_map_fn - receives @nr bytes of the frozen map from block
 * @offset on; Return: 0 to go on, or -errno (recorded) to stop
 */
typedef int (*cs_cbt_map_fn)(void *priv, uint64_t offset,
			     const uint8_t *bytes, uint64_t nr);

/**
 * cs_cbt_read_map() - the whole frozen map, in order, page by page
 * @cbt: tracker
 * @page_blocks: blocks to ask for per message, 0 for CS_CBT_MAP_PAGE
 * @info: receives the "info" the map belongs to
 * @fn: called for each page, in order of blocks, covering them all
 * @priv: passed to @fn
 *
 * Return: as cs_cbt_changes() (without -ESTALE), or what @fn returned.
 */
int cs_cbt_read_map(const struct cs_cbt *cbt, uint64_t page_blocks,
		    struct cs_cbt_info *info, cs_cbt_map_fn fn, void *priv);

/**
 * cs_cbt_mark_dirty() - mark sectors changed with the current number
 * @cbt: tracker
 * @e: extents
 * @nr: number of extents; sent in messages of at most
 *	CBT_MARK_RANGES_MAX
 *
 * Return: 0 or -errno (recorded); extents of earlier messages stay marked.
 */
int cs_cbt_mark_dirty(const struct cs_cbt *cbt, const struct cs_cbt_extent *e,
		      size_t nr);

/**
 * cs_cbt_events_read() - send "events @after_seq" and parse the answer
 * @cbt: tracker
 * @after_seq: last sequence number seen (0: from the start)
 * @page: result; cs_cbt_events_page_free() it
 *
 * Return: 0; -EINVAL; -errno.  An error is recorded on failure.
 */
int cs_cbt_events_read(const struct cs_cbt *cbt, uint64_t after_seq,
		       struct cs_cbt_events_page *page);

#endif /* COWSNAP_CBT_H */
