# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# The booted image is known however the module is loaded (issue #18): the
# store carries it across the reboot, the command line cross-checks it.
#   stage 1: image v1 on the disk; update into it
#   stage 2: insmod: img.1 in status and log; update again (img.2)
#   stage 3: modprobe: img.2; update --rollback (img.3)
#   stage 4: insmod: img.3; update --no-exec (img.4), then a kexec of
#            something else without fastboot.image= replaces it
#   stage 5: insmod: no image (the store names img.4, the command line
#            none); a plain kexec that copies fastboot.image=img.3
#   stage 6: modprobe: no image (the store names none, the command line
#            img.3); arm; panic
#   stage 7: (crash kernel) insmod: the recovery image
. /selftests/fastboot.sh

D=/mnt

image_is() {	# image_is NAME: status and this boot's log entry say NAME
	fb_status_has "\"image\":\"$1\"" &&
		fastboot log --json | grep -q "\"boot\":$(fb_json_num count),[^}]*\"image\":\"$1\""
}

no_image() {	# status has no image and this boot's log entry none
	fastboot status --json >/tmp/.st && cat /tmp/.st &&
		! grep -q '"image":' /tmp/.st &&
		fastboot log --json | grep -q "\"boot\":$(fb_json_num count),[^}]*\"image\":\"\""
}

# kexec_plain CMDLINE: what an admin's own kexec does, fastboot not asked.
kexec_plain() {
	_fb_pack_rootfs || _fb_kexec_failed "pack rootfs" "cpio failed"
	if ! kexec -s -l /boot/vmlinuz --initrd=/tmp/next.cpio \
			--command-line="$1" >/tmp/.fb_kexec.out 2>&1; then
		_fb_kexec_failed "kexec -s -l" "kexec load failed"
	fi
	fb_dmesg_report
	ktap_end
	fb_out "# plain kexec -s into stage $((FB_STAGE + 1))"
	sync
	kexec -e >/tmp/.fb_kexec.out 2>&1
	_fb_kexec_failed "kexec -e" "kexec -e returned"
}

stage_1() {
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "module loads (modprobe)" modprobe fastboot
	ktap_check "format" fastboot format
	ktap_check "a fresh store: no image" no_image
	fb_base_image "$D"
	printf 'name v1\nkernel %s/vmlinuz\ninitrd base %s/base.cpio.gz\nreuse-cmdline\n' \
		"$D" "$D" >"$D/v1.manifest"
	fb_update_to_next_stage --image "$D/v1.manifest"
}

stage_2() {
	ktap_check "module loads (insmod, no parameters from the command line)" fb_load
	ktap_check "no image= parameter" \
		sh -c '! grep -q img /sys/module/fastboot/parameters/image'
	ktap_check "boot reason update" fb_status_has '"reason":"update"'
	ktap_check "insmod after update: status and log show img.1" image_is img.1
	ktap_check "no mismatch reported" sh -c '! fastboot status --json | grep -q image_mismatch'
	ktap_check "disk mounted" fb_disk_mount
	fb_update_to_next_stage --image "$D/v1.manifest"
}

stage_3() {
	ktap_check "module loads (modprobe)" modprobe fastboot
	ktap_check "image= parameter img.2" grep -qx img.2 /sys/module/fastboot/parameters/image
	ktap_check "modprobe after update: img.2" image_is img.2
	ktap_check "disk mounted" fb_disk_mount
	fb_update_to_next_stage --rollback
}

stage_4() {
	ktap_check "module loads (insmod)" fb_load
	ktap_check "insmod after rollback: img.3" image_is img.3
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "update --no-exec loads img.4" \
		sh -c "fastboot update --image $D/v1.manifest --no-exec >/tmp/up.out 2>&1"
	fb_diag_file /tmp/up.out 3
	ktap_check "status: next boot img.4" fb_status_has '"next_image":"img.4"'
	# Someone loads another kernel over it, without fastboot.image=.
	kexec_plain "$(_fb_next_cmdline | sed 's/ fastboot\.image=[^ ]*//')"
}

stage_5() {
	ktap_check "module loads (insmod)" fb_load
	ktap_check "no fastboot.image= on this command line" \
		sh -c '! grep -q fastboot.image= /proc/cmdline'
	ktap_check "a kernel fastboot did not load: no image" no_image
	ktap_check "status says why: the store names img.4, the command line none" \
		sh -c 'fastboot status --json | grep -q "\"image_mismatch\":{\"store\":\"img.4\",\"believed\":\"none\",\"why\":"'
	# A plain kexec that copies a stale fastboot.image= along.
	kexec_plain "$(_fb_next_cmdline) fastboot.image=img.3"
}

stage_6() {
	ktap_check "module loads (modprobe)" modprobe fastboot
	ktap_check "the command line says img.3" grep -q 'fastboot.image=img.3' /proc/cmdline
	ktap_check "a plain kexec: no image, not a stale one" no_image
	ktap_check "status says why: only the command line names one" \
		sh -c 'fastboot status --json | grep -q "\"image_mismatch\":{\"cmdline\":\"img.3\",\"believed\":\"none\",\"why\":"'
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "arm the recovery image" \
		sh -c "fastboot arm --image $D/v1.manifest --append fbstage=7 >/tmp/arm.out 2>&1"
	fb_diag_file /tmp/arm.out 3
	ktap_check "no kernel warnings" dmesg_clean
	fb_panic "# panic into the armed recovery image (stage 7)"
}

stage_7() {
	ktap_check "running as the crash kernel" test -e /proc/vmcore
	ktap_check "module loads (insmod)" fb_load
	ktap_check "boot reason crash" fb_status_has '"reason":"crash"'
	ktap_check "insmod after crash recovery: the recovery image" image_is img.recovery
	ktap_check "no kernel warnings" dmesg_clean
}
