// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Fuzz target for the attach and validation path of the fastboot format
 * (kmod/format.c, compiled unmodified): the code that reads untrusted
 * metadata left in RAM by a previous kernel.
 *
 * Built two ways from this one file:
 *   - with clang -fsanitize=fuzzer,address,undefined: a libFuzzer target
 *     (LLVMFuzzerTestOneInput), `make fuzz`;
 *   - with -DFB_FUZZ_DRIVER and gcc -fsanitize=address,undefined, linked
 *     with the shared corpus driver (driver.c): corpus files and the
 *     hostile.h table once each, in a child process per input, KTAP plus
 *     "N passed, N failed" (`make check`).
 *
 * Input format (small on purpose, so that reproducers stay small):
 *
 *   byte 0   flags
 *              0x01 BASE   start from a valid store (hostile.h's base state
 *                          in both copies, generations 5 and 6, and a valid
 *                          seal); otherwise from a zero region
 *              0x02 CRC0   recompute copy 0's CRC after the patches
 *              0x04 CRC1   recompute copy 1's CRC after the patches
 *              0x08 SEAL   recompute the seal's CRC after the patches
 *              0x10 RAW    the bytes after the header are copied verbatim
 *                          to offset 0 of a zero region (the metadata copies
 *                          and the seal, at most FUZZ_WINDOW bytes); no
 *                          patches
 *              0x20 CRASH  recompute the crash record's CRCs (if the format
 *                          has one)
 *              0x40 CRASHH with CRASH: the header CRC only, log_crc kept
 *              0x80 BIG    with BASE: the base is a store with big tables
 *                          (the same objects); patch offsets then run over
 *                          the window followed by both table copies, and
 *                          CRC0/CRC1 recompute the block CRCs first
 *   byte 1   hostile case: 0 none, k: apply hostile_cases[k - 1] to one
 *            copy of the base (BASE only), before the patches; the harness
 *            then checks that fb_meta_validate_v1() refuses that copy
 *            (not with BIG)
 *   byte 2   bit 0: the copy the hostile case applies to
 *   then patch records, until the input ends:
 *            u8 op (low 2 bits: 0 write, 1 xor, 2 fill, 3 write u64),
 *            u24 offset (little-endian, modulo FUZZ_WINDOW, or with BIG
 *            the window and the tables),
 *            u8 len, then len bytes (write, xor), one byte (fill:
 *            (len + 1) * 64 bytes of it) or 8 bytes (write u64, len unused)
 *
 * The oracle, beyond the sanitizers: fb_attach() must give a consistent
 * answer; a copy it calls current must validate again, its objects' extents
 * must lie inside the region and cover the objects exactly; and the same
 * changes the module makes after attach (boot record, put, rm, commit)
 * must produce metadata that attaches again as the new current state.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../kmod/format.h"
#include "../unit/hostile.h"
#include "driver.h"

#define FUZZ_REGION	FB_MIN_REGION
/* Metadata copies, seal and crash record area: what attach may read. */
#define FUZZ_WINDOW	((uint32_t)(FB_CRASH_OFFSET + FB_CRASH_BYTES))
#define FUZZ_RAW_MAX	((uint32_t)FB_CRASH_OFFSET)

#define F_BASE		0x01
#define F_CRC0		0x02
#define F_CRC1		0x04
#define F_SEAL		0x08
#define F_RAW		0x10
#define F_CRASH		0x20
#define F_CRASHH	0x40
#define F_BIG		0x80

static uint8_t *region;		/* FUZZ_REGION bytes */
static uint8_t *base_img;	/* FUZZ_WINDOW bytes: the valid base */
static uint8_t *big_img;	/* FUZZ_REGION bytes: the base, big tables */
static struct fb_meta *work, *loaded;
static uint64_t *scratch;
static struct fb_geom geom;	/* big tables of FUZZ_REGION */

#ifdef FB_FUZZ_DRIVER
#define fuzz_fail(...) do {						\
		printf("# oracle: " __VA_ARGS__);			\
		printf("\n");						\
		fflush(stdout);						\
		exit(3);						\
	} while (0)
#else
#define fuzz_fail(...) do {						\
		fprintf(stderr, "oracle: " __VA_ARGS__);		\
		fprintf(stderr, "\n");					\
		abort();						\
	} while (0)
#endif

