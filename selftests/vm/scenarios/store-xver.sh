# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# The store across kernel versions: written under the base kernel, read and
# extended under another kernel with that kernel's own module, then read
# back under the base kernel.
#   stage 1: (base) format, objects; kexec -l into the other kernel
#   stage 2: (other) reason "update", objects intact, one more object;
#            kexec -l back into the base kernel
#   stage 3: (base) reason "update", every object intact
# The other kernel comes from the initramfs: /boot/vmlinuz-KVER with
# /lib/modules/KVER/extra (scripts/mkinitramfs.sh FB_EXTRA_KVERS=KVER),
# chosen by fbxkver=KVER on the command line, else the first one found.
# Skipped when the initramfs has no other kernel.
. /selftests/fastboot.sh

# xver_target: the other kernel's release, or nothing.
xver_target() {
	_k=$(fb_arg fbxkver 2>/dev/null) && [ -n "$_k" ] && { echo "$_k"; return; }
	for _f in /boot/vmlinuz-*; do
		[ -f "$_f" ] && { echo "${_f#/boot/vmlinuz-}"; return; }
	done
}

# xver_switch KVER: make next_stage boot KVER (its vmlinuz and its modules).
xver_switch() {
	[ -f /boot/vmlinuz.base ] || cp /boot/vmlinuz /boot/vmlinuz.base
	[ -f /boot/kver.base ] || cp /boot/kver /boot/kver.base
	if [ "$1" = base ]; then
		cp /boot/vmlinuz.base /boot/vmlinuz && cp /boot/kver.base /boot/kver
	else
		cp "/boot/vmlinuz-$1" /boot/vmlinuz && echo "$1" >/boot/kver
	fi
}

stage_1() {
	target=$(xver_target)
	if [ -z "$target" ] || [ ! -f "/boot/vmlinuz-$target" ]; then
		ktap_skip "store across kernel versions" "no other kernel in the initramfs"
		return
	fi
	ktap_ok "base kernel $(uname -r), other kernel $target"
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	rm -f "$FB_STATE/sums"
	ktap_check "put 1 B" fb_put_random one 1
	ktap_check "put 4 KiB + 1 B" fb_put_random page-plus-one 4097
	ktap_check "put 8 MiB" fb_put_random big 8388608
	ktap_check "objects read back identical" fb_verify_all
	ktap_check "no kernel warnings" dmesg_clean
	echo "$(uname -r)" >"$FB_STATE/xver-base"
	ktap_check "next stage boots $target" xver_switch "$target"
	next_stage
}

stage_2() {
	ktap_check "running the other kernel ($(uname -r))" \
		test "$(uname -r)" != "$(cat "$FB_STATE/xver-base")"
	ktap_check "its own module loads" modprobe fastboot
	ktap_check "module built for this kernel" \
		sh -c 'modinfo -F vermagic fastboot | grep -q "^$(uname -r) "'
	ktap_check "status: boot 2, reason update (kexec across versions)" \
		fb_status_has '"boot":{"count":2,"reason":"update"}'
	ktap_check "objects from the base kernel intact" fb_verify_all
	ktap_check "put 64 KiB under this kernel" fb_put_random newer 65536
	ktap_check "no kernel warnings" dmesg_clean
	ktap_check "next stage boots the base kernel" xver_switch base
	next_stage
}

stage_3() {
	ktap_check "back on the base kernel ($(uname -r))" \
		test "$(uname -r)" = "$(cat "$FB_STATE/xver-base")"
	ktap_check "module loads" modprobe fastboot
	ktap_check "status: boot 3, reason update (and back)" \
		fb_status_has '"boot":{"count":3,"reason":"update"}'
	ktap_check "all objects intact, including the newer kernel's" fb_verify_all
	ktap_check "module unloads" rmmod fastboot
	ktap_check "no kernel warnings" dmesg_clean
}
