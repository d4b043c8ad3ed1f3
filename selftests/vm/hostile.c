// SPDX-License-Identifier: GPL-2.0
/*
 * fb-hostile: hostile ioctls against /dev/fastboot, run as root inside the
 * test-bed VM (scenario reliability.sh) with the module loaded over a
 * ready store.  Built with gcc -static and installed in the initramfs as
 * /usr/bin/fb-hostile.
 *
 * Each call is made with a malformed argument and must fail with the exact
 * errno the module documents; calls that would change the store must leave
 * it unchanged (same generation, same objects, and a reference object that
 * still reads back identical).  Prints KTAP, one line per check, and
 * "# fb-hostile: N passed, N failed" last; exits 1 on any failure.
 *
 * `fb-hostile json` instead checks that stdin is one valid JSON value
 * (RFC 8259, strings in valid UTF-8; the VM has no other JSON parser):
 * exit 0 if so, else 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "uapi/fastboot.h"

#define REF_NAME	"hostile-ref"
#define REF_BYTES	10000u
#define NOBODY		65534

static int fd = -1;
/* Counters shared with the unprivileged child (MAP_SHARED). */
static int *counters;
#define n_test counters[0]
#define n_fail counters[1]
static uint8_t *page_gone;	/* an unmapped page */
static uint8_t *page_edge;	/* a mapped page followed by page_gone */
static uint8_t ref[REF_BYTES];

static void result(int ok, const char *fmt, ...)
{
	va_list ap;

	n_test++;
	if (!ok)
		n_fail++;
	printf("%sok %d ", ok ? "" : "not ", n_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static const char *errname(int e)
{
	switch (e) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case E2BIG: return "E2BIG";
	case EFAULT: return "EFAULT";
	case EPERM: return "EPERM";
	case ENOTTY: return "ENOTTY";
	case ENOENT: return "ENOENT";
	case ENOSPC: return "ENOSPC";
	case EOVERFLOW: return "EOVERFLOW";
	case EEXIST: return "EEXIST";
	case EACCES: return "EACCES";
	case EROFS: return "EROFS";
	case EUCLEAN: return "EUCLEAN";
	case ENODEV: return "ENODEV";
	default: return strerror(e);
	}
}

/* Status and generation, for "nothing changed". */
static int get_status(struct fastboot_status *s)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	return ioctl(fd, FASTBOOT_IOC_STATUS, s);
}

static uint64_t generation(void)
{
	struct fastboot_status s;

	if (get_status(&s))
		return UINT64_MAX;
	return s.generation;
}

/* Call ioctl(fd, cmd, arg) and expect errno want (0: success). */
static int expect(const char *desc, unsigned long cmd, void *arg, int want)
{
	uint64_t g0 = generation();
	int ret, err;

	errno = 0;
	ret = ioctl(fd, cmd, arg);
	err = ret ? errno : 0;
	if (want) {
		uint64_t g1 = generation();

		result(ret == -1 && err == want && g0 == g1,
		       "%s: %s", desc, errname(want));
		if (err != want)
			diag("got ret %d, %s", ret, errname(err));
		if (g0 != g1)
			diag("generation changed: %llu -> %llu",
			     (unsigned long long)g0, (unsigned long long)g1);
	} else {
		result(ret == 0, "%s: succeeds", desc);
		if (ret)
			diag("got %s", errname(err));
	}
	return ret ? err : 0;
}

static void set_name(char *dst, const char *name)
{
	memset(dst, 0, FASTBOOT_NAME_MAX);
	memcpy(dst, name, strlen(name));
}

static void put_init(struct fastboot_put *p, const char *name,
		     const void *data, uint64_t len)
{
	memset(p, 0, sizeof(*p));
	p->size = sizeof(*p);
	p->type = FASTBOOT_OBJ_BLOB;
	set_name(p->name, name);
	p->data = (uintptr_t)data;
	p->len = len;
}

static void read_init(struct fastboot_read *r, const char *name, void *buf,
		      uint64_t len)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	set_name(r->name, name);
	r->buf = (uintptr_t)buf;
	r->len = len;
}

static int object_exists(const char *name)
{
	struct fastboot_info in;

	memset(&in, 0, sizeof(in));
	in.size = sizeof(in);
	in.flags = FASTBOOT_INFO_BY_NAME;
	set_name(in.name, name);
	return ioctl(fd, FASTBOOT_IOC_INFO, &in) == 0;
}

