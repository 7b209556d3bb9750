// SPDX-License-Identifier: GPL-2.0
/*
 * blkfilter bad input: every bad table line and bad message is refused,
 * with the reason in the kernel log, no kernel warning, and nothing left
 * behind; the device stays usable after a refused message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

#define DEV_SECTORS	8192ULL

static char *loop;

static int table_init(void)
{
	loop = tl_loop_create(DEV_SECTORS << 9);
	return loop ? 0 : -1;
}

static int table_clean(void)
{
	tl_teardown();
	free(loop);
	return 0;
}

/*
 * A target line after "<start> <len>": "%D" stands for the loop device;
 * @why is what the kernel log must say.
 */
struct bad_line {
	unsigned long long len;
	const char *args;
	const char *why;
};

static const struct bad_line bad_lines[] = {
	{ 8192, "", "Missing device beneath" },
	{ 8192, "/dev/cowsnap-no-such-device", "Cannot open the device beneath" },
	{ 8193, "%D", "Device beneath is smaller than the target" },
	{ 8192, "%D 1", "Invalid number of optional arguments" },
	{ 8192, "%D x", "Invalid number of optional arguments" },
	{ 8192, "%D 6 ring_size 64 uevent_ms 1 a b", "Invalid number of optional arguments" },
	{ 8192, "%D 1 ring_size", "Optional arguments come in keyword/value pairs" },
	{ 8192, "%D 2 ring_sized 64", "Unknown optional argument" },
	{ 8192, "%D 2 ring_size", "Invalid number of optional arguments" },
	{ 8192, "%D 2 ring_size x64", "Invalid ring_size value" },
	{ 8192, "%D 2 ring_size -16", "Invalid ring_size value" },
	{ 8192, "%D 2 ring_size 8", "ring_size must be a power of two" },
	{ 8192, "%D 2 ring_size 1000", "ring_size must be a power of two" },
	{ 8192, "%D 2 ring_size 131072", "ring_size must be a power of two" },
	{ 8192, "%D 2 ring_size 4294967296", "Invalid ring_size value" },
	{ 8192, "%D 4 ring_size 64 ring_size 64", "Duplicate ring_size argument" },
	{ 8192, "%D 2 uevent_ms 60001", "uevent_ms must be from 0 to 60000" },
	{ 8192, "%D 2 uevent_ms 1.5", "Invalid uevent_ms value" },
	{ 8192, "%D 4 uevent_ms 5 uevent_ms 6", "Duplicate uevent_ms argument" },
	{ 8192, "%D 2 ring_size 64 extra", "Too many arguments" },
	{ 8192, "%D 0 extra", "Too many arguments" },
};

static void expand(char *out, size_t size, const char *args)
{
	const char *d = strstr(args, "%D");

	if (!d)
		snprintf(out, size, "%s", args);
	else
		snprintf(out, size, "%.*s%s%s", (int)(d - args), args, loop,
			 d + 2);
}

static void test_bad_table_lines(void)
{
	const char *name = tl_dm_name("bad");
	char args[256], table[320], *log;
	unsigned int i;
	int kmsg;

	for (i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		const struct bad_line *b = &bad_lines[i];

		expand(args, sizeof(args), b->args);
		snprintf(table, sizeof(table), "0 %llu blkfilter %s", b->len,
			 args);
		kmsg = tl_kmsg_open();
		CU_ASSERT_FATAL(kmsg >= 0);
		CU_ASSERT_NOT_EQUAL(tl_dm_create(name, table), 0);
		log = tl_kmsg_read(kmsg);
		close(kmsg);
		if (!strstr(log, b->why)) {
			fprintf(stderr, "line '%s': log lacks '%s':\n%s", table,
				b->why, log);
			CU_FAIL("refusal does not name the reason");
		}
		CU_ASSERT_FALSE(tl_kmsg_has_warning(log));
		free(log);
		/* dmsetup removes the device when its table is refused. */
		CU_ASSERT_NOT_EQUAL(tl_run(NULL, "dmsetup info %s", name), 0);
	}
}

static const struct {
	const char *msg;
	const char *why;
} bad_messages[] = {
	{ "events", "usage: events <after_seq>" },
	{ "events x", "usage: events <after_seq>" },
	{ "events 0x10", "usage: events <after_seq>" },
	{ "events 18446744073709551616", "usage: events <after_seq>" },
	{ "events 0 0", "usage: events <after_seq>" },
	{ "events 0 257", "usage: events <after_seq>" },
	{ "events 0 1 2", "usage: events <after_seq>" },
	{ "events 0 1x", "usage: events <after_seq>" },
	{ "event 0", "unknown message 'event'" },
	{ "checkpoint", "unknown message 'checkpoint'" },
};

static void test_bad_messages(void)
{
	const char *name = tl_dm_name("msg");
	char table[256], *log, *out = NULL;
	unsigned int i;
	int kmsg;

	snprintf(table, sizeof(table), "0 %llu blkfilter %s", DEV_SECTORS,
		 loop);
	CU_ASSERT_FATAL(tl_dm_create(name, table) == 0);
	for (i = 0; i < sizeof(bad_messages) / sizeof(bad_messages[0]); i++) {
		kmsg = tl_kmsg_open();
		CU_ASSERT_FATAL(kmsg >= 0);
		CU_ASSERT_NOT_EQUAL(tl_dm_message(name, bad_messages[i].msg,
						  NULL), 0);
		log = tl_kmsg_read(kmsg);
		close(kmsg);
		if (!strstr(log, bad_messages[i].why)) {
			fprintf(stderr, "message '%s': log lacks '%s':\n%s",
				bad_messages[i].msg, bad_messages[i].why, log);
			CU_FAIL("refusal does not name the reason");
		}
		CU_ASSERT_FALSE(tl_kmsg_has_warning(log));
		free(log);
	}
	/* Still answers a good message, with an empty log. */
	CU_ASSERT_EQUAL(tl_dm_message(name, "events 0", &out), 0);
	CU_ASSERT_STRING_EQUAL(out, "0 1 0 0\n");
	free(out);
	CU_ASSERT_EQUAL(tl_run(NULL, "dmsetup remove %s", name), 0);
}

static CU_TestInfo table_tests[] = {
	{ "bad_table_lines", test_bad_table_lines },
	{ "bad_messages", test_bad_messages },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "bad_input", table_init, table_clean, NULL, NULL, table_tests },
	CU_SUITE_INFO_NULL,
};
