/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Crafted hostile metadata: a table of mutations that each turn a valid
 * metadata copy into one that fb_meta_validate() / fb_attach() must refuse.
 *
 * The table is the corpus: tests/fuzzers build the base copy with
 * hostile_base(), apply one mutation, recompute the CRC with
 * hostile_fix_crc() (unless the case says not to) and attach.  Everything
 * here is static so that any test or fuzzer can include this header next to
 * ../../kmod/format.c without link clashes.
 */
#ifndef FB_UNIT_HOSTILE_H
#define FB_UNIT_HOSTILE_H

#include <stdlib.h>
#include "../../kmod/format.h"

/* CRC32C of a copy with the crc field read as zero (init/xorout ~0). */
static inline uint32_t hostile_crc(const struct fb_meta_v1 *m)
{
	static const uint8_t zero[4];
	const uint8_t *p = (const uint8_t *)m;
	size_t off = offsetof(struct fb_super, crc);
	uint32_t c = 0xffffffffu;

	c = fb_crc32c(c, p, off);
	c = fb_crc32c(c, zero, sizeof(zero));
	c = fb_crc32c(c, p + off + 4, sizeof(*m) - off - 4);
	return ~c;
}

static inline void hostile_fix_crc(struct fb_meta_v1 *m)
{
	m->sb.crc = hostile_crc(m);
}

/* A plain write hook: encoding a state into a buffer. */
static inline void hostile_write(struct fb_region *r, uint64_t off,
				 const void *src, size_t len)
{
	memcpy(r->base + off, src, len);
}

/*
 * Encode in-memory state @st as copy @slot at generation @generation into
 * @out: fb_commit() into a scratch region, then the copy taken out.
 */
static inline int hostile_encode(struct fb_meta *st, struct fb_meta_v1 *out,
				 uint32_t slot, uint64_t generation)
{
	struct fb_region r;
	int cur = slot ? 0 : 1;

	r.base = (uint8_t *)calloc(2, FB_META_BYTES);
	if (!r.base)
		return -1;
	r.bytes = 2 * FB_META_BYTES;
	r.write = hostile_write;
	r.priv = NULL;
	st->sb.generation = generation - 1;
	fb_commit(&r, &cur, st);
	memcpy(out, r.base + FB_META_OFFSET(slot), FB_META_BYTES);
	free(r.base);
	return 0;
}

/*
 * The base state (valid once slot, generation and crc are set), a copy
 * without big tables as modules before them write it:
 *   objects  a (100 B, slot 0), f (4 pages, slot 1, two extents),
 *            c (3 pages, slot 2), d (0 B, slot 3), e (1 B, slot 4)
 *   extents  a[0,1) f[1,3) c[3,6) e[6,7) f[7,9) free[9,data_pages)
 * Returns 0, or -1 if the format code refused to build it.
 */
static inline int hostile_base(struct fb_meta_v1 *out, uint64_t region_bytes,
			       uint32_t slot, uint64_t generation)
{
	static const uint8_t uuid[16] = {
		0x48, 0x4f, 0x53, 0x54, 0x49, 0x4c, 0x45, 0x21,
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	};
	static const struct { const char *name; uint64_t size; } objs[] = {
		{ "a", 100 }, { "b", 5000 }, { "c", 3 * 4096 }, { "d", 0 },
		{ "e", 1 },
	};
	uint32_t blocks = fb_meta_blocks_for(region_bytes);
	struct fb_meta *m = (struct fb_meta *)calloc(1, sizeof(*m));
	uint8_t *tab = (uint8_t *)calloc(blocks, FB_TABLE_BLOCK);
	uint8_t *dirty = (uint8_t *)calloc(blocks, 1);
	char name[FB_NAME_MAX];
	unsigned int i;
	int idx, ret = -1;

	if (!m || !tab || !dirty)
		goto out;
	fb_meta_bind(m, tab, dirty, blocks);
	if (fb_meta_init_v1(m, region_bytes, uuid, 1000))
		goto out;
	fb_boot_record(m, FB_REASON_FIRST, 1000, "6.1.0-hostile", "bzImage");
	fb_boot_record(m, FB_REASON_UNCLEAN, 2000, "6.1.0-hostile", NULL);
	for (i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		memset(name, 0, sizeof(name));
		strcpy(name, objs[i].name);
		if (fb_obj_alloc(m, name, FB_OBJ_BLOB, objs[i].size, 1, &idx))
			goto out;
		m->obj[idx].flags = FB_OBJ_F_DIGEST;
		memset(m->obj[idx].sha256, 0x5a + (int)i, 32);
	}
	fb_obj_free(m, fb_obj_find(m, "b"));
	memset(name, 0, sizeof(name));
	strcpy(name, "f");
	if (fb_obj_alloc(m, name, FB_OBJ_GUEST, 4 * 4096, 1, &idx))
		goto out;
	m->obj[idx].mode = 0600;
	ret = hostile_encode(m, out, slot, generation);
out:
	free(m);
	free(tab);
	free(dirty);
	return ret;
}

