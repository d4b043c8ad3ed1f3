#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install the host packages needed to build fastboot and run the VM test bed
# on Debian 12, to build and test the Debian packages (make deb), and to
# check and run the Ansible collection (make check, make check-fleet).  The
# build dependencies of `make && make install` alone are listed in the
# README's Installing section.  Idempotent: returns immediately when everything is present.
#
# Usage: scripts/deps.sh
set -eu

KVER=${KVER:-6.1.0-56-amd64}

# Extend this list as needed.
PACKAGES="
	qemu-system-x86
	kexec-tools
	linux-image-$KVER
	linux-headers-$KVER
	busybox-static
	cpio
	libelf-dev
	zlib1g-dev
	libzstd-dev
	liblzma-dev
	gcc
	libc6-dev
	make
	kmod
	gzip
	dkms
	e2fsprogs
	xz-utils
	gnuplot-nox
	perl
	debootstrap
	clang
	libclang-rt-14-dev
	python3
	debhelper
	dh-dkms
	dpkg-dev
	fakeroot
	lintian
	git
	erofs-utils
	squashfs-tools
	cryptsetup-bin
	ansible-core
	ansible-lint
	openssh-client
"

missing=""
for p in $PACKAGES; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	"install ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "deps: all packages installed"
	exit 0
fi

echo "deps: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
$SUDO apt-get update
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y --no-install-recommends $missing
