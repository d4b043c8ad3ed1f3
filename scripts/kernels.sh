#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build fastboot for the kernels hosts run: Debian 12 (bookworm, 6.1, the
# host's own headers), Debian 13 (trixie, 6.12) and sid.
#
# Usage: scripts/kernels.sh [--print-kver] SUITE...     (run from anywhere)
#        scripts/kernels.sh --chroot SUITE...    only prepare each chroot
#                                                (trixie, sid) and print its path
#
# For each SUITE:
#   bookworm     uses the host's linux-headers-$KVER and /boot/vmlinuz-$KVER
#   trixie, sid  prepares (once, cached) a debootstrap chroot of that suite
#                under build/kernels/chroot-SUITE with the suite's current
#                linux-headers-<kver>-amd64 and its default compiler, and
#                extracts the suite's vmlinuz from linux-image-<kver>-amd64
# then builds kmod/ and selftests/kmod/ from a copy (with -Werror, from
# kmod/Kbuild) and leaves in build/kernels/<kver>/:
#   fastboot.ko  fastboot_poke.ko  vmlinuz  kver  build.log
#   modroot      (trixie, sid) a link to the suite's kernel modules, unpacked
#                once in the chroot with their modules.dep: the test VM's
#                initramfs takes virtio, ext4, erofs... from there
#                (scripts/mkinitramfs.sh, FB_MODROOT); bookworm's are the
#                host's own /lib/modules
# The in-tree build outputs are not touched.  Prints "kernels: SUITE <kver>"
# per suite; with --print-kver only the <kver> lines (for scripts).
#
# The chroot is reused as is once prepared; FB_KERNELS_REFRESH=1 deletes it
# and prepares it again (e.g. to follow sid's newest kernel).
# Env: KVER (bookworm kernel, default 6.1.0-56-amd64),
#      FB_KERNELS_MIRROR (default http://deb.debian.org/debian).
# Needs root (debootstrap, chroot) for trixie/sid; installs debootstrap
# from Debian if it is missing.  The host's /etc/apt is never changed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUTDIR=$ROOT/build/kernels
MIRROR=${FB_KERNELS_MIRROR:-http://deb.debian.org/debian}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
HOST_KVER=${KVER:-6.1.0-56-amd64}
PRINT_KVER=0

log() { echo "kernels: $*" >&2; }
die() { echo "kernels: error: $*" >&2; exit 1; }

# shellcheck source=scripts/chroot-lib.sh
. "$ROOT/scripts/chroot-lib.sh"

need_debootstrap() {
	command -v debootstrap >/dev/null && return 0
	log "installing debootstrap"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >/dev/null
}

# unpack_debs DIR WHY PKG...: each PKG the chroot's apt knows, downloaded
# into $CHROOT/tmp/DIR and unpacked (not installed) into $CHROOT/tmp/DIR/x
unpack_debs() {
	local dir=$1 why=$2 pkg
	shift 2
	rm -rf "$CHROOT/tmp/$dir"
	mkdir -p "$CHROOT/tmp/$dir/x"
	for pkg in "$@"; do
		in_chroot "$CHROOT" apt-cache show "$pkg" >/dev/null 2>&1 || continue
		log "fetching $pkg for $why"
		in_chroot "$CHROOT" sh -c "cd /tmp/$dir && apt-get download -qq $pkg" ||
			die "apt-get download $pkg failed"
		dpkg-deb -x "$CHROOT/tmp/$dir/${pkg}"_*.deb "$CHROOT/tmp/$dir/x"
	done
}

# prepare_chroot SUITE: build/kernels/chroot-SUITE with the suite's kernel
# headers; sets CHROOT and CKVER.
prepare_chroot() {
	local suite=$1 t0 t1 hdr img pkg f vmlinuz
	CHROOT=$OUTDIR/chroot-$suite
	if [ "${FB_KERNELS_REFRESH:-0}" = 1 ] && [ -d "$CHROOT" ]; then
		log "$suite: FB_KERNELS_REFRESH=1, deleting $CHROOT"
		CHROOT_MOUNTS+=("$CHROOT/proc")
		chroot_umount_all
		rm -rf --one-file-system "$CHROOT"
	fi
	if [ -f "$CHROOT/.fb-ready" ]; then
		CKVER=$(cat "$CHROOT/.fb-ready")
		log "$suite: cached chroot, kernel $CKVER"
		return 0
	fi
	[ "$(id -u)" = 0 ] || die "$suite: preparing a chroot needs root"
	[ -r "$KEYRING" ] || die "$KEYRING missing (apt-get install debian-archive-keyring)"
	need_debootstrap
	t0=$(date +%s)
	mkdir -p "$OUTDIR"
	if [ ! -f "$CHROOT/.fb-debootstrapped" ]; then
		CHROOT_MOUNTS+=("$CHROOT/proc")
		chroot_umount_all
		rm -rf --one-file-system "$CHROOT"
		log "$suite: debootstrap into $CHROOT (a few minutes)"
		nice debootstrap --variant=minbase --keyring="$KEYRING" \
			"$suite" "$CHROOT" "$MIRROR" \
			>"$OUTDIR/debootstrap-$suite.log" 2>&1 ||
			die "$suite: debootstrap failed, see $OUTDIR/debootstrap-$suite.log"
		: >"$CHROOT/.fb-debootstrapped"
	fi
	# The chroot's own apt configuration (debootstrap wrote its sources):
	# lean installs, and the host's Valid-Until policy (a mirror snapshot
	# older than its Release files' Valid-Until is otherwise refused).
	{
		echo 'APT::Install-Recommends "false";'
		echo 'APT::Install-Suggests "false";'
		echo 'APT::Sandbox::User "root";'
		if apt-config dump 2>/dev/null | grep -i '^Acquire::Check-Valid-Until "false"' >/dev/null; then
			echo 'Acquire::Check-Valid-Until "false";'
		fi
	} >"$CHROOT/etc/apt/apt.conf.d/90fastboot"
	chroot_mount "$CHROOT" proc
	in_chroot "$CHROOT" apt-get update -qq
	hdr=$(in_chroot "$CHROOT" apt-cache depends linux-headers-amd64 |
		awk '$1 == "Depends:" && $2 ~ /^linux-headers-.*-amd64$/ { print $2; exit }')
	[ -n "$hdr" ] || die "$suite: cannot resolve linux-headers-amd64"
	CKVER=${hdr#linux-headers-}
	img=linux-image-$CKVER
	log "$suite: kernel $CKVER: installing $hdr and its compiler"
	in_chroot "$CHROOT" apt-get install -y -qq "$hdr" make libc6-dev \
		>>"$OUTDIR/debootstrap-$suite.log" 2>&1 ||
		die "$suite: installing $hdr failed, see $OUTDIR/debootstrap-$suite.log"
	# The image: only its vmlinuz is needed, so unpack rather than install.
	# sid splits linux-image-<kver> into linux-binary-<kver> (the vmlinuz,
	# as usr/lib/modules/<kver>/vmlinuz) and linux-modules-<kver>.
	unpack_debs img "its vmlinuz" "$img" "linux-binary-$CKVER"
	vmlinuz=""
	for f in boot/vmlinuz-$CKVER usr/lib/modules/$CKVER/vmlinuz lib/modules/$CKVER/vmlinuz; do
		if [ -f "$CHROOT/tmp/img/x/$f" ]; then
			vmlinuz=$CHROOT/tmp/img/x/$f
			break
		fi
	done
	[ -n "$vmlinuz" ] ||
		die "$suite: no vmlinuz for $CKVER in $img or linux-binary-$CKVER"
	mkdir -p "$CHROOT/boot-fb"
	cp "$vmlinuz" "$CHROOT/boot-fb/vmlinuz-$CKVER"
	rm -rf "$CHROOT/tmp/img" "$CHROOT"/var/cache/apt/archives/*.deb
	echo "$CKVER" >"$CHROOT/.fb-ready"
	t1=$(date +%s)
	log "$suite: chroot ready in $((t1 - t0))s"
}

# fetch_modules: the suite's kernel modules under $CHROOT/boot-fb/modroot
# (lib/modules/$CKVER with modules.dep), from linux-image-$CKVER or, in
# sid, linux-modules-$CKVER and linux-base-$CKVER (modules.builtin,
# without which a built-in module counts as missing): unpacked, not
# installed (no initramfs is made in the chroot).  Once per kernel; a cached chroot gets them on its next
# use.
fetch_modules() {
	local root=$CHROOT/boot-fb/modroot pkg d found=""
	if [ "$(cat "$root/.fb-ready" 2>/dev/null)" = "$CKVER" ] &&
	   [ -f "$root/lib/modules/$CKVER/modules.builtin" ]; then
		return 0
	fi
	[ "$(id -u)" = 0 ] || die "fetching the $CKVER modules needs root"
	rm -rf "$root"
	mkdir -p "$root/lib/modules"
	chroot_mount "$CHROOT" proc
	unpack_debs mod "its modules" "linux-image-$CKVER" "linux-modules-$CKVER" \
		"linux-base-$CKVER"
	for d in lib/modules/$CKVER usr/lib/modules/$CKVER; do
		if [ -d "$CHROOT/tmp/mod/x/$d/kernel" ]; then
			mv "$CHROOT/tmp/mod/x/$d" "$root/lib/modules/$CKVER"
			found=1
			break
		fi
	done
	rm -rf "$CHROOT/tmp/mod"
	[ -n "$found" ] && [ -f "$root/lib/modules/$CKVER/modules.builtin" ] ||
		die "no modules of $CKVER (with modules.builtin) in linux-image-$CKVER, linux-modules-$CKVER or linux-base-$CKVER"
	rm -f "$root/lib/modules/$CKVER/vmlinuz"
	/sbin/depmod -b "$root" "$CKVER" || die "depmod of the $CKVER modules failed"
	echo "$CKVER" >"$root/.fb-ready"
	log "modules of $CKVER in ${root#"$ROOT"/} ($(du -sh "$root" | cut -f1))"
}

# copy_src DEST: fresh copies of kmod/ and selftests/kmod/ (same layout:
# the test module includes ../../kmod), minus build outputs.
copy_src() {
	local dest=$1
	rm -rf "$dest"
	mkdir -p "$dest"
	cp -a "$ROOT/kmod" "$dest/kmod"
	mkdir -p "$dest/selftests"
	cp -a "$ROOT/selftests/kmod" "$dest/selftests/kmod"
	find "$dest" \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name '*.cmd' -o -name modules.order \
		-o -name Module.symvers -o -name '*.d' -o -name '.*.d' \) -delete
}

# build_suite SUITE
build_suite() {
	local suite=$1 kver kdir src out t0 t1 rc=0 gcc
	t0=$(date +%s)
	case "$suite" in
	bookworm|host)
		kver=$HOST_KVER
		kdir=/usr/src/linux-headers-$kver
		[ -d "$kdir" ] || die "bookworm: $kdir missing (run scripts/deps.sh)"
		out=$OUTDIR/$kver
		mkdir -p "$out"
		src=$OUTDIR/src-$kver
		copy_src "$src"
		{
			echo "# $(gcc --version | head -1)"
			nice make -C "$kdir" M="$src/kmod" modules &&
				nice make -C "$kdir" M="$src/selftests/kmod" modules
		} >"$out/build.log" 2>&1 || rc=$?
		cp "/boot/vmlinuz-$kver" "$out/vmlinuz"
		;;
	*)
		prepare_chroot "$suite"
		kver=$CKVER
		kdir=/usr/src/linux-headers-$kver
		out=$OUTDIR/$kver
		mkdir -p "$out"
		copy_src "$CHROOT/fb"
		chroot_mount "$CHROOT" proc
		gcc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' \
			"$CHROOT/$kdir/include/config/auto.conf" 2>/dev/null || true)
		{
			echo "# headers built with: ${gcc:-?}"
			echo "# chroot compiler:    $(in_chroot "$CHROOT" sh -c \
				"\$(sed -n 's/^CONFIG_CC_VERSION_TEXT=\"\{0,1\}\([^ ]*\).*/\1/p' \
				$kdir/include/config/auto.conf) --version | head -1" 2>&1)"
			in_chroot "$CHROOT" sh -c "nice make -C $kdir M=/fb/kmod modules &&
				nice make -C $kdir M=/fb/selftests/kmod modules"
		} >"$out/build.log" 2>&1 || rc=$?
		if [ "$rc" = 0 ]; then
			cp "$CHROOT/fb/kmod/fastboot.ko" "$CHROOT/fb/selftests/kmod/fastboot_poke.ko" "$out/"
		fi
		cp "$CHROOT/boot-fb/vmlinuz-$kver" "$out/vmlinuz"
		fetch_modules
		ln -sfn "../chroot-$suite/boot-fb/modroot" "$out/modroot"
		src=""
		;;
	esac
	if [ "$rc" = 0 ] && [ -n "$src" ]; then
		cp "$src/kmod/fastboot.ko" "$src/selftests/kmod/fastboot_poke.ko" "$out/"
	fi
	echo "$kver" >"$out/kver"
	t1=$(date +%s)
	if [ "$rc" != 0 ]; then
		grep -E 'error|warning' "$out/build.log" | head -40 >&2 || true
		die "$suite: build against $kver failed ($((t1 - t0))s), see $out/build.log"
	fi
	log "$suite: built against $kver in $((t1 - t0))s -> ${out#"$ROOT"/}"
	if [ "$PRINT_KVER" = 1 ]; then
		echo "$kver"
	else
		echo "kernels: $suite $kver"
	fi
}

SUITES=()
CHROOT_ONLY=0
while [ $# -gt 0 ]; do
	case "$1" in
	--print-kver) PRINT_KVER=1; shift ;;
	--chroot) CHROOT_ONLY=1; shift ;;
	-h|--help) sed -n '4,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option '$1'" ;;
	*) SUITES+=("$1"); shift ;;
	esac
done
[ ${#SUITES[@]} -gt 0 ] || SUITES=(bookworm trixie sid)

for s in "${SUITES[@]}"; do
	if [ "$CHROOT_ONLY" = 1 ]; then
		prepare_chroot "$s"
		echo "$CHROOT"
		continue
	fi
	build_suite "$s"
	chroot_umount_all
done
