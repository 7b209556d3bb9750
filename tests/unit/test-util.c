// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap util.c, table.c, columns.c: numbers, uuids, sizes, error
 * records, in-memory tables, aligned columns.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cowsnap.h"
#include "testlib.h"

/* ------------------------------------------------------------------------
 * Numbers
 * ---------------------------------------------------------------------- */

static void test_parse_u64(void)
{
	uint64_t v = 42;

	CU_ASSERT_EQUAL(cs_parse_u64("0", &v), 0);
	CU_ASSERT_EQUAL(v, 0);
	CU_ASSERT_EQUAL(cs_parse_u64("007", &v), 0);
	CU_ASSERT_EQUAL(v, 7);
	CU_ASSERT_EQUAL(cs_parse_u64("18446744073709551615", &v), 0);
	CU_ASSERT_EQUAL(v, UINT64_MAX);
	v = 42;
	CU_ASSERT_EQUAL(cs_parse_u64("18446744073709551616", &v), -ERANGE);
	CU_ASSERT_EQUAL(cs_parse_u64("99999999999999999999", &v), -ERANGE);
	CU_ASSERT_EQUAL(cs_parse_u64("", &v), -EINVAL);
	CU_ASSERT_EQUAL(cs_parse_u64(NULL, &v), -EINVAL);
	CU_ASSERT_EQUAL(cs_parse_u64("-1", &v), -EINVAL);
	CU_ASSERT_EQUAL(cs_parse_u64("+1", &v), -EINVAL);
	CU_ASSERT_EQUAL(cs_parse_u64(" 1", &v), -EINVAL);
	CU_ASSERT_EQUAL(cs_parse_u64("1 ", &v), -EINVAL);
	CU_ASSERT_EQUAL(cs_parse_u64("1k", &v), -EINVAL);
	CU_ASSERT_EQUAL(cs_parse_u64("0x10", &v), -EINVAL);
	CU_ASSERT_EQUAL(v, 42);		/* untouched on error */
}

static void test_parse_uint(void)
{
	unsigned int v = 5;

	CU_ASSERT_EQUAL(cs_parse_uint("16", 16, 65536, &v), 0);
	CU_ASSERT_EQUAL(v, 16);
	CU_ASSERT_EQUAL(cs_parse_uint("65536", 16, 65536, &v), 0);
	CU_ASSERT_EQUAL(v, 65536);
	CU_ASSERT_EQUAL(cs_parse_uint("15", 16, 65536, &v), -ERANGE);
	CU_ASSERT_EQUAL(cs_parse_uint("65537", 16, 65536, &v), -ERANGE);
	CU_ASSERT_EQUAL(cs_parse_uint("4294967296", 0, 4294967295U, &v),
			-ERANGE);
	CU_ASSERT_EQUAL(cs_parse_uint("ten", 0, 100, &v), -EINVAL);
	CU_ASSERT_EQUAL(v, 65536);
}

static void test_power_of_2(void)
{
	uint64_t v;

	CU_ASSERT_FALSE(cs_is_power_of_2(0));
	CU_ASSERT(cs_is_power_of_2(1));
	CU_ASSERT_FALSE(cs_is_power_of_2(3));
	CU_ASSERT_FALSE(cs_is_power_of_2(1000));
	for (v = 1; v; v <<= 1) {
		CU_ASSERT(cs_is_power_of_2(v));
		if (v > 2)
			CU_ASSERT_FALSE(cs_is_power_of_2(v - 1));
	}
}

/* ------------------------------------------------------------------------
 * uuids and formatting
 * ---------------------------------------------------------------------- */

static void test_vuuid_bytes(void)
{
	static const uint8_t bytes[16] = {
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		0x00, 0xff, 0x10, 0x0f, 0xa5, 0x5a, 0xde, 0xad,
	};
	char buf[CS_VUUID_LEN + 1];

	memset(buf, 'x', sizeof(buf));
	cs_vuuid_from_bytes(bytes, buf);
	CU_ASSERT_STRING_EQUAL(buf, "0123456789abcdef00ff100fa55adead");
}

