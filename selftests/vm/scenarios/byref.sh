# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# fbtest-timeout: 900
#
# Boot by reference (issue #16, first half): module lines of the manifest
# stay in the store; the kexec payload is the kernel and the base, and
# the base's /init (fbbyref) runs `fastboot boot` first, which puts the
# modules in place.  Sources live on the virtio disk (/mnt).
#   stage 1: image v1 = kernel + base + three module archives (one gzip'd,
#            with a symlink and a hard link); a base without the tool
#            sends every module through kexec (--json says so); update
#   stage 2: every module's files, right content; "Freeing initrd memory"
#            is the base alone; status and log give the deliveries; a
#            module flipped in the region, then update --from-store
#   stage 3: fastboot boot refused the image, naming the module, and put
#            nothing in place; update --verify stores it again (v2: a
#            module changed)
#   stage 4: v2 in place; --rollback
#   stage 5: v1 in place again; arm --from-store; panic
#   stage 6: (crash kernel) the crash kernel's fastboot boot brought the
#            modules from the sealed store; only the base came through
#            kexec
. /selftests/fastboot.sh

D=/mnt
MODS="m1 m2 m3"

# mkmod NAME VERSION: the archive $D/NAME.cpio (m3: gzip'd) holding
# byref/NAME/{marker,data} (data: 1 MiB of random bytes), m3 also a
# symbolic link and a hard link; the expected content in $D/NAME.sums.
mkmod() {
	_t=/tmp/mk$1
	rm -rf "$_t" && mkdir -p "$_t/byref/$1" &&
		echo "$1 $2" >"$_t/byref/$1/marker" &&
		head -c 1048576 /dev/urandom >"$_t/byref/$1/data" || return 1
	if [ "$1" = m3 ]; then
		ln -s marker "$_t/byref/$1/link" &&
			ln "$_t/byref/$1/data" "$_t/byref/$1/hard" || return 1
	fi
	(cd "$_t" && find byref -type f -exec sha256sum {} +) >"$D/$1.sums" || return 1
	if [ "$1" = m3 ]; then
		(cd "$_t" && find . | cpio -o -H newc 2>/dev/null) | gzip -1 >"$D/$1.cpio"
	else
		fb_mkcpio "$_t" "$D/$1.cpio"
	fi
	_rc=$?
	rm -rf "$_t"
	return $_rc
}

# modules_in_place: every module's files under / with their content.
modules_in_place() {
	for _m in $MODS; do
		(cd / && sha256sum -c "$D/$_m.sums") >/tmp/.sums 2>&1 || {
			cat /tmp/.sums
			return 1
		}
	done
	test "$(readlink /byref/m3/link)" = marker &&
		test "$(stat -c %i /byref/m3/data)" = "$(stat -c %i /byref/m3/hard)"
}

nothing_in_place() {
	! test -e /byref && ! ls -d /.fastboot-boot.* 2>/dev/null
}

boot_ok() {
	test "$(cat /run/fbboot.rc 2>/dev/null)" = 0 || {
		cat /run/fbboot.out
		return 1
	}
}

# initrd_kb: what the kernel freed of the initrd it was given.
initrd_kb() {
	dmesg | sed -n 's/.*Freeing initrd memory: \([0-9]*\)K.*/\1/p' | tail -n 1
}

# only_base_came: the initrd the kexec handed over was the base alone.
only_base_came() {
	_kb=$(initrd_kb)
	_base=$(stat -c %s "$D/base.cpio.gz")
	_all=$_base
	for _m in $MODS; do
		_all=$((_all + $(stat -c %s "$D/$_m.cpio")))
	done
	echo "initrd ${_kb}K, base $_base bytes, base + modules $_all bytes"
	[ -n "$_kb" ] && [ $((_kb * 1024)) -ge "$_base" ] &&
		[ $((_kb * 1024)) -lt $((_base + 8192)) ] &&
		[ $((_kb * 1024)) -lt "$_all" ]
}

