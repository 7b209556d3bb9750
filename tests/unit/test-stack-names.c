// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap names.c and filter.c: volume and layer names, dm uuids, the
 * optional part of the blkfilter table line.
 */
#include <errno.h>
#include <string.h>

#include <linux/dm-blkfilter.h>

#include "cowsnap.h"
#include "testlib.h"

#define VUUID	"0123456789abcdef0123456789abcdef"

/* ------------------------------------------------------------------------
 * Volume names
 * ---------------------------------------------------------------------- */

static void test_name_valid(void)
{
	char longest[CS_NAME_MAX + 1];

	CU_ASSERT_EQUAL(cs_volume_name_check("data"), 0);
	CU_ASSERT_EQUAL(cs_volume_name_check("0"), 0);
	CU_ASSERT_EQUAL(cs_volume_name_check("vg0-lv_home.2+x"), 0);
	CU_ASSERT_EQUAL(cs_volume_name_check("Data-REAL"), 0);
	memset(longest, 'a', CS_NAME_MAX);
	longest[CS_NAME_MAX] = '\0';
	CU_ASSERT_EQUAL(cs_volume_name_check(longest), 0);
}

static void test_name_invalid(void)
{
	static const char *const bad[] = {
		"", "-data", ".data", "_data", "+x", ".", "..", "a b", "a/b",
		"a\tb", "a\nb", "caf\xc3\xa9", "a:b", "a@b", "a=b", "a#b",
	};
	char toolong[CS_NAME_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cs_error_clear();
		CU_ASSERT_EQUAL(cs_volume_name_check(bad[i]), -EINVAL);
		CU_ASSERT_EQUAL(cs_last_error()->err, -EINVAL);
		CU_ASSERT(strlen(cs_last_error()->why) > 0);
	}
	memset(toolong, 'a', CS_NAME_MAX + 1);
	toolong[CS_NAME_MAX + 1] = '\0';
	CU_ASSERT_EQUAL(cs_volume_name_check(toolong), -EINVAL);
	/* The reason names the offending character. */
	cs_volume_name_check("a b");
	CU_ASSERT_PTR_NOT_NULL(strstr(cs_last_error()->why, "' '"));
}