/* The reference object reads back identical. */
static int ref_intact(void)
{
	static uint8_t buf[REF_BYTES + 100];
	struct fastboot_read r;

	read_init(&r, REF_NAME, buf, sizeof(buf));
	if (ioctl(fd, FASTBOOT_IOC_READ, &r) || r.bytes != REF_BYTES)
		return 0;
	return !memcmp(buf, ref, REF_BYTES);
}

static void setup(void)
{
	struct fastboot_put p;
	unsigned int i;

	page_edge = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page_edge == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	page_gone = page_edge + 4096;
	munmap(page_gone, 4096);
	for (i = 0; i < REF_BYTES; i++)
		ref[i] = (uint8_t)(i * 7 + 3);
	put_init(&p, REF_NAME, ref, REF_BYTES);
	expect("setup: put the reference object", FASTBOOT_IOC_PUT, &p, 0);
}

static void test_struct_sizes(void)
{
	struct { struct fastboot_status s; uint8_t tail[64]; } big;
	struct fastboot_status s;
	struct fastboot_rm rm;
	uint32_t sz;
	uint8_t *edge;

	memset(&s, 0, sizeof(s));
	s.size = 4;
	expect("STATUS with a 4-byte struct", FASTBOOT_IOC_STATUS, &s, EINVAL);
	s.size = FASTBOOT_STATUS_SIZE_VER0 - 1;
	expect("STATUS one byte shorter than VER0", FASTBOOT_IOC_STATUS, &s, EINVAL);
	s.size = 0;
	expect("STATUS with size 0", FASTBOOT_IOC_STATUS, &s, EINVAL);
	memset(&rm, 0, sizeof(rm));
	rm.size = FASTBOOT_RM_SIZE_VER0 - 8;
	set_name(rm.name, REF_NAME);
	expect("RM with a short struct", FASTBOOT_IOC_RM, &rm, EINVAL);

	memset(&big, 0, sizeof(big));
	big.s.size = sizeof(big);
	expect("STATUS with a zero unknown tail", FASTBOOT_IOC_STATUS, &big, 0);
	result(big.s.size == sizeof(struct fastboot_status),
	       "STATUS copies back the kernel's size (%u)", big.s.size);
	memset(&big, 0, sizeof(big));
	big.s.size = sizeof(big);
	big.tail[63] = 1;
	expect("STATUS with a non-zero unknown tail", FASTBOOT_IOC_STATUS, &big, E2BIG);
	memset(&rm, 0, sizeof(rm));
	{
		struct { struct fastboot_rm r; uint8_t tail[8]; } rmt;

		memset(&rmt, 0, sizeof(rmt));
		rmt.r.size = sizeof(rmt);
		set_name(rmt.r.name, REF_NAME);
		rmt.tail[0] = 0x80;
		expect("RM with a non-zero unknown tail", FASTBOOT_IOC_RM, &rmt, E2BIG);
	}

	/* Sizes above a page: refused before anything is read. */
	sz = 4097;
	expect("STATUS with size 4097", FASTBOOT_IOC_STATUS, &sz, E2BIG);
	sz = 0xffffffffu;
	expect("STATUS with size 0xffffffff", FASTBOOT_IOC_STATUS, &sz, E2BIG);
	sz = 0x80000000u;
	expect("PUT with size 2^31", FASTBOOT_IOC_PUT, &sz, E2BIG);

	/* A size that claims more than is mapped. */
	edge = page_gone - 8;
	memset(edge, 0, 8);
	*(uint32_t *)edge = sizeof(struct fastboot_status);
	expect("STATUS struct running into an unmapped page", FASTBOOT_IOC_STATUS,
	       edge, EFAULT);
	edge = page_gone - FASTBOOT_STATUS_SIZE_VER0;
	memset(edge, 0, FASTBOOT_STATUS_SIZE_VER0);
	*(uint32_t *)edge = 4096;
	expect("STATUS size 4096 with the tail unmapped", FASTBOOT_IOC_STATUS,
	       edge, EFAULT);
}

