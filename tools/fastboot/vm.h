/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * fastboot tool: keep a running QEMU VM across an update.  `vm save` moves
 * a stopped VM's device state into the store (its RAM stays where it is,
 * in a shared, persistent memory backend) and `vm restore` starts the same
 * QEMU with -incoming defer and loads that state back.
 */
#ifndef FASTBOOT_VM_H
#define FASTBOOT_VM_H

int cmd_vm(int argc, char **argv);

#endif
