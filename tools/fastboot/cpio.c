// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fastboot tool: unpack initramfs archives into a directory, as Linux
 * unpacks its initramfs (init/initramfs.c): newc entries in order, a later
 * entry replacing an earlier one of the same name, hard links of an
 * archive by (device, inode), owner, mode and mtime as recorded.  The
 * archives come from the store, so they are outside input; unlike the
 * kernel, which trusts its initramfs, this refuses:
 *
 *   - a name with a ".." component, or a NUL byte before its end; leading
 *     "/" and "./" are taken as relative to the directory, as "." and
 *     empty components are, so nothing lands outside it;
 *   - going through a symbolic link: every directory on the way is opened
 *     with O_NOFOLLOW, files are created with O_EXCL | O_NOFOLLOW, so an
 *     entry never writes where an earlier symbolic link points;
 *   - a directory where a non-directory is (or the reverse is replaced
 *     only for non-directories, which are unlinked first);
 *   - block and character devices outside dev/;
 *   - a hard link to a name the same archive did not create before;
 *   - names longer than PATH_MAX - 1, link targets longer than that, more
 *     than CPIO_MAX_LINKS hard-linked inodes per archive.
 *
 * Directories missing on the way are created (0755).  Owners are set
 * when running as root.  A directory's mtime is not restored.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "bootimg.h"
#include "cpio.h"

#define CPIO_MAX_LINKS	65536

struct link {
	unsigned int archive;
	uint32_t maj, min, ino;
	char *path;
};

struct unpack {
	int root;
	struct cpio_stats *st;
	char *why;
	size_t why_len;
	struct link *links;
	size_t n_links, cap_links;
	bool root_user;
};

static int fail(struct unpack *u, const char *name, const char *fmt, int err)
{
	char msg[160];

	snprintf(msg, sizeof(msg), fmt, err ? strerror(err) : "");
	snprintf(u->why, u->why_len, "%.200s: %s", name, msg);
	return 1;
}

/*
 * name as a path relative to the root: no leading "/", no "." or empty
 * component; "" for the root itself.  -1 for a ".." component.
 */
static int normalise(const char *name, char *out, size_t out_len)
{
	const char *p = name;
	size_t o = 0;

	out[0] = 0;
	while (*p) {
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return -1;
		if (n && !(n == 1 && p[0] == '.')) {
			if (o + n + 2 > out_len)
				return -1;
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
			out[o] = 0;
		}
		p = *e ? e + 1 : e;
	}
	return 0;
}

/*
 * Open the directory that holds path (relative, normalised), creating
 * missing directories, never following a symbolic link.  *leaf points
 * into path at the last component.  Returns an fd, or -1 with errno.
 */
static int open_parent(int root, const char *path, const char **leaf)
{
	char comp[NAME_MAX + 1];
	const char *p = path, *slash;
	int fd = dup(root);

	while (fd >= 0 && (slash = strchr(p, '/'))) {
		size_t n = (size_t)(slash - p);
		int next;

		if (n > NAME_MAX) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(comp, p, n);
		comp[n] = 0;
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && !mkdirat(fd, comp, 0755))
			next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
		p = slash + 1;
	}
	*leaf = p;
	return fd;
}

