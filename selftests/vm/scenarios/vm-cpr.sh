# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# The vm scenario (vm.sh: a running L2 VM kept across a host update) with
# Debian 13's QEMU 10 in the test VM: its L2 disk carries QEMU 10 and its
# libraries from the trixie chroot of scripts/kernels.sh.  That QEMU has
# the migration mode cpr-reboot, so fastboot vm save and restore use it
# (x-ignore-shared too); vm.sh checks the mode in both --json outputs.
# fbtest-disk2: env L2_SUITE=trixie scripts/mkl2disk.sh build/l2-trixie.img
# fbtest-timeout: 600
VM_MODE=cpr-reboot
. /selftests/scenarios/vm.sh
