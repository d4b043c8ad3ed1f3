/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT */
/*
 * fastboot: the ioctl ABI of /dev/fastboot.
 *
 * Every argument struct begins with a __u32 size that the caller sets to
 * sizeof() of the struct as it knows it.  The module accepts any size from
 * the first published version of the struct (FASTBOOT_*_SIZE_VER0) up to
 * a page: a shorter one fails with EINVAL, and bytes the module does not
 * know must be zero or the call fails with E2BIG.  Output is copied back up
 * to the smaller of the two sizes.  Calls that change the store require
 * CAP_SYS_ADMIN; reading object data requires it too.
 */
#ifndef _UAPI_LINUX_FASTBOOT_H
#define _UAPI_LINUX_FASTBOOT_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define FASTBOOT_DEVICE		"/dev/fastboot"
#define FASTBOOT_NAME_MAX	64	/* including the NUL */

enum fastboot_state {
	FASTBOOT_STATE_UNFORMATTED = 0,
	FASTBOOT_STATE_READY = 1,
	FASTBOOT_STATE_DAMAGED = 2,
};

enum fastboot_reason {
	FASTBOOT_REASON_NONE = 0,
	FASTBOOT_REASON_FIRST = 1,
	FASTBOOT_REASON_UPDATE = 2,
	FASTBOOT_REASON_CRASH = 3,
	FASTBOOT_REASON_UNCLEAN = 4,
};

enum fastboot_obj_type {
	FASTBOOT_OBJ_BOOT = 1,
	FASTBOOT_OBJ_GUEST = 2,
	FASTBOOT_OBJ_BLOB = 3,
};

/* fastboot_status.flags */
#define FASTBOOT_STATUS_READONLY	0x1	/* unknown ro_compat features */
#define FASTBOOT_STATUS_FALLBACK	0x2	/* one metadata copy was bad */
#define FASTBOOT_STATUS_SEALED		0x4	/* given up for a reboot */
#define FASTBOOT_STATUS_ARMED		0x8	/* a crash kernel is loaded and
						   fastboot arm recorded it */
#define FASTBOOT_STATUS_TABLES		0x10	/* the store has big tables */

struct fastboot_status {
	__u32 size;
	__u32 state;		/* enum fastboot_state */
	__u64 region_start;
	__u64 region_size;
	__u64 capacity_bytes;
	__u64 used_bytes;
	__u64 free_bytes;
	__u64 generation;
	__u64 boot_count;
	__u32 boot_reason;	/* enum fastboot_reason */
	__u32 objects;
	__u32 flags;		/* FASTBOOT_STATUS_* */
	__u32 max_objects;
	__u64 format_time_ns;
	__u8 uuid[16];
	char why[128];		/* why damaged, or a note */
	/* VER1 */
	char image[64];		/* boot image this boot came up with, if any */
	/* VER2 */
	char armed_image[64];	/* recovery image armed by fastboot arm */
	/* VER3 */
	char image_store[64];	/* the image the store's next-boot record named */
	char image_param[64];	/* the image= module parameter (modprobe) */
	char next_image[64];	/* what the next kexec boots (fastboot update) */
};
#define FASTBOOT_STATUS_SIZE_VER0	232
#define FASTBOOT_STATUS_SIZE_VER1	296
#define FASTBOOT_STATUS_SIZE_VER2	360
#define FASTBOOT_STATUS_SIZE_VER3	552

/* fastboot_format.flags */
#define FASTBOOT_FORMAT_FORCE		0x1	/* wipe an existing store */
#define FASTBOOT_FORMAT_UPGRADE		0x2	/* give a store big tables, keeping
						   its objects (not with FORCE) */

struct fastboot_format {
	__u32 size;
	__u32 flags;
};
#define FASTBOOT_FORMAT_SIZE_VER0	8

/* fastboot_put.flags */
#define FASTBOOT_PUT_NOREPLACE		0x1	/* fail with EEXIST if present */

/*
 * Store len bytes from data as object name.  An existing object of that
 * name is replaced atomically: the old one stays until the new one is
 * committed, complete and with its SHA-256 computed.
 */
