// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A stand-in for QEMU that speaks just enough QMP for `fastboot vm save`
 * and `vm restore` (selftests/unit/test_vm_qmp.sh), with faults to order.
 *
 *   fake_qmp [-qmp unix:PATH,...] [-chardev socket,id=ID,path=PATH,...]
 *            [-mon chardev=ID,...] [-incoming defer] [other QEMU options]
 *
 * It listens on the QMP socket of -qmp, or of the -chardev a -mon names;
 * like QEMU it exits 1 when a -mon names no -chardev.  The device state it
 * "migrates" is "FAKESTATE" plus some bytes; an incoming state must start
 * with "FAKESTATE".
 *
 * FAKE_QMP_LOG=FILE   one line per event: "start uid=U argv...", then the
 *                     name of each command received, "state OK" on a good
 *                     incoming state, "exit" when it exits
 * FAKE_QMP_MODE=M,... faults:
 *   stale      a reply with a foreign id, and an event, before each reply
 *   slowmig    the outgoing stream stalls 6 s half-way (time to signal
 *              the client)
 *   lingerquit after quit, close the socket but exit only 3 s later
 *   nocpr      no migration parameter "mode", as QEMU 7.2 (no cpr-reboot);
 *              otherwise it has one, and the log gets "mode M" for each
 *              migrate-set-parameters that sets it
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static FILE *logf_;
static const char *mode = "";
static bool running = true, incoming;
static int mig_fd = -1;
static pid_t mig_child;
static char mig_status[32] = "none";

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_line(const char *fmt, ...)
{
	va_list ap;

	if (!logf_)
		return;
	va_start(ap, fmt);
	vfprintf(logf_, fmt, ap);
	va_end(ap);
	fputc('\n', logf_);
	fflush(logf_);
}

static bool has_mode(const char *m)
{
	size_t l = strlen(m);
	const char *p = mode;

	while ((p = strstr(p, m))) {
		if ((p == mode || p[-1] == ',') && (p[l] == 0 || p[l] == ','))
			return true;
		p += l;
	}
	return false;
}

/* The value of key= in a QEMU option string "a,key=v,b" (no ",," here). */
static bool opt_val(const char *s, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key);
	const char *p = s;

	for (;;) {
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			size_t n = strcspn(p + kl + 1, ",");

			if (n >= len)
				n = len - 1;
			memcpy(out, p + kl + 1, n);
			out[n] = 0;
			return true;
		}
		p = strchr(p, ',');
		if (!p)
			return false;
		p++;
	}
}

static bool peer_gone;

static void send_line(int fd, const char *s)
{
	size_t l = strlen(s);

	if (peer_gone || write(fd, s, l) != (ssize_t)l || write(fd, "\r\n", 2) != 2)
		peer_gone = true;
}

