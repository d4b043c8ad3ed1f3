// SPDX-License-Identifier: GPL-2.0
/*
 * fastboot: verified block devices over boot objects.
 *
 * /dev/fbvN is a read-only, bio-based block device over one boot object
 * of the store (a mount module of `fastboot boot`): a read copies from
 * the region, and each 4 KiB block is checked against a Merkle tree the
 * first time it is read, so the cost is proportional to the blocks read,
 * not to the object's size.  The tree is another boot object, in
 * dm-verity's format (uapi/fastboot.h, Documentation/verity.rst): the
 * leaf level holds the SHA-256 of each data block, each level above the
 * digests of the 4 KiB blocks of the level below, 128 to a block, and
 * the root hash, given when the device is created, is the digest of the
 * top block.  Verifying a block checks the tree blocks on its path that
 * were not checked before, top down, then the block itself; a bitmap per
 * device remembers what was checked (data and tree blocks), another what
 * failed.  A block that does not match fails the bio with BLK_STS_IOERR
 * (EIO to the reader) and is reported once, rate-limited:
 *
 *   fastboot: <object>: block N does not match its hash tree
 *
 * Both objects are pinned (st->users) while the device exists: the store
 * refuses to remove or replace them.  Their extents are copied when the
 * device is created, so reads take no store lock.  A block is hashed in
 * place in the region, then copied: the region is kernel memory that only
 * the store writes, and it never writes a pinned object.
 *
 * Locking: vdev_lock (a mutex, may be held across add_disk() and
 * del_gendisk()) guards the device list; it is taken before st->lock,
 * never under it.  Each device's open_lock guards its opener count and
 * its dying flag: a device being removed refuses opens, and an open
 * device is never removed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/hash.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/highmem.h>
#include <linux/idr.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include "compat.h"
#include "fastboot.h"
#include "uapi/fastboot.h"

#define VBLOCK_SHIFT	12			/* 4 KiB data and tree blocks */
#define VBLOCK_SIZE	(1u << VBLOCK_SHIFT)
#define DIGEST_SIZE	32			/* SHA-256 */
#define FANOUT_BITS	7			/* 128 digests per tree block */
#define MAX_LEVELS	8
#define MAX_VDEVS	256

static_assert(VBLOCK_SIZE == FB_PAGE_SIZE);
static_assert(VBLOCK_SIZE / DIGEST_SIZE == 1u << FANOUT_BITS);

struct vdev {
	struct list_head list;
	int index;
	struct gendisk *disk;
	struct fastboot_store *st;
	struct fastboot_obj_map *data, *tree;	/* pinned */
	u64 blocks;			/* data blocks */
	u64 tree_blocks;
	int levels;			/* 0: one data block, no tree */
	u64 level_start[MAX_LEVELS];	/* first tree block of level i (0: leaves) */
	u8 root[DIGEST_SIZE];
	char name[FB_NAME_MAX], tree_name[FB_NAME_MAX];
	/* bits 0..blocks-1: data blocks; then tree blocks */
	unsigned long *verified, *failed;
	atomic64_t n_verified, n_failed;
	spinlock_t open_lock;
	unsigned int openers;
	bool dying;
};

static DEFINE_MUTEX(vdev_lock);
static LIST_HEAD(vdevs);
static DEFINE_IDA(vdev_ida);

/* Where page page of a pinned object lies in the region (NULL: none). */
static const u8 *obj_page(struct fastboot_store *st,
			  const struct fastboot_obj_map *m, u64 page)
{
	u32 lo = 0, hi = m->nr;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		const struct fastboot_obj_ext *e = &m->ext[mid];

		if (page < e->offset)
			hi = mid;
		else if (page >= e->offset + e->pages)
			lo = mid + 1;
		else
			return fastboot_data_ptr(st, e->start + page - e->offset);
	}
	return NULL;
}

/*
 * The tree's shape for a number of data blocks, as dm-verity lays it out:
 * levels while (blocks - 1) >> (7 * levels) is not zero; level i has
 * ceil(blocks / 128^(i + 1)) blocks; the top level comes first.  Returns
 * the number of tree blocks.
 */
