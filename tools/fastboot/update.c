// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fastboot tool: `fastboot update`, a firmware-less reboot into a boot
 * image that reads from disk only the modules that changed.
 *
 * The steps are units of their own (pipeline.h names them):
 * 1. Plan (plan.c): stat every module.  A module is reused without reading
 *    its source when the manifest gives a SHA-256 already in the store, or
 *    its identity (dev, inode, size, mtime, ctime) equals the one recorded
 *    by the current or previous image.  Otherwise it is read and hashed.
 * 2. Check the free space; nothing is written before this point, so a
 *    missing, unreadable or oversized image leaves the store unchanged.
 * 3. Store (plan.c) the new content as boot objects "b:<sha256>".
 * 4. Deliver (deliver.c): copy the kernel and the base (the initrd
 *    modules) out of the store into memory files, checking each SHA-256,
 *    and check with libelf that the base carries a fastboot.ko built for
 *    its kernel.  The module and mount modules stay in the store for the
 *    next kernel's `fastboot boot`, if the base can run it (else they go
 *    through kexec too); they are checked there, not read.
 * 5. Load: kexec_file_load() them (or kexec_load() through kexec(8)).
 * 6. Commit (record.c): record the image as "img.<N>" and free modules
 *    that neither it nor the previous image uses.
 * 7. Reboot: `systemctl kexec` under systemd, or at once with --now.
 *
 * --dry-run runs steps 1, 2 and 4 (from the sources it read and the
 * store, changing nothing), so it fails where a real run would.  A run
 * that fails or is interrupted after step 5 unloads what it loaded; new
 * objects are dropped unless step 6 recorded them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bootimg.h"
#include "client.h"
#include "image.h"
#include "json.h"
#include "pipeline.h"
#include "sha256.h"
#include "update.h"

#define IMG_RECOVERY	"img.recovery"		/* the image fastboot arm loaded */
#define MEMMAP_BLOB	"memmap.production"	/* saved by fastboot arm */
#define POST_NOTIFIERS	"/sys/module/kernel/parameters/crash_kexec_post_notifiers"

struct opts {
	bool verify, rollback, from_store, now, no_exec, dry_run, force;
	bool reuse_cmdline;
	const char *image_file, *cmdline, *kernel, *append;
	const char *config;		/* --config; FB_DEFAULT_CONFIG */
	char conf_image[4096];		/* FASTBOOT_IMAGE from it */
	char def_kernel[64], def_initrd[64];	/* the default image's files */
	bool default_image;		/* no image option, none configured */
	bool no_store;			/* dry run without an attached store */
	const char *initrd[IMG_MAX_INITRDS];
	int n_initrd;
	bool crash;			/* arm: load as the crash kernel */
};

static const char *status_name(enum img_status s)
{
	return s == IMG_REUSED ? "reused" : s == IMG_LOADED ? "loaded" : "pending";
}

static void human(uint64_t bytes, char *buf, size_t len)
{
	fb_human_size(bytes, buf, len);
}

struct words {
	char *w[512];
	int n;
};

static bool key_is(const char *w, const char *key)
{
	size_t n = strlen(key);

	return !strncmp(w, key, n) && (w[n] == '=' || w[n] == 0);
}

static void words_drop(struct words *ws, const char *key)
{
	int i, j = 0;

	for (i = 0; i < ws->n; i++)
		if (!key_is(ws->w[i], key))
			ws->w[j++] = ws->w[i];
		else
			free(ws->w[i]);
	ws->n = j;
}

static int words_add(struct words *ws, const char *w)
{
	if (ws->n == (int)(sizeof(ws->w) / sizeof(ws->w[0])))
		return fb_error("cmdline", "too many words");
	ws->w[ws->n] = strdup(w);
	return ws->w[ws->n++] ? 0 : fb_error("cmdline", "out of memory");
}

static int words_split(struct words *ws, const char *s)
{
	char *copy = strdup(s), *w, *save;
	int ret = 0;

	if (!copy)
		return fb_error("cmdline", "out of memory");
	for (w = strtok_r(copy, " \t\n", &save); w && !ret;
	     w = strtok_r(NULL, " \t\n", &save))
		ret = words_add(ws, w);
	free(copy);
	return ret;
}

static void words_free(struct words *ws)
{
	while (ws->n > 0)
		free(ws->w[--ws->n]);
}

/* Is this a crash (kdump) kernel? */
static bool in_crash_kernel(void)
{
	return access("/proc/vmcore", F_OK) == 0;
}

/*
 * A crash kernel knows only the crashkernel= memory and would pass that
 * map on.  To boot a full-memory kernel from it, give the production
 * boot's memory map, saved by fastboot arm, explicitly: memmap=exactmap,
 * its System RAM and ACPI ranges, then the reserved ranges (the store's
 * memmap=SIZE$ADDR) from the command line again.
 */
