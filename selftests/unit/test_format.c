// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Userspace unit tests of the fastboot on-RAM format (kmod/format.c,
 * compiled unmodified next to this file).
 *
 * A simulator holds a region in memory and drives format.c exactly the way
 * the module does (attach + boot record, format, put, rm, seal).  Every
 * store the format code makes goes through the region's write hook, which
 * splits it into 8-byte stores, can record them and can stop obeying them
 * after a given number (a "cut": the machine died there).  An independent
 * model of the logical state (objects, sizes, contents, generation, boot
 * count, seal) is kept next to it and compared with what fb_attach() finds
 * in the raw region.
 *
 * Output is KTAP; the last line is "N passed, N failed".
 * Environment: FB_UNIT_SEED (random seed), FB_UNIT_OPS (random operations
 * of test 6), FB_UNIT_FLIPS (random bit flips of test 5), FB_UNIT_ONLY
 * (run only the test with that number; the others are skipped),
 * FB_UNIT_CUT_STRIDE (cut points inside table copies: every Nth only).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>

#include "../../kmod/format.h"
#include "hostile.h"

#define PAGE		FB_PAGE_SIZE
#define MiB		(1024ull * 1024)
#define MAXO		8192	/* objects a model or a decoded state holds */

/*
 * The layout the simulator formats: big tables (0), or the layout of
 * modules before them (1), which stores of those modules keep.
 */
static int g_v1;

/* ------------------------------------------------------------------ */
/* Reporting                                                            */

static int t_fail;
static int t_diag;

static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
}

static void failf(const char *fmt, ...)
{
	va_list ap;

	t_fail++;
	if (t_diag > 25)
		return;
	if (t_diag++ == 25) {
		note("(further failures of this test not shown)");
		return;
	}
	va_start(ap, fmt);
	fputs("# FAIL: ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
}

#define CHECK(cond, ...) do { if (!(cond)) failf(__VA_ARGS__); } while (0)

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		perror("calloc");
		exit(2);
	}
	return p;
}

/* ------------------------------------------------------------------ */
/* Random numbers, contents, hashes                                     */

static uint64_t rng;

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static uint64_t rnd64(void)
{
	rng += 0x9e3779b97f4a7c15ull;
	return mix64(rng);
}

static uint64_t rnd(uint64_t n)
{
	return n ? rnd64() % n : 0;
}

/* Page p of the contents of an object of @size bytes made from @seed. */
static void gen_page(uint8_t *pg, uint64_t seed, uint64_t size, uint64_t p)
{
	uint64_t w[PAGE / 8], base = p * PAGE;
	unsigned int i;

	for (i = 0; i < PAGE / 8; i++)
		w[i] = mix64(seed ^ ((p * (PAGE / 8) + i) * 0x9e3779b97f4a7c15ull));
	memcpy(pg, w, PAGE);
	if (base + PAGE > size) {
		uint64_t valid = size > base ? size - base : 0;

		memset(pg + valid, 0, PAGE - valid);
	}
}

