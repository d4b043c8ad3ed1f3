// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fastboot tool: `fastboot vm save|restore`, and the small QMP client
 * they use.
 *
 * save NAME --qmp SOCKET
 *   stop; migrate-set-capabilities x-ignore-shared (and, on QEMU 8.2 or
 *   newer, migrate-set-parameters mode=cpr-reboot); migrate to "fd:" over
 *   a pipe whose write end went to QEMU with getfd (SCM_RIGHTS); the tool
 *   reads the stream into memory and stores it as the blob vm.NAME.state,
 *   next to vm.NAME.args (QEMU's command line, environment and working
 *   directory, from /proc/PID of the peer of the QMP socket); quit.
 *   Shared RAM is not in the stream: it stays in its memory backend.
 *
 * restore NAME [--qmp SOCKET]
 *   start the QEMU of vm.NAME.args again, with -incoming defer (and its QMP
 *   socket); set the same capability before migrate-incoming from an "fd:"
 *   pipe the tool writes vm.NAME.state into; wait for the migration to
 *   complete; cont (when the VM ran at save time); check it runs.
 *
 * Nothing touches a disk.  FASTBOOT_VM_STATE_DIR=DIR (test only) keeps the
 * two objects as files DIR/vm.NAME.{state,args} instead of in the store,
 * for trying the QMP side where there is no /dev/fastboot.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "fastboot.h"
#include "client.h"
#include "json.h"
#include "vm.h"

#define ARGS_MAGIC	"fastboot-vm 1\n"
#define FDNAME		"fastboot-vm"

/* ---- small helpers ---- */

struct buf {
	char *p;
	size_t len, cap;
};

