/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * fastboot tool: a small JSON writer for --json output.
 *
 * A document is built in memory and reaches its output whole, at
 * json_end(), or not at all: a command failing half-way leaves nothing
 * behind (the next json_init() or json_discard() drops it).  Strings are
 * written as valid UTF-8: each byte that is not part of a valid sequence
 * becomes U+FFFD.
 */
#ifndef FASTBOOT_JSON_H
#define FASTBOOT_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *out;	/* where json_end() writes the document */
	FILE *f;	/* the document being built; NULL when out of memory */
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
};

void json_init(struct json *j, FILE *out);
void json_open(struct json *j, const char *key, char bracket);
void json_close(struct json *j, char bracket);
void json_str(struct json *j, const char *key, const char *val);
void json_u64(struct json *j, const char *key, uint64_t val);
void json_bool(struct json *j, const char *key, bool val);
void json_end(struct json *j);
void json_discard(void);
bool json_emitted(void);
int json_error(void);

#endif
