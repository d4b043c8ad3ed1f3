// SPDX-License-Identifier: GPL-2.0 OR MIT
/* fastboot tool: status, format, put, get, ls and rm. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "fastboot.h"
#include "client.h"
#include "json.h"
#include "pipeline.h"
#include "sha256.h"

static const struct option json_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 }
};

/* Parse options of a command that takes only --json. */
int only_json(int argc, char **argv, const char *usage)
{
	int c;

	optind = 0;	/* glibc: rescan with this option string */
	while ((c = getopt_long(argc, argv, "jh", json_opts, NULL)) != -1) {
		if (c == 'j')
			opt_json = true;
		else if (c == 'h')
			fb_help_exit(fb_command());
		else
			return fb_usage_error("%s", usage);
	}
	return 0;
}

/* Does the panic path run our notifier before a crash kexec? */
static bool post_notifiers(void)
{
	FILE *f = fopen("/sys/module/kernel/parameters/crash_kexec_post_notifiers", "r");
	int c = f ? fgetc(f) : 'N';

	if (f)
		fclose(f);
	return c == 'Y';
}

/*
 * The modules of image record name and how each was delivered, when the
 * store still holds the record (and we may read it); NULL if not.
 */
static struct img *image_of(int fd, const char *name)
{
	struct fastboot_info in;
	struct img *img;

	if (!name || !name[0] || cl_info(fd, name, &in))
		return NULL;
	img = calloc(1, sizeof(*img));
	if (img && load_record(fd, name, img)) {
		free(img);
		img = NULL;
	}
	return img;
}

static void json_image_modules(struct json *j, const char *key,
			       const struct img *img)
{
	int i;

	json_open(j, key, '[');
	for (i = 0; img && i < img->n_initrd; i++) {
		json_open(j, NULL, '{');
		json_str(j, "name", img->initrd[i].name);
		json_str(j, "kind", img_kind_name(img->initrd[i].kind));
		json_str(j, "delivery", img_delivery_name(img->initrd[i].delivery));
		json_close(j, '}');
	}
	json_close(j, ']');
}

/* "base (initrd, kexec), app (module, store)" */
static void print_image_modules(const struct img *img)
{
	int i;

	for (i = 0; i < img->n_initrd; i++)
		printf("%s%s (%s, %s)", i ? ", " : "", img->initrd[i].name,
		       img_kind_name(img->initrd[i].kind),
		       img_delivery_name(img->initrd[i].delivery));
	printf("\n");
}

static int get_status(int fd, struct fastboot_status *s)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	return fb_ioctl(fd, FASTBOOT_IOC_STATUS, s, "status");
}

/*
 * This boot's image.  The module reports what the store's next-boot
 * record named (fastboot update or arm started this boot with that image)
 * however it was loaded; the kernel command line carries the
 * fastboot.image= that fastboot update put there.  Believed: the image
 * when both agree; with only one of them, none (a kernel fastboot did not
 * load, or a command line copied from an earlier boot); when they differ,
 * the command line, which is what this kernel was started with.  A module
 * from before 0.2 reports no record: its own idea (s->image) is shown.
 */
struct boot_image {
	char store[65], cmdline[65];
	const char *believed;		/* NULL: none */
	const char *why;		/* NULL: nothing to say */
};

static void boot_image_check(const struct fastboot_status *s,
			     struct boot_image *bi)
{
	memset(bi, 0, sizeof(*bi));
	if (s->size < FASTBOOT_STATUS_SIZE_VER3) {
		bi->believed = s->image[0] ? s->image : NULL;
		return;
	}
	memcpy(bi->store, s->image_store, 64);
	if (fb_cmdline_arg("fastboot.image", bi->cmdline, sizeof(bi->cmdline)))
		snprintf(bi->cmdline, sizeof(bi->cmdline), "%.64s", s->image_param);
	if (bi->store[0] && !strcmp(bi->store, bi->cmdline))
		bi->believed = bi->store;
	else if (bi->store[0] && bi->cmdline[0]) {
		bi->believed = bi->cmdline;
		bi->why = "the store names the image fastboot loaded last, the command line the one this kernel was started with: something replaced fastboot's kexec image before the reboot";
	} else if (bi->store[0])
		bi->why = "the kernel command line has no fastboot.image=: this is not the kernel fastboot loaded";
	else if (bi->cmdline[0])
		bi->why = "the store has no record that fastboot started this boot (a firmware reboot, or a kexec fastboot did not load): the command line's fastboot.image= is not this boot's";
}

