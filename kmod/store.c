// SPDX-License-Identifier: GPL-2.0
/*
 * fastboot: the store in the region: attach, format, objects, sealing.
 *
 * Every change runs under st->op_lock on a working copy of the metadata
 * and ends in one fb_commit() under st->lock, so the region always holds
 * the old state or the new one (see fastboot.h for the two locks).  The
 * panic path takes no lock: it only writes the seal record, which is
 * independent of any commit in flight.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/hash.h>
#include <linux/fs.h>
#include <linux/kexec.h>
#include <linux/kmsg_dump.h>
#include <linux/ktime.h>
#include <linux/pagemap.h>
#include <linux/random.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>
#include <linux/vmalloc.h>
#include "compat.h"
#include "uapi/fastboot.h"
#include "fastboot.h"
#include "guestpages.h"

#define CHUNK (1u << 20)	/* bytes copied between checks for signals */
/* How long a reboot waits for the store lock before sealing without it. */
#define SEAL_WAIT_MS 5000

struct fastboot_store fastboot_store = {
	.op_lock = __MUTEX_INITIALIZER(fastboot_store.op_lock),
	.lock = __MUTEX_INITIALIZER(fastboot_store.lock),
	.slot = -1,
};

static const char *const reason_names[] = {
	[FB_REASON_NONE] = "none",	[FB_REASON_FIRST] = "first",
	[FB_REASON_UPDATE] = "update",	[FB_REASON_CRASH] = "crash",
	[FB_REASON_UNCLEAN] = "unclean",
};

static u8 *data_ptr(struct fastboot_store *st, u64 page)
{
	return st->region.map.base + FB_DATA_OFFSET + (page << FB_PAGE_SHIFT);
}

static u64 data_off(u64 page)
{
	return FB_DATA_OFFSET + ((u64)page << FB_PAGE_SHIFT);
}

/* The error for an operation on a store that is not ready. */
static int state_error(const struct fastboot_store *st)
{
	return st->state == FB_STATE_DAMAGED ? -EUCLEAN : -ENODEV;
}

/* Take op_lock for a change; a fatal signal gives up waiting. */
static int op_begin(struct fastboot_store *st)
{
	return mutex_lock_killable(&st->op_lock) ? -EINTR : 0;
}

static struct fb_seal *seal_ptr(struct fastboot_store *st)
{
	return (struct fb_seal *)(st->region.map.base + FB_SEAL_OFFSET);
}

/*
 * Start a transaction (op_lock held): the working copy starts as the
 * committed state, which only changes under op_lock.
 */
static int begin(struct fastboot_store *st)
{
	lockdep_assert_held(&st->op_lock);
	if (READ_ONCE(st->sealed))
		return -ESHUTDOWN;
	if (st->state != FB_STATE_READY)
		return state_error(st);
	if (st->readonly)
		return -EROFS;
	/* Only what changed since the last commit or abort is copied. */
	fb_meta_sync(st->work, st->cur);
	return 0;
}

/* Commit the working copy (op_lock and lock held). */
static int commit_locked(struct fastboot_store *st)
{
	lockdep_assert_held(&st->op_lock);
	lockdep_assert_held(&st->lock);
	if (st->sealed)
		return -ESHUTDOWN;	/* a reboot began: nothing changes now */
	fb_commit(&st->region.map, &st->slot, st->work);
	swap(st->cur, st->work);
	return 0;
}

/*
 * Zero the data of every extent that object idx owns in meta m, a chunk
 * at a time (a region may be terabytes).  With killable, a fatal signal
 * stops it with -EINTR.
 */
static int zero_object(struct fastboot_store *st, const struct fb_meta *m,
		       int idx, bool killable)
{
	const struct fb_extent *e;
	u32 cursor = 0;

	while ((e = fb_obj_next_extent(m, idx, &cursor))) {
		u8 *p = data_ptr(st, e->start);
		u64 bytes = (u64)e->pages << FB_PAGE_SHIFT, pos;

		for (pos = 0; pos < bytes; pos += CHUNK) {
			memset(p + pos, 0, min_t(u64, CHUNK, bytes - pos));
			if (killable && fatal_signal_pending(current))
				return -EINTR;
			cond_resched();
		}
	}
	return 0;
}

