#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages (debian/, `make deb`): build them, run lintian, check
# each package's control fields, file list, conffiles and maintainer
# scripts; then, as root, install both the way an admin does
# (apt-get install ./build/deb/...), check that DKMS built the module for
# KVER, the units are enabled and the tool runs, that the update-initramfs
# trigger put the module, the tool and the init-top script into KVER's
# initrd (/boot/initrd.img-KVER is rebuilt: at install, reinstall, remove)
# and that the tool takes that initrd without --force, then apt-get remove and
# apt-get purge and check what each leaves (Debian policy: conffiles and
# enablement state kept on remove, everything gone on purge).
#
# Idempotent: a previous installation of the packages is purged first, and
# they are purged again on exit, so scripts/dkms-check.sh (which registers
# fastboot/VERSION with dkms itself and refuses to run when it is already
# registered) can run before or after this.  A fastboot/VERSION that dkms
# knows but no package installed (make install-dkms) is left alone: the
# install steps are then reported as failed, not clobbered.
#
# systemd need not be running: the units are checked as files and
# enablement symlinks under /etc/systemd/system.
#
# Prints KTAP-style lines and a closing "N passed, N failed"; exits 1 on
# failure.  Needs dpkg-dev, debhelper, dh-dkms, lintian (scripts/deps.sh);
# the install part needs root, apt-get, dkms and the headers of KVER
# (default 6.1.0-56-amd64), and is skipped without them.
#
# Usage: selftests/deb-check.sh [KVER]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
KVER=${1:-${KVER:-6.1.0-56-amd64}}
out=$top/build/deb
n=0
failed=0
tmp=$(mktemp -d)

ok() { n=$((n + 1)); echo "ok $n $1"; }
# not_ok DESC [LOGFILE]: not ok, with the tail of LOGFILE as diagnostics.
not_ok() {
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n $1"
	if [ -n "${2:-}" ] && [ -s "$2" ]; then
		tail -n 25 "$2" | sed 's/^/#   /'
	fi
}
check() { local desc=$1; shift; if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
finish() {
	echo "$((n - failed)) passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

installed() {	# installed PKG: dpkg knows PKG in any state but not-installed
	local st
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) || return 1
	case "$st" in un*|"") return 1 ;; *) return 0 ;; esac
}
purge_packages() {
	local p pkgs=""
	for p in fastboot fastboot-dkms; do
		installed "$p" && pkgs="$pkgs $p"
	done
	[ -z "$pkgs" ] && return 0
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get purge -y $pkgs
}
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [ "${purge_on_exit:-0}" = 1 ]; then
		purge_packages >/dev/null 2>&1
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "KTAP version 1"

# --- the version, in one place --------------------------------------------
if debian/check-version >"$tmp/log" 2>&1; then
	ok "debian/changelog agrees with PACKAGE_VERSION in dkms.conf"
else
	not_ok "debian/changelog agrees with PACKAGE_VERSION in dkms.conf" "$tmp/log"
fi
VER=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}[[:space:]]*$/\1/p' dkms.conf)
DEBVER=$(dpkg-parsechangelog -S Version)

# --- build ----------------------------------------------------------------
for t in dpkg-buildpackage dh dh_dkms lintian; do
	if ! command -v "$t" >/dev/null 2>&1; then
		not_ok "$t is installed (scripts/deps.sh installs it)"
		finish
	fi
done
before=$(git status --porcelain 2>/dev/null)
if scripts/deb.sh >"$tmp/log" 2>&1; then
	ok "make deb (scripts/deb.sh)"
else
	not_ok "make deb (scripts/deb.sh)" "$tmp/log"
	finish
fi
tool_deb=$out/fastboot_${DEBVER}_amd64.deb
dkms_deb=$out/fastboot-dkms_${DEBVER}_all.deb
changes=$out/fastboot_${DEBVER}_amd64.changes
check "built $(basename "$tool_deb"), $(basename "$dkms_deb"), .buildinfo, .changes" \
	test -s "$tool_deb" -a -s "$dkms_deb" -a -s "$changes" \
	-a -s "$out/fastboot_${DEBVER}_amd64.buildinfo"
