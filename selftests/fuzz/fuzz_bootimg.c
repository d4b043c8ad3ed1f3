// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Fuzz target for the tool's boot image reader (tools/fastboot/bootimg.c):
 * the bzImage setup header and ELF banner (bzimage_release), the walk of
 * concatenated initramfs archives (newc cpio, gzip, zstd, xz) and the ELF
 * .modinfo reader (libelf), all fed from files the operator names.
 *
 * Each input is used three ways: as a kernel (bzimage_release), as an
 * initramfs (initramfs_find_module), and as the contents of a file
 * "lib/modules/fastboot.ko" in a well-formed cpio archive built around it,
 * which reaches the ELF reader and the decompressors whatever the input.
 *
 * The oracle, beyond the sanitizers: strings handed back are terminated;
 * a release is non-empty and has no blanks; a failure gives a reason; the
 * well-formed archive is accepted and its one module is seen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bootimg.h"
#include "driver.h"

#define fuzz_fail(...) do {						\
		fprintf(stderr, "oracle: " __VA_ARGS__);		\
		fprintf(stderr, "\n");					\
		abort();						\
	} while (0)

static const char ko_name[] = "lib/modules/fastboot.ko";

static void check_str(const char *s, size_t len, const char *what)
{
	if (!memchr(s, 0, len))
		fuzz_fail("%s not NUL-terminated", what);
}

static void check_release(const uint8_t *d, size_t n)
{
	char rel[128];
	size_t i;

	memset(rel, 0x55, sizeof(rel));
	if (bzimage_release(d, n, rel, sizeof(rel)))
		return;
	check_str(rel, sizeof(rel), "release");
	if (!rel[0])
		fuzz_fail("empty release accepted");
	for (i = 0; rel[i]; i++)
		if ((unsigned char)rel[i] <= ' ')
			fuzz_fail("release has a blank or control byte");
}

static void check_found(const struct ko_found *f)
{
	check_str(f->path, sizeof(f->path), "module path");
	check_str(f->vermagic, sizeof(f->vermagic), "vermagic");
	if (f->count < 0)
		fuzz_fail("module count %d", f->count);
}

static int walk(const uint8_t *d, size_t n, struct ko_found *f)
{
	char why[768];
	int ret;

	memset(why, 0x55, sizeof(why));
	/* both ways: any place, and lib/modules/<release>/ first */
	ret = initramfs_find_module(d, n, "fastboot.ko",
				    (n & 1) ? "6.1.0-56-amd64" : NULL, f, why,
				    sizeof(why));
	check_str(why, sizeof(why), "reason");
	if (ret && !why[0])
		fuzz_fail("walk failed without a reason");
	check_found(f);
	return ret;
}

static size_t newc_header(uint8_t *p, unsigned long mode, size_t filesize,
			  size_t namesize)
{
	return (size_t)sprintf((char *)p,
		"070701%08lx%08lx%08lx%08lx%08lx%08lx%08zx%08lx%08lx%08lx%08lx%08zx%08lx",
		1ul, mode, 0ul, 0ul, 1ul, 0ul, filesize, 0ul, 0ul, 0ul, 0ul,
		namesize, 0ul);
}

static size_t align4(size_t v)
{
	return (v + 3) & ~(size_t)3;
}

/* The input as fastboot.ko in a well-formed archive: must be seen. */
static void check_as_module(const uint8_t *d, size_t n)
{
	static const char trailer[] = "TRAILER!!!";
	size_t cap = 2 * 120 + sizeof(ko_name) + sizeof(trailer) + n + 16, off;
	uint8_t *a = calloc(1, cap);
	struct ko_found f;

	if (!a)
		abort();
	off = newc_header(a, 0100644, n, sizeof(ko_name));
	memcpy(a + off, ko_name, sizeof(ko_name));
	off = align4(off + sizeof(ko_name));
	memcpy(a + off, d, n);
	off = align4(off + n);
	off += newc_header(a + off, 0, 0, sizeof(trailer));
	memcpy(a + off, trailer, sizeof(trailer));
	off = align4(off + sizeof(trailer));
	if (walk(a, off, &f))
		fuzz_fail("a well-formed archive refused");
	if (f.count != 1 || strcmp(f.path, ko_name))
		fuzz_fail("the module in a well-formed archive: count %d path '%s'",
			  f.count, f.path);
	free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ko_found f;

	check_release(data, size);
	walk(data, size, &f);
	check_as_module(data, size);
	return 0;
}
