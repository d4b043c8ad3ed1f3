// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fastboot tool: look inside a boot image.  The kernel's release comes
 * from the bzImage setup header; a module's vermagic from its .modinfo
 * section, read with libelf, after unpacking the initramfs archives.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <gelf.h>
#include <libelf.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include "bootimg.h"

#define MAX_UNPACKED	(1ull << 31)	/* refuse bombs */

int bzimage_release(const uint8_t *buf, size_t len, char *rel, size_t rel_len)
{
	static const char banner[] = "Linux version ";
	size_t off, n = 0;

	if (len >= 4 && !memcmp(buf, ELFMAG, SELFMAG)) {
		/* An ELF vmlinux: the release follows linux_banner's prefix. */
		const uint8_t *p = memmem(buf, len, banner, sizeof(banner) - 1);

		if (!p)
			return -1;
		off = (size_t)(p - buf) + sizeof(banner) - 1;
	} else {
		/* bzImage: "HdrS" at 0x202; kernel_version at 0x20e points
		 * 0x200 before the version string. */
		if (len < 0x210 || memcmp(buf + 0x202, "HdrS", 4))
			return -1;
		off = (size_t)(buf[0x20e] | buf[0x20f] << 8) + 0x200;
	}
	if (off >= len)
		return -1;
	while (off + n < len && n + 1 < rel_len && buf[off + n] > ' ')
		n++;
	if (n == 0)
		return -1;
	memcpy(rel, buf + off, n);
	rel[n] = 0;
	return 0;
}

struct out {
	uint8_t *buf;
	size_t len, cap;
};

static int out_room(struct out *o, size_t more)
{
	if (o->len + more <= o->cap)
		return 0;
	if (o->len + more > MAX_UNPACKED)
		return -1;
	size_t cap = o->cap ? o->cap : 1 << 20;

	while (cap < o->len + more)
		cap *= 2;
	uint8_t *nb = realloc(o->buf, cap);

	if (!nb)
		return -1;
	o->buf = nb;
	o->cap = cap;
	return 0;
}

/* Each decompressor returns the bytes of input consumed, or 0 on error. */
static size_t gunzip(const uint8_t *in, size_t len, struct out *o)
{
	z_stream z = { .next_in = (Bytef *)in, .avail_in = (uInt)len };
	int r = Z_OK;

	if (len > UINT32_MAX || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return 0;
	while (r == Z_OK) {
		if (out_room(o, 1 << 20)) {
			r = Z_MEM_ERROR;
			break;
		}
		z.next_out = o->buf + o->len;
		z.avail_out = (uInt)(o->cap - o->len);
		r = inflate(&z, Z_NO_FLUSH);
		o->len = o->cap - z.avail_out;
	}
	inflateEnd(&z);
	return r == Z_STREAM_END ? len - z.avail_in : 0;
}

static size_t unzstd(const uint8_t *in, size_t len, struct out *o)
{
	size_t frame = ZSTD_findFrameCompressedSize(in, len);
	ZSTD_DStream *d;
	ZSTD_inBuffer ib = { in, 0, 0 };
	size_t r = 1;

	if (ZSTD_isError(frame))
		return 0;
	ib.size = frame;
	d = ZSTD_createDStream();
	if (!d)
		return 0;
	while (r && ib.pos < ib.size) {
		ZSTD_outBuffer ob;

		if (out_room(o, 1 << 20))
			break;
		ob.dst = o->buf + o->len;
		ob.size = o->cap - o->len;
		ob.pos = 0;
		r = ZSTD_decompressStream(d, &ob, &ib);
		o->len += ob.pos;
		if (ZSTD_isError(r))
			break;
	}
	ZSTD_freeDStream(d);
	return !ZSTD_isError(r) && r == 0 ? frame : 0;
}

static size_t unxz(const uint8_t *in, size_t len, struct out *o)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r = LZMA_OK;

	if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK)
		return 0;
	s.next_in = in;
	s.avail_in = len;
	while (r == LZMA_OK) {
		if (out_room(o, 1 << 20)) {
			r = LZMA_MEM_ERROR;
			break;
		}
		s.next_out = o->buf + o->len;
		s.avail_out = o->cap - o->len;
		r = lzma_code(&s, LZMA_FINISH);
		o->len = o->cap - s.avail_out;
	}
	lzma_end(&s);
	return r == LZMA_STREAM_END ? (size_t)s.total_in : 0;
}

