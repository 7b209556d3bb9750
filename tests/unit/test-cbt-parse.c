// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap cbt.c, cbt-map.c and the paging of cbt-dev.c: answers of the
 * cbt target's messages (info, checkpoint, changes, map, events), the
 * run-length map text against an encoder written here, the table line and
 * mark_dirty messages, and whole reads through a fake message transport.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/dm-cbt.h>

#include "cowsnap.h"
#include "testlib.h"

#define GEN1	"0b5c2f1e-9a77-4d3c-8e21-5f6a7b8c9d0e"
#define GEN2	"f00dcafe-0000-4000-8000-123456789abc"
#define VUUID	"0123456789abcdef0123456789abcdef"

#define INFO(frozen, fgen, fblocks)					\
	"capacity=81 block_size=4096 blocks=11 state=tracking "		\
	"generation=" GEN2 " current=4 frozen=" frozen			\
	" frozen_generation=" fgen " frozen_blocks=" fblocks		\
	" memory=8192 last_event=7"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------
 * info, checkpoint
 * ---------------------------------------------------------------------- */

static void test_info(void)
{
	struct cs_cbt_info i;

	CU_ASSERT_EQUAL_FATAL(cs_cbt_info_parse(INFO("3", GEN1, "11") "\n",
						&i), 0);
	CU_ASSERT_EQUAL(i.capacity, 81);
	CU_ASSERT_EQUAL(i.block_size, 4096);
	CU_ASSERT_EQUAL(i.blocks, 11);
	CU_ASSERT_STRING_EQUAL(i.state, "tracking");
	CU_ASSERT_FALSE(i.lost);
	CU_ASSERT_STRING_EQUAL(i.generation, GEN2);
	CU_ASSERT_EQUAL(i.current, 4);
	CU_ASSERT_EQUAL(i.frozen, 3);
	CU_ASSERT_STRING_EQUAL(i.frozen_generation, GEN1);
	CU_ASSERT_EQUAL(i.frozen_blocks, 11);
	CU_ASSERT_EQUAL(i.memory, 8192);
	CU_ASSERT_EQUAL(i.last_event, 7);

	/* No frozen copy yet; no final newline; the largest values. */
	CU_ASSERT_EQUAL_FATAL(cs_cbt_info_parse(
		"capacity=18446744073709551615 block_size=1073741824 "
		"blocks=0 state=lost generation=0123456789ABCDEF0123456789abcdef "
		"current=255 frozen=0 frozen_generation=- frozen_blocks=0 "
		"memory=0 last_event=18446744073709551615", &i), 0);
	CU_ASSERT_EQUAL(i.capacity, UINT64_MAX);
	CU_ASSERT_EQUAL(i.block_size, CBT_BLOCK_MAX);
	CU_ASSERT(i.lost);
	CU_ASSERT_EQUAL(i.current, 255);
	CU_ASSERT_EQUAL(i.frozen, 0);
	CU_ASSERT_STRING_EQUAL(i.frozen_generation, "");
	CU_ASSERT_EQUAL(i.last_event, UINT64_MAX);
}

static void test_info_malformed(void)
{
	static const char *const bad[] = {
		"",
		"\n",
		INFO("3", GEN1, "11") "\n\n",
		INFO("3", GEN1, "11") " ",
		" " INFO("3", GEN1, "11"),
		INFO("3", GEN1, "11") " extra=1",
		INFO("256", GEN1, "11"),		/* frozen > 255 */
		INFO("-1", GEN1, "11"),
		INFO("3", "-x", "11"),
		INFO("3", GEN1 "0", "11"),		/* uuid too long */
		INFO("3", "0b5c2f1e+9a77-4d3c-8e21-5f6a7b8c9d0e", "11"),
		INFO("3", "0b5c2f1e-9a77-4d3c-8e21-5f6a7b8c9d0g", "11"),
		INFO("3", "", "11"),
		INFO("3", GEN1, "11x"),
		INFO("3", GEN1, ""),
		/* keys out of order */
		"block_size=4096 capacity=81 blocks=11 state=tracking "
		"generation=" GEN2 " current=4 frozen=3 frozen_generation=-"
		" frozen_blocks=11 memory=8192 last_event=7",
		/* block size not a power of two, too small, too large */
		"capacity=81 block_size=12288 blocks=11 state=tracking "
		"generation=" GEN2 " current=4 frozen=3 frozen_generation=-"
		" frozen_blocks=11 memory=8192 last_event=7",
		"capacity=81 block_size=2048 blocks=11 state=tracking "
		"generation=" GEN2 " current=4 frozen=3 frozen_generation=-"
		" frozen_blocks=11 memory=8192 last_event=7",
		"capacity=81 block_size=2147483648 blocks=11 state=tracking "
		"generation=" GEN2 " current=4 frozen=3 frozen_generation=-"
		" frozen_blocks=11 memory=8192 last_event=7",
		/* current 0 */
		"capacity=81 block_size=4096 blocks=11 state=tracking "
		"generation=" GEN2 " current=0 frozen=3 frozen_generation=-"
		" frozen_blocks=11 memory=8192 last_event=7",
		/* state with a capital, empty state, key without '=' */
		"capacity=81 block_size=4096 blocks=11 state=Tracking "
		"generation=" GEN2 " current=1 frozen=3 frozen_generation=-"
		" frozen_blocks=11 memory=8192 last_event=7",
		"capacity=81 block_size=4096 blocks=11 state= "
		"generation=" GEN2 " current=1 frozen=3 frozen_generation=-"
		" frozen_blocks=11 memory=8192 last_event=7",
		"capacity=81 block_size=4096 blocks=11 state "
		"generation=" GEN2 " current=1 frozen=3 frozen_generation=-"
		" frozen_blocks=11 memory=8192 last_event=7",
		/* a missing key */
		"capacity=81 block_size=4096 blocks=11 state=tracking "
		"generation=" GEN2 " current=4 frozen=3 frozen_generation=-"
		" frozen_blocks=11 memory=8192",
		"capacity=99999999999999999999 block_size=4096 blocks=11 "
		"state=tracking generation=" GEN2 " current=4 frozen=3 "
		"frozen_generation=- frozen_blocks=11 memory=8192 last_event=7",
	};
	struct cs_cbt_info i;
	size_t k;

	for (k = 0; k < ARRAY_SIZE(bad); k++) {
		memset(&i, 0x5a, sizeof(i));
		if (cs_cbt_info_parse(bad[k], &i) != -EINVAL) {
			fprintf(stderr, "accepted: \"%s\"\n", bad[k]);
			CU_FAIL("malformed info answer accepted");
		}
		CU_ASSERT_EQUAL(i.capacity, 0);		/* left empty */
	}
}

