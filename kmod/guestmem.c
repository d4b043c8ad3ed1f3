// SPDX-License-Identifier: GPL-2.0
/*
 * fastboot: guest memory.  fastbootfs shows each guest memory region of
 * the store as a regular file that an unmodified VMM maps, e.g. QEMU's
 * memory-backend-file with share=on:
 *
 *   mount -t fastbootfs fastboot /run/fastboot/guest
 *
 * read, write and mmap(MAP_SHARED) work on the files; their size is the
 * region's and cannot change; their mode and owner are the region's.  A
 * region that is open or mapped cannot be removed.  Mappings are PFN maps
 * of the region's pages (see Documentation/guest-memory.rst for what that
 * means for get_user_pages() users).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/uaccess.h>
#include "compat.h"
#include "fastboot.h"

#define FASTBOOTFS_MAGIC 0x46424753	/* "FBGS" */

static const struct inode_operations fastbootfs_dir_iops;
static const struct file_operations fastbootfs_dir_fops;
static const struct file_operations fastbootfs_file_fops;
static const struct inode_operations fastbootfs_file_iops;

/* The object behind an inode: slot index, or -ENOENT if it went away. */
static int guest_slot(struct fastboot_store *st, struct file *file)
{
	return fastboot_store_guest_find(st, file->f_path.dentry->d_name.name,
					 file_inode(file)->i_ino);
}

static struct inode *guest_inode(struct super_block *sb,
				 const struct fb_object *o)
{
	struct inode *inode = new_inode(sb);

	if (!inode)
		return NULL;
	inode->i_ino = o->id;
	inode->i_mode = S_IFREG | (o->mode & 0777);
	inode->i_uid = make_kuid(&init_user_ns, o->uid);
	inode->i_gid = make_kgid(&init_user_ns, o->gid);
	inode->i_size = o->size;
	inode->i_op = &fastbootfs_file_iops;
	inode->i_fop = &fastbootfs_file_fops;
	fastboot_inode_init_ts(inode);
	return inode;
}

static struct dentry *fastbootfs_lookup(struct inode *dir,
					struct dentry *dentry,
					unsigned int flags)
{
	struct fastboot_store *st = &fastboot_store;
	struct inode *inode = NULL;
	int idx;

	mutex_lock(&st->lock);
	idx = fastboot_store_guest_find(st, dentry->d_name.name, 0);
	if (idx >= 0) {
		inode = guest_inode(dir->i_sb, &st->cur->obj[idx]);
		if (!inode) {
			mutex_unlock(&st->lock);
			return ERR_PTR(-ENOMEM);
		}
	}
	mutex_unlock(&st->lock);
	return d_splice_alias(inode, dentry);
}

static int fastbootfs_readdir(struct file *file, struct dir_context *ctx)
{
	struct fastboot_store *st = &fastboot_store;
	int i;

	if (!dir_emit_dots(file, ctx))
		return 0;
	mutex_lock(&st->lock);
	/* Positions 2.. are object table slots + 2. */
	for (i = ctx->pos - 2; st->state == FB_STATE_READY &&
	     i < FB_MAX_OBJECTS; i++, ctx->pos++) {
		const struct fb_object *o = &st->cur->obj[i];

		if (o->type != FB_OBJ_GUEST)
			continue;
		if (!dir_emit(ctx, o->name, strnlen(o->name, FB_NAME_MAX),
			      o->id, DT_REG))
			break;
	}
	mutex_unlock(&st->lock);
	return 0;
}

static int fastbootfs_open(struct inode *inode, struct file *file)
{
	struct fastboot_store *st = &fastboot_store;
	int idx;

	mutex_lock(&st->lock);
	idx = guest_slot(st, file);
	if (idx >= 0)
		st->users[idx]++;
	mutex_unlock(&st->lock);
	if (idx < 0)
		return -ESTALE;
	file->private_data = (void *)(long)idx;
	return 0;
}

static int fastbootfs_release(struct inode *inode, struct file *file)
{
	struct fastboot_store *st = &fastboot_store;

	mutex_lock(&st->lock);
	st->users[(long)file->private_data]--;
	mutex_unlock(&st->lock);
	return 0;
}

/* Copy between user memory and the object at *pos; write if to_obj. */
static ssize_t guest_rw(struct file *file, char __user *ubuf, size_t len,
			loff_t *pos, bool to_obj)
{
	struct fastboot_store *st = &fastboot_store;
	int idx = (long)file->private_data;
	const struct fb_extent *e;
	u64 size, off = *pos;
	u32 cursor = 0;
	ssize_t done = 0;

	if (*pos < 0)
		return -EINVAL;
	mutex_lock(&st->lock);
	size = st->cur->obj[idx].size;
	if (off >= size) {
		mutex_unlock(&st->lock);
		return to_obj && len ? -ENOSPC : 0;
	}
	len = min_t(u64, len, size - off);
	while (len && (e = fb_obj_next_extent(st->cur, idx, &cursor))) {
		u64 first = (u64)e->offset << PAGE_SHIFT;
		u64 last = first + ((u64)e->pages << PAGE_SHIFT);
		u8 *p;
		size_t n;
		unsigned long left;

		if (off >= last)
			continue;
		p = st->region.map.base + FB_DATA_OFFSET +
		    ((u64)e->start << PAGE_SHIFT) + (off - first);
		n = min_t(u64, len, last - off);
		left = to_obj ? copy_from_user(p, ubuf + done, n) :
				copy_to_user(ubuf + done, p, n);
		n -= left;
		done += n;
		off += n;
		len -= n;
		if (left) {
			if (!done)
				done = -EFAULT;
			break;
		}
	}
	mutex_unlock(&st->lock);
	if (done > 0)
		*pos = off;
	return done;
}

