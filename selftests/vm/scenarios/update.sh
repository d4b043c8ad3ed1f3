# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# fastboot update: a firmware-less reboot that reads only changed modules.
# Sources live on the virtio disk (/mnt), so they keep their identity
# across reboots; state for later stages goes there too.
#   stage 1: image v1 = kernel + base (the running rootfs, gzip) + two
#            marker archives; dry run, then update into v1
#   stage 2: both markers; change marker-a; dry run reads exactly it;
#            corrupt the stored base; update (base re-read from its source)
#   stage 3: new marker; errors leave the store unchanged; a corrupted
#            module whose source changed blocks a rollback; then --rollback
#   stage 4: v1 again; boot history; a failed or interrupted update leaves
#            no kernel loaded; --kernel without --initrd; the system log
. /selftests/fastboot.sh

D=/mnt

mkmarker() {	# mkmarker NAME CONTENT
	rm -rf "/tmp/m$1" && mkdir -p "/tmp/m$1/markers" &&
		echo "$2" >"/tmp/m$1/markers/$1" &&
		fb_mkcpio "/tmp/m$1" "$D/$1.cpio"
}

json_num() {	# json_num FILE KEY
	sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$1"
}

module_status() {	# module_status FILE NAME STATUS
	grep -q "\"name\":\"$2\",[^}]*\"status\":\"$3\"" "$1"
}

# mkbadko OUT: an archive whose fastboot.ko claims another kernel release
# (the vermagic's leading "6." becomes "9.").
mkbadko() {
	rm -rf /tmp/mbad && mkdir -p "/tmp/mbad/lib/modules/$FB_KVER/extra" &&
		xxd -p "$FB_MOD" | tr -d '\n' |
		sed 's/7665726d616769633d362e/7665726d616769633d392e/' |
		xxd -r -p >"/tmp/mbad/lib/modules/$FB_KVER/extra/fastboot.ko" &&
		! cmp -s "$FB_MOD" "/tmp/mbad/lib/modules/$FB_KVER/extra/fastboot.ko" &&
		fb_mkcpio /tmp/mbad "$1"
}

kexec_loaded() {	# kexec_loaded 0|1
	test "$(cat /sys/kernel/kexec_loaded)" = "$1"
}

ls_snapshot() {
	fastboot ls --json >"$1"
}

# expect_refused DESC PATTERN ARGS...: update fails with PATTERN in its
# error and the store's object list is unchanged.
expect_refused() {
	_d=$1 _p=$2
	shift 2
	ls_snapshot /tmp/before
	fastboot update "$@" --cmdline "x fastboot.region=$FB_REGION memmap=256M\$0x40000000" \
		>/tmp/out 2>&1
	_rc=$?
	ls_snapshot /tmp/after
	if [ $_rc -ne 1 ]; then
		ktap_fail "$_d" "exit $_rc, expected 1"
		fb_diag_file /tmp/out
	elif ! grep -q "$_p" /tmp/out; then
		ktap_fail "$_d" "no '$_p' in the error"
		fb_diag_file /tmp/out
	elif ! cmp -s /tmp/before /tmp/after; then
		ktap_fail "$_d" "the store changed"
		fb_diag_file /tmp/after
	else
		ktap_ok "$_d: $(grep '^fastboot: ' /tmp/out | tail -n 1)"
	fi
}

stage_1() {
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	ktap_check "marker-a v1" mkmarker a A1
	ktap_check "marker-b v1" mkmarker b B1
	fb_sha "$D/a.cpio" >"$D/a1.sha"
	fb_base_image "$D"
	cat >"$D/v1.manifest" <<-EOM
	# test image v1
	name v1
	kernel $D/vmlinuz
	initrd base $D/base.cpio.gz
	initrd marker-a $D/a.cpio
	initrd marker-b $D/b.cpio
	reuse-cmdline
	EOM
	sync
	total=$(($(stat -c %s "$D/vmlinuz") + $(stat -c %s "$D/base.cpio.gz") +
		$(stat -c %s "$D/a.cpio") + $(stat -c %s "$D/b.cpio")))
	ktap_check "dry run" sh -c "fastboot update --image $D/v1.manifest --dry-run --json >/tmp/dry.json"
	ktap_check "dry run: --json is valid JSON" fb-hostile json </tmp/dry.json
	ktap_check "dry run reads every module ($total bytes)" \
		test "$(json_num /tmp/dry.json read_bytes)" = "$total"
	ktap_check "dry run: marker-a loaded" module_status /tmp/dry.json marker-a loaded
	ktap_check "dry run changed nothing" fb_status_has '"objects":0'
	fb_update_to_next_stage --image "$D/v1.manifest"
}