static u64 tree_shape(u64 blocks, int *levels, u64 *level_start)
{
	u64 pos = 0;
	int i, n = 0;

	while (n < MAX_LEVELS && ((blocks - 1) >> (FANOUT_BITS * n)))
		n++;
	for (i = n - 1; i >= 0; i--) {
		unsigned int shift = FANOUT_BITS * (i + 1);

		level_start[i] = pos;
		pos += (blocks + (1ull << shift) - 1) >> shift;
	}
	*levels = n;
	return pos;
}

/* Report a block that does not match, once. */
static void mismatch(struct vdev *v, u64 bit, const char *obj, u64 block)
{
	if (test_and_set_bit(bit, v->failed))
		return;
	atomic64_inc(&v->n_failed);
	pr_err_ratelimited("%s: block %llu does not match its hash tree\n",
			   obj, block);
}

/* Does the 4 KiB block at p hash to want? */
static int check(struct vdev *v, const u8 *p, const u8 *want)
{
	u8 got[DIGEST_SIZE];
	int ret = crypto_shash_tfm_digest(v->st->sha, p, VBLOCK_SIZE, got);

	if (ret)
		return ret;
	return memcmp(got, want, DIGEST_SIZE) ? -EBADMSG : 0;
}

/*
 * Verify data block b, and the tree blocks on its path that were not
 * verified before (top down).  0, or -EIO (a mismatch, reported), or the
 * hash's error.  Concurrent readers may verify the same block twice;
 * both set the same bit.
 */
static int verify_block(struct vdev *v, u64 b)
{
	u64 hb[MAX_LEVELS];
	const u8 *want, *p;
	int i, top, ret;

	if (test_bit(b, v->verified))
		return 0;
	if (test_bit(b, v->failed))
		return -EIO;
	/* the lowest level whose block on the path is verified */
	top = v->levels;
	for (i = 0; i < v->levels; i++) {
		hb[i] = v->level_start[i] + (b >> (FANOUT_BITS * (i + 1)));
		if (test_bit(v->blocks + hb[i], v->verified)) {
			top = i;
			break;
		}
	}
	for (i = top - 1; i >= 0; i--) {
		if (test_bit(v->blocks + hb[i], v->failed))
			return -EIO;
		p = obj_page(v->st, v->tree, hb[i]);
		if (i == v->levels - 1)
			want = v->root;
		else
			want = obj_page(v->st, v->tree, hb[i + 1]) +
			       ((b >> (FANOUT_BITS * (i + 1))) &
				((1u << FANOUT_BITS) - 1)) * DIGEST_SIZE;
		ret = check(v, p, want);
		if (ret == -EBADMSG) {
			mismatch(v, v->blocks + hb[i], v->tree_name, hb[i]);
			return -EIO;
		}
		if (ret)
			return ret;
		set_bit(v->blocks + hb[i], v->verified);
	}
	want = v->levels ? obj_page(v->st, v->tree, hb[0]) +
			   (b & ((1u << FANOUT_BITS) - 1)) * DIGEST_SIZE :
			   v->root;
	ret = check(v, obj_page(v->st, v->data, b), want);
	if (ret == -EBADMSG) {
		mismatch(v, b, v->name, b);
		return -EIO;
	}
	if (ret)
		return ret;
	if (!test_and_set_bit(b, v->verified))
		atomic64_inc(&v->n_verified);
	return 0;
}

