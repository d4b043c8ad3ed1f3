// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Userspace unit tests of steps of `fastboot update` that only talk to the
 * store: tools/fastboot/update.c and deliver.c are compiled unmodified
 * into this file (plan.c and record.c are linked),
 * against an in-memory store standing in for client.c (the ioctls).
 * Built with ASan, UBSan and LeakSanitizer; each case checks for leaks
 * right after it.  Output is KTAP; the last line is "N passed, N failed".
 */
#include "../../tools/fastboot/update.c"
#include "../../tools/fastboot/deliver.c"

#include <sanitizer/lsan_interface.h>


/* ---- the store: objects in memory, in index order ---- */

#define FAKE_MAX 256

static struct fake_obj {
	bool used;
	char name[FASTBOOT_NAME_MAX];
	uint32_t type;
	uint8_t *data;
	uint64_t len;
	uint8_t sha[32];
} store[FAKE_MAX];

static void fill_info(int i, struct fastboot_info *in)
{
	memset(in, 0, sizeof(*in));
	in->size = sizeof(*in);
	in->index = (uint32_t)i;
	in->type = store[i].type;
	memcpy(in->name, store[i].name, sizeof(in->name));
	in->bytes = store[i].len;
	in->obj_flags = FASTBOOT_OBJ_F_DIGEST;
	memcpy(in->sha256, store[i].sha, 32);
}

static void digest_of(const void *data, size_t len, uint8_t out[32])
{
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, data, len);
	sha256_final(&s, out);
}

static int find(const char *name)
{
	int i;

	for (i = 0; i < FAKE_MAX; i++)
		if (store[i].used && !strcmp(store[i].name, name))
			return i;
	return -1;
}

int cl_status(int fd, struct fastboot_status *s)
{
	memset(s, 0, sizeof(*s));
	return 0;
}

int cl_info(int fd, const char *name, struct fastboot_info *in)
{
	int i = find(name);

	if (i < 0)
		return -ENOENT;
	fill_info(i, in);
	return 0;
}

int cl_next(int fd, uint32_t *index, struct fastboot_info *in)
{
	uint32_t i;

	for (i = *index; i < FAKE_MAX; i++)
		if (store[i].used) {
			fill_info((int)i, in);
			*index = i + 1;
			return 0;
		}
	return -ENOENT;
}

int cl_put(int fd, const char *name, uint32_t type, const void *data,
	   uint64_t len, const uint8_t tag[48])
{
	int i = find(name);

	if (strlen(name) >= FASTBOOT_NAME_MAX)
		return -ENAMETOOLONG;
	if (i < 0)
		for (i = 0; i < FAKE_MAX && store[i].used; i++)
			;
	if (i == FAKE_MAX)
		return -ENOSPC;
	free(store[i].data);
	store[i].used = true;
	snprintf(store[i].name, sizeof(store[i].name), "%s", name);
	store[i].type = type;
	store[i].data = malloc(len ? len : 1);
	if (!store[i].data)
		abort();
	memcpy(store[i].data, data, len);
	store[i].len = len;
	digest_of(data, len, store[i].sha);
	return 0;
}

int cl_rm(int fd, const char *name)
{
	int i = find(name);

	if (i < 0)
		return -ENOENT;
	free(store[i].data);
	memset(&store[i], 0, sizeof(store[i]));
	return 0;
}

/* No verified block devices in this store. */
int cl_vdev_next(int fd, uint32_t *index, struct fastboot_vdev *v)
{
	return -ENOENT;
}

int cl_vdev_del(int fd, uint32_t index)
{
	return -ENOENT;
}

int cl_read(int fd, const struct fastboot_info *in,
	    int (*sink)(void *ctx, const void *buf, size_t len), void *ctx,
	    uint8_t digest[32])
{
	int i = find(in->name);

	if (i < 0)
		return -ENOENT;
	digest_of(store[i].data, store[i].len, digest);
	return sink(ctx, store[i].data, store[i].len);
}

