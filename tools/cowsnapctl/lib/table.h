/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcowsnap: dm tables in memory.  Pure functions, no device is touched.
 */
#ifndef COWSNAP_TABLE_H
#define COWSNAP_TABLE_H

#include <stdbool.h>
#include <stdint.h>

/**
 * struct cs_target - one line of a dm table (or of its status)
 * @start: first sector
 * @length: number of sectors
 * @type: target type, e.g. "linear"
 * @params: the rest of the line (for a status: the target's status text)
 */
struct cs_target {
	uint64_t start;
	uint64_t length;
	char *type;
	char *params;
};

/**
 * struct cs_table - a dm table: targets in order of their start sector
 * @nr: number of targets
 * @targets: array of @nr targets, owned by the table
 */
struct cs_table {
	unsigned int nr;
	struct cs_target *targets;
};

/**
 * cs_table_add() - append a target
 * @t: table (zero-initialised before the first call)
 * @start: first sector
 * @length: number of sectors
 * @type: target type, copied
 * @params: parameters, copied; NULL means ""
 *
 * Return: 0 or -ENOMEM.
 */
int cs_table_add(struct cs_table *t, uint64_t start, uint64_t length,
		 const char *type, const char *params);

/**
 * cs_table_copy() - deep copy of @src into the empty table @dst
 * @dst: destination, zero-initialised
 * @src: source
 *
 * Return: 0 or -ENOMEM (then @dst is left empty).
 */
int cs_table_copy(struct cs_table *dst, const struct cs_table *src);

/** cs_table_free() - free the targets of @t and make it empty */
void cs_table_free(struct cs_table *t);

/** cs_table_size() - Return: sectors covered: end of the last target */
uint64_t cs_table_size(const struct cs_table *t);

/**
 * cs_table_find() - first target of type @type
 * @t: table
 * @type: target type
 *
 * Return: its index, or -ENOENT.
 */
int cs_table_find(const struct cs_table *t, const char *type);

/**
 * cs_table_is() - Return: true if @t is exactly one target of type @type
 * @t: table
 * @type: target type
 */
bool cs_table_is(const struct cs_table *t, const char *type);

#endif /* COWSNAP_TABLE_H */
