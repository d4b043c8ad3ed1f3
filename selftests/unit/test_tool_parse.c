// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Userspace unit tests of the tool's parsers of operator input
 * (tools/fastboot/parse.c and the manifest reader in image.c, compiled
 * unmodified next to this file): numbers are digits only, in range, never
 * wrapped; a manifest line is taken whole or refused.  Output is KTAP; the
 * last line is "N passed, N failed".
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../tools/fastboot/fastboot.h"
#include "../../tools/fastboot/image.h"


static int passed, failed, n_test;

static void ok(int cond, const char *fmt, const char *arg)
{
	printf("%sok %d ", cond ? "" : "not ", ++n_test);
	printf(fmt, arg);
	printf("\n");
	if (cond)
		passed++;
	else
		failed++;
}

static const struct {
	const char *s;
	int ok;
	uint64_t v;
} sizes[] = {
	{ "0", 1, 0 },
	{ "4096", 1, 4096 },
	{ "256M", 1, 256ull << 20 },
	{ "1g", 1, 1ull << 30 },
	{ "2T", 1, 2ull << 40 },
	{ "4K", 1, 4096 },
	{ "0x40000000", 1, 0x40000000 },
	{ "0X10k", 1, 16 << 10 },
	{ "18446744073709551615", 1, UINT64_MAX },
	{ "16777215T", 1, 16777215ull << 40 },
	{ "18446744073709551616", 0, 0 },	/* 2^64 */
	{ "99999999999999999999999", 0, 0 },
	{ "16777216T", 0, 0 },			/* 2^64 after the shift */
	{ "0x10000000000000000", 0, 0 },
	{ " -8388608", 0, 0 },			/* issue 14, item 19 */
	{ "-8388608", 0, 0 },
	{ "-1", 0, 0 },
	{ "+1", 0, 0 },
	{ " 1", 0, 0 },
	{ "\t1", 0, 0 },
	{ "1 ", 0, 0 },
	{ "1M ", 0, 0 },
	{ "", 0, 0 },
	{ "M", 0, 0 },
	{ "0x", 0, 0 },
	{ "0xM", 0, 0 },
	{ "1KB", 0, 0 },
	{ "1P", 0, 0 },
	{ "010", 0, 0 },			/* octal to memparse() */
	{ "1.5G", 0, 0 },
	{ "1e9", 0, 0 },
};

static const struct {
	const char *s;
	unsigned int base;
	uint64_t max;
	int ok;
	uint64_t v;
} uints[] = {
	{ "120", 10, 86400, 1, 120 },
	{ "86400", 10, 86400, 1, 86400 },
	{ "86401", 10, 86400, 0, 0 },
	{ "2147484", 10, 86400, 0, 0 },		/* * 1000 overflows an int */
	{ "4294967297", 10, 86400, 0, 0 },	/* atoi: 1 */
	{ "0", 10, 86400, 1, 0 },
	{ "007", 10, 86400, 1, 7 },
	{ "-1", 10, 86400, 0, 0 },
	{ " 5", 10, 86400, 0, 0 },
	{ "5s", 10, 86400, 0, 0 },
	{ "+5", 10, 86400, 0, 0 },
	{ "", 10, 86400, 0, 0 },
	{ "0x10", 10, 1000, 0, 0 },
	{ "18446744073709551615", 10, UINT64_MAX, 1, UINT64_MAX },
	{ "18446744073709551616", 10, UINT64_MAX, 0, 0 },
	{ "0660", 8, 0777, 1, 0660 },
	{ "777", 8, 0777, 1, 0777 },
	{ "1000", 8, 0777, 0, 0 },
	{ "8", 8, 0777, 0, 0 },
	{ "ff", 16, 255, 1, 255 },
	{ "FF", 16, 255, 1, 255 },
	{ "100", 16, 255, 0, 0 },
	{ "1", 2, 1, 0, 0 },			/* bases 8, 10, 16 only */
};

static void test_sizes(void)
{
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t v = 12345;
		int r = fb_parse_size(sizes[i].s, &v);

		if (sizes[i].ok)
			ok(!r && v == sizes[i].v, "fb_parse_size(\"%s\") accepted, exact", sizes[i].s);
		else
			ok(r == -1 && v == 12345, "fb_parse_size(\"%s\") refused, out unchanged",
			   sizes[i].s);
	}
}

static void test_uints(void)
{
	char what[160];
	size_t i;

	for (i = 0; i < sizeof(uints) / sizeof(uints[0]); i++) {
		uint64_t v = 12345;
		int r = fb_parse_uint(uints[i].s, uints[i].base, uints[i].max, &v);

		snprintf(what, sizeof(what), "fb_parse_uint(\"%s\", base %u, max %llu) %s",
			 uints[i].s, uints[i].base, (unsigned long long)uints[i].max,
			 uints[i].ok ? "accepted, exact" : "refused, out unchanged");
		if (uints[i].ok)
			ok(!r && v == uints[i].v, "%s", what);
		else
			ok(r == -1 && v == 12345, "%s", what);
	}
}

/* Parse text as a manifest; 0 or the tool's exit code. */
static int manifest(const char *text, struct img *img)
{
	char path[64];
	int fd = memfd_create("manifest", MFD_CLOEXEC), ret;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror("memfd");
		exit(2);
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ret = img_parse_manifest(path, img);
	close(fd);
	return ret;
}

