#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR MIT
# shellcheck disable=SC2016 # the $ in expected outputs are literal
#
# The tool's numeric arguments, end to end: a malformed or out-of-range
# number is a usage error (exit 2) before anything is opened; a good one
# gets past the parsing (and then fails on the missing device, exit 1).
# KTAP; the last line is "N passed, N failed".
#
# Usage: test_tool_args.sh [TOOL]   (default ../../tools/fastboot/fastboot)
set -u

TOOL=${1:-$(dirname "$0")/../../tools/fastboot/fastboot}
DEV=/nonexistent/fastboot-test-device
n=0
pass=0
fail=0

# expect STATUS DESCRIPTION ARGS...: the tool exits with STATUS.
expect() {
	want=$1
	what=$2
	shift 2
	"$TOOL" --device "$DEV" "$@" >/dev/null 2>"${err:-/dev/null}"
	got=$?
	n=$((n + 1))
	if [ "$got" -eq "$want" ]; then
		pass=$((pass + 1))
		echo "ok $n $what"
	else
		fail=$((fail + 1))
		echo "not ok $n $what"
		echo "# fastboot $*: exit $got, expected $want"
	fi
}

echo "KTAP version 1"
if [ ! -x "$TOOL" ]; then
	echo "not ok 1 the tool is built ($TOOL)"
	echo "0 passed, 1 failed"
	exit 1
fi

for t in 2147484 99999999999 4294967297 -1 " 5" 5s 0 86401 ""; do
	expect 2 "vm save --timeout '$t' is a usage error" \
		vm save vm0 --qmp /nonexistent.qmp --timeout "$t"
	expect 2 "vm restore --timeout '$t' is a usage error" \
		vm restore vm0 --timeout "$t"
done
expect 1 "vm save --timeout 86400 is accepted" \
	vm save vm0 --qmp /nonexistent.qmp --timeout 86400
expect 1 "vm restore --timeout 1 is accepted" vm restore vm0 --timeout 1

for s in " -8388608" -8388608 " 1M" 1M\  010 18446744073709551616 16777216T 1KB; do
	expect 2 "guest create SIZE '$s' is a usage error" guest create g0 "$s"
done
expect 1 "guest create SIZE 2M is accepted" guest create g0 2M

for m in " 600" -600 +600 0800 01000 600x; do
	expect 2 "guest create --mode '$m' is a usage error" \
		guest create g0 2M --mode "$m"
done
expect 1 "guest create --mode 0660 is accepted" guest create g0 2M --mode 0660

for o in " 1:1" 1:\ 1 -1:0 0:-1 4294967295:0 4294967296:0 1:2: 1 :1 1: 0x1:0; do
	expect 2 "guest create --owner '$o' is a usage error" \
		guest create g0 2M --owner "$o"
done
expect 1 "guest create --owner 1000:1000 is accepted" \
	guest create g0 2M --owner 1000:1000

for r in "256M@ 0x40000000" "-256M@0x40000000" "256M@0x40000000 " "0256M@0x40000000"; do
	expect 2 "setup --region '$r' is a usage error" setup --region "$r"
done

# No image option: --image from FASTBOOT_IMAGE (arm: FASTBOOT_RECOVERY_IMAGE)
# in the --config file; unset or empty: the default image (/vmlinuz +
# /initrd.img, the running command line), which is no usage error whatever
# this machine has; a --config file that does not exist is one.
conf=$(mktemp)
err=$(mktemp)
early=$(mktemp)
trap 'rm -f "$conf" "$err" "$early"' EXIT
# expect_not STATUS DESCRIPTION ARGS...: the tool does not exit with STATUS.
expect_not() {
	nwant=$1
	what=$2
	shift 2
	"$TOOL" --device "$DEV" "$@" >/dev/null 2>"$err"
	got=$?
	n=$((n + 1))
	if [ "$got" -ne "$nwant" ]; then
		pass=$((pass + 1))
		echo "ok $n $what"
	else
		fail=$((fail + 1))
		echo "not ok $n $what"
		echo "# fastboot $*: exit $got"
		sed 's/^/# /' "$err"
	fi
}
# stderr_has DESCRIPTION REGEX: the last run's standard error matches.
stderr_has() {
	n=$((n + 1))
	if grep -q "$2" "$err"; then
		pass=$((pass + 1))
		echo "ok $n $1"
	else
		fail=$((fail + 1))
		echo "not ok $n $1"
		sed 's/^/# /' "$err"
	fi
}
printf 'FASTBOOT_IMAGE="/boot/fastboot.img"\nFASTBOOT_RECOVERY_IMAGE=\n' > "$conf"
expect 1 "update --config with FASTBOOT_IMAGE set gets past the parsing" \
	update --config "$conf" --dry-run
expect_not 2 "arm --config with FASTBOOT_RECOVERY_IMAGE empty: the default image, no usage error" \
	arm --config "$conf" --dry-run
stderr_has "arm: the message names FASTBOOT_RECOVERY_IMAGE, the file and the default image" \
	"FASTBOOT_RECOVERY_IMAGE is empty in $conf: the default image, /\\(boot/\\)\\{0,1\\}vmlinuz"
expect 2 "update --config with no such file is a usage error" \
	update --config /nonexistent/fastboot.conf --dry-run
