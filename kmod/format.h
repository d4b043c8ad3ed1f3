/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * fastboot persistent store: the in-RAM format.
 *
 * This header and format.c are the single source of truth for the store's
 * layout.  They use no kernel API: the module, the fastboot tool, the
 * userspace unit tests and the fuzzers compile them unmodified.
 * Documentation/format.rst is generated from the DOC: comments below by
 * scripts/gen-format-doc.sh; `make check` fails when the two disagree.
 */
#ifndef FASTBOOT_FORMAT_H
#define FASTBOOT_FORMAT_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#include <linux/errno.h>
#else
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <errno.h>
#endif

/**
 * DOC: Overview
 *
 * The store lives in a physically contiguous range of RAM that the kernel
 * never uses (on x86: reserved with ``memmap=SIZE$ADDR``).  All fields are
 * fixed-width and little-endian; the code that reads them is built only for
 * little-endian hosts (a compile-time check refuses others), so an on-RAM
 * struct is used in place.  Offsets are from the start of the region::
 *
 *   0x000000  metadata copy 0        (FB_META_BYTES, 128 KiB)
 *   0x020000  metadata copy 1        (FB_META_BYTES)
 *   0x040000  seal record            (64 bytes; the next-boot record at
 *                                     0x040100; both in one 4 KiB page)
 *   0x041000  crash record area      (60 KiB, reserved for the panic path)
 *   0x050000  reserved, zero
 *   0x200000  data area: 4 KiB pages up to the end of the region
 *
 * The data area starts 2 MiB into the region so that data extents can be
 * 2 MiB aligned in physical memory when the region itself is.
 */
#define FB_PAGE_SIZE		4096u
#define FB_PAGE_SHIFT		12
#define FB_META_BYTES		(128u * 1024)
#define FB_META_OFFSET(slot)	((uint64_t)(slot) * FB_META_BYTES)
#define FB_SEAL_OFFSET		0x40000ull
#define FB_NEXT_OFFSET		(FB_SEAL_OFFSET + 0x100)
#define FB_CRASH_OFFSET		0x41000ull
#define FB_CRASH_BYTES		0xf000u
#define FB_DATA_OFFSET		0x200000ull
#define FB_MIN_REGION		(FB_DATA_OFFSET + 2 * 1024 * 1024)
#define FB_MAX_DATA_PAGES	0xfffffffeull

#define FB_MAGIC		0x544f4f4254534146ull	/* "FASTBOOT" */
#define FB_SEAL_MAGIC		0x4c41455342544146ull	/* "FATBSEAL" */
#define FB_NEXT_MAGIC		0x54584e4542544146ull	/* "FATBENXT" */
#define FB_VERSION		1u

/**
 * DOC: Feature masks
 *
 * Three masks in the superblock say what a store uses beyond version 1:
 *
 * - ``compat``: features an older module may ignore entirely.
 * - ``ro_compat``: an older module may read the store but must not write it;
 *   it attaches in state ``ready`` with writes refused.
 * - ``incompat``: an older module must not touch the store at all; it
 *   attaches in state ``damaged`` with the reason "unsupported features".
 *
 * Version 1 defines no feature bits.  A module refuses a store whose
 * ``version`` is not FB_VERSION.
 */
#define FB_COMPAT_SUPP		0u
#define FB_RO_COMPAT_SUPP	0u
#define FB_INCOMPAT_SUPP	0u

#define FB_NAME_MAX		64	/* including the terminating NUL */
#define FB_MAX_OBJECTS		384
#define FB_MAX_EXTENTS		3072
#define FB_BOOT_HISTORY		16
#define FB_EXT_FREE		0xffffffffu

/* Object types, equal to the uapi's FASTBOOT_OBJ_* values. */
enum fb_obj_type {
	FB_OBJ_NONE = 0,	/* unused table slot */
	FB_OBJ_BOOT = 1,	/* boot-image module: a kernel or an initramfs part */
	FB_OBJ_GUEST = 2,	/* guest memory mapped by a VMM */
	FB_OBJ_BLOB = 3,	/* small state blob */
	FB_OBJ_TYPE_MAX = 3,
};

/* Object flags. */
#define FB_OBJ_F_DIGEST		0x1u	/* sha256 holds the digest of the contents */
#define FB_OBJ_F_KNOWN		FB_OBJ_F_DIGEST

