// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: the cbt layer of a volume and the messages to its tracker
 * (see cbt.h).
 *
 * Reading the frozen copy takes several messages: "info" first (the frozen
 * number and block count), then pages of "changes" or "map", then "info"
 * again.  Each page names the frozen number it comes from; if that or the
 * second "info" differs, a checkpoint was taken in between and the result
 * is refused (-EAGAIN) rather than mixed from two frozen copies.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/dm-cbt.h>

#include "cbt.h"
#include "stack.h"

/* ------------------------------------------------------------------------
 * The layer
 * ---------------------------------------------------------------------- */

static const struct cs_layer_type cbt_layer = {
	.layer = CS_LAYER_CBT, .target = CBT_TARGET_NAME,
	.present = "cbt already enabled", .absent = "cbt is not enabled",
};

/* The volume uuid is the tracker id: stable, so every reload finds the
 * same tracker. */
static int cbt_params(const struct cs_volume *vol, const void *arg,
		      char *buf, size_t size)
{
	return cs_cbt_table_params(vol->vuuid, *(const uint32_t *)arg, buf,
				   size);
}

int cs_cbt_enable(const char *name, uint32_t block_size)
{
	return cs_layer_enable(name, &cbt_layer, cbt_params, &block_size);
}

int cs_cbt_disable(const char *name)
{
	return cs_layer_disable(name, &cbt_layer);
}

int cs_cbt_open(const char *name, struct cs_cbt *cbt)
{
	struct cs_dm_info info;
	int r;

	memset(cbt, 0, sizeof(*cbt));
	r = cs_layer_find(name, &cbt_layer, &info);
	if (!r)
		snprintf(cbt->dev, sizeof(cbt->dev), "%s", info.name);
	return r;
}

/* ------------------------------------------------------------------------
 * Messages
 * ---------------------------------------------------------------------- */

static int send_msg(const struct cs_cbt *cbt, const char *msg, char **answer)
{
	int r;

	*answer = NULL;
	cs_log(2, "%s: message \"%s\"", cbt->dev, msg);
	if (cbt->send)
		r = cbt->send(cbt->priv, cbt->dev, msg, answer);
	else
		r = cs_dm_message(cbt->dev, msg, answer);
	if (!r)
		return 0;
	free(*answer);
	*answer = NULL;
	return cs_error_set(r, cbt->dev, "message \"%.60s%s\" failed: %s%s",
			    msg, strlen(msg) > 60 ? "..." : "", strerror(-r),
			    r == -EINVAL ? " (see dmesg)" : "");
}

/* Record a parser's failure, showing the start of the answer on one line. */
static int bad_answer(const struct cs_cbt *cbt, int r, const char *msg,
		      const char *answer)
{
	char shown[64];
	size_t i;

	if (r != -EINVAL)
		return cs_error_set(r, cbt->dev, "%s", strerror(-r));
	for (i = 0; answer[i] && i < sizeof(shown) - 1; i++)
		shown[i] = answer[i] == '\n' ? '|' : answer[i];
	shown[i] = '\0';
	return cs_error_set(r, cbt->dev, "malformed answer to \"%s\": \"%s%s\"",
			    msg, shown, answer[i] ? "..." : "");
}

int cs_cbt_get_info(const struct cs_cbt *cbt, struct cs_cbt_info *info)
{
	char *answer;
	int r;

	r = send_msg(cbt, CBT_MSG_INFO, &answer);
	if (r)
		return r;
	r = cs_cbt_info_parse(answer, info);
	if (r)
		bad_answer(cbt, r, CBT_MSG_INFO, answer);
	free(answer);
	return r;
}

int cs_cbt_checkpoint(const struct cs_cbt *cbt, struct cs_cbt_checkpoint *cp)
{
	char *answer;
	int r;

	r = send_msg(cbt, CBT_MSG_CHECKPOINT, &answer);
	if (r)
		return r;
	r = cs_cbt_checkpoint_parse(answer, cp);
	if (r)
		bad_answer(cbt, r, CBT_MSG_CHECKPOINT, answer);
	free(answer);
	return r;
}