static inline int h_find(const struct fb_meta_v1 *m, const char *name)
{
	int i;

	for (i = 0; i < FB_V1_MAX_OBJECTS; i++)
		if (m->obj[i].type != FB_OBJ_NONE &&
		    !strncmp(m->obj[i].name, name, FB_NAME_MAX))
			return i;
	return -1;
}

/* Helpers for the mutations (the base layout is fixed, see above). */
static inline struct fb_object *h_obj(struct fb_meta_v1 *m, const char *name)
{
	return &m->obj[h_find(m, name)];
}

static inline int h_ext_of(struct fb_meta_v1 *m, const char *name, int nth)
{
	uint32_t i, owner = (uint32_t)h_find(m, name);

	for (i = 0; i < m->sb.nr_extents; i++)
		if (m->ext[i].owner == owner && nth-- == 0)
			return (int)i;
	return 0;
}

static inline int h_free_slot(const struct fb_meta_v1 *m)
{
	int i;

	for (i = 0; i < FB_V1_MAX_OBJECTS; i++)
		if (m->obj[i].type == FB_OBJ_NONE)
			return i;
	return 0;
}

#define H_MUT(fn) static inline void fn(struct fb_meta_v1 *m)

/* Superblock. */
H_MUT(h_magic) { m->sb.magic ^= 1; }
H_MUT(h_version) { m->sb.version = FB_VERSION + 1; }
H_MUT(h_super_bytes) { m->sb.super_bytes = 2048; }
H_MUT(h_meta_bytes) { m->sb.meta_bytes = FB_META_BYTES * 2; }
H_MUT(h_incompat) { m->sb.incompat = 0x2; }
H_MUT(h_incompat_tables) { m->sb.incompat = FB_INCOMPAT_TABLES; }
H_MUT(h_data_pages64) { m->sb.data_pages64 = m->sb.data_pages; }
H_MUT(h_table_offset) { m->sb.table_offset = FB_DATA_OFFSET; }
H_MUT(h_table_blocks) { m->sb.table_blocks = 1; }
H_MUT(h_incompat_high) { m->sb.incompat = 0x80000000u; }
H_MUT(h_slot_swapped) { m->sb.slot ^= 1; }
H_MUT(h_slot_2) { m->sb.slot = 2; }
H_MUT(h_gen_0) { m->sb.generation = 0; }
H_MUT(h_gen_huge) { m->sb.generation = 1ull << 62; }
H_MUT(h_region_bytes) { m->sb.region_bytes += FB_PAGE_SIZE; }
H_MUT(h_data_offset) { m->sb.data_offset = FB_DATA_OFFSET + FB_PAGE_SIZE; }
H_MUT(h_data_pages) { m->sb.data_pages++; }
H_MUT(h_data_pages_less)
{
	m->sb.data_pages--;
	m->ext[m->sb.nr_extents - 1].pages--;
}
H_MUT(h_max_objects) { m->sb.max_objects = FB_V1_MAX_OBJECTS + 1; }
H_MUT(h_max_extents) { m->sb.max_extents = 0xffffffffu; }
H_MUT(h_boot_count_0) { m->sb.boot_count = 0; }
H_MUT(h_boot_reason_0) { m->sb.boot_reason = FB_REASON_NONE; }
H_MUT(h_boot_reason_big) { m->sb.boot_reason = FB_SEAL_DETACH; }
H_MUT(h_history_head) { m->sb.history_head = FB_BOOT_HISTORY; }
H_MUT(h_history_future) { m->sb.history[0].boot = m->sb.boot_count + 1; }
H_MUT(h_history_reason) { m->sb.history[1].reason = 99; }
H_MUT(h_history_reserved) { m->sb.history[0].reserved = 1; }
H_MUT(h_history_release)
{
	memset(m->sb.history[0].release, 'x', sizeof(m->sb.history[0].release));
}
H_MUT(h_history_image_tail) { m->sb.history[5].image[63] = 'x'; }
H_MUT(h_reserved0) { m->sb.reserved0 = 1ull << 56; }
H_MUT(h_reserved1) { m->sb.reserved1[sizeof(m->sb.reserved1) - 1] = 0x80; }

