#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: run the benchmarks in the VM test bed and write
# results/bench.{md,json,png}.  Reports; never gates.
#
# Usage: scripts/bench.sh     (make bench; run as root, like make check)
#
# Sections (BENCH_SECTIONS, default "update byref crash crashbyref vm store
# guestmem scale"):
#   update  update reboot: fastboot update vs kexec -s -l + kexec -e of the
#           full image from the same throttled disk, and a firmware reboot
#           (SeaBIOS, QEMU without -no-reboot); time from BENCH-T0 to the
#           new kernel's /init, bytes read from /dev/vda
#   byref   update by reference: kernel + base through kexec, 8 module
#           archives and an erofs image (BENCH_BYREF_MIB, default
#           "256 1024" MiB) from the store, vs the same image through
#           fastboot's kexec path, kexec-tools and a firmware reboot, and
#           the floor (kexec of kernel + base, plus reading the changed
#           bytes); time from BENCH-T0 to BENCH-READY (every module in
#           place), see selftests/bench/byref.sh
#   crashbyref  crash recovery of the image of byref (256 MiB): fastboot
#           arm by reference vs kexec -s -p of the whole image, "Kernel
#           panic" to every module in place; and the smallest crash
#           reservation (BENCH_CRASH_MIB, default "128 160 256 320") that
#           still gets there, see selftests/bench/crash-byref.sh
#   crash   crash recovery: fastboot arm vs kexec -s -p, "Kernel panic" to
#           the crash kernel's /init
#   vm      VM blackout (fastboot vm save/restore vs QEMU save to a file),
#           guest RAM of BENCH_VM_SIZES MiB: an L2 QEMU in the VM runs a
#           bare-metal ticker, see selftests/bench/vm.sh (sizes above 1024,
#           up to 3072, get a test VM and a region of their own size;
#           BENCH_VM=0 skips it:
#           it adds 25 to 45 minutes)
#   store   fastboot put/get of 256 MiB vs cp into tmpfs
#   guestmem  guest memory: touching every page of a 1 GiB guest region
#           mapping vs a 1 GiB file on hugetlbfs (2 MiB pages), and O_DIRECT
#           read of 256 MiB into guest memory vs anonymous memory, see
#           selftests/bench/guestmem.sh; then (unless BENCH_VM=0) 1 and 4
#           L2 VMs of 256 MiB kept across an update by vm save/restore
#           --all, see selftests/bench/vmall.sh (reported in
#           selftests/bench/report-guestmem.pl)
#   scale   a store at scale (2.5 GiB region, big tables): one put with 10,
#           1,000 and 4,096 objects in the store, attach with 10 and 4,096,
#           guest create of the first regions vs the 1,000th
#
# Times are host timestamps of serial console lines (the guest prints a
# marker line; /init prints BENCH-INIT first thing when "fbbench" is on the
# command line); every line is stamped by a perl reader as it arrives.
#
# Env: BENCH_REPS (default 5), BENCH_SECTIONS, BENCH_BPS (read throttle of
#      the boot depot disk in bytes/s, default 8388608: 50 MB/s scaled by
#      the ~6x TCG slowdown), BENCH_BUILD (default build/bench),
#      BENCH_OUT (default results), BENCH_VM=0 (skip section vm),
#      BENCH_KEEP=1 (keep the other sections' logs from an earlier run in
#      BENCH_BUILD, to report them together), BENCH_VM_SIZES (L2 guest RAM
#      in MiB, default "64 256 1024"), BENCH_VM_STAGED=1 (sections vm
#      and guestmem's many VMs with the update loaded before the VMs stop,
#      the order of the admin guide: reported in section 5 next to the
#      unstaged runs, whose logs are kept),
#      BENCH_NOTE (a remark on this run for
#      the report, e.g. other load on the machine), KVER
set -eu

