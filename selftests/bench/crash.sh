# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# make bench, section 2 (crash recovery), one repetition per VM boot.
# The disk has vmlinuz, base.cpio.gz (this initramfs) and prod.manifest
# (kernel + base).  fbbench.method=fastboot: fastboot arm with that image
# (crash_kexec_post_notifiers: the module seals the store and writes the
# crash record before the crash kexec); fbbench.method=kexec: kexec -s -p
# of the same files with the same command line, module loaded, not armed.
# Then a panic (sysrq c); the host times "Kernel panic" -> BENCH-INIT.
#   stage 1: load, panic        stage 2: (crash kernel) check, power off
# Command line: fbbench fbbench.method=M fbbench.rep=N
. /selftests/bench/lib.sh

stage_1() {
	m=$(fb_arg fbbench.method)
	rep=$(fb_arg fbbench.rep)
	ktap_check "disk mounted" bench_mount
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	if [ "$m" = fastboot ]; then
		ktap_check "fastboot arm" sh -c \
			"fastboot arm --image $D/prod.manifest --append fbstage=2 >/tmp/arm.out 2>&1"
		fb_diag_file /tmp/arm.out 3
		ktap_check "post notifiers on" \
			grep -qx Y /sys/module/kernel/parameters/crash_kexec_post_notifiers
	else
		cl=$(_fb_next_cmdline kdump)
		ktap_check "kexec -s -p" kexec -s -p $D/vmlinuz --initrd=$D/base.cpio.gz \
			--command-line="$cl"
		ktap_check "post notifiers off" \
			grep -qx N /sys/module/kernel/parameters/crash_kexec_post_notifiers
	fi
	ktap_check "crash kernel loaded" grep -qx 1 /sys/kernel/kexec_crash_loaded
	fb_panic "BENCH-T0 crash $m $rep"
}

stage_2() {
	ktap_check "running as the crash kernel" test -e /proc/vmcore
	if [ "$(fb_arg fbbench.method)" = fastboot ]; then
		ktap_check "module loads" modprobe fastboot
		ktap_check "boot reason crash" fb_status_has '"reason":"crash"'
	fi
}
