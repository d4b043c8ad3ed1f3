#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check that the module installs the way hosts install out-of-tree kernel
# modules: copy the files dkms needs (Kbuild, kmod/, dkms.conf) to
# /usr/src/fastboot-VERSION, then `dkms add`, `dkms build -k KVER`, check
# that fastboot.ko was built, `dkms remove --all` and clean up.
#
# Prints KTAP and a closing line "N passed, N failed"; exits 1 on failure.
# Needs root (dkms writes /usr/src and /var/lib/dkms) and dkms, and the
# headers of KVER (default 6.1.0-56-amd64, the kernel the project targets;
# the running kernel may differ, so -k is always passed).
#
# Usage: scripts/dkms-check.sh [KVER]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
KVER=${1:-${KVER:-6.1.0-56-amd64}}
ARCH=$(uname -m)
n=0
passed=0
failed=0
plan=6

ok() {
	n=$((n + 1)); passed=$((passed + 1))
	echo "ok $n $1"
}

# not_ok DESC [LOGFILE]: not ok, with the tail of LOGFILE as diagnostics.
not_ok() {
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n $1"
	if [ -n "${2:-}" ] && [ -s "$2" ]; then
		tail -n 20 "$2" | sed 's/^/#   /'
	fi
}

# skip_rest REASON: report the remaining planned tests as skipped.
skip_rest() {
	while [ "$n" -lt "$plan" ]; do
		n=$((n + 1)); passed=$((passed + 1))
		echo "ok $n dkms step $n # SKIP $1"
	done
}

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

echo "KTAP version 1"
echo "1..$plan"

# The version comes from one place: PACKAGE_VERSION in dkms.conf.
VER=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}[[:space:]]*$/\1/p' dkms.conf 2>/dev/null)
if [ -z "$VER" ]; then
	not_ok "dkms.conf has PACKAGE_VERSION"
	skip_rest "no version"
	finish
fi
ok "dkms.conf has PACKAGE_VERSION ($VER)"
# The format's 4 KiB pages are mapped as kernel pages, and the cache
# write-back is x86's: DKMS must not try other architectures.
if grep -qx 'BUILD_EXCLUSIVE_ARCH="x86_64"' dkms.conf; then
	ok "dkms.conf builds for x86_64 only"
else
	not_ok "dkms.conf builds for x86_64 only"
fi

if [ "$(id -u)" -ne 0 ]; then
	skip_rest "needs root"
	finish
fi
if ! command -v dkms >/dev/null 2>&1; then
	skip_rest "dkms is not installed (scripts/deps.sh installs it)"
	finish
fi
if [ ! -d "/lib/modules/$KVER/build" ] && [ ! -d "/usr/src/linux-headers-$KVER" ]; then
	skip_rest "no headers for $KVER"
	finish
fi

SRC=/usr/src/fastboot-$VER
log=$(mktemp)
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	dkms remove -m fastboot -v "$VER" --all >/dev/null 2>&1
	rm -rf "$SRC"
	rm -f "$log"
}

# Refuse to clobber a fastboot that is already registered (a real install).
if [ -e "$SRC" ] || dkms status -m fastboot -v "$VER" 2>/dev/null | grep -q .; then
	not_ok "no fastboot/$VER registered with dkms yet"
	echo "#   $SRC or a dkms registration exists; remove it first: dkms remove fastboot/$VER --all"
	rm -f "$log"
	skip_rest "fastboot/$VER already present"
	finish
fi
trap cleanup EXIT

# Only what dkms needs: the top-level Kbuild, kmod/ and dkms.conf.  From
# git when this is a checkout (tracked and new, not ignored, files), else
# a fixed list.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=$(git ls-files --cached --others --exclude-standard -- Kbuild dkms.conf kmod)
else
	files="Kbuild dkms.conf kmod/Kbuild"
	for f in kmod/*.[ch] kmod/uapi/*.h; do
		case $f in *.mod.c) ;; *) files="$files $f" ;; esac
	done
fi
copy_source() {
	local f
	for f in $files; do
		[ -f "$f" ] || continue	# deleted in the work tree
		mkdir -p "$SRC/$(dirname "$f")" && cp -p "$f" "$SRC/$f" || return 1
	done
}
if copy_source && [ -f "$SRC/dkms.conf" ] && [ -f "$SRC/kmod/Kbuild" ]; then
	ok "source copied to $SRC ($(echo "$files" | wc -w) files)"
else
	not_ok "source copied to $SRC"
fi

if dkms add -m fastboot -v "$VER" >"$log" 2>&1; then
	ok "dkms add fastboot/$VER"
else
	not_ok "dkms add fastboot/$VER" "$log"
fi

if dkms build -m fastboot -v "$VER" -k "$KVER" -a "$ARCH" >"$log" 2>&1; then
	ok "dkms build fastboot/$VER -k $KVER"
else
	not_ok "dkms build fastboot/$VER -k $KVER" "$log"
	mk=/var/lib/dkms/fastboot/$VER/build/make.log
	[ -f "$mk" ] && { echo "#   make.log:"; tail -n 20 "$mk" | sed 's/^/#   /'; }
fi

# shellcheck disable=SC2012
ko=$(ls /var/lib/dkms/fastboot/"$VER"/"$KVER"/"$ARCH"/module/fastboot.ko* 2>/dev/null | head -n 1)
if [ -n "$ko" ] && modinfo -F vermagic "$ko" 2>/dev/null | grep -q "^$KVER "; then
	ok "built $(basename "$ko") for $KVER"
else
	not_ok "built fastboot.ko for $KVER (vermagic $KVER)"
	# shellcheck disable=SC2012
	ls -lR /var/lib/dkms/fastboot/"$VER" 2>&1 | tail -n 20 | sed 's/^/#   /'
fi

if dkms remove -m fastboot -v "$VER" --all >"$log" 2>&1 &&
   ! dkms status -m fastboot -v "$VER" 2>/dev/null | grep -q .; then
	ok "dkms remove fastboot/$VER --all"
else
	not_ok "dkms remove fastboot/$VER --all" "$log"
fi
finish
