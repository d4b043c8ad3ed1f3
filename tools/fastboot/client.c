// SPDX-License-Identifier: GPL-2.0 OR MIT
/* fastboot tool: thin wrappers over the /dev/fastboot ioctls. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include "client.h"
#include "sha256.h"

#define IO_CHUNK (4u << 20)

static int call(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int set_name(char dst[FASTBOOT_NAME_MAX], const char *name)
{
	size_t n = strlen(name);

	memset(dst, 0, FASTBOOT_NAME_MAX);
	if (n >= FASTBOOT_NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(dst, name, n);
	return 0;
}

int cl_status(int fd, struct fastboot_status *s)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	return call(fd, FASTBOOT_IOC_STATUS, s);
}

int cl_info(int fd, const char *name, struct fastboot_info *in)
{
	memset(in, 0, sizeof(*in));
	in->size = sizeof(*in);
	in->flags = FASTBOOT_INFO_BY_NAME;
	if (set_name(in->name, name))
		return -ENOENT;
	return call(fd, FASTBOOT_IOC_INFO, in);
}

int cl_next(int fd, uint32_t *index, struct fastboot_info *in)
{
	int ret;

	memset(in, 0, sizeof(*in));
	in->size = sizeof(*in);
	in->index = *index;
	ret = call(fd, FASTBOOT_IOC_INFO, in);
	if (!ret)
		*index = in->index + 1;
	return ret;
}

int cl_put(int fd, const char *name, uint32_t type, const void *data,
	   uint64_t len, const uint8_t tag[48])
{
	struct fastboot_put p = { .size = sizeof(p), .type = type };

	if (set_name(p.name, name))
		return -ENAMETOOLONG;
	p.data = (uintptr_t)data;
	p.len = len;
	if (tag)
		memcpy(p.tag, tag, sizeof(p.tag));
	return call(fd, FASTBOOT_IOC_PUT, &p);
}

int cl_rm(int fd, const char *name)
{
	struct fastboot_rm r = { .size = sizeof(r) };

	if (set_name(r.name, name))
		return -ENOENT;
	return call(fd, FASTBOOT_IOC_RM, &r);
}

int cl_read(int fd, const struct fastboot_info *in,
	    int (*sink)(void *ctx, const void *buf, size_t len), void *ctx,
	    uint8_t digest[32])
{
	struct fastboot_read r;
	struct sha256 sha;
	uint64_t off = 0;
	char *buf = malloc(IO_CHUNK);
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	sha256_init(&sha);
	while (!ret && off < in->bytes) {
		memset(&r, 0, sizeof(r));
		r.size = sizeof(r);
		memcpy(r.name, in->name, sizeof(r.name));
		r.offset = off;
		r.buf = (uintptr_t)buf;
		r.len = IO_CHUNK;
		r.id = in->id;	/* ESTALE if it was replaced meanwhile */
		ret = call(fd, FASTBOOT_IOC_READ, &r);
		if (!ret && r.bytes == 0)
			ret = -EIO;	/* the object shrank under us */
		if (!ret) {
			sha256_update(&sha, buf, r.bytes);
			ret = sink(ctx, buf, r.bytes);
			off += r.bytes;
		}
	}
	sha256_final(&sha, digest);
	free(buf);
	return ret;
}
