// SPDX-License-Identifier: GPL-2.0
/*
 * fastboot: reboot and panic hooks that seal the store.
 *
 * An orderly reboot, power-off or kexec (kernel_restart_prepare() runs
 * the reboot notifiers before a kexec) seals the store with reason
 * "update".  A panic seals it with reason "crash" and writes a crash record:
 * the panic notifier stores the message, then a kmsg dumper the end of the
 * kernel log.  Both run before a crash kexec only when
 * crash_kexec_post_notifiers is set (fastboot arm sets it).  Every write
 * of the seal and the crash record is written back from the caches
 * (region.c), so a firmware reboot after a panic finds them in RAM.
 */
#include <linux/notifier.h>
#include <linux/panic_notifier.h>
#include <linux/reboot.h>
#include <asm/smp.h>
#include "compat.h"
#include "fastboot.h"

/*
 * Seal, then write every CPU's caches back to RAM: guest memory that VMMs
 * wrote through their mappings may still be only in a cache, and a
 * firmware reboot need not write it back (a kexec does not need this,
 * but cannot be told apart here; it costs milliseconds).
 */
static int fastboot_reboot_event(struct notifier_block *nb,
				 unsigned long action, void *data)
{
	fastboot_store_seal(&fastboot_store, FB_REASON_UPDATE,
			    fastboot_reboot_is_kexec(action, data));
	wbinvd_on_all_cpus();
	return NOTIFY_DONE;
}

/* data is the panic message. */
static int fastboot_panic_event(struct notifier_block *nb,
				unsigned long action, void *data)
{
	fastboot_store_seal_panic(&fastboot_store, data);
	return NOTIFY_DONE;
}

static void fastboot_dump(enum kmsg_dump_reason reason)
{
	if (reason == KMSG_DUMP_PANIC)
		fastboot_store_crash_log(&fastboot_store);
}

FASTBOOT_KMSG_DUMPER(fastboot_kmsg_dump, fastboot_dump)

static struct kmsg_dumper fastboot_dumper = {
	.dump = fastboot_kmsg_dump,
	.max_reason = KMSG_DUMP_PANIC,
};

static struct notifier_block fastboot_reboot_nb = {
	.notifier_call = fastboot_reboot_event,
};

static struct notifier_block fastboot_panic_nb = {
	.notifier_call = fastboot_panic_event,
	.priority = INT_MAX,	/* before notifiers that may not return */
};

int fastboot_hooks_init(void)
{
	int ret = register_reboot_notifier(&fastboot_reboot_nb);

	if (ret)
		return ret;
	atomic_notifier_chain_register(&panic_notifier_list, &fastboot_panic_nb);
	ret = kmsg_dump_register(&fastboot_dumper);
	if (ret) {
		atomic_notifier_chain_unregister(&panic_notifier_list,
						 &fastboot_panic_nb);
		unregister_reboot_notifier(&fastboot_reboot_nb);
	}
	return ret;
}

void fastboot_hooks_exit(void)
{
	kmsg_dump_unregister(&fastboot_dumper);
	atomic_notifier_chain_unregister(&panic_notifier_list,
					 &fastboot_panic_nb);
	unregister_reboot_notifier(&fastboot_reboot_nb);
}
