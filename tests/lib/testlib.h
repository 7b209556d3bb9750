/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the CUnit test programs.
 */
#ifndef COWSNAP_TESTLIB_H
#define COWSNAP_TESTLIB_H

#include <CUnit/CUnit.h>

/* Defined by each test program; run by tests/lib/cunit-main.c. */
extern CU_SuiteInfo cs_suites[];

#endif /* COWSNAP_TESTLIB_H */
