// SPDX-License-Identifier: GPL-2.0
/*
 * fastboot: struct pages for guest memory, the way device-dax gives them
 * to its memory (drivers/dax/device.c).
 *
 * The store region is reserved RAM: the kernel has no struct page for it,
 * so a plain mapping of a guest region is a PFN map, which
 * get_user_pages() refuses.  At load, the data area (all of the region
 * but its first 2 MiB of metadata) is given struct pages with
 * memremap_pages(): ZONE_DEVICE, MEMORY_DEVICE_GENERIC, in 2 MiB compound
 * pages (vmemmap_shift), write-back like the memremap() mapping the
 * module already has of the whole region (x86 allows overlapping
 * mappings of one memory type).  The on-RAM format does not change: the
 * pages are the same bytes, the struct pages live in System RAM.
 *
 * Guest files are then mapped from their fault handler: 2 MiB at a time
 * where the virtual address, the file offset and the extent allow it
 * (guest extents are 2 MiB aligned), 1 GiB where a whole aligned GiB of
 * one extent allows it and the kernel can (compat.h), 4 KiB otherwise.
 *
 * Lifetime.  A mapping holds its file open, and an object with open files
 * is never removed or reformatted (store.c).  A page reference taken by
 * get_user_pages() (a pin: io_uring fixed buffers, a pipe holding
 * vmsplice'd pages, O_DIRECT in flight) outlives both the mapping and the
 * file, so removing or reformatting also asks fastboot_guest_pinned():
 * a free page of this kind has a reference count of exactly 1 (its head
 * page, on every supported kernel), and with no file open nothing else
 * can hold one.  Module unload waits for every page to be free before
 * the struct pages go.  The reboot and panic paths do not touch any of
 * this: nothing here runs there.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/memory_hotplug.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include "compat.h"
#include "guestpages.h"

static bool guest_pages = true;
module_param(guest_pages, bool, 0444);
MODULE_PARM_DESC(guest_pages, "give guest memory struct pages (huge mappings, get_user_pages); 0: PFN maps");

#define FOLIO_PAGES (1UL << FASTBOOT_PMD_ORDER)

static struct {
	struct dev_pagemap pgmap;
	bool ready;
	unsigned long data_pfn;		/* first page of the data area */
	unsigned long first, end;	/* pfns with struct pages */
} gp;

void fastboot_guest_pages_init(struct fastboot_region *reg)
{
	phys_addr_t data = reg->start + FB_DATA_OFFSET;
	phys_addr_t end = data + (fb_data_pages_for(reg->size) << FB_PAGE_SHIFT);
	void *ret;

	gp.data_pfn = PHYS_PFN(data);
	if (!guest_pages || !IS_ENABLED(CONFIG_ZONE_DEVICE))
		return;
	/* Guest extents are 2 MiB aligned in the data area. */
	if (!IS_ALIGNED(data, SZ_2M)) {
		pr_info("guest memory: PFN maps only (the region does not start 2 MiB aligned)\n");
		return;
	}
	end = ALIGN_DOWN(end, SZ_2M);
	if (end <= data)
		return;
	gp.pgmap.type = MEMORY_DEVICE_GENERIC;
	gp.pgmap.range.start = data;
	gp.pgmap.range.end = end - 1;
	gp.pgmap.nr_range = 1;
	gp.pgmap.vmemmap_shift = FASTBOOT_PMD_ORDER;
	ret = memremap_pages(&gp.pgmap, memory_add_physaddr_to_nid(data));
	if (IS_ERR(ret)) {
		pr_warn("guest memory: PFN maps only (memremap_pages: %ld)\n",
			PTR_ERR(ret));
		memset(&gp.pgmap, 0, sizeof(gp.pgmap));
		return;
	}
	gp.first = PHYS_PFN(data);
	gp.end = PHYS_PFN(end);
	gp.ready = true;
	pr_info("guest memory: struct pages for %#llx-%#llx\n",
		(u64)data, (u64)end - 1);
}

/*
 * Folios in [pfn, end) referenced by more than the region itself.  One
 * read per 2 MiB (32768 for 64 GiB); callers may sleep.
 */
static unsigned long busy_folios(unsigned long pfn, unsigned long end)
{
	unsigned long n = 0, i = 0;

	pfn = max(ALIGN_DOWN(pfn, FOLIO_PAGES), gp.first);
	end = min(end, gp.end);
	for (; pfn < end; pfn += FOLIO_PAGES) {
		if (folio_ref_count(page_folio(pfn_to_page(pfn))) != 1)
			n++;
		if (++i % 4096 == 0)
			cond_resched();
	}
	return n;
}

