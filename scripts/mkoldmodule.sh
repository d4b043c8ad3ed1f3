#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build fastboot.ko from an older git revision, for scenarios that run a
# module of an earlier release against the store (old -> new -> old).
#
# Usage: scripts/mkoldmodule.sh REV OUT.ko     (run from the repo root)
#
# Env: KVER (default 6.1.0-56-amd64), KDIR (default
# /usr/src/linux-headers-$KVER).  The revision's kmod/ and Kbuild are
# exported with git archive into build/old-module/REV and built there;
# OUT.ko is kept up to date (rebuilt when missing).
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 REV OUT.ko" >&2
	exit 2
fi
REV=$(git rev-parse --verify "$1^{commit}")
OUT=$2
KVER=${KVER:-6.1.0-56-amd64}
KDIR=${KDIR:-/usr/src/linux-headers-$KVER}
SRC=build/old-module/$REV

if [ -f "$OUT" ] && [ -f "$SRC/kmod/fastboot.ko" ] && cmp -s "$SRC/kmod/fastboot.ko" "$OUT"; then
	exit 0
fi
rm -rf "$SRC"
mkdir -p "$SRC"
git archive "$REV" Kbuild kmod | tar -x -C "$SRC"
make -s -C "$KDIR" M="$(pwd)/$SRC" modules >"$SRC/build.log" 2>&1 ||
	{ cat "$SRC/build.log" >&2; echo "mkoldmodule: build of $REV failed" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
cp "$SRC/kmod/fastboot.ko" "$OUT"
echo "mkoldmodule: $OUT from $(git log -1 --format='%h %s' "$REV" | cut -c1-60)"