/*
 * A seal written by a module unload in this same boot: the boot's start
 * time (realtime minus boottime) is unchanged.  A reboot takes far longer
 * than the 10 ms allowed for clock noise.
 */
static bool same_boot(const struct fb_seal *s)
{
	s64 then = s->time_ns - s->boottime_ns;
	s64 now = ktime_get_real_ns() - ktime_get_boottime_ns();

	return ktime_get_boottime_ns() >= s->boottime_ns &&
	       abs(now - then) < 10 * NSEC_PER_MSEC;
}

/*
 * The image this boot runs: the store's next-boot record (store) names
 * what fastboot started, however the module is loaded; the image= module
 * parameter (param, from the command line through modprobe) confirms it.
 * With no record, fastboot did not start this boot (a firmware reboot, a
 * kexec it did not load, an unclean one): no image, whatever the command
 * line says.  When the two differ, the command line wins: it is what this
 * kernel was started with, while the record names what fastboot loaded,
 * which something then replaced.  NULL for none.
 */
static const char *boot_image(const char *store, const char *param)
{
	if (!store[0])
		return NULL;
	if (!param || !param[0])
		return store;
	if (strcmp(store, param))
		pr_warn("this boot's image: the command line says %s, the store %s; believing the command line\n",
			param, store);
	return param;
}

/* One state in memory with table room for any store of this region. */
static struct fb_meta *meta_new(u32 blocks)
{
	struct fb_meta *m = vzalloc(sizeof(*m));
	u8 *tab = vzalloc((size_t)blocks * FB_TABLE_BLOCK);
	u8 *dirty = vzalloc(blocks);

	if (!m || !tab || !dirty) {
		vfree(m);
		vfree(tab);
		vfree(dirty);
		return NULL;
	}
	fb_meta_bind(m, tab, dirty, blocks);
	return m;
}

static void meta_free(struct fb_meta *m)
{
	if (!m)
		return;
	vfree(m->tab);
	vfree(m->dirty);
	vfree(m);
}

/*
 * The memory of the two states, the validation scratch and the users of
 * each object slot, sized once from the region: the big-table geometry
 * of a region is a function of its size (format.h).
 */
static int meta_alloc(struct fastboot_store *st)
{
	u32 blocks = fb_meta_blocks_for(st->region.size);
	struct fb_geom g;

	st->cap_objects = FB_V1_MAX_OBJECTS;
	if (!fb_geom_for(st->region.size, &g) && g.max_objects > st->cap_objects)
		st->cap_objects = g.max_objects;
	st->cur = meta_new(blocks);
	st->work = meta_new(blocks);
	st->scratch = kvcalloc(FB_SCRATCH_U64, sizeof(u64), GFP_KERNEL);
	st->users = kvcalloc(st->cap_objects, sizeof(u32), GFP_KERNEL);
	if (!st->cur || !st->work || !st->scratch || !st->users)
		return -ENOMEM;
	return 0;
}

/**
 * fastboot_store_attach() - find out what the region holds.
 * A valid store is attached: the boot is counted with its reason (from
 * the seal record) and the seal is cleared.  Nothing is ever formatted
 * here, and a damaged store is left exactly as it is.
 */