printf 'FASTBOOT_RECOVERY_IMAGE=/boot/recovery.img\n' > "$conf"
expect 1 "arm --config with FASTBOOT_RECOVERY_IMAGE set gets past the parsing" \
	arm --config "$conf" --dry-run
expect_not 2 "update --config with FASTBOOT_IMAGE unset: the default image, no usage error" \
	update --config "$conf" --dry-run
stderr_has "update: the message names FASTBOOT_IMAGE, the file and the default image" \
	"FASTBOOT_IMAGE is unset in $conf: the default image, /\\(boot/\\)\\{0,1\\}vmlinuz"
expect_not 2 "update --config with FASTBOOT_IMAGE unset and --cmdline: no usage error" \
	update --config "$conf" --cmdline "root=/dev/vda" --dry-run
expect 2 "update --config with --cmdline and --reuse-cmdline is still a usage error" \
	update --config "$conf" --cmdline "root=/dev/vda" --reuse-cmdline --dry-run

# A dry run without a store (no device) checks the files and fastboot.ko:
# the fuzz corpus has a bzImage header and initrds with and without a
# fastboot.ko built for it, one laid out as Debian's mkinitramfs does.
corpus=$(dirname "$0")/../fuzz/corpus-bootimg
CL="memmap=256M\$0x40000000 fastboot.region=256M@0x40000000"
for i in cpio-module debian-early-cpio-then-zstd; do
	expect 0 "update --dry-run without a store: $i carries a matching fastboot.ko" \
		update --kernel "$corpus/bzimage-header" --initrd "$corpus/$i" \
		--cmdline "$CL" --dry-run
done
stderr_has "update --dry-run without a store says the store's checks were skipped" \
	"no store attached .*store's checks .* skipped"
# its first 1024 bytes: the early cpio alone, no fastboot.ko
head -c 1024 "$corpus/debian-early-cpio-then-zstd" >"$early"
expect 1 "update --dry-run without a store: an initrd without fastboot.ko is refused" \
	update --kernel "$corpus/bzimage-header" --initrd "$early" \
	--cmdline "$CL" --dry-run
stderr_has "... and the message says why" "carries no fastboot.ko"
expect 0 "... unless --force" \
	update --kernel "$corpus/bzimage-header" --initrd "$early" \
	--cmdline "$CL" --dry-run --force
expect 1 "update --rollback --dry-run without a store fails" update --rollback --dry-run
stderr_has "... saying it needs the store" "rollback needs the store"
expect 1 "update --kernel without --dry-run and without a store fails" \
	update --kernel "$corpus/bzimage-header" --cmdline "$CL"
n=$((n + 1))
if "$TOOL" --device "$DEV" update --kernel "$corpus/bzimage-header" \
	--initrd "$corpus/debian-early-cpio-then-zstd" --cmdline "$CL" \
	--dry-run --json 2>/dev/null | grep -q '"store_checked":false'; then
	pass=$((pass + 1))
	echo "ok $n update --dry-run --json without a store: store_checked false"
else
	fail=$((fail + 1))
	echo "not ok $n update --dry-run --json without a store: store_checked false"
fi

# setup names the words the GRUB fragment adds, from the --config file.
# json_has DESCRIPTION STRING ARGS...: stdout of `fastboot ARGS` has STRING.
json_has() {
	what=$1
	want=$2
	shift 2
	n=$((n + 1))
	if "$TOOL" "$@" 2>/dev/null | grep -qF -- "$want"; then
		pass=$((pass + 1))
		echo "ok $n $what"
	else
		fail=$((fail + 1))
		echo "not ok $n $what"
		"$TOOL" "$@" 2>&1 | sed 's/^/# /'
	fi
}
printf 'FASTBOOT_REGION=256M@0x40000000\nFASTBOOT_CRASHKERNEL=384M\n' > "$conf"
json_has "setup --json: the GRUB fragment's words" \
	'"words":"memmap=256M$0x40000000 fastboot.region=256M@0x40000000 crashkernel=384M"' \
	setup --config "$conf" --json
json_has "setup --json: ... and as written in grub.cfg" \
	'"grub_cfg":"memmap=256M\\$0x40000000 fastboot.region=256M@0x40000000 crashkernel=384M"' \
	setup --config "$conf" --json
json_has "setup: the human output says what update-grub appends" \
	'update-grub appends to GRUB_CMDLINE_LINUX: memmap=256M$0x40000000 fastboot.region=256M@0x40000000 crashkernel=384M' \
	setup --config "$conf"
printf 'FASTBOOT_REGION=256M@0x40000000\n' > "$conf"
json_has "setup --json: FASTBOOT_CRASHKERNEL unset: no crashkernel=" \
	'"words":"memmap=256M$0x40000000 fastboot.region=256M@0x40000000","grub_cfg"' \
	setup --config "$conf" --json
printf 'FASTBOOT_REGION="256M@0x40000000;reboot"\n' > "$conf"
json_has "setup --json: a region with shell syntax: the fragment adds nothing" \
	'"words":"","grub_cfg":"","why":"FASTBOOT_REGION=256M@0x40000000;reboot in' \
	setup --config "$conf" --region 256M@0x40000000 --json
printf 'FASTBOOT_REGION=\n' > "$conf"
json_has "setup: FASTBOOT_REGION empty: update-grub adds nothing" \
	'update-grub adds nothing' setup --config "$conf" --region 256M@0x40000000

echo "1..$n"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
