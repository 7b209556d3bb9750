// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap json.c: escaping, compact and pretty documents, misuse.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cowsnap.h"
#include "testlib.h"

/* Output of one writer into a memory buffer. */
struct doc {
	struct cs_json j;
	FILE *f;
	char *out;
	size_t len;
};

static void doc_open(struct doc *d, unsigned int flags)
{
	d->out = NULL;
	d->len = 0;
	d->f = open_memstream(&d->out, &d->len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d->f);
	cs_json_init(&d->j, d->f, flags);
}

/* Finish; Return: cs_json_finish()'s result.  d->out holds the text. */
static int doc_close(struct doc *d)
{
	int r = cs_json_finish(&d->j);

	fclose(d->f);
	return r;
}

static void check_escape(const char *in, const char *want)
{
	char buf[256];
	size_t n;

	n = cs_json_escape(in, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, want);
	CU_ASSERT_EQUAL(n, strlen(want));
}

static void test_escape_plain(void)
{
	check_escape("", "\"\"");
	check_escape("data-real", "\"data-real\"");
	check_escape("0 2097152 linear 7:0 0", "\"0 2097152 linear 7:0 0\"");
}

static void test_escape_specials(void)
{
	check_escape("a\"b", "\"a\\\"b\"");
	check_escape("a\\b", "\"a\\\\b\"");
	check_escape("/dev/mapper/x", "\"/dev/mapper/x\"");	/* '/' as is */
	check_escape("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
}

static void test_escape_control(void)
{
	char in[33];
	char want[33 * 6 + 3], *w = want;
	int c;

	/* Every control character without a short form: \u00XX. */
	*w++ = '"';
	for (c = 1; c < 0x20; c++) {
		in[c - 1] = (char)c;
		switch (c) {
		case '\b': w += sprintf(w, "\\b"); break;
		case '\f': w += sprintf(w, "\\f"); break;
		case '\n': w += sprintf(w, "\\n"); break;
		case '\r': w += sprintf(w, "\\r"); break;
		case '\t': w += sprintf(w, "\\t"); break;
		default:   w += sprintf(w, "\\u%04x", c); break;
		}
	}
	in[31] = 0x7f;
	in[32] = '\0';
	w += sprintf(w, "\\u007f\"");
	check_escape(in, want);
	check_escape("\x01", "\"\\u0001\"");
	check_escape("\x1f", "\"\\u001f\"");
}

static void test_escape_utf8(void)
{
	/* Valid UTF-8 passes through: é, €, U+10348. */
	check_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x90\x8d\x88",
		     "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x90\x8d\x88\"");
	/* Invalid bytes become U+FFFD, one per byte. */
	check_escape("a\xff" "b", "\"a\\ufffdb\"");
	check_escape("\xc3", "\"\\ufffd\"");			/* truncated */
	check_escape("\xc0\xaf", "\"\\ufffd\\ufffd\"");		/* overlong */
	check_escape("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");	/* surrogate */
	check_escape("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

static void test_escape_truncated(void)
{
	char buf[6];

	/* Like snprintf: the full length, a terminated prefix. */
	CU_ASSERT_EQUAL(cs_json_escape("abc\"def", buf, sizeof(buf)), 10);
	CU_ASSERT_STRING_EQUAL(buf, "\"abc\\");
	CU_ASSERT_EQUAL(cs_json_escape("abc", NULL, 0), 5);
}

static void test_compact(void)
{
	struct doc d;

	doc_open(&d, 0);
	cs_json_begin_object(&d.j, NULL);
	cs_json_string(&d.j, "name", "vol \"1\"");
	cs_json_u64(&d.j, "size", UINT64_MAX);
	cs_json_i64(&d.j, "delta", INT64_MIN);
	cs_json_bool(&d.j, "yes", true);
	cs_json_bool(&d.j, "no", false);
	cs_json_null(&d.j, "none");
	cs_json_string(&d.j, "nul", NULL);
	cs_json_begin_array(&d.j, "empty");
	cs_json_end_array(&d.j);
	cs_json_begin_object(&d.j, "obj");
	cs_json_end_object(&d.j);
	cs_json_begin_array(&d.j, "list");
	cs_json_u64(&d.j, NULL, 1);
	cs_json_string(&d.j, NULL, "two");
	cs_json_begin_object(&d.j, NULL);
	cs_json_u64(&d.j, "three", 3);
	cs_json_end_object(&d.j);
	cs_json_end_array(&d.j);
	cs_json_end_object(&d.j);
	CU_ASSERT_EQUAL(doc_close(&d), 0);
	CU_ASSERT_STRING_EQUAL(d.out,
		"{\"name\":\"vol \\\"1\\\"\",\"size\":18446744073709551615,"
		"\"delta\":-9223372036854775808,\"yes\":true,\"no\":false,"
		"\"none\":null,\"nul\":null,\"empty\":[],\"obj\":{},"
		"\"list\":[1,\"two\",{\"three\":3}]}\n");
	free(d.out);
}

static void test_pretty(void)
{
	struct doc d;

	doc_open(&d, CS_JSON_PRETTY);
	cs_json_begin_object(&d.j, NULL);
	cs_json_begin_array(&d.j, "volumes");
	cs_json_begin_object(&d.j, NULL);
	cs_json_string(&d.j, "name", "data");
	cs_json_begin_array(&d.j, "layers");
	cs_json_end_array(&d.j);
	cs_json_end_object(&d.j);
	cs_json_end_array(&d.j);
	cs_json_u64(&d.j, "n", 1);
	cs_json_end_object(&d.j);
	CU_ASSERT_EQUAL(doc_close(&d), 0);
	CU_ASSERT_STRING_EQUAL(d.out,
		"{\n"
		"  \"volumes\": [\n"
		"    {\n"
		"      \"name\": \"data\",\n"
		"      \"layers\": []\n"
		"    }\n"
		"  ],\n"
		"  \"n\": 1\n"
		"}\n");
	free(d.out);
}

static void test_top_level_scalar(void)
{
	struct doc d;

	doc_open(&d, CS_JSON_PRETTY);
	cs_json_string(&d.j, NULL, "x\ty");
	CU_ASSERT_EQUAL(doc_close(&d), 0);
	CU_ASSERT_STRING_EQUAL(d.out, "\"x\\ty\"\n");
	free(d.out);
}

static void test_misuse(void)
{
	struct doc d;
	int i;

	doc_open(&d, 0);			/* nothing written */
	CU_ASSERT_EQUAL(doc_close(&d), -EINVAL);
	free(d.out);

	doc_open(&d, 0);			/* key missing in object */
	cs_json_begin_object(&d.j, NULL);
	cs_json_u64(&d.j, NULL, 1);
	cs_json_end_object(&d.j);
	CU_ASSERT_EQUAL(doc_close(&d), -EINVAL);
	free(d.out);

	doc_open(&d, 0);			/* key given in array */
	cs_json_begin_array(&d.j, NULL);
	cs_json_u64(&d.j, "k", 1);
	cs_json_end_array(&d.j);
	CU_ASSERT_EQUAL(doc_close(&d), -EINVAL);
	free(d.out);

	doc_open(&d, 0);			/* wrong closing */
	cs_json_begin_array(&d.j, NULL);
	cs_json_end_object(&d.j);
	CU_ASSERT_EQUAL(doc_close(&d), -EINVAL);
	free(d.out);

	doc_open(&d, 0);			/* left open */
	cs_json_begin_object(&d.j, NULL);
	CU_ASSERT_EQUAL(doc_close(&d), -EINVAL);
	free(d.out);

	doc_open(&d, 0);			/* two top-level values */
	cs_json_u64(&d.j, NULL, 1);
	cs_json_u64(&d.j, NULL, 2);
	CU_ASSERT_EQUAL(doc_close(&d), -EINVAL);
	free(d.out);

	doc_open(&d, 0);			/* too deep */
	for (i = 0; i <= CS_JSON_DEPTH_MAX; i++)
		cs_json_begin_array(&d.j, NULL);
	for (i = 0; i <= CS_JSON_DEPTH_MAX; i++)
		cs_json_end_array(&d.j);
	CU_ASSERT_EQUAL(doc_close(&d), -EINVAL);
	free(d.out);

	doc_open(&d, 0);			/* just deep enough */
	for (i = 0; i < CS_JSON_DEPTH_MAX; i++)
		cs_json_begin_array(&d.j, NULL);
	for (i = 0; i < CS_JSON_DEPTH_MAX; i++)
		cs_json_end_array(&d.j);
	CU_ASSERT_EQUAL(doc_close(&d), 0);
	CU_ASSERT_EQUAL(strlen(d.out), 2 * CS_JSON_DEPTH_MAX + 1);
	free(d.out);
}

static void test_write_error(void)
{
	struct cs_json j;
	FILE *f = fopen("/dev/full", "w");

	if (!f)
		return;		/* no /dev/full here: nothing to check */
	cs_json_init(&j, f, 0);
	cs_json_string(&j, NULL, "lost");
	CU_ASSERT(cs_json_finish(&j) < 0);
	fclose(f);
}

static CU_TestInfo escape_tests[] = {
	{ "plain", test_escape_plain },
	{ "specials", test_escape_specials },
	{ "control", test_escape_control },
	{ "utf8", test_escape_utf8 },
	{ "truncated", test_escape_truncated },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo writer_tests[] = {
	{ "compact", test_compact },
	{ "pretty", test_pretty },
	{ "top_level_scalar", test_top_level_scalar },
	{ "misuse", test_misuse },
	{ "write_error", test_write_error },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "json_escape", NULL, NULL, NULL, NULL, escape_tests },
	{ "json_writer", NULL, NULL, NULL, NULL, writer_tests },
	CU_SUITE_INFO_NULL,
};
