// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fastboot tool: guest memory regions.
 *
 *   fastboot guest create NAME SIZE [--mode MODE] [--owner UID:GID]
 *   fastboot guest path NAME
 *   fastboot guest ls [--json]
 *   fastboot guest rm NAME
 *
 * A region is a file in fastbootfs, mounted on demand at GUEST_DIR, that a
 * VMM maps as its RAM (QEMU: memory-backend-file,mem-path=PATH,share=on).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "client.h"
#include "fastboot.h"
#include "json.h"

/* Mount fastbootfs at GUEST_DIR unless it is there already. */
int fb_guest_mount(void)
{
	char dev[256], dir[256], type[64];
	FILE *f = fopen("/proc/mounts", "r");
	bool found = false;

	while (f && fscanf(f, "%255s %255s %63s %*[^\n]", dev, dir, type) == 3)
		if (!strcmp(dir, GUEST_DIR) && !strcmp(type, "fastbootfs"))
			found = true;
	if (f)
		fclose(f);
	if (found)
		return 0;
	mkdir("/run", 0755);
	mkdir("/run/fastboot", 0755);
	if (mkdir(GUEST_DIR, 0755) && errno != EEXIST)
		return fb_error(GUEST_DIR, "%s", strerror(errno));
	if (mount("fastboot", GUEST_DIR, "fastbootfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL))
		return fb_error(GUEST_DIR, "cannot mount fastbootfs: %s", strerror(errno));
	return 0;
}

/* UID:GID, decimal; (uid_t)-1 means "unchanged" to the kernel: refused. */
static int parse_owner(const char *s, uint32_t *uid, uint32_t *gid)
{
	const char *colon = strchr(s, ':');
	char u_str[16];
	uint64_t u, g;

	if (!colon || (size_t)(colon - s) >= sizeof(u_str))
		return -1;
	memcpy(u_str, s, (size_t)(colon - s));
	u_str[colon - s] = 0;
	if (fb_parse_uint(u_str, 10, UINT32_MAX - 1, &u) ||
	    fb_parse_uint(colon + 1, 10, UINT32_MAX - 1, &g))
		return -1;
	*uid = (uint32_t)u;
	*gid = (uint32_t)g;
	return 0;
}

static int guest_create(int argc, char **argv)
{
	static const char usage[] =
		"fastboot guest create NAME SIZE [--mode MODE] [--owner UID:GID]";
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "owner", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct fastboot_guest g = { .size = sizeof(g), .mode = 0600 };
	struct fastboot_status st;
	uint64_t bytes;
	int c, fd, ret;

	optind = 0;	/* glibc: rescan with this option string */
	while ((c = getopt_long(argc, argv, "m:o:h", opts, NULL)) != -1) {
		if (c == 'm') {
			uint64_t m;

			if (fb_parse_uint(optarg, 8, 0777, &m))
				return fb_usage_error("--mode takes octal permissions, e.g. 0660");
			g.mode = (uint32_t)m;
		} else if (c == 'o') {
			if (parse_owner(optarg, &g.uid, &g.gid))
				return fb_usage_error("--owner takes UID:GID (numbers)");
		} else if (c == 'h') {
			fb_help_exit("guest");
		} else {
			return fb_usage_error("%s", usage);
		}
	}
	if (argc - optind != 2)
		return fb_usage_error("%s", usage);
	if (fb_set_name(g.name, argv[optind]))
		return EXIT_FAIL;
	if (fb_parse_size(argv[optind + 1], &bytes) || !bytes)
		return fb_usage_error("SIZE takes a number with an optional K, M or G suffix");
	g.bytes = bytes;
	fd = fb_open_locked();
	if (fd < 0)
		return EXIT_FAIL;
	ret = EXIT_OK;
	if (ioctl(fd, FASTBOOT_IOC_GUEST, &g)) {
		int err = errno;
		char need[32], have[32];

		if (err == ENOSPC && !cl_status(fd, &st)) {
			fb_human_size(g.bytes, need, sizeof(need));
			fb_human_size(st.free_bytes, have, sizeof(have));
			ret = fb_error(argv[optind],
				       "%s asked, %s free in the store (regions take 2 MiB aligned space)",
				       need, have);
		} else if (err == EEXIST) {
			ret = fb_error(argv[optind], "an object with that name exists");
		} else {
			ret = fb_ioctl_error(argv[optind], err);
		}
	} else {
		char size[32];

		fb_human_size(g.bytes, size, sizeof(size));
		fb_log_event("guest create %s (%s)", argv[optind], size);
	}
	close(fd);
	return ret;
}

/* The guest object called name, or an error message. */
static int guest_info(int fd, const char *name, struct fastboot_info *in)
{
	int ret = cl_info(fd, name, in);

	if (ret == -ENOENT || (!ret && in->type != FASTBOOT_OBJ_GUEST))
		return fb_error(name, "no such guest memory region");
	return ret ? fb_ioctl_error(name, -ret) : 0;
}

static int guest_path(int argc, char **argv)
{
	struct fastboot_info in;
	char path[128];
	struct json j;
	int fd, ret;

	if (argc != 2)
		return fb_usage_error("fastboot guest path NAME");
	fd = fb_open_device(O_RDONLY);
	if (fd < 0)
		return EXIT_FAIL;
	ret = guest_info(fd, argv[1], &in);
	close(fd);
	if (!ret)
		ret = fb_guest_mount();
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/%s", GUEST_DIR, in.name);
	if (!opt_json) {
		printf("%s\n", path);
		return EXIT_OK;
	}
	json_init(&j, stdout);
	json_open(&j, NULL, '{');
	json_str(&j, "name", in.name);
	json_str(&j, "path", path);
	json_close(&j, '}');
	json_end(&j);
	return EXIT_OK;
}

static int guest_ls(int argc, char **argv)
{
	struct fastboot_info in;
	struct json j;
	uint32_t index = 0;
	char size[32];
	int fd, ret;

	ret = only_json(argc, argv, "fastboot guest ls [--json]");
	if (ret)
		return ret;
	if (optind != argc)
		return fb_usage_error("fastboot guest ls [--json]");
	fd = fb_open_device(O_RDONLY);
	if (fd < 0)
		return EXIT_FAIL;
	if (opt_json) {
		json_init(&j, stdout);
		json_open(&j, NULL, '[');
	} else {
		printf("%-24s %10s  %-5s %-11s %s\n", "NAME", "SIZE", "MODE",
		       "OWNER", "PATH");
	}
	while (!(ret = cl_next(fd, &index, &in))) {
		char mode[8], owner[32], path[128];

		if (in.type != FASTBOOT_OBJ_GUEST)
			continue;
		snprintf(mode, sizeof(mode), "%04o", in.mode);
		snprintf(owner, sizeof(owner), "%u:%u", in.uid, in.gid);
		snprintf(path, sizeof(path), "%s/%s", GUEST_DIR, in.name);
		if (opt_json) {
			json_open(&j, NULL, '{');
			json_str(&j, "name", in.name);
			json_u64(&j, "size_bytes", in.bytes);
			json_str(&j, "mode", mode);
			json_u64(&j, "uid", in.uid);
			json_u64(&j, "gid", in.gid);
			json_str(&j, "path", path);
			json_close(&j, '}');
		} else {
			fb_human_size(in.bytes, size, sizeof(size));
			printf("%-24s %10s  %-5s %-11s %s\n", in.name, size, mode,
			       owner, path);
		}
	}
	close(fd);
	if (opt_json) {
		json_close(&j, ']');
		json_end(&j);
	}
	return ret == -ENOENT ? EXIT_OK : fb_ioctl_error("guest ls", -ret);
}

static int guest_rm(int argc, char **argv)
{
	struct fastboot_info in;
	int fd, ret;

	if (argc != 2)
		return fb_usage_error("fastboot guest rm NAME");
	fd = fb_open_locked();
	if (fd < 0)
		return EXIT_FAIL;
	ret = guest_info(fd, argv[1], &in);
	if (!ret && (ret = cl_rm(fd, argv[1])))
		ret = ret == -EBUSY ?
			fb_error(argv[1], "in use: open, mapped, or its pages pinned (io_uring, a pipe, O_DIRECT)") :
			fb_ioctl_error(argv[1], -ret);
	if (!ret)
		fb_log_event("guest rm %s", argv[1]);
	close(fd);
	return ret;
}

int cmd_guest(int argc, char **argv)
{
	static const char usage[] = "fastboot guest create|path|ls|rm ...";

	if (argc < 2)
		return fb_usage_error("%s", usage);
	if (!strcmp(argv[1], "create"))
		return guest_create(argc - 1, argv + 1);
	if (!strcmp(argv[1], "path"))
		return guest_path(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ls"))
		return guest_ls(argc - 1, argv + 1);
	if (!strcmp(argv[1], "rm"))
		return guest_rm(argc - 1, argv + 1);
	return fb_usage_error("%s", usage);
}
