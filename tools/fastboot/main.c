// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fastboot: admin tool for the fastboot persistent store.
 *
 *   fastboot [--json] [--device PATH] [--wait SECS] COMMAND [ARGS]
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fastboot.h"
#include "json.h"
#include "update.h"

#ifndef FASTBOOT_VERSION
#define FASTBOOT_VERSION "0.1"
#endif

bool opt_json;
const char *opt_device = FASTBOOT_DEVICE;
unsigned int opt_lock_wait = FB_LOCK_WAIT_DEFAULT;

static int cmd_help(int argc, char **argv);

#define IMAGE_OPTS \
	"\nIMAGE-OPTIONS (at most one of --image, --kernel, --rollback, --from-store):\n" \
	"  --image FILE        a manifest (fastboot(8), IMAGE MANIFEST)\n" \
	"  --kernel PATH       a kernel, with --initrd PATH for each initramfs,\n" \
	"  --initrd PATH         in boot order\n" \
	"  --rollback          the previous image, from the store\n" \
	"  --from-store        the current image, from the store\n" \
	"  --config FILE       none of the above: --image with FASTBOOT_IMAGE\n" \
	"                      (arm: FASTBOOT_RECOVERY_IMAGE) from FILE\n" \
	"                      (default /etc/default/fastboot); if it is empty,\n" \
	"                      /vmlinuz + /initrd.img (the newest kernel) with\n" \
	"                      the running command line\n" \
	"  --cmdline STR       the kernel command line\n" \
	"  --reuse-cmdline     the running kernel's command line\n" \
	"  --append STR        add words, replacing words with the same key\n"

#define JSON_OPT \
	"  -j, --json          the result as JSON on stdout (fastboot(8))\n"

#define HELP_OPT \
	"  -h, --help          show this help\n"

/*
 * Each command: its arguments (after "fastboot NAME"; a line break starts
 * another form), one line for `fastboot help` and its options for
 * `fastboot help NAME`.  Every line of help fits 80 columns
 * (selftests/cli-consistency.sh checks it, and that fastboot(8) and the
 * bash completion name the same options).
 */
