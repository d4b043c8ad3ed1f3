// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_verity DATA TREE: the tool's hash tree builder (tools/fastboot/
 * verity.c) on file DATA; writes the tree to TREE and prints the root
 * hash in hex.  test_verity.sh compares both with veritysetup and with
 * an independent implementation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sha256.h"
#include "verity.h"

int main(int argc, char **argv)
{
	struct verity v;
	uint8_t *data;
	long len;
	char hex[65];
	FILE *f;

	if (argc != 3)
		return 2;
	f = fopen(argv[1], "rb");
	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		return 1;
	data = malloc(len ? (size_t)len : 1);
	if (!data || fread(data, 1, (size_t)len, f) != (size_t)len)
		return 1;
	fclose(f);
	if (verity_build(&v, data, (uint64_t)len)) {
		fprintf(stderr, "verity_build failed\n");
		return 1;
	}
	if (verity_tree_bytes((uint64_t)len) != v.tree_blocks * VERITY_BLOCK) {
		fprintf(stderr, "verity_tree_bytes disagrees\n");
		return 1;
	}
	f = fopen(argv[2], "wb");
	if (!f || (v.tree_blocks &&
		   fwrite(v.tree, 1, v.tree_blocks * VERITY_BLOCK, f) !=
		   v.tree_blocks * VERITY_BLOCK) || fclose(f))
		return 1;
	sha256_hex(v.root, hex);
	printf("%s\n", hex);
	verity_free(&v);
	free(data);
	return 0;
}
