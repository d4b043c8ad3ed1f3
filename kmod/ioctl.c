// SPDX-License-Identifier: GPL-2.0
/*
 * fastboot: /dev/fastboot and its ioctls (the uapi layer).
 *
 * Each argument is copied in with copy_struct_from_user(): a struct
 * shorter than its first version fails with EINVAL, unknown non-zero
 * trailing bytes with E2BIG.  Calls that change the store, or read object
 * data, need CAP_SYS_ADMIN.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/kexec.h>
#include <linux/miscdevice.h>
#include <linux/slab.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include "fastboot.h"
#include "uapi/fastboot.h"

static_assert(sizeof(struct fastboot_status) == FASTBOOT_STATUS_SIZE_VER3);
static_assert(sizeof(struct fastboot_next) == FASTBOOT_NEXT_SIZE_VER0);
static_assert(sizeof(struct fastboot_crash) == FASTBOOT_CRASH_SIZE_VER0);
static_assert(sizeof(struct fastboot_arm) == FASTBOOT_ARM_SIZE_VER0);
static_assert(sizeof(struct fastboot_guest) == FASTBOOT_GUEST_SIZE_VER0);
static_assert(sizeof(struct fastboot_log) == FASTBOOT_LOG_SIZE_VER0);
static_assert(sizeof(struct fastboot_boot) == sizeof(struct fb_boot_rec));
static_assert(FASTBOOT_HISTORY_MAX == FB_BOOT_HISTORY);
static_assert(sizeof(struct fastboot_format) == FASTBOOT_FORMAT_SIZE_VER0);
static_assert(sizeof(struct fastboot_put) == FASTBOOT_PUT_SIZE_VER0);
static_assert(sizeof(struct fastboot_read) == FASTBOOT_READ_SIZE_VER1);
static_assert(sizeof(struct fastboot_info) == FASTBOOT_INFO_SIZE_VER0);
static_assert(sizeof(struct fastboot_rm) == FASTBOOT_RM_SIZE_VER0);
static_assert(sizeof(struct fastboot_vdev) == FASTBOOT_VDEV_SIZE_VER0);
static_assert(FASTBOOT_NAME_MAX == FB_NAME_MAX);
#define SAME(a, b) static_assert((int)(a) == (int)(b))
SAME(FASTBOOT_OBJ_BOOT, FB_OBJ_BOOT);
SAME(FASTBOOT_OBJ_GUEST, FB_OBJ_GUEST);
SAME(FASTBOOT_OBJ_BLOB, FB_OBJ_BLOB);
SAME(FASTBOOT_STATE_UNFORMATTED, FB_STATE_UNFORMATTED);
SAME(FASTBOOT_STATE_READY, FB_STATE_READY);
SAME(FASTBOOT_STATE_DAMAGED, FB_STATE_DAMAGED);
SAME(FASTBOOT_REASON_FIRST, FB_REASON_FIRST);
SAME(FASTBOOT_REASON_UPDATE, FB_REASON_UPDATE);
SAME(FASTBOOT_REASON_CRASH, FB_REASON_CRASH);
SAME(FASTBOOT_REASON_UNCLEAN, FB_REASON_UNCLEAN);
static_assert(FASTBOOT_OBJ_F_DIGEST == FB_OBJ_F_DIGEST);

/*
 * Copy an extensible struct in: returns the caller's size (> 0) or an
 * error.  The first u32 of every struct is its size.
 */
static long copy_arg(void *karg, size_t ksize, size_t ver0,
		     const void __user *uarg)
{
	u32 usize;
	int ret;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize < ver0)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	ret = copy_struct_from_user(karg, ksize, uarg, usize);
	if (ret)
		return ret;
	return usize;
}

/* Copy an extensible struct out, up to the smaller of the two sizes. */
static long copy_out(void __user *uarg, void *karg, size_t ksize, u32 usize)
{
	size_t n = min_t(size_t, ksize, usize);

	*(u32 *)karg = n;
	return copy_to_user(uarg, karg, n) ? -EFAULT : 0;
}

