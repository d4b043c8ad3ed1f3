// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fastboot persistent store: validation, allocation and commit of the
 * in-RAM format.  No kernel API is used here: see format.h.
 */
#include "format.h"

/* CRC32C (Castagnoli), reflected polynomial 0x82f63b78, nibble table. */
static const uint32_t crc32c_nibble[16] = {
	0x00000000, 0x105ec76f, 0x20bd8ede, 0x30e349b1,
	0x417b1dbc, 0x5125dad3, 0x61c69362, 0x7198540d,
	0x82f63b78, 0x92a8fc17, 0xa24bb5a6, 0xb21572c9,
	0xc38d26c4, 0xd3d3e1ab, 0xe330a81a, 0xf36e6f75,
};

/* Raw CRC update: no pre- or post-inversion. */
uint32_t fb_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len--) {
		crc ^= *p++;
		crc = (crc >> 4) ^ crc32c_nibble[crc & 15];
		crc = (crc >> 4) ^ crc32c_nibble[crc & 15];
	}
	return crc;
}

/* CRC32C of [buf, buf + len) with the 4 bytes at crc_off read as zero. */
static uint32_t crc_skip(const void *buf, size_t len, size_t crc_off)
{
	static const uint8_t zero[4];
	const uint8_t *p = buf;
	uint32_t c = 0xffffffffu;

	c = fb_crc32c(c, p, crc_off);
	c = fb_crc32c(c, zero, 4);
	c = fb_crc32c(c, p + crc_off + 4, len - crc_off - 4);
	return ~c;
}

static int fail(char *why, const char *msg)
{
	if (why) {
		size_t n = strlen(msg);

		if (n >= FB_WHY_MAX)
			n = FB_WHY_MAX - 1;
		memcpy(why, msg, n);
		why[n] = 0;
	}
	return -EINVAL;
}

static int all_zero(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len--)
		if (*p++)
			return 0;
	return 1;
}

/* A NUL-terminated string inside a fixed buffer, NUL-padded to its end. */
static int padded_string(const char *buf, size_t size, size_t *len)
{
	size_t n = 0;

	while (n < size && buf[n])
		n++;
	if (n == size)
		return 0;
	if (len)
		*len = n;
	return all_zero(buf + n, size - n);
}

/**
 * fb_name_valid() - check an object name buffer of FB_NAME_MAX bytes.
 * Returns 0 when the name is 1 to 63 printable bytes without '/', not "."
 * or "..", NUL-terminated and NUL-padded; -EINVAL otherwise.
 */
int fb_name_valid(const char *name, size_t size)
{
	size_t i, n;

	if (size != FB_NAME_MAX || !padded_string(name, size, &n) || n == 0)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (name[i] < 0x20 || name[i] > 0x7e || name[i] == '/')
			return -EINVAL;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	return 0;
}

/* Multiply a GF(2) 32x32 matrix by a vector. */
static uint32_t gf2_times(const uint32_t *mat, uint32_t vec)
{
	uint32_t sum = 0;

	while (vec) {
		if (vec & 1)
			sum ^= *mat;
		vec >>= 1;
		mat++;
	}
	return sum;
}

static void gf2_square(uint32_t *sq, const uint32_t *mat)
{
	int n;

	for (n = 0; n < 32; n++)
		sq[n] = gf2_times(mat, mat[n]);
}

/**
 * fb_crc32c_zeros() - the raw CRC register after @len zero bytes, by
 * squaring the operator of one zero bit (as zlib's crc32_combine()).
 */
uint32_t fb_crc32c_zeros(uint32_t crc, uint64_t len)
{
	uint32_t even[32], odd[32], row = 1;
	int n;

	if (!len)
		return crc;
	odd[0] = 0x82f63b78u;		/* one zero bit */
	for (n = 1; n < 32; n++) {
		odd[n] = row;
		row <<= 1;
	}
	gf2_square(even, odd);		/* two zero bits */
	gf2_square(odd, even);		/* four */
	for (;;) {
		gf2_square(even, odd);	/* one zero byte, then 4, 16, ... */
		if (len & 1)
			crc = gf2_times(even, crc);
		len >>= 1;
		if (!len)
			break;
		gf2_square(odd, even);
		if (len & 1)
			crc = gf2_times(odd, crc);
		len >>= 1;
		if (!len)
			break;
	}
	return crc;
}

/**
 * fb_geom_for() - the big-table geometry of a region of @region_bytes.
 */
int fb_geom_for(uint64_t region_bytes, struct fb_geom *g)
{
	uint64_t mo = (region_bytes >> 18) & ~63ull, t;

	if (region_bytes < FB_MIN_REGION || (region_bytes & (FB_PAGE_SIZE - 1)))
		return -EINVAL;
	if (mo < FB_MIN_OBJECTS)
		mo = FB_MIN_OBJECTS;
	if (mo > FB_OBJECTS_LIMIT)
		mo = FB_OBJECTS_LIMIT;
	t = mo * sizeof(struct fb_object) +
	    mo * FB_EXTENTS_PER_OBJECT * sizeof(struct fb_extent);
	if (region_bytes - FB_DATA_OFFSET <= 2 * t)
		return -EINVAL;
	g->max_objects = (uint32_t)mo;
	g->max_extents = (uint32_t)(mo * FB_EXTENTS_PER_OBJECT);
	g->table_bytes = (uint32_t)t;
	g->table_blocks = (uint32_t)(t / FB_TABLE_BLOCK);
	g->table_offset = region_bytes - 2 * t;
	g->data_pages = (g->table_offset - FB_DATA_OFFSET) >> FB_PAGE_SHIFT;
	return 0;
}

#define V1_BLOCKS ((FB_V1_MAX_OBJECTS * sizeof(struct fb_object) + \
		    FB_V1_MAX_EXTENTS * sizeof(struct fb_extent)) / FB_TABLE_BLOCK)

uint32_t fb_meta_blocks_for(uint64_t region_bytes)
{
	struct fb_geom g;

	if (fb_geom_for(region_bytes, &g) || g.table_blocks < V1_BLOCKS)
		return V1_BLOCKS;
	return g.table_blocks;
}

