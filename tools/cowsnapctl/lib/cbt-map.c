// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: the run-length text of the cbt frozen map (see cbt.h).
 *
 * An answer to "map <offset> <count>" is a header line and one line of
 * tokens "<hh>x<run>": <run> blocks in a row hold the byte <hh> (two hex
 * digits).  Decoding is strict and never writes past the announced block
 * count.  Pure functions: no device is touched.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/dm-cbt.h>

#include "cbt.h"
#include "util.h"

/* ------------------------------------------------------------------------
 * Tokens
 * ---------------------------------------------------------------------- */

/* The value of hex digit @c, or -1. */
static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One "<hh>x<run>" token; Return: the text after it, or NULL. */
static const char *rle_token(const char *s, unsigned int *value,
			     uint64_t *run)
{
	int hi = hex_value(s[0]), lo = hi < 0 ? -1 : hex_value(s[1]);
	uint64_t v = 0;
	int digits = 0;

	if (hi < 0 || lo < 0 || s[2] != 'x')
		return NULL;
	*value = (unsigned int)(hi << 4 | lo);
	for (s += 3; *s >= '0' && *s <= '9'; s++, digits++) {
		if (v > (UINT64_MAX - 9) / 10)
			return NULL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (!digits || !v)
		return NULL;
	*run = v;
	return s;
}

int cs_cbt_rle_decode(const char *text, uint8_t *out, uint64_t nr,
		      unsigned int max_value)
{
	const char *s = text;
	unsigned int value;
	uint64_t done = 0, run;

	if (!*s)
		return nr ? -EINVAL : 0;
	for (;;) {
		s = rle_token(s, &value, &run);
		if (!s || value > max_value || run > nr - done)
			return -EINVAL;
		memset(out + done, (int)value, run);
		done += run;
		if (!*s)
			break;
		if (*s != ' ' || !*++s)
			return -EINVAL;
	}
	return done == nr ? 0 : -EINVAL;
}

/* ------------------------------------------------------------------------
 * Pages
 * ---------------------------------------------------------------------- */

static int parse_map_header(char *line, uint64_t offset, uint64_t count,
			    uint64_t frozen_blocks, struct cs_cbt_map_page *p)
{
	char *f[4];

	if (cs_split_fields(line, f, 4) != 4 ||
	    cs_parse_uint(f[0], 1, CBT_CHANGE_MAX, &p->frozen) ||
	    cs_parse_u64(f[1], &p->offset) || p->offset != offset ||
	    cs_parse_u64(f[2], &p->blocks) || p->blocks > count ||
	    cs_parse_u64(f[3], &p->next) || p->next > frozen_blocks ||
	    p->next < offset || p->next - offset != p->blocks ||
	    (!p->blocks && offset != frozen_blocks))
		return -EINVAL;
	return 0;
}

int cs_cbt_map_parse(const char *answer, uint64_t offset, uint64_t count,
		     uint64_t frozen_blocks, uint8_t *buf,
		     struct cs_cbt_map_page *page)
{
	char *copy, *rest, *line;
	int r = -EINVAL;

	memset(page, 0, sizeof(*page));
	copy = strdup(answer);
	if (!copy)
		return -ENOMEM;
	rest = copy;
	line = strsep(&rest, "\n");
	if (parse_map_header(line, offset, count, frozen_blocks, page))
		goto out;
	line = strsep(&rest, "\n");
	if (cs_cbt_rle_decode(line ? line : "", buf, page->blocks,
			      page->frozen) ||
	    (rest && *rest))
		goto out;
	r = 0;
out:
	free(copy);
	if (r)
		memset(page, 0, sizeof(*page));
	return r;
}
