#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make install` and `make uninstall` into a scratch DESTDIR: every file the
# Makefile, README and admin guide promise is installed (the initramfs-tools
# hook and script, the kernel hooks and the GRUB fragment too), files under
# /etc are kept when changed, and uninstall removes the rest.  KTAP-style
# lines, closing "N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 1
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
	usr/share/doc/fastboot/examples/fastboot-vms.service \
	etc/default/fastboot etc/modprobe.d/fastboot.conf \
	etc/default/grub.d/fastboot.cfg; do
	check "installs /$p" test -s "$d/$p"
done
for p in usr/share/initramfs-tools/hooks/fastboot \
	usr/share/initramfs-tools/scripts/init-top/fastboot \
	etc/kernel/postinst.d/zz-fastboot etc/kernel/postrm.d/zz-fastboot; do
	check "installs /$p, executable" test -s "$d/$p" -a -x "$d/$p"
done
check "the GRUB fragment is not executable (grub-mkconfig sources it)" \
	test ! -x "$d/etc/default/grub.d/fastboot.cfg"
echo "# changed" >>"$d/etc/default/grub.d/fastboot.cfg"
make -s install DESTDIR="$d" >"$d.log" 2>&1
check "make install again keeps a changed GRUB fragment, and says so" \
	sh -c "grep -q '^# changed' '$d/etc/default/grub.d/fastboot.cfg' &&
		grep -q 'keeping .*grub.d/fastboot.cfg' '$d.log'"

echo "# changed" >>"$d/etc/default/fastboot"
make -s uninstall DESTDIR="$d" >"$d.log" 2>&1
check "make uninstall keeps a changed /etc/default/fastboot" \
	grep -q '^# changed' "$d/etc/default/fastboot"
check "make uninstall removes the tool" test ! -e "$d/usr/sbin/fastboot"
check "make uninstall removes the unchanged modprobe.d file" \
	test ! -e "$d/etc/modprobe.d/fastboot.conf"
check "make uninstall keeps the changed GRUB fragment" \
	grep -q '^# changed' "$d/etc/default/grub.d/fastboot.cfg"
check "make uninstall removes the initramfs-tools hook and script" \
	test ! -e "$d/usr/share/initramfs-tools/hooks/fastboot" -a \
	! -e "$d/usr/share/initramfs-tools/scripts/init-top/fastboot"
check "make uninstall removes the unchanged kernel hooks" \
	test ! -e "$d/etc/kernel/postinst.d/zz-fastboot" -a \
	! -e "$d/etc/kernel/postrm.d/zz-fastboot"

# Another PREFIX and SYSCONFDIR reach the scripts' paths.
rm -rf "$d" && mkdir "$d"
make -s install DESTDIR="$d" PREFIX=/opt/fb SYSCONFDIR=/opt/etc >"$d.log" 2>&1
check "PREFIX=/opt/fb SYSCONFDIR=/opt/etc: the scripts name /opt/fb/sbin/fastboot and /opt/etc/default/fastboot" \
	sh -c "grep -q '/opt/fb/sbin/fastboot' '$d/usr/share/initramfs-tools/hooks/fastboot' &&
		grep -q '/opt/etc/default/fastboot' '$d/usr/share/initramfs-tools/hooks/fastboot' &&
		grep -q '/opt/fb/sbin/fastboot' '$d/opt/etc/kernel/postinst.d/zz-fastboot' &&
		grep -q '/opt/etc/default/fastboot' '$d/opt/etc/default/grub.d/fastboot.cfg' &&
		! grep -q '/usr/sbin/fastboot' '$d/opt/etc/default/grub.d/fastboot.cfg'"
rm -f "$d.log"
echo "$((n - f)) passed, $f failed"
[ "$f" -eq 0 ]
