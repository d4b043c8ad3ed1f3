#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The host integration files in packaging/, without installing them:
#   - shellcheck clean; the initramfs-tools scripts answer "prereqs";
#   - the GRUB fragment (grub/fastboot.cfg) sourced as grub-mkconfig does
#     (sh -e, GRUB_CMDLINE_LINUX set) with sample configurations: the words
#     it appends, '$' escaped for grub.cfg, the same as `fastboot setup`
#     says; nothing for an empty region, a removed tool or a value with
#     shell syntax (never run); no variable of its own left behind;
#   - the kernel hook (kernel/zz-fastboot) with a stand-in tool and logger:
#     runs once per kernel operation, warns with the image and the reason on
#     stderr and in syslog, always exits 0;
#   - the init-top script with a stand-in modprobe: loads the module only
#     when a region is configured, logs one kernel log line, exits 0 when
#     modprobe fails; with fastboot.byref= (stand-in tool, reboot, panic):
#     runs fastboot boot, and when that or the module fails never boots
#     on: FASTBOOT_BOOT_FALLBACK firmware (reboot -f) or shell (panic);
#   - the init-bottom script: moves the mounts under /run/fastboot/mnt onto
#     the root (stand-in mount), the fallback when a directory is missing;
#   - mkinitramfs with the hook (when initramfs-tools and a kernel's
#     modules are here): the initrd is made although fastboot.ko is not
#     built for that kernel, and carries the tool, the region and the
#     script.  (selftests/deb-check.sh does it with the module, installed.)
# The scripts run from copies whose paths (/usr/sbin/fastboot,
# /etc/default/fastboot, /scripts/functions, ...) point into a scratch
# directory, as the Makefile rewrites them for another PREFIX.
# KTAP-style lines, closing "N passed, N failed".
#
# Usage: selftests/hostfiles-check.sh [KVER]
# shellcheck disable=SC2016 # single-quoted $ in samples and stand-ins are literal
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
KVER=${1:-${KVER:-6.1.0-56-amd64}}
TOOL=$top/tools/fastboot/fastboot
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
n=0 f=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() {
	n=$((n + 1)); f=$((f + 1)); echo "not ok $n $1"
	if [ -n "${2:-}" ] && [ -s "$2" ]; then sed 's/^/#   /' "$2" | tail -n 20; fi
}
check() { local desc=$1; shift; if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }

echo "KTAP version 1"
scripts="packaging/initramfs-tools/hooks/fastboot packaging/initramfs-tools/scripts/init-top/fastboot
	packaging/initramfs-tools/scripts/init-bottom/fastboot packaging/initramfs-tools/scripts/fastboot-functions
	packaging/kernel/zz-fastboot packaging/grub/fastboot.cfg"
if command -v shellcheck >/dev/null 2>&1; then
	for s in $scripts; do
		if shellcheck -s sh "$s" >"$t/log" 2>&1; then
			ok "shellcheck $s"
		else
			not_ok "shellcheck $s" "$t/log"
		fi
	done
else
	skip "shellcheck the scripts" "no shellcheck"
fi
for s in packaging/initramfs-tools/hooks/fastboot packaging/initramfs-tools/scripts/init-top/fastboot \
	packaging/initramfs-tools/scripts/init-bottom/fastboot; do
	check "$s prereqs: prints its (empty) PREREQ and exits 0" \
		test "$(sh "$s" prereqs; echo "rc=$?")" = "$(printf '\nrc=0')"
done

# --- the GRUB fragment -------------------------------------------------------
conf=$t/default-fastboot
sed -e "s|/etc/default/fastboot|$conf|g" -e "s|/usr/sbin/fastboot|$TOOL|g" \
	packaging/grub/fastboot.cfg >"$t/fastboot.cfg"
sed -e "s|/etc/default/fastboot|$conf|g" -e "s|/usr/sbin/fastboot|$t/no-such-tool|g" \
	packaging/grub/fastboot.cfg >"$t/fastboot-removed.cfg"
