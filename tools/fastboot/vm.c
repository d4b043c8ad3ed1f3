// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fastboot tool: `fastboot vm save|restore`, and the small QMP client
 * they use.
 *
 * save NAME --qmp SOCKET
 *   stop; migrate-set-capabilities x-ignore-shared (and, where QEMU has
 *   the migration mode cpr-reboot, 8.2 or newer, migrate-set-parameters
 *   mode=cpr-reboot first); migrate to "fd:" over
 *   a pipe whose write end went to QEMU with getfd (SCM_RIGHTS); the tool
 *   reads the stream into memory and stores it as the blob vm.NAME.state,
 *   next to vm.NAME.args (QEMU's command line, environment and working
 *   directory, from /proc/PID of the peer of the QMP socket); quit.
 *   Shared RAM is not in the stream: it stays in its memory backend.
 *
 * restore NAME [--qmp SOCKET]
 *   start the QEMU of vm.NAME.args again, with -incoming defer (and its QMP
 *   socket); set the same mode and capability before migrate-incoming from an "fd:"
 *   pipe the tool writes vm.NAME.state into; wait for the migration to
 *   complete; cont (when the VM ran at save time); check it runs.
 *
 * Nothing touches a disk.  FASTBOOT_VM_STATE_DIR=DIR (test only) keeps the
 * two objects as files DIR/vm.NAME.{state,args} instead of in the store,
 * for trying the QMP side where there is no /dev/fastboot.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "fastboot.h"
#include "client.h"
#include "json.h"
#include "qmp.h"
#include "vm.h"
#include "vmargs.h"

#define FDNAME		"fastboot-vm"
/* --timeout: the waits count in int milliseconds. */
#define VM_TIMEOUT_MAX	86400

/* ---- small helpers ---- */