int cl_read_all(int fd, const struct fastboot_info *in, size_t max,
		char **buf, size_t *len)
{
	int i = find(in->name);

	*buf = NULL;
	*len = 0;
	if (i < 0)
		return -ENOENT;
	if (store[i].len > max)
		return -EFBIG;
	*buf = calloc(1, store[i].len + 1);
	if (!*buf)
		return -ENOMEM;
	memcpy(*buf, store[i].data, store[i].len);
	*len = store[i].len;
	return 0;
}

static void store_clear(void)
{
	int i;

	for (i = 0; i < FAKE_MAX; i++) {
		free(store[i].data);
		memset(&store[i], 0, sizeof(store[i]));
	}
}

/* ---- the tests ---- */

#include "ktap.h"

/* Nothing allocated so far is unreachable. */
static void ok_no_leak(const char *what)
{
	char label[160];

	snprintf(label, sizeof(label), "%s: nothing leaked", what);
	ok(__lsan_do_recoverable_leak_check() == 0, label);
}

static int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0, c;

	if (!f)
		abort();
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static int memfd_with(size_t len)
{
	int fd = memfd_create("test", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, (off_t)len))
		abort();
	return fd;
}

static void test_exactmap_too_large(void)
{
	struct words ws = { .n = 0 };
	size_t len = RECORD_MAX + 1;
	char *big = malloc(len);
	int ret;

	memset(big, 'x', len);
	cl_put(-1, MEMMAP_BLOB, FASTBOOT_OBJ_BLOB, big, len, NULL);
	free(big);
	words_add(&ws, "root=/dev/vda");
	words_add(&ws, "memmap=256M$0x40000000");
	ret = exactmap(-1, &ws);
	ok(ret != 0, "exactmap: a saved memory map over RECORD_MAX is refused");
	words_free(&ws);
	store_clear();
	ok_no_leak("exactmap, too large");
}

static void test_exactmap_keeps_reserved(void)
{
	static const char map[] = "memmap=639K@0x0\nmemmap=2047M@0x100000\n";
	struct words ws = { .n = 0 };
	int ret, i, found = 0;

	cl_put(-1, MEMMAP_BLOB, FASTBOOT_OBJ_BLOB, map, sizeof(map) - 1, NULL);
	words_add(&ws, "root=/dev/vda");
	words_add(&ws, "memmap=256M$0x40000000");
	words_add(&ws, "memmap=1G@0x0");
	ret = exactmap(-1, &ws);
	for (i = 0; i < ws.n; i++)
		found += !strcmp(ws.w[i], "memmap=256M$0x40000000") ||
			 !strcmp(ws.w[i], "memmap=exactmap") ||
			 !strcmp(ws.w[i], "memmap=2047M@0x100000");
	ok(ret == 0 && found == 3 && ws.n == 5,
	   "exactmap: saved ranges in, crash kernel's @ range out, reserved range kept");
	words_free(&ws);
	store_clear();
	ok_no_leak("exactmap");
}

static void test_vermagic_map_fails(void)
{
	struct deliver_opts o = { 0 };
	char rel[128];
	int kfd, before, ret;

	/* An empty kernel is a calloc'd buffer, the initrd cannot be mapped. */
	kfd = memfd_with(0);
	ret = check_vermagic(kfd, -1, &o, rel, sizeof(rel));
	ok(ret != 0, "check_vermagic: an initrd that cannot be mapped is an error");
	close(kfd);
	ok_no_leak("check_vermagic, initrd unmappable");

	/* A mapped kernel, then the initrd fails: the mapping must go. */
	kfd = memfd_with(8192);
	before = count_maps();
	ret = check_vermagic(kfd, -1, &o, rel, sizeof(rel));
	ok(ret != 0 && count_maps() == before,
	   "check_vermagic: the kernel's mapping is undone when the initrd fails");
	close(kfd);
	kfd = memfd_with(8192);
	before = count_maps();
	ret = check_vermagic(-1, kfd, &o, rel, sizeof(rel));
	ok(ret != 0 && count_maps() == before,
	   "check_vermagic: the initrd's mapping is undone when the kernel fails");
	close(kfd);
}

