// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap events.c and uevent.c parsers: answers of the blkfilter
 * "events" message, their formatting, and kernel uevent messages.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/dm-blkfilter.h>

#include "cowsnap.h"
#include "testlib.h"

/* ------------------------------------------------------------------------
 * events answers
 * ---------------------------------------------------------------------- */

static void test_empty_ring(void)
{
	struct cs_events_page p;

	CU_ASSERT_EQUAL_FATAL(cs_events_parse("0 1 0 0\n", 0, &p), 0);
	CU_ASSERT_EQUAL(p.last_seq, 0);
	CU_ASSERT_EQUAL(p.first_seq, 1);
	CU_ASSERT_EQUAL(p.dropped, 0);
	CU_ASSERT_EQUAL(p.count, 0);
	CU_ASSERT_PTR_NULL(p.events);
	CU_ASSERT_EQUAL(cs_events_missed(&p, 0), 0);
	cs_events_page_free(&p);

	/* No trailing newline is fine too. */
	CU_ASSERT_EQUAL(cs_events_parse("7 8 0 0", 7, &p), 0);
	CU_ASSERT_EQUAL(p.last_seq, 7);
	cs_events_page_free(&p);
}

static void test_two_records(void)
{
	const char *answer =
		"5 4 3 2\n"
		"4 1714566896.789012345 medium read 2048 8\n"
		"5 1714566897.000000001 io write_fua 18446744073709551615 0\n";
	struct cs_events_page p;
	struct cs_event *e;

	CU_ASSERT_EQUAL_FATAL(cs_events_parse(answer, 3, &p), 0);
	CU_ASSERT_EQUAL(p.last_seq, 5);
	CU_ASSERT_EQUAL(p.first_seq, 4);
	CU_ASSERT_EQUAL(p.dropped, 3);
	CU_ASSERT_EQUAL_FATAL(p.count, 2);
	e = &p.events[0];
	CU_ASSERT_EQUAL(e->seq, 4);
	CU_ASSERT_EQUAL(e->sec, 1714566896);
	CU_ASSERT_EQUAL(e->nsec, 789012345);
	CU_ASSERT_EQUAL(e->cls, BLKFILTER_ERR_MEDIUM);
	CU_ASSERT_STRING_EQUAL(e->cls_name, "medium");
	CU_ASSERT_EQUAL(e->op, BLKFILTER_OP_READ);
	CU_ASSERT_EQUAL(e->sector, 2048);
	CU_ASSERT_EQUAL(e->sectors, 8);
	e = &p.events[1];
	CU_ASSERT_EQUAL(e->seq, 5);
	CU_ASSERT_EQUAL(e->nsec, 1);
	CU_ASSERT_EQUAL(e->cls, BLKFILTER_ERR_IO);
	CU_ASSERT_EQUAL(e->op, BLKFILTER_OP_WRITE_FUA);
	CU_ASSERT_EQUAL(e->sector, UINT64_MAX);
	CU_ASSERT_EQUAL(e->sectors, 0);
	CU_ASSERT_EQUAL(cs_events_missed(&p, 3), 0);
	cs_events_page_free(&p);
	CU_ASSERT_PTR_NULL(p.events);
	CU_ASSERT_EQUAL(p.count, 0);
}

/* Every class and op name of the UAPI header parses back to its index. */
static void test_all_names(void)
{
	static const char *const classes[] = BLKFILTER_ERROR_CLASS_NAMES;
	static const char *const ops[] = BLKFILTER_OP_NAMES;
	struct cs_events_page p;
	char answer[256];
	int i;

	for (i = 0; i < BLKFILTER_ERR_NR; i++) {
		snprintf(answer, sizeof(answer), "1 1 0 1\n1 0.000000000 %s %s 0 1\n",
			 classes[i], ops[i % BLKFILTER_OP_NR]);
		CU_ASSERT_EQUAL_FATAL(cs_events_parse(answer, 0, &p), 0);
		CU_ASSERT_EQUAL(p.events[0].cls, i);
		CU_ASSERT_EQUAL(p.events[0].op, i % BLKFILTER_OP_NR);
		CU_ASSERT_STRING_EQUAL(cs_event_class_name(i), classes[i]);
		cs_events_page_free(&p);
	}
	CU_ASSERT_PTR_NULL(cs_event_class_name(BLKFILTER_ERR_NR));
	CU_ASSERT_PTR_NULL(cs_event_op_name(-1));
	CU_ASSERT_STRING_EQUAL(cs_event_op_name(BLKFILTER_OP_SECURE_ERASE),
			       "secure_erase");
}