int fastboot_store_attach(struct fastboot_store *st)
{
	struct fb_attach_result res;
	u32 reason;
	int ret;

	ret = meta_alloc(st);
	if (ret)
		return ret;
	/* The crypto API picks the fastest sha256 the CPU offers. */
	st->sha = crypto_alloc_shash("sha256", 0, 0);
	if (IS_ERR(st->sha)) {
		ret = PTR_ERR(st->sha);
		st->sha = NULL;
		pr_err("no sha256 in the crypto API (%d)\n", ret);
		return ret;
	}
	pr_info("object digests: %s\n", crypto_shash_driver_name(st->sha));

	fb_attach(&st->region.map, st->scratch, &res);
	st->state = res.state;
	st->slot = res.slot;
	st->readonly = res.readonly;
	st->fallback = res.fallback;
	strscpy(st->why, res.why, sizeof(st->why));
	if (st->state == FB_STATE_UNFORMATTED) {
		pr_info("region %pa+%#llx holds no store; run 'fastboot format'\n",
			&st->region.start, st->region.size);
		return 0;
	}
	if (st->state == FB_STATE_DAMAGED) {
		pr_err("store is damaged (%s); writes refused, data kept\n",
		       st->why);
		return 0;
	}
	ret = fb_meta_load(st->cur, &st->region.map, st->slot, res.other_ok);
	if (ret) {	/* cannot happen: memory is sized for the region */
		st->state = FB_STATE_DAMAGED;
		strscpy(st->why, "tables larger than the region allows",
			sizeof(st->why));
		return 0;
	}
	if (st->fallback)
		pr_warn("metadata copy %d is bad (%s); using copy %d, generation %llu\n",
			!st->slot, st->why, st->slot, st->cur->sb.generation);

	reason = fb_seal_valid(seal_ptr(st), st->cur);
	if (reason == FB_SEAL_DETACH && same_boot(seal_ptr(st))) {
		/* The boot was counted, with its image, by the first attach. */
		fastboot_store_current_boot(st, NULL, st->image_store);
		if (!st->readonly)
			fb_seal_clear(&st->region.map);
		pr_info("store re-attached in the same boot %llu, generation %llu\n",
			st->cur->sb.boot_count, st->cur->sb.generation);
		return 0;
	}
	/*
	 * A detach seal from an earlier boot: the module was unloaded, and
	 * whatever ended that boot (a crash, a reset, a kexec) happened with
	 * nobody to seal the store.  Nothing says it was orderly.
	 */
	if (!reason || reason == FB_SEAL_DETACH)
		reason = FB_REASON_UNCLEAN;
	/* A next-boot record counts only beside the seal it was written with. */
	if (reason != FB_REASON_UNCLEAN)
		fb_next_valid(&st->region.map, st->cur, st->image_store);
	if (st->readonly) {
		st->cur->sb.boot_reason = reason;
		pr_warn("store has unknown read-only features; attached read-only\n");
	} else {
		fb_meta_copy(st->work, st->cur);
		fb_boot_record(st->work, reason, ktime_get_real_ns(),
			       init_utsname()->release,
			       boot_image(st->image_store, fastboot_image_param));
		/* Nobody else runs before the module's init returns. */
		fb_commit(&st->region.map, &st->slot, st->work);
		swap(st->cur, st->work);
		fb_next_clear(&st->region.map);
		fb_seal_clear(&st->region.map);
	}
	pr_info("store attached: boot %llu (%s), generation %llu, %u objects\n",
		st->cur->sb.boot_count, reason_names[reason],
		st->cur->sb.generation, fb_obj_count(st->cur));
	return 0;
}

/* Unload: leave a seal that tells the next attach this was no crash. */
void fastboot_store_detach(struct fastboot_store *st)
{
	mutex_lock(&st->op_lock);
	mutex_lock(&st->lock);
	if (st->state == FB_STATE_READY && !st->readonly && !st->sealed)
		fb_seal_write(&st->region.map, st->cur, FB_SEAL_DETACH,
			      ktime_get_real_ns(), ktime_get_boottime_ns());
	st->sealed = true;
	mutex_unlock(&st->lock);
	mutex_unlock(&st->op_lock);
	meta_free(st->cur);
	meta_free(st->work);
	kvfree(st->scratch);
	kvfree(st->users);
	crypto_free_shash(st->sha);
	st->cur = st->work = NULL;
	st->scratch = NULL;
	st->users = NULL;
	st->sha = NULL;
}

/**
 * fastboot_store_format() - write an empty store.
 * An existing store, valid or damaged, is wiped only with @force.  Over a
 * valid store the new one is committed at the next generation, so an
 * interrupted format leaves the old store or the new one.
 */
