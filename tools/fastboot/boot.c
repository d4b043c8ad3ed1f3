// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fastboot tool: `fastboot boot`, the early-boot step of an image whose
 * modules are given by reference (module lines of the manifest).  The
 * base initramfs, which came through kexec, runs it from its /init before
 * anything else:
 *
 * 1. Load fastboot.ko (modprobe) if /dev/fastboot is missing.
 * 2. Read the image record named by fastboot.image= on the command line,
 *    through record.c, the code `fastboot update` writes it with.
 * 3. Read every module whose delivery is "store" straight from the region
 *    into memory (the read ioctl, one copy), its whole-object SHA-256
 *    computed as it is read and checked against the record; modules are
 *    read and hashed in parallel, one thread per CPU.
 * 4. Unpack them in order (cpio.c) into a staging directory under the
 *    root.
 * 5. Mount every mount module, in manifest order, read-only at its
 *    directory under the root, or under --mount-root (made if missing;
 *    an initramfs-tools base mounts them in /run and moves them onto the
 *    real root later, as it does /run itself): a verified block device
 *    /dev/fbvN over its boot object (FASTBOOT_IOC_VDEV_ADD, with the hash
 *    tree object and root hash the record names), whose blocks the kernel
 *    checks on first read; the file system type (erofs or squashfs) is
 *    read from its superblock, through the device, and mount(2) is called
 *    directly.  No byte of the image is copied or read ahead.
 * 6. Move the staging directory into the root (cpio_merge).
 *
 * Exit 0 when every module is in place.  Otherwise one line
 * "fastboot: boot: MODULE: WHY" and exit 1; the root is then unchanged
 * (the staging directory is removed; what was mounted is unmounted, the
 * devices and the directories made for them removed), except if moving
 * into the root fails half-way (an I/O error: conflicts are checked
 * before anything moves), which the line says.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "client.h"
#include "cpio.h"
#include "fastboot.h"
#include "json.h"
#include "pipeline.h"
#include "sha256.h"

/* What `fastboot update` looks for to know that the base can run us. */
const char fb_boot_protocol[] = FB_BOOT_PROTOCOL;

#define READ_CHUNK	(4u << 20)
#define BOOT_THREADS	16

struct boot_mod {
	struct img_module *m;
	uint8_t *data;
	uint64_t len;
	char why[256];		/* "" when read and checked */
	uint64_t ms;
};

/* A mount module being mounted. */
#define MOUNT_DIRS	16	/* directories made for one, at most */

struct boot_mount {
	struct img_module *m;
	uint32_t index;		/* /dev/fbvN */
	bool have_dev, mounted;
	char dev[32];
	const char *fstype;
	char target[PATH_MAX];
	char made[MOUNT_DIRS][PATH_MAX];	/* made for it, outermost first */
	int n_made;
	uint64_t ms;
};

struct boot_job {
	int fd;
	struct boot_mod *mods;
	int n, next;
	pthread_mutex_t lock;
};

/* Read module bm from the store and check its SHA-256 against the record. */
static void read_module(int fd, struct boot_mod *bm)
{
	struct img_module *m = bm->m;
	struct fastboot_info in;
	struct sha256 sha;
	uint8_t digest[32];
	char name[64];
	uint64_t off = 0, done, t = fb_now_ms(CLOCK_MONOTONIC);
	int ret;

	img_object_name(m->sha, name);
	ret = cl_info(fd, name, &in);
	if (ret) {
		snprintf(bm->why, sizeof(bm->why), "%s %s", name,
			 ret == -ENOENT ? "is not in the store" : strerror(-ret));
		return;
	}
	if (in.bytes != m->size || in.type != FASTBOOT_OBJ_BOOT) {
		snprintf(bm->why, sizeof(bm->why), "%s in the store has %llu bytes, the record %llu",
			 name, (unsigned long long)in.bytes, (unsigned long long)m->size);
		return;
	}
	bm->data = malloc(m->size ? m->size : 1);
	if (!bm->data) {
		snprintf(bm->why, sizeof(bm->why), "out of memory for %llu bytes",
			 (unsigned long long)m->size);
		return;
	}
	sha256_init(&sha);
	while (off < m->size) {
		uint64_t want = m->size - off < READ_CHUNK ? m->size - off : READ_CHUNK;

		ret = cl_pread(fd, &in, off, bm->data + off, want, &done);
		if (!ret && !done)
			ret = -EIO;
		if (ret) {
			snprintf(bm->why, sizeof(bm->why), "reading %s: %s", name,
				 strerror(-ret));
			return;
		}
		sha256_update(&sha, bm->data + off, done);
		off += done;
	}
	sha256_final(&sha, digest);
	if (memcmp(digest, m->sha, 32)) {
		snprintf(bm->why, sizeof(bm->why),
			 "%s is corrupted: its SHA-256 does not match the image record; refusing to boot a partial image",
			 name);
		return;
	}
	bm->len = m->size;
	bm->ms = fb_now_ms(CLOCK_MONOTONIC) - t;
}

