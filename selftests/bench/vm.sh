# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# make bench, section 3 (VM blackout across a host update), one VM per
# guest size (fbbench.mib=64|256|1024).  An L2 QEMU (TCG, from the disk of
# scripts/mkl2disk.sh on /dev/vdb) runs the bare-metal ticker
# (selftests/vm/l2/mbticker.c), which fills all its RAM from 2 MiB up with
# a value per page (non-zero, unique: a save of the VM state writes all of
# it) and prints "tick N" every second.  Not the Linux ticker of the vm
# scenario: the Debian kernel's image spans physical 16 to ~74 MiB, so it
# cannot run in 64 MiB, and it takes minutes to boot under nested TCG.
# Methods, one after the other, each over fbbench.reps host updates
# (fastboot update --now of the same kernel and initramfs, staged in the
# store before the first, so every update reuses it: identical for both);
# one L2 boot per method serves all its repetitions:
#   fastboot  RAM in a guest region; fastboot vm save, update, vm restore
#   savefile  plain RAM; HMP stop, migrate "exec:cat >/mnt/l2.state"
#             (the whole VM state to a file on the disk), quit, sync;
#             update; QEMU again with -incoming "exec:cat /mnt/l2.state"
#             and cont
# The blackout is BENCH-B (before the stop) to BENCH-E (the first tick of
# the resumed guest, polled every 0.1 s; the ticker ticks every second, so
# up to 1 s of it is the tick interval, for both methods alike).  After
# BENCH-E, BENCH-V gives state_bytes (fastboot: the state blob without
# the guest RAM; savefile: the file), save_ms (stop to the state saved and
# QEMU gone, synced for the file) and restore_ms (restore started to the
# first tick), measured with /proc/uptime; for fastboot also
# vm_restore_ms (fastboot vm restore's own total_ms).
# With fbbench.staged (BENCH_VM_STAGED=1), the update is loaded before
# the stop (fastboot update --no-exec, as before a `systemctl kexec` that
# fastboot-vms.service saves the VMs in) and the blackout has only
# kexec -e of it; the methods are then fastboot-staged and
# savefile-staged (reported in section 5).
# Needs fastboot vm save/restore (tools/fastboot/vm.c); state on /mnt.
# Command line: fbbench fbbench.reps=N fbbench.mib=M [fbbench.staged]
. /selftests/bench/lib.sh

L2=/l2
QMP=/tmp/l2.qmp
MON=/tmp/l2mon
LOG=$D/l2.log

