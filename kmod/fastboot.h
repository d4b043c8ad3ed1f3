/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastboot: what the module's files share.
 */
#ifndef FASTBOOT_INTERNAL_H
#define FASTBOOT_INTERNAL_H

#include <linux/mutex.h>
#include <linux/types.h>
#include <asm/page.h>
#include "format.h"

struct fastboot_vdev;

/*
 * The data area is addressed in the format's 4 KiB pages and mapped into
 * VMMs as kernel pages: the two must be the same size.  Only x86-64 is
 * built (dkms.conf says so too); the cache flushes in region.c are x86's.
 */
#if !defined(CONFIG_X86_64)
#error "fastboot is built for x86-64 only"
#endif
#if PAGE_SHIFT != FB_PAGE_SHIFT
#error "fastboot needs PAGE_SHIFT == FB_PAGE_SHIFT (4 KiB pages)"
#endif

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
/* Write [off, off + len) of the region back from the CPU caches to RAM. */
void fastboot_region_flush(struct fastboot_region *reg, u64 off, u64 len);

/* store.c: the store attached to the region. */
struct crypto_shash;

/*
 * Locking.  Two mutexes, always taken in this order:
 *
 * - op_lock serialises the operations that change the store (put, rm,
 *   guest create, format).  It may be held across user memory access and
 *   long work (copying an object in, zeroing a region), so it is always
 *   taken killable, and never by the mmap, fault, lookup, open or reboot
 *   paths.
 * - lock guards the committed state (cur, state, slot, sealed, users[])
 *   and is held only for short, bounded work: never across an access to
 *   user memory (which may fault, and faults take mmap_lock, which the
 *   mmap path holds when it takes this lock).  The reboot notifier waits
 *   for it, bounded (fastboot_store_seal()).
 *
 * The working copy (work) belongs to the holder of op_lock; commit() swaps
 * it with cur under lock.  The panic path takes neither.
 */
struct fastboot_store {
	struct mutex op_lock;		/* serialises changes (see above) */
	struct mutex lock;		/* guards the committed state */
	struct fastboot_region region;
	int state;			/* enum fb_state */
	int slot;			/* copy holding the committed state */
	bool readonly;
	bool fallback;
	bool sealed;			/* given up for a reboot */
	bool crash_started;		/* the panic path began a crash record */
	char armed_image[64];		/* set by fastboot arm, in memory only */
	char next_image[64];		/* set by fastboot update, in memory only */
	char image_store[64];		/* this boot's image, by the store */
	char why[FB_WHY_MAX];
	struct fb_meta *cur;		/* mirror of the committed state */
	struct fb_meta *work;		/* working copy of a transaction */
	u64 *scratch;			/* FB_SCRATCH_U64 for validation */
	u32 cap_objects;		/* most objects any store here has */
	struct crypto_shash *sha;	/* object digests (crypto API sha256) */
	/*
	 * Users of each slot's object: open guest memory files, verified
	 * block devices (vdev.c).  An object with users is never removed,
	 * replaced or reformatted.  cap_objects entries.
	 */
	u32 *users;
};

extern struct fastboot_store fastboot_store;
extern char *fastboot_image_param;

int fastboot_store_attach(struct fastboot_store *st);
void fastboot_store_detach(struct fastboot_store *st);
int fastboot_store_format(struct fastboot_store *st, bool force);
int fastboot_store_upgrade(struct fastboot_store *st);
int fastboot_store_put(struct fastboot_store *st, const char *name, u32 type,
		       u32 flags, const void __user *data, u64 len,
		       const u8 *tag);
int fastboot_store_read(struct fastboot_store *st, const char *name, u64 id,
			u64 offset, void __user *buf, u64 len, u64 *done);
int fastboot_store_rm(struct fastboot_store *st, const char *name);
/* The current boot's record: reason and image name (64 bytes). */
void fastboot_store_current_boot(struct fastboot_store *st, u32 *reason,
				 char *image);
/*
 * Seal for an orderly reboot (may sleep); kexec: the reboot is a kexec,
 * which boots next_image if fastboot update set one.
 */
void fastboot_store_seal(struct fastboot_store *st, u32 reason, bool kexec);
/* Panic context: take no lock and allocate nothing. */
void fastboot_store_seal_panic(struct fastboot_store *st, const char *msg);
void fastboot_store_crash_log(struct fastboot_store *st);

/* Guest memory regions (store.c). */
int fastboot_store_guest_create(struct fastboot_store *st, const char *name,
				u64 size, u32 mode, u32 uid, u32 gid);
/* Find guest object name (with id, if not 0): its slot, or -ENOENT. */
int fastboot_store_guest_find(struct fastboot_store *st, const char *name,
			      u64 id);

/*
 * A pinned object (an open guest memory file, a verified block device):
 * its extents, copied when it was pinned.  They cannot change while it is
 * pinned (an object with users is never removed, replaced or
 * reformatted), so the users read them without any lock.
 */
struct fastboot_obj_ext {
	u64 offset;			/* first page in the file */
	u64 start;			/* first page in the data area */
	u64 pages;
};

struct fastboot_obj_map {
	int idx;			/* object slot, counted in users[] */
	u64 id;
	u64 size;
	u32 nr;
	struct fastboot_obj_ext ext[];
};

/*
 * Pin object name of type type (with id, if not 0): count a user and copy
 * its extents.  Returns the map or an ERR_PTR (-ENOENT: no such object of
 * that type).  fastboot_store_unpin() undoes it.
 */
struct fastboot_obj_map *fastboot_store_pin(struct fastboot_store *st,
					    const char *name, u64 id, u32 type);
void fastboot_store_unpin(struct fastboot_store *st,
			  struct fastboot_obj_map *map);
/* Where page page of the data area is mapped. */
static inline u8 *fastboot_data_ptr(struct fastboot_store *st, u64 page)
{
	return st->region.map.base + FB_DATA_OFFSET + (page << FB_PAGE_SHIFT);
}

/*
 * Create a guest region (as fastboot_store_guest_create()) and pin it for
 * a file in one step: fastbootfs's open(O_CREAT) + ftruncate.
 */
struct fastboot_obj_map *
fastboot_store_guest_create_open(struct fastboot_store *st, const char *name,
				 u64 size, u32 mode, u32 uid, u32 gid);
struct fastboot_obj_map *fastboot_store_guest_open(struct fastboot_store *st,
						     const char *name, u64 id,
						     bool write);
void fastboot_store_guest_close(struct fastboot_store *st,
				struct fastboot_obj_map *map);
/* The inode number of a guest object (the root directory is 1). */
static inline unsigned long fastboot_guest_ino(u64 id)
{
	return id + 1;
}

/* guestmem.c: the fastbootfs pseudo-filesystem over guest regions. */
int fastboot_guestfs_init(void);
void fastboot_guestfs_exit(void);

/* ioctl.c: /dev/fastboot. */
int fastboot_dev_init(void);
void fastboot_dev_exit(void);

/*
 * vdev.c: verified read-only block devices over boot objects
 * (/dev/fbvN), for the mount modules of `fastboot boot`.
 */
int fastboot_vdev_init(void);
void fastboot_vdev_exit(void);
long fastboot_vdev_add(struct fastboot_store *st, struct fastboot_vdev *a);
long fastboot_vdev_del(struct fastboot_store *st, u32 index);
long fastboot_vdev_info(struct fastboot_vdev *a);

/* panic.c: reboot and panic hooks. */
int fastboot_hooks_init(void);
void fastboot_hooks_exit(void);

#endif /* FASTBOOT_INTERNAL_H */