/* How the current boot found the store (boot reason). */
enum fb_reason {
	FB_REASON_NONE = 0,
	FB_REASON_FIRST = 1,	/* formatted during this boot */
	FB_REASON_UPDATE = 2,	/* sealed by an orderly reboot or kexec */
	FB_REASON_CRASH = 3,	/* sealed by the panic path */
	FB_REASON_UNCLEAN = 4,	/* not sealed at all */
	FB_REASON_MAX = 4,
	FB_SEAL_DETACH = 5,	/* seal only: the module let go, same boot */
};

/**
 * DOC: Boot history
 *
 * struct fb_boot_rec - one entry of the boot history ring in the superblock.
 * Each attach appends one record: the boot number, the reason, the time
 * (CLOCK_REALTIME, ns), the running kernel release and the name of the boot
 * image, if one was recorded.  ``history_head`` indexes the next entry to
 * write; the ring holds the last FB_BOOT_HISTORY boots.
 */
struct fb_boot_rec {
	uint64_t boot;
	uint64_t time_ns;
	uint32_t reason;
	uint32_t reserved;
	char release[48];
	char image[64];
};

/**
 * DOC: Superblock
 *
 * struct fb_super - the first 4 KiB of each metadata copy.
 *
 * ``magic`` is "FASTBOOT".  ``crc`` is the CRC32C (Castagnoli, initial value
 * and final xor 0xffffffff) of the whole 128 KiB copy computed with ``crc``
 * itself set to zero.  ``slot`` repeats the copy's own index, so a copy found
 * at the wrong place is refused.  ``generation`` counts commits; the valid
 * copy with the higher generation is the current state.  ``region_bytes``
 * is the size the store was formatted for and must equal the region the
 * module is given.  ``uuid`` is random per format and ties the seal record
 * to this store.  ``boot_count`` counts the boots that attached the store,
 * ``boot_reason`` says how the current boot found it.
 */
struct fb_super {
	uint64_t magic;
	uint32_t version;
	uint32_t super_bytes;
	uint32_t meta_bytes;
	uint32_t crc;
	uint32_t compat;
	uint32_t incompat;
	uint32_t ro_compat;
	uint32_t slot;
	uint64_t generation;
	uint64_t region_bytes;
	uint64_t data_offset;
	uint32_t data_pages;
	uint32_t max_objects;
	uint32_t max_extents;
	uint32_t nr_extents;
	uint64_t next_object_id;
	uint64_t boot_count;
	uint32_t boot_reason;
	uint32_t history_head;
	uint64_t format_time_ns;
	uint8_t uuid[16];
	uint8_t reserved0[32];
	struct fb_boot_rec history[FB_BOOT_HISTORY];
	uint8_t reserved1[4096 - 160 - FB_BOOT_HISTORY * 136];
};

/**
 * DOC: Object table
 *
 * struct fb_object - one entry of the object table (FB_MAX_OBJECTS entries).
 * A slot is in use when ``type`` is not zero; then ``name`` is 1 to 63
 * printable ASCII bytes (0x20-0x7e) without ``/``, not ``.`` or ``..``,
 * NUL-padded, and unique in the table.  ``size`` is the object's length in
 * bytes; its data occupies exactly ceil(size / 4096) pages of the data area.
 * ``sha256`` is the digest of the contents when FB_OBJ_F_DIGEST is set.
 * ``mode``, ``uid`` and ``gid`` are the owner and permissions of guest
 * memory.  ``tag`` is opaque to the store: the tool records the identity of
 * a boot module's source file there.  A free slot is all zero.
 */
struct fb_object {
	char name[FB_NAME_MAX];
	uint32_t type;
	uint32_t flags;
	uint64_t id;
	uint64_t size;
	uint64_t ctime_ns;
	uint8_t sha256[32];
	uint32_t mode;
	uint32_t uid;
	uint32_t gid;
	uint32_t reserved;
	uint8_t tag[48];
};

/**
 * DOC: Extent allocator
 *
 * struct fb_extent - one entry of the extent table.  The first
 * ``nr_extents`` entries tile the data area exactly: sorted by ``start``
 * (a page index into the data area), each beginning where the previous one
 * ends, none empty, the last ending at ``data_pages``.  An extent is free
 * when ``owner`` is FB_EXT_FREE (then ``offset`` is 0, and two free extents
 * are never adjacent); otherwise ``owner`` is the index of an object in use
 * and ``offset`` is the page of that object the extent starts at.  An
 * object's extents appear in the table in the order of their offsets, each
 * starting where the previous ended, and together cover the object exactly.
 * Entries past ``nr_extents`` are zero.  Allocation is first fit, with an
 * optional alignment (2 MiB for guest memory).
 */