/* A copy being validated, either layout. */
struct view {
	const struct fb_super *sb;
	const struct fb_object *obj;
	const struct fb_extent *ext;		/* big tables */
	const struct fb_extent_v1 *ext1;	/* without */
	uint64_t data_pages;
};

static void view_ext(const struct view *v, uint32_t i, struct fb_extent *e)
{
	if (v->ext) {
		*e = v->ext[i];
		return;
	}
	e->start = v->ext1[i].start;
	e->pages = v->ext1[i].pages;
	e->owner = v->ext1[i].owner;
	e->reserved = 0;
	e->offset = v->ext1[i].offset;
}

static int validate_super(const struct fb_super *sb, uint64_t region_bytes,
			  char *why)
{
	unsigned int i;

	if (sb->magic != FB_MAGIC)
		return fail(why, "bad magic");
	if (sb->version != FB_VERSION)
		return fail(why, "unsupported format version");
	if (sb->super_bytes != sizeof(struct fb_super) ||
	    sb->meta_bytes != FB_META_BYTES)
		return fail(why, "bad metadata size");
	if (sb->incompat & ~FB_INCOMPAT_SUPP)
		return fail(why, "unsupported incompat features");
	if (sb->slot > 1)
		return fail(why, "bad slot index");
	if (sb->generation == 0 || sb->generation >= (1ull << 62))
		return fail(why, "generation out of range");
	if (region_bytes < FB_MIN_REGION || sb->region_bytes != region_bytes)
		return fail(why, "store was formatted for a region of another size");
	if (sb->incompat & FB_INCOMPAT_TABLES) {
		struct fb_geom g;

		if (fb_geom_for(region_bytes, &g))
			return fail(why, "region too small for big tables");
		if (sb->data_offset != FB_DATA_OFFSET || sb->data_pages ||
		    sb->data_pages64 != g.data_pages ||
		    sb->table_offset != g.table_offset)
			return fail(why, "bad data area geometry");
		if (sb->max_objects != g.max_objects ||
		    sb->max_extents != g.max_extents ||
		    sb->table_bytes != g.table_bytes ||
		    sb->table_blocks != g.table_blocks)
			return fail(why, "bad table sizes");
	} else {
		if (sb->data_offset != FB_DATA_OFFSET ||
		    sb->data_pages != fb_data_pages_for(region_bytes) ||
		    sb->data_pages64 || sb->table_offset)
			return fail(why, "bad data area geometry");
		if (sb->max_objects != FB_V1_MAX_OBJECTS ||
		    sb->max_extents != FB_V1_MAX_EXTENTS ||
		    sb->table_bytes || sb->table_blocks)
			return fail(why, "bad table sizes");
	}
	if (sb->nr_extents == 0 || sb->nr_extents > sb->max_extents)
		return fail(why, "extent count out of range");
	if (sb->boot_count == 0 || sb->boot_count >= (1ull << 62))
		return fail(why, "boot count out of range");
	if (sb->boot_reason == FB_REASON_NONE ||
	    sb->boot_reason > FB_REASON_MAX)
		return fail(why, "bad boot reason");
	if (sb->history_head >= FB_BOOT_HISTORY)
		return fail(why, "bad boot history index");
	if (sb->reserved0 || !all_zero(sb->reserved1, sizeof(sb->reserved1)))
		return fail(why, "reserved superblock bytes are not zero");
	for (i = 0; i < FB_BOOT_HISTORY; i++) {
		const struct fb_boot_rec *b = &sb->history[i];

		if (b->reason > FB_REASON_MAX || b->reserved ||
		    b->boot > sb->boot_count ||
		    !padded_string(b->release, sizeof(b->release), NULL) ||
		    !padded_string(b->image, sizeof(b->image), NULL))
			return fail(why, "bad boot history record");
	}
	return 0;
}

static uint32_t name_hash(const char *name)
{
	uint32_t h = 2166136261u;

	while (*name)
		h = (h ^ (uint8_t)*name++) * 16777619u;
	return h;
}

/*
 * Objects, in time linear in the table: names are checked for duplicates
 * through a hash table in the second half of scratch.
 */
static int validate_objects(const struct view *v, uint64_t *scratch,
			    char *why)
{
	uint32_t i, n = v->sb->max_objects, hsize = 1, *hash;

	while (hsize < 2 * n)
		hsize <<= 1;
	hash = (uint32_t *)(scratch + FB_OBJECTS_LIMIT);
	memset(hash, 0, hsize * sizeof(*hash));
	for (i = 0; i < n; i++) {
		const struct fb_object *o = &v->obj[i];
		uint32_t h;

		if (o->type == FB_OBJ_NONE) {
			if (!all_zero(o, sizeof(*o)))
				return fail(why, "free object slot is not zero");
			continue;
		}
		if (o->type > FB_OBJ_TYPE_MAX)
			return fail(why, "bad object type");
		if (o->flags & ~FB_OBJ_F_KNOWN)
			return fail(why, "unknown object flags");
		if (o->reserved)
			return fail(why, "reserved object field is not zero");
		if (fb_name_valid(o->name, sizeof(o->name)))
			return fail(why, "bad object name");
		if (o->id == 0 || o->id >= v->sb->next_object_id)
			return fail(why, "object id out of range");
		if (fb_pages(o->size) > v->data_pages ||
		    o->size > v->data_pages << FB_PAGE_SHIFT)
			return fail(why, "object larger than the data area");
		for (h = name_hash(o->name) & (hsize - 1); hash[h];
		     h = (h + 1) & (hsize - 1))
			if (!strcmp(v->obj[hash[h] - 1].name, o->name))
				return fail(why, "duplicate object name");
		hash[h] = i + 1;
	}
	return 0;
}

