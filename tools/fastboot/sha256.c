// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fastboot tool: SHA-256 (FIPS 180-4), written from the standard.
 *
 * Two block functions: a portable one (rounds unrolled eight at a time,
 * the working variables renamed instead of shifted) and, on x86-64 CPUs
 * that have them, the SHA extensions (SHA-NI), chosen once at run time.
 * Every stored module is hashed before it is loaded, so this is on the
 * critical path of `fastboot update` and `fastboot get`.
 */
#include <string.h>
#include "sha256.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_SHANI 1
#endif

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define BSIG0(x) (ROR(x, 2) ^ ROR(x, 13) ^ ROR(x, 22))
#define BSIG1(x) (ROR(x, 6) ^ ROR(x, 11) ^ ROR(x, 25))
#define SSIG0(x) (ROR(x, 7) ^ ROR(x, 18) ^ ((x) >> 3))
#define SSIG1(x) (ROR(x, 17) ^ ROR(x, 19) ^ ((x) >> 10))
#define CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))

/* One round; the caller renames a..h instead of moving them. */
#define RND(a, b, c, d, e, f, g, h, i)					\
	do {								\
		uint32_t t1 = h + BSIG1(e) + CH(e, f, g) + K[i] + w[i];	\
		d += t1;						\
		h = t1 + BSIG0(a) + MAJ(a, b, c);			\
	} while (0)

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void blocks_portable(uint32_t st[8], const uint8_t *p, size_t n)
{
	uint32_t w[64], a, b, c, d, e, f, g, h;
	int i;

	for (; n; n--, p += 64) {
		for (i = 0; i < 16; i++)
			w[i] = be32(p + 4 * i);
		for (; i < 64; i++)
			w[i] = SSIG1(w[i - 2]) + w[i - 7] + SSIG0(w[i - 15]) +
			       w[i - 16];
		a = st[0]; b = st[1]; c = st[2]; d = st[3];
		e = st[4]; f = st[5]; g = st[6]; h = st[7];
		for (i = 0; i < 64; i += 8) {
			RND(a, b, c, d, e, f, g, h, i);
			RND(h, a, b, c, d, e, f, g, i + 1);
			RND(g, h, a, b, c, d, e, f, i + 2);
			RND(f, g, h, a, b, c, d, e, i + 3);
			RND(e, f, g, h, a, b, c, d, i + 4);
			RND(d, e, f, g, h, a, b, c, i + 5);
			RND(c, d, e, f, g, h, a, b, i + 6);
			RND(b, c, d, e, f, g, h, a, i + 7);
		}
		st[0] += a; st[1] += b; st[2] += c; st[3] += d;
		st[4] += e; st[5] += f; st[6] += g; st[7] += h;
	}
}

#ifdef HAVE_SHANI
/*
 * The SHA extensions keep the state as ABEF and CDGH; sha256rnds2 does two
 * rounds, sha256msg1/msg2 extend the message schedule four words at a time.
 */
__attribute__((target("sha,sse4.1,ssse3")))
static void blocks_shani(uint32_t st[8], const uint8_t *p, size_t n)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL,
					     0x0405060700010203ULL);
	__m128i s0, s1, t, m[4], wk, abef, cdgh;
	int j;

	t = _mm_loadu_si128((const __m128i *)&st[0]);		/* DCBA */
	s1 = _mm_loadu_si128((const __m128i *)&st[4]);		/* HGFE */
	t = _mm_shuffle_epi32(t, 0xb1);				/* CDAB */
	s1 = _mm_shuffle_epi32(s1, 0x1b);			/* EFGH */
	s0 = _mm_alignr_epi8(t, s1, 8);				/* ABEF */
	s1 = _mm_blend_epi16(s1, t, 0xf0);			/* CDGH */

	for (; n; n--, p += 64) {
		abef = s0;
		cdgh = s1;
		for (j = 0; j < 16; j++) {
			__m128i *cur = &m[j & 3];

			if (j < 4) {
				*cur = _mm_shuffle_epi8(_mm_loadu_si128(
					(const __m128i *)(p + 16 * j)), bswap);
			} else {
				/* W[j] from W[j-4] (cur), W[j-3], W[j-2], W[j-1] */
				t = _mm_sha256msg1_epu32(*cur, m[(j + 1) & 3]);
				t = _mm_add_epi32(t, _mm_alignr_epi8(m[(j + 3) & 3],
								     m[(j + 2) & 3], 4));
				*cur = _mm_sha256msg2_epu32(t, m[(j + 3) & 3]);
			}
			wk = _mm_add_epi32(*cur, _mm_loadu_si128((const __m128i *)&K[4 * j]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, wk);
			wk = _mm_shuffle_epi32(wk, 0x0e);
			s0 = _mm_sha256rnds2_epu32(s0, s1, wk);
		}
		s0 = _mm_add_epi32(s0, abef);
		s1 = _mm_add_epi32(s1, cdgh);
	}

	t = _mm_shuffle_epi32(s0, 0x1b);			/* FEBA */
	s1 = _mm_shuffle_epi32(s1, 0xb1);			/* DCHG */
	s0 = _mm_blend_epi16(t, s1, 0xf0);			/* DCBA */
	s1 = _mm_alignr_epi8(s1, t, 8);				/* HGFE */
	_mm_storeu_si128((__m128i *)&st[0], s0);
	_mm_storeu_si128((__m128i *)&st[4], s1);
}

static int cpu_has_shani(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) ||
	    !(c & bit_SSSE3) || !(c & bit_SSE4_1))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return !!(b & bit_SHA);
}
#endif

typedef void (*blocks_fn)(uint32_t st[8], const uint8_t *p, size_t n);
static blocks_fn blocks;

static void pick(void)
{
	blocks = blocks_portable;
#ifdef HAVE_SHANI
	if (cpu_has_shani())
		blocks = blocks_shani;
#endif
}

const char *sha256_impl(void)
{
	if (!blocks)
		pick();
	return blocks == blocks_portable ? "portable" : "sha-ni";
}

int sha256_use_portable(int on)
{
	pick();
	if (on)
		blocks = blocks_portable;
	return 0;
}

void sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	if (!blocks)
		pick();
	memcpy(s->h, iv, sizeof(iv));
	s->bytes = 0;
}

void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t have = s->bytes % 64;

	s->bytes += len;
	if (have) {
		size_t n = 64 - have < len ? 64 - have : len;

		memcpy(s->buf + have, p, n);
		p += n;
		len -= n;
		if (have + n < 64)
			return;
		blocks(s->h, s->buf, 1);
	}
	if (len >= 64) {
		blocks(s->h, p, len / 64);
		p += len & ~(size_t)63;
		len &= 63;
	}
	memcpy(s->buf, p, len);
}

void sha256_final(struct sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->bytes * 8;
	size_t have = s->bytes % 64;
	int i;

	s->buf[have++] = 0x80;
	if (have > 56) {
		memset(s->buf + have, 0, 64 - have);
		blocks(s->h, s->buf, 1);
		have = 0;
	}
	memset(s->buf + have, 0, 56 - have);
	for (i = 0; i < 8; i++)
		s->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	blocks(s->h, s->buf, 1);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
}

void sha256_hex(const uint8_t digest[32], char hex[65])
{
	static const char x[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		hex[2 * i] = x[digest[i] >> 4];
		hex[2 * i + 1] = x[digest[i] & 15];
	}
	hex[64] = 0;
}
