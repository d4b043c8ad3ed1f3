// SPDX-License-Identifier: GPL-2.0
/*
 * fblock: hold an exclusive flock(2) on a file for a while, as another
 * fastboot command would (selftests only; busybox has no flock(1)).
 *
 *   fblock PATH SECONDS
 *
 * Prints "locked" once it holds the lock, sleeps SECONDS, prints
 * "unlocking" and only then releases the lock, so a waiter that got the
 * lock finds "unlocking" already printed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: fblock PATH SECONDS\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX)) {
		perror(argv[1]);
		return 1;
	}
	printf("locked\n");
	fflush(stdout);
	sleep((unsigned int)atoi(argv[2]));
	printf("unlocking\n");
	fflush(stdout);
	flock(fd, LOCK_UN);
	close(fd);
	return 0;
}
