# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# make bench, section 5 (guest memory), one VM: a 1 GiB guest region next
# to a 1 GiB file on hugetlbfs (2 MiB pages, reserved at boot of the stage);
# every measure is a BENCH-V line of values taken in the VM (fbgup prints
# them, CLOCK_MONOTONIC and getrusage), per repetition:
#   touch-guest, touch-hugetlbfs   fbgup faults FILE 1024: a fresh
#          MAP_SHARED mapping, one write per 4 KiB page: minor faults and
#          ms.  Two runs each: "first" (hugetlbfs: the huge pages are
#          allocated and zeroed on the way; the guest region was zeroed
#          by guest create) and "again" (a new mapping of the populated
#          file: faults only, for both).  Alternating which file goes
#          first.
#   odread  fbgup odread: O_DIRECT read of a 256 MiB file on the virtio
#          disk (/dev/vda, ext4) into the first 256 MiB of the guest
#          mapping and into anonymous memory, ABBA, best of two each:
#          guest_ms, anon_ms
# Command line: fbbench fbbench.reps=N
. /selftests/bench/lib.sh

GM_MIB=1024
OD_MIB=256
HT=/hugetlb

# touch WHAT FILE REP: two fbgup faults runs over GM_MIB MiB of FILE
touch_one() {
	for _run in first again; do
		_o=$(fbgup faults "$2" $GM_MIB) || { fb_out "# fbgup faults $2: $_o"; return 1; }
		fb_out "# $1 $_run: $_o"
		# faults N ms T mib M aligned A
		# shellcheck disable=SC2086
		set -- "$1" "$2" "$3" $_o
		[ "${11}" = 1 ] || { fb_out "# $2: the mapping is not 2 MiB aligned"; return 1; }
		fb_out "BENCH-V guestmem touch-$1 $3 ${_run}_minflt=$5 ${_run}_ms=$7"
	done
}

stage_1() {
	reps=$(bench_reps)
	ktap_check "disk mounted" bench_mount
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	if ! fastboot guest create gm ${GM_MIB}M; then
		ktap_bail "no guest region gm ($GM_MIB MiB)"
		return
	fi
	ktap_ok "guest region gm ($GM_MIB MiB)"
	P=$(fastboot guest path gm)
	mkdir -p $HT
	ktap_check "hugetlbfs mounted (2 MiB pages)" mount -t hugetlbfs -o pagesize=2M none $HT
	echo $((GM_MIB / 2)) >/proc/sys/vm/nr_hugepages
	ktap_check "$((GM_MIB / 2)) huge pages of 2 MiB reserved" \
		test "$(cat /proc/sys/vm/nr_hugepages)" = $((GM_MIB / 2))
	ktap_check "hugetlbfs file of $GM_MIB MiB" truncate -s ${GM_MIB}M $HT/f
	ktap_check "$OD_MIB MiB file on the disk" \
		sh -c "head -c $((OD_MIB << 20)) /dev/urandom >$D/od.dat && sync"
	fb_out "BENCH-V guestmem size 0 touch_mib=$GM_MIB odread_mib=$OD_MIB"
	ok=1
	for r in $(seq 1 "$reps"); do
		# the hugetlbfs file is emptied each time: "first" allocates
		truncate -s 0 $HT/f && truncate -s ${GM_MIB}M $HT/f || ok=0
		if [ $((r % 2)) = 1 ]; then
			touch_one guest "$P" "$r" && touch_one hugetlbfs $HT/f "$r" || ok=0
		else
			touch_one hugetlbfs $HT/f "$r" && touch_one guest "$P" "$r" || ok=0
		fi
		drop_caches
		_o=$(fbgup odread "$P" $D/od.dat $OD_MIB) || ok=0
		fb_out "# odread: $_o"
		# odread guest_ms G anon_ms A mib M
		# shellcheck disable=SC2086
		set -- $_o
		[ "${1:-}" = odread ] && fb_out "BENCH-V guestmem odread $r guest_ms=$3 anon_ms=$5"
	done
	ktap_check "every measure ran (data checked by fbgup)" test $ok = 1
	ktap_check "the mappings took 2 MiB faults (guest)" \
		sh -c "fbgup faults $P 64 | grep -q '^faults [0-9]\{1,2\} '"
	truncate -s 0 $HT/f
	ktap_check "no kernel warnings" dmesg_clean
}
