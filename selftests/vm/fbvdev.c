// SPDX-License-Identifier: GPL-2.0
/*
 * fbvdev: the verified block device ioctls, raw (selftests only; the tool
 * makes devices only in `fastboot boot`).
 *
 *   fbvdev tree DATA TREE        build DATA's hash tree (the tool's
 *                                verity.c) into TREE; print the root hash
 *   fbvdev add OBJECT TREE ROOT  FASTBOOT_IOC_VDEV_ADD; print N of /dev/fbvN
 *   fbvdev del N                 FASTBOOT_IOC_VDEV_DEL
 *   fbvdev info N                FASTBOOT_IOC_VDEV_INFO at or after N:
 *                                "N OBJECT TREE BYTES VERIFIED FAILED OPENERS"
 *   fbvdev size N                the ioctl with struct size N (ABI checks)
 *
 * A failing ioctl prints "errno NAME" (EBUSY, ENOENT, ...) on stdout and
 * exits 1, so that scenarios can check which error it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "uapi/fastboot.h"
#include "sha256.h"
#include "verity.h"

static int fail(void)
{
	const char *n = errno == EBUSY ? "EBUSY" : errno == ENOENT ? "ENOENT" :
			errno == EINVAL ? "EINVAL" : errno == EPERM ? "EPERM" :
			errno == E2BIG ? "E2BIG" : errno == EFAULT ? "EFAULT" :
			strerror(errno);

	printf("errno %s\n", n);
	return 1;
}

static int hex(const char *s, uint8_t out[32])
{
	int i;

	if (strlen(s) != 64)
		return -1;
	for (i = 0; i < 32; i++)
		if (sscanf(s + 2 * i, "%2hhx", &out[i]) != 1)
			return -1;
	return 0;
}

static int tree(const char *data, const char *out)
{
	struct verity v;
	struct stat st;
	char h[65];
	void *p;
	int fd = open(data, O_RDONLY), o;

	if (fd < 0 || fstat(fd, &st) || !st.st_size)
		return perror(data), 1;
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED || verity_build(&v, p, st.st_size))
		return perror(data), 1;
	o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (o < 0 || (v.tree_blocks &&
		      write(o, v.tree, v.tree_blocks * VERITY_BLOCK) !=
		      (ssize_t)(v.tree_blocks * VERITY_BLOCK)) || close(o))
		return perror(out), 1;
	sha256_hex(v.root, h);
	printf("%s\n", h);
	return 0;
}

int main(int argc, char **argv)
{
	struct fastboot_vdev v;
	int fd;

	if (argc == 4 && !strcmp(argv[1], "tree"))
		return tree(argv[2], argv[3]);
	fd = open(FASTBOOT_DEVICE, O_RDWR);
	if (fd < 0)
		return perror(FASTBOOT_DEVICE), 1;
	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	if (argc == 5 && !strcmp(argv[1], "add")) {
		snprintf(v.object, sizeof(v.object), "%s", argv[2]);
		snprintf(v.tree, sizeof(v.tree), "%s", argv[3]);
		if (hex(argv[4], v.root_hash))
			return fprintf(stderr, "bad root hash\n"), 2;
		if (ioctl(fd, FASTBOOT_IOC_VDEV_ADD, &v))
			return fail();
		printf("%u\n", v.index);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "del")) {
		v.index = (uint32_t)atoi(argv[2]);
		return ioctl(fd, FASTBOOT_IOC_VDEV_DEL, &v) ? fail() : 0;
	}
	if (argc == 3 && !strcmp(argv[1], "info")) {
		v.index = (uint32_t)atoi(argv[2]);
		if (ioctl(fd, FASTBOOT_IOC_VDEV_INFO, &v))
			return fail();
		printf("%u %s %s %llu %llu %llu %u\n", v.index, v.object, v.tree,
		       (unsigned long long)v.bytes, (unsigned long long)v.verified,
		       (unsigned long long)v.failed, v.openers);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "size")) {
		static char big[8192];
		struct fastboot_vdev *b = (struct fastboot_vdev *)big;

		b->size = (uint32_t)atoi(argv[2]);
		if (b->size > sizeof(v))
			big[sizeof(v)] = 1;	/* an unknown non-zero byte */
		return ioctl(fd, FASTBOOT_IOC_VDEV_INFO, big) ? fail() : 0;
	}
	fprintf(stderr, "usage: fbvdev tree DATA TREE | add OBJECT TREE ROOT | del N | info N | size N\n");
	return 2;
}
