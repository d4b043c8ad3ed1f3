#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-fleet`: Ansible rolls `fastboot update` through a fleet of
# three Debian 12 hosts of the host bed (scripts/mkhost.sh, made fleet
# hosts by selftests/fleet/customize.sh), each a QEMU/TCG VM with 1 GiB
# and sshd forwarded from 127.0.0.1 only (user-mode network, restrict=on:
# the guests reach nothing else, and nothing else is a target).  The
# collection is built and installed with ansible-galaxy; the plays are
# contrib/ansible/playbooks/rolling_update.yml, the admin guide's Fleets
# example, with Debian's ansible-core.
#
#   0. setup (ssh): format, a blob, a guest region; every host boots its
#      production image of release 1 (fastboot_update reboot=true)
#   1. --check --diff with release 2: nothing changes on any host
#   2. rolling update to release 2 (one module of three changed): one
#      host at a time, each back with reason update, the new image, its
#      store and guest region intact, only the site module read, armed
#   3. the same play again: nothing to do, no host reboots
#   4. release 3 with a failing health gate on the second host: the first
#      is updated, the second rolled back to release 2, the third never
#      touched, the play fails saying so
#
# Prints KTAP, then "N passed, N failed"; exits 1 on any failure.  Logs
# (consoles, plays) in build/fleet/.
# Env: FB_HOST_DEBS (as selftests/host/run.sh), FB_FLEET_TIMEOUT (seconds
#      for the whole run, default 2700), KVER, FB_HOST_CACHE
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 2
OUT=$TOP/build/fleet
TIMEOUT=${FB_FLEET_TIMEOUT:-2700}
REGION=128M@0x30000000
CRASHKERNEL=256M
PLAYBOOK=contrib/ansible/playbooks/rolling_update.yml
# RUNSIZE (the size of /run, set by the initramfs) of each site release,
# and what /proc/mounts shows for it.
declare -A RUNSIZE=([1]=64M [2]=72M [3]=80M)
declare -A RUNKB=([1]=65536k [2]=73728k [3]=81920k)

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n $1"
	if [ -n "${2:-}" ] && [ -s "$2" ]; then
		tail -n 25 "$2" | sed 's/^/#   /'
	fi
}
# check DESC CMD...: CMD's output goes to $OUT/last, shown on failure.
check() {
	local desc=$1
	shift
	if "$@" >"$OUT/last" 2>&1; then ok "$desc"; else not_ok "$desc" "$OUT/last"; fi
}
log() { echo "# $*"; }
finish() {
	echo "1..$n"
	log "fleet: $(($(date +%s) - T0)) s"
	echo "$((n - failed)) passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}
bail() {
	echo "Bail out! $*"
	not_ok "$*"
	finish
}

T0=$(date +%s)
echo "KTAP version 1"
mkdir -p "$OUT"
rm -rf "${OUT:?}"/{proto,collections,*.img,*.log,plays} "$OUT"/id_ed25519* "$OUT"/host_key*
mkdir -p "$OUT/plays"

# --- Keys, site modules, the hosts' image --------------------------------
ssh-keygen -q -t ed25519 -N '' -C fleet-controller -f "$OUT/id_ed25519" || bail "ssh-keygen"
ssh-keygen -q -t ed25519 -N '' -C fleet-host -f "$OUT/host_key" || bail "ssh-keygen"

# mksite RELEASE: the site module, as the admin guide builds it.
mksite() {
	local r=$1 d=$OUT/site-$1
	rm -rf "$d"
	mkdir -p "$d/conf/conf.d"
	printf '# fleet site configuration, release %s\nRUNSIZE=%s\n' "$r" "${RUNSIZE[$r]}" \
		>"$d/conf/conf.d/fleet-site"
	(cd "$d" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -n -9 >"$OUT/site-$r.cpio.gz"
}
for r in 1 2 3; do mksite "$r" || bail "building site module $r"; done

if [ -n "${FB_HOST_DEBS:-}" ]; then
	read -r -a debs <<<"$FB_HOST_DEBS"
else
	scripts/deb.sh >"$OUT/deb.log" 2>&1 || { tail -n 30 "$OUT/deb.log"; bail "make deb failed"; }
	debs=(build/deb/fastboot_*.deb build/deb/fastboot-dkms_*.deb)
fi
FB_HOST_STAGES=0 FB_HOST_REGION=$REGION FB_HOST_CRASHKERNEL=$CRASHKERNEL \
	FB_HOST_CUSTOMIZE=$TOP/selftests/fleet/customize.sh FLEET_DIR=$OUT \
	scripts/mkhost.sh "$OUT/proto" "${debs[@]}" >"$OUT/mkhost.log" 2>&1 ||
	{ tail -n 20 "$OUT/mkhost.log"; bail "scripts/mkhost.sh failed"; }
for i in 1 2 3; do
	cp --sparse=always "$OUT/proto/host.img" "$OUT/host$i.img" || bail "copying the host image"
done
log "hosts prepared in $(($(date +%s) - T0)) s"

# --- The collection -------------------------------------------------------
ansible-galaxy collection build contrib/ansible --output-path "$OUT" --force >"$OUT/galaxy.log" 2>&1 &&
	ansible-galaxy collection install -p "$OUT/collections" --force \
		"$OUT"/fastboot-fastboot-*.tar.gz >>"$OUT/galaxy.log" 2>&1
check "ansible-galaxy collection build and install" \
	test -f "$OUT/collections/ansible_collections/fastboot/fastboot/plugins/modules/fastboot_update.py"
check "the admin guide's Fleets playbook is $PLAYBOOK" selftests/fleet/doc-check.sh

# --- The VMs --------------------------------------------------------------
# Free ports on 127.0.0.1 (the kernel picks them; closed again at once).
read -r -a PORTS <<<"$(python3 -c '
import socket
s = [socket.socket() for _ in range(3)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')"
[ ${#PORTS[@]} -eq 3 ] || bail "no free ports"

VM_PIDS=()
# vm.sh runs qemu under timeout(1), in a process group of its own: TERM
# to timeout (vm.sh's child) stops qemu, then vm.sh.
stop_vms() {
	local p
	for p in "${VM_PIDS[@]}"; do
		pkill -TERM -P "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
}
trap stop_vms EXIT
for i in 1 2 3; do
	FB_VM_MEM=1G FB_VM_SMP=1 FB_VM_STORE_CMDLINE="$(cat "$OUT/proto/cmdline")" \
		setsid scripts/vm.sh --kernel "$OUT/proto/vmlinuz" --initrd "$OUT/proto/initrd.img" \
		--disk "$OUT/host$i.img" --log "$OUT/console$i.log" --timeout "$TIMEOUT" \
		--append "root=/dev/vda rw systemd.hostname=fleet$i" \
		-- -nic "user,model=virtio-net-pci,restrict=on,hostfwd=tcp:127.0.0.1:${PORTS[$((i - 1))]}-:22" &
	VM_PIDS+=($!)
done

: >"$OUT/known_hosts"
{
	echo "[fleet]"
	for i in 1 2 3; do
		echo "fleet$i ansible_host=127.0.0.1 ansible_port=${PORTS[$((i - 1))]}"
		echo "[127.0.0.1]:${PORTS[$((i - 1))]} $(cut -d' ' -f1,2 "$OUT/host_key.pub")" >>"$OUT/known_hosts"
	done
	echo
	echo "[fleet:vars]"
	echo "ansible_user=root"
	echo "ansible_ssh_private_key_file=$OUT/id_ed25519"
	echo "ansible_ssh_common_args='-o UserKnownHostsFile=$OUT/known_hosts -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o ServerAliveInterval=5 -o ServerAliveCountMax=6'"
	echo "ansible_python_interpreter=/usr/bin/python3"
	echo "ansible_pipelining=true"
} >"$OUT/inventory"

export ANSIBLE_COLLECTIONS_PATH=$OUT/collections ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 \
	ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCAL_TEMP=$OUT/tmp \
	ANSIBLE_SSH_CONTROL_PATH_DIR=$OUT/cp ANSIBLE_HOME=$OUT/ansible-home

# on HOST CMD: run CMD on fleetN (HOST is 1, 2 or 3) as root over ssh.
on() {
	local h=$1
	shift
	ssh -q -p "${PORTS[$((h - 1))]}" -i "$OUT/id_ed25519" -o IdentitiesOnly=yes \
		-o UserKnownHostsFile="$OUT/known_hosts" -o StrictHostKeyChecking=yes \
		-o ConnectTimeout=10 -o ServerAliveInterval=5 -o ServerAliveCountMax=6 \
		-o BatchMode=yes root@127.0.0.1 "$@"
}
# wait_up HOST [OLD_BOOT_ID]: ssh answers (with another boot id).
wait_up() {
	local h=$1 old=${2:-} end=$(($(date +%s) + 900)) id
	while [ "$(date +%s)" -lt "$end" ]; do
		id=$(on "$h" 'systemctl is-system-running --wait >/dev/null; cat /proc/sys/kernel/random/boot_id' 2>/dev/null)
		if [ -n "$id" ] && [ "$id" != "$old" ]; then
			return 0
		fi
		sleep 5
	done
	echo "fleet$h: no ssh (with a new boot id) after 900 s"
	return 1
}
boot_id() { on "$1" cat /proc/sys/kernel/random/boot_id; }
# fb HOST EXPR: a field of fastboot status --json on HOST (python3 there).
fb() {
	on "$1" "fastboot status --json" |
		python3 -c "import json,sys; s=json.load(sys.stdin); print($2)"
}
runsize() { on "$1" "awk '\$2 == \"/run\" { print \$4 }' /proc/mounts" | tr ',' '\n' | sed -n 's/^size=//p'; }
site_sha() { on "$1" sha256sum /srv/fastboot/site.cpio.gz | cut -d' ' -f1; }
# is_at HOST IMAGE RELEASE: booted by an update into IMAGE, with RELEASE's /run.
is_at() {
	local got
	got="$(fb "$1" 's["boot"]["reason"] + " " + s.get("image", "")') $(runsize "$1")"
	echo "fleet$1: $got"
	[ "$got" = "update $2 ${RUNKB[$3]}" ]
}
# new_image HOST OLD: an image other than OLD, which the kernel agrees on.
new_image() {
	local img
	img=$(fb "$1" 's.get("image", "")')
	echo "fleet$1: image '$img' (was '$2')"
	[ -n "$img" ] && [ "$img" != "$2" ] && ! on "$1" 'fastboot status --json' | grep -q image_mismatch
}
journal_has() { on "$1" 'journalctl -t fastboot -o cat' | grep -q -- "$2"; }
objects_intact() {
	on "$1" 'fastboot get blob | sha256sum | cut -d" " -f1 | grep -qx "$(cat /var/lib/fleet/blob.sha)" &&
		cmp -n 4194304 "$(fastboot guest path vm0)" /var/lib/fleet/pattern'
}
# stamp: each line with the time, for plays/*.time.
stamp() { while IFS= read -r l; do printf '%(%T)T %s\n' -1 "$l"; done; }
# play NAME ARGS...: ansible-playbook PLAYBOOK ARGS, output in plays/NAME
# (and with times in plays/NAME.time).
play() {
	local name=$1
	shift
	log "ansible-playbook -i inventory $PLAYBOOK $*"
	ansible-playbook -i "$OUT/inventory" "$PLAYBOOK" "$@" 2>&1 |
		tee "$OUT/plays/$name" | stamp >"$OUT/plays/$name.time"
	return "${PIPESTATUS[0]}"
}
# The hosts named by the play's task results, in order, each once per run.
host_runs() {
	sed -n 's/^\(ok\|changed\|skipping\|fatal\|failed\): \[\(fleet[0-9]\)\].*/\2/p' "$1" | uniq | tr '\n' ' '
}

for i in 1 2 3; do
	check "fleet$i: sshd answers on 127.0.0.1:${PORTS[$((i - 1))]}" wait_up "$i"
done
[ "$failed" -eq 0 ] || bail "the hosts did not come up"
log "hosts up at $(($(date +%s) - T0)) s"

# --- 0. Setup -------------------------------------------------------------
for i in 1 2 3; do
	check "fleet$i: format, a blob, a guest region" on "$i" 'set -e
		fastboot status | grep -q "^state: *unformatted"
		fastboot format
		mkdir -p /var/lib/fleet
		head -c 1M /dev/urandom >/var/lib/fleet/blob
		fastboot put blob /var/lib/fleet/blob
		sha256sum /var/lib/fleet/blob | cut -d" " -f1 >/var/lib/fleet/blob.sha
		fastboot guest create vm0 16M
		head -c 4M /dev/urandom >/var/lib/fleet/pattern
		dd if=/var/lib/fleet/pattern of="$(fastboot guest path vm0)" bs=1M conv=notrunc status=none'
done
declare -A BID
for i in 1 2 3; do BID[$i]=$(boot_id "$i"); done
log "ansible fleet -m fastboot.fastboot.fastboot_update -a reboot=true"
check "every host loads release 1 (fastboot_update reboot=true, all at once)" \
	ansible fleet -i "$OUT/inventory" -m fastboot.fastboot.fastboot_update -a reboot=true
for i in 1 2 3; do
	check "fleet$i: back from the kexec" wait_up "$i" "${BID[$i]}"
	check "fleet$i: reason update, image img.1, /run of release 1" is_at "$i" img.1 1
done
[ "$failed" -eq 0 ] || bail "setup failed"
log "setup done at $(($(date +%s) - T0)) s"

# state HOST: boot id, image, boot count, next image, armed, site sha.
state() {
	echo "$(boot_id "$1") $(fb "$1" '"%s %s next=%s armed=%s" % (s.get("image", "-"), s["boot"]["count"], s.get("next_image", ""), s["armed"])') $(site_sha "$1")"
}
field() { echo "$1" | cut -d' ' -f"$2"; }

# --- 1. Check mode --------------------------------------------------------
declare -A S0
for i in 1 2 3; do S0[$i]=$(state "$i"); done
if play check --check --diff -e "fleet_site_module=$OUT/site-2.cpio.gz"; then
	ok "--check --diff with release 2 succeeds"
else
	not_ok "--check --diff with release 2 succeeds" "$OUT/plays/check"
fi
# The copy is not made in check mode, so each host's dry run finds the
# image it runs.
check "--check: each host's dry run ran, finding the image it runs" \
	test "$(grep -c 'fleet[123]: already running this image (img\.1)' "$OUT/plays/check")" = 3
for i in 1 2 3; do
	check "fleet$i: --check changed nothing (boot, image, nothing loaded, not armed, site module)" \
		test "$(state "$i")" = "${S0[$i]}"
done

# --- 2. Rolling update to release 2 ---------------------------------------
declare -A S1
for i in 1 2 3; do S1[$i]=$(state "$i"); done
t=$(date +%s)
if play roll2 -e "fleet_site_module=$OUT/site-2.cpio.gz"; then
	ok "rolling update to release 2 succeeds"
else
	not_ok "rolling update to release 2 succeeds" "$OUT/plays/roll2"
fi
log "rolling update of 3 hosts: $(($(date +%s) - t)) s"
check "the play ran one host at a time (fleet1, then fleet2, then fleet3)" \
	test "$(host_runs "$OUT/plays/roll2")" = "fleet1 fleet2 fleet3 "
for i in 1 2 3; do
	check "fleet$i: rebooted" test "$(boot_id "$i")" != "$(field "${S1[$i]}" 1)"
	check "fleet$i: a new image, the kernel agrees" new_image "$i" "$(field "${S1[$i]}" 2)"
	img=$(fb "$i" 's.get("image", "")')
	check "fleet$i: boot reason update, $img, /run sized by release 2's site module" is_at "$i" "$img" 2
	check "fleet$i: only the site module was read, kernel and base reused" \
		journal_has "$i" "^update to $img (1 modules read, 2 reused"
	check "fleet$i: blob and guest region intact" objects_intact "$i"
	check "fleet$i: crash recovery armed" test "$(fb "$i" 's["armed"]')" = True
done

# --- 3. The same play again: nothing to do --------------------------------
declare -A S2
for i in 1 2 3; do S2[$i]=$(state "$i"); done
if play again -e "fleet_site_module=$OUT/site-2.cpio.gz"; then
	ok "the same play again succeeds"
else
	not_ok "the same play again succeeds" "$OUT/plays/again"
fi
check "... loading nothing" grep -q 'already running this image' "$OUT/plays/again"
for i in 1 2 3; do
	check "fleet$i: not rebooted, same image" test "$(state "$i" | cut -d' ' -f1,2)" = "$(field "${S2[$i]}" 1-2)"
done

# --- 3b. The module alone, in check mode, with a changed module ----------
# fleet1 gets release 3's site module now (step 4's play copies the same
# content again): the dry run reads it, --diff shows the change, nothing
# is loaded.
put_site() { on "$1" 'cat >/srv/fastboot/site.cpio.gz' <"$OUT/site-$2.cpio.gz"; }
check "fleet1: release 3's site module written" put_site 1 3
S=$(state 1)
log "ansible fleet1 -m fastboot.fastboot.fastboot_update --check --diff"
ansible fleet1 -i "$OUT/inventory" -m fastboot.fastboot.fastboot_update --check --diff \
	>"$OUT/plays/module-check" 2>&1
check "fastboot_update --check --diff: changed" grep -q '^fleet1 | CHANGED' "$OUT/plays/module-check"
check "... would read the site module only" grep -q \
	'would load img\.[0-9]* (read [0-9]* bytes: site; reused [0-9.]* MiB: kernel, base)' "$OUT/plays/module-check"
check "... --diff shows the new site module" grep -q \
	"^+initrd site $(sha256sum "$OUT/site-3.cpio.gz" | cut -c1-64) /srv/fastboot/site.cpio.gz" "$OUT/plays/module-check"
check "fleet1: nothing loaded, not rebooted" test "$(state 1 | cut -d' ' -f1-5)" = "$(field "$S" 1-5)"

# A failure comes back as failed, with the tool's own message.
ansible fleet1 -i "$OUT/inventory" -m fastboot.fastboot.fastboot_update \
	-a image=/nonexistent.manifest >"$OUT/plays/module-error" 2>&1
check "fastboot_update with a missing manifest: failed, with the tool's message" grep -q \
	'"msg": "fastboot: /nonexistent.manifest: No such file or directory"' "$OUT/plays/module-error"

# --- 4. Release 3, a failing health gate on fleet2 -----------------------
# fleet2 gets a service that fails at its next boot: after the update
# systemctl is-system-running (the play's health check) says "degraded".
check "fleet2: a service that fails at the next boot" on 2 'set -e
	printf "[Unit]\nDescription=fails at boot (make check-fleet)\n[Service]\nType=oneshot\nExecStart=/bin/false\n[Install]\nWantedBy=multi-user.target\n" >/etc/systemd/system/fleet-broken.service
	systemctl enable fleet-broken.service'
declare -A S3
for i in 1 2 3; do S3[$i]=$(state "$i"); done
t=$(date +%s)
if play roll3 -e "fleet_site_module=$OUT/site-3.cpio.gz"; then
	not_ok "the play with a failing health gate on fleet2 fails" "$OUT/plays/roll3"
else
	ok "the play with a failing health gate on fleet2 fails"
fi
log "rolling update with a rollback: $(($(date +%s) - t)) s"
check "it says why, and that it rolled back and stopped" grep -q \
	'fastboot_rolling_update: fleet2 failed after the update to img\.[0-9]* (.*Health check (command).*degraded.*); rolled back to the previous image, now running as img\.[0-9]*; the rollout stops here' \
	"$OUT/plays/roll3"
check "fleet3 appears in no task of the play" sh -c "! grep -q 'fleet3' '$OUT/plays/roll3'"
check "fleet1: rebooted" test "$(boot_id 1)" != "$(field "${S3[1]}" 1)"
check "fleet1: a new image, the kernel agrees" new_image 1 "$(field "${S3[1]}" 2)"
check "fleet1: boot reason update, /run sized by release 3's site module" is_at 1 "$(fb 1 's.get("image", "")')" 3
check "fleet1: blob and guest region intact" objects_intact 1
# img.N was the running image, img.N+1 the update, img.N+2 the rollback.
n2=$(field "${S3[2]}" 2)
img2=img.$((${n2#img.} + 2))
check "fleet2: rolled back: boot reason update, image $img2, /run of release 2" is_at 2 "$img2" 2
check "fleet2: the rollback read nothing from disk" journal_has 2 "^update to $img2 (0 modules read, 3 reused"
check "fleet2: blob and guest region intact" objects_intact 2
check "fleet3: untouched (same boot, image, nothing loaded, site module of release 2)" \
	test "$(state 3)" = "${S3[3]}"

# --- The end --------------------------------------------------------------
for i in 1 2 3; do on "$i" 'systemctl poweroff' >/dev/null 2>&1; done
# A host that did not answer is stopped after two minutes.
end=$(($(date +%s) + 120))
for p in "${VM_PIDS[@]}"; do
	while kill -0 "$p" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do sleep 2; done
done
stop_vms
for p in "${VM_PIDS[@]}"; do wait "$p" 2>/dev/null; done
VM_PIDS=()
for i in 1 2 3; do
	check "fleet$i: no kernel BUG, WARNING or Oops on the console" sh -c \
		"! grep -Ea 'BUG:|WARNING:|Oops|general protection' '$OUT/console$i.log'"
done
finish