# shellcheck disable=SC2012
check "build/deb/ holds only the two packages, .buildinfo and .changes" \
	test "$(ls "$out" | wc -l)" -eq 4
if [ -n "$(git rev-parse --git-dir 2>/dev/null)" ]; then
	check "the build left the source tree as it was" \
		test "$(git status --porcelain 2>/dev/null)" = "$before"
	check "the build wrote nothing to the tree's parent" \
		test -z "$(ls "$top"/../fastboot*_"$DEBVER"_* 2>/dev/null)"
fi

# --- lintian ----------------------------------------------------------------
# The .changes names both packages and the .buildinfo.  Errors and warnings
# fail unless overridden (debian/*.lintian-overrides, each justified).
lintian --fail-on error,warning -E -I --pedantic "$changes" >"$tmp/lintian" 2>&1
rc=$?
grep -v '^running with root privileges' "$tmp/lintian" | sed 's/^/# lintian: /'
if [ "$rc" -eq 0 ] && ! grep -q '^[EW]: ' "$tmp/lintian"; then
	ok "lintian: no error or warning (.debs, .buildinfo, .changes)"
else
	not_ok "lintian: no error or warning (exit $rc)"
fi

# --- control fields ---------------------------------------------------------
field() { dpkg-deb -f "$1" "$2" 2>/dev/null; }
check "fastboot: Architecture amd64" test "$(field "$tool_deb" Architecture)" = amd64
check "fastboot-dkms: Architecture all" test "$(field "$dkms_deb" Architecture)" = all
check "both: Version $DEBVER (dkms.conf: $VER)" \
	test "$(field "$tool_deb" Version)" = "$DEBVER" -a "$(field "$dkms_deb" Version)" = "$DEBVER"
check "fastboot: Depends on kexec-tools and kmod" \
	sh -c "echo '$(field "$tool_deb" Depends)' | grep -q 'kexec-tools' && echo '$(field "$tool_deb" Depends)' | grep -q 'kmod'"
check "fastboot: Recommends fastboot-dkms (= $DEBVER)" \
	test "$(field "$tool_deb" Recommends)" = "fastboot-dkms (= $DEBVER)"
check "fastboot: Built-Using names the static libraries' sources" \
	sh -c "echo '$(field "$tool_deb" Built-Using)' | grep -q 'glibc (= .*elfutils (= \|elfutils (= .*glibc (= '"
check "fastboot-dkms: Depends on dkms" \
	sh -c "echo '$(field "$dkms_deb" Depends)' | grep -q '\\bdkms\\b'"

# --- file lists -------------------------------------------------------------
dpkg-deb -c "$tool_deb" | awk '{print $6}' | sed 's|^\./|/|' >"$tmp/tool.list"
dpkg-deb -c "$dkms_deb" | awk '{print $6}' | sed 's|^\./|/|' >"$tmp/dkms.list"
for p in /usr/sbin/fastboot /usr/share/man/man8/fastboot.8.gz \
	/usr/share/bash-completion/completions/fastboot \
	/lib/systemd/system/fastboot.service \
	/lib/systemd/system/fastboot-arm.service \
	/etc/default/fastboot /etc/modprobe.d/fastboot.conf \
	/etc/default/grub.d/fastboot.cfg \
	/etc/kernel/postinst.d/zz-fastboot /etc/kernel/postrm.d/zz-fastboot \
	/usr/share/initramfs-tools/hooks/fastboot \
	/usr/share/initramfs-tools/scripts/init-top/fastboot \
	/usr/share/initramfs-tools/scripts/init-bottom/fastboot \
	/usr/share/initramfs-tools/scripts/fastboot-functions \
	/usr/share/doc/fastboot/copyright \
	/usr/share/doc/fastboot/examples/fastboot-vms.service; do
	check "fastboot ships $p" grep -qx "$p" "$tmp/tool.list"