/* A name from a newer kernel is kept as text, with index -1. */
static void test_unknown_name(void)
{
	struct cs_events_page p;

	CU_ASSERT_EQUAL_FATAL(cs_events_parse(
		"1 1 0 1\n1 5.5 cosmic_ray zone_append 8 8\n", 0, &p), 0);
	CU_ASSERT_EQUAL(p.events[0].cls, -1);
	CU_ASSERT_EQUAL(p.events[0].op, -1);
	CU_ASSERT_STRING_EQUAL(p.events[0].cls_name, "cosmic_ray");
	CU_ASSERT_STRING_EQUAL(p.events[0].op_name, "zone_append");
	CU_ASSERT_EQUAL(p.events[0].nsec, 5);
	cs_events_page_free(&p);
}

static void test_missed(void)
{
	struct cs_events_page p;

	/* Reader saw seq 2, ring now starts at 10: 3..9 are gone. */
	CU_ASSERT_EQUAL_FATAL(cs_events_parse("10 10 9 1\n10 1.0 io read 0 8\n",
					      2, &p), 0);
	CU_ASSERT_EQUAL(cs_events_missed(&p, 2), 7);
	CU_ASSERT_EQUAL(cs_events_missed(&p, 9), 0);
	cs_events_page_free(&p);
	/* Empty ring that moved on: 5..7 were overwritten. */
	CU_ASSERT_EQUAL_FATAL(cs_events_parse("7 8 7 0\n", 4, &p), 0);
	CU_ASSERT_EQUAL(cs_events_missed(&p, 4), 3);
	cs_events_page_free(&p);
}

static const char *const malformed[] = {
	"",
	"\n",
	"1 1 0",
	"1 1 0 0 0",
	"1  1 0 0",
	" 1 1 0 0",
	"1 1 0 0 ",
	"1\t1 0 0",
	"x 1 0 0",
	"-1 1 0 0",
	"+1 1 0 0",
	"18446744073709551616 1 0 0",
	"1 1 0 257",			/* above BLKFILTER_EVENTS_MAX */
	"1 3 0 0",			/* first_seq > last_seq + 1 */
	"1 0 0 0",			/* first_seq 0 */
	"0 1 0 0\r\n",
	"0 1 0 0\n\n",
	"0 1 0 0\nextra",
	"1 1 0 1",			/* record missing */
	"1 1 0 1\n",
	"1 1 0 0\n1 1.0 io read 0 8\n",	/* one record too many */
	"1 1 0 1\n1 1.0 io read 0\n",
	"1 1 0 1\n1 1.0 io read 0 8 9\n",
	"1 1 0 1\n1 1.0 io read 0 8\n\n",
	"1 1 0 1\n1 1.0 io read 0 8\ngarbage",
	"1 1 0 1\n1 1.0 io  read 0 8\n",
	"1 1 0 1\n1 1 io read 0 8\n",		/* no nanoseconds */
	"1 1 0 1\n1 1. io read 0 8\n",
	"1 1 0 1\n1 .5 io read 0 8\n",
	"1 1 0 1\n1 1.1000000000 io read 0 8\n",	/* 10 digits */
	"1 1 0 1\n1 1.-5 io read 0 8\n",
	"1 1 0 1\n1 1.5.5 io read 0 8\n",
	"1 1 0 1\n1 99999999999999999999.0 io read 0 8\n",
	"1 1 0 1\n1 1.0 IO read 0 8\n",
	"1 1 0 1\n1 1.0 i-o read 0 8\n",
	"1 1 0 1\n1 1.0 io read_write_and_then_some_more 0 8\n",
	"1 1 0 1\n1 1.0 io read -1 8\n",
	"1 1 0 1\n1 1.0 io read 0 0x8\n",
	"1 1 0 1\n2 1.0 io read 0 8\n",		/* seq > last_seq */
	"5 3 0 1\n2 1.0 io read 0 8\n",		/* seq < first_seq */
	"3 1 0 2\n2 1.0 io read 0 8\n2 1.0 io read 0 8\n",	/* not increasing */
	"3 1 0 2\n3 1.0 io read 0 8\n2 1.0 io read 0 8\n",
};

