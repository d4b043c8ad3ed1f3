#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# The hash tree of mount modules (tools/fastboot/verity.c) against two
# references: veritysetup (cryptsetup-bin: `veritysetup format
# --no-superblock --salt=-`, dm-verity's own format) when it is
# installed, and a small independent implementation in Python written
# here from the format's description.  Root hash and tree bytes must be
# equal, for sizes around every level boundary.  KTAP; the last line is
# "N passed, N failed".
#
# Usage: test_verity.sh [TEST_VERITY]   (default ./test_verity)
set -u

BIN=${1:-$(dirname "$0")/test_verity}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
pass=0
fail=0

ok() {	# ok COND-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		pass=$((pass + 1))
		echo "ok $n $2"
	else
		fail=$((fail + 1))
		echo "not ok $n $2"
	fi
}

# The reference: leaves are SHA-256 of each zero-padded 4 KiB block;
# while a level has more than one digest, pack them 128 to a zero-padded
# block and hash those; levels are stored top first; the root is the
# digest of the single top block (or of the only data block).
cat >"$T/ref.py" <<'PY'
import hashlib, sys
B = 4096
data = open(sys.argv[1], 'rb').read()
blocks = [data[i:i + B].ljust(B, b'\0') for i in range(0, len(data), B)]
level = [hashlib.sha256(b).digest() for b in blocks]
stored = []
while len(level) > 1:
    packed = [b''.join(level[i:i + 128]).ljust(B, b'\0')
              for i in range(0, len(level), 128)]
    stored.append(b''.join(packed))
    level = [hashlib.sha256(b).digest() for b in packed]
open(sys.argv[2], 'wb').write(b''.join(reversed(stored)))
print(level[0].hex())
PY

echo "KTAP version 1"
if [ ! -x "$BIN" ]; then
	echo "not ok 1 $BIN is built"
	echo "0 passed, 1 failed"
	exit 1
fi
VS=$(command -v veritysetup || true)
[ -n "$VS" ] || echo "# veritysetup not installed (cryptsetup-bin): Python reference only"
K=4096
for blocks in 1 2 127 128 129 255 16384 16385; do
	for extra in 0 1 -1; do
		size=$((blocks * K + extra))
		# a partial last block only where it stays in the same count
		[ "$extra" = 1 ] && size=$(((blocks - 1) * K + 1))
		[ "$size" -gt 0 ] || continue
		head -c "$size" /dev/urandom >"$T/d"
		root=$("$BIN" "$T/d" "$T/t") || { ok 1 "$size bytes: test_verity ran"; continue; }
		ref=$(python3 "$T/ref.py" "$T/d" "$T/r")
		[ "$root" = "$ref" ] && cmp -s "$T/t" "$T/r"
		ok $? "$size bytes ($blocks blocks): root and tree as the Python reference"
		[ -n "$VS" ] || continue
		# veritysetup wants whole blocks: pad the copy it reads
		cp "$T/d" "$T/dp" && truncate -s $((blocks * K)) "$T/dp"
		rm -f "$T/v"
		vroot=$("$VS" format --no-superblock --salt=- --hash=sha256 \
			--data-block-size=$K --hash-block-size=$K "$T/dp" "$T/v" |
			sed -n 's/^Root hash:[[:space:]]*//p')
		touch "$T/v"
		[ "$root" = "$vroot" ] && cmp -s "$T/t" "$T/v"
		ok $? "$size bytes ($blocks blocks): root and tree as veritysetup's"
	done
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
