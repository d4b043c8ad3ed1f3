#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The `make check-host` scenario, run inside the Debian 12 host by
# fbhost.service at the end of every boot (installed by scripts/mkhost.sh,
# not by the packages).  Each boot is one stage; the next stage's number
# is kept on the host's disk (/var/lib/fbhost/stage), written before the
# step that reboots.  KTAP goes to the serial console (ttyS0), which the
# harness (selftests/host/run.sh) reads.
#
#   1  cold boot: the units attached the store (in the initrd), format,
#      a blob and a guest region; update-grub writes the fragments;
#      fastboot-arm.service arms; `fastboot update` with no arguments
#      (/vmlinuz, /initrd.img: the distro's own kernel and initramfs-tools
#      initrd) through `systemctl kexec`
#   2  reason update, everything intact; the shutdown did not disarm;
#      the arm unit armed again; panic (sysrq c)
#   3  the crash kernel booted the Debian system: reason crash, the crash
#      record, everything intact; `fastboot update --from-store`
#   4  full memory, reason update; a kernel package reinstalled (its
#      postinst.d hooks: dkms, initramfs-tools, fastboot); `fastboot
#      update` with no arguments through the kexec_load fallback
#   5  reason update, everything intact; `systemctl stop fastboot-arm`
#      disarms; a crash kernel loaded with kexec -p (as kdump-tools does)
#      makes the unit fail with FASTBOOT_ARM=yes and is replaced with
#      FASTBOOT_ARM=force; an image of /vmlinuz, Debian's initrd as the
#      base, a module archive and an erofs image by reference; update
#   6  the initrd's init-top script ran `fastboot boot`, init-bottom moved
#      the erofs mount onto the root: /opt/fbfs is a verified read-only
#      mount with the right files; only the initrd came through kexec;
#      a VM (QEMU from the L2 disk, /dev/vdb: scripts/mkl2disk.sh) with
#      its RAM in a guest region, started by a unit of its own ordered
#      before fastboot-vms.service, copied from the package's examples and
#      enabled as its comment says; `fastboot update` through systemctl
#      kexec
#   7  fastboot-vms.service saved the VM in the shutdown into the kexec
#      and restored it at boot: the guest ticks on, not booted again;
#      a stop of the unit that is not a kexec leaves the VM alone;
#      power off
set -u

STATE=/var/lib/fbhost
LOG=$STATE/logs
CONSOLE=${FBHOST_CONSOLE:-/dev/ttyS0}
BLOB_SIZE=1M
GUEST_SIZE=64M
L2_SIZE=32M
L2_QMP=/run/fbhost-l2.qmp
L2_LOG=$STATE/l2.log
LAST=7
n=0
failed=0
mkdir -p "$LOG"
exec 3>>"$CONSOLE"
stage=$(cat "$STATE/stage" 2>/dev/null || echo 1)

out() { printf '%s\n' "$*" >&3; }
ok() { n=$((n + 1)); out "ok $n $1"; }
# not_ok DESC [FILE]: with the tail of FILE as diagnostics.
not_ok() {
	n=$((n + 1)); failed=$((failed + 1))
	out "not ok $n $1"
	if [ -n "${2:-}" ] && [ -s "$2" ]; then
		tail -n 20 "$2" | sed 's/^/#   /' >&3
	fi
}
# check DESC CMD...: CMD's output goes to $LOG/last, shown on failure.
check() {
	local desc=$1
	shift
	if "$@" >"$LOG/last" 2>&1; then ok "$desc"; else not_ok "$desc" "$LOG/last"; fi
}
diag() { sed 's/^/#   /' "$@" >&3; }
finish_stage() {
	out "1..$n"
	out "# stage $stage of host: $n tests, $failed failed"
}
next_stage() { echo "$1" >"$STATE/stage"; sync; }
# bail REASON: stop here, powering off, so the harness sees it at once.
bail() {
	out "Bail out! $*"
	finish_stage
	sync
	systemctl poweroff
	exit 1
}