struct fastboot_put {
	__u32 size;
	__u32 type;		/* enum fastboot_obj_type */
	__u32 flags;
	__u32 reserved;
	char name[FASTBOOT_NAME_MAX];
	__u64 data;		/* user pointer */
	__u64 len;
	__u8 tag[48];		/* opaque, kept with the object */
};
#define FASTBOOT_PUT_SIZE_VER0		144

/*
 * Copy up to len bytes of object name from offset into buf.  With a
 * non-zero id (VER1) the object must still be that one (a replaced object
 * gets a new id), or the call fails with ESTALE.
 */
struct fastboot_read {
	__u32 size;
	__u32 flags;
	char name[FASTBOOT_NAME_MAX];
	__u64 offset;
	__u64 buf;		/* user pointer */
	__u64 len;
	__u64 bytes;		/* out: bytes copied */
	/* VER1 */
	__u64 id;
};
#define FASTBOOT_READ_SIZE_VER0		104
#define FASTBOOT_READ_SIZE_VER1		112

/* fastboot_info.flags */
#define FASTBOOT_INFO_BY_NAME		0x1	/* look up name, not index */

/*
 * Describe one object: the one called name with FASTBOOT_INFO_BY_NAME,
 * otherwise the first in-use table entry at or after index (index is
 * updated; ENOENT past the last one).
 */
struct fastboot_info {
	__u32 size;
	__u32 flags;
	__u32 index;
	__u32 type;
	char name[FASTBOOT_NAME_MAX];
	__u64 id;
	__u64 bytes;
	__u64 ctime_ns;
	__u8 sha256[32];
	__u32 obj_flags;	/* FASTBOOT_OBJ_F_* */
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u8 tag[48];
};
#define FASTBOOT_INFO_SIZE_VER0		200

#define FASTBOOT_OBJ_F_DIGEST		0x1	/* sha256 is valid */

struct fastboot_rm {
	__u32 size;
	__u32 flags;
	char name[FASTBOOT_NAME_MAX];
};
#define FASTBOOT_RM_SIZE_VER0		72

/* One boot in the history, as fb_boot_rec in the format. */
struct fastboot_boot {
	__u64 boot;
	__u64 time_ns;		/* CLOCK_REALTIME */
	__u32 reason;		/* enum fastboot_reason */
	__u32 reserved;
	char release[48];
	char image[64];
};

#define FASTBOOT_HISTORY_MAX	16

/* The boot history, oldest first. */
struct fastboot_log {
	__u32 size;
	__u32 count;		/* out: valid entries in boots[] */
	struct fastboot_boot boots[FASTBOOT_HISTORY_MAX];
};
#define FASTBOOT_LOG_SIZE_VER0		2184

/*
 * The last crash record: header and panic message, and up to log_size
 * bytes of the kernel log tail copied to log.  ENOENT when there is none.
 */
struct fastboot_crash {
	__u32 size;
	__u32 flags;
	__u64 boot;		/* the boot that crashed */
	__u64 time_ns;
	__u32 complete;		/* 1: the log tail is intact */
	__u32 msg_len;
	__u32 log_len;		/* out: bytes of log available */
	__u32 reserved;
	char msg[256];
	__u64 log;		/* user pointer */
	__u64 log_size;		/* in: size of the log buffer */
};
#define FASTBOOT_CRASH_SIZE_VER0	312

/* fastboot_arm.flags */
#define FASTBOOT_ARM_CLEAR		0x1	/* disarmed */

/* Record which image fastboot arm loaded as the crash kernel. */
struct fastboot_arm {
	__u32 size;
	__u32 flags;
	char image[64];
};
#define FASTBOOT_ARM_SIZE_VER0		72

/* fastboot_next.flags */
#define FASTBOOT_NEXT_CLEAR		0x1	/* the next kexec is not ours */

/*
 * Record which image the next kexec boots (fastboot update, after loading
 * it and writing its record): an orderly kexec then leaves a next-boot
 * record in the store, so the next boot knows its image however the
 * module is loaded.  Needs CAP_SYS_BOOT.
 */
struct fastboot_next {
	__u32 size;
	__u32 flags;
	char image[64];
};
#define FASTBOOT_NEXT_SIZE_VER0		72

/*
 * Create a guest memory region: zeroed, 2 MiB aligned, owned by uid:gid
 * with permissions mode (at most 0777).  It appears as a file in
 * fastbootfs.
 */