static void json_boot_image(struct json *j, const struct boot_image *bi)
{
	if (bi->believed)
		json_str(j, "image", bi->believed);
	if (!bi->why)
		return;
	json_open(j, "image_mismatch", '{');
	if (bi->store[0])
		json_str(j, "store", bi->store);
	if (bi->cmdline[0])
		json_str(j, "cmdline", bi->cmdline);
	json_str(j, "believed", bi->believed == bi->cmdline ? "cmdline" : "none");
	json_str(j, "why", bi->why);
	json_close(j, '}');
}

/* The verified block devices (mount modules), up to max; how many. */
static int get_vdevs(int fd, struct fastboot_vdev *v, int max)
{
	uint32_t index = 0;
	int n = 0;

	while (n < max && !cl_vdev_next(fd, &index, &v[n]))
		n++;
	return n;
}

static void json_vdevs(struct json *j, const struct fastboot_vdev *v, int n)
{
	char dev[32], hex[65];
	int i;

	json_open(j, "devices", '[');
	for (i = 0; i < n; i++) {
		snprintf(dev, sizeof(dev), "/dev/fbv%u", v[i].index);
		sha256_hex(v[i].root_hash, hex);
		json_open(j, NULL, '{');
		json_str(j, "device", dev);
		json_str(j, "object", v[i].object);
		json_str(j, "tree", v[i].tree);
		json_str(j, "root_hash", hex);
		json_u64(j, "size_bytes", v[i].bytes);
		json_u64(j, "verified_blocks", v[i].verified);
		json_u64(j, "failed_blocks", v[i].failed);
		json_bool(j, "open", v[i].openers);
		json_close(j, '}');
	}
	json_close(j, ']');
}

static void print_vdevs(const struct fastboot_vdev *v, int n)
{
	char size[32];
	int i;

	for (i = 0; i < n; i++) {
		fb_human_size(v[i].bytes, size, sizeof(size));
		printf("device:     /dev/fbv%u over %s, %s, %llu of %llu blocks verified, %llu failed%s\n",
		       v[i].index, v[i].object, size,
		       (unsigned long long)v[i].verified,
		       (unsigned long long)(v[i].bytes / 4096),
		       (unsigned long long)v[i].failed,
		       v[i].openers ? ", in use" : "");
	}
}

#define MAX_VDEVS	64