static uint64_t page_hash(const uint8_t *pg)
{
	uint64_t h = 0x243f6a8885a308d3ull, w;
	unsigned int i;

	for (i = 0; i < PAGE; i += 8) {
		memcpy(&w, pg + i, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h;
}

static uint64_t chash_start(uint64_t size)
{
	return mix64(size ^ 0xc0ffee);
}

static uint64_t chash_step(uint64_t h, const uint8_t *pg, uint64_t p)
{
	return mix64(h ^ page_hash(pg) ^ (p << 40));
}

/* Hash of the contents an object of @size bytes from @seed must have. */
static uint64_t content_hash(uint64_t seed, uint64_t size)
{
	static uint8_t pg[PAGE];
	uint64_t p, h = chash_start(size);

	for (p = 0; p < fb_pages(size); p++) {
		gen_page(pg, seed, size, p);
		h = chash_step(h, pg, p);
	}
	return h;
}

/* Stand-in for the SHA-256 the module stores: derived from the hash. */
static void digest_of(uint64_t chash, uint8_t out[32])
{
	uint64_t w[4];
	int i;

	for (i = 0; i < 4; i++)
		w[i] = mix64(chash + (uint64_t)i + 1);
	memcpy(out, w, 32);
}

static void pad_name(char out[FB_NAME_MAX], const char *name)
{
	memset(out, 0, FB_NAME_MAX);
	strncpy(out, name, FB_NAME_MAX - 1);
}

/* ------------------------------------------------------------------ */
/* The simulator: a region and the module's usage of format.c            */

struct store_rec {
	uint64_t off;
	uint32_t len;
	uint8_t data[8];
};

struct sim {
	struct fb_region r;
	uint8_t *mem;
	uint64_t bytes;
	struct fb_meta *cur, *work;
	int slot;			/* copy holding cur, -1 if none */
	int state;			/* enum fb_state */
	uint64_t *scratch;		/* FB_SCRATCH_U64 */
	uint64_t clock;
	/* write hook */
	long budget;			/* stores still obeyed; < 0: all */
	long dropped;			/* stores not obeyed since reset */
	unsigned long nstores;		/* stores obeyed, ever */
	int recording;
	struct store_rec *log;
	size_t nlog, caplog;
	int in_commit_check;		/* commit must not touch copy ->slot */
};

static void sim_write(struct fb_region *r, uint64_t off, const void *src,
		      size_t len)
{
	struct sim *s = r->priv;
	const uint8_t *p = src;

	if (off > s->bytes || len > s->bytes - off) {
		failf("write out of the region: %#llx+%zu",
		      (unsigned long long)off, len);
		return;
	}
	/* fb_commit must write only the copy that is not current. */
	if (off < 2 * FB_META_BYTES && s->slot >= 0 &&
	    (int)(off / FB_META_BYTES) == s->slot)
		failf("metadata write into the current copy %d at %#llx",
		      s->slot, (unsigned long long)off);
	if (s->slot >= 0 && s->state == FB_STATE_READY && fb_big(s->cur)) {
		uint64_t t = s->cur->sb.table_offset +
			     (uint64_t)s->slot * s->cur->sb.table_bytes;

		if (off < t + s->cur->sb.table_bytes && off + len > t)
			failf("table write into the current copy %d at %#llx",
			      s->slot, (unsigned long long)off);
	}
	while (len) {
		size_t n = 8 - (off & 7);

		if (n > len)
			n = len;
		if (s->budget == 0) {
			s->dropped++;
		} else {
			memcpy(s->mem + off, p, n);
			s->nstores++;
			if (s->budget > 0)
				s->budget--;
			if (s->recording) {
				struct store_rec *rec;

				if (s->nlog == s->caplog) {
					s->caplog = s->caplog ? 2 * s->caplog : 4096;
					s->log = realloc(s->log, s->caplog * sizeof(*s->log));
					if (!s->log) {
						perror("realloc");
						exit(2);
					}
				}
				rec = &s->log[s->nlog++];
				rec->off = off;
				rec->len = (uint32_t)n;
				memcpy(rec->data, p, n);
			}
		}
		off += n;
		p += n;
		len -= n;
	}
}

/* A state in memory with table room for any store of @bytes. */
static struct fb_meta *meta_new(uint64_t bytes)
{
	struct fb_meta *m = xcalloc(1, sizeof(*m));
	uint32_t blocks = fb_meta_blocks_for(bytes);

	fb_meta_bind(m, xcalloc(blocks, PAGE), xcalloc(blocks, 1), blocks);
	return m;
}

static void meta_free(struct fb_meta *m)
{
	if (!m)
		return;
	free(m->tab);
	free(m->dirty);
	free(m);
}

static void meta_swap(struct fb_meta **a, struct fb_meta **b)
{
	struct fb_meta *t = *a;

	*a = *b;
	*b = t;
}

/* The data pages and object slots of a store the simulator formats. */
static uint64_t sim_pages(uint64_t bytes)
{
	struct fb_geom g;

	if (g_v1)
		return fb_data_pages_for(bytes);
	return fb_geom_for(bytes, &g) ? 0 : g.data_pages;
}

static uint32_t sim_maxobj(uint64_t bytes)
{
	struct fb_geom g;

	if (g_v1)
		return FB_V1_MAX_OBJECTS;
	return fb_geom_for(bytes, &g) ? 0 : g.max_objects;
}

static struct sim *sim_new(uint64_t bytes)
{
	struct sim *s = xcalloc(1, sizeof(*s));

	s->bytes = bytes;
	s->mem = aligned_alloc(PAGE, bytes);
	if (!s->mem) {
		perror("aligned_alloc");
		exit(2);
	}
	memset(s->mem, 0, bytes);
	s->cur = meta_new(bytes);
	s->work = meta_new(bytes);
	s->scratch = xcalloc(FB_SCRATCH_U64, sizeof(uint64_t));
	s->r.base = s->mem;
	s->r.bytes = bytes;
	s->r.write = sim_write;
	s->r.priv = s;
	s->slot = -1;
	s->state = FB_STATE_UNFORMATTED;
	s->budget = -1;
	s->clock = 1700000000000000000ull;
	return s;
}

static void sim_free(struct sim *s)
{
	free(s->mem);
	meta_free(s->cur);
	meta_free(s->work);
	free(s->scratch);
	free(s->log);
	free(s);
}

/* Copy @slot of an image, loaded into memory (one buffer, reused). */
static const struct fb_meta *meta_at(const uint8_t *base, uint64_t bytes,
				     int slot)
{
	static struct fb_meta *m;
	static uint64_t m_bytes;
	struct fb_region r = { .base = (uint8_t *)base, .bytes = bytes };

	if (!m || fb_meta_blocks_for(bytes) > fb_meta_blocks_for(m_bytes)) {
		meta_free(m);
		m = meta_new(bytes);
		m_bytes = bytes;
	}
	if (fb_meta_load(m, &r, slot, 0))
		failf("fb_meta_load of copy %d failed", slot);
	return m;
}

/* The copy in the region is exactly the state in memory. */
static int meta_same(const struct fb_meta *a, const struct fb_meta *b)
{
	return !memcmp(&a->sb, &b->sb, sizeof(a->sb)) &&
	       !memcmp(a->bcrc, b->bcrc, sizeof(a->bcrc)) &&
	       a->nblocks == b->nblocks &&
	       !memcmp(a->tab, b->tab, (size_t)a->nblocks * PAGE);
}

static const struct fb_seal *seal_at(const uint8_t *base)
{
	return (const struct fb_seal *)(base + FB_SEAL_OFFSET);
}

/* Module attach: find the store, count the boot, clear the seal. */
static int k_attach(struct sim *s, uint32_t *reason_out)
{
	struct fb_attach_result res;
	int reason;

	fb_attach(&s->r, s->scratch, &res);
	s->state = res.state;
	s->slot = res.slot;
	if (res.state != FB_STATE_READY)
		return res.state;
	if (fb_meta_load(s->cur, &s->r, res.slot, res.other_ok))
		failf("fb_meta_load refused a valid copy");
	reason = fb_seal_valid(seal_at(s->mem), s->cur);
	if (reason == FB_SEAL_DETACH)
		reason = FB_REASON_UPDATE;
	else if (!reason)
		reason = FB_REASON_UNCLEAN;
	if (reason_out)
		*reason_out = (uint32_t)reason;
	if (res.readonly)
		return res.state;
	fb_meta_copy(s->work, s->cur);
	fb_boot_record(s->work, (uint32_t)reason, s->clock++, "6.1.0-unit", NULL);
	fb_commit(&s->r, &s->slot, s->work);
	meta_swap(&s->cur, &s->work);
	fb_seal_clear(&s->r);
	return res.state;
}

static void k_format(struct sim *s, const uint8_t uuid[16])
{
	int ready = s->state == FB_STATE_READY;

	if ((g_v1 ? fb_meta_init_v1 : fb_meta_init)(s->work, s->bytes, uuid,
						    s->clock++)) {
		failf("fb_meta_init refused %llu bytes",
		      (unsigned long long)s->bytes);
		return;
	}
	s->work->sb.generation = ready ? s->cur->sb.generation : 0;
	if (!ready)
		s->slot = -1;
	fb_boot_record(s->work, FB_REASON_FIRST, s->clock++, "6.1.0-unit", NULL);
	fb_commit(&s->r, &s->slot, s->work);
	meta_swap(&s->cur, &s->work);
	fb_meta_sync(s->work, s->cur);
	fb_commit(&s->r, &s->slot, s->work);
	meta_swap(&s->cur, &s->work);
	fb_seal_clear(&s->r);
	s->state = FB_STATE_READY;
}

static void zero_extents(struct sim *s, const struct fb_meta *m, int idx)
{
	static const uint8_t zero[PAGE];
	const struct fb_extent *e;
	uint64_t p;
	uint32_t c = 0;

	while ((e = fb_obj_next_extent(m, idx, &c)))
		for (p = 0; p < e->pages; p++)
			s->r.write(&s->r, FB_DATA_OFFSET +
				   (uint64_t)(e->start + p) * PAGE, zero, PAGE);
}

/* Module put (replace allowed); the contents are made from @seed. */
static int k_put(struct sim *s, const char *name, uint32_t type,
		 uint64_t size, uint32_t align, uint64_t seed)
{
	static uint8_t pg[PAGE];
	char nm[FB_NAME_MAX];
	const struct fb_extent *e;
	uint64_t h = chash_start(size), next = 0, p;
	uint32_t c = 0;
	int old, idx, ret;

	pad_name(nm, name);
	fb_meta_sync(s->work, s->cur);	/* as the module's begin() */
	old = fb_obj_find(s->work, nm);
	ret = fb_obj_alloc(s->work, nm, type, size, align, &idx);
	if (ret)
		return ret;	/* the next sync discards the working copy */
	while ((e = fb_obj_next_extent(s->work, idx, &c))) {
		if (e->offset != next)
			failf("put %s: extent offset %llu, expected %llu", name,
			      (unsigned long long)e->offset,
			      (unsigned long long)next);
		for (p = 0; p < e->pages; p++) {
			gen_page(pg, seed, size, e->offset + p);
			h = chash_step(h, pg, e->offset + p);
			s->r.write(&s->r, FB_DATA_OFFSET +
				   (uint64_t)(e->start + p) * PAGE, pg, PAGE);
		}
		next = e->offset + e->pages;
	}
	if (next != fb_pages(size))
		failf("put %s: extents cover %llu pages, want %llu", name,
		      (unsigned long long)next,
		      (unsigned long long)fb_pages(size));
	s->work->obj[idx].flags = FB_OBJ_F_DIGEST;
	s->work->obj[idx].ctime_ns = s->clock++;
	digest_of(h, s->work->obj[idx].sha256);
	if (old >= 0)
		fb_obj_free(s->work, old);
	fb_commit(&s->r, &s->slot, s->work);
	meta_swap(&s->cur, &s->work);
	if (old >= 0)
		zero_extents(s, s->work, old);	/* work: the pre-commit state */
	return 0;
}

static int k_rm(struct sim *s, const char *name)
{
	char nm[FB_NAME_MAX];
	int idx;

	pad_name(nm, name);
	fb_meta_sync(s->work, s->cur);
	idx = fb_obj_find(s->work, nm);
	if (idx < 0)
		return -ENOENT;
	fb_obj_free(s->work, idx);
	fb_commit(&s->r, &s->slot, s->work);
	meta_swap(&s->cur, &s->work);
	zero_extents(s, s->work, idx);
	return 0;
}

static void k_seal(struct sim *s, uint32_t reason)
{
	fb_seal_write(&s->r, s->cur, reason, s->clock++, 12345);
}

/* ------------------------------------------------------------------ */
/* Logical state: the model, and what a raw region decodes to            */

struct mobj {
	char name[FB_NAME_MAX];
	uint32_t type;
	uint64_t size, id, chash;
};

struct model {
	int state;
	uint32_t boot_reason;
	uint64_t gen, boots, next_id, data_pages;
	uint32_t max_objects;
	uint8_t uuid[16];
	int seal;			/* fb_seal_valid() of the seal record */
	int n;
	struct mobj o[MAXO];
};

struct lobj {
	char name[FB_NAME_MAX];
	uint32_t type, flags;
	uint64_t size, id, chash;
	uint32_t intact;		/* digest matches, pages complete */
	uint32_t pad;
};

struct lstate {
	int32_t state;
	uint32_t boot_reason;
	uint64_t gen, boots, next_id;
	uint8_t uuid[16];
	int32_t seal;
	int32_t n;
	struct lobj o[MAXO];
};

static int lobj_cmp(const void *a, const void *b)
{
	return strncmp(((const struct lobj *)a)->name,
		       ((const struct lobj *)b)->name, FB_NAME_MAX);
}

static void lstate_of_model(const struct model *m, struct lstate *L)
{
	int i;

	memset(L, 0, sizeof(*L));
	L->state = m->state;
	if (m->state != FB_STATE_READY)
		return;
	L->boot_reason = m->boot_reason;
	L->gen = m->gen;
	L->boots = m->boots;
	L->next_id = m->next_id;
	memcpy(L->uuid, m->uuid, 16);
	L->seal = m->seal;
	L->n = m->n;
	for (i = 0; i < m->n; i++) {
		memcpy(L->o[i].name, m->o[i].name, FB_NAME_MAX);
		L->o[i].type = m->o[i].type;
		L->o[i].flags = FB_OBJ_F_DIGEST;
		L->o[i].size = m->o[i].size;
		L->o[i].id = m->o[i].id;
		L->o[i].chash = m->o[i].chash;
		L->o[i].intact = 1;
	}
	qsort(L->o, (size_t)L->n, sizeof(L->o[0]), lobj_cmp);
}

/*
 * The scale test decodes thousands of images of a 256 MiB region: with
 * g_hash_cache, the content hash of an object is remembered by its id,
 * size and first page (objects never change in place; data goes only to
 * pages that are free in the current state).
 */
static int g_hash_cache;
#define HCACHE 32768
static struct { uint64_t id, size, start, h, next; } hcache[HCACHE];

/*
 * The extents of each object of @mm in table order, as linked lists built
 * in one pass (fb_obj_next_extent() walks the whole table for each object:
 * quadratic over a table of thousands).
 */
static uint32_t *x_first, *x_last, *x_next;

static void ext_index(const struct fb_meta *mm)
{
	static size_t cap_o, cap_e;
	uint32_t k;

	if (cap_o < mm->sb.max_objects || cap_e < mm->sb.max_extents) {
		cap_o = mm->sb.max_objects;
		cap_e = mm->sb.max_extents;
		free(x_first);
		free(x_last);
		free(x_next);
		x_first = xcalloc(cap_o, sizeof(*x_first));
		x_last = xcalloc(cap_o, sizeof(*x_last));
		x_next = xcalloc(cap_e, sizeof(*x_next));
	}
	memset(x_first, 0, mm->sb.max_objects * sizeof(*x_first));
	for (k = 0; k < mm->sb.nr_extents; k++) {
		uint32_t o = mm->ext[k].owner;

		x_next[k] = 0;
		if (o >= mm->sb.max_objects)
			continue;
		if (!x_first[o])
			x_first[o] = k + 1;
		else
			x_next[x_last[o] - 1] = k + 1;
		x_last[o] = k + 1;
	}
}

static const struct fb_extent *obj_ext(const struct fb_meta *mm, int idx,
				       uint32_t *c)
{
	uint32_t k = *c ? x_next[*c - 1] : x_first[idx];

	if (!k)
		return NULL;
	*c = k;
	return &mm->ext[k - 1];
}

/* The logical state of copy @mm as found in image @base, data included. */
static void lstate_of_meta(const uint8_t *base, const struct fb_meta *mm,
			   struct lstate *L)
{
	static uint8_t pg[PAGE];
	uint8_t dg[32];
	int i;

	memset(L, 0, sizeof(*L));
	L->state = FB_STATE_READY;
	L->boot_reason = mm->sb.boot_reason;
	L->gen = mm->sb.generation;
	L->boots = mm->sb.boot_count;
	L->next_id = mm->sb.next_object_id;
	memcpy(L->uuid, mm->sb.uuid, 16);
	L->seal = fb_seal_valid(seal_at(base), mm);
	ext_index(mm);
	for (i = 0; i < (int)mm->sb.max_objects && L->n < MAXO; i++) {
		const struct fb_object *o = &mm->obj[i];
		struct lobj *lo;
		const struct fb_extent *e;
		uint64_t h, next = 0, p;
		uint32_t c = 0;

		if (o->type == FB_OBJ_NONE)
			continue;
		lo = &L->o[L->n++];
		memcpy(lo->name, o->name, FB_NAME_MAX);
		lo->type = o->type;
		lo->flags = o->flags;
		lo->size = o->size;
		lo->id = o->id;
		if (g_hash_cache) {
			const struct fb_extent *e0 = obj_ext(mm, i, &c);
			uint64_t start = e0 ? e0->start : ~0ull;
			unsigned int k = (unsigned int)((o->id * 0x9e3779b97f4a7c15ull) >> 49) % HCACHE;

			c = 0;
			for (; hcache[k].id; k = (k + 1) % HCACHE)
				if (hcache[k].id == o->id && hcache[k].size == o->size &&
				    hcache[k].start == start)
					break;
			if (hcache[k].id) {
				lo->chash = hcache[k].h;
				digest_of(lo->chash, dg);
				lo->intact = hcache[k].next == fb_pages(o->size) &&
					     (o->flags & FB_OBJ_F_DIGEST) &&
					     !memcmp(dg, o->sha256, 32);
				continue;
			}
		}
		h = chash_start(o->size);
		while ((e = obj_ext(mm, i, &c))) {
			if (e->offset != next)
				break;
			for (p = 0; p < e->pages; p++) {
				memcpy(pg, base + FB_DATA_OFFSET +
				       (uint64_t)(e->start + p) * PAGE, PAGE);
				h = chash_step(h, pg, next + p);
			}
			next += e->pages;
		}
		lo->chash = h;
		digest_of(h, dg);
		lo->intact = next == fb_pages(o->size) &&
			     (o->flags & FB_OBJ_F_DIGEST) &&
			     !memcmp(dg, o->sha256, 32);
		if (g_hash_cache && lo->intact) {
			const struct fb_extent *e0;
			unsigned int k = (unsigned int)((o->id * 0x9e3779b97f4a7c15ull) >> 49) % HCACHE;

			c = 0;
			e0 = obj_ext(mm, i, &c);
			while (hcache[k].id)
				k = (k + 1) % HCACHE;
			hcache[k].id = o->id;
			hcache[k].size = o->size;
			hcache[k].start = e0 ? e0->start : ~0ull;
			hcache[k].h = h;
			hcache[k].next = next;
		}
	}
	qsort(L->o, (size_t)L->n, sizeof(L->o[0]), lobj_cmp);
}

/* Attach to the raw image and decode the state it holds. */
static void decode(const uint8_t *base, uint64_t bytes, uint64_t *scratch,
		   struct lstate *L, struct fb_attach_result *res)
{
	struct fb_region r = { .base = (uint8_t *)base, .bytes = bytes };
	struct fb_attach_result tmp;

	if (!res)
		res = &tmp;
	fb_attach(&r, scratch, res);
	if (res->state != FB_STATE_READY) {
		memset(L, 0, sizeof(*L));
		L->state = res->state;
		return;
	}
	lstate_of_meta(base, meta_at(base, bytes, res->slot), L);
}

static int lstate_eq(const struct lstate *a, const struct lstate *b)
{
	return a->state == b->state && a->boot_reason == b->boot_reason &&
	       a->gen == b->gen && a->boots == b->boots &&
	       a->next_id == b->next_id && !memcmp(a->uuid, b->uuid, 16) &&
	       a->seal == b->seal && a->n == b->n &&
	       !memcmp(a->o, b->o, (size_t)a->n * sizeof(a->o[0]));
}

/* Describe the first difference between two states. */
static const char *lstate_diff(const struct lstate *a, const struct lstate *b)
{
	static char buf[256];
	int i;

	if (a->state != b->state)
		snprintf(buf, sizeof(buf), "state %d vs %d", a->state, b->state);
	else if (a->gen != b->gen)
		snprintf(buf, sizeof(buf), "generation %llu vs %llu",
			 (unsigned long long)a->gen, (unsigned long long)b->gen);
	else if (a->boots != b->boots)
		snprintf(buf, sizeof(buf), "boot_count %llu vs %llu",
			 (unsigned long long)a->boots,
			 (unsigned long long)b->boots);
	else if (a->boot_reason != b->boot_reason)
		snprintf(buf, sizeof(buf), "boot_reason %u vs %u",
			 a->boot_reason, b->boot_reason);
	else if (a->seal != b->seal)
		snprintf(buf, sizeof(buf), "seal %d vs %d", a->seal, b->seal);
	else if (a->next_id != b->next_id)
		snprintf(buf, sizeof(buf), "next_object_id %llu vs %llu",
			 (unsigned long long)a->next_id,
			 (unsigned long long)b->next_id);
	else if (memcmp(a->uuid, b->uuid, 16))
		snprintf(buf, sizeof(buf), "uuid differs");
	else if (a->n != b->n)
		snprintf(buf, sizeof(buf), "%d objects vs %d", a->n, b->n);
	else {
		snprintf(buf, sizeof(buf), "equal");
		for (i = 0; i < a->n; i++) {
			const struct lobj *x = &a->o[i], *y = &b->o[i];

			if (!memcmp(x, y, sizeof(*x)))
				continue;
			snprintf(buf, sizeof(buf),
				 "object %.20s/%.20s: size %llu/%llu id %llu/%llu type %u/%u flags %u/%u contents %s/%s intact %u/%u",
				 x->name, y->name, (unsigned long long)x->size,
				 (unsigned long long)y->size,
				 (unsigned long long)x->id,
				 (unsigned long long)y->id, x->type, y->type,
				 x->flags, y->flags,
				 x->chash == y->chash ? "same" : "DIFF",
				 x->chash == y->chash ? "same" : "DIFF",
				 x->intact, y->intact);
			break;
		}
	}
	return buf;
}

/* Model updates mirroring the k_* operations. */
static void m_format(struct model *m, const uint8_t uuid[16],
		     uint64_t bytes)
{
	uint64_t gen = m->state == FB_STATE_READY ? m->gen : 0;

	memset(m, 0, sizeof(*m));
	m->state = FB_STATE_READY;
	m->gen = gen + 2;
	m->boots = 1;
	m->boot_reason = FB_REASON_FIRST;
	m->next_id = 1;
	m->data_pages = sim_pages(bytes);
	m->max_objects = sim_maxobj(bytes);
	memcpy(m->uuid, uuid, 16);
}

static void m_attach(struct model *m)
{
	uint32_t reason = m->seal == FB_SEAL_DETACH ? FB_REASON_UPDATE :
			  m->seal ? (uint32_t)m->seal : FB_REASON_UNCLEAN;

	m->boots++;
	m->gen++;
	m->boot_reason = reason;
	m->seal = 0;
}

static int m_find(const struct model *m, const char *name)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (!strncmp(m->o[i].name, name, FB_NAME_MAX))
			return i;
	return -1;
}

static uint64_t m_used(const struct model *m)
{
	uint64_t u = 0;
	int i;

	for (i = 0; i < m->n; i++)
		u += fb_pages(m->o[i].size);
	return u;
}

/* Whether a put of @size with no alignment must fail (EMFILE, ENOSPC). */
static int m_put_nospace(const struct model *m, uint64_t size)
{
	return m->n == (int)m->max_objects ||
	       size > (m->data_pages << 12) ||
	       fb_pages(size) > m->data_pages - m_used(m);
}

static void m_put(struct model *m, const char *name, uint32_t type,
		  uint64_t size, uint64_t seed)
{
	int i = m_find(m, name);

	if (i < 0)
		i = m->n++;
	memset(&m->o[i], 0, sizeof(m->o[i]));
	pad_name(m->o[i].name, name);
	m->o[i].type = type;
	m->o[i].size = size;
	m->o[i].id = m->next_id++;
	m->o[i].chash = content_hash(seed, size);
	m->gen++;
}

static void m_rm(struct model *m, const char *name)
{
	int i = m_find(m, name);

	m->o[i] = m->o[--m->n];
	m->gen++;
}

/* ------------------------------------------------------------------ */
/* Common verification                                                  */

static struct lstate *L_a, *L_b;

/* The raw region must hold exactly the model's state. */
static void verify(struct sim *s, const struct model *m, const char *what,
		   int free_zero)
{
	const struct fb_meta *mm;
	char why[FB_WHY_MAX] = "";

	decode(s->mem, s->bytes, s->scratch, L_a, NULL);
	lstate_of_model(m, L_b);
	if (!lstate_eq(L_a, L_b)) {
		failf("%s: region differs from the model: %s", what,
		      lstate_diff(L_a, L_b));
		return;
	}
	if (m->state != FB_STATE_READY)
		return;
	CHECK(!fb_copy_validate(&s->r, s->slot, s->scratch, why),
	      "%s: current copy invalid: %s", what, why);
	mm = meta_at(s->mem, s->bytes, s->slot);
	CHECK(meta_same(mm, s->cur), "%s: current copy differs from cur", what);
	CHECK(fb_obj_count(s->cur) == (uint32_t)m->n,
	      "%s: fb_obj_count %u, model %d", what, fb_obj_count(s->cur), m->n);
	CHECK(fb_used_pages(s->cur) == m_used(m),
	      "%s: fb_used_pages %llu, model %llu", what,
	      (unsigned long long)fb_used_pages(s->cur),
	      (unsigned long long)m_used(m));
	if (free_zero) {
		uint32_t i;

		for (i = 0; i < mm->sb.nr_extents; i++) {
			const struct fb_extent *e = &mm->ext[i];
			const uint8_t *p = s->mem + FB_DATA_OFFSET +
					   (uint64_t)e->start * PAGE;
			uint64_t j, len = (uint64_t)e->pages * PAGE;

			if (e->owner != FB_EXT_FREE)
				continue;
			for (j = 0; j < len && !p[j]; j++)
				;
			CHECK(j == len, "%s: free page %llu not zeroed", what,
			      (unsigned long long)(e->start + j / PAGE));
		}
	}
}

static void make_uuid(uint8_t uuid[16])
{
	uint64_t a = rnd64(), b = rnd64();

	memcpy(uuid, &a, 8);
	memcpy(uuid + 8, &b, 8);
}

/* Put through both the simulator and the model, checking the result. */
static int do_put(struct sim *s, struct model *m, const char *name,
		  uint32_t type, uint64_t size, uint32_t align)
{
	uint64_t seed = rnd64();
	int want_fail = m_put_nospace(m, size);
	int ret = k_put(s, name, type, size, align, seed);

	if (ret == 0) {
		CHECK(!want_fail, "put %s (%llu B): succeeded, model says ENOSPC",
		      name, (unsigned long long)size);
		m_put(m, name, type, size, seed);
	} else {
		CHECK(ret == (m->n == (int)m->max_objects ? -EMFILE : -ENOSPC),
		      "put %s: error %d", name, ret);
		CHECK(want_fail || align > 1,
		      "put %s (%llu B): ENOSPC with %llu pages free", name,
		      (unsigned long long)size,
		      (unsigned long long)(m->data_pages - m_used(m)));
	}
	return ret;
}

static void do_rm(struct sim *s, struct model *m, const char *name)
{
	int ret = k_rm(s, name);

	CHECK(ret == 0, "rm %s: %d", name, ret);
	if (!ret)
		m_rm(m, name);
}

static void do_attach(struct sim *s, struct model *m)
{
	int st = k_attach(s, NULL);

	CHECK(st == FB_STATE_READY, "attach: state %d", st);
	m_attach(m);
}

static void do_seal(struct sim *s, struct model *m, uint32_t reason)
{
	k_seal(s, reason);
	m->seal = (int)reason;
}

/* ------------------------------------------------------------------ */
/* 1. CRC32C                                                            */

static void test_crc(void)
{
	static const char *v = "123456789";
	uint8_t buf[1000];
	uint32_t a, b;
	int i;

	CHECK((fb_crc32c(0xffffffffu, v, 9) ^ 0xffffffffu) == 0xe3069283u,
	      "crc32c(\"123456789\") = %#x",
	      fb_crc32c(0xffffffffu, v, 9) ^ 0xffffffffu);
	CHECK(fb_crc32c(0xffffffffu, v, 0) == 0xffffffffu, "empty buffer");
	/* 32 zero bytes: 0x8a9136aa (RFC 3720 B.4); 32 x 0xff: 0x62a8ab43. */
	memset(buf, 0, 32);
	CHECK((fb_crc32c(~0u, buf, 32) ^ ~0u) == 0x8a9136aau, "32 x 0x00");
	memset(buf, 0xff, 32);
	CHECK((fb_crc32c(~0u, buf, 32) ^ ~0u) == 0x62a8ab43u, "32 x 0xff");
	for (i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	CHECK((fb_crc32c(~0u, buf, 32) ^ ~0u) == 0x46dd794eu, "0..31");
	/* Chaining: a split buffer gives the same CRC. */
	for (i = 0; i < (int)sizeof(buf); i++)
		buf[i] = (uint8_t)rnd64();
	a = fb_crc32c(~0u, buf, sizeof(buf));
	b = fb_crc32c(fb_crc32c(~0u, buf, 333), buf + 333, sizeof(buf) - 333);
	CHECK(a == b, "chained CRC differs");
}

/* ------------------------------------------------------------------ */
/* 2. Names                                                             */

static int name_ok(const char *s)
{
	char b[FB_NAME_MAX];

	pad_name(b, s);
	return fb_name_valid(b, FB_NAME_MAX) == 0;
}

static void test_names(void)
{
	static const char *good[] = {
		"a", "kernel", "vmlinuz-6.1.0-13-amd64", "initrd.img", "A B~",
		"...", ".a", "a.", "-", "~!@#$%^&*()_+{}|:\"<>?`=[]\\;',",
		" ", "0",
	};
	static const char *bad[] = {
		"", "/", "a/b", "/a", "a/", ".", "..", "\x01", "a\x1f", "\x7f",
		"a\x7f" "b", "\t", "\n", "\x80", "\xff", "caf\xc3\xa9",
	};
	char b[FB_NAME_MAX];
	unsigned int i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(name_ok(good[i]), "good name \"%s\" refused", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!name_ok(bad[i]), "bad name #%u accepted", i);
	/* 63 bytes: the longest name. */
	memset(b, 'x', sizeof(b));
	b[63] = 0;
	CHECK(fb_name_valid(b, FB_NAME_MAX) == 0, "63-byte name refused");
	/* 64 bytes without a NUL. */
	memset(b, 'x', sizeof(b));
	CHECK(fb_name_valid(b, FB_NAME_MAX) == -EINVAL,
	      "64-byte unterminated name accepted");
	/* Non-zero bytes after the NUL. */
	pad_name(b, "abc");
	b[10] = 'q';
	CHECK(fb_name_valid(b, FB_NAME_MAX) == -EINVAL,
	      "garbage after the NUL accepted");
	pad_name(b, "abc");
	b[63] = 1;
	CHECK(fb_name_valid(b, FB_NAME_MAX) == -EINVAL,
	      "garbage in the last byte accepted");
	pad_name(b, "");
	b[1] = 'a';
	CHECK(fb_name_valid(b, FB_NAME_MAX) == -EINVAL,
	      "empty name with trailing garbage accepted");
	/* Every single byte value as a one-byte name. */
	for (i = 1; i < 256; i++) {
		int want = i >= 0x20 && i <= 0x7e && i != '/' && i != '.';

		pad_name(b, "");
		b[0] = (char)i;
		CHECK((fb_name_valid(b, FB_NAME_MAX) == 0) == want,
		      "one-byte name %#x: wrong verdict", i);
	}
	/* Only FB_NAME_MAX-byte buffers are names. */
	pad_name(b, "abc");
	CHECK(fb_name_valid(b, 32) == -EINVAL, "size 32 accepted");
	CHECK(fb_name_valid(b, 65) == -EINVAL, "size 65 accepted");
}

/* ------------------------------------------------------------------ */
/* 3. Round trip                                                        */

static void check_aligned(struct sim *s, const char *name, uint32_t align,
			  int verbose)
{
	char nm[FB_NAME_MAX];
	const struct fb_extent *e, *prev = NULL;
	uint32_t c = 0;
	int idx, n = 0;

	pad_name(nm, name);
	idx = fb_obj_find(s->cur, nm);
	if (idx < 0) {
		failf("%s not found", name);
		return;
	}
	while ((e = fb_obj_next_extent(s->cur, idx, &c))) {
		CHECK(e->start % align == 0, "%s: extent at page %u not %u-aligned",
		      name, e->start, align);
		if (prev)
			CHECK(prev->pages % align == 0,
			      "%s: inner extent of %u pages", name, prev->pages);
		prev = e;
		n++;
	}
	if (verbose)
		note("object %s: %d extents, each starting on a %u-page boundary",
		     name, n, align);
}

static void test_roundtrip(void)
{
	uint64_t bytes = 6 * MiB + 20 * 1024;	/* 1029 data pages */
	struct sim *s = sim_new(bytes);
	struct model *m = xcalloc(1, sizeof(*m));
	uint64_t dp = sim_pages(bytes);
	char name[FB_NAME_MAX], long_name[FB_NAME_MAX];
	uint8_t uuid[16];
	uint32_t reason;
	int i, ret, nfill;

	/* Big tables: 1,024 objects and 4,096 extents take 640 KiB. */
	CHECK(dp == (g_v1 ? 1029 : 869), "data pages %llu",
	      (unsigned long long)dp);
	decode(s->mem, s->bytes, s->scratch, L_a, NULL);
	CHECK(L_a->state == FB_STATE_UNFORMATTED, "zero region: state %d",
	      L_a->state);
	m->state = FB_STATE_UNFORMATTED;
	make_uuid(uuid);
	k_format(s, uuid);
	m_format(m, uuid, bytes);
	verify(s, m, "format", 1);
	CHECK(s->cur->sb.generation == 2 && s->cur->sb.boot_count == 1,
	      "fresh format: generation %llu boot_count %llu",
	      (unsigned long long)s->cur->sb.generation,
	      (unsigned long long)s->cur->sb.boot_count);

	memset(long_name, 'L', 63);
	long_name[63] = 0;
	do_put(s, m, "empty", FB_OBJ_BLOB, 0, 1);
	verify(s, m, "put 0 B", 1);
	do_put(s, m, "one", FB_OBJ_BLOB, 1, 1);
	verify(s, m, "put 1 B", 1);
	do_put(s, m, "page+1", FB_OBJ_BOOT, 4097, 1);
	verify(s, m, "put 4097 B", 1);
	do_put(s, m, "big", FB_OBJ_BOOT, MiB + 123, 1);
	verify(s, m, "put 1 MiB", 1);
	do_put(s, m, long_name, FB_OBJ_GUEST, 3 * PAGE, 1);
	verify(s, m, "put 63-byte name", 1);
	do_rm(s, m, "one");
	verify(s, m, "rm", 1);
	do_put(s, m, "page+1", FB_OBJ_BOOT, 5000, 1);
	verify(s, m, "replace 4097 B by 5000 B", 1);
	do_put(s, m, "big", FB_OBJ_BLOB, 100, 1);
	verify(s, m, "replace 1 MiB by 100 B", 1);
	do_put(s, m, "empty", FB_OBJ_BLOB, 2 * PAGE, 1);
	verify(s, m, "replace 0 B by 2 pages", 1);
	CHECK(k_rm(s, "nonexistent") == -ENOENT, "rm of a missing object");

	/* Reboots: the boot reason comes from the seal. */
	do_attach(s, m);
	verify(s, m, "reboot, no seal", 1);
	CHECK(s->cur->sb.boot_reason == FB_REASON_UNCLEAN && m->boots == 2,
	      "unsealed reboot: reason %u", s->cur->sb.boot_reason);
	do_seal(s, m, FB_REASON_UPDATE);
	verify(s, m, "sealed (update)", 1);
	do_attach(s, m);
	verify(s, m, "reboot after update seal", 1);
	CHECK(s->cur->sb.boot_reason == FB_REASON_UPDATE, "reason %u",
	      s->cur->sb.boot_reason);
	do_seal(s, m, FB_REASON_CRASH);
	do_attach(s, m);
	verify(s, m, "reboot after crash seal", 1);
	CHECK(s->cur->sb.boot_reason == FB_REASON_CRASH, "reason %u",
	      s->cur->sb.boot_reason);
	do_seal(s, m, FB_SEAL_DETACH);
	k_attach(s, &reason);
	m_attach(m);
	CHECK(reason == FB_REASON_UPDATE, "detach seal gave reason %u", reason);
	verify(s, m, "reattach after detach seal", 1);
	/* A seal of a previous boot (boot_count behind) is ignored. */
	do_seal(s, m, FB_REASON_UPDATE);
	{
		struct fb_seal *sl = (struct fb_seal *)(s->mem + FB_SEAL_OFFSET);

		CHECK(fb_seal_valid(sl, s->cur) == FB_REASON_UPDATE, "seal");
		s->cur->sb.boot_count++;
		CHECK(fb_seal_valid(sl, s->cur) == 0, "stale seal accepted");
		s->cur->sb.boot_count--;
		sl->time_ns ^= 1;
		CHECK(fb_seal_valid(sl, s->cur) == 0, "torn seal accepted");
		sl->time_ns ^= 1;
	}
	/* The next-boot record: round trip, stale, torn, cleared. */
	{
		char img[64];
		struct fb_next *nx = (struct fb_next *)(s->mem + FB_NEXT_OFFSET);

		fb_next_write(&s->r, s->cur, "img.7");
		CHECK(fb_next_valid(&s->r, s->cur, img) == 1 &&
		      !strcmp(img, "img.7"), "next-boot record round trip");
		s->cur->sb.boot_count++;
		CHECK(fb_next_valid(&s->r, s->cur, img) == 0 && !img[0],
		      "next-boot record of another boot accepted");
		s->cur->sb.boot_count--;
		nx->image[1] ^= 1;
		CHECK(fb_next_valid(&s->r, s->cur, img) == 0,
		      "torn next-boot record accepted");
		nx->image[1] ^= 1;
		nx->image[0] = '/';
		nx->crc = 0;
		nx->crc = ~fb_crc32c(0xffffffffu, nx, sizeof(*nx));
		CHECK(fb_next_valid(&s->r, s->cur, img) == 0,
		      "next-boot record with a bad name accepted");
		fb_next_clear(&s->r);
		CHECK(fb_next_valid(&s->r, s->cur, img) == 0,
		      "cleared next-boot record accepted");
	}
	do_attach(s, m);
	verify(s, m, "reboot after stale-seal checks", 1);

	/* Fill the data area until ENOSPC. */
	for (nfill = 0; nfill < 100; nfill++) {
		snprintf(name, sizeof(name), "fill%02d", nfill);
		ret = do_put(s, m, name, FB_OBJ_BLOB, 37 * PAGE - 5, 1);
		if (ret)
			break;
	}
	CHECK(ret == -ENOSPC, "filling never hit ENOSPC");
	verify(s, m, "after ENOSPC", 1);
	snprintf(name, sizeof(name), "rest");
	ret = do_put(s, m, name, FB_OBJ_BLOB,
		     (m->data_pages - m_used(m)) * PAGE, 1);
	CHECK(ret == 0, "exact fill: %d", ret);
	CHECK(fb_used_pages(s->cur) == dp, "full store: %llu pages used",
	      (unsigned long long)fb_used_pages(s->cur));
	CHECK(do_put(s, m, "x", FB_OBJ_BLOB, 1, 1) == -ENOSPC,
	      "1 B into a full store");
	CHECK(do_put(s, m, "big", FB_OBJ_BLOB, 50, 1) == -ENOSPC,
	      "replace in a full store (old still allocated)");
	CHECK(do_put(s, m, "zero", FB_OBJ_BLOB, 0, 1) == 0,
	      "0 B into a full store");
	CHECK(do_put(s, m, "huge", FB_OBJ_BLOB, (dp << 12) + 1, 1) == -ENOSPC,
	      "object larger than the data area");
	verify(s, m, "full store", 0);
	for (i = 0; i < nfill; i++) {
		snprintf(name, sizeof(name), "fill%02d", i);
		do_rm(s, m, name);
	}
	do_rm(s, m, "rest");
	verify(s, m, "fill removed", 1);
	while (m->n)
		do_rm(s, m, m->o[0].name);
	verify(s, m, "all removed", 1);
	CHECK(s->cur->sb.nr_extents == 1, "empty store has %u extents",
	      s->cur->sb.nr_extents);
	do_attach(s, m);
	verify(s, m, "empty store reboot", 1);
	sim_free(s);

	/* Fill the object table. */
	s = sim_new(8 * MiB);
	make_uuid(uuid);
	memset(m, 0, sizeof(*m));
	k_format(s, uuid);
	m_format(m, uuid, s->bytes);
	for (i = 0; i < (int)m->max_objects; i++) {
		snprintf(name, sizeof(name), "obj%03d", i);
		ret = do_put(s, m, name, FB_OBJ_BLOB, (uint64_t)(i & 1), 1);
		if (ret) {
			failf("object %d of %u: %d", i, m->max_objects, ret);
			break;
		}
	}
	verify(s, m, "full object table", 1);
	CHECK(fb_obj_count(s->cur) == m->max_objects, "count %u",
	      fb_obj_count(s->cur));
	CHECK(do_put(s, m, "one-more", FB_OBJ_BLOB, 0, 1) == -EMFILE,
	      "object %u accepted", m->max_objects + 1);
	CHECK(do_put(s, m, "obj001", FB_OBJ_BLOB, 1, 1) == -EMFILE,
	      "replace with a full table (needs a free slot)");
	do_rm(s, m, "obj100");
	CHECK(do_put(s, m, "one-more", FB_OBJ_BLOB, 10, 1) == 0,
	      "put after rm in a full table");
	do_attach(s, m);
	verify(s, m, "full object table, rebooted", 1);
	sim_free(s);

	/* Alignment: extents start (and inner ones end) on 512 pages. */
	s = sim_new(12 * MiB);			/* 2560 data pages */
	make_uuid(uuid);
	memset(m, 0, sizeof(*m));
	k_format(s, uuid);
	m_format(m, uuid, s->bytes);
	do_put(s, m, "small", FB_OBJ_BLOB, 3 * PAGE, 1);
	CHECK(do_put(s, m, "A", FB_OBJ_GUEST, 512 * PAGE, 512) == 0, "A");
	CHECK(do_put(s, m, "B", FB_OBJ_GUEST, 512 * PAGE, 512) == 0, "B");
	CHECK(do_put(s, m, "C", FB_OBJ_GUEST, 512 * PAGE, 512) == 0, "C");
	check_aligned(s, "A", 512, 1);
	do_rm(s, m, "A");
	do_rm(s, m, "C");
	CHECK(do_put(s, m, "guest", FB_OBJ_GUEST, 1100 * PAGE - 7, 512) == 0,
	      "guest");
	check_aligned(s, "guest", 512, 1);
	verify(s, m, "aligned allocations", 1);
	CHECK(do_put(s, m, "guest2", FB_OBJ_GUEST, 512 * PAGE, 512) == -ENOSPC,
	      "no aligned room left, yet allocated");
	CHECK(do_put(s, m, "unaligned", FB_OBJ_BLOB, 500 * PAGE, 1) == 0,
	      "unaligned put into the leftovers");
	verify(s, m, "after ENOSPC of an aligned put", 1);
	sim_free(s);

	/*
	 * Aligned allocation near the 32-bit page limit (a 16 TiB region, on
	 * a working copy only): the aligned start must not wrap around.
	 */
	if (g_v1) {
		uint64_t huge = FB_DATA_OFFSET + (FB_MAX_DATA_PAGES << 12);
		struct fb_meta *w = meta_new(huge);
		struct fb_meta_v1 *img = xcalloc(1, sizeof(*img));
		uint64_t *scratch = xcalloc(FB_SCRATCH_U64, sizeof(uint64_t));
		uint32_t dpages, k;
		char why[FB_WHY_MAX] = "";
		int idx;

		make_uuid(uuid);
		fb_meta_init_v1(w, huge, uuid, 1);
		fb_boot_record(w, FB_REASON_FIRST, 1, "rel", NULL);
		dpages = w->sb.data_pages;
		pad_name(name, "low");
		ret = fb_obj_alloc(w, name, FB_OBJ_GUEST,
				   (uint64_t)(dpages - 100) << 12, 1, &idx);
		CHECK(ret == 0, "16 TiB: first alloc %d", ret);
		pad_name(name, "aligned");
		ret = fb_obj_alloc(w, name, FB_OBJ_GUEST, 50 << 12, 512, &idx);
		CHECK(ret == -ENOSPC, "16 TiB: aligned alloc past 2^32 pages returned %d", ret);
		hostile_encode(w, img, 0, 1);
		CHECK(!fb_meta_validate_v1(img, huge, scratch, why),
		      "16 TiB: metadata invalid after aligned alloc: %s", why);
		for (k = 0; k < w->sb.nr_extents && ret == 0; k++)
			note("16 TiB extent %u: start %#llx pages %#llx owner %#x", k,
			     (unsigned long long)w->ext[k].start,
			     (unsigned long long)w->ext[k].pages, w->ext[k].owner);
		meta_free(w);
		free(img);
		free(scratch);
	}
	free(m);
}

/* ------------------------------------------------------------------ */
/* 4. Interrupted commits                                               */

static uint8_t *cut_before, *cut_img;
static struct model *cut_exp;		/* [4] */
static struct lstate *cut_L[4];
static int cut_nexp;
static long cut_total, cut_skipped;
/*
 * Cut points inside a table copy are checked every cut_stride stores (and
 * at the last store of every block); every other cut point always.
 */
static long cut_stride = 1;

/* Does [off, off + len) lie in a big-table copy of the image? */
static int in_tables(const struct sim *s, uint64_t off)
{
	const struct fb_super *sb =
		(const struct fb_super *)(cut_before + FB_META_OFFSET(0));
	const struct fb_super *sb1 =
		(const struct fb_super *)(s->mem + FB_META_OFFSET(0));

	if (!(sb1->incompat & FB_INCOMPAT_TABLES))
		sb1 = sb;
	if (!(sb1->incompat & FB_INCOMPAT_TABLES) || !sb1->table_offset)
		return 0;
	return off >= sb1->table_offset &&
	       off < sb1->table_offset + 2ull * sb1->table_bytes &&
	       (off + 8) % FB_TABLE_BLOCK != 0;
}

static void cut_begin(struct sim *s, const struct model *m)
{
	memcpy(cut_before, s->mem, s->bytes);
	cut_exp[0] = *m;
	cut_nexp = 1;
	s->nlog = 0;
	s->recording = 1;
}

static void cut_mark(const struct model *m)
{
	cut_exp[cut_nexp++] = *m;
}

/*
 * Replay the recorded stores onto the before-image one by one; after each
 * prefix the image must decode to one of the marked states, in order.
 */
static void cut_finish(struct sim *s, const char *label)
{
	struct lstate *L = L_a;
	struct fb_attach_result res;
	size_t k, n = s->nlog;
	int i, j, last = 0, bad = 0;
	long hist[4] = { 0 };

	s->recording = 0;
	for (i = 0; i < cut_nexp; i++)
		lstate_of_model(&cut_exp[i], cut_L[i]);
	memcpy(cut_img, cut_before, s->bytes);
	for (k = 0; k <= n; k++) {
		if (k)
			memcpy(cut_img + s->log[k - 1].off, s->log[k - 1].data,
			       s->log[k - 1].len);
		if (cut_stride > 1 && k && k < n && k % cut_stride &&
		    in_tables(s, s->log[k - 1].off)) {
			cut_skipped++;
			continue;
		}
		decode(cut_img, s->bytes, s->scratch, L, &res);
		for (j = last; j < cut_nexp; j++)
			if (lstate_eq(L, cut_L[j]))
				break;
		cut_total++;
		if (j == cut_nexp) {
			for (j = 0; j < last; j++)
				if (lstate_eq(L, cut_L[j]))
					break;
			if (bad++ < 3)
				failf("%s: cut after store %zu of %zu (at %#llx): %s (%s); vs expected state %d: %s",
				      label, k, n,
				      k ? (unsigned long long)s->log[k - 1].off : 0ull,
				      j < last ? "went BACK to an older state" :
				      res.state == FB_STATE_DAMAGED ? "DAMAGED" :
				      "unexpected state",
				      res.why, last, lstate_diff(L, cut_L[last]));
			continue;
		}
		last = j;
		hist[j]++;
	}
	CHECK(last == cut_nexp - 1, "%s: complete write stream gives state %d of %d",
	      label, last, cut_nexp - 1);
	CHECK(!memcmp(cut_img, s->mem, s->bytes),
	      "%s: replayed image differs from the region", label);
	if (cut_nexp > 2)
		note("%-36s %5zu cut points: old %ld, intermediate %ld, new %ld",
		     label, n + 1, hist[0], hist[1], hist[cut_nexp - 1]);
	else
		note("%-36s %5zu cut points: old %ld, new %ld", label, n + 1,
		     hist[0], hist[cut_nexp - 1]);
}

static void cut_put(struct sim *s, struct model *m, const char *label,
		    const char *name, uint64_t size, uint32_t align)
{
	cut_begin(s, m);
	CHECK(do_put(s, m, name, FB_OBJ_BLOB, size, align) == 0, "%s", label);
	cut_mark(m);
	cut_finish(s, label);
}

static void cut_rm(struct sim *s, struct model *m, const char *label,
		   const char *name)
{
	cut_begin(s, m);
	do_rm(s, m, name);
	cut_mark(m);
	cut_finish(s, label);
}

static void cut_format(struct sim *s, struct model *m, const char *label)
{
	struct model f1;
	uint8_t uuid[16];

	cut_begin(s, m);
	make_uuid(uuid);
	k_format(s, uuid);
	m_format(m, uuid, s->bytes);
	f1 = *m;
	f1.gen--;
	cut_mark(&f1);
	cut_mark(m);
	cut_finish(s, label);
}

static void cut_seal(struct sim *s, struct model *m, const char *label,
		     uint32_t reason)
{
	cut_begin(s, m);
	do_seal(s, m, reason);
	cut_mark(m);
	cut_finish(s, label);
}

static void cut_attach(struct sim *s, struct model *m, const char *label)
{
	cut_begin(s, m);
	do_attach(s, m);
	cut_mark(m);
	cut_finish(s, label);
}

static void test_cuts(void)
{
	struct sim *s = sim_new(FB_MIN_REGION);
	struct model *m = xcalloc(1, sizeof(*m));
	char name[FB_NAME_MAX];
	int round, i;

	cut_before = aligned_alloc(PAGE, s->bytes);
	cut_img = aligned_alloc(PAGE, s->bytes);
	cut_exp = xcalloc(4, sizeof(*cut_exp));
	for (i = 0; i < 4; i++)
		cut_L[i] = xcalloc(1, sizeof(*cut_L[i]));
	cut_total = 0;

	m->state = FB_STATE_UNFORMATTED;
	m->data_pages = sim_pages(s->bytes);
	m->max_objects = sim_maxobj(s->bytes);
	cut_format(s, m, "format (fresh region)");
	verify(s, m, "fresh format", 1);

	for (round = 0; round < 2; round++) {
		/* A fragmented store: objects with holes between them. */
		for (i = 0; i < 12; i++) {
			snprintf(name, sizeof(name), "base%d.%02d", round, i);
			do_put(s, m, name, FB_OBJ_BLOB,
			       (uint64_t)(i % 3) * PAGE + (uint64_t)i * 7, 1);
		}
		for (i = 1; i < 12; i += 4) {
			snprintf(name, sizeof(name), "base%d.%02d", round, i);
			do_rm(s, m, name);
		}
		verify(s, m, "cut base", 1);

		cut_attach(s, m, round ? "attach (unclean, round 2)" :
			   "attach (unclean)");
		cut_put(s, m, "put new, 0 B", round ? "zero2" : "zero", 0, 1);
		if (!round) {
			/* Data-heavy paths once: 512 cut points a page. */
			cut_put(s, m, "put new, 1 B", "one", 1, 1);
			cut_put(s, m, "put new, 4097 B (fragmented)", "frag",
				4097, 1);
			cut_put(s, m, "put replace (1 B -> 100 B)", "one",
				100, 1);
			cut_put(s, m, "put replace (4097 B -> 20 B)", "frag",
				20, 1);
			cut_put(s, m, "put new, 2 pages aligned 4", "al",
				2 * PAGE, 4);
			cut_rm(s, m, "rm (2 pages)", "base0.02");
		} else {
			cut_put(s, m, "put replace (0 B -> 0 B)", "zero2", 0, 1);
		}
		cut_rm(s, m, "rm (0 B)", round ? "zero2" : "zero");
		cut_seal(s, m, "seal (update)", FB_REASON_UPDATE);
		cut_attach(s, m, "attach (after update seal)");
		cut_seal(s, m, "seal (crash)", FB_REASON_CRASH);
		cut_attach(s, m, "attach (after crash seal)");
		cut_seal(s, m, "seal (detach)", FB_SEAL_DETACH);
		cut_attach(s, m, "attach (after detach seal)");
		verify(s, m, "after the cut paths", round == 0);
	}
	cut_format(s, m, "format (over a store with objects)");
	/* Format leaves old data in the (now free) data area. */
	verify(s, m, "reformat", 0);
	cut_put(s, m, "put new after reformat, 3 pages", "after", 3 * PAGE, 1);
	verify(s, m, "end of cut tests", 0);
	note("interrupted commits: %ld cut points tested, %ld in table copies left out (FB_UNIT_CUT_STRIDE=%ld)",
	     cut_total, cut_skipped, cut_stride);
	CHECK(cut_total >= 10000, "only %ld cut points", cut_total);

	free(cut_before);
	free(cut_img);
	free(cut_exp);
	for (i = 0; i < 4; i++)
		free(cut_L[i]);
	free(m);
	sim_free(s);
}

/* ------------------------------------------------------------------ */
/* 5. Bit flips in the metadata                                         */

static long flips_total, flips_rollback, flips_damaged;

/* Flip bit @bit of the region, which lies in copy @f, and decode. */
static void flip_at(struct sim *s, uint64_t bit, int f, struct lstate *pre[2],
		    int cur_slot)
{
	struct fb_attach_result res;

	s->mem[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	decode(s->mem, s->bytes, s->scratch, L_a, &res);
	s->mem[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	flips_total++;
	if (res.state == FB_STATE_DAMAGED) {
		flips_damaged++;	/* allowed, though not expected */
		return;
	}
	if (res.state != FB_STATE_READY || res.slot != !f || !res.fallback) {
		failf("flip of bit %llu (copy %d, byte %#llx): state %d slot %d fallback %d (%s)",
		      (unsigned long long)bit, f,
		      (unsigned long long)(bit / 8),
		      res.state, res.slot, res.fallback, res.why);
		return;
	}
	if (!lstate_eq(L_a, pre[!f]))
		failf("flip of bit %llu: READY with a wrong state: %s",
		      (unsigned long long)bit, lstate_diff(L_a, pre[!f]));
	if (f == cur_slot)
		flips_rollback++;
}

/* A bit of a root (metadata copy) or a table copy. */
static void flip_one(struct sim *s, uint64_t bit, struct lstate *pre[2],
		     int cur_slot)
{
	flip_at(s, bit, (int)(bit / 8 / FB_META_BYTES), pre, cur_slot);
}

static void flip_table(struct sim *s, int copy, uint64_t bit,
		       struct lstate *pre[2], int cur_slot)
{
	uint64_t t = s->cur->sb.table_offset +
		     (uint64_t)copy * s->cur->sb.table_bytes;

	flip_at(s, t * 8 + bit, copy, pre, cur_slot);
}

static void test_flips(long nrandom)
{
	struct sim *s = sim_new(FB_MIN_REGION);
	struct model *m = xcalloc(1, sizeof(*m));
	struct lstate *pre[2];
	uint8_t uuid[16];
	uint64_t bit;
	long n0;
	int slot, i;

	pre[0] = xcalloc(1, sizeof(*pre[0]));
	pre[1] = xcalloc(1, sizeof(*pre[1]));
	flips_total = flips_rollback = flips_damaged = 0;
	make_uuid(uuid);
	k_format(s, uuid);
	m_format(m, uuid, s->bytes);
	do_put(s, m, "kernel", FB_OBJ_BOOT, 3 * PAGE + 17, 1);
	do_put(s, m, "initrd", FB_OBJ_BOOT, 5 * PAGE, 1);
	do_put(s, m, "state", FB_OBJ_BLOB, 0, 1);
	do_put(s, m, "guest", FB_OBJ_GUEST, 8 * PAGE, 8);
	do_attach(s, m);
	do_put(s, m, "last", FB_OBJ_BLOB, 99, 1);
	verify(s, m, "flip base", 1);
	slot = s->slot;
	/* Both copies are valid; the other one holds the previous commit. */
	for (i = 0; i < 2; i++) {
		char why[FB_WHY_MAX] = "";

		CHECK(!fb_copy_validate(&s->r, i, s->scratch, why),
		      "copy %d: %s", i, why);
		lstate_of_meta(s->mem, meta_at(s->mem, s->bytes, i), pre[i]);
	}
	lstate_of_model(m, L_b);
	CHECK(lstate_eq(pre[slot], L_b), "current copy != model");

	for (i = 0; i < 2; i++)
		for (bit = 0; bit < 256 * 8; bit++)
			flip_one(s, (uint64_t)i * FB_META_BYTES * 8 + bit, pre, slot);
	n0 = flips_total;
	for (i = 0; i < nrandom; i++)
		flip_one(s, rnd(2ull * FB_META_BYTES * 8), pre, slot);
	verify(s, m, "after the flips", 1);
	note("bit flips: %ld superblock + %ld random: %ld damaged, %ld in the current copy fell back to the previous commit (fallback set), %ld kept the current state",
	     n0, flips_total - n0, flips_damaged, flips_rollback,
	     flips_total - flips_damaged - flips_rollback);
	free(pre[0]);
	free(pre[1]);
	free(m);
	sim_free(s);
}

/* ------------------------------------------------------------------ */
/* 6. Random operation sequences with random cuts                       */

static void test_random(long nops)
{
	struct sim *s = sim_new(FB_MIN_REGION);
	struct model *m = xcalloc(1, sizeof(*m));
	struct model *exps = xcalloc(4, sizeof(*exps));
	struct lstate *E = xcalloc(1, sizeof(*E));
	char names[48][FB_NAME_MAX];
	uint8_t uuid[16];
	long op, n_put = 0, n_rm = 0, n_boot = 0, n_fmt = 0, n_nospc = 0;
	long n_cut = 0, n_cut_old = 0, n_cut_new = 0, n_cut_mid = 0;
	long n_noop = 0;
	int i, nexp;

	for (i = 0; i < 48; i++) {
		if (i % 12 == 11) {
			memset(names[i], 'a' + i / 12, 63);
			names[i][63] = 0;
			names[i][0] = (char)('0' + i % 10);
		} else {
			snprintf(names[i], FB_NAME_MAX, "r%02d", i);
		}
	}
	make_uuid(uuid);
	k_format(s, uuid);
	m_format(m, uuid, s->bytes);

	for (op = 0; op < nops && t_fail == 0; op++) {
		uint64_t r = rnd(1000), lines;
		int cut = rnd(10) == 0, kind;
		long before_stores = (long)s->nstores;
		char why[FB_WHY_MAX] = "";

		exps[0] = *m;
		nexp = 1;
		s->dropped = 0;
		lines = 8 * (24 + s->cur->sb.nr_extents / 4);
		kind = r < 600 ? 0 : r < 880 ? 1 : r < 998 ? 2 : 3;
		if (kind == 1 && m->n == 0)
			kind = 0;
		if (kind == 0) {			/* put */
			const char *name = names[rnd(48)];
			uint64_t q = rnd(100), size, seed = rnd64(), pold = 0;
			uint32_t align = rnd(10) ? 1 : 1u << rnd(7);
			uint32_t type = 1 + (uint32_t)rnd(3);
			int j = m_find(m, name), want_fail, ret;

			size = q < 30 ? rnd(4097) : q < 70 ? 1 + rnd(3 * PAGE) :
			       q < 93 ? rnd(16 * PAGE) : rnd(120 * PAGE);
			if (j >= 0)
				pold = fb_pages(m->o[j].size);
			if (cut)
				s->budget = (long)(rnd(2) ?
					rnd((fb_pages(size) + pold) * 512 + lines) :
					fb_pages(size) * 512 + rnd(lines));
			want_fail = m_put_nospace(m, size);
			ret = k_put(s, name, type, size, align, seed);
			n_put++;
			if (ret) {
				n_nospc++;
				CHECK(ret == (m->n == (int)m->max_objects ?
					      -EMFILE : -ENOSPC),
				      "op %ld: put: %d", op, ret);
				CHECK(want_fail || align > 1,
				      "op %ld: put %llu B: ENOSPC with %llu pages free",
				      op, (unsigned long long)size,
				      (unsigned long long)(m->data_pages - m_used(m)));
				CHECK((long)s->nstores == before_stores && !s->dropped,
				      "op %ld: failed put wrote to the region", op);
			} else {
				CHECK(!want_fail, "op %ld: put %llu B succeeded, model says ENOSPC",
				      op, (unsigned long long)size);
				if (align > 1 && !s->dropped)
					check_aligned(s, name, align, 0);
				m_put(m, name, type, size, seed);
				exps[nexp++] = *m;
			}
		} else if (kind == 1) {			/* rm */
			int j = (int)rnd((uint64_t)m->n);
			char name[FB_NAME_MAX];

			memcpy(name, m->o[j].name, FB_NAME_MAX);
			if (cut)
				s->budget = (long)rnd(fb_pages(m->o[j].size) * 512 +
						      lines);
			CHECK(k_rm(s, name) == 0, "op %ld: rm", op);
			m_rm(m, name);
			exps[nexp++] = *m;
			n_rm++;
		} else if (kind == 2) {			/* seal, reboot */
			static const uint32_t reasons[] = {
				0, FB_REASON_UPDATE, FB_REASON_CRASH,
				FB_SEAL_DETACH,
			};
			uint32_t reason = reasons[rnd(4)];

			if (cut)
				s->budget = (long)rnd(80);
			if (reason) {
				k_seal(s, reason);
				m->seal = (int)reason;
				exps[nexp++] = *m;
			}
			k_attach(s, NULL);
			m_attach(m);
			exps[nexp++] = *m;
			n_boot++;
		} else {				/* format */
			struct model f1;

			if (cut)
				s->budget = (long)rnd(2 * lines +
						      8 * (uint64_t)m->n * 4);
			make_uuid(uuid);
			k_format(s, uuid);
			m_format(m, uuid, s->bytes);
			f1 = *m;
			f1.gen--;
			exps[nexp++] = f1;
			exps[nexp++] = *m;
			n_fmt++;
		}
		s->budget = -1;

		if (s->dropped) {
			/* The machine died: what does the next boot find? */
			n_cut++;
			decode(s->mem, s->bytes, s->scratch, L_a, NULL);
			for (i = 0; i < nexp; i++) {
				lstate_of_model(&exps[i], E);
				if (lstate_eq(L_a, E))
					break;
			}
			if (i == nexp) {
				lstate_of_model(&exps[0], E);
				failf("op %ld (kind %d): cut after %ld stores: neither old nor new state (vs old: %s)",
				      op, kind, (long)s->nstores - before_stores,
				      lstate_diff(L_a, E));
				break;
			}
			if (i == 0)
				n_cut_old++;
			else if (i == nexp - 1)
				n_cut_new++;
			else
				n_cut_mid++;
			*m = exps[i];
			do_attach(s, m);
		} else if (cut) {
			n_noop++;
		}

		/* After every operation: the current copy is valid and is cur. */
		if (fb_copy_validate(&s->r, s->slot, s->scratch, why))
			failf("op %ld: current copy invalid: %s", op, why);
		CHECK(meta_same(meta_at(s->mem, s->bytes, s->slot), s->cur),
		      "op %ld: current copy != cur", op);
		CHECK(fb_obj_count(s->cur) == (uint32_t)m->n &&
		      fb_used_pages(s->cur) == m_used(m),
		      "op %ld: count/used pages differ from the model", op);
		if (s->dropped || op % 64 == 0)
			verify(s, m, "random ops", 0);
	}
	verify(s, m, "end of random ops", 0);
	note("random ops: %ld (put %ld, of which ENOSPC %ld; rm %ld; reboot %ld; format %ld)",
	     op, n_put, n_nospc, n_rm, n_boot, n_fmt);
	note("random cuts: %ld (found old state %ld, intermediate %ld, new %ld); %ld cut points fell after the end",
	     n_cut, n_cut_old, n_cut_mid, n_cut_new, n_noop);
	free(E);
	free(exps);
	free(m);
	sim_free(s);
}

/* ------------------------------------------------------------------ */
/* 7. Hostile metadata                                                  */

static void test_hostile(void)
{
	uint64_t bytes = FB_MIN_REGION;
	struct sim *s = sim_new(bytes);
	struct fb_meta_v1 *good[2], *mm;
	struct fb_attach_result res;
	char why[FB_WHY_MAX];
	unsigned int c;
	int mode, i, tried = 0;

	for (i = 0; i < 2; i++) {
		good[i] = xcalloc(1, sizeof(*good[i]));
		if (hostile_base(good[i], bytes, (uint32_t)i, 5 + (uint64_t)i)) {
			failf("hostile_base failed");
			return;
		}
		CHECK(!fb_meta_validate_v1(good[i], bytes, s->scratch, why),
		      "hostile base copy %d invalid: %s", i, why);
	}
	for (i = 0; i < 2; i++)
		memcpy(s->mem + FB_META_OFFSET(i), good[i], FB_META_BYTES);
	fb_attach(&s->r, s->scratch, &res);
	CHECK(res.state == FB_STATE_READY && res.slot == 1 && !res.fallback,
	      "hostile base: state %d slot %d fallback %d (%s)", res.state,
	      res.slot, res.fallback, res.why);

	for (c = 0; c < HOSTILE_NCASES; c++) {
		const struct hostile_case *hc = &hostile_cases[c];

		/* mode 0/1: only that copy is bad; mode 2: both. */
		for (mode = 0; mode < 3; mode++) {
			for (i = 0; i < 2; i++) {
				mm = (struct fb_meta_v1 *)(s->mem + FB_META_OFFSET(i));
				memcpy(mm, good[i], FB_META_BYTES);
				if (mode != 2 && mode != i)
					continue;
				hc->mutate(mm);
				if (!(hc->flags & H_NO_CRC_FIX))
					hostile_fix_crc(mm);
				why[0] = 0;
				if (hc->flags & H_VALIDATE_OK)
					CHECK(!fb_meta_validate_v1(mm, bytes, s->scratch, why),
					      "%s: validate refused: %s", hc->name, why);
				else
					CHECK(fb_meta_validate_v1(mm, bytes, s->scratch, why) == -EINVAL && why[0],
					      "%s: fb_meta_validate accepted it", hc->name);
			}
			fb_attach(&s->r, s->scratch, &res);
			tried++;
			if (mode == 2) {
				int want = hc->flags & H_UNFORMATTED ?
					   FB_STATE_UNFORMATTED : FB_STATE_DAMAGED;

				CHECK(res.state == want && res.slot == -1,
				      "%s (both copies): state %d slot %d, want %d",
				      hc->name, res.state, res.slot, want);
				CHECK(want != FB_STATE_DAMAGED || res.why[0],
				      "%s: damaged without a reason", hc->name);
			} else {
				CHECK(res.state == FB_STATE_READY &&
				      res.slot == !mode && res.fallback,
				      "%s (copy %d): state %d slot %d fallback %d (%s)",
				      hc->name, mode, res.state, res.slot,
				      res.fallback, res.why);
			}
		}
	}

	/* Two valid copies claiming one generation. */
	memcpy(s->mem, good[0], FB_META_BYTES);
	mm = (struct fb_meta_v1 *)(s->mem + FB_META_OFFSET(1));
	memcpy(mm, good[1], FB_META_BYTES);
	mm->sb.generation = good[0]->sb.generation;
	hostile_fix_crc(mm);
	fb_attach(&s->r, s->scratch, &res);
	tried++;
	CHECK(res.state == FB_STATE_DAMAGED, "same generation: state %d",
	      res.state);

	/* Unknown ro_compat feature: ready, read-only. */
	memcpy(s->mem, good[0], FB_META_BYTES);
	memcpy(mm, good[1], FB_META_BYTES);
	mm->sb.ro_compat = 0x4;
	hostile_fix_crc(mm);
	fb_attach(&s->r, s->scratch, &res);
	tried++;
	CHECK(res.state == FB_STATE_READY && res.readonly && res.slot == 1,
	      "ro_compat: state %d readonly %d slot %d", res.state,
	      res.readonly, res.slot);

	/* Unknown compat feature: ignored. */
	memcpy(mm, good[1], FB_META_BYTES);
	mm->sb.compat = 0x8;
	hostile_fix_crc(mm);
	fb_attach(&s->r, s->scratch, &res);
	tried++;
	CHECK(res.state == FB_STATE_READY && !res.readonly && res.slot == 1 &&
	      !res.fallback, "compat: state %d", res.state);

	/* A region too small, and one of another size than formatted. */
	memcpy(mm, good[1], FB_META_BYTES);
	s->r.bytes = FB_MIN_REGION - PAGE;
	fb_attach(&s->r, s->scratch, &res);
	CHECK(res.state == FB_STATE_DAMAGED, "small region: state %d",
	      res.state);
	s->r.bytes = FB_MIN_REGION + PAGE;
	fb_attach(&s->r, s->scratch, &res);
	CHECK(res.state == FB_STATE_DAMAGED, "resized region: state %d",
	      res.state);
	s->r.bytes = bytes;
	tried += 2;

	note("hostile metadata: %u table cases x 3 placements + 5 specials = %d images",
	     (unsigned int)HOSTILE_NCASES, tried);
	free(good[0]);
	free(good[1]);
	sim_free(s);
}

/* ------------------------------------------------------------------ */
/* 8. Stores without big tables (written by modules before them)        */

static void test_v1(long nops)
{
	g_v1 = 1;
	test_roundtrip();
	test_cuts();
	test_random(nops);
	g_v1 = 0;
}

/* ------------------------------------------------------------------ */
/* 9. Upgrade to big tables                                              */

/* The module's upgrade: two commits, like format. */
static int k_upgrade(struct sim *s)
{
	int ret;

	fb_meta_sync(s->work, s->cur);
	ret = fb_meta_upgrade(s->work);
	if (ret)
		return ret;
	fb_commit(&s->r, &s->slot, s->work);
	meta_swap(&s->cur, &s->work);
	fb_meta_sync(s->work, s->cur);
	fb_commit(&s->r, &s->slot, s->work);
	meta_swap(&s->cur, &s->work);
	return 0;
}

static void test_upgrade(void)
{
	struct sim *s = sim_new(16 * MiB);
	struct model *m = xcalloc(1, sizeof(*m));
	struct model mid;
	char name[FB_NAME_MAX];
	uint8_t uuid[16];
	unsigned long before;
	int i, ret;

	cut_before = aligned_alloc(PAGE, s->bytes);
	cut_img = aligned_alloc(PAGE, s->bytes);
	cut_exp = xcalloc(4, sizeof(*cut_exp));
	for (i = 0; i < 4; i++)
		cut_L[i] = xcalloc(1, sizeof(*cut_L[i]));

	/* A store of an older module, with objects, holes and a guest. */
	g_v1 = 1;
	make_uuid(uuid);
	k_format(s, uuid);
	m_format(m, uuid, s->bytes);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "old%02d", i);
		do_put(s, m, name, i % 5 ? FB_OBJ_BLOB : FB_OBJ_BOOT,
		       (uint64_t)i * 1000, 1);
	}
	for (i = 0; i < 40; i += 3) {
		snprintf(name, sizeof(name), "old%02d", i);
		do_rm(s, m, name);
	}
	CHECK(do_put(s, m, "vm", FB_OBJ_GUEST, 2 * MiB, 512) == 0, "guest");
	do_attach(s, m);
	note("v1 store: %u extents, %llu pages used of %u, model %llu of %llu",
	     s->cur->sb.nr_extents, (unsigned long long)fb_used_pages(s->cur),
	     s->cur->sb.data_pages, (unsigned long long)m_used(m),
	     (unsigned long long)m->data_pages);
	verify(s, m, "store without big tables", 1);
	CHECK(!fb_big(s->cur), "formatted with big tables");

	/* Objects at the very end: refused, nothing written. */
	{
		uint64_t fill = (m->data_pages - m_used(m)) * PAGE;

		CHECK(do_put(s, m, "tail", FB_OBJ_BLOB, fill, 1) == 0,
		      "fill the data area");
		before = s->nstores;
		ret = k_upgrade(s);
		CHECK(ret == -ENOSPC, "upgrade with the end in use: %d", ret);
		CHECK(s->nstores == before, "refused upgrade wrote to the region");
		verify(s, m, "refused upgrade", 0);
		do_rm(s, m, "tail");
	}

	/* Every cut point of the upgrade: old, one copy upgraded, both. */
	cut_begin(s, m);
	ret = k_upgrade(s);
	CHECK(ret == 0, "upgrade: %d", ret);
	g_v1 = 0;
	mid = *m;
	mid.gen++;
	mid.data_pages = sim_pages(s->bytes);
	mid.max_objects = sim_maxobj(s->bytes);
	cut_mark(&mid);
	mid.gen++;
	*m = mid;
	cut_mark(m);
	cut_finish(s, "upgrade to big tables");
	CHECK(fb_big(s->cur) && s->cur->sb.max_objects == 1024,
	      "upgraded store: big %d, %u objects", fb_big(s->cur),
	      s->cur->sb.max_objects);
	verify(s, m, "upgraded", 0);
	ret = k_upgrade(s);
	CHECK(ret == -EALREADY, "second upgrade: %d", ret);
	do_attach(s, m);
	verify(s, m, "upgraded, rebooted", 0);

	/* The upgraded store takes more objects than the old one could. */
	for (i = 0; i < 500 && !t_fail; i++) {
		snprintf(name, sizeof(name), "new%03d", i);
		CHECK(do_put(s, m, name, FB_OBJ_BLOB, 1, 1) == 0, "put %s", name);
	}
	do_attach(s, m);
	verify(s, m, "upgraded store with 500 more objects", 0);
	CHECK(m->n > FB_V1_MAX_OBJECTS, "only %d objects", m->n);
	note("upgrade: %d objects kept, then %d in all", 40 - 14 + 1, m->n);

	free(cut_before);
	free(cut_img);
	free(cut_exp);
	for (i = 0; i < 4; i++)
		free(cut_L[i]);
	free(m);
	sim_free(s);
}

/* ------------------------------------------------------------------ */
/* 10. Limits: object and extent tables reached exactly, then one more  */

static void test_limits(void)
{
	struct sim *s = sim_new(32 * MiB);
	struct model *m = xcalloc(1, sizeof(*m));
	char name[FB_NAME_MAX];
	uint8_t uuid[16];
	unsigned long before;
	uint32_t i, holes, cycle = 0, maxe;
	int ret;

	make_uuid(uuid);
	k_format(s, uuid);
	m_format(m, uuid, s->bytes);
	maxe = s->cur->sb.max_extents;
	CHECK(s->cur->sb.max_objects == 1024 && maxe == 4096,
	      "32 MiB: %u objects, %u extents", s->cur->sb.max_objects, maxe);
	/*
	 * Fragment: a1 b1 ... a8 b8 at the end, the a's removed, one 8-page
	 * object F over their holes, the b's removed: 16 more extents and
	 * one more object a round.
	 */
	while (s->cur->sb.nr_extents + 17 < maxe && !t_fail) {
		for (i = 0; i < 16; i++) {
			snprintf(name, sizeof(name), "%c%u", i & 1 ? 'b' : 'a', i / 2);
			do_put(s, m, name, FB_OBJ_BLOB, PAGE, 1);
		}
		for (i = 0; i < 8; i++) {
			snprintf(name, sizeof(name), "a%u", i);
			do_rm(s, m, name);
		}
		snprintf(name, sizeof(name), "F%u", cycle++);
		do_put(s, m, name, FB_OBJ_BLOB, 8 * PAGE, 1);
		for (i = 0; i < 8; i++) {
			snprintf(name, sizeof(name), "b%u", i);
			do_rm(s, m, name);
		}
	}
	/* One object over all the holes, then the tail one page at a time. */
	for (i = 0, holes = 0; i + 1 < s->cur->sb.nr_extents; i++)
		holes += s->cur->ext[i].owner == FB_EXT_FREE;
	CHECK(do_put(s, m, "holes", FB_OBJ_BLOB, (uint64_t)holes * PAGE, 1) == 0,
	      "fill %u holes", holes);
	for (i = 0; s->cur->sb.nr_extents < maxe && !t_fail; i++) {
		snprintf(name, sizeof(name), "t%u", i);
		CHECK(do_put(s, m, name, FB_OBJ_BLOB, PAGE, 1) == 0, "%s", name);
	}
	verify(s, m, "extent table full", 0);
	CHECK(s->cur->sb.nr_extents == maxe, "%u extents", s->cur->sb.nr_extents);
	before = s->nstores;
	ret = k_put(s, "over", FB_OBJ_BLOB, PAGE, 1, 1);
	CHECK(ret == -ENOSPC, "extent %u accepted: %d", maxe + 1, ret);
	CHECK(s->nstores == before, "refused put wrote to the region");
	verify(s, m, "extent table full, one more refused", 0);
	note("extent table: %u of %u used by %d objects; one more: ENOSPC, nothing written",
	     s->cur->sb.nr_extents, maxe, m->n);
	/* Removing the last object gives room again. */
	snprintf(name, sizeof(name), "t%u", i - 1);
	do_rm(s, m, name);
	CHECK(do_put(s, m, "over", FB_OBJ_BLOB, PAGE, 1) == 0, "put after rm");
	do_attach(s, m);
	verify(s, m, "extent table full, rebooted", 0);
	free(m);
	sim_free(s);
}

/* ------------------------------------------------------------------ */
/* 11. A full-size table: 4,096 objects, cut points and bit flips       */

static void test_scale(long nflips)
{
	struct sim *s = sim_new(256 * MiB);
	struct model *m = xcalloc(1, sizeof(*m));
	struct lstate *pre[2];
	char name[FB_NAME_MAX];
	uint8_t uuid[16];
	unsigned long before;
	uint64_t meta_bits, bit;
	long n0;
	int i, ret, slot;

	cut_before = aligned_alloc(PAGE, s->bytes);
	cut_img = aligned_alloc(PAGE, s->bytes);
	cut_exp = xcalloc(4, sizeof(*cut_exp));
	for (i = 0; i < 4; i++)
		cut_L[i] = xcalloc(1, sizeof(*cut_L[i]));
	make_uuid(uuid);
	k_format(s, uuid);
	m_format(m, uuid, s->bytes);
	CHECK(m->max_objects == 4096, "256 MiB: %u objects", m->max_objects);
	for (i = 0; i < 4095 && !t_fail; i++) {
		snprintf(name, sizeof(name), "o%04d", i);
		ret = do_put(s, m, name, i % 7 ? FB_OBJ_BLOB : FB_OBJ_BOOT,
			     (uint64_t)(i % 5) * 1500, i % 11 ? 1 : 4);
		CHECK(ret == 0, "put %s: %d", name, ret);
	}
	for (i = 100; i < 4095; i += 500) {
		snprintf(name, sizeof(name), "o%04d", i);
		do_rm(s, m, name);
	}
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "vm%d", i);
		do_put(s, m, name, FB_OBJ_GUEST, 3 * PAGE, 512);
	}
	verify(s, m, "4,095 objects", 1);
	g_hash_cache = 1;
	note("scale: %d objects, %u extents", m->n, s->cur->sb.nr_extents);

	cut_put(s, m, "put the 4,096th object", "last", 5000, 1);
	CHECK(m->n == 4096, "%d objects", m->n);
	before = s->nstores;
	ret = k_put(s, "one-more", FB_OBJ_BLOB, 1, 1, 1);
	CHECK(ret == -EMFILE, "object 4,097 accepted: %d", ret);
	CHECK(s->nstores == before, "refused put wrote to the region");
	verify(s, m, "4,096 objects, one more refused", 0);
	cut_rm(s, m, "rm in a full table", "o2000");
	cut_put(s, m, "put replace in the table", "o3000", 9000, 1);
	cut_attach(s, m, "attach with 4,096 objects");
	cut_put(s, m, "put into the last slot", "again", 3 * PAGE, 1);

	/* Bit flips over both roots and both table copies. */
	pre[0] = xcalloc(1, sizeof(*pre[0]));
	pre[1] = xcalloc(1, sizeof(*pre[1]));
	do_put(s, m, "flip", FB_OBJ_BLOB, 77, 1);
	verify(s, m, "flip base", 0);
	slot = s->slot;
	for (i = 0; i < 2; i++) {
		char why[FB_WHY_MAX] = "";

		CHECK(!fb_copy_validate(&s->r, i, s->scratch, why),
		      "copy %d: %s", i, why);
		lstate_of_meta(s->mem, meta_at(s->mem, s->bytes, i), pre[i]);
	}
	flips_total = flips_rollback = flips_damaged = 0;
	for (i = 0; i < 2; i++)
		for (bit = 0; bit < 64 * 8; bit++)
			flip_one(s, (uint64_t)i * FB_META_BYTES * 8 + bit, pre, slot);
	n0 = flips_total;
	meta_bits = 8ull * s->cur->sb.table_bytes;
	for (i = 0; i < nflips; i++) {
		int copy = (int)rnd(2);

		if (rnd(4)) {	/* a table block */
			bit = rnd(meta_bits);
			flip_table(s, copy, bit, pre, slot);
		} else {
			flip_one(s, (uint64_t)copy * FB_META_BYTES * 8 +
				 rnd(FB_META_BYTES * 8), pre, slot);
		}
	}
	verify(s, m, "after the flips", 0);
	note("scale bit flips: %ld superblock + %ld random (3/4 in the tables): %ld damaged, %ld fell back, %ld kept the current state",
	     n0, flips_total - n0, flips_damaged, flips_rollback,
	     flips_total - flips_damaged - flips_rollback);
	CHECK(flips_damaged == 0, "%ld flips left the store damaged",
	      flips_damaged);
	g_hash_cache = 0;
	memset(hcache, 0, sizeof(hcache));
	free(pre[0]);
	free(pre[1]);
	free(cut_before);
	free(cut_img);
	free(cut_exp);
	for (i = 0; i < 4; i++)
		free(cut_L[i]);
	free(m);
	sim_free(s);
}