l2_mount() {
	mkdir -p $L2
	_i=0
	while [ ! -b /dev/vdb ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	mount -t ext4 -o ro /dev/vdb $L2
}

ticks() {
	_c=$(grep -ac '^tick [0-9]' $LOG 2>/dev/null)
	echo "${_c:-0}"
}

# uptime in whole seconds
up_s() {
	read -r _u _ </proc/uptime
	echo "${_u%.*}"
}

# uptime in ms (10 ms steps)
up_ms() {
	read -r _u _ </proc/uptime
	echo $((${_u%.*}${_u#*.} * 10))
}

# wait_tick N SECS [POLL]: more than N tick lines in the log within SECS
# (of uptime), polling every POLL seconds (default 0.1; the boot of L2
# waits with 2 s, to leave the CPU to it)
wait_tick() {
	_end=$(($(up_s) + $2))
	_next=$(($(up_s) + 60))
	while [ "$(ticks)" -le "$1" ] && [ "$(up_s)" -lt $_end ]; do
		# QEMU gone: no tick will come
		l2_alive || break
		sleep "${3:-0.1}"
		if [ "$(up_s)" -ge $_next ]; then
			_next=$((_next + 60))
			l2_progress
		fi
	done
	[ "$(ticks)" -gt "$1" ]
}

# l2_alive: L2's QEMU (/tmp/l2.pid) runs, and is not a zombie
l2_alive() {
	_p=$(cat /tmp/l2.pid 2>/dev/null)
	[ -n "$_p" ] && [ -r /proc/"$_p"/stat ] &&
		! grep -q '^[0-9]* ([^)]*) Z' /proc/"$_p"/stat
}

# l2_progress: one diagnostic line on how L2's QEMU is doing
l2_progress() {
	_p=$(cat /tmp/l2.pid 2>/dev/null)
	[ -n "$_p" ] || _p=none
	# shellcheck disable=SC2046
	set -- $(sed 's/^.*) //' /proc/"$_p"/stat 2>/dev/null)
	fb_out "# L2 pid ${_p:-?}: state ${1:-gone} ($(cat /proc/"$_p"/wchan 2>/dev/null)), cpu $(((${12:-0} + ${13:-0}) / 100)) s, $(wc -l <$LOG 2>/dev/null) log lines, $(ticks) ticks; last: $(tail -n 1 $LOG 2>/dev/null | cut -c1-100); err: $(tail -n 1 $D/qemu.err 2>/dev/null | cut -c1-100)"
}

# l2_start METHOD [incoming]: start L2 in the background
l2_start() {
	_m=$1 _in=${2:-}
	mib=$(fb_arg fbbench.mib)
	if [ "$_m" = fastboot ]; then
		P=$(fastboot guest path l2)
		set -- -object "memory-backend-file,id=m0,size=${mib}M,mem-path=$P,share=on" \
			-machine pc,memory-backend=m0
	else
		rm -f $MON.in $MON.out
		mkfifo $MON.in $MON.out
		set -- -machine pc -chardev "pipe,id=mon,path=$MON" -mon chardev=mon,mode=readline
		[ -n "$_in" ] && set -- "$@" -incoming "exec:cat $D/l2.state"
	fi
	setsid $L2/qemu -accel tcg -nodefaults -vga none -display none -m "${mib}M" "$@" \
		-kernel $L2/l2/mbticker \
		-chardev "file,id=ser,path=$LOG,append=on" -serial chardev:ser \
		-qmp "unix:$QMP,server=on,wait=off" -no-reboot \
		</dev/null >/dev/null 2>>$D/qemu.err &
	echo $! >/tmp/l2.pid
	if [ "$_m" = savefile ]; then
		cat $MON.out >>$D/mon.log &
		exec 7>$MON.in
	fi
}

l2_diag() {
	fb_out "# L2 console:"
	fb_diag_file $LOG 10
	fb_out "# L2 QEMU stderr:"
	fb_diag_file $D/qemu.err 10
	if [ -s $D/mon.log ]; then
		fb_out "# L2 monitor:"
		fb_diag_file $D/mon.log 5
	fi
}

# plan: reps of fastboot, then reps of savefile; $D/step counts them
stage_1() {
	ktap_check "disk mounted" bench_mount
	ktap_check "L2 disk mounted" l2_mount
	[ -x $L2/qemu ] || { ktap_bail "no L2 disk"; return; }
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	fb_base_image $D
	rm -f $LOG $D/mon.log
	# Every measured update then reuses the image from the store, the
	# first one too.
	ktap_check "update image in the store" fastboot update --kernel $D/vmlinuz \
		--initrd $D/base.cpio.gz --cmdline "$(_fb_next_cmdline)" --no-exec
	echo 0 >$D/step
	mib=$(fb_arg fbbench.mib)
	ktap_check "guest region l2 (${mib} MiB)" fastboot guest create l2 ${mib}M
	l2_start fastboot
	if ! wait_tick 2 900 2; then
		ktap_fail "L2 ticks"
		l2_diag
		return
	fi
	ktap_ok "L2 ticks"
	step
}

# one host update with the current L2 saved; the next stage restores it
step() {
	s=$(cat $D/step)
	reps=$(bench_reps)
	mib=$(fb_arg fbbench.mib)
	if [ "$s" -ge $((2 * reps)) ]; then
		kill "$(cat /tmp/l2.pid 2>/dev/null)" 2>/dev/null
		return 0
	fi
	if [ "$s" = "$reps" ]; then
		# switch to the competitor: a fresh L2 with plain RAM
		kill "$(cat /tmp/l2.pid)" 2>/dev/null
		_i=0
		while l2_alive && [ $_i -lt 300 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		ktap_check "guest region l2 removed" fastboot guest rm l2
		rm -f $LOG
		l2_start savefile
		if ! wait_tick 2 900 2; then
			ktap_fail "L2 (plain RAM) ticks"
			l2_diag
			return 0
		fi
		ktap_ok "L2 (plain RAM) ticks"
	fi
	m=fastboot
	[ "$s" -ge "$reps" ] && m=savefile
	r=$((s % reps + 1))
	echo $((s + 1)) >$D/step
	staged=""
	if fb_arg fbbench.staged >/dev/null; then
		staged=-staged
		fastboot update --kernel $D/vmlinuz --initrd $D/base.cpio.gz \
			--cmdline "$(_fb_next_cmdline)" --no-exec >/dev/console 2>&1 ||
			_fb_kexec_failed "fastboot update --no-exec" "failed"
	fi
	sync
	t0=$(up_ms)
	fb_out "BENCH-B vm $m$staged-$mib $r"
	if [ $m = fastboot ]; then
		fastboot vm save l2 --qmp $QMP --json >$D/save.json 2>$D/save.err ||
			_fb_kexec_failed "vm save" "$(tail -n 2 $D/save.err)"
		bytes=$(json_num $D/save.json state_bytes)
	else
		rm -f $D/l2.state
		printf 'stop\nmigrate "exec:cat > %s"\nquit\n' $D/l2.state >&7
		# QEMU quits when the migration is done
		_end=$(($(up_s) + 900))
		while l2_alive && [ "$(up_s)" -lt $_end ]; do
			sleep 0.1
		done
		sync
		bytes=$(stat -c %s $D/l2.state)
	fi
	# ticks so far (the VM is stopped now): the restored one's next
	# tick ends the blackout; the save's time and size, reported then
	echo "$m $r $(ticks) $(($(up_ms) - t0)) ${bytes:-0}" >$D/pending
	sync
	fb_dmesg_report
	ktap_end
	if [ -n "$staged" ]; then
		kexec -e
		_fb_kexec_failed "kexec -e" "returned"
	fi
	fastboot update --kernel $D/vmlinuz --initrd $D/base.cpio.gz \
		--cmdline "$(_fb_next_cmdline)" --now >/dev/console 2>&1
	_fb_kexec_failed "fastboot update" "returned"
}

stage_common() {
	ktap_check "disk mounted" bench_mount
	ktap_check "L2 disk mounted" l2_mount
	ktap_check "module loads" modprobe fastboot
	read -r m r n save_ms bytes <$D/pending
	mib=$(fb_arg fbbench.mib)
	t0=$(up_ms)
	if [ "$m" = fastboot ]; then
		if ! fastboot vm restore l2 --log $D/qemu.err --json >$D/restore.json 2>$D/restore.err; then
			ktap_fail "vm restore ($m $r)" "$(tail -n 2 $D/restore.err)"
			l2_diag
			return
		fi
		json_num $D/restore.json pid >/tmp/l2.pid
	else
		l2_start savefile incoming
		# a VM stopped before the migration stays paused after it:
		# cont until it ticks (cont while still incoming is harmless),
		# polling as wait_tick does
		_end=$(($(up_s) + 900))
		while [ "$(ticks)" -le "$n" ] && [ "$(up_s)" -lt $_end ] && l2_alive; do
			echo cont >&7
			sleep 0.1
		done
	fi
	staged=""
	fb_arg fbbench.staged >/dev/null && staged=-staged
	if wait_tick "$n" 300; then
		fb_out "BENCH-E vm $m$staged-$mib $r"
		# save: stop to state saved (fastboot: in the store, QEMU
		# gone; save-to-disk: file written, QEMU gone, synced);
		# restore: QEMU started to its first tick
		_v="state_bytes=$bytes save_ms=$save_ms restore_ms=$(($(up_ms) - t0))"
		[ "$m" = fastboot ] && _v="$_v vm_restore_ms=$(json_num $D/restore.json total_ms)"
		fb_out "BENCH-V vm $m$staged-$mib $r $_v"
	else
		ktap_fail "L2 ticks after the restore ($m $r)"
		l2_diag
		return
	fi
	ktap_check "L2 did not boot again" test "$(grep -ac '^ticker: start' $LOG)" = 1
	step
}

for _s in $(seq 2 42); do
	eval "stage_$_s() { stage_common; }"
done