status_has() { fastboot status --json | grep -qF -- "$1"; }
mem_mib() { echo $(($(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo) / 1024)); }
crash_loaded() { test "$(cat /sys/kernel/kexec_crash_loaded)" = "$1"; }

booted() {
	local st
	st=$(systemctl is-system-running --wait 2>/dev/null)
	systemctl is-active --quiet multi-user.target || { echo "multi-user.target: not active ($st)"; return 1; }
	if [ "$st" != running ]; then
		echo "system state: $st"
		systemctl --failed --no-legend --no-pager
		return 1
	fi
}

# The store came from the initrd: the module's first line precedes the
# root file system's mount in this boot's kernel log.
attached_in_initrd() {
	local fb root
	fb=$(dmesg | grep -n '\] fastboot: ' | head -n 1 | cut -d: -f1)
	root=$(dmesg | grep -n 'EXT4-fs (vda): mounted' | head -n 1 | cut -d: -f1)
	echo "first fastboot line: ${fb:-none}; root mounted at line: ${root:-none}"
	[ -n "$fb" ] && [ -n "$root" ] && [ "$fb" -lt "$root" ]
}

# grub_words_booted: the store's words of grub.cfg's first linux line,
# as GRUB passes them ("\$" is "$"), are on this boot's command line: the
# bed boots with -kernel and the words scripts/mkhost.sh took from the
# GRUB fragment, and this checks that update-grub writes the same.
grub_words_booted() {
	local w
	for w in $(grep -E '^[[:space:]]*linux[[:space:]]' /boot/grub/grub.cfg | head -n 1); do
		case "$w" in
		memmap=*|fastboot.*|crashkernel=*)
			w=${w//\\\$/\$}
			echo "$w"
			grep -qwF -- "$w" /proc/cmdline || { echo "not in /proc/cmdline: $w"; return 1; }
			;;
		esac
	done
}

# objects_intact: the blob and the guest region hold what stage 1 wrote.
objects_intact() {
	check "blob intact" sh -c "fastboot get blob | sha256sum | cut -d' ' -f1 | grep -qx \$(cat $STATE/blob.sha)"
	check "guest region intact" sh -c "cmp -n \$(stat -c %s $STATE/pattern) \$(fastboot guest path vm0) $STATE/pattern"
}

# booted_by REASON: this boot's reason, and the kernel knows its image.
booted_by() {
	check "boot reason $1" status_has "\"reason\":\"$1\""
	check "fastboot.service active" systemctl is-active fastboot.service
	check "the image is known (no mismatch)" sh -c '! fastboot status --json | grep -q image_mismatch'
}

# journal_has BOOT PATTERN: a fastboot syslog line of boot BOOT (0, -1).
journal_has() { journalctl -b "$1" -t fastboot --no-pager -o cat | grep -E -- "$2"; }

# update_and_wait DESC ARGS...: `fastboot update ARGS` through systemctl
# kexec; this boot ends there.
update_and_wait() {
	local desc=$1
	shift
	next_stage $((stage + 1))
	finish_stage
	if env "${UPDATE_ENV[@]}" fastboot update "$@" >"$LOG/update-$stage" 2>&1; then
		out "# stage $stage: $desc: fastboot update returned 0, waiting for systemctl kexec"
		sleep 600
		bail "stage $stage: no reboot 600 s after fastboot update"
	fi
	n=0 failed=0
	not_ok "$desc" "$LOG/update-$stage"
	bail "stage $stage: fastboot update failed"
}
UPDATE_ENV=(FBHOST=1)

