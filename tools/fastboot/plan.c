// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fastboot tool: the plan and store steps of `fastboot update`.
 *
 * Plan: stat every module.  A module is reused without reading its source
 * when the manifest gives a SHA-256 already in the store, or its identity
 * (dev, inode, size, mtime, ctime) equals the one recorded by the current,
 * previous or recovery image.  Otherwise it is read and hashed once.
 * Store: the new content as boot objects "b:<sha256>", whatever the
 * module's delivery (a by-reference module is stored the same way).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "client.h"
#include "fastboot.h"
#include "pipeline.h"
#include "sha256.h"
#include "verity.h"

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


/*
 * Is the hash tree of root hash root, for size bytes of data, in the
 * store?  The kernel checks its blocks against root as it reads them.
 */
bool tree_in_store(int fd, const uint8_t root[32], uint64_t size)
{
	struct fastboot_info in;
	char name[64];

	img_tree_name(root, name);
	return !cl_info(fd, name, &in) && in.type == FASTBOOT_OBJ_BOOT &&
	       in.bytes == verity_tree_bytes(size);
}

/*
 * A mount module's root hash from any record that has one for the same
 * content, its tree in the store: true if found (and set in m).
 */
static bool recorded_tree(int fd, const struct records *r, struct img_module *m)
{
	const struct img *imgs[3] = { r->have_cur ? &r->cur : NULL,
				      r->have_prev ? &r->prev : NULL,
				      r->have_rec ? &r->rec : NULL };
	const struct img_module *e;
	int i, j;

	if (m->kind != IMG_KIND_MOUNT)
		return true;
	for (j = 0; j < 3; j++) {
		if (!imgs[j])
			continue;
		img_for_each(imgs[j], e, i)
			if (e->has_verity && e->size == m->size &&
			    !memcmp(e->sha, m->sha, 32) &&
			    tree_in_store(fd, e->verity_root, m->size)) {
				memcpy(m->verity_root, e->verity_root, 32);
				m->has_verity = true;
				return true;
			}
	}
	return false;
}

/*
 * Map and hash a module's source.  A mount module's hash tree is built in
 * the same pass, block by block, as the bytes are hashed.
 */
int read_source(struct img_module *m, int sfd, uint64_t *bytes_read)
{
	struct sha256 sha;
	struct verity v;
	uint8_t digest[32];
	char size[32];
	bool tree = m->kind == IMG_KIND_MOUNT;

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
	if (tree && !m->size)
		return fb_error(m->path, "an empty file; a mount module is a file system image");
	if (tree && verity_init(&v, m->size))
		return fb_error(m->path, "out of memory for its hash tree");
	sha256_init(&sha);
	if (!tree) {
		sha256_update(&sha, m->data, m->size);
	} else {
		const uint8_t *p = m->data;
		uint64_t off;

		for (off = 0; off < m->size; off += VERITY_BLOCK) {
			size_t n = m->size - off < VERITY_BLOCK ?
				   (size_t)(m->size - off) : VERITY_BLOCK;

			sha256_update(&sha, p + off, n);
			verity_leaf(&v, off / VERITY_BLOCK, p + off, n);
		}
		verity_finish(&v);
	}
	sha256_final(&sha, digest);
	if (m->has_sha && memcmp(digest, m->sha, 32)) {
		if (tree)
			verity_free(&v);
		return fb_error(m->path, "content does not match the SHA-256 the manifest gives");
	}
	if (tree) {
		free(m->tree);
		m->tree = v.tree;
		m->tree_len = v.tree_blocks * VERITY_BLOCK;
		memcpy(m->verity_root, v.root, 32);
		m->has_verity = true;
	}
	memcpy(m->sha, digest, 32);
	m->has_sha = true;
	m->status = IMG_LOADED;
	*bytes_read += m->size;
	return 0;
}

/* Step 1: decide, per module, whether its source must be read. */
int plan(int fd, bool verify, struct img *img, const struct records *r,
	 uint64_t *bytes_read)
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
		/* a mount module's tree must be in the store too */
		if (!verify && m->has_sha && in_store(fd, m->sha, m->size) &&
		    recorded_tree(fd, r, m)) {
			m->status = IMG_REUSED;
		} else if (!verify && !m->has_sha && (e = recorded(r, m)) &&
			   in_store(fd, e->sha, m->size)) {
			memcpy(m->sha, e->sha, 32);
			if (recorded_tree(fd, r, m)) {
				m->has_sha = true;
				m->status = IMG_REUSED;
			} else {
				memset(m->sha, 0, 32);
				ret = read_source(m, sfd, bytes_read);
			}
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
uint64_t space_needed(int fd, const struct img *img, uint64_t extra)
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
	/* the hash trees built in this run (a shared one counted twice) */
	img_for_each(img, m, i)
		if (m->tree && !tree_in_store(fd, m->verity_root, m->size))
			need += fb_pages(m->tree_len) * FB_PAGE_SIZE;
	return need + extra;
}

void make_tag(const struct img_module *m, uint8_t tag[48])
{
	memset(tag, 0, 48);
	memcpy(tag, &m->ident, sizeof(m->ident));
}

void drop_added(int fd, struct added *a)
{
	while (a->n > 0)
		cl_rm(fd, a->names[--a->n]);
}

/*
 * Store the hash tree built in this run (by read_source: m is a mount
 * module read in this run), unless the store has it.
 */
int store_tree(int fd, const struct img_module *m, struct added *added)
{
	char name[64];
	int ret;

	if (!m->has_verity || tree_in_store(fd, m->verity_root, m->size))
		return 0;
	img_tree_name(m->verity_root, name);
	ret = cl_put(fd, name, FASTBOOT_OBJ_BOOT, m->tree, m->tree_len, NULL);
	if (ret)
		return fb_ioctl_error(m->path, -ret);
	if (added)
		strcpy(added->names[added->n++], name);
	return 0;
}

/* Step 3: store new content, and the hash trees of mount modules. */
int store_new(int fd, struct img *img, struct added *added)
{
	struct img_module *m;
	char name[64];
	uint8_t tag[48];
	int i, ret = 0;

	img_for_each(img, m, i) {
		if (m->status == IMG_LOADED && m->kind == IMG_KIND_MOUNT &&
		    store_tree(fd, m, added))
			return EXIT_FAIL;
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
