/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcowsnap: aligned text tables, the way lvs prints them.
 *
 *	  NAME  DEVNO   SIZE
 *	  data  253:0  1.00g
 *
 * Two leading spaces, two between columns, no trailing blanks; a column
 * is left-aligned unless its bit is set in the right-alignment mask.
 */
#ifndef COWSNAP_COLUMNS_H
#define COWSNAP_COLUMNS_H

#include <stddef.h>
#include <stdio.h>

/**
 * struct cs_columns - a table being filled; treat as opaque
 * @nr_cols: number of columns
 * @right: bit i set: column i is right-aligned
 * @nr_rows: rows added, the heading included
 * @cells: @nr_rows * @nr_cols copied strings
 * @width: widest cell of each column
 */
struct cs_columns {
	unsigned int nr_cols;
	unsigned int right;
	unsigned int nr_rows;
	char **cells;
	size_t *width;
};

/**
 * cs_columns_init() - start a table with a heading row
 * @c: table
 * @nr_cols: number of columns
 * @heads: @nr_cols column headings
 * @right: right-alignment mask
 *
 * Return: 0 or -ENOMEM.
 */
int cs_columns_init(struct cs_columns *c, unsigned int nr_cols,
		    const char *const *heads, unsigned int right);

/**
 * cs_columns_add() - add a row
 * @c: table
 * @cells: @c->nr_cols strings (NULL prints as "")
 *
 * Return: 0 or -ENOMEM.
 */
int cs_columns_add(struct cs_columns *c, const char *const *cells);

/** cs_columns_print() - print the table to @f */
void cs_columns_print(const struct cs_columns *c, FILE *f);

/** cs_columns_free() - free the table */
void cs_columns_free(struct cs_columns *c);

#endif /* COWSNAP_COLUMNS_H */
