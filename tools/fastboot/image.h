/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * fastboot tool: boot images.  An image is a kernel, an ordered list of
 * initramfs modules and a command line.  Each module is stored once, as a
 * content-addressed boot object "b:<first 60 hex digits of its SHA-256>".
 * Each image set up by `fastboot update` is recorded as a blob "img.<N>";
 * the highest N is the current image, the next lower one the previous.
 */
#ifndef FASTBOOT_IMAGE_H
#define FASTBOOT_IMAGE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#define IMG_MAX_INITRDS		32
#define IMG_CMDLINE_MAX		4096
#define IMG_RECORD_PREFIX	"img."
#define IMG_OBJ_PREFIX		"b:"

/* Where a module's bytes came from, to tell later whether it changed. */
struct img_ident {
	uint64_t dev;
	uint64_t ino;
	uint64_t size;
	uint64_t mtime_ns;
	uint64_t ctime_ns;
};

enum img_status {
	IMG_PENDING = 0,
	IMG_REUSED,		/* taken from the store, source not read */
	IMG_LOADED,		/* read from its source */
};

struct img_module {
	char name[64];
	char path[PATH_MAX];
	uint8_t sha[32];
	bool has_sha;		/* sha known (manifest, record or hashed) */
	struct img_ident ident;
	bool has_ident;
	uint64_t size;
	enum img_status status;
	/* While updating: the source mapped in memory, when read. */
	void *data;
};

struct img {
	char name[64];			/* manifest name, optional */
	char cmdline[IMG_CMDLINE_MAX];
	bool has_cmdline;
	bool reuse_cmdline;
	struct img_module kernel;
	struct img_module initrd[IMG_MAX_INITRDS];
	int n_initrd;
};

/* The modules of an image in order: kernel first, then the initrds. */
#define img_for_each(img, m, i) \
	for ((i) = 0, (m) = &(img)->kernel; (i) <= (img)->n_initrd; \
	     (i)++, (m) = &(img)->initrd[(i) - 1])

int img_parse_manifest(const char *path, struct img *img);
int img_add_initrd(struct img *img, const char *name, const char *path,
		   const char *sha_hex);
/* The record kept in the store: serialise and parse (untrusted). */
size_t img_record_format(const struct img *img, char *buf, size_t len);
int img_record_parse(const char *text, size_t len, struct img *img,
		     char *why, size_t why_len);
void img_object_name(const uint8_t sha[32], char name[64]);
int img_parse_hex(const char *hex, uint8_t sha[32]);
void img_ident_of(const struct stat *st, struct img_ident *id);
bool img_ident_eq(const struct img_ident *a, const struct img_ident *b);

#endif
