// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fastboot tool: `fastboot update`, a firmware-less reboot into a boot
 * image that reads from disk only the modules that changed.
 *
 * 1. Plan: stat every module.  A module is reused without reading its
 *    source when the manifest gives a SHA-256 already in the store, or its
 *    identity (dev, inode, size, mtime, ctime) equals the one recorded by
 *    the current or previous image.  Otherwise it is read and hashed once.
 * 2. Check the free space; nothing is written before this point, so a
 *    missing, unreadable or oversized image leaves the store unchanged.
 * 3. Store the new content as boot objects "b:<sha256>".
 * 4. Copy every module out of the store into memory files (the initrds
 *    concatenated in order, each padded to 4 bytes), checking each
 *    SHA-256 (a corrupted copy is re-read from its source if that still
 *    matches, else the update is refused), and check with libelf that the
 *    image carries a fastboot.ko built for its kernel.
 * 5. kexec_file_load() them (or kexec_load() through kexec(8)).
 * 6. Record the image as "img.<N>" and free modules that neither it nor the
 *    previous image uses.
 * 7. Reboot: `systemctl kexec` under systemd, or at once with --now.
 *
 * --dry-run runs steps 1, 2 and 4 (from the sources it read and the
 * store, changing nothing), so it fails where a real run would.  A run
 * that fails or is interrupted after step 5 unloads what it loaded; new
 * objects are dropped unless step 6 recorded them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bootimg.h"
#include "client.h"
#include "image.h"
#include "json.h"
#include "sha256.h"
#include "update.h"

#define RECORD_MAX	(64u << 10)
#define IMG_RECOVERY	"img.recovery"		/* the image fastboot arm loaded */
#define MEMMAP_BLOB	"memmap.production"	/* saved by fastboot arm */
#define POST_NOTIFIERS	"/sys/module/kernel/parameters/crash_kexec_post_notifiers"

struct opts {
	bool verify, rollback, from_store, now, no_exec, dry_run, force;
	bool reuse_cmdline;
	const char *image_file, *cmdline, *kernel, *append;
	const char *config;		/* --config; FB_DEFAULT_CONFIG */
	char conf_image[4096];		/* FASTBOOT_IMAGE from it */
	char def_kernel[64], def_initrd[64];	/* the default image's files */
	bool default_image;		/* no image option, none configured */
	bool no_store;			/* dry run without an attached store */
	const char *initrd[IMG_MAX_INITRDS];
	int n_initrd;
	bool crash;			/* arm: load as the crash kernel */
};

/* The image records found in the store. */
struct records {
	struct img cur, prev, rec;
	bool have_cur, have_prev, have_rec;
	unsigned long n_cur, n_prev;	/* their N in img.<N> */
	char (*names)[64];		/* every img.<N> object, for cleanup */
	int n_names;
};

static void records_free(struct records *r)
{
	free(r->names);
	r->names = NULL;
	r->n_names = 0;
}

static int records_add_name(struct records *r, const char *name)
{
	char (*nn)[64] = realloc(r->names, ((size_t)r->n_names + 1) * 64);

	if (!nn)
		return fb_error("image records", "out of memory");
	r->names = nn;
	snprintf(r->names[r->n_names++], 64, "%s", name);
	return 0;
}

static const char *status_name(enum img_status s)
{
	return s == IMG_REUSED ? "reused" : s == IMG_LOADED ? "loaded" : "pending";
}

static int record_number(const char *name, unsigned long *n)
{
	uint64_t v;

	if (strncmp(name, IMG_RECORD_PREFIX, strlen(IMG_RECORD_PREFIX)) ||
	    fb_parse_uint(name + strlen(IMG_RECORD_PREFIX), 10, ULONG_MAX, &v))
		return -1;
	*n = (unsigned long)v;
	return 0;
}

struct membuf {
	char *buf;
	size_t len, cap;
};

static int to_membuf(void *ctx, const void *buf, size_t len)
{
	struct membuf *m = ctx;

	if (m->len + len > m->cap)
		return -EFBIG;
	memcpy(m->buf + m->len, buf, len);
	m->len += len;
	return 0;
}

static int load_record(int fd, const char *name, struct img *img)
{
	struct fastboot_info in;
	struct membuf mb = { 0 };
	uint8_t digest[32];
	char why[128];
	int ret;

	ret = cl_info(fd, name, &in);
	if (ret)
		return ret;
	if (in.bytes > RECORD_MAX)
		return fb_error(name, "image record too large, ignored");
	mb.cap = in.bytes;
	mb.buf = malloc(mb.cap + 1);
	if (!mb.buf)
		return -ENOMEM;
	ret = cl_read(fd, &in, to_membuf, &mb, digest);
	if (!ret && (in.obj_flags & FASTBOOT_OBJ_F_DIGEST) &&
	    memcmp(digest, in.sha256, 32))
		ret = fb_error(name, "image record is corrupted (SHA-256 mismatch), ignored");
	else if (!ret && img_record_parse(mb.buf, mb.len, img, why, sizeof(why)))
		ret = fb_error(name, "%s, ignored", why);
	free(mb.buf);
	return ret;
}

static int load_records(int fd, struct records *r)
{
	struct fastboot_info in;
	uint32_t index = 0;
	unsigned long n, best = 0, second = 0;
	bool have_best = false, have_second = false;
	int ret;

	records_free(r);
	memset(r, 0, sizeof(*r));
	while (!(ret = cl_next(fd, &index, &in))) {
		if (record_number(in.name, &n))
			continue;
		if (records_add_name(r, in.name))
			return EXIT_FAIL;
		if (!have_best || n > best) {
			second = best;
			have_second = have_best;
			best = n;
			have_best = true;
		} else if (!have_second || n > second) {
			second = n;
			have_second = true;
		}
	}
	if (ret != -ENOENT)
		return fb_ioctl_error("ls", -ret);
	if (have_best) {
		char name[64];

		snprintf(name, sizeof(name), IMG_RECORD_PREFIX "%lu", best);
		r->have_cur = !load_record(fd, name, &r->cur);
		r->n_cur = best;
	}
	if (have_second) {
		char name[64];

		snprintf(name, sizeof(name), IMG_RECORD_PREFIX "%lu", second);
		r->have_prev = !load_record(fd, name, &r->prev);
		r->n_prev = second;
	}
	r->have_rec = !cl_info(fd, IMG_RECOVERY, &in) &&
		      !load_record(fd, IMG_RECOVERY, &r->rec);
	return 0;
}

/* Is the content sha (size bytes) in the store as a boot object? */
static bool in_store(int fd, const uint8_t sha[32], uint64_t size)
{
	struct fastboot_info in;
	char name[64];

	img_object_name(sha, name);
	return !cl_info(fd, name, &in) && in.bytes == size &&
	       (in.obj_flags & FASTBOOT_OBJ_F_DIGEST) &&
	       !memcmp(in.sha256, sha, 32);
}