stage_2() {
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "module loads" modprobe fastboot
	ktap_check "boot reason update" fb_status_has '"reason":"update"'
	ktap_check "status shows the image" fb_status_has '"image":"img.1"'
	ktap_check "marker a from v1" grep -qx A1 /markers/a
	ktap_check "marker b from v1" grep -qx B1 /markers/b
	ktap_check "log lists this boot with its image" \
		sh -c 'fastboot log --json | grep -q "\"boot\":2,\"reason\":\"update\",\"release\":\"[^\"]*\",\"image\":\"img.1\""'

	ktap_check "change marker-a" mkmarker a A2
	asz=$(stat -c %s "$D/a.cpio")
	ktap_check "dry run" sh -c "fastboot update --image $D/v1.manifest --dry-run --json >/tmp/dry.json"
	ktap_check "dry run reads exactly the changed module ($asz bytes)" \
		test "$(json_num /tmp/dry.json read_bytes)" = "$asz"
	ktap_check "marker-a is loaded" module_status /tmp/dry.json marker-a loaded
	ktap_check "base is reused" module_status /tmp/dry.json base reused
	ktap_check "marker-b is reused" module_status /tmp/dry.json marker-b reused
	ktap_check "the kernel is reused" grep -q '"kernel":{"name":"[^"]*",[^}]*"status":"reused"' /tmp/dry.json
	ktap_check "--verify hashes every module" \
		sh -c "fastboot update --image $D/v1.manifest --dry-run --verify --json | grep -q '\"reused_bytes\":0,'"

	ktap_check "corrupt the stored base module" \
		fb_poke_object "$(fb_obj_of "$D/base.cpio.gz")" 5000
	ktap_check "its digest no longer matches" \
		sh -c "! fastboot get $(fb_obj_of "$D/base.cpio.gz") >/dev/null"
	rm -f "$D/update.err"
	sync
	fb_dmesg_report
	ktap_end
	fb_out "# fastboot update into stage 3"
	fastboot update --image "$D/v1.manifest" --cmdline "$(_fb_next_cmdline)" \
		--now 2>"$D/update.err"
	_fb_kexec_failed "fastboot update" "$(cat "$D/update.err")"
}

stage_3() {
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "module loads" modprobe fastboot
	ktap_check "status shows image img.2" fb_status_has '"image":"img.2"'
	ktap_check "marker a is new" grep -qx A2 /markers/a
	ktap_check "marker b unchanged" grep -qx B1 /markers/b
	ktap_check "the corrupted base was re-read from its source" \
		grep -q 're-reading it from' "$D/update.err"
	ktap_check "the stored base is whole again" \
		sh -c "test \"\$(fastboot get $(fb_obj_of "$D/base.cpio.gz") | sha256sum | cut -d' ' -f1)\" = $(fb_sha "$D/base.cpio.gz")"
	ktap_check "old and new marker-a, both images kept (7 objects)" \
		fb_status_has '"objects":7'

	printf 'kernel %s/nope\ninitrd base %s/base.cpio.gz\n' "$D" "$D" >"$D/missing.manifest"
	expect_refused "a missing kernel is refused" "nope: No such file" \
		--image "$D/missing.manifest"
	expect_refused "an unreadable module is refused" "not a regular file" \
		--kernel "$D/vmlinuz" --initrd "$D/base.cpio.gz" --initrd "$D"
	free=$(fb_json_num free_bytes)
	truncate -s $((free + 1048576)) "$D/huge.cpio"
	expect_refused "an image larger than the free space is refused" \
		"nothing was changed" --kernel "$D/vmlinuz" --initrd "$D/huge.cpio"
	rm -f "$D/huge.cpio"
	ktap_check "marker-c" mkmarker c C1
	expect_refused "an image without fastboot.ko is refused" \
		"carries no fastboot.ko" --no-exec --kernel "$D/vmlinuz" --initrd "$D/c.cpio"
	expect_refused "a dry run refuses an image without fastboot.ko" \
		"carries no fastboot.ko" --dry-run --kernel "$D/vmlinuz" --initrd "$D/c.cpio"
	ktap_check "a fastboot.ko built for another release" mkbadko "$D/badko.cpio"
	expect_refused "an image whose fastboot.ko has the wrong vermagic is refused" \
		"is built for 9\." --no-exec --kernel "$D/vmlinuz" --initrd "$D/badko.cpio"
	expect_refused "a dry run refuses it too" \
		"is built for 9\." --dry-run --kernel "$D/vmlinuz" --initrd "$D/badko.cpio"
	ktap_check "--rollback with --kernel is a usage error (exit 2)" \
		sh -c "fastboot update --rollback --kernel $D/vmlinuz; [ \$? -eq 2 ]"

	a1="b:$(cut -c1-60 "$D/a1.sha")"
	ktap_check "corrupt the previous image's marker-a" fb_poke_object "$a1" 10
	expect_refused "rollback refused: corrupted module, changed source" \
		"no longer matches it" --rollback --no-exec
	ktap_check "undo the corruption" fb_poke_object "$a1" 10
	fb_update_to_next_stage --rollback
}

