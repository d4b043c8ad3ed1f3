# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Guest memory with struct pages: huge mappings and get_user_pages().
#   stage 1: 2 MiB faults when aligned, 4 KiB when not; O_DIRECT both ways
#            between guest memory and the disk, vmsplice, process_vm_readv,
#            io_uring fixed
#            buffers (refused on 6.1: EOPNOTSUPP); rm and format refused
#            while a pipe or an io_uring holds pages; unload waits for a
#            pin; a region made as QEMU makes a missing mem-path
#            (open(O_CREAT) + ftruncate), one abandoned before its
#            ftruncate, none by an unprivileged user; then kexec
#   stage 2: contents intact (the O_CREAT region too), still 2 MiB
#            faults, O_DIRECT again; with
#            guest_pages=0 PFN maps (get_user_pages fails); then panic
#   stage 3: (crash kernel) contents intact, O_DIRECT into guest memory
. /selftests/fastboot.sh

# The file on the scenario's virtio disk that O_DIRECT and io_uring use
# (the bed carries virtio_blk and ext4 of every kernel it runs).
F=/mnt/gup.dat

have_disk() {
	ktap_check "scenario disk mounted" fb_disk_mount
}

odirect_check() {	# odirect_check DESC ARGS...: fbgup ARGS (O_DIRECT)
	_d=$1
	shift
	ktap_check "$_d" fbgup "$@"
}

# Long-term pins (io_uring fixed buffers) work from 6.6 on (compat.h):
# on 6.1 the inode is S_DAX, and io_uring refuses file-backed buffers.
longterm_pins() {
	set -- $(uname -r | tr '.-' '  ')
	[ "$1" -gt 6 ] || { [ "$1" -eq 6 ] && [ "$2" -ge 6 ]; }
}

# gp_faults PATH MIB MAX [unaligned]: touch MIB MiB of PATH's mapping; at
# most MAX minor faults (at least MAX with "unaligned").
gp_faults() {
	_out=$(fbgup faults "$1" "$2" ${4:-}) || { echo "$_out"; return 1; }
	fb_out "# fbgup faults $1 $2 ${4:-aligned}: $_out"
	_n=$(echo "$_out" | sed -n 's/^faults \([0-9]*\) .*/\1/p')
	if [ -n "${4:-}" ]; then
		[ "$_n" -ge "$3" ]
	else
		[ "$_n" -le "$3" ]
	fi
}

# wait_file FILE: up to 20 s for FILE to appear.
wait_file() {
	_i=0
	while [ ! -e "$1" ] && [ $_i -lt 200 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -e "$1" ]
}

# rm_eventually NAME: guest rm succeeds within 10 s (an io_uring releases
# its pins in a worker after the ring is closed).
rm_eventually() {
	_i=0
	while ! fastboot guest rm "$1" 2>/dev/null; do
		[ $_i -lt 100 ] || return 1
		sleep 0.1
		_i=$((_i + 1))
	done
}