# grub CFG [BEFORE]: GRUB_CMDLINE_LINUX after sourcing CFG as grub-mkconfig
# does (sh -e), on stdout; the fragment's stderr in $t/grub.err; the
# variables other than GRUB_CMDLINE_LINUX, before and after, in
# $t/vars.before and $t/vars.after.
grub() {
	GRUB_CMDLINE_LINUX=${2-quiet} sh -ec '
		set | grep -v "^GRUB_CMDLINE_LINUX=" >"$2/vars.before"
		. "$1"
		set | grep -v "^GRUB_CMDLINE_LINUX=" >"$2/vars.after"
		printf "%s\n" "$GRUB_CMDLINE_LINUX"' sh "$1" "$t" 2>"$t/grub.err"
}
R='memmap=256M\$0x40000000 fastboot.region=256M@0x40000000'
printf '# sample\nFASTBOOT_REGION=256M@0x40000000\nFASTBOOT_CRASHKERNEL=384M\nFASTBOOT_ARM=no\n' >"$conf"
got=$(grub "$t/fastboot.cfg")
check "grub: region and crash kernel: GRUB_CMDLINE_LINUX gets memmap=256M\\\$0x40000000 fastboot.region=... crashkernel=384M" \
	test "$got" = "quiet $R crashkernel=384M"
check "grub: nothing leaks into grub-mkconfig's shell (no variable set or changed but GRUB_CMDLINE_LINUX)" \
	cmp -s "$t/vars.before" "$t/vars.after"
check "grub: no FASTBOOT_* variable reaches grub-mkconfig" \
	sh -c "! grep -q FASTBOOT_ '$t/vars.after'"
line=$(GRUB_CMDLINE_LINUX=$got sh -c 'echo "	linux	/vmlinuz root=/dev/vda ro ${GRUB_CMDLINE_LINUX}"')
check "grub: the linux line 10_linux echoes into grub.cfg has memmap=256M\\\$0x40000000 (GRUB reads \\\$ as \$)" \
	sh -c "printf '%s\n' '$line' | grep -qF 'memmap=256M\\\$0x40000000 fastboot.region'"
setup_cfg=$("$TOOL" setup --config "$conf" --region 256M@0x40000000 --json 2>/dev/null |
	sed -n 's/.*"grub_cfg":"\([^"]*\)".*/\1/p' | sed 's/\\\\/\\/g')
check "grub: fastboot setup --json says the same words (grub_cfg: $setup_cfg)" \
	test "quiet $setup_cfg" = "$got"
got=$(grub "$t/fastboot.cfg" "")
check "grub: an empty GRUB_CMDLINE_LINUX gets the words without a leading blank" \
	test "$got" = "$R crashkernel=384M"
printf 'export FASTBOOT_REGION="1G@0x100000000" # quoted\nFASTBOOT_CRASHKERNEL=\n' >"$conf"
got=$(grub "$t/fastboot.cfg")
check "grub: a quoted, exported value; FASTBOOT_CRASHKERNEL empty: no crashkernel=" \
	test "$got" = 'quiet memmap=1G\$0x100000000 fastboot.region=1G@0x100000000'
printf "FASTBOOT_REGION='256M@0x40000000'\nFASTBOOT_REGION=512M@0x80000000\n" >"$conf"
got=$(grub "$t/fastboot.cfg")
check "grub: the last assignment wins, as in sh" \
	test "$got" = 'quiet memmap=512M\$0x80000000 fastboot.region=512M@0x80000000'
printf 'FASTBOOT_REGION=256M@0x40000000\nFASTBOOT_CRASHKERNEL=384M\n' >"$conf"
got=$(grub "$t/fastboot.cfg" "quiet crashkernel=512M $R")
check "grub: words GRUB_CMDLINE_LINUX has already are not added twice (crashkernel=: any value)" \
	test "$got" = "quiet crashkernel=512M $R"
