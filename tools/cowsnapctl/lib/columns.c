// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: aligned text tables.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"

int cs_columns_init(struct cs_columns *c, unsigned int nr_cols,
		    const char *const *heads, unsigned int right)
{
	memset(c, 0, sizeof(*c));
	c->nr_cols = nr_cols;
	c->right = right;
	c->width = calloc(nr_cols, sizeof(*c->width));
	if (!c->width)
		return -ENOMEM;
	return cs_columns_add(c, heads);
}

int cs_columns_add(struct cs_columns *c, const char *const *cells)
{
	size_t n = (size_t)(c->nr_rows + 1) * c->nr_cols, len;
	char **v, **row;
	unsigned int i;

	v = realloc(c->cells, n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->cells = v;
	row = &v[(size_t)c->nr_rows * c->nr_cols];
	for (i = 0; i < c->nr_cols; i++) {
		row[i] = strdup(cells[i] ? cells[i] : "");
		if (!row[i]) {
			while (i--)
				free(row[i]);
			return -ENOMEM;
		}
		len = strlen(row[i]);
		if (len > c->width[i])
			c->width[i] = len;
	}
	c->nr_rows++;
	return 0;
}

void cs_columns_print(const struct cs_columns *c, FILE *f)
{
	unsigned int r, i, last;
	const char *s;

	for (r = 0; r < c->nr_rows; r++) {
		char **row = &c->cells[(size_t)r * c->nr_cols];

		/* The last non-empty cell ends the line: no trailing blanks. */
		for (last = c->nr_cols; last > 0 && !row[last - 1][0]; last--)
			;
		fputs("  ", f);
		for (i = 0; i < last; i++) {
			s = row[i];
			if (c->right & (1u << i))
				fprintf(f, "%*s", (int)c->width[i], s);
			else if (i + 1 == last)
				fputs(s, f);
			else
				fprintf(f, "%-*s", (int)c->width[i], s);
			if (i + 1 < last)
				fputs("  ", f);
		}
		fputc('\n', f);
	}
}

void cs_columns_free(struct cs_columns *c)
{
	size_t i, n = (size_t)c->nr_rows * c->nr_cols;

	for (i = 0; i < n; i++)
		free(c->cells[i]);
	free(c->cells);
	free(c->width);
	memset(c, 0, sizeof(*c));
}
