# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# make bench, section 2b (crash recovery of an image by reference), one
# repetition per VM boot.  The disk (scripts/bench.sh) has vmlinuz,
# base.cpio.gz (this initramfs), m1..m8.cpio (16 MiB each), fs.img (an
# erofs image), byref.manifest (kernel, initrd base, module m1..m8, mount
# fs) and full.cpio (base + m1..m8 + fs.img in an archive, the same image
# as one initrd).
#   fbbench.method=byref: fastboot arm --image byref.manifest: only the
#     kernel and the base go into the crash reservation; the crash
#     kernel's `fastboot boot` takes the rest from the sealed store.
#     fbbench.crashsize=SIZE shrinks the reservation first
#     (/sys/kernel/kexec_crash_size), to find how small it can be (method
#     byref-MIB).
#   fbbench.method=mount-MIB: the same with mount.manifest (kernel, base
#     and the erofs image only: no archive to unpack into the crash
#     kernel's memory).
#   fbbench.method=kexec-p: kexec -s -p of kernel + full.cpio (the
#     reservation must hold the whole image, and the crash kernel unpacks
#     it), module loaded, not armed; the crash kernel loop-mounts fs.img.
# Then a panic (sysrq c); the host times "Kernel panic" -> BENCH-READY
# (every module in place), and "BENCH-V crashbyref ... reached=1" says the
# crash kernel got there.
#   stage 1: load, panic        stage 2: (crash kernel) ready, power off
# Command line: fbbench fbbench.method=M fbbench.rep=N [fbbench.crashsize=S]
. /selftests/bench/lib.sh

stage_1() {
	m=$(fb_arg fbbench.method)
	rep=$(fb_arg fbbench.rep)
	ktap_check "disk mounted" bench_mount
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	sz=$(fb_arg fbbench.crashsize 2>/dev/null || true)
	if [ -n "$sz" ]; then
		ktap_check "crash reservation shrunk to $sz bytes" sh -c \
			"echo $sz >/sys/kernel/kexec_crash_size && test \$(cat /sys/kernel/kexec_crash_size) -le $sz"
	fi
	if [ "${m%%-*}" = byref ] || [ "${m%%-*}" = mount ]; then
		_mf=$D/byref.manifest
		[ "${m%%-*}" = mount ] && _mf=$D/mount.manifest
		ktap_check "fastboot arm by reference" sh -c \
			"fastboot arm --image $_mf --append 'fbstage=2 fbbyref' >/tmp/arm.out 2>&1"
		fb_diag_file /tmp/arm.out 6
	else
		cl=$(_fb_next_cmdline kdump)
		ktap_check "kexec -s -p of the whole image" sh -c \
			"kexec -s -p $D/vmlinuz --initrd=$D/full.cpio --command-line='$cl' >/tmp/arm.out 2>&1"
		fb_diag_file /tmp/arm.out 3
	fi
	ktap_check "crash kernel loaded" grep -qx 1 /sys/kernel/kexec_crash_loaded
	fb_out "BENCH-V crashbyref $m $rep reservation_bytes=$(cat /sys/kernel/kexec_crash_size)"
	fb_panic "BENCH-T0 crashbyref $m $rep"
}

stage_2() {
	m=$(fb_arg fbbench.method)
	rep=$(fb_arg fbbench.rep)
	if [ "$m" = kexec-p ]; then
		modprobe loop && modprobe erofs && mkdir -p /opt/fs &&
			mount -t erofs -o ro,loop /bench-fs/fs.img /opt/fs &&
			echo "BENCH-READY"
	fi
	ktap_check "running as the crash kernel" test -e /proc/vmcore
	if [ "$m" != kexec-p ]; then
		ktap_check "fastboot boot succeeded" test "$(cat /run/fbboot.rc 2>/dev/null)" = 0
		fb_diag_file /run/fbboot.out 2
	fi
	_n=8
	[ "${m%%-*}" = mount ] && _n=0
	if in_place $_n; then
		ktap_ok "every module in place"
		fb_out "BENCH-V crashbyref $m $rep reached=1 mem_kib=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)"
	else
		ktap_fail "every module in place" "$(cat /tmp/inplace.out)"
	fi
}

# in_place N: N module archives unpacked, fs.img mounted at /opt/fs
in_place() {
	_got=$(ls /bench-data/*.bin 2>/dev/null | wc -l)
	echo "$_got of $1 module archives; $(grep ' /opt/fs ' /proc/mounts)" >/tmp/inplace.out
	[ "$_got" = "$1" ] && grep -q ' /opt/fs erofs ro' /proc/mounts
}