static int validate_extents(const struct view *v, uint64_t *next, char *why)
{
	uint32_t i, n = v->sb->nr_extents, nobj = v->sb->max_objects;
	uint64_t end = 0, dp = v->data_pages;
	int prev_free = 0;
	struct fb_extent e;

	memset(next, 0, nobj * sizeof(*next));
	for (i = 0; i < n; i++) {
		view_ext(v, i, &e);
		if (e.start != end || e.pages == 0 || e.start > dp ||
		    e.pages > dp - e.start || e.reserved)
			return fail(why, "extents do not tile the data area");
		end = e.start + e.pages;
		if (e.owner == FB_EXT_FREE) {
			if (e.offset)
				return fail(why, "free extent with an offset");
			if (prev_free)
				return fail(why, "adjacent free extents");
			prev_free = 1;
			continue;
		}
		prev_free = 0;
		if (e.owner >= nobj || v->obj[e.owner].type == FB_OBJ_NONE)
			return fail(why, "extent owned by no object");
		if (e.offset != next[e.owner] ||
		    e.pages > fb_pages(v->obj[e.owner].size) - e.offset)
			return fail(why, "object extents out of order");
		next[e.owner] += e.pages;
	}
	if (end != dp)
		return fail(why, "extents do not cover the data area");
	for (i = 0; i < nobj; i++)
		if (v->obj[i].type != FB_OBJ_NONE &&
		    next[i] != fb_pages(v->obj[i].size))
			return fail(why, "object extents do not cover its size");
	if (v->ext ? !all_zero(&v->ext[n], (v->sb->max_extents - n) *
			       sizeof(v->ext[0])) :
		     !all_zero(&v->ext1[n], (v->sb->max_extents - n) *
			       sizeof(v->ext1[0])))
		return fail(why, "unused metadata is not zero");
	return 0;
}

static int validate_view(const struct view *v, uint64_t *scratch, char *why)
{
	int ret = validate_objects(v, scratch, why);

	return ret ? ret : validate_extents(v, scratch, why);
}

/**
 * fb_meta_validate_v1() - check every field of an untrusted metadata copy
 * without big tables (which must not have FB_INCOMPAT_TABLES).
 * @scratch: FB_SCRATCH_U64 entries.
 * Returns 0 or -EINVAL with a reason in @why (FB_WHY_MAX bytes, may be NULL).
 */
int fb_meta_validate_v1(const struct fb_meta_v1 *m, uint64_t region_bytes,
			uint64_t *scratch, char *why)
{
	struct view v = { .sb = &m->sb, .obj = m->obj, .ext1 = m->ext };
	int ret;

	if (m->sb.magic != FB_MAGIC)
		return fail(why, "bad magic");
	if (crc_skip(m, sizeof(*m), offsetof(struct fb_super, crc)) !=
	    m->sb.crc)
		return fail(why, "metadata checksum mismatch");
	ret = validate_super(&m->sb, region_bytes, why);
	if (ret)
		return ret;
	if (m->sb.incompat & FB_INCOMPAT_TABLES)
		return fail(why, "big tables are not in the copy");
	if (!all_zero(m->pad, sizeof(m->pad)))
		return fail(why, "unused metadata is not zero");
	v.data_pages = m->sb.data_pages;
	return validate_view(&v, scratch, why);
}

static const struct fb_root *slot_root(const struct fb_region *r, int slot)
{
	return (const struct fb_root *)(r->base + FB_META_OFFSET(slot));
}

static const uint8_t *slot_table(const struct fb_region *r,
				 const struct fb_super *sb, int slot)
{
	return r->base + sb->table_offset + (uint64_t)slot * sb->table_bytes;
}

/**
 * fb_copy_validate() - check copy @slot of the region, either layout:
 * the root or the whole copy, the block CRCs, the tables and that the
 * copy lies in its own slot.
 */
int fb_copy_validate(const struct fb_region *r, int slot, uint64_t *scratch,
		     char *why)
{
	const struct fb_root *root = slot_root(r, slot);
	const struct fb_super *sb = &root->sb;
	struct view v = { .sb = sb };
	const uint8_t *tab;
	uint32_t b;
	int ret;

	if (!(sb->incompat & FB_INCOMPAT_TABLES) || sb->magic != FB_MAGIC) {
		ret = fb_meta_validate_v1((const struct fb_meta_v1 *)root,
					  r->bytes, scratch, why);
		goto slot;
	}
	if (crc_skip(root, sizeof(*root), offsetof(struct fb_super, crc)) !=
	    sb->crc)
		return fail(why, "metadata checksum mismatch");
	ret = validate_super(sb, r->bytes, why);
	if (ret)
		return ret;
	if (!all_zero(&root->bcrc[sb->table_blocks],
		      (FB_ROOT_CRCS - sb->table_blocks) * sizeof(uint32_t)))
		return fail(why, "unused root bytes are not zero");
	tab = slot_table(r, sb, slot);
	for (b = 0; b < sb->table_blocks; b++)
		if (~fb_crc32c(0xffffffffu, tab + (uint64_t)b * FB_TABLE_BLOCK,
			       FB_TABLE_BLOCK) != root->bcrc[b])
			return fail(why, "table block checksum mismatch");
	v.obj = (const struct fb_object *)tab;
	v.ext = (const struct fb_extent *)(tab + (uint64_t)sb->max_objects *
					   sizeof(struct fb_object));
	v.data_pages = sb->data_pages64;
	ret = validate_view(&v, scratch, why);
slot:
	if (!ret && sb->slot != (uint32_t)slot)
		ret = fail(why, "copy found in the wrong slot");
	return ret;
}

/**
 * fb_attach() - decide what the region holds.
 * Fills @res: unformatted (no magic in either copy), ready (the valid copy
 * with the highest generation is current), or damaged (a magic is present
 * but no copy passes its checks, or two valid copies disagree).
 */
int fb_attach(const struct fb_region *r, uint64_t *scratch,
	      struct fb_attach_result *res)
{
	char why[2][FB_WHY_MAX];
	int magic[2], ok[2], s;

