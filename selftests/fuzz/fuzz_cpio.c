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
		if (cpio_merge(staging, root, why, sizeof(why)) &&
		    (!memchr(why, 0, sizeof(why)) || !why[0]))
			fuzz_fail("merge refused without a reason");
		check_outside();
	}
	if (getenv("FUZZ_VERBOSE"))
		printf("# %s: %llu entries, %llu bytes%s%s\n", r ? "refused" : "unpacked",
		       (unsigned long long)st.entries, (unsigned long long)st.bytes,
		       r ? ": " : "", r ? why : "");
	close(staging);
	close(root);
	teardown();
	return 0;
}