static void test_checkpoint(void)
{
	static const char *const bad[] = {
		"", "frozen=0 generation=" GEN1 " reset=0",
		"frozen=256 generation=" GEN1 " reset=0",
		"frozen=3 generation=" GEN1 " reset=2",
		"frozen=3 generation=" GEN1 " reset=01",
		"frozen=3 generation=" GEN1 " reset=",
		"frozen=3 generation=" GEN1,
		"frozen=3 generation=- reset=0",
		"frozen=3 reset=0 generation=" GEN1,
		"frozen=3 generation=" GEN1 " reset=0 x=1",
		"frozen=3 generation=" GEN1 " reset=0\nmore",
	};
	struct cs_cbt_checkpoint cp;
	size_t k;

	CU_ASSERT_EQUAL_FATAL(cs_cbt_checkpoint_parse(
		"frozen=3 generation=" GEN1 " reset=0\n", &cp), 0);
	CU_ASSERT_EQUAL(cp.frozen, 3);
	CU_ASSERT_STRING_EQUAL(cp.generation, GEN1);
	CU_ASSERT_FALSE(cp.reset);
	CU_ASSERT_EQUAL_FATAL(cs_cbt_checkpoint_parse(
		"frozen=255 generation=" GEN2 " reset=1", &cp), 0);
	CU_ASSERT_EQUAL(cp.frozen, 255);
	CU_ASSERT(cp.reset);
	for (k = 0; k < ARRAY_SIZE(bad); k++)
		if (cs_cbt_checkpoint_parse(bad[k], &cp) != -EINVAL) {
			fprintf(stderr, "accepted: \"%s\"\n", bad[k]);
			CU_FAIL("malformed checkpoint answer accepted");
		}
}

/* ------------------------------------------------------------------------
 * changes pages
 * ---------------------------------------------------------------------- */

static void test_changes_page(void)
{
	struct cs_cbt_changes_page p;

	CU_ASSERT_EQUAL_FATAL(cs_cbt_changes_parse(
		"3 700 3\n100 1\n102 8\n600 100\n", 100, 0, 1000, &p), 0);
	CU_ASSERT_EQUAL(p.frozen, 3);
	CU_ASSERT_EQUAL(p.next, 700);
	CU_ASSERT_EQUAL_FATAL(p.count, 3);
	CU_ASSERT_EQUAL(p.ranges[0].start, 100);
	CU_ASSERT_EQUAL(p.ranges[0].blocks, 1);
	CU_ASSERT_EQUAL(p.ranges[1].start, 102);
	CU_ASSERT_EQUAL(p.ranges[1].blocks, 8);
	CU_ASSERT_EQUAL(p.ranges[2].start, 600);
	CU_ASSERT_EQUAL(p.ranges[2].blocks, 100);
	cs_cbt_changes_page_free(&p);
	CU_ASSERT_PTR_NULL(p.ranges);

	/* The end: nothing more, with or without a final newline. */
	CU_ASSERT_EQUAL(cs_cbt_changes_parse("3 1000 0\n", 700, 0, 1000, &p), 0);
	CU_ASSERT_EQUAL(p.count, 0);
	CU_ASSERT_PTR_NULL(p.ranges);
	CU_ASSERT_EQUAL(cs_cbt_changes_parse("3 1000 0", 1000, 0, 1000, &p), 0);
	/* An empty frozen copy. */
	CU_ASSERT_EQUAL(cs_cbt_changes_parse("1 0 0\n", 0, 0, 0, &p), 0);
	/* A page that found nothing but moved on is progress. */
	CU_ASSERT_EQUAL(cs_cbt_changes_parse("3 500 0\n", 0, 0, 1000, &p), 0);
	CU_ASSERT_EQUAL(p.next, 500);
	/* Ranges may touch (a range cut at a page's end), and end at next. */
	CU_ASSERT_EQUAL(cs_cbt_changes_parse("3 20 2\n0 10\n10 10\n", 0, 2, 20,
					     &p), 0);
	cs_cbt_changes_page_free(&p);
}

