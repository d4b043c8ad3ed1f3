# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# make bench, section 1 (update reboot), methods fastboot and kexec.
# The disk (/dev/vda, throttled by the host with throttling.bps-read) is
# the boot depot, built by scripts/bench.sh: vmlinuz, base.cpio.gz (this
# initramfs), m1..m8.cpio (one 16 MiB random file each), m.manifest (the
# image: kernel, base, m1..m8), full.cpio (base + m1..m8 as one initrd, for
# kexec-tools) and pool/mK.rR.cpio (the new version of module K for
# fastboot's repetition R).
#   stage 1:  fastboot format; first update (cold store, reads everything)
#   stage 2+: repetitions, alternating fastboot update and kexec -s -l of
#             the full image; each is "BENCH-T0, load, kexec -e", timed to
#             the next kernel's BENCH-INIT; bytes read from /sys/block/vda
# Command line: fbbench fbbench.reps=N
. /selftests/bench/lib.sh

NMOD=8

image_bytes() {
	_t=$(($(stat -c %s $D/vmlinuz) + $(stat -c %s $D/base.cpio.gz)))
	for _k in $(seq 1 $NMOD); do
		_t=$((_t + $(stat -c %s $D/m$_k.cpio)))
	done
	echo $_t
}

# fastboot_rep METHOD REP [K]: module K changed (0: none, the cold start)
fastboot_rep() {
	_k=${3:-0}
	_cl=$(_fb_next_cmdline)
	_tot=$(image_bytes)
	_chg=$_tot
	[ "$_k" -gt 0 ] && _chg=$(stat -c %s $D/m$_k.cpio)
	drop_caches
	_s0=$(vda_read_bytes)
	fb_out "BENCH-T0 update $1 $2"
	if ! fastboot update --image $D/m.manifest --cmdline "$_cl" --no-exec --json \
			>/tmp/u.json 2>/tmp/u.err; then
		_fb_kexec_failed "fastboot update ($1 $2)" "$(tail -n 3 /tmp/u.err)"
	fi
	_s1=$(vda_read_bytes)
	fb_out "BENCH-V update $1 $2 vda_bytes=$((_s1 - _s0)) bytes_read=$(json_num /tmp/u.json read_bytes) bytes_reused=$(json_num /tmp/u.json reused_bytes) changed_bytes=$_chg image_bytes=$_tot read_ms=$(json_num /tmp/u.json read_ms) store_ms=$(json_num /tmp/u.json store_ms) copy_ms=$(json_num /tmp/u.json copy_verify_ms) load_ms=$(json_num /tmp/u.json load_ms)"
	cp /tmp/u.err $D/last-update.err
	kexec -e
	_fb_kexec_failed "kexec -e" "returned"
}

kexec_rep() {
	_cl=$(_fb_next_cmdline)
	_tot=$(image_bytes)
	drop_caches
	_s0=$(vda_read_bytes)
	fb_out "BENCH-T0 update kexec $1"
	if ! kexec -s -l $D/vmlinuz --initrd=$D/full.cpio --command-line="$_cl" \
			>/tmp/.fb_kexec.out 2>&1; then
		_fb_kexec_failed "kexec -s -l (rep $1)" "kexec load failed"
	fi
	_s1=$(vda_read_bytes)
	fb_out "BENCH-V update kexec $1 vda_bytes=$((_s1 - _s0)) image_bytes=$_tot full_bytes=$(stat -c %s $D/full.cpio)"
	kexec -e
	_fb_kexec_failed "kexec -e" "returned"
}

stage_1() {
	ktap_check "disk mounted" bench_mount
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	fastboot_rep fastboot-cold 0 0
}

stage_common() {
	ktap_check "disk mounted" bench_mount
	ktap_check "module loads" modprobe fastboot
	# the module that the previous fastboot repetition changed is in place
	if [ -f $D/expect ]; then
		read -r _k _tag <$D/expect
		ktap_check "booted the new m$_k ($_tag)" grep -qx "$_tag" /bench-data/m$_k.tag
		rm -f $D/expect
	fi
	if [ -f $D/last-update.err ]; then
		fb_out "# fastboot update's progress (previous stage):"
		fb_diag_file $D/last-update.err 30
		rm -f $D/last-update.err
	fi
	ktap_check "all $NMOD modules in the rootfs" \
		test "$(ls /bench-data/*.bin | wc -l)" = $NMOD
	_i=$((FB_STAGE - 2))
	_reps=$(bench_reps)
	[ $_i -lt $((2 * _reps)) ] || return 0
	_rep=$((_i / 2 + 1))
	fb_dmesg_report
	ktap_end
	if [ $((_i % 2)) = 0 ]; then
		_k=$(((_rep - 1) % NMOD + 1))
		# a new version of module K: a new file, as a depot would ship it
		mv $D/pool/m$_k.r$_rep.cpio $D/m$_k.cpio || _fb_kexec_failed "new m$_k" "mv failed"
		echo "$_k r$_rep" >$D/expect
		fastboot_rep fastboot $_rep $_k
	else
		kexec_rep $_rep
	fi
}

for _s in $(seq 2 82); do
	eval "stage_$_s() { stage_common; }"
done
