// SPDX-License-Identifier: GPL-2.0
/*
 * fbgup: get_user_pages() users on a mapped guest memory file, as a VMM's
 * I/O paths use guest RAM (selftests only).  Raw syscalls, no liburing.
 *
 *   fbgup faults PATH MIB [unaligned]
 *       map the first MIB MiB MAP_SHARED (2 MiB aligned to the offset by
 *       the kernel, or deliberately 4 KiB off with "unaligned"), write one
 *       word per 4 KiB page, read it all back; print the minor faults
 *       taken (getrusage) and the time
 *   fbgup odirect PATH FILE
 *       O_DIRECT write of 4 MiB of the mapping to FILE (created if
 *       need be, e.g. on the virtio disk; a block device works too), O_DIRECT read of
 *       it back into another 4 MiB of the mapping; compare, and compare
 *       with FILE read into anonymous memory
 *   fbgup odread PATH FILE MIB
 *       (make bench) O_DIRECT read of the first MIB MiB of FILE, 4 MiB a
 *       call, into the first MIB MiB of the mapping and into anonymous
 *       memory (both touched first: the destination is resident guest
 *       RAM), in turn, twice each (ABBA); compare the two copies; print
 *       the better time of each: "odread guest_ms G anon_ms A mib MIB"
 *   fbgup create PATH MIB SEED [hold READY]
 *       what QEMU's memory-backend-file does with a mem-path that does
 *       not exist: open(O_RDWR) fails (ENOENT), open(O_RDWR | O_CREAT |
 *       O_EXCL, 0640) gives an empty file (mmap of it refused, no second
 *       open of the name), ftruncate to MIB MiB makes it a region; then
 *       another size is refused (EPERM), the name opens again (same
 *       inode), and SEED's pattern is written through a MAP_SHARED
 *       mapping taken with 2 MiB faults; with "hold": keep that
 *       descriptor and mapping, create READY, and exit at SIGTERM
 *   fbgup verify PATH MIB SEED
 *       the first MIB MiB of PATH hold SEED's pattern (read through a
 *       mapping)
 *   fbgup odirect-in PATH FILE SEED
 *       write a pattern to FILE (anonymous buffer), O_DIRECT read it into
 *       the first 4 MiB of the mapping, check it there
 *   fbgup vmsplice PATH [hold READY]
 *       vmsplice 1 MiB of the mapping into a pipe and read it back; with
 *       "hold": keep the pages in the pipe, unmap and close the file,
 *       create READY, and at SIGTERM check what the pipe holds and exit
 *   fbgup pvm PATH
 *       a child process has the mapping (inherited: shared mappings are
 *       refaulted in the child); process_vm_readv() reads 1 MiB of it
 *       through get_user_pages on the child's mm
 *   fbgup uring PATH FILE [hold READY]
 *       register 4 MiB of the mapping as an io_uring fixed buffer
 *       (a long-term pin) and READ_FIXED 1 MiB of FILE (buffered: tmpfs
 *       works) into it; with
 *       "hold": keep the buffer registered, unmap and close the file,
 *       create READY, and exit (closing the ring) at SIGTERM.  Exit 3
 *       with "refused: ERRNO" when registration is refused.
 * Exit status: 0 ok, 1 failure, 2 usage, 3 refused by the kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1UL << 20)
#define CHUNK (4 * MIB)

static uint64_t word(uint64_t seed, uint64_t i)
{
	uint64_t x = seed ^ (i * 0x9e3779b97f4a7c15ull);

	x ^= x >> 31;
	return x * 0xbf58476d1ce4e5b9ull;
}

static void fill(void *p, size_t len, uint64_t seed)
{
	uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = word(seed, i);
}

static int check(const void *p, size_t len, uint64_t seed, const char *what)
{
	const uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i] != word(seed, i)) {
			printf("%s: mismatch at byte %zu\n", what, i * 8);
			return 1;
		}
	return 0;
}

static int fail(const char *what)
{
	printf("%s: %s\n", what, strerror(errno));
	return 1;
}

static char *map_file(const char *path, size_t len, int *fdp)
{
	char *p;
	int fd = open(path, O_RDWR);

	if (fd < 0) {
		perror(path);
		exit(1);
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	if (fdp)
		*fdp = fd;
	else
		close(fd);
	return p;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static int faults(const char *path, size_t mib, int unaligned)
{
	size_t len = mib * MIB, i;
	long f0, f1;
	double t0, t1;
	char *p;
	int fd;

	if (!unaligned) {
		p = map_file(path, len, NULL);
	} else {
		/* 4 KiB past a 2 MiB boundary: no PMD can map it. */
		char *r = mmap(NULL, len + 4 * MIB, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		fd = open(path, O_RDWR);
		if (r == MAP_FAILED || fd < 0)
			return fail("reserve");
		r = (char *)(((uintptr_t)r + 2 * MIB - 1) & ~(2 * MIB - 1)) + 4096;
		p = mmap(r, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			 fd, 0);
		if (p == MAP_FAILED)
			return fail("mmap");
		close(fd);
	}
	f0 = minflt();
	t0 = now_ms();
	for (i = 0; i < len; i += 4096)
		*(volatile uint64_t *)(p + i) = word(7, i);
	t1 = now_ms();
	f1 = minflt();
	for (i = 0; i < len; i += 4096)
		if (*(volatile uint64_t *)(p + i) != word(7, i)) {
			printf("mismatch at %zu\n", i);
			return 1;
		}
	printf("faults %ld ms %.1f mib %zu aligned %d\n", f1 - f0, t1 - t0, mib,
	       ((uintptr_t)p & (2 * MIB - 1)) == 0);
	return 0;
}

