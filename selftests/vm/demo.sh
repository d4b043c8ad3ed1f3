# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# The narrated demo behind `make demo`: a store that survives a kexec
# reboot.  Lines starting with "demo| " are shown by scripts/demo.sh.
. /selftests/fastboot.sh

say() {
	fb_out "demo| "
	fb_out "demo| ==> $*"
}

# show CMD...: print the command, run it, print its output.
show() {
	fb_out "demo| \$ $*"
	"$@" >/tmp/.demo 2>&1
	_rc=$?
	sed 's/^/demo|   /' /tmp/.demo >/dev/console
	return $_rc
}

stage_1() {
	say "Boot 1: kernel $(uname -r), 256 MiB reserved at 0x40000000 with memmap="
	show grep -E 'fastboot|Reserved|Crash kernel' /proc/iomem
	say "Load the module; the region comes from fastboot.region= on the command line"
	ktap_check "modprobe fastboot" show modprobe fastboot
	show fastboot status
	say "Nothing is formatted implicitly; format the store once"
	ktap_check "format" show fastboot format
	say "Store the running kernel as a boot module and a state blob"
	ktap_check "put kernel" show fastboot put --type boot vmlinuz /boot/vmlinuz
	head -c 1048576 /dev/urandom >/tmp/state
	sha256sum </tmp/state | cut -d' ' -f1 >"$FB_STATE/state.sha256"
	ktap_check "put blob" show fastboot put vm-state /tmp/state
	show fastboot ls
	show fastboot status --json
	say "Reboot with kexec: no firmware, and the reboot notifier seals the store"
	next_stage
}

stage_2() {
	say "Boot 2: the store is re-attached"
	ktap_check "modprobe fastboot" show modprobe fastboot
	show fastboot status
	ktap_check "boot reason is update" \
		fb_status_has '"boot":{"count":2,"reason":"update"}'
	show fastboot ls
	say "The blob reads back bit for bit (its SHA-256 is checked on the way out)"
	ktap_check "get blob" show fastboot get vm-state /tmp/state
	show sha256sum /tmp/state
	fb_out "demo|   (before the reboot: $(cat "$FB_STATE/state.sha256"))"
	ktap_check "blob identical" \
		test "$(sha256sum </tmp/state | cut -d' ' -f1)" = "$(cat "$FB_STATE/state.sha256")"
	say "Done: the store survived a kexec reboot"
}
