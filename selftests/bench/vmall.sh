# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# make bench, section 5 (guest memory), many VMs: fbbench.vms L2 QEMUs of
# fbbench.mib MiB each (the bare-metal ticker of section 3, RAM in guest
# regions v1..vN), all kept across fbbench.reps host updates with
# fastboot vm save --all / vm restore --all.  Run once with 1 VM and once
# with 4 (scripts/bench.sh): the blackout of the last VM of 4 against that
# of a single VM, through the same path.
# The blackout is BENCH-B (before save --all) to BENCH-E (every VM has
# ticked again, polled every 0.1 s; the ticker ticks every second).  After
# it, BENCH-V gives save_ms (save --all, stop of the first VM to its
# return), restore_ms (restore --all started to its return), first_ms and
# last_ms (restore --all started to the first tick of the first and of the
# last VM), vm_save_ms and vm_restore_ms (the largest total_ms of one VM
# in the --json output), vm_start_ms and vm_load_ms (the largest
# start_ms and load_ms of one VM: QEMU started to its QMP answering, and
# the incoming migration), measured with /proc/uptime.
# With fbbench.staged (BENCH_VM_STAGED=1), as in section 3: the update is
# loaded before save --all (fastboot update --no-exec) and the blackout
# holds kexec -e of it; the labels are vmsV-staged-M.
# Command line: fbbench fbbench.reps=N fbbench.vms=V fbbench.mib=M [fbbench.staged]
. /selftests/bench/lib.sh

L2=/l2

vms() {
	seq 1 "$(fb_arg fbbench.vms)" | sed 's/^/v/'
}