/* Extent table. */
H_MUT(h_nr_ext_too_big) { m->sb.nr_extents = FB_V1_MAX_EXTENTS + 1; }
H_MUT(h_nr_ext_huge) { m->sb.nr_extents = 0xffffffffu; }
H_MUT(h_nr_ext_0) { m->sb.nr_extents = 0; }
H_MUT(h_nr_ext_plus1) { m->sb.nr_extents++; }
H_MUT(h_nr_ext_minus1)
{
	m->sb.nr_extents--;
	memset(&m->ext[m->sb.nr_extents], 0, sizeof(m->ext[0]));
}
H_MUT(h_ext_overlap) { m->ext[2].start--; m->ext[2].pages++; }
H_MUT(h_ext_overlap_grow) { m->ext[1].pages++; }
H_MUT(h_ext_gap) { m->ext[2].start++; m->ext[2].pages--; }
H_MUT(h_ext_empty)
{
	/* An empty extent inserted in the middle. */
	uint32_t n = m->sb.nr_extents;

	memmove(&m->ext[3], &m->ext[2], (n - 2) * sizeof(m->ext[0]));
	m->ext[2].start = m->ext[3].start;
	m->ext[2].pages = 0;
	m->sb.nr_extents = n + 1;
}
H_MUT(h_ext_past_end) { m->ext[m->sb.nr_extents - 1].pages++; }
H_MUT(h_ext_wrap) { m->ext[m->sb.nr_extents - 1].pages = 0xffffffffu; }
H_MUT(h_ext_free_owner) { m->ext[h_ext_of(m, "c", 0)].owner = (uint32_t)h_free_slot(m); }
H_MUT(h_ext_owner_range) { m->ext[h_ext_of(m, "c", 0)].owner = FB_V1_MAX_OBJECTS; }
H_MUT(h_ext_owner_big) { m->ext[h_ext_of(m, "c", 0)].owner = 0xfffffffeu; }
H_MUT(h_ext_free_offset) { m->ext[m->sb.nr_extents - 1].offset = 1; }
H_MUT(h_ext_adjacent_free)
{
	/* Split the trailing free extent in two. */
	uint32_t n = m->sb.nr_extents;
	struct fb_extent_v1 *e = &m->ext[n - 1];

	m->ext[n] = *e;
	e->pages = 1;
	m->ext[n].start = e->start + 1;
	m->ext[n].pages--;
	m->sb.nr_extents = n + 1;
}
H_MUT(h_ext_swap_offsets)
{
	int i = h_ext_of(m, "f", 0), j = h_ext_of(m, "f", 1);
	uint32_t t = m->ext[i].offset;

	m->ext[i].offset = m->ext[j].offset;
	m->ext[j].offset = t;
}
H_MUT(h_ext_offset_skip) { m->ext[h_ext_of(m, "f", 1)].offset++; }
H_MUT(h_ext_steal)
{
	/* e's only extent handed to f: f too big, e uncovered. */
	m->ext[h_ext_of(m, "e", 0)].owner = (uint32_t)h_find(m, "f");
}
H_MUT(h_ext_tail_garbage) { m->ext[FB_V1_MAX_EXTENTS - 1].start = 1; }
H_MUT(h_ext_after_n) { m->ext[m->sb.nr_extents].owner = FB_EXT_FREE; }
H_MUT(h_pad) { m->pad[sizeof(m->pad) - 1] = 1; }