printf 'FASTBOOT_REGION=\nFASTBOOT_CRASHKERNEL=384M\n' >"$conf"
got=$(grub "$t/fastboot.cfg")
check "grub: FASTBOOT_REGION empty: nothing added (not even crashkernel=)" test "$got" = quiet
rm -f "$conf"
got=$(grub "$t/fastboot.cfg")
check "grub: no /etc/default/fastboot: nothing added, no error" \
	test "$got" = quiet -a ! -s "$t/grub.err"
printf 'FASTBOOT_REGION=256M@0x40000000\n' >"$conf"
got=$(grub "$t/fastboot-removed.cfg")
check "grub: fastboot removed (the fragment, a conffile, left): nothing added" test "$got" = quiet
i=0
# shellcheck disable=SC2016 # the values are meant to reach the fragment unexpanded
for v in '256M@0x4$(touch PWNED)' '"256M@0x4`touch PWNED`"' "'256M@0x40000000;touch PWNED'" \
	'"256M@0x40000000 init=/bin/sh"' '256M$0x40000000' '256M@@0x40000000' '@0x40000000' \
	'"256M@0x4\$0"' '256M@0x4000000{0}'; do
	i=$((i + 1))
	printf 'FASTBOOT_REGION=%s\n' "$v" >"$conf"
	got=$(cd "$t" && grub "$t/fastboot.cfg")
	check "grub: FASTBOOT_REGION=$v is refused: nothing added, a warning, nothing run" \
		sh -c "test '$got' = quiet && grep -q 'fastboot.cfg: warning: FASTBOOT_REGION=' '$t/grub.err' && ! test -e '$t/PWNED'"
	check "grub: ... and fastboot setup --json agrees (no words)" \
		sh -c "'$TOOL' setup --config '$conf' --region 256M@0x40000000 --json | grep -q '\"words\":\"\"'"
done
printf 'FASTBOOT_REGION=256M@0x40000000\nFASTBOOT_CRASHKERNEL="384M $(touch PWNED)"\n' >"$conf"
got=$(cd "$t" && grub "$t/fastboot.cfg")
check "grub: a FASTBOOT_CRASHKERNEL with shell syntax: the region only, a warning, nothing run" \
	sh -c "test '$got' = 'quiet $R' && grep -q 'FASTBOOT_CRASHKERNEL' '$t/grub.err' && ! test -e '$t/PWNED'"
printf 'FASTBOOT_REGION=256M@0x40000000\nFASTBOOT_CRASHKERNEL=512M-2G:64M,2G-:128M\n' >"$conf"
got=$(grub "$t/fastboot.cfg")
check "grub: crashkernel= ranges (512M-2G:64M,2G-:128M) are taken" \
	test "$got" = "quiet $R crashkernel=512M-2G:64M,2G-:128M"

# --- the kernel hook ----------------------------------------------------------
mkdir -p "$t/bin" "$t/postinst.d" "$t/postrm.d"
cat >"$t/bin/fastboot" <<'EOT'
#!/bin/sh
echo "$*" >>"$FAKE_DIR/tool.calls"
if [ -e "$FAKE_DIR/tool.fails" ]; then
	echo "fastboot: update: FASTBOOT_IMAGE is unset in /etc/default/fastboot: the default image, /vmlinuz + /initrd.img with the running command line" >&2
	echo "fastboot: reading /vmlinuz (7.9 MiB)..." >&2
	echo "fastboot: warning: the command line has no memmap=; the new kernel may use the store's memory as RAM" >&2
	echo "fastboot: image: the initramfs carries no fastboot.ko: the store could not be re-attached after the reboot (--force boots it anyway)" >&2
	exit 1