	memset(res, 0, sizeof(*res));
	res->slot = -1;
	if (r->bytes < FB_MIN_REGION) {
		res->state = FB_STATE_DAMAGED;
		return fail(res->why, "region too small");
	}
	for (s = 0; s < 2; s++) {
		why[s][0] = 0;
		magic[s] = slot_root(r, s)->sb.magic == FB_MAGIC;
		ok[s] = magic[s] && !fb_copy_validate(r, s, scratch, why[s]);
	}
	if (!magic[0] && !magic[1]) {
		res->state = FB_STATE_UNFORMATTED;
		return 0;
	}
	if (!ok[0] && !ok[1]) {
		res->state = FB_STATE_DAMAGED;
		return fail(res->why, why[magic[0] ? 0 : 1]);
	}
	if (ok[0] && ok[1]) {
		uint64_t g0 = slot_root(r, 0)->sb.generation;
		uint64_t g1 = slot_root(r, 1)->sb.generation;

		if (g0 == g1) {
			res->state = FB_STATE_DAMAGED;
			return fail(res->why,
				    "both metadata copies claim one generation");
		}
		s = g1 > g0;
	} else {
		s = ok[1];
		res->fallback = 1;
		fail(res->why, why[!s][0] ? why[!s] : "other copy has no magic");
	}
	res->state = FB_STATE_READY;
	res->slot = s;
	res->other_ok = ok[!s];
	res->readonly = !!(slot_root(r, s)->sb.ro_compat & ~FB_RO_COMPAT_SUPP);
	return 0;
}

static uint32_t seal_crc(const struct fb_seal *s)
{
	return crc_skip(s, sizeof(*s), offsetof(struct fb_seal, crc));
}

/** fb_seal_valid() - returns the sealed reason, or 0 when not sealed. */
int fb_seal_valid(const struct fb_seal *s, const struct fb_meta *m)
{
	if (s->magic != FB_SEAL_MAGIC || s->crc != seal_crc(s) ||
	    memcmp(s->uuid, m->sb.uuid, sizeof(s->uuid)) ||
	    s->boot_count != m->sb.boot_count ||
	    (s->reason != FB_REASON_UPDATE && s->reason != FB_REASON_CRASH &&
	     s->reason != FB_SEAL_DETACH))
		return 0;
	return (int)s->reason;
}


/* Lay the tables out for these sizes; -EOVERFLOW if they do not fit. */
static int set_layout(struct fb_meta *m, uint32_t max_objects,
		      uint32_t max_extents)
{
	uint64_t ob = (uint64_t)max_objects * sizeof(struct fb_object);
	uint64_t bytes = ob + (uint64_t)max_extents * sizeof(struct fb_extent);

	if (bytes % FB_TABLE_BLOCK || bytes / FB_TABLE_BLOCK > m->cap_blocks)
		return -EOVERFLOW;
	m->sb.max_objects = max_objects;
	m->sb.max_extents = max_extents;
	m->nblocks = (uint32_t)(bytes / FB_TABLE_BLOCK);
	m->obj = (struct fb_object *)m->tab;
	m->ext = (struct fb_extent *)(m->tab + ob);
	return 0;
}

static uint8_t *block_ptr(const struct fb_meta *m, uint32_t b)
{
	return m->tab + (uint64_t)b * FB_TABLE_BLOCK;
}

void fb_meta_bind(struct fb_meta *m, uint8_t *tab, uint8_t *dirty,
		  uint32_t cap_blocks)
{
	memset(m, 0, sizeof(*m));
	m->tab = tab;
	m->dirty = dirty;
	m->cap_blocks = cap_blocks;
}

void fb_meta_touch(struct fb_meta *m, const void *p, size_t len)
{
	const uint8_t *q = p;
	uint64_t b, last;

	if (!len || q < m->tab ||
	    q >= m->tab + (uint64_t)m->nblocks * FB_TABLE_BLOCK)
		return;
	b = (uint64_t)(q - m->tab) / FB_TABLE_BLOCK;
	last = (uint64_t)(q + len - 1 - m->tab) / FB_TABLE_BLOCK;
	for (; b <= last && b < m->nblocks; b++)
		m->dirty[b] = FB_DIRTY_ALL;
}

static void touch_ext(struct fb_meta *m, uint32_t first, uint32_t end)
{
	if (end > first)
		fb_meta_touch(m, &m->ext[first],
			      (size_t)(end - first) * sizeof(m->ext[0]));
}

/**
 * fb_meta_load() - read copy @slot (valid) of the region into @m.  With
 * big tables, the blocks that the other copy holds identically (when it
 * is valid) are not marked for writing there.
 */
int fb_meta_load(struct fb_meta *m, const struct fb_region *r, int slot,
		 int other_ok)
{
	const struct fb_root *root = slot_root(r, slot);
	uint32_t b, i, other = slot ? FB_DIRTY_SLOT0 : FB_DIRTY_SLOT1;
	int ret;

	memcpy(&m->sb, &root->sb, sizeof(m->sb));
	if (fb_big(m)) {
		const uint8_t *tab = slot_table(r, &root->sb, slot);
		const uint8_t *otab = slot_table(r, &root->sb, !slot);

		memcpy(m->bcrc, root->bcrc, sizeof(m->bcrc));
		ret = set_layout(m, root->sb.max_objects, root->sb.max_extents);
		if (ret)
			return ret;
		memcpy(m->tab, tab, (uint64_t)m->nblocks * FB_TABLE_BLOCK);
		for (b = 0; b < m->nblocks; b++)
			m->dirty[b] = !other_ok ||
				      memcmp(block_ptr(m, b),
					     otab + (uint64_t)b * FB_TABLE_BLOCK,
					     FB_TABLE_BLOCK) ? other : 0;
		m->root_full = other_ok ? 0 : other;
		return 0;
	}
	{
		const struct fb_meta_v1 *v1 = (const struct fb_meta_v1 *)root;

		memset(m->bcrc, 0, sizeof(m->bcrc));
		ret = set_layout(m, FB_V1_MAX_OBJECTS, FB_V1_MAX_EXTENTS);
		if (ret)
			return ret;
		memset(m->tab, 0, (uint64_t)m->nblocks * FB_TABLE_BLOCK);
		memcpy(m->obj, v1->obj, sizeof(v1->obj));
		for (i = 0; i < m->sb.nr_extents; i++) {
			m->ext[i].start = v1->ext[i].start;
			m->ext[i].pages = v1->ext[i].pages;
			m->ext[i].owner = v1->ext[i].owner;
			m->ext[i].offset = v1->ext[i].offset;
		}
		memset(m->dirty, 0, m->nblocks);
		m->root_full = 0;
	}
	return 0;
}

