#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the test-bed VM (QEMU/TCG) with a given initramfs.
#
# Usage: scripts/vm.sh --initrd FILE --append "EXTRA CMDLINE" --log FILE \
#                      --timeout SECONDS [--kernel FILE] [--disk FILE]...
#                      [--disk-ro FILE]... [--disk-opts PROPS] [--tee]
#                      [-- QEMU ARGS]
#
# Serial console (ttyS0) goes to the log file; with --tee (or
# FB_VM_SERIAL_TEE=1) also to stdout.  Exit status: 124 if the VM had to be
# killed on timeout, otherwise qemu's exit status.
# --disk-opts PROPS adds drive properties to the --disk/--disk-ro options
# that follow it, e.g. --disk-opts throttling.bps-read=8388608 (make bench).
#
# Env: KVER (default 6.1.0-56-amd64), QEMU (default qemu-system-x86_64),
#      FB_VM_MEM (default 2G), FB_VM_SMP (default 2), FB_VM_CPU (default max),
#      FB_VM_REGION (store region SIZE@ADDR for memmap= and fastboot.region=,
#      default 256M@0x40000000), FB_VM_CRASHKERNEL (crashkernel=, default
#      384M), FB_VM_REBOOT=1 (no -no-reboot: a guest
#      reboot goes through the firmware, SeaBIOS, and boots -kernel again),
#      FB_VM_STORE_CMDLINE (replaces the store's fragments, memmap=,
#      crashkernel= and fastboot.region=, e.g. with what a host's GRUB
#      configuration gives: selftests/host/run.sh).
set -eu

KVER=${KVER:-6.1.0-56-amd64}
KERNEL=${KERNEL:-/boot/vmlinuz-$KVER}
QEMU=${QEMU:-qemu-system-x86_64}
MEM=${FB_VM_MEM:-2G}
SMP=${FB_VM_SMP:-2}
CPU=${FB_VM_CPU:-max}
INITRD=""
EXTRA=""
LOG=""
TIMEOUT=180
TEE=${FB_VM_SERIAL_TEE:-0}
REGION=${FB_VM_REGION:-256M@0x40000000}
NOREBOOT=-no-reboot
[ "${FB_VM_REBOOT:-0}" = 1 ] && NOREBOOT=
DOPTS=""

usage() {
	sed -n '4,9p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

DISKS=()
while [ $# -gt 0 ]; do
	case "$1" in
	--initrd) INITRD=$2; shift 2 ;;
	--append) EXTRA=$2; shift 2 ;;
	--log) LOG=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--kernel) KERNEL=$2; shift 2 ;;
	--tee) TEE=1; shift ;;
	--disk) DISKS+=(-drive "file=$2,if=virtio,format=raw$DOPTS"); shift 2 ;;
	--disk-ro) DISKS+=(-drive "file=$2,if=virtio,format=raw,readonly=on$DOPTS"); shift 2 ;;
	--disk-opts) DOPTS=${2:+,$2}; shift 2 ;;
	--) shift; break ;;
	-h|--help) usage ;;
	*) echo "vm.sh: unknown argument '$1'" >&2; usage ;;
	esac
done

[ -n "$INITRD" ] || { echo "vm.sh: --initrd is required" >&2; usage; }
[ -n "$LOG" ] || { echo "vm.sh: --log is required" >&2; usage; }
[ -r "$INITRD" ] || { echo "vm.sh: cannot read $INITRD" >&2; exit 2; }
[ -r "$KERNEL" ] || { echo "vm.sh: cannot read $KERNEL" >&2; exit 2; }

# memmap=256M$0x40000000: a literal '$' must reach the kernel.
# watchdog_thresh=30: a TCG vCPU starved by a busy host (2 cores shared by
# several VMs) can miss the default 20 s soft-lockup deadline while the
# kernel unpacks a large initramfs; 60 s still catches a real lockup.
# no_timer_check: the IO-APIC timer check counts timer ticks in a short
# busy-wait; a starved TCG vCPU can miss them, and the kernel then panics
# with "IO-APIC + timer doesn't work" (seen in a kdump boot, where every
# next stage also inherits this command line).  KVM guests skip the check
# for the same reason.
STORE_CMDLINE=${FB_VM_STORE_CMDLINE-memmap=${REGION%@*}\$${REGION#*@} crashkernel=${FB_VM_CRASHKERNEL:-384M} fastboot.region=$REGION}
CMDLINE="console=ttyS0 panic=-1 loglevel=4 watchdog_thresh=30 no_timer_check $STORE_CMDLINE $EXTRA"

mkdir -p "$(dirname "$LOG")"

cmd=(timeout -k 10 "$TIMEOUT" "$QEMU" -accel tcg -cpu "$CPU" -m "$MEM" -smp "$SMP"
	-nographic $NOREBOOT -monitor none -serial stdio
	-kernel "$KERNEL" -initrd "$INITRD" -append "$CMDLINE" "${DISKS[@]}" "$@")

set +e
if [ "$TEE" = 1 ]; then
	"${cmd[@]}" </dev/null 2>&1 | tee "$LOG"
	rc=${PIPESTATUS[0]}
else
	"${cmd[@]}" </dev/null >"$LOG" 2>&1
	rc=$?
fi
set -e
exit "$rc"
