// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fastboot tool: `fastboot vm save --all` and `vm restore --all`.
 *
 * save --all: every process that maps a file of GUEST_DIR (a guest
 *   region: /proc/PID/maps) is a VM to save, named after the first such
 *   region it maps, through the QMP socket its command line names (-qmp
 *   unix:PATH, or -mon mode=control on a -chardev socket).  A process
 *   that maps a guest region and has no such socket is a failure: its VM
 *   would not come back.
 * restore --all: every VM with both vm.NAME.state and vm.NAME.args.
 *
 * One child process a VM, all at once, each the same code as a single
 * save or restore (vm_save_one, vm_restore_one), sharing the parent's
 * lock on the store (the flock is on the open file, which they inherit).
 * Each child hands its struct vm_result back over a pipe; the parent
 * prints one line a VM (--json: one object with a "vms" array) and fails
 * when any VM failed.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "fastboot.h"
#include "json.h"
#include "vm.h"

#define VM_ALL_MAX	64	/* VMs at once */

struct vm_job {
	char name[64];
	char qmp[108];
	pid_t qemu;		/* save: the process found */
	pid_t child;
	int fd;			/* the child's result pipe */
	struct vm_result res;
};

static int slurp_file(const char *path, struct buf *b)
{
	char tmp[65536];
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		if (buf_add(b, tmp, n)) {
			fclose(f);
			return -ENOMEM;
		}
	fclose(f);
	return 0;
}

/* The first guest region that pid maps, into name; false when none. */
static bool maps_guest(pid_t pid, char *name, size_t len)
{
	static const char dir[] = " " GUEST_DIR "/";
	struct buf b = { 0 };
	char path[64], *p;
	bool found = false;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if (slurp_file(path, &b) || !b.p) {
		free(b.p);
		return false;
	}
	p = strstr(b.p, dir);
	if (p) {
		p += strlen(dir);
		p[strcspn(p, " \n")] = 0;	/* before " (deleted)" */
		found = *p && snprintf(name, len, "%s", p) < (int)len;
	}
	free(b.p);
	return found;
}

/* The QMP socket on pid's command line. */
static bool proc_qmp(pid_t pid, char *out, size_t len)
{
	struct buf b = { 0 };
	char path[64], **argv;
	bool ok = false;
	int argc = 0, i;
	size_t off;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (slurp_file(path, &b) || !b.len || buf_add(&b, "", 1)) {
		free(b.p);
		return false;
	}
	for (off = 0; off + 1 < b.len; off += strlen(b.p + off) + 1)
		argc++;
	argv = calloc((size_t)argc + 1, sizeof(*argv));
	if (argv) {
		for (i = 0, off = 0; i < argc; i++, off += strlen(b.p + off) + 1)
			argv[i] = b.p + off;
		ok = vm_argv_qmp(argv, argc, out, len);
	}
	free(argv);
	free(b.p);
	return ok;
}

/*
 * The VMs to save: jobs[], their count, or -1 (said why); *bad counts
 * the processes that map a guest region and cannot be saved.
 */
static int find_running(struct vm_job *jobs, int max, int *bad)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	*bad = 0;
	if (!d)
		return fb_error("/proc", "%s", strerror(errno)), -1;
	while ((e = readdir(d))) {
		char region[64];
		pid_t pid;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid = (pid_t)atoi(e->d_name);
		if (pid == getpid() || !maps_guest(pid, region, sizeof(region)))
			continue;
		if (n == max) {
			fb_error("vm save --all", "more than %d VMs", max);
			(*bad)++;
			break;
		}
		memset(&jobs[n], 0, sizeof(jobs[n]));
		snprintf(jobs[n].name, sizeof(jobs[n].name), "%s", region);
		jobs[n].qemu = pid;
		if (!proc_qmp(pid, jobs[n].qmp, sizeof(jobs[n].qmp))) {
			fb_error(region, "process %d maps this guest region but names no QMP unix socket (-qmp unix:PATH, or -mon mode=control on a -chardev socket): not saved",
				 (int)pid);
			(*bad)++;
			continue;
		}
		n++;
	}
	closedir(d);
	return n;
}

