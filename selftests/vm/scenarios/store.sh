# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# The persistent store across real reboots:
#   stage 1: load/unload, bad region= values, format, objects, ENOSPC,
#            get into what FILE is, the lock between commands;
#            then kexec_load (kexec -l)
#   stage 2: reason "update", objects intact; then kexec_file_load (-s)
#   stage 3: reason "update", objects intact; then panic into kdump with
#            crash_kexec_post_notifiers so the panic notifier seals
#   stage 4: (kdump kernel) reason "crash", objects intact; damaged stores
#            are detected, kept and never reformatted without --force.
# Along the way, the output conventions of fastboot(8): every --json
# output is one valid JSON value (fb-hostile json: strict, UTF-8), also a
# failure's error object and a crash log holding invalid UTF-8; a write
# error on stdout fails the command.
. /selftests/fastboot.sh

# json_valid ARGS...: `fastboot ARGS` succeeds and prints valid JSON.
json_valid() {
	fastboot "$@" >/tmp/.out.json || return 1
	fb-hostile json </tmp/.out.json || { head -c 300 /tmp/.out.json; return 1; }
}

output_checks() {
	for _c in "status --json" "ls --json" "log --json" "guest ls --json" \
		  "setup --region $FB_REGION --json"; do
		# shellcheck disable=SC2086 # the words of the command
		ktap_check "$_c: valid JSON" json_valid $_c
	done
	ktap_check "status --json without the device: only the error object" \
		sh -c 'fastboot --device /nonexistent status --json >/tmp/.err.json 2>/dev/null
			[ $? -eq 1 ] && fb-hostile json </tmp/.err.json &&
			grep -q "^{\"error\":{\"what\":\"/nonexistent\",\"why\":\"[^\"]*\",\"exit\":1}}\$" /tmp/.err.json'
	ktap_check "/dev/full is there" test -c /dev/full
	ktap_check "status >/dev/full: exit 1, fastboot: stdout: ..." \
		sh -c 'fastboot status >/dev/full 2>/tmp/.full.err; [ $? -eq 1 ] &&
			grep -q "^fastboot: stdout: " /tmp/.full.err'
	ktap_check "status --json >/dev/full: exit 1, fastboot: stdout: ..." \
		sh -c 'fastboot status --json >/dev/full 2>/tmp/.full.err; [ $? -eq 1 ] &&
			grep -q "^fastboot: stdout: " /tmp/.full.err'
}

load_checks() {
	ktap_check "module loads with region=$FB_REGION" fb_load
	ktap_check "/dev/fastboot exists" test -c /dev/fastboot
	ktap_check "/proc/iomem shows the region claimed by fastboot" \
		fb_iomem_has 40000000-4fffffff fastboot
	ktap_check "/dev/mem cannot read the region" \
		sh -c '! dd if=/dev/mem of=/dev/null bs=4096 skip=262144 count=1'
}

bad_params() {
	fb_load_refused "a missing region=" "Invalid parameters" "region= is required"
	fb_load_refused "a malformed region=" "Invalid parameters" "expected SIZE@ADDR" \
		region=banana
	fb_load_refused "a region= without address" "Invalid parameters" "bad address" \
		region=256M@
	fb_load_refused "a region= with trailing junk" "Invalid parameters" "bad address" \
		region=256M@0x40000000x
	fb_load_refused "an empty region" "Invalid parameters" "non-empty" \
		region=0@0x40000000
	fb_load_refused "an unaligned region" "Invalid parameters" "page aligned" \
		region=256M@0x40000800
	fb_load_refused "a region overlapping System RAM" "Invalid parameters" \
		"overlaps System RAM" region=16M@0x10000000
	fb_load_refused "a region straddling System RAM" "Invalid parameters" \
		"overlaps System RAM" region=256M@0x38000000
	fb_load_refused "a region that is not reserved memory" "Invalid parameters" \
		"not reserved memory" region=16M@0x90000000
	fb_load_refused "a region smaller than the minimum" "Invalid parameters" \
		"smaller than the minimum" region=1M@0x40000000
	if insmod "$FB_POKE" addr=$FB_ADDR xor=0 claim=0x1000000; then
		fb_load_refused "a region claimed by another driver" \
			"Device or resource busy" "already claimed" region=$FB_REGION
		rmmod fastboot_poke
	else
		ktap_fail "claim part of the region with the test module"
	fi
}

