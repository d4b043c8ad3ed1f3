#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR MIT
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
	"$TOOL" --device "$DEV" "$@" >/dev/null 2>&1
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
# in the --config file; unset, empty or no file is a usage error.
conf=$(mktemp)
trap 'rm -f "$conf"' EXIT
printf 'FASTBOOT_IMAGE="/boot/fastboot.img"\nFASTBOOT_RECOVERY_IMAGE=\n' > "$conf"
expect 1 "update --config with FASTBOOT_IMAGE set gets past the parsing" \
	update --config "$conf" --dry-run
expect 2 "arm --config with FASTBOOT_RECOVERY_IMAGE empty is a usage error" \
	arm --config "$conf" --dry-run
expect 2 "update --config with no such file is a usage error" \
	update --config /nonexistent/fastboot.conf --dry-run
printf 'FASTBOOT_RECOVERY_IMAGE=/boot/recovery.img\n' > "$conf"
expect 1 "arm --config with FASTBOOT_RECOVERY_IMAGE set gets past the parsing" \
	arm --config "$conf" --dry-run
expect 2 "update --config with FASTBOOT_IMAGE unset is a usage error" \
	update --config "$conf" --dry-run
n=$((n + 1))
if "$TOOL" --device "$DEV" update --config "$conf" 2>&1 >/dev/null |
	grep -q "FASTBOOT_IMAGE .*$conf"; then
	pass=$((pass + 1))
	echo "ok $n the usage error names FASTBOOT_IMAGE and the file"
else
	fail=$((fail + 1))
	echo "not ok $n the usage error names FASTBOOT_IMAGE and the file"
fi

echo "1..$n"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
