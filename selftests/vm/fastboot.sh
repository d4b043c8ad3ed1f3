# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers for scenarios that use the fastboot module and tool (sourced
# after lib.sh).  The VM reserves 256 MiB at 0x40000000 with memmap=.

FB_ADDR=0x40000000
FB_REGION=256M@$FB_ADDR
FB_MOD=/lib/modules/$FB_KVER/extra/fastboot.ko
FB_POKE=/lib/modules/$FB_KVER/extra/fastboot_poke.ko

fb_load() {
	insmod "$FB_MOD" region="${1:-$FB_REGION}"
}

fb_loaded() {
	grep -q '^fastboot ' /proc/modules
}

# fb_status_has STRING: `fastboot status --json` contains STRING.
fb_status_has() {
	fastboot status --json >/tmp/.fb_status 2>&1
	grep -qF "$1" /tmp/.fb_status || { cat /tmp/.fb_status; return 1; }
}

# fb_json_num KEY: the first numeric value of "KEY": in status --json.
fb_json_num() {
	fastboot status --json | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
}

# fb_poke OFFSET [XOR]: flip bits at region offset OFFSET (test module).
fb_poke() {
	insmod "$FB_POKE" addr=$FB_ADDR offset="$1" xor="${2:-1}" &&
		rmmod fastboot_poke
}

# fb_expect_fails CMD...: CMD exits 1 (failure, not usage) and prints a
# "fastboot: " error on stderr.
fb_expect_fails() {
	"$@" >/tmp/.fb_out 2>&1
	_rc=$?
	cat /tmp/.fb_out
	[ "$_rc" -eq 1 ] && grep -q '^fastboot: ' /tmp/.fb_out
}

# fb_load_refused DESC ERRTEXT DMESG_PATTERN [insmod args...]: the module
# refuses to load with ERRTEXT (e.g. "Invalid argument") and logs exactly
# one "fastboot:" line, matching DMESG_PATTERN.
fb_load_refused() {
	_desc=$1 _err=$2 _pat=$3
	shift 3
	dmesg -c >/dev/null
	if insmod "$FB_MOD" "$@" >/tmp/.fb_ins 2>&1; then
		rmmod fastboot
		ktap_fail "refuses $_desc" "insmod $* succeeded"
		return
	fi
	dmesg | grep 'fastboot: ' >/tmp/.fb_dmesg
	if ! grep -q "$_err" /tmp/.fb_ins; then
		ktap_fail "refuses $_desc" "expected '$_err', got: $(cat /tmp/.fb_ins)"
	elif [ "$(wc -l </tmp/.fb_dmesg)" -ne 1 ] ||
	     ! grep -q "$_pat" /tmp/.fb_dmesg; then
		ktap_fail "refuses $_desc" "expected one dmesg line matching '$_pat'"
		fb_diag_file /tmp/.fb_dmesg
	else
		ktap_ok "refuses $_desc: $(sed 's/^\[[^]]*\] //' /tmp/.fb_dmesg)"
	fi
}

# fb_put_random NAME BYTES: make BYTES of random data, store it as NAME and
# remember its sha256 in $FB_STATE/sums for later stages.
fb_put_random() {
	head -c "$2" /dev/urandom >"/tmp/$1" &&
		fastboot put "$1" "/tmp/$1" &&
		echo "$(sha256sum <"/tmp/$1" | cut -d' ' -f1) $2 $1" >>"$FB_STATE/sums"
}

# fb_verify_all: every object in $FB_STATE/sums reads back with its sha256
# and size, and ls --json lists the same digest.
fb_verify_all() {
	_bad=0
	fastboot ls --json >/tmp/.fb_ls || return 1
	while read -r _sum _size _name; do
		_got=$(fastboot get "$_name" | sha256sum | cut -d' ' -f1)
		if [ "$_got" != "$_sum" ]; then
			echo "$_name: read back $_got, want $_sum"
			_bad=1
		fi
		if ! grep -qF "{\"name\":\"$_name\",\"type\":\"blob\",\"size_bytes\":$_size,\"sha256\":\"$_sum\"}" /tmp/.fb_ls; then
			echo "$_name: not listed as $_size bytes with $_sum"
			_bad=1
		fi
	done <"$FB_STATE/sums"
	[ "$_bad" -eq 0 ]
}

# fb_disk_mount: the scenario's virtio disk (/dev/vda) on /mnt; made ext2
# on first use.
fb_disk_mount() {
	modprobe virtio_pci && modprobe virtio_blk && modprobe ext4 || return 1
	_i=0
	while [ ! -b /dev/vda ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	mkdir -p /mnt
	mount -t ext4 /dev/vda /mnt 2>/dev/null && return 0
	mke2fs -q /dev/vda >/dev/null && mount -t ext4 /dev/vda /mnt
}

# fb_mkcpio DIR OUT: a newc archive of DIR's contents.
fb_mkcpio() {
	(cd "$1" && find . | cpio -o -H newc 2>/dev/null) >"$2"
}

# fb_base_image DIR: the running kernel as DIR/vmlinuz and the running
# root file system (this stage's initramfs) as DIR/base.cpio.gz, the two
# modules of a bootable image.
fb_base_image() {
	cp /boot/vmlinuz "$1/vmlinuz" &&
		_fb_pack_rootfs && gzip -1 -c /tmp/next.cpio >"$1/base.cpio.gz"
	_rc=$?
	rm -f /tmp/next.cpio
	return $_rc
}

# fb_sha FILE: its SHA-256.
fb_sha() {
	sha256sum "$1" | cut -d' ' -f1
}

# fb_obj_of FILE: the store object that holds FILE's content.
fb_obj_of() {
	echo "b:$(fb_sha "$1" | cut -c1-60)"
}

# fb_poke_object NAME OFFSET: flip a byte of a store object's data.
fb_poke_object() {
	insmod "$FB_POKE" addr=$FB_ADDR object="$1" offset="$2" xor=1 &&
		rmmod fastboot_poke
}

# fb_update_to_next_stage ARGS...: `fastboot update ARGS --now` into the
# next stage (its output goes to the console).  Returns only on failure.
fb_update_to_next_stage() {
	fb_dmesg_report
	ktap_end
	fb_out "# fastboot update $* into stage $((FB_STAGE + 1))"
	sync
	fastboot update "$@" --cmdline "$(_fb_next_cmdline)" --now >/dev/console 2>&1
	_fb_kexec_failed "fastboot update" "fastboot update --now returned"
}

# fb_syslogd: busybox syslogd writes the system log to /tmp/messages.
fb_syslogd() {
	syslogd -O /tmp/messages || return 1
	for _i in 1 2 3 4 5 6 7 8 9 10; do
		[ -S /dev/log ] && return 0
		sleep 0.2
	done
	return 1
}

# fb_journal_has PID TEXT: syslogd got "fastboot[PID]: TEXT" (it writes
# /tmp/messages a moment after the command's datagram).
fb_journal_has() {
	for _i in 1 2 3 4 5 6 7 8 9 10; do
		grep -qF "fastboot[$1]: $2" /tmp/messages && return 0
		sleep 0.2
	done
	tail -n 5 /tmp/messages
	return 1
}

# fb_logged TEXT CMD...: CMD succeeds and leaves "fastboot[ITS PID]: TEXT".
fb_logged() {
	_text=$1
	shift
	"$@" &
	_pid=$!
	wait $_pid || return 1
	fb_journal_has $_pid "$_text"
}