static void test_bad_pointers(void)
{
	static uint8_t buf[REF_BYTES];
	struct fastboot_put p;
	struct fastboot_read r;

	expect("STATUS with a NULL struct", FASTBOOT_IOC_STATUS, NULL, EFAULT);
	expect("STATUS with an unmapped struct", FASTBOOT_IOC_STATUS, page_gone,
	       EFAULT);
	expect("PUT with a NULL struct", FASTBOOT_IOC_PUT, NULL, EFAULT);
	expect("READ with an unmapped struct", FASTBOOT_IOC_READ, page_gone, EFAULT);
	expect("INFO with a kernel address", FASTBOOT_IOC_INFO,
	       (void *)0xffffffff81000000ul, EFAULT);
	expect("RM with a NULL struct", FASTBOOT_IOC_RM, NULL, EFAULT);
	expect("FORMAT with a NULL struct", FASTBOOT_IOC_FORMAT, NULL, EFAULT);
	expect("LOG with an unmapped struct", FASTBOOT_IOC_LOG, page_gone, EFAULT);

	put_init(&p, "hostile-x", page_gone, 4096);
	expect("PUT with unmapped data", FASTBOOT_IOC_PUT, &p, EFAULT);
	put_init(&p, "hostile-x", page_edge, 3 * 4096);
	expect("PUT with data running into an unmapped page", FASTBOOT_IOC_PUT,
	       &p, EFAULT);
	put_init(&p, "hostile-x", (void *)0xffff888000000000ul, 4096);
	expect("PUT with data at a kernel address", FASTBOOT_IOC_PUT, &p, EFAULT);
	put_init(&p, REF_NAME, page_gone, 100);
	expect("PUT replacing an object with unmapped data", FASTBOOT_IOC_PUT,
	       &p, EFAULT);
	result(!object_exists("hostile-x"), "no object left by failed PUTs");
	result(ref_intact(), "a failed replace keeps the old object");

	read_init(&r, REF_NAME, page_gone, 100);
	expect("READ into an unmapped buffer", FASTBOOT_IOC_READ, &r, EFAULT);
	read_init(&r, REF_NAME, page_edge + 4000, 1000);
	expect("READ running into an unmapped page", FASTBOOT_IOC_READ, &r, EFAULT);
	read_init(&r, REF_NAME, (void *)0xffff888000000000ul, 100);
	expect("READ into a kernel address", FASTBOOT_IOC_READ, &r, EFAULT);
	read_init(&r, REF_NAME, buf, 0);
	expect("READ of 0 bytes", FASTBOOT_IOC_READ, &r, 0);
	result(r.bytes == 0, "READ of 0 bytes copies 0 bytes");
}

static void test_names(void)
{
	static const struct { const char *what; const char *name; } bad[] = {
		{ "an empty name", "" },
		{ "a name with '/'", "a/b" },
		{ "a name that is only '/'", "/" },
		{ "the name \".\"", "." },
		{ "the name \"..\"", ".." },
		{ "a name with a newline", "a\nb" },
		{ "a name with ESC", "\x1b[2J" },
		{ "a name with DEL", "a\x7f" },
		{ "a name with a high byte", "caf\xc3\xa9" },
	};
	struct fastboot_put p;
	struct fastboot_read r;
	struct fastboot_rm rm;
	struct fastboot_info in;
	unsigned int i;
	char what[128];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_init(&p, bad[i].name, ref, 10);
		snprintf(what, sizeof(what), "PUT with %s", bad[i].what);
		expect(what, FASTBOOT_IOC_PUT, &p, EINVAL);
	}
	put_init(&p, "x", ref, 10);
	memset(p.name, 'n', sizeof(p.name));
	expect("PUT with 64 name bytes and no NUL", FASTBOOT_IOC_PUT, &p, EINVAL);
	put_init(&p, "ok", ref, 10);
	p.name[10] = 'x';
	expect("PUT with garbage after the name's NUL", FASTBOOT_IOC_PUT, &p, EINVAL);

	read_init(&r, "x", ref, 10);
	memset(r.name, 'n', sizeof(r.name));
	expect("READ with 64 name bytes and no NUL", FASTBOOT_IOC_READ, &r, EINVAL);
	read_init(&r, "..", ref, 10);
	expect("READ of \"..\"", FASTBOOT_IOC_READ, &r, EINVAL);
	read_init(&r, "../etc/passwd", ref, 10);
	expect("READ of a path", FASTBOOT_IOC_READ, &r, EINVAL);

	memset(&rm, 0, sizeof(rm));
	rm.size = sizeof(rm);
	memset(rm.name, 'n', sizeof(rm.name));
	expect("RM with 64 name bytes and no NUL", FASTBOOT_IOC_RM, &rm, EINVAL);
	set_name(rm.name, ".");
	expect("RM of \".\"", FASTBOOT_IOC_RM, &rm, EINVAL);

	memset(&in, 0, sizeof(in));
	in.size = sizeof(in);
	in.flags = FASTBOOT_INFO_BY_NAME;
	memset(in.name, 'n', sizeof(in.name));
	expect("INFO by a name without NUL", FASTBOOT_IOC_INFO, &in, EINVAL);
	set_name(in.name, "a/b");
	expect("INFO by a name with '/'", FASTBOOT_IOC_INFO, &in, EINVAL);

	/* 63 bytes is the longest valid name. */
	put_init(&p, "x", ref, 10);
	memset(p.name, 'L', 63);
	expect("PUT with a 63-byte name", FASTBOOT_IOC_PUT, &p, 0);
	memset(&rm, 0, sizeof(rm));
	rm.size = sizeof(rm);
	memset(rm.name, 'L', 63);
	expect("RM of the 63-byte name", FASTBOOT_IOC_RM, &rm, 0);
}

