// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The corpus driver shared by every fuzz target; see driver.h.
 *
 *   driver [PATH...]      run each file (directories: their files, sorted)
 *   driver --emit DIR     write the target's built-in inputs to DIR
 *
 * Environment: FUZZ_NOFORK=1 runs inputs in this process (for gdb),
 * FUZZ_VERBOSE=1 lets the target print notes.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "driver.h"

int fuzz_driver_verbose;
static int t_pass, t_fail, t_num;

static void report(const char *label, int ok, int status)
{
	t_num++;
	if (ok) {
		t_pass++;
		printf("ok %d %s\n", t_num, label);
		return;
	}
	t_fail++;
	printf("not ok %d %s\n", t_num, label);
	if (status < 0)
		return;
	if (WIFSIGNALED(status))
		printf("# killed by signal %d\n", WTERMSIG(status));
	else
		printf("# exit status %d\n", WEXITSTATUS(status));
}

void fuzz_driver_run(const char *label, const uint8_t *data, size_t size)
{
	pid_t pid;
	int st;

	fflush(stdout);
	if (getenv("FUZZ_NOFORK")) {
		LLVMFuzzerTestOneInput(data, size);
		report(label, 1, -1);
		return;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		LLVMFuzzerTestOneInput(data, size);
		exit(0);	/* not _exit: LeakSanitizer checks at exit */
	}
	if (waitpid(pid, &st, 0) != pid) {
		perror("waitpid");
		exit(2);
	}
	report(label, WIFEXITED(st) && WEXITSTATUS(st) == 0, st);
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n = -1;
	int ret = -1;

	if (!f)
		return -1;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET))
		buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		fuzz_driver_run(path, buf, (size_t)n);
		ret = 0;
	}
	fclose(f);
	free(buf);
	return ret;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(const char *path);

static void run_dir(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	char **names = NULL;
	size_t cnt = 0, i;

	if (!dir) {
		report(path, 0, -1);
		printf("# cannot open the directory\n");
		return;
	}
	while ((de = readdir(dir))) {
		char **nn;

		if (de->d_name[0] == '.')
			continue;
		nn = realloc(names, (cnt + 1) * sizeof(*names));
		if (!nn || asprintf(&nn[cnt], "%s/%s", path, de->d_name) < 0) {
			perror(path);
			exit(2);
		}
		names = nn;
		cnt++;
	}
	closedir(dir);
	qsort(names, cnt, sizeof(*names), name_cmp);
	for (i = 0; i < cnt; i++) {
		run_path(names[i]);
		free(names[i]);
	}
	free(names);
}

static void run_path(const char *path)
{
	struct stat sb;

	if (!stat(path, &sb) && S_ISDIR(sb.st_mode)) {
		run_dir(path);
	} else if (run_file(path)) {
		report(path, 0, -1);
		printf("# cannot read the file\n");
	}
}

int main(int argc, char **argv)
{
	int i;

	if (argc == 3 && !strcmp(argv[1], "--emit"))
		return fuzz_driver_emit && fuzz_driver_emit(argv[2]) ? 2 : 0;
	fuzz_driver_verbose = getenv("FUZZ_VERBOSE") != NULL;
	printf("KTAP version 1\n");
	if (fuzz_driver_builtin)
		fuzz_driver_builtin();
	for (i = 1; i < argc; i++)
		run_path(argv[i]);
	printf("1..%d\n", t_num);
	printf("%d passed, %d failed\n", t_pass, t_fail);
	return t_fail ? 1 : 0;
}
