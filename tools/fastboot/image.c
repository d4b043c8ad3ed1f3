// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fastboot tool: image manifests and the image records kept in the store.
 *
 * Manifest (--image FILE), one directive per line, '#' starts a comment,
 * fields separated by blanks (paths cannot contain blanks, here or in
 * --kernel/--initrd):
 *
 *   name NAME                    optional label for the image
 *   kernel PATH [SHA256]         the kernel (bzImage)
 *   initrd NAME PATH [SHA256]    an initramfs module through kexec (the
 *                                base); repeat, in order
 *   module NAME PATH [SHA256]    a cpio archive (optionally compressed)
 *                                handed over in the store, unpacked by
 *                                `fastboot boot` in the next kernel
 *   mount NAME PATH DIR [SHA256] a file system image (erofs, squashfs)
 *                                handed over in the store, mounted
 *                                read-only at DIR by `fastboot boot`
 *   cmdline ARGS...              the kernel command line (rest of line)
 *   reuse-cmdline                use the running kernel's command line
 *
 * A record in the store uses the same directives, with every module's
 * SHA-256 and the identity of its source (size dev ino mtime_ns ctime_ns)
 * before the path, behind a first line "fastboot-image 1".  An image with
 * module or mount lines is recorded as "fastboot-image 2": those lines
 * add after the path the mount's DIR, then the delivery ("kexec" or
 * "store") and, for mount, an optional "verity=HEX" root hash.  Version 1
 * records (initrd lines only) are still written for images without them,
 * so that an older tool reads them.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "fastboot.h"
#include "image.h"
#include "sha256.h"

#define RECORD_MAGIC "fastboot-image 1"
#define RECORD_MAGIC2 "fastboot-image 2"

void img_object_name(const uint8_t sha[32], char name[64])
{
	char hex[65];

	sha256_hex(sha, hex);
	snprintf(name, 64, IMG_OBJ_PREFIX "%.60s", hex);
}

void img_tree_name(const uint8_t root[32], char name[64])
{
	char hex[65];

	sha256_hex(root, hex);
	snprintf(name, 64, IMG_TREE_PREFIX "%.60s", hex);
}

int img_parse_hex(const char *hex, uint8_t sha[32])
{
	int i;

	if (strlen(hex) != 64)
		return -1;
	for (i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)hex[i]))
			return -1;
	for (i = 0; i < 32; i++) {
		unsigned int b;

		sscanf(hex + 2 * i, "%2x", &b);
		sha[i] = (uint8_t)b;
	}
	return 0;
}

void img_ident_of(const struct stat *st, struct img_ident *id)
{
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = (uint64_t)st->st_size;
	id->mtime_ns = (uint64_t)st->st_mtim.tv_sec * 1000000000ull +
		       (uint64_t)st->st_mtim.tv_nsec;
	id->ctime_ns = (uint64_t)st->st_ctim.tv_sec * 1000000000ull +
		       (uint64_t)st->st_ctim.tv_nsec;
}

bool img_ident_eq(const struct img_ident *a, const struct img_ident *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

/* A module name: 1-63 printable bytes, no blanks or '/'. */
static bool module_name_ok(const char *name)
{
	size_t n = strlen(name), i;

	if (n == 0 || n > 63)
		return false;
	for (i = 0; i < n; i++)
		if (name[i] <= 0x20 || name[i] >= 0x7f || name[i] == '/')
			return false;
	return true;
}

static int set_module(struct img_module *m, const char *name,
		      const char *path, const char *sha_hex)
{
	memset(m, 0, sizeof(*m));
	if (!module_name_ok(name) || strlen(path) >= sizeof(m->path) || !*path ||
	    strpbrk(path, " \t\n"))
		return -1;
	strcpy(m->name, name);
	strcpy(m->path, path);
	if (sha_hex) {
		if (img_parse_hex(sha_hex, m->sha))
			return -1;
		m->has_sha = true;
	}
	return 0;
}

const char *img_kind_name(enum img_kind k)
{
	return k == IMG_KIND_MODULE ? "module" : k == IMG_KIND_MOUNT ? "mount" :
	       "initrd";
}

const char *img_delivery_name(enum img_delivery d)
{
	return d == IMG_DELIVER_STORE ? "store" : "kexec";
}

bool img_has_byref(const struct img *img)
{
	int i;

	for (i = 0; i < img->n_initrd; i++)
		if (img->initrd[i].kind != IMG_KIND_INITRD)
			return true;
	return false;
}

bool img_dir_ok(const char *dir)
{
	size_t n = strlen(dir), i;
	const char *c;

	if (n < 2 || n >= IMG_DIR_MAX || dir[0] != '/' || dir[n - 1] == '/')
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)dir[i] <= 0x20 || dir[i] == 0x7f)
			return false;
	/* every component: not empty, not "." or ".." */
	for (c = dir; c; c = strchr(c + 1, '/')) {
		const char *e = strchrnul(c + 1, '/');
		size_t len = (size_t)(e - c - 1);

		if (!len || (len == 1 && c[1] == '.') ||
		    (len == 2 && c[1] == '.' && c[2] == '.'))
			return false;
	}
	return true;
}