/* A recorded module with the same source path and identity. */
static const struct img_module *recorded(const struct records *r,
					 const struct img_module *m)
{
	const struct img *imgs[3] = { r->have_cur ? &r->cur : NULL,
				      r->have_prev ? &r->prev : NULL,
				      r->have_rec ? &r->rec : NULL };
	const struct img_module *e;
	int i, j;

	for (j = 0; j < 3; j++) {
		if (!imgs[j])
			continue;
		img_for_each(imgs[j], e, i)
			if (e->has_ident && !strcmp(e->path, m->path) &&
			    img_ident_eq(&e->ident, &m->ident))
				return e;
	}
	return NULL;
}

static void human(uint64_t bytes, char *buf, size_t len)
{
	fb_human_size(bytes, buf, len);
}

/* Map and hash a module's source. */
static int read_source(struct img_module *m, int sfd, uint64_t *bytes_read)
{
	struct sha256 sha;
	uint8_t digest[32];
	char size[32];

	if (m->size >= (1u << 20)) {
		human(m->size, size, sizeof(size));
		fprintf(stderr, "fastboot: reading %s (%s)...\n", m->path, size);
	}
	m->data = NULL;
	if (m->size) {
		m->data = mmap(NULL, m->size, PROT_READ, MAP_PRIVATE, sfd, 0);
		if (m->data == MAP_FAILED) {
			m->data = NULL;
			return fb_error(m->path, "%s", strerror(errno));
		}
	}
	sha256_init(&sha);
	sha256_update(&sha, m->data, m->size);
	sha256_final(&sha, digest);
	if (m->has_sha && memcmp(digest, m->sha, 32))
		return fb_error(m->path, "content does not match the SHA-256 the manifest gives");
	memcpy(m->sha, digest, 32);
	m->has_sha = true;
	m->status = IMG_LOADED;
	*bytes_read += m->size;
	return 0;
}

