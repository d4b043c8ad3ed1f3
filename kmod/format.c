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
	if (sb->data_offset != FB_DATA_OFFSET ||
	    sb->data_pages != fb_data_pages_for(region_bytes))
		return fail(why, "bad data area geometry");
	if (sb->max_objects != FB_MAX_OBJECTS ||
	    sb->max_extents != FB_MAX_EXTENTS)
		return fail(why, "bad table sizes");
	if (sb->nr_extents == 0 || sb->nr_extents > FB_MAX_EXTENTS)
		return fail(why, "extent count out of range");
	if (sb->boot_count == 0 || sb->boot_count >= (1ull << 62))
		return fail(why, "boot count out of range");
	if (sb->boot_reason == FB_REASON_NONE ||
	    sb->boot_reason > FB_REASON_MAX)
		return fail(why, "bad boot reason");
	if (sb->history_head >= FB_BOOT_HISTORY)
		return fail(why, "bad boot history index");
	if (!all_zero(sb->reserved0, sizeof(sb->reserved0)) ||
	    !all_zero(sb->reserved1, sizeof(sb->reserved1)))
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

static int validate_objects(const struct fb_meta *m, char *why)
{
	unsigned int i, j;

	for (i = 0; i < FB_MAX_OBJECTS; i++) {
		const struct fb_object *o = &m->obj[i];

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
		if (o->id == 0 || o->id >= m->sb.next_object_id)
			return fail(why, "object id out of range");
		if (fb_pages(o->size) > m->sb.data_pages ||
		    o->size > (uint64_t)m->sb.data_pages << FB_PAGE_SHIFT)
			return fail(why, "object larger than the data area");
		for (j = 0; j < i; j++)
			if (m->obj[j].type != FB_OBJ_NONE &&
			    !strcmp(m->obj[j].name, o->name))
				return fail(why, "duplicate object name");
	}
	return 0;
}

static int validate_extents(const struct fb_meta *m, uint32_t *next,
			    char *why)
{
	uint32_t i, end = 0, n = m->sb.nr_extents;
	int prev_free = 0;

	memset(next, 0, FB_MAX_OBJECTS * sizeof(*next));
	for (i = 0; i < n; i++) {
		const struct fb_extent *e = &m->ext[i];

		if (e->start != end || e->pages == 0 ||
		    e->pages > m->sb.data_pages - e->start)
			return fail(why, "extents do not tile the data area");
		end = e->start + e->pages;
		if (e->owner == FB_EXT_FREE) {
			if (e->offset)
				return fail(why, "free extent with an offset");
			if (prev_free)
				return fail(why, "adjacent free extents");
			prev_free = 1;
			continue;
		}
		prev_free = 0;
		if (e->owner >= FB_MAX_OBJECTS ||
		    m->obj[e->owner].type == FB_OBJ_NONE)
			return fail(why, "extent owned by no object");
		if (e->offset != next[e->owner] ||
		    e->pages > fb_pages(m->obj[e->owner].size) - e->offset)
			return fail(why, "object extents out of order");
		next[e->owner] += e->pages;
	}
	if (end != m->sb.data_pages)
		return fail(why, "extents do not cover the data area");
	for (i = 0; i < FB_MAX_OBJECTS; i++)
		if (m->obj[i].type != FB_OBJ_NONE &&
		    next[i] != fb_pages(m->obj[i].size))
			return fail(why, "object extents do not cover its size");
	if (!all_zero(&m->ext[n], (FB_MAX_EXTENTS - n) * sizeof(m->ext[0])) ||
	    !all_zero(m->pad, sizeof(m->pad)))
		return fail(why, "unused metadata is not zero");
	return 0;
}

/**
 * fb_meta_validate() - check every field of an untrusted metadata copy.
 * @scratch: FB_MAX_OBJECTS u32s of scratch space.
 * Returns 0 or -EINVAL with a reason in @why (FB_WHY_MAX bytes, may be NULL).
 */
