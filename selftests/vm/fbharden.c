// SPDX-License-Identifier: GPL-2.0
/*
 * fbharden: reproduce the module's hardening findings (selftests only).
 *
 *   fbharden as UID PROG [ARGS...]
 *       run PROG as UID (gid UID, no supplementary groups); busybox's
 *       setpriv cannot change uids
 *   fbharden readdir-seek DIR POS
 *       lseek(DIR, POS) then getdents64: prints "N entries" and the names
 *   fbharden blocked OP ARG [FILE] [hold]
 *       park OP inside a page fault that userfaultfd holds, then check
 *       that the store still answers: STATUS, a lookup of FILE and, with
 *       FILE, mmap() of FILE from this process (the mmap_lock path).  OP:
 *       getdents DIR | read NAME | put NAME | crash - | write GUESTFILE.
 *       The fault is then resolved and OP must complete.  With "hold" the
 *       fault is never resolved: the program prints "holding" and waits
 *       to be killed (a reboot test).
 *   fbharden opath FILE SECONDS
 *       hold an O_PATH descriptor of FILE (pins its dentry)
 *   fbharden killcreate NAME SIZE
 *       time a guest create of SIZE bytes, then start it again and
 *       SIGKILL it a third of the way in: the region must not exist
 *   fbharden set-next NAME
 *       FASTBOOT_IOC_NEXT: the next kexec boots image NAME, as fastboot
 *       update says after loading one (tests the record on any kernel)
 *   fbharden killwrite GUESTFILE
 *       time a write() of the whole file, then write another pattern and
 *       SIGKILL the writer a third of the way in: the write must stop
 *       early (the last page keeps the first pattern)
 *
 * Exit status: 0 pass, 1 fail, 4 skip (with the reason on stdout).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <time.h>
#include <unistd.h>
#include "uapi/fastboot.h"

#define PROBE_SECONDS 30	/* a probe that needs longer is stuck */
#define SKIP 4

static long page;