/* ------------------------------------------------------------------ */
/* 12. A region of 16 TiB and more (a sparse file)                      */

static void test_huge(void)
{
	static const uint64_t sizes[] = {
		16ull << 40,			/* 2^32 data pages and more */
		(16ull << 40) + (64ull << 20),
		32ull << 40,
	};
	/* tmpfs: ext4 files stop short of 16 TiB. */
	char path[] = "/dev/shm/fb-unit-huge-XXXXXX";
	unsigned int k;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint64_t bytes = sizes[k], dp;
		struct fb_region r = { .bytes = bytes, .write = hostile_write };
		struct fb_attach_result res;
		struct fb_meta *w = meta_new(bytes), *c;
		uint64_t *scratch = xcalloc(FB_SCRATCH_U64, sizeof(uint64_t));
		char nm[FB_NAME_MAX], why[FB_WHY_MAX] = "";
		const struct fb_extent *e;
		uint8_t uuid[16];
		uint32_t cur = 0;
		int fd, slot = -1, idx, ret;

		fd = mkstemp(path);
		if (fd < 0 || ftruncate(fd, (off_t)bytes)) {
			failf("sparse file of %llu bytes: %s",
			      (unsigned long long)bytes, strerror(errno));
			return;
		}
		unlink(path);
		strcpy(path, "/dev/shm/fb-unit-huge-XXXXXX");
		r.base = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
			      fd, 0);
		close(fd);
		if (r.base == MAP_FAILED) {
			failf("mmap of %llu bytes: %s",
			      (unsigned long long)bytes, strerror(errno));
			return;
		}
		make_uuid(uuid);
		CHECK(fb_meta_init(w, bytes, uuid, 1) == 0, "init");
		dp = fb_data_pages(w);
		CHECK(dp == (bytes - FB_DATA_OFFSET - 2ull * w->sb.table_bytes) >> 12 &&
		      w->sb.max_objects == FB_OBJECTS_LIMIT,
		      "%llu data pages, %u objects", (unsigned long long)dp,
		      w->sb.max_objects);
		CHECK(bytes == 16ull << 40 || dp > 0xffffffffull,
		      "%llu data pages", (unsigned long long)dp);
		fb_boot_record(w, FB_REASON_FIRST, 1, "rel", NULL);
		/* An object all but 16 GiB, then a 2 MiB aligned 8 GiB guest. */
		pad_name(nm, "low");
		ret = fb_obj_alloc(w, nm, FB_OBJ_BLOB, (dp - (1ull << 22)) << 12,
				   1, &idx);
		CHECK(ret == 0, "alloc of all but 16 GiB: %d", ret);
		pad_name(nm, "guest");
		ret = fb_obj_alloc(w, nm, FB_OBJ_GUEST, 8ull << 30, 512, &idx);
		CHECK(ret == 0, "8 GiB guest at the end: %d", ret);
		cur = 0;
		e = fb_obj_next_extent(w, idx, &cur);
		CHECK(e && e->start % 512 == 0 && e->pages == 1ull << 21 &&
		      (dp < (1ull << 32) + (1ull << 22) || e->start > 0xffffffffull),
		      "guest extent at page %#llx",
		      e ? (unsigned long long)e->start : 0ull);
		c = meta_new(bytes);
		fb_meta_copy(c, w);
		pad_name(nm, "too-big");
		ret = fb_obj_alloc(w, nm, FB_OBJ_BLOB, dp << 12, 1, &idx);
		CHECK(ret == -ENOSPC, "alloc of the whole area after others: %d",
		      ret);
		/* Discard the refused alloc (c is the state before it). */
		fb_meta_sync(w, c);
		fb_commit(&r, &slot, w);
		fb_meta_sync(c, w);
		fb_commit(&r, &slot, c);
		fb_attach(&r, scratch, &res);
		CHECK(res.state == FB_STATE_READY && res.slot == slot &&
		      res.other_ok, "%llu TiB: state %d slot %d (%s)",
		      (unsigned long long)(bytes >> 40), res.state, res.slot,
		      res.why);
		CHECK(!fb_copy_validate(&r, !slot, scratch, why), "other copy: %s",
		      why);
		note("%llu TiB region (+%llu MiB): %llu data pages, %u objects, tables %u KiB at %#llx",
		     (unsigned long long)(bytes >> 40),
		     (unsigned long long)((bytes & ((1ull << 40) - 1)) >> 20),
		     (unsigned long long)dp, w->sb.max_objects,
		     w->sb.table_bytes >> 10,
		     (unsigned long long)w->sb.table_offset);
		munmap(r.base, bytes);
		meta_free(w);
		meta_free(c);
		free(scratch);
	}
}