int cmd_status(int argc, char **argv)
{
	struct fastboot_status s;
	struct boot_image bi;
	struct img *img;
	struct fastboot_vdev *vdevs;
	char cap[32], used[32], freeb[32];
	int fd, ret, n_vdevs = 0;

	ret = only_json(argc, argv, "fastboot status [--json]");
	if (ret)
		return ret;
	if (optind != argc)
		return fb_usage_error("fastboot status [--json]");
	fd = fb_open_device(O_RDONLY);
	if (fd < 0)
		return EXIT_FAIL;
	ret = get_status(fd, &s);
	if (ret) {
		close(fd);
		return ret;
	}
	boot_image_check(&s, &bi);
	img = s.state == FASTBOOT_STATE_READY ? image_of(fd, bi.believed) : NULL;
	vdevs = calloc(MAX_VDEVS, sizeof(*vdevs));
	if (vdevs)
		n_vdevs = get_vdevs(fd, vdevs, MAX_VDEVS);
	close(fd);
	if (opt_json) {
		struct json j;

		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_str(&j, "state", fb_state_name(s.state));
		json_open(&j, "region", '{');
		json_u64(&j, "start", s.region_start);
		json_u64(&j, "size_bytes", s.region_size);
		json_close(&j, '}');
		json_u64(&j, "capacity_bytes", s.capacity_bytes);
		json_u64(&j, "used_bytes", s.used_bytes);
		json_u64(&j, "free_bytes", s.free_bytes);
		json_u64(&j, "objects", s.objects);
		json_u64(&j, "max_objects", s.max_objects);
		json_bool(&j, "big_tables", s.flags & FASTBOOT_STATUS_TABLES);
		json_u64(&j, "generation", s.generation);
		json_open(&j, "boot", '{');
		json_u64(&j, "count", s.boot_count);
		json_str(&j, "reason", fb_reason_name(s.boot_reason));
		json_close(&j, '}');
		json_bool(&j, "readonly", s.flags & FASTBOOT_STATUS_READONLY);
		json_bool(&j, "sealed", s.flags & FASTBOOT_STATUS_SEALED);
		json_bool(&j, "fallback", s.flags & FASTBOOT_STATUS_FALLBACK);
		json_boot_image(&j, &bi);
		if (s.next_image[0])
			json_str(&j, "next_image", s.next_image);
		json_bool(&j, "armed", s.flags & FASTBOOT_STATUS_ARMED);
		json_str(&j, "armed_image", s.armed_image);
		json_bool(&j, "crash_kexec_post_notifiers", post_notifiers());
		if (img)
			json_image_modules(&j, "image_modules", img);
		json_vdevs(&j, vdevs, n_vdevs);
		if (s.why[0])
			json_str(&j, "why", s.why);
		json_close(&j, '}');
		json_end(&j);
		free(img);
		free(vdevs);
		return EXIT_OK;
	}
	printf("state:      %s\n", fb_state_name(s.state));
	printf("region:     %#llx-%#llx (%llu MiB)\n",
	       (unsigned long long)s.region_start,
	       (unsigned long long)(s.region_start + s.region_size - 1),
	       (unsigned long long)s.region_size >> 20);
	if (s.state == FASTBOOT_STATE_READY) {
		fb_human_size(s.capacity_bytes, cap, sizeof(cap));
		fb_human_size(s.used_bytes, used, sizeof(used));
		fb_human_size(s.free_bytes, freeb, sizeof(freeb));
		printf("capacity:   %s (used %s, free %s)\n", cap, used, freeb);
		printf("objects:    %u of %u%s\n", s.objects, s.max_objects,
		       s.flags & FASTBOOT_STATUS_TABLES ? "" :
		       " (no big tables: 'fastboot format --upgrade')");
		printf("generation: %llu\n", (unsigned long long)s.generation);
		printf("boot:       %llu (%s)\n", (unsigned long long)s.boot_count,
		       fb_reason_name(s.boot_reason));
		if (bi.believed)
			printf("image:      %s\n", bi.believed);
		if (img) {
			printf("modules:    ");
			print_image_modules(img);
		}
		if (bi.why)
			printf("image note: %s%s%s%s%s\n", bi.why,
			       bi.store[0] ? "; store: " : "", bi.store,
			       bi.cmdline[0] ? "; command line: " : "", bi.cmdline);
		if (s.next_image[0])
			printf("next boot:  %s (loaded by fastboot update)\n",
			       s.next_image);
		if (s.flags & FASTBOOT_STATUS_ARMED)
			printf("armed:      yes, with %s%s\n", s.armed_image,
			       post_notifiers() ? "" :
			       " (but crash_kexec_post_notifiers is off: a panic will not seal the store)");
		else
			printf("armed:      no\n");
		if (s.flags & FASTBOOT_STATUS_READONLY)
			printf("note:       read-only (unknown ro_compat features)\n");
		if (s.flags & FASTBOOT_STATUS_SEALED)
			printf("note:       sealed for a reboot\n");
		print_vdevs(vdevs, n_vdevs);
	}
	if (s.why[0])
		printf("%s %s\n", s.state == FASTBOOT_STATE_DAMAGED ?
		       "why:       " : "note:      ", s.why);
	free(img);
	free(vdevs);
	return EXIT_OK;
}

