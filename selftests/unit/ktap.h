/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The KTAP lines of the userspace unit tests: ok() prints one result and
 * counts it; each test prints "1..N" and "N passed, N failed" at the end
 * from n_test, passed and failed.
 */
#ifndef FB_UNIT_KTAP_H
#define FB_UNIT_KTAP_H

#include <stdio.h>

static int passed, failed, n_test;

static void ok(int cond, const char *what)
{
	printf("%sok %d %s\n", cond ? "" : "not ", ++n_test, what);
	if (cond)
		passed++;
	else
		failed++;
}

#endif