int fastboot_store_format(struct fastboot_store *st, bool force)
{
	u8 uuid[16];
	u64 gen = 0;
	int ret;

	ret = op_begin(st);
	if (ret)
		return ret;
	/* Short and bounded (two metadata copies): all of it under lock. */
	mutex_lock(&st->lock);
	ret = -ESHUTDOWN;
	if (st->sealed)
		goto out;
	ret = -EEXIST;
	if (st->state != FB_STATE_UNFORMATTED && !force)
		goto out;
	ret = -EBUSY;
	if (memchr_inv(st->users, 0, st->cap_objects * sizeof(*st->users)) ||
	    fastboot_guest_pinned_any())
		goto out;
	if (st->state == FB_STATE_READY)
		gen = st->cur->sb.generation;
	else
		st->slot = -1;
	get_random_bytes(uuid, sizeof(uuid));
	ret = fb_meta_init(st->work, st->region.size, uuid, ktime_get_real_ns());
	if (ret)
		goto out;
	st->work->sb.generation = gen;
	fb_boot_record(st->work, FB_REASON_FIRST, ktime_get_real_ns(),
		       init_utsname()->release,
		       boot_image(st->image_store, fastboot_image_param));
	commit_locked(st);
	/* Both copies hold the new store, so no fallback can reach the old. */
	fb_meta_sync(st->work, st->cur);
	commit_locked(st);
	fb_seal_clear(&st->region.map);
	memset(st->region.map.base + FB_CRASH_OFFSET, 0, FB_CRASH_BYTES);
	fastboot_region_flush(&st->region, FB_CRASH_OFFSET, FB_CRASH_BYTES);
	st->state = FB_STATE_READY;
	st->readonly = false;
	st->fallback = false;
	st->why[0] = 0;
	pr_info("store formatted: %llu MiB of data space, generation %llu\n",
		(fb_data_pages(st->cur) << FB_PAGE_SHIFT) >> 20,
		st->cur->sb.generation);
out:
	mutex_unlock(&st->lock);
	mutex_unlock(&st->op_lock);
	return ret;
}

/**
 * fastboot_store_upgrade() - give a store without big tables big tables,
 * keeping every object (format.h, "Big tables").  Two commits, like
 * format: after the first the other copy holds the new layout, and a cut
 * before it completes leaves the old store.  Objects do not move, so
 * open files and pins stay valid.  -EALREADY when there is nothing to do,
 * -ENOSPC when objects use the end of the data area.
 */
int fastboot_store_upgrade(struct fastboot_store *st)
{
	int ret = op_begin(st);

	if (ret)
		return ret;
	ret = begin(st);
	if (!ret)
		ret = fb_meta_upgrade(st->work);
	if (!ret) {
		mutex_lock(&st->lock);
		ret = commit_locked(st);
		if (!ret) {
			fb_meta_sync(st->work, st->cur);
			ret = commit_locked(st);
		}
		mutex_unlock(&st->lock);
	}
	if (!ret)
		pr_info("store upgraded to big tables: %u objects, %llu MiB of data space, generation %llu\n",
			st->cur->sb.max_objects,
			(fb_data_pages(st->cur) << FB_PAGE_SHIFT) >> 20,
			st->cur->sb.generation);
	mutex_unlock(&st->op_lock);
	return ret;
}

/*
 * Copy len bytes from user memory into object idx, hashing what landed
 * (with st->sha, allocated once at attach), and write it back to RAM.
 * Runs under op_lock only: the extents are free in the committed state,
 * so nothing else looks at them, and a fault on the user buffer may wait
 * as long as it likes without blocking a reboot or a VMM.
 */
static int fill_object(struct fastboot_store *st, int idx,
		       const u8 __user *data, u64 len, u8 *digest)
{
	SHASH_DESC_ON_STACK(desc, st->sha);
	const struct fb_extent *e;
	u32 cursor = 0;
	u64 done = 0;
	int ret;

	desc->tfm = st->sha;
	ret = crypto_shash_init(desc);
	while (!ret && (e = fb_obj_next_extent(st->work, idx, &cursor))) {
		u8 *dst = data_ptr(st, e->start);
		u64 ext_bytes = (u64)e->pages << FB_PAGE_SHIFT, pos = 0;

		while (pos < ext_bytes) {
			size_t n = min_t(u64, CHUNK, ext_bytes - pos);

			if (n > len - done)
				n = len - done;
			if (!n) {	/* the tail of the last page */
				memset(dst + pos, 0, ext_bytes - pos);
				fastboot_region_flush(&st->region,
						      data_off(e->start) + pos,
						      ext_bytes - pos);
				break;
			}
			if (copy_from_user(dst + pos, data + done, n)) {
				ret = -EFAULT;
				break;
			}
			ret = crypto_shash_update(desc, dst + pos, n);
			if (ret)
				break;
			fastboot_region_flush(&st->region,
					      data_off(e->start) + pos, n);
			pos += n;
			done += n;
			if (fatal_signal_pending(current)) {
				ret = -EINTR;
				break;
			}
			cond_resched();
		}
	}
	if (!ret)
		ret = crypto_shash_final(desc, digest);
	shash_desc_zero(desc);
	return ret;
}