stage_1() {
	check "reached multi-user.target, no failed unit" booted
	check "fastboot.service active" systemctl is-active fastboot.service
	check "the store was attached in the initrd, before the root mount" attached_in_initrd
	check "the initrd carries fastboot.ko and the tool" sh -c \
		"lsinitramfs /boot/initrd.img-\$(uname -r) | grep -q 'fastboot.ko' && lsinitramfs /boot/initrd.img-\$(uname -r) | grep -q 'sbin/fastboot\$'"
	check "dkms status: built for $(uname -r)" sh -c "dkms status fastboot | grep -q \"\$(uname -r).*installed\""
	check "fastboot status: unformatted" sh -c 'fastboot status | grep -q "^state: *unformatted"'
	check "format" fastboot format
	check "put a blob" sh -c "head -c $BLOB_SIZE /dev/urandom >$STATE/blob && fastboot put blob $STATE/blob"
	sha256sum "$STATE/blob" | cut -d' ' -f1 >"$STATE/blob.sha"
	check "create a guest region" fastboot guest create vm0 "$GUEST_SIZE"
	check "fill it" sh -c "head -c 4M /dev/urandom >$STATE/pattern && dd if=$STATE/pattern of=\$(fastboot guest path vm0) bs=1M conv=notrunc status=none"
	check "the put is in the journal" journal_has 0 '^put blob'
	# GRUB: what /etc/default/grub.d/fastboot.cfg makes of the config.
	mkdir -p /boot/grub
	check "update-grub" update-grub
	check "grub.cfg boots with the region's fragments, \$ escaped" sh -c \
		"grep -E '^[[:space:]]*linux[[:space:]]' /boot/grub/grub.cfg | head -n 1 | tee /dev/stderr |
		 grep -F 'memmap=256M\\\$0x40000000' | grep -F 'fastboot.region=256M@0x40000000' | grep -qF 'crashkernel=384M'"
	check "this boot's command line has what grub.cfg would pass" grub_words_booted
	check "fastboot setup: nothing missing" sh -c '! fastboot setup | grep -qi missing'
	# Arming at boot, as an admin turns it on.
	sed -i 's/^FASTBOOT_ARM=.*/FASTBOOT_ARM=yes/' /etc/default/fastboot
	check "systemctl start fastboot-arm" systemctl start fastboot-arm.service
	check "armed" status_has '"armed":true'
	check "a crash kernel is loaded" crash_loaded 1
	check "fastboot update --dry-run" fastboot update --dry-run
	update_and_wait "update with no arguments through systemctl kexec"
}

stage_2() {
	check "reached multi-user.target, no failed unit" booted
	booted_by update
	objects_intact
	check "the update is in the previous boot's journal" journal_has -1 '^update to img\.'
	check "the shutdown into kexec did not disarm" sh -c \
		'! journalctl -b -1 -t fastboot -o cat | grep -q disarm &&
		 journalctl -b -1 -u fastboot-arm.service -o cat | grep -q "shutting down: staying armed"'
	check "fastboot-arm.service armed this boot" sh -c 'systemctl is-active fastboot-arm.service && grep -qx 1 /sys/kernel/kexec_crash_loaded'
	check "armed" status_has '"armed":true'
	next_stage 3
	finish_stage
	sync
	echo c >/proc/sysrq-trigger
	sleep 60
	bail "stage 2: still running after the panic"
}

stage_3() {
	check "reached multi-user.target, no failed unit" booted
	check "running in the crash kernel's memory ($(mem_mib) MiB)" test "$(mem_mib)" -lt 1024
	booted_by crash
	check "the crash record" sh -c 'fastboot log --json | grep -q "\"crash\":{" && fastboot log --json | grep -qi sysrq'
	objects_intact
	update_and_wait "update --from-store through systemctl kexec" --from-store
}

stage_4() {
	check "reached multi-user.target, no failed unit" booted
	check "full memory again ($(mem_mib) MiB)" test "$(mem_mib)" -gt 1024
	booted_by update
	objects_intact
	# dpkg, not apt-get: the host is offline, and apt-get would try the
	# archive first for a version it also has in its lists.  The output
	# goes to the console as it comes (under TCG this takes minutes:
	# DKMS and update-initramfs run).
	check "reinstall the kernel package (postinst.d hooks)" bash -c \
		"set -o pipefail; DEBIAN_FRONTEND=noninteractive timeout 900 dpkg -i $STATE/debs/linux-image-*.deb </dev/null 2>&1 |
		 tee $LOG/kernel-install | sed -u 's/^/# dpkg: /' >&3"
	check "the fastboot kernel hook found the image valid" \
		grep -q "fastboot: kernel $(uname -r) installed: .* is valid for 'fastboot update'" "$LOG/kernel-install"
	check "dkms: built for $(uname -r)" sh -c "dkms status fastboot -k \$(uname -r) | grep -q installed"
	# (lsinitramfs reads a symbolic link's own size: resolve /initrd.img)
	check "the new initrd carries fastboot.ko" sh -c "lsinitramfs \$(readlink -f /initrd.img) | grep -q fastboot.ko"
	UPDATE_ENV=(FASTBOOT_TEST_HOOK=no-kexec-file-load)
	update_and_wait "update with no arguments through kexec_load (kexec(8))"
}

