// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl: cbt changes, cbt map: reading the frozen copy of a tracker.
 *
 * changes lists the ranges of blocks changed after a checkpoint, in
 * blocks and in bytes of the volume; map reads the whole frozen map, one
 * byte per block, into a file or a histogram.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/dm-cbt.h>

#include "cowsnapctl.h"

/* ------------------------------------------------------------------------
 * changes
 * ---------------------------------------------------------------------- */

static void changes_json(const struct cs_cbt_info *info, unsigned int since,
			 const struct cs_cbt_ranges *rs)
{
	uint64_t offset, length, blocks = 0, bytes = 0;
	struct cs_json j;
	size_t i;

	cs_json_init(&j, stdout, CS_JSON_PRETTY);
	cs_json_begin_object(&j, NULL);
	cs_json_u64(&j, "frozen", info->frozen);
	cs_json_string(&j, "generation", info->frozen_generation);
	cs_json_u64(&j, "block_size", info->block_size);
	cs_json_u64(&j, "since", since);
	cs_json_begin_array(&j, "ranges");
	for (i = 0; i < rs->nr; i++) {
		cs_cbt_range_bytes(&rs->r[i], info->block_size, info->capacity,
				   &offset, &length);
		cs_json_begin_object(&j, NULL);
		cs_json_u64(&j, "start_block", rs->r[i].start);
		cs_json_u64(&j, "blocks", rs->r[i].blocks);
		cs_json_u64(&j, "offset", offset);
		cs_json_u64(&j, "length", length);
		cs_json_end_object(&j);
		blocks += rs->r[i].blocks;
		bytes += length;
	}
	cs_json_end_array(&j);
	cs_json_u64(&j, "total_blocks", blocks);
	cs_json_u64(&j, "total_bytes", bytes);
	cs_json_end_object(&j);
	cs_json_finish(&j);
}

static int changes_human(const struct cs_cbt_info *info, unsigned int since,
			 const struct cs_cbt_ranges *rs)
{
	static const char *const heads[] = {
		"START_BYTE", "LENGTH_BYTES", "START_BLOCK", "BLOCKS",
	};
	char cell[4][24];
	const char *const row[] = { cell[0], cell[1], cell[2], cell[3] };
	uint64_t offset, length, blocks = 0, bytes = 0;
	struct cs_columns c;
	size_t i;
	int r;

	r = cs_columns_init(&c, 4, heads, 0xf);
	for (i = 0; i < rs->nr && !r; i++) {
		cs_cbt_range_bytes(&rs->r[i], info->block_size, info->capacity,
				   &offset, &length);
		snprintf(cell[0], sizeof(cell[0]), "%" PRIu64, offset);
		snprintf(cell[1], sizeof(cell[1]), "%" PRIu64, length);
		snprintf(cell[2], sizeof(cell[2]), "%" PRIu64, rs->r[i].start);
		snprintf(cell[3], sizeof(cell[3]), "%" PRIu64, rs->r[i].blocks);
		r = cs_columns_add(&c, row);
		blocks += rs->r[i].blocks;
		bytes += length;
	}
	if (!r && rs->nr)
		cs_columns_print(&c, stdout);
	cs_columns_free(&c);
	if (!r)
		printf("total: %zu ranges, %" PRIu64 " blocks, %" PRIu64
		       " bytes changed after %u up to frozen %u (generation %s, blocks of %" PRIu32 " bytes)\n",
		       rs->nr, blocks, bytes, since, info->frozen,
		       info->frozen_generation, info->block_size);
	return r;
}

static int do_changes(struct ctl *ctl)
{
	struct cs_cbt_ranges rs;
	struct cs_cbt_info info;
	struct cs_cbt cbt;
	int r;

	if (ctl->since > CBT_CHANGE_MAX)
		return ctl_usage_error(ctl,
				       "invalid value '%" PRIu64 "' for --since: a change number, 0..%d",
				       ctl->since, CBT_CHANGE_MAX);
	r = cs_cbt_open(ctl->args[0], &cbt);
	if (!r)
		r = cs_cbt_changes(&cbt, (unsigned int)ctl->since, &info, &rs);
	if (r)
		return r;
	if (ctl->json)
		changes_json(&info, (unsigned int)ctl->since, &rs);
	else
		r = changes_human(&info, (unsigned int)ctl->since, &rs);
	cs_cbt_ranges_free(&rs);
	return r;
}

/* ------------------------------------------------------------------------
 * map
 * ---------------------------------------------------------------------- */

/**
 * struct map_sink - where the pages of the map go
 * @hist: blocks per change number
 * @total: blocks received
 * @fd: the temporary output file, or -1
 * @tmp: its name
 */
struct map_sink {
	uint64_t hist[CBT_CHANGE_MAX + 1];
	uint64_t total;
	int fd;
	char tmp[4096];
};