/* ------------------------------------------------------------------ */
/* 13. The CRC helpers big tables use                                   */

static uint32_t crc_bits(uint32_t crc, const uint8_t *p, size_t len)
{
	int k;

	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1));
	}
	return crc;
}

static void test_crc_big(void)
{
	static uint8_t buf[70000];
	uint64_t len;
	int i;

	for (i = 0; i < (int)sizeof(buf); i++)
		buf[i] = (uint8_t)rnd64();
	/* The sliced CRC against a bitwise one, every alignment and tail. */
	for (i = 0; i < 200; i++) {
		size_t off = rnd(64), n = rnd(5000);
		uint32_t seed = (uint32_t)rnd64();

		CHECK(fb_crc32c(seed, buf + off, n) == crc_bits(seed, buf + off, n),
		      "sliced CRC differs at offset %zu length %zu", off, n);
	}
	memset(buf, 0, sizeof(buf));
	for (len = 0; len < sizeof(buf); len = len * 3 + 1) {
		uint32_t seed = (uint32_t)rnd64();

		CHECK(fb_crc32c_zeros(seed, len) == fb_crc32c(seed, buf, len),
		      "zero extension of %llu bytes", (unsigned long long)len);
	}
}

/* ------------------------------------------------------------------ */

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

int main(void)
{
	static const struct {
		const char *name;
		int id;
	} tests[] = {
		{ "crc32c known answers", 1 },
		{ "fb_name_valid", 2 },
		{ "round trip: put, rm, replace, ENOSPC, alignment", 3 },
		{ "interrupted commits: every cut point", 4 },
		{ "bit flips in the metadata copies", 5 },
		{ "random operations with random cuts", 6 },
		{ "hostile metadata", 7 },
		{ "stores without big tables: round trip, cut points, random ops", 8 },
		{ "upgrade to big tables: every cut point, end in use refused", 9 },
		{ "limits: extent table reached exactly, then one more", 10 },
		{ "4,096 objects: limit, cut points and bit flips", 11 },
		{ "regions of 16 TiB and more (sparse files)", 12 },
		{ "sliced CRC32C and zero extension", 13 },
	};
	int ntests = (int)(sizeof(tests) / sizeof(tests[0]));
	long seed = env_long("FB_UNIT_SEED", 1);
	long nops = env_long("FB_UNIT_OPS", 10000);
	long nflips = env_long("FB_UNIT_FLIPS", 2000);
	long only = env_long("FB_UNIT_ONLY", 0);

	cut_stride = env_long("FB_UNIT_CUT_STRIDE", 1);
	if (cut_stride < 1)
		cut_stride = 1;
	int i, passed = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	L_a = xcalloc(1, sizeof(*L_a));
	L_b = xcalloc(1, sizeof(*L_b));
	printf("KTAP version 1\n1..%d\n", ntests);
	note("seed %ld (FB_UNIT_SEED), %ld random ops (FB_UNIT_OPS), %ld random flips (FB_UNIT_FLIPS)",
	     seed, nops, nflips);
	for (i = 0; i < ntests; i++) {
		clock_t t0 = clock();

		if (only && only != tests[i].id) {
			printf("ok %d - %s # SKIP FB_UNIT_ONLY=%ld\n", i + 1,
			       tests[i].name, only);
			passed++;
			continue;
		}
		rng = (uint64_t)seed * 0x100000001b3ull + (uint64_t)i;
		t_fail = 0;
		t_diag = 0;
		switch (tests[i].id) {
		case 1: test_crc(); break;
		case 2: test_names(); break;
		case 3: test_roundtrip(); break;
		case 4: test_cuts(); break;
		case 5: test_flips(nflips); break;
		case 6: test_random(nops); break;
		case 7: test_hostile(); break;
		case 8: test_v1(nops / 4); break;
		case 9: test_upgrade(); break;
		case 10: test_limits(); break;
		case 11: test_scale(nflips / 4); break;
		case 12: test_huge(); break;
		case 13: test_crc_big(); break;
		}
		note("%.1f s", (double)(clock() - t0) / CLOCKS_PER_SEC);
		if (t_fail) {
			printf("not ok %d - %s\n", i + 1, tests[i].name);
			failed++;
		} else {
			printf("ok %d - %s\n", i + 1, tests[i].name);
			passed++;
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	free(L_a);
	free(L_b);
	return failed ? 1 : 0;
}