#define COPY_IN(k, u) copy_arg(&(k), sizeof(k), sizeof(k), (u))
#define COPY_IN_VER(k, ver0, u) copy_arg(&(k), sizeof(k), (ver0), (u))

static long ioc_status(struct fastboot_store *st, void __user *uarg)
{
	struct fastboot_status s;
	long usize = COPY_IN_VER(s, FASTBOOT_STATUS_SIZE_VER0, uarg);

	if (usize < 0)
		return usize;
	memset(&s, 0, sizeof(s));
	mutex_lock(&st->lock);
	s.state = st->state;
	s.region_start = st->region.start;
	s.region_size = st->region.size;
	if (st->state == FB_STATE_READY) {
		const struct fb_meta *m = st->cur;
		u64 used = fb_used_pages(m) << FB_PAGE_SHIFT;

		s.capacity_bytes = fb_data_pages(m) << FB_PAGE_SHIFT;
		s.used_bytes = used;
		s.free_bytes = s.capacity_bytes - used;
		s.generation = m->sb.generation;
		s.boot_count = m->sb.boot_count;
		s.boot_reason = m->sb.boot_reason;
		s.objects = fb_obj_count(m);
		s.max_objects = m->sb.max_objects;
		s.format_time_ns = m->sb.format_time_ns;
		memcpy(s.uuid, m->sb.uuid, sizeof(s.uuid));
		fastboot_store_current_boot(st, NULL, s.image);
	}
	s.flags = (st->state == FB_STATE_READY && fb_big(st->cur) ?
		   FASTBOOT_STATUS_TABLES : 0) |
		  (st->readonly ? FASTBOOT_STATUS_READONLY : 0) |
		  (st->fallback ? FASTBOOT_STATUS_FALLBACK : 0) |
		  (st->sealed ? FASTBOOT_STATUS_SEALED : 0);
	if (st->armed_image[0] && kexec_crash_loaded()) {
		s.flags |= FASTBOOT_STATUS_ARMED;
		memcpy(s.armed_image, st->armed_image, sizeof(s.armed_image));
	}
	strscpy(s.why, st->why, sizeof(s.why));
	memcpy(s.image_store, st->image_store, sizeof(s.image_store));
	if (fastboot_image_param)
		strscpy(s.image_param, fastboot_image_param, sizeof(s.image_param));
	memcpy(s.next_image, st->next_image, sizeof(s.next_image));
	mutex_unlock(&st->lock);
	return copy_out(uarg, &s, sizeof(s), usize);
}

static long ioc_format(struct fastboot_store *st, void __user *uarg)
{
	struct fastboot_format f;
	long ret = COPY_IN(f, uarg);

	if (ret < 0)
		return ret;
	if (f.flags & ~(FASTBOOT_FORMAT_FORCE | FASTBOOT_FORMAT_UPGRADE) ||
	    f.flags == (FASTBOOT_FORMAT_FORCE | FASTBOOT_FORMAT_UPGRADE))
		return -EINVAL;
	if (f.flags & FASTBOOT_FORMAT_UPGRADE)
		return fastboot_store_upgrade(st);
	return fastboot_store_format(st, f.flags & FASTBOOT_FORMAT_FORCE);
}

static long ioc_put(struct fastboot_store *st, void __user *uarg)
{
	struct fastboot_put p;
	long ret = COPY_IN(p, uarg);

	if (ret < 0)
		return ret;
	if ((p.flags & ~FASTBOOT_PUT_NOREPLACE) || p.reserved)
		return -EINVAL;
	if (fb_name_valid(p.name, sizeof(p.name)))
		return -EINVAL;
	if (p.data + p.len < p.data)
		return -EOVERFLOW;
	return fastboot_store_put(st, p.name, p.type, p.flags,
				  u64_to_user_ptr(p.data), p.len, p.tag);
}