static void vdev_submit_bio(struct bio *bio)
{
	struct vdev *v = bio->bi_bdev->bd_disk->private_data;
	u64 pos = (u64)bio->bi_iter.bi_sector << SECTOR_SHIFT;
	blk_status_t status = BLK_STS_OK;
	struct bvec_iter iter;
	struct bio_vec bv;

	if (bio_op(bio) != REQ_OP_READ) {
		bio->bi_status = BLK_STS_NOTSUPP;
		bio_endio(bio);
		return;
	}
	/* single-page segments; a block may span two of them */
	bio_for_each_segment(bv, bio, iter) {
		unsigned int done = 0;

		while (done < bv.bv_len) {
			u64 b = pos >> VBLOCK_SHIFT;
			unsigned int off = pos & (VBLOCK_SIZE - 1);
			unsigned int n = min(bv.bv_len - done, VBLOCK_SIZE - off);
			bool fresh = !test_bit(b, v->verified);

			if (b >= v->blocks || verify_block(v, b)) {
				status = BLK_STS_IOERR;
				goto out;
			}
			memcpy_to_page(bv.bv_page, bv.bv_offset + done,
				       obj_page(v->st, v->data, b) + off, n);
			done += n;
			pos += n;
			if (fresh)
				cond_resched();
		}
	}
out:
	bio->bi_status = status;
	bio_endio(bio);
}

static int vdev_open_disk(struct gendisk *disk)
{
	struct vdev *v = disk->private_data;
	int ret = 0;

	spin_lock(&v->open_lock);
	if (v->dying)
		ret = -ENXIO;
	else
		v->openers++;
	spin_unlock(&v->open_lock);
	return ret;
}

static void vdev_release_disk(struct gendisk *disk)
{
	struct vdev *v = disk->private_data;

	spin_lock(&v->open_lock);
	v->openers--;
	spin_unlock(&v->open_lock);
}

FASTBOOT_BDEV_OPEN(vdev_open, vdev_open_disk)
FASTBOOT_BDEV_RELEASE(vdev_release, vdev_release_disk)

static const struct block_device_operations vdev_fops = {
	.owner = THIS_MODULE,
	.submit_bio = vdev_submit_bio,
	.open = vdev_open,
	.release = vdev_release,
};

/* Free a device that is not (or no longer) on the list. */
static void vdev_free(struct vdev *v)
{
	if (v->disk)
		put_disk(v->disk);
	if (v->data)
		fastboot_store_unpin(v->st, v->data);
	if (v->tree)
		fastboot_store_unpin(v->st, v->tree);
	if (v->index >= 0)
		ida_free(&vdev_ida, v->index);
	kvfree(v->verified);
	kvfree(v->failed);
	kfree(v);
}

/* The device's geometry from its pinned objects; -EINVAL if they do not fit. */
static int vdev_geometry(struct vdev *v)
{
	u64 bits;

	if (!v->data->size)
		return -EINVAL;
	v->blocks = DIV_ROUND_UP_ULL(v->data->size, VBLOCK_SIZE);
	v->tree_blocks = tree_shape(v->blocks, &v->levels, v->level_start);
	if ((v->blocks - 1) >> (FANOUT_BITS * v->levels))
		return -EFBIG;
	if (v->tree->size != v->tree_blocks << VBLOCK_SHIFT)
		return -EINVAL;
	bits = v->blocks + v->tree_blocks;
	v->verified = kvcalloc(BITS_TO_LONGS(bits), sizeof(long), GFP_KERNEL);
	v->failed = kvcalloc(BITS_TO_LONGS(bits), sizeof(long), GFP_KERNEL);
	return v->verified && v->failed ? 0 : -ENOMEM;
}

