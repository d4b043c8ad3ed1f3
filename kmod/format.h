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
 *   0x200000  data area: 4 KiB pages up to the end of the region, or
 *             up to the table copies (big tables, below)
 *   END - 2T  table copy 0           (big tables only: T bytes each)
 *   END - T   table copy 1
 *
 * The data area starts 2 MiB into the region so that data extents can be
 * 2 MiB aligned in physical memory when the region itself is.
 *
 * There are two layouts of the metadata, told apart by the incompat
 * feature FB_INCOMPAT_TABLES (see "Big tables"): the original one, whose
 * 128 KiB copies hold everything (384 objects, 3,072 extents, 32-bit page
 * numbers), and big tables, which ``fastboot format`` writes since that
 * feature exists: the 128 KiB copies become roots holding the superblock
 * and a CRC per table block, and the tables, sized from the region at
 * format time (at least 1,024 objects, 4 extents per object, 64-bit page
 * numbers), live at the end of the region.
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
#define FB_MAX_DATA_PAGES	0xfffffffeull	/* without big tables */

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
 * A module checks ``incompat`` right after the magic, the CRC of the
 * 128 KiB copy, the version and the two size fields, so an older module
 * gives exactly that reason for a store using a newer incompat feature,
 * and never writes it.  A module refuses a store whose ``version`` is not
 * FB_VERSION.  The one feature defined so far:
 *
 * - FB_INCOMPAT_TABLES (incompat, 0x1): big tables (see "Big tables").
 */
#define FB_INCOMPAT_TABLES	0x1u
#define FB_COMPAT_SUPP		0u
#define FB_RO_COMPAT_SUPP	0u
#define FB_INCOMPAT_SUPP	FB_INCOMPAT_TABLES

#define FB_NAME_MAX		64	/* including the terminating NUL */
#define FB_V1_MAX_OBJECTS	384	/* without big tables */
#define FB_V1_MAX_EXTENTS	3072
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
 * ``boot_reason`` says how the current boot found it.  ``data_pages64``,
 * ``table_offset``, ``table_bytes`` and ``table_blocks`` are used with big
 * tables only (then ``data_pages`` is 0); without them they are zero.
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
	uint64_t data_pages64;		/* big tables only, else 0 */
	uint64_t table_offset;		/* big tables only, else 0 */
	uint32_t table_bytes;		/* big tables only, else 0 */
	uint32_t table_blocks;		/* big tables only, else 0 */
	uint64_t reserved0;
	struct fb_boot_rec history[FB_BOOT_HISTORY];
	uint8_t reserved1[4096 - 160 - FB_BOOT_HISTORY * 136];
};

/**
 * DOC: Object table
 *
 * struct fb_object - one entry of the object table (``max_objects`` entries).
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
 * struct fb_extent - one entry of the extent table (``max_extents``
 * entries).  The first ``nr_extents`` entries tile the data area exactly:
 * sorted by ``start`` (a page index into the data area), each beginning
 * where the previous one ends, none empty, the last ending at the data
 * area's page count.  An extent is free when ``owner`` is FB_EXT_FREE
 * (then ``offset`` is 0, and two free extents are never adjacent);
 * otherwise ``owner`` is the index of an object in use and ``offset`` is
 * the page of that object the extent starts at.  An object's extents
 * appear in the table in the order of their offsets, each starting where
 * the previous ended, and together cover the object exactly.  Entries past
 * ``nr_extents`` are zero.  Allocation is first fit, with an optional
 * alignment (2 MiB for guest memory).
 *
 * With big tables an extent is struct fb_extent: 64-bit page numbers and
 * a reserved 32-bit field that is zero.  Without, it is struct
 * fb_extent_v1: the same fields in 32 bits.
 */
struct fb_extent {
	uint64_t start;
	uint64_t pages;
	uint32_t owner;
	uint32_t reserved;
	uint64_t offset;
};

struct fb_extent_v1 {
	uint32_t start;
	uint32_t pages;
	uint32_t owner;
	uint32_t offset;
};

/**
 * DOC: Metadata copy
 *
 * struct fb_meta_v1 - one metadata copy without big tables: superblock,
 * object table and extent table, 128 KiB in all.  There are two copies.  A
 * commit writes the new state, with ``generation`` one higher, into the
 * copy that does not hold the current state, changing only the 64-byte
 * lines that differ and the line holding ``crc`` last.  A power cut or
 * panic at any point leaves the old copy intact and the new copy either
 * complete or failing its CRC, so the store reads back as exactly the old
 * or exactly the new state.  Data is written only into extents free in the
 * current state before the commit that makes it part of an object.
 */