stage_1() {
	have_disk
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	ktap_check "the data area has struct pages" \
		sh -c 'dmesg | grep -q "guest memory: struct pages for"'
	ktap_check "create a 128 MiB region" fastboot guest create gp 128M
	P=$(fastboot guest path gp)
	ktap_check "touching 128 MiB takes 2 MiB faults (<= 128, 4 KiB would be 32768)" \
		gp_faults "$P" 128 128
	ktap_check "a mapping 4 KiB off 2 MiB alignment takes 4 KiB faults, data intact" \
		gp_faults "$P" 16 4096 unaligned
	odirect_check "O_DIRECT write from and read into guest memory (the disk)" \
		odirect "$P" "$F"
	ktap_check "vmsplice from guest memory into a pipe" fbgup vmsplice "$P"
	ktap_check "process_vm_readv of guest memory in another process" fbgup pvm "$P"
	if longterm_pins; then
		ktap_check "io_uring fixed buffer in guest memory (long-term pin), READ_FIXED" \
			fbgup uring "$P" "$F"
	else
		ktap_check "io_uring fixed buffers refused on $(uname -r) (EOPNOTSUPP)" \
			sh -c "fbgup uring $P $F | grep -qx 'refused: EOPNOTSUPP'"
	fi

	# A pipe holding vmsplice'd pages, the file closed and unmapped.
	rm -f /tmp/ready
	fbgup vmsplice "$P" hold /tmp/ready >/tmp/vms.out 2>&1 &
	holder=$!
	ktap_check "a pipe holds the region's pages, file closed" wait_file /tmp/ready
	ktap_check "rm while a pipe holds its pages: in use (EBUSY)" \
		sh -c "fastboot guest rm gp 2>&1 | grep -q 'in use'"
	ktap_check "format --force while pages are held: refused" \
		fb_expect_fails fastboot format --force
	ktap_check "the region is still there" fastboot guest path gp
	kill -TERM $holder
	wait $holder
	ktap_check "the pipe held the region's data all along" \
		sh -c "test $? = 0 && grep -q '^ok vmsplice' /tmp/vms.out"
	ktap_check "rm once the pipe is gone" fastboot guest rm gp

	if longterm_pins; then
		ktap_check "create a region for io_uring" fastboot guest create gu 8M
		rm -f /tmp/ready
		fbgup uring "$(fastboot guest path gu)" "$F" hold /tmp/ready \
			>/tmp/uring.out 2>&1 &
		holder=$!
		ktap_check "an io_uring has it as a fixed buffer, file closed" \
			wait_file /tmp/ready
		ktap_check "rm while an io_uring pins it: in use (EBUSY)" \
			sh -c "fastboot guest rm gu 2>&1 | grep -q 'in use'"
		kill -TERM $holder
		wait $holder
		ktap_check "rm once the ring is closed" rm_eventually gu
	fi

	# Unload waits for the last pin instead of freeing pinned pages.
	ktap_check "create a small region" fastboot guest create gw 2M
	rm -f /tmp/ready
	fbgup vmsplice "$(fastboot guest path gw)" hold /tmp/ready >/dev/null 2>&1 &
	holder=$!
	wait_file /tmp/ready
	umount /run/fastboot/guest
	rmmod fastboot &
	unloader=$!
	sleep 3
	ktap_check "unload waits while a pipe holds guest pages" \
		sh -c "kill -0 $unloader && test -d /sys/module/fastboot"
	kill -TERM $holder
	wait $holder
	wait $unloader
	ktap_check "unload completes once the pipe is gone" \
		sh -c "test $? = 0 && ! test -d /sys/module/fastboot"
	ktap_check "module loads again" modprobe fastboot
	ktap_check "the small region is still there" fastboot guest rm gw

	# A region made by its VMM: open(O_CREAT) + ftruncate, as QEMU's
	# memory-backend-file does with a mem-path that does not exist.
	G=/run/fastboot/guest
	# (unmounted with the unload above: mounted again, as guest path does)
	grep -q " $G fastbootfs " /proc/mounts || mount -t fastbootfs fastboot $G
	ktap_check "fastbootfs mounted at $G" grep -q " $G fastbootfs " /proc/mounts
	_o=$(fbgup create $G/gn 8 42)
	ktap_check "open(O_CREAT) + ftruncate makes a region ($_o)" \
		sh -c "echo '$_o' | grep -q '^ok created'"
	ktap_check "with 2 MiB faults (<= 8 for 8 MiB)" \
		test "$(echo "$_o" | sed -n 's/.* \([0-9]*\) faults$/\1/p')" -le 8
	ktap_check "guest ls: 8 MiB, mode 0640, root's" \
		sh -c "fastboot guest ls --json | grep -q '{\"name\":\"gn\",\"size_bytes\":8388608,\"mode\":\"0640\",\"uid\":0,\"gid\":0,'"
	ktap_check "an O_CREAT file closed before ftruncate leaves nothing" \
		sh -c ": >$G/gx && ! test -e $G/gx && ! fastboot guest ls | grep -q '^gx '"
	ktap_check "an unprivileged user cannot create one" \
		sh -c "! fbharden as 65534 sh -c ': >$G/gy' 2>/dev/null && ! test -e $G/gy"
	ktap_check "O_CREAT of a name that is a region opens the region" \
		sh -c ": >>$G/gn && fbgup verify $G/gn 8 42 >/dev/null"
	rm -f /tmp/ready
	fbgup create $G/gh 2 5 hold /tmp/ready >/tmp/gh.out 2>&1 &
	holder=$!
	ktap_check "a region made by O_CREAT, its creator still holding it" wait_file /tmp/ready
	ktap_check "rm while its creator holds it: in use (EBUSY)" \
		sh -c "fastboot guest rm gh 2>&1 | grep -q 'in use'"
	kill -TERM $holder
	wait $holder
	ktap_check "rm once the creator is gone" fastboot guest rm gh

	# Data that came in by O_DIRECT, kept across kexec and panic.
	ktap_check "create a region to keep" fastboot guest create gk 8M
	PK=$(fastboot guest path gk)
	odirect_check "O_DIRECT read from the disk into it" odirect-in "$PK" "$F" 99
	sha256sum <"$PK" | cut -d' ' -f1 >"$FB_STATE/gk.sha"
	ktap_check "no kernel warnings" dmesg_clean
	next_stage file
}