struct fastboot_guest {
	__u32 size;
	__u32 flags;
	char name[FASTBOOT_NAME_MAX];
	__u64 bytes;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 reserved;
};
#define FASTBOOT_GUEST_SIZE_VER0	96

/*
 * A verified block device: /dev/fbvN, read-only, over boot object
 * "object", each 4 KiB block checked against a hash tree the first time
 * it is read (Documentation/verity.rst).  The tree is boot object "tree",
 * in dm-verity's format: SHA-256, 4 KiB data and hash blocks, no salt
 * (version 1), no superblock, the level nearest the root first, the
 * object's last block zero-padded; root_hash is the digest of its top
 * block (of the only data block when the object has one block, and then
 * the tree is empty).  A block that does not match fails its read with
 * EIO, and the kernel log names the object and the block once.  Both
 * objects are pinned while the device exists: rm refuses them (EBUSY).
 *
 * FASTBOOT_IOC_VDEV_ADD: object, tree, root_hash in; index out
 *   (CAP_SYS_ADMIN).  EINVAL when the tree's size does not fit the
 *   object's, ENOENT when either is not a boot object.
 * FASTBOOT_IOC_VDEV_DEL: index in (CAP_SYS_ADMIN); EBUSY while the
 *   device is open (mounted).  The devices go with the module too.
 * FASTBOOT_IOC_VDEV_INFO: the first device whose index is at or after
 *   index (index updated; ENOENT past the last), everything out.
 */
struct fastboot_vdev {
	__u32 size;
	__u32 flags;
	__u32 index;		/* N of /dev/fbvN */
	__u32 openers;		/* out: open now (mounted) */
	char object[64];
	char tree[64];
	__u8 root_hash[32];
	__u64 bytes;		/* out: the device's size (the object's, in
				   whole 4 KiB blocks) */
	__u64 verified;		/* out: data blocks verified so far */
	__u64 failed;		/* out: blocks (data or tree) that did not match */
};
#define FASTBOOT_VDEV_SIZE_VER0		200

#define FASTBOOT_IOC_MAGIC	0xfb
#define FASTBOOT_IOC_STATUS	_IOWR(FASTBOOT_IOC_MAGIC, 0, struct fastboot_status)
#define FASTBOOT_IOC_FORMAT	_IOW(FASTBOOT_IOC_MAGIC, 1, struct fastboot_format)
#define FASTBOOT_IOC_PUT	_IOW(FASTBOOT_IOC_MAGIC, 2, struct fastboot_put)
#define FASTBOOT_IOC_READ	_IOWR(FASTBOOT_IOC_MAGIC, 3, struct fastboot_read)
#define FASTBOOT_IOC_INFO	_IOWR(FASTBOOT_IOC_MAGIC, 4, struct fastboot_info)
#define FASTBOOT_IOC_RM		_IOW(FASTBOOT_IOC_MAGIC, 5, struct fastboot_rm)
#define FASTBOOT_IOC_LOG	_IOWR(FASTBOOT_IOC_MAGIC, 6, struct fastboot_log)
#define FASTBOOT_IOC_CRASH	_IOWR(FASTBOOT_IOC_MAGIC, 7, struct fastboot_crash)
#define FASTBOOT_IOC_ARM	_IOW(FASTBOOT_IOC_MAGIC, 8, struct fastboot_arm)
#define FASTBOOT_IOC_GUEST	_IOW(FASTBOOT_IOC_MAGIC, 9, struct fastboot_guest)
#define FASTBOOT_IOC_NEXT	_IOW(FASTBOOT_IOC_MAGIC, 10, struct fastboot_next)
#define FASTBOOT_IOC_VDEV_ADD	_IOWR(FASTBOOT_IOC_MAGIC, 11, struct fastboot_vdev)
#define FASTBOOT_IOC_VDEV_DEL	_IOW(FASTBOOT_IOC_MAGIC, 12, struct fastboot_vdev)
#define FASTBOOT_IOC_VDEV_INFO	_IOWR(FASTBOOT_IOC_MAGIC, 13, struct fastboot_vdev)

#endif /* _UAPI_LINUX_FASTBOOT_H */
