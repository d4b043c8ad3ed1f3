/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastboot: what the module's files share.
 */
#ifndef FASTBOOT_INTERNAL_H
#define FASTBOOT_INTERNAL_H

#include <linux/mutex.h>
#include <linux/types.h>
#include "format.h"

/* region.c: the reserved physical range. */
struct fastboot_region {
	phys_addr_t start;
	u64 size;
	struct resource *res;
	struct fb_region map;		/* mapping and write hook for format.c */
};

int fastboot_region_parse(const char *arg, phys_addr_t *start, u64 *size);
int fastboot_region_claim(struct fastboot_region *reg, phys_addr_t start,
			  u64 size);
void fastboot_region_release(struct fastboot_region *reg);

/* store.c: the store attached to the region. */
struct crypto_shash;

struct fastboot_store {
	struct mutex lock;		/* serialises every operation */
	struct fastboot_region region;
	int state;			/* enum fb_state */
	int slot;			/* copy holding the committed state */
	bool readonly;
	bool fallback;
	bool sealed;			/* given up for a reboot */
	bool crash_started;		/* the panic path began a crash record */
	char armed_image[64];		/* set by fastboot arm, in memory only */
	char why[FB_WHY_MAX];
	struct fb_meta *cur;		/* mirror of the committed state */
	struct fb_meta *work;		/* working copy of a transaction */
	u32 *scratch;			/* FB_MAX_OBJECTS u32s for validation */
	struct crypto_shash *sha;	/* object digests (crypto API sha256) */
	u32 users[FB_MAX_OBJECTS];	/* open guest memory files per slot */
};

extern struct fastboot_store fastboot_store;
extern char *fastboot_image_param;

int fastboot_store_attach(struct fastboot_store *st);
void fastboot_store_detach(struct fastboot_store *st);
int fastboot_store_format(struct fastboot_store *st, bool force);
int fastboot_store_put(struct fastboot_store *st, const char *name, u32 type,
		       u32 flags, const void __user *data, u64 len,
		       const u8 *tag);
int fastboot_store_read(struct fastboot_store *st, const char *name, u64 id,
			u64 offset, void __user *buf, u64 len, u64 *done);
int fastboot_store_rm(struct fastboot_store *st, const char *name);
/* The current boot's record: reason and image name (64 bytes). */
void fastboot_store_current_boot(struct fastboot_store *st, u32 *reason,
				 char *image);
/* Seal for an orderly reboot (may sleep). */
void fastboot_store_seal(struct fastboot_store *st, u32 reason);
/* Panic context: take no lock and allocate nothing. */
void fastboot_store_seal_panic(struct fastboot_store *st, const char *msg);
void fastboot_store_crash_log(struct fastboot_store *st);

/* Guest memory regions (store.c). */
int fastboot_store_guest_create(struct fastboot_store *st, const char *name,
				u64 size, u32 mode, u32 uid, u32 gid);
/* Find guest object name (with id, if not 0): its slot, or -ENOENT. */
int fastboot_store_guest_find(struct fastboot_store *st, const char *name,
			      u64 id);

/* guestmem.c: the fastbootfs pseudo-filesystem over guest regions. */
int fastboot_guestfs_init(void);
void fastboot_guestfs_exit(void);

/* ioctl.c: /dev/fastboot. */
int fastboot_dev_init(void);
void fastboot_dev_exit(void);

/* panic.c: reboot and panic hooks. */
int fastboot_hooks_init(void);
void fastboot_hooks_exit(void);

#endif /* FASTBOOT_INTERNAL_H */