static int dev_open(const char *dev, int flags)
{
	int fd = open(dev, flags | O_DIRECT | O_CREAT, 0644);

	if (fd < 0) {
		perror(dev);
		exit(1);
	}
	return fd;
}

static int odirect(const char *path, const char *dev)
{
	char *p = map_file(path, 2 * CHUNK, NULL), *a;
	int fd = dev_open(dev, O_RDWR);
	ssize_t n;

	fill(p, CHUNK, 11);
	memset(p + CHUNK, 0, CHUNK);
	n = pwrite(fd, p, CHUNK, 0);
	if (n != (ssize_t)CHUNK)
		return fail("O_DIRECT write from guest memory");
	n = pread(fd, p + CHUNK, CHUNK, 0);
	if (n != (ssize_t)CHUNK)
		return fail("O_DIRECT read into guest memory");
	if (check(p + CHUNK, CHUNK, 11, "read back into guest memory"))
		return 1;
	if (posix_memalign((void **)&a, 4096, CHUNK))
		return 1;
	if (pread(fd, a, CHUNK, 0) != (ssize_t)CHUNK)
		return fail("O_DIRECT read into anonymous memory");
	if (check(a, CHUNK, 11, "the disk"))
		return 1;
	printf("ok O_DIRECT both ways, %lu bytes\n", CHUNK);
	return 0;
}

static int odirect_in(const char *path, const char *dev, uint64_t seed)
{
	char *p = map_file(path, CHUNK, NULL), *a;
	int fd = dev_open(dev, O_RDWR);

	if (posix_memalign((void **)&a, 4096, CHUNK))
		return 1;
	fill(a, CHUNK, seed);
	if (pwrite(fd, a, CHUNK, 0) != (ssize_t)CHUNK)
		return fail("write the disk");
	if (pread(fd, p, CHUNK, 0) != (ssize_t)CHUNK)
		return fail("O_DIRECT read into guest memory");
	if (check(p, CHUNK, seed, "guest memory"))
		return 1;
	printf("ok O_DIRECT into guest memory, %lu bytes\n", CHUNK);
	return 0;
}