/* Step 1: decide, per module, whether its source must be read. */
static int plan(int fd, const struct opts *o, struct img *img,
		const struct records *r, uint64_t *bytes_read)
{
	struct img_module *m;
	struct stat st;
	int i, sfd, ret = 0;

	img_for_each(img, m, i) {
		const struct img_module *e;

		sfd = open(m->path, O_RDONLY | O_CLOEXEC);
		if (sfd < 0)
			return fb_error(m->path, "%s", strerror(errno));
		if (fstat(sfd, &st) || !S_ISREG(st.st_mode)) {
			close(sfd);
			return fb_error(m->path, "not a regular file");
		}
		img_ident_of(&st, &m->ident);
		m->has_ident = true;
		m->size = (uint64_t)st.st_size;
		if (!o->verify && m->has_sha && in_store(fd, m->sha, m->size)) {
			m->status = IMG_REUSED;
		} else if (!o->verify && !m->has_sha && (e = recorded(r, m)) &&
			   in_store(fd, e->sha, m->size)) {
			memcpy(m->sha, e->sha, 32);
			m->has_sha = true;
			m->status = IMG_REUSED;
		} else {
			ret = read_source(m, sfd, bytes_read);
		}
		close(sfd);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Bytes of new objects the image needs (each content counted once), plus
 * extra bytes of blobs written with it (the image record, the memory map).
 */
static uint64_t space_needed(int fd, const struct img *img, uint64_t extra)
{
	const struct img_module *m, *p;
	uint64_t need = 0;
	int i, j;

	img_for_each(img, m, i) {
		bool dup = false;

		if (m->status != IMG_LOADED || in_store(fd, m->sha, m->size))
			continue;
		img_for_each(img, p, j) {
			if (p == m)
				break;
			dup |= p->status == IMG_LOADED && !memcmp(p->sha, m->sha, 32);
		}
		if (!dup)
			need += fb_pages(m->size) * FB_PAGE_SIZE;
	}
	return need + extra;
}

static void make_tag(const struct img_module *m, uint8_t tag[48])
{
	memset(tag, 0, 48);
	memcpy(tag, &m->ident, sizeof(m->ident));
}

/* Objects this run added, removed again if the update fails. */
struct added {
	char names[IMG_MAX_INITRDS + 1][64];
	int n;
};

static void drop_added(int fd, struct added *a)
{
	while (a->n > 0)
		cl_rm(fd, a->names[--a->n]);
}

/* Step 3: store new content. */
static int store_new(int fd, struct img *img, struct added *added)
{
	struct img_module *m;
	char name[64];
	uint8_t tag[48];
	int i, ret = 0;

	img_for_each(img, m, i) {
		if (m->status != IMG_LOADED || in_store(fd, m->sha, m->size))
			continue;
		img_object_name(m->sha, name);
		make_tag(m, tag);
		ret = cl_put(fd, name, FASTBOOT_OBJ_BOOT, m->data, m->size, tag);
		if (ret) {
			fb_ioctl_error(m->path, -ret);
			break;
		}
		strcpy(added->names[added->n++], name);
	}
	return ret ? EXIT_FAIL : 0;
}

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
 * Step 4: the kernel into kfd, the initramfs modules one after the other
 * into ifd, each padded to 4 bytes (Linux takes an uncompressed archive
 * only at a 4-byte aligned offset, and skips zeros between archives).
 * Each module's digest is checked as it is copied; the copies run on up
 * to COPY_THREADS CPUs at once, since hashing is the slow part.
 */
#define COPY_THREADS	4

struct copy_job {
	int fd, kfd, ifd;
	bool dry;
	struct img *img;
	off_t off[IMG_MAX_INITRDS + 1];
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

static int copy_image(int fd, struct img *img, int kfd, int ifd, bool dry)
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
	for (i = 0; i < img->n_initrd; i++) {
		job->off[i + 1] = end;
		end += (off_t)((img->initrd[i].size + 3) & ~3ull);
	}
	if (ftruncate(kfd, (off_t)img->kernel.size) ||
	    (ifd >= 0 && ftruncate(ifd, end))) {
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
	else if (initramfs_find_module(i, ilen, "fastboot.ko", &ko, why, why_len))
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
 * Step 4b: the image must carry a fastboot.ko built for its kernel.  ifd
 * is -1 for an image without initramfs.
 */
static int check_vermagic(int kfd, int ifd, const struct opts *o,
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

/* Command line words, in order. */
struct words {
	char *w[512];
	int n;
};

static bool key_is(const char *w, const char *key)
{
	size_t n = strlen(key);

	return !strncmp(w, key, n) && (w[n] == '=' || w[n] == 0);
}

static void words_drop(struct words *ws, const char *key)
{
	int i, j = 0;

	for (i = 0; i < ws->n; i++)
		if (!key_is(ws->w[i], key))
			ws->w[j++] = ws->w[i];
		else
			free(ws->w[i]);
	ws->n = j;
}

static int words_add(struct words *ws, const char *w)
{
	if (ws->n == (int)(sizeof(ws->w) / sizeof(ws->w[0])))
		return fb_error("cmdline", "too many words");
	ws->w[ws->n] = strdup(w);
	return ws->w[ws->n++] ? 0 : fb_error("cmdline", "out of memory");
}

static int words_split(struct words *ws, const char *s)
{
	char *copy = strdup(s), *w, *save;
	int ret = 0;

	if (!copy)
		return fb_error("cmdline", "out of memory");
	for (w = strtok_r(copy, " \t\n", &save); w && !ret;
	     w = strtok_r(NULL, " \t\n", &save))
		ret = words_add(ws, w);
	free(copy);
	return ret;
}

static void words_free(struct words *ws)
{
	while (ws->n > 0)
		free(ws->w[--ws->n]);
}

/* Is this a crash (kdump) kernel? */
static bool in_crash_kernel(void)
{
	return access("/proc/vmcore", F_OK) == 0;
}

/*
 * A crash kernel knows only the crashkernel= memory and would pass that
 * map on.  To boot a full-memory kernel from it, give the production
 * boot's memory map, saved by fastboot arm, explicitly: memmap=exactmap,
 * its System RAM and ACPI ranges, then the reserved ranges (the store's
 * memmap=SIZE$ADDR) from the command line again.
 */
static int exactmap(int fd, struct words *ws)
{
	struct fastboot_info in;
	struct membuf mb = { 0 };
	struct words kept = { .n = 0 };
	uint8_t digest[32];
	char *line, *save;
	int i, ret;

	ret = cl_info(fd, MEMMAP_BLOB, &in);
	if (ret)
		return fb_error(MEMMAP_BLOB, "no saved memory map of the production boot (fastboot arm saves it); cannot boot a full-memory kernel from a crash kernel");
	if (in.bytes > RECORD_MAX)
		return fb_error(MEMMAP_BLOB, "larger than %u bytes", RECORD_MAX);
	mb.cap = in.bytes;
	mb.buf = calloc(1, mb.cap + 1);
	if (!mb.buf)
		return fb_error(MEMMAP_BLOB, "out of memory");
	ret = cl_read(fd, &in, to_membuf, &mb, digest);
	if (ret || memcmp(digest, in.sha256, 32)) {
		free(mb.buf);
		return fb_error(MEMMAP_BLOB, "cannot read it, or it is corrupted");
	}
	/* The reserved ranges (memmap=SIZE$ADDR, ...) stay, the @ ranges go. */
	for (i = 0; i < ws->n && !ret; i++)
		if (key_is(ws->w[i], "memmap") && strcmp(ws->w[i], "memmap=exactmap") &&
		    !strchr(ws->w[i], '@'))
			ret = words_add(&kept, ws->w[i]);
	if (!ret) {
		words_drop(ws, "memmap");
		ret = words_add(ws, "memmap=exactmap");
	}
	for (line = strtok_r(mb.buf, "\n", &save); line && !ret;
	     line = strtok_r(NULL, "\n", &save))
		ret = words_add(ws, line);
	for (i = 0; i < kept.n && !ret; i++)
		ret = words_add(ws, kept.w[i]);
	words_free(&kept);
	free(mb.buf);
	return ret;
}

/* The command line to boot with (fastboot.image= is added at load). */
static int build_cmdline(int fd, const struct opts *o, struct img *img)
{
	static const char *const transient[] = {
		"fastboot.image", "BOOT_IMAGE", "elfcorehdr", "acpi_rsdp",
	};
	static const char *const kdump[] = { "irqpoll", "nr_cpus=1", "reset_devices" };
	char buf[IMG_CMDLINE_MAX];
	struct words ws = { .n = 0 };
	size_t i;
	int j, ret = 0;

	if (o->cmdline) {
		snprintf(buf, sizeof(buf), "%s", o->cmdline);
	} else if (o->reuse_cmdline || img->reuse_cmdline) {
		FILE *f = fopen("/proc/cmdline", "r");

		if (!f || !fgets(buf, sizeof(buf), f)) {
			if (f)
				fclose(f);
			return fb_error("/proc/cmdline", "cannot read it");
		}
		fclose(f);
	} else if (img->has_cmdline) {
		snprintf(buf, sizeof(buf), "%s", img->cmdline);
	} else {
		return fb_usage_error("the image needs --cmdline STR or --reuse-cmdline");
	}
	ret = words_split(&ws, buf);
	for (i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
		words_drop(&ws, transient[i]);
	if (!ret && o->crash) {
		/* As kdump tools do: no crashkernel=, fewer devices and CPUs. */
		words_drop(&ws, "crashkernel");
		for (i = 0; i < sizeof(kdump) / sizeof(kdump[0]) && !ret; i++) {
			char key[32];

			snprintf(key, sizeof(key), "%s", kdump[i]);
			*strchrnul(key, '=') = 0;
			words_drop(&ws, key);
			ret = words_add(&ws, kdump[i]);
		}
	}
	if (!ret && o->append) {
		struct words add = { .n = 0 };

		ret = words_split(&add, o->append);
		for (j = 0; !ret && j < add.n; j++) {
			char key[256];

			snprintf(key, sizeof(key), "%s", add.w[j]);
			*strchrnul(key, '=') = 0;
			if (strcmp(key, "memmap"))
				words_drop(&ws, key);
			ret = words_add(&ws, add.w[j]);
		}
		words_free(&add);
	}
	if (!ret && !o->crash && in_crash_kernel())
		ret = exactmap(fd, &ws);
	buf[0] = 0;
	for (j = 0; !ret && j < ws.n; j++) {
		if (strlen(buf) + strlen(ws.w[j]) + 2 >= sizeof(buf))
			ret = fb_error("cmdline", "too long");
		else {
			if (buf[0])
				strcat(buf, " ");
			strcat(buf, ws.w[j]);
		}
	}
	words_free(&ws);
	if (ret)
		return ret;
	strcpy(img->cmdline, buf);
	img->has_cmdline = true;
	if (!strstr(buf, "fastboot.region="))
		fprintf(stderr, "fastboot: warning: the command line has no fastboot.region=; the store will not be re-attached at boot unless the module is loaded with region=\n");
	if (!strstr(buf, "memmap="))
		fprintf(stderr, "fastboot: warning: the command line has no memmap=; the new kernel may use the store's memory as RAM\n");
	return 0;
}

static int kexec_tools_load(int kfd, int ifd, const char *cmdline, bool crash)
{
	char kpath[64], ipath[64], *cl;
	pid_t pid;
	int st;

	snprintf(kpath, sizeof(kpath), "/proc/self/fd/%d", kfd);
	snprintf(ipath, sizeof(ipath), "--initrd=/proc/self/fd/%d", ifd);
	if (asprintf(&cl, "--command-line=%s", cmdline) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		/* no initramfs: no --initrd (the command line comes first) */
		execlp("kexec", "kexec", crash ? "-p" : "-l", kpath, cl,
		       ifd >= 0 ? ipath : (char *)NULL, (char *)NULL);
		fprintf(stderr, "fastboot: kexec: %s\n", strerror(errno));
		_exit(127);
	}
	free(cl);
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/*
 * Test hooks, documented in fastboot(8) (ENVIRONMENT), for the VM test
 * beds only.  FASTBOOT_TEST_HOOK=sigterm-after-load: the tool sends itself
 * SIGTERM right after the kernel is loaded, so a test can interrupt an
 * update at that exact point.  =no-kexec-file-load: kexec_file_load() is
 * taken as refused (EPERM, as lockdown or an unsigned kernel refuse it),
 * so a test can run the kexec_load fallback.  Any other value does
 * nothing.
 */
static bool test_hook_is(const char *point)
{
	const char *h = getenv("FASTBOOT_TEST_HOOK");

	return h && !strcmp(h, point);
}

static void test_hook(const char *point)
{
	if (test_hook_is(point))
		kill(getpid(), SIGTERM);
}

/*
 * Step 5: load the kernel, preferring kexec_file_load().  ifd is -1 for
 * an image without initramfs.
 */
static int load_kernel(int kfd, int ifd, const char *cmdline, bool crash)
{
	unsigned long flags = (crash ? KEXEC_FILE_ON_CRASH : 0) |
			      (ifd < 0 ? KEXEC_FILE_NO_INITRAMFS : 0);
	long r;

	if (test_hook_is("no-kexec-file-load")) {
		errno = EPERM;
		r = -1;
	} else {
		r = syscall(SYS_kexec_file_load, kfd, ifd, strlen(cmdline) + 1,
			    cmdline, flags);
	}
	if (r == 0)
		return 0;
	if (errno == EPERM && geteuid() != 0)
		return fb_error("kexec_file_load", "permission denied (needs CAP_SYS_BOOT)");
	if (errno == EBUSY && crash)
		return fb_error("kexec_file_load", "a crash kernel is being used");
	if (errno == ENOMEM && crash)
		return fb_error("kexec_file_load",
				"no crash kernel memory: add crashkernel=384M to the kernel command line and reboot");
	fprintf(stderr, "fastboot: kexec_file_load: %s; falling back to kexec_load through kexec(8)\n",
		strerror(errno));
	if (kexec_tools_load(kfd, ifd, cmdline, crash))
		return fb_error("kexec_load", "kexec(8) could not load the image");
	return 0;
}

/*
 * Step 6: record the image as name and free what no kept image uses.
 * update keeps the new image, the one that was current (now previous) and
 * the armed recovery image; arm keeps its image, current and previous.
 */
static int commit_image(int fd, struct img *img, const struct records *r,
			const char *name, const char *rec, size_t len, bool crash)
{
	const struct img *keep[3] = {
		img, r->have_cur ? &r->cur : NULL,
		crash ? (r->have_prev ? &r->prev : NULL) : (r->have_rec ? &r->rec : NULL),
	};
	struct fastboot_info in;
	uint32_t index = 0;
	char (*drop)[64] = NULL;
	int i, j, k, n_drop = 0, ret;

	ret = cl_put(fd, name, FASTBOOT_OBJ_BLOB, rec, len, NULL);
	if (ret)
		return fb_ioctl_error(name, -ret);
	/* Older records go (not for arm); so do unreferenced boot objects. */
	for (i = 0; i < r->n_names && !crash; i++) {
		unsigned long rn;

		if (!record_number(r->names[i], &rn) && strcmp(r->names[i], name) &&
		    !(r->have_cur && rn == r->n_cur))
			cl_rm(fd, r->names[i]);
	}
	while (!cl_next(fd, &index, &in)) {
		bool used = false;
		const struct img_module *m;

		if (strncmp(in.name, IMG_OBJ_PREFIX, strlen(IMG_OBJ_PREFIX)) ||
		    in.type != FASTBOOT_OBJ_BOOT)
			continue;
		for (k = 0; k < 3 && !used; k++) {
			if (!keep[k])
				continue;
			img_for_each(keep[k], m, j) {
				char on[64];

				img_object_name(m->sha, on);
				used |= !strcmp(on, in.name);
			}
		}
		if (!used) {
			char (*nd)[64] = realloc(drop, (n_drop + 1) * 64);

			if (!nd)
				break;
			drop = nd;
			strcpy(drop[n_drop++], in.name);
		}
	}
	for (i = 0; i < n_drop; i++)
		cl_rm(fd, drop[i]);
	free(drop);
	return 0;
}

static int write_sysfs(const char *path, const char *val)
{
	int f = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n = f < 0 ? -1 : write(f, val, strlen(val));

	if (f >= 0)
		close(f);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/*
 * The System RAM and ACPI ranges of this boot (for exactmap), as
 * memmap= lines into buf (RECORD_MAX bytes); their length, 0 on error.
 */
static size_t build_memmap(char *buf)
{
	char path[128], type[64];
	size_t len = 0;
	int i, ret;

	for (i = 0; len + 64 < RECORD_MAX; i++) {
		unsigned long long start, end;
		FILE *f;
		const char *op;

		snprintf(path, sizeof(path), "/sys/firmware/memmap/%d/start", i);
		if (!(f = fopen(path, "r")))
			break;
		ret = fscanf(f, "%llx", &start);
		fclose(f);
		snprintf(path, sizeof(path), "/sys/firmware/memmap/%d/end", i);
		if (ret != 1 || !(f = fopen(path, "r")))
			break;
		ret = fscanf(f, "%llx", &end);
		fclose(f);
		snprintf(path, sizeof(path), "/sys/firmware/memmap/%d/type", i);
		if (ret != 1 || !(f = fopen(path, "r")))
			break;
		if (!fgets(type, sizeof(type), f))
			type[0] = 0;
		fclose(f);
		type[strcspn(type, "\n")] = 0;
		if (!strcmp(type, "System RAM"))
			op = "@";
		else if (!strcmp(type, "ACPI Tables"))
			op = "#";
		else
			continue;
		len += (size_t)snprintf(buf + len, RECORD_MAX - len,
					"memmap=%lluK%s0x%llx\n",
					(end - start + 1) >> 10, op, start);
	}
	if (!len)
		fb_error("/sys/firmware/memmap", "no System RAM ranges found");
	return len;
}

static int save_memmap(int fd, const char *buf, size_t len)
{
	int ret = cl_put(fd, MEMMAP_BLOB, FASTBOOT_OBJ_BLOB, buf, len, NULL);

	return ret ? fb_ioctl_error(MEMMAP_BLOB, -ret) : 0;
}

static int set_armed(int fd, const char *image)
{
	struct fastboot_arm a = { .size = sizeof(a) };

	if (image)
		snprintf(a.image, sizeof(a.image), "%s", image);
	else
		a.flags = FASTBOOT_ARM_CLEAR;
	return fb_ioctl(fd, FASTBOOT_IOC_ARM, &a, image ? "arm" : "disarm");
}

/*
 * Tell the module which image the next kexec boots (NULL: none of ours),
 * so that the store carries it across the reboot.
 */
static int set_next(int fd, const char *image)
{
	struct fastboot_next n = { .size = sizeof(n) };

	if (image)
		snprintf(n.image, sizeof(n.image), "%s", image);
	else
		n.flags = FASTBOOT_NEXT_CLEAR;
	if (ioctl(fd, FASTBOOT_IOC_NEXT, &n) == 0)
		return 0;
	if (errno == ENOTTY) {	/* a fastboot.ko from before 0.2 runs */
		if (image)
			fprintf(stderr, "fastboot: warning: the running fastboot.ko cannot record the next boot's image; after the reboot it is known only where modprobe loads the module\n");
		return 0;
	}
	return fb_ioctl_error("update", errno);
}

/* arm: crash kernel memory must be reserved. */
static int check_crashkernel(void)
{
	FILE *f = fopen("/sys/kernel/kexec_crash_size", "r");
	unsigned long long size = 0;

	if (f) {
		if (fscanf(f, "%llu", &size) != 1)
			size = 0;
		fclose(f);
	}
	if (!size)
		return fb_error("arm", "no memory is reserved for a crash kernel: add crashkernel=384M to the kernel command line ('fastboot setup' prints what the host needs) and reboot");
	return 0;
}

/* Is a crash kernel loaded (by anyone)? */
static bool crash_kernel_loaded(void)
{
	FILE *f = fopen("/sys/kernel/kexec_crash_loaded", "r");
	int c = f ? fgetc(f) : '0';

	if (f)
		fclose(f);
	return c == '1';
}

/*
 * A crash kernel that fastboot arm did not load (kdump-tools' kdump
 * kernel, say) is replaced or unloaded only with --force.  The module
 * reports ARMED while the crash kernel arm loaded is loaded.
 */
static int check_foreign_crash_kernel(const struct fastboot_status *st,
				      bool force, const char *cmd,
				      const char *doing)
{
	if (!crash_kernel_loaded() || (st->flags & FASTBOOT_STATUS_ARMED))
		return 0;
	if (force) {
		fprintf(stderr, "fastboot: warning: the crash kernel was not loaded by fastboot; %s: going on (--force)\n",
			cmd);
		return 0;
	}
	return fb_error(cmd, "a crash kernel is loaded that fastboot did not load (kdump-tools' kdump kernel?); 'fastboot %s --force' %s it",
			cmd, doing);
}

/* Unload the kernel loaded for a reboot, or the crash kernel. */
static int unload_kernel(bool crash)
{
	return syscall(SYS_kexec_file_load, -1, -1, 0, NULL,
		       KEXEC_FILE_UNLOAD | (crash ? KEXEC_FILE_ON_CRASH : 0)) ?
		-errno : 0;
}

int cmd_disarm(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct fastboot_status st;
	bool force = false, loaded, ours;
	int c, fd, ret;

	optind = 0;	/* glibc: rescan with this option string */
	while ((c = getopt_long(argc, argv, "fh", lopts, NULL)) != -1) {
		if (c != 'f')
			return fb_usage_error("fastboot disarm [--force]");
		force = true;
	}
	if (optind != argc)
		return fb_usage_error("fastboot disarm [--force]");
	fd = fb_open_locked();
	if (fd < 0)
		return EXIT_FAIL;
	ret = cl_status(fd, &st);
	if (ret) {
		ret = fb_ioctl_error("status", -ret);
		goto out;
	}
	loaded = crash_kernel_loaded();
	ours = st.flags & FASTBOOT_STATUS_ARMED;
	if ((ret = check_foreign_crash_kernel(&st, force, "disarm", "unloads")))
		goto out;
	if (loaded && (ret = unload_kernel(true))) {
		ret = fb_error("disarm", "cannot unload the crash kernel: %s",
			       strerror(-ret));
		goto out;
	}
	ret = set_armed(fd, NULL);
	/* what arm set; left alone when unloading someone else's kernel */
	if (!ret && (ours || !loaded) && write_sysfs(POST_NOTIFIERS, "N"))
		ret = fb_error(POST_NOTIFIERS, "%s", strerror(errno));
	if (!ret)
		fb_log_event("disarm%s", loaded ? "" : " (no crash kernel was loaded)");
	else if (loaded)
		fb_log_failed("disarm");
out:
	close(fd);
	return ret;
}

int cmd_arm(int argc, char **argv)
{
	return run_update(argc, argv, "arm", true);
}

/* How long each step of run_update() took, in ms (--json: *_ms). */
struct timing {
	uint64_t read, store, copy, load;
};

/* One module of the image (the kernel alike) as a JSON object. */
static void json_module(struct json *j, const char *key,
			const struct img_module *m)
{
	char hex[65];

	sha256_hex(m->sha, hex);
	json_open(j, key, '{');
	json_str(j, "name", m->name);
	json_str(j, "path", m->path);
	json_u64(j, "size_bytes", m->size);
	json_str(j, "sha256", hex);
	json_str(j, "status", status_name(m->status));
	json_close(j, '}');
}

static void report(const struct img *img, const char *record, uint64_t read,
		   uint64_t reused, const char *release, bool dry_run,
		   bool store_checked, const struct timing *tm)
{
	const struct img_module *m;
	char hex[65], size[32];
	int i;

	if (opt_json) {
		struct json j;

		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_module(&j, "kernel", &img->kernel);
		json_open(&j, "modules", '[');
		for (i = 0; i < img->n_initrd; i++)
			json_module(&j, NULL, &img->initrd[i]);
		json_close(&j, ']');
		json_u64(&j, "read_bytes", read);
		json_u64(&j, "reused_bytes", reused);
		json_str(&j, "release", release);
		json_str(&j, "cmdline", img->cmdline);
		json_str(&j, "image", record);
		json_bool(&j, "dry_run", dry_run);
		json_bool(&j, "store_checked", store_checked);
		json_u64(&j, "read_ms", tm->read);
		json_u64(&j, "store_ms", tm->store);
		json_u64(&j, "copy_verify_ms", tm->copy);
		json_u64(&j, "load_ms", tm->load);
		json_close(&j, '}');
		json_end(&j);
		return;
	}
	img_for_each(img, m, i) {
		sha256_hex(m->sha, hex);
		human(m->size, size, sizeof(size));
		printf("%-7s %-24s %10s  %-6s  %.16s  %s\n", i ? "initrd" : "kernel",
		       m->name, size, status_name(m->status), hex, m->path);
	}
	human(read, size, sizeof(size));
	printf("read %s from disk, ", size);
	human(reused, size, sizeof(size));
	printf("reused %s from the store\n", size);
	printf("%s %s (kernel %s)\ncmdline: %s\n",
	       dry_run ? "would record image" : "image",
	       record[0] ? record : "(no store attached: store checks skipped)",
	       release[0] ? release : "unknown", img->cmdline);
}

/*
 * The default image: the newest installed kernel, through the links that
 * Debian's linux-update-symlinks keeps, /vmlinuz and /initrd.img (or
 * /boot/vmlinuz and /boot/initrd.img with link_in_boot in
 * /etc/kernel-img.conf), under root ("" for the real root).  The
 * initramfs only if it is there.  The command line is the running one
 * (as --reuse-cmdline), unless --cmdline gives another.
 */
static void default_image(struct opts *o, const char *root)
{
	static const char *const dirs[] = { "", "/boot" };
	size_t i;

	o->default_image = true;
	o->def_initrd[0] = 0;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s%s/vmlinuz", root, dirs[i]);
		if (access(path, F_OK) && i + 1 < sizeof(dirs) / sizeof(dirs[0]))
			continue;	/* the last one is named when none is there */
		snprintf(o->def_kernel, sizeof(o->def_kernel), "%s/vmlinuz", dirs[i]);
		snprintf(path, sizeof(path), "%s%s/initrd.img", root, dirs[i]);
		if (!access(path, F_OK))
			snprintf(o->def_initrd, sizeof(o->def_initrd), "%s/initrd.img", dirs[i]);
		break;
	}
	o->kernel = o->def_kernel;
	o->n_initrd = 0;
	if (o->def_initrd[0])
		o->initrd[o->n_initrd++] = o->def_initrd;
	if (!o->cmdline)
		o->reuse_cmdline = true;
}

/*
 * No image option: --image with FASTBOOT_IMAGE (arm:
 * FASTBOOT_RECOVERY_IMAGE) from the configuration file; when that is
 * empty or unset (or the default file does not exist), the default image.
 */
static int config_image(struct opts *o)
{
	const char *key = o->crash ? "FASTBOOT_RECOVERY_IMAGE" : "FASTBOOT_IMAGE";
	const char *file = o->config ? o->config : FB_DEFAULT_CONFIG;
	int r;

	/* an explicit --config must exist: a typo is not the default */
	if (o->config && access(o->config, F_OK))
		return fb_usage_error("no image option and %s cannot be read: %s",
				      file, strerror(errno));
	r = fb_config_get(file, key, o->conf_image, sizeof(o->conf_image));
	if (r < 0)
		return fb_usage_error("no image option and %s cannot be read: %s",
				      file, strerror(errno));
	if (!r || !o->conf_image[0]) {
		default_image(o, "");
		fprintf(stderr, "fastboot: %s: %s is %s in %s: the default image, %s%s%s with %s\n",
			o->crash ? "arm" : "update", key, r ? "empty" : "unset", file,
			o->def_kernel, o->def_initrd[0] ? " + " : " (no initramfs)",
			o->def_initrd, o->cmdline ? "--cmdline" : "the running command line");
		return 0;
	}
	o->image_file = o->conf_image;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o, const char *cmd)
{
	static const struct option lopts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "reuse-cmdline", no_argument, NULL, 'R' },
		{ "image", required_argument, NULL, 'I' },
		{ "verify", no_argument, NULL, 'v' },
		{ "rollback", no_argument, NULL, 'b' },
		{ "from-store", no_argument, NULL, 's' },
		{ "now", no_argument, NULL, 'n' },
		{ "no-exec", no_argument, NULL, 'x' },
		{ "dry-run", no_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'f' },
		{ "append", required_argument, NULL, 'a' },
		{ "config", required_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c, sources;

	optind = 0;	/* glibc: rescan with this option string */
	while ((c = getopt_long(argc, argv, "hj", lopts, NULL)) != -1) {
		switch (c) {
		case 'k': o->kernel = optarg; break;
		case 'i':
			if (o->n_initrd == IMG_MAX_INITRDS)
				return fb_usage_error("at most %d --initrd", IMG_MAX_INITRDS);
			o->initrd[o->n_initrd++] = optarg;
			break;
		case 'c': o->cmdline = optarg; break;
		case 'R': o->reuse_cmdline = true; break;
		case 'I': o->image_file = optarg; break;
		case 'v': o->verify = true; break;
		case 'b': o->rollback = true; break;
		case 's': o->from_store = true; break;
		case 'n': o->now = true; break;
		case 'x': o->no_exec = true; break;
		case 'd': o->dry_run = true; break;
		case 'f': o->force = true; break;
		case 'a': o->append = optarg; break;
		case 'C': o->config = optarg; break;
		case 'j': opt_json = true; break;
		case 'h': fb_help_exit(cmd);
		default:
			return fb_usage_error("fastboot %s (--image FILE | --kernel PATH [--initrd PATH]... | --rollback | --from-store | --config FILE) [--cmdline STR | --reuse-cmdline] [--append STR] [--verify] [--force] [--dry-run] [--no-exec] [--now] [--json]",
					      cmd);
		}
	}
	if (optind != argc)
		return fb_usage_error("unexpected argument '%s'", argv[optind]);
	sources = !!o->image_file + !!o->kernel + o->rollback + o->from_store;
	if (sources > 1)
		return fb_usage_error("give exactly one of --image, --kernel, --rollback, --from-store");
	if (o->n_initrd && !o->kernel)
		return fb_usage_error("--initrd goes with --kernel");
	if (o->cmdline && o->reuse_cmdline)
		return fb_usage_error("--cmdline and --reuse-cmdline exclude each other");
	if (!sources && config_image(o))
		return EXIT_USAGE;
	return 0;
}

/* Build the image to boot from the options and the records. */
static int target_image(const struct opts *o, const struct records *r,
			struct img *img)
{
	const struct img *src = NULL;
	struct img_module *m;
	int i, ret;

	memset(img, 0, sizeof(*img));
	if (o->image_file)
		return img_parse_manifest(o->image_file, img);
	if (o->kernel) {
		strcpy(img->kernel.name, "kernel");
		if (strlen(o->kernel) >= sizeof(img->kernel.path) ||
		    strpbrk(o->kernel, " \t\n"))
			return fb_error(o->kernel, "unsupported path (no blanks)");
		strcpy(img->kernel.path, o->kernel);
		for (i = 0; i < o->n_initrd; i++) {
			const char *base = strrchr(o->initrd[i], '/');
			char name[64];

			snprintf(name, sizeof(name), "%s", base ? base + 1 : o->initrd[i]);
			ret = img_add_initrd(img, name, o->initrd[i], NULL);
			if (ret)
				return ret;
		}
		return 0;
	}
	if (o->rollback) {
		if (!r->have_prev)
			return fb_error("rollback", "the store holds no previous image");
		src = &r->prev;
	} else {
		if (!r->have_cur)
			return fb_error("from-store", "the store holds no image; run 'fastboot update' first");
		src = &r->cur;
	}
	*img = *src;
	img_for_each(img, m, i)
		m->status = IMG_REUSED;
	return 0;
}

/*
 * From the first object stored to the commit, SIGINT, SIGTERM, SIGHUP and
 * SIGQUIT only set a flag, checked between the steps: the run then stops
 * and undoes what it did (new objects dropped, the kernel it loaded
 * unloaded), as on any other failure.  Signals ignored when the tool
 * started stay ignored.
 */
#define N_CAUGHT	4
static const int caught[N_CAUGHT] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void catch_signals(struct sigaction old[N_CAUGHT])
{
	struct sigaction sa;
	int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < N_CAUGHT; i++) {
		sigaction(caught[i], NULL, &old[i]);
		if (old[i].sa_handler != SIG_IGN)
			sigaction(caught[i], &sa, NULL);
	}
}

static void restore_signals(const struct sigaction old[N_CAUGHT])
{
	int i;

	for (i = 0; i < N_CAUGHT; i++)
		sigaction(caught[i], &old[i], NULL);
}

/* EXIT_FAIL with a message if a caught signal arrived. */
static int interrupted(const char *cmd)
{
	static const char *const names[] = {
		[SIGINT] = "SIGINT", [SIGTERM] = "SIGTERM",
		[SIGHUP] = "SIGHUP", [SIGQUIT] = "SIGQUIT",
	};

	if (!got_signal)
		return 0;
	return fb_error(cmd, "interrupted by %s", names[got_signal]);
}

/* One run of update or arm. */
struct run {
	struct opts o;
	const char *cmd;
	int fd, kfd, ifd;
	struct fastboot_status st;
	struct records *recs;
	struct img *img;
	struct added added;
	struct timing tm;
	uint64_t bytes_read, reused;
	char record[64], release[128];
	char rec[RECORD_MAX];		/* the image record to write */
	size_t rec_len;
	char memmap[RECORD_MAX];	/* arm: this boot's memory map */
	size_t memmap_len;
	bool loaded, armed;
};

/* The store must be ready, and arm leaves a foreign crash kernel alone. */
static int check_store(struct run *r)
{
	int ret;

	if (r->o.no_store)
		return r->o.rollback || r->o.from_store ?
			fb_error(r->cmd, "--%s needs the store, and %s does not exist (is the module loaded?)",
				 r->o.rollback ? "rollback" : "from-store", opt_device) : 0;
	ret = cl_status(r->fd, &r->st);

	if (ret)
		return fb_ioctl_error("status", -ret);
	if (r->st.state != FASTBOOT_STATE_READY)
		return fb_error(r->cmd, "the store is %s; see 'fastboot status'",
				r->st.state == FASTBOOT_STATE_DAMAGED ? "damaged" : "not formatted");
	if (r->o.crash)
		return check_foreign_crash_kernel(&r->st, r->o.force, r->cmd, "replaces");
	return 0;
}

/* The blobs written with the image, formatted now: their size counts. */
static int format_blobs(struct run *r)
{
	r->rec_len = img_record_format(r->img, r->rec, sizeof(r->rec));
	if (!r->rec_len)
		return fb_error("image", "its record is larger than %u bytes", RECORD_MAX);
	if (r->o.crash && !(r->memmap_len = build_memmap(r->memmap)))
		return EXIT_FAIL;
	return 0;
}

/* Steps 1 and 2: plan, and check everything that can be checked first. */
static int prepare(struct run *r)
{
	struct img_module *m;
	uint64_t need, t;
	char a[32], b[32];
	int i, ret;

	if ((ret = check_store(r)) ||
	    (!r->o.no_store && (ret = load_records(r->fd, r->recs))) ||
	    (ret = target_image(&r->o, r->recs, r->img)))
		return ret;
	t = fb_now_ms(CLOCK_MONOTONIC);
	if (!r->o.rollback && !r->o.from_store &&
	    (ret = plan(r->fd, &r->o, r->img, r->recs, &r->bytes_read)))
		return ret;
	r->tm.read = fb_now_ms(CLOCK_MONOTONIC) - t;
	img_for_each(r->img, m, i)
		if (m->status == IMG_REUSED)
			r->reused += m->size;
	if ((ret = build_cmdline(r->fd, &r->o, r->img)) || (ret = format_blobs(r)))
		return ret;
	if (r->o.no_store)	/* no free space to check, no record number */
		return 0;
	need = space_needed(r->fd, r->img,
			    (fb_pages(r->rec_len) + fb_pages(r->memmap_len)) * FB_PAGE_SIZE);
	if (need > r->st.free_bytes) {
		human(need, a, sizeof(a));
		human(r->st.free_bytes, b, sizeof(b));
		return fb_error(r->cmd, "the image needs %s of new modules and records but the store has %s free; nothing was changed",
				a, b);
	}
	if (r->o.crash)
		snprintf(r->record, sizeof(r->record), IMG_RECOVERY);
	else
		snprintf(r->record, sizeof(r->record), IMG_RECORD_PREFIX "%lu",
			 r->recs->n_names ? (r->recs->n_cur > r->recs->n_prev ?
					     r->recs->n_cur : r->recs->n_prev) + 1 : 1);
	return 0;
}

/*
 * Steps 3 and 4: store new content (not in a dry run), copy the image
 * into memory files, checking it.  An image without initramfs has no
 * initramfs file (ifd -1).
 */
static int build_image(struct run *r)
{
	uint64_t t = fb_now_ms(CLOCK_MONOTONIC);
	int ret;

	if (!r->o.dry_run && (ret = store_new(r->fd, r->img, &r->added)))
		return ret;
	r->tm.store = fb_now_ms(CLOCK_MONOTONIC) - t;
	if ((ret = interrupted(r->cmd)))
		return ret;
	/* not close-on-exec: kexec(8) opens them as /proc/self/fd/N */
	r->kfd = memfd_create("fastboot-kernel", 0);
	if (r->img->n_initrd)
		r->ifd = memfd_create("fastboot-initrd", 0);
	if (r->kfd < 0 || (r->img->n_initrd && r->ifd < 0))
		return fb_error("memfd_create", "%s", strerror(errno));
	t = fb_now_ms(CLOCK_MONOTONIC);
	if ((ret = copy_image(r->fd, r->img, r->kfd, r->ifd, r->o.dry_run)))
		return ret;
	r->tm.copy = fb_now_ms(CLOCK_MONOTONIC) - t;
	fprintf(stderr, "fastboot: %d modules %s, SHA-256 checked, in %.1f s\n",
		r->img->n_initrd + 1, r->o.dry_run ? "read" : "copied from the store",
		r->tm.copy / 1000.0);
	if ((ret = interrupted(r->cmd)))
		return ret;
	return check_vermagic(r->kfd, r->ifd, &r->o, r->release, sizeof(r->release));
}

/* Steps 5 and 6 (and arm's arming): nothing is left half done. */
static int load_and_commit(struct run *r)
{
	char cl[IMG_CMDLINE_MAX + 80];
	uint64_t t = fb_now_ms(CLOCK_MONOTONIC);
	int ret;

	snprintf(cl, sizeof(cl), "%s fastboot.image=%s", r->img->cmdline, r->record);
	if ((ret = load_kernel(r->kfd, r->ifd, cl, r->o.crash)))
		return ret;
	r->loaded = true;
	test_hook("sigterm-after-load");
	r->tm.load = fb_now_ms(CLOCK_MONOTONIC) - t;
	fprintf(stderr, "fastboot: image checked and loaded in %.1f s\n", r->tm.load / 1000.0);
	if ((ret = interrupted(r->cmd)) ||
	    (ret = commit_image(r->fd, r->img, r->recs, r->record, r->rec,
				r->rec_len, r->o.crash)))
		return ret;
	r->added.n = 0;	/* committed: they belong to the image now */
	if (!r->o.crash)
		return set_next(r->fd, r->record);
	if ((ret = save_memmap(r->fd, r->memmap, r->memmap_len)) ||
	    (ret = set_armed(r->fd, r->record)))
		return ret;
	r->armed = true;
	if (write_sysfs(POST_NOTIFIERS, "Y"))
		return fb_error(POST_NOTIFIERS, "%s", strerror(errno));
	fprintf(stderr, "fastboot: armed: a panic seals the store and boots %s\n",
		r->record);
	return 0;
}

/* Step 7; returns only on failure. */
static int reboot_into(const struct run *r)
{
	if (!r->o.now && access("/run/systemd/system", F_OK) == 0) {
		fprintf(stderr, "fastboot: rebooting through systemctl kexec\n");
		execlp("systemctl", "systemctl", "kexec", (char *)NULL);
		return fb_error("systemctl", "%s", strerror(errno));
	}
	if (!r->o.now)
		fprintf(stderr, "fastboot: systemd is not running; rebooting into the new image now\n");
	sync();
	reboot(LINUX_REBOOT_CMD_KEXEC);
	return fb_error("reboot", "%s", strerror(errno));
}

/* A failed run leaves no kernel loaded and no new object behind. */
static void undo(struct run *r)
{
	int err;

	if (r->loaded) {
		err = unload_kernel(r->o.crash);
		if (err)
			fb_error(r->cmd, "cannot unload the kernel it loaded: %s; 'kexec -u%s' unloads it",
				 strerror(-err), r->o.crash ? " -p" : "");
		else
			fprintf(stderr, "fastboot: %s: the %s it loaded was unloaded\n",
				r->cmd, r->o.crash ? "crash kernel" : "kernel");
	}
	if (r->o.crash && r->loaded)
		set_armed(r->fd, NULL);
	else if (r->loaded)
		set_next(r->fd, NULL);
	drop_added(r->fd, &r->added);
}

static void free_run(struct run *r)
{
	struct img_module *m;
	int i;

	if (r->kfd >= 0)
		close(r->kfd);
	if (r->ifd >= 0)
		close(r->ifd);
	if (r->img)
		img_for_each(r->img, m, i)
			if (m->data)
				munmap(m->data, m->size);
	free(r->img);
	if (r->recs)
		records_free(r->recs);
	free(r->recs);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

/* Everything a real run does but store, load and record. */
static int dry_run(struct run *r)
{
	int ret = build_image(r);

	if (!ret)
		report(r->img, r->record, r->bytes_read, r->reused, r->release,
		       true, !r->o.no_store, &r->tm);
	return ret;
}

/* The system log's line for a run that loaded its image. */
static void log_run(const struct run *r)
{
	const struct img_module *m;
	int i, n_read = 0, n_reused = 0;
	char size[32];

	img_for_each(r->img, m, i) {
		if (m->status == IMG_REUSED)
			n_reused++;
		else
			n_read++;
	}
	human(r->bytes_read, size, sizeof(size));
	if (r->o.crash)
		fb_log_event("arm %s (%d modules read, %d reused, %s read)",
			     r->record, n_read, n_reused, size);
	else
		fb_log_event("update to %s (%d modules read, %d reused, %s read)",
			     r->record, n_read, n_reused, size);
}

static int real_run(struct run *r)
{
	struct sigaction old[N_CAUGHT];
	int ret;
	bool changed;

	catch_signals(old);
	ret = build_image(r);
	if (!ret)
		ret = load_and_commit(r);
	if (!ret && !(ret = interrupted(r->cmd))) {
		report(r->img, r->record, r->bytes_read, r->reused, r->release,
		       false, true, &r->tm);
		fflush(stdout);
		log_run(r);
		if (!r->o.no_exec && !r->o.crash)
			ret = reboot_into(r);
	}
	changed = r->loaded || r->added.n;
	if (ret)
		undo(r);
	if (ret && changed)
		fb_log_failed(r->o.crash ? "arm" : "update");
	restore_signals(old);
	return ret;
}

int run_update(int argc, char **argv, const char *cmd, bool crash)
{
	struct run *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return fb_error(cmd, "out of memory");
	r->o.crash = crash;
	r->cmd = cmd;
	r->fd = r->kfd = r->ifd = -1;
	ret = parse_opts(argc, argv, &r->o, cmd);
	if (ret) {
		free(r);
		return ret;
	}
	if (crash && check_crashkernel()) {
		free(r);
		return EXIT_FAIL;
	}
	/*
	 * A dry run changes nothing, so it takes no lock.  Without the
	 * device (the module is not loaded) it makes the checks that need
	 * no store: the files, the command line and the image's fastboot.ko.
	 */
	if (r->o.dry_run && access(opt_device, F_OK) && errno == ENOENT) {
		r->o.no_store = true;
		fprintf(stderr, "fastboot: %s: no store attached (%s does not exist): checking the image's files and its fastboot.ko only; the store's checks (free space, stored modules) are skipped\n",
			cmd, opt_device);
	} else {
		r->fd = r->o.dry_run ? fb_open_device(O_RDWR) : fb_open_locked();
	}
	r->recs = calloc(1, sizeof(*r->recs));
	r->img = calloc(1, sizeof(*r->img));
	ret = EXIT_FAIL;
	if ((r->fd >= 0 || r->o.no_store) && (!r->recs || !r->img))
		fb_error(cmd, "out of memory");
	else if ((r->fd >= 0 || r->o.no_store) && !(ret = prepare(r)))
		ret = r->o.dry_run ? dry_run(r) : real_run(r);
	free_run(r);
	return ret;
}

int cmd_update(int argc, char **argv)
{
	return run_update(argc, argv, "update", false);
}