struct fb_meta_v1 {
	struct fb_super sb;
	struct fb_object obj[FB_V1_MAX_OBJECTS];
	struct fb_extent_v1 ext[FB_V1_MAX_EXTENTS];
	uint8_t pad[FB_META_BYTES - 4096 - FB_V1_MAX_OBJECTS * 192 -
		    FB_V1_MAX_EXTENTS * 16];
};

/**
 * DOC: Big tables
 *
 * With FB_INCOMPAT_TABLES the two 128 KiB metadata copies are roots:
 * struct fb_root, the superblock followed by ``table_blocks`` CRC32Cs, one
 * per 4 KiB block of that copy's table copy, the rest zero.  The root's
 * ``crc`` covers the whole 128 KiB as before (so an older module checks it
 * and then refuses the incompat feature).  Table copy ``slot`` lies at
 * ``table_offset + slot * table_bytes``: the object table (``max_objects``
 * struct fb_object) followed by the extent table (``max_extents`` struct
 * fb_extent), ``table_blocks`` 4 KiB blocks in all.  A copy is valid when
 * its root is valid and every block's CRC32C matches the root's entry.
 *
 * The sizes are a function of the region size ``R``, fixed at format time
 * and checked at attach: ``max_objects`` is R / 64 KiB rounded down to a
 * multiple of 64, at least 1,024 and at most FB_OBJECTS_LIMIT (65,536);
 * ``max_extents`` is 4 * ``max_objects``; ``table_bytes`` is ``max_objects``
 * * 192 + ``max_extents`` * 32 (a multiple of 4 KiB); ``table_offset`` is R
 * - 2 * ``table_bytes``; the data area runs from 2 MiB to ``table_offset``
 * (``data_pages64`` pages, up to 2^52).
 *
 * A commit writes, into the copy that does not hold the current state,
 * the table blocks that differ from what that copy holds (those changed by
 * this commit or the one before), then the root's changed 64-byte lines,
 * the line with ``crc`` and the magic last.  Its cost follows what changed,
 * not the size of the tables.  A cut anywhere leaves that root failing its
 * CRC or a block failing the root's CRC, and the other copy intact.
 *
 * ``fastboot format --upgrade`` turns a store without big tables into one
 * with, keeping every object: the tables take the end of the data area,
 * which must be free, and two commits write both copies, each crash-safe.
 *
 * Room to grow: the table geometry is recorded in the superblock, and a
 * later feature bit may add a table after the extents (per-object digest
 * trees, say) or change the sizing rule; a module that does not know the
 * bit refuses such a store through the masks instead of misreading it.
 */
#define FB_TABLE_BLOCK		4096u
#define FB_ROOT_CRCS		((FB_META_BYTES - 4096) / 4)
#define FB_MIN_OBJECTS		1024u
#define FB_OBJECTS_LIMIT	65536u
#define FB_EXTENTS_PER_OBJECT	4u

struct fb_root {
	struct fb_super sb;
	uint32_t bcrc[FB_ROOT_CRCS];
};

/*
 * struct fb_meta - a state in memory (not a layout in the region): the
 * root image, then the tables, in the big-table layout whichever layout
 * the store has (a store without big tables is converted when it is read
 * and written).  The caller provides the table memory (fb_meta_bind()).
 */
struct fb_meta {
	struct fb_super sb;
	uint32_t bcrc[FB_ROOT_CRCS];	/* big tables: CRC of each block */
	/* in memory only */
	struct fb_object *obj;		/* sb.max_objects entries */
	struct fb_extent *ext;		/* sb.max_extents entries */
	uint8_t *tab;			/* the tables: cap_blocks blocks */
	uint8_t *dirty;			/* FB_DIRTY_* per block */
	uint32_t cap_blocks;
	uint32_t nblocks;		/* blocks the tables use */
	uint32_t root_full;		/* bit s: root copy s may hold garbage */
};

/* Per table block: what differs from the region's copies and the twin. */
#define FB_DIRTY_SLOT0		0x1u	/* table copy 0 needs this block */
#define FB_DIRTY_SLOT1		0x2u	/* table copy 1 needs this block */
#define FB_DIRTY_CRC		0x4u	/* bcrc of this block is stale */
#define FB_DIRTY_SYNC		0x8u	/* changed since the last fb_meta_sync */
#define FB_DIRTY_ALL		0xfu

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
FB_ASSERT_SIZE(struct fb_extent, 32);
FB_ASSERT_SIZE(struct fb_extent_v1, 16);
FB_ASSERT_SIZE(struct fb_meta_v1, FB_META_BYTES);
FB_ASSERT_SIZE(struct fb_root, FB_META_BYTES);
_Static_assert(offsetof(struct fb_meta, obj) == FB_META_BYTES,
	       "struct fb_meta begins with the root image");
