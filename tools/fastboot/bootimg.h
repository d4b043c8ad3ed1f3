/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* fastboot tool: what a boot image carries (kernel release, vermagic). */
#ifndef FASTBOOT_BOOTIMG_H
#define FASTBOOT_BOOTIMG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Release ("6.1.0-56-amd64") of an x86 bzImage (from its setup header) or
 * an ELF vmlinux (from the Linux banner); -1 if neither.
 */
int bzimage_release(const uint8_t *buf, size_t len, char *rel, size_t rel_len);

/* One entry of a newc archive, as initramfs_walk() hands it over. */
struct cpio_entry {
	const char *name;		/* NUL-terminated, as in the archive */
	size_t name_len;
	bool name_nul;			/* namesize is exactly name_len + 1 */
	uint32_t ino, mode, uid, gid, nlink, mtime;
	uint32_t devmajor, devminor, rdevmajor, rdevminor;
	const uint8_t *data;		/* the body: file data, symlink target */
	size_t size;
	unsigned int archive;		/* which archive, counting from 0 */
};

/* 0 goes on; anything else stops the walk, which returns it. */
typedef int (*initramfs_cb)(void *ctx, const struct cpio_entry *e);

/*
 * Walk concatenated initramfs archives (newc cpio, uncompressed or gzip,
 * zstd or xz compressed, as Linux unpacks them; zeros between archives
 * are skipped), each entry to cb in order.  Returns 0, -1 with a reason
 * in why if the data is malformed, or what cb returned to stop.  A
 * compressed archive is unpacked in memory (at most 2 GiB).
 */
int initramfs_walk(const uint8_t *buf, size_t len, initramfs_cb cb, void *ctx,
		   char *why, size_t why_len);

struct ko_found {
	char path[256];			/* path inside the archive */
	char vermagic[256];		/* its vermagic, "" if unreadable */
	int count;			/* how many fastboot.ko were seen */
	bool in_tree;			/* under lib/modules/<release>/ */
};

/*
 * Walk concatenated initramfs archives (newc cpio, uncompressed or gzip,
 * zstd or xz compressed, as Linux unpacks them) looking for fastboot.ko
 * (also .ko.xz, .ko.zst, .ko.gz).  With release, one under
 * [usr/]lib/modules/<release>/ (where modprobe finds it) wins over any
 * elsewhere, such as another kernel's or a copy kept outside the tree;
 * among equals the last one found wins, as it would in the unpacked
 * initramfs.  Returns 0, or -1 with a reason in why.
 */
int initramfs_find_module(const uint8_t *buf, size_t len, const char *module,
			  const char *release, struct ko_found *found,
			  char *why, size_t why_len);

#endif
