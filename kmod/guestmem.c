// SPDX-License-Identifier: GPL-2.0
/*
 * fastboot: guest memory.  fastbootfs shows each guest memory region of
 * the store as a regular file that an unmodified VMM maps, e.g. QEMU's
 * memory-backend-file with share=on:
 *
 *   mount -t fastbootfs fastboot /run/fastboot/guest
 *
 * read, write and mmap(MAP_SHARED) work on the files; their size is the
 * region's and cannot change; their mode and owner are the region's.
 * open(O_CREAT) of a new name (CAP_SYS_ADMIN) gives an empty file that is
 * in no store yet; the first ftruncate() of that descriptor to a non-zero
 * size creates the region (zeroed, 2 MiB aligned extents, the file's mode
 * and owner), as `fastboot guest create` does, and binds the file to it;
 * closed before that, nothing was created.  A
 * region that is open or mapped cannot be removed; a store attached
 * read-only refuses opens for writing.  Mappings are made by the fault
 * handlers of guestpages.c, 2 MiB at a time where aligned, over pages
 * with struct pages (so get_user_pages() works on them), or are PFN maps
 * where the region has no struct pages (see
 * Documentation/guest-memory.rst).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "compat.h"
#include "fastboot.h"
#include "guestpages.h"

#define FASTBOOTFS_MAGIC 0x46424753	/* "FBGS" */

static const struct inode_operations fastbootfs_dir_iops;
static const struct file_operations fastbootfs_dir_fops;
static const struct file_operations fastbootfs_file_fops;
static const struct inode_operations fastbootfs_file_iops;

/*
 * inode->i_private of a name made by open(O_CREAT) and not yet a region;
 * NULL for every region's inode.
 */
#define GUEST_NEW ((void *)1)		/* created, not opened yet */
#define GUEST_NEW_OPEN ((void *)2)	/* opened by its creator */

/* The object id behind a guest file's inode. */
static u64 inode_object_id(const struct inode *inode)
{
	return inode->i_ino - 1;	/* see fastboot_guest_ino() */
}