stage_5() {
	check "reached multi-user.target, no failed unit" booted
	booted_by update
	objects_intact
	check "the previous update fell back to kexec_load" grep -q 'falling back to kexec_load' "$LOG/update-4"
	check "systemctl stop fastboot-arm disarms" systemctl stop fastboot-arm.service
	check "not armed" sh -c 'fastboot status --json | grep -q "\"armed\":false" && grep -qx 0 /sys/kernel/kexec_crash_loaded'
	check "the disarm is in the journal" journal_has 0 'disarm'
	# A crash kernel that someone else loaded (kdump-tools does it
	# with kexec -p, before fastboot-arm.service) is not replaced...
	check "fastboot-arm.service is ordered after kdump-tools.service" sh -c \
		'systemctl show -p After fastboot-arm.service | grep -qw kdump-tools.service'
	check "a crash kernel loaded with kexec -s -p, as kdump-tools does" sh -c \
		'kexec -s -p /vmlinuz --initrd=/initrd.img --append="$(sed "s/crashkernel=[^ ]*//" /proc/cmdline) nr_cpus=1 irqpoll reset_devices" && grep -qx 1 /sys/kernel/kexec_crash_loaded'
	check "FASTBOOT_ARM=yes: fastboot-arm.service fails, leaving it loaded" sh -c \
		'! systemctl start fastboot-arm.service && grep -qx 1 /sys/kernel/kexec_crash_loaded && fastboot status --json | grep -q "\"armed\":false"'
	check "... saying why" sh -c 'journalctl -b -u fastboot-arm.service -o cat | grep -q -- --force'
	# ...unless told to.
	sed -i 's/^FASTBOOT_ARM=.*/FASTBOOT_ARM=force/' /etc/default/fastboot
	systemctl reset-failed fastboot-arm.service
	check "FASTBOOT_ARM=force: fastboot-arm.service replaces it" sh -c \
		'systemctl start fastboot-arm.service && fastboot status --json | grep -q "\"armed\":true"'
	# Boot by reference with the distro initrd as the base: a module
	# archive and an erofs image stay in the store; the initrd's
	# init-top script runs `fastboot boot`, init-bottom moves the mount
	# onto the root.
	check "a module archive and an erofs image" byref_image
	check "the dry run: Debian's initrd runs fastboot boot, extra and fs stay in the store" sh -c \
		"fastboot update --image $STATE/byref.manifest --dry-run --json >$LOG/byref-dry.json &&
		 grep -q '\"name\":\"extra\",[^}]*\"delivery\":\"store\"' $LOG/byref-dry.json &&
		 grep -q '\"name\":\"fs\",[^}]*\"delivery\":\"store\"' $LOG/byref-dry.json"
	diag "$LOG/byref-dry.json"
	update_and_wait "update by reference through systemctl kexec" --image "$STATE/byref.manifest"
}