int img_add_module(struct img *img, enum img_kind kind, const char *name,
		   const char *path, const char *dir, const char *sha_hex)
{
	const char *what = img_kind_name(kind);
	struct img_module *m;
	int i;

	if (img->n_initrd == IMG_MAX_INITRDS)
		return fb_error(path, "more than %d modules", IMG_MAX_INITRDS);
	for (i = 0; i < img->n_initrd; i++)
		if (!strcmp(img->initrd[i].name, name))
			return fb_error(name, "two modules share this name");
	if ((kind == IMG_KIND_MOUNT) != !!dir)
		return fb_error(name, "bad %s module", what);
	if (dir && !img_dir_ok(dir))
		return fb_error(dir, "bad mount directory (absolute, no '.' or '..' components, not /)");
	for (i = 0; dir && i < img->n_initrd; i++)
		if (img->initrd[i].kind == IMG_KIND_MOUNT && !strcmp(img->initrd[i].dir, dir))
			return fb_error(dir, "two mount modules share this directory");
	m = &img->initrd[img->n_initrd];
	if (set_module(m, name, path, sha_hex))
		return fb_error(path, "bad %s module (name '%s')", what, name);
	m->kind = kind;
	if (dir)
		strcpy(m->dir, dir);
	img->n_initrd++;
	return 0;
}

int img_add_initrd(struct img *img, const char *name, const char *path,
		   const char *sha_hex)
{
	return img_add_module(img, IMG_KIND_INITRD, name, path, NULL, sha_hex);
}

/* Split line into at most max blank-separated words; returns the count. */
static int split(char *line, char **w, int max, char **rest_after_first)
{
	int n = 0;
	char *p = line;

	*rest_after_first = NULL;
	while (n < max) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		w[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (n == 1) {
			char *r = p;

			while (*r == ' ' || *r == '\t')
				r++;
			*rest_after_first = r;
		}
		if (*p)
			*p++ = 0;
	}
	return n;
}

static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' ||
		     s[n - 1] == '\t'))
		s[--n] = 0;
}

/* One manifest line (chomped, non-empty): what it says goes into img. */
static int manifest_line(const char *label, int lineno, char *line,
			 struct img *img, bool *have_kernel)
{
	char copy[IMG_CMDLINE_MAX + 64], *w[6], *rest;
	int n;

	snprintf(copy, sizeof(copy), "%s", line);
	n = split(line, w, 6, &rest);
	if (n == 0 || w[0][0] == '#')
		return 0;
	if (!strcmp(w[0], "cmdline")) {
		const char *args = copy + (rest - line);

		if (strlen(args) >= sizeof(img->cmdline))
			return fb_error(label, "line %d: command line longer than %zu bytes",
					lineno, sizeof(img->cmdline) - 1);
		strcpy(img->cmdline, args);
		img->has_cmdline = true;
	} else if (!strcmp(w[0], "reuse-cmdline") && n == 1) {
		img->reuse_cmdline = true;
	} else if (!strcmp(w[0], "name") && n == 2 && module_name_ok(w[1])) {
		strcpy(img->name, w[1]);
	} else if (!strcmp(w[0], "kernel") && (n == 2 || n == 3) && !*have_kernel) {
		*have_kernel = true;
		if (set_module(&img->kernel, "kernel", w[1], n == 3 ? w[2] : NULL))
			return fb_error(label, "line %d: bad kernel line", lineno);
	} else if (!strcmp(w[0], "initrd") && (n == 3 || n == 4)) {
		if (img_add_initrd(img, w[1], w[2], n == 4 ? w[3] : NULL))
			return EXIT_FAIL;
	} else if (!strcmp(w[0], "module") && (n == 3 || n == 4)) {
		if (img_add_module(img, IMG_KIND_MODULE, w[1], w[2], NULL,
				   n == 4 ? w[3] : NULL))
			return EXIT_FAIL;
	} else if (!strcmp(w[0], "mount") && (n == 4 || n == 5)) {
		if (img_add_module(img, IMG_KIND_MOUNT, w[1], w[2], w[3],
				   n == 5 ? w[4] : NULL))
			return EXIT_FAIL;
	} else {
		return fb_error(label, "line %d: cannot parse '%s'", lineno, copy);
	}
	return 0;
}