fi
exit 0
EOT
printf '#!/bin/sh\necho "$*" >>"$FAKE_DIR/logger.calls"\n' >"$t/bin/logger"
chmod +x "$t/bin/fastboot" "$t/bin/logger"
for d in postinst.d postrm.d; do
	sed -e "s|/usr/sbin/fastboot|$t/bin/fastboot|g" -e "s|/etc/default/fastboot|$conf|g" \
		packaging/kernel/zz-fastboot >"$t/$d/zz-fastboot"
	chmod +x "$t/$d/zz-fastboot"
done
# hook DIR MODE: run DIR/zz-fastboot as the kernel package does; its
# stderr in $t/hook.err, its exit status in $t/hook.rc.
hook() {
	rm -f "$t/tool.calls" "$t/logger.calls"
	FAKE_DIR=$t PATH=$t/bin:$PATH DEB_MAINT_PARAMS="$2" \
		"$t/$1/zz-fastboot" 6.1.0-99-amd64 /boot/vmlinuz-6.1.0-99-amd64 2>"$t/hook.err"
	echo $? >"$t/hook.rc"
}
printf 'FASTBOOT_REGION=256M@0x40000000\n' >"$conf"
hook postinst.d "'configure'"
check "kernel hook: postinst configure runs fastboot update --dry-run" \
	test "$(cat "$t/tool.calls" 2>/dev/null)" = "update --dry-run"
check "kernel hook: the image valid: exit 0, says so" \
	sh -c "test \$(cat '$t/hook.rc') = 0 && grep -q 'kernel 6.1.0-99-amd64 installed: the default production image /vmlinuz + /initrd.img is valid' '$t/hook.err'"
touch "$t/tool.fails"
hook postinst.d "'configure'"
check "kernel hook: the image not valid: still exit 0" test "$(cat "$t/hook.rc")" = 0
check "kernel hook: a warning naming the kernel, the image and the reason (not the tool's progress)" \
	sh -c "grep -q \"^fastboot: warning: after kernel 6.1.0-99-amd64 was installed, 'fastboot update' cannot boot the default production image /vmlinuz + /initrd.img: image: the initramfs carries no fastboot.ko\" '$t/hook.err' &&
		! grep -q 'reading /vmlinuz' '$t/hook.err'"
check "kernel hook: the same warning in syslog (logger -p daemon.warning)" \
	grep -q "^-t fastboot -p daemon.warning -- warning: after kernel 6.1.0-99-amd64 was installed, .*no fastboot.ko" "$t/logger.calls"
printf 'FASTBOOT_IMAGE="/etc/fastboot/prod.manifest"\n' >"$conf"
hook postrm.d "'remove'"
check "kernel hook: postrm remove runs, names FASTBOOT_IMAGE's manifest" \
	sh -c "test \$(cat '$t/hook.rc') = 0 && grep -q 'was removed, .*cannot boot the production image /etc/fastboot/prod.manifest (FASTBOOT_IMAGE)' '$t/hook.err'"
dirs=(postinst.d postinst.d postrm.d postrm.d)
modes=("'upgrade'" "'abort-upgrade' '6.1.0-98-amd64'" "'purge'" "'upgrade' '6.1.0-99-amd64'")
for i in 0 1 2 3; do
	hook "${dirs[$i]}" "${modes[$i]}"
	check "kernel hook: ${dirs[$i]} with ${modes[$i]}: does nothing (runs once per operation)" \
		sh -c "test \$(cat '$t/hook.rc') = 0 && ! test -e '$t/tool.calls'"
done
hook postinst.d ""
check "kernel hook: without DEB_MAINT_PARAMS (run by hand): runs" test -e "$t/tool.calls"
# Debian's linux-image postinst passes DEB_MAINT_PARAMS="$*", unquoted.
hook postinst.d "configure 6.1.0-98-amd64"
check "kernel hook: DEB_MAINT_PARAMS=\"configure 6.1.0-98-amd64\" (as linux-image's postinst sets it): runs" \
	test -e "$t/tool.calls"
rm "$t/bin/fastboot"
hook postinst.d "'configure'"
check "kernel hook: fastboot removed (the hook, a conffile, left): exit 0, silent" \
	test "$(cat "$t/hook.rc")" = 0 -a ! -s "$t/hook.err"