l2_mount() {
	mkdir -p $L2
	_i=0
	while [ ! -b /dev/vdb ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	mount -t ext4 -o ro /dev/vdb $L2
}

ticks() {	# ticks VM
	_c=$(grep -ac '^tick [0-9]' $D/"$1".log 2>/dev/null)
	echo "${_c:-0}"
}

up_s() {
	read -r _u _ </proc/uptime
	echo "${_u%.*}"
}

up_ms() {
	read -r _u _ </proc/uptime
	echo $((${_u%.*}${_u#*.} * 10))
}

# max_ms FILE [KEY]: the largest KEY (default total_ms) in a --json output
max_ms() {
	grep -o "\"${2:-total_ms}\":[0-9]*" "$1" | cut -d: -f2 | sort -n | tail -n 1
}

# label: vmsV-M, or vmsV-staged-M
label() {
	_st=""
	fb_arg fbbench.staged >/dev/null && _st=-staged
	echo "vms$(fb_arg fbbench.vms)$_st-$(fb_arg fbbench.mib)"
}

# wait_all T0 SECS: every VM has more ticks than in $D/VM.n; print
# "first last" (ms after T0, uptime) once they have, fail after SECS
wait_all() {
	_end=$(($(up_s) + $2))
	_first="" _last=""
	for _v in $(vms); do rm -f /tmp/"$_v".seen; done
	while [ "$(up_s)" -lt $_end ]; do
		_left=0
		for _v in $(vms); do
			[ -e /tmp/"$_v".seen ] && continue
			if [ "$(ticks "$_v")" -gt "$(cat $D/"$_v".n)" ]; then
				: >/tmp/"$_v".seen
				_t=$(($(up_ms) - $1))
				[ -n "$_first" ] || _first=$_t
				_last=$_t
			else
				_left=1
			fi
		done
		if [ $_left = 0 ]; then
			echo "$_first $_last"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

stage_1() {
	ktap_check "disk mounted" bench_mount
	ktap_check "L2 disk mounted" l2_mount
	[ -x $L2/qemu ] || { ktap_bail "no L2 disk"; return; }
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	fb_base_image $D
	ktap_check "update image in the store" fastboot update --kernel $D/vmlinuz \
		--initrd $D/base.cpio.gz --cmdline "$(_fb_next_cmdline)" --no-exec
	echo 0 >$D/step
	mib=$(fb_arg fbbench.mib)
	for v in $(vms); do
		ktap_check "guest region $v (${mib} MiB)" fastboot guest create "$v" "${mib}M"
		rm -f $D/"$v".log
		setsid $L2/qemu -accel tcg -nodefaults -vga none -display none -m "${mib}M" \
			-object "memory-backend-file,id=m0,size=${mib}M,mem-path=$(fastboot guest path "$v"),share=on" \
			-machine pc,memory-backend=m0 -kernel $L2/l2/mbticker \
			-chardev "file,id=ser,path=$D/$v.log,append=on" -serial chardev:ser \
			-qmp "unix:/tmp/$v.qmp,server=on,wait=off" -no-reboot \
			</dev/null >/dev/null 2>>$D/"$v".err &
		echo 2 >$D/"$v".n
	done
	if ! wait_all 0 900 >/dev/null; then
		ktap_fail "every L2 ticks"
		for v in $(vms); do fb_diag_file $D/"$v".log 3; fb_diag_file $D/"$v".err 3; done
		return
	fi
	ktap_ok "every L2 ticks"
	step
}

# one host update with every VM saved; the next stage restores them
step() {
	s=$(cat $D/step)
	reps=$(bench_reps)
	if [ "$s" -ge "$reps" ]; then
		for p in $(grep -o '"pid":[0-9]*' $D/restore.json 2>/dev/null | cut -d: -f2); do
			kill "$p" 2>/dev/null
		done
		return 0
	fi
	r=$((s + 1))
	echo "$r" >$D/step
	if fb_arg fbbench.staged >/dev/null; then
		fastboot update --kernel $D/vmlinuz --initrd $D/base.cpio.gz \
			--cmdline "$(_fb_next_cmdline)" --no-exec >/dev/console 2>&1 ||
			_fb_kexec_failed "fastboot update --no-exec" "failed"
	fi
	sync
	t0=$(up_ms)
	fb_out "BENCH-B vmall $(label) $r"
	fastboot vm save --all --json >$D/save.json 2>$D/save.err ||
		_fb_kexec_failed "vm save --all" "$(tail -n 2 $D/save.err)"
	save_ms=$(($(up_ms) - t0))
	for v in $(vms); do ticks "$v" >$D/"$v".n; done
	echo "$r $save_ms $(max_ms $D/save.json)" >$D/pending
	sync
	fb_dmesg_report
	ktap_end
	if fb_arg fbbench.staged >/dev/null; then
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
	read -r r save_ms vm_save_ms <$D/pending
	n=$(fb_arg fbbench.vms)
	t0=$(up_ms)
	if ! fastboot vm restore --all --log $D/qemu.err --json >$D/restore.json 2>$D/restore.err; then
		ktap_fail "vm restore --all ($r)" "$(tail -n 2 $D/restore.err)"
		return
	fi
	restore_ms=$(($(up_ms) - t0))
	if fl=$(wait_all "$t0" 300); then
		fb_out "BENCH-E vmall $(label) $r"
		# shellcheck disable=SC2086
		set -- $fl
		fb_out "BENCH-V vmall $(label) $r save_ms=$save_ms restore_ms=$restore_ms first_ms=$1 last_ms=$2 vm_save_ms=${vm_save_ms:-0} vm_restore_ms=$(max_ms $D/restore.json) vm_start_ms=$(max_ms $D/restore.json start_ms) vm_load_ms=$(max_ms $D/restore.json load_ms)"
	else
		ktap_fail "every L2 ticks after the restore ($r)"
		for v in $(vms); do fb_diag_file $D/"$v".log 3; done
		return
	fi
	ktap_check "$n VMs restored" grep -q "\"restored\":$n,\"failed\":0" $D/restore.json
	for v in $(vms); do
		ktap_check "$v did not boot again" test "$(grep -ac '^ticker: start' $D/"$v".log)" = 1
	done
	step
}

for _s in $(seq 2 42); do
	eval "stage_$_s() { stage_common; }"
done
