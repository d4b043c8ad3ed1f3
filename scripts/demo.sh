#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make demo`: boot the test-bed VM and run selftests/vm/demo.sh, showing
# its narration.  FB_VM_SERIAL_TEE=1 shows the whole serial console.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
out=build/demo
mkdir -p "$out"
scripts/mkinitramfs.sh "$out/initrd.cpio.gz" >/dev/null || exit 2
echo "Booting Debian's kernel under QEMU (TCG); each boot takes a few seconds..."
rm -f "$out/disk.img"
truncate -s 1G "$out/disk.img"
scripts/vm.sh --tee --initrd "$out/initrd.cpio.gz" --log "$out/serial.log" \
	--disk "$out/disk.img" \
	--timeout "${FB_VM_TIMEOUT:-600}" --append "fbtest=demo fbstage=1" |
while IFS= read -r line; do
	line=${line%$'\r'}
	if [ "${FB_VM_SERIAL_TEE:-0}" = 1 ]; then
		printf '%s\n' "$line"
	else
		case "$line" in
		"demo| "*) printf '%s\n' "${line#demo| }" ;;
		"not ok "*|"Bail out!"*) printf '!! %s\n' "$line" ;;
		esac
	fi
done
log=$(tr -d '\r' <"$out/serial.log")
if ! grep -qx '# fbtest-done demo' <<<"$log" || grep -q '^not ok ' <<<"$log"; then
	echo "demo: FAILED; serial log in $out/serial.log" >&2
	exit 1
fi
echo
echo "demo: OK (serial log in $out/serial.log)"