long fastboot_vdev_add(struct fastboot_store *st, struct fastboot_vdev *a)
{
	struct vdev *v;
	struct gendisk *disk;
	int ret;

	v = kzalloc(sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	v->st = st;
	v->index = -1;
	spin_lock_init(&v->open_lock);
	atomic64_set(&v->n_verified, 0);
	atomic64_set(&v->n_failed, 0);
	strscpy(v->name, a->object, sizeof(v->name));
	strscpy(v->tree_name, a->tree, sizeof(v->tree_name));
	memcpy(v->root, a->root_hash, sizeof(v->root));

	mutex_lock(&vdev_lock);
	v->data = fastboot_store_pin(st, v->name, 0, FB_OBJ_BOOT);
	if (IS_ERR(v->data)) {
		ret = PTR_ERR(v->data);
		v->data = NULL;
		goto err;
	}
	v->tree = fastboot_store_pin(st, v->tree_name, 0, FB_OBJ_BOOT);
	if (IS_ERR(v->tree)) {
		ret = PTR_ERR(v->tree);
		v->tree = NULL;
		goto err;
	}
	ret = vdev_geometry(v);
	if (ret)
		goto err;
	ret = ida_alloc_max(&vdev_ida, MAX_VDEVS - 1, GFP_KERNEL);
	if (ret < 0)
		goto err;
	v->index = ret;
	disk = fastboot_alloc_disk(VBLOCK_SIZE);
	if (IS_ERR(disk)) {
		ret = PTR_ERR(disk);
		goto err;
	}
	v->disk = disk;
	disk->fops = &vdev_fops;
	disk->private_data = v;
	disk->flags |= GENHD_FL_NO_PART;
	snprintf(disk->disk_name, DISK_NAME_LEN, "fbv%d", v->index);
	set_capacity(disk, v->blocks << (VBLOCK_SHIFT - SECTOR_SHIFT));
	set_disk_ro(disk, true);
	ret = add_disk(disk);
	if (ret)
		goto err;
	list_add_tail(&v->list, &vdevs);
	a->index = v->index;
	mutex_unlock(&vdev_lock);
	pr_info("%s: /dev/%s over %s, %llu blocks, verified on first read\n",
		v->name, disk->disk_name, v->tree_name, v->blocks);
	return 0;
err:
	mutex_unlock(&vdev_lock);
	vdev_free(v);
	return ret;
}

/* Take device v off the list unless it is open (vdev_lock held). */
static int vdev_unlist(struct vdev *v)
{
	int ret = 0;

	lockdep_assert_held(&vdev_lock);
	spin_lock(&v->open_lock);
	if (v->openers)
		ret = -EBUSY;
	else
		v->dying = true;
	spin_unlock(&v->open_lock);
	if (!ret)
		list_del(&v->list);
	return ret;
}

static void vdev_remove(struct vdev *v)
{
	del_gendisk(v->disk);
	pr_info("%s: /dev/%s removed\n", v->name, v->disk->disk_name);
	vdev_free(v);
}

long fastboot_vdev_del(struct fastboot_store *st, u32 index)
{
	struct vdev *v, *found = NULL;
	int ret = -ENOENT;

	mutex_lock(&vdev_lock);
	list_for_each_entry(v, &vdevs, list) {
		if (v->index == index) {
			found = v;
			break;
		}
	}
	if (found)
		ret = vdev_unlist(found);
	if (!ret)
		vdev_remove(found);
	mutex_unlock(&vdev_lock);
	return ret;
}

long fastboot_vdev_info(struct fastboot_vdev *a)
{
	struct vdev *v, *best = NULL;
	u32 from = a->index;

	memset(a, 0, sizeof(*a));
	mutex_lock(&vdev_lock);
	list_for_each_entry(v, &vdevs, list)
		if (v->index >= from && (!best || v->index < best->index))
			best = v;
	if (best) {
		a->index = best->index;
		memcpy(a->object, best->name, sizeof(a->object));
		memcpy(a->tree, best->tree_name, sizeof(a->tree));
		memcpy(a->root_hash, best->root, sizeof(a->root_hash));
		a->bytes = best->blocks << VBLOCK_SHIFT;
		a->verified = atomic64_read(&best->n_verified);
		a->failed = atomic64_read(&best->n_failed);
		spin_lock(&best->open_lock);
		a->openers = best->openers;
		spin_unlock(&best->open_lock);
	}
	mutex_unlock(&vdev_lock);
	return best ? 0 : -ENOENT;
}

int fastboot_vdev_init(void)
{
	return 0;
}

/*
 * Module unload: no device is open (an open one holds the module), so
 * every one goes, and its objects are unpinned before the store detaches.
 */
void fastboot_vdev_exit(void)
{
	struct vdev *v, *tmp;

	mutex_lock(&vdev_lock);
	list_for_each_entry_safe(v, tmp, &vdevs, list) {
		if (WARN_ON(vdev_unlist(v)))
			continue;
		vdev_remove(v);
	}
	mutex_unlock(&vdev_lock);
	ida_destroy(&vdev_ida);
}