static void test_vuuid_random(void)
{
	char a[CS_VUUID_LEN + 1], b[CS_VUUID_LEN + 1], v[CS_VUUID_LEN + 1];
	char uuid[CS_DM_UUID_LEN];
	int i;

	CU_ASSERT_EQUAL_FATAL(cs_vuuid_generate(a), 0);
	CU_ASSERT_EQUAL_FATAL(cs_vuuid_generate(b), 0);
	CU_ASSERT_EQUAL(strlen(a), CS_VUUID_LEN);
	for (i = 0; i < CS_VUUID_LEN; i++)
		CU_ASSERT_PTR_NOT_NULL(strchr("0123456789abcdef", a[i]));
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	/* It makes a valid volume uuid. */
	CU_ASSERT_EQUAL_FATAL(cs_uuid_format(a, NULL, uuid, sizeof(uuid)), 0);
	CU_ASSERT_EQUAL(cs_uuid_parse(uuid, v, NULL), CS_UUID_VOLUME);
	CU_ASSERT_STRING_EQUAL(v, a);
}

static void check_size(uint64_t sectors, const char *want)
{
	char buf[CS_SIZE_LEN];

	CU_ASSERT_STRING_EQUAL(cs_format_size(sectors, buf), want);
}

static void test_format_size(void)
{
	check_size(0, "0b");
	check_size(1, "512b");
	check_size(2, "1.00k");
	check_size(2047, "1023.50k");
	check_size(2048, "1.00m");
	check_size(2097152, "1.00g");
	check_size(3145728, "1.50g");
	check_size(2147483648ULL, "1.00t");
	check_size(2199023255552ULL, "1.00p");
	check_size(2251799813685248ULL, "1.00e");
	check_size(UINT64_MAX, "8192.00e");
}

static void test_format_devno(void)
{
	char buf[CS_DEVNO_LEN];

	CU_ASSERT_STRING_EQUAL(cs_format_devno(253, 0, buf), "253:0");
	CU_ASSERT_STRING_EQUAL(cs_format_devno(4294967295U, 4294967295U, buf),
			       "4294967295:4294967295");
}

/* ------------------------------------------------------------------------
 * Error records
 * ---------------------------------------------------------------------- */

static void test_error_record(void)
{
	const struct cs_error *e = cs_last_error();
	char big[600];

	cs_error_clear();
	CU_ASSERT_EQUAL(e->err, 0);
	CU_ASSERT_STRING_EQUAL(e->why, "");
	CU_ASSERT_EQUAL(cs_error_set(-EEXIST, "data", "filter already attached (%s)",
				     "data"), -EEXIST);
	CU_ASSERT_EQUAL(e->err, -EEXIST);
	CU_ASSERT_STRING_EQUAL(e->dev, "data");
	CU_ASSERT_STRING_EQUAL(e->why, "filter already attached (data)");
	cs_error_append("undo: %s not removed", "data-real");
	CU_ASSERT_STRING_EQUAL(e->why,
		"filter already attached (data); undo: data-real not removed");
	cs_error_set(-EIO, NULL, "x");
	CU_ASSERT_STRING_EQUAL(e->dev, "");
	/* Long texts are cut, never overflow. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cs_error_set(-EIO, big, "%s", big);
	CU_ASSERT_EQUAL(strlen(e->dev), sizeof(e->dev) - 1);
	CU_ASSERT_EQUAL(strlen(e->why), sizeof(e->why) - 1);
	cs_error_append("more");
	CU_ASSERT_EQUAL(strlen(e->why), sizeof(e->why) - 1);
	cs_error_clear();
	CU_ASSERT_EQUAL(e->err, 0);
}

/* ------------------------------------------------------------------------
 * Tables
 * ---------------------------------------------------------------------- */

static void test_table(void)
{
	struct cs_table t = { 0 }, c = { 0 };

	CU_ASSERT_EQUAL(cs_table_size(&t), 0);
	CU_ASSERT_EQUAL(cs_table_find(&t, "linear"), -ENOENT);
	CU_ASSERT_FALSE(cs_table_is(&t, "linear"));
	CU_ASSERT_EQUAL(cs_table_add(&t, 0, 2048, "linear", "7:0 0"), 0);
	CU_ASSERT(cs_table_is(&t, "linear"));
	CU_ASSERT_FALSE(cs_table_is(&t, "blkfilter"));
	CU_ASSERT_EQUAL(cs_table_add(&t, 2048, 64, "error", NULL), 0);
	CU_ASSERT_EQUAL(cs_table_add(&t, 2112, 1000, "linear", "7:0 2112"), 0);
	CU_ASSERT_EQUAL(t.nr, 3);
	CU_ASSERT_EQUAL(cs_table_size(&t), 3112);
	CU_ASSERT_EQUAL(cs_table_find(&t, "error"), 1);
	CU_ASSERT_EQUAL(cs_table_find(&t, "linear"), 0);
	CU_ASSERT_FALSE(cs_table_is(&t, "linear"));
	CU_ASSERT_STRING_EQUAL(t.targets[1].params, "");

	CU_ASSERT_EQUAL_FATAL(cs_table_copy(&c, &t), 0);
	cs_table_free(&t);
	CU_ASSERT_EQUAL(t.nr, 0);
	CU_ASSERT_PTR_NULL(t.targets);
	CU_ASSERT_EQUAL(c.nr, 3);
	CU_ASSERT_EQUAL(c.targets[2].start, 2112);
	CU_ASSERT_EQUAL(c.targets[2].length, 1000);
	CU_ASSERT_STRING_EQUAL(c.targets[2].type, "linear");
	CU_ASSERT_STRING_EQUAL(c.targets[2].params, "7:0 2112");
	cs_table_free(&c);
	cs_table_free(&c);	/* twice is harmless */
}

/* ------------------------------------------------------------------------
 * Columns
 * ---------------------------------------------------------------------- */

static char *print_columns(const struct cs_columns *c)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	cs_columns_print(c, f);
	fclose(f);
	return out;
}

