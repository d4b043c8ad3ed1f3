// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Fuzz target for what `fastboot vm` reads from outside: QMP messages from
 * QEMU (tools/fastboot/qmp.c) and the vm.NAME.args record from the store,
 * with the restore command line and environment made from it
 * (tools/fastboot/vmargs.c), both compiled unmodified.
 *
 * Input: when it starts with "fastboot-vm 1\n", an argument record;
 * otherwise QMP text, one message a line, each judged against the id of
 * its line number.  Either way the whole input, as text, is also read as
 * /proc/PID/status.
 *
 * The oracle, beyond the sanitizers: qmp_judge() agrees with qmp_parse();
 * a string read is NUL-terminated within its buffer; a member of "return"
 * (query-migrate-parameters' "mode") is read only from a reply; a restore command
 * line starts with the saved program and ends with -incoming defer; the
 * filtered environment holds no unsafe variable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qmp.h"
#include "vmargs.h"

#define CHECK(c) do { if (!(c)) { \
	fprintf(stderr, "fuzz_qmp: %s:%d: %s\n", __FILE__, __LINE__, #c); \
	abort(); } } while (0)

static void one_line(const char *line, size_t len, uint64_t id)
{
	static const char *const keys[] = { "status", "desc", "error-desc", "class", "event" };
	enum qmp_verdict v = qmp_judge(line, len, id);
	struct qmp_msg m;
	char out[16];
	size_t i;
	long n;

	if (qmp_parse(line, len, &m)) {
		CHECK(v == QMP_V_BAD);
		return;
	}
	CHECK(v != QMP_V_BAD || m.kind == QMP_GREETING);
	if (v == QMP_V_RETURN)
		CHECK(m.kind == QMP_RETURN && m.has_id && m.id_num && m.id == id);
	if (v == QMP_V_ERROR)
		CHECK(m.kind == QMP_ERROR && (!m.has_id || (m.id_num && m.id == id)));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		memset(out, 'x', sizeof(out));
		if (!qmp_get_str(line, len, keys[i], out, sizeof(out)))
			CHECK(memchr(out, 0, sizeof(out)));
	}
	if (!qmp_get_num(line, len, "major", &n))
		CHECK(n >= 0);
	/* a member of "return" itself: only in a reply, and a string there
	 * is one that the document-wide search finds too */
	for (i = 0; i < 2; i++) {
		memset(out, 'x', sizeof(out));
		if (!qmp_get_return_str(line, len, i ? "status" : "mode", out, sizeof(out))) {
			CHECK(m.kind == QMP_RETURN);
			CHECK(memchr(out, 0, sizeof(out)));
		}
	}
}

static void qmp_text(const char *p, size_t len)
{
	uint64_t id = 0;

	while (len) {
		const char *nl = memchr(p, '\n', len);
		size_t l = nl ? (size_t)(nl - p) + 1 : len;

		one_line(p, l, id++);
		p += l;
		len -= l;
	}
}

static void check_argv(const struct vm_args *a, const char *qmp)
{
	char **v = vm_restore_argv(a, qmp);
	int n = 0;

	CHECK(v);
	while (v[n])
		n++;
	CHECK(n >= 3 && n <= a->argc + 4);
	CHECK(v[0] == a->argv[0]);
	CHECK(!strcmp(v[n - 2], "-incoming") && !strcmp(v[n - 1], "defer"));
	free(v);
}

static void record(const char *p, size_t len)
{
	struct vm_args a;
	struct buf dropped = { 0 };
	const char *why = NULL;
	int i;

	memset(&a, 0, sizeof(a));
	CHECK(!buf_add(&a.raw, p, len));
	if (vm_args_parse(&a, &why)) {
		CHECK(why && !a.argv);
		vm_args_free(&a);
		return;
	}
	CHECK(a.argc >= 1 && a.envc >= 0 && a.cred.ngroups <= VM_GROUPS_MAX);
	{
		char q[108];

		memset(q, 'x', sizeof(q));
		if (vm_argv_qmp(a.argv, a.argc, q, sizeof(q)))
			CHECK(q[0] && memchr(q, 0, sizeof(q)));
	}
	check_argv(&a, a.qmp);
	check_argv(&a, "/run/other.qmp");
	(void)vm_args_runas(&a);
	CHECK(vm_env_filter(a.envp, &dropped) >= 0);
	for (i = 0; a.envp[i]; i++)
		CHECK(!vm_env_unsafe(a.envp[i]));
	free(dropped.p);
	vm_args_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	char *text = malloc(size + 1);
	struct vm_cred c;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	if (!vm_cred_parse(text, &c))
		CHECK(c.ngroups >= 0 && c.ngroups <= VM_GROUPS_MAX);
	free(text);
	if (size >= sizeof(VM_ARGS_MAGIC) - 1 &&
	    !memcmp(p, VM_ARGS_MAGIC, sizeof(VM_ARGS_MAGIC) - 1))
		record(p, size);
	else
		qmp_text(p, size);
	return 0;
}
