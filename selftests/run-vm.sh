#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side harness for the fastboot VM test bed.
#
# Usage: selftests/run-vm.sh [--initrd FILE] [--timeout SECS] [SCENARIO...]
#
# Builds build/vm/initrd.cpio.gz with scripts/mkinitramfs.sh (unless
# --initrd is given), then boots one VM per scenario (default: every
# selftests/vm/scenarios/*.sh) with "fbtest=NAME fbstage=1".  Serial logs go
# to build/vm/NAME.log.  Prints KTAP lines as they arrive and finally one
# line "N passed, N failed"; exits 1 if anything failed.
#
# Env: FB_VM_TIMEOUT    per-scenario timeout in seconds (default 400)
#      FB_VM_JOBS       scenarios run at once (default 2)
#      FB_VM_SERIAL_TEE=1  show the raw serial console
#      FB_VM_APPEND     extra kernel command line for every scenario
#      FB_VM_BUILD      build directory (default build/vm)
#      KVER, KERNEL, FB_KO, FB_POKE, FB_MODROOT, FB_EXTRA_KVERS  another kernel and its
#                       modules, for scripts/mkinitramfs.sh and scripts/vm.sh
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2

TIMEOUT=${FB_VM_TIMEOUT:-400}
BUILD=${FB_VM_BUILD:-build/vm}
TEE=${FB_VM_SERIAL_TEE:-0}
INITRD=""
SCENARIOS=()

while [ $# -gt 0 ]; do
	case "$1" in
	--initrd) INITRD=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	-h|--help) sed -n '4,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "run-vm.sh: unknown option '$1'" >&2; exit 2 ;;
	*) SCENARIOS+=("$(basename "$1" .sh)"); shift ;;
	esac
done

