// SPDX-License-Identifier: GPL-2.0
/*
 * libdevmapper for the fuzz: reading back an inactive table, listing the
 * devices.  No udev cookies: nothing here makes a uevent.
 */
#include <errno.h>
#include <libdevmapper.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm.h"
#include "fuzz-dm.h"

int fz_dm_inactive(const char *name, bool status, struct fz_target *t)
{
	struct dm_task *dmt;
	uint64_t start, len;
	char *type = NULL, *params = NULL;
	struct dm_info info;
	void *next;
	int r = -ENOENT;

	dmt = dm_task_create(status ? DM_DEVICE_STATUS : DM_DEVICE_TABLE);
	if (!dmt)
		return -ENOMEM;
	if (!dm_task_set_name(dmt, name) ||
	    !dm_task_query_inactive_table(dmt)) {
		r = -ENOMEM;
		goto out;
	}
	if (!dm_task_run(dmt)) {
		r = dm_task_get_errno(dmt) ? -dm_task_get_errno(dmt) : -EIO;
		goto out;
	}
	if (!dm_task_get_info(dmt, &info) || !info.exists ||
	    !info.inactive_table)
		goto out;
	next = dm_get_next_target(dmt, NULL, &start, &len, &type, &params);
	if (next || !type)
		goto out;
	t->start = start;
	t->len = len;
	snprintf(t->type, sizeof(t->type), "%s", type);
	snprintf(t->params, sizeof(t->params), "%s", params ? params : "");
	r = 0;
out:
	dm_task_destroy(dmt);
	return r;
}

char *fz_dm_names(void)
{
	char **names = NULL, *s;
	size_t len = 1;
	int n, i;

	n = cs_dm_list(&names);
	for (i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	s = calloc(1, len);
	for (i = 0; s && i < n; i++) {
		strcat(s, names[i]);
		strcat(s, " ");
	}
	cs_strv_free(names);
	return s;
}
