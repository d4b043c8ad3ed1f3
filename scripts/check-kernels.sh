#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build fastboot for every supported Debian kernel (scripts/kernels.sh) and
# run VM scenarios on each kernel with its own module.
#
# Usage: scripts/check-kernels.sh [SUITE...]     (default: bookworm trixie sid)
#
# Env: FB_KERNELS_SCENARIOS   scenarios to run (default "store store-unclean vdev
#                             guest guest-pages vm": the store, and guest memory
#                             with its struct pages, huge mappings and a QEMU kept
#                             across an update, whose kernel APIs differ the most)
#      FB_KERNELS_XVER=0      skip the cross-version scenario store-xver
#                             (default: run it for each kernel other than the
#                             first SUITE's: store written under the first
#                             kernel, kexec into the other with its own
#                             module, and back)
# Serial logs go to build/vm-<kver>/ and build/vm-xver-<kver>/.  Prints one closing line
# "N passed, N failed" over all kernels; exits 1 if anything failed.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2

SUITES=("$@")
[ ${#SUITES[@]} -gt 0 ] || SUITES=(bookworm trixie sid)
read -r -a SCEN <<<"${FB_KERNELS_SCENARIOS:-store store-unclean vdev guest guest-pages vm}"
# TCG on newer kernels is slower (sid's store: 160 s of the default 180 s).
export FB_VM_TIMEOUT=${FB_VM_TIMEOUT:-400}

total_pass=0
total_fail=0
summary=()
kvers=()

# run_vm LABEL ENV... -- SCENARIO...: selftests/run-vm.sh with ENV, its
# closing line turned into a comment; adds to the totals and the summary.
run_vm() {
	local label=$1 out line p f t0 t1
	shift
	local envs=()
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	out=$(mktemp)
	t0=$(date +%s)
	env "${envs[@]}" selftests/run-vm.sh "$@" 2>&1 |
		sed -u -E 's/^([0-9]+ passed, [0-9]+ failed)$/# '"$label"' total: \1/' |
		tee "$out"
	t1=$(date +%s)
	line=$(grep -F "# $label total: " "$out" | tail -1)
	rm -f "$out"
	if [[ "$line" =~ total:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		p=${BASH_REMATCH[1]}
		f=${BASH_REMATCH[2]}
	else
		p=0
		f=1
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	summary+=("$label: $p passed, $f failed (VM $((t1 - t0))s)")
}

# The admin tool is static and kernel-independent: the in-tree one is used.
if [ ! -x tools/fastboot/fastboot ]; then
	make -C tools/fastboot >/dev/null || { echo "check-kernels: tool build failed" >&2; exit 2; }
fi

for suite in "${SUITES[@]}"; do
	t0=$(date +%s)
	if ! kver=$(scripts/kernels.sh --print-kver "$suite"); then
		echo "# check-kernels: $suite: build failed"
		total_fail=$((total_fail + 1))
		summary+=("$suite: build FAILED")
		continue
	fi
	t1=$(date +%s)
	kd=build/kernels/$kver
	echo "# === $suite: $kver (built in $((t1 - t0))s) ==="
	summary+=("$suite $kver: built in $((t1 - t0))s")
	kvers+=("$kver")
	modroot=/
	[ -e "$kd/modroot" ] && modroot=$kd/modroot
	run_vm "$kver" KVER="$kver" KERNEL="$kd/vmlinuz" FB_KO="$kd/fastboot.ko" \
		FB_POKE="$kd/fastboot_poke.ko" FB_MODROOT="$modroot" \
		FB_VM_BUILD="build/vm-$kver" -- "${SCEN[@]}"
done

# Across versions: the first kernel is the base, each other one the target.
if [ "${FB_KERNELS_XVER:-1}" = 1 ] && [ -f selftests/vm/scenarios/store-xver.sh ] &&
	[ ${#kvers[@]} -gt 1 ]; then
	base=${kvers[0]}
	bd=build/kernels/$base
	for kver in "${kvers[@]:1}"; do
		echo "# === across versions: $base -> $kver -> $base ==="
		run_vm "xver $base->$kver" KVER="$base" KERNEL="$bd/vmlinuz" \
			FB_KO="$bd/fastboot.ko" FB_POKE="$bd/fastboot_poke.ko" \
			FB_EXTRA_KVERS="$kver" FB_VM_APPEND="fbxkver=$kver" \
			FB_VM_BUILD="build/vm-xver-$kver" -- store-xver
	done
fi

echo "# ---- check-kernels summary ----"
for l in "${summary[@]}"; do
	echo "# $l"
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