# --- the init-top script -------------------------------------------------------
cat >"$t/bin/modprobe" <<'EOT'
#!/bin/sh
echo "$*" >>"$FAKE_DIR/modprobe.calls"
if [ -e "$FAKE_DIR/modprobe.fails" ]; then
	echo "modprobe: ERROR: could not insert 'fastboot': Device or resource busy" >&2
	exit 1
fi
EOT
chmod +x "$t/bin/modprobe"
cat >"$t/functions" <<'EOT'
log_warning_msg() { echo "W: $*" >&2; }
log_failure_msg() { echo "E: $*" >&2; }
panic() { echo "PANIC: $*" >&2; echo "$*" >"$FAKE_DIR/panic"; }
sleep() { :; }
EOT
# stand-ins for the tool (fastboot boot), reboot and mount
cat >"$t/bin/fastboot" <<'EOT'
#!/bin/sh
echo "$*" >>"$FAKE_DIR/fastboot.calls"
if [ -e "$FAKE_DIR/boot.fails" ]; then
	echo "fastboot: boot: apps: b:3f5a is corrupted: its SHA-256 does not match the image record; refusing to boot a partial image" >&2
	exit 1
fi
echo "fastboot: boot: img.2: 2 modules in place under / (16.0 MiB read from the store, SHA-256 checked; 3 entries; 1 mounted, verified as read) in 0.20 s"
EOT
printf '#!/bin/sh\necho "$*" >>"$FAKE_DIR/reboot.calls"\n' >"$t/bin/reboot"
printf '#!/bin/sh\necho "$*" >>"$FAKE_DIR/mount.calls"\n' >"$t/bin/mount"
chmod +x "$t/bin/fastboot" "$t/bin/reboot" "$t/bin/mount"
# the scripts as installed, their paths pointing into $t
ifsed() {
	sed -e "s|/scripts/functions|$t/functions|" -e "s|/scripts/fastboot-functions|$t/fastboot-functions|" \
		-e "s|/conf/fastboot.conf|$t/fastboot.conf|g" -e "s|/proc/cmdline|$t/cmdline|" \
		-e "s|/proc/mounts|$t/mounts|" -e "s|/proc/sysrq-trigger|$t/sysrq|" \
		-e "s|/dev/kmsg|$t/kmsg|g" -e "s|/usr/sbin/fastboot|$t/bin/fastboot|g" \
		-e "s|/run/fastboot|$t/run/fastboot|g" "$1"
}
ifsed packaging/initramfs-tools/scripts/fastboot-functions >"$t/fastboot-functions"
ifsed packaging/initramfs-tools/scripts/init-top/fastboot >"$t/init-top"
ifsed packaging/initramfs-tools/scripts/init-bottom/fastboot >"$t/init-bottom"
# inittop REGION OPTIONS CMDLINE [FALLBACK]: run it; calls in
# $t/{modprobe,fastboot,reboot}.calls, a panic's message in $t/panic.
inittop() {
	rm -f "$t/modprobe.calls" "$t/fastboot.calls" "$t/reboot.calls" "$t/panic" "$t/sysrq"
	: >"$t/kmsg"
	printf '# hook\nregion=%s\noptions_region=%s\nboot_fallback=%s\n' "$1" "$2" "${4:-}" >"$t/fastboot.conf"
	printf '%s\n' "$3" >"$t/cmdline"
	FAKE_DIR=$t PATH=$t/bin:$PATH sh "$t/init-top" 2>"$t/init.err"
	echo $? >"$t/init.rc"
}
inittop "" no "root=/dev/vda ro quiet"
check "init-top: no region configured: modprobe not run, exit 0, silent" \
	sh -c "test \$(cat '$t/init.rc') = 0 && ! test -e '$t/modprobe.calls' && ! test -s '$t/kmsg'"
