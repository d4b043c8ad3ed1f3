/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastboot: differences between kernel versions, and nothing else.
 * Core files use the fastboot_* names below and carry no version checks.
 */
#ifndef FASTBOOT_COMPAT_H
#define FASTBOOT_COMPAT_H

#include <linux/version.h>

/*
 * kmsg dumpers.  From 6.11 the callback gets a struct kmsg_dump_detail
 * instead of the reason.  FASTBOOT_KMSG_DUMPER(name, fn) defines a
 * callback "name" that calls void fn(enum kmsg_dump_reason).
 */
#include <linux/kmsg_dump.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#define FASTBOOT_KMSG_DUMPER(name, fn)					\
	static void name(struct kmsg_dumper *d,				\
			 struct kmsg_dump_detail *detail)		\
	{								\
		fn(detail->reason);					\
	}
#else
#define FASTBOOT_KMSG_DUMPER(name, fn)					\
	static void name(struct kmsg_dumper *d,				\
			 enum kmsg_dump_reason reason)			\
	{								\
		fn(reason);						\
	}
#endif

/*
 * Inode times: 6.6 made them private behind accessors and added
 * simple_inode_init_ts(); vm_flags became read-only behind vm_flags_set()
 * in 6.3.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
static inline void fastboot_inode_init_ts(struct inode *inode)
{
	simple_inode_init_ts(inode);
}
#else
static inline void fastboot_inode_init_ts(struct inode *inode)
{
	inode->i_atime = inode->i_mtime = inode->i_ctime = current_time(inode);
}
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
static inline void fastboot_vm_flags_set(struct vm_area_struct *vma,
					 vm_flags_t flags)
{
	vm_flags_set(vma, flags);
}
#else
static inline void fastboot_vm_flags_set(struct vm_area_struct *vma,
					 vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#endif

/* inode_operations take the mount's idmap from 6.3, its userns before. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define FASTBOOT_IDMAP_ARG struct mnt_idmap *idmap
#else
#define FASTBOOT_IDMAP_ARG struct user_namespace *mnt_userns
#endif

/*
 * Pseudo filesystems.  From 6.17 a superblock's default dentry operations
 * are set with set_default_d_op() (sb->s_d_op became private), and from
 * 6.18 generic_delete_inode() is called inode_just_drop().  Neither change
 * is visible to the preprocessor; checked against Debian's 6.1 and 6.12
 * (old names) and 7.2 (new names) headers.
 */
#include <linux/dcache.h>
#include <linux/fs.h>

static inline void fastboot_set_default_d_op(struct super_block *sb,
					     const struct dentry_operations *ops)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
	set_default_d_op(sb, ops);
#else
	sb->s_d_op = ops;
#endif
}

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 18, 0)
#define fastboot_drop_inode_delete inode_just_drop
#else
#define fastboot_drop_inode_delete generic_delete_inode
#endif

/*
 * d_revalidate gained the parent inode and a stable name in 6.14 (a
 * qstr that may point into the path being walked: not NUL-terminated).
 * FASTBOOT_D_REVALIDATE(cb, fn) defines the callback "cb" calling
 * int fn(struct dentry *, const char *name, unsigned int len,
 *        unsigned int flags).
 */
#include <linux/dcache.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 14, 0)
#define FASTBOOT_D_REVALIDATE(cb, fn)					\
	static int cb(struct inode *dir, const struct qstr *qname,	\
			struct dentry *d, unsigned int flags)		\
	{								\
		return fn(d, (const char *)qname->name, qname->len,	\
			  flags);					\
	}
#else
#define FASTBOOT_D_REVALIDATE(cb, fn)					\
	static int cb(struct dentry *d, unsigned int flags)		\
	{								\
		return fn(d, (const char *)d->d_name.name,		\
			  d->d_name.len, flags);			\
	}
#endif

/*
 * Is this reboot notification a kexec?  kernel_kexec() runs the reboot
 * notifiers through kernel_restart_prepare("kexec reboot"), so the
 * command is that string; a firmware reboot has NULL or the command given
 * to reboot(2).  The same on 6.1, 6.12 and 7.2 (kernel/kexec_core.c).
 */