_Static_assert(FB_OBJECTS_LIMIT * (192 + FB_EXTENTS_PER_OBJECT * 32) /
	       FB_TABLE_BLOCK <= FB_ROOT_CRCS, "the root holds every block CRC");
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
	int other_ok;			/* the other copy is valid too */
	char why[FB_WHY_MAX];		/* reason for damaged, or a note */
};

uint32_t fb_crc32c(uint32_t crc, const void *buf, size_t len);
/* The raw CRC register after len more zero bytes, in O(log len). */
uint32_t fb_crc32c_zeros(uint32_t crc, uint64_t len);
int fb_name_valid(const char *name, size_t len);

/*
 * The big-table geometry of a region (see "Big tables"): 0, or -EINVAL
 * for a region too small or not a multiple of 4 KiB.
 */
struct fb_geom {
	uint32_t max_objects;
	uint32_t max_extents;
	uint32_t table_bytes;
	uint32_t table_blocks;
	uint64_t table_offset;
	uint64_t data_pages;
};
int fb_geom_for(uint64_t region_bytes, struct fb_geom *g);
/* Table blocks a struct fb_meta needs for any store of this region. */
uint32_t fb_meta_blocks_for(uint64_t region_bytes);

/* Scratch space of validation and attach, in uint64_t. */
#define FB_SCRATCH_U64		(2 * (size_t)FB_OBJECTS_LIMIT)

/* Validation of untrusted metadata. */
int fb_meta_validate_v1(const struct fb_meta_v1 *m, uint64_t region_bytes,
			uint64_t *scratch, char *why);
int fb_copy_validate(const struct fb_region *r, int slot, uint64_t *scratch,
		     char *why);
int fb_attach(const struct fb_region *r, uint64_t *scratch,
	      struct fb_attach_result *res);
int fb_seal_valid(const struct fb_seal *s, const struct fb_meta *m);

static inline int fb_big(const struct fb_meta *m)
{
	return !!(m->sb.incompat & FB_INCOMPAT_TABLES);
}

static inline uint64_t fb_data_pages(const struct fb_meta *m)
{
	return fb_big(m) ? m->sb.data_pages64 : m->sb.data_pages;
}

/*
 * A state in memory.  fb_meta_bind() gives it cap_blocks table blocks
 * (tab: cap_blocks * 4 KiB, dirty: cap_blocks bytes); fb_meta_load()
 * reads copy slot of a region that fb_attach() found valid (other_ok: the
 * other copy is valid too) and fails with -ENOSPC when the tables do not
 * fit.  fb_meta_copy() makes dst an exact copy of src; fb_meta_sync() does
 * the same for a dst that was a copy of src before either changed, copying
 * only the blocks that changed since (touched, or changed by the format
 * functions).  fb_meta_touch() marks [p, p + len) of the tables changed:
 * call it after changing table entries other than through the functions
 * below (an object just allocated is already marked).
 */
void fb_meta_bind(struct fb_meta *m, uint8_t *tab, uint8_t *dirty,
		  uint32_t cap_blocks);
int fb_meta_load(struct fb_meta *m, const struct fb_region *r, int slot,
		 int other_ok);
void fb_meta_copy(struct fb_meta *dst, struct fb_meta *src);
void fb_meta_sync(struct fb_meta *dst, struct fb_meta *src);
void fb_meta_touch(struct fb_meta *m, const void *p, size_t len);

/* Building and changing a state in a working copy. */
int fb_meta_init(struct fb_meta *m, uint64_t region_bytes,
		 const uint8_t uuid[16], uint64_t time_ns);
/* A store without big tables, as modules before them format it. */
int fb_meta_init_v1(struct fb_meta *m, uint64_t region_bytes,
		    const uint8_t uuid[16], uint64_t time_ns);
/*
 * Convert a state without big tables to big tables: 0, -EALREADY, -ENOSPC
 * (objects use the end of the data area, which the tables need; nothing
 * changed) or -EOVERFLOW (the tables do not fit the memory bound).  The
 * caller commits twice, as after fb_meta_init().
 */
int fb_meta_upgrade(struct fb_meta *m);
int fb_obj_find(const struct fb_meta *m, const char *name);
/* -ENOSPC: no data space or no extent entry left; -EMFILE: no object slot. */
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

	return p > FB_MAX_DATA_PAGES ? FB_MAX_DATA_PAGES : p;	/* no big tables */
}

#endif /* FASTBOOT_FORMAT_H */