static long ioc_read(struct fastboot_store *st, void __user *uarg)
{
	struct fastboot_read r;
	long usize = COPY_IN_VER(r, FASTBOOT_READ_SIZE_VER0, uarg);
	long ret;

	if (usize < 0)
		return usize;
	if (r.flags || fb_name_valid(r.name, sizeof(r.name)))
		return -EINVAL;
	if (r.buf + r.len < r.buf)
		return -EOVERFLOW;
	ret = fastboot_store_read(st, r.name, r.id, r.offset,
				  u64_to_user_ptr(r.buf), r.len, &r.bytes);
	if (ret)
		return ret;
	return copy_out(uarg, &r, sizeof(r), usize);
}

static long ioc_info(struct fastboot_store *st, void __user *uarg)
{
	struct fastboot_info in;
	const struct fb_object *o;
	long usize = COPY_IN(in, uarg);
	int idx;

	if (usize < 0)
		return usize;
	if (in.flags & ~FASTBOOT_INFO_BY_NAME)
		return -EINVAL;
	if ((in.flags & FASTBOOT_INFO_BY_NAME) &&
	    fb_name_valid(in.name, sizeof(in.name)))
		return -EINVAL;
	mutex_lock(&st->lock);
	if (st->state != FB_STATE_READY) {
		mutex_unlock(&st->lock);
		return st->state == FB_STATE_DAMAGED ? -EUCLEAN : -ENODEV;
	}
	if (in.flags & FASTBOOT_INFO_BY_NAME) {
		idx = fb_obj_find(st->cur, in.name);
	} else {
		/* in.index is a u32: bound it before it becomes an int. */
		int max = (int)st->cur->sb.max_objects;

		idx = in.index < (u32)max ? (int)in.index : max;
		for (; idx < max; idx++)
			if (st->cur->obj[idx].type != FB_OBJ_NONE)
				break;
		if (idx == max)
			idx = -1;
	}
	if (idx < 0) {
		mutex_unlock(&st->lock);
		return -ENOENT;
	}
	o = &st->cur->obj[idx];
	in.index = idx;
	in.type = o->type;
	memcpy(in.name, o->name, sizeof(in.name));
	in.id = o->id;
	in.bytes = o->size;
	in.ctime_ns = o->ctime_ns;
	memcpy(in.sha256, o->sha256, sizeof(in.sha256));
	in.obj_flags = o->flags;
	in.mode = o->mode;
	in.uid = o->uid;
	in.gid = o->gid;
	memcpy(in.tag, o->tag, sizeof(in.tag));
	mutex_unlock(&st->lock);
	return copy_out(uarg, &in, sizeof(in), usize);
}

static long ioc_log(struct fastboot_store *st, void __user *uarg)
{
	struct fastboot_log *l;
	long usize, ret;

	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	usize = COPY_IN(*l, uarg);
	if (usize < 0) {
		kfree(l);
		return usize;
	}
	memset(l, 0, sizeof(*l));
	mutex_lock(&st->lock);
	ret = st->state == FB_STATE_READY ? 0 :
	      st->state == FB_STATE_DAMAGED ? -EUCLEAN : -ENODEV;
	if (!ret) {
		const struct fb_super *sb = &st->cur->sb;
		u32 i;

		for (i = 0; i < FB_BOOT_HISTORY; i++) {
			const struct fb_boot_rec *b =
				&sb->history[(sb->history_head + i) % FB_BOOT_HISTORY];

			if (b->boot)
				memcpy(&l->boots[l->count++], b, sizeof(*b));
		}
	}
	mutex_unlock(&st->lock);
	if (!ret)
		ret = copy_out(uarg, l, sizeof(*l), usize);
	kfree(l);
	return ret;
}

/*
 * The crash record, and as much of its log as the caller's buffer takes.
 * The log is copied to a kernel buffer under the lock and to the caller
 * after it: user memory is never touched under the store lock.
 */