static uint64_t mono_ms(void)
{
	return fb_now_ms(CLOCK_MONOTONIC);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void progress(const char *fmt, ...)
{
	va_list ap;

	fputs("fastboot: vm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Read a whole (small) file such as /proc/PID/cmdline. */
static int slurp(const char *path, struct buf *b)
{
	char tmp[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		if (buf_add(b, tmp, (size_t)n)) {
			close(fd);
			return -ENOMEM;
		}
	close(fd);
	return n < 0 ? -errno : 0;
}

/* ---- signals: a save is not left half-done ---- */

/*
 * From its start to the point of no return, `vm save` holds SIGINT,
 * SIGTERM and SIGHUP blocked, except while it waits for QEMU (ppoll with
 * sig_wait_mask): a signal then ends the wait with -EINTR, and the save
 * undoes what it did (migrate_cancel, cont, the stored objects removed)
 * before it exits.  The undo itself runs with the signals blocked.
 */
static volatile sig_atomic_t sig_caught;
static bool sig_guarded;
static sigset_t sig_wait_mask;

static void sig_note(int sig)
{
	sig_caught = sig;
}

static void sig_guard(void)
{
	struct sigaction sa = { .sa_handler = sig_note };
	sigset_t block;

	sigemptyset(&sa.sa_mask);	/* no SA_RESTART: waits see EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &sig_wait_mask);
	sigdelset(&sig_wait_mask, SIGINT);
	sigdelset(&sig_wait_mask, SIGTERM);
	sigdelset(&sig_wait_mask, SIGHUP);
	sig_guarded = true;
}

/* Signals stay blocked (and pending) from here on: undo, or finish. */
static void sig_hold(void)
{
	sig_guarded = false;
}

/* Was a signal caught, or is one pending, while guarded?  Then stop. */
static int sig_check(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	sigset_t pending;
	size_t i;

	if (!sig_guarded)
		return 0;
	if (!sig_caught && !sigpending(&pending))
		for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			if (sigismember(&pending, sigs[i]))
				sig_caught = sigs[i];
	return sig_caught ? -EINTR : 0;
}

/*
 * Wait until fd is readable or the monotonic time end_ms: 0, -ETIMEDOUT,
 * -EINTR on a signal while guarded, or another negative errno.
 */
static int wait_readable(int fd, uint64_t end_ms)
{
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		uint64_t now = mono_ms();
		struct timespec ts;
		int r;

		if (sig_check())
			return -EINTR;
		if (now >= end_ms)
			return -ETIMEDOUT;
		ts.tv_sec = (time_t)((end_ms - now) / 1000);
		ts.tv_nsec = (long)((end_ms - now) % 1000) * 1000000;
		r = ppoll(&pfd, 1, &ts, sig_guarded ? &sig_wait_mask : NULL);
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* ---- QMP ---- */

#define QMP_LINE_MAX	(16 << 20)	/* far above any reply read here */

struct qmp {
	int fd;
	const char *path;
	struct buf in;		/* bytes received, not yet consumed */
	char *reply;		/* the last reply line (malloc'd) */
	uint64_t next_id;	/* the id of the next command */
	char err[512];
};

static int sock_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* Take the first line out of q->in, if there is a whole one. */
static int qmp_take_line(struct qmp *q, char **line)
{
	char *nl = q->in.len ? memchr(q->in.p, '\n', q->in.len) : NULL;
	size_t l;

	*line = NULL;
	if (!nl)
		return q->in.len > QMP_LINE_MAX ? -EPROTO : 0;
	l = (size_t)(nl - q->in.p) + 1;
	*line = strndup(q->in.p, l);
	memmove(q->in.p, q->in.p + l, q->in.len - l);
	q->in.len -= l;
	q->in.p[q->in.len] = 0;
	return *line ? 0 : -ENOMEM;
}

/* The next complete line from QEMU, waiting up to timeout_ms. */
static int qmp_line(struct qmp *q, char **line, int timeout_ms)
{
	uint64_t end = mono_ms() + (uint64_t)timeout_ms;

	for (;;) {
		char tmp[65536];
		ssize_t n;
		int ret = qmp_take_line(q, line);

		if (ret || *line)
			return ret;
		ret = wait_readable(q->fd, end);
		if (ret)
			return ret;
		n = read(q->fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		if (buf_add(&q->in, tmp, (size_t)n))
			return -ENOMEM;
	}
}

/* Send the text cmd, with sendfd attached when >= 0. */
static int qmp_send(struct qmp *q, char *cmd, size_t n, int sendfd)
{
	struct iovec iov = { cmd, n };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	ssize_t ret;

	if (sendfd >= 0) {
		struct cmsghdr *c;

		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &sendfd, sizeof(int));
	}
	do {
		ret = sendmsg(q->fd, &mh, MSG_NOSIGNAL);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	return (size_t)ret == n ? 0 : -EIO;
}

/*
 * Send one command (a JSON object, without the newline), optionally with
 * a file descriptor attached, and wait for its reply: the command gets
 * the next id, and lines other than the reply with that id (events, late
 * replies to a command that timed out) are skipped.  Returns 0 with
 * q->reply set, or -EREMOTEIO with q->err set to QEMU's error
 * description, -EPROTO on a line that is not QMP, or another negative
 * errno.
 */
static int qmp_cmd_fd(struct qmp *q, int sendfd, int timeout_ms,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int qmp_cmd_fd(struct qmp *q, int sendfd, int timeout_ms,
		      const char *fmt, ...)
{
	uint64_t id = ++q->next_id;
	char cmd[4096];
	va_list ap;
	int n, ret;

	ret = sig_check();
	if (ret)
		return ret;
	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 40, fmt, ap);
	va_end(ap);
	if (n < 2 || (size_t)n >= sizeof(cmd) - 40 || cmd[n - 1] != '}')
		return -E2BIG;
	n += snprintf(cmd + n - 1, 40, ",\"id\":%" PRIu64 "}\n", id) - 1;
	ret = qmp_send(q, cmd, (size_t)n, sendfd);
	if (ret)
		return ret;
	for (;;) {
		enum qmp_verdict v;
		char *line;

		ret = qmp_line(q, &line, timeout_ms);
		if (ret)
			return ret;
		v = qmp_judge(line, strlen(line), id);
		if (v == QMP_V_RETURN) {
			free(q->reply);
			q->reply = line;
			return 0;
		}
		if (v == QMP_V_ERROR || v == QMP_V_BAD) {
			if (v == QMP_V_BAD ||
			    qmp_get_str(line, strlen(line), "desc", q->err, sizeof(q->err)))
				snprintf(q->err, sizeof(q->err), "%s%.400s",
					 v == QMP_V_BAD ? "not a QMP message: " : "", line);
			free(line);
			return -EREMOTEIO;
		}
		free(line);	/* an event, or a late reply */
	}
}

/* A member of the last reply. */
static int reply_str(struct qmp *q, const char *key, char *out, size_t len)
{
	return qmp_get_str(q->reply, strlen(q->reply), key, out, len);
}

static long reply_num(struct qmp *q, const char *key)
{
	long v;

	return qmp_get_num(q->reply, strlen(q->reply), key, &v) ? -1 : v;
}

#define qmp_cmd(q, ...) qmp_cmd_fd(q, -1, 30000, __VA_ARGS__)

static const char *qmp_why(struct qmp *q, int err)
{
	if (err == -EREMOTEIO)
		return q->err;
	if (err == -ECONNRESET)
		return "QEMU closed the QMP connection";
	if (err == -ETIMEDOUT)
		return "no answer from QEMU (timed out)";
	if (err == -EINTR)
		return sig_caught ? strsignal(sig_caught) : "interrupted";
	return strerror(-err);
}

/* Report a failed command as "fastboot: WHAT: WHY". */
static int qmp_fail(struct qmp *q, const char *what, int err)
{
	return fb_error(what, "%s", qmp_why(q, err));
}

/*
 * Start migration command cmd ("migrate" or "migrate-incoming") over a
 * new pipe: QEMU gets end pfd[qemu_end] through getfd (it is closed
 * here), and the caller keeps the other end.  Prints why on failure.
 */
static int qmp_migrate_pipe(struct qmp *q, const char *cmd, int pfd[2],
			    int qemu_end)
{
	int c;

	if (pipe2(pfd, O_CLOEXEC)) {
		fb_error("pipe", "%s", strerror(errno));
		return -1;
	}
	c = qmp_cmd_fd(q, pfd[qemu_end], 30000, "{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"" FDNAME "\"}}");
	close(pfd[qemu_end]);
	pfd[qemu_end] = -1;
	if (c) {
		qmp_fail(q, "getfd", c);
		return -1;
	}
	c = qmp_cmd(q, "{\"execute\":\"%s\",\"arguments\":{\"uri\":\"fd:" FDNAME "\"}}", cmd);
	if (c) {
		qmp_fail(q, cmd, c);
		return -1;
	}
	return 0;
}

static int qmp_open(struct qmp *q, const char *path, int wait_ms)
{
	uint64_t end = mono_ms() + (uint64_t)wait_ms;
	struct qmp_msg m;
	char *greeting;
	int fd, ret;

	memset(q, 0, sizeof(*q));
	q->fd = -1;
	q->path = path;
	for (;;) {
		fd = sock_connect(path);
		if (fd >= 0)
			break;
		if ((fd != -ENOENT && fd != -ECONNREFUSED) || mono_ms() >= end)
			return fb_error(path, "cannot connect to QMP: %s",
					strerror(-fd));
		sleep_ms(50);
	}
	q->fd = fd;
	ret = qmp_line(q, &greeting, 30000);
	if (ret)
		return qmp_fail(q, path, ret);
	if (qmp_parse(greeting, strlen(greeting), &m) || m.kind != QMP_GREETING) {
		free(greeting);
		return fb_error(path, "not a QMP socket");
	}
	free(greeting);
	ret = qmp_cmd(q, "{\"execute\":\"qmp_capabilities\"}");
	if (ret)
		return qmp_fail(q, "qmp_capabilities", ret);
	return 0;
}

static void qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	free(q->in.p);
	free(q->reply);
	memset(&q->in, 0, sizeof(q->in));
	q->reply = NULL;
}

/* QEMU's version, and whether it has migration mode cpr-reboot. */
struct qver {
	long major, minor, micro;
	bool cpr;
};

#define MODE_CPR	"cpr-reboot"
#define MODE_SHARED	"x-ignore-shared"

/*
 * The migration parameter "mode" (normal, cpr-reboot, ...) came with
 * cpr-reboot in QEMU 8.2: where query-migrate-parameters shows it, the
 * QEMU has cpr-reboot; where it does not (7.2), or the command fails,
 * x-ignore-shared alone it is.  Asked, not inferred from the version: a
 * distribution's QEMU may carry backports, or lack a mode it compiled out.
 */
static int qmp_version(struct qmp *q, struct qver *v)
{
	char mode[64];
	int ret = qmp_cmd(q, "{\"execute\":\"query-version\"}");

	if (ret)
		return qmp_fail(q, "query-version", ret);
	v->major = reply_num(q, "major");
	v->minor = reply_num(q, "minor");
	v->micro = reply_num(q, "micro");
	if (v->major < 0 || v->minor < 0)
		return fb_error("query-version", "unexpected reply %s", q->reply);
	v->cpr = false;
	ret = qmp_cmd(q, "{\"execute\":\"query-migrate-parameters\"}");
	if (ret == -EREMOTEIO)
		return 0;	/* an error reply: no such parameters */
	if (ret)
		return qmp_fail(q, "query-migrate-parameters", ret);
	v->cpr = !qmp_get_return_str(q->reply, strlen(q->reply), "mode",
				     mode, sizeof(mode));
	return 0;
}

/*
 * The migration settings, identical on both sides: mode (MODE_CPR or
 * MODE_SHARED) is the one the save chose, and the restore reads it from
 * the record.
 */
static int qmp_set_caps(struct qmp *q, const char *mode)
{
	int ret;

	if (!strcmp(mode, MODE_CPR)) {
		ret = qmp_cmd(q, "{\"execute\":\"migrate-set-parameters\","
			      "\"arguments\":{\"mode\":\"cpr-reboot\"}}");
		if (ret)
			return qmp_fail(q, "migrate-set-parameters mode=cpr-reboot", ret);
	}
	ret = qmp_cmd(q, "{\"execute\":\"migrate-set-capabilities\",\"arguments\":"
		      "{\"capabilities\":[{\"capability\":\"x-ignore-shared\",\"state\":true}]}}");
	if (ret)
		return qmp_fail(q, "migrate-set-capabilities x-ignore-shared", ret);
	return 0;
}

/* Poll query-migrate until completed; its error on failure. */
static int qmp_wait_migration(struct qmp *q, const char *what, int timeout_ms)
{
	uint64_t end = mono_ms() + (uint64_t)timeout_ms;
	char status[64], desc[400];
	unsigned int delay = 5;
	int ret;

	for (;;) {
		ret = qmp_cmd(q, "{\"execute\":\"query-migrate\"}");
		if (ret)
			return qmp_fail(q, "query-migrate", ret);
		if (reply_str(q, "status", status, sizeof(status)))
			status[0] = 0;
		if (!strcmp(status, "completed"))
			return 0;
		if (!strcmp(status, "failed") || !strcmp(status, "cancelled")) {
			if (reply_str(q, "error-desc", desc, sizeof(desc)))
				snprintf(desc, sizeof(desc), "%s", status);
			return fb_error(what, "migration %s: %s", status, desc);
		}
		if (mono_ms() >= end)
			return fb_error(what, "migration still '%s' after %d s",
					status[0] ? status : "not started",
					timeout_ms / 1000);
		sleep_ms(delay);
		if (delay < 100)
			delay *= 2;
	}
}

static int qmp_runstate(struct qmp *q, char *out, size_t len)
{
	int ret = qmp_cmd(q, "{\"execute\":\"query-status\"}");

	if (ret)
		return qmp_fail(q, "query-status", ret);
	if (reply_str(q, "status", out, len))
		return fb_error("query-status", "unexpected reply %s", q->reply);
	return 0;
}

/* ---- where the two objects live ---- */

struct vm_names {
	char state[FASTBOOT_NAME_MAX];
	char args[FASTBOOT_NAME_MAX];
};

static int vm_names(const char *name, struct vm_names *n)
{
	char tmp[FASTBOOT_NAME_MAX];

	if (!*name || strchr(name, '/') ||
	    snprintf(n->state, sizeof(n->state), "vm.%s.state", name) >= (int)sizeof(n->state) ||
	    snprintf(n->args, sizeof(n->args), "vm.%s.args", name) >= (int)sizeof(n->args))
		return fb_error(name, "invalid VM name (at most %d characters, no '/')",
				FASTBOOT_NAME_MAX - 12);
	if (fb_set_name(tmp, n->state))
		return EXIT_FAIL;
	return 0;
}

/* FASTBOOT_VM_STATE_DIR: test-only stand-in for the store. */
static const char *state_dir(void)
{
	const char *d = getenv("FASTBOOT_VM_STATE_DIR");

	return d && *d ? d : NULL;
}

static int obj_put(int dev, const char *name, const struct buf *b)
{
	const char *dir = state_dir();
	int ret;

	if (dir) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		f = fopen(path, "we");
		if (!f || fwrite(b->p, 1, b->len, f) != b->len || fclose(f))
			return fb_error(path, "%s", strerror(errno));
		return 0;
	}
	ret = cl_put(dev, name, FASTBOOT_OBJ_BLOB, b->p, b->len, NULL);
	if (ret)
		return fb_ioctl_error(name, -ret);
	return 0;
}

static int sink_buf(void *ctx, const void *data, size_t len)
{
	return buf_add(ctx, data, len);
}

static int obj_get(int dev, const char *name, struct buf *b)
{
	const char *dir = state_dir();
	struct fastboot_info in;
	uint8_t digest[32];
	int ret;

	if (dir) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		ret = slurp(path, b);
		if (ret)
			return fb_error(path, "%s", strerror(-ret));
		return 0;
	}
	ret = cl_info(dev, name, &in);
	if (ret == -ENOENT)
		return fb_error(name, "no such object (was the VM saved with 'fastboot vm save'?)");
	if (ret)
		return fb_ioctl_error(name, -ret);
	ret = cl_read(dev, &in, sink_buf, b, digest);
	if (ret)
		return fb_ioctl_error(name, -ret);
	if ((in.obj_flags & FASTBOOT_OBJ_F_DIGEST) &&
	    memcmp(digest, in.sha256, sizeof(digest)))
		return fb_error(name, "stored data does not match its SHA-256: the store is corrupted");
	return 0;
}

static void obj_rm(int dev, const char *name)
{
	const char *dir = state_dir();
	char path[4096];

	if (dir) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		unlink(path);
	} else {
		cl_rm(dev, name);
	}
}

/*
 * The names of the saved VMs (both vm.NAME.state and vm.NAME.args), each
 * NUL-terminated, into names; their count, or -1 (said why).
 */
int vm_saved_names(int dev, struct buf *names)
{
	const char *dir = state_dir();
	struct fastboot_info in;
	uint32_t idx = 0;
	int count = 0, r;
	DIR *d = NULL;

	if (dir && !(d = opendir(dir)))
		return fb_error(dir, "%s", strerror(errno)), -1;
	for (;;) {
		char obj[FASTBOOT_NAME_MAX], other[FASTBOOT_NAME_MAX + 8];
		struct dirent *e;
		struct stat st;
		size_t l;

		if (d) {
			if (!(e = readdir(d)))
				break;
			if (strlen(e->d_name) >= sizeof(obj))
				continue;
			memcpy(obj, e->d_name, strlen(e->d_name) + 1);
		} else {
			r = cl_next(dev, &idx, &in);
			if (r == -ENOENT)
				break;
			if (r)
				return fb_ioctl_error("list", -r), -1;
			snprintf(obj, sizeof(obj), "%s", in.name);
		}
		l = strlen(obj);
		if (l <= 9 || strncmp(obj, "vm.", 3) || strcmp(obj + l - 6, ".state"))
			continue;
		/* and its argument record */
		snprintf(other, sizeof(other), "%.*s.args", (int)(l - 6), obj);
		if (d) {
			char path[4096];

			snprintf(path, sizeof(path), "%s/%s", dir, other);
			if (stat(path, &st))
				continue;
		} else if (cl_info(dev, other, &in)) {
			continue;
		}
		if (buf_add(names, obj + 3, l - 9) || buf_add(names, "", 1)) {
			if (d)
				closedir(d);
			return fb_error("vm", "out of memory"), -1;
		}
		count++;
	}
	if (d)
		closedir(d);
	return count;
}

/* The device, locked like every command that changes the store. */
int vm_open_store(void)
{
	if (state_dir())
		return -2;	/* no device needed */
	return fb_open_locked();
}

void vm_close_store(int dev)
{
	if (dev >= 0)
		close(dev);
}

/* --timeout SECS: 1 to VM_TIMEOUT_MAX; -1 if it is not. */
static int parse_timeout(const char *s)
{
	uint64_t v;

	return fb_parse_uint(s, 10, VM_TIMEOUT_MAX, &v) || !v ? -1 : (int)v;
}

/* ---- vm save ---- */

static int peer_pid(int fd, pid_t *pid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len))
		return -errno;
	*pid = cr.pid;
	return 0;
}

/* Whom QEMU runs as, from /proc/PID/status. */
static int peer_cred(pid_t pid, struct vm_cred *c)
{
	struct buf b = { 0 };
	char path[64];
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	ret = slurp(path, &b);
	if (!ret && (!b.p || vm_cred_parse(b.p, c)))
		ret = -EPROTO;
	free(b.p);
	return ret;
}

/* A pidfd for pid, or -1 where the kernel has none (before 5.3). */
static int pid_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/* Has pid exited (gone, or a zombie)? */
static bool pid_exited(pid_t pid)
{
	struct buf b = { 0 };
	char path[64];
	const char *paren;
	bool gone;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (slurp(path, &b) || !b.p)
		gone = true;
	else
		gone = (paren = strrchr(b.p, ')')) && (paren[1] == ' ') &&
		       (paren[2] == 'Z' || paren[2] == 'X');
	free(b.p);
	return gone;
}

/* Wait up to timeout_ms for the process itself to exit. */
static int wait_exit(int pidfd, pid_t pid, int timeout_ms)
{
	uint64_t end = mono_ms() + (uint64_t)timeout_ms;

	if (pidfd >= 0)
		return wait_readable(pidfd, end);	/* readable once it exited */
	while (!pid_exited(pid)) {
		if (mono_ms() >= end)
			return -ETIMEDOUT;
		sleep_ms(10);
	}
	return 0;
}

/* Read the migration stream from the pipe until QEMU closes it. */
static int read_stream(int fd, struct buf *b, int timeout_ms)
{
	uint64_t end = mono_ms() + (uint64_t)timeout_ms;
	char tmp[1 << 16];

	for (;;) {
		ssize_t n;
		int r = wait_readable(fd, end);

		if (r)
			return r;
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		if (buf_add(b, tmp, (size_t)n))
			return -ENOMEM;
	}
}

static void abs_path(const char *in, char *out, size_t len)
{
	char cwd[4096];

	int n;

	if (in[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		n = snprintf(out, len, "%s", in);
	else
		n = snprintf(out, len, "%s/%s", cwd, in);
	if (n < 0 || (size_t)n >= len)
		snprintf(out, len, "%s", in);	/* connect() reports it */
}

/*
 * What restore needs to start the same QEMU (pid) again: the header of
 * vm.NAME.args, its command line, environment, working directory and
 * credentials, into args.
 */
static int save_describe(const char *name, pid_t pid, const struct qver *v,
			 bool running, const char *qmp_path, struct buf *args)
{
	struct buf cmdline = { 0 }, env = { 0 };
	struct vm_cred cred;
	char path[64], cwd[4096];
	int c, ret = EXIT_FAIL;
	ssize_t l;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((c = slurp(path, &cmdline)) || !cmdline.len) {
		fb_error(path, "%s", c ? strerror(-c) : "empty");
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	if ((c = slurp(path, &env))) {
		fb_error(path, "%s", strerror(-c));
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pid);
	l = readlink(path, cwd, sizeof(cwd) - 1);
	if (l < 0) {
		fb_error(path, "%s", strerror(errno));
		goto out;
	}
	cwd[l] = 0;
	if (strchr(cwd, '\n')) {
		fb_error(path, "QEMU's working directory has a newline in its name");
		goto out;
	}
	if ((c = peer_cred(pid, &cred))) {
		fb_error(name, "cannot read QEMU's uid and groups from /proc/%d/status: %s",
			 (int)pid, c == -EPROTO ? "unexpected contents" : strerror(-c));
		goto out;
	}
	if (buf_printf(args, VM_ARGS_MAGIC "qemu %ld.%ld.%ld\nmode %s\nrunning %d\n"
		       "qmp %s\ncwd %s\n",
		       v->major, v->minor, v->micro,
		       v->cpr ? MODE_CPR : MODE_SHARED, running,
		       qmp_path, cwd) ||
	    vm_cred_print(args, &cred) ||
	    buf_printf(args, "argc %d\nenvc %d\n\n", vm_count_strings(&cmdline),
		       vm_count_strings(&env)) ||
	    buf_add(args, cmdline.p, cmdline.len) ||
	    buf_add(args, env.p, env.len)) {
		fb_error(name, "out of memory");
		goto out;
	}
	ret = 0;
out:
	free(cmdline.p);
	free(env.p);
	return ret;
}

/*
 * Undo a save that did not reach quit: cancel the migration, let the VM
 * run on where it was, and remove what was stored (a state older than the
 * running guest must never be restored).  Signals stay blocked meanwhile.
 */
static void save_undo(struct qmp *q, const char *name, bool running,
		      bool cpr, int dev, const struct vm_names *n, int stored)
{
	int c;

	sig_hold();
	if (stored > 0)
		obj_rm(dev, n->state);
	if (stored > 1)
		obj_rm(dev, n->args);
	if (q->fd < 0)
		return;
	c = qmp_cmd(q, "{\"execute\":\"migrate_cancel\"}");
	/* the next migration of this QEMU, a live one perhaps, is normal */
	if (cpr)
		c = qmp_cmd(q, "{\"execute\":\"migrate-set-parameters\","
			    "\"arguments\":{\"mode\":\"normal\"}}");
	(void)c;
	if (!running)
		return;
	c = qmp_cmd(q, "{\"execute\":\"cont\"}");
	if (c)
		qmp_fail(q, "cont (the VM stays paused: resume it by hand)", c);
	else
		progress("%s: not saved; the VM runs on", name);
}

static void save_json(const char *name, const struct qver *v, pid_t pid,
		      bool running, size_t state_len, size_t args_len,
		      uint64_t stopped_at, const uint64_t t[5])
{
	struct json j;
	char ver[32];

	snprintf(ver, sizeof(ver), "%ld.%ld.%ld", v->major, v->minor, v->micro);
	json_init(&j, stdout);
	json_open(&j, NULL, '{');
	json_str(&j, "name", name);
	json_str(&j, "qemu", ver);
	json_str(&j, "mode", v->cpr ? MODE_CPR : MODE_SHARED);
	json_u64(&j, "pid", (uint64_t)pid);
	json_bool(&j, "running", running);
	json_u64(&j, "state_bytes", state_len);
	json_u64(&j, "args_bytes", args_len);
	json_u64(&j, "stopped_at_ms", stopped_at);
	json_u64(&j, "stop_ms", t[1] - t[0]);
	json_u64(&j, "save_ms", t[2] - t[1]);
	json_u64(&j, "store_ms", t[3] - t[2]);
	json_u64(&j, "quit_ms", t[4] - t[3]);
	json_u64(&j, "total_ms", t[4] - t[0]);
	json_close(&j, '}');
	json_end(&j);
}

#define QUIT_WAIT_MS	30000

static int vm_save(int argc, char **argv)
{
	static const char usage[] = "fastboot vm save NAME --qmp SOCKET [--timeout SECS] [--json]\n"
		"       fastboot vm save --all [--timeout SECS] [--json]";
	static const struct option opts[] = {
		{ "qmp", required_argument, NULL, 'q' },
		{ "timeout", required_argument, NULL, 't' },
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char qmp_path[sizeof(((struct sockaddr_un *)0)->sun_path)] = "";
	const char *qmp_arg = NULL;
	int c, ret, dev, timeout = 120;
	bool all = false;

	optind = 0;	/* reinitialise getopt: options may follow NAME */
	while ((c = getopt_long(argc, argv, "q:t:ajh", opts, NULL)) != -1) {
		if (c == 'q')
			qmp_arg = optarg;
		else if (c == 't')
			timeout = parse_timeout(optarg);
		else if (c == 'a')
			all = true;
		else if (c == 'j')
			opt_json = true;
		else if (c == 'h')
			fb_help_exit("vm");
		else
			return fb_usage_error("%s", usage);
	}
	if (timeout <= 0 || (all && (argc != optind || qmp_arg)) ||
	    (!all && (argc - optind != 1 || !qmp_arg)))
		return fb_usage_error("%s", usage);
	if (all)
		return vm_all(true, timeout, NULL, false);
	abs_path(qmp_arg, qmp_path, sizeof(qmp_path));
	dev = vm_open_store();
	if (dev == -1)
		return EXIT_FAIL;
	ret = vm_save_one(dev, argv[optind], qmp_path, timeout, NULL);
	vm_close_store(dev);
	return ret;
}

/*
 * Save the VM on QMP socket qmp_path as NAME into the store dev (locked
 * by the caller; -2 with FASTBOOT_VM_STATE_DIR): one JSON object on
 * stdout with --json.
 */
int vm_save_one(int dev, const char *name, const char *qmp_path, int timeout,
		struct vm_result *res)
{
	struct buf args = { 0 }, state = { 0 };
	uint64_t t[5], stopped_at;	/* t: start, stopped, saved, stored, quit */
	char status[64];
	struct vm_names n;
	struct qver v = { 0 };
	struct qmp q = { .fd = -1 };
	bool running = false, stopped = false;
	int c, ret, pfd[2] = { -1, -1 }, stored = 0;
	int pidfd = -1;
	pid_t pid = 0;

	if (vm_names(name, &n))
		return EXIT_FAIL;
	sig_guard();
	ret = EXIT_FAIL;
	if (qmp_open(&q, qmp_path, 0))
		goto out;
	if (qmp_version(&q, &v))
		goto out;
	if ((c = peer_pid(q.fd, &pid))) {
		fb_error(qmp_path, "cannot find QEMU's pid: %s", strerror(-c));
		goto out;
	}
	/* The process on the socket now, to wait for its exit after quit. */
	pidfd = pid_open(pid);
	if (pidfd < 0 && errno != ENOSYS) {
		fb_error(name, "pidfd_open(%d): %s", (int)pid, strerror(errno));
		goto out;
	}
	if (qmp_runstate(&q, status, sizeof(status)))
		goto out;
	running = !strcmp(status, "running");
	if (save_describe(name, pid, &v, running, qmp_path, &args))
		goto out;
	if (qmp_cmd(&q, "{\"execute\":\"query-memdev\"}") == 0 &&
	    (!strstr(q.reply, "\"share\": true") || strstr(q.reply, "\"share\": false")))
		progress("warning: not all guest RAM is in a shared memory backend (share=on); the state will hold the rest");
	progress("%s: QEMU %ld.%ld.%ld pid %d (%s), %s mode", name, v.major,
		 v.minor, v.micro, (int)pid, status,
		 v.cpr ? MODE_CPR : MODE_SHARED);

	/* 1. stop */
	t[0] = mono_ms();
	stopped_at = fb_now_ms(CLOCK_REALTIME);
	if ((c = qmp_cmd(&q, "{\"execute\":\"stop\"}"))) {
		qmp_fail(&q, "stop", c);
		stopped = c != -EREMOTEIO;	/* it may have stopped */
		goto out;
	}
	stopped = true;
	t[1] = mono_ms();
	/* 2. the mode and the capability */
	if (qmp_set_caps(&q, v.cpr ? MODE_CPR : MODE_SHARED))
		goto out;
	/* 3. the device state, over a pipe, into memory */
	if (qmp_migrate_pipe(&q, "migrate", pfd, 1))
		goto out;
	c = read_stream(pfd[0], &state, timeout * 1000);
	if (c) {
		fb_error("migrate", "reading the migration stream: %s",
			 c == -EINTR ? qmp_why(&q, c) : strerror(-c));
		goto out;
	}
	if (qmp_wait_migration(&q, "migrate", timeout * 1000))
		goto out;
	t[2] = mono_ms();
	progress("%s: device state %zu bytes in %" PRIu64 " ms", name, state.len,
		 t[2] - t[1]);
	/* into the store */
	if (obj_put(dev, n.state, &state))
		goto out;
	stored = 1;
	if (obj_put(dev, n.args, &args))
		goto out;
	stored = 2;
	t[3] = mono_ms();
	/* 4. quit: the point of no return, unless a signal came first */
	if ((c = sig_check())) {
		qmp_fail(&q, name, c);
		goto out;
	}
	sig_hold();
	if ((c = qmp_cmd(&q, "{\"execute\":\"quit\"}")) && c != -ECONNRESET) {
		qmp_fail(&q, "quit", c);
		goto out;
	}
	stopped = false;
	stored = 0;
	/* 5. wait for the process itself, not only for the socket to close */
	c = wait_exit(pidfd, pid, QUIT_WAIT_MS);
	if (c) {
		fb_error(name, "QEMU (pid %d) has not exited %d s after quit: %s; the state is saved, but do not reboot before it exits",
			 (int)pid, QUIT_WAIT_MS / 1000, strerror(-c));
		goto out;
	}
	t[4] = mono_ms();
	progress("%s: saved as %s and %s; QEMU exited (stop %" PRIu64 " ms, save %"
		 PRIu64 " ms, store %" PRIu64 " ms, quit %" PRIu64 " ms)", name,
		 n.state, n.args, t[1] - t[0], t[2] - t[1], t[3] - t[2],
		 t[4] - t[3]);
	if (opt_json)
		save_json(name, &v, pid, running, state.len, args.len,
			  stopped_at, t);
	if (res) {
		snprintf(res->qemu, sizeof(res->qemu), "%ld.%ld.%ld", v.major,
			 v.minor, v.micro);
		snprintf(res->mode, sizeof(res->mode), "%s", v.cpr ? MODE_CPR : MODE_SHARED);
		res->pid = (int)pid;
		res->state_bytes = state.len;
		res->at_ms = stopped_at;
		res->total_ms = t[4] - t[0];
		res->phase_ms[0] = t[1] - t[0];
		res->phase_ms[1] = t[2] - t[1];
		res->phase_ms[2] = t[3] - t[2];
		res->phase_ms[3] = t[4] - t[3];
	}
	ret = EXIT_OK;
out:
	if (ret == EXIT_OK)
		fb_log_event("vm save %s (%zu bytes of state)", name, state.len);
	else if (stopped || stored) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "vm save %s", name);
		fb_log_failed(cmd);
	}
	if (ret != EXIT_OK && (stopped || stored))
		save_undo(&q, name, running, v.cpr, dev, &n, stored);
	if (pidfd >= 0)
		close(pidfd);
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	qmp_close(&q);
	free(args.p);
	free(state.p);
	return ret;
}

/* ---- vm restore ---- */

static int args_parse(struct vm_args *a, const char *name)
{
	const char *why;

	if (vm_args_parse(a, &why))
		return fb_error(name, "%s", why);
	return 0;
}

/*
 * Whom to start the saved QEMU as: the uid, gid and groups it ran with
 * (*cred), or NULL to stay as we are (we are that user, or QEMU drops
 * privileges itself with -runas and must start as root, as it did).
 */
/*
 * A record saved before uid, gid and groups were kept: QEMU ran as the
 * owner of its guest memory file (a file under GUEST_DIR that -object
 * memory-backend-file maps), which is what its owner chose at guest
 * create.  *cred gets that owner; -1 when no argument names such a file.
 */
static int cred_from_guest_file(const struct vm_args *a, struct vm_cred *cred)
{
	static const char key[] = "mem-path=" GUEST_DIR "/";
	int i;

	for (i = 0; i < a->argc; i++) {
		const char *p = strstr(a->argv[i], key);
		char path[VM_PATH_MAX];
		struct stat st;
		size_t n;

		if (!p)
			continue;
		p += strlen("mem-path=");
		n = strcspn(p, ",");
		if (n >= sizeof(path) || strstr(p, ",,"))
			continue;
		memcpy(path, p, n);
		path[n] = 0;
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		memset(cred, 0, sizeof(*cred));
		cred->uid = st.st_uid;
		cred->gid = st.st_gid;
		return 0;
	}
	return -1;
}

static int restore_cred(const struct vm_args *a, const char *name,
			const struct vm_cred **cred)
{
	static struct vm_cred owner;

	*cred = NULL;
	if (!a->cred_known && !vm_args_runas(a)) {
		if (geteuid() != 0)
			return 0;	/* as the user restoring it, as before */
		if (cred_from_guest_file(a, &owner))
			return fb_error(name, "the record was saved by an older fastboot, without QEMU's uid and gid, and QEMU maps no file under " GUEST_DIR ": restore as the user QEMU ran as");
		progress("%s: saved by an older fastboot without QEMU's uid and gid: running QEMU as the owner of its guest memory file, uid %lu gid %lu",
			 name, (unsigned long)owner.uid, (unsigned long)owner.gid);
		*cred = &owner;
		return 0;
	}
	if (vm_args_runas(a)) {
		if (geteuid() == 0)
			return 0;
		return fb_error(name, "QEMU was started as root and dropped privileges itself (-runas): restore as root");
	}
	if (geteuid() == 0) {
		*cred = &a->cred;
		return 0;
	}
	if (geteuid() == a->cred.uid && getegid() == a->cred.gid)
		return 0;
	return fb_error(name, "QEMU ran as uid %lu gid %lu: restore as root or as that user",
			(unsigned long)a->cred.uid, (unsigned long)a->cred.gid);
}

/* In the child: become cred (groups first, the uid last). */
static int drop_to(const struct vm_cred *cred)
{
	if (!cred)
		return 0;
	if (setgroups((size_t)cred->ngroups, cred->groups) ||
	    setgid(cred->gid) || setuid(cred->uid))
		return errno;
	return 0;
}

static pid_t spawn(char **argv, char **envp, const char *cwd, const char *log,
		   const struct vm_cred *cred)
{
	int ep[2], err = 0;
	pid_t pid;

	if (pipe2(ep, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int in = open("/dev/null", O_RDWR);
		int out = open(log ? log : "/dev/null",
			       O_WRONLY | O_CREAT | O_APPEND, 0644);

		close(ep[0]);
		setsid();
		if (in < 0 || out < 0) {
			err = errno;
		} else {
			dup2(in, 0);
			dup2(in, 1);
			dup2(out, 2);
			signal(SIGPIPE, SIG_DFL);
			err = drop_to(cred);
			if (err)
				;
			else if (cwd[0] && chdir(cwd))
				err = errno;
			else
				execvpe(argv[0], argv, envp);
			if (!err)
				err = errno;
		}
		if (write(ep[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(ep[1]);
	if (read(ep[0], &err, sizeof(err)) == sizeof(err)) {
		close(ep[0]);
		waitpid(pid, NULL, 0);
		errno = err;
		return -1;
	}
	close(ep[0]);
	return pid;
}

static int write_all_fd(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int vm_restore(int argc, char **argv)
{
	static const char usage[] =
		"fastboot vm restore NAME [--qmp SOCKET] [--log FILE] [--timeout SECS] [--keep] [--json]\n"
		"       fastboot vm restore --all [--log FILE] [--timeout SECS] [--keep] [--json]";
	static const struct option opts[] = {
		{ "qmp", required_argument, NULL, 'q' },
		{ "log", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ "keep", no_argument, NULL, 'k' },
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *qmp_arg = NULL, *log = NULL;
	char logabs[4096];
	int c, ret, dev, timeout = 120;
	bool keep = false, all = false;

	optind = 0;	/* reinitialise getopt: options may follow NAME */
	while ((c = getopt_long(argc, argv, "q:l:t:kajh", opts, NULL)) != -1) {
		if (c == 'q')
			qmp_arg = optarg;
		else if (c == 'l')
			log = optarg;
		else if (c == 't')
			timeout = parse_timeout(optarg);
		else if (c == 'k')
			keep = true;
		else if (c == 'a')
			all = true;
		else if (c == 'j')
			opt_json = true;
		else if (c == 'h')
			fb_help_exit("vm");
		else
			return fb_usage_error("%s", usage);
	}
	if (timeout <= 0 || (all && (argc != optind || qmp_arg)) ||
	    (!all && argc - optind != 1))
		return fb_usage_error("%s", usage);
	if (log) {
		abs_path(log, logabs, sizeof(logabs));
		log = logabs;
	}
	if (all)
		return vm_all(false, timeout, log, keep);
	dev = vm_open_store();
	if (dev == -1)
		return EXIT_FAIL;
	ret = vm_restore_one(dev, argv[optind], qmp_arg, log, timeout, keep, NULL);
	vm_close_store(dev);
	return ret;
}

/*
 * Restore VM NAME from the store dev (locked by the caller): QMP on
 * qmp_arg or the saved socket, QEMU's stderr to log (absolute, or NULL).
 */
int vm_restore_one(int dev, const char *name, const char *qmp_arg,
		   const char *log, int timeout, bool keep, struct vm_result *res)
{
	char qmp_path[sizeof(((struct sockaddr_un *)0)->sun_path)] = "";
	uint64_t t0, t_up, t_loaded, t_cont, resumed_at = 0;
	const char *mode = MODE_SHARED;
	struct vm_args a = { 0 };
	const struct vm_cred *cred = NULL;
	struct buf state = { 0 }, dropped = { 0 };
	struct vm_names n;
	struct qver v = { 0 };
	struct qmp q = { .fd = -1 };
	char **nargv = NULL, status[64];
	int c, ret = EXIT_FAIL, pfd[2] = { -1, -1 };
	pid_t pid = -1;

	if (vm_names(name, &n))
		return EXIT_FAIL;
	if (obj_get(dev, n.args, &a.raw) || args_parse(&a, n.args) ||
	    restore_cred(&a, name, &cred) || obj_get(dev, n.state, &state))
		goto out;
	if (qmp_arg)
		abs_path(qmp_arg, qmp_path, sizeof(qmp_path));
	else if (a.qmp[0])
		snprintf(qmp_path, sizeof(qmp_path), "%s", a.qmp);
	else {
		fb_usage_error("%s has no QMP socket: use --qmp", n.args);
		ret = EXIT_USAGE;
		goto out;
	}
	c = sock_connect(qmp_path);
	if (c >= 0) {
		close(c);
		fb_error(qmp_path, "a QEMU already listens on this QMP socket");
		goto out;
	}
	/* QEMU maps its RAM from fastbootfs: mount it after a reboot. */
	if (!state_dir() && fb_guest_mount())
		goto out;
	nargv = vm_restore_argv(&a, qmp_path);
	if (!nargv || vm_env_filter(a.envp, &dropped) < 0) {
		fb_error(name, "out of memory");
		goto out;
	}
	if (dropped.len)
		progress("%s: not restoring %s from QEMU's saved environment",
			 name, dropped.p);
	signal(SIGPIPE, SIG_IGN);

	/* Start QEMU, waiting for an incoming migration. */
	t0 = mono_ms();
	pid = spawn(nargv, a.envp, a.cwd, log, cred);
	if (pid < 0) {
		fb_error(nargv[0], "cannot start QEMU: %s", strerror(errno));
		goto out;
	}
	progress("%s: started QEMU pid %d with -incoming defer", name, (int)pid);
	{
		uint64_t end = mono_ms() + (uint64_t)timeout * 1000;
		int st;

		for (;;) {
			c = sock_connect(qmp_path);
			if (c >= 0) {
				close(c);
				break;
			}
			if (waitpid(pid, &st, WNOHANG) == pid) {
				fb_error(name, "QEMU exited at start (status %d)%s%s",
					 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
					 log ? "; see " : " (use --log FILE to see why)",
					 log ? log : "");
				goto out;
			}
			if (mono_ms() >= end) {
				fb_error(qmp_path, "QEMU did not open its QMP socket within %d s",
					 timeout);
				goto out;
			}
			sleep_ms(20);
		}
	}
	if (qmp_open(&q, qmp_path, 1000) || qmp_version(&q, &v))
		goto out;
	{
		pid_t qpid = 0;

		/* QEMU itself, also when it daemonized */
		if (!peer_pid(q.fd, &qpid) && qpid > 0)
			pid = qpid;
	}
	t_up = mono_ms();
	/* The mode of the save: a stream saved in one loads in that one. */
	mode = strcmp(a.mode, MODE_CPR) ? MODE_SHARED : MODE_CPR;
	if (!strcmp(mode, MODE_CPR) && !v.cpr) {
		fb_error(name, "saved in cpr-reboot mode by QEMU %s, but QEMU %ld.%ld.%ld has no cpr-reboot mode",
			 a.qemu, v.major, v.minor, v.micro);
		goto out;
	}
	if (strcmp(a.qemu, "") && strcmp(a.mode, mode))
		progress("warning: saved in mode '%s' by QEMU %s: restoring in %s mode",
			 a.mode, a.qemu, mode);
	/* 1. the same mode and capability, before incoming */
	if (qmp_set_caps(&q, mode))
		goto out;
	/* 2. migrate-incoming from a pipe fed with the state */
	if (qmp_migrate_pipe(&q, "migrate-incoming", pfd, 0))
		goto out;
	c = write_all_fd(pfd[1], state.p, state.len);
	close(pfd[1]);
	pfd[1] = -1;
	if (c && c != -EPIPE) {
		fb_error("migrate-incoming", "writing the state: %s", strerror(-c));
		goto out;
	}
	if (qmp_wait_migration(&q, "migrate-incoming", timeout * 1000))
		goto out;
	t_loaded = mono_ms();
	/* 3. cont: a VM saved while stopped stays paused until told */
	if (qmp_runstate(&q, status, sizeof(status)))
		goto out;
	if (a.running) {
		if ((c = qmp_cmd(&q, "{\"execute\":\"cont\"}"))) {
			qmp_fail(&q, "cont", c);
			goto out;
		}
		resumed_at = fb_now_ms(CLOCK_REALTIME);
		if (qmp_runstate(&q, status, sizeof(status)))
			goto out;
		if (strcmp(status, "running")) {
			fb_error(name, "VM is '%s' after cont, not running", status);
			goto out;
		}
	}
	t_cont = mono_ms();
	if (!keep) {
		/* The state is spent: loading it again would undo the guest. */
		obj_rm(dev, n.state);
	}
	progress("%s: restored, %s (start %" PRIu64 " ms, load %" PRIu64
		 " ms, cont %" PRIu64 " ms, total %" PRIu64 " ms)", name, status,
		 t_up - t0, t_loaded - t_up, t_cont - t_loaded, t_cont - t0);
	if (opt_json) {
		struct json j;
		char ver[32];

		snprintf(ver, sizeof(ver), "%ld.%ld.%ld", v.major, v.minor, v.micro);
		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_str(&j, "name", name);
		json_str(&j, "qemu", ver);
		json_str(&j, "mode", mode);
		json_u64(&j, "pid", (uint64_t)pid);
		json_str(&j, "qmp", qmp_path);
		json_str(&j, "status", status);
		json_u64(&j, "state_bytes", state.len);
		if (resumed_at)
			json_u64(&j, "resumed_at_ms", resumed_at);
		json_u64(&j, "start_ms", t_up - t0);
		json_u64(&j, "load_ms", t_loaded - t_up);
		json_u64(&j, "cont_ms", t_cont - t_loaded);
		json_u64(&j, "total_ms", t_cont - t0);
		json_close(&j, '}');
		json_end(&j);
	}
	if (res) {
		snprintf(res->qemu, sizeof(res->qemu), "%ld.%ld.%ld", v.major,
			 v.minor, v.micro);
		snprintf(res->mode, sizeof(res->mode), "%s", mode);
		res->pid = (int)pid;
		res->state_bytes = state.len;
		res->at_ms = resumed_at;
		res->total_ms = t_cont - t0;
		res->phase_ms[0] = t_up - t0;
		res->phase_ms[1] = t_loaded - t_up;
		res->phase_ms[2] = t_cont - t_loaded;
	}
	ret = EXIT_OK;
out:
	if (ret == EXIT_OK)
		fb_log_event("vm restore %s (QEMU pid %d, %s)", name, (int)pid, status);
	else if (pid > 0) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "vm restore %s", name);
		fb_log_failed(cmd);
	}
	if (ret != EXIT_OK && pid > 0 && kill(pid, SIGTERM) == 0)
		progress("%s: not restored; stopped the QEMU it started (pid %d)",
			 name, (int)pid);
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	qmp_close(&q);
	free(nargv);
	vm_args_free(&a);
	free(dropped.p);
	free(state.p);
	return ret;
}

int cmd_vm(int argc, char **argv)
{
	static const char usage[] =
		"fastboot vm save NAME --qmp SOCKET [--timeout SECS] [--json]\n"
		"       fastboot vm save --all [--timeout SECS] [--json]\n"
		"       fastboot vm restore NAME [--qmp SOCKET] [--log FILE] [--timeout SECS] [--keep] [--json]\n"
		"       fastboot vm restore --all [--log FILE] [--timeout SECS] [--keep] [--json]";

	if (argc < 2)
		return fb_usage_error("%s", usage);
	if (!strcmp(argv[1], "save"))
		return vm_save(argc - 1, argv + 1);
	if (!strcmp(argv[1], "restore"))
		return vm_restore(argc - 1, argv + 1);
	return fb_usage_error("%s", usage);
}
