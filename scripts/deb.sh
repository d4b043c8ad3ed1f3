#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make deb`: build the Debian packages fastboot and fastboot-dkms with
# dpkg-buildpackage -b -us -uc (debian/), into build/deb/.
#
# dpkg-buildpackage writes its results to the parent of the tree it builds
# and leaves debhelper's files under debian/, so it runs in a copy of the
# tree, build/deb/fastboot-VERSION/: the files git knows (tracked, and new
# ones not ignored) when this is a checkout, else the tree without build/.
# The .debs, .buildinfo and .changes land in build/deb/; nothing is written
# to the source tree or above it.
#
# Usage: scripts/deb.sh   (build dependencies: scripts/deps.sh)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=$top/build/deb

debian/check-version
ver=$(dpkg-parsechangelog -S Version)
src=$out/fastboot-$ver

rm -rf "$out"
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			[ -f "$f" ] && printf '%s\0' "$f"
		done |
		tar --null -T - -cf - | tar -xf - -C "$src"
else
	tar --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$src"
fi

cd "$src"
dpkg-buildpackage -b -us -uc
cd "$out"
rm -rf "$src"
ls -l "$out"
