// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl: filter attach, filter detach.
 */
#include "cowsnapctl.h"

static int do_attach(struct ctl *ctl)
{
	int r;

	r = cs_filter_attach(ctl->args[0], &ctl->filter);
	if (!r)
		cs_log(1, "%s: filter attached", ctl->args[0]);
	return r;
}

static int do_detach(struct ctl *ctl)
{
	int r;

	r = cs_filter_detach(ctl->args[0]);
	if (!r)
		cs_log(1, "%s: filter detached", ctl->args[0]);
	return r;
}

static const struct command cmd_filter_attach = {
	.name = "attach", .fn = do_attach, .min_args = 1, .max_args = 1,
	.options = OPT_RING_SIZE | OPT_UEVENT_MS, .usage = "NAME",
	.help = "Attach the I/O error filter to NAME.",
};

static const struct command cmd_filter_detach = {
	.name = "detach", .fn = do_detach, .min_args = 1, .max_args = 1,
	.usage = "NAME",
	.help = "Detach the I/O error filter from NAME.",
};

static const struct command *const filter_verbs[] = {
	&cmd_filter_attach, &cmd_filter_detach, NULL,
};

const struct command cmd_filter = {
	.name = "filter", .sub = filter_verbs,
	.help = "Attach or detach the blkfilter layer, which reports failed I/O.",
};