/* A file of the fuzz corpus, in memory; *len its length. */
static uint8_t *corpus_file(const char *name, size_t *len)
{
	char path[256];
	FILE *f;
	uint8_t *buf = malloc(1 << 16);

	snprintf(path, sizeof(path), "../fuzz/corpus-bootimg/%s", name);
	f = fopen(path, "rb");
	if (!f || !buf) {
		perror(path);
		exit(2);
	}
	*len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	return buf;
}

static int memfd_of(const void *data, size_t len)
{
	int fd = memfd_with(0);

	if (write(fd, data, len) != (ssize_t)len)
		abort();
	return fd;
}

/* check_vermagic on the kernel and initrd given; its message in msg. */
static int vermagic_of(const uint8_t *k, size_t klen, const uint8_t *i,
		       size_t ilen, char *msg, size_t msg_len)
{
	struct deliver_opts o = { 0 };
	char rel[128];
	int kfd = memfd_of(k, klen), ifd = memfd_of(i, ilen);
	int cap = memfd_with(0), saved = dup(2), ret;
	ssize_t n;

	fflush(stderr);
	dup2(cap, 2);
	ret = check_vermagic(kfd, ifd, &o, rel, sizeof(rel));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(cap, msg, msg_len - 1, 0);
	msg[n > 0 ? n : 0] = 0;
	close(cap);
	close(kfd);
	close(ifd);
	return ret;
}

static void test_vermagic(void)
{
	size_t klen, ilen;
	uint8_t *k = corpus_file("bzimage-header", &klen);
	uint8_t *i = corpus_file("cpio-module", &ilen);
	uint8_t *v;
	char msg[1024];
	int ret;

	ret = vermagic_of(k, klen, i, ilen, msg, sizeof(msg));
	ok(ret == 0 && !msg[0], "check_vermagic: a module built for the kernel passes");
	/* A vermagic of blanks only: sscanf() left the release unset. */
	v = memmem(i, ilen, "vermagic=", 9);
	if (!v)
		abort();
	for (v += 9; *v; v++)
		*v = ' ';
	ret = vermagic_of(k, klen, i, ilen, msg, sizeof(msg));
	ok(ret != 0 && strstr(msg, "cannot read the vermagic"),
	   "check_vermagic: a vermagic of blanks is unreadable");
	free(i);
	/*
	 * A Debian initrd (mkinitramfs): an uncompressed early cpio (CPU
	 * microcode) padded with zeros to 512 bytes, then the main archive,
	 * zstd compressed, with fastboot.ko where DKMS installs it.
	 */
	i = corpus_file("debian-early-cpio-then-zstd", &ilen);
	ret = vermagic_of(k, klen, i, ilen, msg, sizeof(msg));
	ok(ret == 0 && !msg[0],
	   "check_vermagic: a Debian initrd (early cpio, then zstd) carrying a matching fastboot.ko passes");
	free(k);
	free(i);
	ok_no_leak("check_vermagic");
}

/* Append a newc entry (a regular file; "" for the trailer) at buf + off. */
static size_t newc_put(uint8_t *buf, size_t off, const char *name,
		       const void *data, size_t len)
{
	size_t nl = strlen(name[0] ? name : "TRAILER!!!") + 1;

	off += (size_t)sprintf((char *)buf + off,
		"070701%08x%08x%08x%08x%08x%08x%08zx%08x%08x%08x%08x%08zx%08x",
		1u, name[0] ? 0100644u : 0u, 0u, 0u, 1u, 0u, len, 0u, 0u, 0u, 0u,
		nl, 0u);
	memcpy(buf + off, name[0] ? name : "TRAILER!!!", nl);
	off = (off + nl + 3) & ~(size_t)3;
	if (len)
		memcpy(buf + off, data, len);
	return (off + len + 3) & ~(size_t)3;
}