inittop 256M@0x40000000 no "root=/dev/vda ro quiet"
check "init-top: FASTBOOT_REGION: modprobe fastboot region=256M@0x40000000" \
	test "$(cat "$t/modprobe.calls" 2>/dev/null)" = "fastboot region=256M@0x40000000"
check "init-top: ... and one kernel log line saying so" \
	test "$(cat "$t/kmsg")" = "<5>fastboot-initramfs: loaded the fastboot module, region=256M@0x40000000 (FASTBOOT_REGION)"
inittop "" no "root=/dev/vda fastboot.region=256M@0x40000000 memmap=256M\$0x40000000"
check "init-top: fastboot.region= on the command line: modprobe fastboot (it passes the option)" \
	sh -c "test \"\$(cat '$t/modprobe.calls')\" = fastboot && grep -q 'fastboot.region= on the kernel command line' '$t/kmsg'"
inittop "" yes "root=/dev/vda"
check "init-top: an options line in modprobe.d: modprobe fastboot" \
	test "$(cat "$t/modprobe.calls" 2>/dev/null)" = fastboot
touch "$t/modprobe.fails"
inittop 256M@0x40000000 no "root=/dev/vda"
check "init-top: modprobe fails: exit 0 (the boot goes on)" test "$(cat "$t/init.rc")" = 0
check "init-top: ... an error line in the kernel log with modprobe's words, a console warning" \
	sh -c "grep -q '^<3>fastboot-initramfs: modprobe fastboot (region=256M@0x40000000 (FASTBOOT_REGION)) failed (exit 1: modprobe: ERROR: could not insert .fastboot.: Device or resource busy); booting on without the store' '$t/kmsg' &&
		grep -q '^W: fastboot: the module did not load' '$t/init.err'"
inittop 256M@0x40000000 no "root=/dev/vda fastboot.image=img.2"
check "init-top: no fastboot.byref= (the image is all in the initrd): fastboot boot not run" \
	test ! -e "$t/fastboot.calls"
rm -f "$t/modprobe.fails"
inittop 256M@0x40000000 no "root=/dev/vda fastboot.image=img.2 fastboot.byref=2"
check "init-top: fastboot.byref=2: the module, then fastboot boot --root / --mount-root /run/fastboot/mnt" \
	sh -c "test \"\$(cat '$t/fastboot.calls')\" = 'boot --root / --mount-root $t/run/fastboot/mnt' && test -s '$t/modprobe.calls'"
check "init-top: ... exit 0, its line in the kernel log, no reboot" \
	sh -c "test \$(cat '$t/init.rc') = 0 && grep -q '^<5>fastboot-initramfs: fastboot: boot: img.2: 2 modules in place' '$t/kmsg' && ! test -e '$t/reboot.calls'"
touch "$t/boot.fails"
inittop 256M@0x40000000 no "root=/dev/vda fastboot.image=img.2 fastboot.byref=2"
check "init-top: fastboot boot fails: never boots on with part of the image: reboot -f (FASTBOOT_BOOT_FALLBACK default: firmware)" \
	sh -c "test \"\$(cat '$t/reboot.calls' 2>/dev/null)\" = -f && test \$(cat '$t/init.rc') != 0"
check "init-top: ... the kernel log and the console say why (its line)" \
	sh -c "grep -q '^<2>fastboot-initramfs: .*cannot be put in place: fastboot boot failed (exit 1): fastboot: boot: apps: b:3f5a is corrupted.*FASTBOOT_BOOT_FALLBACK=firmware' '$t/kmsg' &&
		grep -q '^E: fastboot: the image is incomplete: .*rebooting through the firmware' '$t/init.err'"
check "init-top: ... if reboot returns, the kernel's: sysrq b" test "$(cat "$t/sysrq" 2>/dev/null)" = b
inittop 256M@0x40000000 no "root=/dev/vda fastboot.image=img.2 fastboot.byref=2" shell
check "init-top: FASTBOOT_BOOT_FALLBACK=shell: initramfs-tools' panic (its rescue shell), no reboot" \
	sh -c "grep -q 'the image is incomplete: fastboot boot failed' '$t/panic' && ! test -e '$t/reboot.calls'"
