// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The tool's global options, defined in tools/fastboot/main.c, which the
 * fuzz targets and the tool's unit tests (selftests/unit) do not link:
 * util.c (fb_error, fb_open_device, fb_lock) refers to them.  The same
 * defaults as main.c.
 */
#include <stdbool.h>
#include <stdlib.h>
#include "fastboot.h"

bool opt_json;
const char *opt_device = FASTBOOT_DEVICE;
unsigned int opt_lock_wait = FB_LOCK_WAIT_DEFAULT;

/* main.c's per-command help: never reached by the fuzz and unit tests. */
void fb_help_exit(const char *name)
{
	(void)name;
	abort();
}
