// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap snapshot-parse.c, the snapshot names of names.c and
 * cs_parse_size(): table lines, the status, info, written and events
 * answers of the cowsnap targets, defaults and the monitor's growth rule;
 * also the monitor socket and cs_spawn_daemon() (no device needed).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cowsnap.h"
#include "testlib.h"

#define VUUID	"0123456789abcdef0123456789abcdef"
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define INFO(state, used, size, lw)					\
	"set=s1 member=" VUUID " state=" state " error=0 "		\
	"chunk_size=65536 store_used=" used " store_size=" size		\
	" store_dev=253:7 members=2 copied=3 set_copied=5 written=1 "	\
	"memory=4096 low_water=" lw " last_event=9"

/* ------------------------------------------------------------------------
 * Sizes, names
 * ---------------------------------------------------------------------- */

static void test_parse_size(void)
{
	static const char *const bad[] = {
		"", "K", "1.5G", "-1", "+1", " 1", "1 ", "1KB", "1Ki", "0x10",
		"1P", "k1", "123456789012345678901234",
	};
	uint64_t v = 7;
	size_t i;

	CU_ASSERT_EQUAL(cs_parse_size("0", &v), 0);
	CU_ASSERT_EQUAL(v, 0);
	CU_ASSERT_EQUAL(cs_parse_size("512", &v), 0);
	CU_ASSERT_EQUAL(v, 512);
	CU_ASSERT_EQUAL(cs_parse_size("4K", &v), 0);
	CU_ASSERT_EQUAL(v, 4096);
	CU_ASSERT_EQUAL(cs_parse_size("4k", &v), 0);
	CU_ASSERT_EQUAL(v, 4096);
	CU_ASSERT_EQUAL(cs_parse_size("64M", &v), 0);
	CU_ASSERT_EQUAL(v, 64ULL << 20);
	CU_ASSERT_EQUAL(cs_parse_size("3g", &v), 0);
	CU_ASSERT_EQUAL(v, 3ULL << 30);
	CU_ASSERT_EQUAL(cs_parse_size("2T", &v), 0);
	CU_ASSERT_EQUAL(v, 2ULL << 40);
	CU_ASSERT_EQUAL(cs_parse_size("16777215T", &v), 0);
	CU_ASSERT_EQUAL(cs_parse_size("16777216T", &v), -ERANGE);
	CU_ASSERT_EQUAL(cs_parse_size("18446744073709551616", &v), -ERANGE);
	CU_ASSERT_EQUAL(cs_parse_size("12345678901234567890123", &v), -ERANGE);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (cs_parse_size(bad[i], &v) != -EINVAL) {
			fprintf(stderr, "accepted: \"%s\"\n", bad[i]);
			CU_FAIL("malformed size accepted");
		}
}