/**
 * fastboot_store_put() - store len bytes as object name, replacing an
 * object of that name atomically.  The data goes into extents that are
 * free in the committed state; one commit then adds the new object and
 * drops the old one.
 */
int fastboot_store_put(struct fastboot_store *st, const char *name, u32 type,
		       u32 flags, const void __user *data, u64 len,
		       const u8 *tag)
{
	struct fb_object *o;
	int old, idx, ret;

	if (fb_name_valid(name, FB_NAME_MAX))
		return -EINVAL;
	if (type != FB_OBJ_BOOT && type != FB_OBJ_BLOB)
		return -EINVAL;
	ret = op_begin(st);
	if (ret)
		return ret;
	ret = begin(st);
	if (ret)
		goto out;
	old = fb_obj_find(st->work, name);
	ret = -EEXIST;
	if (old >= 0 && ((flags & FASTBOOT_PUT_NOREPLACE) ||
			 st->work->obj[old].type == FB_OBJ_GUEST))
		goto out;
	ret = fb_obj_alloc(st->work, name, type, len, 1, &idx);
	if (ret)
		goto out;
	o = &st->work->obj[idx];
	ret = fill_object(st, idx, data, len, o->sha256);
	if (ret)
		goto out;
	o->flags = FB_OBJ_F_DIGEST;
	o->ctime_ns = ktime_get_real_ns();
	memcpy(o->tag, tag, sizeof(o->tag));
	if (old >= 0)
		fb_obj_free(st->work, old);
	/* An object in use (a block device reads it) is not replaced. */
	mutex_lock(&st->lock);
	ret = old >= 0 && st->users[old] ? -EBUSY : commit_locked(st);
	mutex_unlock(&st->lock);
	/* work now holds the old state; guest create zeroes again anyway */
	if (!ret && old >= 0)
		zero_object(st, st->work, old, true);
out:
	mutex_unlock(&st->op_lock);
	return ret;
}

/*
 * Where byte offset of object idx lies: a pointer into the data area and
 * how many bytes follow it contiguously in the same extent (0 if none).
 */
static u8 *object_at(struct fastboot_store *st, int idx, u64 offset,
		     u64 *contig)
{
	const struct fb_extent *e;
	u32 cursor = 0;

	while ((e = fb_obj_next_extent(st->cur, idx, &cursor))) {
		u64 first = (u64)e->offset << FB_PAGE_SHIFT;
		u64 last = first + ((u64)e->pages << FB_PAGE_SHIFT);

		if (offset >= first && offset < last) {
			*contig = last - offset;
			return data_ptr(st, e->start) + (offset - first);
		}
	}
	*contig = 0;
	return NULL;
}

/**
 * fastboot_store_read() - copy part of an object to user memory; with a
 * non-zero id, only if the object is still that one.  The lock is held
 * for one chunk at a time and the copy runs with page faults disabled: a
 * buffer that is not resident is faulted in after the lock is dropped
 * (as filesystems do), so a fault that never completes (userfaultfd, a
 * hung FUSE file) blocks only this caller.
 */
