// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: the blkfilter layer of a volume.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/dm-blkfilter.h>

#include "filter.h"
#include "stack.h"

int cs_filter_params(const struct cs_filter_opts *opts, char *buf,
		     size_t size)
{
	char ring[48] = "", uevent[48] = "";
	unsigned int nr = 0;
	int n;

	if (opts->ring_size) {
		if (!cs_is_power_of_2(opts->ring_size) ||
		    opts->ring_size < BLKFILTER_RING_MIN ||
		    opts->ring_size > BLKFILTER_RING_MAX)
			return cs_error_set(-EINVAL, NULL,
					    "ring size %u is not a power of two within %u..%u",
					    opts->ring_size, BLKFILTER_RING_MIN,
					    BLKFILTER_RING_MAX);
		snprintf(ring, sizeof(ring), " ring_size %u", opts->ring_size);
		nr += 2;
	}
	if (opts->uevent_ms >= 0) {
		if (opts->uevent_ms > BLKFILTER_UEVENT_MS_MAX)
			return cs_error_set(-EINVAL, NULL,
					    "uevent interval %d ms is above %u",
					    opts->uevent_ms,
					    BLKFILTER_UEVENT_MS_MAX);
		snprintf(uevent, sizeof(uevent), " uevent_ms %d",
			 opts->uevent_ms);
		nr += 2;
	}
	if (nr)
		n = snprintf(buf, size, "%u%s%s", nr, ring, uevent);
	else
		n = snprintf(buf, size, "%s", "");
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int cs_filter_attach(const char *name, const struct cs_filter_opts *opts)
{
	const struct cs_filter_opts defaults = CS_FILTER_OPTS_INIT;
	struct cs_volume *vol;
	char params[128], why[sizeof(cs_last_error()->why)];
	int r;

	r = cs_filter_params(opts ? opts : &defaults, params, sizeof(params));
	if (r) {
		snprintf(why, sizeof(why), "%s", cs_last_error()->err == r ?
			 cs_last_error()->why : strerror(-r));
		return cs_error_set(r, name, "%s", why);
	}
	r = cs_volume_open(name, &vol);
	if (r)
		return r;
	r = cs_volume_find_target(vol, BLKFILTER_TARGET_NAME);
	if (r >= 0) {
		r = cs_error_set(-EEXIST, name, "filter already attached (%s)",
				 vol->layers[r].info.name);
		goto out;
	}
	r = cs_stack_push(vol, CS_LAYER_REAL, BLKFILTER_TARGET_NAME, params);
out:
	cs_volume_free(vol);
	return r;
}

int cs_filter_detach(const char *name)
{
	struct cs_volume *vol;
	int r;

	r = cs_volume_open(name, &vol);
	if (r)
		return r;
	r = cs_volume_find_target(vol, BLKFILTER_TARGET_NAME);
	if (r < 0) {
		r = cs_error_set(-ENOTCONN, name, "no filter attached");
		goto out;
	}
	if (!cs_table_is(&vol->layers[r].table, BLKFILTER_TARGET_NAME) ||
	    (unsigned int)r + 1 >= vol->nr_layers) {
		r = cs_error_set(-EBUSY, vol->layers[r].info.name,
				 "table is not a single blkfilter target over a layer of %s; not touching it",
				 name);
		goto out;
	}
	r = cs_stack_remove(vol, (unsigned int)r);
out:
	cs_volume_free(vol);
	return r;
}

int cs_filter_device(const char *name, struct cs_dm_info *info)
{
	struct cs_volume *vol;
	int r;

	r = cs_volume_open(name, &vol);
	if (r)
		return r;
	r = cs_volume_find_target(vol, BLKFILTER_TARGET_NAME);
	if (r < 0) {
		r = cs_error_set(-ENOTCONN, name, "no filter attached");
	} else {
		*info = vol->layers[r].info;
		r = 0;
	}
	cs_volume_free(vol);
	return r;
}
