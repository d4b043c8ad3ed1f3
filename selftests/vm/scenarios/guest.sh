# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Guest memory regions: files a VMM maps, kept across kexec and panic.
#   stage 1: create, stat, zeroed, mmap/read/write, permissions, in-use,
#            ENOSPC, zeroing between tenants; then kexec
#   stage 2: contents, mode and owner intact; then panic
#   stage 3: (crash kernel) contents intact
. /selftests/fastboot.sh


stage_1() {
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	ktap_check "create a 64 MiB region, mode 0660, owner 1000:1000" \
		fastboot guest create vm0 64M --mode 0660 --owner 1000:1000
	P=$(fastboot guest path vm0)
	ktap_check "guest path prints a file in fastbootfs ($P)" \
		test "$P" = /run/fastboot/guest/vm0
	ktap_check "stat shows the region's size" test "$(stat -c %s "$P")" = 67108864
	ktap_check "stat shows mode and owner" test "$(stat -c '%a %u:%g' "$P")" = "660 1000:1000"
	ktap_check "a new region is zeroed" fbmmap "$P" zero
	ktap_check "write through mmap(MAP_SHARED)" fbmmap "$P" write 42
	ktap_check "read back through mmap" fbmmap "$P" verify 42
	cat "$P" | sha256sum | cut -d' ' -f1 >"$FB_STATE/vm0.sha"
	ktap_check "read() sees what mmap wrote" \
		sh -c "dd if=$P bs=4096 count=1 2>/dev/null | od -An -tx8 -N8 | grep -q ."
	head -c 1048576 /dev/urandom >/tmp/r
	ktap_check "create a second region" fastboot guest create vm1 4M
	P1=$(fastboot guest path vm1)
	ktap_check "write() at an offset" \
		dd if=/tmp/r of="$P1" bs=1M seek=2 conv=notrunc
	ktap_check "read() back at that offset" \
		sh -c "test \"\$(dd if=$P1 bs=1M skip=2 count=1 2>/dev/null | sha256sum)\" = \"\$(sha256sum </tmp/r)\""
	ktap_check "truncating a region is refused" sh -c "! truncate -s 1M $P1"
	ktap_check "ls lists the regions" \
		sh -c 'fastboot guest ls --json | grep -q "{\"name\":\"vm0\",\"size_bytes\":67108864,\"mode\":\"0660\",\"uid\":1000,\"gid\":1000,\"path\":\"/run/fastboot/guest/vm0\"}"'
	ktap_check "regions are objects of type guest" \
		sh -c 'fastboot ls --json | grep -q "\"name\":\"vm0\",\"type\":\"guest\""'
	ktap_check "guest ls --json is valid JSON" \
		sh -c 'fastboot guest ls --json | fb-hostile json'
	ktap_check "--json guest path: {name, path}" \
		sh -c 'fastboot --json guest path vm0 >/tmp/.path.json && fb-hostile json </tmp/.path.json &&
			grep -qx "{\"name\":\"vm0\",\"path\":\"/run/fastboot/guest/vm0\"}" /tmp/.path.json'
	ktap_check "--json guest path of a missing region: the error object" \
		sh -c 'fastboot --json guest path nosuch >/tmp/.path.json; [ $? -eq 1 ] &&
			fb-hostile json </tmp/.path.json && grep -q "^{\"error\":{\"what\":\"nosuch\"" /tmp/.path.json'
	# busybox's setpriv cannot change uids: fbharden as UID does.
	ktap_check "another user cannot open it" \
		sh -c "fbharden as 65534 cat $P 2>&1 >/dev/null | grep -q 'Permission denied'"
	ktap_check "unprivileged users cannot create regions" \
		sh -c 'fbharden as 65534 fastboot guest create x 2M 2>&1 | grep -qi "permission denied"'
	( exec 3<"$P"; sleep 20 ) &
	holder=$!
	sleep 1
	ktap_check "a region in use cannot be removed" \
		sh -c "fastboot guest rm vm0 2>&1 | grep -q 'in use'"
	kill $holder 2>/dev/null
	wait $holder 2>/dev/null
	free=$(fb_json_num free_bytes)
	ktap_check "more than the free space gives a clear error" \
		sh -c "fastboot guest create huge $((free + 1)) 2>&1 | grep -q 'free in the store'"
	ktap_check "put cannot replace a region" fb_expect_fails fastboot put vm0 /proc/version
	# Zeroed on delete and on create: the next tenant sees zeros.
	ktap_check "tenant A writes a region" \
		sh -c 'fastboot guest create ta 2M && fbmmap $(fastboot guest path ta) write 7'
	ktap_check "tenant A's region is removed" fastboot guest rm ta
	ktap_check "tenant B gets zeroed memory" \
		sh -c 'fastboot guest create tb 2M && fbmmap $(fastboot guest path tb) zero'
	ktap_check "rm of a missing region fails" fb_expect_fails fastboot guest rm nosuch
	ktap_check "no kernel warnings" dmesg_clean
	next_stage file
}

stage_2() {
	ktap_check "module loads" modprobe fastboot
	P=$(fastboot guest path vm0)
	ktap_check "contents intact after kexec (mmap)" fbmmap "$P" verify 42
	ktap_check "contents intact after kexec (read)" \
		test "$(sha256sum <"$P" | cut -d' ' -f1)" = "$(cat "$FB_STATE/vm0.sha")"
	ktap_check "mode and owner kept" test "$(stat -c '%a %u:%g' "$P")" = "660 1000:1000"
	ktap_check "no kernel warnings" dmesg_clean
	echo Y >/sys/module/kernel/parameters/crash_kexec_post_notifiers
	panic_to_next_stage
}

stage_3() {
	ktap_check "module loads in the crash kernel" modprobe fastboot
	ktap_check "reason crash" fb_status_has '"reason":"crash"'
	ktap_check "contents intact after a panic" \
		fbmmap "$(fastboot guest path vm0)" verify 42
	ktap_check "no kernel warnings" dmesg_clean
}
