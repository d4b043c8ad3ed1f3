#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The recipe of the Debian 12 host that `make check-host` boots: a
# debootstrapped bookworm root with systemd as init, udev, initramfs-tools,
# Debian's linux-image-$KVER and its headers, DKMS and its compiler,
# kexec-tools, GRUB's configuration tools, and sshd and Python for
# `make check-fleet`'s Ansible (off here: selftests/fleet/customize.sh
# turns them on, with host keys of its own, in the fleet's hosts).  scripts/mkhost.sh runs it
# once into its cache and rebuilds only when this file (or KVER) changes:
# keep everything that changes the base system here, and nothing that
# depends on the tree under test (the fastboot packages are installed on a
# copy of this root by scripts/mkhost.sh, for every run).
#
# Usage: selftests/host/recipe.sh DIR     (root; DIR must not exist)
# Env:   KVER (default 6.1.0-56-amd64), FB_HOST_MIRROR (default
#        http://deb.debian.org/debian), FB_HOST_SECURITY (default
#        http://deb.debian.org/debian-security; Debian's kernel updates
#        reach bookworm through the security suite)
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
DIR=$1
KVER=${KVER:-6.1.0-56-amd64}
MIRROR=${FB_HOST_MIRROR:-http://deb.debian.org/debian}
SECURITY=${FB_HOST_SECURITY:-http://deb.debian.org/debian-security}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# What an admin's minimal server has, plus what the test needs (erofs-utils
# and cpio: the modules of the boot by reference stage).
PACKAGES=(
	systemd-sysv udev dbus kmod procps util-linux e2fsprogs
	initramfs-tools busybox zstd
	"linux-image-$KVER" "linux-headers-$KVER"
	dkms make gcc libc6-dev
	kexec-tools
	grub2-common grub-pc-bin
	erofs-utils cpio
	openssh-server python3
)

log() { echo "recipe: $*" >&2; }

[ ! -e "$DIR" ] || { echo "recipe: $DIR exists" >&2; exit 1; }
mkdir -p "$DIR"

# shellcheck source=scripts/chroot-lib.sh
. "$(dirname "$0")/../../scripts/chroot-lib.sh"

log "debootstrap bookworm into $DIR"
debootstrap --variant=minbase --keyring="$KEYRING" bookworm "$DIR" "$MIRROR"

cat >"$DIR/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY bookworm-security main
EOF
{
	echo 'APT::Install-Recommends "false";'
	echo 'APT::Install-Suggests "false";'
	echo 'APT::Sandbox::User "root";'
	if apt-config dump 2>/dev/null | grep -qi '^Acquire::Check-Valid-Until "false"'; then
		echo 'Acquire::Check-Valid-Until "false";'
	fi
} >"$DIR/etc/apt/apt.conf.d/90fastboot-bed"
# No services start inside the chroot while packages are installed.
printf '#!/bin/sh\nexit 101\n' >"$DIR/usr/sbin/policy-rc.d"
chmod 755 "$DIR/usr/sbin/policy-rc.d"

chroot_mount "$DIR" proc sys dev

in_chroot "$DIR" apt-get update -qq
log "installing ${PACKAGES[*]}"
# initramfs-tools first: the initrd holds the drivers of the host's root
# disk only (virtio, ext4; fastboot's hook adds its own module), as
# MODULES=dep would give on the booted host.  Debian's default
# MODULES=most copies every driver, which makes each update-initramfs
# under TCG take over ten minutes.  Configured before the kernel is
# installed, so that its first initrd is made this way too.
in_chroot "$DIR" apt-get install -y -q initramfs-tools
echo 'MODULES=list' >"$DIR/etc/initramfs-tools/conf.d/fbhost"
printf '%s\n' virtio_pci virtio_blk ext4 >>"$DIR/etc/initramfs-tools/modules"
in_chroot "$DIR" apt-get install -y -q "${PACKAGES[@]}"
# The kernel package again, for the test's "kernel upgrade" step (a
# reinstallation runs the same postinst.d hooks as an upgrade), offline.
mkdir -p "$DIR/var/lib/fbhost/debs"
in_chroot "$DIR" sh -c "cd /var/lib/fbhost/debs && apt-get download -q linux-image-$KVER"
in_chroot "$DIR" apt-get clean
# sshd is for the fleet's hosts only (selftests/fleet/customize.sh
# enables it with host keys made for each run): none in the base.
in_chroot "$DIR" systemctl disable ssh.service
rm -f "$DIR"/etc/ssh/ssh_host_*

rm -f "$DIR/usr/sbin/policy-rc.d"
chroot_umount_all

# /etc/default/grub as grub-pc's installation writes it (from the
# template grub2-common ships); no boot loader is installed: the bed boots
# the kernel and initrd of /boot with QEMU's -kernel and -initrd.
cp "$DIR/usr/share/grub/default/grub" "$DIR/etc/default/grub"

# The host's identity and its disk: the VM boots with root=/dev/vda.
echo fbhost >"$DIR/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tfbhost\n' >"$DIR/etc/hosts"
echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' >"$DIR/etc/fstab"
: >"$DIR/etc/machine-id"	# systemd makes one at the first boot
# The journal survives reboots, so each boot can read the previous one's.
mkdir -p "$DIR/var/log/journal"
# No one logs in on the serial console, which carries the test's KTAP;
# no timers that wake a disk-bound TCG VM in the middle of a test.
for u in serial-getty@ttyS0.service getty@tty1.service \
	apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
	e2scrub_reap.service fstrim.timer systemd-tmpfiles-clean.timer; do
	ln -sf /dev/null "$DIR/etc/systemd/system/$u"
done
log "done: $(du -sh "$DIR" | cut -f1)"
