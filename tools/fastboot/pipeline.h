/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * fastboot tool: the steps of `fastboot update` and `fastboot arm`, each a
 * unit a reader finds by name, and the image records they share with
 * `fastboot boot`, `status` and `log`:
 *
 *   plan     (plan.c)     which sources must be read (and the space needed)
 *   store    (plan.c)     new content into the store as boot objects
 *   deliver  (deliver.c)  what goes through kexec (the kernel and the base
 *                         initramfs) into memory files, checked; what the
 *                         next kernel's `fastboot boot` takes from the store
 *   load     (update.c)   kexec_file_load() (or kexec(8))
 *   commit   (record.c)   the image record, and what no kept image uses goes
 *
 * update.c drives them (run_update) and owns the options and the command
 * line.
 */
#ifndef FASTBOOT_PIPELINE_H
#define FASTBOOT_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "image.h"

#define RECORD_MAX	(64u << 10)	/* an image record, the memory map */

/* record.c: the image records found in the store. */
/* The image records found in the store. */
struct records {
	struct img cur, prev, rec;
	bool have_cur, have_prev, have_rec;
	unsigned long n_cur, n_prev;	/* their N in img.<N> */
	char (*names)[64];		/* every img.<N> object, for cleanup */
	int n_names;
};

void records_free(struct records *r);
/* img.<N>: N, or -1 if name is not a record's. */
int record_number(const char *name, unsigned long *n);
/*
 * Read record name from the store (digest checked) and parse it into img;
 * 0, or non-zero with a message printed.
 */
int load_record(int fd, const char *name, struct img *img);
/* The current, previous and recovery records, and every img.<N> name. */
int load_records(int fd, struct records *r);
/* Is the content sha (size bytes) in the store as a boot object? */
bool in_store(int fd, const uint8_t sha[32], uint64_t size);
/*
 * Remove the verified block devices over object name, so that it can be
 * removed or replaced: false if one of them is open (mounted).
 */
bool release_devices(int fd, const char *name);
/* Commit: record the image as name; drop what no kept image uses. */
int commit_image(int fd, struct img *img, const struct records *r,
		 const char *name, const char *rec, size_t len, bool crash);

/* plan.c: plan and store. */
int plan(int fd, bool verify, struct img *img, const struct records *r,
	 uint64_t *bytes_read);
/* Bytes of new objects the image needs, plus extra. */
uint64_t space_needed(int fd, const struct img *img, uint64_t extra);
/* Map and hash a module's source (its digest checked if known). */
int read_source(struct img_module *m, int sfd, uint64_t *bytes_read);
void make_tag(const struct img_module *m, uint8_t tag[48]);

/* Objects this run added, removed again if the update fails. */
struct added {
	char names[2 * (IMG_MAX_INITRDS + 1)][64];	/* modules and trees */
	int n;
};

void drop_added(int fd, struct added *a);
/* Is the hash tree of root hash root (for size bytes) in the store? */
bool tree_in_store(int fd, const uint8_t root[32], uint64_t size);
/* Store the hash tree m->tree unless it is there (added: NULL or the list). */
int store_tree(int fd, const struct img_module *m, struct added *added);
int store_new(int fd, struct img *img, struct added *added);

/* deliver.c */
struct deliver_opts {
	bool dry;		/* read sources taken as they are, store unchanged */
	bool force;		/* a fastboot.ko that does not match: a warning */
	bool verify;		/* read back what stays in the store too */
};

/*
 * Deliver: the kernel into kfd and the modules that go through kexec into
 * ifd (-1 when the image has no initramfs module), each SHA-256-checked
 * on the way; sets each module's delivery; checks the base's fastboot.ko
 * against the kernel (release into release) and that every module left in
 * the store is there, whole-object digest and size as recorded.
 */
int deliver(int fd, struct img *img, int kfd, int ifd,
	    const struct deliver_opts *o, char *release, size_t rel_len);
/*
 * Does a base initramfs (buf, len) run `fastboot boot`: does it carry
 * usr/sbin/fastboot or sbin/fastboot with FB_BOOT_PROTOCOL in it, and
 * FB_BOOT_DECLARATION, a file holding FB_BOOT_PROTOCOL that whoever built
 * the base puts there when its init runs `fastboot boot` before anything
 * else?  The tool alone is not enough: an initrd may carry it for other
 * reasons (Debian's initramfs-tools hook does, to attach the store), and
 * modules left in the store for a base that never runs `fastboot boot`
 * would be missing without a word.
 */
bool base_runs_boot(const uint8_t *buf, size_t len);
/* In every tool that can run `fastboot boot` (deliver looks for it). */
#define FB_BOOT_PROTOCOL	"fastboot-boot-protocol 1"
#define FB_BOOT_DECLARATION	"etc/fastboot/boot"

#endif
