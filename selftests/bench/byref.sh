# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# make bench, section 1b (update by reference).  The disk (/dev/vda,
# throttled by the host) is the boot depot built by scripts/bench.sh:
#   vmlinuz, base.cpio.gz (this initramfs, which declares `fastboot boot`)
#   m1..m8.cpio        16 MiB of random data each (bench-data/mK.bin)
#   fs.img             an erofs image of random files (fbbench.mib MiB)
#   fs.cpio            the same image as a file in an archive
#                      (bench-fs/fs.img), for the methods through kexec
#   full.cpio          base + m1..m8 + fs.cpio: kexec-tools' initrd
#   byref.manifest     kernel, initrd base, module m1..m8, mount fs
#   kexec.manifest     kernel, initrd base, initrd m1..m8, initrd fs
#   pool/mK.rR.M.cpio  the new version of module K that method M's
#                      repetition R moves in (one 16 MiB module changes
#                      before every fastboot update)
# Methods, in turn, one reboot each (fbbench.methods):
#   byref           fastboot update --image byref.manifest: kernel + base
#                   through kexec, the rest from the store (/init runs
#                   `fastboot boot` and prints BENCH-READY)
#   fastboot-kexec  fastboot update --image kexec.manifest (today's path)
#   kexec           kexec -s -l of kernel + full.cpio
#   floor           kexec -s -l of kernel + base alone; the report adds the
#                   time to read the changed bytes at the depot's rate
# Each is timed from BENCH-T0 (before the load) to BENCH-READY: every
# module in place (by reference: `fastboot boot` returned 0; through
# kexec: the archives unpacked and fs.img loop-mounted at /opt/fs).
# Command line: fbbench fbbench.reps=N fbbench.methods=M1,M2,... fbbench.mib=MIB
. /selftests/bench/lib.sh

NMOD=8

methods() {
	fb_arg fbbench.methods 2>/dev/null | tr , ' ' || true
}

fsize() { stat -c %s "$1"; }

# image_bytes MANIFEST-KIND: bytes of the image the method boots
image_bytes() {
	_t=$(($(fsize $D/vmlinuz) + $(fsize $D/base.cpio.gz)))
	for _k in $(seq 1 $NMOD); do
		_t=$((_t + $(fsize $D/m$_k.cpio)))
	done
	case $1 in
	byref | floor) _t=$((_t + $(fsize $D/fs.img))) ;;
	*) _t=$((_t + $(fsize $D/fs.cpio))) ;;
	esac
	echo $_t
}

base_bytes() { echo $(($(fsize $D/vmlinuz) + $(fsize $D/base.cpio.gz))); }

# change_module METHOD REP: move in the next version of a module (byref
# and fastboot-kexec change different ones, so each reads 16 MiB)
change_module() {
	_o=0
	[ "$1" = fastboot-kexec ] && _o=4
	_k=$((($2 - 1 + _o) % NMOD + 1))
	mv $D/pool/m$_k.r$2.$1.cpio $D/m$_k.cpio || return 1
	echo "$_k r$2.$1" >$D/expect
	CHANGED=$(fsize $D/m$_k.cpio)
}

# next_cmdline: the next stage's, with fbbyref only when NEXT_BYREF=1
# (the previous boot's fastboot.image= goes too: update adds its own) and
# fbbench.m=$NEXT_METHOD, the method that boots it
next_cmdline() {
	_c=$(_fb_next_cmdline | sed 's/ fastboot\.image=[^ ]*//; s/ fbbyref//; s/ fbbench\.m=[^ ]*//')
	[ "${NEXT_BYREF:-0}" = 1 ] && _c="$_c fbbyref"
	echo "$_c fbbench.m=$NEXT_METHOD"
}

# a fastboot update of MANIFEST, loaded, then kexec -e; KEXEC: the bytes
# of the image that go through kexec
fastboot_rep() {	# fastboot_rep METHOD REP MANIFEST CHANGED KEXEC
	_cl=$(next_cmdline)
	_tot=$(image_bytes "$1")
	drop_caches
	_s0=$(vda_read_bytes)
	fb_out "BENCH-T0 byref $1 $2"
	if ! fastboot update --image "$3" --cmdline "$_cl" --no-exec --json \
			>/tmp/u.json 2>/tmp/u.err; then
		_fb_kexec_failed "fastboot update ($1 $2)" "$(tail -n 3 /tmp/u.err)"
	fi
	_s1=$(vda_read_bytes)
	fb_out "BENCH-V byref $1 $2 vda_bytes=$((_s1 - _s0)) bytes_read=$(json_num /tmp/u.json read_bytes) bytes_reused=$(json_num /tmp/u.json reused_bytes) changed_bytes=$4 image_bytes=$_tot kexec_bytes=$5 read_ms=$(json_num /tmp/u.json read_ms) store_ms=$(json_num /tmp/u.json store_ms) copy_ms=$(json_num /tmp/u.json copy_verify_ms) load_ms=$(json_num /tmp/u.json load_ms)"
	cp /tmp/u.err $D/last-update.err
	kexec -e
	_fb_kexec_failed "kexec -e" "returned"
}

