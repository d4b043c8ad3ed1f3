# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Crash recovery and tiered boot.  The boot image and the state for later
# stages live on the virtio disk (/mnt): after `fastboot update` the root
# file system comes from the stored modules.
#   stage 1: production image v1; update into it
#   stage 2: a crash kernel loaded by kdump tools is left alone without
#            --force; fastboot arm; objects; panic (sysrq c)
#   stage 3: (crash kernel) reason crash, crash record, objects intact;
#            arming without crashkernel= fails; update --from-store
#   stage 4: full memory again, store intact
. /selftests/fastboot.sh

D=/mnt
FB_STATE=$D/state

mem_kb() {
	sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo
}

stage_1() {
	ktap_check "disk mounted" fb_disk_mount
	mkdir -p "$FB_STATE"
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	fb_base_image "$D"
	printf 'name production\nkernel %s/vmlinuz\ninitrd base %s/base.cpio.gz\nreuse-cmdline\n' \
		"$D" "$D" >"$D/prod.manifest"
	fb_update_to_next_stage --image "$D/prod.manifest"
}

crash_loaded() {	# crash_loaded 0|1
	test "$(cat /sys/kernel/kexec_crash_loaded)" = "$1"
}

# kdump_load: load a crash kernel as kdump tools do, with kexec -p.
kdump_load() {
	kexec -p /boot/vmlinuz --command-line="$(_fb_next_cmdline kdump)" &&
		crash_loaded 1
}

# kdump_checks: arm and disarm leave a crash kernel they did not load
# alone unless given --force.
kdump_checks() {
	ktap_check "a crash kernel loaded with kexec -p" kdump_load
	ktap_check "arm refuses to replace it" \
		fb_expect_fails fastboot arm --image "$D/prod.manifest"
	ktap_check "... naming kdump and --force" \
		sh -c 'grep -q "kdump" /tmp/.fb_out && grep -q -- "--force" /tmp/.fb_out'
	ktap_check "... and leaves it loaded, not armed" \
		sh -c 'grep -qx 1 /sys/kernel/kexec_crash_loaded && fastboot status --json | grep -q "\"armed\":false"'
	ktap_check "disarm refuses to unload it" fb_expect_fails fastboot disarm
	ktap_check "... and leaves it loaded" crash_loaded 1
	ktap_check "disarm --force unloads it" fastboot disarm --force
	ktap_check "... no crash kernel loaded" crash_loaded 0
	ktap_check "a crash kernel loaded with kexec -p again" kdump_load
	ktap_check "arm --force replaces it" \
		sh -c "fastboot arm --force --image $D/prod.manifest >/tmp/arm.out 2>&1"
	fb_diag_file /tmp/arm.out 3
	ktap_check "... armed" fb_status_has '"armed":true'
	ktap_check "disarm unloads what arm loaded" fastboot disarm
	ktap_check "... no crash kernel loaded, not armed" \
		sh -c 'grep -qx 0 /sys/kernel/kexec_crash_loaded && fastboot status --json | grep -q "\"armed\":false"'
}

stage_2() {
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "module loads" modprobe fastboot
	ktap_check "booted the production image" fb_status_has '"image":"img.1"'
	ktap_check "not armed yet" fb_status_has '"armed":false'
	kdump_checks
	ktap_check "arm with the production image" \
		sh -c "fastboot arm --image $D/prod.manifest --append fbstage=3 >/tmp/arm.out 2>&1"
	fb_diag_file /tmp/arm.out 5
	ktap_check "status: armed with the recovery image" \
		fb_status_has '"armed":true,"armed_image":"img.recovery"'
	ktap_check "crash_kexec_post_notifiers set" \
		grep -qx Y /sys/module/kernel/parameters/crash_kexec_post_notifiers
	ktap_check "arm read nothing from disk (all from the store)" \
		grep -q 'read 0 B from disk' /tmp/arm.out
	rm -f "$FB_STATE/sums"
	ktap_check "put 1 MiB" fb_put_random state-1m 1048576
	ktap_check "put 4 KiB + 1 B" fb_put_random state-page 4097
	ktap_check "disarm" fastboot disarm
	ktap_check "status: not armed" fb_status_has '"armed":false'
	ktap_check "arm again" sh -c "fastboot arm --image $D/prod.manifest --append fbstage=3 >/dev/null 2>&1"
	fb_panic "# panic into the armed recovery image (stage 3)"
}

stage_3() {
	ktap_check "running as the crash kernel" test -e /proc/vmcore
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "module loads" modprobe fastboot
	ktap_check "boot reason crash" fb_status_has '"reason":"crash"'
	ktap_check "booted the recovery image" fb_status_has '"image":"img.recovery"'
	fastboot log --json >/tmp/log.json 2>&1
	ktap_check "crash record: the panic message" \
		grep -q '"crash":{"boot":2,[^}]*"message":"sysrq triggered crash' /tmp/log.json
	ktap_check "crash record: the log tail is complete" \
		grep -q '"complete":true' /tmp/log.json
	ktap_check "crash record: the log tail has the panic" \
		grep -q 'Kernel panic - not syncing: sysrq triggered crash' /tmp/log.json
	ktap_check "every object intact" fb_verify_all
	ktap_check "only crashkernel memory ($(mem_kb) kB)" test "$(mem_kb)" -lt 600000
	ktap_check "arming without crashkernel= fails and says how to fix it" \
		sh -c "fastboot arm --from-store 2>&1 | grep -q 'add crashkernel='"
	fb_dmesg_report
	ktap_end
	fb_out "# fastboot update --from-store into stage 4"
	sync
	fastboot update --from-store --append fbstage=4 --now >/dev/console 2>&1
	_fb_kexec_failed "fastboot update --from-store" "returned"
}

stage_4() {
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "module loads" modprobe fastboot
	ktap_check "full memory again ($(mem_kb) kB)" test "$(mem_kb)" -gt 1000000
	ktap_check "not a crash kernel" test ! -e /proc/vmcore
	ktap_check "boot reason update" fb_status_has '"reason":"update"'
	ktap_check "every object intact" fb_verify_all
	ktap_check "history: crash, then update" \
		sh -c 'fastboot log --json | grep -q "\"boot\":3,\"reason\":\"crash\".*\"boot\":4,\"reason\":\"update\""'
	ktap_check "no kernel warnings" dmesg_clean
}