struct fb_extent {
	uint32_t start;
	uint32_t pages;
	uint32_t owner;
	uint32_t offset;
};

/**
 * DOC: Metadata copy
 *
 * struct fb_meta - one metadata copy: superblock, object table and extent
 * table, 128 KiB in all.  There are two copies.  A commit writes the new
 * state, with ``generation`` one higher, into the copy that does not hold
 * the current state, changing only the 64-byte lines that differ and the
 * line holding ``crc`` last.  A power cut or panic at any point leaves the
 * old copy intact and the new copy either complete or failing its CRC, so
 * the store reads back as exactly the old or exactly the new state.  Data
 * is written only into extents free in the current state before the commit
 * that makes it part of an object.
 */
struct fb_meta {
	struct fb_super sb;
	struct fb_object obj[FB_MAX_OBJECTS];
	struct fb_extent ext[FB_MAX_EXTENTS];
	uint8_t pad[FB_META_BYTES - 4096 - FB_MAX_OBJECTS * 192 -
		    FB_MAX_EXTENTS * 16];
};

/**
 * DOC: Seal record
 *
 * struct fb_seal - written when the running kernel gives up the store: by
 * the reboot notifier on an orderly reboot or kexec (reason ``update``) or
 * by the panic notifier (reason ``crash``), or by a module unload (reason
 * ``detach``; ``time_ns`` minus ``boottime_ns`` then identifies the boot,
 * so that reloading the module in the same boot is not counted as a new
 * boot).  It is valid when the magic and
 * CRC32C (over the record with ``crc`` zero) match and ``uuid`` and
 * ``boot_count`` equal the current superblock's.  The next attach derives
 * the boot reason from it (no valid seal means ``unclean``) and then clears
 * it.
 */
struct fb_seal {
	uint64_t magic;
	uint8_t uuid[16];
	uint64_t boot_count;
	uint64_t generation;
	uint64_t time_ns;
	uint32_t reason;
	uint32_t crc;
	uint64_t boottime_ns;
};

/**
 * DOC: Next-boot record
 *
 * struct fb_next - the boot image the next boot runs, written beside the
 * seal (at FB_NEXT_OFFSET, in the seal's page) by the kernel that gives
 * the store up: by the reboot notifier of a kexec after ``fastboot update``
 * told the module which image it loaded, and by the panic path when the
 * crash kernel is the recovery image ``fastboot arm`` loaded.  It is valid
 * when the magic and CRC32C (over the record with ``crc`` zero) match and
 * ``uuid`` and ``boot_count`` equal the superblock's (the sealing boot's
 * count); the next attach takes the image name from it, whichever way the
 * module was loaded, and then clears it.  Any other reboot writes none, so
 * a boot that fastboot did not start has no image.  Modules that predate
 * the record never read or write these bytes.
 */
struct fb_next {
	uint64_t magic;
	uint8_t uuid[16];
	uint64_t boot_count;
	uint32_t crc;
	uint32_t reserved;
	char image[64];
};

/**
 * DOC: Crash record
 *
 * struct fb_crash - written by the panic path into the crash record area
 * (FB_CRASH_OFFSET, FB_CRASH_BYTES): a 512-byte header with the panic
 * message, followed by up to FB_CRASH_LOG_MAX bytes of the end of the
 * kernel log, captured by a kmsg dumper.  ``crc`` covers the header (with
 * ``crc`` zero) and ``log_crc`` the ``log_len`` log bytes, so a record cut
 * short by a second fault is recognised.  ``uuid`` and ``boot`` tie it to
 * the store and to the boot that crashed; the record stays until the next
 * crash or format, and the boot history shows it for that boot.
 */
struct fb_crash {
	uint64_t magic;
	uint8_t uuid[16];
	uint64_t boot;
	uint64_t time_ns;
	uint32_t msg_len;
	uint32_t log_len;
	uint32_t crc;
	uint32_t log_crc;
	char msg[256];
	uint8_t reserved[200];
};

#define FB_CRASH_MAGIC		0x2148534152434246ull	/* "FBCRASH!" */
#define FB_CRASH_LOG_OFFSET	(FB_CRASH_OFFSET + 512)
#define FB_CRASH_LOG_MAX	(FB_CRASH_BYTES - 512)