kexec_rep() {	# kexec_rep METHOD REP INITRD
	_cl=$(next_cmdline)
	_tot=$(image_bytes "$1")
	drop_caches
	_s0=$(vda_read_bytes)
	fb_out "BENCH-T0 byref $1 $2"
	if ! kexec -s -l $D/vmlinuz --initrd="$3" --command-line="$_cl" \
			>/tmp/.fb_kexec.out 2>&1; then
		_fb_kexec_failed "kexec -s -l ($1 $2)" "kexec load failed"
	fi
	_s1=$(vda_read_bytes)
	fb_out "BENCH-V byref $1 $2 vda_bytes=$((_s1 - _s0)) image_bytes=$_tot kexec_bytes=$(fsize "$3") changed_bytes=$(cat $D/floor-changed 2>/dev/null || echo 0)"
	kexec -e
	_fb_kexec_failed "kexec -e" "returned"
}

# ready: print BENCH-READY when every module of the image that booted is
# in place (by reference, /init printed it when `fastboot boot` returned
# 0; through kexec the erofs image is loop-mounted first)
ready() {
	case $(fb_arg fbbench.m) in
	byref) ;;
	floor) echo "BENCH-READY" ;;
	*)
		modprobe loop && modprobe erofs && mkdir -p /opt/fs &&
			mount -t erofs -o ro,loop /bench-fs/fs.img /opt/fs &&
			echo "BENCH-READY"
		;;
	esac
}

# in_place: every module of the image that booted is in place
in_place() {
	case $(fb_arg fbbench.m) in
	floor) return 0 ;;
	byref)
		test "$(cat /run/fbboot.rc 2>/dev/null)" = 0 || {
			cat /run/fbboot.out
			return 1
		}
		;;
	esac
	test "$(ls /bench-data/*.bin | wc -l)" = $NMOD &&
		grep -q "^/dev/[a-z0-9]* /opt/fs erofs ro[, ]" /proc/mounts
}

stage_1() {
	ktap_check "disk mounted" bench_mount
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	echo 0 >$D/seq
	NEXT_METHOD=byref
	NEXT_BYREF=1
	fastboot_rep byref-cold 0 $D/byref.manifest "$(image_bytes byref)" "$(base_bytes)"
}

stage_common() {
	ready
	ktap_check "disk mounted" bench_mount
	ktap_check "module loads" modprobe fastboot
	ktap_check "every module in place ($(fb_arg fbbench.m))" in_place
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
	# shellcheck disable=SC2046
	set -- $(methods)
	[ $# -gt 0 ] || set -- byref fastboot-kexec kexec floor
	_n=$#
	read -r _i <$D/seq
	echo $((_i + 1)) >$D/seq
	if [ "$_i" = 0 ]; then
		# the image through kexec holds fs.cpio, which by reference does not:
		# store it now, so that every repetition reads one changed module
		case ",$(fb_arg fbbench.methods 2>/dev/null)," in
		*,fastboot-kexec,*)
			ktap_check "store the image through kexec (fs.cpio)" \
				fastboot update --image $D/kexec.manifest --cmdline "$(next_cmdline)" --no-exec
			;;
		esac
	fi
	[ "$_i" -lt $((_n * $(bench_reps))) ] || return 0
	_rep=$((_i / _n + 1))
	shift $((_i % _n))
	_m=$1
	NEXT_METHOD=$_m
	fb_dmesg_report
	ktap_end
	case $_m in
	byref)
		change_module byref $_rep || _fb_kexec_failed "new module" "mv failed"
		echo "$CHANGED" >$D/floor-changed
		NEXT_BYREF=1
		fastboot_rep byref $_rep $D/byref.manifest "$CHANGED" "$(base_bytes)"
		;;
	fastboot-kexec)
		change_module fastboot-kexec $_rep || _fb_kexec_failed "new module" "mv failed"
		fastboot_rep fastboot-kexec $_rep $D/kexec.manifest "$CHANGED" \
			"$(image_bytes fastboot-kexec)"
		;;
	kexec) kexec_rep kexec $_rep $D/full.cpio ;;
	floor) kexec_rep floor $_rep $D/base.cpio.gz ;;
	esac
}

for _s in $(seq 2 82); do
	eval "stage_$_s() { stage_common; }"
done