done
check "fastboot-vms.service is an example, not a unit (enabled by no one)" \
	sh -c "! grep -q 'systemd/system/fastboot-vms' '$tmp/tool.list'"
dpkg-deb -c "$tool_deb" | awk '{print $1, $6}' | sed 's| \./| /|' >"$tmp/tool.modes"
check "fastboot: the hooks and scripts are executable, the functions they source and the GRUB fragment are not" \
	sh -c "grep -qx -- '-rwxr-xr-x /etc/kernel/postinst.d/zz-fastboot' '$tmp/tool.modes' &&
		grep -qx -- '-rwxr-xr-x /etc/kernel/postrm.d/zz-fastboot' '$tmp/tool.modes' &&
		grep -qx -- '-rwxr-xr-x /usr/share/initramfs-tools/hooks/fastboot' '$tmp/tool.modes' &&
		grep -qx -- '-rwxr-xr-x /usr/share/initramfs-tools/scripts/init-top/fastboot' '$tmp/tool.modes' &&
		grep -qx -- '-rwxr-xr-x /usr/share/initramfs-tools/scripts/init-bottom/fastboot' '$tmp/tool.modes' &&
		grep -qx -- '-rw-r--r-- /usr/share/initramfs-tools/scripts/fastboot-functions' '$tmp/tool.modes' &&
		grep -qx -- '-rw-r--r-- /etc/default/grub.d/fastboot.cfg' '$tmp/tool.modes'"
check "fastboot ships no module source" sh -c "! grep -q '^/usr/src' '$tmp/tool.list'"
src=/usr/src/fastboot-$VER
for p in dkms.conf Kbuild kmod/Kbuild kmod/main.c kmod/format.h kmod/uapi/fastboot.h; do
	check "fastboot-dkms ships $src/$p" grep -qx "$src/$p" "$tmp/dkms.list"
done
check "fastboot-dkms ships sources only (no build outputs)" \
	sh -c "! grep -E '\\.(ko|o|cmd|mod|mod\\.c)\$|/\\.' '$tmp/dkms.list' | grep -q ."
dpkg-deb --fsys-tarfile "$dkms_deb" | tar -xOf - ".$src/dkms.conf" >"$tmp/dkms.conf" 2>/dev/null
check "fastboot-dkms: its dkms.conf is the tree's" cmp -s "$tmp/dkms.conf" dkms.conf

# --- conffiles and maintainer scripts ---------------------------------------
dpkg-deb -e "$tool_deb" "$tmp/tool.ctl"
dpkg-deb -e "$dkms_deb" "$tmp/dkms.ctl"
# Every file under /etc is a conffile (policy 10.7.2), the GRUB fragment and
# the kernel hooks too: remove keeps them (they then do nothing, the tool
# being gone), purge removes them.  The initramfs-tools hook and script
# are under /usr: removed with the package.
CONFFILES="/etc/default/fastboot /etc/default/grub.d/fastboot.cfg /etc/kernel/postinst.d/zz-fastboot /etc/kernel/postrm.d/zz-fastboot /etc/modprobe.d/fastboot.conf "
check "fastboot: conffiles are $CONFFILES" \
	test "$(LC_ALL=C sort "$tmp/tool.ctl/conffiles" 2>/dev/null | tr '\n' ' ')" = "$CONFFILES"
check "fastboot: triggers update-initramfs (activate-noawait; dh_installinitramfs)" \
	grep -qx 'activate-noawait update-initramfs' "$tmp/tool.ctl/triggers"
check "fastboot-dkms: no conffiles" test ! -e "$tmp/dkms.ctl/conffiles"
for u in fastboot.service fastboot-arm.service; do
	check "fastboot postinst enables $u" \
		grep -q "deb-systemd-helper enable '$u'" "$tmp/tool.ctl/postinst"
