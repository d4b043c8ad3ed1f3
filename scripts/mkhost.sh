#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare the Debian 12 host that `make check-host` boots, with the given
# fastboot packages installed the way an admin installs them.
#
# Usage: scripts/mkhost.sh OUTDIR DEB...      (root)
#
# 1. The base system (selftests/host/recipe.sh: debootstrap bookworm,
#    systemd, initramfs-tools, Debian's kernel, DKMS, kexec-tools) is built
#    once into $FB_HOST_CACHE/host-KEY/root, KEY a hash of the recipe and
#    KVER, and reused until the recipe changes (bases of other recipes
#    are deleted once unused for a day).
# 2. A copy of it gets, in a chroot: `apt-get install ./DEB...` (DKMS builds
#    the module for KVER), FASTBOOT_REGION in /etc/default/fastboot,
#    `update-initramfs -u`, and the test's own unit and script
#    (selftests/host/fbhost.service, stages.sh).
# 3. OUTDIR gets host.img (an ext4 image of that root, mkfs.ext4 -d, for
#    root=/dev/vda), vmlinuz and initrd.img (from its /boot, for QEMU's
#    -kernel and -initrd: no boot loader runs in the bed) and cmdline: the
#    store's fragments as GRUB would pass them, i.e. GRUB_CMDLINE_LINUX
#    from /etc/default/grub and /etc/default/grub.d/*.cfg with GRUB's
#    "\$" unescaped.
#
# Env: KVER (default 6.1.0-56-amd64), FB_HOST_CACHE (default
#      /var/cache/fastboot-bed), FB_HOST_REGION (default 256M@0x40000000),
#      FB_HOST_CRASHKERNEL (default 384M), FB_HOST_DISK_SIZE (default 4G),
#      FB_HOST_CUSTOMIZE (a program run with the root's path after the
#      installation and configuration, before update-initramfs: to try a
#      change without a package, or to make a fleet host:
#      selftests/fleet/), FB_HOST_STAGES=0 (leave out check-host's unit)
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: $0 OUTDIR DEB..." >&2; exit 2; }
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=$1
shift
KVER=${KVER:-6.1.0-56-amd64}
CACHE=${FB_HOST_CACHE:-/var/cache/fastboot-bed}
REGION=${FB_HOST_REGION:-256M@0x40000000}
CRASHKERNEL=${FB_HOST_CRASHKERNEL:-384M}
DISK_SIZE=${FB_HOST_DISK_SIZE:-4G}
RECIPE=$TOP/selftests/host/recipe.sh