# byref_image: $STATE/byref.manifest: the running kernel and Debian's
# initrd, a module archive (etc/fbhost-extra) and an erofs image mounted
# at /opt/fbfs; their files' digests in $STATE/byref.sums.
byref_image() {
	local d=$STATE/byref
	rm -rf "$d" && mkdir -p "$d/extra/etc" "$d/fs/sub" /opt/fbfs || return 1
	echo "extra $(date +%s)" >"$d/extra/etc/fbhost-extra"
	head -c 4194304 /dev/urandom >"$d/fs/data"
	echo nested >"$d/fs/sub/nested.txt"
	(cd "$d/extra" && find . | cpio -o -H newc --quiet) >"$d/extra.cpio" || return 1
	mkfs.erofs --quiet --all-root "$d/fs.img" "$d/fs" || return 1
	(cd "$d/fs" && find . -type f -exec sha256sum {} +) >"$STATE/byref.sums"
	printf '%s\n' "name byref" "kernel /vmlinuz" "initrd base /initrd.img" \
		"module extra $d/extra.cpio" "mount fs $d/fs.img /opt/fbfs" reuse-cmdline \
		>"$STATE/byref.manifest"
}

# The initrd that came through kexec: "Freeing initrd memory: NK" of
# this boot, in KiB, against the size of the file.
initrd_is_base() {
	local k b
	k=$(dmesg | sed -n 's/.*Freeing initrd memory: \([0-9]*\)K.*/\1/p' | head -n 1)
	b=$((($(stat -L -c %s /initrd.img) + 4095) / 4096))
	b=$((b * 4))
	echo "freed ${k:-?} KiB; /initrd.img: $b KiB"
	[ -n "$k" ] && [ "$k" -le $((b + 8)) ]
}

stage_6() {
	check "reached multi-user.target, no failed unit" booted
	booted_by update
	objects_intact
	check "fastboot.byref= on the command line" grep -q 'fastboot.byref=2' /proc/cmdline
	check "the initrd's fastboot boot put both in place (kernel log)" sh -c \
		"dmesg | grep -q 'fastboot-initramfs: fastboot: boot: .*: 2 modules in place'"
	check "init-bottom moved the erofs mount onto the root" sh -c \
		"dmesg | grep -q 'fastboot-initramfs: moved 1 file system image'"
	check "/opt/fbfs: a read-only erofs mount of a verified device" sh -c \
		"grep -q '^/dev/fbv[0-9]* /opt/fbfs erofs ro[, ]' /proc/mounts"
	check "/opt/fbfs: every file right" sh -c "cd /opt/fbfs && sha256sum -c --quiet $STATE/byref.sums"
	check "only Debian's initrd came through kexec" initrd_is_base
	check "status: fs is delivered from the store" sh -c \
		"fastboot status --json | grep -q '\"name\":\"fs\",[^}]*\"delivery\":\"store\"'"
	# A VM kept across systemctl kexec by fastboot-vms.service.
	check "the L2 disk mounted from fstab" l2_mount
	check "fastboot-vms.service from the package's examples, enabled and started" sh -c \
		'cp /usr/share/doc/fastboot/examples/fastboot-vms.service /etc/systemd/system/ &&
		 systemctl daemon-reload && systemctl enable --now fastboot-vms.service'
	check "a guest region for the VM" fastboot guest create l2 "$L2_SIZE"
	check "a VM started by a unit of its own, before fastboot-vms.service" l2_start
	check "the VM ticks" l2_ticks_after 0 2
	fastboot status >&3 2>&1 || true
	update_and_wait "update with no arguments through systemctl kexec, a VM running"
}

# l2_mount: the L2 disk (QEMU and the ticker) on /l2 from an fstab line.
# A nofail mount is not ordered before local-fs.target, so the restore at
# boot could run before it: a drop-in RequiresMountsFor=/l2, as
# guest-memory.rst tells admins whose VMs' files are on such a mount.
l2_mount() {
	mkdir -p /l2 /etc/systemd/system/fastboot-vms.service.d
	grep -q ' /l2 ' /etc/fstab || echo '/dev/vdb /l2 ext4 ro,nofail 0 0' >>/etc/fstab
	printf '[Unit]\nRequiresMountsFor=/l2\n' \
		>/etc/systemd/system/fastboot-vms.service.d/l2.conf
	systemctl daemon-reload
	mountpoint -q /l2 || mount /l2
	test -x /l2/qemu
}