int cmd_format(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "upgrade", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const char usage[] = "fastboot format [--force | --upgrade]";
	struct fastboot_format f = { .size = sizeof(f) };
	struct fastboot_status s;
	int c, fd, ret;

	optind = 0;	/* glibc: rescan with this option string */
	while ((c = getopt_long(argc, argv, "fuh", opts, NULL)) != -1) {
		if (c == 'f')
			f.flags |= FASTBOOT_FORMAT_FORCE;
		else if (c == 'u')
			f.flags |= FASTBOOT_FORMAT_UPGRADE;
		else if (c == 'h')
			fb_help_exit("format");
		else
			return fb_usage_error("%s", usage);
	}
	if (optind != argc || f.flags == (FASTBOOT_FORMAT_FORCE | FASTBOOT_FORMAT_UPGRADE))
		return fb_usage_error("%s", usage);
	fd = fb_open_locked();
	if (fd < 0)
		return EXIT_FAIL;
	ret = get_status(fd, &s);
	if (!ret && (f.flags & FASTBOOT_FORMAT_UPGRADE)) {
		if (s.state != FASTBOOT_STATE_READY)
			ret = fb_error("format", "--upgrade: the store is %s; nothing to upgrade",
				       fb_state_name(s.state));
		else if (ioctl(fd, FASTBOOT_IOC_FORMAT, &f) == 0)
			fb_log_event("format --upgrade");
		else if (errno == EALREADY)
			fprintf(stderr, "fastboot: format: the store already has big tables (%u objects at most)\n",
				s.max_objects);
		else if (errno == ENOSPC)
			ret = fb_error("format", "--upgrade: objects use the end of the data area, where the new tables go; remove the last objects stored and retry (nothing was changed)");
		else
			ret = fb_ioctl_error("format", errno);
		close(fd);
		return ret;
	}
	if (!ret && s.state != FASTBOOT_STATE_UNFORMATTED &&
	    !(f.flags & FASTBOOT_FORMAT_FORCE)) {
		close(fd);
		return fb_error("format",
				"the region holds a %s store with %u objects; 'fastboot format --force' wipes it",
				fb_state_name(s.state), s.objects);
	}
	if (!ret)
		ret = fb_ioctl(fd, FASTBOOT_IOC_FORMAT, &f, "format");
	if (!ret)
		fb_log_event("format%s", f.flags & FASTBOOT_FORMAT_FORCE ? " --force" : "");
	close(fd);
	return ret;
}

/* Read a whole file (or stdin for "-") into memory. */
static int load_file(const char *path, void **data, uint64_t *len,
		     bool *mapped)
{
	struct stat st;
	size_t cap = 1 << 20, n = 0;
	char *buf;
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;

	*mapped = false;
	if (fd < 0)
		return fb_error(path, "%s", strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		*len = (uint64_t)st.st_size;
		*data = NULL;
		if (st.st_size > 0) {
			*data = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE,
				     fd, 0);
			if (*data == MAP_FAILED) {
				close(fd);
				return fb_error(path, "%s", strerror(errno));
			}
			*mapped = true;
		}
		close(fd);
		return 0;
	}
	buf = malloc(cap);
	for (;;) {
		ssize_t r;

		if (!buf)
			return fb_error(path, "out of memory");
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return fb_error(path, "%s", strerror(errno));
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	if (fd)
		close(fd);
	*data = buf;
	*len = n;
	return 0;
}

int cmd_put(int argc, char **argv)
{
	static const char usage[] =
		"fastboot put [--type boot|blob] [--no-clobber] NAME FILE";
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "no-clobber", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct fastboot_put p = { .size = sizeof(p), .type = FASTBOOT_OBJ_BLOB };
	uint64_t len = 0;
	void *data = NULL;
	bool mapped;
	int c, fd, ret;

	optind = 0;	/* glibc: rescan with this option string */
	while ((c = getopt_long(argc, argv, "t:nh", opts, NULL)) != -1) {
		if (c == 't') {
			int t = fb_type_parse(optarg);

			if (t < 0)
				return fb_usage_error("--type takes boot or blob");
			p.type = (uint32_t)t;
		} else if (c == 'n') {
			p.flags |= FASTBOOT_PUT_NOREPLACE;
		} else if (c == 'h') {
			fb_help_exit("put");
		} else {
			return fb_usage_error("%s", usage);
		}
	}
	if (argc - optind != 2)
		return fb_usage_error("%s", usage);
	if (fb_set_name(p.name, argv[optind]))
		return EXIT_FAIL;
	fd = fb_open_device(O_RDWR);
	if (fd < 0)
		return EXIT_FAIL;
	if (load_file(argv[optind + 1], &data, &len, &mapped)) {
		close(fd);
		return EXIT_FAIL;
	}
	/* locked once the data is in hand: a slow stdin holds no lock */
	if (fb_lock(fd)) {
		if (mapped)
			munmap(data, len);
		else
			free(data);
		close(fd);
		return EXIT_FAIL;
	}
	if (len >= (64u << 20))
		fprintf(stderr, "fastboot: storing %s (%" PRIu64 " MiB)...\n",
			argv[optind], len >> 20);
	p.data = (uintptr_t)data;
	p.len = len;
	ret = EXIT_OK;
	if (ioctl(fd, FASTBOOT_IOC_PUT, &p))
		ret = errno == EEXIST ?
			fb_error(argv[optind], "already exists (--no-clobber)") :
			fb_ioctl_error(argv[optind], errno);
	else
		fb_log_event("put %s (%" PRIu64 " bytes)", argv[optind], len);
	if (mapped)
		munmap(data, len);
	else
		free(data);
	close(fd);
	return ret;
}