stage_4() {
	ktap_check "module loads" modprobe fastboot
	ktap_check "rolled back: marker a from v1" grep -qx A1 /markers/a
	ktap_check "marker b" grep -qx B1 /markers/b
	ktap_check "status shows image img.3" fb_status_has '"image":"img.3"'
	ktap_check "history: boot 4 by update into img.3" \
		sh -c 'fastboot log --json | grep -q "\"boot\":4,\"reason\":\"update\",\"release\":\"[^\"]*\",\"image\":\"img.3\""'
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "no kernel loaded yet" kexec_loaded 0
	ktap_check "syslogd runs (/dev/log)" fb_syslogd
	failed_update_checks
	ktap_check "the interrupted update is in the system log" \
		grep -q "fastboot\[[0-9]*\]: update failed: update: interrupted" /tmp/messages
	kernel_only_checks
	ktap_check "the update is in the system log" \
		grep -q "fastboot\[[0-9]*\]: update to img\.[0-9]* (1 modules read, 0 reused, " /tmp/messages
	ktap_check "disarm is in the system log" \
		fb_logged "disarm (no crash kernel was loaded)" fastboot disarm
	ktap_check "no kernel warnings" dmesg_clean
}

# failed_update_checks: an update that fails or is interrupted after the
# kernel could be loaded leaves no kernel loaded and the store unchanged.
failed_update_checks() {
	# A record larger than two pages (long source paths) with the store
	# full but for two pages: the record does not fit.
	_long=$D
	for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		_long="$_long/$(printf '%0200d' $_i)"
	done
	mkdir -p "$_long" && ln -f "$D/vmlinuz" "$_long/vmlinuz" &&
		ln -f "$D/base.cpio.gz" "$_long/base.cpio.gz"
	printf 'kernel %s\ninitrd base %s\ninitrd again %s\n' "$_long/vmlinuz" \
		"$_long/base.cpio.gz" "$_long/base.cpio.gz" >"$D/long.manifest"
	free=$(fb_json_num free_bytes)
	truncate -s $((free - 8192)) /tmp/fill
	ktap_check "fill the store but for two pages" fastboot put filler /tmp/fill
	rm -f /tmp/fill
	expect_refused "an image whose record does not fit is refused" "free" \
		--no-exec --image "$D/long.manifest"
	ktap_check "no kernel is left loaded" kexec_loaded 0
	ktap_check "remove the filler" fastboot rm filler

	# SIGTERM right after the load (test hook, fastboot(8) ENVIRONMENT)
	FASTBOOT_TEST_HOOK=sigterm-after-load
	export FASTBOOT_TEST_HOOK
	expect_refused "an update interrupted after the load stops" "interrupted" \
		--no-exec --from-store
	unset FASTBOOT_TEST_HOOK
	ktap_check "the kernel it loaded was unloaded" kexec_loaded 0
}

# kernel_only_checks: --kernel without --initrd loads no initramfs through
# kexec_file_load (KEXEC_FILE_NO_INITRAMFS), not an empty file.
kernel_only_checks() {
	fastboot update --kernel "$D/vmlinuz" --no-exec --force --json \
		--cmdline "x fastboot.region=$FB_REGION memmap=256M\$0x40000000" \
		>/tmp/konly.json 2>/tmp/konly.err
	ktap_check "--kernel without --initrd loads" sh -c "test $? -eq 0 && grep -qx 1 /sys/kernel/kexec_loaded"
	fb_diag_file /tmp/konly.err 4
	ktap_check "... with kexec_file_load, no fallback to kexec(8)" \
		sh -c '! grep -q "falling back" /tmp/konly.err'
	ktap_check "... and says the image has no initramfs" \
		grep -q 'no initramfs' /tmp/konly.err
	kexec -u
}
