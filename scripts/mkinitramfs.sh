#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the gzip'd newc initramfs used by the VM test bed.
#
# Usage: scripts/mkinitramfs.sh OUT.cpio.gz     (run from the repo root)
#
# Env overrides:
#   KVER      kernel release            (default 6.1.0-56-amd64)
#   KERNEL    kernel image to embed     (default /boot/vmlinuz-$KVER)
#   FB_KO     fastboot module           (default kmod/fastboot.ko)
#   FB_POKE   test helper module        (default selftests/kmod/fastboot_poke.ko)
#   FB_OLD_KO fastboot module of an older revision, at
#             /lib/fastboot-old/fastboot.ko when the file exists and is
#             built for KVER
#             (scripts/mkoldmodule.sh; default build/old-module/fastboot.ko)
#   FB_TOOL   admin tool (static)       (default tools/fastboot/fastboot)
#   FB_TEST_BINS  static test programs for /usr/bin (default build/bin/fb-hostile)
#   BUSYBOX   static busybox            (default /bin/busybox)
#   KEXEC     kexec binary              (default /usr/sbin/kexec)
#   FB_MODROOT  where the kernel's modules are: DIR/lib/modules/$KVER with
#             its modules.dep (default /: the installed linux-image;
#             scripts/kernels.sh leaves build/kernels/KVER/modroot)
#   FB_EXTRA_KVERS  more kernels to embed, for kexec across kernel versions:
#             for each KVER2, build/kernels/KVER2/{vmlinuz,fastboot.ko,
#             fastboot_poke.ko} (scripts/kernels.sh) go to /boot/vmlinuz-KVER2
#             and /lib/modules/KVER2/extra/ (default: none)
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 OUT.cpio.gz" >&2
	exit 2
fi
OUT=$1

KVER=${KVER:-6.1.0-56-amd64}
KERNEL=${KERNEL:-/boot/vmlinuz-$KVER}
FB_KO=${FB_KO:-kmod/fastboot.ko}
FB_POKE=${FB_POKE:-selftests/kmod/fastboot_poke.ko}
FB_OLD_KO=${FB_OLD_KO:-build/old-module/fastboot.ko}
FB_TOOL=${FB_TOOL:-tools/fastboot/fastboot}
BUSYBOX=${BUSYBOX:-/bin/busybox}
KEXEC=${KEXEC:-/usr/sbin/kexec}
KMOD=${KMOD:-/usr/bin/kmod}
DEPMOD=${DEPMOD:-/sbin/depmod}
VMDIR=selftests/vm

warn() { echo "mkinitramfs: warning: $*" >&2; }
die() { echo "mkinitramfs: error: $*" >&2; exit 1; }

[ -f "$VMDIR/init" ] || die "$VMDIR/init not found (run from the repo root)"
[ -x "$BUSYBOX" ] || die "busybox not found at $BUSYBOX (apt install busybox-static)"
[ -x "$KEXEC" ] || die "kexec not found at $KEXEC (apt install kexec-tools)"
[ -x "$KMOD" ] || die "kmod not found at $KMOD (apt install kmod)"
[ -r "$KERNEL" ] || die "kernel image $KERNEL not readable"

ST=$(mktemp -d "${TMPDIR:-/tmp}/fb-initramfs.XXXXXX")
trap 'rm -rf "$ST"' EXIT INT TERM
# mktemp made it 0700: as the VM's / that would keep every other user out
# of everything (tests that run as an unprivileged user need a real /).
chmod 755 "$ST"

mkdir -p "$ST/bin" "$ST/sbin" "$ST/usr/bin" "$ST/usr/sbin" "$ST/lib" \
	"$ST/lib64" "$ST/etc" "$ST/proc" "$ST/sys" "$ST/dev" "$ST/tmp" \
	"$ST/run" "$ST/root" "$ST/boot" "$ST/selftests" \
	"$ST/lib/modules/$KVER/extra"

# busybox + applet links
cp "$BUSYBOX" "$ST/bin/busybox"
for a in $("$BUSYBOX" --list-full); do
	case "$a" in
	bin/busybox) continue ;;
	esac
	mkdir -p "$ST/$(dirname "$a")"
	ln -sf /bin/busybox "$ST/$a"
done