done
check "fastboot postinst starts and restarts no unit" \
	sh -c "! grep -q 'deb-systemd-invoke' '$tmp/tool.ctl/postinst'"
check "fastboot prerm stops fastboot-arm.service (disarm) on remove only" \
	sh -c "grep -q 'deb-systemd-invoke stop fastboot-arm.service' '$tmp/tool.ctl/prerm' &&
		grep -q '\"\$1\" = remove' '$tmp/tool.ctl/prerm'"
check "fastboot has no preinst (nothing stopped on upgrade)" test ! -e "$tmp/tool.ctl/preinst"
check "fastboot postinst reloads systemd's units (when systemd runs)" \
	grep -q 'systemctl --system daemon-reload' "$tmp/tool.ctl/postinst"
check "fastboot postrm purges the units' enablement state" \
	grep -q "deb-systemd-helper purge 'fastboot-arm.service' 'fastboot.service'" "$tmp/tool.ctl/postrm"
check "fastboot-dkms postinst registers fastboot $VER with dkms" \
	sh -c "grep -q '^DKMS_NAME=fastboot\$' '$tmp/dkms.ctl/postinst' &&
		grep -q '^DKMS_VERSION=$VER\$' '$tmp/dkms.ctl/postinst' &&
		grep -q 'common.postinst' '$tmp/dkms.ctl/postinst'"
# shellcheck disable=SC2016 # the $ are the prerm's, literal
check "fastboot-dkms prerm runs dkms remove" \
	grep -q 'dkms remove -m \$DKMS_NAME -v \$DKMS_VERSION --all' "$tmp/dkms.ctl/prerm"

# --- install, remove, purge on this machine ---------------------------------
why=""
if [ "$(id -u)" -ne 0 ]; then
	why="needs root"
elif ! command -v apt-get >/dev/null 2>&1 || ! command -v dkms >/dev/null 2>&1; then
	why="needs apt-get and dkms"
elif [ ! -d "/lib/modules/$KVER/build" ] && [ ! -d "/usr/src/linux-headers-$KVER" ]; then
	why="no headers for $KVER"
fi
if [ -n "$why" ]; then
	skip "install, remove and purge the packages" "$why"
	finish
fi

# A previous installation of the packages is purged first.
purge_packages >"$tmp/log" 2>&1
if installed fastboot || installed fastboot-dkms; then
	not_ok "a previous installation is purged" "$tmp/log"
	finish
fi
# Anything else that registered fastboot/VER (make install-dkms, a
# dkms-check.sh run that is still going) is not ours to remove.
if [ -e "$src" ] || dkms status -m fastboot -v "$VER" 2>/dev/null | grep -q .; then
	not_ok "no fastboot/$VER registered with dkms outside the packages"
	echo "#   $src or a dkms registration exists; remove it first: dkms remove fastboot/$VER --all; rm -rf $src"
	finish
fi
ok "no previous installation (purged), no other fastboot/$VER registered with dkms"

purge_on_exit=1
ko_dir=/lib/modules/$KVER/updates/dkms
if DEBIAN_FRONTEND=noninteractive apt-get install -y "$tool_deb" "$dkms_deb" >"$tmp/log" 2>&1; then
	ok "apt-get install ./build/deb/fastboot_${DEBVER}_amd64.deb ./build/deb/fastboot-dkms_${DEBVER}_all.deb"
else
	not_ok "apt-get install the two packages" "$tmp/log"
fi
for p in fastboot fastboot-dkms; do
	check "$p is installed (dpkg: ii)" \
		test "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)" = "ii "
done
dkms status -m fastboot -v "$VER" >"$tmp/dkms" 2>&1
sed 's/^/# dkms status: /' "$tmp/dkms"
check "dkms status: fastboot/$VER installed for $KVER" \
	grep -Eq "^fastboot/$VER, $KVER, [^:]+: installed" "$tmp/dkms"
