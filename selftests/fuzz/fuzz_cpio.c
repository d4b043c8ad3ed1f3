// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Fuzz target for the initramfs unpacker of `fastboot boot`
 * (tools/fastboot/cpio.c, on bootimg.c's archive walk): archives read
 * from the store, which a damaged or hostile store controls.
 *
 * Each input is unpacked into a fresh staging directory of a scratch
 * tree, then merged into a root directory that holds a symbolic link
 * "escape" to a directory outside it, as an attacker would arrange:
 *
 *   SCRATCH/outside/canary     must stay alone and unchanged
 *   SCRATCH/root/escape -> ../outside
 *   SCRATCH/root/staging/      what cpio_unpack writes
 *
 * The oracle, beyond the sanitizers: nothing is ever created outside
 * root (outside/ keeps exactly its canary, with its content), and a
 * failure gives a reason.  The scratch tree is removed after each input.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cpio.h"
#include "driver.h"

#define fuzz_fail(...) do {						\
		fprintf(stderr, "oracle: " __VA_ARGS__);		\
		fprintf(stderr, "\n");					\
		abort();						\
	} while (0)

static char scratch[64];

static void setup(void)
{
	char p[128];
	int fd;

	snprintf(scratch, sizeof(scratch), "/tmp/fuzz_cpio.XXXXXX");
	if (!mkdtemp(scratch))
		abort();
	snprintf(p, sizeof(p), "%s/outside", scratch);
	if (mkdir(p, 0755))
		abort();
	snprintf(p, sizeof(p), "%s/outside/canary", scratch);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 || write(fd, "canary\n", 7) != 7)
		abort();
	close(fd);
	snprintf(p, sizeof(p), "%s/root", scratch);
	if (mkdir(p, 0755))
		abort();
	snprintf(p, sizeof(p), "%s/root/escape", scratch);
	if (symlink("../outside", p))
		abort();
	snprintf(p, sizeof(p), "%s/root/staging", scratch);
	if (mkdir(p, 0700))
		abort();
}

static void check_outside(void)
{
	char p[128], buf[16];
	struct dirent *de;
	DIR *d;
	int fd, n = 0;
	ssize_t r;

	snprintf(p, sizeof(p), "%s/outside", scratch);
	d = opendir(p);
	if (!d)
		fuzz_fail("outside/ is gone");
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			if (strcmp(de->d_name, "canary"))
				fuzz_fail("outside/%s was created", de->d_name);
			n++;
		}
	closedir(d);
	snprintf(p, sizeof(p), "%s/outside/canary", scratch);
	fd = open(p, O_RDONLY | O_NOFOLLOW);
	r = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	if (n != 1 || r != 7 || memcmp(buf, "canary\n", 7))
		fuzz_fail("outside/canary was changed");
}

/* Non-directories left under dirfd (a merge moves every one). */
static int left_behind(int dirfd)
{
	struct dirent *de;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY), n = 0;
	DIR *d = fd < 0 ? NULL : fdopendir(fd);

	if (!d)
		fuzz_fail("cannot list a staging directory");
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);

			if (sub >= 0) {
				n += left_behind(sub);
				close(sub);
			}
		} else {
			n++;
		}
	}
	closedir(d);
	return n;
}

static void teardown(void)
{
	int fd = open(scratch, O_RDONLY | O_DIRECTORY);

	if (fd >= 0) {
		/* make every directory writable again, then remove */
		cpio_rmtree(fd);
		close(fd);
	}
	rmdir(scratch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpio_stats st;
	char p[128], why[512];
	int root, staging, r;

	setup();
	snprintf(p, sizeof(p), "%s/root", scratch);
	root = open(p, O_RDONLY | O_DIRECTORY);
	snprintf(p, sizeof(p), "%s/root/staging", scratch);
	staging = open(p, O_RDONLY | O_DIRECTORY);
	if (root < 0 || staging < 0)
		abort();
	memset(why, 0x55, sizeof(why));
	r = cpio_unpack(data, size, staging, &st, why, sizeof(why));
	if (r && (!memchr(why, 0, sizeof(why)) || !why[0]))
		fuzz_fail("refused without a reason");
	check_outside();
	if (!r) {
		memset(why, 0x55, sizeof(why));
		/* an archive with staging/... merges partly into staging itself */
		int self = !faccessat(staging, "staging", F_OK, AT_SYMLINK_NOFOLLOW);

		r = cpio_merge(staging, root, why, sizeof(why));
		if (r && (!memchr(why, 0, sizeof(why)) || !why[0]))
			fuzz_fail("merge refused without a reason");
		/* staging is in root: its own contents may merge into itself */
		if (!r && !self && left_behind(staging))
			fuzz_fail("a merge left files behind");
		check_outside();
		r = 0;
	}
	if (getenv("FUZZ_VERBOSE"))
		printf("# %s: %llu entries, %llu bytes%s%s\n", r ? "refused" : "unpacked",
		       (unsigned long long)st.entries, (unsigned long long)st.bytes,
		       r ? ": " : "", r ? why : "");
	cpio_rmtree(staging);
	if (left_behind(staging))
		fuzz_fail("cpio_rmtree left files behind");
	close(staging);
	close(root);
	teardown();
	return 0;
}
