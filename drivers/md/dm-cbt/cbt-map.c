// SPDX-License-Identifier: GPL-2.0
/*
 * cbt-map: the change map of one tracker and its frozen copy (see
 * cbt-map.h for the rules and the locking).
 */
#include <linux/blkdev.h>
#include <linux/dm-cbt.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "cbt-map.h"

/*----------------------------------------------------------------*/

struct cbt_map {
	rwlock_t lock;
	u8 *map;		/* NULL while tracking is lost */
	u8 *frozen;		/* NULL before the first checkpoint */
	u64 frozen_size;	/* bytes allocated for frozen */
	sector_t capacity;
	u64 blocks;
	u64 frozen_blocks;
	unsigned int shift;	/* log2 of the block size in sectors */
	u8 change_nr;
	u8 frozen_nr;
	uuid_t generation;
	uuid_t frozen_generation;
};

static u64 cbt_blocks_for(struct cbt_map *map, sector_t capacity)
{
	return (capacity + (1ULL << map->shift) - 1) >> map->shift;
}

/*
 * A map buffer of @blocks bytes.  The big ones are vmalloc'd and may fail:
 * the caller says so (refused table, lost tracking), not the allocator,
 * whose warning would be noise for a table nobody can satisfy (more than
 * CBT_MAP_MAX bytes always fails).
 */
static u8 *cbt_map_alloc(u64 blocks, bool zero)
{
	gfp_t gfp = GFP_KERNEL | __GFP_NOWARN | (zero ? __GFP_ZERO : 0);

	if (blocks > CBT_MAP_MAX)
		return NULL;
	return kvmalloc(blocks, gfp);
}

u64 cbt_map_blocks(sector_t capacity, u32 block_size)
{
	unsigned int shift = ilog2(block_size >> SECTOR_SHIFT);

	return (capacity + (1ULL << shift) - 1) >> shift;
}

/*----------------------------------------------------------------*/

struct cbt_map *cbt_map_create(sector_t capacity, u32 block_size)
{
	struct cbt_map *map;

	map = kzalloc(sizeof(*map), GFP_KERNEL);
	if (!map)
		return NULL;

	rwlock_init(&map->lock);
	map->shift = ilog2(block_size >> SECTOR_SHIFT);
	map->capacity = capacity;
	map->blocks = cbt_blocks_for(map, capacity);
	map->map = cbt_map_alloc(map->blocks, true);
	if (!map->map) {
		kfree(map);
		return NULL;
	}
	map->change_nr = 1;
	uuid_gen(&map->generation);
	return map;
}

void cbt_map_destroy(struct cbt_map *map)
{
	kvfree(map->frozen);
	kvfree(map->map);
	kfree(map);
}

u32 cbt_map_block_size(struct cbt_map *map)
{
	return 1U << (map->shift + SECTOR_SHIFT);
}

void cbt_map_info(struct cbt_map *map, struct cbt_map_info *info)
{
	read_lock(&map->lock);
	info->capacity = map->capacity;
	info->blocks = map->blocks;
	info->frozen_blocks = map->frozen_blocks;
	info->block_size = cbt_map_block_size(map);
	info->change_nr = map->change_nr;
	info->frozen_nr = map->frozen_nr;
	info->lost = !map->map;
	info->generation = map->generation;
	info->frozen_generation = map->frozen_generation;
	info->memory = sizeof(*map) + (map->map ? map->blocks : 0) +
		       map->frozen_size;
	read_unlock(&map->lock);
}

/*----------------------------------------------------------------*/

u8 cbt_map_mark(struct cbt_map *map, sector_t sector, sector_t nr)
{
	u64 first = sector >> map->shift;
	u64 last = (sector + nr - 1) >> map->shift;
	u8 change_nr;

	if (!nr)
		return 0;

	read_lock(&map->lock);
	change_nr = map->change_nr;
	if (map->map && first < map->blocks) {
		last = min(last, map->blocks - 1);
		memset(map->map + first, change_nr, last - first + 1);
	}
	read_unlock(&map->lock);
	return change_nr;
}

u8 cbt_map_change_nr(struct cbt_map *map)
{
	return READ_ONCE(map->change_nr);
}

/* Tracking was lost: start a new generation with an empty map. */
static int cbt_map_restart(struct cbt_map *map)
{
	u64 blocks = cbt_blocks_for(map, map->capacity);
	u8 *buf = cbt_map_alloc(blocks, true);

	if (!buf)
		return -ENOMEM;

	write_lock_irq(&map->lock);
	map->map = buf;
	map->blocks = blocks;
	WRITE_ONCE(map->change_nr, 1);
	uuid_gen(&map->generation);
	write_unlock_irq(&map->lock);
	return 1;
}

