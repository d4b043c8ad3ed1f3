# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# fbtest-timeout: 700
#
# The module's hardening findings (issue #14, items 1-9), each reproduced:
#   stage 1: readdir at a 64-bit position as nobody; the store answers
#            while getdents, a read, a put and a write() wait on a page
#            fault (userfaultfd); a write() and an mmap() of one file from
#            two threads; O_PATH-pinned dentries after rm + create; long
#            zeroing and copies stop for SIGKILL; a read-only store refuses
#            writers; root and file inode numbers differ; then a put parked
#            in a page fault forever, and kexec: the reboot must not wait
#   stage 2: reason "update", the parked put never committed; rmmod (a
#            detach seal), then kexec with no module to seal the store
#   stage 3: a reboot after a detach seal is "unclean", not "update";
#            panic with the module loaded (a crash record)
#   stage 4: (kdump kernel) the crash record is read into a buffer that
#            waits on a fault while the store answers
. /selftests/fastboot.sh

GD=/run/fastboot/guest

NOBODY="fbharden as 65534"

# unload: fastbootfs holds the module while mounted.
unload() {
	umount $GD 2>/dev/null
	rmmod fastboot
}

mount_guestfs() {
	fastboot guest path g1 >/dev/null
}

# fb_harden_check DESC fbharden ARGS...: ok on exit 0, skip on 4.
fb_harden_check() {
	_d=$1
	shift
	"$@" >/tmp/.fbh 2>&1
	_rc=$?
	case $_rc in
	0) ktap_ok "$_d" ;;
	4) ktap_skip "$_d" "$(tail -n 1 /tmp/.fbh)" ;;
	*) ktap_fail "$_d" "exit $_rc" ;;
	esac
	fb_diag_file /tmp/.fbh 8
}

