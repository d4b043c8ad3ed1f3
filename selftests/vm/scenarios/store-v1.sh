# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Stores of the module before big tables (format.h, "Big tables"), old ->
# new -> old across kexec, then the upgrade and what the old module makes
# of an upgraded store.  The old module is built from the revision below
# (scripts/mkoldmodule.sh) and sits at /lib/fastboot-old/fastboot.ko.
#   stage 1: (old module) format, objects; kexec
#   stage 2: (new module) reason update, no big tables, objects intact,
#            more objects written in the old layout; kexec
#   stage 3: (old module) reason update, every object intact; then the
#            new module upgrades it (format --upgrade): objects intact,
#            more than 384 objects; the old module refuses the store as
#            damaged ("unsupported incompat features") and writes nothing;
#            then a panic
#   stage 4: (crash kernel, new module) reason crash, every object intact
# fbtest-old-module: ad545aab0a55952527e22dea6f14bc3c3bf428e9
. /selftests/fastboot.sh

FB_OLD=/lib/fastboot-old/fastboot.ko

old_load() {
	insmod "$FB_OLD" region="$FB_REGION"
}

# The two builds differ in size: /proc/modules tells which one is loaded.
mod_size() {
	awk '$1 == "fastboot" { print $2 }' /proc/modules
}

old_is_loaded() {
	test -n "$(mod_size)" && test "$(mod_size)" = "$(cat "$FB_STATE/oldsize")"
}

new_is_loaded() {
	test -n "$(mod_size)" && test "$(mod_size)" = "$(cat "$FB_STATE/newsize")"
}

# sizes: record the size of each build, loaded once each.
sizes() {
	modprobe fastboot && mod_size >"$FB_STATE/newsize" && rmmod fastboot &&
		old_load && mod_size >"$FB_STATE/oldsize" &&
		test "$(cat "$FB_STATE/newsize")" != "$(cat "$FB_STATE/oldsize")"
}

small_tables() {
	fb_status_has '"big_tables":false' && fb_status_has '"max_objects":384'
}

big_tables() {
	fb_status_has '"big_tables":true' && test "$(fb_json_num max_objects)" -gt 384
}

refused_by_old() {
	fb_status_has '"state":"damaged"' &&
		fb_status_has 'unsupported incompat features'
}

stage_1() {
	if [ ! -f "$FB_OLD" ]; then
		ktap_skip "stores of the old module" "no $FB_OLD in the initramfs"
		return
	fi
	ktap_check "the new and the old module load; their sizes differ" sizes
	ktap_check "it is the old module" old_is_loaded
	ktap_check "old module: format" fastboot format
	ktap_check "old module: room for 384 objects" \
		fb_status_has '"max_objects":384'
	rm -f "$FB_STATE/sums"
	ktap_check "old module: put 1 B" fb_put_random one 1
	ktap_check "old module: put 4 KiB + 1 B" fb_put_random page-plus-one 4097
	ktap_check "old module: put 3 MiB" fb_put_random big 3145728
	ktap_check "old module: guest create" fastboot guest create vm 4M
	ktap_check "no kernel warnings" dmesg_clean
	next_stage
}

stage_2() {
	ktap_check "the new module loads" modprobe fastboot
	ktap_check "it is not the old one" new_is_loaded
	ktap_check "status: boot 2, reason update" \
		fb_status_has '"boot":{"count":2,"reason":"update"}'
	ktap_check "the old module's store: no big tables, 384 objects" \
		small_tables
	ktap_check "status says how to upgrade" \
		sh -c 'fastboot status | grep -q "format --upgrade"'
	ktap_check "objects from the old module intact" fb_verify_all
	ktap_check "new module: put 64 KiB into the old layout" \
		fb_put_random newer 65536
	fastboot rm one
	sed -i '/ one$/d' "$FB_STATE/sums"
	ktap_check "new module: rm and put again" fb_put_random one 7
	ktap_check "no kernel warnings" dmesg_clean
	next_stage
}

stage_3() {
	ktap_check "the old module loads again" old_load
	ktap_check "it is the old module" old_is_loaded
	ktap_check "old module: boot 3, reason update" \
		fb_status_has '"boot":{"count":3,"reason":"update"}'
	ktap_check "old module: every object intact, the new module's too" \
		fb_verify_all
	ktap_check "old module unloads" rmmod fastboot

	ktap_check "the new module loads" modprobe fastboot
	ktap_check "format --upgrade" fastboot format --upgrade
	ktap_check "big tables now, more than 384 objects" big_tables
	ktap_check "objects intact after the upgrade" fb_verify_all
	ktap_check "a second upgrade is a no-op" fastboot format --upgrade
	_i=0
	while [ $_i -lt 400 ]; do
		echo "$_i" | fastboot put "many$_i" - || break
		_i=$((_i + 1))
	done
	ktap_check "400 more objects (more than the old module's 384)" \
		test "$(fb_json_num objects)" -ge 405
	_gen=$(fb_json_num generation)
	ktap_check "new module unloads" rmmod fastboot
	dmesg -c >/dev/null

	ktap_check "the old module loads over the upgraded store" old_load
	ktap_check "old module: damaged, unsupported incompat features" \
		refused_by_old
	ktap_check "old module: put refused" fb_expect_fails fastboot put x /proc/version
	ktap_check "old module: format without --force refused" \
		fb_expect_fails fastboot format
	ktap_check "old module unloads" rmmod fastboot

	ktap_check "the new module loads again" modprobe fastboot
	ktap_check "re-attached in the same boot: the old module wrote nothing" \
		sh -c 'dmesg | grep -q "store re-attached in the same boot"'
	ktap_check "generation $_gen as before the old module" \
		test "$(fb_json_num generation)" = "$_gen"
	ktap_check "no fallback" fb_status_has '"fallback":false'
	ktap_check "every object intact" fb_verify_all
	ktap_check "objects counted as before" \
		test "$(fb_json_num objects)" -ge 405
	ktap_check "no kernel warnings" dmesg_clean
	# The panic notifier seals the store before the crash kernel runs.
	echo Y >/sys/module/kernel/parameters/crash_kexec_post_notifiers
	panic_to_next_stage
}

stage_4() {
	ktap_check "module loads (crash kernel)" modprobe fastboot
	ktap_check "status: reason crash" fb_status_has '"reason":"crash"'
	ktap_check "big tables kept" fb_status_has '"big_tables":true'
	ktap_check "every object intact" fb_verify_all
	ktap_check "no kernel warnings" dmesg_clean
}
