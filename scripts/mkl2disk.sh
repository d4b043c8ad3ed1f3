#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the read-only disk that the "vm" scenario runs its L2 guest from.
#
# Usage: scripts/mkl2disk.sh OUT.img     (run from the repo root)
#
# OUT.img is an ext4 image (mkfs.ext4 -d, no root mount needed) holding
#   bin/qemu-system-x86_64, lib/ (its libraries from ldd and the loader),
#   lib/qemu/accel-tcg-x86_64.so (QEMU 7.2 loads TCG as a module, which ldd
#   does not list), share/ (SeaBIOS and the option ROMs for -kernel/PVH),
#   l2/vmlinux (an ELF extracted from the bzImage: QEMU boots it through
#   PVH, about twice as fast as a bzImage under TCG), l2/initrd.cpio (the
#   static ticker as /init, selftests/vm/l2/ticker.c), l2/mbticker (a
#   bare-metal Multiboot ticker, selftests/vm/l2/mbticker.c: make bench's
#   VM blackout guest, which must fit in 64 MiB; the Debian kernel's image
#   alone spans physical 16 to ~74 MiB) and
#   qemu: a wrapper that runs the QEMU through the image's loader, with
#   QEMU_MODULE_DIR and -L pointing into the image, wherever it is mounted:
#       /l2/qemu -accel tcg -nodefaults -vga none -display none ...
# The image is rebuilt only when an input changed (OUT.img.stamp).
#
# Env: QEMU (default /usr/bin/qemu-system-x86_64), L2_KERNEL (default
#      /boot/vmlinuz-$L2_KVER), L2_KVER (default 6.1.0-56-amd64: the L2
#      guest's kernel is the installed Debian 12 one whatever kernel the
#      test VM runs, KVER), CC (default gcc),
#      L2_SUITE (e.g. trixie: the QEMU, its libraries and firmware come
#      from the chroot of scripts/kernels.sh --chroot SUITE, with
#      qemu-system-x86 installed there once: Debian 13's QEMU 10, which
#      has the migration mode cpr-reboot; the rest is as without it)
set -eu

