# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Reliability and security of the real module:
#   stage 1: isolation (/dev/mem, an unprivileged user), hostile ioctls
#            (/usr/bin/fb-hostile), 4 processes hammering put/get/rm for
#            fbrel.seconds (default 20), then a consistency check;
#            fbrel.modcycles (default 100) rmmod/modprobe cycles; then kexec
#   stage 2..K+1: fbrel.kexec (default 3; `make check-long`: 20) kexec
#            cycles, each with a put and a get, everything intact;
#            alternating kexec_load and kexec_file_load
# Every stage fails on BUG, WARNING, Oops or general protection in dmesg.
# About 4 minutes with the defaults under TCG; `make check-long` passes
# fbrel.kexec=20 and its own timeout.
# fbtest-timeout: 600
. /selftests/fastboot.sh

REL_KEXEC=$(fb_arg fbrel.kexec || echo 3)
REL_SECONDS=$(fb_arg fbrel.seconds || echo 20)
REL_MODCYCLES=$(fb_arg fbrel.modcycles || echo 100)
REL_WORKERS=4

# rel_consistent: the module is ready, `ls --json` is valid JSON, every
# listed object reads back with its SHA-256 (fastboot get checks it), and
# the object count and used bytes agree with status.
rel_consistent() {
	fb_status_has '"state":"ready"' || return 1
	fastboot ls --json >/tmp/.rel_ls || { echo "ls --json failed"; return 1; }
	fb-hostile json </tmp/.rel_ls || { echo "ls --json is not valid JSON:"; head -c 600 /tmp/.rel_ls; return 1; }
	# one object per line: "name size"
	sed 's/},{/}\n{/g' /tmp/.rel_ls |
		sed -n 's/.*"name":"\([^"]*\)".*"size_bytes":\([0-9]*\).*/\1 \2/p' >/tmp/.rel_objs
	_n=0 _used=0 _bad=0
	while read -r _name _size; do
		_n=$((_n + 1))
		_used=$((_used + (_size + 4095) / 4096 * 4096))
		if ! fastboot get "$_name" /tmp/.rel_get; then
			echo "get $_name failed"
			_bad=1
		elif [ "$(wc -c </tmp/.rel_get)" -ne "$_size" ]; then
			echo "get $_name: $(wc -c </tmp/.rel_get) bytes, listed $_size"
			_bad=1
		fi
	done </tmp/.rel_objs
	rm -f /tmp/.rel_get
	_objs=$(fb_json_num objects)
	_su=$(fb_json_num used_bytes)
	[ "$_n" = "$_objs" ] || { echo "ls lists $_n objects, status says $_objs"; _bad=1; }
	[ "$_used" = "$_su" ] || { echo "ls sizes use $_used bytes, status says $_su"; _bad=1; }
	[ "$_bad" -eq 0 ]
}

# rel_worker ID END: put/get/rm on own names (content checked exactly)
# and on shared names until time END.  Shared objects hold a line with
# the SHA-256 of the rest, so a get that succeeded must return one whole
# version.  A get of a shared name may lose a race with another worker's
# put or rm between the tool's INFO and READ calls ("no such object",
# "shrank", or a digest of the old version): those are counted, not
# failures.
rel_worker() {
	_id=$1 _end=$2 _i=0 _races=0 _err=/tmp/rel.w$1.err _t=/tmp/rel.w$1
	: >"$_err"
	while [ "$(date +%s)" -lt "$_end" ]; do
		_i=$((_i + 1))
		_own=w$_id-$((_i % 3))
		_sh=shared-$((_i % 2))
		_sz=$(( (_i * 7919 + _id * 104729) % 200000 ))
		head -c "$_sz" /dev/urandom >"$_t.in"
		if ! fastboot put "$_own" "$_t.in" 2>>"$_err"; then
			echo "w$_id: put $_own failed" >>"$_err"
		elif ! fastboot get "$_own" "$_t.out" 2>>"$_err" ||
		     ! cmp -s "$_t.in" "$_t.out"; then
			echo "w$_id: $_own did not read back identical" >>"$_err"
		fi
		{ sha256sum <"$_t.in" | cut -d' ' -f1; cat "$_t.in"; } >"$_t.sh"
		fastboot put "$_sh" "$_t.sh" 2>>"$_err" ||
			echo "w$_id: put $_sh failed" >>"$_err"
		if fastboot get "$_sh" "$_t.out" 2>"$_t.gerr"; then
			if [ "$(head -n 1 "$_t.out")" != "$(tail -c +66 "$_t.out" | sha256sum | cut -d' ' -f1)" ]; then
				echo "w$_id: $_sh read back torn" >>"$_err"
			fi
		elif grep -q 'no such object\|shrank\|does not match its SHA-256' "$_t.gerr"; then
			_races=$((_races + 1))
		else
			{ echo "w$_id: get $_sh:"; cat "$_t.gerr"; } >>"$_err"
		fi
		case $((_i % 4)) in
		0) fastboot rm "$_own" 2>>"$_err" ||
			echo "w$_id: rm $_own failed" >>"$_err" ;;
		1) fastboot rm "$_sh" 2>/dev/null ;;
		esac
		fastboot status --json >/dev/null 2>>"$_err" ||
			echo "w$_id: status failed" >>"$_err"
	done
	echo "$_i $_races" >"$_t.iter"
	rm -f "$_t.in" "$_t.out" "$_t.sh" "$_t.gerr"
}

