// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Fuzz target for the image manifest parser (tools/fastboot/image.c,
 * img_parse_manifest): the file given with --image.  The input is the
 * manifest's bytes, handed over as a memory file, so the target goes
 * through the same call as the tool.  Oracle (img_check.h): an accepted
 * manifest gives a well-formed image whose store record parses back to it.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include "driver.h"
#include "img_check.h"

static int fd = -1;

static void load(const uint8_t *data, size_t size)
{
	if (fd < 0)
		fd = memfd_create("manifest", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 0) ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct img img;
	char path[64];

	load(data, size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (img_parse_manifest(path, &img))
		return 0;
	check_img(&img);
	if (!img.kernel.path[0])
		fuzz_fail("accepted without a kernel");
	if (img.has_cmdline && img.reuse_cmdline)
		fuzz_fail("cmdline and reuse-cmdline both accepted");
	check_round_trip(&img);
	return 0;
}
