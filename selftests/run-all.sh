#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: the userspace unit tests of the format, the documentation
# and CLI consistency checks, make install into a scratch directory, the
# host integration files (GRUB fragment, kernel and initramfs hooks), the
# Ansible collection's sanity checks (contrib/ansible/), a DKMS
# build, the Debian packages (built, linted, installed, removed, purged),
# then the in-VM scenarios.  Each part reports its own counts; this
# prints one closing line "N passed, N failed" and exits non-zero on any
# failure.  FB_SKIP_VM=1 runs only the userspace parts.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
passed=0
failed=0

# run_part NAME CMD...: run a part, echo its output with its own closing
# line turned into a comment, and add its counts.
run_part() {
	local name=$1 log line p f rc
	shift
	log=$(mktemp)
	echo "# === $name ==="
	"$@" 2>&1 | tee "$log" | sed -E 's/^([A-Za-z-]+: )?([0-9]+ passed, [0-9]+ failed.*)$/# '"$name"' totals: \2/'
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	rm -f "$log"
	if [ -z "$line" ]; then
		echo "not ok - $name printed no totals (exit $rc)"
		failed=$((failed + 1))
		return
	fi
	p=$(echo "$line" | sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2/')
	f=$(echo "$line" | sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\3/')
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited $rc"
		failed=$((failed + 1))
	fi
}

doc_check() {
	if scripts/gen-format-doc.sh --check; then
		echo "1 passed, 0 failed"
	else
		echo "0 passed, 1 failed"
		return 1
	fi
}

run_part unit make -s -C selftests/unit check
run_part fuzz-corpus make -s -C selftests/fuzz check
run_part docs doc_check
run_part cli selftests/cli-consistency.sh
run_part install selftests/install-check.sh
run_part hostfiles selftests/hostfiles-check.sh
run_part ansible selftests/ansible-sanity.sh
run_part dkms scripts/dkms-check.sh
# After dkms-check.sh, which registers fastboot/VERSION with dkms and removes
# it again; deb-check.sh purges its packages before and after (both refuse
# to clobber a registration that is not theirs).
run_part deb selftests/deb-check.sh
if [ "${FB_SKIP_VM:-0}" != 1 ]; then
	run_part vm selftests/run-vm.sh
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