/* One file of a test archive: its name and contents (KO_LEN bytes). */
struct ko_entry {
	const char *name;
	const uint8_t *data;
};
#define KO_LEN 0x230	/* the module in corpus-bootimg/cpio-module */

/* check_vermagic of kernel k with an initrd of the n files e, in order */
static int vermagic_with(const uint8_t *k, size_t klen,
			 const struct ko_entry *e, int n, char *msg,
			 size_t msg_len)
{
	static uint8_t buf[8192];
	size_t off = 0;
	int j;

	for (j = 0; j < n; j++)
		off = newc_put(buf, off, e[j].name, e[j].data, KO_LEN);
	off = newc_put(buf, off, "", NULL, 0);
	return vermagic_of(k, klen, buf, off, msg, msg_len);
}

/*
 * Which fastboot.ko counts: the one modprobe loads, under
 * lib/modules/<release>/, wins over one of another kernel or one kept
 * outside the modules tree, in either order; without one there, the
 * last found is checked as before.
 */
static void test_vermagic_in_tree(void)
{
	size_t klen, ilen;
	uint8_t *k = corpus_file("bzimage-header", &klen);
	uint8_t *i = corpus_file("cpio-module", &ilen);
	uint8_t *ko = memmem(i, ilen, "\177ELF", 4), *v, other[KO_LEN];
	const char *mine = "lib/modules/6.1.0-56-amd64/extra/fastboot.ko";
	char msg[1024];
	int ret;

	if (!ko || (size_t)(ko - i) + KO_LEN > ilen)
		abort();
	memcpy(other, ko, KO_LEN);
	v = memmem(other, KO_LEN, "vermagic=6.1.0-56", 17);
	if (!v)
		abort();
	memcpy(v + 15, "99", 2);	/* 6.1.0-99-amd64 */

	ret = vermagic_with(k, klen, (const struct ko_entry[]){
		{ mine, ko }, { "lib/fastboot-old/fastboot.ko", other } },
		2, msg, sizeof(msg));
	ok(ret == 0 && !msg[0],
	   "check_vermagic: the module under lib/modules/<release>/ wins over a later copy outside the tree");
	ret = vermagic_with(k, klen, (const struct ko_entry[]){
		{ mine, ko },
		{ "lib/modules/6.1.0-99-amd64/extra/fastboot.ko", other } },
		2, msg, sizeof(msg));
	ok(ret == 0 && !msg[0],
	   "check_vermagic: ... and over a later one of another kernel");
	ret = vermagic_with(k, klen, (const struct ko_entry[]){
		{ "usr/lib/modules/6.1.0-99-amd64/fastboot.ko", other },
		{ "./usr/lib/modules/6.1.0-56-amd64/fastboot.ko.zz", other },
		{ "/usr/lib/modules/6.1.0-56-amd64/fastboot.ko", ko } },
		3, msg, sizeof(msg));
	ok(ret == 0 && !msg[0],
	   "check_vermagic: usr/lib/modules/<release>/ after another kernel's (and a file that is no module)");
	ret = vermagic_with(k, klen, (const struct ko_entry[]){
		{ "lib/fastboot-old/fastboot.ko", other } }, 1, msg, sizeof(msg));
	ok(ret != 0 && strstr(msg, "lib/fastboot-old/fastboot.ko is built for 6.1.0-99-amd64"),
	   "check_vermagic: only another kernel's module, outside the tree: refused, naming it");
	free(k);
	free(i);
	ok_no_leak("check_vermagic, in the tree");
}

static void put_record(const char *name, const struct img *img)
{
	char rec[RECORD_MAX];
	size_t len = img_record_format(img, rec, sizeof(rec));

	if (!len || cl_put(-1, name, FASTBOOT_OBJ_BLOB, rec, len, NULL))
		abort();
}