static void test_changes_malformed(void)
{
	static const char *const bad[] = {
		"",
		"3 700",
		"3 700 0 0",
		"0 700 0",			/* frozen 0 */
		"256 700 0",
		"3 1001 0",			/* next beyond frozen_blocks */
		"3 100 0",			/* no progress from offset 100 */
		"3 50 0",			/* next before offset */
		"3 700 1",			/* count says 1, no line */
		"3 700 1\n",
		"3 700 0\n100 1",		/* a line count does not announce */
		"3 700 1\n100 1\n200 1",
		"3 700 1\n99 1",		/* before offset */
		"3 700 1\n100 0",		/* empty range */
		"3 700 1\n100 601",		/* beyond next */
		"3 700 1\n701 1",
		"3 700 1\n100",
		"3 700 1\n100 1 1",
		"3 700 1\n100  1",
		"3 700 1\n100 1\n\n",
		"3 700 2\n200 10\n100 10",	/* not sorted */
		"3 700 2\n100 10\n105 10",	/* overlapping */
		"3 700 1\n100 18446744073709551615",
		"3 700 4097",			/* above CBT_RANGES_MAX */
	};
	struct cs_cbt_changes_page p;
	size_t k;

	for (k = 0; k < ARRAY_SIZE(bad); k++) {
		if (cs_cbt_changes_parse(bad[k], 100, 0, 1000, &p) != -EINVAL) {
			fprintf(stderr, "accepted: \"%s\"\n", bad[k]);
			CU_FAIL("malformed changes answer accepted");
		}
		CU_ASSERT_PTR_NULL(p.ranges);
		CU_ASSERT_EQUAL(p.count, 0);
	}
	/* More ranges than the max asked for. */
	CU_ASSERT_EQUAL(cs_cbt_changes_parse("3 700 2\n100 1\n200 1", 100, 1,
					     1000, &p), -EINVAL);
}

static void check_bytes(uint64_t start, uint64_t blocks, uint32_t bs,
			uint64_t capacity, uint64_t want_off, uint64_t want_len)
{
	struct cs_cbt_range r = { .start = start, .blocks = blocks };
	uint64_t off, len;

	cs_cbt_range_bytes(&r, bs, capacity, &off, &len);
	CU_ASSERT_EQUAL(off, want_off);
	CU_ASSERT_EQUAL(len, want_len);
}

static void test_range_bytes(void)
{
	check_bytes(0, 1, 4096, 8, 0, 4096);
	check_bytes(3, 2, 65536, 1 << 20, 3 * 65536, 2 * 65536);
	/* 81 sectors = 41472 bytes in blocks of 4096: the 11th block holds
	 * 512 bytes of the device. */
	check_bytes(10, 1, 4096, 81, 40960, 512);
	check_bytes(8, 3, 4096, 81, 32768, 41472 - 32768);
	check_bytes(0, 11, 4096, 81, 0, 41472);
	/* Wholly beyond the end (cannot come from a valid answer). */
	check_bytes(11, 1, 4096, 81, 45056, 0);
	/* Huge numbers saturate instead of wrapping. */
	check_bytes(UINT64_MAX / 4096, 1, 4096, UINT64_MAX,
		    (UINT64_MAX / 4096) * 4096, UINT64_MAX -
		    (UINT64_MAX / 4096) * 4096);
}

/* ------------------------------------------------------------------------
 * Run-length map text
 * ---------------------------------------------------------------------- */

/* The encoder the kernel is meant to have: runs of equal bytes. */
static char *encode(const uint8_t *map, uint64_t nr)
{
	size_t size = nr * 26 + 1, len = 0;
	char *out = malloc(size);
	uint64_t i = 0, run;

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	out[0] = '\0';
	while (i < nr) {
		for (run = 1; i + run < nr && map[i + run] == map[i]; run++)
			;
		len += (size_t)snprintf(out + len, size - len, "%s%02xx%" PRIu64,
					len ? " " : "", map[i], run);
		i += run;
	}
	return out;
}