static void test_columns(void)
{
	static const char *const heads[] = {
		"VOLUME", "DEVNO", "SIZE", "OPEN", "LAYERS",
	};
	static const char *const r1[] = {
		"data", "253:0", "1.00g", "1", "blkfilter,linear",
	};
	static const char *const r2[] = {
		"scratch-volume", "253:12", "512.00m", "0", "linear",
	};
	struct cs_columns c;
	char *out;

	CU_ASSERT_EQUAL_FATAL(cs_columns_init(&c, 5, heads, 1u << 2 | 1u << 3), 0);
	CU_ASSERT_EQUAL(cs_columns_add(&c, r1), 0);
	CU_ASSERT_EQUAL(cs_columns_add(&c, r2), 0);
	out = print_columns(&c);
	CU_ASSERT_STRING_EQUAL(out,
		"  VOLUME          DEVNO      SIZE  OPEN  LAYERS\n"
		"  data            253:0     1.00g     1  blkfilter,linear\n"
		"  scratch-volume  253:12  512.00m     0  linear\n");
	free(out);
	cs_columns_free(&c);
}

/* Empty trailing cells leave no trailing blanks; NULL prints as "". */
static void test_columns_trailing(void)
{
	static const char *const heads[] = { "LAYER", "DEVICE", "TABLE" };
	static const char *const r1[] = { "backing", "/dev/loop0", NULL };
	static const char *const r2[] = { "", "", "0 8 error" };
	struct cs_columns c;
	char *out;

	CU_ASSERT_EQUAL_FATAL(cs_columns_init(&c, 3, heads, 0), 0);
	CU_ASSERT_EQUAL(cs_columns_add(&c, r1), 0);
	CU_ASSERT_EQUAL(cs_columns_add(&c, r2), 0);
	out = print_columns(&c);
	CU_ASSERT_STRING_EQUAL(out,
		"  LAYER    DEVICE      TABLE\n"
		"  backing  /dev/loop0\n"
		"                       0 8 error\n");
	free(out);
	cs_columns_free(&c);
}

static CU_TestInfo number_tests[] = {
	{ "parse_u64", test_parse_u64 },
	{ "parse_uint", test_parse_uint },
	{ "power_of_2", test_power_of_2 },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo format_tests[] = {
	{ "vuuid_bytes", test_vuuid_bytes },
	{ "vuuid_random", test_vuuid_random },
	{ "size", test_format_size },
	{ "devno", test_format_devno },
	{ "error_record", test_error_record },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo table_tests[] = {
	{ "table", test_table },
	{ "columns", test_columns },
	{ "columns_trailing", test_columns_trailing },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "util_numbers", NULL, NULL, NULL, NULL, number_tests },
	{ "util_format", NULL, NULL, NULL, NULL, format_tests },
	{ "util_tables", NULL, NULL, NULL, NULL, table_tests },
	CU_SUITE_INFO_NULL,
};