/** fb_meta_copy() - make @dst an exact copy of @src. */
void fb_meta_copy(struct fb_meta *dst, struct fb_meta *src)
{
	uint32_t b;

	memcpy(&dst->sb, &src->sb, sizeof(dst->sb));
	memcpy(dst->bcrc, src->bcrc, sizeof(dst->bcrc));
	set_layout(dst, src->sb.max_objects, src->sb.max_extents);
	memcpy(dst->tab, src->tab, (uint64_t)src->nblocks * FB_TABLE_BLOCK);
	for (b = 0; b < src->nblocks; b++)
		dst->dirty[b] = src->dirty[b] &= ~FB_DIRTY_SYNC;
	dst->root_full = src->root_full;
}

/**
 * fb_meta_sync() - bring @dst, a copy of @src before either changed, up
 * to date: the superblock, the block CRCs in use and the changed blocks.
 */
void fb_meta_sync(struct fb_meta *dst, struct fb_meta *src)
{
	uint32_t b;

	if (dst->nblocks != src->nblocks ||
	    dst->sb.max_objects != src->sb.max_objects) {
		fb_meta_copy(dst, src);
		return;
	}
	memcpy(&dst->sb, &src->sb, sizeof(dst->sb));
	memcpy(dst->bcrc, src->bcrc, src->nblocks * sizeof(uint32_t));
	for (b = 0; b < src->nblocks; b++) {
		if ((src->dirty[b] | dst->dirty[b]) & FB_DIRTY_SYNC)
			memcpy(block_ptr(dst, b), block_ptr(src, b),
			       FB_TABLE_BLOCK);
		dst->dirty[b] = src->dirty[b] &= ~FB_DIRTY_SYNC;
	}
	dst->root_full = src->root_full;
}

static void init_common(struct fb_meta *m, uint64_t region_bytes,
			const uint8_t uuid[16], uint64_t time_ns)
{
	memset(m->tab, 0, (uint64_t)m->nblocks * FB_TABLE_BLOCK);
	memset(m->dirty, FB_DIRTY_ALL, m->nblocks);
	m->root_full = 3;
	m->sb.magic = FB_MAGIC;
	m->sb.version = FB_VERSION;
	m->sb.super_bytes = sizeof(struct fb_super);
	m->sb.meta_bytes = FB_META_BYTES;
	m->sb.region_bytes = region_bytes;
	m->sb.data_offset = FB_DATA_OFFSET;
	m->sb.nr_extents = 1;
	m->sb.next_object_id = 1;
	m->sb.format_time_ns = time_ns;
	memcpy(m->sb.uuid, uuid, sizeof(m->sb.uuid));
	m->ext[0].start = 0;
	m->ext[0].pages = fb_data_pages(m);
	m->ext[0].owner = FB_EXT_FREE;
}

/**
 * fb_meta_init() - build an empty store with big tables in a working copy.
 * The caller sets ``generation`` to the current one (0 for a fresh region)
 * and records the first boot with fb_boot_record() before committing.
 */
int fb_meta_init(struct fb_meta *m, uint64_t region_bytes,
		 const uint8_t uuid[16], uint64_t time_ns)
{
	struct fb_geom g;

	if (fb_geom_for(region_bytes, &g))
		return -EINVAL;
	memset(&m->sb, 0, sizeof(m->sb));
	memset(m->bcrc, 0, sizeof(m->bcrc));
	if (set_layout(m, g.max_objects, g.max_extents))
		return -EOVERFLOW;
	m->sb.incompat = FB_INCOMPAT_TABLES;
	m->sb.data_pages64 = g.data_pages;
	m->sb.table_offset = g.table_offset;
	m->sb.table_bytes = g.table_bytes;
	m->sb.table_blocks = g.table_blocks;
	init_common(m, region_bytes, uuid, time_ns);
	return 0;
}

int fb_meta_init_v1(struct fb_meta *m, uint64_t region_bytes,
		    const uint8_t uuid[16], uint64_t time_ns)
{
	if (region_bytes < FB_MIN_REGION)
		return -EINVAL;
	memset(&m->sb, 0, sizeof(m->sb));
	memset(m->bcrc, 0, sizeof(m->bcrc));
	if (set_layout(m, FB_V1_MAX_OBJECTS, FB_V1_MAX_EXTENTS))
		return -EOVERFLOW;
	m->sb.data_pages = (uint32_t)fb_data_pages_for(region_bytes);
	init_common(m, region_bytes, uuid, time_ns);
	return 0;
}

/**
 * fb_meta_upgrade() - give a state without big tables big tables, in
 * memory: the end of the data area becomes the table copies.
 */
int fb_meta_upgrade(struct fb_meta *m)
{
	uint32_t n = m->sb.nr_extents;
	uint64_t old_pages = m->sb.data_pages, ext_bytes;
	struct fb_extent *last = &m->ext[n - 1];
	struct fb_geom g;
	uint8_t *dst;

	if (fb_big(m))
		return -EALREADY;
	if (fb_geom_for(m->sb.region_bytes, &g))
		return -ENOSPC;
	if ((uint64_t)g.table_blocks > m->cap_blocks)
		return -EOVERFLOW;
	if (g.data_pages < old_pages &&
	    (last->owner != FB_EXT_FREE || last->start > g.data_pages))
		return -ENOSPC;
	/* From here on nothing fails. */
	if (g.data_pages > old_pages) {		/* past the 32-bit cap */
		if (last->owner == FB_EXT_FREE) {
			last->pages += g.data_pages - old_pages;
		} else {
			m->ext[n].start = old_pages;
			m->ext[n].pages = g.data_pages - old_pages;
			m->ext[n].owner = FB_EXT_FREE;
			m->sb.nr_extents = ++n;
		}
	} else if (last->start == g.data_pages) {
		memset(last, 0, sizeof(*last));
		m->sb.nr_extents = --n;
	} else {
		last->pages = g.data_pages - last->start;
	}
	/* The extents move behind the larger object table. */
	ext_bytes = (uint64_t)n * sizeof(struct fb_extent);
	dst = m->tab + (uint64_t)g.max_objects * sizeof(struct fb_object);
	memmove(dst, m->ext, ext_bytes);
	memset((uint8_t *)&m->obj[FB_V1_MAX_OBJECTS], 0,
	       (size_t)(dst - (uint8_t *)&m->obj[FB_V1_MAX_OBJECTS]));
	memset(dst + ext_bytes, 0,
	       (uint64_t)g.max_extents * sizeof(struct fb_extent) - ext_bytes);
	m->sb.incompat |= FB_INCOMPAT_TABLES;
	m->sb.data_pages = 0;
	m->sb.data_pages64 = g.data_pages;
	m->sb.table_offset = g.table_offset;
	m->sb.table_bytes = g.table_bytes;
	m->sb.table_blocks = g.table_blocks;
	memset(m->bcrc, 0, sizeof(m->bcrc));
	set_layout(m, g.max_objects, g.max_extents);
	memset(m->dirty, FB_DIRTY_ALL, m->nblocks);
	m->root_full = 3;
	return 0;
}