rm -f "$t/boot.fails"
touch "$t/modprobe.fails"
inittop 256M@0x40000000 no "root=/dev/vda fastboot.image=img.2 fastboot.byref=2"
check "init-top: fastboot.byref= and the module does not load: the fallback, fastboot boot not run" \
	sh -c "test -s '$t/reboot.calls' && ! test -e '$t/fastboot.calls' && grep -q 'modprobe fastboot .* failed' '$t/kmsg'"
rm -f "$t/modprobe.fails"
inittop "" no "root=/dev/vda fastboot.image=img.2 fastboot.byref=1"
check "init-top: fastboot.byref= and no region configured in the initrd: the fallback" \
	sh -c "test -s '$t/reboot.calls' && grep -q 'no region is configured' '$t/kmsg'"

# --- the init-bottom script ----------------------------------------------------
mnt=$t/run/fastboot/mnt
# initbottom CMDLINE: run it with rootmnt=$t/root and $t/mounts
initbottom() {
	rm -f "$t/mount.calls" "$t/reboot.calls"
	: >"$t/kmsg"
	printf '%s\n' "$1" >"$t/cmdline"
	FAKE_DIR=$t PATH=$t/bin:$PATH rootmnt=$t/root sh "$t/init-bottom" 2>"$t/init.err"
	echo $? >"$t/init.rc"
}
mkdir -p "$t/root/opt/fs" "$t/root/usr/share/big"
printf '%s\n' "/dev/vda / ext4 ro 0 0" "/dev/fbv0 $mnt/opt/fs erofs ro 0 0" \
	"/dev/fbv1 $mnt/opt/fs/sub squashfs ro 0 0" "/dev/fbv2 $mnt/usr/share/big erofs ro 0 0" \
	"tmpfs /run tmpfs rw 0 0" >"$t/mounts"
initbottom "root=/dev/vda fastboot.image=img.2"
check "init-bottom: no fastboot.byref=: nothing moved, exit 0" \
	sh -c "test \$(cat '$t/init.rc') = 0 && ! test -e '$t/mount.calls'"
initbottom "root=/dev/vda fastboot.image=img.2 fastboot.byref=3"
check "init-bottom: each mount under /run/fastboot/mnt moved onto the root at its directory (one beneath another goes along)" \
	test "$(cat "$t/mount.calls" 2>/dev/null)" = "$(printf '%s\n' "-n -o move $mnt/opt/fs $t/root/opt/fs" "-n -o move $mnt/usr/share/big $t/root/usr/share/big")"
check "init-bottom: ... exit 0, one kernel log line" \
	sh -c "test \$(cat '$t/init.rc') = 0 && grep -qx '<5>fastboot-initramfs: moved 2 file system image(s) given by reference onto the root file system' '$t/kmsg'"
rmdir "$t/root/usr/share/big"
initbottom "root=/dev/vda fastboot.image=img.2 fastboot.byref=3"
check "init-bottom: a directory missing on the root: the fallback (reboot -f), saying which" \
	sh -c "test -s '$t/reboot.calls' && grep -q '/usr/share/big: no such directory on the root file system' '$t/kmsg'"

rm -f "$t/fastboot.conf" "$t/modprobe.calls"
printf 'root=/dev/vda\n' >"$t/cmdline"
FAKE_DIR=$t PATH=$t/bin:$PATH sh "$t/init-top" 2>/dev/null
check "init-top: an initrd without /conf/fastboot.conf: nothing done, exit 0" \
	sh -c "test $? = 0 && ! test -e '$t/modprobe.calls'"

# --- mkinitramfs with the hook ---------------------------------------------------
why=""
if ! command -v mkinitramfs >/dev/null 2>&1 || ! command -v lsinitramfs >/dev/null 2>&1; then
	why="no initramfs-tools"
