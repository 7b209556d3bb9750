// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl: the options of every command, their parser and their help.
 *
 * One table describes every option; a command lists the ones it takes in
 * struct command.options.  The parser recognises them all everywhere, so
 * that an option given to the wrong command gets a precise message.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include <linux/dm-blkfilter.h>
#include <linux/dm-cbt.h>

#include "cowsnapctl.h"

static const struct opt_desc {
	unsigned int bit;
	const char *name;
	int short_name;
	const char *arg;
	const char *help;
} opt_descs[] = {
	{ OPT_HELP, "help", 'h', NULL, "show this help and exit" },
	{ OPT_VERSION, "version", 'V', NULL, "show the version and exit" },
	{ OPT_VERBOSE, "verbose", 'v', NULL,
	  "tell each step on stderr (twice: libdevmapper's log too)" },
	{ OPT_JSON, "json", 'j', NULL, "print JSON (keys in cowsnapctl(8))" },
	{ OPT_RING_SIZE, "ring-size", 0, "N",
	  "event records kept: a power of two, 16..65536 (default 1024)" },
	{ OPT_UEVENT_MS, "uevent-ms", 0, "MS",
	  "at most one uevent per MS milliseconds, 0..60000 (default 1000)" },
	{ OPT_SINCE, "since", 0, "N",
	  "after N: a sequence number; for cbt changes a checkpoint number" },
	{ OPT_FOLLOW, "follow", 'f', NULL,
	  "then wait for new records until interrupted" },
	{ OPT_COUNT, "count", 0, "N", "exit after printing N records" },
	{ OPT_TIMEOUT, "timeout", 0, "SECS",
	  "stop waiting after SECS seconds (events: with --follow)" },
	{ OPT_NO_UEVENT, "no-uevent", 0, NULL,
	  "with --follow: wait with DM_DEV_WAIT instead of uevents" },
	{ OPT_BLOCK_SIZE, "block-size", 0, "BYTES",
	  "tracking block size: a power of two, 4096..1073741824 (default: the target's)" },
	{ OPT_OUTPUT, "output", 'o', "FILE",
	  "write the raw map to FILE, one byte per block" },
	{ OPT_STORE, "store", 0, "PATH",
	  "the store: a block device, a file, or a directory for unnamed files" },
	{ OPT_STORE_SIZE, "store-size", 0, "SIZE",
	  "store size, suffix K, M, G or T (default: 10% of the volumes, at least 64M)" },
	{ OPT_STORE_LIMIT, "store-limit", 0, "SIZE",
	  "let a monitor grow the store when it runs low, up to SIZE (default: never)" },
	{ OPT_CHUNK_SIZE, "chunk-size", 0, "SIZE",
	  "copy-on-write unit: a power of two, 4K..16M (default 64K, more over 1T)" },
	{ OPT_NAME, "name", 0, "ID",
	  "set ID: 1 to 64 of A-Z a-z 0-9 _ -, not starting with - (default: random)" },
	{ OPT_FORCE, "force", 0, NULL,
	  "snapshot destroy: also when an image is open (it fails all I/O and goes once closed); restore: overwrite a non-empty file" },
	{ OPT_AFTER, "after", 0, "SEQ",
	  "wait for a record after SEQ (default: the newest one at the start)" },
	{ OPT_SIZE, "size", 0, "SIZE",
	  "space to add, suffix K, M, G or T (default: as --store-size)" },
	{ OPT_TO, "to", 0, "PATH",
	  "backup: the backup directory; restore: the device or file to write" },
	{ OPT_FROM, "from", 0, "DIR", "the backup directory to restore from" },
	{ OPT_AT, "at", 0, "POINT",
	  "a backup point: its name, its number, or latest (the default)" },
	{ OPT_FULL, "full", 0, NULL, "copy every volume whole" },
	{ OPT_INCREMENTAL, "incremental", 0, NULL,
	  "copy only the changes since the last backup; say why where it cannot" },
	{ OPT_VOLUME, "volume", 0, "NAME",
	  "the volume to restore, when the backup holds several" },
};
#define NR_OPTS	(sizeof(opt_descs) / sizeof(opt_descs[0]))

/* ------------------------------------------------------------------------
 * Help
 * ---------------------------------------------------------------------- */

void ctl_print_options(unsigned int mask)
{
	char left[40];
	size_t i;

	printf("\nOptions:\n");
	for (i = 0; i < NR_OPTS; i++) {
		const struct opt_desc *o = &opt_descs[i];

		if (!(mask & o->bit))
			continue;
		snprintf(left, sizeof(left), "%c%c%c --%s%s%s",
			 o->short_name ? '-' : ' ',
			 o->short_name ? o->short_name : ' ',
			 o->short_name ? ',' : ' ', o->name,
			 o->arg ? " " : "", o->arg ? o->arg : "");
		printf("  %-22s %s\n", left, o->help);
	}
}

/* ------------------------------------------------------------------------
 * Option parsing
 * ---------------------------------------------------------------------- */

/* A size in bytes, not 0. */
static int parse_size(const char *arg, uint64_t *bytes)
{
	int r = cs_parse_size(arg, bytes);

	return !r && !*bytes ? -ERANGE : r;
}

