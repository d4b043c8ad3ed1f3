// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fastboot tool: the image records in the store ("img.<N>",
 * "img.recovery"), read by update, arm, boot, status and log, and the
 * commit step that writes one.  Parsing is image.c's img_record_parse():
 * one parser for every reader.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client.h"
#include "fastboot.h"
#include "pipeline.h"

#define IMG_RECOVERY	"img.recovery"		/* the image fastboot arm loaded */

void records_free(struct records *r)
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

int record_number(const char *name, unsigned long *n)
{
	uint64_t v;

	if (strncmp(name, IMG_RECORD_PREFIX, strlen(IMG_RECORD_PREFIX)) ||
	    fb_parse_uint(name + strlen(IMG_RECORD_PREFIX), 10, ULONG_MAX, &v))
		return -1;
	*n = (unsigned long)v;
	return 0;
}

int load_record(int fd, const char *name, struct img *img)
{
	struct fastboot_info in;
	char why[128], *buf;
	size_t len;
	int ret;

	ret = cl_info(fd, name, &in);
	if (ret)
		return ret;
	ret = cl_read_all(fd, &in, RECORD_MAX, &buf, &len);
	if (ret == -EFBIG)
		return fb_error(name, "image record too large, ignored");
	if (ret == -EBADMSG)
		return fb_error(name, "image record is corrupted (SHA-256 mismatch), ignored");
	if (ret)
		return ret;
	if (img_record_parse(buf, len, img, why, sizeof(why)))
		ret = fb_error(name, "%s, ignored", why);
	free(buf);
	return ret;
}

int load_records(int fd, struct records *r)
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
bool in_store(int fd, const uint8_t sha[32], uint64_t size)
{
	struct fastboot_info in;
	char name[64];

	img_object_name(sha, name);
	return !cl_info(fd, name, &in) && in.bytes == size &&
	       (in.obj_flags & FASTBOOT_OBJ_F_DIGEST) &&
	       !memcmp(in.sha256, sha, 32);
}


/* Does a kept image use boot object name (a module, or a mount's tree)? */
static bool used_by(const struct img *const keep[3], const char *name)
{
	const struct img_module *m;
	char on[64];
	int j, k;

	for (k = 0; k < 3; k++) {
		if (!keep[k])
			continue;
		img_for_each(keep[k], m, j) {
			img_object_name(m->sha, on);
			if (!strcmp(on, name))
				return true;
			if (m->kind != IMG_KIND_MOUNT || !m->has_verity)
				continue;
			img_tree_name(m->verity_root, on);
			if (!strcmp(on, name))
				return true;
		}
	}
	return false;
}

/*
 * Remove the verified block devices over object name (its data or its
 * tree), so that it can go: false if one is open (mounted), and then the
 * object stays until a later update finds it unused and free.
 */
bool release_devices(int fd, const char *name)
{
	struct fastboot_vdev v;
	uint32_t index = 0;
	bool free = true;
	int ret;

	while (!cl_vdev_next(fd, &index, &v)) {
		if (strncmp(v.object, name, sizeof(v.object)) &&
		    strncmp(v.tree, name, sizeof(v.tree)))
			continue;
		ret = cl_vdev_del(fd, v.index);
		if (ret == -EBUSY)
			fprintf(stderr, "fastboot: %s backs /dev/fbv%u, which is in use (mounted): kept until a later update\n",
				name, v.index);
		if (ret)
			free = false;
	}
	return free;
}

/*
 * Step 6: record the image as name and free what no kept image uses.
 * update keeps the new image, the one that was current (now previous) and
 * the armed recovery image; arm keeps its image, current and previous.
 */
int commit_image(int fd, struct img *img, const struct records *r,
		 const char *name, const char *rec, size_t len, bool crash)
{
	const struct img *keep[3] = {
		img, r->have_cur ? &r->cur : NULL,
		crash ? (r->have_prev ? &r->prev : NULL) : (r->have_rec ? &r->rec : NULL),
	};
	struct fastboot_info in;
	uint32_t index = 0;
	char (*drop)[64] = NULL;
	int i, n_drop = 0, ret;

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
		if ((strncmp(in.name, IMG_OBJ_PREFIX, strlen(IMG_OBJ_PREFIX)) &&
		     strncmp(in.name, IMG_TREE_PREFIX, strlen(IMG_TREE_PREFIX))) ||
		    in.type != FASTBOOT_OBJ_BOOT || used_by(keep, in.name))
			continue;
		char (*nd)[64] = realloc(drop, (n_drop + 1) * 64);

		if (!nd)
			break;
		drop = nd;
		strcpy(drop[n_drop++], in.name);
	}
	for (i = 0; i < n_drop; i++)
		if (release_devices(fd, drop[i]))
			cl_rm(fd, drop[i]);
	free(drop);
	return 0;
}

