// SPDX-License-Identifier: GPL-2.0 OR MIT
/* fastboot tool: errors, the device, names and sizes. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include "fastboot.h"

/* The command being run ("fastboot" before one is chosen), for messages. */
static const char *cur_cmd = "fastboot";

void fb_set_command(const char *name)
{
	cur_cmd = name;
}

const char *fb_command(void)
{
	return cur_cmd;
}

/*
 * The first error of the run, for the --json error object; the ones after
 * it are its consequences.
 */
static struct {
	char what[256];
	char why[512];
} first_error;

static void note_error(const char *what, const char *fmt, va_list ap)
{
	if (first_error.why[0])
		return;
	snprintf(first_error.what, sizeof(first_error.what), "%s", what);
	vsnprintf(first_error.why, sizeof(first_error.why), fmt, ap);
	if (!first_error.why[0])
		snprintf(first_error.why, sizeof(first_error.why), "failed");
}

/* The first error reported, if any: *what and *why are set, 0 returned. */
int fb_first_error(const char **what, const char **why)
{
	if (!first_error.why[0])
		return -1;
	*what = first_error.what;
	*why = first_error.why;
	return 0;
}

/* Print "fastboot: WHAT: WHY" to stderr and return EXIT_FAIL. */
int fb_error(const char *what, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fastboot: %s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	va_start(ap, fmt);
	note_error(what, fmt, ap);
	va_end(ap);
	return EXIT_FAIL;
}