int fastboot_store_read(struct fastboot_store *st, const char *name, u64 id,
			u64 offset, void __user *buf, u64 len, u64 *done)
{
	u8 __user *ubuf = buf;
	int ret = 0;

	*done = 0;
	while (len) {
		const struct fb_object *o;
		unsigned long left = 0;
		u64 contig;
		size_t n = 0;
		u8 *src;
		int idx;

		mutex_lock(&st->lock);
		if (st->state != FB_STATE_READY) {
			ret = state_error(st);
		} else if ((idx = fb_obj_find(st->cur, name)) < 0) {
			ret = -ENOENT;
		} else {
			o = &st->cur->obj[idx];
			if (id && o->id != id)
				ret = -ESTALE;	/* replaced since the caller looked */
			id = o->id;		/* and no other one from here on */
			if (!ret && offset < o->size) {
				src = object_at(st, idx, offset, &contig);
				n = min3(len, o->size - offset, contig);
				n = min_t(size_t, n, CHUNK);
				if (!access_ok(ubuf + *done, n)) {
					ret = -EFAULT;
				} else {
					pagefault_disable();
					left = __copy_to_user_inatomic(ubuf + *done,
								       src, n);
					pagefault_enable();
					n -= left;
				}
			}
		}
		mutex_unlock(&st->lock);
		if (ret)
			break;
		*done += n;
		offset += n;
		len -= n;
		if (!n && !left)
			break;		/* the end of the object */
		/* A buffer that cannot be faulted in: EFAULT, as before. */
		if (left && fault_in_writeable(ubuf + *done, left) == left) {
			ret = -EFAULT;
			break;
		}
		if (fatal_signal_pending(current)) {
			ret = *done ? 0 : -EINTR;
			break;
		}
		cond_resched();
	}
	return ret;
}

int fastboot_store_rm(struct fastboot_store *st, const char *name)
{
	int idx, ret;

	ret = op_begin(st);
	if (ret)
		return ret;
	ret = begin(st);
	if (ret)
		goto out;
	idx = fb_obj_find(st->work, name);
	ret = -ENOENT;
	if (idx < 0)
		goto out;
	fb_obj_free(st->work, idx);
	/*
	 * Opens take lock: the check and the commit are one step for them.
	 * With no file open, only pins can hold the pages (guestpages.c).
	 */
	mutex_lock(&st->lock);
	ret = st->users[idx] || fastboot_guest_pinned(st, st->cur, idx) ?
	      -EBUSY : commit_locked(st);
	mutex_unlock(&st->lock);
	if (!ret)
		zero_object(st, st->work, idx, true);
out:
	mutex_unlock(&st->op_lock);
	return ret;
}

void fastboot_store_current_boot(struct fastboot_store *st, u32 *reason,
				 char *image)
{
	const struct fb_super *sb = &st->cur->sb;
	const struct fb_boot_rec *b =
		&sb->history[(sb->history_head + FB_BOOT_HISTORY - 1) %
			     FB_BOOT_HISTORY];

	if (reason)
		*reason = sb->boot_reason;
	if (image)
		memcpy(image, b->image, sizeof(b->image));
}

#define GUEST_ALIGN_PAGES (SZ_2M >> FB_PAGE_SHIFT)

static struct fastboot_obj_map *pin_locked(struct fastboot_store *st, int idx);

/*
 * A zeroed guest memory region, its extents 2 MiB aligned (and so 2 MiB
 * aligned in physical memory when the region is), owned by uid:gid with
 * permissions mode; with pin, pinned for a file (*pin) in the same step,
 * under op_lock: no rm can come between.
 */
static int guest_create(struct fastboot_store *st, const char *name, u64 size,
			u32 mode, u32 uid, u32 gid,
			struct fastboot_obj_map **pin)
{
	struct fb_object *o;
	int idx, ret;

	if (fb_name_valid(name, FB_NAME_MAX) || !size || (mode & ~0777))
		return -EINVAL;
	ret = op_begin(st);
	if (ret)
		return ret;
	ret = begin(st);
	if (ret)
		goto out;
	ret = -EEXIST;
	if (fb_obj_find(st->work, name) >= 0)
		goto out;
	ret = fb_obj_alloc(st->work, name, FB_OBJ_GUEST, size,
			   GUEST_ALIGN_PAGES, &idx);
	if (ret)
		goto out;
	/* No tenant sees what the pages held before. */
	ret = zero_object(st, st->work, idx, true);
	if (ret)
		goto out;	/* killed: nothing was committed */
	o = &st->work->obj[idx];
	o->mode = mode;
	o->uid = uid;
	o->gid = gid;
	o->ctime_ns = ktime_get_real_ns();
	mutex_lock(&st->lock);
	ret = commit_locked(st);
	if (!ret && pin) {
		idx = fb_obj_find(st->cur, name);
		*pin = idx < 0 ? ERR_PTR(-ENOENT) : pin_locked(st, idx);
		/* committed, not pinned (out of memory): the region stays */
		if (IS_ERR(*pin))
			ret = PTR_ERR(*pin);
	}
	mutex_unlock(&st->lock);
out:
	mutex_unlock(&st->op_lock);
	return ret;
}

