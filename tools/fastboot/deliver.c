// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fastboot tool: the deliver step of `fastboot update` and `fastboot arm`:
 * how each module of the image reaches the next kernel.
 *
 * The kexec payload is the kernel plus the base: the initrd modules,
 * concatenated in order, each padded to 4 bytes.  The module and mount
 * modules stay in the store (delivery "store"), where the next kernel's
 * `fastboot boot` finds them, if the base can run it (it carries
 * usr/sbin/fastboot or sbin/fastboot that knows FB_BOOT_PROTOCOL).  If it
 * cannot, every module goes through kexec as before (delivery "kexec"),
 * in manifest order; a mount module cannot, and the image is refused.
 *
 * Everything that goes through kexec is copied out of the store into
 * memory files, its SHA-256 checked (a corrupted copy is re-read from its
 * source if that still matches, else the update is refused); the base
 * must carry a fastboot.ko built for the kernel.  What stays in the store
 * is checked without reading it: the object is there, of the recorded
 * size, with the recorded SHA-256 (computed by the module when stored).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bootimg.h"
#include "client.h"
#include "fastboot.h"
#include "pipeline.h"
#include "sha256.h"

struct fdsink {
	int fd;
	off_t pos;
};

static int to_fd(void *ctx, const void *buf, size_t len)
{
	struct fdsink *s = ctx;
	const char *p = buf;

	while (len) {
		ssize_t w = pwrite(s->fd, p, len, s->pos);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		s->pos += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Write a module's source, read (and hashed) in this run, into mfd. */
static int copy_source(struct img_module *m, int mfd, off_t start)
{
	struct fdsink sink = { mfd, start };
	int ret = to_fd(&sink, m->data, m->size);

	return ret ? fb_error("memfd", "%s", strerror(-ret)) : 0;
}

/*
 * Copy one stored module into memory file mfd at offset start, checking
 * its digest.  A corrupted copy is replaced from the source if the source
 * is unchanged (or was read in this run).  A dry run changes nothing: it
 * takes what it read from a source as it is, and a corrupted copy that a
 * real run would replace from its source is taken from the source.
 */
static int copy_out(int fd, struct img_module *m, int mfd, off_t start,
		    bool dry)
{
	struct fastboot_info in;
	struct fdsink sink = { mfd, start };
	uint8_t digest[32];
	char name[64];
	int ret, attempt, stale = 0;

	if (dry && m->status == IMG_LOADED)	/* read in this run */
		return copy_source(m, mfd, start);
	img_object_name(m->sha, name);
	for (attempt = 0; attempt < 2; attempt++) {
		ret = cl_info(fd, name, &in);
		if (ret)
			return ret == -ENOENT ?
				fb_error(m->name, "module %s is missing from the store", name) :
				fb_ioctl_error(m->name, -ret);
		/* the size was planned for: never write past it */
		if (in.bytes == m->size) {
			sink.pos = start;
			ret = cl_read(fd, &in, to_fd, &sink, digest);
			/*
			 * Replaced meanwhile: another copy thread re-stored
			 * the same content (a module listed twice).  Look
			 * it up again.
			 */
			if (ret == -ESTALE && stale++ < 3) {
				attempt--;
				continue;
			}
			if (ret)
				return fb_ioctl_error(m->name, -ret);
			if (!memcmp(digest, m->sha, 32))
				return 0;
		}
		if (attempt)
			break;
		fprintf(stderr, "fastboot: %s: stored copy is corrupted (%s)\n",
			m->name, in.bytes == m->size ? "SHA-256 mismatch" : "wrong size");
		if (!m->data) {
			struct stat st;
			struct img_ident id;
			uint64_t ignored = 0;
			int sfd = open(m->path, O_RDONLY | O_CLOEXEC);

			if (sfd < 0 || fstat(sfd, &st)) {
				if (sfd >= 0)
					close(sfd);
				break;
			}
			img_ident_of(&st, &id);
			if (!m->has_ident || !img_ident_eq(&id, &m->ident)) {
				close(sfd);
				break;
			}
			fprintf(stderr, "fastboot: %s: re-reading it from %s\n",
				m->name, m->path);
			m->has_sha = true;	/* read_source checks against it */
			ret = read_source(m, sfd, &ignored);
			close(sfd);
			if (ret)
				return ret;
		}
		if (dry)
			return copy_source(m, mfd, start);
		uint8_t tag[48];

		make_tag(m, tag);
		ret = cl_put(fd, name, FASTBOOT_OBJ_BOOT, m->data, m->size, tag);
		if (ret)
			return fb_ioctl_error(m->name, -ret);
	}
	return fb_error(m->name,
			"stored copy is corrupted and %s no longer matches it; refusing to boot this image",
			m->path);
}

/*
 * The kernel into kfd (unless skipped), the chosen initramfs modules one
 * after the other into ifd, each padded to 4 bytes (Linux takes an
 * uncompressed archive only at a 4-byte aligned offset, and skips zeros
 * between archives).  Each module's digest is checked as it is copied;
 * the copies run on up to COPY_THREADS CPUs at once, since hashing is the
 * slow part.
 */
#define COPY_THREADS	4

struct copy_job {
	int fd, kfd, ifd;
	bool dry;
	struct img *img;
	off_t off[IMG_MAX_INITRDS + 1];
	bool skip[IMG_MAX_INITRDS + 1];	/* [0] the kernel */
	pthread_mutex_t lock;
	int next, ret;
};

static void *copy_worker(void *arg)
{
	struct copy_job *job = arg;

	for (;;) {
		int i, ret;

		pthread_mutex_lock(&job->lock);
		i = job->ret ? job->img->n_initrd + 1 : job->next++;
		pthread_mutex_unlock(&job->lock);
		if (i > job->img->n_initrd)
			return NULL;
		if (job->skip[i])
			continue;
		ret = copy_out(job->fd, i ? &job->img->initrd[i - 1] : &job->img->kernel,
			       i ? job->ifd : job->kfd, job->off[i], job->dry);
		if (ret) {
			pthread_mutex_lock(&job->lock);
			if (!job->ret)
				job->ret = ret;
			pthread_mutex_unlock(&job->lock);
		}
	}
}

/* What copy_image() copies. */
enum copy_what {
	COPY_KERNEL_AND_BASE,	/* the kernel, the initrd modules */
	COPY_ALL_MODULES,	/* every module, in manifest order (no kernel) */
};

static int copy_image(int fd, struct img *img, int kfd, int ifd, bool dry,
		      enum copy_what what)
{
	struct copy_job *job = calloc(1, sizeof(*job));
	pthread_t th[COPY_THREADS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int i, n = 0, ret;
	off_t end = 0;

	if (!job)
		return fb_error("update", "out of memory");
	job->fd = fd;
	job->kfd = kfd;
	job->ifd = ifd;
	job->dry = dry;
	job->img = img;
	pthread_mutex_init(&job->lock, NULL);
	job->skip[0] = what == COPY_ALL_MODULES;
	for (i = 0; i < img->n_initrd; i++) {
		job->skip[i + 1] = what == COPY_KERNEL_AND_BASE &&
				   img->initrd[i].kind != IMG_KIND_INITRD;
		if (job->skip[i + 1])
			continue;
		job->off[i + 1] = end;
		end += (off_t)((img->initrd[i].size + 3) & ~3ull);
	}
	if ((!job->skip[0] && ftruncate(kfd, (off_t)img->kernel.size)) ||
	    (ifd >= 0 && (ftruncate(ifd, 0) || ftruncate(ifd, end)))) {
		ret = fb_error("memfd", "%s", strerror(errno));
		goto out;
	}
	if (cpus > COPY_THREADS)
		cpus = COPY_THREADS;
	for (i = 1; i < cpus && i <= img->n_initrd; i++)
		if (!pthread_create(&th[n], NULL, copy_worker, job))
			n++;
	copy_worker(job);
	while (n > 0)
		pthread_join(th[--n], NULL);
	ret = job->ret;
out:
	pthread_mutex_destroy(&job->lock);
	free(job);
	return ret;
}

static void unmap_memfd(void *p, size_t len)
{
	if (len)
		munmap(p, len);
	else
		free(p);
}

static void *map_memfd(int mfd, size_t *len)
{
	struct stat st;
	void *p;

	if (fstat(mfd, &st))
		return NULL;
	*len = (size_t)st.st_size;
	if (!*len)
		return calloc(1, 1);
	p = mmap(NULL, *len, PROT_READ, MAP_SHARED, mfd, 0);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * What keeps the store from being re-attached by the image (kernel k,
 * initramfs i, NULL when the image has none), into why; "" if nothing.
 */
static void vermagic_problem(const uint8_t *k, size_t klen, const uint8_t *i,
			     size_t ilen, char *release, size_t rel_len,
			     char *why, size_t why_len)
{
	struct ko_found ko;
	char magic_rel[128];

	if (bzimage_release(k, klen, release, rel_len))
		snprintf(why, why_len, "the kernel is neither a bzImage nor an ELF vmlinux; cannot tell its release");
	else if (!i)
		snprintf(why, why_len, "the image has no initramfs, so no fastboot.ko");
	else if (initramfs_find_module(i, ilen, "fastboot.ko", release, &ko, why, why_len))
		;
	else if (!ko.count)
		snprintf(why, why_len, "the initramfs carries no fastboot.ko");
	else {
		/* The release is vermagic's first word. */
		if (sscanf(ko.vermagic, "%127s", magic_rel) != 1)
			snprintf(why, why_len, "cannot read the vermagic of %s", ko.path);
		else if (strcmp(magic_rel, release))
			snprintf(why, why_len, "%s is built for %s, the kernel is %s",
				 ko.path, magic_rel, release);
	}
}

/*
 * The image must carry a fastboot.ko built for its kernel, in what goes
 * through kexec.  ifd is -1 for an image without initramfs.
 */
static int check_vermagic(int kfd, int ifd, const struct deliver_opts *o,
			  char *release, size_t rel_len)
{
	size_t klen = 0, ilen = 0;
	uint8_t *k = map_memfd(kfd, &klen);
	uint8_t *i = ifd >= 0 ? map_memfd(ifd, &ilen) : NULL;
	char why[768] = "";
	int ret = 0;

	release[0] = 0;
	if (!k || (ifd >= 0 && !i))
		ret = fb_error("image", "cannot map it: %s", strerror(errno));
	else
		vermagic_problem(k, klen, i, ilen, release, rel_len, why, sizeof(why));
	if (why[0]) {
		if (o->force)
			fprintf(stderr, "fastboot: warning: %s; booting anyway (--force)\n", why);
		else
			ret = fb_error("image", "%s: the store could not be re-attached after the reboot (--force boots it anyway)",
				       why);
	}
	if (k)
		unmap_memfd(k, klen);
	if (i)
		unmap_memfd(i, ilen);
	return ret;
}


/* Does the archive entry name (any of "./x", "/x", "x") denote path? */
static bool entry_is(const char *name, const char *path)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (name[0] == '/')
		name++;
	return !strcmp(name, path);
}

struct tool_found {
	bool boots;	/* the last usr/sbin/fastboot or sbin/fastboot knows
			 * FB_BOOT_PROTOCOL */
	bool declared;	/* the last FB_BOOT_DECLARATION says the base runs it */
};

/* A regular file (executable if exec) of e that contains FB_BOOT_PROTOCOL. */
static bool has_protocol(const struct cpio_entry *e, bool exec)
{
	return (e->mode & 0170000) == 0100000 && (!exec || (e->mode & 0111)) &&
	       memmem(e->data, e->size, FB_BOOT_PROTOCOL,
		      sizeof(FB_BOOT_PROTOCOL) - 1);
}

/* The last entry of a name wins, as in the unpacked initramfs. */
static int tool_cb(void *ctx, const struct cpio_entry *e)
{
	struct tool_found *t = ctx;

	if (entry_is(e->name, "usr/sbin/fastboot") || entry_is(e->name, "sbin/fastboot"))
		t->boots = has_protocol(e, true);
	else if (entry_is(e->name, FB_BOOT_DECLARATION))
		t->declared = has_protocol(e, false);
	return 0;
}

bool base_runs_boot(const uint8_t *buf, size_t len)
{
	struct tool_found t = { false, false };
	char why[256];

	return !initramfs_walk(buf, len, tool_cb, &t, why, sizeof(why)) &&
	       t.boots && t.declared;
}

static bool base_in_memfd_runs_boot(int ifd)
{
	size_t len = 0;
	uint8_t *p;
	bool ok;

	if (ifd < 0)
		return false;
	p = map_memfd(ifd, &len);
	if (!p)
		return false;
	ok = base_runs_boot(p, len);
	unmap_memfd(p, len);
	return ok;
}

static int discard(void *ctx, const void *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return 0;
}

/*
 * --verify: read a module left in the store back, whole, and replace a
 * corrupted copy from its source (read and hashed in this run, as
 * --verify reads every source).
 */
static int verify_in_store(int fd, struct img_module *m,
			   const struct fastboot_info *in, bool dry)
{
	uint8_t digest[32], tag[48];
	char name[64];
	int ret = cl_read(fd, in, discard, NULL, digest);

	if (ret)
		return fb_ioctl_error(m->name, -ret);
	if (!memcmp(digest, m->sha, 32))
		return 0;
	fprintf(stderr, "fastboot: %s: stored copy is corrupted (SHA-256 mismatch)\n",
		m->name);
	if (!m->data && m->size)
		return fb_error(m->name, "stored copy is corrupted and its source was not read; refusing to boot this image");
	if (dry)
		return 0;
	fprintf(stderr, "fastboot: %s: storing it again from %s\n", m->name, m->path);
	img_object_name(m->sha, name);
	if (!release_devices(fd, name))
		return fb_error(m->name, "a mounted device reads the corrupted copy: unmount %s first",
				m->dir);
	make_tag(m, tag);
	ret = cl_put(fd, name, FASTBOOT_OBJ_BOOT, m->data, m->size, tag);
	return ret ? fb_ioctl_error(m->name, -ret) : 0;
}

/*
 * A mount module's hash tree must be in the store, of its size; with
 * --verify (which read the source and built the tree again) its content
 * is read back too, and a corrupted copy stored again.  (The kernel
 * checks the tree against the root hash as it reads it anyway: a
 * corrupted tree makes reads fail, it never lets bad data through.)
 */
static int check_tree(int fd, struct img_module *m, const struct deliver_opts *o)
{
	struct fastboot_info in;
	struct sha256 sha;
	uint8_t digest[32], want[32];
	char name[64];
	int ret;

	if (!m->has_verity)
		return fb_error(m->name, "the image record has no root hash for this mount module; run 'fastboot update' with its manifest");
	img_tree_name(m->verity_root, name);
	if (o->dry && m->status == IMG_LOADED)
		return 0;
	if (!tree_in_store(fd, m->verity_root, m->size))
		return fb_error(m->name, "its hash tree %s is missing from the store, or of the wrong size; the next boot could not mount it",
				name);
	if (!o->verify || m->status != IMG_LOADED)	/* no tree built */
		return 0;
	if ((ret = cl_info(fd, name, &in)) ||
	    (ret = cl_read(fd, &in, discard, NULL, digest)))
		return fb_ioctl_error(name, -ret);
	sha256_init(&sha);
	sha256_update(&sha, m->tree, m->tree_len);
	sha256_final(&sha, want);
	if (!memcmp(digest, want, 32))
		return 0;
	fprintf(stderr, "fastboot: %s: stored hash tree is corrupted (SHA-256 mismatch)\n",
		m->name);
	if (o->dry)
		return 0;
	fprintf(stderr, "fastboot: %s: storing its hash tree again\n", m->name);
	if (!release_devices(fd, name))
		return fb_error(m->name, "a mounted device reads the corrupted tree: unmount %s first",
				m->dir);
	ret = cl_rm(fd, name);
	if (ret)
		return fb_ioctl_error(name, -ret);
	return store_tree(fd, m, NULL);
}

/*
 * A module left in the store must be found there by the next kernel: the
 * object is there, of its size, with its SHA-256 (the module computed it
 * when the object was stored); with --verify its content is read back
 * too.  A dry run takes what it read in this run as it is: it stores
 * nothing.
 */
static int check_in_store(int fd, struct img *img, const struct deliver_opts *o)
{
	struct img_module *m;
	struct fastboot_info in;
	char name[64];
	int i, ret;

	for (i = 0; i < img->n_initrd; i++) {
		m = &img->initrd[i];
		if (m->delivery != IMG_DELIVER_STORE ||
		    (o->dry && m->status == IMG_LOADED))
			continue;
		img_object_name(m->sha, name);
		ret = cl_info(fd, name, &in);
		if (ret)
			return ret == -ENOENT ?
				fb_error(m->name, "%s is missing from the store; the next boot could not find it", name) :
				fb_ioctl_error(m->name, -ret);
		if (in.type != FASTBOOT_OBJ_BOOT || in.bytes != m->size ||
		    !(in.obj_flags & FASTBOOT_OBJ_F_DIGEST) ||
		    memcmp(in.sha256, m->sha, 32))
			return fb_error(m->name, "%s in the store is not this module (size %llu, expected %llu, or another SHA-256); refusing to boot this image",
					name, (unsigned long long)in.bytes,
					(unsigned long long)m->size);
		if (o->verify && (ret = verify_in_store(fd, m, &in, o->dry)))
			return ret;
		if (m->kind == IMG_KIND_MOUNT && (ret = check_tree(fd, m, o)))
			return ret;
	}
	return 0;
}

int deliver(int fd, struct img *img, int kfd, int ifd,
	    const struct deliver_opts *o, char *release, size_t rel_len)
{
	bool byref = img_has_byref(img);
	int i, ret;

	for (i = 0; i < img->n_initrd; i++)
		img->initrd[i].delivery = IMG_DELIVER_KEXEC;
	/* without by-reference modules, the base is every module */
	ret = copy_image(fd, img, kfd, ifd, o->dry, COPY_KERNEL_AND_BASE);
	if (ret)
		return ret;
	if (byref && base_in_memfd_runs_boot(ifd)) {
		for (i = 0; i < img->n_initrd; i++)
			if (img->initrd[i].kind != IMG_KIND_INITRD)
				img->initrd[i].delivery = IMG_DELIVER_STORE;
	} else if (byref) {
		for (i = 0; i < img->n_initrd; i++)
			if (img->initrd[i].kind == IMG_KIND_MOUNT)
				return fb_error(img->initrd[i].name,
						"a mount module needs a base initramfs that runs 'fastboot boot' (usr/sbin/fastboot of this version and etc/fastboot/boot)");
		fprintf(stderr, "fastboot: the base initramfs does not run 'fastboot boot' (it needs usr/sbin/fastboot of this version and etc/fastboot/boot): every module goes through kexec\n");
		ret = copy_image(fd, img, kfd, ifd, o->dry, COPY_ALL_MODULES);
		if (ret)
			return ret;
	}
	if ((ret = check_vermagic(kfd, ifd, o, release, rel_len)))
		return ret;
	return check_in_store(fd, img, o);
}
