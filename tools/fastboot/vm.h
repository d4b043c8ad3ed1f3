/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * fastboot tool: keep a running QEMU VM across an update.  `vm save` moves
 * a stopped VM's device state into the store (its RAM stays where it is,
 * in a shared, persistent memory backend) and `vm restore` starts the same
 * QEMU with -incoming defer and loads that state back.  --all does it for
 * every VM at once (vmall.c).
 */
#ifndef FASTBOOT_VM_H
#define FASTBOOT_VM_H

#include <stdbool.h>
#include <stdint.h>
#include "vmargs.h"

/* What one save or restore did, for vm save|restore --all. */
struct vm_result {
	char name[64];
	char qemu[32];
	char mode[32];
	int pid;
	bool ok;
	uint64_t state_bytes;
	uint64_t at_ms;		/* save: stopped_at_ms; restore: resumed_at_ms */
	uint64_t total_ms;
	/* the durations of the single command's --json: save: stop_ms,
	 * save_ms, store_ms, quit_ms; restore: start_ms, load_ms, cont_ms */
	uint64_t phase_ms[4];
	char what[128], why[384];	/* the first error, when not ok */
};

int cmd_vm(int argc, char **argv);

/* vm.c, for vmall.c */
int vm_open_store(void);
void vm_close_store(int dev);
int vm_saved_names(int dev, struct buf *names);
int vm_save_one(int dev, const char *name, const char *qmp_path, int timeout,
		struct vm_result *res);
int vm_restore_one(int dev, const char *name, const char *qmp_arg,
		   const char *log, int timeout, bool keep, struct vm_result *res);

/* vmall.c */
int vm_all(bool save, int timeout, const char *log, bool keep);

#endif
