# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# The narrated demo behind `make demo`: a host keeps its boot image and a
# VM's memory in the store, updates with kexec reading only the module
# that changed, and survives a panic.  Lines starting with "demo| " are
# shown by scripts/demo.sh.  Boot sources live on the virtio disk (/mnt).
. /selftests/fastboot.sh

D=/mnt
FB_STATE=$D/state

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

mkmarker() {	# mkmarker NAME CONTENT
	rm -rf /tmp/mk && mkdir -p /tmp/mk/etc && echo "$2" >/tmp/mk/etc/"$1" &&
		fb_mkcpio /tmp/mk "$D/$1.cpio"
}

stage_1() {
	fb_disk_mount >/dev/null 2>&1
	mkdir -p "$FB_STATE"
	say "Boot 1: kernel $(uname -r); 256 MiB at 0x40000000 reserved with memmap="
	show grep -E 'Reserved|Crash kernel' /proc/iomem
	say "Load the module (fastboot.region= is on the command line) and format the store once"
	ktap_check "modprobe fastboot" show modprobe fastboot
	ktap_check "format" show fastboot format
	say "A VM's RAM lives in the store: create a 64 MiB guest region and fill it"
	ktap_check "guest create" show fastboot guest create vm0 64M
	ktap_check "guest ls" show fastboot guest ls
	ktap_check "write guest memory" show fbmmap "$(fastboot guest path vm0)" write 2026
	say "The boot image on disk: kernel, base system (this root fs) and a config module"
	cp /boot/vmlinuz "$D/vmlinuz"
	_fb_pack_rootfs && gzip -1 -c /tmp/next.cpio >"$D/base.cpio.gz"
	rm -f /tmp/next.cpio
	mkmarker release "v1"
	cat >"$D/host.manifest" <<-EOM
	name host
	kernel $D/vmlinuz
	initrd base $D/base.cpio.gz
	initrd config $D/release.cpio
	reuse-cmdline
	EOM
	show cat "$D/host.manifest"
	say "fastboot update: store the modules, check them, kexec (no firmware)"
	sync
	fb_dmesg_report
	ktap_end
	fastboot update --image "$D/host.manifest" --cmdline "$(_fb_next_cmdline)" \
		--now 2>&1 | sed 's/^/demo|   /' >/dev/console
	_fb_kexec_failed "fastboot update" "returned"
}

stage_2() {
	fb_disk_mount >/dev/null 2>&1
	say "Boot 2: came up with config $(cat /etc/release) from the store"
	ktap_check "modprobe fastboot" show modprobe fastboot
	show fastboot status
	ktap_check "guest memory survived" show fbmmap "$(fastboot guest path vm0)" verify 2026
	say "Patch day: only the config module changes.  Dry run first:"
	mkmarker release "v2"
	ktap_check "dry run" show fastboot update --image "$D/host.manifest" --dry-run
	say "Only the changed module is read from disk; the rest come from the store"
	sync
	fb_dmesg_report
	ktap_end
	fastboot update --image "$D/host.manifest" --cmdline "$(_fb_next_cmdline)" \
		--now 2>&1 | sed 's/^/demo|   /' >/dev/console
	_fb_kexec_failed "fastboot update" "returned"
}

stage_3() {
	fb_disk_mount >/dev/null 2>&1
	say "Boot 3: config $(cat /etc/release); the VM's memory is still there"
	ktap_check "modprobe fastboot" show modprobe fastboot
	ktap_check "guest memory survived two updates" \
		show fbmmap "$(fastboot guest path vm0)" verify 2026
	say "Arm crash recovery with the same image, then crash the kernel"
	ktap_check "arm" show fastboot arm --image "$D/host.manifest" --append fbstage=4
	show fastboot status
	sync
	fb_dmesg_report
	ktap_end
	echo c >/proc/sysrq-trigger
	sleep 5
}

stage_4() {
	fb_disk_mount >/dev/null 2>&1
	say "Boot 4: the recovery kernel, straight from the store, no firmware"
	ktap_check "modprobe fastboot" show modprobe fastboot
	show fastboot log
	ktap_check "guest memory survived the panic" \
		show fbmmap "$(fastboot guest path vm0)" verify 2026
	say "Back to the full production kernel from the store (no disk reads)"
	sync
	fb_dmesg_report
	ktap_end
	fastboot update --from-store --append fbstage=5 --now 2>&1 |
		sed 's/^/demo|   /' >/dev/console
	_fb_kexec_failed "fastboot update --from-store" "returned"
}

stage_5() {
	fb_disk_mount >/dev/null 2>&1
	ktap_check "modprobe fastboot" modprobe fastboot
	say "Boot 5: full memory again ($(sed -n 's/^MemTotal: *//p' /proc/meminfo))"
	show fastboot log
	ktap_check "guest memory intact" show fbmmap "$(fastboot guest path vm0)" verify 2026
	say "Done: three reboots and a panic, no firmware, the VM's memory in place"
}
