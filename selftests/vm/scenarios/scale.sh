# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# A store at scale: 1,000 guest memory regions and 1,000 blobs in one
# store (big tables), kept across a kexec and a panic.
#   stage 1: format (big tables), 1,000 guest regions (4 KiB each, every
#            one 2 MiB aligned, so they span 2 GiB), 1,000 blobs in the
#            holes between them; patterns in three guests; kexec
#   stage 2: reason update, ls --json lists all 2,000 with the same sizes
#            and digests, blobs and patterns intact; panic
#   stage 3: (crash kernel) reason crash, the same again
# fbtest-vm: FB_VM_MEM=6G FB_VM_REGION=2560M@0x100000000
# fbtest-timeout: 2400
. /selftests/fastboot.sh

N=1000

# scale_listing FILE: ls --json as one "name type size sha256" line per
# object, sorted.
scale_listing() {
	fastboot ls --json >/tmp/.ls.json || return 1
	tr '{' '\n' </tmp/.ls.json |
		sed -n 's/.*"name":"\([^"]*\)","type":"\([a-z]*\)","size_bytes":\([0-9]*\),"sha256":"\([0-9a-f]*\)".*/\1 \2 \3 \4/p' |
		sort >"$1"
}

# scale_count TYPE: objects of that type in the last listing.
scale_count() {
	grep -c " $1 " /tmp/.listing
}

scale_same_listing() {
	scale_listing /tmp/.listing &&
		cmp /tmp/.listing "$FB_STATE/listing" ||
		{ diff "$FB_STATE/listing" /tmp/.listing | head -5; return 1; }
}

# scale_blobs_intact: every blob reads back (get checks its SHA-256) with
# the digest recorded when it was put.
scale_blobs_intact() {
	_bad=0
	while read -r _sum _name; do
		_got=$(fastboot get "$_name" | sha256sum | cut -d' ' -f1)
		[ "$_got" = "$_sum" ] || { echo "$_name: $_got, want $_sum"; _bad=1; }
	done <"$FB_STATE/blobsums"
	return $_bad
}

scale_patterns() {	# scale_patterns write|verify
	for _g in 0 499 999; do
		fbmmap "$(fastboot guest path "$(printf 'g%04d' $_g)")" "$1" $((_g + 7)) ||
			return 1
	done
}

scale_big() {
	fb_status_has '"big_tables":true' &&
		test "$(fb_json_num max_objects)" -ge 4096
}

scale_checks() {	# scale_checks REASON
	ktap_check "module loads" modprobe fastboot
	ktap_check "status: reason $1, 2,000 objects" \
		sh -c "fastboot status --json | grep -q '\"objects\":2000' &&
		       fastboot status --json | grep -q '\"reason\":\"$1\"'"
	ktap_check "ls --json lists 2,000 objects, as before" scale_same_listing
	ktap_check "... 1,000 guest regions and 1,000 blobs" \
		sh -c "test \$(grep -c ' guest ' /tmp/.listing) = $N &&
		       test \$(grep -c ' blob ' /tmp/.listing) = $N"
	ktap_check "guest ls lists 1,000 regions" \
		sh -c "test \$(fastboot guest ls --json | tr '{' '\n' | grep -c '\"name\"') = $N"
	ktap_check "1,000 blobs read back with their digests" scale_blobs_intact
	ktap_check "patterns in guests 0, 499 and 999 intact" scale_patterns verify
	ktap_check "no kernel warnings" dmesg_clean
}

stage_1() {
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	ktap_check "big tables, at least 4,096 objects" scale_big
	_t0=$(date +%s)
	_bad=0
	_i=0
	while [ $_i -lt $N ]; do
		fastboot guest create "$(printf 'g%04d' $_i)" 4K >/tmp/.gc 2>&1 ||
			{ cat /tmp/.gc; _bad=1; break; }
		_i=$((_i + 1))
	done
	ktap_check "create 1,000 guest regions ($(($(date +%s) - _t0)) s)" test $_bad = 0
	: >"$FB_STATE/blobsums"
	_t0=$(date +%s)
	_i=0
	while [ $_i -lt $N ] && [ $_bad = 0 ]; do
		_n=$(printf 'b%04d' $_i)
		head -c $((_i * 37 + 1)) /dev/urandom >/tmp/blob
		fastboot put "$_n" /tmp/blob >/tmp/.gc 2>&1 ||
			{ cat /tmp/.gc; _bad=1; break; }
		echo "$(sha256sum </tmp/blob | cut -d' ' -f1) $_n" >>"$FB_STATE/blobsums"
		_i=$((_i + 1))
	done
	ktap_check "put 1,000 blobs ($(($(date +%s) - _t0)) s)" test $_bad = 0
	ktap_check "status: 2,000 objects" \
		sh -c 'fastboot status --json | grep -q "\"objects\":2000"'
	ktap_check "ls --json lists all 2,000" scale_listing "$FB_STATE/listing"
	ktap_check "... 2,000 lines" test "$(wc -l <"$FB_STATE/listing")" = 2000
	ktap_check "... 1,000 guest regions and 1,000 blobs" \
		sh -c "test \$(grep -c ' guest ' $FB_STATE/listing) = $N &&
		       test \$(grep -c ' blob ' $FB_STATE/listing) = $N"
	ktap_check "patterns into guests 0, 499 and 999" scale_patterns write
	ktap_check "no kernel warnings" dmesg_clean
	next_stage
}

stage_2() {
	scale_checks update
	# The panic notifier seals the store before the crash kernel runs.
	echo Y >/sys/module/kernel/parameters/crash_kexec_post_notifiers
	panic_to_next_stage
}

stage_3() {
	scale_checks crash
}