int fb_meta_validate(const struct fb_meta *m, uint64_t region_bytes,
		     uint32_t *scratch, char *why)
{
	int ret;

	if (m->sb.magic != FB_MAGIC)
		return fail(why, "bad magic");
	if (crc_skip(m, sizeof(*m), offsetof(struct fb_super, crc)) !=
	    m->sb.crc)
		return fail(why, "metadata checksum mismatch");
	ret = validate_super(&m->sb, region_bytes, why);
	if (!ret)
		ret = validate_objects(m, why);
	if (!ret)
		ret = validate_extents(m, scratch, why);
	return ret;
}

static const struct fb_meta *slot_meta(const struct fb_region *r, int slot)
{
	return (const struct fb_meta *)(r->base + FB_META_OFFSET(slot));
}

/**
 * fb_attach() - decide what the region holds.
 * Fills @res: unformatted (no magic in either copy), ready (the valid copy
 * with the highest generation is current), or damaged (a magic is present
 * but no copy passes its checks, or two valid copies disagree).
 */
int fb_attach(const struct fb_region *r, uint32_t *scratch,
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
		const struct fb_meta *m = slot_meta(r, s);

		why[s][0] = 0;
		magic[s] = m->sb.magic == FB_MAGIC;
		ok[s] = magic[s] &&
			!fb_meta_validate(m, r->bytes, scratch, why[s]);
		if (ok[s] && m->sb.slot != (uint32_t)s) {
			ok[s] = 0;
			fail(why[s], "copy found in the wrong slot");
		}
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
		uint64_t g0 = slot_meta(r, 0)->sb.generation;
		uint64_t g1 = slot_meta(r, 1)->sb.generation;

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
	res->readonly = !!(slot_meta(r, s)->sb.ro_compat & ~FB_RO_COMPAT_SUPP);
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

/**
 * fb_meta_init() - build an empty store in a working copy.  The caller
 * sets ``generation`` to the current one (0 for a fresh region) and records
 * the first boot with fb_boot_record() before committing.
 */
int fb_meta_init(struct fb_meta *m, uint64_t region_bytes,
		 const uint8_t uuid[16], uint64_t time_ns)
{
	if (region_bytes < FB_MIN_REGION)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->sb.magic = FB_MAGIC;
	m->sb.version = FB_VERSION;
	m->sb.super_bytes = sizeof(struct fb_super);
	m->sb.meta_bytes = FB_META_BYTES;
	m->sb.region_bytes = region_bytes;
	m->sb.data_offset = FB_DATA_OFFSET;
	m->sb.data_pages = (uint32_t)fb_data_pages_for(region_bytes);
	m->sb.max_objects = FB_MAX_OBJECTS;
	m->sb.max_extents = FB_MAX_EXTENTS;
	m->sb.nr_extents = 1;
	m->sb.next_object_id = 1;
	m->sb.format_time_ns = time_ns;
	memcpy(m->sb.uuid, uuid, sizeof(m->sb.uuid));
	m->ext[0].start = 0;
	m->ext[0].pages = m->sb.data_pages;
	m->ext[0].owner = FB_EXT_FREE;
	return 0;
}

int fb_obj_find(const struct fb_meta *m, const char *name)
{
	int i;

	for (i = 0; i < FB_MAX_OBJECTS; i++)
		if (m->obj[i].type != FB_OBJ_NONE &&
		    !strncmp(m->obj[i].name, name, FB_NAME_MAX))
			return i;
	return -1;
}

/* Insert @count copies of slot @i (making room at @i). */
static int ext_insert(struct fb_meta *m, uint32_t i, uint32_t count)
{
	uint32_t n = m->sb.nr_extents;

	if (n + count > FB_MAX_EXTENTS)
		return -ENOSPC;
	memmove(&m->ext[i + count], &m->ext[i], (n - i) * sizeof(m->ext[0]));
	m->sb.nr_extents = n + count;
	return 0;
}

/**
 * fb_obj_alloc() - add an object and give it free extents, first fit.
 * @align_pages: alignment of each extent's start and length (a power of
 * two, 1 for none).  The name must be valid; uniqueness is the caller's
 * business, so that a replacement can be built before the old object is
 * freed.  On error the working copy may be partly changed: discard it.
 */
int fb_obj_alloc(struct fb_meta *m, const char *name, uint32_t type,
		 uint64_t size, uint32_t align_pages, int *idx)
{
	uint64_t want = fb_pages(size);
	uint32_t i, got = 0;
	int slot;

	if (fb_name_valid(name, FB_NAME_MAX) || type == FB_OBJ_NONE ||
	    type > FB_OBJ_TYPE_MAX || align_pages == 0 ||
	    (align_pages & (align_pages - 1)))
		return -EINVAL;
	if (size > (uint64_t)m->sb.data_pages << FB_PAGE_SHIFT)
		return -ENOSPC;
	for (slot = 0; slot < FB_MAX_OBJECTS; slot++)
		if (m->obj[slot].type == FB_OBJ_NONE)
			break;
	if (slot == FB_MAX_OBJECTS)
		return -ENOSPC;

	for (i = 0; i < m->sb.nr_extents && got < want; i++) {
		struct fb_extent *e = &m->ext[i];
		uint32_t s, end, n;
		uint64_t s64;	/* the aligned start may pass 2^32 pages */

		if (e->owner != FB_EXT_FREE)
			continue;
		end = e->start + e->pages;
		s64 = ((uint64_t)e->start + align_pages - 1) &
		      ~(uint64_t)(align_pages - 1);
		if (s64 >= end)
			continue;
		s = (uint32_t)s64;
		n = end - s;
		if (n > want - got)
			n = (uint32_t)(want - got);
		else if (n < want - got)
			n &= ~(align_pages - 1);
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
		m->ext[i].owner = (uint32_t)slot;
		m->ext[i].offset = got;
		got += n;
	}
	if (got < want)
		return -ENOSPC;

	memset(&m->obj[slot], 0, sizeof(m->obj[slot]));
	memcpy(m->obj[slot].name, name, FB_NAME_MAX);
	m->obj[slot].type = type;
	m->obj[slot].size = size;
	m->obj[slot].id = m->sb.next_object_id++;
	*idx = slot;
	return 0;
}

/** fb_obj_free() - remove an object and merge its extents into free space. */
void fb_obj_free(struct fb_meta *m, int idx)
{
	uint32_t i, out = 0, n = m->sb.nr_extents;

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
	memset(&m->obj[idx], 0, sizeof(m->obj[idx]));
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

	for (i = 0; i < FB_MAX_OBJECTS; i++)
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

/**
 * fb_commit() - make the working copy the current state.
 * Bumps the generation, writes the copy into the slot that does not hold
 * the current state (*cur_slot, -1 when there is none), line by line, the
 * line with the CRC last, and updates *cur_slot.  In that line the magic
 * goes last, so that a first format cut short leaves no magic behind and
 * the region still reads as unformatted rather than damaged.
 */
void fb_commit(struct fb_region *r, int *cur_slot, struct fb_meta *m)
{
	int slot = *cur_slot == 0 ? 1 : 0;
	const uint8_t *src = (const uint8_t *)m;
	uint64_t base = FB_META_OFFSET(slot);
	const uint8_t *dst = r->base + base;
	uint32_t off;

	m->sb.generation++;
	m->sb.slot = (uint32_t)slot;
	m->sb.crc = crc_skip(m, sizeof(*m), offsetof(struct fb_super, crc));
	for (off = FB_LINE; off < FB_META_BYTES; off += FB_LINE)
		if (memcmp(dst + off, src + off, FB_LINE))
			r->write(r, base + off, src + off, FB_LINE);
	r->write(r, base + 8, src + 8, FB_LINE - 8);
	r->write(r, base, src, 8);	/* the magic */
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