static ssize_t fastbootfs_read(struct file *file, char __user *buf,
			       size_t len, loff_t *pos)
{
	return guest_rw(file, buf, len, pos, false);
}

static ssize_t fastbootfs_write(struct file *file, const char __user *buf,
				size_t len, loff_t *pos)
{
	return guest_rw(file, (char __user *)buf, len, pos, true);
}

/* Map the region's pages straight into the VMM: a shared PFN mapping. */
static int fastbootfs_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct fastboot_store *st = &fastboot_store;
	int idx = (long)file->private_data;
	unsigned long first = vma->vm_pgoff;
	unsigned long pages = vma_pages(vma);
	const struct fb_extent *e;
	u32 cursor = 0;
	int ret = 0;

	/* MAP_SHARED (VM_MAYSHARE; VM_SHARED only when writable). */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;	/* no private copies of guest memory */
	mutex_lock(&st->lock);
	if (first + pages > fb_pages(st->cur->obj[idx].size) ||
	    first + pages < first) {
		ret = -EINVAL;
		goto out;
	}
	fastboot_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	while (!ret && (e = fb_obj_next_extent(st->cur, idx, &cursor))) {
		unsigned long from = max_t(unsigned long, first, e->offset);
		unsigned long to = min_t(unsigned long, first + pages,
					 (unsigned long)e->offset + e->pages);
		phys_addr_t pa;

		if (from >= to)
			continue;
		pa = st->region.start + FB_DATA_OFFSET +
		     ((u64)(e->start + (from - e->offset)) << PAGE_SHIFT);
		ret = remap_pfn_range(vma, vma->vm_start + ((from - first) << PAGE_SHIFT),
				      PHYS_PFN(pa), (to - from) << PAGE_SHIFT,
				      vma->vm_page_prot);
	}
out:
	mutex_unlock(&st->lock);
	return ret;
}

/* The size is the region's: only a no-op truncate is accepted. */
static int fastbootfs_setattr(FASTBOOT_IDMAP_ARG, struct dentry *dentry,
			      struct iattr *attr)
{
	if ((attr->ia_valid & ATTR_SIZE) &&
	    attr->ia_size != i_size_read(d_inode(dentry)))
		return -EPERM;
	if (attr->ia_valid & (ATTR_MODE | ATTR_UID | ATTR_GID))
		return -EPERM;
	return 0;
}

static const struct file_operations fastbootfs_file_fops = {
	.owner = THIS_MODULE,
	.open = fastbootfs_open,
	.release = fastbootfs_release,
	.read = fastbootfs_read,
	.write = fastbootfs_write,
	.mmap = fastbootfs_mmap,
	.llseek = generic_file_llseek,
	.fsync = noop_fsync,
};

static const struct inode_operations fastbootfs_file_iops = {
	.setattr = fastbootfs_setattr,
};

static const struct inode_operations fastbootfs_dir_iops = {
	.lookup = fastbootfs_lookup,
};

static const struct file_operations fastbootfs_dir_fops = {
	.owner = THIS_MODULE,
	.iterate_shared = fastbootfs_readdir,
	.llseek = generic_file_llseek,
	.read = generic_read_dir,
};

/* Nothing is cached: every lookup asks the store. */
static const struct dentry_operations fastbootfs_dops = {
	.d_delete = always_delete_dentry,
};

static const struct super_operations fastbootfs_sops = {
	.statfs = simple_statfs,
	.drop_inode = fastboot_drop_inode_delete,
};

static int fastbootfs_fill_super(struct super_block *sb,
				 struct fs_context *fc)
{
	struct inode *root;

	sb->s_magic = FASTBOOTFS_MAGIC;
	sb->s_op = &fastbootfs_sops;
	fastboot_set_default_d_op(sb, &fastbootfs_dops);
	sb->s_time_gran = 1;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	sb->s_maxbytes = MAX_LFS_FILESIZE;
	root = new_inode(sb);
	if (!root)
		return -ENOMEM;
	root->i_ino = 1;
	root->i_mode = S_IFDIR | 0755;
	root->i_op = &fastbootfs_dir_iops;
	root->i_fop = &fastbootfs_dir_fops;
	set_nlink(root, 2);
	fastboot_inode_init_ts(root);
	sb->s_root = d_make_root(root);
	return sb->s_root ? 0 : -ENOMEM;
}

static int fastbootfs_get_tree(struct fs_context *fc)
{
	return get_tree_single(fc, fastbootfs_fill_super);
}

static const struct fs_context_operations fastbootfs_context_ops = {
	.get_tree = fastbootfs_get_tree,
};

static int fastbootfs_init_fs_context(struct fs_context *fc)
{
	fc->ops = &fastbootfs_context_ops;
	return 0;
}

static struct file_system_type fastbootfs_type = {
	.owner = THIS_MODULE,
	.name = "fastbootfs",
	.init_fs_context = fastbootfs_init_fs_context,
	.kill_sb = kill_anon_super,
};

int fastboot_guestfs_init(void)
{
	return register_filesystem(&fastbootfs_type);
}

void fastboot_guestfs_exit(void)
{
	unregister_filesystem(&fastbootfs_type);
}
