// SPDX-License-Identifier: GPL-2.0
/*
 * Common main() of every CUnit test program.
 *
 * A test program defines cs_suites[] (a CU_SuiteInfo array ending with
 * CU_SUITE_INFO_NULL) and links this file.  Each test prints one line that
 * the harness counts:
 *
 *   PASS <program>/<suite>/<test>
 *   FAIL <program>/<suite>/<test>: <file>:<line>: <condition>
 *
 * A suite whose init or cleanup fails prints one FAIL line for itself.  The
 * exit status is 0 only when nothing failed.  "-s SUITE" runs one suite,
 * "-t TEST" one test of it.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <CUnit/TestRun.h>

#include "testlib.h"

static const char *prog;
static unsigned int nr_failed;

static void on_test_complete(const CU_pTest test, const CU_pSuite suite,
			     const CU_pFailureRecord failure)
{
	const CU_FailureRecord *f;

	if (!failure) {
		printf("PASS %s/%s/%s\n", prog, suite->pName, test->pName);
		fflush(stdout);
		return;
	}
	nr_failed++;
	for (f = failure; f; f = f->pNext)
		printf("FAIL %s/%s/%s: %s:%u: %s\n", prog, suite->pName,
		       test->pName, f->strFileName ? f->strFileName : "?",
		       f->uiLineNumber, f->strCondition ? f->strCondition : "");
	fflush(stdout);
}

static void on_suite_init_failure(const CU_pSuite suite)
{
	nr_failed++;
	printf("FAIL %s/%s/init: suite set-up failed\n", prog, suite->pName);
	fflush(stdout);
}

static void on_suite_cleanup_failure(const CU_pSuite suite)
{
	nr_failed++;
	printf("FAIL %s/%s/cleanup: suite clean-up failed\n", prog,
	       suite->pName);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *suite_name = NULL, *test_name = NULL;
	CU_pSuite suite;
	CU_pTest test;
	int opt;

	prog = basename(argv[0]);
	while ((opt = getopt(argc, argv, "s:t:")) != -1) {
		switch (opt) {
		case 's':
			suite_name = optarg;
			break;
		case 't':
			test_name = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-s SUITE [-t TEST]]\n", prog);
			return 2;
		}
	}

	if (CU_initialize_registry() != CUE_SUCCESS ||
	    CU_register_suites(cs_suites) != CUE_SUCCESS) {
		fprintf(stderr, "%s: cannot register tests: %s\n", prog,
			CU_get_error_msg());
		return 2;
	}
	CU_set_test_complete_handler(on_test_complete);
	CU_set_suite_init_failure_handler(on_suite_init_failure);
	CU_set_suite_cleanup_failure_handler(on_suite_cleanup_failure);

	if (suite_name) {
		suite = CU_get_suite(suite_name);
		if (!suite) {
			fprintf(stderr, "%s: no suite '%s'\n", prog, suite_name);
			CU_cleanup_registry();
			return 2;
		}
		if (test_name) {
			test = CU_get_test(suite, test_name);
			if (!test) {
				fprintf(stderr, "%s: no test '%s' in suite '%s'\n",
					prog, test_name, suite_name);
				CU_cleanup_registry();
				return 2;
			}
			CU_run_test(suite, test);
		} else {
			CU_run_suite(suite);
		}
	} else {
		CU_run_all_tests();
	}
	CU_cleanup_registry();
	return nr_failed ? 1 : 0;
}