bool fastboot_guest_pinned(struct fastboot_store *st, const struct fb_meta *m,
			   int idx)
{
	const struct fb_extent *e;
	u32 cursor = 0;

	if (!gp.ready || m->obj[idx].type != FB_OBJ_GUEST)
		return false;
	while ((e = fb_obj_next_extent(m, idx, &cursor)))
		if (busy_folios(gp.data_pfn + e->start,
				gp.data_pfn + e->start + e->pages))
			return true;
	return false;
}

bool fastboot_guest_pinned_any(void)
{
	return gp.ready && busy_folios(gp.first, gp.end);
}

void fastboot_guest_pages_exit(void)
{
	unsigned long n, waited;

	if (!gp.ready)
		return;
	/*
	 * No file is open (they hold the module): what is left are pins,
	 * e.g. an io_uring that still has fixed buffers registered.  Their
	 * struct pages must outlive them.
	 */
	for (waited = 0; (n = busy_folios(gp.first, gp.end)); waited++) {
		if (waited % 100 == 0)
			pr_warn("unload waits for %lu pinned 2 MiB pages of guest memory (io_uring fixed buffers, a pipe with vmsplice'd pages, O_DIRECT)\n",
				n);
		msleep(100);
	}
	gp.ready = false;
	memunmap_pages(&gp.pgmap);
	memset(&gp.pgmap, 0, sizeof(gp.pgmap));
}

/* Do pages [start, start + pages) of the data area have struct pages? */
static bool covered(u64 start, u64 pages)
{
	return gp.data_pfn + start >= gp.first &&
	       gp.data_pfn + start + pages <= gp.end;
}

static bool map_covered(const struct fastboot_obj_map *map)
{
	u32 i;

	if (!gp.ready)
		return false;
	for (i = 0; i < map->nr; i++)
		if (!covered(map->ext[i].start, map->ext[i].pages))
			return false;
	return true;
}

/*
 * Map the 1 << order pages around the fault with one entry, or tell the
 * kernel to try a smaller order.  The file's extents were copied at open
 * and cannot change while it is open: no lock.
 */
static vm_fault_t guest_fault_order(struct vm_fault *vmf, unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	const struct fastboot_obj_map *map = vma->vm_file->private_data;
	unsigned long size = PAGE_SIZE << order, nr = 1UL << order;
	unsigned long addr = ALIGN_DOWN(vmf->address, size);
	vm_fault_t fail = order ? VM_FAULT_FALLBACK : VM_FAULT_SIGBUS;
	const struct fastboot_obj_ext *e = NULL;
	unsigned long pfn;
	pgoff_t pgoff;
	u32 i;

	if (order && order != FASTBOOT_PMD_ORDER && order != FASTBOOT_PUD_ORDER)
		return VM_FAULT_FALLBACK;
	if (addr < vma->vm_start || addr + size > vma->vm_end)
		return fail;
	pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	for (i = 0; i < map->nr; i++) {
		if (pgoff >= map->ext[i].offset &&
		    pgoff - map->ext[i].offset < map->ext[i].pages) {
			e = &map->ext[i];
			break;
		}
	}
	if (!e || pgoff - e->offset + nr > e->pages)
		return fail;
	pfn = gp.data_pfn + e->start + (pgoff - e->offset);
	if (!IS_ALIGNED(pfn, nr))
		return VM_FAULT_FALLBACK;
	return fastboot_vmf_insert(vmf, pfn, order,
				   vmf->flags & FAULT_FLAG_WRITE);
}

FASTBOOT_HUGE_FAULT(guest_huge_fault, guest_fault_order)

static vm_fault_t guest_fault(struct vm_fault *vmf)
{
	return guest_fault_order(vmf, 0);
}

static const struct vm_operations_struct guest_vm_ops = {
	.fault = guest_fault,
	.huge_fault = guest_huge_fault,
};

int fastboot_guest_pages_mmap(struct vm_area_struct *vma,
			      const struct fastboot_obj_map *map)
{
	if (!map_covered(map))
		return -ENODEV;
	vma->vm_ops = &guest_vm_ops;
	fastboot_vm_flags_set(vma, FASTBOOT_GUEST_VM_FLAGS);
	return 0;
}

void fastboot_guest_pages_open(struct inode *inode,
			       const struct fastboot_obj_map *map)
{
	if (FASTBOOT_GUEST_INODE_FLAGS && map_covered(map))
		inode_set_flags(inode, FASTBOOT_GUEST_INODE_FLAGS,
				FASTBOOT_GUEST_INODE_FLAGS);
}