static void *read_worker(void *arg)
{
	struct boot_job *job = arg;

	for (;;) {
		int i;

		pthread_mutex_lock(&job->lock);
		i = job->next++;
		pthread_mutex_unlock(&job->lock);
		if (i >= job->n)
			return NULL;
		read_module(job->fd, &job->mods[i]);
	}
}

/* Read and check every module, on up to one thread per CPU. */
static void read_all(int fd, struct boot_mod *mods, int n)
{
	struct boot_job job = { .fd = fd, .mods = mods, .n = n };
	pthread_t th[BOOT_THREADS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int i, started = 0;

	pthread_mutex_init(&job.lock, NULL);
	if (cpus > BOOT_THREADS)
		cpus = BOOT_THREADS;
	for (i = 1; i < cpus && i < n; i++)
		if (!pthread_create(&th[started], NULL, read_worker, &job))
			started++;
	read_worker(&job);
	while (started > 0)
		pthread_join(th[--started], NULL);
	pthread_mutex_destroy(&job.lock);
}

/* /dev/fastboot, loading the module (modprobe fastboot) if it is missing. */
static int attach(void)
{
	pid_t pid;
	int st, i;

	if (!access(opt_device, F_OK))
		return 0;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 1);
		execlp("modprobe", "modprobe", "fastboot", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return fb_error("boot", "fastboot.ko: modprobe fastboot failed, and %s does not exist",
				opt_device);
	/* devtmpfs makes the node; give it a moment without udev */
	for (i = 0; i < 50 && access(opt_device, F_OK); i++)
		usleep(100000);
	if (access(opt_device, F_OK))
		return fb_error("boot", "%s: %s after modprobe fastboot", opt_device,
				strerror(errno));
	return 0;
}

/*
 * The file system in the first 4 KiB of an image: erofs keeps its
 * superblock magic at 1024, squashfs at 0 (both little-endian).
 */
static const char *fs_type(const uint8_t *sb)
{
	uint32_t erofs = (uint32_t)sb[1024] | (uint32_t)sb[1025] << 8 |
			 (uint32_t)sb[1026] << 16 | (uint32_t)sb[1027] << 24;

	if (erofs == 0xe0f5e1e2)
		return "erofs";
	if (!memcmp(sb, "hsqs", 4))
		return "squashfs";
	return NULL;
}

/* mkdir -p target, each directory made remembered in bm->made. */
static int make_dirs(struct boot_mount *bm, char *why, size_t why_len)
{
	char path[PATH_MAX];
	size_t i, len = strlen(bm->target);

	memcpy(path, bm->target, len + 1);
	for (i = 1; i <= len; i++) {
		struct stat st;

		if (path[i] != '/' && path[i])
			continue;
		path[i] = 0;
		if (!stat(path, &st)) {
			if (!S_ISDIR(st.st_mode)) {
				snprintf(why, why_len, "%s is not a directory", path);
				return -1;
			}
		} else if (errno != ENOENT || mkdir(path, 0755)) {
			snprintf(why, why_len, "%s: %s", path, strerror(errno));
			return -1;
		} else if (bm->n_made < MOUNT_DIRS) {
			snprintf(bm->made[bm->n_made++], PATH_MAX, "%s", path);
		}
		path[i] = bm->target[i];
	}
	return 0;
}

/* Undo what mount_one did for bm. */
static void unmount_one(int fd, struct boot_mount *bm)
{
	if (bm->mounted && umount2(bm->target, 0))
		fprintf(stderr, "fastboot: boot: %s: cannot unmount %s: %s\n",
			bm->m->name, bm->target, strerror(errno));
	else
		bm->mounted = false;
	if (!bm->mounted && bm->have_dev && !cl_vdev_del(fd, bm->index))
		bm->have_dev = false;
	while (!bm->mounted && bm->n_made > 0)
		rmdir(bm->made[--bm->n_made]);
}

/* Wait for devtmpfs to make the device node (no udev in an initramfs). */
static int open_device(const char *dev)
{
	int i, dfd = -1;

	for (i = 0; i < 50; i++) {
		dfd = open(dev, O_RDONLY | O_CLOEXEC);
		if (dfd >= 0 || errno != ENOENT)
			break;
		usleep(100000);
	}
	return dfd;
}

/*
 * Mount module bm: its verified device, its type from its superblock, a
 * read-only mount at its directory under root.  0, or -1 with why set
 * (what was done is left for unmount_one).
 */
static int mount_one(int fd, const char *root, struct boot_mount *bm,
		     char *why, size_t why_len)
{
	struct img_module *m = bm->m;
	uint64_t t = fb_now_ms(CLOCK_MONOTONIC);
	char obj[64], tree[64];
	uint8_t sb[4096];
	ssize_t got;
	int dfd, ret;

	if (!m->has_verity) {
		snprintf(why, why_len, "the image record gives no root hash (verity=) for it: it cannot be verified");
		return -1;
	}
	img_object_name(m->sha, obj);
	img_tree_name(m->verity_root, tree);
	ret = cl_vdev_add(fd, obj, tree, m->verity_root, &bm->index);
	if (ret) {
		snprintf(why, why_len, "%s (hash tree %s): %s", obj, tree,
			 ret == -ENOENT ? "not in the store" :
			 ret == -EINVAL ? "the hash tree does not fit the image" :
			 ret == -ENOTTY ? "this fastboot.ko has no verified block devices" :
			 strerror(-ret));
		return -1;
	}
	bm->have_dev = true;
	snprintf(bm->dev, sizeof(bm->dev), "/dev/fbv%u", bm->index);
	dfd = open_device(bm->dev);
	if (dfd < 0) {
		snprintf(why, why_len, "%s: %s", bm->dev, strerror(errno));
		return -1;
	}
	got = pread(dfd, sb, sizeof(sb), 0);
	close(dfd);
	if (got != (ssize_t)sizeof(sb)) {
		snprintf(why, why_len, "%s: reading its superblock: %s%s", bm->dev,
			 got < 0 ? strerror(errno) : "short read",
			 got < 0 && errno == EIO ?
			 " (it does not match its hash tree: see the kernel log)" : "");
		return -1;
	}
	bm->fstype = fs_type(sb);
	if (!bm->fstype) {
		snprintf(why, why_len, "%s is neither an erofs nor a squashfs image",
			 obj);
		return -1;
	}
	snprintf(bm->target, sizeof(bm->target), "%s%s",
		 strcmp(root, "/") ? root : "", m->dir);
	if (make_dirs(bm, why, why_len))
		return -1;
	if (mount(bm->dev, bm->target, bm->fstype, MS_RDONLY, NULL)) {
		snprintf(why, why_len, "mount -t %s %s %s: %s%s", bm->fstype,
			 bm->dev, bm->target, strerror(errno),
			 errno == ENODEV ? " (the kernel has no such file system; is its module in the base?)" : "");
		return -1;
	}
	bm->mounted = true;
	bm->ms = fb_now_ms(CLOCK_MONOTONIC) - t;
	return 0;
}

/* Mount every mount module in order; on failure undo them all. */
static int mount_all(int fd, const char *root, struct boot_mount *mnts, int n)
{
	char why[512];
	int i, j;

	for (i = 0; i < n; i++) {
		if (!mount_one(fd, root, &mnts[i], why, sizeof(why)))
			continue;
		for (j = i; j >= 0; j--)
			unmount_one(fd, &mnts[j]);
		return fb_error("boot", "%s: %s; nothing was mounted", mnts[i].m->name,
				why);
	}
	return 0;
}

static void unmount_all(int fd, struct boot_mount *mnts, int n)
{
	while (n > 0)
		unmount_one(fd, &mnts[--n]);
}

static int usage(void)
{
	return fb_usage_error("fastboot boot [--root DIR] [--mount-root DIR] [--json]");
}

static void report(const char *image, const char *root, const struct img *img,
		   const struct boot_mod *mods, int n,
		   const struct boot_mount *mnts, int nm, uint64_t bytes,
		   uint64_t entries, uint64_t ms)
{
	int i, k = 0, km = 0;

	if (!opt_json) {
		char size[32];

		fb_human_size(bytes, size, sizeof(size));
		printf("fastboot: boot: %s: %d modules in place under %s (%s read from the store, SHA-256 checked; %llu entries",
		       image, n + nm, root, size, (unsigned long long)entries);
		if (nm)
			printf("; %d mounted, verified as read", nm);
		printf(") in %.2f s\n", ms / 1000.0);
		return;
	}
	struct json j;

	json_init(&j, stdout);
	json_open(&j, NULL, '{');
	json_str(&j, "image", image);
	json_str(&j, "root", root);
	json_str(&j, "protocol", fb_boot_protocol);
	json_open(&j, "modules", '[');
	for (i = 0; i < img->n_initrd; i++) {
		const struct img_module *m = &img->initrd[i];
		char hex[65];

		sha256_hex(m->sha, hex);
		json_open(&j, NULL, '{');
		json_str(&j, "name", m->name);
		json_str(&j, "kind", img_kind_name(m->kind));
		json_str(&j, "delivery", img_delivery_name(m->delivery));
		json_u64(&j, "size_bytes", m->size);
		json_str(&j, "sha256", hex);
		if (k < n && mods[k].m == m) {
			json_str(&j, "status", "unpacked");
			json_u64(&j, "read_verify_ms", mods[k].ms);
			k++;
		} else if (km < nm && mnts[km].m == m) {
			json_str(&j, "status", "mounted");
			json_str(&j, "dir", m->dir);
			json_str(&j, "device", mnts[km].dev);
			json_str(&j, "fstype", mnts[km].fstype);
			sha256_hex(m->verity_root, hex);
			json_str(&j, "verity_root", hex);
			json_u64(&j, "mount_ms", mnts[km].ms);
			km++;
		} else {
			json_str(&j, "status", "kexec");
		}
		json_close(&j, '}');
	}
	json_close(&j, ']');
	json_u64(&j, "read_bytes", bytes);
	json_u64(&j, "entries", entries);
	json_u64(&j, "total_ms", ms);
	json_close(&j, '}');
	json_end(&j);
}

/*
 * Unpack the modules read into a staging directory, mount the mount
 * modules, then move the staging directory into root.
 */
static int place_all(int fd, int rootfd, const char *root, const char *mroot,
		     struct boot_mod *mods, int n, struct boot_mount *mnts,
		     int nm, uint64_t *entries)
{
	char staging[64], why[512];
	struct cpio_stats st;
	int sfd, i, ret = 0;

	if (!n)
		return mount_all(fd, mroot, mnts, nm);
	snprintf(staging, sizeof(staging), ".fastboot-boot.%d", (int)getpid());
	if (mkdirat(rootfd, staging, 0700))
		return fb_error("boot", "%s/%s: %s", root, staging, strerror(errno));
	sfd = openat(rootfd, staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0) {
		ret = fb_error("boot", "%s/%s: %s", root, staging, strerror(errno));
		unlinkat(rootfd, staging, AT_REMOVEDIR);
		return ret;
	}
	/* the staging directory's own mode goes to the root's: the root's */
	for (i = 0; i < n && !ret; i++) {
		if (cpio_unpack(mods[i].data, mods[i].len, sfd, &st, why, sizeof(why)))
			ret = fb_error("boot", "%s: cannot unpack it: %s; nothing was put in %s",
				       mods[i].m->name, why, root);
		*entries += st.entries;
		/*
		 * Unpacked: its copy goes now, so the peak is the archives
		 * plus one unpacked, not twice the image (a crash kernel
		 * has little memory).
		 */
		free(mods[i].data);
		mods[i].data = NULL;
	}
	if (!ret)
		ret = mount_all(fd, mroot, mnts, nm);
	if (!ret && cpio_merge(sfd, rootfd, why, sizeof(why))) {
		ret = fb_error("boot", "%s: cannot move the modules into it: %s (what moved before stays)",
			       root, why);
		unmount_all(fd, mnts, nm);
	}
	cpio_rmtree(sfd);
	close(sfd);
	unlinkat(rootfd, staging, AT_REMOVEDIR);
	return ret;
}

int cmd_boot(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "mount-root", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *root = "/", *mroot = NULL;
	char image[128];
	struct img *img = NULL;
	struct boot_mod *mods = NULL;
	struct boot_mount *mnts = NULL;
	uint64_t t0 = fb_now_ms(CLOCK_MONOTONIC), bytes = 0, entries = 0;
	int c, i, n = 0, nm = 0, fd = -1, rootfd = -1, ret;

	optind = 0;	/* glibc: rescan with this option string */
	while ((c = getopt_long(argc, argv, "hj", lopts, NULL)) != -1) {
		switch (c) {
		case 'r': root = optarg; break;
		case 'm': mroot = optarg; break;
		case 'j': opt_json = true; break;
		case 'h': fb_help_exit("boot");
		default: return usage();
		}
	}
	if (optind != argc)
		return usage();
	if (!mroot)
		mroot = root;
	else if (mroot[0] != '/')
		return fb_usage_error("--mount-root %s: not an absolute path", mroot);
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return fb_error("boot", "--root %s: %s", root, strerror(errno));
	if (fb_cmdline_arg("fastboot.image", image, sizeof(image)) || !image[0]) {
		ret = fb_error("boot", "the kernel command line has no fastboot.image=: no image to complete");
		goto out;
	}
	if ((ret = attach()))
		goto out;
	fd = fb_open_device(O_RDONLY);
	img = calloc(1, sizeof(*img));
	if (fd < 0 || !img) {
		ret = fd < 0 ? EXIT_FAIL : fb_error("boot", "out of memory");
		goto out;
	}
	if (load_record(fd, image, img)) {
		ret = fb_error("boot", "%s: cannot read the image record from the store", image);
		goto out;
	}
	mods = calloc(IMG_MAX_INITRDS, sizeof(*mods));
	mnts = calloc(IMG_MAX_INITRDS, sizeof(*mnts));
	if (!mods || !mnts) {
		ret = fb_error("boot", "out of memory");
		goto out;
	}
	for (i = 0; i < img->n_initrd; i++) {
		struct img_module *m = &img->initrd[i];

		if (m->delivery != IMG_DELIVER_STORE)
			continue;
		if (m->kind == IMG_KIND_MOUNT)
			mnts[nm++].m = m;
		else if (m->kind == IMG_KIND_MODULE)
			mods[n++].m = m;
		else {
			ret = fb_error("boot", "%s: a %s module cannot come from the store",
				       m->name, img_kind_name(m->kind));
			goto out;
		}
	}
	read_all(fd, mods, n);
	for (i = 0; i < n; i++) {
		if (mods[i].why[0]) {
			ret = fb_error("boot", "%s: %s", mods[i].m->name, mods[i].why);
			goto out;
		}
		bytes += mods[i].len;
	}
	if ((n || nm) &&
	    (ret = place_all(fd, rootfd, root, mroot, mods, n, mnts, nm, &entries)))
		goto out;
	report(image, root, img, mods, n, mnts, nm, bytes, entries,
	       fb_now_ms(CLOCK_MONOTONIC) - t0);
	ret = 0;
out:
	for (i = 0; mods && i < n; i++)
		free(mods[i].data);
	free(mods);
	free(mnts);
	free(img);
	if (fd >= 0)
		close(fd);
	close(rootfd);
	return ret;
}