static int odread_into(int fd, char *dst, size_t len, double *best)
{
	double t0 = now_ms(), t;
	size_t off;

	for (off = 0; off < len; off += CHUNK)
		if (pread(fd, dst + off, CHUNK, off) != (ssize_t)CHUNK)
			return fail("O_DIRECT read");
	t = now_ms() - t0;
	if (*best < 0 || t < *best)
		*best = t;
	return 0;
}

static int odread(const char *path, const char *file, size_t mib)
{
	size_t len = mib * MIB, i;
	char *p = map_file(path, len, NULL), *a;
	double g = -1, an = -1;
	int fd = open(file, O_RDONLY | O_DIRECT);

	if (fd < 0)
		return fail(file);
	if (len % CHUNK || posix_memalign((void **)&a, 2 * MIB, len))
		return fail("anonymous memory");
	for (i = 0; i < len; i += 4096) {
		p[i] = 1;
		a[i] = 2;
	}
	if (odread_into(fd, p, len, &g) || odread_into(fd, a, len, &an) ||
	    odread_into(fd, a, len, &an) || odread_into(fd, p, len, &g))
		return 1;
	if (memcmp(p, a, len)) {
		printf("guest memory and anonymous memory differ\n");
		return 1;
	}
	printf("odread guest_ms %.1f anon_ms %.1f mib %zu\n", g, an, mib);
	return 0;
}

static int expect_err(const char *what, long ret, int err)
{
	if (ret >= 0 || errno != err) {
		printf("%s: %ld (%s), expected %s\n", what, ret,
		       ret < 0 ? strerror(errno) : "no error", strerror(err));
		return 1;
	}
	return 0;
}

static void ready(const char *file);
static void wait_term(void);

static int create(const char *path, size_t mib, uint64_t seed,
		  const char *hold)
{
	size_t len = mib * MIB;
	struct stat a, b;
	long f0, f1;
	char *p;
	int fd, fd2;

	if (expect_err("open an absent name", open(path, O_RDWR), ENOENT))
		return 1;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0640);
	if (fd < 0)
		return fail("open(O_CREAT | O_EXCL)");
	if (fstat(fd, &a) || a.st_size != 0 || (a.st_mode & 0777) != 0640) {
		printf("new file: size %lld mode %o\n", (long long)a.st_size,
		       a.st_mode & 0777);
		return 1;
	}
	if (mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) !=
	    MAP_FAILED) {
		printf("mmap of the empty file succeeded\n");
		return 1;
	}
	fd2 = open(path, O_RDWR);
	if (fd2 >= 0) {
		printf("a second open of the name before ftruncate succeeded\n");
		return 1;
	}
	if (ftruncate(fd, len))
		return fail("ftruncate");
	if (fstat(fd, &a) || (size_t)a.st_size != len)
		return fail("size after ftruncate");
	if (expect_err("ftruncate to half", ftruncate(fd, len / 2), EPERM) ||
	    expect_err("ftruncate to double", ftruncate(fd, 2 * len), EPERM) ||
	    expect_err("ftruncate to 0", ftruncate(fd, 0), EPERM))
		return 1;
	fd2 = open(path, O_RDWR);
	if (fd2 < 0)
		return fail("open the name again");
	if (fstat(fd2, &b) || b.st_ino != a.st_ino || b.st_size != a.st_size) {
		printf("the name: inode %llu size %lld, the file: inode %llu\n",
		       (unsigned long long)b.st_ino, (long long)b.st_size,
		       (unsigned long long)a.st_ino);
		return 1;
	}
	close(fd2);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return fail("mmap after ftruncate");
	f0 = minflt();
	fill(p, len, seed);
	f1 = minflt();
	if (check(p, len, seed, "the new region"))
		return 1;
	printf("ok created by open(O_CREAT) + ftruncate: %zu MiB, inode %llu, %ld faults\n",
	       mib, (unsigned long long)a.st_ino, f1 - f0);
	if (hold) {
		/* only the creating descriptor and its mapping hold it */
		ready(hold);
		wait_term();
	}
	return 0;
}