int fb_obj_find(const struct fb_meta *m, const char *name)
{
	uint32_t i;

	for (i = 0; i < m->sb.max_objects; i++)
		if (m->obj[i].type != FB_OBJ_NONE &&
		    !strncmp(m->obj[i].name, name, FB_NAME_MAX))
			return (int)i;
	return -1;
}

/* Insert @count copies of slot @i (making room at @i). */
static int ext_insert(struct fb_meta *m, uint32_t i, uint32_t count)
{
	uint32_t n = m->sb.nr_extents;

	if (n + count > m->sb.max_extents)
		return -ENOSPC;
	memmove(&m->ext[i + count], &m->ext[i], (n - i) * sizeof(m->ext[0]));
	m->sb.nr_extents = n + count;
	touch_ext(m, i, n + count);
	return 0;
}

/**
 * fb_obj_alloc() - add an object and give it free extents, first fit.
 * @align_pages: alignment of each extent's start and length (a power of
 * two, 1 for none).  The name must be valid; uniqueness is the caller's
 * business, so that a replacement can be built before the old object is
 * freed.  On error the working copy may be partly changed: discard it
 * (fb_meta_sync() from the committed state).
 */
int fb_obj_alloc(struct fb_meta *m, const char *name, uint32_t type,
		 uint64_t size, uint32_t align_pages, int *idx)
{
	uint64_t want = fb_pages(size), got = 0, dp = fb_data_pages(m);
	uint32_t i, slot;

	if (fb_name_valid(name, FB_NAME_MAX) || type == FB_OBJ_NONE ||
	    type > FB_OBJ_TYPE_MAX || align_pages == 0 ||
	    (align_pages & (align_pages - 1)))
		return -EINVAL;
	if (size > dp << FB_PAGE_SHIFT)
		return -ENOSPC;
	for (slot = 0; slot < m->sb.max_objects; slot++)
		if (m->obj[slot].type == FB_OBJ_NONE)
			break;
	if (slot == m->sb.max_objects)
		return -EMFILE;

	for (i = 0; i < m->sb.nr_extents && got < want; i++) {
		struct fb_extent *e = &m->ext[i];
		uint64_t s, end, n;

		if (e->owner != FB_EXT_FREE)
			continue;
		end = e->start + e->pages;
		s = (e->start + align_pages - 1) & ~(uint64_t)(align_pages - 1);
		if (s >= end)
			continue;
		n = end - s;
		if (n > want - got)
			n = want - got;
		else if (n < want - got)
			n &= ~(uint64_t)(align_pages - 1);
		if (n == 0)
			continue;
		if (s > e->start) {	/* keep the unaligned head free */
			if (ext_insert(m, i, 1))
				return -ENOSPC;
			m->ext[i].pages = s - m->ext[i].start;
			i++;
			m->ext[i].start = s;
			m->ext[i].pages = end - s;
		}
		if (n < end - s) {	/* keep the tail free */
			if (ext_insert(m, i, 1))
				return -ENOSPC;
			m->ext[i + 1].start = s + n;
			m->ext[i + 1].pages = end - s - n;
			m->ext[i].pages = n;
		}
		m->ext[i].owner = slot;
		m->ext[i].offset = got;
		touch_ext(m, i, i + 1);
		got += n;
	}
	if (got < want)
		return -ENOSPC;

	memset(&m->obj[slot], 0, sizeof(m->obj[slot]));
	memcpy(m->obj[slot].name, name, FB_NAME_MAX);
	m->obj[slot].type = type;
	m->obj[slot].size = size;
	m->obj[slot].id = m->sb.next_object_id++;
	fb_meta_touch(m, &m->obj[slot], sizeof(m->obj[slot]));
	*idx = (int)slot;
	return 0;
}

/** fb_obj_free() - remove an object and merge its extents into free space. */
void fb_obj_free(struct fb_meta *m, int idx)
{
	uint32_t i, out = 0, n = m->sb.nr_extents, first = n;

	/* Entries before the first extent of idx (less one) stay as they are. */
	for (i = 0; i < n; i++)
		if (m->ext[i].owner == (uint32_t)idx) {
			first = i ? i - 1 : 0;
			break;
		}
	for (i = 0; i < n; i++) {
		struct fb_extent e = m->ext[i];

		if (e.owner == (uint32_t)idx) {
			e.owner = FB_EXT_FREE;
			e.offset = 0;
		}
		if (out && e.owner == FB_EXT_FREE &&
		    m->ext[out - 1].owner == FB_EXT_FREE)
			m->ext[out - 1].pages += e.pages;
		else
			m->ext[out++] = e;
	}
	memset(&m->ext[out], 0, (n - out) * sizeof(m->ext[0]));
	m->sb.nr_extents = out;
	touch_ext(m, first, n);
	memset(&m->obj[idx], 0, sizeof(m->obj[idx]));
	fb_meta_touch(m, &m->obj[idx], sizeof(m->obj[idx]));
}

