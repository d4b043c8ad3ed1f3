// SPDX-License-Identifier: GPL-2.0
/*
 * fbmmap: map a file MAP_SHARED, as a VMM maps guest RAM, and write,
 * verify or check-zero a pattern through the mapping (selftests only).
 *
 *   fbmmap PATH write SEED | verify SEED | zero
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t word(uint64_t seed, uint64_t i)
{
	uint64_t x = seed ^ (i * 0x9e3779b97f4a7c15ull);

	x ^= x >> 31;
	return x * 0xbf58476d1ce4e5b9ull;
}

int main(int argc, char **argv)
{
	struct stat st;
	uint64_t *p, seed = 0, i, n;
	int fd, wr;

	if (argc < 3 || (strcmp(argv[2], "zero") && argc != 4)) {
		fprintf(stderr, "usage: fbmmap PATH write SEED | verify SEED | zero\n");
		return 2;
	}
	wr = !strcmp(argv[2], "write");
	if (argc == 4)
		seed = strtoull(argv[3], NULL, 0);
	fd = open(argv[1], wr ? O_RDWR : O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		perror(argv[1]);
		return 1;
	}
	p = mmap(NULL, st.st_size, PROT_READ | (wr ? PROT_WRITE : 0), MAP_SHARED,
		 fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	n = (uint64_t)st.st_size / 8;
	for (i = 0; i < n; i++) {
		uint64_t want = strcmp(argv[2], "zero") ? word(seed, i) : 0;

		if (wr) {
			p[i] = want;
		} else if (p[i] != want) {
			printf("mismatch at byte %llu\n", (unsigned long long)i * 8);
			return 1;
		}
	}
	if (wr && msync(p, st.st_size, MS_SYNC)) {
		perror("msync");
		return 1;
	}
	printf("ok %s %llu bytes\n", argv[2], (unsigned long long)st.st_size);
	return 0;
}
