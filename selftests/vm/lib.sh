# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh disable=SC2153
#
# Helpers for fastboot VM scenarios (sourced by /init, busybox sh).
#
# Every helper prints KTAP lines on /dev/console (ttyS0), which the host
# harness (selftests/run-vm.sh) parses.  Tests are numbered per stage.
#
# State that must survive a stage change:
#   - files under $FB_STATE (the running rootfs, minus /tmp, /proc, /sys,
#     /dev, is the initramfs of the next stage), or
#   - kernel command line arguments queued with fb_next_arg KEY=VALUE and
#     read back with fb_arg KEY.

FB_STATE=/fbstate
FB_NEXT_ARGS=""
# Extra kexec(8) options for next_stage, e.g. "-i" (skip purgatory checksums).
FB_KEXEC_FLAGS=${FB_KEXEC_FLAGS:-}
FB_KVER=$(cat /boot/kver 2>/dev/null || uname -r)
export FB_KVER
# Extra options for the crash (kdump) kernel, as kdump tools use them.
FB_KDUMP_ARGS=${FB_KDUMP_ARGS:-"nr_cpus=1 irqpoll reset_devices"}
_fb_n=0
_fb_failed=0

# Module tools come from kmod, as on a real host.  busybox sh prefers its
# own applets over $PATH, and busybox insmod retries a refused
# finit_module() with init_module(), running a module's init twice.
insmod() { /sbin/insmod "$@"; }
rmmod() { /sbin/rmmod "$@"; }
modprobe() { /sbin/modprobe "$@"; }
lsmod() { /sbin/lsmod "$@"; }
mkdir -p "$FB_STATE"

fb_out() {
	printf '%s\n' "$*" >/dev/console
}

# Print the tail of FILE as KTAP diagnostic lines.
fb_diag_file() {
	tail -n "${2:-15}" "$1" 2>/dev/null | while IFS= read -r l; do
		fb_out "#   $l"
	done
}

ktap_begin() {
	# newline first: firmware/boot noise may precede us on the same line
	fb_out ""
	fb_out "KTAP version 1"
	fb_out "# stage $FB_STAGE of $FB_TEST"
}

ktap_end() {
	fb_out "1..$_fb_n"
	fb_out "# stage $FB_STAGE of $FB_TEST: $_fb_n tests, $_fb_failed failed"
}

ktap_ok() {
	_fb_n=$((_fb_n + 1))
	fb_out "ok $_fb_n $1"
}

# ktap_fail DESC [REASON]
ktap_fail() {
	_fb_n=$((_fb_n + 1))
	_fb_failed=$((_fb_failed + 1))
	fb_out "not ok $_fb_n $1"
	[ -z "${2:-}" ] || fb_out "# $2"
}

# ktap_skip DESC REASON
ktap_skip() {
	_fb_n=$((_fb_n + 1))
	fb_out "ok $_fb_n $1 # SKIP ${2:-}"
}

# ktap_check DESC CMD [ARGS...]: ok if CMD exits 0, else not ok plus the
# tail of CMD's output as diagnostics.
ktap_check() {
	_d=$1
	shift
	if "$@" >/tmp/.fb_check.out 2>&1; then
		ktap_ok "$_d"
	else
		_rc=$?
		ktap_fail "$_d" "command failed (exit $_rc): $*"
		fb_diag_file /tmp/.fb_check.out
	fi
	rm -f /tmp/.fb_check.out
}

ktap_bail() {
	fb_out "Bail out! $*"
}

# fb_arg KEY: print the value of KEY=VALUE from /proc/cmdline (status 1 if
# absent; a bare KEY prints nothing, status 0).
fb_arg() {
	set -f
	# shellcheck disable=SC2013
	for _w in $(cat /proc/cmdline); do
		case "$_w" in
		"$1="*) set +f; printf '%s\n' "${_w#*=}"; return 0 ;;
		"$1") set +f; return 0 ;;
		esac
	done
	set +f
	return 1
}

# fb_next_arg KEY=VALUE: pass KEY=VALUE on the next stage's command line
# (replacing KEY=... if the current command line has it).
fb_next_arg() {
	FB_NEXT_ARGS="$FB_NEXT_ARGS $1"
}

# _fb_next_cmdline [kdump]: current cmdline with fbstage=N+1 and the queued
# arguments; for kdump without crashkernel= and with $FB_KDUMP_ARGS.
_fb_next_cmdline() {
	_next=$((FB_STAGE + 1))
	_drop=" fbstage "
	for _a in $FB_NEXT_ARGS; do
		_drop="$_drop${_a%%=*} "
	done
	if [ "${1:-}" = kdump ]; then
		_drop="$_drop crashkernel "
		for _a in $FB_KDUMP_ARGS; do
			_drop="$_drop${_a%%=*} "
		done
	fi
	_cl=""
	set -f
	# shellcheck disable=SC2013
	for _w in $(cat /proc/cmdline); do
		case "$_drop" in
		*" ${_w%%=*} "*) continue ;;
		esac
		_cl="$_cl $_w"
	done
	set +f
	_cl="$_cl fbstage=$_next"
	for _a in $FB_NEXT_ARGS; do
		_cl="$_cl $_a"
	done
	if [ "${1:-}" = kdump ]; then
		_cl="$_cl $FB_KDUMP_ARGS"
	fi
	printf '%s\n' "${_cl# }"
}

