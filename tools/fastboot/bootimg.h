/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* fastboot tool: what a boot image carries (kernel release, vermagic). */
#ifndef FASTBOOT_BOOTIMG_H
#define FASTBOOT_BOOTIMG_H

#include <stddef.h>
#include <stdint.h>

/*
 * Release ("6.1.0-56-amd64") of an x86 bzImage (from its setup header) or
 * an ELF vmlinux (from the Linux banner); -1 if neither.
 */
int bzimage_release(const uint8_t *buf, size_t len, char *rel, size_t rel_len);

struct ko_found {
	char path[256];			/* path inside the archive */
	char vermagic[256];		/* its vermagic, "" if unreadable */
	int count;			/* how many fastboot.ko were seen */
};

/*
 * Walk concatenated initramfs archives (newc cpio, uncompressed or gzip,
 * zstd or xz compressed, as Linux unpacks them) looking for fastboot.ko
 * (also .ko.xz, .ko.zst, .ko.gz).  The last one found wins, as it would
 * in the unpacked initramfs.  Returns 0, or -1 with a reason in why.
 */
int initramfs_find_module(const uint8_t *buf, size_t len, const char *module,
			  struct ko_found *found, char *why, size_t why_len);

#endif