static long ioc_crash(struct fastboot_store *st, void __user *uarg)
{
	struct fastboot_crash c;
	const struct fb_crash *rec;
	long usize = COPY_IN(c, uarg);
	size_t log_bytes = 0;
	void *log = NULL;
	long ret = 0;
	int valid;

	if (usize < 0)
		return usize;
	if (c.flags || c.reserved)
		return -EINVAL;
	if (c.log_size) {
		log = kvmalloc(FB_CRASH_LOG_MAX, GFP_KERNEL);
		if (!log)
			return -ENOMEM;
	}
	mutex_lock(&st->lock);
	if (st->state != FB_STATE_READY) {
		ret = st->state == FB_STATE_DAMAGED ? -EUCLEAN : -ENODEV;
		goto out;
	}
	valid = fb_crash_valid(&st->region.map, st->cur);
	if (!valid) {
		ret = -ENOENT;
		goto out;
	}
	rec = (const struct fb_crash *)(st->region.map.base + FB_CRASH_OFFSET);
	c.boot = rec->boot;
	c.time_ns = rec->time_ns;
	c.complete = valid == 2;
	c.msg_len = rec->msg_len;
	memcpy(c.msg, rec->msg, sizeof(c.msg));
	c.log_len = valid == 2 ? rec->log_len : 0;
	if (log && c.log_len) {
		log_bytes = min_t(u64, min_t(u64, c.log_len, c.log_size),
				  FB_CRASH_LOG_MAX);
		memcpy(log, st->region.map.base + FB_CRASH_LOG_OFFSET, log_bytes);
	}
out:
	mutex_unlock(&st->lock);
	if (!ret && log_bytes &&
	    copy_to_user(u64_to_user_ptr(c.log), log, log_bytes))
		ret = -EFAULT;
	kvfree(log);
	return ret ? ret : copy_out(uarg, &c, sizeof(c), usize);
}

static long ioc_arm(struct fastboot_store *st, void __user *uarg)
{
	struct fastboot_arm a;
	long ret = COPY_IN(a, uarg);

	if (ret < 0)
		return ret;
	if (!capable(CAP_SYS_BOOT))
		return -EPERM;
	if (a.flags & ~FASTBOOT_ARM_CLEAR)
		return -EINVAL;
	if (!(a.flags & FASTBOOT_ARM_CLEAR) &&
	    (fb_name_valid(a.image, sizeof(a.image)) || !kexec_crash_loaded()))
		return -EINVAL;
	mutex_lock(&st->lock);
	if (a.flags & FASTBOOT_ARM_CLEAR)
		memset(st->armed_image, 0, sizeof(st->armed_image));
	else
		memcpy(st->armed_image, a.image, sizeof(st->armed_image));
	mutex_unlock(&st->lock);
	return 0;
}

/* What the next kexec boots: fastboot update names it, or clears it. */
static long ioc_next(struct fastboot_store *st, void __user *uarg)
{
	struct fastboot_next n;
	long ret = COPY_IN(n, uarg);

	if (ret < 0)
		return ret;
	if (!capable(CAP_SYS_BOOT))
		return -EPERM;
	if (n.flags & ~FASTBOOT_NEXT_CLEAR)
		return -EINVAL;
	if (!(n.flags & FASTBOOT_NEXT_CLEAR) &&
	    fb_name_valid(n.image, sizeof(n.image)))
		return -EINVAL;
	mutex_lock(&st->lock);
	if (n.flags & FASTBOOT_NEXT_CLEAR)
		memset(st->next_image, 0, sizeof(st->next_image));
	else
		memcpy(st->next_image, n.image, sizeof(st->next_image));
	mutex_unlock(&st->lock);
	return 0;
}

static long ioc_guest(struct fastboot_store *st, void __user *uarg)
{
	struct fastboot_guest g;
	long ret = COPY_IN(g, uarg);

	if (ret < 0)
		return ret;
	if (g.flags || g.reserved || (g.mode & ~0777) || !g.bytes ||
	    fb_name_valid(g.name, sizeof(g.name)))
		return -EINVAL;
	return fastboot_store_guest_create(st, g.name, g.bytes, g.mode, g.uid,
					   g.gid);
}