static void test_ranges(void)
{
	static uint8_t buf[REF_BYTES + 4096];
	struct fastboot_status s;
	struct fastboot_put p;
	struct fastboot_read r;
	struct fastboot_info in;
	struct fastboot_rm rm;
	struct fastboot_format f;

	put_init(&p, "hostile-x", (void *)0xfffffffffffff000ul, 0x2000);
	expect("PUT with data + len wrapping", FASTBOOT_IOC_PUT, &p, EOVERFLOW);
	put_init(&p, "hostile-x", ref, UINT64_MAX);
	expect("PUT with len 2^64-1", FASTBOOT_IOC_PUT, &p, EOVERFLOW);
	put_init(&p, "hostile-x", NULL, UINT64_MAX);
	expect("PUT with data NULL and len 2^64-1", FASTBOOT_IOC_PUT, &p, ENOSPC);
	put_init(&p, "hostile-x", ref, 1ull << 40);
	expect("PUT with len 1 TiB", FASTBOOT_IOC_PUT, &p, ENOSPC);
	if (!get_status(&s)) {
		put_init(&p, "hostile-x", ref, s.free_bytes + 1);
		expect("PUT one byte larger than the free space", FASTBOOT_IOC_PUT,
		       &p, ENOSPC);
		put_init(&p, "hostile-x", ref, s.capacity_bytes + 1);
		expect("PUT one byte larger than the capacity", FASTBOOT_IOC_PUT,
		       &p, ENOSPC);
	}
	put_init(&p, "hostile-x", ref, 1ull << 30);
	expect("PUT 1 GiB from a 10 kB buffer", FASTBOOT_IOC_PUT, &p, ENOSPC);
	put_init(&p, "hostile-x", page_edge, 16u << 20);
	expect("PUT 16 MiB from a 4 KiB mapping", FASTBOOT_IOC_PUT, &p, EFAULT);
	result(!object_exists("hostile-x"), "no object left by failed PUTs");

	put_init(&p, "hostile-x", ref, 10);
	p.type = 0;
	expect("PUT of type 0", FASTBOOT_IOC_PUT, &p, EINVAL);
	p.type = FASTBOOT_OBJ_GUEST;
	expect("PUT of type guest", FASTBOOT_IOC_PUT, &p, EINVAL);
	p.type = 0xffffffffu;
	expect("PUT of type 0xffffffff", FASTBOOT_IOC_PUT, &p, EINVAL);
	p.type = FASTBOOT_OBJ_BLOB;
	p.flags = 0x80000000u;
	expect("PUT with an unknown flag", FASTBOOT_IOC_PUT, &p, EINVAL);
	p.flags = 0;
	p.reserved = 1;
	expect("PUT with reserved set", FASTBOOT_IOC_PUT, &p, EINVAL);
	put_init(&p, REF_NAME, ref, 10);
	p.flags = FASTBOOT_PUT_NOREPLACE;
	expect("PUT NOREPLACE over an existing object", FASTBOOT_IOC_PUT, &p, EEXIST);

	read_init(&r, REF_NAME, buf, 100);
	r.offset = UINT64_MAX - 10;
	expect("READ at offset 2^64-11", FASTBOOT_IOC_READ, &r, 0);
	result(r.bytes == 0, "READ at offset 2^64-11 copies 0 bytes (%llu)",
	       (unsigned long long)r.bytes);
	read_init(&r, REF_NAME, buf, 100);
	r.offset = REF_BYTES;
	expect("READ at the end of the object", FASTBOOT_IOC_READ, &r, 0);
	result(r.bytes == 0, "READ at the end copies 0 bytes");
	read_init(&r, REF_NAME, buf, UINT64_MAX - (uintptr_t)buf);
	expect("READ with the largest non-wrapping len", FASTBOOT_IOC_READ, &r, 0);
	result(r.bytes == REF_BYTES && !memcmp(buf, ref, REF_BYTES),
	       "READ with a huge len copies exactly the object");
	read_init(&r, REF_NAME, buf, UINT64_MAX);
	expect("READ with buf + len wrapping", FASTBOOT_IOC_READ, &r, EOVERFLOW);
	read_init(&r, REF_NAME, buf, 100);
	r.offset = REF_BYTES - 10;
	expect("READ across the end", FASTBOOT_IOC_READ, &r, 0);
	result(r.bytes == 10 && !memcmp(buf, ref + REF_BYTES - 10, 10),
	       "READ across the end copies the last 10 bytes");
	read_init(&r, REF_NAME, buf, 100);
	r.flags = 1;
	expect("READ with an unknown flag", FASTBOOT_IOC_READ, &r, EINVAL);
	read_init(&r, "hostile-missing", buf, 100);
	expect("READ of a missing object", FASTBOOT_IOC_READ, &r, ENOENT);

	memset(&in, 0, sizeof(in));
	in.size = sizeof(in);
	in.index = 0xffffffffu;
	expect("INFO at index 0xffffffff", FASTBOOT_IOC_INFO, &in, ENOENT);
	in.index = 0x80000000u;
	expect("INFO at index 0x80000000", FASTBOOT_IOC_INFO, &in, ENOENT);
	in.index = 384;
	expect("INFO at index 384 (the table size)", FASTBOOT_IOC_INFO, &in, ENOENT);
	in.index = 0;
	in.flags = 0x2;
	expect("INFO with an unknown flag", FASTBOOT_IOC_INFO, &in, EINVAL);

	memset(&rm, 0, sizeof(rm));
	rm.size = sizeof(rm);
	set_name(rm.name, REF_NAME);
	rm.flags = 1;
	expect("RM with an unknown flag", FASTBOOT_IOC_RM, &rm, EINVAL);
	rm.flags = 0;
	set_name(rm.name, "hostile-missing");
	expect("RM of a missing object", FASTBOOT_IOC_RM, &rm, ENOENT);

	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	f.flags = 0x4;	/* FORCE 0x1 and UPGRADE 0x2 are known */
	expect("FORMAT with an unknown flag", FASTBOOT_IOC_FORMAT, &f, EINVAL);
	f.flags = 0;
	expect("FORMAT over a ready store without FORCE", FASTBOOT_IOC_FORMAT, &f,
	       EEXIST);
}