/* More than 64 records: commit_image must still drop every old one. */
static void test_many_records(void)
{
	static struct records r;
	static struct img img;
	static char rec[RECORD_MAX];
	struct fastboot_info in;
	uint32_t index = 0;
	size_t rec_len;
	char name[64];
	int i, left = 0, ret;

	memset(&img, 0, sizeof(img));
	strcpy(img.kernel.name, "kernel");
	strcpy(img.kernel.path, "/boot/vmlinuz");
	strcpy(img.cmdline, "root=/dev/vda");
	img.has_cmdline = true;
	for (i = 1; i <= 100; i++) {
		snprintf(name, sizeof(name), IMG_RECORD_PREFIX "%d", i);
		put_record(name, &img);
	}
	ret = load_records(-1, &r);
	ok(ret == 0 && r.have_cur && r.n_cur == 100 && r.have_prev &&
	   r.n_prev == 99, "load_records: 100 records, current 100, previous 99");
	rec_len = img_record_format(&img, rec, sizeof(rec));
	ret = commit_image(-1, &img, &r, IMG_RECORD_PREFIX "101", rec, rec_len,
			   false);
	while (!cl_next(-1, &index, &in))
		left += !strncmp(in.name, IMG_RECORD_PREFIX, strlen(IMG_RECORD_PREFIX));
	ok(ret == 0 && left == 2 && find(IMG_RECORD_PREFIX "101") >= 0 &&
	   find(IMG_RECORD_PREFIX "100") >= 0,
	   "commit_image: of 101 records, the new and the current are left");
	records_free(&r);
	store_clear();
	ok_no_leak("load_records and commit_image");
}

/* touch ROOT/PATH (directories made as needed) */
static void touch(const char *root, const char *path)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/boot", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s%s", root, path);
	f = fopen(p, "w");
	if (!f)
		abort();
	fclose(f);
}

/*
 * The default image with no image option and nothing configured: /vmlinuz
 * and /initrd.img, else /boot/vmlinuz and /boot/initrd.img; no initramfs
 * when there is none; the running command line unless --cmdline.
 */
static void test_default_image(void)
{
	char root[] = "/tmp/fb-default-XXXXXX", p[512];
	struct opts o;

	if (!mkdtemp(root))
		abort();
	memset(&o, 0, sizeof(o));
	default_image(&o, root);
	ok(o.default_image && !strcmp(o.kernel, "/boot/vmlinuz") && !o.n_initrd &&
	   o.reuse_cmdline,
	   "default image: with no kernel anywhere, /boot/vmlinuz is named (the error names it)");
	touch(root, "/boot/vmlinuz");
	touch(root, "/boot/initrd.img");
	memset(&o, 0, sizeof(o));
	default_image(&o, root);
	ok(!strcmp(o.kernel, "/boot/vmlinuz") && o.n_initrd == 1 &&
	   !strcmp(o.initrd[0], "/boot/initrd.img"),
	   "default image: /boot/vmlinuz + /boot/initrd.img (link_in_boot)");
	touch(root, "/vmlinuz");
	memset(&o, 0, sizeof(o));
	default_image(&o, root);
	ok(!strcmp(o.kernel, "/vmlinuz") && !o.n_initrd,
	   "default image: /vmlinuz without /initrd.img boots without initramfs");
	touch(root, "/initrd.img");
	memset(&o, 0, sizeof(o));
	o.cmdline = "root=/dev/vda";
	default_image(&o, root);
	ok(!strcmp(o.kernel, "/vmlinuz") && o.n_initrd == 1 &&
	   !strcmp(o.initrd[0], "/initrd.img") && !o.reuse_cmdline,
	   "default image: /vmlinuz + /initrd.img, with --cmdline kept");
	for (const char *const *f = (const char *const[]){ "/vmlinuz", "/initrd.img",
			"/boot/vmlinuz", "/boot/initrd.img", "/boot", NULL }; *f; f++) {
		snprintf(p, sizeof(p), "%s%s", root, *f);
		remove(p);
	}
	rmdir(root);
}

