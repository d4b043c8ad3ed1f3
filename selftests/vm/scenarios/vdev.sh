# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# The verified block devices of kmod/vdev.c, raw, through fbvdev (no file
# system needed, so it runs on every kernel: check-kernels.sh): a device
# over a boot object reads back its bytes, each block verified once; the
# objects are pinned; an open device is not removed; a flipped data block
# and a flipped tree block read as EIO with one log line each, naming the
# object and the block; bad trees, missing objects and bad struct sizes
# are refused; unloading the module removes the devices.
. /selftests/fastboot.sh

BLOCKS=301	# three leaf blocks under one top block

# dev_for N: wait for /dev/fbvN (devtmpfs makes it).
dev_for() {
	_i=0
	while [ ! -b "/dev/fbv$1" ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	test -b "/dev/fbv$1"
}

# info_is N FIELD VALUE: fbvdev info N has VALUE in FIELD (1-based:
# index object tree bytes verified failed openers).
info_is() {
	_v=$(fbvdev info "$1" | cut -d' ' -f"$2")
	echo "field $2 of device $1: $_v"
	test "$_v" = "$3"
}

# errno_is ERRNO CMD...: CMD fails with "errno ERRNO".
errno_is() {
	_want=$1
	shift
	! "$@" >/tmp/err.out 2>&1 && cat /tmp/err.out && grep -qx "errno $_want" /tmp/err.out
}

add() {	# add ROOT: a device over b:data, its number in $N
	N=$(fbvdev add b:data v:tree "$1") && dev_for "$N"
}

# Reads are O_DIRECT: through the page cache, a kernel with large folios
# (7.2) fails the blocks that share a folio with a bad one, which says
# nothing about the driver.
read_block() {	# read_block N BLOCK
	dd if="/dev/fbv$1" of=/tmp/blk bs=4096 skip="$2" count=1 iflag=direct 2>/tmp/dd.err &&
		test "$(stat -c %s /tmp/blk)" = 4096
}

block_eio() {	# block_eio N BLOCK: reading it fails, twice
	! read_block "$1" "$2" && cat /tmp/dd.err && ! read_block "$1" "$2"
}

# lines_are N TEXT: the kernel log has N mismatch lines, one with TEXT.
lines_are() {
	dmesg | grep "does not match its hash tree" >/tmp/mm
	cat /tmp/mm
	test "$(wc -l </tmp/mm)" = "$1" && grep -q "fastboot: $2 does not match its hash tree" /tmp/mm
}

rm_busy() {
	! fastboot rm "$1" >/tmp/rm.out 2>&1 && grep -q "in use" /tmp/rm.out
}

put_busy() {
	! fastboot put --type boot "$1" "$2" >/tmp/put.out 2>&1 && grep -q "in use" /tmp/put.out
}

open_del_busy() {
	exec 3<"/dev/fbv$N"
	errno_is EBUSY fbvdev del "$N"
	_rc=$?
	info_is "$N" 7 1 || _rc=1
	exec 3<&-
	return $_rc
}

gone() {
	fbvdev del "$N" && ! test -e "/dev/fbv$N" && errno_is ENOENT fbvdev info "$N"
}

stage_1() {
	ktap_check "module loads" modprobe fastboot
	ktap_check "format" fastboot format
	head -c $((BLOCKS * 4096 - 100)) /dev/urandom >/tmp/d
	ROOT=$(fbvdev tree /tmp/d /tmp/t)
	ktap_check "a tree of 4 blocks for $BLOCKS data blocks" test "$(stat -c %s /tmp/t)" = 16384
	ktap_check "put the data and the tree as boot objects" \
		sh -c 'fastboot put --type boot b:data /tmp/d && fastboot put --type boot v:tree /tmp/t'
	cp /tmp/d /tmp/dp && truncate -s $((BLOCKS * 4096)) /tmp/dp
	ktap_check "add a device" add "$ROOT"
	ktap_check "its size: the object's in whole blocks" info_is "$N" 4 $((BLOCKS * 4096))
	ktap_check "nothing verified before a read" info_is "$N" 5 0
	ktap_check "it reads the object's bytes, zero-padded" cmp "/dev/fbv$N" /tmp/dp
	ktap_check "every block verified once" info_is "$N" 5 "$BLOCKS"
	ktap_check "rm of the object refused while the device exists" rm_busy b:data
	ktap_check "rm of the tree refused" rm_busy v:tree
	ktap_check "put over the object refused" put_busy b:data /tmp/d
	ktap_check "del refused while open" open_del_busy
	ktap_check "del when closed: the node goes" gone
	ktap_check "flip a byte of data block 150" fb_poke_object b:data $((150 * 4096 + 7))
	ktap_check "a new device (nothing verified)" add "$ROOT"
	ktap_check "block 151 reads" read_block "$N" 151
	ktap_check "block 150 reads EIO" block_eio "$N" 150
	ktap_check "one log line: b:data block 150" lines_are 1 "b:data: block 150"
	ktap_check "one failed block" info_is "$N" 6 1
	ktap_check "the rest reads" sh -c "dd if=/dev/fbv$N of=/dev/null bs=4096 count=150 iflag=direct && dd if=/dev/fbv$N of=/dev/null bs=4096 skip=151 iflag=direct"
	fbvdev del "$N"
	ktap_check "flip a byte of tree block 2 (data 128-255)" fb_poke_object v:tree $((2 * 4096 + 5))
	ktap_check "a new device" add "$ROOT"
	ktap_check "block 200 reads EIO" block_eio "$N" 200
	ktap_check "one more log line: v:tree block 2" lines_are 2 "v:tree: block 2"
	ktap_check "block 10 (another leaf block) reads" read_block "$N" 10
	fbvdev del "$N"
	ktap_check "a wrong root: every read fails" \
		sh -c "N=\$(fbvdev add b:data v:tree $(printf '%064d' 0)) && sleep 0.5 && ! dd if=/dev/fbv\$N of=/dev/null bs=4096 count=1 2>/dev/null && fbvdev del \$N"
	head -c 4096 /dev/zero >/tmp/z
	fastboot put --type boot v:short /tmp/z
	ktap_check "a tree of the wrong size: EINVAL" errno_is EINVAL fbvdev add b:data v:short "$ROOT"
	ktap_check "a missing object: ENOENT" errno_is ENOENT fbvdev add b:none v:tree "$ROOT"
	ktap_check "a blob is not a boot object: ENOENT" \
		sh -c "fastboot put b:blob /tmp/d && fbvdev add b:blob v:tree $ROOT | grep -qx 'errno ENOENT'"
	ktap_check "del of no device: ENOENT" errno_is ENOENT fbvdev del 200
	ktap_check "struct size 4: EINVAL" errno_is EINVAL fbvdev size 4
	ktap_check "unknown non-zero bytes: E2BIG" errno_is E2BIG fbvdev size 300
	ktap_check "the objects can go once no device reads them" \
		sh -c 'fastboot rm v:short && fastboot rm b:blob'
	ktap_check "a device left for the unload" add "$ROOT"
	ktap_check "unloading the module removes it" \
		sh -c "rmmod fastboot && ! test -e /dev/fbv$N"
	ktap_check "module loads again, no device" \
		sh -c 'modprobe fastboot && fbvdev info 0 | grep -qx "errno ENOENT"'
	ktap_check "objects still there, now removable" \
		sh -c 'fastboot rm b:data && fastboot rm v:tree'
	ktap_check "no kernel warnings" dmesg_clean
}