static void test_unknown_ioctls(void)
{
	struct termios t;
	uint8_t arg[64];

	memset(arg, 0, sizeof(arg));
	*(uint32_t *)arg = sizeof(arg);
	expect("unknown fastboot ioctl nr 0x7f", _IOWR(FASTBOOT_IOC_MAGIC, 0x7f, arg),
	       arg, ENOTTY);
	expect("unknown fastboot ioctl nr 0xff", _IO(FASTBOOT_IOC_MAGIC, 0xff),
	       arg, ENOTTY);
	expect("ioctl of another magic", _IOR('x', 0, arg), arg, ENOTTY);
	expect("TCGETS", TCGETS, &t, ENOTTY);
	expect("ioctl cmd 0", 0, arg, ENOTTY);
}

/* As nobody, with the fd opened by root: reads of metadata only. */
static void unprivileged_child(void)
{
	struct fastboot_status s;
	struct fastboot_format f;
	struct fastboot_put p;
	struct fastboot_read r;
	struct fastboot_rm rm;
	struct fastboot_info in;
	uint8_t buf[100];
	int fd2;

	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY)) {
		result(0, "setuid(%d)", NOBODY);
		return;
	}
	result(getuid() == NOBODY && geteuid() == NOBODY, "running as uid %d",
	       NOBODY);
	errno = 0;
	fd2 = open(FASTBOOT_DEVICE, O_RDWR);
	result(fd2 < 0 && errno == EACCES, "nobody: open(%s) fails: EACCES",
	       FASTBOOT_DEVICE);
	if (fd2 >= 0)
		close(fd2);
	errno = 0;
	fd2 = open(FASTBOOT_DEVICE, O_RDONLY);
	result(fd2 < 0 && errno == EACCES, "nobody: open read-only fails: EACCES");
	if (fd2 >= 0)
		close(fd2);

	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	f.flags = FASTBOOT_FORMAT_FORCE;
	expect("nobody: FORMAT --force", FASTBOOT_IOC_FORMAT, &f, EPERM);
	put_init(&p, "nobody", buf, sizeof(buf));
	expect("nobody: PUT", FASTBOOT_IOC_PUT, &p, EPERM);
	put_init(&p, REF_NAME, buf, sizeof(buf));
	expect("nobody: PUT over an object", FASTBOOT_IOC_PUT, &p, EPERM);
	read_init(&r, REF_NAME, buf, sizeof(buf));
	expect("nobody: READ", FASTBOOT_IOC_READ, &r, EPERM);
	memset(&rm, 0, sizeof(rm));
	rm.size = sizeof(rm);
	set_name(rm.name, REF_NAME);
	expect("nobody: RM", FASTBOOT_IOC_RM, &rm, EPERM);
	expect("nobody: PUT with a NULL struct (EPERM first)", FASTBOOT_IOC_PUT,
	       NULL, EPERM);
	expect("nobody: unknown ioctl", _IO(FASTBOOT_IOC_MAGIC, 0x7f), NULL, ENOTTY);
	/* Metadata queries stay open to whoever holds the fd. */
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	expect("nobody: STATUS on root's fd", FASTBOOT_IOC_STATUS, &s, 0);
	memset(&in, 0, sizeof(in));
	in.size = sizeof(in);
	in.flags = FASTBOOT_INFO_BY_NAME;
	set_name(in.name, REF_NAME);
	expect("nobody: INFO on root's fd", FASTBOOT_IOC_INFO, &in, 0);
}