static int get_info(int fd, const char *name, struct fastboot_info *in)
{
	memset(in, 0, sizeof(*in));
	in->size = sizeof(*in);
	in->flags = FASTBOOT_INFO_BY_NAME;
	if (fb_set_name(in->name, name))
		return EXIT_FAIL;
	if (ioctl(fd, FASTBOOT_IOC_INFO, in) == 0)
		return 0;
	if (errno == ENOENT)
		return fb_error(name, "no such object");
	return fb_ioctl_error(name, errno);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

struct out_sink {
	int fd;
	int werr;		/* errno of a failed write */
	uint64_t written;
};

static int to_out(void *ctx, const void *buf, size_t len)
{
	struct out_sink *o = ctx;

	if (write_all(o->fd, buf, len)) {
		o->werr = errno ? errno : EIO;
		return -o->werr;
	}
	o->written += len;
	return 0;
}

/*
 * Where get writes FILE.  A regular file is written to a temporary file
 * next to it (symbolic links followed) and put in place once the digest
 * matched, so a corrupted object never replaces a good file: renamed over
 * it with its mode and owner, or, for a file with other hard links or
 * whose owner cannot be kept, copied into it in place.  Anything else (a
 * device, a FIFO) is written directly, as stdout is.
 */
enum get_mode { GET_DIRECT, GET_RENAME, GET_COPY };

/* "fastboot: PATH: why" for errno err; -1. */
static int path_error(const char *path, int err)
{
	fb_error(path, "%s", strerror(err));
	return -1;
}

struct get_target {
	const char *path;	/* as given */
	char real[PATH_MAX];	/* the file itself, links resolved */
	char tmp[PATH_MAX + 32];	/* the temporary file; "" if none */
	enum get_mode mode;
	struct stat st;		/* the existing file */
	bool exists;
};

/* Open the temporary file next to t->real with the mode FILE must have. */
static int open_tmp(struct get_target *t)
{
	mode_t mask = umask(0);
	int fd;

	umask(mask);
	if ((size_t)snprintf(t->tmp, sizeof(t->tmp), "%s.fastboot-XXXXXX",
			     t->real) >= sizeof(t->tmp)) {
		t->tmp[0] = 0;
		return path_error(t->path, ENAMETOOLONG);
	}
	fd = mkstemp(t->tmp);
	if (fd < 0) {
		t->tmp[0] = 0;
		return path_error(t->path, errno);
	}
	if (t->mode == GET_RENAME && t->exists &&
	    (t->st.st_uid != geteuid() || t->st.st_gid != getegid()) &&
	    fchown(fd, t->st.st_uid, t->st.st_gid))
		t->mode = GET_COPY;	/* the owner cannot be kept: in place */
	if (fchmod(fd, t->exists ? t->st.st_mode & 07777 : 0666 & ~mask)) {
		close(fd);
		return path_error(t->path, errno);
	}
	return fd;
}

/* Decide how FILE is written; the fd the object goes to, or -1. */
static int open_target(struct get_target *t, const char *path)
{
	int fd;

	t->path = path;
	t->tmp[0] = 0;
	t->exists = !stat(path, &t->st);
	if (!t->exists && errno != ENOENT)
		return path_error(path, errno);
	if (!t->exists && !lstat(path, &t->st)) {
		fb_error(path, "a symbolic link to nothing; not followed");
		return -1;
	}
	if (t->exists && S_ISDIR(t->st.st_mode))
		return path_error(path, EISDIR);
	if (t->exists && !S_ISREG(t->st.st_mode)) {
		t->mode = GET_DIRECT;
		fd = open(path, O_WRONLY | O_CLOEXEC);
		return fd < 0 ? path_error(path, errno) : fd;
	}
	if (!t->exists)
		snprintf(t->real, sizeof(t->real), "%s", path);
	else if (!realpath(path, t->real))
		return path_error(path, errno);
	t->mode = t->exists && t->st.st_nlink > 1 ? GET_COPY : GET_RENAME;
	return open_tmp(t);
}

/* Copy the verified temporary file into t->real, in place. */
static int copy_in_place(const struct get_target *t, int from)
{
	char buf[1 << 16];
	ssize_t n = 0;
	int to = open(t->real, O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (to < 0 || lseek(from, 0, SEEK_SET))
		n = -1;
	while (n >= 0 && (n = read(from, buf, sizeof(buf))) > 0)
		if (write_all(to, buf, (size_t)n))
			n = -1;
	if (n < 0 || fsync(to)) {
		n = errno;
		if (to >= 0)
			close(to);
		return path_error(t->path, (int)n);
	}
	return close(to) ? path_error(t->path, errno) : 0;
}

/* The object is in fd and verified: put it in place. */
static int finish_target(struct get_target *t, int fd)
{
	if (t->mode == GET_DIRECT)
		return 0;
	if (fsync(fd))
		return path_error(t->path, errno);
	if (t->mode == GET_COPY)
		return copy_in_place(t, fd);
	if (rename(t->tmp, t->real))
		return path_error(t->path, errno);
	t->tmp[0] = 0;
	return 0;
}

/*
 * Copy an object out, checking its SHA-256 on the way (FILE: see struct
 * get_target).  The read is pinned to the object's id: if it is replaced
 * meanwhile, a copy into a temporary file starts again with the new
 * object.
 */
int cmd_get(int argc, char **argv)
{
	static const char usage[] = "fastboot get NAME [FILE]";
	struct fastboot_info in;
	struct out_sink out = { .fd = 1 };
	struct get_target t = { .mode = GET_DIRECT };
	const char *name, *path;
	char hex[65];
	uint8_t digest[32];
	int c, fd, err, attempt, ret = EXIT_FAIL;

	optind = 0;	/* glibc: rescan with this option string */
	while ((c = getopt_long(argc, argv, "h", json_opts, NULL)) != -1) {
		if (c == 'h')
			fb_help_exit("get");
		return fb_usage_error("%s", usage);
	}
	if (argc - optind < 1 || argc - optind > 2)
		return fb_usage_error("%s", usage);
	name = argv[optind];
	path = argc - optind == 2 ? argv[optind + 1] : "-";
	fd = fb_open_device(O_RDWR);
	if (fd < 0)
		return EXIT_FAIL;
	t.path = path;
	if (strcmp(path, "-") && (out.fd = open_target(&t, path)) < 0)
		goto out;
	for (attempt = 0;; attempt++) {
		if (get_info(fd, name, &in))
			goto out;
		if (t.mode != GET_DIRECT &&
		    (ftruncate(out.fd, 0) || lseek(out.fd, 0, SEEK_SET))) {
			fb_error(path, "%s", strerror(errno));
			goto out;
		}
		out.written = 0;
		err = cl_read(fd, &in, to_out, &out, digest);
		/* Replaced (ESTALE) or removed (ENOENT) meanwhile: look again. */
		if (err != -ESTALE && err != -ENOENT)
			break;
		if (t.mode == GET_DIRECT && out.written) {
			fb_error(name, "%s while it was being read; output is incomplete",
				 err == -ESTALE ? "replaced" : "removed");
			goto out;
		}
		if (attempt == 3) {
			fb_error(name, "keeps being replaced while it is read");
			goto out;
		}
	}
	if (err) {
		if (out.werr)
			fb_error(path, "%s", strerror(out.werr));
		else if (err == -EIO)
			fb_error(name, "object shrank while reading");
		else
			fb_ioctl_error(name, -err);
		goto out;
	}
	if ((in.obj_flags & FASTBOOT_OBJ_F_DIGEST) &&
	    memcmp(digest, in.sha256, sizeof(digest))) {
		sha256_hex(in.sha256, hex);
		fb_error(name, "stored data does not match its SHA-256 %s: the store is corrupted",
			 hex);
		goto out;
	}
	if (out.fd != 1 && finish_target(&t, out.fd))
		goto out;
	ret = EXIT_OK;
out:
	if (out.fd > 1 && close(out.fd) && !ret)
		ret = fb_error(path, "%s", strerror(errno));
	if (t.tmp[0])
		unlink(t.tmp);
	close(fd);
	return ret;
}

int cmd_ls(int argc, char **argv)
{
	struct fastboot_info in;
	struct json j;
	char hex[65], size[32];
	uint32_t index = 0;
	int fd, ret;

	ret = only_json(argc, argv, "fastboot ls [--json]");
	if (ret)
		return ret;
	if (optind != argc)
		return fb_usage_error("fastboot ls [--json]");
	fd = fb_open_device(O_RDONLY);
	if (fd < 0)
		return EXIT_FAIL;
	if (opt_json) {
		json_init(&j, stdout);
		json_open(&j, NULL, '[');
	} else {
		printf("%-32s %-6s %10s  %s\n", "NAME", "TYPE", "SIZE", "SHA256");
	}
	for (;; index = in.index + 1) {
		memset(&in, 0, sizeof(in));
		in.size = sizeof(in);
		in.index = index;
		if (ioctl(fd, FASTBOOT_IOC_INFO, &in)) {
			if (errno == ENOENT)
				break;
			ret = fb_ioctl_error("ls", errno);
			close(fd);
			return ret;
		}
		if (in.obj_flags & FASTBOOT_OBJ_F_DIGEST)
			sha256_hex(in.sha256, hex);
		else
			hex[0] = 0;
		if (opt_json) {
			json_open(&j, NULL, '{');
			json_str(&j, "name", in.name);
			json_str(&j, "type", fb_type_name(in.type));
			json_u64(&j, "size_bytes", in.bytes);
			json_str(&j, "sha256", hex);
			json_close(&j, '}');
		} else {
			fb_human_size(in.bytes, size, sizeof(size));
			printf("%-32s %-6s %10s  %s\n", in.name,
			       fb_type_name(in.type), size, hex[0] ? hex : "-");
		}
	}
	close(fd);
	if (opt_json) {
		json_close(&j, ']');
		json_end(&j);
	}
	return EXIT_OK;
}

int cmd_rm(int argc, char **argv)
{
	struct fastboot_rm r = { .size = sizeof(r) };
	int fd, ret, c;

	optind = 0;	/* glibc: rescan with this option string */
	while ((c = getopt_long(argc, argv, "h", json_opts, NULL)) != -1) {
		if (c == 'h')
			fb_help_exit("rm");
		return fb_usage_error("fastboot rm NAME");
	}
	if (argc - optind != 1)
		return fb_usage_error("fastboot rm NAME");
	if (fb_set_name(r.name, argv[optind]))
		return EXIT_FAIL;
	fd = fb_open_locked();
	if (fd < 0)
		return EXIT_FAIL;
	ret = EXIT_OK;
	if (ioctl(fd, FASTBOOT_IOC_RM, &r))
		ret = errno == ENOENT ? fb_error(argv[optind], "no such object")
				      : fb_ioctl_error(argv[optind], errno);
	else
		fb_log_event("rm %s", argv[optind]);
	close(fd);
	return ret;
}

/*
 * The lines that tell what happened: from a few lines before the last
 * "Kernel panic" (the oops or the sysrq line) to a few after it.
 */
static void print_crash_excerpt(const char *log)
{
	const char *p = log, *panic = NULL, *start, *end;
	int n;

	while ((p = strstr(p, "Kernel panic"))) {
		panic = p;
		p++;
	}
	if (!panic)
		panic = log + strlen(log);
	for (start = panic, n = 0; start > log && n < 6; n += *--start == '\n')
		;
	for (end = panic, n = 0; *end && n < 4; n += *end++ == '\n')
		;
	printf("kernel log around the panic (fastboot log --json has %zu bytes):\n%.*s",
	       strlen(log), (int)(end - start - (*start == '\n')),
	       start + (*start == '\n'));
	if (end > start && end[-1] != '\n')
		putchar('\n');
}

/* The last crash record; crash->size stays 0 when there is none. */
static int get_crash(int fd, struct fastboot_crash *c, char **log)
{
	size_t cap = FB_CRASH_LOG_MAX + 1;

	memset(c, 0, sizeof(*c));
	*log = calloc(1, cap);
	if (!*log)
		return fb_error("log", "out of memory");
	c->size = sizeof(*c);
	c->log = (uintptr_t)*log;
	c->log_size = cap - 1;
	if (ioctl(fd, FASTBOOT_IOC_CRASH, c) == 0)
		return 0;
	c->size = 0;
	free(*log);
	*log = NULL;
	return errno == ENOENT ? 0 : fb_ioctl_error("crash record", errno);
}

int cmd_log(int argc, char **argv)
{
	struct fastboot_crash crash;
	struct fastboot_status s;
	struct boot_image bi;
	char *crash_log = NULL;
	struct fastboot_log *l;
	struct json j;
	char when[64];
	uint32_t i;
	int fd, ret;

	ret = only_json(argc, argv, "fastboot log [--json]");
	if (ret)
		return ret;
	if (optind != argc)
		return fb_usage_error("fastboot log [--json]");
	fd = fb_open_device(O_RDONLY);
	if (fd < 0)
		return EXIT_FAIL;
	l = calloc(1, sizeof(*l));
	if (!l) {
		close(fd);
		return fb_error("log", "out of memory");
	}
	l->size = sizeof(*l);
	ret = fb_ioctl(fd, FASTBOOT_IOC_LOG, l, "log");
	if (!ret)
		ret = get_crash(fd, &crash, &crash_log);
	if (!ret)
		ret = get_status(fd, &s);
	if (ret) {
		close(fd);
		free(crash_log);
		free(l);
		return ret;
	}
	boot_image_check(&s, &bi);
	if (opt_json) {
		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_open(&j, "boots", '[');
	} else {
		printf("%-6s %-8s %-20s %-24s %s\n", "BOOT", "REASON", "TIME (UTC)",
		       "KERNEL", "IMAGE");
	}
	for (i = 0; i < l->count && i < FASTBOOT_HISTORY_MAX; i++) {
		const struct fastboot_boot *b = &l->boots[i];
		time_t t = (time_t)(b->time_ns / 1000000000ull);
		struct tm tm;
		char rel[49], img[65];

		memcpy(rel, b->release, 48);
		rel[48] = 0;
		memcpy(img, b->image, 64);
		img[64] = 0;
		/* This boot's entry: checked against the command line too. */
		if (b->boot == s.boot_count)
			snprintf(img, sizeof(img), "%s", bi.believed ? bi.believed : "");
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		/* how its modules came, if the store still has its record */
		struct img *rec = s.state == FASTBOOT_STATE_READY ? image_of(fd, img) : NULL;

		if (opt_json) {
			json_open(&j, NULL, '{');
			json_u64(&j, "boot", b->boot);
			json_str(&j, "reason", fb_reason_name(b->reason));
			json_str(&j, "release", rel);
			json_str(&j, "image", img);
			json_u64(&j, "time_ns", b->time_ns);
			json_str(&j, "time", when);
			if (rec)
				json_image_modules(&j, "modules", rec);
			json_close(&j, '}');
		} else {
			printf("%-6llu %-8s %-20s %-24s %s\n",
			       (unsigned long long)b->boot, fb_reason_name(b->reason),
			       when, rel, img[0] ? img : "-");
			if (rec) {
				printf("       modules: ");
				print_image_modules(rec);
			}
		}
		free(rec);
	}
	close(fd);
	if (opt_json) {
		json_close(&j, ']');
		if (crash.size) {
			json_open(&j, "crash", '{');
			json_u64(&j, "boot", crash.boot);
			json_u64(&j, "time_ns", crash.time_ns);
			json_str(&j, "message", crash.msg);
			json_bool(&j, "complete", crash.complete);
			json_str(&j, "log", crash_log ? crash_log : "");
			json_close(&j, '}');
		}
		json_close(&j, '}');
		json_end(&j);
	} else if (crash.size) {
		printf("\nboot %llu crashed: %s\n", (unsigned long long)crash.boot,
		       crash.msg);
		if (crash_log)
			print_crash_excerpt(crash_log);
	}
	free(crash_log);
	free(l);
	return EXIT_OK;
}
