// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fastboot tool: numbers given by the operator or read back from the store.
 * Strict: digits only (no blanks, no sign, no trailing bytes), and a value
 * out of range is refused, never wrapped or clamped.  No I/O here, so the
 * unit tests and fuzz targets link this file alone.
 */
#include <stddef.h>
#include <stdint.h>
#include "fastboot.h"

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/*
 * The digits in base at the start of s into *out, *end after them;
 * -1 if there is none or the value does not fit in 64 bits.
 */
static int parse_digits(const char *s, unsigned int base, uint64_t *out,
			const char **end)
{
	const char *p = s;
	uint64_t v = 0;
	int d;

	for (; (d = digit_value(*p)) < (int)base; p++) {
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return -1;
		v = v * base + (uint64_t)d;
	}
	if (p == s)
		return -1;
	*out = v;
	*end = p;
	return 0;
}

int fb_parse_uint(const char *s, unsigned int base, uint64_t max, uint64_t *out)
{
	const char *end;
	uint64_t v;

	if ((base != 8 && base != 10 && base != 16) ||
	    parse_digits(s, base, &v, &end) || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * A size or an address: decimal, or hexadecimal after 0x, with an optional
 * K, M, G or T suffix (powers of 1024).  A leading 0 followed by a digit is
 * refused: the kernel's memparse() reads it as octal, a person as decimal.
 */
int fb_parse_size(const char *s, uint64_t *out)
{
	unsigned int base = 10, shift = 0;
	const char *end;
	uint64_t v;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && digit_value(s[1]) < 10) {
		return -1;
	}
	if (parse_digits(s, base, &v, &end))
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = v << shift;
	return 0;
}
