# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# fbtest-timeout: 1200
# fbtest-disk2: scripts/mkfsimages.sh build/byref-mount.tar
# fbtest-vm: FB_VM_REGION=512M@0x40000000 FB_VM_CRASHKERNEL=160M
#
# Boot by reference, mount modules (issue #16, second half): an erofs and
# a squashfs image stay in the store and the next kernel's `fastboot
# boot` mounts each from a verified block device (/dev/fbvN), whose
# blocks the kernel checks against the image's hash tree on first read.
# The images come from the host (scripts/mkfsimages.sh, on /dev/vdb as a
# tar archive), with their files' digests and hash tree roots.
#   stage 1: image = kernel + base + a module archive + fs (erofs v1 at
#            /opt/fs) + sq (squashfs at /opt/sq); the dry run records
#            the roots the host computed; update
#   stage 2: both mounted read-only, files right; only the blocks read
#            were verified; status lists the devices; rm of an object or
#            tree behind a mounted device refused; update --from-store,
#            a block of data1 flipped in the region
#   stage 3: data1 reads EIO, the other files fine, one kernel line names
#            the object and the block; unmount, update --verify
#   stage 4: the object stored again, data1 fine; update to fs v2
#   stage 5: v2 mounted; --rollback
#   stage 6: v1 mounted again; arm --from-store; panic
#   stage 7: (crash kernel) v1, sq and big mounted from the sealed store:
#            the image (big.erofs: 192 MiB) is larger than the crash
#            reservation (160M), which holds only the kernel and the base
. /selftests/fastboot.sh

D=/mnt
I=/mnt/img

boot_ok() {
	test "$(cat /run/fbboot.rc 2>/dev/null)" = 0 || {
		cat /run/fbboot.out
		return 1
	}
}

# mounted_ro DIR TYPE: DIR is a read-only TYPE mount of a /dev/fbvN.
mounted_ro() {
	grep -q "^/dev/fbv[0-9]* $1 $2 ro[, ]" /proc/mounts || {
		cat /proc/mounts
		return 1
	}
}

# sums_ok DIR SUMS: the files of SUMS under DIR have their content.
sums_ok() {
	(cd "$1" && sha256sum -c "$2")
}

# fs_is VERSION: /opt/fs holds erofs image VERSION, sq the squashfs one.
fs_is() {
	sums_ok /opt/fs "$I/fs$1.sums" && sums_ok /opt/sq "$I/sq.sums" &&
		grep -qx "hello v$1" /opt/fs/hello.txt
}

# dev_num DEVICE KEY: KEY's value for DEVICE in status --json's devices.
dev_num() {
	fastboot status --json | tr '{' '\n' | grep "\"device\":\"$1\"" |
		sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"
}

tree_of() {	# tree_of ROOTFILE: the hash tree object of that root
	echo "v:$(cut -c1-60 "$1")"
}

write_manifest() {	# write_manifest FILE FS-VERSION
	{
		echo "name byref-mount"
		echo "kernel $D/vmlinuz"
		echo "initrd base $D/base.cpio.gz"
		echo "module m1 $D/m1.cpio"
		echo "mount fs $I/fs$2.erofs /opt/fs"
		echo "mount sq $I/fs.sqfs /opt/sq"
		echo "mount big $I/big.erofs /opt/big"
		echo "reuse-cmdline"
	} >"$1"
}

