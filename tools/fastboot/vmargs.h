/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * fastboot tool: the record vm.NAME.args (what `vm restore` needs to start
 * the same QEMU again) and the command line and environment made from it,
 * without I/O.  Fuzzed by selftests/fuzz/fuzz_qmp.c.
 */
#ifndef FASTBOOT_VMARGS_H
#define FASTBOOT_VMARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define VM_ARGS_MAGIC	"fastboot-vm 1\n"
#define VM_PATH_MAX	108	/* sizeof(sockaddr_un.sun_path) */
#define VM_GROUPS_MAX	64

/* A growing, NUL-terminated buffer. */
struct buf {
	char *p;
	size_t len, cap;
};

int buf_add(struct buf *b, const void *data, size_t len);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Who QEMU ran as: from /proc/PID/status at save, applied at restore. */
struct vm_cred {
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[VM_GROUPS_MAX];
};

/*
 * Text header, an empty line, then argv and environ as NUL-terminated
 * strings.  Header lines: fastboot-vm 1 / qemu X.Y.Z / mode M /
 * running 0|1 / qmp PATH / cwd PATH / uid N / gid N / groups N,N... /
 * argc N / envc N.
 */
struct vm_args {
	char qemu[32], mode[32];
	char qmp[VM_PATH_MAX];
	char cwd[4096];
	bool running;
	bool cred_known;	/* uid, gid, groups recorded (not before 0.2) */
	struct vm_cred cred;
	int argc, envc;
	char **argv, **envp;
	struct buf raw;
};

int vm_cred_parse(const char *status, struct vm_cred *c);
int vm_cred_print(struct buf *b, const struct vm_cred *c);
int vm_args_parse(struct vm_args *a, const char **why);
void vm_args_free(struct vm_args *a);
int vm_count_strings(struct buf *b);
bool vm_args_runas(const struct vm_args *a);
char **vm_restore_argv(const struct vm_args *a, const char *qmp);
bool vm_argv_qmp(char *const *argv, int argc, char *out, size_t len);
bool vm_env_unsafe(const char *entry);
int vm_env_filter(char **envp, struct buf *dropped);

#endif