# shellcheck disable=SC2012
ko=$(ls "$ko_dir"/fastboot.ko* 2>/dev/null | head -n 1)
check "DKMS installed fastboot.ko for $KVER (vermagic $KVER)" \
	sh -c "[ -n '$ko' ] && modinfo -F vermagic '$ko' | grep -q '^$KVER '"
check "modinfo -k $KVER fastboot finds the module" \
	sh -c "modinfo -k '$KVER' -F filename fastboot 2>/dev/null | grep -q '^$ko_dir/fastboot.ko'"
for u in fastboot.service fastboot-arm.service; do
	check "/lib/systemd/system/$u installed" test -s "/lib/systemd/system/$u"
done
check "fastboot.service enabled (sysinit.target.wants link)" \
	test "$(readlink /etc/systemd/system/sysinit.target.wants/fastboot.service)" = \
	/lib/systemd/system/fastboot.service
check "fastboot-arm.service enabled (multi-user.target.wants link)" \
	test "$(readlink /etc/systemd/system/multi-user.target.wants/fastboot-arm.service)" = \
	/lib/systemd/system/fastboot-arm.service
if [ -d /run/systemd/system ]; then
	check "fastboot-arm.service was not started by the installation" \
		sh -c "! systemctl is-active --quiet fastboot-arm.service"
fi
v=$(/usr/sbin/fastboot --version 2>&1)
check "/usr/sbin/fastboot --version: $v" sh -c "echo '$v' | grep -qw '$VER'"
check "the tool runs without shared libraries (static)" \
	sh -c "! ldd /usr/sbin/fastboot >/dev/null 2>&1"
check "man fastboot and its completion are installed" \
	test -s /usr/share/man/man8/fastboot.8.gz -a -s /usr/share/bash-completion/completions/fastboot
check "dpkg lists the conffiles" \
	test "$(dpkg-query -W -f='${Conffiles}\n' fastboot | awk 'NF {print $1}' | LC_ALL=C sort | tr '\n' ' ')" = \
	"$CONFFILES"

# The update-initramfs trigger rebuilt the initrd of KVER (the newest
# kernel) after DKMS built the module: it carries fastboot.ko, the tool,
# the region file and the init-top script, and is an image that
# `fastboot update` boots without --force (a dry run: no store here).
initrd=/boot/initrd.img-$KVER
if [ -e "$initrd" ] && [ -e "/boot/vmlinuz-$KVER" ] && command -v lsinitramfs >/dev/null 2>&1; then
	lsinitramfs "$initrd" >"$tmp/initrd.list" 2>&1
	for p in "usr/lib/modules/$KVER/updates/dkms/fastboot.ko" usr/sbin/fastboot \
		conf/fastboot.conf scripts/init-top/fastboot scripts/init-bottom/fastboot \
		scripts/fastboot-functions etc/fastboot/boot; do
		check "the installation's update-initramfs put /$p into $initrd" \
			grep -qx "$p" "$tmp/initrd.list"
	done
	if [ -e /dev/fastboot ]; then
		skip "fastboot update --dry-run on $initrd without a store" "a store is attached here"
	elif /usr/sbin/fastboot update --dry-run --kernel "/boot/vmlinuz-$KVER" --initrd "$initrd" \
		--cmdline "root=/dev/vda memmap=256M\$0x40000000 fastboot.region=256M@0x40000000" \
		>"$tmp/log" 2>&1; then
		ok "fastboot update --dry-run: Debian's $initrd is a valid image (fastboot.ko for $KVER found, no --force)"
	else
		not_ok "fastboot update --dry-run: Debian's $initrd is a valid image (fastboot.ko for $KVER found, no --force)" "$tmp/log"
	fi
	# The kernel hook, as the kernel package's postinst runs it.
	if [ -e /vmlinuz ] && [ "$(readlink -f /vmlinuz)" = "/boot/vmlinuz-$KVER" ]; then
		DEB_MAINT_PARAMS="'configure'" /etc/kernel/postinst.d/zz-fastboot "$KVER" \
			"/boot/vmlinuz-$KVER" >"$tmp/log" 2>&1
		rc=$?
		if [ "$rc" = 0 ] && grep -q "kernel $KVER installed: the default production image /vmlinuz + /initrd.img is valid" "$tmp/log"; then
			ok "/etc/kernel/postinst.d/zz-fastboot $KVER: exit 0, the default image valid"
		else
			not_ok "/etc/kernel/postinst.d/zz-fastboot $KVER: exit 0, the default image valid (exit $rc)" "$tmp/log"
		fi
	else
		skip "/etc/kernel/postinst.d/zz-fastboot on the default image" "/vmlinuz is not /boot/vmlinuz-$KVER"
	fi