int cs_cbt_mark_dirty(const struct cs_cbt *cbt, const struct cs_cbt_extent *e,
		      size_t nr)
{
	char msg[CBT_MARK_RANGES_MAX * 42 + 16], *answer;
	size_t n;
	int r;

	for (; nr; e += n, nr -= n) {
		n = nr < CBT_MARK_RANGES_MAX ? nr : CBT_MARK_RANGES_MAX;
		r = cs_cbt_mark_message(e, n, msg, sizeof(msg));
		if (r)
			return cs_error_set(r, cbt->dev, "%s", strerror(-r));
		r = send_msg(cbt, msg, &answer);
		free(answer);
		if (r)
			return r;
	}
	return 0;
}

int cs_cbt_events_read(const struct cs_cbt *cbt, uint64_t after_seq,
		       struct cs_cbt_events_page *page)
{
	char msg[48], *answer;
	int r;

	snprintf(msg, sizeof(msg), "%s %" PRIu64, CBT_MSG_EVENTS, after_seq);
	r = send_msg(cbt, msg, &answer);
	if (r)
		return r;
	r = cs_cbt_events_parse(answer, after_seq, page);
	if (r)
		bad_answer(cbt, r, msg, answer);
	free(answer);
	return r;
}

/* ------------------------------------------------------------------------
 * Reading the frozen copy
 * ---------------------------------------------------------------------- */

static int check_readable(const struct cs_cbt *cbt,
			  const struct cs_cbt_info *info)
{
	if (info->lost)
		return cs_error_set(-ENODATA, cbt->dev,
				    "tracking was lost; the next checkpoint starts a new generation (take a full backup)");
	if (!info->frozen)
		return cs_error_set(-ENODATA, cbt->dev,
				    "no frozen copy; take a checkpoint first");
	return 0;
}

static int frozen_changed(const struct cs_cbt *cbt)
{
	return cs_error_set(-EAGAIN, cbt->dev,
			    "a checkpoint was taken while reading the frozen copy; run again");
}

/* After the last page: is the frozen copy still the one of @before? */
static int check_unchanged(const struct cs_cbt *cbt,
			   const struct cs_cbt_info *before)
{
	struct cs_cbt_info now;
	int r;

	r = cs_cbt_get_info(cbt, &now);
	if (r)
		return r;
	if (now.frozen != before->frozen ||
	    now.frozen_blocks != before->frozen_blocks ||
	    strcmp(now.frozen_generation, before->frozen_generation))
		return frozen_changed(cbt);
	return 0;
}

void cs_cbt_ranges_free(struct cs_cbt_ranges *rs)
{
	free(rs->r);
	memset(rs, 0, sizeof(*rs));
}

/* Append @rg, merged with the last range if it starts where that ends. */
static int ranges_add(struct cs_cbt_ranges *rs, const struct cs_cbt_range *rg)
{
	struct cs_cbt_range *last = rs->nr ? &rs->r[rs->nr - 1] : NULL, *n;

	if (last && last->start + last->blocks == rg->start) {
		last->blocks += rg->blocks;
		return 0;
	}
	if (rs->nr == rs->alloc) {
		n = reallocarray(rs->r, rs->alloc ? 2 * rs->alloc : 64,
				 sizeof(*n));
		if (!n)
			return -ENOMEM;
		rs->r = n;
		rs->alloc = rs->alloc ? 2 * rs->alloc : 64;
	}
	rs->r[rs->nr++] = *rg;
	return 0;
}

/* Read the page at *@offset, add its ranges to @out, move *@offset on. */
static int changes_page(const struct cs_cbt *cbt, unsigned int since,
			const struct cs_cbt_info *info, uint64_t *offset,
			struct cs_cbt_ranges *out)
{
	struct cs_cbt_changes_page page;
	char msg[64], *answer;
	unsigned int i;
	int r;

