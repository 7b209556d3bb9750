/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Table-line parsing shared by the cowsnap targets: the device beneath and
 * the optional keyword/value group
 *
 *   <dev> ... [<#opt_args> <keyword> <value> ...]
 *
 * Errors are set in *error for ti->error; nothing here logs.
 */
#ifndef COWSNAP_ARGS_H
#define COWSNAP_ARGS_H

#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/kstrtox.h>
#include <linux/string.h>

/*
 * cowsnap_get_dev - open the device beneath, the next argument, and check
 * it holds the whole target.  May sleep.  Returns 0 or -errno.
 */
static inline int cowsnap_get_dev(struct dm_target *ti, struct dm_arg_set *as,
				  struct dm_dev **dev, char **error)
{
	int r;

	r = dm_get_device(ti, dm_shift_arg(as), dm_table_get_mode(ti->table),
			  dev);
	if (r) {
		*error = "Cannot open the device beneath";
		return r;
	}
	if (ti->len > bdev_nr_sectors((*dev)->bdev)) {
		*error = "Device beneath is smaller than the target";
		dm_put_device(ti, *dev);
		return -EINVAL;
	}
	return 0;
}

/**
 * struct cowsnap_opt - one optional keyword
 * @key: the keyword (matched without case)
 * @parse: reads the value (the next argument) into @ctx
 */
struct cowsnap_opt {
	const char *key;
	int (*parse)(struct dm_arg_set *as, void *ctx, char **error);
};

/*
 * cowsnap_parse_opts - the optional group, at most @max_words words, each
 * keyword one of @opts[@nr]; then nothing may follow.  Returns 0 or -EINVAL.
 *
 * The count is read with kstrtouint(), not dm_read_arg_group(): its
 * sscanf("%u") wraps, so that "4294967296" would count 0 words.
 */
static inline int cowsnap_parse_opts(struct dm_arg_set *as,
				     unsigned int max_words,
				     const struct cowsnap_opt *opts,
				     unsigned int nr, void *ctx, char **error)
{
	unsigned int argc, i;
	const char *key;
	int r;

	if (!as->argc)
		return 0;
	if (kstrtouint(dm_shift_arg(as), 10, &argc) || argc > max_words ||
	    argc > as->argc) {
		*error = "Invalid number of optional arguments";
		return -EINVAL;
	}
	if (argc % 2) {
		*error = "Optional arguments come in keyword/value pairs";
		return -EINVAL;
	}
	for (; argc; argc -= 2) {
		key = dm_shift_arg(as);
		for (i = 0; i < nr && strcasecmp(key, opts[i].key); i++)
			;
		if (i == nr) {
			*error = "Unknown optional argument";
			return -EINVAL;
		}
		r = opts[i].parse(as, ctx, error);
		if (r)
			return r;
	}
	if (as->argc) {
		*error = "Too many arguments";
		return -EINVAL;
	}
	return 0;
}

#endif /* COWSNAP_ARGS_H */