stage_2() {
	have_disk
	ktap_check "module loads" modprobe fastboot
	PK=$(fastboot guest path gk)
	ktap_check "contents intact after kexec" \
		test "$(sha256sum <"$PK" | cut -d' ' -f1)" = "$(cat "$FB_STATE/gk.sha")"
	ktap_check "still 2 MiB faults after kexec (<= 8 for 8 MiB)" gp_faults "$PK" 8 8
	ktap_check "the region made by open(O_CREAT) + ftruncate kept its data" \
		fbgup verify /run/fastboot/guest/gn 8 42
	ktap_check "and is removed as any region" fastboot guest rm gn
	odirect_check "O_DIRECT both ways after kexec" odirect "$PK" "$F"
	ktap_check "process_vm_readv after kexec" fbgup pvm "$PK"
	sha256sum <"$PK" | cut -d' ' -f1 >"$FB_STATE/gk.sha"
	# The fallback: no struct pages, PFN maps as before.
	umount /run/fastboot/guest
	ktap_check "reload with guest_pages=0" \
		sh -c 'rmmod fastboot && modprobe fastboot guest_pages=0'
	PK=$(fastboot guest path gk)
	ktap_check "guest_pages=0: the same contents" \
		test "$(sha256sum <"$PK" | cut -d' ' -f1)" = "$(cat "$FB_STATE/gk.sha")"
	ktap_check "guest_pages=0: a PFN map, get_user_pages on it fails (EFAULT)" \
		sh -c "fbgup pvm $PK | grep -q 'Bad address'"
	# (fbgup wrote its pattern through the mapping before it failed)
	sha256sum <"$PK" | cut -d' ' -f1 >"$FB_STATE/gk.sha"
	umount /run/fastboot/guest
	ktap_check "reload with struct pages" sh -c 'rmmod fastboot && modprobe fastboot'
	ktap_check "no kernel warnings" dmesg_clean
	echo Y >/sys/module/kernel/parameters/crash_kexec_post_notifiers
	panic_to_next_stage
}

stage_3() {
	have_disk
	ktap_check "module loads in the crash kernel" modprobe fastboot
	PK=$(fastboot guest path gk)
	ktap_check "contents intact after a panic" \
		test "$(sha256sum <"$PK" | cut -d' ' -f1)" = "$(cat "$FB_STATE/gk.sha")"
	odirect_check "O_DIRECT into guest memory in the crash kernel" \
		odirect-in "$PK" "$F" 5
	ktap_check "process_vm_readv in the crash kernel" fbgup pvm "$PK"
	ktap_check "no kernel warnings" dmesg_clean
}
