#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The file system images of the byref-mount scenario, as one tar archive
# the VM reads from its second disk (/dev/vdb, "# fbtest-disk2:").
#
# Usage: scripts/mkfsimages.sh OUT.tar      (run from the repo root)
#
# OUT.tar holds, for the erofs images fs1.erofs and fs2.erofs (v1, v2:
# hello.txt, data1, data2 of 256 KiB random bytes, big of 8 MiB, and
# sub/nested.txt) and the squashfs image fs.sqfs (sq.txt, sq.data):
#   NAME.sums     sha256sum -c input for the files, relative to the mount
#   NAME.root     the image's hash tree root (veritysetup format
#                 --no-superblock --salt=-, or Python when veritysetup is
#                 missing): what fastboot update must record
#   fs1.data1.offset  the byte offset of data1's first block in fs1.erofs
#                 (uncompressed erofs keeps file data block-aligned)
# big.erofs (BIG MiB of random files f1.., with big.sums and big.root)
# makes byref-mount's image larger than its crash reservation.
# Rebuilt when missing or older than this script.  Needs mkfs.erofs
# (erofs-utils) and mksquashfs (squashfs-tools): scripts/deps.sh.
set -eu
BIG=192

OUT=${1:?usage: $0 OUT.tar}
if [ -f "$OUT" ] && [ "$OUT" -nt "$0" ]; then
	echo "mkfsimages: $OUT is up to date"
	exit 0
fi
for t in mkfs.erofs mksquashfs python3; do
	command -v "$t" >/dev/null || { echo "mkfsimages: $t missing (scripts/deps.sh)" >&2; exit 1; }
done
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/out" "$(dirname "$OUT")"

tree() {	# tree DIR VERSION
	mkdir -p "$1/sub"
	echo "hello $2" >"$1/hello.txt"
	head -c 262144 /dev/urandom >"$1/data1"
	head -c 262144 /dev/urandom >"$1/data2"
	head -c 8388608 /dev/urandom >"$1/big"
	echo "nested $2" >"$1/sub/nested.txt"
}

root_of() {	# root_of IMAGE: the hash tree root of IMAGE
	if command -v veritysetup >/dev/null; then
		cp "$1" "$T/padded"
		truncate -s $(( ($(stat -c %s "$1") + 4095) / 4096 * 4096 )) "$T/padded"
		veritysetup format --no-superblock --salt=- --hash=sha256 \
			--data-block-size=4096 --hash-block-size=4096 \
			"$T/padded" "$T/tree" | sed -n 's/^Root hash:[[:space:]]*//p'
		rm -f "$T/padded" "$T/tree"
	else
		python3 - "$1" <<'PY'
import hashlib, sys
B = 4096
d = open(sys.argv[1], 'rb').read()
lv = [hashlib.sha256(d[i:i + B].ljust(B, b'\0')).digest() for i in range(0, len(d), B)]
while len(lv) > 1:
    lv = [hashlib.sha256(b''.join(lv[i:i + 128]).ljust(B, b'\0')).digest()
          for i in range(0, len(lv), 128)]
print(lv[0].hex())
PY
	fi
}

for v in 1 2; do
	tree "$T/v$v" "v$v"
	mkfs.erofs --quiet --all-root "$T/out/fs$v.erofs" "$T/v$v" >/dev/null
	(cd "$T/v$v" && sha256sum hello.txt data1 data2 big sub/nested.txt) >"$T/out/fs$v.sums"
	root_of "$T/out/fs$v.erofs" >"$T/out/fs$v.root"
done
python3 - "$T/out/fs1.erofs" "$T/v1/data1" >"$T/out/fs1.data1.offset" <<'PY'
import sys
img = open(sys.argv[1], 'rb').read()
data = open(sys.argv[2], 'rb').read(4096)
off = img.find(data)
assert off >= 0 and off % 4096 == 0, off
print(off)
PY
mkdir -p "$T/sq"
echo "hello squashfs" >"$T/sq/sq.txt"
head -c 1048576 /dev/urandom >"$T/sq/sq.data"
mksquashfs "$T/sq" "$T/out/fs.sqfs" -noappend -quiet -all-root >/dev/null
(cd "$T/sq" && sha256sum sq.txt sq.data) >"$T/out/sq.sums"
root_of "$T/out/fs.sqfs" >"$T/out/sq.root"
# big.erofs: BIG MiB of random files, so that the image is larger than
# the scenario's crash reservation (fbtest-vm: FB_VM_CRASHKERNEL)
mkdir -p "$T/big"
for i in $(seq 1 $((BIG / 16))); do
	head -c 16777216 /dev/urandom >"$T/big/f$i"
done
mkfs.erofs --quiet --all-root "$T/out/big.erofs" "$T/big" >/dev/null
(cd "$T/big" && sha256sum f*) >"$T/out/big.sums"
root_of "$T/out/big.erofs" >"$T/out/big.root"
rm -rf "$T/big"
tar -C "$T/out" -cf "$OUT.tmp" .
mv "$OUT.tmp" "$OUT"
echo "mkfsimages: $OUT: $(ls "$T/out" | tr '\n' ' ')"
