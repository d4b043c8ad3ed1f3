# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# A panic in the middle of a large put leaves the store consistent: the
# object is absent or complete, never torn, and the others are intact.
. /selftests/fastboot.sh

stage_1() {
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	rm -f "$FB_STATE/sums"
	ktap_check "put a committed object" fb_put_random kept 65536
	head -c 201326592 /dev/urandom >/tmp/big
	fb_sha /tmp/big >"$FB_STATE/big.sha"
	echo Y >/sys/module/kernel/parameters/crash_kexec_post_notifiers
	fastboot put big /tmp/big &
	panic_to_next_stage
}

stage_2() {
	ktap_check "module loads" modprobe fastboot
	ktap_check "store ready, not damaged" fb_status_has '"state":"ready"'
	ktap_check "reason crash" fb_status_has '"reason":"crash"'
	ktap_check "committed objects intact" fb_verify_all
	# Stream it: the crash kernel's tmpfs could not hold it.
	if fastboot ls | grep -q '^big '; then
		ktap_check "the big object is complete" \
			test "$(fastboot get big | sha256sum | cut -d' ' -f1)" = "$(cat "$FB_STATE/big.sha")"
	else
		fastboot get big >/dev/null 2>/tmp/err
		ktap_check "the big object is absent, not torn" grep -q 'no such object' /tmp/err
	fi
	fb_out "# big object: $(fastboot ls | grep -c '^big ') present"
	ktap_check "no kernel warnings" dmesg_clean
}