static int map_page_cb(void *priv, uint64_t offset, const uint8_t *bytes,
		       uint64_t nr)
{
	struct map_sink *s = priv;
	uint64_t i, done = 0;
	ssize_t n;

	(void)offset;
	for (i = 0; i < nr; i++)
		s->hist[bytes[i]]++;
	s->total += nr;
	while (s->fd >= 0 && done < nr) {
		n = write(s->fd, bytes + done, nr - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return cs_error_set(n ? -errno : -EIO, s->tmp,
					    "cannot write: %s",
					    strerror(n ? errno : EIO));
		done += (uint64_t)n;
	}
	return 0;
}

/* A new file next to @path, renamed over it once complete. */
static int output_open(const char *path, struct map_sink *s)
{
	struct stat st;
	mode_t mask;

	if (!stat(path, &st) && !S_ISREG(st.st_mode))
		return cs_error_set(-EEXIST, path,
				    "exists and is not a regular file; not writing to it");
	snprintf(s->tmp, sizeof(s->tmp), "%s.XXXXXX", path);
	s->fd = mkostemp(s->tmp, O_CLOEXEC);
	if (s->fd < 0)
		return cs_error_set(-errno, path, "cannot create %s: %s", s->tmp,
				    strerror(errno));
	mask = umask(0);
	umask(mask);
	(void)fchmod(s->fd, 0666 & ~mask);
	return 0;
}

static int output_finish(struct map_sink *s, const char *path, int r)
{
	if (!r && fsync(s->fd))
		r = cs_error_set(-errno, s->tmp, "cannot sync: %s",
				 strerror(errno));
	if (close(s->fd) && !r)
		r = cs_error_set(-errno, s->tmp, "cannot write: %s",
				 strerror(errno));
	if (!r && rename(s->tmp, path))
		r = cs_error_set(-errno, path, "cannot rename %s to it: %s",
				 s->tmp, strerror(errno));
	if (r)
		unlink(s->tmp);
	return r;
}

static void map_json(const struct cs_cbt_info *info, const struct map_sink *s,
		     const char *output)
{
	struct cs_json j;
	unsigned int v;

	cs_json_init(&j, stdout, CS_JSON_PRETTY);
	cs_json_begin_object(&j, NULL);
	cs_json_u64(&j, "frozen", info->frozen);
	cs_json_string(&j, "generation", info->frozen_generation);
	cs_json_u64(&j, "block_size", info->block_size);
	cs_json_u64(&j, "blocks", s->total);
	cs_json_u64(&j, "unchanged", s->hist[0]);
	cs_json_begin_array(&j, "changed");
	for (v = 1; v <= CBT_CHANGE_MAX; v++) {
		if (!s->hist[v])
			continue;
		cs_json_begin_object(&j, NULL);
		cs_json_u64(&j, "change", v);
		cs_json_u64(&j, "blocks", s->hist[v]);
		cs_json_end_object(&j);
	}
	cs_json_end_array(&j);
	cs_json_string(&j, "output", output);
	cs_json_end_object(&j);
	cs_json_finish(&j);
}

static void map_human(const struct cs_cbt_info *info, const struct map_sink *s)
{
	unsigned int v;

	printf("frozen %u of generation %s: %" PRIu64 " blocks of %" PRIu32
	       " bytes\n", info->frozen, info->frozen_generation, s->total,
	       info->block_size);
	for (v = 1; v <= CBT_CHANGE_MAX; v++)
		if (s->hist[v])
			printf("  changed in %u: %" PRIu64 " blocks\n", v,
			       s->hist[v]);
	printf("  unchanged: %" PRIu64 " blocks\n", s->hist[0]);
}

static int do_map(struct ctl *ctl)
{
	struct map_sink *s;
	struct cs_cbt_info info;
	struct cs_cbt cbt;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = -1;
	r = cs_cbt_open(ctl->args[0], &cbt);
	if (!r && ctl->output)
		r = output_open(ctl->output, s);
	if (!r)
		r = cs_cbt_read_map(&cbt, 0, &info, map_page_cb, s);
	if (!r && s->total != info.frozen_blocks)
		r = cs_error_set(-EIO, cbt.dev, "read %" PRIu64 " of %" PRIu64
				 " blocks", s->total, info.frozen_blocks);
	if (s->fd >= 0)
		r = output_finish(s, ctl->output, r);
	if (!r && ctl->output)
		cs_log(1, "%s: wrote %" PRIu64 " bytes", ctl->output, s->total);
	if (!r && ctl->json)
		map_json(&info, s, ctl->output);
	else if (!r && !ctl->output)
		map_human(&info, s);
	free(s);
	return r;
}

const struct command cmd_cbt_changes = {
	.name = "changes", .fn = do_changes, .min_args = 1, .max_args = 1,
	.options = OPT_SINCE | OPT_JSON, .usage = "NAME",
	.help = "List the ranges changed after a checkpoint.",
};

const struct command cmd_cbt_map = {
	.name = "map", .fn = do_map, .min_args = 1, .max_args = 1,
	.options = OPT_OUTPUT | OPT_JSON, .usage = "NAME",
	.help = "Read the frozen change map of NAME.",
};
