/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * fastboot tool: unpack initramfs archives (newc cpio, plain or gzip, zstd
 * or xz compressed, concatenated) into a directory, for `fastboot boot`.
 * The archives are outside input: see cpio.c for what is refused.
 */
#ifndef FASTBOOT_CPIO_H
#define FASTBOOT_CPIO_H

#include <stddef.h>
#include <stdint.h>

struct cpio_stats {
	uint64_t entries;	/* entries unpacked (the root "." not counted) */
	uint64_t bytes;		/* file data written */
};

/*
 * Unpack buf into the directory dirfd (a fresh, empty staging directory:
 * an entry may replace what an earlier entry made, as in the initramfs).
 * Returns 0, or -1 with a reason in why; dirfd then holds part of it.
 */
int cpio_unpack(const uint8_t *buf, size_t len, int dirfd,
		struct cpio_stats *st, char *why, size_t why_len);

/*
 * Move what staging holds into root, merging directories: a file, link or
 * node replaces one of the same name; a directory goes in whole where
 * root has none, and is merged into one root has.  First checked whole
 * (a directory against a non-directory, another file system), so that a
 * refused merge moves nothing; then moved entry by entry with rename(2).
 * Never follows a symbolic link of root.  Returns 0, or -1 with why.
 */
int cpio_merge(int staging, int root, char *why, size_t why_len);

/* Remove the tree under dirfd (not dirfd itself); never follows links. */
void cpio_rmtree(int dirfd);

#endif