# sha_of FILE: its SHA-256 (read through links).
sha_of() {
	sha256sum <"$1" | cut -d' ' -f1
}

# get_checks: `fastboot get NAME FILE` writes into what FILE is: a device
# stays a device, a symbolic link a link, a hard link keeps its other
# names, an existing file its mode and owner.
get_checks() {
	_want=$(fastboot get page-plus-one | sha256sum | cut -d' ' -f1)
	mknod /tmp/nulldev c 1 3
	ktap_check "get into a character device" \
		fastboot get page-plus-one /tmp/nulldev
	ktap_check "the character device is still one" test -c /tmp/nulldev
	echo old >/tmp/target && ln -sf /tmp/target /tmp/link
	ktap_check "get through a symbolic link" fastboot get page-plus-one /tmp/link
	ktap_check "the link is still a link" test -L /tmp/link
	ktap_check "the link's target holds the object" \
		test "$(sha_of /tmp/target)" = "$_want"
	echo old >/tmp/h1 && ln -f /tmp/h1 /tmp/h2
	ktap_check "get into a hard-linked file" fastboot get page-plus-one /tmp/h1
	ktap_check "its other name holds the object" \
		test "$(sha_of /tmp/h2)" = "$_want"
	ktap_check "both names are still one file" \
		test "$(stat -c %i /tmp/h1)" = "$(stat -c %i /tmp/h2)"
	echo old >/tmp/m && chmod 0640 /tmp/m && chown 1234:5678 /tmp/m
	ktap_check "get over an existing file" fastboot get page-plus-one /tmp/m
	ktap_check "its mode and owner are kept" \
		test "$(stat -c %a:%u:%g /tmp/m)" = 640:1234:5678
	ktap_check "it holds the object" test "$(sha_of /tmp/m)" = "$_want"
	rm -f /tmp/new
	ktap_check "a new file gets 0666 minus the umask" \
		sh -c 'umask 022 && fastboot get page-plus-one /tmp/new &&
		       test "$(stat -c %a /tmp/new)" = 644'
	rm -f /tmp/nulldev /tmp/target /tmp/link /tmp/h1 /tmp/h2 /tmp/m /tmp/new
}

# hold_lock SECONDS: fblock holds the lock on /dev/fastboot for SECONDS,
# in the background; returns once it holds it.
hold_lock() {
	rm -f /tmp/lock.out
	fblock /dev/fastboot "$1" >/tmp/lock.out 2>&1 &
	_i=0
	while ! grep -q locked /tmp/lock.out 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}

# lock_checks: mutating commands take an exclusive flock on the device, so
# they run one after the other, never interleaved.
lock_checks() {
	hold_lock 5
	ktap_check "a mutating command waits while another holds the lock" \
		sh -c 'fastboot put waited /proc/version 2>/tmp/wait.err &&
		       grep -q unlocking /tmp/lock.out'
	fb_diag_file /tmp/wait.err 3
	ktap_check "it says what it waits for" \
		grep -q 'waiting for another fastboot command' /tmp/wait.err
	wait
	hold_lock 5
	ktap_check "--wait 0: refused at once while the lock is held" \
		fb_expect_fails fastboot --wait 0 rm waited
	ktap_check "the refusal names the holder" \
		grep -q "another fastboot command (pid $!) holds" /tmp/.fb_out
	ktap_check "a read command does not wait" fastboot ls
	ktap_check "the refused rm changed nothing" \
		sh -c 'fastboot ls | grep -q "^waited "'
	wait
	ktap_check "rm once the lock is free" fastboot rm waited
}

# Every mutating command leaves one line in the system log (fastboot(8),
# SYSTEM LOG); format's was logged when stage 1 formatted the store.
journal_checks() {
	ktap_check "format is in the system log" grep -q "fastboot\[[0-9]*\]: format\$" /tmp/messages
	ktap_check "put is logged with its size" \
		fb_logged "put journal (4097 bytes)" fastboot put journal /tmp/p4097
	ktap_check "rm is logged" fb_logged "rm journal" fastboot rm journal
	ktap_check "guest create is logged with its size" \
		fb_logged "guest create jg (2.0 MiB)" fastboot guest create jg 2M
	ktap_check "guest rm is logged" fb_logged "guest rm jg" fastboot guest rm jg
	ktap_check "a failed rm that changed nothing is not logged" \
		sh -c '! fastboot rm journal && sleep 1 && [ "$(grep -c "fastboot.*rm journal" /tmp/messages)" -eq 1 ]'
}