static void test_unprivileged(void)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		unprivileged_child();
		fflush(stdout);
		_exit(0);
	}
	if (pid < 0) {
		result(0, "fork");
		return;
	}
	waitpid(pid, &st, 0);
	/* The child counted its checks in the shared counters. */
	if (!WIFEXITED(st))
		result(0, "unprivileged child died (status %#x)", st);
}

/* ---- fb-hostile json: a strict recursive-descent JSON checker ---- */

static const char *jp;

static void jws(void)
{
	while (*jp == ' ' || *jp == '\t' || *jp == '\n' || *jp == '\r')
		jp++;
}

static int jvalue(int depth);

/*
 * The length of the valid UTF-8 sequence at p (RFC 3629: shortest form,
 * no surrogates, at most U+10FFFF), or 0.
 */
static int utf8_seq(const unsigned char *p)
{
	int n = p[0] < 0x80 ? 1 : p[0] < 0xc2 ? 0 : p[0] < 0xe0 ? 2 :
		p[0] < 0xf0 ? 3 : p[0] < 0xf5 ? 4 : 0;
	int i;

	if (n < 2)
		return n;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return n;
}

static int jstring(void)
{
	int n;

	if (*jp++ != '"')
		return 0;
	while (*jp != '"') {
		if ((unsigned char)*jp < 0x20)
			return 0;
		if ((unsigned char)*jp >= 0x80) {
			n = utf8_seq((const unsigned char *)jp);
			if (!n)
				return 0;
			jp += n;
			continue;
		}
		if (*jp == '\\') {
			jp++;
			if (*jp == 'u') {
				int i;

				for (i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", jp[i]) || !jp[i])
						return 0;
				jp += 4;
			} else if (!*jp || !strchr("\"\\/bfnrt", *jp)) {
				return 0;
			}
		}
		jp++;
	}
	jp++;
	return 1;
}

static int jnumber(void)
{
	const char *s = jp;

	if (*jp == '-')
		jp++;
	if (*jp == '0')
		jp++;
	else if (*jp >= '1' && *jp <= '9')
		while (*jp >= '0' && *jp <= '9')
			jp++;
	else
		return 0;
	if (*jp == '.') {
		jp++;
		if (!(*jp >= '0' && *jp <= '9'))
			return 0;
		while (*jp >= '0' && *jp <= '9')
			jp++;
	}
	if (*jp == 'e' || *jp == 'E') {
		jp++;
		if (*jp == '+' || *jp == '-')
			jp++;
		if (!(*jp >= '0' && *jp <= '9'))
			return 0;
		while (*jp >= '0' && *jp <= '9')
			jp++;
	}
	return jp > s;
}

static int jcontainer(int depth, char close)
{
	jp++;
	jws();
	if (*jp == close) {
		jp++;
		return 1;
	}
	for (;;) {
		jws();
		if (close == '}') {
			if (!jstring())
				return 0;
			jws();
			if (*jp++ != ':')
				return 0;
		}
		if (!jvalue(depth + 1))
			return 0;
		jws();
		if (*jp == close) {
			jp++;
			return 1;
		}
		if (*jp++ != ',')
			return 0;
	}
}

static int jvalue(int depth)
{
	if (depth > 64)
		return 0;
	jws();
	switch (*jp) {
	case '{': return jcontainer(depth, '}');
	case '[': return jcontainer(depth, ']');
	case '"': return jstring();
	case 't': return !strncmp(jp, "true", 4) && (jp += 4);
	case 'f': return !strncmp(jp, "false", 5) && (jp += 5);
	case 'n': return !strncmp(jp, "null", 4) && (jp += 4);
	default: return jnumber();
	}
}

static int json_main(void)
{
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf) - 1, stdin);

	if (n == sizeof(buf) - 1 || memchr(buf, 0, n)) {
		fprintf(stderr, "fb-hostile json: input too large or has NUL\n");
		return 1;
	}
	buf[n] = 0;
	jp = buf;
	if (!jvalue(0)) {
		fprintf(stderr, "fb-hostile json: invalid at byte %td\n", jp - buf);
		return 1;
	}
	jws();
	if (*jp) {
		fprintf(stderr, "fb-hostile json: trailing data at byte %td\n", jp - buf);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct fastboot_status s0, s1;

	if (argc == 2 && !strcmp(argv[1], "json"))
		return json_main();

	setvbuf(stdout, NULL, _IOLBF, 0);
	counters = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counters == MAP_FAILED) {
		printf("Bail out! mmap: %s\n", strerror(errno));
		return 1;
	}
	fd = open(FASTBOOT_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("Bail out! open %s: %s\n", FASTBOOT_DEVICE, strerror(errno));
		return 1;
	}
	if (get_status(&s0) || s0.state != FASTBOOT_STATE_READY) {
		printf("Bail out! the store is not ready\n");
		return 1;
	}
	setup();
	test_struct_sizes();
	test_bad_pointers();
	test_names();
	test_ranges();
	test_unknown_ioctls();
	test_unprivileged();

	result(ref_intact(), "the reference object reads back identical");
	if (!get_status(&s1)) {
		result(s1.objects == s0.objects + 1,
		       "object count: %u before, %u after (the reference object added)",
		       s0.objects, s1.objects);
		result(s1.state == FASTBOOT_STATE_READY && !(s1.flags & FASTBOOT_STATUS_READONLY),
		       "store still ready and writable");
	}
	{
		struct fastboot_rm rm;

		memset(&rm, 0, sizeof(rm));
		rm.size = sizeof(rm);
		set_name(rm.name, REF_NAME);
		expect("remove the reference object", FASTBOOT_IOC_RM, &rm, 0);
	}
	printf("# fb-hostile: %d passed, %d failed\n", n_test - n_fail, n_fail);
	return n_fail ? 1 : 0;
}