delivery_is() {	# delivery_is FILE NAME DELIVERY
	grep -q "\"name\":\"$2\",[^}]*\"delivery\":\"$3\"" "$1"
}

# base_came: only_base_came, its numbers as a diagnostic.
base_came() {
	only_base_came >/tmp/ib 2>&1
	_rc=$?
	fb_out "# $(cat /tmp/ib)"
	return $_rc
}

notool_all_kexec() {
	delivery_is /tmp/nt.json m1 kexec && delivery_is /tmp/nt.json m3 kexec &&
		grep -q 'every module goes through kexec' /tmp/nt.err
}

# A mount module cannot go through kexec: with a base that cannot run
# `fastboot boot`, the image is refused (mount modules: byref-mount).
mount_refused() {
	printf 'kernel %s/vmlinuz\ninitrd base %s/base.cpio.gz\ninitrd notool %s/notool.cpio\nmount fs %s/m1.cpio /opt/fs\nreuse-cmdline\n' \
		"$D" "$D" "$D" "$D" >/tmp/mnt.manifest
	fastboot update --image /tmp/mnt.manifest --dry-run >/tmp/mnt.out 2>&1
	_rc=$?
	cat /tmp/mnt.out
	[ $_rc = 1 ] && grep -q 'a mount module needs a base initramfs that runs' /tmp/mnt.out
}

sums_ok() {	# sums_ok NAME...
	for _m in "$@"; do
		(cd / && sha256sum -c "$D/$_m.sums") || return 1
	done
}

write_manifest() {	# write_manifest FILE
	{
		echo "name byref"
		echo "kernel $D/vmlinuz"
		echo "initrd base $D/base.cpio.gz"
		for _m in $MODS; do
			echo "module $_m $D/$_m.cpio"
		done
		echo "reuse-cmdline"
	} >"$1"
}

stage_1() {
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	for m in $MODS; do
		ktap_check "module archive $m" mkmod "$m" v1
	done
	ktap_check "base image" fb_base_image "$D"
	write_manifest "$D/byref.manifest"
	sync
	ktap_check "dry run" sh -c "fastboot update --image $D/byref.manifest --dry-run --json >/tmp/dry.json"
	ktap_check "dry run: --json is valid JSON" fb-hostile json </tmp/dry.json
	ktap_check "dry run: the base goes through kexec" delivery_is /tmp/dry.json base kexec
	for m in $MODS; do
		ktap_check "dry run: $m stays in the store" delivery_is /tmp/dry.json "$m" store
	done
	# a base whose tool cannot run `fastboot boot`: the old way
	rm -rf /tmp/nb && mkdir -p /tmp/nb/usr/sbin && echo '#!/bin/sh' >/tmp/nb/usr/sbin/fastboot &&
		chmod 755 /tmp/nb/usr/sbin/fastboot && fb_mkcpio /tmp/nb "$D/notool.cpio"
	sed "s|^initrd base .*|initrd base $D/base.cpio.gz\ninitrd notool $D/notool.cpio|" \
		"$D/byref.manifest" >"$D/notool.manifest"
	ktap_check "a base without 'fastboot boot': dry run" \
		sh -c "fastboot update --image $D/notool.manifest --dry-run --json >/tmp/nt.json 2>/tmp/nt.err"
	fb_diag_file /tmp/nt.err 3
	ktap_check "... every module goes through kexec" notool_all_kexec
	ktap_check "a mount module with a base that cannot run 'fastboot boot' is refused" mount_refused
	fb_next_arg fbbyref
	fb_update_to_next_stage --image "$D/byref.manifest"
}