/**
 * fastboot_store_guest_create() - a zeroed guest memory region (see
 * guest_create()).
 */
int fastboot_store_guest_create(struct fastboot_store *st, const char *name,
				u64 size, u32 mode, u32 uid, u32 gid)
{
	return guest_create(st, name, size, mode, uid, gid, NULL);
}

/**
 * fastboot_store_guest_create_open() - create a guest memory region as
 * fastboot_store_guest_create() does and pin it for a file, in one step.
 * Returns the map or an ERR_PTR.
 */
struct fastboot_obj_map *
fastboot_store_guest_create_open(struct fastboot_store *st, const char *name,
				 u64 size, u32 mode, u32 uid, u32 gid)
{
	struct fastboot_obj_map *map = NULL;
	int ret = guest_create(st, name, size, mode, uid, gid, &map);

	return ret ? ERR_PTR(ret) : map;
}

int fastboot_store_guest_find(struct fastboot_store *st, const char *name,
			      u64 id)
{
	int idx;

	lockdep_assert_held(&st->lock);
	if (st->state != FB_STATE_READY || strnlen(name, FB_NAME_MAX) >= FB_NAME_MAX)
		return -ENOENT;
	idx = fb_obj_find(st->cur, name);
	if (idx < 0 || st->cur->obj[idx].type != FB_OBJ_GUEST ||
	    (id && st->cur->obj[idx].id != id))
		return -ENOENT;
	return idx;
}

/* Count a user of object idx and copy its extents (lock held). */
static struct fastboot_obj_map *pin_locked(struct fastboot_store *st, int idx)
{
	struct fastboot_obj_map *map;
	const struct fb_extent *e;
	u32 cursor = 0, nr = 0;

	lockdep_assert_held(&st->lock);
	while (fb_obj_next_extent(st->cur, idx, &cursor))
		nr++;
	map = kvzalloc(struct_size(map, ext, nr), GFP_KERNEL);
	if (!map)
		return ERR_PTR(-ENOMEM);
	map->idx = idx;
	map->id = st->cur->obj[idx].id;
	map->size = st->cur->obj[idx].size;
	cursor = 0;
	while ((e = fb_obj_next_extent(st->cur, idx, &cursor)) && map->nr < nr) {
		map->ext[map->nr].offset = e->offset;
		map->ext[map->nr].start = e->start;
		map->ext[map->nr].pages = e->pages;
		map->nr++;
	}
	st->users[idx]++;
	return map;
}

/**
 * fastboot_store_guest_open() - count a user of guest object name (with
 * id) and copy its extents for the file.  A store attached read-only
 * refuses writers (-EROFS).  Returns the map or an ERR_PTR.
 */
struct fastboot_obj_map *fastboot_store_guest_open(struct fastboot_store *st,
						   const char *name, u64 id,
						   bool write)
{
	struct fastboot_obj_map *map;
	int idx;

	mutex_lock(&st->lock);
	idx = fastboot_store_guest_find(st, name, id);
	if (idx < 0)
		map = ERR_PTR(-ESTALE);
	else if (write && st->readonly)
		map = ERR_PTR(-EROFS);
	else
		map = pin_locked(st, idx);
	mutex_unlock(&st->lock);
	return map;
}

void fastboot_store_guest_close(struct fastboot_store *st,
				struct fastboot_obj_map *map)
{
	fastboot_store_unpin(st, map);
}

struct fastboot_obj_map *fastboot_store_pin(struct fastboot_store *st,
					    const char *name, u64 id, u32 type)
{
	struct fastboot_obj_map *map;
	int idx = -ENOENT;

	if (fb_name_valid(name, FB_NAME_MAX))
		return ERR_PTR(-EINVAL);
	mutex_lock(&st->lock);
	if (st->state != FB_STATE_READY)
		map = ERR_PTR(state_error(st));
	else if (st->sealed)
		map = ERR_PTR(-ESHUTDOWN);
	else if ((idx = fb_obj_find(st->cur, name)) < 0 ||
		 st->cur->obj[idx].type != type ||
		 (id && st->cur->obj[idx].id != id))
		map = ERR_PTR(-ENOENT);
	else
		map = pin_locked(st, idx);
	mutex_unlock(&st->lock);
	return map;
}