static void round_trip(const uint8_t *map, uint64_t nr)
{
	char *text = encode(map, nr);
	uint8_t *back = malloc(nr + 1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	back[nr] = 0xee;
	CU_ASSERT_EQUAL(cs_cbt_rle_decode(text, back, nr, CBT_CHANGE_MAX), 0);
	CU_ASSERT(!memcmp(back, map, nr));
	CU_ASSERT_EQUAL(back[nr], 0xee);
	/* One block fewer announced: refused, and nothing written past it. */
	if (nr) {
		back[nr - 1] = 0xee;
		CU_ASSERT_EQUAL(cs_cbt_rle_decode(text, back, nr - 1,
						  CBT_CHANGE_MAX), -EINVAL);
		CU_ASSERT_EQUAL(back[nr - 1], 0xee);
	}
	/* One more announced: refused. */
	CU_ASSERT_EQUAL(cs_cbt_rle_decode(text, back, nr + 1, CBT_CHANGE_MAX),
			-EINVAL);
	free(back);
	free(text);
}

static void test_rle_round_trip(void)
{
	static uint8_t map[20000];
	uint32_t seed = 12345;
	unsigned int round;
	size_t i;

	round_trip(map, 0);
	round_trip(map, 1);
	round_trip(map, sizeof(map));			/* one run of zeros */
	for (i = 0; i < 256; i++)
		map[i] = (uint8_t)i;			/* every value once */
	round_trip(map, 256);
	for (round = 0; round < 20; round++) {
		uint8_t v = 0;

		for (i = 0; i < sizeof(map); i++) {
			seed = seed * 1103515245 + 12345;
			if ((seed >> 16) % (round + 2) == 0)
				v = (uint8_t)(seed >> 8);
			map[i] = v;
		}
		round_trip(map, sizeof(map) - round * 7);
	}
}

static void test_rle_values(void)
{
	uint8_t out[16];

	CU_ASSERT_EQUAL(cs_cbt_rle_decode("00x2 03x1 ffx3 0Ax1", out, 7, 255), 0);
	CU_ASSERT(!memcmp(out, "\x00\x00\x03\xff\xff\xff\x0a", 7));
	/* Two runs of one value in a row (a chunk boundary) are fine. */
	CU_ASSERT_EQUAL(cs_cbt_rle_decode("01x1 01x2", out, 3, 1), 0);
	CU_ASSERT(!memcmp(out, "\x01\x01\x01", 3));
	/* A value above the frozen number is refused. */
	CU_ASSERT_EQUAL(cs_cbt_rle_decode("00x1 04x1", out, 2, 3), -EINVAL);
	CU_ASSERT_EQUAL(cs_cbt_rle_decode("03x2", out, 2, 3), 0);
	CU_ASSERT_EQUAL(cs_cbt_rle_decode("", out, 0, 3), 0);
}

static void test_rle_malformed(void)
{
	static const char *const bad[] = {
		"0x4", "000x4", "00y4", "00x", "00x0", "00x-1", "00x+1",
		"gg x4", "g0x4", "0gx4", "00X4", "x4", "00x4 ", " 00x4",
		"00x2  00x2", "00x2,00x2", "00x2\t00x2", "00x4\n",
		"00x99999999999999999999999", "00x18446744073709551616",
		"00x4a", "-1x4", "\xff\xffx4",
	};
	uint8_t out[8];
	size_t k;

	for (k = 0; k < ARRAY_SIZE(bad); k++)
		if (cs_cbt_rle_decode(bad[k], out, 4, 255) != -EINVAL) {
			fprintf(stderr, "accepted: \"%s\"\n", bad[k]);
			CU_FAIL("malformed run-length text accepted");
		}
	/* Runs overflowing the announced count, short, or empty. */
	CU_ASSERT_EQUAL(cs_cbt_rle_decode("00x3 01x2", out, 4, 255), -EINVAL);
	CU_ASSERT_EQUAL(cs_cbt_rle_decode("00x18446744073709551615", out, 4,
					  255), -EINVAL);
	CU_ASSERT_EQUAL(cs_cbt_rle_decode("00x3", out, 4, 255), -EINVAL);
	CU_ASSERT_EQUAL(cs_cbt_rle_decode("", out, 4, 255), -EINVAL);
}

static void test_map_page(void)
{
	struct cs_cbt_map_page p;
	uint8_t buf[16];

	memset(buf, 0xee, sizeof(buf));
	CU_ASSERT_EQUAL_FATAL(cs_cbt_map_parse("3 8 5 13\n00x2 03x3\n", 8, 8,
					       20, buf, &p), 0);
	CU_ASSERT_EQUAL(p.frozen, 3);
	CU_ASSERT_EQUAL(p.offset, 8);
	CU_ASSERT_EQUAL(p.blocks, 5);
	CU_ASSERT_EQUAL(p.next, 13);
	CU_ASSERT(!memcmp(buf, "\x00\x00\x03\x03\x03\xee", 6));
	/* The last page; no final newline. */
	CU_ASSERT_EQUAL(cs_cbt_map_parse("3 13 7 20\n01x7", 13, 8, 20, buf,
					 &p), 0);
	CU_ASSERT_EQUAL(p.next, 20);
	/* At the end: no blocks, the runs line empty or absent. */
	CU_ASSERT_EQUAL(cs_cbt_map_parse("3 20 0 20\n", 20, 8, 20, buf, &p), 0);
	CU_ASSERT_EQUAL(cs_cbt_map_parse("3 20 0 20", 20, 8, 20, buf, &p), 0);
	CU_ASSERT_EQUAL(cs_cbt_map_parse("3 20 0 20\n\n", 20, 8, 20, buf, &p),
			0);
}

static void test_map_page_malformed(void)
{
	static const char *const bad[] = {
		"",
		"3 8 5",
		"3 8 5 13 1\n00x5",
		"3 9 5 14\n00x5",		/* not the offset asked for */
		"3 8 9 17\n00x9",		/* more than asked */
		"3 8 5 14\n00x5",		/* next is not offset + blocks */
		"3 8 5 12\n00x5",
		"3 8 0 8\n",			/* no progress before the end */
		"3 8 5 13\n00x4",		/* runs short of blocks */
		"3 8 5 13\n00x6",		/* runs beyond blocks */
		"3 8 5 13\n04x5",		/* a byte above frozen */
		"3 8 5 13",			/* runs missing */
		"3 8 5 13\n00x5\n00x1",		/* a third line */
		"0 8 5 13\n00x5",		/* frozen 0 */
		"3 8 5 13\n00x5 ",
		"3 18 5 23\n00x5",		/* beyond frozen_blocks (20) */
	};
	struct cs_cbt_map_page p;
	uint8_t buf[16];
	size_t k;

	for (k = 0; k < ARRAY_SIZE(bad); k++) {
		uint64_t off = k == 15 ? 18 : 8;

		if (cs_cbt_map_parse(bad[k], off, 8, 20, buf, &p) != -EINVAL) {
			fprintf(stderr, "accepted: \"%s\"\n", bad[k]);
			CU_FAIL("malformed map answer accepted");
		}
		CU_ASSERT_EQUAL(p.blocks, 0);
	}
}

/* ------------------------------------------------------------------------
 * events
 * ---------------------------------------------------------------------- */

static void test_events(void)
{
	struct cs_cbt_events_page p;
	char line[CS_CBT_EVENT_LINE_LEN];

	CU_ASSERT_EQUAL_FATAL(cs_cbt_events_parse("0 1 0\n", 0, &p), 0);
	CU_ASSERT_EQUAL(p.last_seq, 0);
	CU_ASSERT_EQUAL(p.count, 0);
	cs_cbt_events_page_free(&p);
	/* An empty log may also say first_seq 0. */
	CU_ASSERT_EQUAL(cs_cbt_events_parse("0 0 0", 0, &p), 0);

	CU_ASSERT_EQUAL_FATAL(cs_cbt_events_parse(
		"9 8 2\n"
		"8 1714566896.789012345 generation_reset " GEN1 "\n"
		"9 1714566897.5 tracking_lost " GEN2 "\n", 7, &p), 0);
	CU_ASSERT_EQUAL(p.last_seq, 9);
	CU_ASSERT_EQUAL(p.first_seq, 8);
	CU_ASSERT_EQUAL_FATAL(p.count, 2);
	CU_ASSERT_EQUAL(p.events[0].seq, 8);
	CU_ASSERT_EQUAL(p.events[0].sec, 1714566896);
	CU_ASSERT_EQUAL(p.events[0].nsec, 789012345);
	CU_ASSERT_STRING_EQUAL(p.events[0].event, CBT_EVENT_GENERATION_RESET);
	CU_ASSERT_STRING_EQUAL(p.events[0].generation, GEN1);
	CU_ASSERT_STRING_EQUAL(p.events[1].event, CBT_EVENT_TRACKING_LOST);
	CU_ASSERT_EQUAL(p.events[1].nsec, 5);
	CU_ASSERT_EQUAL(cs_cbt_events_missed(&p, 7), 0);
	CU_ASSERT_EQUAL(cs_cbt_events_missed(&p, 2), 5);
	CU_ASSERT_STRING_EQUAL(cs_cbt_event_format(&p.events[0], line),
			       "8 2024-05-01T12:34:56.789Z generation_reset " GEN1);
	cs_cbt_events_page_free(&p);
	CU_ASSERT_PTR_NULL(p.events);
}

static void test_events_malformed(void)
{
	static const char *const bad[] = {
		"", "1 1", "1 1 0 0", "0 2 0", "5 7 0", "3 0 0",
		"1 1 1",
		"1 1 1\n",
		"1 1 0\n1 1.0 generation_reset " GEN1,
		"1 1 1\n1 1.0 generation_reset",
		"1 1 1\n1 1.0 generation_reset " GEN1 " x",
		"1 1 1\n1 1 generation_reset " GEN1,
		"1 1 1\n1 1.1234567890 generation_reset " GEN1,
		"1 1 1\n1 1.0 Generation_reset " GEN1,
		"1 1 1\n1 1.0 generation_reset -",
		"1 1 1\n2 1.0 generation_reset " GEN1,	/* above last_seq */
		"3 2 1\n1 1.0 generation_reset " GEN1,	/* below first_seq */
		"3 1 2\n2 1.0 a " GEN1 "\n2 1.0 b " GEN1,	/* not increasing */
		"65 1 65",				/* above CBT_EVENTS_KEPT */
	};
	struct cs_cbt_events_page p;
	size_t k;

	for (k = 0; k < ARRAY_SIZE(bad); k++) {
		if (cs_cbt_events_parse(bad[k], 0, &p) != -EINVAL) {
			fprintf(stderr, "accepted: \"%s\"\n", bad[k]);
			CU_FAIL("malformed events answer accepted");
		}
		CU_ASSERT_PTR_NULL(p.events);
	}
	/* after_seq 1 was asked, the record 1 came back. */
	CU_ASSERT_EQUAL(cs_cbt_events_parse("3 1 1\n1 1.0 a " GEN1, 1, &p),
			-EINVAL);
	CU_ASSERT_EQUAL(cs_cbt_events_parse("3 1 1\n1 1.0 a " GEN1, 0, &p), 0);
	cs_cbt_events_page_free(&p);
}

/* ------------------------------------------------------------------------
 * Table line, mark_dirty
 * ---------------------------------------------------------------------- */

static void test_table_params(void)
{
	char buf[128], id[CBT_ID_MAX + 2];

	CU_ASSERT_EQUAL(cs_cbt_table_params(VUUID, 0, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, VUUID);
	CU_ASSERT_EQUAL(cs_cbt_table_params(VUUID, 65536, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, VUUID " 2 block_size 65536");
	CU_ASSERT_EQUAL(cs_cbt_table_params("a-B_9", CBT_BLOCK_MIN, buf,
					    sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "a-B_9 2 block_size 4096");
	CU_ASSERT_EQUAL(cs_cbt_table_params(VUUID, 6000, buf, sizeof(buf)),
			-EINVAL);
	CU_ASSERT_EQUAL(cs_cbt_table_params(VUUID, 2048, buf, sizeof(buf)),
			-EINVAL);
	CU_ASSERT_EQUAL(cs_cbt_table_params("a b", 0, buf, sizeof(buf)), -EINVAL);
	CU_ASSERT_EQUAL(cs_cbt_table_params("", 0, buf, sizeof(buf)), -EINVAL);
	memset(id, 'a', CBT_ID_MAX);
	id[CBT_ID_MAX] = '\0';
	CU_ASSERT_EQUAL(cs_cbt_table_params(id, 0, buf, sizeof(buf)), 0);
	id[CBT_ID_MAX] = 'a';
	id[CBT_ID_MAX + 1] = '\0';
	CU_ASSERT_EQUAL(cs_cbt_table_params(id, 0, buf, sizeof(buf)), -EINVAL);
	CU_ASSERT_EQUAL(cs_cbt_table_params(VUUID, 4096, buf, 40),
			-ENAMETOOLONG);
}

static void test_extents(void)
{
	struct cs_cbt_extent e;
	static const char *const bad[] = {
		"", ":", "1:", ":1", "1", "1:0", "a:1", "1:b", "-1:1", "1:-1",
		"1:1:1", " 1:1", "1:1 ", "0x10:1",
	};
	size_t k;

	CU_ASSERT_EQUAL(cs_cbt_extent_parse("0:8", &e), 0);
	CU_ASSERT_EQUAL(e.sector, 0);
	CU_ASSERT_EQUAL(e.count, 8);
	CU_ASSERT_EQUAL(cs_cbt_extent_parse("2048:1", &e), 0);
	CU_ASSERT_EQUAL(e.sector, 2048);
	CU_ASSERT_EQUAL(cs_cbt_extent_parse("18446744073709551614:1", &e), 0);
	CU_ASSERT_EQUAL(cs_cbt_extent_parse("18446744073709551615:1", &e),
			-ERANGE);
	CU_ASSERT_EQUAL(cs_cbt_extent_parse("1:18446744073709551615", &e),
			-ERANGE);
	for (k = 0; k < ARRAY_SIZE(bad); k++)
		if (cs_cbt_extent_parse(bad[k], &e) != -EINVAL) {
			fprintf(stderr, "accepted: \"%s\"\n", bad[k]);
			CU_FAIL("malformed SECTOR:COUNT accepted");
		}
}

static void test_mark_message(void)
{
	struct cs_cbt_extent e[CBT_MARK_RANGES_MAX + 1];
	char buf[4096];
	size_t i;

	e[0] = (struct cs_cbt_extent){ 0, 8 };
	e[1] = (struct cs_cbt_extent){ UINT64_MAX - 1, 1 };
	CU_ASSERT_EQUAL(cs_cbt_mark_message(e, 2, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "mark_dirty 0 8 18446744073709551614 1");
	CU_ASSERT_EQUAL(cs_cbt_mark_message(e, 1, buf, 15), 0);
	CU_ASSERT_STRING_EQUAL(buf, "mark_dirty 0 8");
	CU_ASSERT_EQUAL(cs_cbt_mark_message(e, 1, buf, 14), -ENAMETOOLONG);
	CU_ASSERT_EQUAL(cs_cbt_mark_message(e, 0, buf, sizeof(buf)), -EINVAL);
	for (i = 0; i < ARRAY_SIZE(e); i++)
		e[i] = (struct cs_cbt_extent){ UINT64_MAX / 2, UINT64_MAX / 2 };
	CU_ASSERT_EQUAL(cs_cbt_mark_message(e, CBT_MARK_RANGES_MAX, buf,
					    sizeof(buf)), 0);
	CU_ASSERT_EQUAL(cs_cbt_mark_message(e, CBT_MARK_RANGES_MAX + 1, buf,
					    sizeof(buf)), -EINVAL);
}

/* ------------------------------------------------------------------------
 * Whole reads through a fake transport
 * ---------------------------------------------------------------------- */

/**
 * struct fake - the messages a test expects, in order, and the answers
 * @msgs: expected messages; "*" matches any
 * @answers: answers; NULL: the target refuses with -EINVAL
 * @nr: number of both
 * @pos: messages received
 */
struct fake {
	const char *const *msgs;
	const char *const *answers;
	int nr;
	int pos;
};

static int fake_send(void *priv, const char *dev, const char *msg,
		     char **answer)
{
	struct fake *f = priv;
	int i = f->pos++;

	CU_ASSERT_STRING_EQUAL(dev, "v-cbt");
	if (i >= f->nr) {
		fprintf(stderr, "unexpected message \"%s\"\n", msg);
		CU_FAIL("more messages than expected");
		return -EIO;
	}
	if (strcmp(f->msgs[i], "*") && strcmp(f->msgs[i], msg)) {
		fprintf(stderr, "message %d: \"%s\", expected \"%s\"\n", i, msg,
			f->msgs[i]);
		CU_FAIL("unexpected message");
	}
	if (!f->answers[i])
		return -EINVAL;
	*answer = strdup(f->answers[i]);
	return *answer ? 0 : -ENOMEM;
}

#define FAKE(name, m, a)						\
	struct fake name = { m, a, (int)ARRAY_SIZE(m), 0 };		\
	struct cs_cbt cbt_##name = { .dev = "v-cbt", .send = fake_send,	\
				     .priv = &name };			\
	_Static_assert(ARRAY_SIZE(m) == ARRAY_SIZE(a), "pairs")

static void test_read_changes(void)
{
	static const char *const m[] = {
		"info", "changes 1 0", "changes 1 5", "changes 1 9", "info",
	};
	static const char *const a[] = {
		INFO("3", GEN1, "11"),
		"3 5 2\n0 1\n3 2\n",		/* [3,5) cut at the page end */
		"3 9 2\n5 1\n7 1\n",		/* continues at 5: merged */
		"3 11 1\n10 1",			/* the last, partial block */
		INFO("3", GEN1, "11"),
	};
	struct cs_cbt_ranges rs;
	struct cs_cbt_info info;
	uint64_t off, len;
	FAKE(f, m, a);

	CU_ASSERT_EQUAL_FATAL(cs_cbt_changes(&cbt_f, 1, &info, &rs), 0);
	CU_ASSERT_EQUAL(f.pos, 5);
	CU_ASSERT_EQUAL(info.frozen, 3);
	CU_ASSERT_EQUAL_FATAL(rs.nr, 4);
	CU_ASSERT_EQUAL(rs.r[0].start, 0);
	CU_ASSERT_EQUAL(rs.r[0].blocks, 1);
	CU_ASSERT_EQUAL(rs.r[1].start, 3);
	CU_ASSERT_EQUAL(rs.r[1].blocks, 3);
	CU_ASSERT_EQUAL(rs.r[2].start, 7);
	CU_ASSERT_EQUAL(rs.r[2].blocks, 1);
	CU_ASSERT_EQUAL(rs.r[3].start, 10);
	CU_ASSERT_EQUAL(rs.r[3].blocks, 1);
	cs_cbt_range_bytes(&rs.r[3], info.block_size, info.capacity, &off, &len);
	CU_ASSERT_EQUAL(off, 40960);
	CU_ASSERT_EQUAL(len, 512);
	cs_cbt_ranges_free(&rs);
}

static void test_read_changes_since_frozen(void)
{
	/* since == frozen: nothing changed after the frozen copy itself. */
	static const char *const m[] = { "info", "changes 3 0", "info" };
	static const char *const a[] = {
		INFO("3", GEN1, "11"), "3 11 0\n", INFO("3", GEN1, "11"),
	};
	struct cs_cbt_ranges rs;
	struct cs_cbt_info info;
	FAKE(f, m, a);

	CU_ASSERT_EQUAL(cs_cbt_changes(&cbt_f, 3, &info, &rs), 0);
	CU_ASSERT_EQUAL(rs.nr, 0);
	CU_ASSERT_EQUAL(f.pos, 3);
	cs_cbt_ranges_free(&rs);
}

static void test_read_changes_refused(void)
{
	static const char *const m1[] = { "info" };
	static const char *const a1[] = { INFO("3", GEN1, "11") };
	static const char *const a2[] = { INFO("0", "-", "0") };
	static const char *const a3[] = {
		"capacity=81 block_size=4096 blocks=11 state=lost "
		"generation=" GEN2 " current=4 frozen=3 frozen_generation="
		GEN1 " frozen_blocks=11 memory=8192 last_event=7",
	};
	static const char *const m4[] = { "info", "changes 0 0" };
	static const char *const a4[] = { INFO("3", GEN1, "11"), NULL };
	static const char *const a5[] = { INFO("3", GEN1, "11"), "3 0 0" };
	struct cs_cbt_ranges rs;
	struct cs_cbt_info info;
	FAKE(f1, m1, a1);
	FAKE(f2, m1, a2);
	FAKE(f3, m1, a3);
	FAKE(f4, m4, a4);
	FAKE(f5, m4, a5);

	/* --since above the frozen number: nothing more is asked. */
	cs_error_clear();
	CU_ASSERT_EQUAL(cs_cbt_changes(&cbt_f1, 4, &info, &rs), -ESTALE);
	CU_ASSERT_EQUAL(f1.pos, 1);
	CU_ASSERT_PTR_NULL(rs.r);
	CU_ASSERT_EQUAL(cs_last_error()->err, -ESTALE);
	CU_ASSERT_EQUAL(cs_cbt_changes(&cbt_f2, 0, &info, &rs), -ENODATA);
	CU_ASSERT_EQUAL(cs_cbt_changes(&cbt_f3, 0, &info, &rs), -ENODATA);
	CU_ASSERT_PTR_NOT_NULL(strstr(cs_last_error()->why, "lost"));
	/* The target refuses the message. */
	CU_ASSERT_EQUAL(cs_cbt_changes(&cbt_f4, 0, &info, &rs), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(cs_last_error()->why, "changes 0 0"));
	/* An answer that makes no progress ends the loop. */
	CU_ASSERT_EQUAL(cs_cbt_changes(&cbt_f5, 0, &info, &rs), -EINVAL);
	CU_ASSERT_EQUAL(f5.pos, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(cs_last_error()->why, "malformed"));
}

static void test_read_changes_checkpointed(void)
{
	/* A checkpoint between two pages: the second page says frozen 4. */
	static const char *const m1[] = { "info", "changes 0 0", "changes 0 5" };
	static const char *const a1[] = {
		INFO("3", GEN1, "11"), "3 5 1\n0 1", "4 11 0",
	};
	/* Between the last page and the second info. */
	static const char *const m2[] = { "info", "changes 0 0", "info" };
	static const char *const a2[] = {
		INFO("3", GEN1, "11"), "3 11 1\n0 1", INFO("4", GEN1, "11"),
	};
	/* 255 checkpoints later, frozen 3 again in a new generation. */
	static const char *const a3[] = {
		INFO("3", GEN1, "11"), "3 11 1\n0 1", INFO("3", GEN2, "11"),
	};
	struct cs_cbt_ranges rs;
	struct cs_cbt_info info;
	FAKE(f1, m1, a1);
	FAKE(f2, m2, a2);
	FAKE(f3, m2, a3);

	CU_ASSERT_EQUAL(cs_cbt_changes(&cbt_f1, 0, &info, &rs), -EAGAIN);
	CU_ASSERT_PTR_NULL(rs.r);
	CU_ASSERT_EQUAL(rs.nr, 0);
	CU_ASSERT_EQUAL(cs_cbt_changes(&cbt_f2, 0, &info, &rs), -EAGAIN);
	CU_ASSERT_EQUAL(cs_cbt_changes(&cbt_f3, 0, &info, &rs), -EAGAIN);
}

struct collected {
	uint8_t map[64];
	uint64_t next;
	int pages;
};

static int collect(void *priv, uint64_t offset, const uint8_t *bytes,
		   uint64_t nr)
{
	struct collected *c = priv;

	CU_ASSERT_EQUAL(offset, c->next);
	CU_ASSERT(offset + nr <= sizeof(c->map));
	if (offset + nr > sizeof(c->map))
		return -EIO;
	memcpy(c->map + offset, bytes, nr);
	c->next = offset + nr;
	c->pages++;
	return 0;
}

static void test_read_map(void)
{
	static const char *const m[] = {
		"info", "map 0 4", "map 4 4", "map 7 4", "map 10 1", "info",
	};
	static const char *const a[] = {
		INFO("3", GEN1, "11"),
		"3 0 4 4\n00x2 03x2\n",
		"3 4 3 7\n01x3",		/* fewer than asked: fine */
		"3 7 3 10\n00x3",
		"3 10 1 11\n02x1\n",
		INFO("3", GEN1, "11"),
	};
	struct collected c = { .pages = 0 };
	struct cs_cbt_info info;
	FAKE(f, m, a);

	CU_ASSERT_EQUAL_FATAL(cs_cbt_read_map(&cbt_f, 4, &info, collect, &c),
			      0);
	CU_ASSERT_EQUAL(f.pos, 6);
	CU_ASSERT_EQUAL(c.pages, 4);
	CU_ASSERT_EQUAL(c.next, 11);
	CU_ASSERT(!memcmp(c.map, "\x00\x00\x03\x03\x01\x01\x01\x00\x00\x00\x02",
			  11));
}

static void test_read_map_refused(void)
{
	static const char *const m1[] = { "info", "map 0 11" };
	static const char *const a1[] = {
		INFO("3", GEN1, "11"), "3 0 11 11\n00x10 0ax1",
	};
	static const char *const a2[] = {
		INFO("3", GEN1, "11"), "4 0 11 11\n00x11",
	};
	static const char *const a3[] = {
		INFO("3", GEN1, "11"), "3 0 11 11\n00x12",
	};
	struct collected c = { .pages = 0 };
	struct cs_cbt_info info;
	FAKE(f1, m1, a1);
	FAKE(f2, m1, a2);
	FAKE(f3, m1, a3);

	/* A byte above the frozen number, a checkpoint, runs overflowing. */
	CU_ASSERT_EQUAL(cs_cbt_read_map(&cbt_f1, 0, &info, collect, &c),
			-EINVAL);
	CU_ASSERT_EQUAL(cs_cbt_read_map(&cbt_f2, 0, &info, collect, &c),
			-EAGAIN);
	CU_ASSERT_EQUAL(cs_cbt_read_map(&cbt_f3, 0, &info, collect, &c),
			-EINVAL);
	CU_ASSERT_EQUAL(c.pages, 0);
}

static void test_mark_dirty_split(void)
{
	static const char *const m[] = { "*", "*", "*" };
	static const char *const a[] = { "", "", "" };
	struct cs_cbt_extent e[2 * CBT_MARK_RANGES_MAX + 2];
	size_t i;
	FAKE(f, m, a);

	for (i = 0; i < ARRAY_SIZE(e); i++)
		e[i] = (struct cs_cbt_extent){ i * 16, 8 };
	CU_ASSERT_EQUAL(cs_cbt_mark_dirty(&cbt_f, e, ARRAY_SIZE(e)), 0);
	CU_ASSERT_EQUAL(f.pos, 3);
	f.pos = 0;
	CU_ASSERT_EQUAL(cs_cbt_mark_dirty(&cbt_f, e, CBT_MARK_RANGES_MAX), 0);
	CU_ASSERT_EQUAL(f.pos, 1);
}

static void test_read_events(void)
{
	static const char *const m[] = { "events 7" };
	static const char *const a[] = {
		"9 9 1\n9 1.0 generation_reset " GEN1 "\n",
	};
	struct cs_cbt_events_page p;
	FAKE(f, m, a);

	CU_ASSERT_EQUAL_FATAL(cs_cbt_events_read(&cbt_f, 7, &p), 0);
	CU_ASSERT_EQUAL(p.count, 1);
	CU_ASSERT_EQUAL(cs_cbt_events_missed(&p, 7), 1);
	cs_cbt_events_page_free(&p);
}

static CU_TestInfo answer_tests[] = {
	{ "info", test_info },
	{ "info_malformed", test_info_malformed },
	{ "checkpoint", test_checkpoint },
	{ "changes_page", test_changes_page },
	{ "changes_malformed", test_changes_malformed },
	{ "range_bytes", test_range_bytes },
	{ "events", test_events },
	{ "events_malformed", test_events_malformed },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo map_tests[] = {
	{ "round_trip", test_rle_round_trip },
	{ "values", test_rle_values },
	{ "malformed", test_rle_malformed },
	{ "page", test_map_page },
	{ "page_malformed", test_map_page_malformed },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo line_tests[] = {
	{ "table_params", test_table_params },
	{ "extents", test_extents },
	{ "mark_message", test_mark_message },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo paging_tests[] = {
	{ "changes", test_read_changes },
	{ "changes_since_frozen", test_read_changes_since_frozen },
	{ "changes_refused", test_read_changes_refused },
	{ "changes_checkpointed", test_read_changes_checkpointed },
	{ "map", test_read_map },
	{ "map_refused", test_read_map_refused },
	{ "mark_dirty_split", test_mark_dirty_split },
	{ "events", test_read_events },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "cbt_answers", NULL, NULL, NULL, NULL, answer_tests },
	{ "cbt_map_text", NULL, NULL, NULL, NULL, map_tests },
	{ "cbt_lines", NULL, NULL, NULL, NULL, line_tests },
	{ "cbt_paging", NULL, NULL, NULL, NULL, paging_tests },
	CU_SUITE_INFO_NULL,
};
