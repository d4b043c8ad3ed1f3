/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * fastboot tool: reading QMP messages (one JSON object a line), without
 * I/O: a strict JSON scanner for the few members `vm save|restore` read,
 * and the rule that matches a reply to the command that asked for it.
 * Fuzzed by selftests/fuzz/fuzz_qmp.c.
 */
#ifndef FASTBOOT_QMP_H
#define FASTBOOT_QMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum qmp_kind {
	QMP_BAD,	/* not one JSON object with exactly one of the below */
	QMP_GREETING,	/* "QMP" */
	QMP_EVENT,	/* "event" */
	QMP_RETURN,	/* "return" */
	QMP_ERROR,	/* "error" */
};

struct qmp_msg {
	enum qmp_kind kind;
	bool has_id;	/* an "id" member, of any type */
	bool id_num;	/* ... which is an integer in 0..UINT64_MAX */
	uint64_t id;
};

/* What the client does with a line while it waits for reply want_id. */
enum qmp_verdict {
	QMP_V_SKIP,	/* an event, or a late reply to an earlier command */
	QMP_V_RETURN,	/* the reply, a success */
	QMP_V_ERROR,	/* the reply, an error (also an error without id:
			   QEMU could not read the command) */
	QMP_V_BAD,	/* not QMP: give up on the connection */
};

int qmp_parse(const char *line, size_t len, struct qmp_msg *m);
enum qmp_verdict qmp_judge(const char *line, size_t len, uint64_t want_id);
int qmp_get_str(const char *line, size_t len, const char *key, char *out,
		size_t outlen);
int qmp_get_return_str(const char *line, size_t len, const char *key,
		       char *out, size_t outlen);
int qmp_get_num(const char *line, size_t len, const char *key, long *out);

#endif
