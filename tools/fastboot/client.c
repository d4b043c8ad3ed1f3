// SPDX-License-Identifier: GPL-2.0 OR MIT
/* fastboot tool: thin wrappers over the /dev/fastboot ioctls. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
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

/*
 * cl_read() hashes on a second thread while the caller's thread reads the
 * next chunk and hands the current one to the sink: SHA-256 is the slow
 * part, and the copy and the write then cost (almost) nothing on a
 * machine with two CPUs.  Two buffers: a chunk is read into a buffer only
 * after the hasher is done with what it held.
 */
#define NBUF 2

struct hasher {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	struct sha256 sha;
	const char *buf[NBUF];
	size_t len[NBUF];
	int head, count;	/* the FIFO of chunks to hash */
	bool stop;
};

static void *hash_thread(void *arg)
{
	struct hasher *h = arg;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		while (!h->count && !h->stop)
			pthread_cond_wait(&h->cv, &h->lock);
		if (!h->count)
			break;
		const char *buf = h->buf[h->head];
		size_t len = h->len[h->head];

		pthread_mutex_unlock(&h->lock);
		sha256_update(&h->sha, buf, len);
		pthread_mutex_lock(&h->lock);
		h->head = (h->head + 1) % NBUF;
		h->count--;
		pthread_cond_broadcast(&h->cv);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

int cl_read(int fd, const struct fastboot_info *in,
	    int (*sink)(void *ctx, const void *buf, size_t len), void *ctx,
	    uint8_t digest[32])
{
	struct fastboot_read r;
	struct hasher *h = calloc(1, sizeof(*h));
	/* one buffer unless there is more than a chunk to read */
	int nbuf = in->bytes > IO_CHUNK ? NBUF : 1;
	char *bufs = malloc((size_t)nbuf * IO_CHUNK);
	uint64_t off = 0;
	pthread_t th;
	bool threaded;
	int ret = 0, k = 0;

	if (!h || !bufs) {
		free(h);
		free(bufs);
		return -ENOMEM;
	}
	sha256_init(&h->sha);
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cv, NULL);
	threaded = nbuf > 1 && !pthread_create(&th, NULL, hash_thread, h);
	while (!ret && off < in->bytes) {
		char *buf = bufs + (size_t)k * IO_CHUNK;

		/* wait until buf is no longer queued for hashing */
		pthread_mutex_lock(&h->lock);
		while (h->count == NBUF)
			pthread_cond_wait(&h->cv, &h->lock);
		pthread_mutex_unlock(&h->lock);
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
		if (ret)
			break;
		if (threaded) {
			pthread_mutex_lock(&h->lock);
			h->buf[(h->head + h->count) % NBUF] = buf;
			h->len[(h->head + h->count) % NBUF] = r.bytes;
			h->count++;
			pthread_cond_broadcast(&h->cv);
			pthread_mutex_unlock(&h->lock);
		} else {
			sha256_update(&h->sha, buf, r.bytes);
		}
		ret = sink(ctx, buf, r.bytes);
		off += r.bytes;
		k = (k + 1) % nbuf;
	}
	if (threaded) {
		pthread_mutex_lock(&h->lock);
		h->stop = true;
		pthread_cond_broadcast(&h->cv);
		pthread_mutex_unlock(&h->lock);
		pthread_join(th, NULL);
	}
	sha256_final(&h->sha, digest);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->lock);
	free(bufs);
	free(h);
	return ret;
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

int cl_read_all(int fd, const struct fastboot_info *in, size_t max,
		char **buf, size_t *len)
{
	struct membuf mb = { 0 };
	uint8_t digest[32];
	int ret;

	*buf = NULL;
	*len = 0;
	if (in->bytes > max)
		return -EFBIG;
	mb.cap = (size_t)in->bytes;
	mb.buf = calloc(1, mb.cap + 1);
	if (!mb.buf)
		return -ENOMEM;
	ret = cl_read(fd, in, to_membuf, &mb, digest);
	if (!ret && (in->obj_flags & FASTBOOT_OBJ_F_DIGEST) &&
	    memcmp(digest, in->sha256, 32))
		ret = -EBADMSG;
	if (ret) {
		free(mb.buf);
		return ret;
	}
	*buf = mb.buf;
	*len = mb.len;
	return 0;
}

int cl_pread(int fd, const struct fastboot_info *in, uint64_t offset,
	     void *buf, uint64_t len, uint64_t *done)
{
	struct fastboot_read r;
	int ret;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	memcpy(r.name, in->name, sizeof(r.name));
	r.offset = offset;
	r.buf = (uintptr_t)buf;
	r.len = len;
	r.id = in->id;
	ret = call(fd, FASTBOOT_IOC_READ, &r);
	*done = ret ? 0 : r.bytes;
	return ret;
}

int cl_vdev_add(int fd, const char *object, const char *tree,
		const uint8_t root[32], uint32_t *index)
{
	struct fastboot_vdev v;
	int ret;

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	if (set_name(v.object, object) || set_name(v.tree, tree))
		return -ENOENT;
	memcpy(v.root_hash, root, sizeof(v.root_hash));
	ret = call(fd, FASTBOOT_IOC_VDEV_ADD, &v);
	if (!ret)
		*index = v.index;
	return ret;
}

int cl_vdev_del(int fd, uint32_t index)
{
	struct fastboot_vdev v;

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	v.index = index;
	return call(fd, FASTBOOT_IOC_VDEV_DEL, &v);
}

int cl_vdev_next(int fd, uint32_t *index, struct fastboot_vdev *v)
{
	int ret;

	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	v->index = *index;
	ret = call(fd, FASTBOOT_IOC_VDEV_INFO, v);
	if (!ret)
		*index = v->index + 1;
	return ret;
}
