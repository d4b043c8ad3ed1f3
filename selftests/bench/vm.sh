# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# make bench, section 3 (VM blackout across a host update), one VM per
# guest size (fbbench.mib=64|256|1024).  An L2 QEMU (TCG, from the disk of
# scripts/mkl2disk.sh on /dev/vdb) runs the ticker, which fills 3/4 of its
# RAM less 24 MiB with a pattern (24 MiB of 64).  Methods, one after the other, each over
# fbbench.reps host updates (fastboot update --now, the same kernel and
# initramfs from the store, identical for both):
#   fastboot  RAM in a guest region; fastboot vm save, update, vm restore
#   savefile  plain RAM; HMP stop, migrate "exec:cat >/mnt/l2.state"
#             (the whole VM state to a file on the disk), quit, sync;
#             update; QEMU again with -incoming "exec:cat /mnt/l2.state"
#             and cont
# The blackout is BENCH-B (before the stop) to BENCH-E (the first tick of
# the resumed guest, polled every 0.1 s; the ticker ticks every second, so
# up to 1 s of it is the tick interval, for both methods alike).
# Needs fastboot vm save/restore (tools/fastboot/vm.c); state on /mnt.
# Command line: fbbench fbbench.reps=N fbbench.mib=M
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

# wait_tick N SECS [POLL]: more than N tick lines in the log within SECS
# (of uptime), polling every POLL seconds (default 0.1; the boot of L2
# waits with 2 s, to leave the CPU to it)
wait_tick() {
	_end=$(($(up_s) + $2))
	while [ "$(ticks)" -le "$1" ] && [ "$(up_s)" -lt $_end ]; do
		# QEMU gone: no tick will come
		kill -0 "$(cat /tmp/l2.pid 2>/dev/null)" 2>/dev/null || break
		sleep "${3:-0.1}"
	done
	[ "$(ticks)" -gt "$1" ]
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
		-kernel $L2/l2/vmlinux -initrd $L2/l2/initrd.cpio \
		-append "console=ttyS0 quiet panic=-1 tickmb=$((mib * 3 / 4 - 24))" \
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
}

# plan: reps of fastboot, then reps of savefile; $D/step counts them
stage_1() {
	ktap_check "disk mounted" bench_mount
	ktap_check "L2 disk mounted" l2_mount
	[ -x $L2/qemu ] || { ktap_bail "no L2 disk"; return; }
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	cp /boot/vmlinuz $D/vmlinuz
	_fb_pack_rootfs && gzip -1 -c /tmp/next.cpio >$D/base.cpio.gz
	rm -f /tmp/next.cpio $LOG
	echo 0 >$D/step
	mib=$(fb_arg fbbench.mib)
	ktap_check "guest region l2 (${mib} MiB)" fastboot guest create l2 ${mib}M
	l2_start fastboot
	if ! wait_tick 2 1800 2; then
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
		sleep 1
		fastboot guest rm l2
		rm -f $LOG
		l2_start savefile
		if ! wait_tick 2 1800 2; then
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
	sync
	fb_out "BENCH-B vm $m-$mib $r"
	if [ $m = fastboot ]; then
		fastboot vm save l2 --qmp $QMP --json >$D/save.json 2>$D/save.err ||
			_fb_kexec_failed "vm save" "$(tail -n 2 $D/save.err)"
	else
		rm -f $D/l2.state
		printf 'stop\nmigrate "exec:cat > %s"\nquit\n' $D/l2.state >&7
		_i=0
		while kill -0 "$(cat /tmp/l2.pid)" 2>/dev/null && [ $_i -lt 6000 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		sync
		fb_out "BENCH-V vm $m-$mib $r state_bytes=$(stat -c %s $D/l2.state)"
	fi
	# ticks so far (the VM is stopped now): the restored one's next
	# tick ends the blackout
	echo "$m $r $(ticks)" >$D/pending
	sync
	fb_dmesg_report
	ktap_end
	fastboot update --kernel $D/vmlinuz --initrd $D/base.cpio.gz \
		--cmdline "$(_fb_next_cmdline)" --now >/dev/console 2>&1
	_fb_kexec_failed "fastboot update" "returned"
}

stage_common() {
	ktap_check "disk mounted" bench_mount
	ktap_check "L2 disk mounted" l2_mount
	ktap_check "module loads" modprobe fastboot
	read -r m r n <$D/pending
	mib=$(fb_arg fbbench.mib)
	if [ "$m" = fastboot ]; then
		fastboot vm restore l2 --log $D/qemu.err --json >$D/restore.json 2>$D/restore.err ||
			ktap_fail "vm restore" "$(tail -n 2 $D/restore.err)"
		json_num $D/restore.json pid >/tmp/l2.pid
	else
		l2_start savefile incoming
		# a VM stopped before the migration stays paused after it:
		# cont until it ticks (cont while still incoming is harmless)
		_i=0
		while [ "$(ticks)" -le "$n" ] && [ $_i -lt 3000 ]; do
			echo cont >&7
			sleep 0.1
			_i=$((_i + 1))
		done
	fi
	if wait_tick "$n" 300; then
		fb_out "BENCH-E vm $m-$mib $r"
	else
		ktap_fail "L2 ticks after the restore ($m $r)"
		l2_diag
	fi
	ktap_check "L2 did not boot again" test "$(grep -ac '^ticker: start' $LOG)" = 1
	step
}

for _s in $(seq 2 42); do
	eval "stage_$_s() { stage_common; }"
done