static struct inode *guest_inode(struct super_block *sb,
				 const struct fb_object *o)
{
	struct inode *inode = new_inode(sb);

	if (!inode)
		return NULL;
	inode->i_ino = fastboot_guest_ino(o->id);
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

/*
 * A cached dentry is still right if the store has the same object under
 * that name (or, for a negative one, still none).  Dentries are dropped
 * at their last reference, but an O_PATH open or a cwd pins one across a
 * "guest rm; guest create" of the same name: without this, every later
 * open of the name would find the old inode and fail with ESTALE.
 */
static int guest_revalidate(struct dentry *dentry, const char *name,
			    unsigned int len, unsigned int flags)
{
	struct fastboot_store *st = &fastboot_store;
	char buf[FB_NAME_MAX];
	struct inode *inode;
	int idx = -ENOENT, valid;

	if (flags & LOOKUP_RCU)
		return -ECHILD;
	if (IS_ROOT(dentry))
		return 1;
	inode = d_inode(dentry);
	if (len < sizeof(buf)) {
		memcpy(buf, name, len);
		buf[len] = 0;
	}
	mutex_lock(&st->lock);
	if (len < sizeof(buf))
		idx = fastboot_store_guest_find(st, buf, 0);
	if (!inode)
		valid = idx < 0;
	else
		valid = idx >= 0 &&
			st->cur->obj[idx].id == inode_object_id(inode);
	mutex_unlock(&st->lock);
	return valid;
}

FASTBOOT_D_REVALIDATE(fastbootfs_d_revalidate, guest_revalidate)

struct guest_dirent {
	char name[FB_NAME_MAX];
	u64 ino;
	u32 slot;
};

/*
 * Positions 2.. are object table slots + 2.  The entries are copied out
 * of the table under the lock and emitted after it: dir_emit() writes to
 * user memory, which may fault.
 */
static int fastbootfs_readdir(struct file *file, struct dir_context *ctx)
{
	struct fastboot_store *st = &fastboot_store;
	struct guest_dirent *ents;
	/* The table of any store of this region has at most cap slots. */
	int i, n = 0, cap = (int)st->cap_objects;

	if (!dir_emit_dots(file, ctx))
		return 0;
	/* ctx->pos is 64 bits, and anyone may lseek() the directory. */
	if (ctx->pos < 2 || ctx->pos >= 2 + cap)
		return 0;
	ents = kvmalloc_array(cap, sizeof(*ents), GFP_KERNEL);
	if (!ents)
		return -ENOMEM;
	mutex_lock(&st->lock);
	for (i = ctx->pos - 2; st->state == FB_STATE_READY &&
	     i < (int)st->cur->sb.max_objects; i++) {
		const struct fb_object *o = &st->cur->obj[i];

		if (o->type != FB_OBJ_GUEST)
			continue;
		memcpy(ents[n].name, o->name, FB_NAME_MAX);
		ents[n].ino = fastboot_guest_ino(o->id);
		ents[n].slot = i;
		n++;
	}
	mutex_unlock(&st->lock);
	for (i = 0; i < n; i++) {
		ctx->pos = 2 + ents[i].slot;
		if (!dir_emit(ctx, ents[i].name,
			      strnlen(ents[i].name, FB_NAME_MAX), ents[i].ino,
			      DT_REG))
			goto out;
	}
	ctx->pos = 2 + cap;
out:
	kvfree(ents);
	return 0;
}

/*
 * The name of dentry as the store keeps names: NUL-padded in
 * FB_NAME_MAX bytes, checked (fb_name_valid()).
 */
static int guest_name(const struct dentry *dentry, char name[FB_NAME_MAX])
{
	memset(name, 0, FB_NAME_MAX);
	if (dentry->d_name.len >= FB_NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(name, dentry->d_name.name, dentry->d_name.len);
	return fb_name_valid(name, FB_NAME_MAX);
}

/*
 * open(O_CREAT) of a name the store does not have: an empty file, in no
 * store, that the creator's open gets (once) and its first ftruncate()
 * makes a region (guest_bind()).  Checked here too, so that a VMM sees a
 * refusal at its open rather than at the mmap after an ftruncate it may
 * not check (QEMU ignores its result).
 */
static int fastbootfs_create(FASTBOOT_IDMAP_ARG, struct inode *dir,
			     struct dentry *dentry, umode_t mode, bool excl)
{
	struct fastboot_store *st = &fastboot_store;
	char name[FB_NAME_MAX];
	struct inode *inode;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = guest_name(dentry, name);
	if (ret)
		return ret;
	if (!S_ISREG(mode))
		return -EINVAL;
	mutex_lock(&st->lock);
	if (st->state != FB_STATE_READY)
		ret = -ENODEV;
	else if (st->readonly)
		ret = -EROFS;
	else if (st->sealed)
		ret = -ESHUTDOWN;
	mutex_unlock(&st->lock);
	if (ret)
		return ret;
	inode = new_inode(dir->i_sb);
	if (!inode)
		return -ENOMEM;
	/* far above any object's (fastboot_guest_ino()) until it is one */
	inode->i_ino = ULONG_MAX - get_next_ino();
	inode->i_mode = S_IFREG | (mode & 0777);
	inode->i_uid = current_fsuid();
	inode->i_gid = current_fsgid();
	inode->i_size = 0;
	inode->i_op = &fastbootfs_file_iops;
	inode->i_fop = &fastbootfs_file_fops;
	inode->i_private = GUEST_NEW;
	fastboot_inode_init_ts(inode);
	d_instantiate(dentry, inode);
	return 0;
}

/*
 * The creator's ftruncate() to size: create the region and bind the file
 * to it (inode lock held).  The inode becomes the region's: its number,
 * size and (on kernels that use it) S_DAX; other opens then go through
 * the store as for any region.
 */
static int guest_bind(struct dentry *dentry, struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	struct file *file = attr->ia_valid & ATTR_FILE ? attr->ia_file : NULL;
	struct fastboot_obj_map *map;
	char name[FB_NAME_MAX];
	int ret;

	if (!file || file_inode(file) != inode || file->private_data ||
	    inode->i_private != GUEST_NEW_OPEN)
		return -EPERM;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = guest_name(dentry, name);
	if (ret)
		return ret;
	map = fastboot_store_guest_create_open(&fastboot_store, name, attr->ia_size,
			inode->i_mode & 0777,
			from_kuid(&init_user_ns, inode->i_uid),
			from_kgid(&init_user_ns, inode->i_gid));
	if (IS_ERR(map))
		return PTR_ERR(map);
	inode->i_ino = fastboot_guest_ino(map->id);
	i_size_write(inode, map->size);
	fastboot_guest_pages_open(inode, map);
	/* read, write and mmap of this file see a complete map */
	smp_store_release(&file->private_data, map);
	smp_store_release(&inode->i_private, NULL);
	return 0;
}

static int fastbootfs_open(struct inode *inode, struct file *file)
{
	struct fastboot_obj_map *map;

	if (smp_load_acquire(&inode->i_private)) {
		/* a new name: its creator's open, once (no region yet) */
		if (cmpxchg(&inode->i_private, GUEST_NEW, GUEST_NEW_OPEN) !=
		    GUEST_NEW)
			return -ESTALE;
		file->private_data = NULL;
		return 0;
	}
	map = fastboot_store_guest_open(&fastboot_store,
					file->f_path.dentry->d_name.name,
					inode_object_id(inode),
					file->f_mode & FMODE_WRITE);
	if (IS_ERR(map))
		return PTR_ERR(map);
	file->private_data = map;
	fastboot_guest_pages_open(inode, map);
	return 0;
}

static int fastbootfs_release(struct inode *inode, struct file *file)
{
	/* NULL: a new name never truncated, nothing in the store */
	if (file->private_data)
		fastboot_store_guest_close(&fastboot_store, file->private_data);
	return 0;
}

/* The extent of map holding file byte off, or NULL. */
static const struct fastboot_obj_ext *
guest_ext_at(const struct fastboot_obj_map *map, u64 off)
{
	u64 page = off >> FB_PAGE_SHIFT;
	u32 i;

	for (i = 0; i < map->nr; i++)
		if (page >= map->ext[i].offset &&
		    page - map->ext[i].offset < map->ext[i].pages)
			return &map->ext[i];
	return NULL;
}

#define GUEST_CHUNK (1u << 20)	/* bytes copied between reschedules */

/*
 * Copy between user memory and the region at *pos; write if to_obj.  No
 * lock: the extents were copied at open and stay the file's while it is
 * open.  A chunk at a time, stopping early for a fatal signal.
 */
static ssize_t guest_rw(struct file *file, char __user *ubuf, size_t len,
			loff_t *pos, bool to_obj)
{
	const struct fastboot_obj_map *map = smp_load_acquire(&file->private_data);
	u8 *data = fastboot_store.region.map.base + FB_DATA_OFFSET;
	u64 off = *pos;
	ssize_t done = 0;

	if (*pos < 0)
		return -EINVAL;
	if (!map)	/* a new name, no region yet: an empty file */
		return to_obj && len ? -ENOSPC : 0;
	if (off >= map->size)
		return to_obj && len ? -ENOSPC : 0;
	len = min_t(u64, len, map->size - off);
	while (len) {
		const struct fastboot_obj_ext *e = guest_ext_at(map, off);
		u64 first, last;
		unsigned long left;
		size_t n;
		u8 *p;

		if (!e)
			break;
		first = e->offset << FB_PAGE_SHIFT;
		last = first + (e->pages << FB_PAGE_SHIFT);
		p = data + (e->start << FB_PAGE_SHIFT) + (off - first);
		n = min_t(u64, min_t(u64, len, last - off), GUEST_CHUNK);
		left = to_obj ? copy_from_user(p, ubuf + done, n) :
				copy_to_user(ubuf + done, p, n);
		n -= left;
		done += n;
		off += n;
		len -= n;
		if (left) {
			if (!done)
				return -EFAULT;
			break;
		}
		if (len && fatal_signal_pending(current))
			break;
		cond_resched();
	}
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

/*
 * Map the region's pages straight into the VMM: faulted in with struct
 * pages and huge entries (guestpages.c), or, where the region has no
 * struct pages, a shared PFN mapping made here.  Called with mmap_lock
 * held for writing: it takes no store lock.
 */
static int fastbootfs_mmap(struct file *file, struct vm_area_struct *vma)
{
	const struct fastboot_obj_map *map = smp_load_acquire(&file->private_data);
	unsigned long first = vma->vm_pgoff;
	unsigned long pages = vma_pages(vma);
	phys_addr_t data = fastboot_store.region.start + FB_DATA_OFFSET;
	int ret = 0;
	u32 i;

	/* MAP_SHARED (VM_MAYSHARE; VM_SHARED only when writable). */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;	/* no private copies of guest memory */
	if (!map)
		return -EINVAL;	/* a new name, no region yet: nothing to map */
	if (first + pages > fb_pages(map->size) || first + pages < first)
		return -EINVAL;
	fastboot_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	ret = fastboot_guest_pages_mmap(vma, map);
	if (ret != -ENODEV)
		return ret;
	ret = 0;
	for (i = 0; !ret && i < map->nr; i++) {
		const struct fastboot_obj_ext *e = &map->ext[i];
		unsigned long from = max_t(unsigned long, first, e->offset);
		unsigned long to = min_t(unsigned long, first + pages,
					 e->offset + e->pages);

		if (from >= to)
			continue;
		ret = remap_pfn_range(vma,
				      vma->vm_start + ((from - first) << PAGE_SHIFT),
				      PHYS_PFN(data) + e->start + (from - e->offset),
				      (to - from) << PAGE_SHIFT, vma->vm_page_prot);
	}
	return ret;
}

/*
 * The size is the region's: only a no-op truncate is accepted, and the
 * first ftruncate() of a new name to a non-zero size, which creates its
 * region.  A region never shrinks or grows, mapped, pinned or not.
 */
static int fastbootfs_setattr(FASTBOOT_IDMAP_ARG, struct dentry *dentry,
			      struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);

	if (attr->ia_valid & (ATTR_MODE | ATTR_UID | ATTR_GID))
		return -EPERM;
	if (!(attr->ia_valid & ATTR_SIZE) ||
	    attr->ia_size == i_size_read(inode))
		return 0;
	if (inode->i_private)
		return guest_bind(dentry, attr);
	return -EPERM;
}

static const struct file_operations fastbootfs_file_fops = {
	.owner = THIS_MODULE,
	.open = fastbootfs_open,
	.release = fastbootfs_release,
	.read = fastbootfs_read,
	.write = fastbootfs_write,
	.mmap = fastbootfs_mmap,
	/* 2 MiB aligned (to the file offset) where the length allows it. */
	.get_unmapped_area = thp_get_unmapped_area,
	.llseek = generic_file_llseek,
	.fsync = noop_fsync,
};

static const struct inode_operations fastbootfs_file_iops = {
	.setattr = fastbootfs_setattr,
};

static const struct inode_operations fastbootfs_dir_iops = {
	.lookup = fastbootfs_lookup,
	.create = fastbootfs_create,
};

static const struct file_operations fastbootfs_dir_fops = {
	.owner = THIS_MODULE,
	.iterate_shared = fastbootfs_readdir,
	.llseek = generic_file_llseek,
	.read = generic_read_dir,
};

/* Nothing is kept: every lookup asks the store, pinned ones too. */
static const struct dentry_operations fastbootfs_dops = {
	.d_revalidate = fastbootfs_d_revalidate,
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
	root->i_ino = 1;	/* guest files: fastboot_guest_ino(id) >= 2 */
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
	int ret;

	fastboot_guest_pages_init(&fastboot_store.region);
	ret = register_filesystem(&fastbootfs_type);
	if (ret)
		fastboot_guest_pages_exit();
	return ret;
}

/* No guest file is open: each holds the module. */
void fastboot_guestfs_exit(void)
{
	unregister_filesystem(&fastbootfs_type);
	fastboot_guest_pages_exit();
}