static void test_malformed(void)
{
	struct cs_events_page p;
	size_t i;

	int r;

	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		memset(&p, 0x5a, sizeof(p));
		r = cs_events_parse(malformed[i], 0, &p);
		if (r != -EINVAL)
			fprintf(stderr, "malformed[%zu] not rejected\n", i);
		CU_ASSERT_EQUAL(r, -EINVAL);
		CU_ASSERT_PTR_NULL(p.events);
		CU_ASSERT_EQUAL(p.count, 0);
	}
	/* A record at or before after_seq is a kernel bug: rejected. */
	CU_ASSERT_EQUAL(cs_events_parse("6 1 0 1\n5 1.0 io read 0 8\n", 5, &p),
			-EINVAL);
}

/* Records formatted the way the kernel does come back unchanged. */
static void test_round_trip(void)
{
	static const char *const classes[] = BLKFILTER_ERROR_CLASS_NAMES;
	static const char *const ops[] = BLKFILTER_OP_NAMES;
	char answer[BLKFILTER_EVENTS_MAX * BLKFILTER_EVENT_LINE_MAX + 96];
	struct cs_events_page p;
	unsigned int i, n = BLKFILTER_EVENTS_MAX;
	size_t len;

	len = (size_t)snprintf(answer, sizeof(answer), "%u %u %u %u\n",
			       1000 + n - 1, 1000, 999, n);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(answer + len, sizeof(answer) - len,
					"%u %u.%09u %s %s %llu %u\n", 1000 + i,
					1700000000 + i, i * 3906250,
					classes[i % BLKFILTER_ERR_NR],
					ops[i % BLKFILTER_OP_NR],
					(unsigned long long)i << 33, i);
	CU_ASSERT_EQUAL_FATAL(cs_events_parse(answer, 999, &p), 0);
	CU_ASSERT_EQUAL_FATAL(p.count, n);
	for (i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(p.events[i].seq, 1000 + i);
		CU_ASSERT_EQUAL(p.events[i].sec, 1700000000 + i);
		CU_ASSERT_EQUAL(p.events[i].nsec, i * 3906250);
		CU_ASSERT_EQUAL(p.events[i].cls, (int)(i % BLKFILTER_ERR_NR));
		CU_ASSERT_EQUAL(p.events[i].op, (int)(i % BLKFILTER_OP_NR));
		CU_ASSERT_EQUAL(p.events[i].sector, (uint64_t)i << 33);
		CU_ASSERT_EQUAL(p.events[i].sectors, i);
	}
	CU_ASSERT_EQUAL(cs_events_missed(&p, 999), 0);
	cs_events_page_free(&p);
}