elif [ ! -d "/lib/modules/$KVER/kernel" ]; then
	why="no /lib/modules/$KVER"
elif modinfo -k "$KVER" fastboot >/dev/null 2>&1; then
	why="fastboot.ko is installed for $KVER (selftests/deb-check.sh checks that case)"
fi
if [ -n "$why" ]; then
	skip "mkinitramfs with the hook" "$why"
else
	cd_=$t/initramfs-tools
	mkdir -p "$cd_/hooks" "$cd_/scripts/init-top" "$cd_/conf.d"
	sed 's/^MODULES=.*/MODULES=list/' /etc/initramfs-tools/initramfs.conf >"$cd_/initramfs.conf"
	: >"$cd_/modules"
	sed -e "s|/usr/sbin/fastboot|$TOOL|g" -e "s|/etc/default/fastboot|$conf|g" \
		packaging/initramfs-tools/hooks/fastboot >"$cd_/hooks/fastboot"
	mkdir -p "$cd_/scripts/init-bottom"
	cp packaging/initramfs-tools/scripts/init-top/fastboot "$cd_/scripts/init-top/fastboot"
	cp packaging/initramfs-tools/scripts/init-bottom/fastboot "$cd_/scripts/init-bottom/fastboot"
	cp packaging/initramfs-tools/scripts/fastboot-functions "$cd_/scripts/fastboot-functions"
	chmod +x "$cd_/hooks/fastboot" "$cd_/scripts/init-top/fastboot" "$cd_/scripts/init-bottom/fastboot"
	printf 'FASTBOOT_REGION="256M@0x40000000"\nFASTBOOT_BOOT_FALLBACK=shell\n' >"$conf"
	if mkinitramfs -d "$cd_" -o "$t/initrd.img" "$KVER" >"$t/mk.log" 2>&1; then
		ok "mkinitramfs $KVER with the hook, fastboot.ko not built for it: the initrd is made"
	else
		not_ok "mkinitramfs $KVER with the hook, fastboot.ko not built for it: the initrd is made" "$t/mk.log"
	fi
	check "mkinitramfs: the hook warned that $KVER has no fastboot.ko" \
		grep -q "W: fastboot: no fastboot.ko for kernel $KVER" "$t/mk.log"
	lsinitramfs "$t/initrd.img" >"$t/ls" 2>&1
	for p in usr/sbin/fastboot conf/fastboot.conf scripts/init-top/fastboot \
		scripts/init-bottom/fastboot scripts/fastboot-functions etc/fastboot/boot; do
		check "mkinitramfs: the initrd has /$p" grep -qx "$p" "$t/ls"
	done
	mkdir "$t/unpacked"
	unmkinitramfs "$t/initrd.img" "$t/unpacked" >/dev/null 2>&1
	cf=$(find "$t/unpacked" -path '*/conf/fastboot.conf' | head -n 1)
	check "mkinitramfs: /conf/fastboot.conf has region=256M@0x40000000" \
		grep -qx "region=256M@0x40000000" "${cf:-/dev/null}"
	check "mkinitramfs: ... and boot_fallback=shell (FASTBOOT_BOOT_FALLBACK)" \
		grep -qx "boot_fallback=shell" "${cf:-/dev/null}"
	bf=$(find "$t/unpacked" -path '*/etc/fastboot/boot' | head -n 1)
	check "mkinitramfs: /etc/fastboot/boot declares that this initrd runs fastboot boot" \
		grep -qx "fastboot-boot-protocol 1" "${bf:-/dev/null}"
	check "mkinitramfs: the initramfs init runs init-top/fastboot (ORDER lists it)" \
		sh -c "find '$t/unpacked' -path '*/scripts/init-top/ORDER' -exec grep -q 'init-top/fastboot' {} \;  -print | grep -q ."
fi

echo "$((n - f)) passed, $f failed"
[ "$f" -eq 0 ]
