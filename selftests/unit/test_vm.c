// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Userspace unit tests of the pure parts of `fastboot vm`
 * (tools/fastboot/qmp.c and vmargs.c, compiled unmodified next to this
 * file, with ASan + UBSan): matching QMP replies by id, reading members,
 * the argument record, the restore command line and the environment
 * filter.  Output is KTAP; the last line is "N passed, N failed".
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/fastboot/qmp.h"
#include "../../tools/fastboot/vmargs.h"

#include "ktap.h"

static enum qmp_verdict judge(const char *line, uint64_t id)
{
	return qmp_judge(line, strlen(line), id);
}

static void test_judge(void)
{
	ok(judge("{\"return\": {}, \"id\": 7}\r\n", 7) == QMP_V_RETURN,
	   "the reply with the awaited id is taken");
	ok(judge("{\"return\": {\"status\": \"paused\"}, \"id\": 6}", 7) == QMP_V_SKIP,
	   "a late reply (an earlier id) is skipped");
	ok(judge("{\"return\": {}, \"id\": \"7\"}", 7) == QMP_V_SKIP,
	   "an id of another type is not ours");
	ok(judge("{\"return\": {}}", 7) == QMP_V_SKIP,
	   "a success without id is not ours");
	ok(judge("{\"error\": {\"class\": \"GenericError\", \"desc\": \"x\"}, \"id\": 7}", 7) == QMP_V_ERROR,
	   "the error with the awaited id is taken");
	ok(judge("{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error\"}}", 7) == QMP_V_ERROR,
	   "an error without id (QEMU could not read the command) is taken");
	ok(judge("{\"error\": {\"desc\": \"x\"}, \"id\": 3}", 7) == QMP_V_SKIP,
	   "a late error is skipped");
	ok(judge("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"STOP\"}", 7) == QMP_V_SKIP,
	   "an event is skipped");
	ok(judge("{\"event\": \"X\", \"data\": {\"error\": \"e\", \"return\": 1}}", 7) == QMP_V_SKIP,
	   "an event with \"error\" and \"return\" inside is still an event");
	ok(judge("{\"event\": \"X\", \"id\": 7}", 7) == QMP_V_SKIP,
	   "an event carrying our id is not a reply");
	ok(judge("{\"QMP\": {}}", 7) == QMP_V_BAD, "a second greeting is not QMP");
	ok(judge("{\"return\": {}, \"error\": {}, \"id\": 7}", 7) == QMP_V_BAD,
	   "return and error together are not QMP");
	ok(judge("{\"return\": {}, \"id\": 7", 7) == QMP_V_BAD, "a cut line is not QMP");
	ok(judge("{\"return\": {}, \"id\": 7} x", 7) == QMP_V_BAD, "trailing text is not QMP");
	ok(judge("{\"return\": {},}", 7) == QMP_V_BAD, "a trailing comma is not JSON");
	ok(judge("{\"return\": \"a\tb\", \"id\": 7}", 7) == QMP_V_BAD,
	   "a control character in a string is not JSON");
	ok(judge("{\"return\": {}, \"id\": 18446744073709551615}", UINT64_MAX) == QMP_V_RETURN,
	   "the largest id");
	ok(judge("{\"return\": {}, \"id\": 18446744073709551616}", 0) == QMP_V_SKIP,
	   "an id past 64 bits matches nothing");
	ok(judge("{\"return\": {}, \"id\": 7.0}", 7) == QMP_V_SKIP,
	   "a fractional id matches nothing");
	ok(judge("{\"return\": {}, \"id\": -7}", 7) == QMP_V_SKIP,
	   "a negative id matches nothing");
}