static const struct cmd cmds[] = {
	{ "status", cmd_status, "[--json]",
	  "show the state of the store",
	  JSON_OPT HELP_OPT },
	{ "format", cmd_format, "[--force | --upgrade]",
	  "write an empty store into the region",
	  "  --force             wipe the store that is there, valid or damaged\n"
	  "  --upgrade           give a store of an older module big tables\n"
	  "                      (thousands of objects), keeping its objects\n"
	  HELP_OPT },
	{ "put", cmd_put, "[--type boot|blob] [--no-clobber] NAME FILE",
	  "store FILE (- for stdin) as object NAME",
	  "  --type boot|blob    the object's type (default blob)\n"
	  "  --no-clobber        fail if NAME exists instead of replacing it\n"
	  HELP_OPT },
	{ "get", cmd_get, "NAME [FILE]",
	  "copy object NAME to FILE (default stdout), checking its SHA-256",
	  HELP_OPT },
	{ "ls", cmd_ls, "[--json]",
	  "list the objects",
	  JSON_OPT HELP_OPT },
	{ "rm", cmd_rm, "NAME",
	  "remove object NAME",
	  HELP_OPT },
	{ "update", cmd_update,
	  "IMAGE-OPTIONS [--verify] [--dry-run] [--no-exec]\n"
	  "                       [--now] [--force] [--json]",
	  "kexec into a boot image, reading only the modules that changed",
	  "  --verify            read and hash every source\n"
	  "  --dry-run           run every check, change nothing, report; without\n"
	  "                      a store, only the files and fastboot.ko\n"
	  "  --no-exec           stop after loading the image\n"
	  "  --now               reboot at once, not through systemctl kexec\n"
	  "  --force             boot although the image's fastboot.ko does not\n"
	  "                      match its kernel\n"
	  JSON_OPT HELP_OPT IMAGE_OPTS },
	{ "arm", cmd_arm,
	  "IMAGE-OPTIONS [--verify] [--dry-run] [--force] [--json]",
	  "load a recovery image as the crash kernel",
	  "  --verify            read and hash every source\n"
	  "  --dry-run           run every check, change nothing, report\n"
	  "  --force             arm although the image's fastboot.ko does not\n"
	  "                      match its kernel, or over a crash kernel that\n"
	  "                      fastboot did not load (kdump's)\n"
	  "  --now, --no-exec    accepted as by update; no effect\n"
	  JSON_OPT HELP_OPT IMAGE_OPTS },
	{ "boot", cmd_boot, "[--root DIR] [--mount-root MDIR] [--json]",
	  "early boot: put the image's by-reference modules in place",
	  "  --root DIR          unpack the modules under DIR (default /)\n"
	  "  --mount-root MDIR   mount the mount modules under MDIR (default DIR)\n"
	  JSON_OPT HELP_OPT },
	{ "disarm", cmd_disarm, "[--force]",
	  "unload the crash kernel that arm loaded",
	  "  --force             unload a crash kernel that fastboot did not load\n"
	  "                      (kdump's)\n"
	  HELP_OPT },
	{ "guest", cmd_guest,
	  "create NAME SIZE [--mode MODE] [--owner UID:GID]\n"
	  "       fastboot guest path NAME\n"
	  "       fastboot guest ls [--json]\n"
	  "       fastboot guest rm NAME",
	  "guest memory regions that a VMM maps as a file",
	  "  --mode MODE         create: octal permissions (default 0600)\n"
	  "  --owner UID:GID     create: owner (default 0:0)\n"
	  JSON_OPT HELP_OPT },
	{ "log", cmd_log, "[--json]",
	  "show the boot history and the last crash record",
	  JSON_OPT HELP_OPT },
	{ "setup", cmd_setup,
	  "[--region SIZE@ADDR] [--crashkernel SIZE] [--config FILE]\n"
	  "                      [--json]",
	  "print the kernel command line the host needs",
	  "  --region SIZE@ADDR  the region (default: FASTBOOT_REGION in the\n"
	  "                      config file)\n"
	  "  --crashkernel SIZE  memory for the crash kernel (default 384M)\n"
	  "  --config FILE       the config file (default /etc/default/fastboot)\n"
	  JSON_OPT HELP_OPT },
	{ "vm", cmd_vm,
	  "save NAME --qmp SOCKET [--timeout SECS] [--json]\n"
	  "       fastboot vm save --all [--timeout SECS] [--json]\n"
	  "       fastboot vm restore NAME [--qmp SOCKET] [--log FILE] [--keep]\n"
	  "                           [--timeout SECS] [--json]\n"
	  "       fastboot vm restore --all [--log FILE] [--keep] [--timeout SECS] [--json]",
	  "keep a QEMU VM across an update: its device state in the store",
	  "  --qmp SOCKET        the VM's QMP socket (restore: a new one)\n"
	  "  --all               every VM whose RAM is in a guest region (save),\n"
	  "                      every saved VM (restore), all at once\n"
	  "  --timeout SECS      how long to wait for the migration (default 120)\n"
	  "  --log FILE          restore: QEMU's standard error (default /dev/null)\n"
	  "  --keep              restore: keep the device state in the store\n"
	  JSON_OPT HELP_OPT },
	{ "help", cmd_help, "[COMMAND]",
	  "show this help, or a command's",
	  HELP_OPT },
	{ NULL }
};

static void usage(FILE *f)
{
	const struct cmd *c;

	fprintf(f, "Usage: fastboot [--json] [--device PATH] [--wait SECS] COMMAND [ARGS]\n"
		   "       fastboot help COMMAND | fastboot COMMAND --help\n\n"
		   "Commands:\n");
	for (c = cmds; c->name; c++)
		fprintf(f, "  %-7s %s\n", c->name, c->help);
	fprintf(f, "\nOptions:\n"
		   "  -j, --json          JSON on stdout, for results and errors\n"
		   "  -d, --device PATH   control device (default %s)\n"
		   "  -w, --wait SECS     wait at most SECS for another command's lock\n"
		   "                      (default %d; 0: fail at once)\n"
		   "  -h, --help          show this help\n"
		   "  -V, --version       show the version\n"
		   "\nExit status: 0 success, 1 failure, 2 usage error.\n"
		   "See fastboot(8).\n", FASTBOOT_DEVICE, FB_LOCK_WAIT_DEFAULT);
}