uint64_t fb_used_pages(const struct fb_meta *m)
{
	uint64_t used = 0;
	uint32_t i;

	for (i = 0; i < m->sb.nr_extents; i++)
		if (m->ext[i].owner != FB_EXT_FREE)
			used += m->ext[i].pages;
	return used;
}

uint32_t fb_obj_count(const struct fb_meta *m)
{
	uint32_t i, n = 0;

	for (i = 0; i < m->sb.max_objects; i++)
		n += m->obj[i].type != FB_OBJ_NONE;
	return n;
}

const struct fb_extent *fb_obj_next_extent(const struct fb_meta *m, int idx,
					   uint32_t *cursor)
{
	while (*cursor < m->sb.nr_extents) {
		const struct fb_extent *e = &m->ext[(*cursor)++];

		if (e->owner == (uint32_t)idx)
			return e;
	}
	return NULL;
}

static void copy_padded(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= size)
		n = size - 1;
	memset(dst, 0, size);
	if (n)
		memcpy(dst, src, n);
}

/** fb_boot_record() - count a boot and append it to the history ring. */
void fb_boot_record(struct fb_meta *m, uint32_t reason, uint64_t time_ns,
		    const char *release, const char *image)
{
	struct fb_boot_rec *b = &m->sb.history[m->sb.history_head];

	m->sb.boot_count++;
	m->sb.boot_reason = reason;
	memset(b, 0, sizeof(*b));
	b->boot = m->sb.boot_count;
	b->time_ns = time_ns;
	b->reason = reason;
	copy_padded(b->release, sizeof(b->release), release);
	copy_padded(b->image, sizeof(b->image), image);
	m->sb.history_head = (m->sb.history_head + 1) % FB_BOOT_HISTORY;
}

#define FB_LINE 64u

/* Line @off of the copy without big tables that @m encodes. */
static void v1_line(const struct fb_meta *m, uint32_t off, uint8_t *out)
{
	const uint32_t obj0 = offsetof(struct fb_meta_v1, obj);
	const uint32_t ext0 = offsetof(struct fb_meta_v1, ext);
	const uint32_t pad0 = offsetof(struct fb_meta_v1, pad);
	uint32_t i;

	if (off < obj0) {
		memcpy(out, (const uint8_t *)&m->sb + off, FB_LINE);
	} else if (off < ext0) {
		memcpy(out, (const uint8_t *)m->obj + (off - obj0), FB_LINE);
	} else if (off < pad0) {
		struct fb_extent_v1 *x = (struct fb_extent_v1 *)out;

		for (i = 0; i < FB_LINE / sizeof(*x); i++) {
			const struct fb_extent *e =
				&m->ext[(off - ext0) / sizeof(*x) + i];

			x[i].start = (uint32_t)e->start;
			x[i].pages = (uint32_t)e->pages;
			x[i].owner = e->owner;
			x[i].offset = (uint32_t)e->offset;
		}
	} else {
		memset(out, 0, FB_LINE);
	}
}

/* Commit of a store without big tables: the whole 128 KiB copy. */
static void commit_v1(struct fb_region *r, int slot, struct fb_meta *m)
{
	uint64_t base = FB_META_OFFSET(slot);
	const uint8_t *dst = r->base + base;
	uint8_t line[FB_LINE];
	uint32_t off, c = 0xffffffffu;

	m->sb.crc = 0;
	for (off = 0; off < FB_META_BYTES; off += FB_LINE) {
		v1_line(m, off, line);
		c = fb_crc32c(c, line, FB_LINE);
	}
	m->sb.crc = ~c;
	for (off = FB_LINE; off < FB_META_BYTES; off += FB_LINE) {
		v1_line(m, off, line);
		if (memcmp(dst + off, line, FB_LINE))
			r->write(r, base + off, line, FB_LINE);
	}
	r->write(r, base + 8, (const uint8_t *)&m->sb + 8, FB_LINE - 8);
	r->write(r, base, &m->sb, 8);	/* the magic */
}

/* Commit with big tables: changed blocks, then the root. */
static void commit_big(struct fb_region *r, int slot, struct fb_meta *m)
{
	uint32_t bit = slot ? FB_DIRTY_SLOT1 : FB_DIRTY_SLOT0, b, off, end, c;
	uint64_t tab = m->sb.table_offset + (uint64_t)slot * m->sb.table_bytes;
	uint64_t base = FB_META_OFFSET(slot);
	const uint8_t *src = (const uint8_t *)m, *dst = r->base + base;

	for (b = 0; b < m->nblocks; b++) {
		uint8_t d = m->dirty[b];

		if (d & FB_DIRTY_CRC)
			m->bcrc[b] = ~fb_crc32c(0xffffffffu, block_ptr(m, b),
						FB_TABLE_BLOCK);
		if (d & bit)
			r->write(r, tab + (uint64_t)b * FB_TABLE_BLOCK,
				 block_ptr(m, b), FB_TABLE_BLOCK);
		m->dirty[b] = d & ~(bit | FB_DIRTY_CRC);
	}
	/* The root's CRC: superblock and CRCs in use, then zeros. */
	end = (uint32_t)sizeof(m->sb) + m->nblocks * (uint32_t)sizeof(uint32_t);
	m->sb.crc = 0;
	c = fb_crc32c(0xffffffffu, src, end);
	m->sb.crc = ~fb_crc32c_zeros(c, FB_META_BYTES - end);
	if (m->root_full & (1u << slot))
		end = FB_META_BYTES;
	m->root_full &= ~(1u << slot);
	for (off = FB_LINE; off < end; off += FB_LINE)
		if (memcmp(dst + off, src + off, FB_LINE))
			r->write(r, base + off, src + off, FB_LINE);
	r->write(r, base + 8, src + 8, FB_LINE - 8);
	r->write(r, base, src, 8);	/* the magic */
}

/**
 * fb_commit() - make the working copy the current state.
 * Bumps the generation, writes the copy into the slot that does not hold
 * the current state (*cur_slot, -1 when there is none), the line with the
 * CRC last, and updates *cur_slot.  In that line the magic goes last, so
 * that a first format cut short leaves no magic behind and the region
 * still reads as unformatted rather than damaged.
 */
