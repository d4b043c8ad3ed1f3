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
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bootimg.h"
#include "client.h"
#include "image.h"
#include "json.h"
#include "sha256.h"
#include "update.h"

#define RECORD_MAX	(64u << 10)

struct opts {
	bool verify, rollback, from_store, now, no_exec, dry_run, force;
	bool reuse_cmdline;
	const char *image_file, *cmdline, *kernel;
	const char *initrd[IMG_MAX_INITRDS];
	int n_initrd;
	bool crash;			/* arm: load as the crash kernel */
};

/* The image records found in the store. */
struct records {
	struct img cur, prev;
	bool have_cur, have_prev;
	unsigned long n_cur, n_prev;	/* their N in img.<N> */
	char names[64][64];		/* every img.* object, for cleanup */
	int n_names;
};

static const char *status_name(enum img_status s)
{
	return s == IMG_REUSED ? "reused" : s == IMG_LOADED ? "loaded" : "pending";
}

static int record_number(const char *name, unsigned long *n)
{
	char *end;

	if (strncmp(name, IMG_RECORD_PREFIX, strlen(IMG_RECORD_PREFIX)))
		return -1;
	name += strlen(IMG_RECORD_PREFIX);
	if (*name < '0' || *name > '9')
		return -1;
	*n = strtoul(name, &end, 10);
	return *end ? -1 : 0;
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

	memset(r, 0, sizeof(*r));
	while (!(ret = cl_next(fd, &index, &in))) {
		if (record_number(in.name, &n))
			continue;
		if (r->n_names < 64)
			strcpy(r->names[r->n_names++], in.name);
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
	const struct img *imgs[2] = { r->have_cur ? &r->cur : NULL,
				      r->have_prev ? &r->prev : NULL };
	const struct img_module *e;
	int i, j;

	for (j = 0; j < 2; j++) {
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

/* Bytes of new objects the image needs (each content counted once). */
static uint64_t space_needed(int fd, const struct img *img)
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
	return need + FB_PAGE_SIZE * 2;	/* the image record */
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
};

static int to_fd(void *ctx, const void *buf, size_t len)
{
	struct fdsink *s = ctx;
	const char *p = buf;

	while (len) {
		ssize_t w = write(s->fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Copy one stored module to the end of memory file mfd, checking its
 * digest.  A corrupted copy is replaced from the source if the source is
 * unchanged (or was read in this run).
 */
static int copy_out(int fd, struct img_module *m, int mfd)
{
	struct fastboot_info in;
	struct fdsink sink = { mfd };
	uint8_t digest[32];
	char name[64];
	off_t start = lseek(mfd, 0, SEEK_END);
	int ret, attempt;

	img_object_name(m->sha, name);
	for (attempt = 0; attempt < 2; attempt++) {
		ret = cl_info(fd, name, &in);
		if (ret)
			return ret == -ENOENT ?
				fb_error(m->name, "module %s is missing from the store", name) :
				fb_ioctl_error(m->name, -ret);
		if (ftruncate(mfd, start) || lseek(mfd, start, SEEK_SET) < 0)
			return fb_error("memfd", "%s", strerror(errno));
		ret = cl_read(fd, &in, to_fd, &sink, digest);
		if (ret)
			return fb_ioctl_error(m->name, -ret);
		if (in.bytes == m->size && !memcmp(digest, m->sha, 32))
			return 0;
		if (attempt)
			break;
		fprintf(stderr, "fastboot: %s: stored copy is corrupted (SHA-256 mismatch)\n",
			m->name);
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

static int pad4(int mfd)
{
	static const char zero[4];
	off_t end = lseek(mfd, 0, SEEK_END);

	if (end < 0 || ((end & 3) && write(mfd, zero, 4 - (end & 3)) != 4 - (end & 3)))
		return fb_error("memfd", "%s", strerror(errno));
	return 0;
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

/* Step 4b: the image must carry a fastboot.ko built for its kernel. */
static int check_vermagic(int kfd, int ifd, const struct opts *o,
			  char *release, size_t rel_len)
{
	struct ko_found ko;
	size_t klen, ilen;
	uint8_t *k = map_memfd(kfd, &klen), *i = map_memfd(ifd, &ilen);
	char why[768] = "", magic_rel[128];
	int ret = 0;

	release[0] = 0;
	if (!k || !i)
		return fb_error("image", "cannot map it: %s", strerror(errno));
	if (bzimage_release(k, klen, release, rel_len))
		snprintf(why, sizeof(why), "the kernel is not a bzImage; cannot tell its release");
	else if (initramfs_find_module(i, ilen, "fastboot.ko", &ko, why, sizeof(why)))
		;
	else if (!ko.count)
		snprintf(why, sizeof(why), "the initramfs carries no fastboot.ko");
	else {
		sscanf(ko.vermagic, "%127s", magic_rel);
		if (!ko.vermagic[0])
			snprintf(why, sizeof(why), "cannot read the vermagic of %s", ko.path);
		else if (strcmp(magic_rel, release))
			snprintf(why, sizeof(why), "%s is built for %s, the kernel is %s",
				 ko.path, magic_rel, release);
	}
	if (why[0]) {
		if (o->force)
			fprintf(stderr, "fastboot: warning: %s; booting anyway (--force)\n", why);
		else
			ret = fb_error("image", "%s: the store could not be re-attached after the reboot (--force boots it anyway)",
				       why);
	}
	if (klen)
		munmap(k, klen);
	else
		free(k);
	if (ilen)
		munmap(i, ilen);
	else
		free(i);
	return ret;
}

/* The command line to boot with: without fastboot.image=, then with. */
static int build_cmdline(const struct opts *o, struct img *img)
{
	char buf[IMG_CMDLINE_MAX], out[IMG_CMDLINE_MAX] = "", *w, *save;
	const char *src = NULL;

	if (o->cmdline)
		src = o->cmdline;
	else if (o->reuse_cmdline || img->reuse_cmdline) {
		FILE *f = fopen("/proc/cmdline", "r");

		if (!f || !fgets(buf, sizeof(buf), f)) {
			if (f)
				fclose(f);
			return fb_error("/proc/cmdline", "cannot read it");
		}
		fclose(f);
		src = buf;
	} else if (img->has_cmdline) {
		src = img->cmdline;
	} else {
		return fb_usage_error("the image needs --cmdline STR or --reuse-cmdline");
	}
	if (src != buf)
		snprintf(buf, sizeof(buf), "%s", src);
	for (w = strtok_r(buf, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		if (!strncmp(w, "fastboot.image=", 15) ||
		    !strncmp(w, "BOOT_IMAGE=", 11))
			continue;
		if (strlen(out) + strlen(w) + 2 >= sizeof(out))
			return fb_error("cmdline", "too long");
		if (out[0])
			strcat(out, " ");
		strcat(out, w);
	}
	strcpy(img->cmdline, out);
	img->has_cmdline = true;
	if (!strstr(out, "fastboot.region="))
		fprintf(stderr, "fastboot: warning: the command line has no fastboot.region=; the store will not be re-attached at boot unless the module is loaded with region=\n");
	if (!strstr(out, "memmap="))
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
		execlp("kexec", "kexec", crash ? "-p" : "-l", kpath, ipath, cl,
		       (char *)NULL);
		fprintf(stderr, "fastboot: kexec: %s\n", strerror(errno));
		_exit(127);
	}
	free(cl);
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Step 5: load the kernel, preferring kexec_file_load(). */
static int load_kernel(int kfd, int ifd, const char *cmdline, bool crash)
{
	unsigned long flags = crash ? KEXEC_FILE_ON_CRASH : 0;
	long r = syscall(SYS_kexec_file_load, kfd, ifd, strlen(cmdline) + 1,
			 cmdline, flags);

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

/* Step 6: record the image and free what no kept image uses. */
static int commit_image(int fd, struct img *img, const struct records *r,
			unsigned long n)
{
	char name[64], rec[RECORD_MAX];
	size_t len = img_record_format(img, rec, sizeof(rec));
	const struct img *keep[2] = { img, r->have_cur ? &r->cur : NULL };
	struct fastboot_info in;
	uint32_t index = 0;
	char (*drop)[64] = NULL;
	int i, j, k, n_drop = 0, ret;

	if (!len)
		return fb_error("image", "record too large");
	snprintf(name, sizeof(name), IMG_RECORD_PREFIX "%lu", n);
	ret = cl_put(fd, name, FASTBOOT_OBJ_BLOB, rec, len, NULL);
	if (ret)
		return fb_ioctl_error(name, -ret);
	/* Older records go; so do boot objects no kept image references. */
	for (i = 0; i < r->n_names; i++) {
		unsigned long rn;

		if (!record_number(r->names[i], &rn) && rn != n &&
		    !(r->have_cur && rn == r->n_cur))
			cl_rm(fd, r->names[i]);
	}
	while (!cl_next(fd, &index, &in)) {
		bool used = false;
		const struct img_module *m;

		if (strncmp(in.name, IMG_OBJ_PREFIX, strlen(IMG_OBJ_PREFIX)) ||
		    in.type != FASTBOOT_OBJ_BOOT)
			continue;
		for (k = 0; k < 2 && !used; k++) {
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

static void report(const struct img *img, const char *record, uint64_t read,
		   uint64_t reused, const char *release, bool dry_run)
{
	const struct img_module *m;
	char hex[65], size[32];
	int i;

	if (opt_json) {
		struct json j;

		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_open(&j, "modules", '[');
		for (i = 0; i < img->n_initrd; i++) {
			m = &img->initrd[i];
			sha256_hex(m->sha, hex);
			json_open(&j, NULL, '{');
			json_str(&j, "name", m->name);
			json_str(&j, "path", m->path);
			json_u64(&j, "bytes", m->size);
			json_str(&j, "sha256", hex);
			json_str(&j, "status", status_name(m->status));
			json_close(&j, '}');
		}
		json_close(&j, ']');
		json_u64(&j, "bytes_read", read);
		json_u64(&j, "bytes_reused", reused);
		json_str(&j, "kernel", img->kernel.path);
		sha256_hex(img->kernel.sha, hex);
		json_str(&j, "kernel_sha256", hex);
		json_u64(&j, "kernel_bytes", img->kernel.size);
		json_str(&j, "kernel_status", status_name(img->kernel.status));
		json_str(&j, "release", release);
		json_str(&j, "cmdline", img->cmdline);
		json_str(&j, "image", record);
		json_bool(&j, "dry_run", dry_run);
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
	       dry_run ? "would record image" : "image", record,
	       release[0] ? release : "unknown", img->cmdline);
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
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c, sources;

	optind = 1;
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
		case 'j': opt_json = true; break;
		default:
			return fb_usage_error("fastboot %s (--image FILE | --kernel PATH [--initrd PATH]... | --rollback | --from-store) [--cmdline STR | --reuse-cmdline] [--verify] [--force] [--dry-run] [--no-exec] [--now] [--json]",
					      cmd);
		}
	}
	if (optind != argc)
		return fb_usage_error("unexpected argument '%s'", argv[optind]);
	sources = !!o->image_file + !!o->kernel + o->rollback + o->from_store;
	if (sources != 1)
		return fb_usage_error("give exactly one of --image, --kernel, --rollback, --from-store");
	if (o->n_initrd && !o->kernel)
		return fb_usage_error("--initrd goes with --kernel");
	if (o->cmdline && o->reuse_cmdline)
		return fb_usage_error("--cmdline and --reuse-cmdline exclude each other");
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

int run_update(int argc, char **argv, const char *cmd, bool crash)
{
	struct opts o = { .crash = crash };
	struct fastboot_status st;
	struct records *recs = NULL;
	struct added added = { .n = 0 };
	struct img *img = NULL;
	struct img_module *m;
	uint64_t bytes_read = 0, reused = 0, need;
	char record[64], release[128] = "", a[32], b[32];
	int fd = -1, kfd = -1, ifd = -1, i, ret;
	bool from_store;

	ret = parse_opts(argc, argv, &o, cmd);
	if (ret)
		return ret;
	from_store = o.rollback || o.from_store;
	fd = fb_open_device(O_RDWR);
	if (fd < 0)
		return EXIT_FAIL;
	recs = calloc(1, sizeof(*recs));
	img = calloc(1, sizeof(*img));
	ret = EXIT_FAIL;
	if (!recs || !img) {
		fb_error(cmd, "out of memory");
		goto out;
	}
	if ((ret = cl_status(fd, &st))) {
		ret = fb_ioctl_error("status", -ret);
		goto out;
	}
	if (st.state != FASTBOOT_STATE_READY) {
		ret = fb_error(cmd, "the store is %s; see 'fastboot status'",
			       st.state == FASTBOOT_STATE_DAMAGED ? "damaged" : "not formatted");
		goto out;
	}
	if ((ret = load_records(fd, recs)))
		goto out;
	if ((ret = target_image(&o, recs, img)))
		goto out;
	if (!from_store && (ret = plan(fd, &o, img, recs, &bytes_read)))
		goto out;
	img_for_each(img, m, i)
		if (m->status == IMG_REUSED)
			reused += m->size;
	if ((ret = build_cmdline(&o, img)))
		goto out;
	need = space_needed(fd, img);
	if (need > st.free_bytes) {
		human(need, a, sizeof(a));
		human(st.free_bytes, b, sizeof(b));
		ret = fb_error(cmd, "the image needs %s of new modules but the store has %s free; nothing was changed",
			       a, b);
		goto out;
	}
	snprintf(record, sizeof(record), IMG_RECORD_PREFIX "%lu",
		 recs->have_cur || recs->have_prev ?
		 (recs->n_cur > recs->n_prev ? recs->n_cur : recs->n_prev) + 1 : 1);
	if (o.dry_run) {
		report(img, record, bytes_read, reused, release, true);
		ret = EXIT_OK;
		goto out;
	}
	if ((ret = store_new(fd, img, &added)))
		goto out;

	kfd = memfd_create("fastboot-kernel", 0);
	ifd = memfd_create("fastboot-initrd", 0);
	if (kfd < 0 || ifd < 0) {
		ret = fb_error("memfd_create", "%s", strerror(errno));
		goto out;
	}
	img_for_each(img, m, i) {
		if ((ret = copy_out(fd, m, i ? ifd : kfd)))
			goto out;
		/*
		 * Linux takes an uncompressed archive only at a 4-byte aligned
		 * offset, and skips zeros between archives: pad each module.
		 */
		if (i && (ret = pad4(ifd)))
			goto out;
	}
	if ((ret = check_vermagic(kfd, ifd, &o, release, sizeof(release))))
		goto out;
	{
		char cl[IMG_CMDLINE_MAX + 80];

		snprintf(cl, sizeof(cl), "%s fastboot.image=%s", img->cmdline, record);
		if ((ret = load_kernel(kfd, ifd, cl, o.crash)))
			goto out;
	}
	if ((ret = commit_image(fd, img, recs, strtoul(record + 4, NULL, 10))))
		goto out;
	added.n = 0;	/* committed: they belong to the image now */
	report(img, record, bytes_read, reused, release, false);
	fflush(stdout);
	ret = EXIT_OK;
	if (o.no_exec || o.crash)
		goto out;
	if (!o.now && access("/run/systemd/system", F_OK) == 0) {
		fprintf(stderr, "fastboot: rebooting through systemctl kexec\n");
		execlp("systemctl", "systemctl", "kexec", (char *)NULL);
		ret = fb_error("systemctl", "%s", strerror(errno));
		goto out;
	}
	if (!o.now)
		fprintf(stderr, "fastboot: systemd is not running; rebooting into the new image now\n");
	sync();
	reboot(LINUX_REBOOT_CMD_KEXEC);
	ret = fb_error("reboot", "%s", strerror(errno));
out:
	if (ret)
		drop_added(fd, &added);
	if (kfd >= 0)
		close(kfd);
	if (ifd >= 0)
		close(ifd);
	if (img)
		img_for_each(img, m, i)
			if (m->data)
				munmap(m->data, m->size);
	free(img);
	free(recs);
	close(fd);
	return ret;
}

int cmd_update(int argc, char **argv)
{
	return run_update(argc, argv, "update", false);
}