stage_1() {
	load_checks
	ktap_check "status: unformatted" fb_status_has '"state":"unformatted"'
	ktap_check "status reports the region" \
		fb_status_has '"region":{"start":1073741824,"size_bytes":268435456}'
	ktap_check "put refused before format" \
		fb_expect_fails fastboot put x /proc/version
	ktap_check "module unloads" rmmod fastboot
	ktap_check "region released on unload" \
		sh -c '! grep -q fastboot /proc/iomem'
	bad_params
	ktap_check "modprobe takes fastboot.region= from the kernel command line" \
		modprobe fastboot
	ktap_check "region parameter came from the command line" \
		grep -qx "$FB_REGION" /sys/module/fastboot/parameters/region

	ktap_check "syslogd runs (/dev/log)" fb_syslogd
	ktap_check "format" fastboot format
	ktap_check "status: ready, boot 1, reason first" \
		fb_status_has '"boot":{"count":1,"reason":"first"}'
	ktap_check "format again without --force is refused" \
		fb_expect_fails fastboot format
	ktap_check "usage error exits 2" sh -c 'fastboot put onlyname; [ $? -eq 2 ]'
	ktap_check "invalid name refused" fb_expect_fails fastboot put a/b /proc/version
	rm -f "$FB_STATE/sums"
	ktap_check "put 0 B" fb_put_random empty 0
	ktap_check "put 1 B" fb_put_random one 1
	ktap_check "put 4 KiB + 1 B" fb_put_random page-plus-one 4097
	ktap_check "put 32 MiB" fb_put_random big 33554432
	ktap_check "status counts 4 objects" fb_status_has '"objects":4'
	ktap_check "objects read back identical" fb_verify_all

	free=$(fb_json_num free_bytes)
	ktap_check "a put larger than the free space fails with ENOSPC" \
		sh -c "truncate -s $((free + 1)) /tmp/huge && fastboot put huge /tmp/huge 2>&1 | tee /dev/stderr | grep -q 'not enough free space'"
	ktap_check "filling the store exactly works" \
		sh -c "truncate -s $free /tmp/fill && fastboot put filler /tmp/fill"
	ktap_check "free space is 0" fb_status_has '"free_bytes":0'
	ktap_check "one more byte gives ENOSPC" \
		sh -c "fastboot put more /tmp/one 2>&1 | grep -q 'not enough free space'"
	ktap_check "remove the filler" fastboot rm filler
	ktap_check "rm of a missing object fails" fb_expect_fails fastboot rm filler
	ktap_check "objects intact after ENOSPC" fb_verify_all
	head -c 4097 /dev/urandom >/tmp/p4097
	journal_checks
	output_checks
	rm -f /tmp/huge /tmp/fill /tmp/big
	get_checks
	lock_checks
	ktap_check "no kernel warnings" dmesg_clean
	# As fastboot update does after loading: the kexec records the image.
	ktap_check "the next kexec boots img.99 (as update says)" fbharden set-next img.99
	next_stage
}

stage_2() {
	ktap_check "module loads" modprobe fastboot
	ktap_check "status: boot 2, reason update (after kexec -l)" \
		fb_status_has '"boot":{"count":2,"reason":"update"}'
	# The kexec was told img.99, but this kernel's command line (next_stage's
	# own) has no fastboot.image=: the record arrived, and is not believed.
	ktap_check "the kexec carried the next-boot record (this kernel: $(uname -r))" \
		fb_status_has '"image_mismatch":{"store":"img.99","believed":"none"'
	ktap_check "all objects intact after kexec -l" fb_verify_all
	ktap_check "no kernel warnings" dmesg_clean
	next_stage file
}