void fb_commit(struct fb_region *r, int *cur_slot, struct fb_meta *m)
{
	int slot = *cur_slot == 0 ? 1 : 0;

	m->sb.generation++;
	m->sb.slot = (uint32_t)slot;
	if (fb_big(m))
		commit_big(r, slot, m);
	else
		commit_v1(r, slot, m);
	*cur_slot = slot;
}

/** fb_seal_write() - record that this boot gave the store up for @reason. */
void fb_seal_write(struct fb_region *r, const struct fb_meta *m,
		   uint32_t reason, uint64_t time_ns, uint64_t boottime_ns)
{
	struct fb_seal s;

	memset(&s, 0, sizeof(s));
	s.magic = FB_SEAL_MAGIC;
	memcpy(s.uuid, m->sb.uuid, sizeof(s.uuid));
	s.boot_count = m->sb.boot_count;
	s.generation = m->sb.generation;
	s.time_ns = time_ns;
	s.boottime_ns = boottime_ns;
	s.reason = reason;
	s.crc = seal_crc(&s);
	r->write(r, FB_SEAL_OFFSET, &s, sizeof(s));
}

void fb_seal_clear(struct fb_region *r)
{
	static const struct fb_seal zero;

	r->write(r, FB_SEAL_OFFSET, &zero, sizeof(zero));
}

static uint32_t next_crc(const struct fb_next *n)
{
	return crc_skip(n, sizeof(*n), offsetof(struct fb_next, crc));
}

/**
 * fb_next_write() - record that the next boot runs @image (a stored image
 * record's name).  Safe in the panic path: no allocation, no lock.
 */
void fb_next_write(struct fb_region *r, const struct fb_meta *m,
		   const char *image)
{
	struct fb_next n;

	memset(&n, 0, sizeof(n));
	n.magic = FB_NEXT_MAGIC;
	memcpy(n.uuid, m->sb.uuid, sizeof(n.uuid));
	n.boot_count = m->sb.boot_count;
	copy_padded(n.image, sizeof(n.image), image);
	n.crc = next_crc(&n);
	r->write(r, FB_NEXT_OFFSET, &n, sizeof(n));
}

void fb_next_clear(struct fb_region *r)
{
	static const struct fb_next zero;

	r->write(r, FB_NEXT_OFFSET, &zero, sizeof(zero));
}

/**
 * fb_next_valid() - 1 and the image name (NUL-terminated, a valid object
 * name) when the region holds a next-boot record written by the boot that
 * last sealed this store; else 0 and an empty name.
 */
int fb_next_valid(const struct fb_region *r, const struct fb_meta *m,
		  char image[64])
{
	const struct fb_next *n =
		(const struct fb_next *)(r->base + FB_NEXT_OFFSET);

	image[0] = 0;
	if (n->magic != FB_NEXT_MAGIC || n->crc != next_crc(n) ||
	    memcmp(n->uuid, m->sb.uuid, sizeof(n->uuid)) ||
	    n->boot_count != m->sb.boot_count || n->reserved ||
	    fb_name_valid(n->image, sizeof(n->image)))
		return 0;
	memcpy(image, n->image, sizeof(n->image));
	return 1;
}

static struct fb_crash *crash_ptr(const struct fb_region *r)
{
	return (struct fb_crash *)(r->base + FB_CRASH_OFFSET);
}

/**
 * fb_crash_begin() - start a crash record for the boot in @m.
 * Called from the panic path: writes the header and message directly,
 * without any buffer of its own.  The log is added by fb_crash_set_log()
 * once it has been copied to FB_CRASH_LOG_OFFSET.
 */
void fb_crash_begin(struct fb_region *r, const struct fb_meta *m,
		    uint64_t time_ns, const char *msg)
{
	struct fb_crash c;
	size_t n = msg ? strlen(msg) : 0;

	memset(&c, 0, sizeof(c));
	c.magic = FB_CRASH_MAGIC;
	memcpy(c.uuid, m->sb.uuid, sizeof(c.uuid));
	c.boot = m->sb.boot_count;
	c.time_ns = time_ns;
	if (n >= sizeof(c.msg))
		n = sizeof(c.msg) - 1;
	memcpy(c.msg, msg, n);
	c.msg_len = (uint32_t)n;
	c.crc = crc_skip(&c, sizeof(c), offsetof(struct fb_crash, crc));
	r->write(r, FB_CRASH_OFFSET, &c, sizeof(c));
}

/** fb_crash_set_log() - account for @log_len bytes at FB_CRASH_LOG_OFFSET. */
void fb_crash_set_log(struct fb_region *r, uint32_t log_len)
{
	struct fb_crash c;

	memcpy(&c, crash_ptr(r), sizeof(c));
	if (log_len > FB_CRASH_LOG_MAX)
		log_len = FB_CRASH_LOG_MAX;
	c.log_len = log_len;
	c.log_crc = ~fb_crc32c(0xffffffffu, r->base + FB_CRASH_LOG_OFFSET, log_len);
	c.crc = crc_skip(&c, sizeof(c), offsetof(struct fb_crash, crc));
	r->write(r, FB_CRASH_OFFSET, &c, sizeof(c));
}

/**
 * fb_crash_valid() - is there a crash record for this store?
 * Returns 0 (none), 1 (header and message valid, log missing or cut
 * short: log_len is then to be ignored) or 2 (complete).
 */
int fb_crash_valid(const struct fb_region *r, const struct fb_meta *m)
{
	const struct fb_crash *c = crash_ptr(r);

	if (c->magic != FB_CRASH_MAGIC ||
	    crc_skip(c, sizeof(*c), offsetof(struct fb_crash, crc)) != c->crc ||
	    memcmp(c->uuid, m->sb.uuid, sizeof(c->uuid)) ||
	    c->boot == 0 || c->boot > m->sb.boot_count ||
	    c->msg_len >= sizeof(c->msg) || c->msg[c->msg_len] ||
	    c->log_len > FB_CRASH_LOG_MAX)
		return 0;
	if (~fb_crc32c(0xffffffffu, r->base + FB_CRASH_LOG_OFFSET, c->log_len) !=
	    c->log_crc)
		return 1;
	return 2;
}
