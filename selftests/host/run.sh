#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-host`: the fastboot packages on a real Debian 12 host, in
# the VM.  Builds the packages (scripts/deb.sh, unless FB_HOST_DEBS names
# them), prepares the host with them installed (scripts/mkhost.sh: a
# cached debootstrapped bookworm with systemd, initramfs-tools and
# Debian's kernel), boots it with QEMU/TCG from its own kernel and
# initramfs-tools initrd, root=/dev/vda, and follows the scenario that
# runs inside it (selftests/host/stages.sh) through its kexec, panic and
# crash-kernel boots to the final power-off.
#
# Prints the KTAP lines as they arrive, then one line "N passed, N
# failed"; exits 1 if anything failed.  The serial console is kept in
# build/host/console.log.
#
# Env: FB_HOST_DEBS (space-separated .deb files; default: make deb's),
#      FB_HOST_TIMEOUT (seconds, default 1500), FB_VM_SERIAL_TEE=1 (show
#      the whole console), KVER, FB_HOST_CACHE, FB_HOST_REGION (mkhost.sh)
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 2
OUT=build/host
LOGF=$OUT/console.log
TIMEOUT=${FB_HOST_TIMEOUT:-1500}
TEE=${FB_VM_SERIAL_TEE:-0}
STAGES=7

fail_setup() {
	echo "not ok 1 host bed: $*"
	echo "0 passed, 1 failed"
	exit 1
}

if [ -n "${FB_HOST_DEBS:-}" ]; then
	read -r -a debs <<<"$FB_HOST_DEBS"
else
	scripts/deb.sh >build/deb.log 2>&1 || { tail -n 30 build/deb.log; fail_setup "make deb failed"; }
	debs=(build/deb/fastboot_*.deb build/deb/fastboot-dkms_*.deb)
fi
t0=$(date +%s)
scripts/mkhost.sh "$OUT" "${debs[@]}" || fail_setup "scripts/mkhost.sh failed"
# QEMU and the ticker for the VM of stages 6 and 7 (/dev/vdb in the host)
scripts/mkl2disk.sh build/l2.img >&2 || fail_setup "scripts/mkl2disk.sh failed"
t1=$(date +%s)
echo "# host prepared in $((t1 - t0)) s"

FB_VM_STORE_CMDLINE="$(cat "$OUT/cmdline")" scripts/vm.sh --tee \
	--kernel "$OUT/vmlinuz" --initrd "$OUT/initrd.img" --disk "$OUT/host.img" \
	--disk-ro build/l2.img \
	--log "$LOGF" --timeout "$TIMEOUT" --append "root=/dev/vda rw" |
sed -u 's/\x1b\[[0-9;?]*[A-Za-z]//g' |
while IFS= read -r line; do
	line=${line%$'\r'}
	if [ "$TEE" = 1 ]; then
		printf '%s\n' "$line"
	else
		case "$line" in
		"ok "*|"not ok "*|"#"*|"Bail out!"*|"KTAP version"*|[0-9]*..[0-9]*)
			printf 'host: %s\n' "$line" ;;
		esac
	fi
done
rc=${PIPESTATUS[0]}
t2=$(date +%s)

clean=$(tr -d '\r' <"$LOGF" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g')
pass=$(grep -c '^ok ' <<<"$clean")
fail=$(grep -c '^not ok ' <<<"$clean")
why=()
[ "$rc" != 124 ] || why+=("VM timed out after ${TIMEOUT}s")
grep -qx '# fbtest-done host' <<<"$clean" ||
	why+=("no '# fbtest-done host' line (the host hung, rebooted through firmware or crashed; qemu exit $rc)")
for s in $(seq 1 $STAGES); do
	grep -q "^# stage $s of host: " <<<"$clean" || why+=("stage $s did not finish")
done
! grep -q '^Bail out!' <<<"$clean" || why+=("Bail out!")
if grep -Ev '^(ok|not ok) ' <<<"$clean" | grep -Eq 'BUG:|WARNING:|Oops|general protection'; then
	why+=("kernel reported: $(grep -Ev '^(ok|not ok) ' <<<"$clean" | grep -Em1 'BUG:|WARNING:|Oops|general protection')")
fi
fail=$((fail + ${#why[@]}))
for w in "${why[@]}"; do
	echo "host: FAIL: $w"
done
if [ ${#why[@]} -gt 0 ]; then
	echo "host: ----- last 60 lines of $LOGF -----"
	tail -n 60 <<<"$clean" | sed 's/^/host| /'
fi
echo "# host: $((t2 - t1)) s in the VM"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
