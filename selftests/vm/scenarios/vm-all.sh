# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Several running VMs kept across a host update at once: fastboot vm save
# --all and vm restore --all.  Three L2 QEMUs (7.2, TCG, from the disk of
# scripts/mkl2disk.sh) run the bare-metal ticker (mbticker: boots at once,
# fills its RAM with a pattern it checks) with their RAM in guest regions
# a, b and c (c made by QEMU itself: its mem-path does not exist, and
# QEMU's open(O_CREAT) + ftruncate creates the region); a fourth QEMU has
# its RAM in region d and no QMP socket.
#   stage 1: save --all refuses d (and fails) but saves a, b and c all
#            the same; d's mapping goes, save --all again finds nothing;
#            update into the same kernel
#   stage 2: restore --all: the three tick on from where they were, no
#            second boot, no CORRUPT line; the spent states are gone and a
#            second restore --all finds nothing
# fbtest-disk2: scripts/mkl2disk.sh build/l2.img
# fbtest-timeout: 600
. /selftests/fastboot.sh

D=/mnt
L2=/l2
VMS="a b c"
MEM=32M

l2_mount() {
	mkdir -p "$L2"
	_i=0
	while [ ! -b /dev/vdb ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	mount -t ext4 -o ro /dev/vdb "$L2"
}

last_tick() {	# last_tick VM
	grep -a '^tick [0-9]' "$D/$1.log" | tail -n 1 | tr -dc '0-9 ' | cut -d' ' -f2
}

# wait_ticks VM N SECS: VM's log has more than N tick lines
wait_ticks() {
	_n=0
	while [ $_n -lt $(($3 * 5)) ]; do
		[ "$(grep -ac '^tick [0-9]' "$D/$1.log" 2>/dev/null)" -gt "$2" ] && return 0
		sleep 0.2
		_n=$((_n + 1))
	done
	return 1
}

alive() {
	[ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"
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
	fb_base_image "$D"
	ktap_check "save --all with no VM succeeds" fastboot vm save --all
	pids=""
	for v in $VMS; do
		if [ "$v" = c ]; then
			mp=$(dirname "$(fastboot guest path a)")/c
			ktap_check "no region c yet: QEMU makes it" test ! -e "$mp"
		else
			ktap_check "guest region $v ($MEM)" fastboot guest create "$v" $MEM
			mp=$(fastboot guest path "$v")
		fi
		rm -f "$D/$v.log"
		# a, b: -qmp; c: QMP on a -chardev socket with -mon mode=control
		if [ "$v" = c ]; then
			set -- -chardev "socket,id=mon0,path=/tmp/$v.qmp,server=on,wait=off" \
				-mon chardev=mon0,mode=control
		else
			set -- -qmp "unix:/tmp/$v.qmp,server=on,wait=off"
		fi
		setsid "$L2/qemu" -accel tcg -nodefaults -vga none -display none -m $MEM \
			-object "memory-backend-file,id=m0,size=$MEM,mem-path=$mp,share=on" \
			-machine pc,memory-backend=m0 -kernel "$L2/l2/mbticker" \
			-chardev "file,id=ser,path=$D/$v.log,append=on" -serial chardev:ser \
			"$@" -no-reboot </dev/null >/dev/null 2>"$D/$v.err" &
		pids="$pids $!"
	done
	for v in $VMS; do
		if ! wait_ticks "$v" 2 300; then
			ktap_fail "L2 $v ticks" "no third tick in 300 s"
			fb_diag_file "$D/$v.log"
			fb_diag_file "$D/$v.err"
			kill $pids 2>/dev/null
			return
		fi
		ktap_ok "L2 $v ticks"
	done
	ktap_check "QEMU created region c: $MEM, its umask's mode" \
		sh -c "fastboot guest ls --json | grep -q '{\"name\":\"c\",\"size_bytes\":33554432,\"mode\":\"0644\"'"
	# A QEMU whose RAM is guest region d, with no QMP socket.
	ktap_check "guest region d" fastboot guest create d 8M
	setsid "$L2/qemu" -accel tcg -nodefaults -vga none -display none -m 8M \
		-object "memory-backend-file,id=m0,size=8M,mem-path=$(fastboot guest path d),share=on" \
		-machine pc,memory-backend=m0 -kernel "$L2/l2/mbticker" -no-reboot \
		</dev/null >/dev/null 2>"$D/d.err" &
	hold=$!
	_i=0
	while ! grep -q "$(fastboot guest path d)" /proc/$hold/maps 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	fastboot vm save --all --json >"$D/save1.json" 2>"$D/save1.err"
	rc=$?
	fb_diag_file "$D/save1.err" 8
	ktap_check "save --all fails when a process maps a region without QMP (exit $rc)" test "$rc" = 1
	ktap_check "it names that process" grep -q "^fastboot: d: process $hold maps this guest region" "$D/save1.err"
	ktap_check "the three VMs are saved all the same" grep -q '"saved":3,"failed":1' "$D/save1.json"
	ktap_check "save --all --json is valid JSON" fb-hostile json <"$D/save1.json"
	ktap_check "save --all --json has each VM's durations, as vm save" \
		grep -q '"stop_ms":[0-9]*,"save_ms":[0-9]*,"store_ms":[0-9]*,"quit_ms":[0-9]*,"total_ms":' "$D/save1.json"
	fb_out "# save: $(cat "$D/save1.json")"
	for v in $VMS; do
		last_tick "$v" >"$D/$v.before"
		ktap_check "$v: state and arguments in the store" \
			sh -c "fastboot ls --json | grep -q '\"name\":\"vm.$v.state\"' && fastboot ls --json | grep -q '\"name\":\"vm.$v.args\"'"
	done
	for p in $pids; do
		if alive "$p"; then
			ktap_fail "QEMU $p has exited" "still runs"
		else
			ktap_ok "QEMU $p has exited"
		fi
		wait "$p" 2>/dev/null
	done
	kill "$hold"
	wait "$hold" 2>/dev/null
	ktap_check "save --all with no VM left succeeds" \
		sh -c "fastboot vm save --all --json | grep -q '\"saved\":0,\"failed\":0'"
	ktap_check "guest region d removed" fastboot guest rm d
	sync
	fb_update_to_next_stage --kernel "$D/vmlinuz" --initrd "$D/base.cpio.gz"
}

stage_2() {
	ktap_check "disk mounted" fb_disk_mount
	ktap_check "L2 disk mounted on $L2" l2_mount
	ktap_check "module loads" modprobe fastboot
	ktap_check "boot reason update" fb_status_has '"reason":"update"'
	for v in $VMS; do
		wc -l <"$D/$v.log" >"$D/$v.lines"
	done
	ktap_check "fastboot vm restore --all" \
		sh -c "fastboot vm restore --all --log $D/restore.err --json >$D/restore.json 2>$D/restore.out"
	fb_diag_file "$D/restore.out" 8
	fb_out "# restore: $(cat "$D/restore.json")"
	ktap_check "restore --all --json is valid JSON" fb-hostile json <"$D/restore.json"
	ktap_check "restore --all --json has each VM's durations, as vm restore" \
		grep -q '"start_ms":[0-9]*,"load_ms":[0-9]*,"cont_ms":[0-9]*,"total_ms":' "$D/restore.json"
	ktap_check "three VMs restored" grep -q '"restored":3,"failed":0' "$D/restore.json"
	for v in $VMS; do
		lines=$(cat "$D/$v.lines")
		before=$(cat "$D/$v.before")
		if ! wait_ticks "$v" "$(head -n "$lines" "$D/$v.log" | grep -ac '^tick [0-9]')" 120; then
			ktap_fail "$v ticks again" "no tick in 120 s"
			fb_diag_file "$D/$v.log"
			continue
		fi
		first=$(tail -n +"$((lines + 1))" "$D/$v.log" | grep -a '^tick ' | head -n 1 | tr -dc '0-9 ' | cut -d' ' -f2)
		ktap_check "$v ticks on: tick $((before + 1)) first (got $first)" \
			test "$first" = "$((before + 1))"
		ktap_check "$v: one boot only" test "$(grep -ac '^ticker: start' "$D/$v.log")" = 1
	done
	sleep 3
	for v in $VMS; do
		ktap_check "$v: no CORRUPT line" sh -c "! grep -a CORRUPT $D/$v.log"
	done
	ktap_check "the spent states were removed" \
		sh -c '! fastboot ls --json | grep -q "\"name\":\"vm\.[abc]\.state\""'
	ktap_check "restore --all again finds nothing" \
		sh -c "fastboot vm restore --all --json | grep -q '\"restored\":0,\"failed\":0'"
	# the restored QEMUs are stopped here (they would outlive the scenario)
	for v in $VMS; do
		p=$(sed -n "s/.*\"name\":\"$v\",\"ok\":true,[^}]*\"pid\":\([0-9]*\).*/\1/p" "$D/restore.json")
		[ -n "$p" ] && kill "$p"
	done
	ktap_check "no kernel warnings" dmesg_clean
}
