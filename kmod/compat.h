/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastboot: differences between kernel versions, and nothing else.
 * Core files use the fastboot_* names below and carry no version checks.
 */
#ifndef FASTBOOT_COMPAT_H
#define FASTBOOT_COMPAT_H

#include <linux/version.h>
#include <crypto/sha2.h>

/*
 * SHA-256 library.  Up to 6.15 the context is struct sha256_state and
 * update takes an unsigned int length; from 6.16 it is struct sha256_ctx.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
typedef struct sha256_ctx fastboot_sha256_ctx;
#else
typedef struct sha256_state fastboot_sha256_ctx;
#endif

static inline void fastboot_sha256_init(fastboot_sha256_ctx *c)
{
	sha256_init(c);
}

static inline void fastboot_sha256_update(fastboot_sha256_ctx *c,
					  const void *data, unsigned int len)
{
	sha256_update(c, data, len);
}

static inline void fastboot_sha256_final(fastboot_sha256_ctx *c, u8 *out)
{
	sha256_final(c, out);
}

#endif /* FASTBOOT_COMPAT_H */
