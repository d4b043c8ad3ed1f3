// SPDX-License-Identifier: GPL-2.0
/*
 * fastboot_poke: TEST ONLY.  Flips bits of physical memory so that the
 * selftests can damage a store on purpose: loading it XORs the byte at
 * addr + offset with xor (when xor is not 0), then it stays loaded until
 * removed.  With claim=SIZE it also claims [addr, addr + SIZE) as busy
 * until removed, so that a test can check that fastboot refuses a region
 * someone else owns.  It ignores resource claims when flipping, which is
 * exactly what makes it unfit for anything else.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

static unsigned long long addr;
static unsigned long long offset;
static unsigned int xor = 0x01;
static unsigned long long claim;
static struct resource *claimed;
module_param(addr, ullong, 0444);
module_param(claim, ullong, 0444);
module_param(offset, ullong, 0444);
module_param(xor, uint, 0444);

static int __init fastboot_poke_init(void)
{
	phys_addr_t pa = addr + offset;
	u8 *p;

	if (!addr || xor > 0xff)
		return -EINVAL;
	if (claim) {
		claimed = request_mem_region(addr, claim, "fastboot_poke");
		if (!claimed)
			return -EBUSY;
	}
	if (!xor)
		return 0;
	p = memremap(pa & PAGE_MASK, PAGE_SIZE, MEMREMAP_WB);
	if (!p) {
		if (claimed)
			release_mem_region(addr, claim);
		return -ENOMEM;
	}
	p[pa & ~PAGE_MASK] ^= xor;
	pr_info("flipped %#x at %pa\n", xor, &pa);
	memunmap(p);
	return 0;
}

static void __exit fastboot_poke_exit(void)
{
	if (claimed)
		release_mem_region(addr, claim);
}

module_init(fastboot_poke_init);
module_exit(fastboot_poke_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("fastboot selftest helper: flip bits in physical memory");