void fastboot_store_unpin(struct fastboot_store *st,
			  struct fastboot_obj_map *map)
{
	mutex_lock(&st->lock);
	st->users[map->idx]--;
	mutex_unlock(&st->lock);
	kvfree(map);
}

/*
 * Orderly reboot or kexec: wait for a commit in flight, then seal; no
 * change commits after that.  The lock is only ever held briefly, but a
 * reboot must not depend on it: after SEAL_WAIT_MS the seal is written
 * without it, as the panic path does.  A commit that completes after that
 * leaves a seal of an older generation, which the next boot refuses
 * (reason "unclean"): never a wrong "update".
 */
void fastboot_store_seal(struct fastboot_store *st, u32 reason, bool kexec)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(SEAL_WAIT_MS);
	bool locked;

	while (!(locked = mutex_trylock(&st->lock)) &&
	       time_before(jiffies, deadline))
		msleep(20);
	if (!locked)
		pr_warn("store lock busy for %d ms; sealing without it\n",
			SEAL_WAIT_MS);
	if (st->state == FB_STATE_READY && !st->readonly && !st->sealed) {
		struct fb_meta *m = READ_ONCE(st->cur);

		WRITE_ONCE(st->sealed, true);
		/* The next-boot record first: the seal validates it. */
		if (kexec && st->next_image[0])
			fb_next_write(&st->region.map, m, st->next_image);
		else
			fb_next_clear(&st->region.map);
		fb_seal_write(&st->region.map, m, reason, ktime_get_real_ns(),
			      ktime_get_boottime_ns());
		pr_info("store sealed for %s at generation %llu%s%s\n",
			reason_names[reason], m->sb.generation,
			kexec && st->next_image[0] ? ", next boot " : "",
			kexec && st->next_image[0] ? st->next_image : "");
	}
	if (locked)
		mutex_unlock(&st->lock);
}

/*
 * Panic: other CPUs are stopped, perhaps inside an operation.  Whatever
 * it was doing resolves through the commit protocol; cur is only replaced
 * after a commit completed, and uuid and boot count never change outside
 * format.  Write the seal record and nothing else.
 */
void fastboot_store_seal_panic(struct fastboot_store *st, const char *msg)
{
	struct fb_meta *m = READ_ONCE(st->cur);
	/*
	 * The NMI-safe clocks: another CPU may have been stopped inside a
	 * timekeeping update, and the seqcount readers would spin forever.
	 */
	u64 now = ktime_get_real_fast_ns();

	if (READ_ONCE(st->state) != FB_STATE_READY || st->readonly || !m ||
	    st->sealed)
		return;
	/* The record first: a seal always comes with its crash record. */
	fb_crash_begin(&st->region.map, m, now, msg);
	st->crash_started = true;
	/* The crash kernel is the recovery image when fastboot armed it. */
	if (st->armed_image[0] && kexec_crash_loaded())
		fb_next_write(&st->region.map, m, st->armed_image);
	else
		fb_next_clear(&st->region.map);
	fb_seal_write(&st->region.map, m, FB_REASON_CRASH, now,
		      ktime_get_boot_fast_ns());
	st->sealed = true;
}

/*
 * Panic, after the notifiers: copy the end of the kernel log straight into
 * the crash record area (no buffer of our own) and seal the record.
 */
void fastboot_store_crash_log(struct fastboot_store *st)
{
	struct kmsg_dump_iter iter;
	size_t len = 0;

	if (!st->crash_started)
		return;
	kmsg_dump_rewind(&iter);
	kmsg_dump_get_buffer(&iter, false,
			     (char *)st->region.map.base + FB_CRASH_LOG_OFFSET,
			     FB_CRASH_LOG_MAX, &len);
	fastboot_region_flush(&st->region, FB_CRASH_LOG_OFFSET, len);
	fb_crash_set_log(&st->region.map, len);
}