static void test_layer_names(void)
{
	char buf[CS_DM_NAME_LEN];

	CU_ASSERT(cs_layer_name_valid("real"));
	CU_ASSERT(cs_layer_name_valid("cbt0"));
	CU_ASSERT_FALSE(cs_layer_name_valid(""));
	CU_ASSERT_FALSE(cs_layer_name_valid(NULL));
	CU_ASSERT_FALSE(cs_layer_name_valid("Real"));
	CU_ASSERT_FALSE(cs_layer_name_valid("re-al"));
	CU_ASSERT_FALSE(cs_layer_name_valid("abcdefghijklmnop"));	/* 16 */
	CU_ASSERT(cs_layer_name_valid("abcdefghijklmno"));		/* 15 */

	CU_ASSERT_EQUAL(cs_layer_dm_name("data", CS_LAYER_REAL, buf,
					 sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "data-real");
	CU_ASSERT_EQUAL(cs_layer_dm_name("data", "bad-layer", buf, sizeof(buf)),
			-EINVAL);
	CU_ASSERT_EQUAL(cs_layer_dm_name("data", "real", buf, 9), -ENAMETOOLONG);
	CU_ASSERT_EQUAL(cs_layer_dm_name("data", "real", buf, 10), 0);
}

/* The longest volume name still leaves room for any layer's dm name. */
static void test_layer_name_fits(void)
{
	char vol[CS_NAME_MAX + 1], layer[CS_LAYER_MAX], buf[CS_DM_NAME_LEN];

	memset(vol, 'v', CS_NAME_MAX);
	vol[CS_NAME_MAX] = '\0';
	memset(layer, 'l', CS_LAYER_MAX - 1);
	layer[CS_LAYER_MAX - 1] = '\0';
	CU_ASSERT_EQUAL(cs_volume_name_check(vol), 0);
	CU_ASSERT_EQUAL(cs_layer_dm_name(vol, layer, buf, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(strlen(buf), CS_NAME_MAX + CS_LAYER_MAX);
}

/* ------------------------------------------------------------------------
 * dm uuids
 * ---------------------------------------------------------------------- */

static void test_uuid_parse(void)
{
	char v[CS_VUUID_LEN + 1], layer[CS_LAYER_MAX];

	CU_ASSERT_EQUAL(cs_uuid_parse(NULL, v, layer), CS_UUID_NONE);
	CU_ASSERT_EQUAL(cs_uuid_parse("", v, layer), CS_UUID_NONE);
	CU_ASSERT_EQUAL(cs_uuid_parse("LVM-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
				      v, layer), CS_UUID_FOREIGN);
	CU_ASSERT_EQUAL(cs_uuid_parse("CRYPT-LUKS2-abc", NULL, NULL),
			CS_UUID_FOREIGN);
	CU_ASSERT_EQUAL(cs_uuid_parse("cowsnap-" VUUID, NULL, NULL),
			CS_UUID_FOREIGN);

	memset(v, 0, sizeof(v));
	CU_ASSERT_EQUAL(cs_uuid_parse("COWSNAP-" VUUID, v, layer),
			CS_UUID_VOLUME);
	CU_ASSERT_STRING_EQUAL(v, VUUID);
	CU_ASSERT_STRING_EQUAL(layer, "");

	memset(v, 0, sizeof(v));
	CU_ASSERT_EQUAL(cs_uuid_parse("COWSNAP-" VUUID "-real", v, layer),
			CS_UUID_LAYER);
	CU_ASSERT_STRING_EQUAL(v, VUUID);
	CU_ASSERT_STRING_EQUAL(layer, "real");
	CU_ASSERT_EQUAL(cs_uuid_parse("COWSNAP-" VUUID "-real", NULL, NULL),
			CS_UUID_LAYER);
}

static void test_uuid_invalid(void)
{
	static const char *const bad[] = {
		"COWSNAP-",
		"COWSNAP-0123456789abcdef0123456789abcde",	/* 31 digits */
		"COWSNAP-0123456789ABCDEF0123456789abcdef",	/* upper case */
		"COWSNAP-0123456789abcdef0123456789abcdeg",
		"COWSNAP-" VUUID "0",
		"COWSNAP-" VUUID "-",
		"COWSNAP-" VUUID "-Real",
		"COWSNAP-" VUUID "-re-al",
		"COWSNAP-" VUUID "_real",
		"COWSNAP-" VUUID "-abcdefghijklmnop",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(cs_uuid_parse(bad[i], NULL, NULL),
				CS_UUID_INVALID);
}

static void test_uuid_round_trip(void)
{
	char uuid[CS_DM_UUID_LEN], v[CS_VUUID_LEN + 1], layer[CS_LAYER_MAX];

	CU_ASSERT_EQUAL(cs_uuid_format(VUUID, NULL, uuid, sizeof(uuid)), 0);
	CU_ASSERT_STRING_EQUAL(uuid, "COWSNAP-" VUUID);
	CU_ASSERT_EQUAL(cs_uuid_format(VUUID, "", uuid, sizeof(uuid)), 0);
	CU_ASSERT_STRING_EQUAL(uuid, "COWSNAP-" VUUID);
	CU_ASSERT_EQUAL(cs_uuid_format(VUUID, "cbt", uuid, sizeof(uuid)), 0);
	CU_ASSERT_STRING_EQUAL(uuid, "COWSNAP-" VUUID "-cbt");
	CU_ASSERT_EQUAL(cs_uuid_parse(uuid, v, layer), CS_UUID_LAYER);
	CU_ASSERT_STRING_EQUAL(v, VUUID);
	CU_ASSERT_STRING_EQUAL(layer, "cbt");

	CU_ASSERT_EQUAL(cs_uuid_format("0123", NULL, uuid, sizeof(uuid)),
			-EINVAL);
	CU_ASSERT_EQUAL(cs_uuid_format(VUUID "0", NULL, uuid, sizeof(uuid)),
			-EINVAL);
	CU_ASSERT_EQUAL(cs_uuid_format(VUUID, "Bad", uuid, sizeof(uuid)),
			-EINVAL);
	CU_ASSERT_EQUAL(cs_uuid_format(VUUID, NULL, uuid, 40), -ENAMETOOLONG);
	CU_ASSERT_EQUAL(cs_uuid_format(VUUID, NULL, uuid, 41), 0);
}

/* ------------------------------------------------------------------------
 * blkfilter table options
 * ---------------------------------------------------------------------- */

static void check_params(unsigned int ring, int uevent_ms, const char *want)
{
	struct cs_filter_opts o = { .ring_size = ring, .uevent_ms = uevent_ms };
	char buf[128];

	memset(buf, 'x', sizeof(buf));
	CU_ASSERT_EQUAL(cs_filter_params(&o, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, want);
}

static void test_filter_params(void)
{
	const struct cs_filter_opts defaults = CS_FILTER_OPTS_INIT;
	char buf[128];

	CU_ASSERT_EQUAL(cs_filter_params(&defaults, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "");
	check_params(4096, -1, "2 ring_size 4096");
	check_params(0, 0, "2 uevent_ms 0");
	check_params(BLKFILTER_RING_MIN, BLKFILTER_UEVENT_MS_MAX,
		     "4 ring_size 16 uevent_ms 60000");
	check_params(BLKFILTER_RING_MAX, 250, "4 ring_size 65536 uevent_ms 250");
}

static void test_filter_params_invalid(void)
{
	static const struct cs_filter_opts bad[] = {
		{ .ring_size = 100, .uevent_ms = -1 },
		{ .ring_size = 8, .uevent_ms = -1 },
		{ .ring_size = 131072, .uevent_ms = -1 },
		{ .ring_size = 0, .uevent_ms = 60001 },
	};
	struct cs_filter_opts o = { .ring_size = 1024, .uevent_ms = 100 };
	char buf[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cs_error_clear();
		CU_ASSERT_EQUAL(cs_filter_params(&bad[i], buf, sizeof(buf)),
				-EINVAL);
		CU_ASSERT_EQUAL(cs_last_error()->err, -EINVAL);
	}
	CU_ASSERT_EQUAL(cs_filter_params(&o, buf, 10), -ENAMETOOLONG);
}

static CU_TestInfo name_tests[] = {
	{ "valid", test_name_valid },
	{ "invalid", test_name_invalid },
	{ "layers", test_layer_names },
	{ "layer_name_fits", test_layer_name_fits },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo uuid_tests[] = {
	{ "parse", test_uuid_parse },
	{ "invalid", test_uuid_invalid },
	{ "round_trip", test_uuid_round_trip },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo filter_tests[] = {
	{ "params", test_filter_params },
	{ "params_invalid", test_filter_params_invalid },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "volume_names", NULL, NULL, NULL, NULL, name_tests },
	{ "dm_uuids", NULL, NULL, NULL, NULL, uuid_tests },
	{ "filter_params", NULL, NULL, NULL, NULL, filter_tests },
	CU_SUITE_INFO_NULL,
};
