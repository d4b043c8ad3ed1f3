# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# A running VM kept across a host update (fastboot vm save/restore).
# QEMU runs inside the test VM under TCG, from a read-only disk built by
# scripts/mkl2disk.sh (/dev/vdb, mounted on /l2); its guest (L2) runs the
# ticker (selftests/vm/l2/ticker.c) with its RAM in a guest region.
#   stage 1: start L2 on `fastboot guest path l2`, let it tick, vm save
#            (QEMU quits), fastboot update --now into the same kernel
#   stage 2: vm restore; the ticker goes on: same sum, next tick numbers,
#            no second boot of L2; reports the blackout
# State for stage 2 lives on the scenario disk (/mnt).  QEMU 7.2 has no
# migration mode: the save is x-ignore-shared; vm-cpr.sh runs this with
# QEMU 10 and VM_MODE=cpr-reboot.
# fbtest-disk2: scripts/mkl2disk.sh build/l2.img
# fbtest-timeout: 600
. /selftests/fastboot.sh

VM_MODE=${VM_MODE:-x-ignore-shared}

D=/mnt
L2=/l2
QMP=/tmp/l2.qmp
L2MEM=128M
LOG=$D/l2.log

l2_mount() {
	mkdir -p "$L2"
	_i=0
	while [ ! -b /dev/vdb ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	mount -t ext4 -o ro /dev/vdb "$L2"
}

# uptime in ms
up_ms() {
	read -r _u _ </proc/uptime
	echo $((${_u%.*}${_u#*.} * 10))
}

# alive PID: running, not a zombie
alive() {
	[ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"
}

json_num() {	# json_num FILE KEY
	sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$1"
}

last_tick() {	# the number of the last "tick N" line in the log
	grep -a '^tick [0-9]' "$LOG" | tail -n 1 | cut -d' ' -f2
}

# wait_line PATTERN SECS [FROM-LINE]: a log line after FROM-LINE matches
wait_line() {
	_n=0
	while [ $_n -lt $(($2 * 5)) ]; do
		tail -n +"$((${3:-0} + 1))" "$LOG" 2>/dev/null | grep -aq "$1" && return 0
		sleep 0.2
		_n=$((_n + 1))
	done
	return 1
}

stage_1() {
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "L2 disk mounted on $L2" l2_mount
	if [ ! -x "$L2/qemu" ]; then
		ktap_bail "no L2 disk (/dev/vdb from scripts/mkl2disk.sh)"
		return
	fi
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	ktap_check "create guest region l2 ($L2MEM)" fastboot guest create l2 $L2MEM
	P=$(fastboot guest path l2)
	ktap_check "guest path ($P)" test -e "$P"
	# The update's image, made before the VM starts so that the blackout
	# is save + update + restore: the same kernel, the running rootfs as
	# its initramfs.
	fb_base_image "$D"
	rm -f "$LOG"
	t0=$(up_ms)
	# The QMP socket lives in /tmp: not packed into the next stage.
	setsid "$L2/qemu" -accel tcg -nodefaults -vga none -display none \
		-m $L2MEM -object "memory-backend-file,id=m0,size=$L2MEM,mem-path=$P,share=on" \
		-machine pc,memory-backend=m0 \
		-kernel "$L2/l2/vmlinux" -initrd "$L2/l2/initrd.cpio" \
		-append "console=ttyS0 quiet panic=-1" \
		-chardev "file,id=ser,path=$LOG,append=on" -serial chardev:ser \
		-qmp "unix:$QMP,server=on,wait=off" -no-reboot \
		</dev/null >/dev/null 2>"$D/qemu1.err" &
	qpid=$!
	if ! wait_line '^tick 3 ' 300; then
		ktap_fail "L2 boots and ticks" "no 'tick 3' in 300 s"
		fb_diag_file "$LOG"
		fb_diag_file "$D/qemu1.err"
		kill "$qpid" 2>/dev/null
		return
	fi
	ktap_ok "L2 boots and ticks ($(($(up_ms) - t0)) ms to tick 3)"
	fb_out "# L2: $(grep -a '^ticker: start' "$LOG")"
	ktap_check "fastboot vm save" \
		sh -c "fastboot vm save l2 --qmp $QMP --json >$D/save.json 2>$D/save.err"
	fb_diag_file "$D/save.err" 5
	ktap_check "saved in $VM_MODE mode" grep -q "\"mode\":\"$VM_MODE\"" "$D/save.json"
	# The last tick the saved VM printed, and its sum.
	last_tick >"$D/tick_before"
	grep -a '^tick [0-9]' "$LOG" | tail -n 1 | cut -d' ' -f3 >"$D/sum"
	wc -l <"$LOG" >"$D/lines_before"
	# vm save returns once the process has exited (a zombie of this
	# shell's), not only once it closed its QMP socket: nothing races the
	# reboot.
	if alive "$qpid"; then
		ktap_fail "QEMU has exited when vm save returns" "pid $qpid still runs"
	else
		ktap_ok "QEMU has exited when vm save returns"
	fi
	wait "$qpid" 2>/dev/null
	ktap_check "the argument record names QEMU's uid" \
		sh -c "fastboot get vm.l2.args - | grep -aqx 'uid 0'"
	ktap_check "the state is in the store" \
		sh -c 'fastboot ls --json | grep -q "\"name\":\"vm.l2.state\",\"type\":\"blob\""'
	ktap_check "and QEMU's command line" \
		sh -c 'fastboot ls --json | grep -q "\"name\":\"vm.l2.args\",\"type\":\"blob\""'
	fb_out "# save: $(cat "$D/save.json")"
	ktap_check "vm save --json is valid JSON" fb-hostile json <"$D/save.json"
	sync
	fb_update_to_next_stage --kernel "$D/vmlinuz" --initrd "$D/base.cpio.gz"
}

stage_2() {
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "L2 disk mounted on $L2" l2_mount
	ktap_check "module loads" modprobe fastboot
	ktap_check "boot reason update" fb_status_has '"reason":"update"'
	# vm restore mounts fastbootfs itself: nothing has, after the reboot
	ktap_check "fastbootfs not mounted yet" sh -c '! grep -q fastbootfs /proc/mounts'
	before=$(cat "$D/tick_before")
	lines=$(cat "$D/lines_before")
	t0=$(up_ms)
	ktap_check "fastboot vm restore" \
		sh -c "fastboot vm restore l2 --log $D/qemu2.err --json >$D/restore.json 2>$D/restore.err"
	t1=$(up_ms)
	fb_diag_file "$D/restore.err" 5
	fb_out "# restore: $(cat "$D/restore.json")"
	ktap_check "vm restore --json is valid JSON" fb-hostile json <"$D/restore.json"
	ktap_check "restored in $VM_MODE mode" grep -q "\"mode\":\"$VM_MODE\"" "$D/restore.json"
	ktap_check "guest region l2 kept" test -e "$(fastboot guest path l2)"
	if ! wait_line '^tick ' 120 "$lines"; then
		ktap_fail "L2 ticks again" "no tick in 120 s after the restore"
		fb_diag_file "$LOG"
		fb_diag_file "$D/qemu2.err"
		return
	fi
	t2=$(up_ms)
	first=$(tail -n +"$((lines + 1))" "$LOG" | grep -a '^tick ' | head -n 1 | cut -d' ' -f2)
	ktap_ok "L2 ticks again ($((t2 - t1)) ms after restore returned)"
	ktap_check "the first tick after restore is tick $((before + 1)) (got $first)" \
		test "$first" = "$((before + 1))"
	sleep 3
	after=$(last_tick)
	ktap_check "the tick counter increases ($before -> $after)" test "$after" -gt "$first"
	ktap_check "the same pattern sum ($(cat "$D/sum"))" \
		sh -c "! tail -n +$((lines + 1)) $LOG | grep -a '^tick ' | grep -av ' $(cat "$D/sum")\$'"
	ktap_check "no CORRUPT line" sh -c "! grep -a CORRUPT $LOG"
	ktap_check "no second boot of L2 (one start line)" \
		test "$(grep -ac '^ticker: start' "$LOG")" = 1
	ktap_check "restore reports the VM running" \
		grep -q '"status":"running"' "$D/restore.json"
	ktap_check "the spent state was removed" \
		sh -c '! fastboot ls --json | grep -q "\"name\":\"vm.l2.state\""'
	# Blackout: from the stop before saving to the first tick after
	# restoring.  Epoch times come from the tool (stage 1 and 2); the
	# kexec re-reads the wall clock from the RTC, hence +-1 s.
	stop=$(json_num "$D/save.json" stopped_at_ms)
	res=$(json_num "$D/restore.json" resumed_at_ms)
	if [ -n "$stop" ] && [ -n "$res" ]; then
		bo=$((res - stop + t2 - t1))
		fb_out "# blackout: ${bo} ms from stop to first tick (+-1 s): save $(json_num "$D/save.json" save_ms) ms + store $(json_num "$D/save.json" store_ms) ms + host update and reboot $((res - stop - $(json_num "$D/restore.json" total_ms))) ms + restore $(json_num "$D/restore.json" total_ms) ms (start $(json_num "$D/restore.json" start_ms), load $(json_num "$D/restore.json" load_ms)) + first tick $((t2 - t1)) ms"
	fi
	ktap_check "no kernel warnings" dmesg_clean
}