static const struct cmd *find_cmd(const char *name)
{
	const struct cmd *c;

	for (c = cmds; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* The help of one command, to stdout. */
static void cmd_usage(const struct cmd *c)
{
	printf("Usage: fastboot %s%s%s\n%c%s.\n", c->name, c->args[0] ? " " : "",
	       c->args, toupper((unsigned char)c->help[0]), c->help + 1);
	printf("\nOptions:\n%s\nSee fastboot(8).\n", c->opts);
}

/* --json: a failure is the object {"error":{"what","why","exit"}}. */
static void json_failure(const char *cmd, int rc)
{
	const char *what = cmd, *why = "failed (see standard error)";
	struct json j;

	fb_first_error(&what, &why);
	json_init(&j, stdout);
	json_open(&j, NULL, '{');
	json_open(&j, "error", '{');
	json_str(&j, "what", what);
	json_str(&j, "why", why);
	json_u64(&j, "exit", (uint64_t)rc);
	json_close(&j, '}');
	json_close(&j, '}');
	json_end(&j);
}

/*
 * Like coreutils' close_stdout: output that did not reach stdout is a
 * failure.  Returns 0 when all of it was written.
 */
static int close_stdout(void)
{
	bool failed = ferror(stdout);
	int err = 0;

	if (fclose(stdout)) {
		failed = true;
		err = errno;
	} else if (failed) {
		err = json_error();	/* json_end() flushed and failed */
	}
	if (!failed)
		return 0;
	fb_error("stdout", "%s", err ? strerror(err) : "write error");
	return -1;
}

/* The end of every run: the --json error object, then stdout checked. */
static int finish(const char *cmd, int rc)
{
	json_discard();	/* an unfinished document is never printed */
	if (rc == EXIT_OK && json_error() && !ferror(stdout))
		rc = fb_error("json", "%s", strerror(json_error()));
	if (opt_json && rc != EXIT_OK && !json_emitted())
		json_failure(cmd, rc);
	if (close_stdout() && rc == EXIT_OK)
		rc = EXIT_FAIL;
	return rc;
}

void fb_help_exit(const char *name)
{
	const struct cmd *c = find_cmd(name);

	if (c)
		cmd_usage(c);
	else
		usage(stdout);
	exit(finish(name, EXIT_OK));
}

static int cmd_help(int argc, char **argv)
{
	const struct cmd *c;

	if (argc > 2)
		return fb_usage_error("fastboot help [COMMAND]");
	if (argc == 1) {
		usage(stdout);
		return EXIT_OK;
	}
	c = find_cmd(argv[1]);
	if (!c)
		return fb_usage_error("unknown command '%s'", argv[1]);
	cmd_usage(c);
	return EXIT_OK;
}

/* --wait SECS: a decimal number of seconds, 0 to FB_LOCK_WAIT_MAX. */
static int parse_wait(const char *s)
{
	uint64_t v;

	if (fb_parse_uint(s, 10, FB_LOCK_WAIT_MAX, &v))
		return -1;
	opt_lock_wait = (unsigned int)v;
	return 0;
}

static bool is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
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
	const char *cur_cmd = fb_command();
	const struct cmd *c;
	int o;

	opterr = 0;	/* fb_usage_error() says it */
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
				return finish(cur_cmd, fb_usage_error("--wait takes seconds, 0 to %d",
								      FB_LOCK_WAIT_MAX));
			break;
		case 'h':
			usage(stdout);
			return finish(cur_cmd, EXIT_OK);
		case 'V':
			printf("fastboot %s\n", FASTBOOT_VERSION);
			return finish(cur_cmd, EXIT_OK);
		default:
			if (optopt)
				return finish(cur_cmd, fb_usage_error("unknown option '-%c'", optopt));
			return finish(cur_cmd, fb_usage_error("unknown option '%s'",
							      argv[optind - 1]));
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return finish(cur_cmd, fb_usage_error("no command"));
	}
	c = find_cmd(argv[optind]);
	if (!c)
		return finish(cur_cmd, fb_usage_error("unknown command '%s'",
						      argv[optind]));
	fb_set_command(c->name);
	/* CMD --help, also where CMD takes no options (disarm, guest, vm). */
	if (optind + 1 < argc && is_help(argv[optind + 1]))
		fb_help_exit(c->name);
	if (optind + 2 < argc && is_help(argv[optind + 2]) &&
	    (c->fn == cmd_guest || c->fn == cmd_vm))
		fb_help_exit(c->name);
	return finish(c->name, c->fn(argc - optind, argv + optind));
}
