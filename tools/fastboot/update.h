/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* fastboot tool: boot-image updates and crash-kernel arming. */
#ifndef FASTBOOT_UPDATE_H
#define FASTBOOT_UPDATE_H

#include <stdbool.h>

/* update (crash = false) and arm (crash = true) share one pipeline. */
int run_update(int argc, char **argv, const char *cmd, bool crash);
int cmd_update(int argc, char **argv);
int cmd_arm(int argc, char **argv);
int cmd_disarm(int argc, char **argv);

#endif