static void test_members(void)
{
	static const char ver[] = "{\"return\": {\"qemu\": {\"micro\": 3, \"minor\": 2, \"major\": 8}, \"package\": \"v\"}, \"id\": 2}";
	static const char esc[] = "{\"return\": {\"x\": {\"status\": 1}, \"status\": \"a\\\"b\\u0041\\u00e9\\n\"}}";
	static const char *deep_fmt = "{\"a\":%.200s1%.200s}";
	char out[64], deep[600], open_[300], close_[300];
	long v = -1;

	ok(!qmp_get_num(ver, strlen(ver), "major", &v) && v == 8, "major of query-version");
	ok(!qmp_get_num(ver, strlen(ver), "micro", &v) && v == 3, "micro of query-version");
	ok(qmp_get_num(ver, strlen(ver), "package", &v), "a string is not a number");
	ok(qmp_get_str(esc, strlen(esc), "status", out, sizeof(out)),
	   "the first member named status is not a string: no answer");
	ok(qmp_get_str(esc, strlen(esc), "x", out, sizeof(out)) != 0,
	   "an object is not a string");
	{
		static const char s2[] = "{\"return\": {\"status\": \"a\\\"b\\u0041\\u00e9\\n\"}}";

		ok(!qmp_get_str(s2, strlen(s2), "status", out, sizeof(out)) &&
		   !strcmp(out, "a\"bA?\n"), "escapes decoded, non-ASCII as '?'");
		ok(!qmp_get_str(s2, strlen(s2), "status", out, 3) && !strcmp(out, "a\""),
		   "a long value is cut to the buffer");
	}
	memset(open_, '[', 200);
	open_[200] = 0;
	memset(close_, ']', 200);
	close_[200] = 0;
	snprintf(deep, sizeof(deep), deep_fmt, open_, close_);
	ok(qmp_get_num(deep, strlen(deep), "a", &v), "nesting deeper than the bound is refused");
}

static char *dup_record(const char *hdr, const char *strs, size_t strs_len,
			struct vm_args *a)
{
	memset(a, 0, sizeof(*a));
	buf_add(&a->raw, hdr, strlen(hdr));
	buf_add(&a->raw, strs, strs_len);
	return a->raw.p;
}

#define STRS(s) s, sizeof(s) - 1