/* Make room for a non-directory leaf: unlink what is there, unless a dir. */
static int clear_leaf(int dfd, const char *leaf)
{
	struct stat st;

	if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	return unlinkat(dfd, leaf, 0);
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	off_t off = 0;

	while (len) {
		ssize_t w = pwrite(fd, p, len, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		off += w;
		len -= (size_t)w;
	}
	return 0;
}

static const char *find_link(struct unpack *u, const struct cpio_entry *e)
{
	size_t i;

	for (i = 0; i < u->n_links; i++)
		if (u->links[i].archive == e->archive && u->links[i].ino == e->ino &&
		    u->links[i].maj == e->devmajor && u->links[i].min == e->devminor)
			return u->links[i].path;
	return NULL;
}

static int add_link(struct unpack *u, const struct cpio_entry *e,
		    const char *path)
{
	if (u->n_links == u->cap_links) {
		size_t cap = u->cap_links ? 2 * u->cap_links : 64;
		struct link *nl;

		if (cap > CPIO_MAX_LINKS)
			return -1;
		nl = realloc(u->links, cap * sizeof(*nl));
		if (!nl)
			return -1;
		u->links = nl;
		u->cap_links = cap;
	}
	u->links[u->n_links].path = strdup(path);
	if (!u->links[u->n_links].path)
		return -1;
	u->links[u->n_links].archive = e->archive;
	u->links[u->n_links].ino = e->ino;
	u->links[u->n_links].maj = e->devmajor;
	u->links[u->n_links].min = e->devminor;
	u->n_links++;
	return 0;
}

/* The recorded owner (as root) and mtime; 1 with why if the owner fails. */
static int set_owner_time(struct unpack *u, int dfd, const char *leaf,
			  const struct cpio_entry *e, bool time)
{
	struct timespec ts[2] = { { e->mtime, 0 }, { e->mtime, 0 } };

	if (u->root_user &&
	    fchownat(dfd, leaf, e->uid, e->gid, AT_SYMLINK_NOFOLLOW))
		return fail(u, e->name, "owner: %s", errno);
	if (time)
		(void)utimensat(dfd, leaf, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int regular(struct unpack *u, int dfd, const char *leaf,
		   const char *path, const struct cpio_entry *e)
{
	const char *old = e->nlink >= 2 ? find_link(u, e) : NULL;
	int fd;

	if (clear_leaf(dfd, leaf))
		return fail(u, e->name, "cannot replace it: %s", errno);
	if (old) {
		if (linkat(u->root, old, dfd, leaf, 0))
			return fail(u, e->name, "hard link: %s", errno);
		fd = openat(dfd, leaf, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	} else {
		if (e->nlink >= 2 && add_link(u, e, path))
			return fail(u, e->name, "too many hard-linked files%s", 0);
		fd = openat(dfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
	}
	if (fd < 0)
		return fail(u, e->name, "%s", errno);
	if (write_all(fd, e->data, e->size) || fchmod(fd, e->mode & 07777)) {
		int err = errno;

		close(fd);
		return fail(u, e->name, "%s", err);
	}
	close(fd);
	u->st->bytes += e->size;
	return set_owner_time(u, dfd, leaf, e, true);
}

static int entry_cb(void *ctx, const struct cpio_entry *e)
{
	struct unpack *u = ctx;
	char path[PATH_MAX], target[PATH_MAX];
	const char *leaf;
	uint32_t type = e->mode & 0170000;
	int dfd, ret = 0;

	if (!e->name_nul || normalise(e->name, path, sizeof(path)))
		return fail(u, e->name, "refused name (a '..' component, a NUL byte or too long)%s", 0);
	if (!path[0]) {		/* "." : the root itself */
		if (type != 0040000)
			return fail(u, e->name, "the root is not a directory%s", 0);
		return 0;
	}
	if ((type == 0020000 || type == 0060000) && strncmp(path, "dev/", 4))
		return fail(u, e->name, "a device node outside dev/%s", 0);
	if (type != 0100000 && type != 0120000 && e->size)
		return fail(u, e->name, "has data but is not a file or link%s", 0);
	dfd = open_parent(u->root, path, &leaf);
	if (dfd < 0)
		return fail(u, e->name, "its directory: %s (a symbolic link on the way is not followed)",
			    errno);
	switch (type) {
	case 0100000:
		ret = regular(u, dfd, leaf, path, e);
		break;
	case 0040000: {
		struct stat st;

		if (mkdirat(dfd, leaf, 0700) && errno != EEXIST)
			ret = fail(u, e->name, "%s", errno);
		else if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) ||
			 !S_ISDIR(st.st_mode))
			ret = fail(u, e->name, "exists and is not a directory%s", 0);
		else if (fchmodat(dfd, leaf, e->mode & 07777, 0))
			ret = fail(u, e->name, "%s", errno);
		else
			ret = set_owner_time(u, dfd, leaf, e, false);
		break;
	}
	case 0120000:
		if (e->size >= sizeof(target) || memchr(e->data, 0, e->size)) {
			ret = fail(u, e->name, "bad link target%s", 0);
			break;
		}
		memcpy(target, e->data, e->size);
		target[e->size] = 0;
		if (clear_leaf(dfd, leaf) || symlinkat(target, dfd, leaf))
			ret = fail(u, e->name, "%s", errno);
		else
			ret = set_owner_time(u, dfd, leaf, e, true);
		break;
	case 0020000:
	case 0060000:
	case 0010000:
	case 0140000:
		if (clear_leaf(dfd, leaf) ||
		    mknodat(dfd, leaf, type | (e->mode & 07777),
			    makedev(e->rdevmajor, e->rdevminor)))
			ret = fail(u, e->name, "%s", errno);
		else
			ret = set_owner_time(u, dfd, leaf, e, true);
		break;
	default:
		ret = fail(u, e->name, "unknown file type%s", 0);
	}
	close(dfd);
	if (!ret)
		u->st->entries++;
	return ret;
}

int cpio_unpack(const uint8_t *buf, size_t len, int dirfd,
		struct cpio_stats *st, char *why, size_t why_len)
{
	struct unpack u = { .root = dirfd, .st = st, .why = why,
			    .why_len = why_len, .root_user = geteuid() == 0 };
	size_t i;
	int ret;

	memset(st, 0, sizeof(*st));
	ret = initramfs_walk(buf, len, entry_cb, &u, why, why_len);
	for (i = 0; i < u.n_links; i++)
		free(u.links[i].path);
	free(u.links);
	return ret ? -1 : 0;
}

/* ---- moving the staging tree into the root ---- */

struct merge {
	char *why;
	size_t why_len;
	dev_t dev;		/* the root's file system */
};

/*
 * Walk staging directory s against root directory r.  check: refuse
 * conflicts only; else move.  path names the place, for messages.
 */
static int merge_dir(struct merge *m, int s, int r, const char *path, bool check)
{
	DIR *d;
	struct dirent *de;
	/* its own open file: a dup() would share (and leave) the position */
	int sfd = openat(s, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	if (sfd < 0 || !(d = fdopendir(sfd))) {
		if (sfd >= 0)
			close(sfd);
		snprintf(m->why, m->why_len, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (!ret && (errno = 0, de = readdir(d))) {
		struct stat ss, rs;
		char sub[PATH_MAX];
		bool rexists;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (fstatat(s, de->d_name, &ss, AT_SYMLINK_NOFOLLOW)) {
			snprintf(m->why, m->why_len, "%s: %s", sub, strerror(errno));
			ret = -1;
			break;
		}
		rexists = !fstatat(r, de->d_name, &rs, AT_SYMLINK_NOFOLLOW);
		if (!rexists && errno != ENOENT) {
			snprintf(m->why, m->why_len, "%s: %s", sub, strerror(errno));
			ret = -1;
			break;
		}
		if (rexists && S_ISDIR(ss.st_mode) != S_ISDIR(rs.st_mode)) {
			snprintf(m->why, m->why_len, "%s: %s in the image, %s in the root",
				 sub, S_ISDIR(ss.st_mode) ? "a directory" : "not a directory",
				 S_ISDIR(rs.st_mode) ? "a directory" : "not a directory");
			ret = -1;
			break;
		}
		if (rexists && rs.st_dev != m->dev) {
			snprintf(m->why, m->why_len, "%s: in the root, on another file system (a mount point)",
				 sub);
			ret = -1;
			break;
		}
		if (rexists && S_ISDIR(ss.st_mode)) {
			int sd = openat(s, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int rd = openat(r, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sd < 0 || rd < 0) {
				snprintf(m->why, m->why_len, "%s: %s", sub, strerror(errno));
				ret = -1;
			} else {
				ret = merge_dir(m, sd, rd, sub, check);
				if (!ret && !check) {
					/* the image's mode and owner, as the kernel does */
					if (fchmod(rd, ss.st_mode & 07777) ||
					    (geteuid() == 0 &&
					     fchown(rd, ss.st_uid, ss.st_gid))) {
						snprintf(m->why, m->why_len, "%s: %s", sub,
							 strerror(errno));
						ret = -1;
					}
				}
			}
			if (sd >= 0)
				close(sd);
			if (rd >= 0)
				close(rd);
		} else if (!check && renameat(s, de->d_name, r, de->d_name)) {
			snprintf(m->why, m->why_len, "%s: %s", sub, strerror(errno));
			ret = -1;
		}
	}
	if (!ret && errno) {
		snprintf(m->why, m->why_len, "%s: %s", path, strerror(errno));
		ret = -1;
	}
	closedir(d);
	return ret;
}

int cpio_merge(int staging, int root, char *why, size_t why_len)
{
	struct merge m = { why, why_len, 0 };
	struct stat st;

	if (fstat(root, &st)) {
		snprintf(why, why_len, "the root: %s", strerror(errno));
		return -1;
	}
	m.dev = st.st_dev;
	if (fstat(staging, &st) || st.st_dev != m.dev) {
		snprintf(why, why_len, "the staging directory is not on the root's file system");
		return -1;
	}
	if (merge_dir(&m, staging, root, "", true))
		return -1;
	/* twice: an entry readdir skipped while others moved out goes too */
	if (merge_dir(&m, staging, root, "", false))
		return -1;
	return merge_dir(&m, staging, root, "", false);
}

void cpio_rmtree(int dirfd)
{
	DIR *d;
	struct dirent *de;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0) {
				cpio_rmtree(sub);
				close(sub);
			}
			unlinkat(dirfd, de->d_name, AT_REMOVEDIR);
		} else {
			unlinkat(dirfd, de->d_name, 0);
		}
	}
	closedir(d);
}