/* The write hook: bounds-checked, like the module's memcpy. */
static void fuzz_write(struct fb_region *r, uint64_t off, const void *src,
		       size_t len)
{
	if (off > r->bytes || len > r->bytes - off)
		fuzz_fail("write of %zu bytes at %#llx outside the region", len,
			  (unsigned long long)off);
	memcpy(r->base + off, src, len);
}

static struct fb_root *root_at(int slot)
{
	return (struct fb_root *)(region + FB_META_OFFSET(slot));
}

static struct fb_meta_v1 *v1_at(int slot)
{
	return (struct fb_meta_v1 *)(region + FB_META_OFFSET(slot));
}

static struct fb_meta *meta_new(void)
{
	uint32_t blocks = fb_meta_blocks_for(FUZZ_REGION);
	struct fb_meta *m = calloc(1, sizeof(*m));
	uint8_t *tab = calloc(blocks, FB_TABLE_BLOCK), *dirty = calloc(blocks, 1);

	if (!m || !tab || !dirty)
		abort();
	fb_meta_bind(m, tab, dirty, blocks);
	return m;
}

/* Copy @slot (valid) loaded as the module loads it. */
static const struct fb_meta *meta_at(const struct fb_region *r, int slot)
{
	if (fb_meta_load(loaded, r, slot, 0))
		fuzz_fail("fb_meta_load of a valid copy failed");
	return loaded;
}

/* Copy @slot's root CRC and, with big tables, its block CRCs first. */
static void fix_crc(int slot)
{
	struct fb_root *root = root_at(slot);
	uint32_t b;

	if (!(root->sb.incompat & FB_INCOMPAT_TABLES)) {
		hostile_fix_crc(v1_at(slot));
		return;
	}
	for (b = 0; b < geom.table_blocks && b < FB_ROOT_CRCS; b++)
		root->bcrc[b] = ~fb_crc32c(0xffffffffu, region + geom.table_offset +
					   (uint64_t)slot * geom.table_bytes +
					   (uint64_t)b * FB_TABLE_BLOCK,
					   FB_TABLE_BLOCK);
	hostile_fix_crc(v1_at(slot));	/* the root's CRC covers 128 KiB too */
}

/* The big-table base: hostile.h's objects, committed into both copies. */
static void big_base(void)
{
	static const uint8_t uuid[16] = "BIG-TABLES-FUZZ";
	struct fb_region r = { .base = big_img, .bytes = FUZZ_REGION,
			       .write = hostile_write };
	struct fb_meta *m = meta_new();
	char name[FB_NAME_MAX];
	int i, idx, slot = -1;

	if (fb_geom_for(FUZZ_REGION, &geom) || fb_meta_init(m, FUZZ_REGION, uuid, 1000))
		abort();
	fb_boot_record(m, FB_REASON_FIRST, 1000, "6.1.0-fuzz", "bzImage");
	for (i = 0; i < 6; i++) {
		memset(name, 0, sizeof(name));
		snprintf(name, sizeof(name), "%c", 'a' + i);
		if (fb_obj_alloc(m, name, i == 5 ? FB_OBJ_GUEST : FB_OBJ_BLOB,
				 (uint64_t)i * 3000, i == 5 ? 8 : 1, &idx))
			abort();
		m->obj[idx].flags = FB_OBJ_F_DIGEST;
	}
	fb_obj_free(m, fb_obj_find(m, "b"));
	fb_commit(&r, &slot, m);
	fb_meta_touch(m, m->obj, sizeof(m->obj[0]));
	fb_commit(&r, &slot, m);
	free(m->tab);
	free(m->dirty);
	free(m);
}

static void seal_fix(struct fb_seal *s)
{
	static const uint8_t zero[4];
	size_t off = offsetof(struct fb_seal, crc);
	uint32_t c = 0xffffffffu;

	c = fb_crc32c(c, s, off);
	c = fb_crc32c(c, zero, 4);
	c = fb_crc32c(c, (const uint8_t *)s + off + 4, sizeof(*s) - off - 4);
	s->crc = ~c;
}