static int manifest_file(FILE *f, const char *label, struct img *img)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, ret = 0;
	bool have_kernel = false;

	memset(img, 0, sizeof(*img));
	while (!ret && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (memchr(line, 0, (size_t)len)) {
			ret = fb_error(label, "line %d: a NUL byte", lineno);
			break;
		}
		/* Whole lines only: a long one is refused, never split. */
		if ((size_t)len >= IMG_CMDLINE_MAX + 64) {
			ret = fb_error(label, "line %d: longer than %d bytes",
				       lineno, IMG_CMDLINE_MAX + 63);
			break;
		}
		chomp(line);
		ret = manifest_line(label, lineno, line, img, &have_kernel);
	}
	if (!ret && ferror(f))
		ret = fb_error(label, "%s", strerror(errno));
	free(line);
	if (!ret && !have_kernel)
		ret = fb_error(label, "no kernel line");
	if (!ret && img->has_cmdline && img->reuse_cmdline)
		ret = fb_error(label, "both cmdline and reuse-cmdline");
	return ret;
}

int img_parse_manifest(const char *path, struct img *img)
{
	FILE *f = fopen(path, "r");
	int ret;

	if (!f)
		return fb_error(path, "%s", strerror(errno));
	ret = manifest_file(f, path, img);
	fclose(f);
	return ret;
}

static int record_module(char *buf, size_t len, const char *kind,
			 const struct img_module *m)
{
	char hex[65], root[65] = "";
	const char *deliv = "";

	sha256_hex(m->sha, hex);
	if (m->kind != IMG_KIND_INITRD)
		deliv = m->delivery == IMG_DELIVER_STORE ? " store" : " kexec";
	if (m->kind == IMG_KIND_MOUNT && m->has_verity)
		sha256_hex(m->verity_root, root);
	return snprintf(buf, len, "%s %s %s %" PRIu64 " %" PRIu64 " %" PRIu64
			" %" PRIu64 " %" PRIu64 " %s%s%s%s%s%s\n", kind, m->name, hex,
			m->size, m->ident.dev, m->ident.ino, m->ident.mtime_ns,
			m->ident.ctime_ns, m->path, m->kind == IMG_KIND_MOUNT ? " " : "",
			m->kind == IMG_KIND_MOUNT ? m->dir : "", deliv,
			root[0] ? " verity=" : "", root);
}

/* Returns the length written, or 0 if buf is too small. */
size_t img_record_format(const struct img *img, char *buf, size_t len)
{
	size_t off = 0;
	int i, n;

	n = snprintf(buf, len, "%s\nname %s\ncmdline %s\n",
		     img_has_byref(img) ? RECORD_MAGIC2 : RECORD_MAGIC,
		     img->name[0] ? img->name : "-", img->cmdline);
	if (n < 0 || (size_t)n >= len)
		return 0;
	off = (size_t)n;
	n = record_module(buf + off, len - off, "kernel", &img->kernel);
	if (n < 0 || (size_t)n >= len - off)
		return 0;
	off += (size_t)n;
	for (i = 0; i < img->n_initrd; i++) {
		n = record_module(buf + off, len - off,
				  img_kind_name(img->initrd[i].kind), &img->initrd[i]);
		if (n < 0 || (size_t)n >= len - off)
			return 0;
		off += (size_t)n;
	}
	return off;
}

/*
 * Parse "NAME SHA SIZE DEV INO MTIME CTIME PATH" into m, then for a
 * module "DELIVERY", for a mount "DIR DELIVERY [verity=HEX]".
 */
static int parse_record_module(char *rest, struct img_module *m,
			       enum img_kind kind)
{
	char *w[12], *r, *deliv;
	int n, i, want = kind == IMG_KIND_INITRD ? 8 :
			 kind == IMG_KIND_MODULE ? 9 : 10;

