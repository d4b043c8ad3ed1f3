/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* fastboot tool: what its files share. */
#ifndef FASTBOOT_TOOL_H
#define FASTBOOT_TOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "format.h"
#include "uapi/fastboot.h"

/* Exit codes, documented in fastboot(8). */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;	/* after "fastboot NAME"; "\n" starts a form */
	const char *help;	/* one line, for `fastboot help` */
	const char *opts;	/* option lines, for `fastboot help NAME` */
};

extern bool opt_json;
extern const char *opt_device;
extern unsigned int opt_lock_wait;	/* seconds; --wait */

#define FB_LOCK_WAIT_DEFAULT	300
#define FB_LOCK_WAIT_MAX	86400

/* main.c */
void fb_help_exit(const char *name) __attribute__((noreturn));

/* util.c */
void fb_set_command(const char *name);
const char *fb_command(void);
int fb_first_error(const char **what, const char **why);
int fb_error(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int fb_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fb_open_device(int flags);
int fb_lock(int fd);
int fb_open_locked(void);
int fb_ioctl_error(const char *what, int err);
int fb_ioctl(int fd, unsigned long cmd, void *arg, const char *what);
int fb_cmdline_arg(const char *key, char *out, size_t len);
int fb_set_name(char dst[FASTBOOT_NAME_MAX], const char *name);
const char *fb_state_name(uint32_t state);
const char *fb_reason_name(uint32_t reason);
const char *fb_type_name(uint32_t type);
int fb_type_parse(const char *s);
void fb_human_size(uint64_t bytes, char *buf, size_t len);
uint64_t fb_now_ms(clockid_t clk);
/* The configuration file: fastboot(8), FILES. */
#define FB_DEFAULT_CONFIG	"/etc/default/fastboot"
int fb_config_get(const char *path, const char *key, char *val, size_t len);
/* The system log, for every change: fastboot(8), SYSTEM LOG. */
void fb_log_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "CMD failed: WHAT: WHY" with the first error, in the system log. */
void fb_log_failed(const char *cmd);

/* parse.c: strict numbers; 0, or -1 (out unchanged) */
/* Digits in base 8, 10 or 16 only, the value at most max. */
int fb_parse_uint(const char *s, unsigned int base, uint64_t max, uint64_t *out);
/* Decimal or 0x hexadecimal, optional K, M, G or T suffix. */
int fb_parse_size(const char *s, uint64_t *out);

/* store.c */
int only_json(int argc, char **argv, const char *usage);
int cmd_status(int argc, char **argv);
int cmd_format(int argc, char **argv);
int cmd_put(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_log(int argc, char **argv);

/* guest.c */
int cmd_guest(int argc, char **argv);
/* Where fastbootfs shows guest memory regions (mounted by fb_guest_mount). */
#define GUEST_DIR "/run/fastboot/guest"
int fb_guest_mount(void);


/* boot.c: the early-boot step of an image given by reference */
int cmd_boot(int argc, char **argv);
extern const char fb_boot_protocol[];

/* setup.c */
int cmd_setup(int argc, char **argv);

/* vm.c */
int cmd_vm(int argc, char **argv);

#endif
