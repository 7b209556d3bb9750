// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: dm tables in memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

int cs_table_add(struct cs_table *t, uint64_t start, uint64_t length,
		 const char *type, const char *params)
{
	struct cs_target *targets, *tg;

	targets = realloc(t->targets, (t->nr + 1) * sizeof(*targets));
	if (!targets)
		return -ENOMEM;
	t->targets = targets;
	tg = &targets[t->nr];
	tg->start = start;
	tg->length = length;
	tg->type = strdup(type);
	tg->params = strdup(params ? params : "");
	if (!tg->type || !tg->params) {
		free(tg->type);
		free(tg->params);
		return -ENOMEM;
	}
	t->nr++;
	return 0;
}

int cs_table_copy(struct cs_table *dst, const struct cs_table *src)
{
	unsigned int i;
	int r;

	for (i = 0; i < src->nr; i++) {
		const struct cs_target *tg = &src->targets[i];

		r = cs_table_add(dst, tg->start, tg->length, tg->type,
				 tg->params);
		if (r) {
			cs_table_free(dst);
			return r;
		}
	}
	return 0;
}

void cs_table_free(struct cs_table *t)
{
	unsigned int i;

	for (i = 0; i < t->nr; i++) {
		free(t->targets[i].type);
		free(t->targets[i].params);
	}
	free(t->targets);
	t->targets = NULL;
	t->nr = 0;
}

uint64_t cs_table_size(const struct cs_table *t)
{
	const struct cs_target *last;

	if (!t->nr)
		return 0;
	last = &t->targets[t->nr - 1];
	return last->start + last->length;
}

int cs_table_find(const struct cs_table *t, const char *type)
{
	unsigned int i;

	for (i = 0; i < t->nr; i++)
		if (!strcmp(t->targets[i].type, type))
			return (int)i;
	return -ENOENT;
}

bool cs_table_is(const struct cs_table *t, const char *type)
{
	return t->nr == 1 && !strcmp(t->targets[0].type, type);
}