# The whole script is one { } block, parsed before it runs, ending in exit:
# editing this file during a run does not disturb the run.
{
main() {
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

REPS=${BENCH_REPS:-5}
SECTIONS=${BENCH_SECTIONS:-update byref crash crashbyref vm store guestmem scale}
BPS=${BENCH_BPS:-8388608}
B=${BENCH_BUILD:-build/bench}
OUT=${BENCH_OUT:-results}
KVER=${KVER:-6.1.0-56-amd64}
KERNEL=${KERNEL:-/boot/vmlinuz-$KVER}
NMOD=8
MODMIB=16
PATH=$PATH:/sbin:/usr/sbin

log() { echo "bench: $*" >&2; }

has() { case " $SECTIONS " in *" $1 "*) return 0 ;; esac; return 1; }

mkdir -p "$B" "$OUT"
T_START=$(date +%s)

# --- the initramfs: the test bed's, plus the bench scripts ----------------
# /selftests/scenarios/bench-NAME.sh and /selftests/bench/lib.sh, appended
# inside the same gzip stream (one archive after the other).
scripts/mkinitramfs.sh "$B/bed.cpio.gz" >&2
rm -rf "$B/extra" && mkdir -p "$B/extra/selftests/scenarios" "$B/extra/selftests/bench"
cp selftests/bench/lib.sh "$B/extra/selftests/bench/"
for f in selftests/bench/*.sh; do
	n=$(basename "$f" .sh)
	[ "$n" = lib ] && continue
	cp "$f" "$B/extra/selftests/scenarios/bench-$n.sh"
done
(cd "$B/extra" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$B/extra.cpio"
{ zcat "$B/bed.cpio.gz"; cat "$B/extra.cpio"; } | gzip -1 >"$B/base.cpio.gz"

# run_vm NAME TIMEOUT VM.SH-ARGS...: boot, stamp each serial line with the
# host time (seconds, microseconds) into $B/NAME.tlog
run_vm() {
	local name=$1 to=$2
	shift 2
	log "VM $name: scripts/vm.sh $*"
	scripts/vm.sh --tee --log "$B/$name.log" --timeout "$to" "$@" |
		perl -MTime::HiRes=time -ne 'BEGIN { $| = 1 } s/\r//g; s/\e\[[0-9;?]*[A-Za-z]//g; printf "%.6f %s", time, $_' \
		>"$B/$name.tlog" || true
	if grep -q '^[0-9.]* not ok \|Bail out' "$B/$name.tlog"; then
		log "VM $name: a check failed:"
		grep '^[0-9.]* not ok \|Bail out\|^[0-9.]* # ' "$B/$name.tlog" | tail -n 8 >&2
	fi
	if ! grep -q "fbtest-done" "$B/$name.tlog"; then
		log "VM $name: no fbtest-done line (see $B/$name.log)"
	fi
}

# mkmod DIR K TAG: a newc archive holding bench-data/mK.bin (16 MiB from
# /dev/urandom) and bench-data/mK.tag
mkmod() {
	local t
	t=$(mktemp -d "$B/mod.XXXXXX")
	mkdir -p "$t/bench-data"
	head -c $((MODMIB << 20)) /dev/urandom >"$t/bench-data/m$2.bin"
	echo "$3" >"$t/bench-data/m$2.tag"
	(cd "$t" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$1"
	rm -rf "$t"
}

# pad4 FILE: zero bytes up to a multiple of 4 (an uncompressed archive
# after a compressed one must start 4-byte aligned for the kernel)
pad4() {
	local s
	s=$(stat -c %s "$1")
	if [ $((s % 4)) -ne 0 ]; then
		head -c $((4 - s % 4)) /dev/zero >>"$1"
	fi
}

# BENCH_KEEP=1 keeps the logs of the sections not run now (their results
# stay in the report); a section's own logs are always replaced.
if [ "${BENCH_KEEP:-0}" != 1 ] || [ ! -f "$B/started" ]; then
	rm -f "$B"/*.tlog "$B/vm.skipped" "$B/fw-image-bytes" "$B"/wall.* "$B/note"
	date -u +%Y-%m-%dT%H:%M:%SZ >"$B/started"
fi
if [ -n "${BENCH_NOTE:-}" ]; then
	echo "$BENCH_NOTE" >"$B/note"
fi

# --- section 1: update reboot ----------------------------------------------
if has update; then
	S0=$(date +%s)
	rm -f "$B/update.tlog" "$B/fwreboot.tlog"
	d=$B/depot
	rm -rf "$d" && mkdir -p "$d/pool"
	cp "$KERNEL" "$d/vmlinuz"
	cp "$B/base.cpio.gz" "$d/base.cpio.gz"
	{
		echo "name bench"
		echo "kernel /mnt/vmlinuz"
		echo "initrd base /mnt/base.cpio.gz"
	} >"$d/m.manifest"
	for k in $(seq 1 $NMOD); do
		mkmod "$d/m$k.cpio" "$k" r0
		echo "initrd m$k /mnt/m$k.cpio" >>"$d/m.manifest"
	done
	echo reuse-cmdline >>"$d/m.manifest"
	for r in $(seq 1 "$REPS"); do
		k=$(((r - 1) % NMOD + 1))
		mkmod "$d/pool/m$k.r$r.cpio" "$k" "r$r"
	done
	cp "$d/base.cpio.gz" "$d/full.cpio"
	pad4 "$d/full.cpio"
	for k in $(seq 1 $NMOD); do cat "$d/m$k.cpio" >>"$d/full.cpio"; done
	sz=$(du -sm "$d" | cut -f1)
	rm -f "$B/depot.img"
	mkfs.ext4 -q -F -d "$d" "$B/depot.img" "$((sz + 200))M"
	cp "$d/full.cpio" "$B/full.cpio"
	rm -rf "$d"
	FB_VM_MEM=3G FB_VM_REGION=384M@0x40000000 run_vm update $((600 + REPS * 300)) \
		--initrd "$B/base.cpio.gz" --disk-opts "throttling.bps-read=$BPS" \
		--disk "$B/depot.img" \
		--append "fbtest=bench-update fbstage=1 fbbench fbbench.reps=$REPS"

	# firmware reboot: the full image through SeaBIOS and fw_cfg
	rm -f "$B/fwstate.img"
	mkdir -p "$B/empty"
	mkfs.ext4 -q -F -d "$B/empty" "$B/fwstate.img" 32M
	FB_VM_MEM=3G FB_VM_REGION=384M@0x40000000 FB_VM_REBOOT=1 \
		run_vm fwreboot $((300 + REPS * 150)) \
		--initrd "$B/full.cpio" --disk "$B/fwstate.img" \
		--append "fbtest=bench-fwreboot fbstage=1 fbbench fbbench.reps=$REPS"
	stat -c %s "$B/full.cpio" >"$B/fw-image-bytes"
	rm -f "$B/depot.img" "$B/fwstate.img"
	echo $(($(date +%s) - S0)) >"$B/wall.update"
fi

# byref_depot DIR MIB FULL: the depot of sections 1b and 2b in DIR:
# vmlinuz, base.cpio.gz, m1..m8.cpio, fs.img (an erofs image of MIB MiB of
# random files) and byref.manifest (kernel, initrd base, module m1..m8,
# mount fs at /opt/fs); with FULL=1 also fs.cpio (fs.img as
# bench-fs/fs.img in an archive), kexec.manifest (the same image, every
# module as initrd) and full.cpio (base + m1..m8 + fs.cpio: one initrd)
byref_depot() {
	local d=$1 mib=$2 full=$3 k i
	rm -rf "$d" && mkdir -p "$d/pool" "$d/fs"
	cp "$KERNEL" "$d/vmlinuz"
	cp "$B/base.cpio.gz" "$d/base.cpio.gz"
	for k in $(seq 1 $NMOD); do
		mkmod "$d/m$k.cpio" "$k" r0
	done
	for i in $(seq 1 $((mib / MODMIB))); do
		head -c $((MODMIB << 20)) /dev/urandom >"$d/fs/f$i"
	done
	mkfs.erofs --quiet --all-root "$d/fs.img" "$d/fs" >&2
	rm -rf "$d/fs"
	{
		echo "name byref"
		echo "kernel /mnt/vmlinuz"
		echo "initrd base /mnt/base.cpio.gz"
		for k in $(seq 1 $NMOD); do echo "module m$k /mnt/m$k.cpio"; done
		# the digest, as a depot's manifest gives it: the image is reused
		# without reading it whichever image was booted before
		echo "mount fs /mnt/fs.img /opt/fs $(sha256sum "$d/fs.img" | cut -d' ' -f1)"
		echo reuse-cmdline
	} >"$d/byref.manifest"
	grep -v '^module ' "$d/byref.manifest" >"$d/mount.manifest"
	[ "$full" = 1 ] || return 0
	mkdir -p "$d/fsroot/bench-fs"
	ln "$d/fs.img" "$d/fsroot/bench-fs/fs.img"
	(cd "$d/fsroot" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$d/fs.cpio"
	rm -rf "$d/fsroot"
	sed -e 's/^module \(m[0-9]*\) /initrd \1 /' \
		-e "s|^mount fs .*|initrd fs /mnt/fs.cpio $(sha256sum "$d/fs.cpio" | cut -d' ' -f1)|" \
		"$d/byref.manifest" >"$d/kexec.manifest"
	cp "$d/base.cpio.gz" "$d/full.cpio"
	pad4 "$d/full.cpio"
	for k in $(seq 1 $NMOD); do cat "$d/m$k.cpio" >>"$d/full.cpio"; done
	cat "$d/fs.cpio" >>"$d/full.cpio"
}

# depot_img DIR IMG: an ext4 image of DIR, DIR removed
depot_img() {
	local sz
	sz=$(du -sm "$1" | cut -f1)
	rm -f "$2"
	mkfs.ext4 -q -F -d "$1" "$2" "$((sz * 11 / 10 + 200))M"
	rm -rf "$1"
}

# --- section 1b: update by reference -----------------------------------------
# kernel + base + 8 module archives + an erofs image of BENCH_BYREF_MIB MiB
# (random files); the first size runs every method and a firmware reboot,
# the others by reference and the floor only (is the time flat in the
# image's size?)
if has byref; then
	S0=$(date +%s)
	rm -f "$B"/byref-*.tlog "$B"/byref-*.fs-bytes
	first=1
	for mib in ${BENCH_BYREF_MIB:-256 1024}; do
		d=$B/depot-byref
		byref_depot "$d" "$mib" "$first"
		for r in $(seq 1 "$REPS"); do
			for m in byref fastboot-kexec; do
				o=0
				[ $m = fastboot-kexec ] && o=4
				k=$(((r - 1 + o) % NMOD + 1))
				mkmod "$d/pool/m$k.r$r.$m.cpio" "$k" "r$r.$m"
			done
		done
		methods=byref,floor
		[ $first = 1 ] && methods=byref,fastboot-kexec,kexec,floor
		stat -c %s "$d/fs.img" >"$B/byref-$mib.fs-bytes"
		[ $first = 1 ] && cp "$d/full.cpio" "$B/full-byref.cpio"
		depot_img "$d" "$B/depot-byref.img"
		FB_VM_MEM=5G FB_VM_REGION=1536M@0x100000000 \
			run_vm "byref-$mib" $((900 + REPS * (150 + mib / 2))) \
			--initrd "$B/base.cpio.gz" --disk-opts "throttling.bps-read=$BPS" \
			--disk "$B/depot-byref.img" \
			--append "fbtest=bench-byref fbstage=1 fbbench fbbench.reps=$REPS fbbench.methods=$methods fbbench.mib=$mib"
		rm -f "$B/depot-byref.img"
		if [ $first = 1 ]; then
			# firmware reboot of the same image (fw_cfg, as in section 1)
			rm -f "$B/fwstate.img"
			mkdir -p "$B/empty"
			mkfs.ext4 -q -F -d "$B/empty" "$B/fwstate.img" 32M
			FB_VM_MEM=5G FB_VM_REGION=1536M@0x100000000 FB_VM_REBOOT=1 \
				run_vm "byref-$mib-firmware" $((300 + REPS * 200)) \
				--initrd "$B/full-byref.cpio" --disk "$B/fwstate.img" \
				--append "fbtest=bench-fwreboot fbstage=1 fbbench fbbench.reps=$REPS fbbench.section=byref"
			rm -f "$B/fwstate.img" "$B/full-byref.cpio"
		fi
		first=0
	done
	echo $(($(date +%s) - S0)) >"$B/wall.byref"
fi

# --- section 2b: crash recovery by reference ----------------------------------
# The image of section 1b (256 MiB file system image): fastboot arm by
# reference vs kexec -s -p of the whole image, one VM per repetition; then
# the reservation shrunk to each of BENCH_CRASH_MIB (MiB), armed by
# reference once with the whole image and once with kernel + base + the
# erofs image only: the smallest that still reaches every module in place.
if has crashbyref; then
	S0=$(date +%s)
	rm -f "$B"/crashbyref-*.tlog
	byref_depot "$B/depot-crash" 256 1
	depot_img "$B/depot-crash" "$B/depot-crash.img"
	run_crash() {	# run_crash NAME APPEND...
		local name=$1
		shift
		FB_VM_MEM=5G FB_VM_REGION=1536M@0x100000000 FB_VM_CRASHKERNEL=1200M \
			run_vm "$name" 600 --initrd "$B/base.cpio.gz" --disk "$B/depot-crash.img" \
			--append "fbtest=bench-crash-byref fbstage=1 fbbench $*"
	}
	for r in $(seq 1 "$REPS"); do
		run_crash "crashbyref-byref-$r" fbbench.method=byref fbbench.rep="$r"
		run_crash "crashbyref-kexec-p-$r" fbbench.method=kexec-p fbbench.rep="$r"
	done
	for mib in ${BENCH_CRASH_MIB:-128 160 256 320}; do
		for m in byref mount; do
			run_crash "crashbyref-size-$m-$mib" fbbench.method="$m-$mib" fbbench.rep=1 \
				fbbench.crashsize=$((mib << 20))
		done
	done
	rm -f "$B/depot-crash.img"
	echo $(($(date +%s) - S0)) >"$B/wall.crashbyref"
fi

# --- section 2: crash recovery ----------------------------------------------
if has crash; then
	S0=$(date +%s)
	rm -f "$B"/crash-*.tlog
	d=$B/crashdisk
	rm -rf "$d" && mkdir -p "$d"
	cp "$KERNEL" "$d/vmlinuz"
	cp "$B/base.cpio.gz" "$d/base.cpio.gz"
	printf 'name production\nkernel /mnt/vmlinuz\ninitrd base /mnt/base.cpio.gz\nreuse-cmdline\n' \
		>"$d/prod.manifest"
	rm -f "$B/crash.img"
	mkfs.ext4 -q -F -d "$d" "$B/crash.img" 128M
	rm -rf "$d"
	# alternate the methods, one VM boot per repetition
	for r in $(seq 1 "$REPS"); do
		for m in fastboot kexec; do
			run_vm "crash-$m-$r" 300 --initrd "$B/base.cpio.gz" --disk "$B/crash.img" \
				--append "fbtest=bench-crash fbstage=1 fbbench fbbench.method=$m fbbench.rep=$r"
		done
	done
	rm -f "$B/crash.img"
	echo $(($(date +%s) - S0)) >"$B/wall.crash"
fi

# drop_vm_logs PREFIX: the logs PREFIX-*.tlog this run replaces, staged
# (BENCH_VM_STAGED=1) or not: each run keeps the other's; sets vsfx
drop_vm_logs() {
	local f
	vsfx=""
	[ "${BENCH_VM_STAGED:-0}" = 1 ] && vsfx=-staged
	for f in "$B/$1"-*.tlog; do
		case "$f" in
		*-staged.tlog) [ -n "$vsfx" ] && rm -f "$f" ;;
		*) [ -z "$vsfx" ] && rm -f "$f" ;;
		esac
	done
	return 0
}

# --- section 3: VM blackout -------------------------------------------------
if has vm; then
	S0=$(date +%s)
	drop_vm_logs vm
	rm -f "$B/vm.skipped"
	if [ -f selftests/bench/vm.sh ] && [ -x scripts/mkl2disk.sh ] &&
	   [ "${BENCH_VM:-1}" = 1 ]; then
		scripts/mkl2disk.sh build/l2.img >&2
		for mem in ${BENCH_VM_SIZES:-64 256 1024}; do
			# up to 1 GiB: one VM size; larger guests (at most 3072
			# MiB: the ticker is 32-bit and QEMU's pc machine keeps
			# 3 GiB below 4 GiB) get a region of their size + 512 MiB
			# and test VM RAM for the region, the plain-RAM L2 and
			# the state file in the page cache
			vmmem=5G vmreg=1536M disk=4G
			if [ "$mem" -gt 1024 ]; then
				vmreg=$((mem + 512))M
				vmmem=$((2 * mem + 3072))M
				disk=$((2 * mem + 2048))M
			fi
			rm -f "$B/vm.img"
			truncate -s "$disk" "$B/vm.img"
			# measured: 1-1.5 min per repetition (both methods) at
			# 64 MiB, 2.5-4.5 min at 1 GiB, plus 1-2 min; a margin of
			# 2x and more for a busier machine
			FB_VM_MEM=$vmmem FB_VM_REGION=$vmreg@0x100000000 \
				run_vm "vm-$mem$vsfx" $((600 + REPS * (150 + mem / 3))) \
				--initrd "$B/base.cpio.gz" --disk "$B/vm.img" --disk-ro build/l2.img \
				--append "fbtest=bench-vm fbstage=1 fbbench fbbench.reps=$REPS fbbench.mib=$mem$( [ "${BENCH_VM_STAGED:-0}" = 1 ] && echo ' fbbench.staged')"
		done
		rm -f "$B/vm.img"
		echo $(($(date +%s) - S0)) >"$B/wall.vm"
	else
		log "section vm: skipped (BENCH_VM=0)"
		rm -f "$B/wall.vm"
		echo "skipped in this run (BENCH_VM=0)" >"$B/vm.skipped"
	fi
fi

# --- section 4: store throughput --------------------------------------------
if has store; then
	S0=$(date +%s)
	rm -f "$B/store.tlog"
	FB_VM_MEM=3G FB_VM_REGION=512M@0x40000000 run_vm store $((600 + REPS * 300)) \
		--initrd "$B/base.cpio.gz" \
		--append "fbtest=bench-store fbstage=1 fbbench fbbench.reps=$REPS fbbench.mib=256"
	echo $(($(date +%s) - S0)) >"$B/wall.store"
fi

# --- section 5: guest memory -------------------------------------------------
if has guestmem; then
	S0=$(date +%s)
	rm -f "$B"/guestmem.tlog
	rm -f "$B/gm.img"
	truncate -s 1G "$B/gm.img"
	FB_VM_MEM=5G FB_VM_REGION=1536M@0x100000000 run_vm guestmem $((600 + REPS * 300)) \
		--initrd "$B/base.cpio.gz" --disk "$B/gm.img" \
		--append "fbtest=bench-guestmem fbstage=1 fbbench fbbench.reps=$REPS"
	rm -f "$B/gm.img"
	if [ "${BENCH_VM:-1}" = 1 ]; then
		drop_vm_logs vmall
		scripts/mkl2disk.sh build/l2.img >&2
		for n in 1 4; do
			rm -f "$B/vm.img"
			truncate -s 4G "$B/vm.img"
			FB_VM_MEM=5G FB_VM_REGION=1536M@0x100000000 \
				run_vm "vmall-$n$vsfx" $((900 + REPS * (300 + n * 150))) \
				--initrd "$B/base.cpio.gz" --disk "$B/vm.img" --disk-ro build/l2.img \
				--append "fbtest=bench-vmall fbstage=1 fbbench fbbench.reps=$REPS fbbench.vms=$n fbbench.mib=256$( [ "${BENCH_VM_STAGED:-0}" = 1 ] && echo ' fbbench.staged')"
		done
		rm -f "$B/vm.img"
	fi
	echo $(($(date +%s) - S0)) >"$B/wall.guestmem"
fi

# --- section 6: a store at scale -------------------------------------------
if has scale; then
	S0=$(date +%s)
	rm -f "$B/scale.tlog"
	FB_VM_MEM=6G FB_VM_REGION=2560M@0x100000000 run_vm scale $((1800 + REPS * 120)) \
		--initrd "$B/base.cpio.gz" \
		--append "fbtest=bench-scale fbstage=1 fbbench fbbench.reps=$REPS"
	echo $(($(date +%s) - S0)) >"$B/wall.scale"
fi

T_END=$(date +%s)
log "measurements took $((T_END - T_START)) s"
BENCH_WALL=$((T_END - T_START)) BENCH_BPS=$BPS BENCH_REPS=$REPS \
	BENCH_SECTIONS="$SECTIONS" KVER=$KVER \
	perl selftests/bench/report.pl "$B" "$OUT"
if command -v gnuplot >/dev/null; then
	gnuplot "$B/bench.gp"
else
	log "gnuplot not found (scripts/deps.sh installs gnuplot-nox): no $OUT/bench.png"
fi
export MD=$OUT/bench.md
# README.md: the main table between its bench markers (section Benchmarks)
if [ "$OUT" = results ] && grep -q '^<!-- bench:begin -->$' README.md && grep -q '^<!-- bench:end -->$' README.md; then
	perl -0pi -e '
		open(my $f, "<", $ENV{MD}) or die; local $/; my $md = <$f>;
		my ($t) = $md =~ /<!-- bench-main-table -->\n(.*?)<!-- \/bench-main-table -->/s;
		my ($head) = $md =~ /\n\n(Generated by .*?)\n\n/s;
		s/(<!-- bench:begin -->\n).*?(<!-- bench:end -->)/$1$head\n\n$t\n![benchmark plot](results\/bench.png)\n\nDetails: [results\/bench.md](results\/bench.md), raw samples: [results\/bench.json](results\/bench.json).\n$2/s;
	' README.md
	log "updated the Benchmarks section of README.md"
fi
log "wrote $OUT/bench.md, $OUT/bench.json$( [ -f "$OUT/bench.png" ] && echo ", $OUT/bench.png")"
cat "$OUT/bench.md"
}

main "$@"
exit $?
}