static int parse_snapshot_value(struct ctl *ctl, unsigned int bit,
				const char *arg)
{
	uint64_t v = 0;
	int r = 0;

	switch (bit) {
	case OPT_STORE:
		ctl->store = arg;
		return *arg ? 0 : -EINVAL;
	case OPT_STORE_SIZE:
		return parse_size(arg, &ctl->store_size);
	case OPT_STORE_LIMIT:
		return parse_size(arg, &ctl->store_limit);
	case OPT_SIZE:
		return parse_size(arg, &ctl->size);
	case OPT_CHUNK_SIZE:
		r = cs_parse_size(arg, &v);
		if (!r && !cs_snap_chunk_valid(v))
			r = -EINVAL;
		ctl->chunk_size = (uint32_t)v;
		return r;
	case OPT_NAME:
		ctl->name = arg;
		return cs_snap_id_check(arg);
	case OPT_AFTER:
		ctl->has_after = true;
		return cs_parse_u64(arg, &ctl->after);
	case OPT_TO:
		ctl->to = arg;
		return *arg ? 0 : -EINVAL;
	case OPT_FROM:
		ctl->from = arg;
		return *arg ? 0 : -EINVAL;
	case OPT_AT:
		ctl->at = arg;
		return *arg ? 0 : -EINVAL;
	case OPT_VOLUME:
		ctl->volume = arg;
		return cs_volume_name_check(arg);
	}
	return 0;
}

static int parse_value(struct ctl *ctl, const struct opt_desc *o,
		       const char *arg)
{
	unsigned int v;
	int r = 0;

	switch (o->bit) {
	case OPT_RING_SIZE:
		r = cs_parse_uint(arg, BLKFILTER_RING_MIN, BLKFILTER_RING_MAX, &v);
		if (!r && !cs_is_power_of_2(v))
			r = -EINVAL;
		ctl->filter.ring_size = v;
		break;
	case OPT_UEVENT_MS:
		r = cs_parse_uint(arg, 0, BLKFILTER_UEVENT_MS_MAX, &v);
		ctl->filter.uevent_ms = (int)v;
		break;
	case OPT_SINCE:
		r = cs_parse_u64(arg, &ctl->since);
		break;
	case OPT_COUNT:
		r = cs_parse_u64(arg, &ctl->count);
		if (!r && !ctl->count)
			r = -ERANGE;
		break;
	case OPT_TIMEOUT:
		r = cs_parse_uint(arg, 1, 31 * 24 * 3600, &ctl->timeout);
		break;
	case OPT_BLOCK_SIZE:
		r = cs_parse_uint(arg, CBT_BLOCK_MIN, CBT_BLOCK_MAX,
				  &ctl->block_size);
		if (!r && !cs_is_power_of_2(ctl->block_size))
			r = -EINVAL;
		break;
	case OPT_OUTPUT:
		ctl->output = arg;
		r = *arg ? 0 : -EINVAL;
		break;
	default:
		r = parse_snapshot_value(ctl, o->bit, arg);
		break;
	}
	if (r)
		return ctl_usage_error(ctl, "invalid value '%s' for --%s: %s",
				       arg, o->name, o->help);
	return 0;
}

static void set_flag(struct ctl *ctl, unsigned int bit)
{
	if (bit == OPT_VERBOSE)
		ctl->verbose++;
	else if (bit == OPT_JSON)
		ctl->json = true;
	else if (bit == OPT_FOLLOW)
		ctl->follow = true;
	else if (bit == OPT_NO_UEVENT)
		ctl->no_uevent = true;
	else if (bit == OPT_FORCE)
		ctl->force = true;
	else if (bit == OPT_FULL)
		ctl->full = true;
	else if (bit == OPT_INCREMENTAL)
		ctl->incremental = true;
}

int ctl_parse_options(struct ctl *ctl, int argc, char **argv,
			 unsigned int mask, bool global)
{
	struct option longopts[NR_OPTS + 1] = { { 0 } };
	char shortopts[2 * NR_OPTS + 3], *s = shortopts;
	const struct opt_desc *o;
	unsigned int seen = 0;
	int c, i, r;

	*s++ = global ? '+' : '-';
	*s++ = ':';
	for (i = 0; i < (int)NR_OPTS; i++) {
		o = &opt_descs[i];
		longopts[i] = (struct option){ o->name,
			o->arg ? required_argument : no_argument, NULL,
			o->short_name ? o->short_name : 256 + i };
		if (o->short_name) {
			*s++ = (char)o->short_name;
			if (o->arg)
				*s++ = ':';
		}
	}
	*s = '\0';
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == 1) {		/* a positional argument, in order */
			ctl->args[ctl->nr_args++] = optarg;
			continue;
		}
		if (c == '?' || c == ':') {
			char bad[3] = { '-', (char)optopt, '\0' };

			return ctl_usage_error(ctl, c == ':' ?
					       "option '%s' needs a value" :
					       "unknown option '%s'",
					       optopt > 0 && optopt < 256 ?
					       bad : argv[optind - 1]);
		}
		for (i = 0; i < (int)NR_OPTS; i++)
			if (c == opt_descs[i].short_name || c == 256 + i)
				break;
		o = &opt_descs[i];
		if (!(mask & o->bit))
			return ctl_usage_error(ctl, "option '--%s' %s", o->name,
					       global ? "goes after the command" :
					       "does not apply here");
		seen |= o->bit;
		set_flag(ctl, o->bit);
		if (o->arg) {
			r = parse_value(ctl, o, optarg);
			if (r)
				return r;
		}
	}
	return (int)seen;
}