if [ ${#SCENARIOS[@]} -eq 0 ]; then
	for f in selftests/vm/scenarios/*.sh; do
		[ -f "$f" ] && SCENARIOS+=("$(basename "$f" .sh)")
	done
fi
if [ ${#SCENARIOS[@]} -eq 0 ]; then
	echo "run-vm.sh: no scenarios found" >&2
	exit 2
fi
for s in "${SCENARIOS[@]}"; do
	if [ ! -f "selftests/vm/scenarios/$s.sh" ]; then
		echo "run-vm.sh: no such scenario: selftests/vm/scenarios/$s.sh" >&2
		exit 2
	fi
done

mkdir -p "$BUILD"
# A scenario's "# fbtest-old-module: REV": the module of that revision goes
# into the initramfs (scripts/mkoldmodule.sh, scripts/mkinitramfs.sh).
for s in "${SCENARIOS[@]}"; do
	rev=$(sed -n 's/^# fbtest-old-module: *//p' "selftests/vm/scenarios/$s.sh" | head -n 1)
	[ -n "$rev" ] || continue
	scripts/mkoldmodule.sh "$rev" build/old-module/fastboot.ko ||
		{ echo "run-vm.sh: building the module of $rev failed" >&2; exit 2; }
done
if [ -z "$INITRD" ]; then
	INITRD=$BUILD/initrd.cpio.gz
	scripts/mkinitramfs.sh "$INITRD" || { echo "run-vm.sh: mkinitramfs failed" >&2; exit 2; }
fi

bad_re='BUG:|WARNING:|Oops|general protection'

# run_one SCENARIO: boot it, check its log, print its verdict, and write
# "PASSED FAILED" to $BUILD/SCENARIO.result.
run_one() {
	local s=$1 log=$BUILD/$1.log t0 t1 rc d2 st stimeout clean pass fail extra line
	local disk2=() why=()

	echo "# === $s ==="
	t0=$(date +%s)
	# A fresh sparse disk per scenario (/dev/vda in the VM).
	rm -f "$BUILD/$s.disk"
	truncate -s 2G "$BUILD/$s.disk"
	# A scenario's "# fbtest-disk2: BUILDER IMAGE" line: run BUILDER IMAGE
	# (which keeps IMAGE up to date) and attach IMAGE read-only as
	# /dev/vdb; "# fbtest-timeout: SECS" raises the timeout for it.
	stimeout=$TIMEOUT
	d2=$(sed -n 's/^# fbtest-disk2: *//p' "selftests/vm/scenarios/$s.sh" | head -n 1)
	if [ -n "$d2" ]; then
		# shellcheck disable=SC2086
		if ! $d2 >"$BUILD/$s.disk2.log" 2>&1; then
			echo "$s: FAIL: '$d2' failed:"
			sed "s/^/$s| /" "$BUILD/$s.disk2.log"
			echo "0 1" >"$BUILD/$s.result"
			return
		fi
		disk2=(--disk-ro "${d2##* }")
	fi
	# "# fbtest-vm: FB_VM_NAME=VALUE...": the VM's memory, region or
	# crash reservation for this scenario (scripts/vm.sh's FB_VM_MEM,
	# FB_VM_REGION, FB_VM_CRASHKERNEL; no other names)
	local vmenv=() w
	for w in $(sed -n 's/^# fbtest-vm: *//p' "selftests/vm/scenarios/$s.sh" | head -n 1); do
		case "$w" in
		FB_VM_MEM=[0-9]*|FB_VM_REGION=[0-9]*|FB_VM_CRASHKERNEL=[0-9]*) vmenv+=("$w") ;;
		*) echo "$s: FAIL: bad fbtest-vm word '$w'"; echo "0 1" >"$BUILD/$s.result"; return ;;
		esac
	done
	st=$(sed -n 's/^# fbtest-timeout: *\([0-9]*\).*/\1/p' "selftests/vm/scenarios/$s.sh" | head -n 1)
	if [ -n "$st" ] && [ "$st" -gt "$stimeout" ]; then
		stimeout=$st
	fi
	local attempt
	for attempt in 1 2; do
		why=()
		# vm.sh tees the serial console to us; show KTAP lines (or everything).
		env "${vmenv[@]}" scripts/vm.sh --tee --initrd "$INITRD" --log "$log" --timeout "$stimeout" \
			--disk "$BUILD/$s.disk" "${disk2[@]}" \
			--append "fbtest=$s fbstage=1 ${FB_VM_APPEND:-}" |
		while IFS= read -r line; do
			line=${line%$'\r'}
			if [ "$TEE" = 1 ]; then
				printf '%s\n' "$line"
			else
				case "$line" in
				"ok "*|"not ok "*|"#"*|"Bail out!"*|"KTAP version"*|[0-9]*..[0-9]*)
					printf '%s: %s\n' "$s" "$line" ;;
				esac
			fi
		done
		rc=${PIPESTATUS[0]}
		t1=$(date +%s)

		# strip CRs and the firmware's terminal escape sequences
		clean=$(tr -d '\r' <"$log" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g')
		pass=$(grep -c '^ok ' <<<"$clean")
		fail=$(grep -c '^not ok ' <<<"$clean")
		extra=0
		if [ "$rc" = 124 ]; then
			why+=("VM timed out after ${stimeout}s")
		fi
		if ! grep -qx "# fbtest-done $s" <<<"$clean"; then
			extra=1
			why+=("no '# fbtest-done $s' line (VM hung, timed out or crashed; qemu exit $rc)")
		fi
		if grep -q '^Bail out!' <<<"$clean"; then
			extra=1
			why+=("Bail out!")
		fi
		# Kernel problems: ignore our own ok/not ok lines.
		if grep -Ev '^(ok|not ok) ' <<<"$clean" | grep -Eq "$bad_re"; then
			extra=1
			why+=("kernel reported: $(grep -Ev '^(ok|not ok) ' <<<"$clean" | grep -Em1 "$bad_re")")
			# A crash whose trace has no fastboot frame, under TCG (seen:
			# Debian 6.12 oopsing on int3 in sched_clock_cpu while
			# patching code at boot) is the emulator's, not ours: run
			# the scenario once more, and say so.
			if [ "$attempt" = 1 ] &&
			   ! grep -Ev '^(ok|not ok) ' <<<"$clean" | grep -EA40 "$bad_re" | grep -q fastboot; then
				echo "$s: # retrying: the kernel crashed outside fastboot: ${why[-1]#kernel reported: }"
				cp "$log" "$log.first"
				rm -f "$BUILD/$s.disk"
				truncate -s 2G "$BUILD/$s.disk"
				continue
			fi
		fi
		break
	done
	fail=$((fail + extra))
	echo "$pass $fail" >"$BUILD/$s.result"

	# One block, so that parallel scenarios do not interleave it.
	{
		if [ "$fail" -gt 0 ]; then
			for w in "${why[@]}"; do
				echo "$s: FAIL: $w"
			done
			echo "$s: ----- last 60 lines of $log -----"
			tail -n 60 <<<"$clean" | sed "s/^/$s| /"
			echo "$s: ----- end of $log -----"
			echo "# $s: FAIL ($pass passed, $fail failed, $((t1 - t0))s)"
		else
			echo "# $s: PASS ($pass passed, $((t1 - t0))s)"
		fi
	} >"$BUILD/$s.verdict"
	cat "$BUILD/$s.verdict"
}

# Scenarios run FB_VM_JOBS at a time (default 2): most of what a VM does
# under TCG is single-threaded, so two VMs use the two cores better.
# Long scenarios (those that raise their timeout) start first.
JOBS=${FB_VM_JOBS:-2}
ORDER=()
for s in "${SCENARIOS[@]}"; do
	grep -q '^# fbtest-timeout:' "selftests/vm/scenarios/$s.sh" && ORDER+=("$s")
done
for s in "${SCENARIOS[@]}"; do
	grep -q '^# fbtest-timeout:' "selftests/vm/scenarios/$s.sh" || ORDER+=("$s")
done
for s in "${ORDER[@]}"; do
	rm -f "$BUILD/$s.result"
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
		wait -n
	done
	run_one "$s" &
done
wait

total_pass=0
total_fail=0
for s in "${SCENARIOS[@]}"; do
	if [ -f "$BUILD/$s.result" ]; then
		read -r p f <"$BUILD/$s.result"
	else
		echo "$s: FAIL: the harness lost this scenario"
		p=0 f=1
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
done

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
