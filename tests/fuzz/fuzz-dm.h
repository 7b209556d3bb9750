/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libdevmapper calls the fuzz needs beyond tools/cowsnapctl/lib/dm.c: the
 * inactive table of a device, read back, and a count of dm devices.
 */
#ifndef FUZZ_DM_H
#define FUZZ_DM_H

#include <stdbool.h>
#include <stdint.h>

/* One target of a table as read back. */
struct fz_target {
	uint64_t start, len;
	char type[32];
	char params[1024];
};

/*
 * The inactive table of @name, its TABLE (@status false) or INFO (@status
 * true) form; only a table of exactly one target is returned.  Returns 0,
 * -ENOENT when there is no inactive table or more than one target, or
 * -errno of the ioctl.
 */
int fz_dm_inactive(const char *name, bool status, struct fz_target *t);

/* The names of all dm devices, in the kernel's order, each followed by a space; free it. */
char *fz_dm_names(void);

#endif /* FUZZ_DM_H */
