/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * fastboot tool: the hash tree of a mount module, checked block by block
 * by the kernel's verified block device (kmod/vdev.c).  dm-verity's
 * format: SHA-256, 4 KiB data and hash blocks, no salt (version 1), no
 * superblock; the leaf level holds each data block's digest (the last
 * block zero-padded), each level above the digests of the blocks of the
 * level below, 128 to a block, zero-padded; the level nearest the root
 * comes first.  The root hash is the digest of the top block, or of the
 * only data block (then the tree is empty).  `veritysetup format
 * --no-superblock --salt=- DATA TREE` writes the same tree and root.
 */
#ifndef FASTBOOT_VERITY_H
#define FASTBOOT_VERITY_H

#include <stddef.h>
#include <stdint.h>

#define VERITY_BLOCK		4096u
#define VERITY_MAX_LEVELS	8

struct verity {
	uint64_t size;			/* data bytes */
	uint64_t blocks;		/* data blocks */
	uint64_t tree_blocks;
	int levels;
	uint64_t level_start[VERITY_MAX_LEVELS];	/* [0]: the leaves */
	uint8_t *tree;			/* tree_blocks * VERITY_BLOCK bytes */
	uint8_t root[32];
};

/* The tree's size in bytes for size bytes of data. */
uint64_t verity_tree_bytes(uint64_t size);
/* Allocate the tree for size bytes (> 0); 0 or -ENOMEM/-EFBIG. */
int verity_init(struct verity *v, uint64_t size);
/*
 * The leaf of data block b: len bytes (VERITY_BLOCK, or fewer for the last
 * block, zero-padded), in any order, from any thread.
 */
void verity_leaf(struct verity *v, uint64_t b, const uint8_t *data, size_t len);
/* The levels above the leaves and the root, once every leaf is in. */
void verity_finish(struct verity *v);
void verity_free(struct verity *v);
/* All of it for size bytes at data. */
int verity_build(struct verity *v, const uint8_t *data, uint64_t size);

#endif
