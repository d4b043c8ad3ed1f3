/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastboot: struct pages for guest memory (guestpages.c).
 */
#ifndef FASTBOOT_GUESTPAGES_H
#define FASTBOOT_GUESTPAGES_H

#include <linux/fs.h>
#include <linux/mm.h>
#include "fastboot.h"

/*
 * Give the data area of the store region struct pages (ZONE_DEVICE,
 * MEMORY_DEVICE_GENERIC, 2 MiB compound pages).  Not fatal: without them
 * guest files are mapped as PFN maps, as before.  May sleep.
 */
void fastboot_guest_pages_init(struct fastboot_region *reg);
/* Wait until no page is referenced (pinned) any more, then remove them. */
void fastboot_guest_pages_exit(void);

/*
 * Set up a shared mapping of an open guest file with struct pages and
 * huge faults: 0, or -ENODEV when the file's pages have none (the
 * caller maps it as a PFN map).  Called with mmap_lock held.
 */
int fastboot_guest_pages_mmap(struct vm_area_struct *vma,
			      const struct fastboot_obj_map *map);
/* An open of a guest file: inode flags its mappings need, if any. */
void fastboot_guest_pages_open(struct inode *inode,
			       const struct fastboot_obj_map *map);

/*
 * Is a page of object idx of m referenced by anything but the region
 * (get_user_pages pins and references: O_DIRECT in flight, a vmsplice'd
 * pipe, io_uring fixed buffers)?  Only meaningful when the object has
 * no users (no open file, so no mapping).  Takes no lock; bounded.
 */
bool fastboot_guest_pinned(struct fastboot_store *st, const struct fb_meta *m,
			   int idx);
/* The same for any page of the data area. */
bool fastboot_guest_pinned_any(void);

#endif /* FASTBOOT_GUESTPAGES_H */
