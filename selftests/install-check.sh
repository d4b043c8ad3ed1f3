#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make install` and `make uninstall` into a scratch DESTDIR: every file the
# Makefile, README and admin guide promise is installed, configuration
# files are kept when changed, and uninstall removes the rest.  KTAP-style
# lines, closing "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
n=0 f=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); f=$((f + 1)); echo "not ok $n $1"; }
check() { local desc=$1; shift; if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }

if make -s install DESTDIR="$d" >"$d.log" 2>&1; then
	ok "make install DESTDIR=..."
else
	not_ok "make install DESTDIR=..."
	sed 's/^/# /' "$d.log"
fi
for p in usr/sbin/fastboot usr/share/man/man8/fastboot.8 \
	usr/share/bash-completion/completions/fastboot \
	usr/lib/systemd/system/fastboot.service \
	usr/lib/systemd/system/fastboot-arm.service \
	etc/default/fastboot etc/modprobe.d/fastboot.conf; do
	check "installs /$p" test -s "$d/$p"
done
echo "# changed" >>"$d/etc/default/fastboot"
make -s uninstall DESTDIR="$d" >"$d.log" 2>&1
check "make uninstall keeps a changed /etc/default/fastboot" \
	grep -q '^# changed' "$d/etc/default/fastboot"
check "make uninstall removes the tool" test ! -e "$d/usr/sbin/fastboot"
check "make uninstall removes the unchanged modprobe.d file" \
	test ! -e "$d/etc/modprobe.d/fastboot.conf"
rm -f "$d.log"
echo "$((n - f)) passed, $f failed"
[ "$f" -eq 0 ]