/* Object table. */
H_MUT(h_obj_size_bigger) { h_obj(m, "c")->size += FB_PAGE_SIZE; }
H_MUT(h_obj_size_smaller) { h_obj(m, "c")->size -= FB_PAGE_SIZE; }
H_MUT(h_obj_size_max) { h_obj(m, "c")->size = UINT64_MAX; }
H_MUT(h_obj_size_wrap) { h_obj(m, "c")->size = UINT64_MAX - FB_PAGE_SIZE + 2; }
H_MUT(h_obj_size_area) { h_obj(m, "d")->size = ((uint64_t)m->sb.data_pages << 12) + 1; }
H_MUT(h_obj_zero_with_ext) { h_obj(m, "e")->size = 0; }
H_MUT(h_obj_dup_name) { strcpy(h_obj(m, "c")->name, "a"); }
H_MUT(h_obj_name_slash) { strcpy(h_obj(m, "c")->name, "a/b"); }
H_MUT(h_obj_name_dot) { strcpy(h_obj(m, "c")->name, "."); }
H_MUT(h_obj_name_dotdot) { strcpy(h_obj(m, "c")->name, ".."); }
H_MUT(h_obj_name_empty) { memset(h_obj(m, "c")->name, 0, FB_NAME_MAX); }
H_MUT(h_obj_name_ctrl) { h_obj(m, "c")->name[0] = '\n'; }
H_MUT(h_obj_name_del) { h_obj(m, "c")->name[0] = 0x7f; }
H_MUT(h_obj_name_high) { h_obj(m, "c")->name[0] = (char)0xc3; }
H_MUT(h_obj_name_full) { memset(h_obj(m, "c")->name, 'n', FB_NAME_MAX); }
H_MUT(h_obj_name_tail) { h_obj(m, "c")->name[40] = 'z'; }
H_MUT(h_obj_type_big) { h_obj(m, "c")->type = FB_OBJ_TYPE_MAX + 1; }
H_MUT(h_obj_flags) { h_obj(m, "c")->flags |= 0x2; }
H_MUT(h_obj_reserved) { h_obj(m, "c")->reserved = 1; }
H_MUT(h_obj_id_0) { h_obj(m, "c")->id = 0; }
H_MUT(h_obj_id_future) { h_obj(m, "c")->id = m->sb.next_object_id; }
H_MUT(h_next_id_low) { m->sb.next_object_id = 1; }
H_MUT(h_free_slot_dirty) { m->obj[h_free_slot(m)].tag[47] = 1; }
H_MUT(h_free_slot_named) { strcpy(m->obj[h_free_slot(m)].name, "ghost"); }
H_MUT(h_obj_freed_keep_ext)
{
	/* Object slot cleared but its extents kept. */
	memset(h_obj(m, "c"), 0, sizeof(struct fb_object));
}
H_MUT(h_crc_only) { m->sb.crc ^= 0x00010000u; }
H_MUT(h_body_no_crc) { m->obj[0].tag[0] ^= 0x40; }

enum {
	H_NO_CRC_FIX = 0x1,	/* leave the stale CRC: plain corruption */
	H_VALIDATE_OK = 0x2,	/* fb_meta_validate accepts; fb_attach refuses */
	H_UNFORMATTED = 0x4,	/* both copies mutated: no magic left at all */
};

struct hostile_case {
	const char *name;
	void (*mutate)(struct fb_meta_v1 *m);
	unsigned int flags;
};