# copy_libs BINARY: its libraries and loader, at the same paths
copy_libs() {
	for lib in $(ldd "$1" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'); do
		mkdir -p "$ST/$(dirname "$lib")"
		cp -L "$lib" "$ST/$lib"
	done
}

# kexec (dynamic)
rm -f "$ST/usr/sbin/kexec" "$ST/sbin/kexec"
cp "$KEXEC" "$ST/usr/sbin/kexec"
copy_libs "$KEXEC"

# kmod's insmod/rmmod/modprobe/lsmod/modinfo, as on a real host: busybox
# insmod retries a refused finit_module with init_module, which runs a
# module's init twice.
cp "$KMOD" "$ST/usr/bin/kmod"
copy_libs "$KMOD"
for a in insmod rmmod modprobe lsmod modinfo depmod; do
	rm -f "$ST/sbin/$a" "$ST/bin/$a" "$ST/usr/sbin/$a" "$ST/usr/bin/$a"
	ln -s /usr/bin/kmod "$ST/sbin/$a"
done

# modules
if [ -f "$FB_KO" ]; then
	cp "$FB_KO" "$ST/lib/modules/$KVER/extra/fastboot.ko"
else
	warn "$FB_KO not found, initramfs has no fastboot module"
fi
if [ -f "$FB_POKE" ]; then
	cp "$FB_POKE" "$ST/lib/modules/$KVER/extra/fastboot_poke.ko"
fi
# Outside the modules tree: insmod by path, never found by modprobe; only
# into an initramfs of the kernel it was built for (store-v1 runs there).
if [ -f "$FB_OLD_KO" ] &&
   [ "$(/sbin/modinfo -F vermagic "$FB_OLD_KO" 2>/dev/null | cut -d' ' -f1)" = "$KVER" ]; then
	mkdir -p "$ST/lib/fastboot-old"
	cp "$FB_OLD_KO" "$ST/lib/fastboot-old/fastboot.ko"
fi
# Kernel modules the scenarios need (a virtio disk with ext4; erofs and
# squashfs for the mount modules of byref-mount; loop for make bench's
# file system image that comes through kexec), with
# their dependencies, from the installed linux-image package or FB_MODROOT.
KMODS=${KMODS:-virtio_pci virtio_blk ext4 erofs squashfs loop}
MODROOT=""
if [ -n "${FB_MODROOT:-}" ] && [ "$FB_MODROOT" != / ]; then
	MODROOT=$(cd "$FB_MODROOT" && pwd -P) || die "FB_MODROOT $FB_MODROOT not found"
	[ -f "$MODROOT/lib/modules/$KVER/modules.dep" ] ||
		die "$MODROOT/lib/modules/$KVER/modules.dep not found"
fi
for km in $KMODS; do
	/sbin/modprobe ${MODROOT:+-d "$MODROOT"} -S "$KVER" --show-depends "$km" \
		>"$ST/deps" 2>&1 || die "module $km of $KVER: $(head -n 1 "$ST/deps")"
	awk '$1 == "insmod" { print $2 }' "$ST/deps"
done >"$ST/kos"
rm -f "$ST/deps"
sort -u "$ST/kos" | while read -r ko; do
	rel=${ko#"$MODROOT"/lib/modules/$KVER/}
	mkdir -p "$ST/lib/modules/$KVER/$(dirname "$rel")"
	cp "$ko" "$ST/lib/modules/$KVER/$rel"
done
rm -f "$ST/kos"
# modules.builtin: modprobe of a built-in module (virtio_pci from 6.12 on)
# succeeds instead of "not found"
: >"$ST/lib/modules/$KVER/modules.order"
for f in modules.builtin modules.builtin.modinfo; do
	if [ -f "$MODROOT/lib/modules/$KVER/$f" ]; then
		cp "$MODROOT/lib/modules/$KVER/$f" "$ST/lib/modules/$KVER/$f"
	else
		: >"$ST/lib/modules/$KVER/$f"
	fi
done
"$DEPMOD" -b "$ST" "$KVER" || die "depmod failed"
# extra kernels and their modules (FB_EXTRA_KVERS)
for xk in ${FB_EXTRA_KVERS:-}; do
	xd=build/kernels/$xk
	[ -r "$xd/vmlinuz" ] || die "extra kernel $xd/vmlinuz not found (scripts/kernels.sh)"
	mkdir -p "$ST/lib/modules/$xk/extra"
	cp "$xd/vmlinuz" "$ST/boot/vmlinuz-$xk"
	for m in fastboot fastboot_poke; do
		if [ -f "$xd/$m.ko" ]; then
			cp "$xd/$m.ko" "$ST/lib/modules/$xk/extra/$m.ko"
		fi
	done
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		: >"$ST/lib/modules/$xk/$f"
	done
	"$DEPMOD" -b "$ST" "$xk" || die "depmod $xk failed"
done

# selftest helper programs (static), built by `make vm-bins`
for b in build/vm-bin/*; do
	[ -x "$b" ] || continue
	cp "$b" "$ST/usr/bin/$(basename "$b")"
done

# admin tool
if [ -f "$FB_TOOL" ]; then
	rm -f "$ST/usr/sbin/fastboot"
	cp "$FB_TOOL" "$ST/usr/sbin/fastboot"
	chmod 755 "$ST/usr/sbin/fastboot"
	# This /init runs `fastboot boot` first (with fbbyref): declare it,
	# so that `fastboot update` leaves module lines in the store for an
	# image whose base this is (FB_BOOT_DECLARATION, FB_BOOT_PROTOCOL in
	# tools/fastboot/pipeline.h).
	mkdir -p "$ST/etc/fastboot"
	echo "fastboot-boot-protocol 1" >"$ST/etc/fastboot/boot"
else
	warn "$FB_TOOL not found, initramfs has no fastboot tool"
fi

# static test programs (top-level Makefile: build/bin/), at /usr/bin
FB_TEST_BINS=${FB_TEST_BINS:-build/bin/fb-hostile}
for b in $FB_TEST_BINS; do
	if [ -f "$b" ]; then
		cp "$b" "$ST/usr/bin/$(basename "$b")"
		chmod 755 "$ST/usr/bin/$(basename "$b")"
	else
		warn "$b not found (make fb-hostile), initramfs has no $(basename "$b")"
	fi
done

# kernel for later kexec stages
cp "$KERNEL" "$ST/boot/vmlinuz"
echo "$KVER" >"$ST/boot/kver"

# init + test scripts
cp "$VMDIR/init" "$ST/init"
chmod 755 "$ST/init"
for f in "$VMDIR"/*; do
	case "$f" in
	"$VMDIR/init") ;;
	*) cp -R "$f" "$ST/selftests/" ;;
	esac
done

echo "root:x:0:0:root:/root:/bin/sh" >"$ST/etc/passwd"
echo "root:x:0:" >"$ST/etc/group"
# An initial console node when we can create one (the init script also
# re-opens /dev/console after mounting devtmpfs, so this is optional).
mknod -m 600 "$ST/dev/console" c 5 1 2>/dev/null || true

mkdir -p "$(dirname "$OUT")"
(cd "$ST" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "mkinitramfs: wrote $OUT ($(du -h "$OUT" | cut -f1))"