#ifdef FB_CRASH_MAGIC
static void crash_fix(int header_only)
{
	struct fb_crash *c = (struct fb_crash *)(region + FB_CRASH_OFFSET);
	static const uint8_t zero[4];
	size_t off = offsetof(struct fb_crash, crc);
	uint32_t crc = 0xffffffffu;
	uint32_t n = c->log_len > FB_CRASH_LOG_MAX ? FB_CRASH_LOG_MAX : c->log_len;

	if (!header_only)
		c->log_crc = ~fb_crc32c(0xffffffffu, region + FB_CRASH_LOG_OFFSET, n);
	crc = fb_crc32c(crc, c, off);
	crc = fb_crc32c(crc, zero, 4);
	crc = fb_crc32c(crc, (const uint8_t *)c + off + 4, sizeof(*c) - off - 4);
	c->crc = ~crc;
}
#endif

static void fuzz_init(void)
{
	struct fb_seal *s;
	int i;

	if (region)
		return;
	region = calloc(1, FUZZ_REGION);
	base_img = calloc(1, FUZZ_WINDOW);
	big_img = calloc(1, FUZZ_REGION);
	scratch = calloc(FB_SCRATCH_U64, sizeof(*scratch));
	if (!region || !base_img || !big_img || !scratch)
		abort();
	work = meta_new();
	loaded = meta_new();
	for (i = 0; i < 2; i++)
		if (hostile_base((struct fb_meta_v1 *)(base_img + FB_META_OFFSET(i)),
				 FUZZ_REGION, (uint32_t)i, 5 + (uint64_t)i))
			abort();
	big_base();
	for (i = 0; i < 2; i++) {
		uint8_t *img = i ? big_img : base_img;
		const struct fb_super *sb = (const struct fb_super *)(img + FB_META_OFFSET(1));

		s = (struct fb_seal *)(img + FB_SEAL_OFFSET);
		s->magic = FB_SEAL_MAGIC;
		memcpy(s->uuid, sb->uuid, sizeof(s->uuid));
		s->boot_count = sb->boot_count;
		s->generation = sb->generation;
		s->time_ns = 3000;
		s->boottime_ns = 1000;
		s->reason = FB_REASON_UPDATE;
		seal_fix(s);
	}
}

/* Byte @off of the patch space: the window, then (BIG) both tables. */
static uint8_t *patch_at(uint32_t off)
{
	if (off < FUZZ_WINDOW)
		return region + off;
	return region + geom.table_offset + (off - FUZZ_WINDOW);
}

/* Build the region from the input; returns 0, or -1 for an unusable input. */
static int build(const uint8_t *d, size_t n)
{
	uint8_t flags = n > 0 ? d[0] : 0;
	uint8_t hcase = n > 1 ? d[1] : 0;
	int hslot = n > 2 ? d[2] & 1 : 0;
	size_t pos = 3;
	uint32_t space = FUZZ_WINDOW;

	memset(region, 0, FUZZ_WINDOW);
	memset(region + geom.table_offset, 0, 2ull * geom.table_bytes);
	if ((flags & (F_BASE | F_BIG | F_RAW)) == (F_BASE | F_BIG)) {
		memcpy(region, big_img, FUZZ_WINDOW);
		memcpy(region + geom.table_offset, big_img + geom.table_offset,
		       2ull * geom.table_bytes);
		space += 2 * geom.table_bytes;
	} else if (flags & F_RAW) {
		size_t len = n > 3 ? n - 3 : 0;

		if (len > FUZZ_RAW_MAX)
			len = FUZZ_RAW_MAX;
		memcpy(region, d + 3, len);
		pos = n;
	} else if (flags & F_BASE) {
		memcpy(region, base_img, FUZZ_WINDOW);
		if (hcase && hcase <= HOSTILE_NCASES) {
			const struct hostile_case *hc = &hostile_cases[hcase - 1];
			struct fb_meta_v1 *m = v1_at(hslot);
			char why[FB_WHY_MAX];
			int ret;

			hc->mutate(m);
			if (!(hc->flags & H_NO_CRC_FIX))
				hostile_fix_crc(m);
			why[0] = 0;
			ret = fb_meta_validate_v1(m, FUZZ_REGION, scratch, why);
			if (hc->flags & H_VALIDATE_OK) {
				if (ret)
					fuzz_fail("hostile case '%s': refused: %s",
						  hc->name, why);
			} else if (ret != -EINVAL || !why[0]) {
				fuzz_fail("hostile case '%s' accepted (ret %d)",
					  hc->name, ret);
			}
		}
	}
	while (pos + 5 <= n) {
		uint8_t op = d[pos] & 3;
		uint32_t off = ((uint32_t)d[pos + 1] | (uint32_t)d[pos + 2] << 8 |
				(uint32_t)d[pos + 3] << 16) % space;
		uint32_t len = d[pos + 4], i;

		pos += 5;
		switch (op) {
		case 0:
		case 1:
			if (len > n - pos)
				len = (uint32_t)(n - pos);
			for (i = 0; i < len && off + i < space; i++) {
				if (op == 0)
					*patch_at(off + i) = d[pos + i];
				else
					*patch_at(off + i) ^= d[pos + i];
			}
			pos += len;
			break;
		case 2:
			if (pos >= n)
				break;
			len = (len + 1) * 64;
			if (len > space - off)
				len = space - off;
			for (i = 0; i < len; i++)
				*patch_at(off + i) = d[pos];
			pos++;
			break;
		case 3:
			for (i = 0; i < 8 && pos < n && off + i < space; i++)
				*patch_at(off + i) = d[pos++];
			break;
		}
	}
	if (flags & F_CRC0)
		fix_crc(0);
	if (flags & F_CRC1)
		fix_crc(1);
	if (flags & F_SEAL)
		seal_fix((struct fb_seal *)(region + FB_SEAL_OFFSET));
#ifdef FB_CRASH_MAGIC
	if (flags & F_CRASH)
		crash_fix(flags & F_CRASHH);
#endif
	return 0;
}