log() { echo "mkhost: $*" >&2; }
die() { echo "mkhost: error: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot)"
for d in "$@"; do [ -r "$d" ] || die "cannot read $d"; done
command -v mkfs.ext4 >/dev/null || PATH=$PATH:/sbin:/usr/sbin

ROOT=$OUT/root
# shellcheck source=scripts/chroot-lib.sh
. "$TOP/scripts/chroot-lib.sh"

# 1. The cached base system.
key=$( { cat "$RECIPE"; echo "$KVER"; } | sha256sum | cut -c1-16)
base=$CACHE/host-$key
if [ ! -f "$base/.ready" ]; then
	mkdir -p "$CACHE"
	rm -rf --one-file-system "$base"
	log "building the base system into $base (once per recipe; a few minutes)"
	t0=$(date +%s)
	KVER=$KVER nice "$RECIPE" "$base/root" >"$CACHE/host-$key.log" 2>&1 ||
		die "the recipe failed; see $CACHE/host-$key.log"
	: >"$base/.ready"
	log "base system built in $(($(date +%s) - t0)) s"
else
	log "cached base system $base"
fi
# Every use marks the base; bases of other recipes unused for a day go
# (another checkout may still be using a recent one).
touch "$base/.ready"
for old in "$CACHE"/host-*/; do
	old=${old%/}
	[ "$old" != "$base" ] || continue
	[ -z "$(find "$old/.ready" -mmin -1440 2>/dev/null)" ] || continue
	rm -rf --one-file-system "$old" "$old.log"
done

# 2. A copy, with the packages installed as an admin does.
rm -rf --one-file-system "$OUT"
mkdir -p "$OUT"
cp -a --reflink=auto "$base/root" "$ROOT"
mkdir -p "$ROOT/tmp/debs"
cp "$@" "$ROOT/tmp/debs/"
chroot_mount "$ROOT" proc sys dev
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"
log "apt-get install ./$(cd "$ROOT/tmp/debs" && echo *.deb | sed 's| | ./|g')"
(cd "$ROOT/tmp/debs" && ls ./*.deb) | sed 's|^\./|/tmp/debs/|' >"$OUT/debs.list"
# shellcheck disable=SC2046
in_chroot "$ROOT" apt-get install -y -q $(cat "$OUT/debs.list") >"$OUT/install.log" 2>&1 ||
	{ tail -n 30 "$OUT/install.log" >&2; die "installing the packages failed; see $OUT/install.log"; }
# DKMS builds for the running kernel and the newest installed one; in a
# chroot the running kernel is the build machine's.
in_chroot "$ROOT" dkms status fastboot -k "$KVER" | grep -q installed ||
	{ tail -n 30 "$OUT/install.log" >&2; die "DKMS did not build fastboot for $KVER; see $OUT/install.log"; }
# The admin's configuration step.
sed -i "s|^FASTBOOT_REGION=.*|FASTBOOT_REGION=$REGION|" "$ROOT/etc/default/fastboot"
grep -q "^FASTBOOT_REGION=$REGION\$" "$ROOT/etc/default/fastboot" ||
	die "/etc/default/fastboot has no FASTBOOT_REGION= line"
if grep -q '^FASTBOOT_CRASHKERNEL=' "$ROOT/etc/default/fastboot"; then
	sed -i "s|^FASTBOOT_CRASHKERNEL=.*|FASTBOOT_CRASHKERNEL=$CRASHKERNEL|" "$ROOT/etc/default/fastboot"
fi
if [ -n "${FB_HOST_CUSTOMIZE:-}" ]; then
	log "customizing with $FB_HOST_CUSTOMIZE"
	"$FB_HOST_CUSTOMIZE" "$ROOT" || die "$FB_HOST_CUSTOMIZE failed"
fi
in_chroot "$ROOT" update-initramfs -u -k "$KVER" >>"$OUT/install.log" 2>&1 ||
	die "update-initramfs failed; see $OUT/install.log"
rm -f "$ROOT/usr/sbin/policy-rc.d"
rm -rf "$ROOT/tmp/debs"

# The test: a unit that runs stages.sh at the end of every boot.
if [ "${FB_HOST_STAGES:-1}" != 0 ]; then
	install -D -m 755 "$TOP/selftests/host/stages.sh" "$ROOT/usr/local/sbin/fbhost-stages"
	install -D -m 644 "$TOP/selftests/host/fbhost.service" "$ROOT/etc/systemd/system/fbhost.service"
	ln -sf /etc/systemd/system/fbhost.service "$ROOT/etc/systemd/system/multi-user.target.wants/fbhost.service"
	mkdir -p "$ROOT/var/lib/fbhost"
	echo 1 >"$ROOT/var/lib/fbhost/stage"
fi

# What GRUB would put on the kernel command line.
in_chroot "$ROOT" sh -c 'GRUB_CMDLINE_LINUX=; [ ! -r /etc/default/grub ] || . /etc/default/grub;
	for f in /etc/default/grub.d/*.cfg; do [ ! -r "$f" ] || . "$f"; done
	printf "%s\n" "$GRUB_CMDLINE_LINUX"' >"$OUT/cmdline.grub"
sed 's/\\\$/$/g' "$OUT/cmdline.grub" >"$OUT/cmdline"
cp -L "$ROOT/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
cp -L "$ROOT/boot/initrd.img-$KVER" "$OUT/initrd.img"
chroot_umount_all

# 3. The disk.
log "mkfs.ext4 -d: $(du -sh "$ROOT" | cut -f1) into $OUT/host.img ($DISK_SIZE)"
mkfs.ext4 -q -F -L fbhost -d "$ROOT" "$OUT/host.img" "$DISK_SIZE"
rm -rf --one-file-system "$ROOT"
log "ready: $OUT/host.img; kernel command line: $(cat "$OUT/cmdline")"
