// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Fuzz target for the configuration file parser (tools/fastboot/util.c,
 * fb_config_get): /etc/default/fastboot, read by setup, update and arm.
 * The input is the file's bytes, written to a memfd and read through
 * /proc/self/fd.  Oracle: a value found is NUL-terminated within the
 * buffer and has no newline; the parser never reads past the file.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "driver.h"
#include "fastboot.h"

static const char *const keys[] = {
	"FASTBOOT_REGION", "FASTBOOT_IMAGE", "FASTBOOT_RECOVERY_IMAGE",
	"FASTBOOT_ARM",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], val[256];
	size_t i;
	int fd = memfd_create("config", MFD_CLOEXEC);

	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		int r;

		memset(val, 0x55, sizeof(val));
		r = fb_config_get(path, keys[i], val, sizeof(val));
		if (r < 0)
			abort();	/* the file is there: it can be read */
		if (r && (!memchr(val, 0, sizeof(val)) || strchr(val, '\n')))
			abort();
	}
	close(fd);
	return 0;
}