static void test_record(void)
{
	static const char hdr[] = VM_ARGS_MAGIC "qemu 8.2.0\nmode cpr-reboot\nrunning 1\n"
		"qmp /run/a.qmp\ncwd /\nuid 1000\ngid 100\ngroups 4,24,27\nargc 2\nenvc 2\n\n";
	static const char nocred[] = VM_ARGS_MAGIC "qemu 8.2.0\nqmp /a\nargc 1\nenvc 0\n\n";
	static const char partial[] = VM_ARGS_MAGIC "qemu 8.2.0\nqmp /a\nuid 5\nargc 1\nenvc 0\n\n";
	static const char status[] = "Name:\tqemu\nUmask:\t0022\nState:\tS (sleeping)\n"
		"Uid:\t1000\t1001\t1001\t1001\nGid:\t100\t100\t100\t100\nFDSize:\t64\n"
		"Groups:\t4 24 27 \nNStgid:\t1\n";
	struct vm_args a;
	struct vm_cred c;
	struct buf b = { 0 };
	const char *why = NULL;

	dup_record(hdr, STRS("qemu\0-m\0HOME=/\0LD_PRELOAD=/x.so\0"), &a);
	ok(!vm_args_parse(&a, &why) && a.argc == 2 && a.envc == 2 &&
	   !strcmp(a.argv[1], "-m") && !strcmp(a.envp[1], "LD_PRELOAD=/x.so") &&
	   a.cred.uid == 1000 && a.cred.gid == 100 && a.cred.ngroups == 3 &&
	   a.cred.groups[2] == 27 && a.cred_known && a.running &&
	   !strcmp(a.qmp, "/run/a.qmp"),
	   "a record with credentials parses");
	ok(vm_env_filter(a.envp, &b) == 1 && !a.envp[1] && !strcmp(a.envp[0], "HOME=/") &&
	   b.p && !strcmp(b.p, "LD_PRELOAD"), "LD_PRELOAD is filtered out and named");
	free(b.p);
	vm_args_free(&a);

	dup_record(nocred, STRS("qemu\0"), &a);
	ok(!vm_args_parse(&a, &why) && !a.cred_known && a.argc == 1,
	   "a record from before credentials were kept parses, marked so");
	vm_args_free(&a);
	dup_record(partial, STRS("qemu\0"), &a);
	ok(vm_args_parse(&a, &why) && strstr(why, "uid"),
	   "a record with only some of uid, gid, groups is refused");
	vm_args_free(&a);
	dup_record(hdr, STRS("qemu\0-m\0HOME=/\0"), &a);
	ok(vm_args_parse(&a, &why), "fewer strings than envc: refused");
	vm_args_free(&a);
	{
		static const char big[] = VM_ARGS_MAGIC "uid 0\ngid 0\ngroups \nargc 1048576\nenvc 0\n\n";

		dup_record(big, STRS("qemu\0"), &a);
		ok(vm_args_parse(&a, &why), "argc larger than the record: refused");
		vm_args_free(&a);
	}
	{
		static const char neg[] = VM_ARGS_MAGIC "uid -1\ngid 0\ngroups \nargc 1\nenvc 0\n\n";

		dup_record(neg, STRS("qemu\0"), &a);
		ok(vm_args_parse(&a, &why), "a negative uid: refused");
		vm_args_free(&a);
	}

	ok(!vm_cred_parse(status, &c) && c.uid == 1001 && c.gid == 100 &&
	   c.ngroups == 3 && c.groups[0] == 4 && c.groups[2] == 27,
	   "credentials from /proc/PID/status (the effective ids)");
	memset(&b, 0, sizeof(b));
	ok(!vm_cred_print(&b, &c) && !strcmp(b.p, "uid 1001\ngid 100\ngroups 4,24,27\n"),
	   "and as header lines");
	free(b.p);
	ok(vm_cred_parse("Name:\tx\nUid:\t1\t1\t1\t1\n", &c), "status without Gid/Groups: refused");

	ok(vm_env_unsafe("LD_LIBRARY_PATH=/x") && vm_env_unsafe("GCONV_PATH=/x") &&
	   vm_env_unsafe("GLIBC_TUNABLES=x") && vm_env_unsafe("LD_AUDIT=x") &&
	   !vm_env_unsafe("QEMU_MODULE_DIR=/l2/lib/qemu") &&
	   !vm_env_unsafe("PATH=/bin") && !vm_env_unsafe("LANG=C") &&
	   !vm_env_unsafe("GCONV_PATHX=1"), "the environment deny list");
}

/* argv of a record made of the strings "a\0b\0..." with qmp saved */
static void restore_of(const char *strs, size_t len, int argc, const char *qmp,
		       const char *new_qmp, char *joined, size_t jlen)
{
	struct vm_args a = { 0 };
	char **v;
	size_t o = 0;
	int i;

	a.raw.p = malloc(len);
	memcpy(a.raw.p, strs, len);
	a.argv = calloc((size_t)argc + 1, sizeof(char *));
	for (i = 0; i < argc; i++)
		a.argv[i] = i ? a.argv[i - 1] + strlen(a.argv[i - 1]) + 1 : a.raw.p;
	a.argc = argc;
	snprintf(a.qmp, sizeof(a.qmp), "%s", qmp);
	v = vm_restore_argv(&a, new_qmp);
	joined[0] = 0;
	for (i = 0; v && v[i]; i++)
		o += (size_t)snprintf(joined + o, jlen - o, "%s%s", i ? " " : "", v[i]);
	free(v);
	free(a.argv);
	free(a.raw.p);
}