static void die(const char *what)
{
	printf("fbharden: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int dev(void)
{
	int fd = open("/dev/fastboot", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("/dev/fastboot");
	return fd;
}

/* ---- readdir-seek ---- */

static int readdir_seek(const char *dir, const char *pos)
{
	char buf[4096];
	long n, off, count = 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	if (fd < 0)
		die(dir);
	if (lseek(fd, strtoll(pos, NULL, 0), SEEK_SET) < 0)
		die("lseek");
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			printf("%s %llu\n", d->d_name, (unsigned long long)d->d_ino);
			off += d->d_reclen;
			count++;
		}
	}
	if (n < 0)
		die("getdents64");
	printf("%ld entries\n", count);
	return 0;
}

/* ---- blocked ---- */

struct op {
	const char *name, *arg;
	char *buf;		/* starts two pages under userfaultfd */
	long ret;
	int err;
	int done;
};

static void *run_op(void *p)
{
	struct op *op = p;
	long ret = -1;

	if (!strcmp(op->name, "getdents")) {
		int fd = open(op->arg, O_RDONLY | O_DIRECTORY);

		/*
		 * "." and ".." (24 bytes each) land in the resident page
		 * before the buffer: the first object's entry faults, where
		 * the module walks its table.
		 */
		ret = fd < 0 ? -1 : syscall(SYS_getdents64, fd, op->buf - 48,
					    page);
	} else if (!strcmp(op->name, "read")) {
		struct fastboot_read r = { .size = sizeof(r) };

		snprintf(r.name, sizeof(r.name), "%s", op->arg);
		r.buf = (uintptr_t)op->buf;
		r.len = page;
		ret = ioctl(dev(), FASTBOOT_IOC_READ, &r);
	} else if (!strcmp(op->name, "put")) {
		struct fastboot_put pt = { .size = sizeof(pt),
					   .type = FASTBOOT_OBJ_BLOB };

		snprintf(pt.name, sizeof(pt.name), "%s", op->arg);
		pt.data = (uintptr_t)op->buf;
		pt.len = 2 * page;
		ret = ioctl(dev(), FASTBOOT_IOC_PUT, &pt);
	} else if (!strcmp(op->name, "crash")) {
		struct fastboot_crash c = { .size = sizeof(c) };

		c.log = (uintptr_t)op->buf;
		c.log_size = page;
		ret = ioctl(dev(), FASTBOOT_IOC_CRASH, &c);
	} else if (!strcmp(op->name, "write")) {
		int fd = open(op->arg, O_RDWR);

		ret = fd < 0 ? -1 : write(fd, op->buf, 2 * page);
	}
	op->err = errno;
	op->ret = ret;
	__atomic_store_n(&op->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

struct probe {
	const char *file;
	const char *what;
	int ok;
	int done;
};

static void *run_probe(void *p)
{
	struct probe *pr = p;
	struct fastboot_status s = { .size = sizeof(s) };
	struct stat sb;

	if (!strcmp(pr->what, "status")) {
		pr->ok = ioctl(dev(), FASTBOOT_IOC_STATUS, &s) == 0;
	} else if (!strcmp(pr->what, "lookup")) {
		pr->ok = stat(pr->file, &sb) == 0;
	} else {		/* mmap */
		int fd = open(pr->file, O_RDONLY);
		void *m = fd < 0 ? MAP_FAILED :
			  mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);

		pr->ok = m != MAP_FAILED;
		if (pr->ok)
			munmap(m, page);
		if (fd >= 0)
			close(fd);
	}
	__atomic_store_n(&pr->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Wait up to secs for *flag; 1 if it was set. */
static int wait_flag(int *flag, int secs)
{
	double end = now() + secs;

	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
		if (now() > end)
			return 0;
		usleep(10000);
	}
	return 1;
}

static int probe(const char *what, const char *file)
{
	struct probe *pr = calloc(1, sizeof(*pr));	/* leaked if stuck */
	pthread_t t;

	pr->what = what;
	pr->file = file;
	pthread_create(&t, NULL, run_probe, pr);
	if (!wait_flag(&pr->done, PROBE_SECONDS)) {
		printf("not answered in %d s: %s%s%s (the operation holds a lock across the fault)\n",
		       PROBE_SECONDS, what, file ? " " : "", file ? file : "");
		return 0;
	}
	pthread_join(t, NULL);
	printf("answered while the operation waits on a fault: %s%s%s (%s)\n",
	       what, file ? " " : "", file ? file : "", pr->ok ? "ok" : "error");
	return pr->ok;
}

/* Wait for the next page fault on uffd: 1 if one came within secs. */
static int next_fault(int uffd, int secs, struct uffd_msg *msg)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };

	if (poll(&pfd, 1, secs * 1000) != 1)
		return 0;
	if (read(uffd, msg, sizeof(*msg)) != sizeof(*msg))
		die("read userfaultfd");
	return msg->event == UFFD_EVENT_PAGEFAULT;
}

static int blocked(const char *name, const char *arg, const char *file,
		   int hold)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct op op = { .name = name, .arg = arg };
	struct uffd_msg msg;
	pthread_t t;
	int uffd, ok = 1;

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		die("userfaultfd");
	op.buf = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (op.buf == MAP_FAILED)
		die("mmap");
	memset(op.buf, 0, page);	/* resident; the next two are not */
	op.buf += page;
	reg.range.start = (uintptr_t)op.buf;
	reg.range.len = 2 * page;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER");
	pthread_create(&t, NULL, run_op, &op);
	if (!next_fault(uffd, PROBE_SECONDS, &msg)) {
		errno = op.err;
		printf("%s %s did not fault on the buffer (returned %ld: %s)\n",
		       name, arg, op.ret, strerror(op.err));
		return SKIP;
	}
	printf("%s %s waits on a fault\n", name, arg);
	if (hold) {
		printf("holding\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	ok &= probe("status", NULL);
	if (file) {
		ok &= probe("lookup", file);
		ok &= probe("mmap", file);
	}
	if (!ok)
		return 1;	/* leave it stuck: resolving would deadlock */
	/* Resolve every fault until the operation returns. */
	for (;;) {
		struct uffdio_zeropage z = { .mode = 0 };

		z.range.start = msg.arg.pagefault.address & ~(page - 1);
		z.range.len = page;
		if (ioctl(uffd, UFFDIO_ZEROPAGE, &z) && errno != EEXIST)
			die("UFFDIO_ZEROPAGE");
		while (!__atomic_load_n(&op.done, __ATOMIC_ACQUIRE) &&
		       !next_fault(uffd, 1, &msg))
			;
		if (__atomic_load_n(&op.done, __ATOMIC_ACQUIRE))
			break;
	}
	pthread_join(t, NULL);
	printf("%s %s completed: %ld%s%s\n", name, arg, op.ret,
	       op.ret < 0 ? " " : "", op.ret < 0 ? strerror(op.err) : "");
	return op.ret < 0;
}

/* ---- opath ---- */

static int opath(const char *file, const char *secs)
{
	if (open(file, O_PATH) < 0)
		die(file);
	sleep(atoi(secs));
	return 0;
}

/* ---- killcreate, killwrite ---- */

static int guest_create(const char *name, uint64_t bytes)
{
	struct fastboot_guest g = { .size = sizeof(g), .mode = 0600,
				    .bytes = bytes };

	snprintf(g.name, sizeof(g.name), "%s", name);
	return ioctl(dev(), FASTBOOT_IOC_GUEST, &g);
}

static int exists(const char *name)
{
	struct fastboot_info in = { .size = sizeof(in),
				    .flags = FASTBOOT_INFO_BY_NAME };

	snprintf(in.name, sizeof(in.name), "%s", name);
	return ioctl(dev(), FASTBOOT_IOC_INFO, &in) == 0;
}

static void rm(const char *name)
{
	struct fastboot_rm r = { .size = sizeof(r) };

	snprintf(r.name, sizeof(r.name), "%s", name);
	if (ioctl(dev(), FASTBOOT_IOC_RM, &r))
		die("rm");
}

/* Run fn(arg) in a child; with kill_after > 0 SIGKILL it then.  Seconds. */
static double timed_child(int (*fn)(void *), void *arg, double kill_after)
{
	double t0 = now();
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (!pid)
		_exit(fn(arg) ? 1 : 0);
	if (kill_after > 0) {
		struct timespec ts = { .tv_sec = (time_t)kill_after,
				       .tv_nsec = (long)((kill_after - (time_t)kill_after) * 1e9) };

		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	if (kill_after <= 0 && (!WIFEXITED(status) || WEXITSTATUS(status)))
		die("child failed");
	return now() - t0;
}

struct create_arg {
	const char *name;
	uint64_t bytes;
};

static int do_create(void *p)
{
	struct create_arg *a = p;

	return guest_create(a->name, a->bytes);
}

static int killcreate(const char *name, const char *size)
{
	struct create_arg a = { .name = name, .bytes = strtoull(size, NULL, 0) };
	double t, k;

	t = timed_child(do_create, &a, 0);
	rm(name);
	printf("guest create of %llu bytes takes %.3f s\n",
	       (unsigned long long)a.bytes, t);
	if (t < 0.15) {
		printf("too fast to interrupt reliably\n");
		return SKIP;
	}
	k = timed_child(do_create, &a, t / 3);
	printf("killed after %.3f s; reaped after %.3f s\n", t / 3, k);
	if (exists(name)) {
		printf("the killed create still made the region: zeroing ran to the end\n");
		rm(name);
		return 1;
	}
	printf("the killed create made nothing\n");
	return 0;
}

struct write_arg {
	const char *file;
	char *buf;
	size_t len;
};

static int do_write(void *p)
{
	struct write_arg *a = p;
	int fd = open(a->file, O_WRONLY);

	return fd < 0 || write(fd, a->buf, a->len) != (ssize_t)a->len;
}

static int last_byte(const char *file, off_t size)
{
	unsigned char c = 0;
	int fd = open(file, O_RDONLY);

	if (fd < 0 || pread(fd, &c, 1, size - 1) != 1)
		die(file);
	close(fd);
	return c;
}

static int killwrite(const char *file)
{
	struct write_arg a = { .file = file };
	struct stat sb;
	double t;

	if (stat(file, &sb))
		die(file);
	a.len = sb.st_size;
	a.buf = malloc(a.len);
	if (!a.buf)
		die("malloc");
	memset(a.buf, 0x11, a.len);
	t = timed_child(do_write, &a, 0);
	printf("write() of %zu bytes takes %.3f s\n", a.len, t);
	if (t < 0.15) {
		printf("too fast to interrupt reliably\n");
		return SKIP;
	}
	memset(a.buf, 0x22, a.len);
	timed_child(do_write, &a, t / 3);
	printf("killed after %.3f s\n", t / 3);
	if (last_byte(file, a.len) == 0x22) {
		printf("the killed write() ran to the end\n");
		return 1;
	}
	printf("the killed write() stopped early\n");
	return 0;
}

static int set_next(const char *name)
{
	struct fastboot_next n = { .size = sizeof(n) };

	snprintf(n.image, sizeof(n.image), "%s", name);
	if (ioctl(dev(), FASTBOOT_IOC_NEXT, &n))
		die("FASTBOOT_IOC_NEXT");
	return 0;
}

static int as(const char *uid, char **argv)
{
	uid_t u = strtoul(uid, NULL, 10);

	if (setgroups(0, NULL) || setgid(u) || setuid(u))
		die("dropping privileges");
	execvp(argv[0], argv);
	die(argv[0]);
	return 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	page = sysconf(_SC_PAGESIZE);
	if (argc >= 4 && !strcmp(argv[1], "as"))
		return as(argv[2], argv + 3);
	if (argc == 4 && !strcmp(argv[1], "readdir-seek"))
		return readdir_seek(argv[2], argv[3]);
	if (argc >= 4 && argc <= 6 && !strcmp(argv[1], "blocked"))
		return blocked(argv[2], argv[3], argc > 4 ? argv[4] : NULL,
			       argc > 5 && !strcmp(argv[5], "hold"));
	if (argc == 4 && !strcmp(argv[1], "opath"))
		return opath(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "killcreate"))
		return killcreate(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "set-next"))
		return set_next(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "killwrite"))
		return killwrite(argv[2]);
	fprintf(stderr, "usage: see the comment at the top of fbharden.c\n");
	return 2;
}