static int exactmap(int fd, struct words *ws)
{
	struct fastboot_info in;
	struct words kept = { .n = 0 };
	char *map, *line, *save;
	size_t map_len;
	int i, ret;

	ret = cl_info(fd, MEMMAP_BLOB, &in);
	if (ret)
		return fb_error(MEMMAP_BLOB, "no saved memory map of the production boot (fastboot arm saves it); cannot boot a full-memory kernel from a crash kernel");
	ret = cl_read_all(fd, &in, RECORD_MAX, &map, &map_len);
	if (ret == -EFBIG)
		return fb_error(MEMMAP_BLOB, "larger than %u bytes", RECORD_MAX);
	if (ret)
		return fb_error(MEMMAP_BLOB, "cannot read it, or it is corrupted: %s", strerror(-ret));
	/* The reserved ranges (memmap=SIZE$ADDR, ...) stay, the @ ranges go. */
	for (i = 0; i < ws->n && !ret; i++)
		if (key_is(ws->w[i], "memmap") && strcmp(ws->w[i], "memmap=exactmap") &&
		    !strchr(ws->w[i], '@'))
			ret = words_add(&kept, ws->w[i]);
	if (!ret) {
		words_drop(ws, "memmap");
		ret = words_add(ws, "memmap=exactmap");
	}
	for (line = strtok_r(map, "\n", &save); line && !ret;
	     line = strtok_r(NULL, "\n", &save))
		ret = words_add(ws, line);
	for (i = 0; i < kept.n && !ret; i++)
		ret = words_add(ws, kept.w[i]);
	words_free(&kept);
	free(map);
	return ret;
}