static void test_argv(void)
{
	static const char mon[] = "qemu\0-chardev\0socket,id=mon0,path=/run/a.qmp,server=on,wait=off\0"
		"-mon\0chardev=mon0,mode=control\0-chardev\0socket,id=mon1,path=/run/other\0"
		"-mon\0chardev=mon1,mode=control\0-m\0" "128M\0";
	static const char qmp[] = "qemu\0-qmp\0unix:/run/a.qmp,server=on,wait=off\0-incoming\0tcp:0:4444\0"
		"-serial\0file:/run/a.qmp.log\0";
	static const char esc[] = "qemu\0-mon\0chardev=m,,x\0-chardev\0socket,path=/run/a.qmp,id=m,,x\0";
	char j[1024];

	restore_of(mon, sizeof(mon) - 1, 11, "/run/a.qmp", "/run/b.qmp", j, sizeof(j));
	ok(!strcmp(j, "qemu -chardev socket,id=mon1,path=/run/other -mon chardev=mon1,mode=control "
		   "-m 128M -qmp unix:/run/b.qmp,server=on,wait=off -incoming defer"),
	   "another --qmp drops the old -chardev and the -mon using it, keeps the rest");
	restore_of(mon, sizeof(mon) - 1, 11, "/run/a.qmp", "/run/a.qmp", j, sizeof(j));
	ok(!strcmp(j, "qemu -chardev socket,id=mon0,path=/run/a.qmp,server=on,wait=off "
		   "-mon chardev=mon0,mode=control -chardev socket,id=mon1,path=/run/other "
		   "-mon chardev=mon1,mode=control -m 128M -incoming defer"),
	   "the same socket keeps everything, adds -incoming defer");
	restore_of(qmp, sizeof(qmp) - 1, 7, "/run/a.qmp", "/run/b.qmp", j, sizeof(j));
	ok(!strcmp(j, "qemu -serial file:/run/a.qmp.log -qmp unix:/run/b.qmp,server=on,wait=off -incoming defer"),
	   "an old -incoming and the old -qmp go; a path that only starts alike stays");
	restore_of(esc, sizeof(esc) - 1, 5, "/run/a.qmp", "/run/b.qmp", j, sizeof(j));
	ok(!strcmp(j, "qemu -qmp unix:/run/b.qmp,server=on,wait=off -incoming defer"),
	   "a chardev id with an escaped comma (,,) is matched whole");
}

/* argv of n strings laid out NUL-separated in s */
static bool qmp_of(const char *s, int n, char *out, size_t len)
{
	char *argv[16];
	int i;

	for (i = 0; i < n && i < 16; i++, s += strlen(s) + 1)
		argv[i] = (char *)s;
	return vm_argv_qmp(argv, n, out, len);
}

static void test_argv_qmp(void)
{
	static const char q[] = "qemu\0-m\0" "64M\0-qmp\0unix:/run/a,,b.qmp,server=on,wait=off\0";
	static const char mon[] = "qemu\0-mon\0chardev=c1,mode=control\0-chardev\0file,id=c0,path=/x\0"
		"-chardev\0socket,id=c1,path=/run/m.qmp,server=on\0";
	static const char readline[] = "qemu\0-mon\0chardev=c1\0-chardev\0socket,id=c1,path=/run/m\0";
	static const char tcp[] = "qemu\0-qmp\0tcp:localhost:4444,server=on\0-qmp\0unix:/run/t\0";
	static const char none[] = "qemu\0-qmp\0";
	static const char kind[] = "qemu\0-mon\0chardev=c1,mode=control\0-chardev\0pipe,id=c1,path=/run/p\0";
	char out[108];

	ok(qmp_of(q, 5, out, sizeof(out)) && !strcmp(out, "/run/a,b.qmp"),
	   "-qmp unix:PATH, an escaped comma kept");
	ok(qmp_of(mon, 7, out, sizeof(out)) && !strcmp(out, "/run/m.qmp"),
	   "-mon mode=control on a -chardev socket, another chardev before it");
	ok(!qmp_of(readline, 5, out, sizeof(out)), "a -mon without mode=control is no QMP");
	ok(qmp_of(tcp, 5, out, sizeof(out)) && !strcmp(out, "/run/t"),
	   "a TCP -qmp is skipped for a later unix one");
	ok(!qmp_of(none, 2, out, sizeof(out)), "-qmp without a value");
	ok(!qmp_of(kind, 5, out, sizeof(out)), "a chardev that is not a socket");
	ok(!qmp_of(q, 5, out, 6), "a path longer than the buffer is refused, not cut");
}

int main(void)
{
	printf("KTAP version 1\n");
	test_judge();
	test_members();
	test_record();
	test_argv();
	test_argv_qmp();
	printf("1..%d\n", n_test);
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