else
	skip "the initrd made by the installation" "no $initrd, /boot/vmlinuz-$KVER or lsinitramfs"
fi

# An upgrade (here a reinstallation: the same maintainer scripts run) keeps
# the admin's choice of units and rebuilds the module.
systemctl --no-reload disable fastboot-arm.service >"$tmp/log" 2>&1 ||
	rm -f /etc/systemd/system/multi-user.target.wants/fastboot-arm.service
if DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall "$tool_deb" "$dkms_deb" >"$tmp/log" 2>&1; then
	ok "apt-get install --reinstall (an upgrade's maintainer scripts)"
else
	not_ok "apt-get install --reinstall" "$tmp/log"
fi
check "after reinstall: dkms status: fastboot/$VER installed for $KVER" \
	sh -c "dkms status -m fastboot -v '$VER' | grep -Eq '^fastboot/$VER, $KVER, [^:]+: installed'"
check "after reinstall: fastboot.service still enabled" \
	test -L /etc/systemd/system/sysinit.target.wants/fastboot.service
check "after reinstall: fastboot-arm.service, disabled by the admin, still disabled" \
	test ! -L /etc/systemd/system/multi-user.target.wants/fastboot-arm.service
systemctl --no-reload enable fastboot-arm.service >/dev/null 2>&1 ||
	ln -s /lib/systemd/system/fastboot-arm.service /etc/systemd/system/multi-user.target.wants/

# An admin's change to a conffile, kept by remove.
echo "FASTBOOT_TEST_MARK=deb-check" >>/etc/default/fastboot
if DEBIAN_FRONTEND=noninteractive apt-get remove -y fastboot fastboot-dkms >"$tmp/log" 2>&1; then
	ok "apt-get remove fastboot fastboot-dkms"
else
	not_ok "apt-get remove fastboot fastboot-dkms" "$tmp/log"
fi
check "after remove: fastboot in state rc (config files kept)" \
	test "$(dpkg-query -W -f='${db:Status-Abbrev}' fastboot 2>/dev/null)" = "rc "
check "after remove: the tool, man page, completion and unit files are gone" \
	sh -c "! ls /usr/sbin/fastboot /usr/share/man/man8/fastboot.8.gz \
		/usr/share/bash-completion/completions/fastboot \
		/lib/systemd/system/fastboot.service /lib/systemd/system/fastboot-arm.service 2>/dev/null | grep -q ."
check "after remove: the changed /etc/default/fastboot is kept" \
	grep -q '^FASTBOOT_TEST_MARK=deb-check' /etc/default/fastboot
check "after remove: /etc/modprobe.d/fastboot.conf is kept" test -s /etc/modprobe.d/fastboot.conf
check "after remove: the GRUB fragment and the kernel hooks are kept (conffiles)" \
	test -s /etc/default/grub.d/fastboot.cfg -a -x /etc/kernel/postinst.d/zz-fastboot \
	-a -x /etc/kernel/postrm.d/zz-fastboot
