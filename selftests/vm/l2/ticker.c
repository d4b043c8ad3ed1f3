// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ticker: /init of the L2 guest in the "vm" scenario (static, no libc
 * beyond what -static links in).
 *
 * It fills most of the guest's RAM with a pattern derived from each
 * word's address, then every second prints
 *
 *     tick N sum=HEX
 *
 * where N counts up from 1 in this process (so a restored VM goes on
 * counting, while a second boot starts again at 1) and HEX is the sum of
 * the whole pattern, computed once at fill time.  Each tick re-reads one
 * slice of the buffer (all of it every SLICES ticks) and prints
 * "CORRUPT ..." if a word changed.  At start it prints
 * "ticker: start boot=ID pages=N" with a random ID, once per boot.
 *
 * Environment (unknown kernel command line words KEY=VALUE reach init as
 * environment): tickmb=N fills N MiB (default: half of the free RAM).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#define SLICES 8

static uint64_t pattern(const uint64_t *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 29;
	x *= 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 32);
}

static void console(void)
{
	int fd;

	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mkdir("/proc", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		fd = open("/dev/ttyS0", O_RDWR | O_NOCTTY);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

int main(void)
{
	uint64_t sums[SLICES] = { 0 }, total = 0, tick = 0, boot_id;
	size_t bytes, words, per, i, s;
	const char *mb = getenv("tickmb");
	struct timespec ts;
	struct sysinfo si;
	uint64_t *buf;

	if (getpid() == 1)
		console();
	setvbuf(stdout, NULL, _IOLBF, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	boot_id = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)getpid();
	if (mb) {
		bytes = (size_t)strtoul(mb, NULL, 0) << 20;
	} else {
		sysinfo(&si);
		bytes = (size_t)si.freeram * si.mem_unit / 2;
	}
	words = bytes / sizeof(uint64_t) / SLICES * SLICES;
	per = words / SLICES;
	buf = mmap(NULL, words * sizeof(uint64_t), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED) {
		printf("ticker: cannot map %zu MiB\n", bytes >> 20);
		for (;;)
			pause();
	}
	printf("ticker: start boot=%016" PRIx64 " filling %zu MiB\n", boot_id,
	       (words * sizeof(uint64_t)) >> 20);
	for (s = 0; s < SLICES; s++) {
		for (i = s * per; i < (s + 1) * per; i++) {
			buf[i] = pattern(&buf[i]);
			sums[s] += buf[i];
		}
		total += sums[s];
	}
	printf("ticker: filled, sum=%016" PRIx64 "\n", total);
	for (;;) {
		uint64_t got = 0;

		s = tick % SLICES;
		for (i = s * per; i < (s + 1) * per; i++)
			got += buf[i];
		if (got != sums[s]) {
			for (i = s * per; i < (s + 1) * per; i++)
				if (buf[i] != pattern(&buf[i]))
					break;
			printf("CORRUPT tick %" PRIu64 " slice %zu word %zu: %016" PRIx64
			       " want %016" PRIx64 "\n", tick + 1, s, i,
			       i < words ? buf[i] : 0,
			       i < words ? pattern(&buf[i]) : 0);
			sums[s] = got;	/* report each change once */
		}
		tick++;
		printf("tick %" PRIu64 " sum=%016" PRIx64 "\n", tick, total);
		ts.tv_sec = 1;
		ts.tv_nsec = 0;
		nanosleep(&ts, NULL);
	}
}