static void test_set_id(void)
{
	static const char *const good[] = {
		"s", "s0123abcd", "A_b-C", "_x", "0",
		"1234567890123456789012345678901234567890123456789012345678901234",
	};
	static const char *const bad[] = {
		"", "-s", "a b", "a.b", "a@b", "a/b", "ä",
		"12345678901234567890123456789012345678901234567890123456789012345",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++)
		CU_ASSERT_EQUAL(cs_snap_id_check(good[i]), 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		CU_ASSERT_EQUAL(cs_snap_id_check(bad[i]), -EINVAL);
}

static void test_snap_names(void)
{
	char name[CS_DM_NAME_LEN], uuid[CS_DM_UUID_LEN], v[40], id[80];
	char longvol[CS_NAME_MAX + 1];

	CU_ASSERT_EQUAL(cs_image_names("data", VUUID, "s1", name, uuid), 0);
	CU_ASSERT_STRING_EQUAL(name, "data@s1");
	CU_ASSERT_STRING_EQUAL(uuid, "COWSNAP-SNAP-" VUUID "-s1");
	CU_ASSERT_EQUAL(cs_snap_uuid_parse(uuid, v, id), CS_UUID_IMAGE);
	CU_ASSERT_STRING_EQUAL(v, VUUID);
	CU_ASSERT_STRING_EQUAL(id, "s1");
	CU_ASSERT_EQUAL(cs_uuid_parse(uuid, v, NULL), CS_UUID_IMAGE);

	CU_ASSERT_EQUAL(cs_store_names("a-b_c", name, uuid), 0);
	CU_ASSERT_STRING_EQUAL(name, "cowsnap@a-b_c.store");
	CU_ASSERT_STRING_EQUAL(uuid, "COWSNAP-STORE-a-b_c");
	CU_ASSERT_EQUAL(cs_snap_uuid_parse(uuid, v, id), CS_UUID_STORE);
	CU_ASSERT_STRING_EQUAL(id, "a-b_c");
	CU_ASSERT_EQUAL(cs_uuid_parse(uuid, NULL, NULL), CS_UUID_STORE);

	/* Volumes and layers are what they were. */
	v[0] = '\0';
	CU_ASSERT_EQUAL(cs_snap_uuid_parse("COWSNAP-" VUUID "-origin", v, id),
			CS_UUID_LAYER);
	CU_ASSERT_STRING_EQUAL(v, VUUID);
	v[0] = '\0';
	CU_ASSERT_EQUAL(cs_snap_uuid_parse("COWSNAP-" VUUID, v, id),
			CS_UUID_VOLUME);
	CU_ASSERT_STRING_EQUAL(v, VUUID);
	CU_ASSERT_EQUAL(cs_snap_uuid_parse("LVM-xyz", v, id), CS_UUID_FOREIGN);
	CU_ASSERT_EQUAL(cs_snap_uuid_parse("", v, id), CS_UUID_NONE);
	/* Malformed ones. */
	CU_ASSERT_EQUAL(cs_uuid_parse("COWSNAP-SNAP-" VUUID, NULL, NULL),
			CS_UUID_INVALID);
	CU_ASSERT_EQUAL(cs_uuid_parse("COWSNAP-SNAP-" VUUID "-", NULL, NULL),
			CS_UUID_INVALID);
	CU_ASSERT_EQUAL(cs_uuid_parse("COWSNAP-SNAP-" VUUID "-a.b", NULL,
				      NULL), CS_UUID_INVALID);
	CU_ASSERT_EQUAL(cs_uuid_parse("COWSNAP-SNAP-0123-s1", NULL, NULL),
			CS_UUID_INVALID);
	CU_ASSERT_EQUAL(cs_uuid_parse("COWSNAP-STORE-", NULL, NULL),
			CS_UUID_INVALID);
	CU_ASSERT_EQUAL(cs_uuid_parse("COWSNAP-STORES-x", NULL, NULL),
			CS_UUID_INVALID);

	/* The longest volume name and set ID do not fit in a dm name. */
	memset(longvol, 'v', CS_NAME_MAX);
	longvol[CS_NAME_MAX] = '\0';
	CU_ASSERT_EQUAL(cs_image_names(longvol, VUUID, "s1", name, NULL), 0);
	CU_ASSERT_EQUAL(cs_image_names(longvol, VUUID,
				       "1234567890123456789012345678901234567890",
				       name, NULL), -ENAMETOOLONG);
	CU_ASSERT_EQUAL(cs_image_names("d", "0123", "s1", name, uuid),
			-EINVAL);
	CU_ASSERT_EQUAL(cs_store_names("a.b", name, uuid), -EINVAL);
}

/* ------------------------------------------------------------------------
 * Table lines, defaults
 * ---------------------------------------------------------------------- */

static void test_params(void)
{
	struct cs_snap_params p;
	char buf[256];

	CU_ASSERT_EQUAL_FATAL(cs_snap_params_parse("253:4 253:9 s1 " VUUID
						   " 65536", &p), 0);
	CU_ASSERT_EQUAL(p.origin.major, 253);
	CU_ASSERT_EQUAL(p.origin.minor, 4);
	CU_ASSERT_EQUAL(p.store.minor, 9);
	CU_ASSERT_STRING_EQUAL(p.set, "s1");
	CU_ASSERT_STRING_EQUAL(p.member, VUUID);
	CU_ASSERT_EQUAL(p.chunk_size, 65536);
	CU_ASSERT_EQUAL(cs_snap_params_format(&p, true, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "253:4 253:9 s1 " VUUID " 65536");
	CU_ASSERT_EQUAL(cs_snap_params_format(&p, false, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "253:9 s1 " VUUID " 65536");
	CU_ASSERT_EQUAL(cs_snap_params_format(&p, true, buf, 20),
			-ENAMETOOLONG);

	/* Optional arguments are counted and skipped. */
	CU_ASSERT_EQUAL(cs_snap_params_parse("7:0 253:1 a m 4096 2 low_water 5",
					     &p), 0);
	CU_ASSERT_EQUAL(p.chunk_size, 4096);
	CU_ASSERT_EQUAL(cs_snap_params_parse("7:0 253:1 a m 4096 0", &p), 0);
}

static void test_params_malformed(void)
{
	static const char *const bad[] = {
		"", "253:4 253:9 s1 m", "253:4 253:9 s1 m 65536 ",
		"253:4 253:9 s1 m 65537", "253:4 253:9 s1 m 2048",
		"253:4 253:9 s1 m 33554432", "253 253:9 s1 m 65536",
		"253:4 /dev/x s1 m 65536", "253:4 253:9 s.1 m 65536",
		"253:4 253:9 s1 m 65536 2 low_water",
		"253:4 253:9 s1 m 65536 1 low_water 5",
		"253:4  253:9 s1 m 65536", ":4 253:9 s1 m 65536",
	};
	struct cs_snap_params p;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (cs_snap_params_parse(bad[i], &p) != -EINVAL) {
			fprintf(stderr, "accepted: \"%s\"\n", bad[i]);
			CU_FAIL("malformed table line accepted");
		}
}

static void test_defaults(void)
{
	const uint64_t tib = 1ULL << 31;	/* sectors */

	CU_ASSERT_EQUAL(cs_snap_default_chunk(0), 65536);
	CU_ASSERT_EQUAL(cs_snap_default_chunk(2048), 65536);
	CU_ASSERT_EQUAL(cs_snap_default_chunk(tib), 65536);	/* 2^24 */
	CU_ASSERT_EQUAL(cs_snap_default_chunk(tib + 1), 131072);
	CU_ASSERT_EQUAL(cs_snap_default_chunk(16 * tib), 1 << 20);
	CU_ASSERT_EQUAL(cs_snap_default_chunk(UINT64_MAX), COWSNAP_CHUNK_MAX);
	CU_ASSERT(cs_snap_chunk_valid(4096));
	CU_ASSERT(cs_snap_chunk_valid(16 << 20));
	CU_ASSERT(!cs_snap_chunk_valid(2048));
	CU_ASSERT(!cs_snap_chunk_valid(32 << 20));
	CU_ASSERT(!cs_snap_chunk_valid(65536 + 4096));

	/* 10%, at least 64 MiB, whole chunks. */
	CU_ASSERT_EQUAL(cs_snap_default_store(2048, 65536), 64ULL << 20);
	CU_ASSERT_EQUAL(cs_snap_default_store(20 * 2048 * 1024, 65536),
			2ULL << 30);
	CU_ASSERT_EQUAL(cs_snap_default_store(1310721 * 2, 1 << 20),
			(128ULL + 1) << 20);
}

/* ------------------------------------------------------------------------
 * status, info, growth
 * ---------------------------------------------------------------------- */

static void test_status(void)
{
	struct cs_snap_status st;

	CU_ASSERT_EQUAL_FATAL(cs_snap_status_parse(
		"valid 0 65536 1024 262144 12 8192 3\n", &st), 0);
	CU_ASSERT_STRING_EQUAL(st.state, "valid");
	CU_ASSERT_FALSE(st.corrupted);
	CU_ASSERT_EQUAL(st.chunk_size, 65536);
	CU_ASSERT_EQUAL(st.store_used, 1024);
	CU_ASSERT_EQUAL(st.store_size, 262144);
	CU_ASSERT_EQUAL(st.copied, 12);
	CU_ASSERT_EQUAL(st.memory, 8192);
	CU_ASSERT_EQUAL(st.last_event, 3);
	CU_ASSERT_EQUAL(cs_snap_status_parse("corrupted 28 4096 8 8 1 0 1",
					     &st), 0);
	CU_ASSERT(st.corrupted);
	CU_ASSERT_EQUAL(st.error, 28);

	CU_ASSERT_EQUAL(cs_snap_status_parse("valid 0 65536 1 2 3 4", &st),
			-EINVAL);
	CU_ASSERT_EQUAL(cs_snap_status_parse("valid 0 65536 1 2 3 4 5 6", &st),
			-EINVAL);
	CU_ASSERT_EQUAL(cs_snap_status_parse("Valid 0 65536 1 2 3 4 5", &st),
			-EINVAL);
	CU_ASSERT_EQUAL(cs_snap_status_parse("valid 0 1000 1 2 3 4 5", &st),
			-EINVAL);
	CU_ASSERT_EQUAL(cs_snap_status_parse("valid 0 65536 1 2 3 4 5\n\n",
					     &st), -EINVAL);
	CU_ASSERT_EQUAL(cs_snap_status_parse("valid -1 65536 1 2 3 4 5", &st),
			-EINVAL);
	CU_ASSERT_EQUAL(st.chunk_size, 0);	/* zeroed on error */
}

static void test_info(void)
{
	struct cs_snap_info i;

	CU_ASSERT_EQUAL_FATAL(cs_snap_info_parse(INFO("valid", "100", "1000",
						      "20") "\n", &i), 0);
	CU_ASSERT_STRING_EQUAL(i.set, "s1");
	CU_ASSERT_STRING_EQUAL(i.member, VUUID);
	CU_ASSERT_EQUAL(i.store_dev.major, 253);
	CU_ASSERT_EQUAL(i.store_dev.minor, 7);
	CU_ASSERT_EQUAL(i.members, 2);
	CU_ASSERT_EQUAL(i.copied, 3);
	CU_ASSERT_EQUAL(i.set_copied, 5);
	CU_ASSERT_EQUAL(i.written, 1);
	CU_ASSERT_EQUAL(i.memory, 4096);
	CU_ASSERT_EQUAL(i.low_water, 20);
	CU_ASSERT_EQUAL(i.last_event, 9);
	CU_ASSERT_FALSE(i.corrupted);

	CU_ASSERT_EQUAL(cs_snap_info_parse(INFO("valid", "1", "2", "100"), &i),
			-EINVAL);
	CU_ASSERT_EQUAL(cs_snap_info_parse(INFO("valid", "1", "2", "5") " x=1",
					   &i), -EINVAL);
	CU_ASSERT_EQUAL(cs_snap_info_parse("member=" VUUID " set=s1", &i),
			-EINVAL);
	CU_ASSERT_EQUAL(cs_snap_info_parse("", &i), -EINVAL);
}

static void test_growth(void)
{
	const uint64_t mib = 1 << 20;
	struct cs_snap_info i;

	/* 900 of 1000 sectors used: 10% free, below 20%. */
	cs_snap_info_parse(INFO("valid", "900", "1000", "20"), &i);
	CU_ASSERT(cs_snap_low_space(&i));
	CU_ASSERT_EQUAL(cs_snap_growth(&i, 64 * mib, 0), 0);	/* no limit */
	CU_ASSERT_EQUAL(cs_snap_growth(&i, 64 * mib, 1024 * mib), 64 * mib);
	/* Cut to the limit, in whole chunks. */
	CU_ASSERT_EQUAL(cs_snap_growth(&i, 64 * mib, 1000 * 512 + 200000),
			196608);
	CU_ASSERT_EQUAL(cs_snap_growth(&i, 64 * mib, 1000 * 512 + 1000), 0);
	CU_ASSERT_EQUAL(cs_snap_growth(&i, 64 * mib, 1000 * 512), 0);

	/* 800 of 1000: exactly 20% free is not low. */
	cs_snap_info_parse(INFO("valid", "800", "1000", "20"), &i);
	CU_ASSERT_FALSE(cs_snap_low_space(&i));
	CU_ASSERT_EQUAL(cs_snap_growth(&i, 64 * mib, 1024 * mib), 0);
	/* low_water 0: never low; a corrupted set does not grow. */
	cs_snap_info_parse(INFO("valid", "1000", "1000", "0"), &i);
	CU_ASSERT_FALSE(cs_snap_low_space(&i));
	cs_snap_info_parse(INFO("corrupted", "1000", "1000", "20"), &i);
	CU_ASSERT(cs_snap_low_space(&i));
	CU_ASSERT_EQUAL(cs_snap_growth(&i, 64 * mib, 1024 * mib), 0);
}

/* ------------------------------------------------------------------------
 * written, events
 * ---------------------------------------------------------------------- */

static void test_written(void)
{
	struct cs_snap_written p;

	CU_ASSERT_EQUAL_FATAL(cs_snap_written_parse("384 2\n0 128\n256 128\n",
						    0, 0, 1000, &p), 0);
	CU_ASSERT_EQUAL(p.next, 384);
	CU_ASSERT_EQUAL(p.count, 2);
	CU_ASSERT_EQUAL(p.ranges[1].sector, 256);
	CU_ASSERT_EQUAL(p.ranges[1].count, 128);
	cs_snap_written_free(&p);
	/* The last chunk may pass the end of a member of odd size. */
	CU_ASSERT_EQUAL(cs_snap_written_parse("1000 1\n896 128", 384, 0, 1000,
					      &p), 0);
	cs_snap_written_free(&p);
	CU_ASSERT_EQUAL(cs_snap_written_parse("1000 0\n", 384, 0, 1000, &p), 0);
	CU_ASSERT_EQUAL(p.count, 0);
	CU_ASSERT_EQUAL(cs_snap_written_parse("1000 0", 1000, 0, 1000, &p), 0);
}

static void test_written_malformed(void)
{
	static const char *const bad[] = {
		"", "384", "384 2\n0 128\n", "384 1\n0 128\n256 128\n",
		"384 1\n0 0\n", "384 2\n256 128\n0 128\n",
		"384 2\n0 128\n64 128\n", "384 1\n384 128\n",
		"384 1\n256 256\n", "1001 0\n", "64 0\n", "384 1\n0 128\n\n",
		"384 1\n0 128 7\n", "384 1\n-1 128\n",
	};
	struct cs_snap_written p;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (cs_snap_written_parse(bad[i], 128, 0, 1000, &p) !=
		    -EINVAL) {
			fprintf(stderr, "accepted: \"%s\"\n", bad[i]);
			CU_FAIL("malformed written answer accepted");
		}
	/* More ranges than asked for. */
	CU_ASSERT_EQUAL(cs_snap_written_parse("384 2\n0 128\n256 128\n", 0, 1,
					      1000, &p), -EINVAL);
}

static void test_events(void)
{
	char line[CS_SNAP_EVENT_LINE_LEN], *text = NULL;
	struct cs_snap_events p;
	struct cs_json j;
	size_t len = 0;
	FILE *f;

	CU_ASSERT_EQUAL_FATAL(cs_snap_events_parse(
		"3 1 2\n2 1714566896.789012345 low_space - 1234\n"
		"3 1714566897.5 corrupted " VUUID " 28\n", 1, &p), 0);
	CU_ASSERT_EQUAL(p.last_seq, 3);
	CU_ASSERT_EQUAL(p.count, 2);
	CU_ASSERT_STRING_EQUAL(p.events[0].event, "low_space");
	CU_ASSERT_STRING_EQUAL(p.events[0].member, "-");
	CU_ASSERT_EQUAL(p.events[0].value, 1234);
	CU_ASSERT_STRING_EQUAL(p.events[1].member, VUUID);
	CU_ASSERT_STRING_EQUAL(cs_snap_event_format(&p.events[0], line),
			       "2 2024-05-01T12:34:56.789Z low_space - 1234");
	f = open_memstream(&text, &len);
	cs_json_init(&j, f, 0);
	cs_snap_event_json(&j, &p.events[0], "s1");
	CU_ASSERT_EQUAL(cs_json_finish(&j), 0);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"set\":\"s1\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"member\":null"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"value\":1234"));
	free(text);
	cs_snap_events_free(&p);

	CU_ASSERT_EQUAL(cs_snap_events_parse("0 0 0\n", 0, &p), 0);
	CU_ASSERT_EQUAL(cs_snap_events_parse("5 6 0", 5, &p), 0);
	CU_ASSERT_EQUAL(cs_snap_events_parse("5 0 0", 0, &p), -EINVAL);
	CU_ASSERT_EQUAL(cs_snap_events_parse("3 1 1\n1 1.0 x - 1", 1, &p),
			-EINVAL);	/* not after after_seq */
	CU_ASSERT_EQUAL(cs_snap_events_parse("3 1 1\n2 1.0 X - 1", 1, &p),
			-EINVAL);
	CU_ASSERT_EQUAL(cs_snap_events_parse("3 1 1\n2 1.0 x a.b 1", 1, &p),
			-EINVAL);
	CU_ASSERT_EQUAL(cs_snap_events_parse("3 1 1\n2 1.0 x - 1 2", 1, &p),
			-EINVAL);
	CU_ASSERT_EQUAL(cs_snap_events_parse("3 1 2\n2 1.0 x - 1", 1, &p),
			-EINVAL);
	CU_ASSERT_EQUAL(cs_snap_events_parse("3 1 65\n", 0, &p), -EINVAL);
}

/* ------------------------------------------------------------------------
 * The monitor socket, starting a program detached
 * ---------------------------------------------------------------------- */

static void test_monitor_socket(void)
{
	char id[32], c;
	int p[2], fd;
	pid_t child;

	snprintf(id, sizeof(id), "unit-%d", (int)getpid());
	CU_ASSERT_EQUAL(cs_snap_monitor_pid(id), 0);
	CU_ASSERT_EQUAL(cs_snap_monitor_stop(id, 100), 0);	/* none */
	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	child = fork();
	CU_ASSERT_FATAL(child >= 0);
	if (!child) {
		fd = cs_snap_monitor_listen(id);
		if (write(p[1], fd >= 0 ? "y" : "n", 1) != 1 || fd < 0)
			_exit(1);
		while (!cs_snap_monitor_accept(fd))
			usleep(10000);
		_exit(0);
	}
	close(p[1]);
	CU_ASSERT_EQUAL(read(p[0], &c, 1), 1);
	CU_ASSERT_EQUAL(c, 'y');
	close(p[0]);
	CU_ASSERT_EQUAL(cs_snap_monitor_listen(id), -EEXIST);
	CU_ASSERT_EQUAL(cs_snap_monitor_pid(id), child);
	CU_ASSERT_EQUAL(cs_snap_monitor_stop(id, 5000), 0);
	CU_ASSERT_EQUAL(waitpid(child, NULL, 0), child);
	CU_ASSERT_EQUAL(cs_snap_monitor_pid(id), 0);
}

static void test_spawn(void)
{
	char *ok[] = { "sh", "-c", "echo \"ready $$\"; sleep 0", NULL };
	char *bad[] = { "sh", "-c", "echo nope >&2; exit 1", NULL };
	char *env[] = { "sh", "-c", "echo \"ready $" CS_DETACHED_ENV "\"",
			NULL };

	CU_ASSERT_EQUAL(cs_spawn_daemon("/bin/sh", ok, "ready"), 0);
	CU_ASSERT_EQUAL(cs_spawn_daemon("/bin/sh", bad, "ready"), -ECHILD);
	CU_ASSERT_PTR_NOT_NULL(strstr(cs_last_error()->why, "nope"));
	CU_ASSERT_EQUAL(cs_spawn_daemon("/bin/sh", env, "ready 1"), 0);
	CU_ASSERT_EQUAL(cs_spawn_daemon("/nonexistent", ok, "ready"), -ECHILD);
}

static CU_TestInfo name_tests[] = {
	{ "parse_size", test_parse_size },
	{ "set_id", test_set_id },
	{ "snap_names", test_snap_names },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo table_tests[] = {
	{ "params", test_params },
	{ "params_malformed", test_params_malformed },
	{ "defaults", test_defaults },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo answer_tests[] = {
	{ "status", test_status },
	{ "info", test_info },
	{ "growth", test_growth },
	{ "written", test_written },
	{ "written_malformed", test_written_malformed },
	{ "events", test_events },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo monitor_tests[] = {
	{ "monitor_socket", test_monitor_socket },
	{ "spawn", test_spawn },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "snapshot_names", NULL, NULL, NULL, NULL, name_tests },
	{ "snapshot_tables", NULL, NULL, NULL, NULL, table_tests },
	{ "snapshot_answers", NULL, NULL, NULL, NULL, answer_tests },
	{ "snapshot_monitor", NULL, NULL, NULL, NULL, monitor_tests },
	CU_SUITE_INFO_NULL,
};
