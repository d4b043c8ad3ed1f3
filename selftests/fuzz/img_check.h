/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The oracle shared by the manifest and record fuzz targets: an image the
 * tool accepted is well-formed, and its record (img_record_format) parses
 * back (img_record_parse) to the same image.
 */
#ifndef FB_FUZZ_IMG_CHECK_H
#define FB_FUZZ_IMG_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "image.h"

#define fuzz_fail(...) do {						\
		fprintf(stderr, "oracle: " __VA_ARGS__);		\
		fprintf(stderr, "\n");					\
		abort();						\
	} while (0)

#define FUZZ_RECORD_MAX	(64u << 10)	/* update.c's RECORD_MAX */

static void check_str(const char *s, size_t len, const char *what)
{
	if (!memchr(s, 0, len))
		fuzz_fail("%s not NUL-terminated", what);
}

static void check_module(const struct img_module *m, const char *what)
{
	check_str(m->name, sizeof(m->name), what);
	check_str(m->path, sizeof(m->path), what);
	if (!m->name[0] || !m->path[0] || strpbrk(m->path, " \t\n") ||
	    strpbrk(m->name, " \t\n/"))
		fuzz_fail("%s: name '%s' path '%s' accepted", what, m->name,
			  m->path);
	check_str(m->dir, sizeof(m->dir), what);
	if (m->kind > IMG_KIND_MOUNT || m->delivery > IMG_DELIVER_STORE)
		fuzz_fail("%s: kind %d delivery %d", what, m->kind, m->delivery);
	if ((m->kind == IMG_KIND_MOUNT) != !!m->dir[0] ||
	    (m->dir[0] && !img_dir_ok(m->dir)))
		fuzz_fail("%s: kind %d with directory '%s'", what, m->kind, m->dir);
	if (m->kind == IMG_KIND_INITRD && m->delivery != IMG_DELIVER_KEXEC)
		fuzz_fail("%s: an initrd module delivered by the store", what);
}

static void check_img(const struct img *img)
{
	const struct img_module *m;
	int i;

	check_str(img->name, sizeof(img->name), "image name");
	check_str(img->cmdline, sizeof(img->cmdline), "cmdline");
	if (strchr(img->cmdline, '\n'))
		fuzz_fail("a newline in the command line");
	if (img->n_initrd < 0 || img->n_initrd > IMG_MAX_INITRDS)
		fuzz_fail("%d initrd modules", img->n_initrd);
	img_for_each(img, m, i)
		check_module(m, i ? "initrd" : "kernel");
	if (img->kernel.kind != IMG_KIND_INITRD)
		fuzz_fail("the kernel has kind %d", img->kernel.kind);
	for (i = 0; i < img->n_initrd; i++) {
		int j;

		for (j = 0; j < i; j++)
			if (!strcmp(img->initrd[i].name, img->initrd[j].name))
				fuzz_fail("two modules named '%s'", img->initrd[i].name);
	}
}

static bool module_eq(const struct img_module *a, const struct img_module *b)
{
	return !strcmp(a->name, b->name) && !strcmp(a->path, b->path) &&
	       !memcmp(a->sha, b->sha, sizeof(a->sha)) && a->size == b->size &&
	       a->kind == b->kind && a->delivery == b->delivery &&
	       !strcmp(a->dir, b->dir) && a->has_verity == b->has_verity &&
	       (!a->has_verity || !memcmp(a->verity_root, b->verity_root, 32));
}

/* The record of img parses back to img. */
static void check_round_trip(const struct img *img)
{
	static char rec[FUZZ_RECORD_MAX];
	static struct img back;
	char why[128];
	size_t len = img_record_format(img, rec, sizeof(rec));
	int i;

	if (!len)
		return;		/* too large: update refuses it */
	if (img_record_parse(rec, len, &back, why, sizeof(why)))
		fuzz_fail("own record refused: %s", why);
	check_img(&back);
	if (strcmp(back.name, img->name) || strcmp(back.cmdline, img->cmdline) ||
	    back.n_initrd != img->n_initrd || !module_eq(&back.kernel, &img->kernel))
		fuzz_fail("record does not parse back to the image");
	for (i = 0; i < img->n_initrd; i++)
		if (!module_eq(&back.initrd[i], &img->initrd[i]))
			fuzz_fail("initrd %d differs after a round trip", i);
}

#endif
