// SPDX-License-Identifier: GPL-2.0
/*
 * fastboot_poke: TEST ONLY.  Flips bits of physical memory so that the
 * selftests can damage a store on purpose: loading it XORs the byte at
 * addr + offset with xor (when xor is not 0), then it stays loaded until
 * removed.  With claim=SIZE it also claims [addr, addr + SIZE) as busy
 * until removed, so that a test can check that fastboot refuses a region
 * someone else owns.  With object=NAME, offset is a byte offset into the
 * data of that store object (found through the newest metadata copy
 * with a magic; nothing is validated).  With rocompat=MASK it XORs MASK
 * into the ro_compat features of both metadata copies and recomputes
 * their checksums, so a test can make a store "from a newer module".  It ignores resource claims when
 * flipping, which is exactly what makes it unfit for anything else.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include "format.h"

static unsigned long long addr;
static unsigned long long offset;
static unsigned int xor = 0x01;
static unsigned long long claim;
static struct resource *claimed;
module_param(addr, ullong, 0444);
module_param(claim, ullong, 0444);
static char *object;
module_param(object, charp, 0444);
static unsigned int rocompat;
module_param(rocompat, uint, 0444);

/* CRC32C as format.c computes it (bitwise: test code, run rarely). */
static u32 crc32c_bits(u32 crc, const u8 *p, size_t len)
{
	int k;

	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78 & -(crc & 1));
	}
	return crc;
}

static int flip_rocompat(void)
{
	struct fb_root *m;
	void *meta;
	int s;

	meta = memremap(addr, 2 * FB_META_BYTES, MEMREMAP_WB);
	if (!meta)
		return -ENOMEM;
	for (s = 0; s < 2; s++) {
		m = meta + FB_META_OFFSET(s);
		if (m->sb.magic != FB_MAGIC)
			continue;
		m->sb.ro_compat ^= rocompat;
		m->sb.crc = 0;
		m->sb.crc = ~crc32c_bits(~0u, (const u8 *)m, FB_META_BYTES);
		pr_info("ro_compat of copy %d now %#x\n", s, m->sb.ro_compat);
	}
	memunmap(meta);
	return 0;
}

/* Physical address of page page of an object whose extents are these. */
static phys_addr_t ext_byte(u64 start, u64 pages, u64 eoff, u64 page, u64 off)
{
	if (page < eoff || page >= eoff + pages)
		return 0;
	return addr + FB_DATA_OFFSET + ((start + page - eoff) << FB_PAGE_SHIFT) +
	       (off & (FB_PAGE_SIZE - 1));
}

/*
 * Physical address of byte off of object name, or 0: through the newest
 * root with a magic, either layout (big tables: its table copy).
 */
static phys_addr_t object_byte(const char *name, u64 off)
{
	const struct fb_root *m[2], *cur = NULL;
	phys_addr_t pa = 0;
	u64 page = off >> FB_PAGE_SHIFT;
	void *meta, *tab = NULL;
	u32 i, s, slot = 0;

	meta = memremap(addr, 2 * FB_META_BYTES, MEMREMAP_WB);
	if (!meta)
		return 0;
	for (s = 0; s < 2; s++) {
		m[s] = meta + FB_META_OFFSET(s);
		if (m[s]->sb.magic == FB_MAGIC &&
		    (!cur || m[s]->sb.generation > cur->sb.generation)) {
			cur = m[s];
			slot = s;
		}
	}
	if (cur && (cur->sb.incompat & FB_INCOMPAT_TABLES)) {
		const struct fb_object *obj;
		const struct fb_extent *ext;

		tab = memremap(addr + cur->sb.table_offset +
			       (u64)slot * cur->sb.table_bytes,
			       cur->sb.table_bytes, MEMREMAP_WB);
		if (!tab)
			goto out;
		obj = tab;
		ext = tab + (u64)cur->sb.max_objects * sizeof(*obj);
		for (i = 0; i < cur->sb.max_objects; i++) {
			if (!obj[i].type || strcmp(obj[i].name, name))
				continue;
			for (s = 0; s < cur->sb.nr_extents &&
			     s < cur->sb.max_extents && !pa; s++)
				if (ext[s].owner == i)
					pa = ext_byte(ext[s].start, ext[s].pages,
						      ext[s].offset, page, off);
			break;
		}
		memunmap(tab);
	} else if (cur) {
		const struct fb_meta_v1 *v1 = (const struct fb_meta_v1 *)cur;

		for (i = 0; i < FB_V1_MAX_OBJECTS; i++) {
			if (!v1->obj[i].type || strcmp(v1->obj[i].name, name))
				continue;
			for (s = 0; s < v1->sb.nr_extents &&
			     s < FB_V1_MAX_EXTENTS && !pa; s++)
				if (v1->ext[s].owner == i)
					pa = ext_byte(v1->ext[s].start,
						      v1->ext[s].pages,
						      v1->ext[s].offset, page, off);
			break;
		}
	}
out:
	memunmap(meta);
	return pa;
}
module_param(offset, ullong, 0444);
module_param(xor, uint, 0444);

static int __init fastboot_poke_init(void)
{
	phys_addr_t pa = addr + offset;
	u8 *p;

	if (object) {
		pa = object_byte(object, offset);
		if (!pa)
			return -ENOENT;
	}
	if (!addr || xor > 0xff)
		return -EINVAL;
	if (rocompat)
		return flip_rocompat();
	if (claim) {
		claimed = request_mem_region(addr, claim, "fastboot_poke");
		if (!claimed)
			return -EBUSY;
	}
	if (!xor)
		return 0;
	p = memremap(pa & PAGE_MASK, PAGE_SIZE, MEMREMAP_WB);
	if (!p) {
		if (claimed)
			release_mem_region(addr, claim);
		return -ENOMEM;
	}
	p[pa & ~PAGE_MASK] ^= xor;
	pr_info("flipped %#x at %pa\n", xor, &pa);
	memunmap(p);
	return 0;
}

static void __exit fastboot_poke_exit(void)
{
	if (claimed)
		release_mem_region(addr, claim);
}

module_init(fastboot_poke_init);
module_exit(fastboot_poke_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("fastboot selftest helper: flip bits in physical memory");
