// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fastboot tool: the hash tree of a mount module (verity.h), built in the
 * pass that reads the module's source (plan.c's read_source), written
 * from dm-verity's documented layout and checked against veritysetup
 * (selftests/unit/test_verity.sh).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "sha256.h"
#include "verity.h"

#define FANOUT_BITS	7		/* 128 digests of 32 bytes per block */
#define FANOUT		(1u << FANOUT_BITS)

static uint64_t shape(uint64_t blocks, int *levels, uint64_t *start)
{
	uint64_t pos = 0;
	int i, n = 0;

	while (n < VERITY_MAX_LEVELS && ((blocks - 1) >> (FANOUT_BITS * n)))
		n++;
	for (i = n - 1; i >= 0; i--) {
		unsigned int shift = FANOUT_BITS * (unsigned int)(i + 1);

		start[i] = pos;
		pos += (blocks + (1ull << shift) - 1) >> shift;
	}
	*levels = n;
	return pos;
}

uint64_t verity_tree_bytes(uint64_t size)
{
	uint64_t start[VERITY_MAX_LEVELS];
	int levels;

	if (!size)
		return 0;
	return shape((size + VERITY_BLOCK - 1) / VERITY_BLOCK, &levels, start) *
	       VERITY_BLOCK;
}

int verity_init(struct verity *v, uint64_t size)
{
	memset(v, 0, sizeof(*v));
	if (!size)
		return -EINVAL;
	v->size = size;
	v->blocks = (size + VERITY_BLOCK - 1) / VERITY_BLOCK;
	v->tree_blocks = shape(v->blocks, &v->levels, v->level_start);
	if ((v->blocks - 1) >> (FANOUT_BITS * v->levels))
		return -EFBIG;
	if (v->tree_blocks) {
		v->tree = calloc(v->tree_blocks, VERITY_BLOCK);
		if (!v->tree)
			return -ENOMEM;
	}
	return 0;
}

static void digest(const uint8_t *data, size_t len, uint8_t out[32])
{
	static const uint8_t zero[VERITY_BLOCK];
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, data, len);
	if (len < VERITY_BLOCK)
		sha256_update(&s, zero, VERITY_BLOCK - len);
	sha256_final(&s, out);
}

/* Where the digest of block k of level i - 1 goes: in level i. */
static uint8_t *slot(struct verity *v, int level, uint64_t k)
{
	return v->tree + (v->level_start[level] + k / FANOUT) * VERITY_BLOCK +
	       (k % FANOUT) * 32;
}

void verity_leaf(struct verity *v, uint64_t b, const uint8_t *data, size_t len)
{
	digest(data, len, v->levels ? slot(v, 0, b) : v->root);
}

void verity_finish(struct verity *v)
{
	uint64_t k, n = v->blocks;
	int i;

	for (i = 1; i < v->levels; i++) {
		n = (n + FANOUT - 1) / FANOUT;	/* blocks of level i - 1 */
		for (k = 0; k < n; k++)
			digest(v->tree + (v->level_start[i - 1] + k) * VERITY_BLOCK,
			       VERITY_BLOCK, slot(v, i, k));
	}
	if (v->levels)
		digest(v->tree + v->level_start[v->levels - 1] * VERITY_BLOCK,
		       VERITY_BLOCK, v->root);
}

void verity_free(struct verity *v)
{
	free(v->tree);
	v->tree = NULL;
}

int verity_build(struct verity *v, const uint8_t *data, uint64_t size)
{
	uint64_t b;
	int ret = verity_init(v, size);

	if (ret)
		return ret;
	for (b = 0; b < v->blocks; b++) {
		uint64_t off = b * VERITY_BLOCK;

		verity_leaf(v, b, data + off,
			    size - off < VERITY_BLOCK ? size - off : VERITY_BLOCK);
	}
	verity_finish(v);
	return 0;
}