	snprintf(msg, sizeof(msg), "%s %u %" PRIu64, CBT_MSG_CHANGES, since,
		 *offset);
	r = send_msg(cbt, msg, &answer);
	if (r)
		return r;
	r = cs_cbt_changes_parse(answer, *offset, 0, info->frozen_blocks,
				 &page);
	if (r)
		bad_answer(cbt, r, msg, answer);
	free(answer);
	if (r)
		return r;
	if (page.frozen != info->frozen)
		r = frozen_changed(cbt);
	for (i = 0; i < page.count && !r; i++)
		r = ranges_add(out, &page.ranges[i]);
	*offset = page.next;
	cs_cbt_changes_page_free(&page);
	return r;
}

int cs_cbt_changes(const struct cs_cbt *cbt, unsigned int since,
		   struct cs_cbt_info *info, struct cs_cbt_ranges *out)
{
	uint64_t offset = 0;
	int r;

	memset(out, 0, sizeof(*out));
	r = cs_cbt_get_info(cbt, info);
	if (!r)
		r = check_readable(cbt, info);
	if (r)
		return r;
	if (since > info->frozen)
		return cs_error_set(-ESTALE, cbt->dev,
				    "change number %u is above the frozen number %u (generation %s); after a new generation, take a full backup",
				    since, info->frozen,
				    info->frozen_generation);
	while (!r && offset < info->frozen_blocks)
		r = changes_page(cbt, since, info, &offset, out);
	if (!r)
		r = check_unchanged(cbt, info);
	if (r == -ENOMEM)
		cs_error_set(r, cbt->dev, "%s", strerror(-r));
	if (r)
		cs_cbt_ranges_free(out);
	return r;
}

/* Read and decode @count blocks from @offset into @buf. */
static int map_page(const struct cs_cbt *cbt, const struct cs_cbt_info *info,
		    uint64_t offset, uint64_t count, uint8_t *buf,
		    struct cs_cbt_map_page *page)
{
	char msg[64], *answer;
	int r;

	snprintf(msg, sizeof(msg), "%s %" PRIu64 " %" PRIu64, CBT_MSG_MAP,
		 offset, count);
	r = send_msg(cbt, msg, &answer);
	if (r)
		return r;
	r = cs_cbt_map_parse(answer, offset, count, info->frozen_blocks, buf,
			     page);
	if (r)
		bad_answer(cbt, r, msg, answer);
	free(answer);
	if (!r && page->frozen != info->frozen)
		r = frozen_changed(cbt);
	return r;
}

int cs_cbt_read_map(const struct cs_cbt *cbt, uint64_t page_blocks,
		    struct cs_cbt_info *info, cs_cbt_map_fn fn, void *priv)
{
	struct cs_cbt_map_page page;
	uint64_t offset = 0, count;
	uint8_t *buf;
	int r;

	r = cs_cbt_get_info(cbt, info);
	if (!r)
		r = check_readable(cbt, info);
	if (r)
		return r;
	if (!page_blocks)
		page_blocks = CS_CBT_MAP_PAGE;
	if (page_blocks > info->frozen_blocks)
		page_blocks = info->frozen_blocks ? info->frozen_blocks : 1;
	buf = malloc(page_blocks);
	if (!buf)
		return cs_error_set(-ENOMEM, cbt->dev, "%s", strerror(ENOMEM));
	while (!r && offset < info->frozen_blocks) {
		count = info->frozen_blocks - offset;
		if (count > page_blocks)
			count = page_blocks;
		r = map_page(cbt, info, offset, count, buf, &page);
		if (!r)
			r = fn(priv, offset, buf, page.blocks);
		offset = page.next;
	}
	if (!r)
		r = check_unchanged(cbt, info);
	free(buf);
	return r;
}