stage_2() {
	ktap_check "fastboot boot succeeded" boot_ok
	fb_diag_file /run/fbboot.out 2
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "every module's files, with the right content" modules_in_place
	ktap_check "only the base came through kexec" base_came
	ktap_check "status shows the image" fb_status_has '"image":"img.1"'
	ktap_check "status: m2 delivered by the store" \
		sh -c 'fastboot status --json | grep -q "\"image_modules\":\[.*\"name\":\"m2\",\"kind\":\"module\",\"delivery\":\"store\""'
	ktap_check "log: the deliveries of this boot's image" \
		sh -c 'fastboot log --json | grep -q "\"image\":\"img.1\",[^]]*\"name\":\"base\",\"kind\":\"initrd\",\"delivery\":\"kexec\""'
	ktap_check "fastboot boot --json" \
		sh -c 'fastboot boot --root /tmp --json >/tmp/boot.json && fb-hostile json </tmp/boot.json && grep -q "\"status\":\"unpacked\"" /tmp/boot.json && test -f /tmp/byref/m1/marker'
	# m2's archive flipped in the region: the next boot must refuse it
	ktap_check "update --from-store loads kernel + base" \
		sh -c "fastboot update --from-store --append fbstage=3 --no-exec >/tmp/fs.out 2>&1"
	fb_diag_file /tmp/fs.out 3
	ktap_check "flip a byte of m2's archive in the region" \
		fb_poke_object "$(fb_obj_of "$D/m2.cpio")" 4096
	fb_dmesg_report
	ktap_end
	fb_out "# kexec into stage 3 with m2 flipped"
	sync
	kexec -e
	_fb_kexec_failed "kexec -e" "returned"
}

stage_3() {
	ktap_check "fastboot boot refused the image" \
		sh -c 'test "$(cat /run/fbboot.rc)" = 1'
	fb_diag_file /run/fbboot.out 2
	ktap_check "... in one line naming m2 and why" \
		sh -c 'test "$(wc -l </run/fbboot.out)" = 1 && grep -q "^fastboot: boot: m2: .*SHA-256 does not match" /run/fbboot.out'
	ktap_check "... and put nothing in place" nothing_in_place
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "module loads" modprobe fastboot
	ktap_check "change m1 (v2)" mkmod m1 v2
	sync
	fb_dmesg_report
	ktap_end
	fb_out "# fastboot update --verify into stage 4"
	fastboot update --image "$D/byref.manifest" --verify \
		--cmdline "$(_fb_next_cmdline)" --now >"$D/verify.out" 2>&1
	_fb_kexec_failed "fastboot update --verify" "$(tail -n 3 "$D/verify.out")"
}

stage_4() {
	ktap_check "fastboot boot succeeded" boot_ok
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "update --verify stored m2 again" grep -q 'm2: storing it again' "$D/verify.out"
	ktap_check "v2: every module in place" modules_in_place
	ktap_check "m1 is v2" grep -qx "m1 v2" /byref/m1/marker
	ktap_check "only the base came through kexec" base_came
	cp "$D/m1.sums" "$D/m1.v2.sums"
	fb_dmesg_report
	ktap_end
	fb_out "# fastboot update --rollback into stage 5"
	sync
	fastboot update --rollback --append fbstage=5 --now >/dev/console 2>&1
	_fb_kexec_failed "fastboot update --rollback" "returned"
}

stage_5() {
	ktap_check "fastboot boot succeeded" boot_ok
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "rollback: m1 is v1 again" grep -qx "m1 v1" /byref/m1/marker
	ktap_check "rollback: m2, m3 in place" sums_ok m2 m3
	ktap_check "arm --from-store" \
		sh -c "fastboot arm --from-store --append fbstage=6 >/tmp/arm.out 2>&1"
	fb_diag_file /tmp/arm.out 3
	ktap_check "armed" fb_status_has '"armed":true'
	fb_panic "# panic into the armed recovery image (stage 6)"
}

stage_6() {
	ktap_check "running as the crash kernel" test -e /proc/vmcore
	ktap_check "the crash kernel's fastboot boot succeeded" boot_ok
	fb_diag_file /run/fbboot.out 2
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "m1 v1 from the sealed store" grep -qx "m1 v1" /byref/m1/marker
	ktap_check "m2, m3 from the sealed store" sums_ok m2 m3
	ktap_check "only the base came through kexec" base_came
	ktap_check "boot reason crash, recovery image" \
		fb_status_has '"reason":"crash"'
	ktap_check "no kernel warnings" dmesg_clean
}