[ $# -eq 1 ] || { echo "usage: $0 OUT.img" >&2; exit 2; }
OUT=$1
L2_KVER=${L2_KVER:-6.1.0-56-amd64}
SYSROOT=""
if [ -n "${L2_SUITE:-}" ]; then
	# shellcheck source=scripts/chroot-lib.sh
	. scripts/chroot-lib.sh
	SYSROOT=$(scripts/kernels.sh --chroot "$L2_SUITE" | tail -n 1)
	[ -d "$SYSROOT" ] || { echo "mkl2disk: error: no $L2_SUITE chroot" >&2; exit 1; }
	if [ ! -x "$SYSROOT/usr/bin/qemu-system-x86_64" ]; then
		echo "mkl2disk: installing qemu-system-x86 in $SYSROOT" >&2
		chroot_mount "$SYSROOT" proc
		in_chroot "$SYSROOT" apt-get update -qq
		in_chroot "$SYSROOT" apt-get install -y -qq qemu-system-x86 >/dev/null
		rm -f "$SYSROOT"/var/cache/apt/archives/*.deb
		chroot_umount_all
	fi
	QEMU=$SYSROOT/usr/bin/qemu-system-x86_64
fi
QEMU=${QEMU:-/usr/bin/qemu-system-x86_64}
L2_KERNEL=${L2_KERNEL:-/boot/vmlinuz-$L2_KVER}
CC=${CC:-gcc}
TICKER_SRC=selftests/vm/l2/ticker.c
MBTICKER_SRC="selftests/vm/l2/mbticker.c selftests/vm/l2/mbticker.ld"
FW_QEMU="kvmvapic.bin linuxboot.bin linuxboot_dma.bin multiboot.bin multiboot_dma.bin pvh.bin"

die() { echo "mkl2disk: error: $*" >&2; exit 1; }

[ -f "$TICKER_SRC" ] || die "$TICKER_SRC not found (run from the repo root)"
[ -x "$QEMU" ] || die "$QEMU not found (apt install qemu-system-x86)"
[ -r "$L2_KERNEL" ] || die "$L2_KERNEL not readable"
command -v mkfs.ext4 >/dev/null || PATH=$PATH:/sbin:/usr/sbin
command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 not found (apt install e2fsprogs)"
# QEMU's module directory: where the package installed accel-tcg-x86_64.so
# (QEMU 7.2; Debian's QEMU 10 has TCG built in).
if [ -z "$SYSROOT" ]; then
	ACCEL=$(dpkg -L qemu-system-x86 qemu-system-modules-opengl 2>/dev/null |
		grep '/accel-tcg-x86_64\.so$' | head -n 1 || true)
	[ -n "$ACCEL" ] || ACCEL=$(find /usr/lib -name accel-tcg-x86_64.so 2>/dev/null | head -n 1)
	[ -n "$ACCEL" ] || die "accel-tcg-x86_64.so not found (dpkg -L qemu-system-x86)"
else
	ACCEL=$(find "$SYSROOT/usr/lib" -name accel-tcg-x86_64.so 2>/dev/null | head -n 1)
fi

# libs_of FILE: the libraries FILE loads (in SYSROOT, ldd runs there)
libs_of() {
	if [ -n "$SYSROOT" ]; then
		chroot "$SYSROOT" ldd "${1#"$SYSROOT"}" |
			awk -v r="$SYSROOT" '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print r $i }'
	else
		ldd "$1" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'
	fi
}

# Inputs: the binaries and their libraries, firmware, kernel, sources.
inputs() {
	{
		echo "$QEMU"; libs_of "$QEMU"
		[ -z "$ACCEL" ] || { echo "$ACCEL"; libs_of "$ACCEL"; }
		echo "$L2_KERNEL" "$TICKER_SRC" $MBTICKER_SRC "$0"
		for f in $FW_QEMU; do
			[ -e "$SYSROOT/usr/share/qemu/$f" ] && echo "$SYSROOT/usr/share/qemu/$f"
		done
		ls -d "$SYSROOT"/usr/share/seabios/*
	} | sort -u | xargs stat -L -c '%n %s %Y'
}
STAMP=$(inputs | sha256sum | cut -d' ' -f1)
if [ -f "$OUT" ] && [ "$(cat "$OUT.stamp" 2>/dev/null)" = "$STAMP" ]; then
	echo "mkl2disk: $OUT is up to date"
	exit 0
fi

ST=$(mktemp -d "${TMPDIR:-/tmp}/fb-l2disk.XXXXXX")
trap 'rm -rf "$ST"; [ -z "$SYSROOT" ] || chroot_umount_all' EXIT INT TERM
mkdir -p "$ST/bin" "$ST/lib/qemu" "$ST/share" "$ST/l2/root/dev" "$ST/l2/root/proc"

cp "$QEMU" "$ST/bin/qemu-system-x86_64"
for l in $(libs_of "$QEMU") ${ACCEL:+$(libs_of "$ACCEL")}; do
	cp -L "$l" "$ST/lib/$(basename "$l")"
done
[ -z "$ACCEL" ] || cp "$ACCEL" "$ST/lib/qemu/"
for f in $FW_QEMU; do
	[ -e "$SYSROOT/usr/share/qemu/$f" ] && cp -L "$SYSROOT/usr/share/qemu/$f" "$ST/share/"
done
cp -L "$SYSROOT"/usr/share/seabios/* "$ST/share/"
[ -f "$ST/lib/ld-linux-x86-64.so.2" ] || die "no ld-linux-x86-64.so.2 among QEMU's libraries"

# L2 kernel: the ELF vmlinux inside the bzImage (xz, gzip or zstd), as the
# kernel's scripts/extract-vmlinux finds it.
extract() {	# extract MAGIC-AS-PRINTF DECOMPRESSOR...
	local magic=$1 off
	shift
	for off in $(LC_ALL=C grep -obUaP "$magic" "$L2_KERNEL" | cut -d: -f1); do
		tail -c "+$((off + 1))" "$L2_KERNEL" | "$@" >"$ST/l2/vmlinux" 2>/dev/null || true
		if [ "$(head -c 4 "$ST/l2/vmlinux" | od -An -c | tr -d ' ')" = 177ELF ]; then
			return 0
		fi
	done
	return 1
}
extract '\xfd7zXZ\x00' xz -dc --single-stream ||
	extract '\x1f\x8b\x08' gzip -dc ||
	extract '\x28\xb5\x2f\xfd' zstd -dc ||
	die "cannot extract an ELF vmlinux from $L2_KERNEL"

# L2 initramfs: the ticker as /init (it mounts devtmpfs for its console).
$CC -O2 -static -Wall -Wextra -o "$ST/l2/root/init" "$TICKER_SRC"
strip "$ST/l2/root/init"
(cd "$ST/l2/root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
	>"$ST/l2/initrd.cpio"
rm -rf "$ST/l2/root"
# The bare-metal ticker: a 32-bit Multiboot ELF (QEMU's -kernel loads it).
$CC -m32 -march=i686 -O2 -Wall -Wextra -ffreestanding -nostdlib -static \
	-fno-pic -fno-pie -no-pie -fno-stack-protector -fno-asynchronous-unwind-tables \
	-Wl,-T,selftests/vm/l2/mbticker.ld -Wl,--build-id=none -Wl,--no-warn-rwx-segments \
	-o "$ST/l2/mbticker" selftests/vm/l2/mbticker.c ||
	die "cannot build the bare-metal ticker (a freestanding gcc -m32 build, no 32-bit libc needed)"

cat >"$ST/qemu" <<'EOS'
#!/bin/sh
# Run the QEMU of this disk, wherever it is mounted.
D=$(cd "$(dirname "$0")" && pwd)
export QEMU_MODULE_DIR="$D/lib/qemu"
exec "$D/lib/ld-linux-x86-64.so.2" --library-path "$D/lib" \
	"$D/bin/qemu-system-x86_64" -L "$D/share" "$@"
EOS
chmod 755 "$ST/qemu"

size_kb=$(du -sk "$ST" | cut -f1)
size_kb=$((size_kb * 5 / 4 + 16384))
mkdir -p "$(dirname "$OUT")"
rm -f "$OUT.tmp"
mkfs.ext4 -q -F -L fbl2 -d "$ST" "$OUT.tmp" "${size_kb}k" >/dev/null
mv "$OUT.tmp" "$OUT"
echo "$STAMP" >"$OUT.stamp"
echo "mkl2disk: wrote $OUT ($((size_kb / 1024)) MiB: QEMU $("$ST/qemu" --version | head -n 1 | awk '{print $4}'), $(du -h "$ST/l2/vmlinux" | cut -f1) vmlinux)"
