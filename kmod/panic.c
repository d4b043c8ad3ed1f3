// SPDX-License-Identifier: GPL-2.0
/*
 * fastboot: reboot and panic hooks that seal the store.
 *
 * An orderly reboot, power-off or kexec (kernel_restart_prepare() runs
 * the reboot notifiers before a kexec) seals the store with reason
 * "update".  A panic seals it with reason "crash"; for the notifier to run
 * before a crash kexec, crash_kexec_post_notifiers must be set (fastboot
 * arm sets it).
 */
#include <linux/notifier.h>
#include <linux/panic_notifier.h>
#include <linux/reboot.h>
#include "fastboot.h"

static int fastboot_reboot_event(struct notifier_block *nb,
				 unsigned long action, void *data)
{
	fastboot_store_seal(&fastboot_store, FB_REASON_UPDATE);
	return NOTIFY_DONE;
}

static int fastboot_panic_event(struct notifier_block *nb,
				unsigned long action, void *data)
{
	fastboot_store_seal_panic(&fastboot_store);
	return NOTIFY_DONE;
}

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
	return 0;
}

void fastboot_hooks_exit(void)
{
	atomic_notifier_chain_unregister(&panic_notifier_list,
					 &fastboot_panic_nb);
	unregister_reboot_notifier(&fastboot_reboot_nb);
}