rel_concurrency() {
	_end=$(( $(date +%s) + REL_SECONDS ))
	_w=1
	while [ $_w -le $REL_WORKERS ]; do
		rel_worker $_w $_end &
		_w=$((_w + 1))
	done
	wait
	_it=0 _races=0 _w=1
	while [ $_w -le $REL_WORKERS ]; do
		read -r _a _b </tmp/rel.w$_w.iter 2>/dev/null || { _a=0 _b=0; }
		_it=$((_it + _a)) _races=$((_races + _b))
		_w=$((_w + 1))
	done
	fb_out "# $_races gets of shared names lost a race with a put/rm (tool-level, not counted)"
	# A note that a command waited for another's lock is not an error.
	if cat /tmp/rel.w*.err 2>/dev/null |
	   grep -v '^fastboot: waiting for another fastboot command' | grep -q .; then
		ktap_fail "$REL_WORKERS workers, ${REL_SECONDS}s of put/get/rm ($_it rounds)" \
			"worker errors:"
		cat /tmp/rel.w*.err | grep -v '^fastboot: waiting for another' |
			head -n 20 >/tmp/.rel_err
		fb_diag_file /tmp/.rel_err 20
	else
		ktap_ok "$REL_WORKERS workers, ${REL_SECONDS}s of put/get/rm ($_it rounds), no errors"
	fi
	rm -f /tmp/rel.w*
}

# rel_hostile: run fb-hostile and turn each of its lines into ours.
rel_hostile() {
	if ! command -v fb-hostile >/dev/null; then
		ktap_fail "hostile ioctls" "fb-hostile is not in the initramfs (make fb-hostile)"
		return
	fi
	fb-hostile >/tmp/.rel_hostile 2>&1
	_rc=$?
	while IFS= read -r _l; do
		case "$_l" in
		"ok "*) ktap_ok "ioctl: ${_l#ok [0-9]* }" ;;
		"not ok "*) _d=${_l#not ok }; ktap_fail "ioctl: ${_d#[0-9]* }" ;;
		"Bail out!"*) ktap_fail "hostile ioctls" "$_l" ;;
		"#"*) fb_out "$_l" ;;
		*) fb_out "# $_l" ;;
		esac
	done </tmp/.rel_hostile
	[ $_rc -eq 0 ] || fb_out "# fb-hostile exited $_rc"
	rm -f /tmp/.rel_hostile
}

rel_isolation() {
	ktap_check "/proc/iomem shows the region claimed by fastboot" \
		fb_iomem_has 40000000-4fffffff fastboot
	ktap_check "/dev/mem cannot read the start of the region" \
		sh -c '! dd if=/dev/mem of=/dev/null bs=4096 skip=262144 count=1'
	# shellcheck disable=SC2016
	ktap_check "/dev/mem cannot read the data area" \
		sh -c '! dd if=/dev/mem of=/dev/null bs=4096 skip=$((262144 + 512 + 7)) count=1'
	ktap_check "/dev/fastboot is a root-only device (0600 root:root)" \
		sh -c 'ls -ln /dev/fastboot | grep -q "^crw------- *1 0 *0 "'
	grep -q '^nobody:' /etc/passwd ||
		echo "nobody:x:65534:65534:nobody:/:/bin/sh" >>/etc/passwd
	ktap_check "an unprivileged user cannot open /dev/fastboot" \
		sh -c 'su -s /bin/sh nobody -c "cat /dev/fastboot" 2>&1 | grep -q "Permission denied"'
	ktap_check "an unprivileged user cannot read stored objects with the tool" \
		sh -c '! su -s /bin/sh nobody -c "fastboot get rel-secret" >/dev/null 2>&1'
	ktap_check "an unprivileged user cannot read the region through /dev/mem" \
		sh -c '! su -s /bin/sh nobody -c "dd if=/dev/mem of=/dev/null bs=4096 skip=262144 count=1" 2>/dev/null'
	# Guest memory between owners (the guest scenario checks more).
	ktap_check "tenant A fills a guest region" \
		sh -c 'fastboot guest create rel-a 2M --mode 0600 --owner 1000:1000 &&
		       fbmmap "$(fastboot guest path rel-a)" write 99 && fastboot guest rm rel-a'
	ktap_check "tenant B's new region in the same space is zeroed" \
		sh -c 'fastboot guest create rel-b 2M --owner 1001:1001 &&
		       fbmmap "$(fastboot guest path rel-b)" zero'
	ktap_check "another user cannot open tenant B's region" \
		sh -c '! su -s /bin/sh nobody -c "cat /run/fastboot/guest/rel-b" >/dev/null 2>&1'
	ktap_check "remove tenant B's region" fastboot guest rm rel-b
	ktap_check "a mounted fastbootfs keeps the module loaded" sh -c '! rmmod fastboot 2>/dev/null'
	ktap_check "unmount fastbootfs" umount /run/fastboot/guest
}

