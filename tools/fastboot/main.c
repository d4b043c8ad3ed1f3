// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fastboot: admin tool for the fastboot persistent store.
 *
 *   fastboot [--json] [--device PATH] [--wait SECS] COMMAND [ARGS]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fastboot.h"
#include "update.h"

#ifndef FASTBOOT_VERSION
#define FASTBOOT_VERSION "0.1"
#endif

bool opt_json;
const char *opt_device = FASTBOOT_DEVICE;
unsigned int opt_lock_wait = FB_LOCK_WAIT_DEFAULT;

static int cmd_help(int argc, char **argv);

static const struct cmd cmds[] = {
	{ "status", cmd_status, "[--json]", "show the state of the store" },
	{ "format", cmd_format, "[--force]", "write an empty store (--force wipes an existing one)" },
	{ "put", cmd_put, "[--type boot|blob] [--no-clobber] NAME FILE", "store FILE (- for stdin) as object NAME" },
	{ "get", cmd_get, "NAME [FILE]", "copy object NAME to FILE (default stdout), checking its SHA-256" },
	{ "ls", cmd_ls, "[--json]", "list the objects" },
	{ "rm", cmd_rm, "NAME", "remove object NAME" },
	{ "update", cmd_update, "IMAGE-OPTIONS [--verify] [--dry-run] [--no-exec] [--now] [--force] [--json]", "kexec into a boot image, reading only the modules that changed" },
	{ "arm", cmd_arm, "IMAGE-OPTIONS [--verify] [--force] [--json]", "load a recovery image as the crash kernel; a panic seals the store and boots it" },
	{ "disarm", cmd_disarm, "[--force]", "unload the crash kernel that arm loaded" },
	{ "guest", cmd_guest, "create NAME SIZE [--mode MODE] [--owner UID:GID] | path NAME | ls [--json] | rm NAME", "guest memory regions that a VMM maps as a file" },
	{ "log", cmd_log, "[--json]", "show the boot history and the last crash record" },
	{ "setup", cmd_setup, "[--region SIZE@ADDR] [--crashkernel SIZE] [--config FILE] [--json]", "print the kernel command line the host needs" },
	{ "vm", cmd_vm, "save NAME --qmp SOCKET | restore NAME [--qmp SOCKET] [--log FILE] [--keep] [--timeout SECS] [--json]", "keep a QEMU VM across an update: its device state in the store" },
	{ "help", cmd_help, "", "show this help" },
	{ NULL }
};

static void usage(FILE *f)
{
	const struct cmd *c;

	fprintf(f, "Usage: fastboot [--json] [--device PATH] [--wait SECS] COMMAND [ARGS]\n\n"
		   "Commands:\n");
	for (c = cmds; c->name; c++)
		fprintf(f, "  %-7s %-44s %s\n", c->name, c->args, c->help);
	fprintf(f, "\nOptions:\n"
		   "  -j, --json          machine-readable output on read commands\n"
		   "  -d, --device PATH   control device (default %s)\n"
		   "  -w, --wait SECS     wait at most SECS for another command's lock\n"
		   "                      (default %d; 0: fail at once)\n"
		   "  -h, --help          show this help\n"
		   "  -V, --version       show the version\n"
		   "\nIMAGE-OPTIONS: --image FILE | --kernel PATH [--initrd PATH]...\n"
		   "               [--cmdline STR | --reuse-cmdline] [--append STR] | --rollback\n"
		   "               | --from-store\n"
		   "\nExit status: 0 success, 1 failure, 2 usage error.\n"
		   "See fastboot(8).\n", FASTBOOT_DEVICE, FB_LOCK_WAIT_DEFAULT);
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return EXIT_OK;
}

/* --wait SECS: a decimal number of seconds, 0 to FB_LOCK_WAIT_MAX. */
static int parse_wait(const char *s)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > FB_LOCK_WAIT_MAX)
		return -1;
	opt_lock_wait = (unsigned int)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "device", required_argument, NULL, 'd' },
		{ "wait", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	const struct cmd *c;
	int o;

	while ((o = getopt_long(argc, argv, "+jd:w:hV", opts, NULL)) != -1) {
		switch (o) {
		case 'j':
			opt_json = true;
			break;
		case 'd':
			opt_device = optarg;
			break;
		case 'w':
			if (parse_wait(optarg))
				return fb_usage_error("--wait takes seconds, 0 to %d",
						      FB_LOCK_WAIT_MAX);
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("fastboot %s\n", FASTBOOT_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (c = cmds; c->name; c++)
		if (!strcmp(c->name, argv[optind]))
			return c->fn(argc - optind, argv + optind);
	return fb_usage_error("unknown command '%s'", argv[optind]);
}