static void check_why(const char *why, const char *what)
{
	if (!memchr(why, 0, FB_WHY_MAX))
		fuzz_fail("%s: reason not NUL-terminated", what);
}

/* What the module does with a current copy: status, ls, get. */
static void check_current(const struct fb_meta *m)
{
	uint64_t used = 0, pages;
	uint32_t i, cursor;
	int idx;

	uint64_t dp = fb_data_pages(m);

	if (m->sb.nr_extents == 0 || m->sb.nr_extents > m->sb.max_extents)
		fuzz_fail("nr_extents %u accepted", m->sb.nr_extents);
	if (dp * FB_PAGE_SIZE + FB_DATA_OFFSET > FUZZ_REGION ||
	    (fb_big(m) && dp * FB_PAGE_SIZE + FB_DATA_OFFSET > m->sb.table_offset))
		fuzz_fail("data area larger than the region");
	for (i = 0; i < m->sb.nr_extents; i++)
		if (m->ext[i].start + m->ext[i].pages > dp ||
		    m->ext[i].start + m->ext[i].pages < m->ext[i].start)
			fuzz_fail("extent %u: %llu+%llu past the data area", i,
				  (unsigned long long)m->ext[i].start,
				  (unsigned long long)m->ext[i].pages);
	for (idx = 0; idx < (int)m->sb.max_objects; idx++) {
		const struct fb_object *o = &m->obj[idx];
		const struct fb_extent *e;
		uint64_t expect = 0;

		if (o->type == FB_OBJ_NONE)
			continue;
		if (!memchr(o->name, 0, FB_NAME_MAX) ||
		    fb_obj_find(m, o->name) != idx)
			fuzz_fail("object %d: name not unique or unterminated", idx);
		pages = 0;
		cursor = 0;
		while ((e = fb_obj_next_extent(m, idx, &cursor))) {
			uint64_t start = FB_DATA_OFFSET +
					 ((uint64_t)e->start << FB_PAGE_SHIFT);
			uint64_t bytes = (uint64_t)e->pages << FB_PAGE_SHIFT;

			if (e->offset != expect || e->pages == 0 ||
			    start + bytes > FUZZ_REGION)
				fuzz_fail("object %d: bad extent %llu+%llu off %llu",
					  idx, (unsigned long long)e->start,
					  (unsigned long long)e->pages,
					  (unsigned long long)e->offset);
			/* The module copies from here: touch both ends. */
			region[start] ^= 0;
			region[start + bytes - 1] ^= 0;
			expect += e->pages;
			pages += e->pages;
		}
		if (pages != fb_pages(o->size))
			fuzz_fail("object %d: extents cover %llu pages, size %llu",
				  idx, (unsigned long long)pages,
				  (unsigned long long)o->size);
		used += pages;
	}
	if (used != fb_used_pages(m) || used > dp)
		fuzz_fail("used pages %llu, fb_used_pages %llu",
			  (unsigned long long)used,
			  (unsigned long long)fb_used_pages(m));
	for (i = 0; i < FB_BOOT_HISTORY; i++)
		if (!memchr(m->sb.history[i].release, 0, 48) ||
		    !memchr(m->sb.history[i].image, 0, 64))
			fuzz_fail("history %u: unterminated strings", i);
}