static void test_message(void)
{
	char buf[32];

	CU_ASSERT_EQUAL(cs_events_message(0, 0, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "events 0");
	CU_ASSERT_EQUAL(cs_events_message(18446744073709551615ULL, 256, buf,
					  sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "events 18446744073709551615 256");
	CU_ASSERT_EQUAL(cs_events_message(12345, 0, buf, 8), -ENAMETOOLONG);
}

/* ------------------------------------------------------------------------
 * Formatting
 * ---------------------------------------------------------------------- */

static void test_format_time(void)
{
	char buf[CS_EVENT_TIME_LEN];

	CU_ASSERT_EQUAL(cs_event_format_time(0, 0, buf), 0);
	CU_ASSERT_STRING_EQUAL(buf, "1970-01-01T00:00:00.000Z");
	/* Milliseconds are truncated, not rounded. */
	CU_ASSERT_EQUAL(cs_event_format_time(1714566896, 789999999, buf), 0);
	CU_ASSERT_STRING_EQUAL(buf, "2024-05-01T12:34:56.789Z");
	CU_ASSERT_EQUAL(cs_event_format_time(951782400, 1000000, buf), 0);
	CU_ASSERT_STRING_EQUAL(buf, "2000-02-29T00:00:00.001Z");
	CU_ASSERT_EQUAL(cs_event_format_time(INT64_MAX, 5, buf), -EOVERFLOW);
	CU_ASSERT_STRING_EQUAL(buf, "9223372036854775807.000000005");
}

static const struct cs_event sample = {
	.seq = 4, .sec = 1714566896, .nsec = 789012345,
	.cls = BLKFILTER_ERR_MEDIUM, .op = BLKFILTER_OP_READ,
	.cls_name = "medium", .op_name = "read", .sector = 2048, .sectors = 8,
};

static void test_format_line(void)
{
	char buf[CS_EVENT_LINE_LEN];

	CU_ASSERT_STRING_EQUAL(cs_event_format(&sample, buf),
			       "4 2024-05-01T12:34:56.789Z medium read 2048 8");
}

static void test_format_json(void)
{
	struct cs_json j;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&out, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	cs_json_init(&j, f, 0);
	cs_event_json(&j, &sample);
	CU_ASSERT_EQUAL(cs_json_finish(&j), 0);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(out,
		"{\"type\":\"event\",\"seq\":4,\"time\":\"2024-05-01T12:34:56.789Z\","
		"\"sec\":1714566896,\"nsec\":789012345,\"class\":\"medium\","
		"\"op\":\"read\",\"sector\":2048,\"sectors\":8}\n");
	free(out);
}

/* ------------------------------------------------------------------------
 * Kernel uevents
 * ---------------------------------------------------------------------- */

#define UEVENT(s)	s, sizeof(s) - 1

static const char change_msg[] =
	"change@/devices/virtual/block/dm-3\0ACTION=change\0"
	"DEVPATH=/devices/virtual/block/dm-3\0SUBSYSTEM=block\0"
	"MAJOR=253\0MINOR=3\0DEVNAME=dm-3\0DEVTYPE=disk\0SEQNUM=4242\0"
	"COWSNAP_EVENT=io_error\0COWSNAP_SEQ=17\0COWSNAP_TARGET=blkfilter\0";

static void test_uevent_cowsnap(void)
{
	struct cs_devno mine = { 253, 3 }, other = { 253, 4 };
	struct cs_uevent ev;

	CU_ASSERT_EQUAL_FATAL(cs_uevent_parse(UEVENT(change_msg), &ev), 0);
	CU_ASSERT_STRING_EQUAL(ev.action, "change");
	CU_ASSERT(ev.has_dev);
	CU_ASSERT_EQUAL(ev.dev.major, 253);
	CU_ASSERT_EQUAL(ev.dev.minor, 3);
	CU_ASSERT_STRING_EQUAL(ev.event, "io_error");
	CU_ASSERT(ev.has_seq);
	CU_ASSERT_EQUAL(ev.seq, 17);
	CU_ASSERT(cs_uevent_is_cowsnap(&ev, mine));
	CU_ASSERT_FALSE(cs_uevent_is_cowsnap(&ev, other));
}

static void test_uevent_others(void)
{
	struct cs_devno dev = { 253, 3 };
	struct cs_uevent ev;

	/* dm's own change uevent on resume: no COWSNAP_EVENT. */
	CU_ASSERT_EQUAL(cs_uevent_parse(UEVENT(
		"change@/devices/virtual/block/dm-3\0ACTION=change\0MAJOR=253\0"
		"MINOR=3\0DM_COOKIE=1234\0"), &ev), 0);
	CU_ASSERT_FALSE(cs_uevent_is_cowsnap(&ev, dev));
	CU_ASSERT_FALSE(ev.has_seq);
	/* Not a change. */
	CU_ASSERT_EQUAL(cs_uevent_parse(UEVENT(
		"add@/devices/virtual/block/dm-3\0MAJOR=253\0MINOR=3\0"
		"COWSNAP_EVENT=io_error\0"), &ev), 0);
	CU_ASSERT_FALSE(cs_uevent_is_cowsnap(&ev, dev));
	/* MINOR missing or not a number. */
	CU_ASSERT_EQUAL(cs_uevent_parse(UEVENT(
		"change@/x\0MAJOR=253\0COWSNAP_EVENT=io_error\0"), &ev), 0);
	CU_ASSERT_FALSE(ev.has_dev);
	CU_ASSERT_EQUAL(cs_uevent_parse(UEVENT(
		"change@/x\0MAJOR=253\0MINOR=3x\0COWSNAP_EVENT=io_error\0"), &ev), 0);
	CU_ASSERT_FALSE(cs_uevent_is_cowsnap(&ev, dev));
	/* A variable that merely starts like ours. */
	CU_ASSERT_EQUAL(cs_uevent_parse(UEVENT(
		"change@/x\0MAJOR=253\0MINOR=3\0COWSNAP_EVENTS=io_error\0"), &ev), 0);
	CU_ASSERT_FALSE(cs_uevent_is_cowsnap(&ev, dev));
	/* The last variable lacks its NUL: ignored, the rest is fine. */
	CU_ASSERT_EQUAL(cs_uevent_parse(UEVENT(
		"change@/x\0MAJOR=253\0MINOR=3\0COWSNAP_EVENT=io_error\0COWSNAP_SEQ=9"),
		&ev), 0);
	CU_ASSERT(cs_uevent_is_cowsnap(&ev, dev));
	CU_ASSERT_FALSE(ev.has_seq);
}

static void test_uevent_malformed(void)
{
	struct cs_uevent ev;

	/* libudev's messages (group 2) start with "libudev". */
	CU_ASSERT_EQUAL(cs_uevent_parse(UEVENT("libudev\0\xfe\xed\xca\xfe"), &ev),
			-EINVAL);
	CU_ASSERT_EQUAL(cs_uevent_parse(UEVENT("change@/x"), &ev), -EINVAL);
	CU_ASSERT_EQUAL(cs_uevent_parse(UEVENT("@/x\0MAJOR=1\0"), &ev), -EINVAL);
	CU_ASSERT_EQUAL(cs_uevent_parse(UEVENT("change@\0MAJOR=1\0"), &ev),
			-EINVAL);
	CU_ASSERT_EQUAL(cs_uevent_parse(UEVENT("averyveryverylongaction@/x\0"),
					&ev), -EINVAL);
	CU_ASSERT_EQUAL(cs_uevent_parse("", 0, &ev), -EINVAL);
}

static CU_TestInfo events_tests[] = {
	{ "empty_ring", test_empty_ring },
	{ "two_records", test_two_records },
	{ "all_names", test_all_names },
	{ "unknown_name", test_unknown_name },
	{ "missed", test_missed },
	{ "malformed", test_malformed },
	{ "round_trip", test_round_trip },
	{ "message", test_message },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo format_tests[] = {
	{ "time", test_format_time },
	{ "line", test_format_line },
	{ "json", test_format_json },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo uevent_tests[] = {
	{ "cowsnap", test_uevent_cowsnap },
	{ "others", test_uevent_others },
	{ "malformed", test_uevent_malformed },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "events_parse", NULL, NULL, NULL, NULL, events_tests },
	{ "events_format", NULL, NULL, NULL, NULL, format_tests },
	{ "uevent_parse", NULL, NULL, NULL, NULL, uevent_tests },
	CU_SUITE_INFO_NULL,
};