unpack_images() {
	_i=0
	while [ ! -b /dev/vdb ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	rm -rf "$I" && mkdir -p "$I" && tar -xf /dev/vdb -C "$I" &&
		test -s "$I/fs1.erofs" && test -s "$I/fs.sqfs" && test -s "$I/big.erofs"
}

mkmod() {
	rm -rf /tmp/m1 && mkdir -p /tmp/m1/byref/m1 && echo "m1" >/tmp/m1/byref/m1/marker &&
		fb_mkcpio /tmp/m1 "$D/m1.cpio"
}

# roots_recorded FILE: the dry run's JSON has the roots the host computed.
roots_recorded() {
	grep -q "\"name\":\"fs\",[^}]*\"delivery\":\"store\",[^}]*\"verity_root\":\"$(cat "$I/fs1.root")\"" "$1" &&
		grep -q "\"name\":\"sq\",[^}]*\"delivery\":\"store\",[^}]*\"verity_root\":\"$(cat "$I/sq.root")\"" "$1"
}

# rm_refused NAME: fastboot rm NAME fails as busy, and NAME stays.
rm_refused() {
	! fastboot rm "$1" >/tmp/rm.out 2>&1 && cat /tmp/rm.out &&
		grep -q "in use" /tmp/rm.out && fastboot ls | grep -q "$1"
}

# verified_few: after the boot, before the files are read, fbv0 (fs) has
# verified far fewer blocks than it has (the 8 MiB file was not read).
verified_few() {
	_v=$(dev_num /dev/fbv0 verified_blocks)
	_b=$(($(dev_num /dev/fbv0 size_bytes) / 4096))
	echo "fbv0: $_v of $_b blocks verified"
	[ -n "$_v" ] && [ "$_v" -gt 0 ] && [ "$_v" -lt $((_b / 8)) ]
}

verified_most() {
	_v=$(dev_num /dev/fbv0 verified_blocks)
	_b=$(($(dev_num /dev/fbv0 size_bytes) / 4096))
	echo "fbv0: $_v of $_b blocks verified"
	[ "$_v" -gt $((_b * 9 / 10)) ]
}

# data1_eio: reading data1 fails with EIO, twice.
data1_eio() {
	for _n in 1 2; do
		! cat /opt/fs/data1 >/dev/null 2>/tmp/eio.out || return 1
		cat /tmp/eio.out
		grep -Eq "I/O error|Input/output error" /tmp/eio.out || return 1
	done
}

others_ok() {
	grep -v ' data1$' "$I/fs1.sums" >/tmp/others.sums && sums_ok /opt/fs /tmp/others.sums &&
		sums_ok /opt/sq "$I/sq.sums"
}

# one_line: the kernel log has one mismatch line, naming fs's object and
# data1's first block.
one_line() {
	_obj=$(fb_obj_of "$I/fs1.erofs")
	_blk=$(($(cat "$I/fs1.data1.offset") / 4096))
	dmesg | grep "does not match its hash tree" >/tmp/mm
	cat /tmp/mm
	test "$(wc -l </tmp/mm)" = 1 &&
		grep -q "fastboot: $_obj: block $_blk does not match its hash tree" /tmp/mm
}

two_devices() {
	fb_status_has '"device":"/dev/fbv1"' && fb_status_has '"open":true' &&
		test "$(dev_num /dev/fbv1 size_bytes)" = "$(stat -c %s "$I/fs.sqfs")"
}

one_failed() {
	test "$(dev_num /dev/fbv0 failed_blocks)" = 1
}

both_mounted() {
	mounted_ro /opt/fs erofs && mounted_ro /opt/sq squashfs
}

no_mismatch() {
	! dmesg | grep "does not match its hash tree"
}

stage_1() {
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "the images from the host (/dev/vdb)" unpack_images
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	ktap_check "module archive m1" mkmod
	ktap_check "base image" fb_base_image "$D"
	write_manifest "$D/mnt.manifest" 1
	sync
	ktap_check "dry run" sh -c "fastboot update --image $D/mnt.manifest --dry-run --json >/tmp/dry.json"
	ktap_check "dry run: --json is valid JSON" fb-hostile json </tmp/dry.json
	ktap_check "dry run: fs and sq stay in the store, with the roots veritysetup computed" \
		roots_recorded /tmp/dry.json
	fb_next_arg fbbyref
	fb_update_to_next_stage --image "$D/mnt.manifest"
}

stage_2() {
	ktap_check "fastboot boot succeeded" boot_ok
	fb_diag_file /run/fbboot.out 2
	ktap_check "fs: erofs mounted read-only at /opt/fs" mounted_ro /opt/fs erofs
	ktap_check "sq: squashfs mounted read-only at /opt/sq" mounted_ro /opt/sq squashfs
	ktap_check "m1 unpacked beside them" grep -qx m1 /byref/m1/marker
	ktap_check "only the blocks read were verified" verified_few
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "status lists the two devices, in use" two_devices
	ktap_check "erofs v1 and squashfs: every file right" fs_is 1
	ktap_check "after reading them, most blocks verified" verified_most
	ktap_check "rm of the object behind /opt/fs refused" rm_refused "$(fb_obj_of "$I/fs1.erofs")"
	ktap_check "rm of its hash tree refused" rm_refused "$(tree_of "$I/fs1.root")"
	ktap_check "no block failed" no_mismatch
	ktap_check "update --from-store loads kernel + base" \
		sh -c "fastboot update --from-store --append fbstage=3 --no-exec >/tmp/fs.out 2>&1"
	fb_diag_file /tmp/fs.out 3
	ktap_check "flip a byte of data1's first block in the region" \
		fb_poke_object "$(fb_obj_of "$I/fs1.erofs")" $(($(cat "$I/fs1.data1.offset") + 100))
	fb_dmesg_report
	ktap_end
	fb_out "# kexec into stage 3 with a block of fs flipped"
	sync
	kexec -e
	_fb_kexec_failed "kexec -e" "returned"
}

stage_3() {
	ktap_check "fastboot boot succeeded (the superblock is intact)" boot_ok
	ktap_check "fs mounted" mounted_ro /opt/fs erofs
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "data1 reads as EIO" data1_eio
	ktap_check "the other files read fine" others_ok
	ktap_check "one kernel log line names the object and the block" one_line
	ktap_check "status: one failed block" one_failed
	ktap_check "unmount /opt/fs" umount /opt/fs
	sync
	fb_dmesg_report
	ktap_end
	fb_out "# fastboot update --verify into stage 4"
	fastboot update --image "$D/mnt.manifest" --verify \
		--cmdline "$(_fb_next_cmdline)" --now >"$D/verify.out" 2>&1
	_fb_kexec_failed "fastboot update --verify" "$(tail -n 3 "$D/verify.out")"
}

stage_4() {
	ktap_check "fastboot boot succeeded" boot_ok
	ktap_check "disk mounted" fb_disk_mount
	fb_diag_file "$D/verify.out" 4
	ktap_check "update --verify stored fs again" grep -q 'fs: storing it again' "$D/verify.out"
	ktap_check "v1: every file right, data1 too" fs_is 1
	ktap_check "no block failed" no_mismatch
	write_manifest "$D/mnt.manifest" 2
	sync
	fb_update_to_next_stage --image "$D/mnt.manifest"
}

stage_5() {
	ktap_check "fastboot boot succeeded" boot_ok
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "v2: every file right" fs_is 2
	fb_dmesg_report
	ktap_end
	fb_out "# fastboot update --rollback into stage 6"
	sync
	fastboot update --rollback --append fbstage=6 --now >/dev/console 2>&1
	_fb_kexec_failed "fastboot update --rollback" "returned"
}

stage_6() {
	ktap_check "fastboot boot succeeded" boot_ok
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "rollback: v1 again" fs_is 1
	ktap_check "arm --from-store" \
		sh -c "fastboot arm --from-store --append fbstage=7 >/tmp/arm.out 2>&1"
	fb_diag_file /tmp/arm.out 3
	ktap_check "armed" fb_status_has '"armed":true'
	ktap_check "the image is larger than the crash reservation" bigger_than_reservation
	fb_panic "# panic into the armed recovery image (stage 7)"
}

big_ok() {
	mounted_ro /opt/big erofs && sums_ok /opt/big "$I/big.sums"
}

# image_bytes: the bytes of the image (every module of mnt.manifest)
image_bytes() {
	_t=0
	for _f in $(awk '$1 == "kernel" { print $2 } $1 == "initrd" || $1 == "module" || $1 == "mount" { print $3 }' "$D/mnt.manifest"); do
		_t=$((_t + $(stat -c %s "$_f")))
	done
	echo $_t
}

# bigger_than_reservation: the image does not fit in the crash
# reservation; what goes through kexec (kernel + base) does
bigger_than_reservation() {
	_r=$(cat /sys/kernel/kexec_crash_size)
	_i=$(image_bytes)
	_k=$(($(stat -c %s "$D/vmlinuz") + $(stat -c %s "$D/base.cpio.gz")))
	echo "image $_i bytes, crash reservation $_r bytes, kernel + base $_k bytes"
	[ "$_r" -gt 0 ] && [ "$_i" -gt "$_r" ] && [ "$_k" -lt "$_r" ]
}

stage_7() {
	ktap_check "running as the crash kernel" test -e /proc/vmcore
	ktap_check "the crash kernel's fastboot boot succeeded" boot_ok
	fb_diag_file /run/fbboot.out 2
	ktap_check "fs and sq mounted from the sealed store" both_mounted
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "v1 and sq: every file right" fs_is 1
	ktap_check "big (larger than this kernel's memory) mounted, every file right" big_ok
	ktap_check "no block failed" no_mismatch
	ktap_check "no kernel warnings" dmesg_clean
}
