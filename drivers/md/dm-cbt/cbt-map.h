/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cbt-map: the change map of one tracker and its frozen copy.
 *
 * One byte per tracking block: the change number in force when the block
 * was last changed (0: not in this generation).  A checkpoint copies the
 * map into the frozen copy and moves the change number on, wrapping into a
 * new generation after CBT_CHANGE_MAX.  See <linux/dm-cbt.h>.
 *
 * Locking: marking takes a reader lock and never sleeps, so it is safe in
 * a target's map function and in bio completion (any context); everything
 * that replaces numbers or buffers (checkpoint, grow, lose) takes the
 * writer lock with interrupts off, so no write is marked half before and
 * half after a checkpoint.  The frozen copy changes only in
 * a checkpoint; readers of it (cbt_map_encode, cbt_map_changes) and the
 * functions that may sleep must be serialised by the caller (the tracker's
 * mutex).
 */
#ifndef CBT_MAP_H
#define CBT_MAP_H

#include <linux/limits.h>
#include <linux/types.h>
#include <linux/uuid.h>

struct cbt_map;

/**
 * struct cbt_map_info - a consistent view of the numbers of a map
 */
struct cbt_map_info {
	sector_t capacity;
	u64 blocks;
	u64 frozen_blocks;
	u32 block_size;
	u8 change_nr;
	u8 frozen_nr;
	bool lost;
	uuid_t generation;
	uuid_t frozen_generation;
	size_t memory;
};

/* One range of changed blocks. */
struct cbt_range {
	u64 start;
	u64 blocks;
};

/*
 * The largest map (and frozen copy) in bytes, one per block: what
 * kvmalloc() can give.  A table needing more is refused; growing beyond it
 * loses tracking.
 */
#define CBT_MAP_MAX	((u64)INT_MAX)

/* cbt_map_blocks - the blocks of @block_size bytes covering @capacity. */
u64 cbt_map_blocks(sector_t capacity, u32 block_size);

/*
 * cbt_map_create - a map for @capacity sectors in blocks of @block_size
 * bytes (a power of two >= 4096), empty, change number 1, new generation.
 * May sleep.  Returns the map, or NULL when out of memory.
 */
struct cbt_map *cbt_map_create(sector_t capacity, u32 block_size);

/* cbt_map_destroy - free @map.  May sleep. */
void cbt_map_destroy(struct cbt_map *map);

/* cbt_map_block_size - block size in bytes; any context. */
u32 cbt_map_block_size(struct cbt_map *map);

/* cbt_map_info - copy the numbers of @map into @info; any context. */
void cbt_map_info(struct cbt_map *map, struct cbt_map_info *info);

/*
 * cbt_map_mark - mark the blocks of sectors [@sector, @sector + @nr) as
 * changed with the current number.  Any context; never sleeps, never
 * fails; sectors beyond the map are ignored.  Returns the number used.
 */
u8 cbt_map_mark(struct cbt_map *map, sector_t sector, sector_t nr);

/* cbt_map_change_nr - the current change number, unlocked; any context. */
u8 cbt_map_change_nr(struct cbt_map *map);

/*
 * cbt_map_checkpoint - freeze the map and move the change number on.
 * May sleep (allocates the frozen copy on first use).  Returns 1 when a
 * new generation began, 0 when not, -ENOMEM (nothing changed).
 */
int cbt_map_checkpoint(struct cbt_map *map);

/*
 * cbt_map_grow_buffer - allocate a map buffer for @capacity sectors, to
 * hand to cbt_map_grow() later.  May sleep.  NULL when out of memory or
 * when no growth is needed (*needed tells which).
 */
u8 *cbt_map_grow_buffer(struct cbt_map *map, sector_t capacity, bool *needed);

/*
 * cbt_map_grow - make @map cover @capacity sectors using @buf from
 * cbt_map_grow_buffer() (consumed).  Blocks beyond the old end count as
 * changed.  Never sleeps.  Does nothing when @capacity is not larger.
 */
void cbt_map_grow(struct cbt_map *map, sector_t capacity, u8 *buf);

/*
 * cbt_map_lose - drop the map (tracking lost): the state becomes "lost"
 * with a new generation until the next checkpoint.  May sleep.
 */
void cbt_map_lose(struct cbt_map *map);

/*
 * cbt_map_encode - run-length text of frozen blocks from @offset, at most
 * @count blocks and at most what fits in @maxlen bytes ("<hh>x<run> ...").
 * Writes into @result, returns the number of blocks encoded.
 */
u64 cbt_map_encode(struct cbt_map *map, u64 offset, u64 count, char *result,
		   unsigned int maxlen);

/*
 * cbt_map_changes - up to @max ranges of frozen blocks whose number is
 * greater than @since, from block @offset on, into @ranges.  Returns the
 * count; *next is where to go on (frozen_blocks at the end).
 */
unsigned int cbt_map_changes(struct cbt_map *map, u8 since, u64 offset,
			     struct cbt_range *ranges, unsigned int max,
			     u64 *next);

#endif /* CBT_MAP_H */
