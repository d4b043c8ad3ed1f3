# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# make bench, section 1, method firmware: QEMU runs without -no-reboot, so
# `reboot -f` resets the machine; SeaBIOS boots the same -kernel and
# -initrd (the full image, loaded by QEMU's fw_cfg from the host, not from
# the throttled disk) with the same command line.  Every boot is stage 1;
# the repetition count lives on the disk (/dev/vda).
# Command line: fbbench fbbench.reps=N
. /selftests/bench/lib.sh

stage_1() {
	ktap_check "disk mounted" bench_mount
	ktap_check "all 8 modules in the rootfs" \
		test "$(ls /bench-data/*.bin | wc -l)" = 8
	n=$(cat $D/fwcount 2>/dev/null || echo 0)
	n=$((n + 1))
	echo $n >$D/fwcount
	[ $n -le "$(bench_reps)" ] || return 0
	fb_dmesg_report
	ktap_end
	sync
	fb_out "BENCH-T0 update firmware $n"
	reboot -f
	sleep 10
	_fb_kexec_failed "reboot -f" "returned"
}
