/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * fastboot tool: boot images.  An image is a kernel, an ordered list of
 * initramfs modules and a command line.  Each module is stored once, as a
 * content-addressed boot object "b:<first 60 hex digits of its SHA-256>".
 * Each image set up by `fastboot update` is recorded as a blob "img.<N>";
 * the highest N is the current image, the next lower one the previous.
 *
 * Modules come in three kinds (manifest directives): initrd (through
 * kexec, as part of the base initramfs), module (a cpio archive handed
 * over in the store, unpacked by `fastboot boot` in the next kernel) and
 * mount (a file system image handed over in the store, mounted read-only
 * at a directory).  Each module's delivery says how it reaches the next
 * kernel: kexec (in the kexec initramfs) or store (left in the region).
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
/* A mount module's hash tree: "v:<first 60 hex digits of its root hash>" */
#define IMG_TREE_PREFIX		"v:"

/* Where a module's bytes came from, to tell later whether it changed. */
struct img_ident {
	uint64_t dev;
	uint64_t ino;
	uint64_t size;
	uint64_t mtime_ns;
	uint64_t ctime_ns;
};

enum img_kind {
	IMG_KIND_INITRD = 0,	/* manifest "initrd": always through kexec */
	IMG_KIND_MODULE,	/* "module": a cpio archive, by reference */
	IMG_KIND_MOUNT,		/* "mount": a file system image at dir */
};

enum img_delivery {
	IMG_DELIVER_KEXEC = 0,	/* in the kexec initramfs */
	IMG_DELIVER_STORE,	/* left in the store for `fastboot boot` */
};

#define IMG_DIR_MAX	256	/* a mount module's directory, with NUL */

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
	enum img_kind kind;
	enum img_delivery delivery;
	char dir[IMG_DIR_MAX];	/* mount: where, absolute, under the root */
	/*
	 * mount: the root hash of the object's hash tree (verity.h), which
	 * the store holds as boot object "v:<root>" (img_tree_name()); the
	 * record carries it as verity=HEX.
	 */
	uint8_t verity_root[32];
	bool has_verity;
	/* While updating: the tree, when built from the source in this run. */
	uint8_t *tree;
	uint64_t tree_len;
	/* While updating: the source mapped in memory, when read. */
	void *data;
};

struct img {
	char name[64];			/* manifest name, optional */
	char cmdline[IMG_CMDLINE_MAX];
	bool has_cmdline;
	bool reuse_cmdline;
	struct img_module kernel;
	/* every module, kexec or by reference, in manifest order */
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
/* A module of any kind; dir only for IMG_KIND_MOUNT. */
int img_add_module(struct img *img, enum img_kind kind, const char *name,
		   const char *path, const char *dir, const char *sha_hex);
const char *img_kind_name(enum img_kind k);
const char *img_delivery_name(enum img_delivery d);
/* Does the image have modules given by reference (module, mount)? */
bool img_has_byref(const struct img *img);
/* A mount directory: absolute, normalised, no "." or ".." component. */
bool img_dir_ok(const char *dir);
/* The record kept in the store: serialise and parse (untrusted). */
size_t img_record_format(const struct img *img, char *buf, size_t len);
int img_record_parse(const char *text, size_t len, struct img *img,
		     char *why, size_t why_len);
void img_object_name(const uint8_t sha[32], char name[64]);
/* The boot object holding the hash tree of root hash root. */
void img_tree_name(const uint8_t root[32], char name[64]);
int img_parse_hex(const char *hex, uint8_t sha[32]);
void img_ident_of(const struct stat *st, struct img_ident *id);
bool img_ident_eq(const struct img_ident *a, const struct img_ident *b);

#endif