/*
 * What the module writes after attach: a boot record, a put and an rm,
 * then a commit into the other copy.  The result must be the new current
 * state.  Counters at the very end of their range are left out: they
 * cannot be reached by counting.
 */
static void check_writes(struct fb_region *r, int slot)
{
	struct fb_attach_result res;
	char name[FB_NAME_MAX], why[FB_WHY_MAX];
	int cur = slot, idx, ret, victim;
	uint64_t gen;

	if (fb_meta_load(work, r, slot, 0))
		fuzz_fail("fb_meta_load of the current copy failed");
	if (work->sb.generation >= (1ull << 62) - 3 ||
	    work->sb.boot_count >= (1ull << 62) - 3 ||
	    work->sb.next_object_id >= UINT64_MAX - 3)
		return;
	fb_boot_record(work, FB_REASON_UNCLEAN, 4000, "fuzz", "fuzz");
	memset(name, 0, sizeof(name));
	strcpy(name, "fuzz-new");
	if (fb_obj_find(work, name) < 0) {
		ret = fb_obj_alloc(work, name, FB_OBJ_BLOB, 3 * FB_PAGE_SIZE + 1,
				   1, &idx);
		if (ret == -ENOSPC || ret == -EMFILE) {
			/* a failed alloc may leave the copy half-changed */
			fb_meta_load(work, r, slot, 0);
			fb_boot_record(work, FB_REASON_UNCLEAN, 4000, "fuzz", "fuzz");
		} else if (ret) {
			fuzz_fail("fb_obj_alloc: %d", ret);
		} else {
			work->obj[idx].flags = FB_OBJ_F_DIGEST;
		}
	}
	for (victim = 0; victim < (int)work->sb.max_objects; victim++)
		if (work->obj[victim].type != FB_OBJ_NONE &&
		    strcmp(work->obj[victim].name, "fuzz-new"))
			break;
	if (victim < (int)work->sb.max_objects)
		fb_obj_free(work, victim);
	why[0] = 0;
	/* Validate as it will be committed: next generation, other slot. */
	gen = work->sb.generation;
	fb_commit(r, &cur, work);
	if (cur != !slot || work->sb.generation != gen + 1)
		fuzz_fail("commit went to slot %d", cur);
#ifdef FB_FUZZ_DRIVER
	if (fb_copy_validate(r, cur, scratch, why))
		fuzz_fail("committed copy refused: %s", why);
#endif
	fb_attach(r, scratch, &res);
	if (res.state != FB_STATE_READY || res.slot != cur)
		fuzz_fail("after a commit: state %d slot %d (%s)", res.state,
			  res.slot, res.why);
	check_current(meta_at(r, cur));
}

#ifdef FB_FUZZ_DRIVER
#define note(...) do { if (fuzz_driver_verbose) printf("# " __VA_ARGS__); } while (0)
#else
#define note(...) do { } while (0)
#endif

