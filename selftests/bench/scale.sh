# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# make bench, section 5 (a store at scale), one VM with a 2.5 GiB region
# (big tables: 40,960 object slots).  Times of single commands:
#   put-N     fastboot put of a new 1 KiB blob with N objects already in the
#             store (N = 10, 1000, 4096), then rm (not timed)
#   attach-N  modprobe fastboot (attach: both copies validated) with N
#             objects, after rmmod
#   guest-first / guest-1000  fastboot guest create of the first REPS
#             4 KiB guest regions (each 2 MiB aligned) into an empty store,
#             and of the last REPS up to the 1,000th
# First, empty BENCH-B/BENCH-E pairs measure the marker overhead.
# Command line: fbbench fbbench.reps=N
. /selftests/bench/lib.sh

# fill_to N: blobs f0..f(N-1) exist (the store holds nothing else)
fill_to() {
	_k=$(json_num_status objects)
	while [ "$_k" -lt "$1" ]; do
		echo "$_k" | fastboot put "f$_k" - || return 1
		_k=$((_k + 1))
	done
	test "$(json_num_status objects)" = "$1"
}

json_num_status() {
	fastboot status --json >/tmp/.st && json_num /tmp/.st "$1"
}

stage_1() {
	reps=$(bench_reps)
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	fb_out "BENCH-V scale size 0 max_objects=$(json_num_status max_objects)"
	for r in $(seq 1 "$reps"); do
		fb_out "BENCH-B scale marker $r"
		fb_out "BENCH-E scale marker $r"
	done
	head -c 1024 /dev/urandom >/tmp/kib
	for n in 10 1000 4096; do
		ktap_check "$n objects in the store" fill_to "$n"
		for r in $(seq 1 "$reps"); do
			fb_out "BENCH-B scale put-$n $r"
			fastboot put probe /tmp/kib
			fb_out "BENCH-E scale put-$n $r"
			fastboot rm probe
		done
		if [ "$n" != 1000 ]; then
			for r in $(seq 1 "$reps"); do
				rmmod fastboot
				fb_out "BENCH-B scale attach-$n $r"
				modprobe fastboot
				fb_out "BENCH-E scale attach-$n $r"
			done
		fi
	done
	ktap_check "store empty again" fastboot format --force
	# The first REPS creates into an empty store and the last REPS up to
	# the 1,000th, each timed.
	_i=0
	_bad=0
	while [ $_i -lt 1000 ]; do
		_m=""
		[ $_i -lt "$reps" ] && _m="guest-first $((_i + 1))"
		[ $_i -ge $((1000 - reps)) ] && _m="guest-1000 $((_i - 1000 + reps + 1))"
		[ -n "$_m" ] && fb_out "BENCH-B scale $_m"
		fastboot guest create "$(printf 'g%04d' $_i)" 4K || _bad=1
		[ -n "$_m" ] && fb_out "BENCH-E scale $_m"
		_i=$((_i + 1))
	done
	ktap_check "1,000 guest regions created" test $_bad = 0
	ktap_check "guest ls lists 1,000" \
		test "$(fastboot guest ls --json | tr '{' '\n' | grep -c '"name"')" = 1000
	ktap_check "no kernel warnings" dmesg_clean
}
