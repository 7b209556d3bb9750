// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl snapshot end to end: runs tests/cowsnapctl/snapshot-cli.sh
 * (create, list, info, wait, extend, destroy on two volumes, one a mounted
 * ext4; the images' data; the monitor; a full store; block device stores;
 * refused and undone creates) and turns each of its "FAIL:" lines into a
 * failure here; then parses the --json outputs the script kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "testlib.h"

#define JSON_PREFIX	"/tmp/cowsnap-snapjson"

static void test_snapshot_cli(void)
{
	char *out = NULL, *line, *save = NULL;
	unsigned int oks = 0;
	int status;

	tl_defer("rm -f " JSON_PREFIX "-*");
	status = tl_run(&out, "SNAPSHOT_JSON=" JSON_PREFIX
			" sh tests/cowsnapctl/snapshot-cli.sh");
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "ok: ", 4))
			oks++;
		if (!strncmp(line, "FAIL: ", 6)) {
			fprintf(stderr, "%s\n", line);
			CU_FAIL("snapshot-cli.sh check failed");
		}
	}
	CU_ASSERT_EQUAL(status, 0);
	CU_ASSERT(oks >= 70);	/* the script really ran its checks */
	free(out);
}

/* ------------------------------------------------------------------------
 * The JSON the script kept
 * ---------------------------------------------------------------------- */

static json_object *load(const char *what)
{
	char path[64];
	json_object *j;

	snprintf(path, sizeof(path), JSON_PREFIX "-%s", what);
	j = json_object_from_file(path);
	if (!j)
		fprintf(stderr, "%s: not JSON\n", path);
	return j;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		fprintf(stderr, "no key \"%s\"\n", key);
	return v;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v ? json_object_get_string(v) : "";
}

static int64_t num(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v && json_object_is_type(v, json_type_int) ?
	       json_object_get_int64(v) : -1;
}

static size_t len(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v && json_object_is_type(v, json_type_array) ?
	       json_object_array_length(v) : 0;
}

static void test_create_json(void)
{
	json_object *j = load("create"), *m;

	CU_ASSERT_FATAL(j != NULL);
	CU_ASSERT_STRING_EQUAL(str(j, "set"), "s2");
	CU_ASSERT(num(j, "freeze_us") > 0);
	CU_ASSERT(num(j, "freeze_ms") >= 0);
	CU_ASSERT_EQUAL(num(j, "chunk_size"), 65536);
	CU_ASSERT_EQUAL(num(get(j, "store"), "size_sectors"), 8192);
	CU_ASSERT_STRING_EQUAL(str(get(j, "store"), "name"),
			       "cowsnap@s2.store");
	CU_ASSERT_EQUAL(num(j, "store_limit_bytes"), 32 << 20);
	CU_ASSERT(num(j, "monitor_pid") > 1);
	CU_ASSERT_FATAL(len(j, "members") == 1);
	m = json_object_array_get_idx(get(j, "members"), 0);
	CU_ASSERT_STRING_EQUAL(str(m, "volume"), "v1");
	CU_ASSERT_STRING_EQUAL(str(m, "image"), "v1@s2");
	CU_ASSERT_STRING_EQUAL(str(m, "path"), "/dev/mapper/v1@s2");
	CU_ASSERT(json_object_get_type(get(m, "cbt_frozen")) == json_type_null);
	json_object_put(j);
}

static void test_list_info_json(void)
{
	json_object *l = load("list"), *i = load("info"), *s, *m;

	CU_ASSERT_FATAL(l != NULL && i != NULL);
	CU_ASSERT_FATAL(len(l, "sets") == 1);
	s = json_object_array_get_idx(get(l, "sets"), 0);
	CU_ASSERT_STRING_EQUAL(str(s, "set"), "s1");
	CU_ASSERT_STRING_EQUAL(str(s, "state"), "valid");
	CU_ASSERT_EQUAL(len(s, "volumes"), 2);
	CU_ASSERT_EQUAL(num(s, "store_size_sectors"), 49152);

	CU_ASSERT_STRING_EQUAL(str(i, "set"), "s1");
	CU_ASSERT_EQUAL(num(i, "low_water"), 20);
	CU_ASSERT(json_object_get_type(get(i, "monitor_pid")) == json_type_null);
	CU_ASSERT_EQUAL(len(get(i, "store"), "segments"), 1);
	CU_ASSERT_FATAL(len(i, "members") == 2);
	m = json_object_array_get_idx(get(i, "members"), 1);
	CU_ASSERT_STRING_EQUAL(str(m, "volume"), "v2");
	CU_ASSERT_STRING_EQUAL(str(m, "image"), "v2@s1");
	CU_ASSERT_STRING_EQUAL(str(m, "origin"), "v2");
	CU_ASSERT_EQUAL(strlen(str(m, "member")), 32);
	CU_ASSERT_EQUAL(num(m, "size_sectors"), 65536);
	json_object_put(l);
	json_object_put(i);
}

static void test_wait_json(void)
{
	json_object *j = load("wait");

	CU_ASSERT_FATAL(j != NULL);
	CU_ASSERT_STRING_EQUAL(str(j, "type"), "event");
	CU_ASSERT_STRING_EQUAL(str(j, "set"), "s1");
	CU_ASSERT_STRING_EQUAL(str(j, "event"), "store_grown");
	CU_ASSERT_EQUAL(num(j, "value"), 81920);
	CU_ASSERT(json_object_get_type(get(j, "member")) == json_type_null);
	CU_ASSERT(num(j, "seq") > 1);
	json_object_put(j);
}

static int cli_clean(void)
{
	tl_teardown();
	return 0;
}

static CU_TestInfo snapshot_cli_tests[] = {
	{ "snapshot_cli_script", test_snapshot_cli },
	{ "create_json", test_create_json },
	{ "list_info_json", test_list_info_json },
	{ "wait_json", test_wait_json },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "snapshot_cli", NULL, cli_clean, NULL, NULL, snapshot_cli_tests },
	CU_SUITE_INFO_NULL,
};