int fb_usage_error(const char *fmt, ...)
{
	const char *cmd = fb_command();
	va_list ap;

	fputs("fastboot: usage: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (strcmp(cmd, "fastboot"))
		fprintf(stderr, "\nTry 'fastboot help %s'.\n", cmd);
	else
		fputs("\nTry 'fastboot help'.\n", stderr);
	va_start(ap, fmt);
	note_error("usage", fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

int fb_open_device(int flags)
{
	int fd = open(opt_device, flags | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			fb_error(opt_device,
				 "%s (is the module loaded? modprobe fastboot region=SIZE@ADDR)",
				 strerror(errno));
		else
			fb_error(opt_device, "%s", strerror(errno));
	}
	return fd;
}

/*
 * The pid holding a flock on the file open as fd, from /proc/locks
 * ("1: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INODE 0 EOF"); 0 if unknown.
 */
static long lock_holder(int fd)
{
	struct stat st;
	char line[256], me[64];
	long pid = 0;
	FILE *f;

	if (fstat(fd, &st) || !(f = fopen("/proc/locks", "r")))
		return 0;
	snprintf(me, sizeof(me), " %02x:%02x:%llu ", major(st.st_dev),
		 minor(st.st_dev), (unsigned long long)st.st_ino);
	while (!pid && fgets(line, sizeof(line), f))
		if (strstr(line, " FLOCK ") && !strstr(line, "->") &&
		    strstr(line, me))
			sscanf(strstr(line, " FLOCK ") + 7, "%*s %*s %ld", &pid);
	fclose(f);
	return pid;
}

/* "another fastboot command (pid N)" into buf. */
static const char *holder_name(int fd, char *buf, size_t len)
{
	long pid = lock_holder(fd);

	if (pid > 0)
		snprintf(buf, len, "another fastboot command (pid %ld)", pid);
	else
		snprintf(buf, len, "another fastboot command");
	return buf;
}

/* Try the lock once: 0 taken, 1 held by another, else EXIT_FAIL. */
static int try_lock(int fd)
{
	if (!flock(fd, LOCK_EX | LOCK_NB))
		return 0;
	if (errno == EWOULDBLOCK)
		return 1;
	fb_error(opt_device, "cannot lock it: %s", strerror(errno));
	return -1;
}

/*
 * Take the exclusive lock that serialises the commands which change the
 * store or the loaded kernels: a flock(2) on the device.  Wait at most
 * opt_lock_wait seconds for another command to finish, saying so once
 * the wait has lasted a second (short waits are the normal case).
 */
int fb_lock(int fd)
{
	uint64_t start = fb_now_ms(CLOCK_MONOTONIC), now = start;
	bool said = false;
	char who[64];
	int r;

	while ((r = try_lock(fd)) == 1) {
		if (!opt_lock_wait)
			return fb_error(opt_device, "%s holds the lock; try again when it is done (--wait SECS waits for it)",
					holder_name(fd, who, sizeof(who)));
		if (now - start >= opt_lock_wait * 1000ull)
			return fb_error(opt_device, "%s still holds the lock after %u s; try again when it is done",
					holder_name(fd, who, sizeof(who)), opt_lock_wait);
		if (!said && now - start >= 1000) {
			fprintf(stderr, "fastboot: waiting for %s to finish (at most %u s)...\n",
				holder_name(fd, who, sizeof(who)), opt_lock_wait);
			said = true;
		}
		usleep(50 * 1000);
		now = fb_now_ms(CLOCK_MONOTONIC);
	}
	return r ? EXIT_FAIL : 0;
}

/* fb_open_device(O_RDWR) and fb_lock(): for commands that change things. */
int fb_open_locked(void)
{
	int fd = fb_open_device(O_RDWR);

	if (fd >= 0 && fb_lock(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Why an ioctl failed, in the operator's terms. */
static const char *ioctl_why(int err)
{
	switch (err) {
	case EUCLEAN:
		return "the store is damaged; see 'fastboot status' (only 'format --force' can wipe it)";
	case ENODEV:
		return "no store in the region; run 'fastboot format'";
	case EROFS:
		return "the store has read-only features this module does not know";
	case ESHUTDOWN:
		return "the store is sealed for a reboot";
	case ENOSPC:
		return "not enough free space in the store (or its extent table is full)";
	case EMFILE:
		return "the store's object table is full (see 'fastboot status'; a store of an older module has room for 384: 'fastboot format --upgrade')";
	case EPERM:
		return "permission denied (needs CAP_SYS_ADMIN)";
	case EBUSY:
		return "in use (an open guest memory file, or a block device over it: see 'fastboot status')";
	default:
		return strerror(err);
	}
}

int fb_ioctl_error(const char *what, int err)
{
	return fb_error(what, "%s", ioctl_why(err));
}

int fb_ioctl(int fd, unsigned long cmd, void *arg, const char *what)
{
	if (ioctl(fd, cmd, arg) == 0)
		return 0;
	return fb_ioctl_error(what, errno);
}

int fb_set_name(char dst[FASTBOOT_NAME_MAX], const char *name)
{
	size_t n = strlen(name);

	memset(dst, 0, FASTBOOT_NAME_MAX);
	if (n >= FASTBOOT_NAME_MAX)
		return fb_error(name, "name longer than %d bytes",
				FASTBOOT_NAME_MAX - 1);
	memcpy(dst, name, n);
	if (fb_name_valid(dst, FASTBOOT_NAME_MAX))
		return fb_error(name, "invalid name (printable ASCII, no '/', not '.' or '..')");
	return 0;
}

const char *fb_state_name(uint32_t state)
{
	static const char *const n[] = { "unformatted", "ready", "damaged" };

	return state < 3 ? n[state] : "unknown";
}

const char *fb_reason_name(uint32_t reason)
{
	static const char *const n[] = { "none", "first", "update", "crash",
					 "unclean" };

	return reason < 5 ? n[reason] : "unknown";
}

const char *fb_type_name(uint32_t type)
{
	static const char *const n[] = { "none", "boot", "guest", "blob" };

	return type < 4 ? n[type] : "unknown";
}

int fb_type_parse(const char *s)
{
	if (!strcmp(s, "boot"))
		return FASTBOOT_OBJ_BOOT;
	if (!strcmp(s, "blob"))
		return FASTBOOT_OBJ_BLOB;
	return -1;
}

void fb_human_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "BKMGT";
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f %ciB", v, units[u]);
}

/* Milliseconds on clock clk (CLOCK_MONOTONIC for durations). */
uint64_t fb_now_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The value of KEY=VALUE on the running kernel's command line into out
 * (empty when the word is absent); -1 when /proc/cmdline cannot be read.
 */
int fb_cmdline_arg(const char *key, char *out, size_t len)
{
	char line[4096], *w, *save = NULL;
	size_t klen = strlen(key);
	FILE *f = fopen("/proc/cmdline", "r");
	int ret = -1;

	out[0] = 0;
	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f)) {
		ret = 0;
		for (w = strtok_r(line, " \t\n", &save); w;
		     w = strtok_r(NULL, " \t\n", &save))
			if (!strncmp(w, key, klen) && w[klen] == '=')
				snprintf(out, len, "%s", w + klen + 1);
	}
	fclose(f);
	return ret;
}

/*
 * The value of KEY in a shell-style KEY=VALUE file; one level of single
 * or double quotes is removed.  Returns 1 when found, 0 when not, -1
 * (errno set) when the file cannot be read; ENOENT is "not found".
 */
int fb_config_get(const char *path, const char *key, char *val, size_t len)
{
	char line[1024];
	size_t klen = strlen(key);
	int found = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *e;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!strncmp(p, "export ", 7))
			p += 7;
		if (strncmp(p, key, klen) || p[klen] != '=')
			continue;
		p += klen + 1;
		e = p + strcspn(p, "\n");
		*e = 0;
		if ((*p == '"' || *p == '\'') && (e = strchr(p + 1, *p))) {
			*e = 0;
			p++;
		} else {
			/* unquoted: up to blanks or a comment */
			p[strcspn(p, " \t#")] = 0;
		}
		snprintf(val, len, "%s", p);
		found = 1;	/* the last assignment wins, as in sh */
	}
	fclose(f);
	return found;
}

/*
 * One line in the system log (journald shows "fastboot[PID]: ...") for a
 * change a command made, or a failure after it changed or loaded
 * something.  Never fails the command: without /dev/log, nothing.
 */
void fb_log_event(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	openlog("fastboot", LOG_PID, LOG_DAEMON);
	va_start(ap, fmt);
	vsyslog(LOG_INFO, fmt, ap);
	va_end(ap);
	closelog();
	errno = saved;
}

/* The system log's line for a command that failed after changing something. */
void fb_log_failed(const char *cmd)
{
	const char *what, *why;

	if (fb_first_error(&what, &why))
		fb_log_event("%s failed", cmd);
	else
		fb_log_event("%s failed: %s: %s", cmd, what, why);
}
