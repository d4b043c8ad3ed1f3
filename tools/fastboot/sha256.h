/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* fastboot tool: SHA-256 (FIPS 180-4). */
#ifndef FASTBOOT_SHA256_H
#define FASTBOOT_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;
	uint8_t buf[64];
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[32]);
void sha256_hex(const uint8_t digest[32], char hex[65]);
/* "portable" or "sha-ni": the block function in use */
const char *sha256_impl(void);
/* tests: force the portable block function (on != 0) */
int sha256_use_portable(int on);

#endif