/* Append a newc entry name (mode) holding data to buf at off; the new off. */
static size_t cpio_add(char *buf, size_t cap, size_t off, const char *name,
		       unsigned int mode, const char *data)
{
	size_t n = strlen(data);

	off += (size_t)snprintf(buf + off, cap - off, "070701%08x%08x%08x%08x%08x%08x%08zx%08x%08x%08x%08x%08zx%08x%s",
				1, mode, 0, 0, 1, 0, n, 0, 0, 0, 0, strlen(name) + 1, 0, name);
	off++;
	while (off & 3)
		buf[off++] = 0;
	memcpy(buf + off, data, n);
	off += n;
	while (off & 3)
		buf[off++] = 0;
	return off;
}

static size_t cpio_end(char *buf, size_t cap, size_t off)
{
	off += (size_t)snprintf(buf + off, cap - off, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08xTRAILER!!!",
				0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 11, 0) + 1;
	while (off & 3)
		buf[off++] = 0;
	return off;
}

/*
 * A base of the tool at path (mode, contents) and, if decl, the
 * declaration with contents decl; its base_runs_boot().
 */
static bool base_with(const char *path, unsigned int mode, const char *tool,
		      const char *decl)
{
	static char buf[4096];
	size_t n = cpio_add(buf, sizeof(buf), 0, path, mode, tool);

	if (decl)
		n = cpio_add(buf, sizeof(buf), n, FB_BOOT_DECLARATION, 0100644, decl);
	n = cpio_end(buf, sizeof(buf), n);
	return base_runs_boot((uint8_t *)buf, n);
}

/* deliver: which bases run `fastboot boot`. */
static void test_base_runs_boot(void)
{
	static char buf[4096];
	const char *tool = "ELF... " FB_BOOT_PROTOCOL " ...", *decl = FB_BOOT_PROTOCOL "\n";
	size_t n;

	ok(base_with("usr/sbin/fastboot", 0100755, tool, decl),
	   "deliver: a base with a usr/sbin/fastboot that knows boot, declaring that it runs it, runs it");
	ok(base_with("./sbin/fastboot", 0100755, FB_BOOT_PROTOCOL, decl),
	   "deliver: ./sbin/fastboot counts too");
	ok(!base_with("usr/sbin/fastboot", 0100755, tool, NULL),
	   "deliver: the tool without the declaration (a Debian initrd carries it to attach the store) does not");
	ok(!base_with("usr/sbin/fastboot", 0100755, tool, "yes\n"),
	   "deliver: a declaration without the protocol does not count");
	ok(!base_with("usr/sbin/fastboot", 0100755, "an older tool", decl),
	   "deliver: an older tool cannot run boot");
	ok(!base_with("usr/sbin/fastboot", 0100644, FB_BOOT_PROTOCOL, decl),
	   "deliver: a tool that is not executable cannot");
	ok(!base_with("usr/bin/other", 0100755, FB_BOOT_PROTOCOL, decl),
	   "deliver: the string elsewhere does not count");
	/* the last entry of a name wins, as in the unpacked initramfs */
	n = cpio_add(buf, sizeof(buf), 0, "usr/sbin/fastboot", 0100755, tool);
	n = cpio_add(buf, sizeof(buf), n, FB_BOOT_DECLARATION, 0100644, decl);
	n = cpio_add(buf, sizeof(buf), n, "usr/sbin/fastboot", 0100755, "an older tool");
	n = cpio_end(buf, sizeof(buf), n);
	ok(!base_runs_boot((uint8_t *)buf, n), "deliver: a later older tool replaces the one that knew boot");
	ok(!base_runs_boot((uint8_t *)"garbage", 7), "deliver: an unreadable base cannot");
	ok_no_leak("base_runs_boot");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("KTAP version 1\n");
	test_exactmap_too_large();
	test_exactmap_keeps_reserved();
	test_vermagic_map_fails();
	test_vermagic();
	test_vermagic_in_tree();
	test_many_records();
	test_default_image();
	test_base_runs_boot();
	printf("1..%d\n", n_test);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