rel_modcycles() {
	_gen=$(fb_json_num generation)
	_boot=$(fb_json_num count)
	_i=0 _bad=""
	while [ $_i -lt "$REL_MODCYCLES" ]; do
		_i=$((_i + 1))
		if ! rmmod fastboot; then
			_bad="rmmod failed in cycle $_i"
			break
		fi
		if ! modprobe fastboot; then
			_bad="modprobe failed in cycle $_i"
			break
		fi
		if ! fb_status_has '"state":"ready"' >/dev/null; then
			_bad="not ready after cycle $_i"
			break
		fi
	done
	if [ -z "$_bad" ]; then
		ktap_ok "$REL_MODCYCLES rmmod/modprobe cycles, ready after each"
	else
		ktap_fail "$REL_MODCYCLES rmmod/modprobe cycles" "$_bad"
	fi
	_gen2=$(fb_json_num generation)
	_boot2=$(fb_json_num count)
	if [ "$_gen2" = "$_gen" ] && [ "$_boot2" = "$_boot" ]; then
		ktap_ok "same boot: generation ($_gen) and boot count ($_boot) unchanged"
	else
		ktap_fail "same boot: generation and boot count unchanged" \
			"generation $_gen -> $_gen2, boot count $_boot -> $_boot2"
	fi
	ktap_check "objects intact after the cycles" fb_verify_all
	ktap_check "store consistent after the cycles" rel_consistent
}

stage_1() {
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	rm -f "$FB_STATE/sums"
	ktap_check "put a secret object" fb_put_random rel-secret 5000
	rel_isolation
	ktap_check "no kernel warnings after the isolation checks" dmesg_clean

	rel_hostile
	ktap_check "store consistent after hostile ioctls" rel_consistent
	ktap_check "objects intact after hostile ioctls" fb_verify_all
	ktap_check "no kernel warnings after hostile ioctls" dmesg_clean

	rel_concurrency
	ktap_check "store consistent after the concurrent run" rel_consistent
	ktap_check "objects intact after the concurrent run" fb_verify_all
	ktap_check "no kernel warnings after the concurrent run" dmesg_clean

	rel_modcycles
	ktap_check "no kernel warnings after the module cycles" dmesg_clean

	echo 1 >"$FB_STATE/boot"
	if [ "$REL_KEXEC" -gt 0 ]; then
		fb_out "# $REL_KEXEC kexec cycles follow"
		next_stage
	fi
}

# Stages 2 .. REL_KEXEC + 1: one kexec cycle each.
rel_kexec_stage() {
	_cycle=$((FB_STAGE - 1))
	_want=$(( $(cat "$FB_STATE/boot") + 1 ))
	ktap_check "kexec cycle $_cycle/$REL_KEXEC: module loads" modprobe fastboot
	ktap_check "boot $_want, reason update" \
		fb_status_has "\"boot\":{\"count\":$_want,\"reason\":\"update\"}"
	echo "$_want" >"$FB_STATE/boot"
	ktap_check "all objects intact" fb_verify_all
	ktap_check "put a new object" fb_put_random "cycle-$_cycle" $((_cycle * 4099))
	ktap_check "get it back" fb_verify_all
	ktap_check "store consistent" rel_consistent
	ktap_check "no kernel warnings" dmesg_clean
	if [ "$_cycle" -lt "$REL_KEXEC" ]; then
		if [ $((_cycle % 2)) -eq 1 ]; then
			next_stage file
		else
			next_stage
		fi
	fi
	ktap_check "module unloads at the end" rmmod fastboot
}

_rel_s=2
while [ $_rel_s -le $((REL_KEXEC + 1)) ]; do
	eval "stage_$_rel_s() { rel_kexec_stage; }"
	_rel_s=$((_rel_s + 1))
done