static int verify(const char *path, size_t mib, uint64_t seed)
{
	char *p = map_file(path, mib * MIB, NULL);

	if (check(p, mib * MIB, seed, path))
		return 1;
	printf("ok %zu MiB hold pattern %llu\n", mib, (unsigned long long)seed);
	return 0;
}

/* Another process reads the mapping: pin_user_pages_remote() on it. */
static int pvm(const char *path)
{
	char *p = map_file(path, MIB, NULL), *b = malloc(MIB);
	struct iovec local = { .iov_base = b, .iov_len = MIB };
	struct iovec remote = { .iov_base = p, .iov_len = MIB };
	int go[2], status;
	pid_t child;
	char c;

	if (!b || pipe(go))
		return fail("pipe");
	fill(p, MIB, 19);
	child = fork();
	if (child == 0) {
		/* The child's own mapping, refaulted: read it from outside. */
		close(go[1]);
		if (read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(go[0]);
	if (process_vm_readv(child, &local, 1, &remote, 1, 0) != (ssize_t)MIB)
		return fail("process_vm_readv");
	close(go[1]);
	waitpid(child, &status, 0);
	if (check(b, MIB, 19, "process_vm_readv"))
		return 1;
	printf("ok process_vm_readv %lu bytes\n", MIB);
	return 0;
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void ready(const char *file)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd >= 0)
		close(fd);
}

static void wait_term(void)
{
	sigset_t none;

	sigemptyset(&none);
	while (!stop)
		sigsuspend(&none);
}

static int do_vmsplice(const char *path, const char *hold)
{
	char *p = map_file(path, MIB, NULL), *b = malloc(MIB);
	struct iovec iov = { .iov_base = p, .iov_len = MIB };
	size_t got = 0;
	int pfd[2];
	ssize_t n;

	if (!b || pipe(pfd) || fcntl(pfd[1], F_SETPIPE_SZ, (int)MIB) < 0)
		return fail("pipe");
	fill(p, MIB, 13);
	while (iov.iov_len) {
		n = vmsplice(pfd[1], &iov, 1, 0);
		if (n <= 0)
			return fail("vmsplice");
		iov.iov_base = (char *)iov.iov_base + n;
		iov.iov_len -= n;
	}
	if (hold) {
		/* The pipe keeps references to the pages, nothing else. */
		if (munmap(p, MIB))
			return fail("munmap");
		ready(hold);
		wait_term();
	}
	while (got < MIB) {
		n = read(pfd[0], b + got, MIB - got);
		if (n <= 0)
			return fail("read the pipe");
		got += n;
	}
	if (check(b, MIB, 13, "pipe"))
		return 1;
	printf("ok vmsplice %lu bytes\n", MIB);
	return 0;
}

static int uring(const char *path, const char *dev, const char *hold)
{
	struct io_uring_params par;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct iovec iov;
	unsigned *sq_tail, *sq_array, *cq_head, *cq_tail, *cq_mask;
	char *p, *sq, *cq, *a;
	int ring, fd, ret;

	p = map_file(path, CHUNK, NULL);
	memset(&par, 0, sizeof(par));
	ring = syscall(__NR_io_uring_setup, 4, &par);
	if (ring < 0)
		return fail("io_uring_setup");
	iov.iov_base = p;
	iov.iov_len = CHUNK;
	ret = syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS,
		      &iov, 1);
	if (ret < 0) {
		printf("refused: %s\n", strerrorname_np(errno) ?: strerror(errno));
		return 3;
	}
	/*
	 * A READ_FIXED into the buffer: the pin is used, not just taken.
	 * Buffered, so that FILE may be on tmpfs.
	 */
	fd = open(dev, O_RDWR | O_CREAT, 0644);
	if (fd < 0)
		return fail(dev);
	if (posix_memalign((void **)&a, 4096, MIB))
		return 1;
	fill(a, MIB, 17);
	if (pwrite(fd, a, MIB, 0) != (ssize_t)MIB)
		return fail("write the disk");
	sq = mmap(NULL, par.sq_off.array + par.sq_entries * sizeof(unsigned),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring,
		  IORING_OFF_SQ_RING);
	cq = mmap(NULL, par.cq_off.cqes + par.cq_entries * sizeof(*cqe),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring,
		  IORING_OFF_CQ_RING);
	sqe = mmap(NULL, par.sq_entries * sizeof(*sqe), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqe == MAP_FAILED)
		return fail("mmap the ring");
	sq_tail = (unsigned *)(sq + par.sq_off.tail);
	sq_array = (unsigned *)(sq + par.sq_off.array);
	cq_head = (unsigned *)(cq + par.cq_off.head);
	cq_tail = (unsigned *)(cq + par.cq_off.tail);
	cq_mask = (unsigned *)(cq + par.cq_off.ring_mask);
	memset(&sqe[0], 0, sizeof(sqe[0]));
	sqe[0].opcode = IORING_OP_READ_FIXED;
	sqe[0].fd = fd;
	sqe[0].addr = (uintptr_t)p;
	sqe[0].len = MIB;
	sqe[0].off = 0;
	sqe[0].buf_index = 0;
	sq_array[*sq_tail & *(unsigned *)(sq + par.sq_off.ring_mask)] = 0;
	__atomic_store_n(sq_tail, *sq_tail + 1, __ATOMIC_RELEASE);
	ret = syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS,
		      NULL, 0);
	if (ret < 0)
		return fail("io_uring_enter");
	if (__atomic_load_n(cq_tail, __ATOMIC_ACQUIRE) == *cq_head) {
		printf("no completion\n");
		return 1;
	}
	cqe = (struct io_uring_cqe *)(cq + par.cq_off.cqes) +
	      (*cq_head & *cq_mask);
	if (cqe->res != (int)MIB) {
		printf("READ_FIXED: %d\n", cqe->res);
		return 1;
	}
	__atomic_store_n(cq_head, *cq_head + 1, __ATOMIC_RELEASE);
	if (check(p, MIB, 17, "fixed buffer"))
		return 1;
	printf("ok io_uring fixed buffer, READ_FIXED %lu bytes\n", MIB);
	if (hold) {
		if (munmap(p, CHUNK))
			return fail("munmap");
		ready(hold);
		wait_term();
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 4 && !strcmp(argv[1], "faults"))
		return faults(argv[2], strtoul(argv[3], NULL, 0),
			      argc > 4 && !strcmp(argv[4], "unaligned"));
	if (argc == 4 && !strcmp(argv[1], "odirect"))
		return odirect(argv[2], argv[3]);
	if (argc >= 5 && !strcmp(argv[1], "create"))
		return create(argv[2], strtoul(argv[3], NULL, 0),
			      strtoull(argv[4], NULL, 0),
			      argc == 7 && !strcmp(argv[5], "hold") ? argv[6] : NULL);
	if (argc == 5 && !strcmp(argv[1], "verify"))
		return verify(argv[2], strtoul(argv[3], NULL, 0),
			      strtoull(argv[4], NULL, 0));
	if (argc == 5 && !strcmp(argv[1], "odread"))
		return odread(argv[2], argv[3], strtoul(argv[4], NULL, 0));
	if (argc == 5 && !strcmp(argv[1], "odirect-in"))
		return odirect_in(argv[2], argv[3], strtoull(argv[4], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "pvm"))
		return pvm(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "vmsplice"))
		return do_vmsplice(argv[2], argc == 5 && !strcmp(argv[3], "hold") ?
				   argv[4] : NULL);
	if (argc >= 4 && !strcmp(argv[1], "uring"))
		return uring(argv[2], argv[3], argc == 6 &&
			     !strcmp(argv[4], "hold") ? argv[5] : NULL);
	fprintf(stderr, "usage: see the comment at the top of fbgup.c\n");
	return 2;
}
