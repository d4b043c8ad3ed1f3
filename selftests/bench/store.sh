# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# make bench, section 4 (store throughput), one VM: a 256 MiB random file
# in tmpfs (/tmp); per repetition cp into another tmpfs file, fastboot put,
# fastboot get into tmpfs (SHA-256 checked), each between BENCH-B/BENCH-E
# lines, and, as a reference for what hashing alone costs, sha256sum of
# the file (busybox).  First, empty BENCH-B/BENCH-E pairs measure the
# marker overhead.
# Command line: fbbench fbbench.reps=N fbbench.mib=256
. /selftests/bench/lib.sh

stage_1() {
	mib=$(fb_arg fbbench.mib || echo 256)
	reps=$(bench_reps)
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	ktap_check "$mib MiB of random data in tmpfs" \
		sh -c "head -c $((mib * 1048576)) /dev/urandom >/tmp/big"
	fb_out "BENCH-V store size 0 bytes=$((mib * 1048576))"
	for r in $(seq 1 $reps); do
		fb_out "BENCH-B store marker $r"
		fb_out "BENCH-E store marker $r"
	done
	for r in $(seq 1 $reps); do
		sync
		fb_out "BENCH-B store tmpfs-cp $r"
		cp /tmp/big /tmp/copy
		fb_out "BENCH-E store tmpfs-cp $r"
		rm -f /tmp/copy
		fb_out "BENCH-B store put $r"
		fastboot put big /tmp/big
		fb_out "BENCH-E store put $r"
		fb_out "BENCH-B store get $r"
		fastboot get big /tmp/out
		fb_out "BENCH-E store get $r"
		if [ "$r" = 1 ]; then
			ktap_check "get returns the same bytes" cmp /tmp/big /tmp/out
		fi
		rm -f /tmp/out
		fastboot rm big
		fb_out "BENCH-B store sha256sum $r"
		sha256sum /tmp/big >/dev/null
		fb_out "BENCH-E store sha256sum $r"
	done
	ktap_check "no kernel warnings" dmesg_clean
}