	n = split(rest, w, 12, &r);
	if (n != want && !(kind == IMG_KIND_MOUNT && n == 11))
		return -1;
	if (set_module(m, w[0], w[7], w[1]))
		return -1;
	m->kind = kind;
	if (kind != IMG_KIND_INITRD) {
		deliv = w[want - 1];
		if (!strcmp(deliv, "store"))
			m->delivery = IMG_DELIVER_STORE;
		else if (strcmp(deliv, "kexec"))
			return -1;
	}
	if (kind == IMG_KIND_MOUNT) {
		if (!img_dir_ok(w[8]))
			return -1;
		strcpy(m->dir, w[8]);
		if (n == 11) {
			if (strncmp(w[10], "verity=", 7) ||
			    img_parse_hex(w[10] + 7, m->verity_root))
				return -1;
			m->has_verity = true;
		}
	}
	for (i = 2; i < 7; i++) {
		uint64_t *dst[] = { &m->size, &m->ident.dev, &m->ident.ino,
				    &m->ident.mtime_ns, &m->ident.ctime_ns };

		if (fb_parse_uint(w[i], 10, UINT64_MAX, dst[i - 2]))
			return -1;
	}
	m->ident.size = m->size;
	m->has_ident = true;
	return 0;
}

int img_record_parse(const char *text, size_t len, struct img *img,
		     char *why, size_t why_len)
{
	char *buf, *line, *save = NULL, *rest, *w[2];
	bool magic = false, kernel = false, cmdline = false, v2 = false;
	int ret = 0, i;

	memset(img, 0, sizeof(*img));
	if (len > 1 << 20 || memchr(text, 0, len)) {
		snprintf(why, why_len, "not a text record");
		return -1;
	}
	buf = strndup(text, len);
	if (!buf)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line && !ret;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!magic) {
			v2 = !strcmp(line, RECORD_MAGIC2);
			magic = v2 || !strcmp(line, RECORD_MAGIC);
			if (!magic)
				ret = -1;
			continue;
		}
		if (!strncmp(line, "cmdline ", 8) || !strcmp(line, "cmdline")) {
			const char *c = line[7] ? line + 8 : "";

			if (strlen(c) >= sizeof(img->cmdline))
				ret = -1;
			else
				strcpy(img->cmdline, c);
			img->has_cmdline = cmdline = true;
			continue;
		}
		if (!strncmp(line, "kernel ", 7) && !kernel) {
			ret = parse_record_module(line + 7, &img->kernel,
						  IMG_KIND_INITRD);
			kernel = true;
		} else if (!strncmp(line, "initrd ", 7) &&
			   img->n_initrd < IMG_MAX_INITRDS) {
			ret = parse_record_module(line + 7,
						  &img->initrd[img->n_initrd++],
						  IMG_KIND_INITRD);
		} else if (v2 && !strncmp(line, "module ", 7) &&
			   img->n_initrd < IMG_MAX_INITRDS) {
			ret = parse_record_module(line + 7,
						  &img->initrd[img->n_initrd++],
						  IMG_KIND_MODULE);
		} else if (v2 && !strncmp(line, "mount ", 6) &&
			   img->n_initrd < IMG_MAX_INITRDS) {
			ret = parse_record_module(line + 6,
						  &img->initrd[img->n_initrd++],
						  IMG_KIND_MOUNT);
		} else if (split(line, w, 2, &rest) == 2 && !strcmp(w[0], "name")) {
			if (strcmp(w[1], "-") && module_name_ok(w[1]))
				strcpy(img->name, w[1]);
		} else {
			ret = -1;
		}
	}
	free(buf);
	if (!ret && (!magic || !kernel || !cmdline))
		ret = -1;
	/* what the manifest refuses, a record cannot say either */
	for (i = 0; !ret && i < img->n_initrd; i++) {
		const struct img_module *m = &img->initrd[i];
		int j;

		for (j = 0; j < i && !ret; j++)
			if (!strcmp(img->initrd[j].name, m->name) ||
			    (m->kind == IMG_KIND_MOUNT &&
			     img->initrd[j].kind == IMG_KIND_MOUNT &&
			     !strcmp(img->initrd[j].dir, m->dir)))
				ret = -1;
	}
	/* a v2 record says something v1 cannot */
	if (!ret && v2 && !img_has_byref(img))
		ret = -1;
	if (ret)
		snprintf(why, why_len, "malformed image record");
	return ret;
}