/* The command line to boot with (fastboot.image= is added at load). */
static int build_cmdline(int fd, const struct opts *o, struct img *img)
{
	static const char *const transient[] = {
		"fastboot.image", "fastboot.byref", "BOOT_IMAGE", "elfcorehdr", "acpi_rsdp",
	};
	static const char *const kdump[] = { "irqpoll", "nr_cpus=1", "reset_devices" };
	char buf[IMG_CMDLINE_MAX];
	struct words ws = { .n = 0 };
	size_t i;
	int j, ret = 0;

	if (o->cmdline) {
		snprintf(buf, sizeof(buf), "%s", o->cmdline);
	} else if (o->reuse_cmdline || img->reuse_cmdline) {
		FILE *f = fopen("/proc/cmdline", "r");

		if (!f || !fgets(buf, sizeof(buf), f)) {
			if (f)
				fclose(f);
			return fb_error("/proc/cmdline", "cannot read it");
		}
		fclose(f);
	} else if (img->has_cmdline) {
		snprintf(buf, sizeof(buf), "%s", img->cmdline);
	} else {
		return fb_usage_error("the image needs --cmdline STR or --reuse-cmdline");
	}
	ret = words_split(&ws, buf);
	for (i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
		words_drop(&ws, transient[i]);
	if (!ret && o->crash) {
		/* As kdump tools do: no crashkernel=, fewer devices and CPUs. */
		words_drop(&ws, "crashkernel");
		for (i = 0; i < sizeof(kdump) / sizeof(kdump[0]) && !ret; i++) {
			char key[32];

			snprintf(key, sizeof(key), "%s", kdump[i]);
			*strchrnul(key, '=') = 0;
			words_drop(&ws, key);
			ret = words_add(&ws, kdump[i]);
		}
	}
	if (!ret && o->append) {
		struct words add = { .n = 0 };

		ret = words_split(&add, o->append);
		for (j = 0; !ret && j < add.n; j++) {
			char key[256];

			snprintf(key, sizeof(key), "%s", add.w[j]);
			*strchrnul(key, '=') = 0;
			if (strcmp(key, "memmap"))
				words_drop(&ws, key);
			ret = words_add(&ws, add.w[j]);
		}
		words_free(&add);
	}
	if (!ret && !o->crash && in_crash_kernel())
		ret = exactmap(fd, &ws);
	buf[0] = 0;
	for (j = 0; !ret && j < ws.n; j++) {
		if (strlen(buf) + strlen(ws.w[j]) + 2 >= sizeof(buf))
			ret = fb_error("cmdline", "too long");
		else {
			if (buf[0])
				strcat(buf, " ");
			strcat(buf, ws.w[j]);
		}
	}
	words_free(&ws);
	if (ret)
		return ret;
	strcpy(img->cmdline, buf);
	img->has_cmdline = true;
	if (!strstr(buf, "fastboot.region="))
		fprintf(stderr, "fastboot: warning: the command line has no fastboot.region=; the store will not be re-attached at boot unless the module is loaded with region=\n");
	if (!strstr(buf, "memmap="))
		fprintf(stderr, "fastboot: warning: the command line has no memmap=; the new kernel may use the store's memory as RAM\n");
	return 0;
}

static int kexec_tools_load(int kfd, int ifd, const char *cmdline, bool crash)
{
	char kpath[64], ipath[64], *cl;
	pid_t pid;
	int st;

	snprintf(kpath, sizeof(kpath), "/proc/self/fd/%d", kfd);
	snprintf(ipath, sizeof(ipath), "--initrd=/proc/self/fd/%d", ifd);
	if (asprintf(&cl, "--command-line=%s", cmdline) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		/* no initramfs: no --initrd (the command line comes first) */
		execlp("kexec", "kexec", crash ? "-p" : "-l", kpath, cl,
		       ifd >= 0 ? ipath : (char *)NULL, (char *)NULL);
		fprintf(stderr, "fastboot: kexec: %s\n", strerror(errno));
		_exit(127);
	}
	free(cl);
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/*
 * Test hooks, documented in fastboot(8) (ENVIRONMENT), for the VM test
 * beds only.  FASTBOOT_TEST_HOOK=sigterm-after-load: the tool sends itself
 * SIGTERM right after the kernel is loaded, so a test can interrupt an
 * update at that exact point.  =no-kexec-file-load: kexec_file_load() is
 * taken as refused (EPERM, as lockdown or an unsigned kernel refuse it),
 * so a test can run the kexec_load fallback.  Any other value does
 * nothing.
 */
static bool test_hook_is(const char *point)
{
	const char *h = getenv("FASTBOOT_TEST_HOOK");

	return h && !strcmp(h, point);
}

static void test_hook(const char *point)
{
	if (test_hook_is(point))
		kill(getpid(), SIGTERM);
}

/*
 * Step 5: load the kernel, preferring kexec_file_load().  ifd is -1 for
 * an image without initramfs.
 */
static int load_kernel(int kfd, int ifd, const char *cmdline, bool crash)
{
	unsigned long flags = (crash ? KEXEC_FILE_ON_CRASH : 0) |
			      (ifd < 0 ? KEXEC_FILE_NO_INITRAMFS : 0);
	long r;

	if (test_hook_is("no-kexec-file-load")) {
		errno = EPERM;
		r = -1;
	} else {
		r = syscall(SYS_kexec_file_load, kfd, ifd, strlen(cmdline) + 1,
			    cmdline, flags);
	}
	if (r == 0)
		return 0;
	if (errno == EPERM && geteuid() != 0)
		return fb_error("kexec_file_load", "permission denied (needs CAP_SYS_BOOT)");
	if (errno == EBUSY && crash)
		return fb_error("kexec_file_load", "a crash kernel is being used");
	if (errno == ENOMEM && crash)
		return fb_error("kexec_file_load",
				"no crash kernel memory: add crashkernel=384M to the kernel command line and reboot");
	fprintf(stderr, "fastboot: kexec_file_load: %s; falling back to kexec_load through kexec(8)\n",
		strerror(errno));
	if (kexec_tools_load(kfd, ifd, cmdline, crash))
		return fb_error("kexec_load", "kexec(8) could not load the image");
	return 0;
}

static int write_sysfs(const char *path, const char *val)
{
	int f = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n = f < 0 ? -1 : write(f, val, strlen(val));

	if (f >= 0)
		close(f);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/*
 * The System RAM and ACPI ranges of this boot (for exactmap), as
 * memmap= lines into buf (RECORD_MAX bytes); their length, 0 on error.
 */
static size_t build_memmap(char *buf)
{
	char path[128], type[64];
	size_t len = 0;
	int i, ret;

	for (i = 0; len + 64 < RECORD_MAX; i++) {
		unsigned long long start, end;
		FILE *f;
		const char *op;

		snprintf(path, sizeof(path), "/sys/firmware/memmap/%d/start", i);
		if (!(f = fopen(path, "r")))
			break;
		ret = fscanf(f, "%llx", &start);
		fclose(f);
		snprintf(path, sizeof(path), "/sys/firmware/memmap/%d/end", i);
		if (ret != 1 || !(f = fopen(path, "r")))
			break;
		ret = fscanf(f, "%llx", &end);
		fclose(f);
		snprintf(path, sizeof(path), "/sys/firmware/memmap/%d/type", i);
		if (ret != 1 || !(f = fopen(path, "r")))
			break;
		if (!fgets(type, sizeof(type), f))
			type[0] = 0;
		fclose(f);
		type[strcspn(type, "\n")] = 0;
		if (!strcmp(type, "System RAM"))
			op = "@";
		else if (!strcmp(type, "ACPI Tables"))
			op = "#";
		else
			continue;
		len += (size_t)snprintf(buf + len, RECORD_MAX - len,
					"memmap=%lluK%s0x%llx\n",
					(end - start + 1) >> 10, op, start);
	}
	if (!len)
		fb_error("/sys/firmware/memmap", "no System RAM ranges found");
	return len;
}

static int save_memmap(int fd, const char *buf, size_t len)
{
	int ret = cl_put(fd, MEMMAP_BLOB, FASTBOOT_OBJ_BLOB, buf, len, NULL);

	return ret ? fb_ioctl_error(MEMMAP_BLOB, -ret) : 0;
}

static int set_armed(int fd, const char *image)
{
	struct fastboot_arm a = { .size = sizeof(a) };

	if (image)
		snprintf(a.image, sizeof(a.image), "%s", image);
	else
		a.flags = FASTBOOT_ARM_CLEAR;
	return fb_ioctl(fd, FASTBOOT_IOC_ARM, &a, image ? "arm" : "disarm");
}

/*
 * Tell the module which image the next kexec boots (NULL: none of ours),
 * so that the store carries it across the reboot.
 */
static int set_next(int fd, const char *image)
{
	struct fastboot_next n = { .size = sizeof(n) };

	if (image)
		snprintf(n.image, sizeof(n.image), "%s", image);
	else
		n.flags = FASTBOOT_NEXT_CLEAR;
	if (ioctl(fd, FASTBOOT_IOC_NEXT, &n) == 0)
		return 0;
	if (errno == ENOTTY) {	/* a fastboot.ko from before 0.2 runs */
		if (image)
			fprintf(stderr, "fastboot: warning: the running fastboot.ko cannot record the next boot's image; after the reboot it is known only where modprobe loads the module\n");
		return 0;
	}
	return fb_ioctl_error("update", errno);
}

/* arm: crash kernel memory must be reserved. */
static int check_crashkernel(void)
{
	FILE *f = fopen("/sys/kernel/kexec_crash_size", "r");
	unsigned long long size = 0;

	if (f) {
		if (fscanf(f, "%llu", &size) != 1)
			size = 0;
		fclose(f);
	}
	if (!size)
		return fb_error("arm", "no memory is reserved for a crash kernel: add crashkernel=384M to the kernel command line ('fastboot setup' prints what the host needs) and reboot");
	return 0;
}

/* Is a crash kernel loaded (by anyone)? */
static bool crash_kernel_loaded(void)
{
	FILE *f = fopen("/sys/kernel/kexec_crash_loaded", "r");
	int c = f ? fgetc(f) : '0';

	if (f)
		fclose(f);
	return c == '1';
}

/*
 * A crash kernel that fastboot arm did not load (kdump-tools' kdump
 * kernel, say) is replaced or unloaded only with --force.  The module
 * reports ARMED while the crash kernel arm loaded is loaded.
 */
static int check_foreign_crash_kernel(const struct fastboot_status *st,
				      bool force, const char *cmd,
				      const char *doing)
{
	if (!crash_kernel_loaded() || (st->flags & FASTBOOT_STATUS_ARMED))
		return 0;
	if (force) {
		fprintf(stderr, "fastboot: warning: the crash kernel was not loaded by fastboot; %s: going on (--force)\n",
			cmd);
		return 0;
	}
	return fb_error(cmd, "a crash kernel is loaded that fastboot did not load (kdump-tools' kdump kernel?); 'fastboot %s --force' %s it",
			cmd, doing);
}

/* Unload the kernel loaded for a reboot, or the crash kernel. */
static int unload_kernel(bool crash)
{
	return syscall(SYS_kexec_file_load, -1, -1, 0, NULL,
		       KEXEC_FILE_UNLOAD | (crash ? KEXEC_FILE_ON_CRASH : 0)) ?
		-errno : 0;
}

int cmd_disarm(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct fastboot_status st;
	bool force = false, loaded, ours;
	int c, fd, ret;

	optind = 0;	/* glibc: rescan with this option string */
	while ((c = getopt_long(argc, argv, "fh", lopts, NULL)) != -1) {
		if (c != 'f')
			return fb_usage_error("fastboot disarm [--force]");
		force = true;
	}
	if (optind != argc)
		return fb_usage_error("fastboot disarm [--force]");
	fd = fb_open_locked();
	if (fd < 0)
		return EXIT_FAIL;
	ret = cl_status(fd, &st);
	if (ret) {
		ret = fb_ioctl_error("status", -ret);
		goto out;
	}
	loaded = crash_kernel_loaded();
	ours = st.flags & FASTBOOT_STATUS_ARMED;
	if ((ret = check_foreign_crash_kernel(&st, force, "disarm", "unloads")))
		goto out;
	if (loaded && (ret = unload_kernel(true))) {
		ret = fb_error("disarm", "cannot unload the crash kernel: %s",
			       strerror(-ret));
		goto out;
	}
	ret = set_armed(fd, NULL);
	/* what arm set; left alone when unloading someone else's kernel */
	if (!ret && (ours || !loaded) && write_sysfs(POST_NOTIFIERS, "N"))
		ret = fb_error(POST_NOTIFIERS, "%s", strerror(errno));
	if (!ret)
		fb_log_event("disarm%s", loaded ? "" : " (no crash kernel was loaded)");
	else if (loaded)
		fb_log_failed("disarm");
out:
	close(fd);
	return ret;
}

int cmd_arm(int argc, char **argv)
{
	return run_update(argc, argv, "arm", true);
}

/* How long each step of run_update() took, in ms (--json: *_ms). */
struct timing {
	uint64_t read, store, copy, load;
};

/* One module of the image (the kernel alike) as a JSON object. */
static void json_module(struct json *j, const char *key,
			const struct img_module *m)
{
	char hex[65];

	sha256_hex(m->sha, hex);
	json_open(j, key, '{');
	json_str(j, "name", m->name);
	json_str(j, "path", m->path);
	json_u64(j, "size_bytes", m->size);
	json_str(j, "sha256", hex);
	json_str(j, "status", status_name(m->status));
	if (strcmp(key ? key : "", "kernel")) {
		json_str(j, "kind", img_kind_name(m->kind));
		json_str(j, "delivery", img_delivery_name(m->delivery));
		if (m->kind == IMG_KIND_MOUNT)
			json_str(j, "dir", m->dir);
		if (m->kind == IMG_KIND_MOUNT && m->has_verity) {
			sha256_hex(m->verity_root, hex);
			json_str(j, "verity_root", hex);
		}
	}
	json_close(j, '}');
}

static void report(const struct img *img, const char *record, uint64_t read,
		   uint64_t reused, const char *release, bool dry_run,
		   bool store_checked, const struct timing *tm)
{
	const struct img_module *m;
	char hex[65], size[32];
	int i;

	if (opt_json) {
		struct json j;

		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_module(&j, "kernel", &img->kernel);
		json_open(&j, "modules", '[');
		for (i = 0; i < img->n_initrd; i++)
			json_module(&j, NULL, &img->initrd[i]);
		json_close(&j, ']');
		json_u64(&j, "read_bytes", read);
		json_u64(&j, "reused_bytes", reused);
		json_str(&j, "release", release);
		json_str(&j, "cmdline", img->cmdline);
		json_str(&j, "image", record);
		json_bool(&j, "dry_run", dry_run);
		json_bool(&j, "store_checked", store_checked);
		json_u64(&j, "read_ms", tm->read);
		json_u64(&j, "store_ms", tm->store);
		json_u64(&j, "copy_verify_ms", tm->copy);
		json_u64(&j, "load_ms", tm->load);
		json_close(&j, '}');
		json_end(&j);
		return;
	}
	img_for_each(img, m, i) {
		sha256_hex(m->sha, hex);
		human(m->size, size, sizeof(size));
		printf("%-7s %-24s %10s  %-6s  %-5s  %.16s  %s%s%s\n",
		       i ? img_kind_name(m->kind) : "kernel", m->name, size,
		       status_name(m->status), img_delivery_name(m->delivery),
		       hex, m->path, m->kind == IMG_KIND_MOUNT ? " at " : "",
		       m->kind == IMG_KIND_MOUNT ? m->dir : "");
	}
	human(read, size, sizeof(size));
	printf("read %s from disk, ", size);
	human(reused, size, sizeof(size));
	printf("reused %s from the store\n", size);
	printf("%s %s (kernel %s)\ncmdline: %s\n",
	       dry_run ? "would record image" : "image",
	       record[0] ? record : "(no store attached: store checks skipped)",
	       release[0] ? release : "unknown", img->cmdline);
}

/*
 * The default image: the newest installed kernel, through the links that
 * Debian's linux-update-symlinks keeps, /vmlinuz and /initrd.img (or
 * /boot/vmlinuz and /boot/initrd.img with link_in_boot in
 * /etc/kernel-img.conf), under root ("" for the real root).  The
 * initramfs only if it is there.  The command line is the running one
 * (as --reuse-cmdline), unless --cmdline gives another.
 */
static void default_image(struct opts *o, const char *root)
{
	static const char *const dirs[] = { "", "/boot" };
	size_t i;

	o->default_image = true;
	o->def_initrd[0] = 0;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s%s/vmlinuz", root, dirs[i]);
		if (access(path, F_OK) && i + 1 < sizeof(dirs) / sizeof(dirs[0]))
			continue;	/* the last one is named when none is there */
		snprintf(o->def_kernel, sizeof(o->def_kernel), "%s/vmlinuz", dirs[i]);
		snprintf(path, sizeof(path), "%s%s/initrd.img", root, dirs[i]);
		if (!access(path, F_OK))
			snprintf(o->def_initrd, sizeof(o->def_initrd), "%s/initrd.img", dirs[i]);
		break;
	}
	o->kernel = o->def_kernel;
	o->n_initrd = 0;
	if (o->def_initrd[0])
		o->initrd[o->n_initrd++] = o->def_initrd;
	if (!o->cmdline)
		o->reuse_cmdline = true;
}

/*
 * No image option: --image with FASTBOOT_IMAGE (arm:
 * FASTBOOT_RECOVERY_IMAGE) from the configuration file; when that is
 * empty or unset (or the default file does not exist), the default image.
 */
static int config_image(struct opts *o)
{
	const char *key = o->crash ? "FASTBOOT_RECOVERY_IMAGE" : "FASTBOOT_IMAGE";
	const char *file = o->config ? o->config : FB_DEFAULT_CONFIG;
	int r;

	/* an explicit --config must exist: a typo is not the default */
	if (o->config && access(o->config, F_OK))
		return fb_usage_error("no image option and %s cannot be read: %s",
				      file, strerror(errno));
	r = fb_config_get(file, key, o->conf_image, sizeof(o->conf_image));
	if (r < 0)
		return fb_usage_error("no image option and %s cannot be read: %s",
				      file, strerror(errno));
	if (!r || !o->conf_image[0]) {
		default_image(o, "");
		fprintf(stderr, "fastboot: %s: %s is %s in %s: the default image, %s%s%s with %s\n",
			o->crash ? "arm" : "update", key, r ? "empty" : "unset", file,
			o->def_kernel, o->def_initrd[0] ? " + " : " (no initramfs)",
			o->def_initrd, o->cmdline ? "--cmdline" : "the running command line");
		return 0;
	}
	o->image_file = o->conf_image;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o, const char *cmd)
{
	static const struct option lopts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "reuse-cmdline", no_argument, NULL, 'R' },
		{ "image", required_argument, NULL, 'I' },
		{ "verify", no_argument, NULL, 'v' },
		{ "rollback", no_argument, NULL, 'b' },
		{ "from-store", no_argument, NULL, 's' },
		{ "now", no_argument, NULL, 'n' },
		{ "no-exec", no_argument, NULL, 'x' },
		{ "dry-run", no_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'f' },
		{ "append", required_argument, NULL, 'a' },
		{ "config", required_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c, sources;

	optind = 0;	/* glibc: rescan with this option string */
	while ((c = getopt_long(argc, argv, "hj", lopts, NULL)) != -1) {
		switch (c) {
		case 'k': o->kernel = optarg; break;
		case 'i':
			if (o->n_initrd == IMG_MAX_INITRDS)
				return fb_usage_error("at most %d --initrd", IMG_MAX_INITRDS);
			o->initrd[o->n_initrd++] = optarg;
			break;
		case 'c': o->cmdline = optarg; break;
		case 'R': o->reuse_cmdline = true; break;
		case 'I': o->image_file = optarg; break;
		case 'v': o->verify = true; break;
		case 'b': o->rollback = true; break;
		case 's': o->from_store = true; break;
		case 'n': o->now = true; break;
		case 'x': o->no_exec = true; break;
		case 'd': o->dry_run = true; break;
		case 'f': o->force = true; break;
		case 'a': o->append = optarg; break;
		case 'C': o->config = optarg; break;
		case 'j': opt_json = true; break;
		case 'h': fb_help_exit(cmd);
		default:
			return fb_usage_error("fastboot %s (--image FILE | --kernel PATH [--initrd PATH]... | --rollback | --from-store | --config FILE) [--cmdline STR | --reuse-cmdline] [--append STR] [--verify] [--force] [--dry-run] [--no-exec] [--now] [--json]",
					      cmd);
		}
	}
	if (optind != argc)
		return fb_usage_error("unexpected argument '%s'", argv[optind]);
	sources = !!o->image_file + !!o->kernel + o->rollback + o->from_store;
	if (sources > 1)
		return fb_usage_error("give exactly one of --image, --kernel, --rollback, --from-store");
	if (o->n_initrd && !o->kernel)
		return fb_usage_error("--initrd goes with --kernel");
	if (o->cmdline && o->reuse_cmdline)
		return fb_usage_error("--cmdline and --reuse-cmdline exclude each other");
	if (!sources && config_image(o))
		return EXIT_USAGE;
	return 0;
}

/* Build the image to boot from the options and the records. */
static int target_image(const struct opts *o, const struct records *r,
			struct img *img)
{
	const struct img *src = NULL;
	struct img_module *m;
	int i, ret;

	memset(img, 0, sizeof(*img));
	if (o->image_file)
		return img_parse_manifest(o->image_file, img);
	if (o->kernel) {
		strcpy(img->kernel.name, "kernel");
		if (strlen(o->kernel) >= sizeof(img->kernel.path) ||
		    strpbrk(o->kernel, " \t\n"))
			return fb_error(o->kernel, "unsupported path (no blanks)");
		strcpy(img->kernel.path, o->kernel);
		for (i = 0; i < o->n_initrd; i++) {
			const char *base = strrchr(o->initrd[i], '/');
			char name[64];

			snprintf(name, sizeof(name), "%s", base ? base + 1 : o->initrd[i]);
			ret = img_add_initrd(img, name, o->initrd[i], NULL);
			if (ret)
				return ret;
		}
		return 0;
	}
	if (o->rollback) {
		if (!r->have_prev)
			return fb_error("rollback", "the store holds no previous image");
		src = &r->prev;
	} else {
		if (!r->have_cur)
			return fb_error("from-store", "the store holds no image; run 'fastboot update' first");
		src = &r->cur;
	}
	*img = *src;
	img_for_each(img, m, i)
		m->status = IMG_REUSED;
	return 0;
}

/*
 * From the first object stored to the commit, SIGINT, SIGTERM, SIGHUP and
 * SIGQUIT only set a flag, checked between the steps: the run then stops
 * and undoes what it did (new objects dropped, the kernel it loaded
 * unloaded), as on any other failure.  Signals ignored when the tool
 * started stay ignored.
 */
#define N_CAUGHT	4
static const int caught[N_CAUGHT] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void catch_signals(struct sigaction old[N_CAUGHT])
{
	struct sigaction sa;
	int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < N_CAUGHT; i++) {
		sigaction(caught[i], NULL, &old[i]);
		if (old[i].sa_handler != SIG_IGN)
			sigaction(caught[i], &sa, NULL);
	}
}

static void restore_signals(const struct sigaction old[N_CAUGHT])
{
	int i;

	for (i = 0; i < N_CAUGHT; i++)
		sigaction(caught[i], &old[i], NULL);
}

/* EXIT_FAIL with a message if a caught signal arrived. */
static int interrupted(const char *cmd)
{
	static const char *const names[] = {
		[SIGINT] = "SIGINT", [SIGTERM] = "SIGTERM",
		[SIGHUP] = "SIGHUP", [SIGQUIT] = "SIGQUIT",
	};

	if (!got_signal)
		return 0;
	return fb_error(cmd, "interrupted by %s", names[got_signal]);
}

/* One run of update or arm. */
struct run {
	struct opts o;
	const char *cmd;
	int fd, kfd, ifd;
	struct fastboot_status st;
	struct records *recs;
	struct img *img;
	struct added added;
	struct timing tm;
	uint64_t bytes_read, reused;
	char record[64], release[128];
	char rec[RECORD_MAX];		/* the image record to write */
	size_t rec_len;
	char memmap[RECORD_MAX];	/* arm: this boot's memory map */
	size_t memmap_len;
	bool loaded, armed;
};

/* The store must be ready, and arm leaves a foreign crash kernel alone. */
static int check_store(struct run *r)
{
	int ret;

	if (r->o.no_store)
		return r->o.rollback || r->o.from_store ?
			fb_error(r->cmd, "--%s needs the store, and %s does not exist (is the module loaded?)",
				 r->o.rollback ? "rollback" : "from-store", opt_device) : 0;
	ret = cl_status(r->fd, &r->st);

	if (ret)
		return fb_ioctl_error("status", -ret);
	if (r->st.state != FASTBOOT_STATE_READY)
		return fb_error(r->cmd, "the store is %s; see 'fastboot status'",
				r->st.state == FASTBOOT_STATE_DAMAGED ? "damaged" : "not formatted");
	if (r->o.crash)
		return check_foreign_crash_kernel(&r->st, r->o.force, r->cmd, "replaces");
	return 0;
}

/* The blobs written with the image, formatted now: their size counts. */
static int format_blobs(struct run *r)
{
	r->rec_len = img_record_format(r->img, r->rec, sizeof(r->rec));
	if (!r->rec_len)
		return fb_error("image", "its record is larger than %u bytes", RECORD_MAX);
	if (r->o.crash && !(r->memmap_len = build_memmap(r->memmap)))
		return EXIT_FAIL;
	return 0;
}

/* Steps 1 and 2: plan, and check everything that can be checked first. */
static int prepare(struct run *r)
{
	struct img_module *m;
	uint64_t need, t;
	char a[32], b[32];
	int i, ret;

	if ((ret = check_store(r)) ||
	    (!r->o.no_store && (ret = load_records(r->fd, r->recs))) ||
	    (ret = target_image(&r->o, r->recs, r->img)))
		return ret;
	t = fb_now_ms(CLOCK_MONOTONIC);
	if (!r->o.rollback && !r->o.from_store &&
	    (ret = plan(r->fd, r->o.verify, r->img, r->recs, &r->bytes_read)))
		return ret;
	r->tm.read = fb_now_ms(CLOCK_MONOTONIC) - t;
	img_for_each(r->img, m, i)
		if (m->status == IMG_REUSED)
			r->reused += m->size;
	if ((ret = build_cmdline(r->fd, &r->o, r->img)) || (ret = format_blobs(r)))
		return ret;
	if (r->o.no_store)	/* no free space to check, no record number */
		return 0;
	need = space_needed(r->fd, r->img,
			    (fb_pages(r->rec_len) + fb_pages(r->memmap_len)) * FB_PAGE_SIZE);
	if (need > r->st.free_bytes) {
		human(need, a, sizeof(a));
		human(r->st.free_bytes, b, sizeof(b));
		return fb_error(r->cmd, "the image needs %s of new modules and records but the store has %s free; nothing was changed",
				a, b);
	}
	if (r->o.crash)
		snprintf(r->record, sizeof(r->record), IMG_RECOVERY);
	else
		snprintf(r->record, sizeof(r->record), IMG_RECORD_PREFIX "%lu",
			 r->recs->n_names ? (r->recs->n_cur > r->recs->n_prev ?
					     r->recs->n_cur : r->recs->n_prev) + 1 : 1);
	return 0;
}

/*
 * Steps 3 and 4: store new content (not in a dry run), deliver the image:
 * what goes through kexec into memory files, checked, and what stays in
 * the store checked there.  An image without initramfs has no initramfs
 * file (ifd -1).
 */
static int build_image(struct run *r)
{
	struct deliver_opts dopts = { r->o.dry_run, r->o.force, r->o.verify };
	uint64_t t = fb_now_ms(CLOCK_MONOTONIC);
	int i, n_kexec = 1, ret;

	if (!r->o.dry_run && (ret = store_new(r->fd, r->img, &r->added)))
		return ret;
	r->tm.store = fb_now_ms(CLOCK_MONOTONIC) - t;
	if ((ret = interrupted(r->cmd)))
		return ret;
	/* not close-on-exec: kexec(8) opens them as /proc/self/fd/N */
	r->kfd = memfd_create("fastboot-kernel", 0);
	if (r->img->n_initrd)
		r->ifd = memfd_create("fastboot-initrd", 0);
	if (r->kfd < 0 || (r->img->n_initrd && r->ifd < 0))
		return fb_error("memfd_create", "%s", strerror(errno));
	t = fb_now_ms(CLOCK_MONOTONIC);
	ret = deliver(r->fd, r->img, r->kfd, r->ifd, &dopts, r->release,
		      sizeof(r->release));
	if (ret)
		return ret;
	/* the record says how each module was delivered: known only now */
	r->rec_len = img_record_format(r->img, r->rec, sizeof(r->rec));
	if (!r->rec_len)
		return fb_error("image", "its record is larger than %u bytes", RECORD_MAX);
	r->tm.copy = fb_now_ms(CLOCK_MONOTONIC) - t;
	for (i = 0; i < r->img->n_initrd; i++)
		n_kexec += r->img->initrd[i].delivery == IMG_DELIVER_KEXEC;
	fprintf(stderr, "fastboot: %d modules %s, SHA-256 checked, in %.1f s%s\n",
		n_kexec, r->o.dry_run ? "read" : "copied from the store",
		r->tm.copy / 1000.0, n_kexec == r->img->n_initrd + 1 ? "" :
		"; the others stay in the store for 'fastboot boot'");
	return interrupted(r->cmd);
}

/* The modules of img that the next boot's `fastboot boot` brings in. */
static int n_by_reference(const struct img *img)
{
	int i, n = 0;

	for (i = 0; i < img->n_initrd; i++)
		n += img->initrd[i].delivery == IMG_DELIVER_STORE;
	return n;
}

/* Steps 5 and 6 (and arm's arming): nothing is left half done. */
static int load_and_commit(struct run *r)
{
	char cl[IMG_CMDLINE_MAX + 80];
	uint64_t t = fb_now_ms(CLOCK_MONOTONIC);
	int ret;

	/*
	 * fastboot.byref=N: N modules stay in the store, so the base must
	 * run `fastboot boot`, and must not boot on without them when the
	 * store cannot give them (it cannot tell from the record alone:
	 * reading it needs the store).
	 */
	snprintf(cl, sizeof(cl), "%s fastboot.image=%s", r->img->cmdline, r->record);
	if (n_by_reference(r->img))
		snprintf(cl + strlen(cl), sizeof(cl) - strlen(cl), " fastboot.byref=%d",
			 n_by_reference(r->img));
	if ((ret = load_kernel(r->kfd, r->ifd, cl, r->o.crash)))
		return ret;
	r->loaded = true;
	test_hook("sigterm-after-load");
	r->tm.load = fb_now_ms(CLOCK_MONOTONIC) - t;
	fprintf(stderr, "fastboot: image checked and loaded in %.1f s\n", r->tm.load / 1000.0);
	if ((ret = interrupted(r->cmd)) ||
	    (ret = commit_image(r->fd, r->img, r->recs, r->record, r->rec,
				r->rec_len, r->o.crash)))
		return ret;
	r->added.n = 0;	/* committed: they belong to the image now */
	if (!r->o.crash)
		return set_next(r->fd, r->record);
	if ((ret = save_memmap(r->fd, r->memmap, r->memmap_len)) ||
	    (ret = set_armed(r->fd, r->record)))
		return ret;
	r->armed = true;
	if (write_sysfs(POST_NOTIFIERS, "Y"))
		return fb_error(POST_NOTIFIERS, "%s", strerror(errno));
	fprintf(stderr, "fastboot: armed: a panic seals the store and boots %s\n",
		r->record);
	return 0;
}

/* Step 7; returns only on failure. */
static int reboot_into(const struct run *r)
{
	if (!r->o.now && access("/run/systemd/system", F_OK) == 0) {
		fprintf(stderr, "fastboot: rebooting through systemctl kexec\n");
		execlp("systemctl", "systemctl", "kexec", (char *)NULL);
		return fb_error("systemctl", "%s", strerror(errno));
	}
	if (!r->o.now)
		fprintf(stderr, "fastboot: systemd is not running; rebooting into the new image now\n");
	sync();
	reboot(LINUX_REBOOT_CMD_KEXEC);
	return fb_error("reboot", "%s", strerror(errno));
}

/* A failed run leaves no kernel loaded and no new object behind. */
static void undo(struct run *r)
{
	int err;

	if (r->loaded) {
		err = unload_kernel(r->o.crash);
		if (err)
			fb_error(r->cmd, "cannot unload the kernel it loaded: %s; 'kexec -u%s' unloads it",
				 strerror(-err), r->o.crash ? " -p" : "");
		else
			fprintf(stderr, "fastboot: %s: the %s it loaded was unloaded\n",
				r->cmd, r->o.crash ? "crash kernel" : "kernel");
	}
	if (r->o.crash && r->loaded)
		set_armed(r->fd, NULL);
	else if (r->loaded)
		set_next(r->fd, NULL);
	drop_added(r->fd, &r->added);
}

static void free_run(struct run *r)
{
	struct img_module *m;
	int i;

	if (r->kfd >= 0)
		close(r->kfd);
	if (r->ifd >= 0)
		close(r->ifd);
	if (r->img)
		img_for_each(r->img, m, i) {
			if (m->data)
				munmap(m->data, m->size);
			free(m->tree);
		}
	free(r->img);
	if (r->recs)
		records_free(r->recs);
	free(r->recs);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

/* Everything a real run does but store, load and record. */
static int dry_run(struct run *r)
{
	int ret = build_image(r);

	if (!ret)
		report(r->img, r->record, r->bytes_read, r->reused, r->release,
		       true, !r->o.no_store, &r->tm);
	return ret;
}

/* The system log's line for a run that loaded its image. */
static void log_run(const struct run *r)
{
	const struct img_module *m;
	int i, n_read = 0, n_reused = 0;
	char size[32];

	img_for_each(r->img, m, i) {
		if (m->status == IMG_REUSED)
			n_reused++;
		else
			n_read++;
	}
	human(r->bytes_read, size, sizeof(size));
	if (r->o.crash)
		fb_log_event("arm %s (%d modules read, %d reused, %s read)",
			     r->record, n_read, n_reused, size);
	else
		fb_log_event("update to %s (%d modules read, %d reused, %s read)",
			     r->record, n_read, n_reused, size);
}

static int real_run(struct run *r)
{
	struct sigaction old[N_CAUGHT];
	int ret;
	bool changed;

	catch_signals(old);
	ret = build_image(r);
	if (!ret)
		ret = load_and_commit(r);
	if (!ret && !(ret = interrupted(r->cmd))) {
		report(r->img, r->record, r->bytes_read, r->reused, r->release,
		       false, true, &r->tm);
		fflush(stdout);
		log_run(r);
		if (!r->o.no_exec && !r->o.crash)
			ret = reboot_into(r);
	}
	changed = r->loaded || r->added.n;
	if (ret)
		undo(r);
	if (ret && changed)
		fb_log_failed(r->o.crash ? "arm" : "update");
	restore_signals(old);
	return ret;
}

int run_update(int argc, char **argv, const char *cmd, bool crash)
{
	struct run *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return fb_error(cmd, "out of memory");
	r->o.crash = crash;
	r->cmd = cmd;
	r->fd = r->kfd = r->ifd = -1;
	ret = parse_opts(argc, argv, &r->o, cmd);
	if (ret) {
		free(r);
		return ret;
	}
	if (crash && check_crashkernel()) {
		free(r);
		return EXIT_FAIL;
	}
	/*
	 * A dry run changes nothing, so it takes no lock.  Without the
	 * device (the module is not loaded) it makes the checks that need
	 * no store: the files, the command line and the image's fastboot.ko.
	 */
	if (r->o.dry_run && access(opt_device, F_OK) && errno == ENOENT) {
		r->o.no_store = true;
		fprintf(stderr, "fastboot: %s: no store attached (%s does not exist): checking the image's files and its fastboot.ko only; the store's checks (free space, stored modules) are skipped\n",
			cmd, opt_device);
	} else {
		r->fd = r->o.dry_run ? fb_open_device(O_RDWR) : fb_open_locked();
	}
	r->recs = calloc(1, sizeof(*r->recs));
	r->img = calloc(1, sizeof(*r->img));
	ret = EXIT_FAIL;
	if ((r->fd >= 0 || r->o.no_store) && (!r->recs || !r->img))
		fb_error(cmd, "out of memory");
	else if ((r->fd >= 0 || r->o.no_store) && !(ret = prepare(r)))
		ret = r->o.dry_run ? dry_run(r) : real_run(r);
	free_run(r);
	return ret;
}

int cmd_update(int argc, char **argv)
{
	return run_update(argc, argv, "update", false);
}