/* The VMs to restore. */
static int find_saved(int dev, struct vm_job *jobs, int max)
{
	struct buf names = { 0 };
	const char *p;
	int n = vm_saved_names(dev, &names), i;

	if (n > max) {
		free(names.p);
		return fb_error("vm restore --all", "more than %d saved VMs", max), -1;
	}
	for (i = 0, p = names.p; i < n; i++, p += strlen(p) + 1) {
		memset(&jobs[i], 0, sizeof(jobs[i]));
		snprintf(jobs[i].name, sizeof(jobs[i].name), "%s", p);
	}
	free(names.p);
	return n;
}

/* In the child: one save or restore, its result to fd; never returns. */
static void run_child(const struct vm_job *job, bool save, int dev, int fd,
		      int timeout, const char *log, bool keep)
{
	struct vm_result r;
	const char *what, *why;
	int rc;

	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s", job->name);
	opt_json = false;	/* the parent prints */
	if (save)
		rc = vm_save_one(dev, job->name, job->qmp, timeout, &r);
	else
		rc = vm_restore_one(dev, job->name, NULL, log, timeout, keep, &r);
	r.ok = rc == EXIT_OK;
	if (!r.ok && !fb_first_error(&what, &why)) {
		snprintf(r.what, sizeof(r.what), "%s", what);
		snprintf(r.why, sizeof(r.why), "%s", why);
	}
	if (write(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(EXIT_FAIL);
	fflush(NULL);
	_exit(rc);
}

/* the same durations as the single command's --json */
static void print_phases(struct json *j, bool save, const struct vm_result *r)
{
	static const char *const save_names[] = {
		"stop_ms", "save_ms", "store_ms", "quit_ms"
	};
	static const char *const restore_names[] = {
		"start_ms", "load_ms", "cont_ms"
	};
	const char *const *names = save ? save_names : restore_names;
	int i, n = save ? 4 : 3;

	for (i = 0; i < n; i++)
		json_u64(j, names[i], r->phase_ms[i]);
}

static void print_json(bool save, const struct vm_job *jobs, int n, int failed,
		       int unsaved)
{
	struct json j;
	int i;

	json_init(&j, stdout);
	json_open(&j, NULL, '{');
	json_open(&j, "vms", '[');
	for (i = 0; i < n; i++) {
		const struct vm_result *r = &jobs[i].res;

		json_open(&j, NULL, '{');
		json_str(&j, "name", jobs[i].name);
		json_bool(&j, "ok", r->ok);
		if (r->ok) {
			json_str(&j, "qemu", r->qemu);
			json_str(&j, "mode", r->mode);
			json_u64(&j, "pid", (uint64_t)r->pid);
			json_u64(&j, "state_bytes", r->state_bytes);
			if (r->at_ms)
				json_u64(&j, save ? "stopped_at_ms" : "resumed_at_ms",
					 r->at_ms);
			print_phases(&j, save, r);
			json_u64(&j, "total_ms", r->total_ms);
		} else {
			json_str(&j, "what", r->what[0] ? r->what : jobs[i].name);
			json_str(&j, "error", r->why[0] ? r->why : "failed");
		}
		json_close(&j, '}');
	}
	json_close(&j, ']');
	json_u64(&j, save ? "saved" : "restored", (uint64_t)(n - failed));
	/* with the VMs found but not tried (no QMP socket) */
	json_u64(&j, "failed", (uint64_t)(failed + unsaved));
	json_close(&j, '}');
	json_end(&j);
}

int vm_all(bool save, int timeout, const char *log, bool keep)
{
	const char *cmd = save ? "vm save --all" : "vm restore --all";
	struct vm_job *jobs = calloc(VM_ALL_MAX, sizeof(*jobs));
	uint64_t t0 = fb_now_ms(CLOCK_MONOTONIC);
	int dev, n, i, failed = 0, found_bad = 0;
	sigset_t block, old;

	if (!jobs)
		return fb_error(cmd, "out of memory");
	dev = vm_open_store();
	if (dev == -1) {
		free(jobs);
		return EXIT_FAIL;
	}
	/* A VM that cannot be saved does not stop the others: their
	 * state is saved all the same, and the command fails. */
	n = save ? find_running(jobs, VM_ALL_MAX, &found_bad) :
		   find_saved(dev, jobs, VM_ALL_MAX);
	if (n < 0) {
		vm_close_store(dev);
		free(jobs);
		return EXIT_FAIL;
	}
	/* QEMU maps its RAM from fastbootfs: mounted once, here, not by
	 * each child at the same time (the second mount would fail) */
	if (!save && n > 0 && !getenv("FASTBOOT_VM_STATE_DIR") && fb_guest_mount()) {
		vm_close_store(dev);
		free(jobs);
		return EXIT_FAIL;
	}
	if (!n && !found_bad)
		fprintf(stderr, "fastboot: vm: %s\n", save ?
			"no VM has its RAM in a guest region" : "no saved VM in the store");
	/* Children run with the signals of a single save (sig_guard); the
	 * parent waits for all of them whatever arrives. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	fflush(NULL);
	for (i = 0; i < n; i++) {
		int pfd[2];

		jobs[i].fd = -1;
		if (pipe2(pfd, O_CLOEXEC)) {
			fb_error(jobs[i].name, "pipe: %s", strerror(errno));
			continue;
		}
		jobs[i].child = fork();
		if (jobs[i].child == 0) {
			close(pfd[0]);
			sigprocmask(SIG_SETMASK, &old, NULL);
			run_child(&jobs[i], save, dev, pfd[1], timeout, log, keep);
		}
		close(pfd[1]);
		if (jobs[i].child < 0) {
			fb_error(jobs[i].name, "fork: %s", strerror(errno));
			close(pfd[0]);
			continue;
		}
		jobs[i].fd = pfd[0];
	}
	for (i = 0; i < n; i++) {
		struct vm_result *r = &jobs[i].res;
		ssize_t got = -1;

		if (jobs[i].fd >= 0) {
			do {
				got = read(jobs[i].fd, r, sizeof(*r));
			} while (got < 0 && errno == EINTR);
			close(jobs[i].fd);
		}
		if (jobs[i].child > 0)
			while (waitpid(jobs[i].child, NULL, 0) < 0 && errno == EINTR)
				;
		if (got != (ssize_t)sizeof(*r)) {
			memset(r, 0, sizeof(*r));
			snprintf(r->why, sizeof(r->why), "its process ended without a result");
		}
		r->name[sizeof(r->name) - 1] = 0;
		r->what[sizeof(r->what) - 1] = 0;
		r->why[sizeof(r->why) - 1] = 0;
		if (!r->ok)
			failed++;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	vm_close_store(dev);
	for (i = 0; i < n; i++)
		if (!jobs[i].res.ok)
			fb_error(jobs[i].name, "not %s: %s",
				 save ? "saved" : "restored",
				 jobs[i].res.why[0] ? jobs[i].res.why : "failed");
	fprintf(stderr, "fastboot: vm: %s %d of %d VMs in %llu ms\n",
		save ? "saved" : "restored", n - failed, n,
		(unsigned long long)(fb_now_ms(CLOCK_MONOTONIC) - t0));
	/* with --json, the VMs that failed are in it too, with their error */
	if (opt_json)
		print_json(save, jobs, n, failed, found_bad);
	free(jobs);
	if (failed || found_bad)
		return EXIT_FAIL;
	return EXIT_OK;
}