#include <linux/reboot.h>
static inline bool fastboot_reboot_is_kexec(unsigned long action, void *data)
{
	return action == SYS_RESTART && data && !strcmp(data, "kexec reboot");
}

/*
 * Block devices (vdev.c).  From 6.9 blk_alloc_disk() takes the queue
 * limits and returns an ERR_PTR (before: a node, NULL on failure, and the
 * limits set on the queue after, with blk_queue_*(), which later kernels
 * dropped).  From 6.5 open gets the gendisk and a blk_mode_t, release the
 * gendisk alone (before: the block_device and an fmode_t, the gendisk and
 * an fmode_t).  FASTBOOT_BDEV_OPEN(cb, fn) defines the callback "cb"
 * calling int fn(struct gendisk *); FASTBOOT_BDEV_RELEASE(cb, fn) the one
 * calling void fn(struct gendisk *).
 */
#include <linux/blkdev.h>
#include <linux/err.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
static inline struct gendisk *fastboot_alloc_disk(unsigned int block_size)
{
	struct queue_limits lim = {
		.logical_block_size = block_size,
		.physical_block_size = block_size,
		.io_min = block_size,
	};

	return blk_alloc_disk(&lim, NUMA_NO_NODE);
}
#else
static inline struct gendisk *fastboot_alloc_disk(unsigned int block_size)
{
	struct gendisk *disk = blk_alloc_disk(NUMA_NO_NODE);

	if (!disk)
		return ERR_PTR(-ENOMEM);
	blk_queue_logical_block_size(disk->queue, block_size);
	blk_queue_physical_block_size(disk->queue, block_size);
	blk_queue_io_min(disk->queue, block_size);
	return disk;
}
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#define FASTBOOT_BDEV_OPEN(cb, fn)					\
	static int cb(struct gendisk *disk, blk_mode_t mode)		\
	{								\
		return fn(disk);					\
	}
#define FASTBOOT_BDEV_RELEASE(cb, fn)					\
	static void cb(struct gendisk *disk)				\
	{								\
		fn(disk);						\
	}
#else
#define FASTBOOT_BDEV_OPEN(cb, fn)					\
	static int cb(struct block_device *bdev, fmode_t mode)		\
	{								\
		return fn(bdev->bd_disk);				\
	}
#define FASTBOOT_BDEV_RELEASE(cb, fn)					\
	static void cb(struct gendisk *disk, fmode_t mode)		\
	{								\
		fn(disk);						\
	}
#endif

/*
 * Guest memory with struct pages (guestpages.c): what drivers/dax/device.c
 * does on each version, checked against Debian's 6.1, 6.12 and 7.2
 * sources (mm/huge_memory.c, mm/memory.c, mm/gup.c); the versions in
 * between are where the upstream interfaces changed, not tested.
 *
 * - huge_fault() takes an enum page_entry_size before 6.6 and an order
 *   from 6.6.  FASTBOOT_HUGE_FAULT(cb, fn) defines the callback "cb"
 *   calling vm_fault_t fn(struct vm_fault *, unsigned int order).
 *
 * - Before 6.15 (6.1, 6.12) device memory is mapped by PFN with
 *   pfn_t PFN_DEV|PFN_MAP ("devmap" entries): the mapping holds no page
 *   reference, get_user_pages() finds the page through its dev_pagemap.
 *   From 6.15 (7.2) pfn_t and devmap entries are gone: the folio is
 *   inserted (vmf_insert_folio_pmd(), vmf_insert_page_mkwrite()), and each
 *   mapping holds a reference and an rmap count, as for the page cache;
 *   a PMD needs a folio of exactly PMD order, a PUD one of PUD order, so
 *   with 2 MiB folios there are no PUD mappings on these kernels.
 *
 * - Which VMAs get huge faults at all: on 6.1 only anonymous and DAX ones
 *   (hugepage_vma_check(): vma_is_dax(), else VM_NO_KHUGEPAGED and
 *   non-anonymous VMAs are refused even in a fault), so the inode gets
 *   S_DAX, as device-dax's does.  S_DAX on a regular file also makes it
 *   "fsdax" for get_user_pages(), which refuses FOLL_LONGTERM on it
 *   (check_vma_flags(): EOPNOTSUPP).  On 6.12 a file VMA with a
 *   huge_fault handler gets PMD faults (and PUD ones when VM_PFNMAP or
 *   VM_MIXEDMAP) when THP is enabled ("always", or "madvise" with
 *   VM_HUGEPAGE); a devmap PMD must be in a "special" VMA (vma_is_dax()
 *   or VM_PFNMAP/VM_MIXEDMAP) or zap_huge_pmd() and __split_huge_pmd()
 *   take it for a refcounted THP: VM_MIXEDMAP, and no S_DAX, so long-term
 *   pins work.  On 7.2 the mappings are refcounted and the VMA must not
 *   be special: VM_HUGEPAGE alone.
 */
