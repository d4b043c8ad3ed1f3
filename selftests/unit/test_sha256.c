// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Userspace unit tests of the tool's SHA-256 (tools/fastboot/sha256.c,
 * compiled unmodified next to this file): the FIPS 180-4 examples, then
 * random inputs fed in random pieces, each hashed by the portable block
 * function and, where the CPU has them, the SHA extensions, which must
 * agree.  Output is KTAP; the last line is "N passed, N failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../tools/fastboot/sha256.h"

#include "ktap.h"

static void hex_of(const void *data, size_t len, size_t piece, char hex[65])
{
	const unsigned char *p = data;
	struct sha256 s;
	uint8_t d[32];

	sha256_init(&s);
	while (len) {
		size_t n = piece && piece < len ? piece : len;

		sha256_update(&s, p, n);
		p += n;
		len -= n;
	}
	sha256_final(&s, d);
	sha256_hex(d, hex);
}

static void vectors(const char *impl)
{
	static const struct { const char *msg; size_t reps; const char *hex; } v[] = {
		{ "", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "a", 1000000,
		  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
	};
	char hex[65], what[128];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len = strlen(v[i].msg) * v[i].reps;
		char *buf = malloc(len + 1);

		if (v[i].reps > 1)
			memset(buf, v[i].msg[0], len);
		else
			memcpy(buf, v[i].msg, len);
		hex_of(buf, len, 0, hex);
		snprintf(what, sizeof(what), "%s: FIPS 180-4 example %zu (%zu bytes)", impl, i + 1, len);
		ok(!strcmp(hex, v[i].hex), what);
		hex_of(buf, len, 7, hex);
		snprintf(what, sizeof(what), "%s: example %zu in 7-byte pieces", impl, i + 1);
		ok(!strcmp(hex, v[i].hex), what);
		free(buf);
	}
}

int main(void)
{
	const char *best = sha256_impl();
	unsigned int seed = getenv("FB_UNIT_SEED") ? (unsigned int)atoi(getenv("FB_UNIT_SEED")) : 1;
	size_t max = 1 << 20, i, bad = 0;
	unsigned char *buf = malloc(max);
	char a[65], b[65], what[128];
	int r;

	printf("KTAP version 1\n# sha256: best block function here: %s\n", best);
	sha256_use_portable(1);
	vectors("portable");
	sha256_use_portable(0);
	if (strcmp(best, "portable")) {
		vectors(best);
	} else {
		printf("ok %d # SKIP no SHA extensions on this CPU\n", ++n_test);
		passed++;
	}
	srand(seed);
	for (i = 0; i < max; i++)
		buf[i] = (unsigned char)rand();
	for (r = 0; r < 300; r++) {
		size_t len = r < 130 ? (size_t)r : (size_t)rand() % max;
		size_t piece = (size_t)rand() % 200;

		sha256_use_portable(1);
		hex_of(buf, len, 0, a);
		sha256_use_portable(0);
		hex_of(buf, len, piece, b);
		if (strcmp(a, b)) {
			printf("# length %zu, pieces of %zu: %s vs %s\n", len, piece, a, b);
			bad++;
		}
	}
	snprintf(what, sizeof(what), "300 random inputs: portable, whole == %s, in random pieces", best);
	ok(!bad, what);
	free(buf);
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
