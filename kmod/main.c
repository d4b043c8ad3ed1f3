// SPDX-License-Identifier: GPL-2.0
/*
 * fastboot: a persistent store in reserved RAM that survives kexec and
 * panic reboots.  Module entry points and parameters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include "fastboot.h"

static char *region;
module_param(region, charp, 0444);
MODULE_PARM_DESC(region, "reserved RAM holding the store: SIZE@ADDR, e.g. 256M@0x40000000");

char *fastboot_image_param;
module_param_named(image, fastboot_image_param, charp, 0444);
MODULE_PARM_DESC(image, "name of the boot image this kernel was booted with (set by fastboot update)");

static int __init fastboot_init(void)
{
	struct fastboot_store *st = &fastboot_store;
	phys_addr_t start;
	u64 size;
	int ret;

	ret = fastboot_region_parse(region, &start, &size);
	if (ret)
		return ret;
	ret = fastboot_region_claim(&st->region, start, size);
	if (ret)
		return ret;
	ret = fastboot_store_attach(st);
	if (ret)
		goto err_store;
	ret = fastboot_hooks_init();
	if (ret)
		goto err_store;
	ret = fastboot_dev_init();
	if (ret)
		goto err_hooks;
	ret = fastboot_guestfs_init();
	if (ret)
		goto err_dev;
	ret = fastboot_vdev_init();
	if (ret)
		goto err_guestfs;
	return 0;

err_guestfs:
	fastboot_guestfs_exit();
err_dev:
	fastboot_dev_exit();
err_hooks:
	fastboot_hooks_exit();
err_store:
	fastboot_store_detach(st);
	fastboot_region_release(&st->region);
	return ret;
}

static void __exit fastboot_exit(void)
{
	struct fastboot_store *st = &fastboot_store;

	fastboot_guestfs_exit();
	fastboot_dev_exit();
	/* no ioctl runs now: the devices go, unpinning their objects */
	fastboot_vdev_exit();
	fastboot_hooks_exit();
	fastboot_store_detach(st);
	fastboot_region_release(&st->region);
}

module_init(fastboot_init);
module_exit(fastboot_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("fastboot developers");
MODULE_DESCRIPTION("Persistent RAM store that survives kexec and panic reboots");