#define FB_ASSERT_SIZE(type, size) \
	_Static_assert(sizeof(type) == (size), #type " has the wrong size")
FB_ASSERT_SIZE(struct fb_boot_rec, 136);
FB_ASSERT_SIZE(struct fb_super, 4096);
FB_ASSERT_SIZE(struct fb_object, 192);
FB_ASSERT_SIZE(struct fb_extent, 16);
FB_ASSERT_SIZE(struct fb_meta, FB_META_BYTES);
FB_ASSERT_SIZE(struct fb_seal, 64);
FB_ASSERT_SIZE(struct fb_next, 104);
FB_ASSERT_SIZE(struct fb_crash, 512);
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the fastboot format is used in place: little-endian hosts only");

/* States of an attached region. */
enum fb_state {
	FB_STATE_UNFORMATTED = 0,
	FB_STATE_READY = 1,
	FB_STATE_DAMAGED = 2,
};

#define FB_WHY_MAX 128

/*
 * Writes to the region go through this hook so that the userspace
 * simulator can observe (and cut) every store.  The kernel's hook is a
 * plain memcpy into the mapping.
 */
struct fb_region {
	uint8_t *base;			/* mapping of the whole region */
	uint64_t bytes;			/* region size */
	void (*write)(struct fb_region *r, uint64_t off, const void *src,
		      size_t len);
	void *priv;
};

struct fb_attach_result {
	int state;			/* enum fb_state */
	int slot;			/* copy holding the current state */
	int readonly;			/* unknown ro_compat features */
	int fallback;			/* the other copy failed its checks */
	char why[FB_WHY_MAX];		/* reason for damaged, or a note */
};

uint32_t fb_crc32c(uint32_t crc, const void *buf, size_t len);
int fb_name_valid(const char *name, size_t len);

/* Validation of untrusted metadata; scratch holds FB_MAX_OBJECTS u32s. */
int fb_meta_validate(const struct fb_meta *m, uint64_t region_bytes,
		     uint32_t *scratch, char *why);
int fb_attach(const struct fb_region *r, uint32_t *scratch,
	      struct fb_attach_result *res);
int fb_seal_valid(const struct fb_seal *s, const struct fb_meta *m);

/* Building and changing a state in a working copy. */
int fb_meta_init(struct fb_meta *m, uint64_t region_bytes,
		 const uint8_t uuid[16], uint64_t time_ns);
int fb_obj_find(const struct fb_meta *m, const char *name);
int fb_obj_alloc(struct fb_meta *m, const char *name, uint32_t type,
		 uint64_t size, uint32_t align_pages, int *idx);
void fb_obj_free(struct fb_meta *m, int idx);
uint64_t fb_used_pages(const struct fb_meta *m);
uint32_t fb_obj_count(const struct fb_meta *m);
/*
 * Iterate an object's extents in offset order: start with *cursor = 0;
 * returns the extent or NULL at the end.
 */
const struct fb_extent *fb_obj_next_extent(const struct fb_meta *m, int idx,
					   uint32_t *cursor);
void fb_boot_record(struct fb_meta *m, uint32_t reason, uint64_t time_ns,
		    const char *release, const char *image);

/* Committing a working copy into the region. */
void fb_commit(struct fb_region *r, int *cur_slot, struct fb_meta *m);
void fb_seal_write(struct fb_region *r, const struct fb_meta *m,
		   uint32_t reason, uint64_t time_ns, uint64_t boottime_ns);
void fb_seal_clear(struct fb_region *r);

/* Next-boot records (written with the seal, read back by the next attach). */
void fb_next_write(struct fb_region *r, const struct fb_meta *m,
		   const char *image);
void fb_next_clear(struct fb_region *r);
int fb_next_valid(const struct fb_region *r, const struct fb_meta *m,
		  char image[64]);

/* Crash records (panic path, then read back by the next boot). */
void fb_crash_begin(struct fb_region *r, const struct fb_meta *m,
		    uint64_t time_ns, const char *msg);
void fb_crash_set_log(struct fb_region *r, uint32_t log_len);
int fb_crash_valid(const struct fb_region *r, const struct fb_meta *m);

static inline uint64_t fb_pages(uint64_t bytes)
{
	return (bytes + FB_PAGE_SIZE - 1) >> FB_PAGE_SHIFT;
}

static inline uint64_t fb_data_pages_for(uint64_t region_bytes)
{
	uint64_t p = (region_bytes - FB_DATA_OFFSET) >> FB_PAGE_SHIFT;

	return p > FB_MAX_DATA_PAGES ? FB_MAX_DATA_PAGES : p;
}

#endif /* FASTBOOT_FORMAT_H */
