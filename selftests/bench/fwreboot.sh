# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# make bench, section 1 (and 1b), method firmware: QEMU runs without
# -no-reboot, so `reboot -f` resets the machine; SeaBIOS boots the same
# -kernel and -initrd (the full image, loaded by QEMU's fw_cfg from the
# host, not from the throttled disk) with the same command line.  Every
# boot is stage 1; the repetition count lives on the disk (/dev/vda).
# With fbbench.section=byref the image also holds the file system image
# of section 1b (bench-fs/fs.img): it is loop-mounted at /opt/fs and
# BENCH-READY printed, as the methods through kexec of that section do.
# Command line: fbbench fbbench.reps=N [fbbench.section=byref]
. /selftests/bench/lib.sh

SECTION=$(fb_arg fbbench.section 2>/dev/null || echo update)

fs_ready() {
	modprobe loop && modprobe erofs && mkdir -p /opt/fs &&
		mount -t erofs -o ro,loop /bench-fs/fs.img /opt/fs || return 1
	echo "BENCH-READY"
}

stage_1() {
	if [ "$SECTION" = byref ]; then
		# not in ktap_check, which keeps a command's output
		if fs_ready; then
			ktap_ok "file system image mounted"
		else
			ktap_fail "file system image mounted" "mount -o loop failed"
		fi
	fi
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
	fb_out "BENCH-T0 $SECTION firmware $n"
	reboot -f
	sleep 10
	_fb_kexec_failed "reboot -f" "returned"
}