#include <linux/huge_mm.h>
#include <linux/memremap.h>

#define FASTBOOT_PMD_ORDER (PMD_SHIFT - PAGE_SHIFT)
#define FASTBOOT_PUD_ORDER (PUD_SHIFT - PAGE_SHIFT)

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#define FASTBOOT_HUGE_FAULT(cb, fn)					\
	static vm_fault_t cb(struct vm_fault *vmf, unsigned int order)	\
	{								\
		return fn(vmf, order);					\
	}
#else
#define FASTBOOT_HUGE_FAULT(cb, fn)					\
	static vm_fault_t cb(struct vm_fault *vmf,			\
			     enum page_entry_size pe)			\
	{								\
		return fn(vmf, pe == PE_SIZE_PUD ? FASTBOOT_PUD_ORDER :	\
			       pe == PE_SIZE_PMD ? FASTBOOT_PMD_ORDER : 0);	\
	}
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 15, 0)
#define FASTBOOT_GUEST_VM_FLAGS VM_HUGEPAGE
#define FASTBOOT_GUEST_INODE_FLAGS 0

/* Map pfn, the first of 1 << order pages, at vmf (aligned by the caller). */
static inline vm_fault_t fastboot_vmf_insert(struct vm_fault *vmf,
					     unsigned long pfn,
					     unsigned int order, bool write)
{
	struct page *page = pfn_to_page(pfn);

	if (order == 0)
		return vmf_insert_page_mkwrite(vmf, page, write);
	if (order == FASTBOOT_PMD_ORDER &&
	    folio_order(page_folio(page)) == FASTBOOT_PMD_ORDER)
		return vmf_insert_folio_pmd(vmf, page_folio(page), write);
	return VM_FAULT_FALLBACK;
}
#else
#include <linux/pfn_t.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#define FASTBOOT_GUEST_VM_FLAGS (VM_HUGEPAGE | VM_MIXEDMAP)
#define FASTBOOT_GUEST_INODE_FLAGS 0
#else
#define FASTBOOT_GUEST_VM_FLAGS VM_HUGEPAGE
#define FASTBOOT_GUEST_INODE_FLAGS S_DAX
#endif

static inline vm_fault_t fastboot_vmf_insert(struct vm_fault *vmf,
					     unsigned long pfn,
					     unsigned int order, bool write)
{
	pfn_t p = __pfn_to_pfn_t(pfn, PFN_DEV | PFN_MAP);

	if (order == 0)
		return vmf_insert_mixed(vmf->vma, vmf->address, p);
	if (order == FASTBOOT_PMD_ORDER)
		return vmf_insert_pfn_pmd(vmf, p, write);
#ifdef CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD
	if (order == FASTBOOT_PUD_ORDER)
		return vmf_insert_pfn_pud(vmf, p, write);
#endif
	return VM_FAULT_FALLBACK;
}
#endif

#endif /* FASTBOOT_COMPAT_H */