static int buf_add(struct buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		char *p;

		while (cap < b->len + len + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = 0;
	return 0;
}

static int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[8192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -E2BIG;
	return buf_add(b, tmp, (size_t)n);
}

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

/* ---- QMP ---- */

struct qmp {
	int fd;
	const char *path;
	struct buf in;		/* bytes received, not yet consumed */
	char *reply;		/* the last reply line (malloc'd) */
	char err[512];
};

/*
 * The string value of "key" in a flat QMP message: good enough for the
 * few members read here ("status", "desc", "class"), whose values carry
 * no escaped quotes that matter.
 */
static int json_get_str(const char *msg, const char *key, char *out, size_t len)
{
	char pat[80];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = msg ? strstr(msg, pat) : NULL;
	if (!p)
		return -1;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	if (*p != '"')
		return -1;
	p++;
	for (e = p; *e && !(*e == '"' && e[-1] != '\\'); e++)
		;
	if ((size_t)(e - p) >= len)
		e = p + len - 1;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = 0;
	return 0;
}

static long json_get_num(const char *msg, const char *key)
{
	char pat[80];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = msg ? strstr(msg, pat) : NULL;
	if (!p)
		return -1;
	return strtol(p + strlen(pat), NULL, 10);
}

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

/* The next complete line from QEMU, waiting up to timeout_ms. */
static int qmp_line(struct qmp *q, char **line, int timeout_ms)
{
	uint64_t end = mono_ms() + (uint64_t)timeout_ms;

	for (;;) {
		char *nl = q->in.len ? memchr(q->in.p, '\n', q->in.len) : NULL;
		char tmp[65536];
		struct pollfd pfd = { q->fd, POLLIN, 0 };
		uint64_t now;
		ssize_t n;

		if (nl) {
			size_t l = (size_t)(nl - q->in.p) + 1;

			*line = strndup(q->in.p, l);
			memmove(q->in.p, q->in.p + l, q->in.len - l);
			q->in.len -= l;
			q->in.p[q->in.len] = 0;
			return *line ? 0 : -ENOMEM;
		}
		now = mono_ms();
		if (now >= end)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, (int)(end - now));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
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

/*
 * Send one command (a JSON object, without the newline), optionally with
 * a file descriptor attached, and wait for its reply, skipping events.
 * Returns 0 with q->reply set, or -EREMOTEIO with q->err set to QEMU's
 * error description, or another negative errno.
 */
static int qmp_cmd_fd(struct qmp *q, int sendfd, int timeout_ms,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int qmp_cmd_fd(struct qmp *q, int sendfd, int timeout_ms,
		      const char *fmt, ...)
{
	char cmd[4096];
	struct iovec iov;
	struct msghdr mh = { 0 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	va_list ap;
	int n, ret;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd) - 1)
		return -E2BIG;
	cmd[n++] = '\n';
	iov.iov_base = cmd;
	iov.iov_len = (size_t)n;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
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
		ret = (int)sendmsg(q->fd, &mh, MSG_NOSIGNAL);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if (ret != n)
		return -EIO;
	for (;;) {
		char *line;

		ret = qmp_line(q, &line, timeout_ms);
		if (ret)
			return ret;
		if (strstr(line, "\"return\"")) {
			free(q->reply);
			q->reply = line;
			return 0;
		}
		if (strstr(line, "\"error\"") && !strstr(line, "\"event\"")) {
			if (json_get_str(line, "desc", q->err, sizeof(q->err)))
				snprintf(q->err, sizeof(q->err), "%s", line);
			free(line);
			return -EREMOTEIO;
		}
		free(line);	/* an event */
	}
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
	if (!strstr(greeting, "\"QMP\"")) {
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

/* QEMU's version; cpr-reboot mode exists from 8.2 on. */
struct qver {
	long major, minor, micro;
	bool cpr;
};

static int qmp_version(struct qmp *q, struct qver *v)
{
	int ret = qmp_cmd(q, "{\"execute\":\"query-version\"}");

	if (ret)
		return qmp_fail(q, "query-version", ret);
	v->major = json_get_num(q->reply, "major");
	v->minor = json_get_num(q->reply, "minor");
	v->micro = json_get_num(q->reply, "micro");
	if (v->major < 0 || v->minor < 0)
		return fb_error("query-version", "unexpected reply %s", q->reply);
	v->cpr = v->major > 8 || (v->major == 8 && v->minor >= 2);
	return 0;
}

/* The migration settings, identical on both sides. */
static int qmp_set_caps(struct qmp *q, const struct qver *v)
{
	int ret;

	if (v->cpr) {
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
		if (json_get_str(q->reply, "status", status, sizeof(status)))
			status[0] = 0;
		if (!strcmp(status, "completed"))
			return 0;
		if (!strcmp(status, "failed") || !strcmp(status, "cancelled")) {
			if (json_get_str(q->reply, "error-desc", desc, sizeof(desc)))
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
	if (json_get_str(q->reply, "status", out, len))
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

static int open_store(void)
{
	if (state_dir())
		return -2;	/* no device needed */
	return fb_open_device(O_RDWR);
}

static void close_store(int dev)
{
	if (dev >= 0)
		close(dev);
}

/* ---- vm.NAME.args ---- */

/*
 * Text header, an empty line, then argv and environ as NUL-terminated
 * strings:
 *   fastboot-vm 1 / qemu X.Y.Z / mode M / running 0|1 / qmp PATH /
 *   cwd PATH / argc N / envc N
 */
struct vm_args {
	char qemu[32], mode[32];
	char qmp[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char cwd[4096];
	bool running;
	int argc, envc;
	char **argv, **envp;
	struct buf raw;
};

static int strings(const char *p, const char *end, int n, char ***out,
		   const char **next)
{
	char **v = calloc((size_t)n + 1, sizeof(char *));
	int i;

	if (!v)
		return -1;
	for (i = 0; i < n; i++) {
		const char *z = memchr(p, 0, (size_t)(end - p));

		if (p >= end || !z) {
			free(v);
			return -1;
		}
		v[i] = (char *)p;
		p = z + 1;
	}
	*out = v;
	*next = p;
	return 0;
}

static int args_parse(struct vm_args *a, const char *name)
{
	char *p = a->raw.p, *end = a->raw.p + a->raw.len, *hdr_end;
	const char *next;
	char *line, *save = NULL;

	if (a->raw.len < sizeof(ARGS_MAGIC) ||
	    memcmp(p, ARGS_MAGIC, sizeof(ARGS_MAGIC) - 1))
		return fb_error(name, "not a fastboot vm argument record");
	hdr_end = strstr(p, "\n\n");
	if (!hdr_end)
		return fb_error(name, "truncated argument record");
	*hdr_end = 0;
	a->argc = a->envc = -1;
	for (line = strtok_r(p, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, ' ');

		if (!v)
			continue;
		*v++ = 0;
		if (!strcmp(line, "qemu"))
			snprintf(a->qemu, sizeof(a->qemu), "%s", v);
		else if (!strcmp(line, "mode"))
			snprintf(a->mode, sizeof(a->mode), "%s", v);
		else if (!strcmp(line, "running"))
			a->running = !strcmp(v, "1");
		else if (!strcmp(line, "qmp"))
			snprintf(a->qmp, sizeof(a->qmp), "%s", v);
		else if (!strcmp(line, "cwd"))
			snprintf(a->cwd, sizeof(a->cwd), "%s", v);
		else if (!strcmp(line, "argc"))
			a->argc = atoi(v);
		else if (!strcmp(line, "envc"))
			a->envc = atoi(v);
	}
	if (a->argc < 1 || a->envc < 0 ||
	    strings(hdr_end + 2, end, a->argc, &a->argv, &next) ||
	    strings(next, end, a->envc, &a->envp, &next))
		return fb_error(name, "damaged argument record");
	return 0;
}

/* Count NUL-terminated strings (a missing final NUL is added). */
static int count_strings(struct buf *b)
{
	int n = 0;
	size_t i;

	if (b->len && b->p[b->len - 1])
		if (buf_add(b, "", 1))
			return -1;
	for (i = 0; i < b->len; i++)
		if (!b->p[i])
			n++;
	return n;
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

/* Read the migration stream from the pipe until QEMU closes it. */
static int read_stream(int fd, struct buf *b, int timeout_ms)
{
	uint64_t end = mono_ms() + (uint64_t)timeout_ms;
	char tmp[1 << 16];

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		uint64_t now = mono_ms();
		ssize_t n;
		int r;

		if (now >= end)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)(end - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
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

static int vm_save(int argc, char **argv)
{
	static const char usage[] = "fastboot vm save NAME --qmp SOCKET [--timeout SECS] [--json]";
	static const struct option opts[] = {
		{ "qmp", required_argument, NULL, 'q' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct buf args = { 0 }, state = { 0 }, cmdline = { 0 }, env = { 0 };
	uint64_t t0, t_stop, t_saved, t_stored, t_quit, stopped_at;
	char qmp_path[sizeof(((struct sockaddr_un *)0)->sun_path)] = "";
	char path[64], cwd[4096], status[64];
	const char *qmp_arg = NULL, *name;
	struct vm_names n;
	struct qver v;
	struct qmp q = { .fd = -1 };
	bool running, stopped = false;
	int c, ret, dev = -1, pfd[2] = { -1, -1 }, timeout = 120;
	ssize_t l;
	pid_t pid = 0;

	optind = 0;	/* reinitialise getopt: options may follow NAME */
	while ((c = getopt_long(argc, argv, "q:t:jh", opts, NULL)) != -1) {
		if (c == 'q')
			qmp_arg = optarg;
		else if (c == 't')
			timeout = atoi(optarg);
		else if (c == 'j')
			opt_json = true;
		else if (c == 'h')
			fb_help_exit("vm");
		else
			return fb_usage_error("%s", usage);
	}
	if (argc - optind != 1 || !qmp_arg || timeout <= 0)
		return fb_usage_error("%s", usage);
	name = argv[optind];
	if (vm_names(name, &n))
		return EXIT_FAIL;
	abs_path(qmp_arg, qmp_path, sizeof(qmp_path));
	dev = open_store();
	if (dev == -1)
		return EXIT_FAIL;
	ret = EXIT_FAIL;
	if (qmp_open(&q, qmp_path, 0))
		goto out;
	if (qmp_version(&q, &v))
		goto out;
	if (peer_pid(q.fd, &pid)) {
		fb_error(qmp_path, "cannot find QEMU's pid: %s", strerror(errno));
		goto out;
	}
	/* What restore needs to start the same QEMU. */
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
	if (qmp_runstate(&q, status, sizeof(status)))
		goto out;
	running = !strcmp(status, "running");
	if (qmp_cmd(&q, "{\"execute\":\"query-memdev\"}") == 0 &&
	    (!strstr(q.reply, "\"share\": true") || strstr(q.reply, "\"share\": false")))
		progress("warning: not all guest RAM is in a shared memory backend (share=on); the state will hold the rest");
	progress("%s: QEMU %ld.%ld.%ld pid %d (%s), %s mode", name, v.major,
		 v.minor, v.micro, (int)pid, status,
		 v.cpr ? "cpr-reboot" : "x-ignore-shared");

	if (buf_printf(&args, ARGS_MAGIC "qemu %ld.%ld.%ld\nmode %s\nrunning %d\n"
		       "qmp %s\ncwd %s\nargc %d\nenvc %d\n\n",
		       v.major, v.minor, v.micro,
		       v.cpr ? "cpr-reboot" : "x-ignore-shared", running,
		       qmp_path, cwd, count_strings(&cmdline),
		       count_strings(&env)) ||
	    buf_add(&args, cmdline.p, cmdline.len) ||
	    buf_add(&args, env.p, env.len)) {
		fb_error(name, "out of memory");
		goto out;
	}

	/* 1. stop */
	t0 = mono_ms();
	stopped_at = fb_now_ms(CLOCK_REALTIME);
	if ((c = qmp_cmd(&q, "{\"execute\":\"stop\"}"))) {
		qmp_fail(&q, "stop", c);
		goto out;
	}
	stopped = true;
	t_stop = mono_ms();
	/* 2. the capability */
	if (qmp_set_caps(&q, &v))
		goto out;
	/* 3. the device state, over a pipe, into memory */
	if (qmp_migrate_pipe(&q, "migrate", pfd, 1))
		goto out;
	c = read_stream(pfd[0], &state, timeout * 1000);
	if (c) {
		fb_error("migrate", "reading the migration stream: %s", strerror(-c));
		goto out;
	}
	if (qmp_wait_migration(&q, "migrate", timeout * 1000))
		goto out;
	t_saved = mono_ms();
	progress("%s: device state %zu bytes in %" PRIu64 " ms", name, state.len,
		 t_saved - t_stop);
	/* into the store */
	if (obj_put(dev, n.state, &state) || obj_put(dev, n.args, &args))
		goto out;
	t_stored = mono_ms();
	/* 4. quit; wait for QEMU to close the socket as it exits */
	if ((c = qmp_cmd(&q, "{\"execute\":\"quit\"}")) && c != -ECONNRESET) {
		qmp_fail(&q, "quit", c);
		goto out;
	}
	stopped = false;
	for (;;) {
		char *line;

		c = qmp_line(&q, &line, 30000);
		if (c)
			break;
		free(line);
	}
	if (c != -ECONNRESET)
		progress("warning: QEMU did not exit within 30 s of quit");
	t_quit = mono_ms();
	progress("%s: saved as %s and %s; QEMU quit (stop %" PRIu64 " ms, save %"
		 PRIu64 " ms, store %" PRIu64 " ms, quit %" PRIu64 " ms)", name,
		 n.state, n.args, t_stop - t0, t_saved - t_stop,
		 t_stored - t_saved, t_quit - t_stored);
	if (opt_json) {
		struct json j;
		char ver[32];

		snprintf(ver, sizeof(ver), "%ld.%ld.%ld", v.major, v.minor, v.micro);
		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_str(&j, "name", name);
		json_str(&j, "qemu", ver);
		json_str(&j, "mode", v.cpr ? "cpr-reboot" : "x-ignore-shared");
		json_u64(&j, "pid", (uint64_t)pid);
		json_bool(&j, "running", running);
		json_u64(&j, "state_bytes", state.len);
		json_u64(&j, "args_bytes", args.len);
		json_u64(&j, "stopped_at_ms", stopped_at);
		json_u64(&j, "stop_ms", t_stop - t0);
		json_u64(&j, "save_ms", t_saved - t_stop);
		json_u64(&j, "store_ms", t_stored - t_saved);
		json_u64(&j, "quit_ms", t_quit - t_stored);
		json_u64(&j, "total_ms", t_quit - t0);
		json_close(&j, '}');
		json_end(&j);
	}
	ret = EXIT_OK;
out:
	if (stopped && q.fd >= 0) {
		/* Nothing was lost: let the VM run on where it was. */
		c = qmp_cmd(&q, "{\"execute\":\"migrate_cancel\"}");
		(void)c;
		if (running && !qmp_cmd(&q, "{\"execute\":\"cont\"}"))
			progress("%s: not saved; the VM runs on", name);
	}
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	qmp_close(&q);
	close_store(dev);
	free(args.p);
	free(state.p);
	free(cmdline.p);
	free(env.p);
	return ret;
}

/* ---- vm restore ---- */

/* Does any argument mention the socket path? */
static bool args_mention(char **argv, int argc, const char *s)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strstr(argv[i], s))
			return true;
	return false;
}

/*
 * The saved command line with -incoming defer (any earlier -incoming
 * dropped) and a QMP socket at qmp.  An option that named the saved QMP
 * socket is dropped when qmp is another path.
 */
static char **restore_argv(const struct vm_args *a, const char *qmp)
{
	char **v = calloc((size_t)a->argc + 6, sizeof(char *));
	bool other = strcmp(qmp, a->qmp) != 0;
	int i, o = 0;

	if (!v)
		return NULL;
	for (i = 0; i < a->argc; i++) {
		const char *s = a->argv[i];

		if (i > 0 && (!strcmp(s, "-incoming") || !strcmp(s, "--incoming"))) {
			i++;
			continue;
		}
		if (i > 0 && (!strncmp(s, "-incoming=", 10) || !strncmp(s, "--incoming=", 11)))
			continue;
		if (other && i > 0 && i + 1 < a->argc && s[0] == '-' &&
		    a->qmp[0] && strstr(a->argv[i + 1], a->qmp)) {
			i++;
			continue;
		}
		v[o++] = a->argv[i];
	}
	if (!args_mention(v, o, qmp)) {
		static char opt[sizeof(((struct sockaddr_un *)0)->sun_path) + 48];

		snprintf(opt, sizeof(opt), "unix:%s,server=on,wait=off", qmp);
		v[o++] = "-qmp";
		v[o++] = opt;
	}
	v[o++] = "-incoming";
	v[o++] = "defer";
	v[o] = NULL;
	return v;
}

static pid_t spawn(char **argv, char **envp, const char *cwd, const char *log)
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
			if (cwd[0] && chdir(cwd))
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
		"fastboot vm restore NAME [--qmp SOCKET] [--log FILE] [--timeout SECS] [--keep] [--json]";
	static const struct option opts[] = {
		{ "qmp", required_argument, NULL, 'q' },
		{ "log", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ "keep", no_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char qmp_path[sizeof(((struct sockaddr_un *)0)->sun_path)] = "";
	uint64_t t0, t_up, t_loaded, t_cont, resumed_at = 0;
	const char *qmp_arg = NULL, *log = NULL, *name;
	struct vm_args a = { 0 };
	struct buf state = { 0 };
	struct vm_names n;
	struct qver v;
	struct qmp q = { .fd = -1 };
	char **nargv = NULL, status[64], logabs[4096];
	int c, ret = EXIT_FAIL, dev, timeout = 120, pfd[2] = { -1, -1 };
	bool keep = false;
	pid_t pid = -1;

	optind = 0;	/* reinitialise getopt: options may follow NAME */
	while ((c = getopt_long(argc, argv, "q:l:t:kjh", opts, NULL)) != -1) {
		if (c == 'q')
			qmp_arg = optarg;
		else if (c == 'l')
			log = optarg;
		else if (c == 't')
			timeout = atoi(optarg);
		else if (c == 'k')
			keep = true;
		else if (c == 'j')
			opt_json = true;
		else if (c == 'h')
			fb_help_exit("vm");
		else
			return fb_usage_error("%s", usage);
	}
	if (argc - optind != 1 || timeout <= 0)
		return fb_usage_error("%s", usage);
	name = argv[optind];
	if (vm_names(name, &n))
		return EXIT_FAIL;
	dev = open_store();
	if (dev == -1)
		return EXIT_FAIL;
	if (obj_get(dev, n.args, &a.raw) || args_parse(&a, n.args) ||
	    obj_get(dev, n.state, &state))
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
	if (log) {
		abs_path(log, logabs, sizeof(logabs));
		log = logabs;
	}
	c = sock_connect(qmp_path);
	if (c >= 0) {
		close(c);
		fb_error(qmp_path, "a QEMU already listens on this QMP socket");
		goto out;
	}
	/* QEMU maps its RAM from fastbootfs: mount it after a reboot. */
	if (fb_guest_mount())
		goto out;
	nargv = restore_argv(&a, qmp_path);
	if (!nargv) {
		fb_error(name, "out of memory");
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);

	/* Start QEMU, waiting for an incoming migration. */
	t0 = mono_ms();
	pid = spawn(nargv, a.envp, a.cwd, log);
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
	if (strcmp(a.mode, v.cpr ? "cpr-reboot" : "x-ignore-shared"))
		progress("warning: saved in %s mode by QEMU %s, restoring with QEMU %ld.%ld.%ld",
			 a.mode, a.qemu, v.major, v.minor, v.micro);
	/* 1. the same capability, before incoming */
	if (qmp_set_caps(&q, &v))
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
		json_str(&j, "mode", v.cpr ? "cpr-reboot" : "x-ignore-shared");
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
	ret = EXIT_OK;
out:
	if (ret != EXIT_OK && pid > 0 && kill(pid, SIGTERM) == 0)
		progress("%s: not restored; stopped the QEMU it started (pid %d)",
			 name, (int)pid);
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	qmp_close(&q);
	close_store(dev);
	free(nargv);
	free(a.argv);
	free(a.envp);
	free(a.raw.p);
	free(state.p);
	return ret;
}

int cmd_vm(int argc, char **argv)
{
	static const char usage[] =
		"fastboot vm save NAME --qmp SOCKET [--timeout SECS] [--json]\n"
		"       fastboot vm restore NAME [--qmp SOCKET] [--log FILE] [--timeout SECS] [--keep] [--json]";

	if (argc < 2)
		return fb_usage_error("%s", usage);
	if (!strcmp(argv[1], "save"))
		return vm_save(argc - 1, argv + 1);
	if (!strcmp(argv[1], "restore"))
		return vm_restore(argc - 1, argv + 1);
	return fb_usage_error("%s", usage);
}
