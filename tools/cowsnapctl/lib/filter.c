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

static const struct cs_layer_type filter_layer = {
	.layer = CS_LAYER_REAL, .target = BLKFILTER_TARGET_NAME,
	.present = "filter already attached", .absent = "no filter attached",
};

/* The parameters, built before the volume was read. */
static int copy_params(const struct cs_volume *vol, const void *arg,
		       char *buf, size_t size)
{
	(void)vol;
	snprintf(buf, size, "%s", (const char *)arg);
	return 0;
}

int cs_filter_attach(const char *name, const struct cs_filter_opts *opts)
{
	const struct cs_filter_opts defaults = CS_FILTER_OPTS_INIT;
	char params[128], why[sizeof(cs_last_error()->why)];
	int r;

	r = cs_filter_params(opts ? opts : &defaults, params, sizeof(params));
	if (r) {
		snprintf(why, sizeof(why), "%s", cs_last_error()->err == r ?
			 cs_last_error()->why : strerror(-r));
		return cs_error_set(r, name, "%s", why);
	}
	return cs_layer_enable(name, &filter_layer, copy_params, params);
}

int cs_filter_detach(const char *name)
{
	return cs_layer_disable(name, &filter_layer);
}

int cs_filter_device(const char *name, struct cs_dm_info *info)
{
	return cs_layer_find(name, &filter_layer, info);
}