typedef size_t (*unpack_fn)(const uint8_t *, size_t, struct out *);

static const struct {
	const char *name;
	const uint8_t magic[6];
	size_t magic_len;
	unpack_fn fn;
} formats[] = {
	{ "gzip", { 0x1f, 0x8b }, 2, gunzip },
	{ "zstd", { 0x28, 0xb5, 0x2f, 0xfd }, 4, unzstd },
	{ "xz", { 0xfd, '7', 'z', 'X', 'Z', 0 }, 6, unxz },
};

/* A newc header field: exactly 8 hex digits; -1 if it is not. */
static int hex8(const uint8_t *p, unsigned long *v)
{
	unsigned long r = 0;
	int i;

	for (i = 0; i < 8; i++) {
		uint8_t c = p[i];

		if (c >= '0' && c <= '9')
			r = r << 4 | (unsigned long)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			r = r << 4 | (unsigned long)((c | 0x20) - 'a' + 10);
		else
			return -1;
	}
	*v = r;
	return 0;
}

static void read_vermagic(const uint8_t *ko, size_t len, char *out,
			  size_t out_len)
{
	Elf *e;
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	out[0] = 0;
	elf_version(EV_CURRENT);
	e = elf_memory((char *)ko, len);
	if (!e)
		return;
	if (elf_getshdrstrndx(e, &shstrndx) == 0) {
		while ((scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			const char *name;
			Elf_Data *d;

			if (!gelf_getshdr(scn, &sh))
				break;
			name = elf_strptr(e, shstrndx, sh.sh_name);
			if (!name || strcmp(name, ".modinfo"))
				continue;
			d = elf_getdata(scn, NULL);
			for (size_t i = 0; d && i < d->d_size;) {
				const char *s = (const char *)d->d_buf + i;
				size_t n = strnlen(s, d->d_size - i);

				if (n < d->d_size - i && !strncmp(s, "vermagic=", 9)) {
					snprintf(out, out_len, "%s", s + 9);
					break;
				}
				i += n + 1;
			}
			break;
		}
	}
	elf_end(e);
}

/* A module file inside the archive, possibly compressed itself. */
static void found_module(const char *name, const uint8_t *data, size_t len,
			 struct ko_found *f)
{
	struct out o = { 0 };
	size_t i;

	snprintf(f->path, sizeof(f->path), "%.255s", name);
	f->vermagic[0] = 0;
	f->count++;
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (len >= formats[i].magic_len &&
		    !memcmp(data, formats[i].magic, formats[i].magic_len)) {
			if (formats[i].fn(data, len, &o))
				read_vermagic(o.buf, o.len, f->vermagic,
					      sizeof(f->vermagic));
			free(o.buf);
			return;
		}
	read_vermagic(data, len, f->vermagic, sizeof(f->vermagic));
}

static bool is_module(const char *path, const char *module)
{
	const char *base = strrchr(path, '/');
	size_t n = strlen(module);
	static const char *const ext[] = { "", ".xz", ".zst", ".gz" };

	base = base ? base + 1 : path;
	if (strncmp(base, module, n))
		return false;
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (!strcmp(base + n, ext[i]))
			return true;
	return false;
}

struct walk {
	initramfs_cb cb;
	void *ctx;
	char *why;
	size_t why_len;
	unsigned int archive;
};

/*
 * One newc archive at buf: each entry to the callback.  Returns its
 * length, 0 if malformed (why set), or stops with the callback's non-zero
 * return in *stop.
 */
static size_t cpio_archive(const uint8_t *buf, size_t len, struct walk *w,
			   int *stop)
{
	size_t off = 0;

	for (;;) {
		unsigned long v[13];
		struct cpio_entry e;
		char name[4096];
		int i;

		if (len - off < 110 || (memcmp(buf + off, "070701", 6) &&
					memcmp(buf + off, "070702", 6)))
			return 0;
		/* ino mode uid gid nlink mtime filesize maj min rmaj rmin namesize check */
		for (i = 0; i < 13; i++)
			if (hex8(buf + off + 6 + 8 * i, &v[i]))
				return 0;
		if (v[11] == 0 || v[11] > sizeof(name) || v[11] > len - off - 110)
			return 0;
		memcpy(name, buf + off + 110, v[11]);
		name[v[11] - 1] = 0;
		/* The name's padding may run past the end: check before use. */
		off = (off + 110 + v[11] + 3) & ~(size_t)3;
		if (off > len || v[6] > len - off)
			return 0;
		if (!strcmp(name, "TRAILER!!!"))
			return off + v[6];
		memset(&e, 0, sizeof(e));
		e.name = name;
		e.name_len = strlen(name);
		e.name_nul = e.name_len + 1 == v[11];
		e.ino = (uint32_t)v[0];
		e.mode = (uint32_t)v[1];
		e.uid = (uint32_t)v[2];
		e.gid = (uint32_t)v[3];
		e.nlink = (uint32_t)v[4];
		e.mtime = (uint32_t)v[5];
		e.devmajor = (uint32_t)v[7];
		e.devminor = (uint32_t)v[8];
		e.rdevmajor = (uint32_t)v[9];
		e.rdevminor = (uint32_t)v[10];
		e.data = buf + off;
		e.size = v[6];
		e.archive = w->archive;
		*stop = w->cb(w->ctx, &e);
		if (*stop)
			return 0;
		off = (off + v[6] + 3) & ~(size_t)3;
		if (off > len)
			return 0;
	}
}

static int scan(const uint8_t *buf, size_t len, struct walk *w, int depth)
{
	size_t off = 0, i, n;
	int stop = 0;

	if (depth > 4) {
		snprintf(w->why, w->why_len, "archives nested too deeply");
		return -1;
	}
	while (off < len) {
		if (buf[off] == 0) {	/* padding between archives */
			off++;
			continue;
		}
		if (len - off >= 6 && !memcmp(buf + off, "07070", 5)) {
			n = cpio_archive(buf + off, len - off, w, &stop);
			w->archive++;
			if (stop)
				return stop;
			if (!n) {
				snprintf(w->why, w->why_len, "malformed cpio archive at offset %zu", off);
				return -1;
			}
			off += n;
			continue;
		}
		for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
			if (len - off >= formats[i].magic_len &&
			    !memcmp(buf + off, formats[i].magic, formats[i].magic_len))
				break;
		if (i == sizeof(formats) / sizeof(formats[0])) {
			snprintf(w->why, w->why_len,
				 "unsupported data at offset %zu (cpio, gzip, zstd and xz are understood)", off);
			return -1;
		}
		struct out o = { 0 };

		n = formats[i].fn(buf + off, len - off, &o);
		if (!n) {
			free(o.buf);
			snprintf(w->why, w->why_len, "bad %s data at offset %zu", formats[i].name, off);
			return -1;
		}
		int r = scan(o.buf, o.len, w, depth + 1);

		free(o.buf);
		if (r)
			return r;
		off += n;
	}
	return 0;
}

int initramfs_walk(const uint8_t *buf, size_t len, initramfs_cb cb, void *ctx,
		   char *why, size_t why_len)
{
	struct walk w = { cb, ctx, why, why_len, 0 };

	why[0] = 0;
	return scan(buf, len, &w, 0);
}

struct find_ctx {
	const char *module;
	const char *release;		/* NULL: any place */
	struct ko_found *f;
};

/* Is path ("./x", "/x" or "x") under [usr/]lib/modules/<release>/? */
static bool in_modules_of(const char *path, const char *release)
{
	size_t n = strlen(release);

	while (path[0] == '.' && path[1] == '/')
		path += 2;
	while (path[0] == '/')
		path++;
	if (!strncmp(path, "usr/", 4))
		path += 4;
	if (strncmp(path, "lib/modules/", 12))
		return false;
	path += 12;
	return n && !strncmp(path, release, n) && path[n] == '/';
}

static int find_cb(void *ctx, const struct cpio_entry *e)
{
	struct find_ctx *c = ctx;
	bool in_tree;

	if ((e->mode & 0170000) != 0100000 || !is_module(e->name, c->module))
		return 0;
	in_tree = c->release && in_modules_of(e->name, c->release);
	if (in_tree || !c->f->in_tree) {
		found_module(e->name, e->data, e->size, c->f);
		c->f->in_tree = in_tree;
	} else {
		c->f->count++;
	}
	return 0;
}

int initramfs_find_module(const uint8_t *buf, size_t len, const char *module,
			  const char *release, struct ko_found *found,
			  char *why, size_t why_len)
{
	struct find_ctx c = { module, release, found };

	memset(found, 0, sizeof(*found));
	return initramfs_walk(buf, len, find_cb, &c, why, why_len);
}
