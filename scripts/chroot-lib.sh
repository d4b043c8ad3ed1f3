# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Chroot helpers shared by scripts/kernels.sh, scripts/mkhost.sh and
# selftests/host/recipe.sh (sourced; bash).
#
#   chroot_mount DIR FS...   mount FS (proc, sys, dev) in DIR, once each;
#                            call it in the script's own shell, never in a
#                            $(...) subshell, so that chroot_umount_all
#                            knows about the mounts
#   chroot_umount_all        undo them, newest first (also on exit: the
#                            library sets an EXIT/INT/TERM trap)
#   in_chroot DIR CMD...     run CMD in DIR with a clean environment
#                            (noninteractive debconf, C.UTF-8)

CHROOT_MOUNTS=()

chroot_umount_all() {
	local i
	for ((i = ${#CHROOT_MOUNTS[@]} - 1; i >= 0; i--)); do
		while mountpoint -q "${CHROOT_MOUNTS[$i]}"; do
			umount "${CHROOT_MOUNTS[$i]}" 2>/dev/null ||
				umount -l "${CHROOT_MOUNTS[$i]}" || break
		done
	done
	CHROOT_MOUNTS=()
}
trap chroot_umount_all EXIT INT TERM

chroot_mount() {
	local dir=$1 fs
	shift
	for fs in "$@"; do
		CHROOT_MOUNTS+=("$dir/$fs")
		mountpoint -q "$dir/$fs" && continue
		case "$fs" in
		proc) mount -t proc proc "$dir/proc" ;;
		sys) mount -t sysfs sysfs "$dir/sys" ;;
		dev) mount --bind /dev "$dir/dev" ;;
		*) echo "chroot_mount: unknown file system '$fs'" >&2; return 1 ;;
		esac
	done
}

in_chroot() {
	local dir=$1
	shift
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive chroot "$dir" "$@"
}