stage_1() {
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	# Item 9: the first object gets id 1, the root's inode number.
	ktap_check "create g1 (the first object), mode 0666" \
		fastboot guest create g1 4M --mode 0666
	ktap_check "fastbootfs is mounted at $GD" \
		test "$(fastboot guest path g1)" = $GD/g1
	ktap_check "the root and g1 have different inode numbers" \
		test "$(stat -c %i $GD)" != "$(stat -c %i $GD/g1)"
	ktap_check "readdir and stat agree on g1's inode number" \
		test "$(ls -i $GD | awk '$2 == "g1" {print $1}')" = "$(stat -c %i $GD/g1)"

	# Item 1: a 64-bit directory position, as an unprivileged user.
	ktap_check "nobody can list the directory" \
		sh -c "$NOBODY fbharden readdir-seek $GD 0 >/tmp/.rs; cat /tmp/.rs; grep -q '^g1 ' /tmp/.rs"
	ktap_check "nobody: getdents after lseek to 2^32 - 20 lists nothing" \
		sh -c "$NOBODY fbharden readdir-seek $GD 0xffffffec >/tmp/.rs; cat /tmp/.rs; grep -qx '0 entries' /tmp/.rs"
	ktap_check "nobody: getdents after lseek to 2^63 - 1 lists nothing" \
		sh -c "$NOBODY fbharden readdir-seek $GD 0x7fffffffffffffff >/tmp/.rs; cat /tmp/.rs; grep -qx '0 entries' /tmp/.rs"
	ktap_check "getdents from position 2 lists g1" \
		sh -c "fbharden readdir-seek $GD 2 | grep -q '^g1 '"
	ktap_check "no oops after the seeks" dmesg_clean
	ktap_check "the store still answers" timeout 20 fastboot status

	# Item 2: no user memory under the store lock.
	head -c 100000 /dev/urandom >/tmp/blob1
	ktap_check "put a blob to read" fastboot put blob1 /tmp/blob1
	fb_harden_check "getdents into a faulting buffer: the store answers" \
		fbharden blocked getdents $GD $GD/g1
	fb_harden_check "read into a faulting buffer: the store answers" \
		fbharden blocked read blob1 $GD/g1
	fb_harden_check "put from a faulting buffer: the store answers" \
		fbharden blocked put blob2 $GD/g1
	fb_harden_check "write() from a faulting buffer vs mmap() of the file in another thread" \
		fbharden blocked write $GD/g1 $GD/g1
	ktap_check "the put from a faulting buffer committed" \
		sh -c 'fastboot ls --json | grep -q "\"name\":\"blob2\""'

	# Item 3: a dentry pinned by O_PATH across rm + create.
	ktap_check "create g2" fastboot guest create g2 2M
	fbharden opath $GD/g2 600 &
	_pin=$!
	sleep 1
	ktap_check "rm g2 while an O_PATH descriptor pins it" fastboot guest rm g2
	ktap_check "create g2 again" fastboot guest create g2 2M
	ktap_check "the new g2 opens (no ESTALE)" sh -c "cat $GD/g2 >/dev/null"
	ktap_check "the new g2 maps" fbmmap $GD/g2 zero
	kill $_pin
	wait $_pin 2>/dev/null

	# Item 4: long work stops for a fatal signal.
	ktap_check "create g3, 128 MiB" fastboot guest create g3 128M
	fb_harden_check "a killed write() of 128 MiB stops early" fbharden killwrite $GD/g3
	ktap_check "rm g3" fastboot guest rm g3
	free=$(fb_json_num free_bytes)
	# half the free space: with big tables an object has at most 4
	# extents, and all of it may be in more pieces than that
	fb_harden_check "a killed guest create stops zeroing and commits nothing" \
		fbharden killcreate big $((free / 2 / 2097152 * 2097152))
	ktap_check "the store is usable after the kills" fastboot put blob3 /tmp/blob1

	# Item 6: a store with an unknown ro_compat feature is read-only.
	fbmmap $GD/g1 write 5
	ktap_check "unload" unload
	ktap_check "mark the store with an unknown ro_compat feature" \
		sh -c "insmod $FB_POKE addr=$FB_ADDR rocompat=0x80000000 && rmmod fastboot_poke"
	ktap_check "module loads" modprobe fastboot
	mount_guestfs
	ktap_check "the store is attached read-only" fb_status_has '"readonly":true'
	ktap_check "read-only: reading a guest file works" fbmmap $GD/g1 verify 5
	ktap_check "read-only: open for writing is refused" \
		sh -c "! dd if=/dev/zero of=$GD/g1 bs=4096 count=1 conv=notrunc 2>/tmp/.dd; cat /tmp/.dd; grep -q 'Read-only file system' /tmp/.dd"
	ktap_check "read-only: a writable mapping is refused" sh -c "! fbmmap $GD/g1 write 6"
	ktap_check "read-only: contents unchanged" fbmmap $GD/g1 verify 5
	ktap_check "unload" unload
	ktap_check "clear the feature again" \
		sh -c "insmod $FB_POKE addr=$FB_ADDR rocompat=0x80000000 && rmmod fastboot_poke"
	ktap_check "module loads" modprobe fastboot
	mount_guestfs
	ktap_check "read-write again" fb_status_has '"readonly":false'
	ktap_check "writable again" fbmmap $GD/g1 write 7
	ktap_check "no kernel warnings" dmesg_clean

	# Item 2: the reboot notifier must not wait on a stuck operation.
	fbharden blocked put parked - hold >/tmp/.parked 2>&1 &
	_i=0
	while ! grep -q holding /tmp/.parked && [ $_i -lt 30 ]; do
		sleep 1
		_i=$((_i + 1))
	done
	ktap_check "a put waits on a fault forever" grep -q holding /tmp/.parked
	next_stage
}

stage_2() {
	ktap_check "module loads" modprobe fastboot
	mount_guestfs
	ktap_check "the kexec with a stuck put was an orderly update" \
		fb_status_has '"reason":"update"'
	ktap_check "the stuck put never committed" \
		sh -c '! fastboot ls --json | grep -q "\"name\":\"parked\""'
	ktap_check "g1 intact" fbmmap $GD/g1 verify 7
	# Item 8: a detach seal, then a reboot with nobody to seal.
	ktap_check "unload (writes a detach seal)" unload
	ktap_check "no kernel warnings" dmesg_clean
	next_stage file
}

stage_3() {
	ktap_check "module loads" modprobe fastboot
	mount_guestfs
	ktap_check "a reboot after a detach seal is unclean, not update" \
		fb_status_has '"reason":"unclean"'
	ktap_check "g1 intact" fbmmap $GD/g1 verify 7
	ktap_check "no kernel warnings" dmesg_clean
	echo Y >/sys/module/kernel/parameters/crash_kexec_post_notifiers
	panic_to_next_stage
}

stage_4() {
	ktap_check "module loads in the kdump kernel" modprobe fastboot
	mount_guestfs
	ktap_check "reason crash" fb_status_has '"reason":"crash"'
	fb_harden_check "crash record into a faulting buffer: the store answers" \
		fbharden blocked crash - $GD/g1
	ktap_check "fastboot log shows the crash" sh -c 'fastboot log | grep -qi crash'
	ktap_check "no kernel warnings" dmesg_clean
}
