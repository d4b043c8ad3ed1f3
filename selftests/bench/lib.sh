# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers for the `make bench` stage scripts (selftests/bench/*.sh, sourced
# by /init as /selftests/scenarios/bench-NAME.sh, after lib.sh).
#
# Every timed event is a console line that scripts/bench.sh timestamps on
# the host as it arrives (the serial console runs in real time):
#   BENCH-T0 SECTION METHOD REP   just before a reboot-like command; the
#                                 next BENCH-INIT (printed by /init of the
#                                 new kernel, see selftests/vm/init) ends it
#   BENCH-B SECTION METHOD REP / BENCH-E SECTION METHOD REP   around a command
#   BENCH-V SECTION METHOD REP KEY=VALUE...   values measured in the guest
. /selftests/fastboot.sh

D=/mnt

bench_reps() {
	fb_arg fbbench.reps 2>/dev/null || echo 5
}

# bytes read from /dev/vda since boot (sectors read, field 3, x 512)
vda_read_bytes() {
	# shellcheck disable=SC2046
	set -- $(cat /sys/block/vda/stat)
	echo $(($3 * 512))
}

drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

json_num() {	# json_num FILE KEY: the first numeric value of KEY
	sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$1" | head -n 1
}

bench_mount() {
	fb_disk_mount
}