int cbt_map_checkpoint(struct cbt_map *map)
{
	u8 *buf = NULL, *old = NULL;
	int reset = 0;

	if (!map->map)
		return cbt_map_restart(map);

	if (map->frozen_size < map->blocks) {
		buf = cbt_map_alloc(map->blocks, false);
		if (!buf)
			return -ENOMEM;
	}

	write_lock_irq(&map->lock);
	if (buf) {
		old = map->frozen;
		map->frozen = buf;
		map->frozen_size = map->blocks;
	}
	memcpy(map->frozen, map->map, map->blocks);
	map->frozen_blocks = map->blocks;
	map->frozen_nr = map->change_nr;
	map->frozen_generation = map->generation;
	if (map->change_nr == CBT_CHANGE_MAX) {
		memset(map->map, 0, map->blocks);
		WRITE_ONCE(map->change_nr, 1);
		uuid_gen(&map->generation);
		reset = 1;
	} else {
		WRITE_ONCE(map->change_nr, map->change_nr + 1);
	}
	write_unlock_irq(&map->lock);

	kvfree(old);
	return reset;
}

/*----------------------------------------------------------------*/

u8 *cbt_map_grow_buffer(struct cbt_map *map, sector_t capacity, bool *needed)
{
	*needed = map->map && cbt_blocks_for(map, capacity) > map->blocks;
	if (!*needed)
		return NULL;
	return cbt_map_alloc(cbt_blocks_for(map, capacity), true);
}

void cbt_map_grow(struct cbt_map *map, sector_t capacity, u8 *buf)
{
	u64 blocks = cbt_blocks_for(map, capacity), first_new;
	u8 *old = NULL;

	write_lock_irq(&map->lock);
	if (capacity > map->capacity && map->map && buf &&
	    blocks > map->blocks) {
		/* The block holding the old end is partly new, too. */
		first_new = map->capacity >> map->shift;
		memcpy(buf, map->map, map->blocks);
		memset(buf + first_new, map->change_nr, blocks - first_new);
		old = map->map;
		map->map = buf;
		map->blocks = blocks;
		buf = NULL;
	}
	if (capacity > map->capacity)
		map->capacity = capacity;
	write_unlock_irq(&map->lock);

	kvfree(old);
	kvfree(buf);
}

void cbt_map_lose(struct cbt_map *map)
{
	u8 *old, *old_frozen;

	write_lock_irq(&map->lock);
	old = map->map;
	old_frozen = map->frozen;
	map->map = NULL;
	map->frozen = NULL;
	map->frozen_size = 0;
	map->blocks = 0;
	map->frozen_blocks = 0;
	map->frozen_nr = 0;
	WRITE_ONCE(map->change_nr, 1);
	uuid_gen(&map->generation);
	write_unlock_irq(&map->lock);

	kvfree(old);
	kvfree(old_frozen);
}

/*----------------------------------------------------------------*/

u64 cbt_map_encode(struct cbt_map *map, u64 offset, u64 count, char *result,
		   unsigned int maxlen)
{
	u64 end, pos = offset, run;
	unsigned int sz = 0, len;
	const u8 *diff;
	char tok[32];

	if (!maxlen)
		return 0;
	result[0] = '\0';
	if (offset >= map->frozen_blocks)
		return 0;
	end = offset + min(count, map->frozen_blocks - offset);

	while (pos < end) {
		u8 v = map->frozen[pos];

		diff = memchr_inv(map->frozen + pos, v, end - pos);
		run = diff ? diff - (map->frozen + pos) : end - pos;
		len = scnprintf(tok, sizeof(tok), "%s%02xx%llu", sz ? " " : "",
				v, run);
		if (sz + len + 1 > maxlen)
			break;
		memcpy(result + sz, tok, len + 1);
		sz += len;
		pos += run;
	}
	return pos - offset;
}

unsigned int cbt_map_changes(struct cbt_map *map, u8 since, u64 offset,
			     struct cbt_range *ranges, unsigned int max,
			     u64 *next)
{
	const u64 end = map->frozen_blocks;
	const u8 *f = map->frozen;
	unsigned int n = 0;
	u64 pos = offset, start;

	while (pos < end && n < max) {
		while (pos < end && f[pos] <= since)
			pos++;
		if (pos == end)
			break;
		start = pos;
		while (pos < end && f[pos] > since)
			pos++;
		ranges[n].start = start;
		ranges[n].blocks = pos - start;
		n++;
	}
	*next = n < max ? max(end, offset) : pos;
	return n;
}
