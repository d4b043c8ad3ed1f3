/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * fastboot tool: thin wrappers over the /dev/fastboot ioctls.  They print
 * nothing and return 0 or a negative errno, so callers choose the message.
 */
#ifndef FASTBOOT_CLIENT_H
#define FASTBOOT_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include "fastboot.h"

int cl_status(int fd, struct fastboot_status *s);
int cl_info(int fd, const char *name, struct fastboot_info *in);
/* Next object at or after *index; -ENOENT past the last. */
int cl_next(int fd, uint32_t *index, struct fastboot_info *in);
int cl_put(int fd, const char *name, uint32_t type, const void *data,
	   uint64_t len, const uint8_t tag[48]);
int cl_rm(int fd, const char *name);
/*
 * Read a whole object, passing each chunk to sink (which returns 0 to go
 * on), and compute its SHA-256 into digest.
 */
int cl_read(int fd, const struct fastboot_info *in,
	    int (*sink)(void *ctx, const void *buf, size_t len), void *ctx,
	    uint8_t digest[32]);

/*
 * Read a whole object of at most max bytes into *buf (malloc'd, NUL
 * added after its *len bytes), checking its SHA-256 when the store keeps
 * one: -EFBIG if larger than max, -EBADMSG on a digest mismatch, -ENOMEM,
 * or cl_read's error; *buf is NULL unless 0 is returned.
 */
int cl_read_all(int fd, const struct fastboot_info *in, size_t max,
		char **buf, size_t *len);

/*
 * Copy up to len bytes of object in (still the same object: its id) from
 * offset straight into buf; *done the bytes copied.
 */
int cl_pread(int fd, const struct fastboot_info *in, uint64_t offset,
	     void *buf, uint64_t len, uint64_t *done);

/*
 * Verified block devices (/dev/fbvN): add one over boot object object
 * with hash tree object tree and its root hash (*index: N), remove one
 * (-EBUSY while open), the next at or after *index (-ENOENT past the last).
 */
int cl_vdev_add(int fd, const char *object, const char *tree,
		const uint8_t root[32], uint32_t *index);
int cl_vdev_del(int fd, uint32_t index);
int cl_vdev_next(int fd, uint32_t *index, struct fastboot_vdev *v);

#endif