static void test_manifest(void)
{
	static struct img img;
	size_t cap = 3 * IMG_CMDLINE_MAX;
	char *t = malloc(cap);
	int r;

	if (!t)
		exit(2);
	/* A comment longer than the line buffer: its tail was a directive. */
	memset(t, 'x', cap);
	t[0] = '#';
	snprintf(t + IMG_CMDLINE_MAX + 63, cap - IMG_CMDLINE_MAX - 63,
		 "cmdline init=/bin/sh\nkernel /boot/vmlinuz\n");
	r = manifest(t, &img);
	ok(r != 0 && strcmp(img.cmdline, "init=/bin/sh"),
	   "manifest: a long comment's tail is not read as a directive%s", "");
	/* The longest command line fits; one byte more is refused. */
	memset(t, 'a', cap);
	memcpy(t, "kernel /k\ncmdline ", 18);
	strcpy(t + 18 + IMG_CMDLINE_MAX - 1, "\n");
	r = manifest(t, &img);
	ok(r == 0 && strlen(img.cmdline) == IMG_CMDLINE_MAX - 1,
	   "manifest: a %s-byte command line is accepted", "4095");
	memset(t, 'a', cap);
	memcpy(t, "kernel /k\ncmdline ", 18);
	strcpy(t + 18 + IMG_CMDLINE_MAX, "\n");
	r = manifest(t, &img);
	ok(r != 0, "manifest: a %s-byte command line is refused", "4096");
	r = manifest("kernel /k\ncmdline a\n", &img);
	ok(r == 0 && !strcmp(img.cmdline, "a") && !strcmp(img.kernel.path, "/k"),
	   "manifest: %s", "a short one is read");
	free(t);
}

/* module and mount directives, the record versions and the deliveries. */
static void test_byref(void)
{
	static struct img img, back;
	static char rec[64 << 10];
	char why[128];
	size_t len;
	int r;

	r = manifest("kernel /k\ninitrd base /b.cpio.gz\nmodule app /a.cpio\n"
		     "mount tools /t.erofs /opt/tools\nreuse-cmdline\n", &img);
	ok(r == 0 && img.n_initrd == 3 && img.initrd[0].kind == IMG_KIND_INITRD &&
	   img.initrd[1].kind == IMG_KIND_MODULE &&
	   img.initrd[2].kind == IMG_KIND_MOUNT &&
	   !strcmp(img.initrd[2].dir, "/opt/tools"),
	   "manifest: initrd, module and mount lines, in order%s", "");
	ok(img_has_byref(&img), "manifest: the image has %s modules", "by-reference");
	img.initrd[1].delivery = IMG_DELIVER_STORE;
	img.initrd[2].delivery = IMG_DELIVER_STORE;
	len = img_record_format(&img, rec, sizeof(rec));
	ok(len && !strncmp(rec, "fastboot-image 2\n", 17),
	   "record: an image with by-reference modules is %s", "version 2");
	ok(strstr(rec, "\nmodule app ") && strstr(rec, " /a.cpio store\n") &&
	   strstr(rec, " /t.erofs /opt/tools store\n"),
	   "record: module and mount lines carry %s", "the delivery (and DIR)");
	r = img_record_parse(rec, len, &back, why, sizeof(why));
	ok(r == 0 && back.n_initrd == 3 && back.initrd[1].kind == IMG_KIND_MODULE &&
	   back.initrd[1].delivery == IMG_DELIVER_STORE &&
	   back.initrd[2].kind == IMG_KIND_MOUNT &&
	   !strcmp(back.initrd[2].dir, "/opt/tools") &&
	   back.initrd[0].delivery == IMG_DELIVER_KEXEC,
	   "record: version 2 %s", "parses back");
	img.initrd[2].has_verity = true;
	memset(img.initrd[2].verity_root, 0xab, 32);
	len = img_record_format(&img, rec, sizeof(rec));
	r = img_record_parse(rec, len, &back, why, sizeof(why));
	ok(r == 0 && back.initrd[2].has_verity && back.initrd[2].verity_root[31] == 0xab,
	   "record: a mount's verity=%s root hash fits", "HEX");
	/* an image of initrd modules only: version 1, readable by older tools */
	img.n_initrd = 1;
	len = img_record_format(&img, rec, sizeof(rec));
	ok(len && !strncmp(rec, "fastboot-image 1\n", 17) && !strstr(rec, "kexec"),
	   "record: without by-reference modules it stays %s", "version 1");
	r = img_record_parse(rec, len, &back, why, sizeof(why));
	ok(r == 0 && back.n_initrd == 1, "record: version 1 %s", "still reads");
	r = img_record_parse("fastboot-image 1\nname -\ncmdline x\n"
			     "kernel kernel 3c1b4f0b5a0e1f2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aab 1 1 1 1 1 /k\n"
			     "module m 3c1b4f0b5a0e1f2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aab 1 1 1 1 1 /m store\n",
			     250, &back, why, sizeof(why));
	ok(r != 0, "record: a module line in a %s record is refused", "version 1");
	r = manifest("kernel /k\nmount m /m.img /a/../b\n", &img);
	ok(r != 0, "manifest: a mount directory with %s is refused", "..");
	r = manifest("kernel /k\nmount m /m.img /\n", &img);
	ok(r != 0, "manifest: a mount %s is refused", "at /");
	r = manifest("kernel /k\ninitrd m /a\nmodule m /b\n", &img);
	ok(r != 0, "manifest: names are unique %s", "across kinds");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);	/* lines out before an abort */
	printf("KTAP version 1\n");
	test_sizes();
	test_uints();
	test_manifest();
	test_byref();
	printf("1..%d\n", n_test);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