# Pack the running rootfs (minus mounts such as /tmp, /proc, /sys, /dev)
# into /tmp/next.cpio.
_fb_pack_rootfs() {
	rm -f /tmp/next.cpio
	(cd / && find . -xdev | grep -v '^\./tmp/' | cpio -o -H newc >/tmp/next.cpio 2>/tmp/.fb_cpio.err)
}

_fb_kexec_failed() {
	ktap_fail "$1" "$2"
	[ -f /tmp/.fb_kexec.out ] && fb_diag_file /tmp/.fb_kexec.out
	ktap_bail "$1 failed, stopping $FB_TEST at stage $FB_STAGE"
	ktap_end
	sync
	poweroff -f
	sleep 5
	exit 1
}

# Report kernel warnings seen so far as KTAP diagnostics (the harness fails
# the scenario on them).
fb_dmesg_report() {
	dmesg | grep -E 'BUG:|WARNING:|Oops|general protection' >/tmp/.fb_dmesg 2>/dev/null
	if [ -s /tmp/.fb_dmesg ]; then
		fb_out "# kernel reported problems in stage $FB_STAGE:"
		fb_diag_file /tmp/.fb_dmesg 30
	fi
	rm -f /tmp/.fb_dmesg
}

# next_stage [file]: kexec into stage N+1 with the current rootfs as its
# initramfs.  Default: kexec_load (kexec -l); "file": kexec_file_load
# (kexec -s).  Does not return on success.
next_stage() {
	_mode=${1:-load}
	case "$_mode" in
	load|classic) _kflags="" ;;
	file) _kflags="-s" ;;
	*) _fb_kexec_failed "next_stage" "unknown mode '$_mode'" ;;
	esac
	_fb_pack_rootfs || _fb_kexec_failed "next_stage: pack rootfs" \
		"$(cat /tmp/.fb_cpio.err 2>/dev/null)"
	_cmdline=$(_fb_next_cmdline)
	# shellcheck disable=SC2086
	if ! kexec $_kflags $FB_KEXEC_FLAGS -l /boot/vmlinuz --initrd=/tmp/next.cpio \
			--command-line="$_cmdline" >/tmp/.fb_kexec.out 2>&1; then
		_fb_kexec_failed "next_stage: kexec $_kflags -l" "kexec load failed"
	fi
	fb_dmesg_report
	ktap_end
	fb_out "# next_stage ($_mode): kexec into stage $((FB_STAGE + 1))"
	fb_out "# cmdline: $_cmdline"
	sync
	kexec -e >/tmp/.fb_kexec.out 2>&1
	_fb_kexec_failed "next_stage: kexec -e" "kexec -e returned"
}

# panic_to_next_stage [file]: load the next stage as crash kernel
# (kexec -p, or kexec -s -p with "file") and panic via sysrq.  The next
# stage runs in the kdump kernel.  Does not return on success.
panic_to_next_stage() {
	_mode=${1:-load}
	case "$_mode" in
	load|classic) _kflags="" ;;
	file) _kflags="-s" ;;
	*) _fb_kexec_failed "panic_to_next_stage" "unknown mode '$_mode'" ;;
	esac
	_fb_pack_rootfs || _fb_kexec_failed "panic_to_next_stage: pack rootfs" \
		"$(cat /tmp/.fb_cpio.err 2>/dev/null)"
	_cmdline=$(_fb_next_cmdline kdump)
	# shellcheck disable=SC2086
	if ! kexec $_kflags -p /boot/vmlinuz --initrd=/tmp/next.cpio \
			--command-line="$_cmdline" >/tmp/.fb_kexec.out 2>&1; then
		_fb_kexec_failed "panic_to_next_stage: kexec $_kflags -p" "kexec load of crash kernel failed"
	fi
	if [ "$(cat /sys/kernel/kexec_crash_loaded 2>/dev/null)" != 1 ]; then
		_fb_kexec_failed "panic_to_next_stage" "kexec_crash_loaded is not 1"
	fi
	# The rootfs copy now lives in the crash kernel segments; free RAM.
	rm -f /tmp/next.cpio
	fb_panic "# panic_to_next_stage ($_mode): crash into stage $((FB_STAGE + 1))" \
		"# cmdline: $_cmdline"
}

# fb_panic LINE...: end the stage, print each LINE on the console and
# panic (sysrq c) into the crash kernel already loaded (by
# panic_to_next_stage, fastboot arm or kexec -p).  Does not return on
# success.
fb_panic() {
	fb_dmesg_report
	ktap_end
	sync
	for _l in "$@"; do
		fb_out "$_l"
	done
	echo c >/proc/sysrq-trigger
	sleep 10
	_fb_kexec_failed "panic" "sysrq-trigger c returned"
}

# dmesg_clean: fail (status 1, printing the lines) if the kernel log has
# BUG, WARNING, Oops or general protection fault messages.
dmesg_clean() {
	! dmesg | grep -E 'BUG|WARNING|Oops|general protection'
}

# fb_iomem_has START-END NAME: /proc/iomem has a top-level range START-END
# whose name contains NAME (e.g. fb_iomem_has 40000000-4fffffff Reserved).
fb_iomem_has() {
	grep -E "^ *0*$1 : .*$2" /proc/iomem
}