static const struct hostile_case hostile_cases[] = {
	{ "bad magic", h_magic, H_UNFORMATTED },
	{ "unsupported version", h_version, 0 },
	{ "bad super_bytes", h_super_bytes, 0 },
	{ "bad meta_bytes", h_meta_bytes, 0 },
	{ "unknown incompat feature", h_incompat, 0 },
	{ "unknown incompat feature (bit 31)", h_incompat_high, 0 },
	{ "big tables claimed, not there", h_incompat_tables, 0 },
	{ "data_pages64 without big tables", h_data_pages64, 0 },
	{ "table_offset without big tables", h_table_offset, 0 },
	{ "table_blocks without big tables", h_table_blocks, 0 },
	{ "wrong slot index", h_slot_swapped, H_VALIDATE_OK },
	{ "slot index 2", h_slot_2, 0 },
	{ "generation 0", h_gen_0, 0 },
	{ "generation 2^62", h_gen_huge, 0 },
	{ "region_bytes of another region", h_region_bytes, 0 },
	{ "data_offset moved", h_data_offset, 0 },
	{ "data_pages too big", h_data_pages, 0 },
	{ "data_pages too small (extents agree)", h_data_pages_less, 0 },
	{ "max_objects wrong", h_max_objects, 0 },
	{ "max_extents wrong", h_max_extents, 0 },
	{ "boot_count 0", h_boot_count_0, 0 },
	{ "boot_reason none", h_boot_reason_0, 0 },
	{ "boot_reason detach", h_boot_reason_big, 0 },
	{ "history_head out of range", h_history_head, 0 },
	{ "history record from the future", h_history_future, 0 },
	{ "history record bad reason", h_history_reason, 0 },
	{ "history record reserved", h_history_reserved, 0 },
	{ "history release not terminated", h_history_release, 0 },
	{ "history image garbage after NUL", h_history_image_tail, 0 },
	{ "reserved0 not zero", h_reserved0, 0 },
	{ "reserved1 not zero", h_reserved1, 0 },
	{ "nr_extents > FB_V1_MAX_EXTENTS", h_nr_ext_too_big, 0 },
	{ "nr_extents 0xffffffff", h_nr_ext_huge, 0 },
	{ "nr_extents 0", h_nr_ext_0, 0 },
	{ "nr_extents one too many", h_nr_ext_plus1, 0 },
	{ "nr_extents one too few", h_nr_ext_minus1, 0 },
	{ "overlapping extents", h_ext_overlap, 0 },
	{ "overlapping extents (grown)", h_ext_overlap_grow, 0 },
	{ "gap between extents", h_ext_gap, 0 },
	{ "empty extent", h_ext_empty, 0 },
	{ "extent past the data area", h_ext_past_end, 0 },
	{ "extent length wraps", h_ext_wrap, 0 },
	{ "extent owned by a free slot", h_ext_free_owner, 0 },
	{ "extent owner out of range", h_ext_owner_range, 0 },
	{ "extent owner 0xfffffffe", h_ext_owner_big, 0 },
	{ "free extent with an offset", h_ext_free_offset, 0 },
	{ "adjacent free extents", h_ext_adjacent_free, 0 },
	{ "object extents out of order", h_ext_swap_offsets, 0 },
	{ "object extent offset skips", h_ext_offset_skip, 0 },
	{ "extent moved to another object", h_ext_steal, 0 },
	{ "extent table tail not zero", h_ext_tail_garbage, 0 },
	{ "entry after nr_extents not zero", h_ext_after_n, 0 },
	{ "padding not zero", h_pad, 0 },
	{ "object size larger than its extents", h_obj_size_bigger, 0 },
	{ "object size smaller than its extents", h_obj_size_smaller, 0 },
	{ "object size UINT64_MAX", h_obj_size_max, 0 },
	{ "object size wraps fb_pages()", h_obj_size_wrap, 0 },
	{ "object larger than the data area", h_obj_size_area, 0 },
	{ "empty object owning an extent", h_obj_zero_with_ext, 0 },
	{ "duplicate names", h_obj_dup_name, 0 },
	{ "name with '/'", h_obj_name_slash, 0 },
	{ "name \".\"", h_obj_name_dot, 0 },
	{ "name \"..\"", h_obj_name_dotdot, 0 },
	{ "empty name in a used slot", h_obj_name_empty, 0 },
	{ "name with a control char", h_obj_name_ctrl, 0 },
	{ "name with 0x7f", h_obj_name_del, 0 },
	{ "name with a high byte", h_obj_name_high, 0 },
	{ "name without NUL", h_obj_name_full, 0 },
	{ "name with garbage after NUL", h_obj_name_tail, 0 },
	{ "object type out of range", h_obj_type_big, 0 },
	{ "unknown object flag", h_obj_flags, 0 },
	{ "object reserved not zero", h_obj_reserved, 0 },
	{ "object id 0", h_obj_id_0, 0 },
	{ "object id >= next_object_id", h_obj_id_future, 0 },
	{ "next_object_id below the ids", h_next_id_low, 0 },
	{ "free object slot not zero", h_free_slot_dirty, 0 },
	{ "free object slot with a name", h_free_slot_named, 0 },
	{ "freed object keeps its extents", h_obj_freed_keep_ext, 0 },
	{ "crc field corrupted", h_crc_only, H_NO_CRC_FIX },
	{ "body corrupted, stale crc", h_body_no_crc, H_NO_CRC_FIX },
};

#define HOSTILE_NCASES (sizeof(hostile_cases) / sizeof(hostile_cases[0]))

#endif /* FB_UNIT_HOSTILE_H */
