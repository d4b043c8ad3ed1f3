#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make a `make check-fleet` host of the Debian 12 host bed: run by
# scripts/mkhost.sh (FB_HOST_CUSTOMIZE) with the host's root directory.
#   - sshd on, with the host key and the root's authorized key that
#     selftests/fleet/run.sh made for this run (FLEET_DIR/host_key,
#     FLEET_DIR/id_ed25519.pub); key logins only
#   - systemd-networkd with DHCP on the VM's user-mode network card
#   - the production boot image: /etc/fastboot/production.manifest
#     (kernel /vmlinuz, initrd base /initrd.img, initrd site
#     /srv/fastboot/site.cpio.gz), FASTBOOT_IMAGE in /etc/default/fastboot,
#     and the site module of release 1 (FLEET_DIR/site-1.cpio.gz)
# Env: FLEET_DIR (required)
set -euo pipefail

ROOT=$1
D=${FLEET_DIR:?FLEET_DIR is not set}

install -m 600 "$D/host_key" "$ROOT/etc/ssh/ssh_host_ed25519_key"
install -m 644 "$D/host_key.pub" "$ROOT/etc/ssh/ssh_host_ed25519_key.pub"
cat >"$ROOT/etc/ssh/sshd_config.d/fleet.conf" <<'CONF'
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
CONF
install -d -m 700 "$ROOT/root/.ssh"
install -m 600 "$D/id_ed25519.pub" "$ROOT/root/.ssh/authorized_keys"

cat >"$ROOT/etc/systemd/network/50-fleet.network" <<'CONF'
[Match]
Type=ether

[Network]
DHCP=ipv4
CONF
chroot "$ROOT" systemctl enable ssh.service systemd-networkd.service

install -d "$ROOT/etc/fastboot" "$ROOT/srv/fastboot"
cat >"$ROOT/etc/fastboot/production.manifest" <<'CONF'
# The production boot image: Debian's kernel and initrd, and the site's
# initramfs configuration (conf/conf.d/fleet-site), one module each.
name production
kernel /vmlinuz
initrd base /initrd.img
initrd site /srv/fastboot/site.cpio.gz
reuse-cmdline
CONF
install -m 644 "$D/site-1.cpio.gz" "$ROOT/srv/fastboot/site.cpio.gz"
sed -i 's|^FASTBOOT_IMAGE=.*|FASTBOOT_IMAGE=/etc/fastboot/production.manifest|' "$ROOT/etc/default/fastboot"
grep -qx 'FASTBOOT_IMAGE=/etc/fastboot/production.manifest' "$ROOT/etc/default/fastboot"
