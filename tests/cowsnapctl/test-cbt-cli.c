// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl cbt end to end: runs tests/cowsnapctl/cbt-cli.sh (every cbt
 * command, the stack with the filter in both orders, an incremental backup
 * checked with cmp, a generation reset, a mounted volume) and turns each of
 * its "FAIL:" lines into a failure here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static void test_cbt_cli(void)
{
	char *out = NULL, *line, *save = NULL;
	unsigned int oks = 0;
	int status;

	status = tl_run(&out, "sh tests/cowsnapctl/cbt-cli.sh");
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "ok: ", 4))
			oks++;
		if (!strncmp(line, "FAIL: ", 6)) {
			fprintf(stderr, "%s\n", line);
			CU_FAIL("cbt-cli.sh check failed");
		}
	}
	CU_ASSERT_EQUAL(status, 0);
	CU_ASSERT(oks >= 30);	/* the script really ran its checks */
	free(out);
}

static CU_TestInfo cbt_cli_tests[] = {
	{ "cbt_cli_script", test_cbt_cli },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "cbt_cli", NULL, NULL, NULL, NULL, cbt_cli_tests },
	CU_SUITE_INFO_NULL,
};
