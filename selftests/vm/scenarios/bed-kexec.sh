# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh disable=SC2016
#
# Test the test bed itself (no fastboot module needed): state and command
# line survive kexec_load (stage 1 -> 2), kexec_file_load (2 -> 3) and a
# panic into a kdump kernel (3 -> 4), and the memmap= reserved region
# 0x40000000-0x4fffffff is present in every stage, including the kdump one.

check_stage() {
	ktap_check "running stage $1 (fbstage=$1 on cmdline)" \
		sh -c "[ \"\$(cat /proc/cmdline | tr ' ' '\n' | grep '^fbstage=')\" = fbstage=$1 ]"
}

check_memmap() {
	ktap_check "memmap region 40000000-4fffffff reserved in /proc/iomem" \
		fb_iomem_has 40000000-4fffffff Reserved
	ktap_check "memmap= option on the command line" \
		grep -q 'memmap=256M\$0x40000000' /proc/cmdline
}

check_mark() {
	_want=$(cat "$FB_STATE/mark" 2>/dev/null)
	ktap_check "state file survived (mark '$_want')" test -n "$_want"
	ktap_check "cmdline fbmark matches state file" \
		test "$(fb_arg fbmark)" = "$_want"
	ktap_check "history is '$1'" test "$(cat "$FB_STATE/history")" = "$1"
}

stage_1() {
	check_stage 1
	ktap_check "/proc mounted" test -r /proc/self/stat
	ktap_check "/sys mounted" test -d /sys/kernel
	ktap_check "devtmpfs on /dev" test -c /dev/null
	ktap_check "kexec binary runs" kexec --version
	ktap_check "kernel image present" test -s /boot/vmlinuz
	ktap_check "kexec syscalls enabled" \
		test "$(cat /proc/sys/kernel/kexec_load_disabled)" = 0
	ktap_check "crashkernel memory reserved" grep -q 'Crash kernel' /proc/iomem
	check_memmap
	ktap_check "no kernel warnings" dmesg_clean

	mark=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
	echo "$mark" >"$FB_STATE/mark"
	echo 1 >"$FB_STATE/history"
	fb_next_arg "fbmark=$mark"
	next_stage
}

stage_2() {
	check_stage 2
	check_mark 1
	check_memmap
	ktap_check "no kernel warnings" dmesg_clean
	echo "1 2" >"$FB_STATE/history"
	next_stage file
}

stage_3() {
	check_stage 3
	check_mark "1 2"
	check_memmap
	ktap_check "no kernel warnings" dmesg_clean
	echo "1 2 3" >"$FB_STATE/history"
	panic_to_next_stage
}

stage_4() {
	check_stage 4
	check_mark "1 2 3"
	check_memmap
	ktap_check "running as kdump kernel (/proc/vmcore)" test -e /proc/vmcore
	ktap_check "kdump args on cmdline" grep -q 'reset_devices' /proc/cmdline
	ktap_check "no crashkernel= in kdump cmdline" \
		sh -c '! grep -q crashkernel= /proc/cmdline'
	ktap_check "no kernel warnings" dmesg_clean
}