static long ioc_rm(struct fastboot_store *st, void __user *uarg)
{
	struct fastboot_rm r;
	long ret = COPY_IN(r, uarg);

	if (ret < 0)
		return ret;
	if (r.flags || fb_name_valid(r.name, sizeof(r.name)))
		return -EINVAL;
	return fastboot_store_rm(st, r.name);
}

static long ioc_vdev(struct fastboot_store *st, unsigned int nr,
		     void __user *uarg)
{
	struct fastboot_vdev v;
	long usize = COPY_IN(v, uarg), ret;

	if (usize < 0)
		return usize;
	if (v.flags)
		return -EINVAL;
	switch (nr) {
	case _IOC_NR(FASTBOOT_IOC_VDEV_ADD):
		if (fb_name_valid(v.object, sizeof(v.object)) ||
		    fb_name_valid(v.tree, sizeof(v.tree)))
			return -EINVAL;
		ret = fastboot_vdev_add(st, &v);
		break;
	case _IOC_NR(FASTBOOT_IOC_VDEV_DEL):
		return fastboot_vdev_del(st, v.index);
	default:
		ret = fastboot_vdev_info(&v);
		break;
	}
	return ret ? ret : copy_out(uarg, &v, sizeof(v), usize);
}

static long fastboot_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct fastboot_store *st = &fastboot_store;

	if (_IOC_TYPE(cmd) != FASTBOOT_IOC_MAGIC)
		return -ENOTTY;
	/* The size bits are ignored: the struct's own size field rules. */
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(FASTBOOT_IOC_STATUS):
		return ioc_status(st, uarg);
	case _IOC_NR(FASTBOOT_IOC_INFO):
		return ioc_info(st, uarg);
	case _IOC_NR(FASTBOOT_IOC_LOG):
		return ioc_log(st, uarg);
	case _IOC_NR(FASTBOOT_IOC_VDEV_INFO):
		return ioc_vdev(st, _IOC_NR(cmd), uarg);
	case _IOC_NR(FASTBOOT_IOC_VDEV_ADD):
	case _IOC_NR(FASTBOOT_IOC_VDEV_DEL):
	case _IOC_NR(FASTBOOT_IOC_FORMAT):
	case _IOC_NR(FASTBOOT_IOC_PUT):
	case _IOC_NR(FASTBOOT_IOC_READ):
	case _IOC_NR(FASTBOOT_IOC_RM):
	case _IOC_NR(FASTBOOT_IOC_CRASH):
	case _IOC_NR(FASTBOOT_IOC_ARM):
	case _IOC_NR(FASTBOOT_IOC_GUEST):
	case _IOC_NR(FASTBOOT_IOC_NEXT):
		break;
	default:
		return -ENOTTY;
	}
	/* Everything else changes the store or reads what it holds. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(FASTBOOT_IOC_FORMAT):
		return ioc_format(st, uarg);
	case _IOC_NR(FASTBOOT_IOC_PUT):
		return ioc_put(st, uarg);
	case _IOC_NR(FASTBOOT_IOC_READ):
		return ioc_read(st, uarg);
	case _IOC_NR(FASTBOOT_IOC_RM):
		return ioc_rm(st, uarg);
	case _IOC_NR(FASTBOOT_IOC_CRASH):
		return ioc_crash(st, uarg);
	case _IOC_NR(FASTBOOT_IOC_ARM):
		return ioc_arm(st, uarg);
	case _IOC_NR(FASTBOOT_IOC_NEXT):
		return ioc_next(st, uarg);
	case _IOC_NR(FASTBOOT_IOC_VDEV_ADD):
	case _IOC_NR(FASTBOOT_IOC_VDEV_DEL):
		return ioc_vdev(st, _IOC_NR(cmd), uarg);
	default:
		return ioc_guest(st, uarg);
	}
}

static const struct file_operations fastboot_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = fastboot_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice fastboot_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "fastboot",
	.fops = &fastboot_fops,
	.mode = 0600,
};

int fastboot_dev_init(void)
{
	return misc_register(&fastboot_misc);
}

void fastboot_dev_exit(void)
{
	misc_deregister(&fastboot_misc);
}