/* Reply to a command whose raw "id" value (JSON text) is id, or none. */
static void reply(int fd, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void reply(int fd, const char *id, const char *fmt, ...)
{
	char body[1024], line[1200];
	va_list ap;

	if (has_mode("stale")) {
		send_line(fd, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"NIC_RX_FILTER_CHANGED\", \"data\": {\"path\": \"/x\"}}");
		send_line(fd, "{\"return\": {\"status\": \"postmigrate\", \"running\": false}, \"id\": 987654}");
	}
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	if (id[0])
		snprintf(line, sizeof(line), "%.*s, \"id\": %s}",
			 (int)strlen(body) - 1, body, id);
	else
		snprintf(line, sizeof(line), "%s", body);
	send_line(fd, line);
}

/* The raw JSON text of "key": up to the next ',' or '}' outside quotes. */
static void raw_member(const char *cmd, const char *key, char *out, size_t len)
{
	char pat[64];
	const char *p, *e;
	bool q = false;

	out[0] = 0;
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(cmd, pat);
	if (!p)
		return;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	for (e = p; *e && (q || (*e != ',' && *e != '}')); e++)
		if (*e == '"' && (e == p || e[-1] != '\\'))
			q = !q;
	if ((size_t)(e - p) >= len)
		return;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = 0;
}

static void start_outgoing(void)
{
	static const char state[] = "FAKESTATE device state of the fake QEMU\n";
	pid_t pid;

	if (mig_fd < 0) {
		snprintf(mig_status, sizeof(mig_status), "failed");
		return;
	}
	pid = fork();
	if (pid == 0) {
		if (write(mig_fd, state, 10) != 10)
			_exit(1);
		if (has_mode("slowmig"))
			sleep(6);
		if (write(mig_fd, state + 10, sizeof(state) - 11) < 0)
			_exit(1);
		_exit(0);
	}
	close(mig_fd);
	mig_fd = -1;
	mig_child = pid;
	snprintf(mig_status, sizeof(mig_status), "active");
}

static const char *outgoing_status(void)
{
	int st;

	if (mig_child > 0 && waitpid(mig_child, &st, WNOHANG) == mig_child) {
		mig_child = 0;
		snprintf(mig_status, sizeof(mig_status), "%s",
			 WIFEXITED(st) && !WEXITSTATUS(st) ? "completed" : "failed");
	}
	return mig_status;
}

static void do_incoming(void)
{
	char buf[4096];
	size_t got = 0;
	ssize_t n;

	while (mig_fd >= 0 && (n = read(mig_fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	if (mig_fd >= 0)
		close(mig_fd);
	mig_fd = -1;
	if (got >= 9 && !memcmp(buf, "FAKESTATE", 9)) {
		log_line("state OK");
		snprintf(mig_status, sizeof(mig_status), "completed");
	} else {
		log_line("state BAD (%zu bytes)", got);
		snprintf(mig_status, sizeof(mig_status), "failed");
	}
}

/* One command; returns false on quit. */
static bool command(int fd, const char *cmd)
{
	char ex[64], id[64];

	raw_member(cmd, "execute", ex, sizeof(ex));
	raw_member(cmd, "id", id, sizeof(id));
	if (ex[0] == '"') {
		memmove(ex, ex + 1, strlen(ex));
		ex[strcspn(ex, "\"")] = 0;
	}
	log_line("%s", ex);
	if (!strcmp(ex, "migrate-set-parameters")) {
		/* the log says which mode was asked for */
		const char *m = strstr(cmd, "\"mode\"");

		if (m && has_mode("nocpr")) {
			reply(fd, id, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'mode' is unexpected\"}}");
			return true;
		}
		if (m)
			log_line("mode %s", strstr(m, "cpr-reboot") ? "cpr-reboot" :
				 strstr(m, "normal") ? "normal" : "other");
		reply(fd, id, "{\"return\": {}}");
	} else if (!strcmp(ex, "query-migrate-parameters")) {
		/* QEMU 7.2 has no "mode"; 8.2 and newer do, nested members too */
		reply(fd, id, "{\"return\": {\"block-bitmap-mapping\": [{\"node-name\": \"n\", \"alias\": \"a\", \"bitmaps\": [{\"name\": \"b\", \"alias\": \"c\", \"mode\": \"x\"}]}], \"downtime-limit\": 300%s}}",
		      has_mode("nocpr") ? "" : ", \"mode\": \"normal\"");
	} else if (!strcmp(ex, "qmp_capabilities") || !strcmp(ex, "migrate-set-capabilities") ||
		   !strcmp(ex, "getfd")) {
		reply(fd, id, "{\"return\": {}}");
	} else if (!strcmp(ex, "query-version")) {
		reply(fd, id, "{\"return\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 8}, \"package\": \"fake\"}}");
	} else if (!strcmp(ex, "query-status")) {
		reply(fd, id, "{\"return\": {\"status\": \"%s\", \"running\": %s}}",
		      running ? "running" : incoming ? "inmigrate" : "paused",
		      running ? "true" : "false");
	} else if (!strcmp(ex, "query-memdev")) {
		reply(fd, id, "{\"return\": [{\"share\": true, \"size\": 134217728}]}");
	} else if (!strcmp(ex, "stop")) {
		running = false;
		reply(fd, id, "{\"return\": {}}");
		send_line(fd, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"STOP\"}");
	} else if (!strcmp(ex, "cont")) {
		running = true;
		incoming = false;
		reply(fd, id, "{\"return\": {}}");
		send_line(fd, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"RESUME\"}");
	} else if (!strcmp(ex, "migrate")) {
		reply(fd, id, "{\"return\": {}}");
		start_outgoing();
	} else if (!strcmp(ex, "migrate-incoming")) {
		reply(fd, id, "{\"return\": {}}");
		do_incoming();
	} else if (!strcmp(ex, "query-migrate")) {
		reply(fd, id, "{\"return\": {\"status\": \"%s\"}}", outgoing_status());
	} else if (!strcmp(ex, "migrate_cancel")) {
		if (mig_child > 0)
			kill(mig_child, SIGKILL);
		reply(fd, id, "{\"return\": {}}");
	} else if (!strcmp(ex, "quit")) {
		reply(fd, id, "{\"return\": {}}");
		send_line(fd, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, \"reason\": \"host-qmp-quit\"}}");
		return false;
	} else {
		reply(fd, id, "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command %s has not been found\"}}", ex);
	}
	return true;
}

/* Serve one client; returns false after quit. */
static bool serve(int fd)
{
	char buf[8192];
	size_t len = 0;

	peer_gone = false;
	send_line(fd, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 8}, \"package\": \"fake\"}, \"capabilities\": [\"oob\"]}}");
	for (;;) {
		union {
			char b[CMSG_SPACE(sizeof(int))];
			struct cmsghdr a;
		} cm;
		struct iovec iov = { buf + len, sizeof(buf) - 1 - len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cm.b, .msg_controllen = sizeof(cm.b) };
		struct cmsghdr *c;
		ssize_t n = recvmsg(fd, &mh, 0);
		char *nl;

		if (n <= 0 || peer_gone)
			return true;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				if (mig_fd >= 0)
					close(mig_fd);
				memcpy(&mig_fd, CMSG_DATA(c), sizeof(int));
			}
		len += (size_t)n;
		buf[len] = 0;
		while ((nl = strchr(buf, '\n'))) {
			*nl = 0;
			if (!command(fd, buf))
				return false;
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
		if (len >= sizeof(buf) - 1)
			return true;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char chardev_id[64] = "", chardev_path[108] = "", mon[64] = "";
	char start[4096];
	const char *path = NULL, *e;
	size_t o = 0;
	int i, ls;

	e = getenv("FAKE_QMP_LOG");
	if (e && *e)
		logf_ = fopen(e, "a");
	e = getenv("FAKE_QMP_MODE");
	if (e)
		mode = e;
	o += (size_t)snprintf(start, sizeof(start), "start uid=%d gid=%d argv",
			      (int)getuid(), (int)getgid());
	for (i = 1; i < argc; i++) {
		if (o < sizeof(start))
			o += (size_t)snprintf(start + o, sizeof(start) - o, " %s", argv[i]);
		if (i + 1 >= argc)
			continue;
		if (!strcmp(argv[i], "-qmp") && !strncmp(argv[i + 1], "unix:", 5)) {
			static char p[108];

			snprintf(p, sizeof(p), "%s", argv[i + 1] + 5);
			p[strcspn(p, ",")] = 0;
			path = p;
		} else if (!strcmp(argv[i], "-chardev")) {
			opt_val(argv[i + 1], "id", chardev_id, sizeof(chardev_id));
			opt_val(argv[i + 1], "path", chardev_path, sizeof(chardev_path));
		} else if (!strcmp(argv[i], "-mon")) {
			opt_val(argv[i + 1], "chardev", mon, sizeof(mon));
		} else if (!strcmp(argv[i], "-incoming")) {
			incoming = true;
			running = false;
		}
	}
	log_line("%s", start);
	if (mon[0]) {
		if (strcmp(mon, chardev_id)) {
			fprintf(stderr, "fake_qmp: -mon: could not find chardev '%s'\n", mon);
			log_line("exit: no chardev %s", mon);
			return 1;
		}
		if (!path)
			path = chardev_path;
	}
	if (!path || strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "fake_qmp: no QMP socket\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	strcpy(sa.sun_path, path);
	unlink(path);
	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 4)) {
		perror("fake_qmp: listen");
		return 2;
	}
	for (;;) {
		int fd = accept(ls, NULL, NULL);
		bool more;

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			return 2;
		}
		more = serve(fd);
		close(fd);
		if (!more)
			break;
	}
	close(ls);
	unlink(path);
	if (has_mode("lingerquit"))
		sleep(3);
	log_line("exit");
	return 0;
}