# l2_start: the bare-metal ticker (selftests/vm/l2/mbticker.c) in a
# QEMU of its own transient unit, RAM in guest region l2, QMP on a socket
# that vm save --all finds on its command line.  Before=: at shutdown
# fastboot-vms.service stops (and saves it) before this unit stops.
l2_start() {
	rm -f "$L2_LOG"
	systemd-run --unit=fbhost-l2 --property=Before=fastboot-vms.service \
		/l2/qemu -accel tcg -nodefaults -vga none -display none -m "$L2_SIZE" \
		-object "memory-backend-file,id=m0,size=$L2_SIZE,mem-path=$(fastboot guest path l2),share=on" \
		-machine pc,memory-backend=m0 -kernel /l2/l2/mbticker \
		-chardev "file,id=ser,path=$L2_LOG,append=on" -serial chardev:ser \
		-qmp "unix:$L2_QMP,server=on,wait=off" -no-reboot
}

# (the ticker's serial lines end in CR LF)
last_tick() { grep -a '^tick [0-9]' "$L2_LOG" 2>/dev/null | tail -n 1 | tr -dc '0-9 ' | cut -d' ' -f2; }

# l2_ticks_after N SECS: a tick numbered above N within SECS * 60 s
l2_ticks_after() {
	local i=0 t
	while [ $i -lt $(($2 * 60)) ]; do
		t=$(last_tick)
		[ -n "$t" ] && [ "$t" -gt "$1" ] && { echo "tick $t"; return 0; }
		sleep 1
		i=$((i + 1))
	done
	echo "no tick above $1; the L2 log:"
	tail -n 5 "$L2_LOG"
	return 1
}

# l2_pid: the restored QEMU's pid, in fastboot-vms.service's cgroup
l2_pid() {
	local p
	for p in $(cat /sys/fs/cgroup/system.slice/fastboot-vms.service/cgroup.procs 2>/dev/null); do
		grep -qa 'mbticker' "/proc/$p/cmdline" 2>/dev/null && { echo "$p"; return 0; }
	done
	return 1
}

stage_7() {
	local t0 pid
	check "reached multi-user.target, no failed unit" booted
	booted_by update
	objects_intact
	check "fastboot-vms.service saved the VM in the shutdown into the kexec" sh -c \
		'journalctl -b -1 -u fastboot-vms.service -o cat | grep -q "l2: saved as"'
	check "fastboot-vms.service restored it at boot" sh -c \
		'journalctl -b -u fastboot-vms.service -o cat; systemctl is-active fastboot-vms.service &&
		 journalctl -b -u fastboot-vms.service -o cat | grep -q "l2: restored, running"'
	check "the restored QEMU runs in fastboot-vms.service's cgroup" l2_pid
	# (the log also has the ticks of before the save: wait for a new one)
	t0=$(last_tick)
	check "the VM ticks on, after tick ${t0:-none}" l2_ticks_after "${t0:-0}" 2
	check "the VM was not booted again" test "$(grep -ac '^ticker: start' "$L2_LOG")" -eq 1
	check "the VM's memory is intact (no CORRUPT line)" sh -c "! grep -aq CORRUPT $L2_LOG"
	check "the saved state was removed from the store" sh -c \
		'! fastboot ls --json | grep -q "\"name\":\"vm\.l2\.state\""'
	pid=$(l2_pid)
	check "systemctl stop fastboot-vms (no kexec) leaves the VM alone" sh -c \
		"systemctl stop fastboot-vms.service &&
		 journalctl -b -u fastboot-vms.service -o cat | grep -q 'not a kexec: the VMs are left alone' &&
		 kill -0 ${pid:-0}"
	t0=$(last_tick)
	check "and it ticks on" l2_ticks_after "${t0:-0}" 2
	finish_stage
	out "# fbtest-done host"
	sync
	systemctl poweroff
}

out ""
out "KTAP version 1"
out "# stage $stage of host"
case "$stage" in
[1-$LAST]) "stage_$stage" ;;
*) bail "unknown stage '$stage'" ;;
esac