check "after remove: the initramfs-tools hook and script are gone" \
	test ! -e /usr/share/initramfs-tools/hooks/fastboot -a \
	! -e /usr/share/initramfs-tools/scripts/init-top/fastboot -a \
	! -e /usr/share/initramfs-tools/scripts/init-bottom/fastboot -a \
	! -e /usr/share/initramfs-tools/scripts/fastboot-functions
# With the tool gone the kept files do nothing: a kernel installation, an
# update-grub are as without fastboot.
out=$(DEB_MAINT_PARAMS="'configure'" /etc/kernel/postinst.d/zz-fastboot "$KVER" 2>&1)
rc=$?
check "after remove: the kernel hook exits 0 and says nothing" test "$rc" = 0 -a -z "$out"
printf 'FASTBOOT_REGION=256M@0x40000000\n' >>/etc/default/fastboot
out=$(GRUB_CMDLINE_LINUX=quiet sh -ec '. /etc/default/grub.d/fastboot.cfg; echo "$GRUB_CMDLINE_LINUX"' 2>&1)
check "after remove: the GRUB fragment adds nothing, even with FASTBOOT_REGION set" test "$out" = quiet
if [ -e "$initrd" ] && command -v lsinitramfs >/dev/null 2>&1; then
	check "after remove: the trigger's update-initramfs left fastboot out of $initrd" \
		sh -c "! lsinitramfs '$initrd' 2>/dev/null | grep -q -e 'fastboot.ko' -e 'usr/sbin/fastboot'"
fi
# debhelper keeps the enablement links (the admin's enable/disable choice,
# restored by a reinstall) until purge; with the unit files gone they lead
# nowhere, so the units are disabled in effect.
check "after remove: units disabled in effect (no unit file behind an enablement link)" \
	sh -c "! test -e /etc/systemd/system/sysinit.target.wants/fastboot.service &&
		! test -e /etc/systemd/system/multi-user.target.wants/fastboot-arm.service"
check "after remove: dkms knows no fastboot/$VER" \
	sh -c "! dkms status -m fastboot -v '$VER' 2>/dev/null | grep -q ."
check "after remove: no module source in $src, no fastboot.ko for $KVER" \
	sh -c "! test -e '$src' && ! ls '$ko_dir'/fastboot.ko* >/dev/null 2>&1"

if DEBIAN_FRONTEND=noninteractive apt-get purge -y fastboot fastboot-dkms >"$tmp/log" 2>&1; then
	ok "apt-get purge fastboot fastboot-dkms"
else
	not_ok "apt-get purge fastboot fastboot-dkms" "$tmp/log"
fi
check "after purge: dpkg knows neither package" \
	sh -c "! dpkg-query -W -f='\${db:Status-Abbrev}\n' fastboot fastboot-dkms 2>/dev/null | grep -qv '^un'"
check "after purge: every conffile is gone ($CONFFILES)" \
	sh -c "! ls $CONFFILES 2>/dev/null | grep -q ."
check "after purge: /etc/default/grub.d is not left empty by us" \
	sh -c "! test -d /etc/default/grub.d || ls -A /etc/default/grub.d | grep -q ."
check "after purge: no enablement links, no deb-systemd-helper state" \
	sh -c "! test -L /etc/systemd/system/sysinit.target.wants/fastboot.service &&
		! test -L /etc/systemd/system/multi-user.target.wants/fastboot-arm.service &&
		! ls /var/lib/systemd/deb-systemd-helper-enabled/ 2>/dev/null | grep -q fastboot &&
		! find /var/lib/systemd/deb-systemd-helper-enabled -name '*fastboot*' 2>/dev/null | grep -q ."
check "after purge: dkms knows no fastboot (dkms-check.sh can run)" \
	sh -c "! dkms status -m fastboot 2>/dev/null | grep -q . && ! test -e '$src'"
purge_on_exit=0
finish
