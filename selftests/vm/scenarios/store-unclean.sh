# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# A panic whose crash kexec runs before the panic notifiers (the default,
# crash_kexec_post_notifiers=N) leaves the store unsealed: the next boot
# reports reason "unclean", with every committed object intact.
. /selftests/fastboot.sh

stage_1() {
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	rm -f "$FB_STATE/sums"
	ktap_check "put 64 KiB" fb_put_random kept 65536
	ktap_check "crash_kexec_post_notifiers is off" \
		grep -qx N /sys/module/kernel/parameters/crash_kexec_post_notifiers
	panic_to_next_stage file
}

stage_2() {
	ktap_check "module loads in the kdump kernel" modprobe fastboot
	ktap_check "status: boot 2, reason unclean" \
		fb_status_has '"boot":{"count":2,"reason":"unclean"}'
	ktap_check "objects intact" fb_verify_all
	ktap_check "no kernel warnings" dmesg_clean
}
