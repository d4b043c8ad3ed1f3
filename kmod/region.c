// SPDX-License-Identifier: GPL-2.0
/*
 * fastboot: the reserved physical range that holds the store.
 *
 * The range must be page aligned, lie entirely outside System RAM, be
 * covered by firmware-reserved memory (memmap=SIZE$ADDR on x86 gives
 * such a range) and be claimed by nobody else.  It is claimed exclusively,
 * so /proc/iomem shows "fastboot" and /dev/mem cannot map it, and mapped
 * write-back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <asm/cacheflush.h>
#include "fastboot.h"

/**
 * fastboot_region_parse() - parse "SIZE@ADDR"; both take K/M/G suffixes
 * and 0x hex.  Returns 0 or -EINVAL after logging why.
 */
int fastboot_region_parse(const char *arg, phys_addr_t *start, u64 *size)
{
	char *p = (char *)arg, *end;
	unsigned long long s, a;

	if (!arg || !*arg) {
		pr_err("region= is required, e.g. region=256M@0x40000000\n");
		return -EINVAL;
	}
	s = memparse(p, &end);
	if (end == p || *end != '@') {
		pr_err("region=%s: expected SIZE@ADDR, e.g. 256M@0x40000000\n",
		       arg);
		return -EINVAL;
	}
	p = end + 1;
	a = memparse(p, &end);
	if (end == p || (*end && strcmp(end, "\n"))) {
		pr_err("region=%s: bad address after '@'\n", arg);
		return -EINVAL;
	}
	*start = a;
	*size = s;
	return 0;
}

struct cover {
	u64 next;		/* first byte not yet known to be covered */
};

static int cover_cb(struct resource *res, void *arg)
{
	struct cover *c = arg;

	if (res->start <= c->next && res->end + 1 > c->next)
		c->next = res->end + 1;
	return 0;
}

/* Is [start, end] entirely inside resources with descriptor desc? */
static bool covered_by(unsigned long desc, u64 start, u64 end)
{
	struct cover c = { .next = start };

	walk_iomem_res_desc(desc, IORESOURCE_MEM, start, end, &c, cover_cb);
	return c.next > end;
}

/*
 * Cache write-back.  A kexec or a crash kernel keeps the CPU caches, but a
 * firmware reboot (or a panic with no crash kernel and panic=N) may reset
 * the CPUs without writing dirty lines back, and what was only in a cache
 * is then lost even where the firmware keeps RAM.  So everything the
 * format writes (metadata commits, the seal, the crash record) and the
 * data of every object put is written back with CLFLUSH(OPT), which
 * writes a line back from every cache in the coherence domain, whichever
 * CPU dirtied it.  clflush_cache_range() takes no lock and does not sleep:
 * the panic path uses it too.  Guest memory, which VMMs write through
 * their mappings, is written back at an orderly reboot (panic.c).
 */
void fastboot_region_flush(struct fastboot_region *reg, u64 off, u64 len)
{
	while (len) {
		unsigned int n = min_t(u64, len, SZ_1G);

		clflush_cache_range(reg->map.base + off, n);
		off += n;
		len -= n;
	}
}

static void region_write(struct fb_region *r, uint64_t off, const void *src,
			 size_t len)
{
	memcpy(r->base + off, src, len);
	clflush_cache_range(r->base + off, len);
}

/**
 * fastboot_region_claim() - validate, claim and map the range.
 * Returns 0, -EINVAL for a bad range, -EBUSY when it is taken, or -ENOMEM.
 * Each failure logs one line saying why.
 */
int fastboot_region_claim(struct fastboot_region *reg, phys_addr_t start,
			  u64 size)
{
	u64 end = start + size - 1;
	void *base;

	if (!size || !PAGE_ALIGNED(start) || !PAGE_ALIGNED(size)) {
		pr_err("region %#llx+%#llx: must be non-empty and page aligned\n",
		       (u64)start, size);
		return -EINVAL;
	}
	if (end < start) {
		pr_err("region %#llx+%#llx: wraps around the address space\n",
		       (u64)start, size);
		return -EINVAL;
	}
	if (size < FB_MIN_REGION) {
		pr_err("region %#llx+%#llx: smaller than the minimum of %llu MiB\n",
		       (u64)start, size, FB_MIN_REGION >> 20);
		return -EINVAL;
	}
	if (region_intersects(start, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("region %#llx-%#llx overlaps System RAM; reserve it with memmap=%lluM$%#llx\n",
		       (u64)start, end, size >> 20, (u64)start);
		return -EINVAL;
	}
	if (!covered_by(IORES_DESC_RESERVED, start, end) &&
	    !covered_by(IORES_DESC_PERSISTENT_MEMORY_LEGACY, start, end)) {
		pr_err("region %#llx-%#llx is not reserved memory; reserve it with memmap=%lluM$%#llx\n",
		       (u64)start, end, size >> 20, (u64)start);
		return -EINVAL;
	}
	reg->res = request_mem_region_exclusive(start, size, "fastboot");
	if (!reg->res) {
		pr_err("region %#llx-%#llx is already claimed (see /proc/iomem)\n",
		       (u64)start, end);
		return -EBUSY;
	}
	base = memremap(start, size, MEMREMAP_WB);
	if (!base) {
		pr_err("region %#llx-%#llx: cannot map it write-back\n",
		       (u64)start, end);
		release_mem_region(start, size);
		reg->res = NULL;
		return -ENOMEM;
	}
	reg->start = start;
	reg->size = size;
	reg->map.base = base;
	reg->map.bytes = size;
	reg->map.write = region_write;
	return 0;
}

void fastboot_region_release(struct fastboot_region *reg)
{
	if (reg->map.base)
		memunmap(reg->map.base);
	if (reg->res)
		release_mem_region(reg->start, reg->size);
	memset(reg, 0, sizeof(*reg));
}