stage_3() {
	ktap_check "module loads" modprobe fastboot
	ktap_check "status: boot 3, reason update (after kexec -s)" \
		fb_status_has '"boot":{"count":3,"reason":"update"}'
	ktap_check "a kexec nobody named: no next-boot record" \
		sh -c '! fastboot status --json | grep -q "\"image\""'
	ktap_check "all objects intact after kexec -s" fb_verify_all
	ktap_check "no kernel warnings" dmesg_clean
	echo Y >/sys/module/kernel/parameters/crash_kexec_post_notifiers
	# Bytes that are not UTF-8 in the log tail the crash record keeps.
	printf 'fb-utf8-probe \377\376\300\257 end\n' >/dev/kmsg
	panic_to_next_stage
}

stage_4() {
	ktap_check "module loads in the kdump kernel" modprobe fastboot
	ktap_check "status: boot 4, reason crash (after a panic)" \
		fb_status_has '"boot":{"count":4,"reason":"crash"}'
	ktap_check "all objects intact after the panic" fb_verify_all
	ktap_check "log --json: valid JSON, with a crash record" \
		sh -c 'fastboot log --json >/tmp/.log.json && fb-hostile json </tmp/.log.json &&
			grep -q "\"crash\":{" /tmp/.log.json'
	ktap_check "log --json: the invalid UTF-8 of the log is U+FFFD" \
		grep -qF 'fb-utf8-probe \ufffd\ufffd\ufffd\ufffd end' /tmp/.log.json
	ktap_check "unload and reload in the same boot" \
		sh -c 'rmmod fastboot && modprobe fastboot'
	ktap_check "same boot: count and reason unchanged" \
		fb_status_has '"boot":{"count":4,"reason":"crash"}'

	# One bad metadata copy: the other one is used.  If it was the newest,
	# the store rolls back one generation (here: the boot record).
	rmmod fastboot
	ktap_check "flip a byte of metadata copy 0" fb_poke 0x100
	ktap_check "module loads" modprobe fastboot
	ktap_check "one bad copy: ready" fb_status_has '"state":"ready"'
	ktap_check "one bad copy: falls back to the other copy" \
		fb_status_has '"fallback":true'
	ktap_check "objects intact with one bad copy" fb_verify_all

	# Two commits make both copies current, then both are damaged.
	ktap_check "two commits rewrite both copies" \
		sh -c 'fastboot put tmp /proc/version && fastboot rm tmp'
	rmmod fastboot
	ktap_check "flip a byte of metadata copy 0" fb_poke 0x100
	ktap_check "flip a byte of metadata copy 1" fb_poke 0x20100
	ktap_check "module loads over a damaged store" modprobe fastboot
	ktap_check "status: damaged" fb_status_has '"state":"damaged"'
	ktap_check "status says why" \
		fb_status_has '"why":"metadata checksum mismatch"'
	ktap_check "dmesg says the store is damaged" \
		sh -c 'dmesg | grep -q "fastboot: store is damaged"'
	ktap_check "put refused on a damaged store" \
		fb_expect_fails fastboot put x /proc/version
	ktap_check "ls refused on a damaged store" fb_expect_fails fastboot ls
	ktap_check "ls --json on a damaged store: only the error object" \
		sh -c 'fastboot ls --json >/tmp/.ls.json 2>/dev/null; [ $? -eq 1 ] &&
			fb-hostile json </tmp/.ls.json && grep -q "^{\"error\":{\"what\":\"ls\"" /tmp/.ls.json'
	ktap_check "format without --force refused" fb_expect_fails fastboot format
	ktap_check "still damaged: not reformatted" fb_status_has '"state":"damaged"'

	# Undo the flips: nothing was lost.
	rmmod fastboot
	fb_poke 0x100 && fb_poke 0x20100
	ktap_check "module loads after the flips are undone" modprobe fastboot
	ktap_check "ready again" fb_status_has '"state":"ready"'
	ktap_check "all objects intact: the damaged store was kept" fb_verify_all

	ktap_check "format --force wipes it" fastboot format --force
	ktap_check "empty store" fb_status_has '"objects":0'
	ktap_check "boot 1, reason first" \
		fb_status_has '"boot":{"count":1,"reason":"first"}'
	ktap_check "module unloads" rmmod fastboot
	ktap_check "no kernel warnings" dmesg_clean
}