static int fuzz_one(const uint8_t *d, size_t n)
{
	struct fb_region r = {
		.base = NULL, .bytes = FUZZ_REGION, .write = fuzz_write,
	};
	struct fb_attach_result res;
#ifdef FB_FUZZ_DRIVER
	char why[FB_WHY_MAX];
#endif
	int s, magic[2], ok[2], reason;

	fuzz_init();
	r.base = region;
	if (build(d, n))
		return 0;
	fb_attach(&r, scratch, &res);
	check_why(res.why, "fb_attach");
	/*
	 * Each CRC of a copy costs as much as the rest together: the fuzzer
	 * trusts fb_attach's own verdicts, the driver checks them again.
	 */
	for (s = 0; s < 2; s++) {
		magic[s] = root_at(s)->sb.magic == FB_MAGIC;
#ifdef FB_FUZZ_DRIVER
		memset(why, 0x55, sizeof(why));
		ok[s] = !fb_copy_validate(&r, s, scratch, why);
		if (!ok[s])
			check_why(why, "fb_copy_validate");
#else
		ok[s] = res.state == FB_STATE_READY &&
			(s == res.slot || !res.fallback);
#endif
	}
	note("state %d slot %d fallback %d readonly %d why '%s'\n", res.state,
	     res.slot, res.fallback, res.readonly, res.why);
	switch (res.state) {
	case FB_STATE_UNFORMATTED:
		if (magic[0] || magic[1] || res.slot != -1)
			fuzz_fail("unformatted with a magic present");
		return 0;
	case FB_STATE_DAMAGED:
		if (res.slot != -1 || !res.why[0])
			fuzz_fail("damaged: slot %d, why '%s'", res.slot, res.why);
		if (ok[0] != ok[1] ||
		    (ok[0] && root_at(0)->sb.generation != root_at(1)->sb.generation))
			fuzz_fail("damaged although one copy is good");
		return 0;
	case FB_STATE_READY:
		break;
	default:
		fuzz_fail("state %d", res.state);
	}
	if (res.slot != 0 && res.slot != 1)
		fuzz_fail("ready with slot %d", res.slot);
	if (!ok[res.slot])
		fuzz_fail("current copy %d does not validate", res.slot);
	if (ok[!res.slot] &&
	    root_at(!res.slot)->sb.generation >= root_at(res.slot)->sb.generation)
		fuzz_fail("older copy chosen");
	if (res.fallback != !ok[!res.slot])
		fuzz_fail("fallback %d, other copy ok %d", res.fallback,
			  ok[!res.slot]);
	check_current(meta_at(&r, res.slot));

	reason = fb_seal_valid((const struct fb_seal *)(region + FB_SEAL_OFFSET),
			       meta_at(&r, res.slot));
	if (reason != 0 && reason != FB_REASON_UPDATE &&
	    reason != FB_REASON_CRASH && reason != FB_SEAL_DETACH)
		fuzz_fail("seal reason %d", reason);
	note("seal %d\n", reason);
	{
		char next[64];

		memset(next, 0x55, sizeof(next));
		if (fb_next_valid(&r, meta_at(&r, res.slot), next) &&
		    fb_name_valid(next, sizeof(next)))
			fuzz_fail("next-boot record with a bad image name");
		note("next-boot record '%.64s'\n", next);
	}
#ifdef FB_CRASH_MAGIC
	s = fb_crash_valid(&r, meta_at(&r, res.slot));
	if (s < 0 || s > 2)
		fuzz_fail("crash record state %d", s);
	note("crash record %d\n", s);
#endif
	if (!res.readonly)
		check_writes(&r, res.slot);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_one(data, size);
}

#ifdef FB_FUZZ_DRIVER

/* The inputs for the hostile.h table: 3 bytes each. */
static void hostile_input(uint8_t in[3], unsigned int c, int slot)
{
	in[0] = F_BASE;
	in[1] = (uint8_t)(c + 1);
	in[2] = (uint8_t)slot;
}

_Static_assert(HOSTILE_NCASES < 255, "hostile case index is one byte");

/* Seed files for the fuzzer's working corpus: the hostile.h table. */
int fuzz_driver_emit(const char *dir)
{
	char path[4096];
	unsigned int c;
	uint8_t in[3];
	int slot;

	for (c = 0; c < HOSTILE_NCASES; c++) {
		for (slot = 0; slot < 2; slot++) {
			FILE *f;

			snprintf(path, sizeof(path), "%s/hostile-%03u-%d", dir,
				 c, slot);
			hostile_input(in, c, slot);
			f = fopen(path, "wb");
			if (!f || fwrite(in, 1, 3, f) != 3 || fclose(f)) {
				perror(path);
				return -1;
			}
		}
	}
	return 0;
}

/* Every hostile.h case, on each copy, before the corpus files. */
void fuzz_driver_builtin(void)
{
	char label[160];
	unsigned int c;
	uint8_t in[3];
	int slot;

	for (c = 0; c < HOSTILE_NCASES; c++) {
		for (slot = 0; slot < 2; slot++) {
			snprintf(label, sizeof(label), "hostile.h: %s (copy %d)",
				 hostile_cases[c].name, slot);
			hostile_input(in, c, slot);
			fuzz_driver_run(label, in, sizeof(in));
		}
	}
}

#endif /* FB_FUZZ_DRIVER */
