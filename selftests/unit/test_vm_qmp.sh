#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# `fastboot vm save` and `vm restore` against a fake QEMU (fake_qmp.c) on
# a unix socket, with the state kept in files (FASTBOOT_VM_STATE_DIR):
# the QMP client's failure paths that a real QEMU seldom shows.
#
#   test_vm_qmp.sh TOOL FAKE_QMP
#
# Output is KTAP; the last line is "N passed, N failed".  The check of the
# uid drop at restore needs root (it is skipped, and said so, otherwise).
set -u
TOOL=$(readlink -f "$1")
FAKE_SRC=$(readlink -f "$2")
n=0
passed=0
failed=0
D=$(mktemp -d /tmp/fb-vmqmp.XXXXXX)
chmod 755 "$D"
cp "$FAKE_SRC" "$D/fake_qmp"
FAKE=$D/fake_qmp
export FASTBOOT_VM_STATE_DIR=$D/store
mkdir -p "$FASTBOOT_VM_STATE_DIR"
pids=()

ok() {	# ok COND-EXIT-STATUS DESCRIPTION [DIAG]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2"
		passed=$((passed + 1))
	else
		echo "not ok $n $2"
		[ -n "${3:-}" ] && echo "$3" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
}

check() {	# check DESCRIPTION CMD...
	local d=$1
	shift
	"$@" >/dev/null 2>&1
	ok $? "$d"
}

# alive PID: running, not a zombie
alive() {
	[ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"
}

# start_fake NAME [ENV=VAL...] -- [FAKE ARGS]: start a fake QEMU logging to
# $D/NAME.log whose QMP socket is $D/NAME.qmp; sets $fpid.
start_fake() {
	local name=$1 envs=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	rm -f "$D/$name.log" "$D/$name.qmp"
	(cd "$D" && exec env FAKE_QMP_LOG="$D/$name.log" "${envs[@]}" \
		"$FAKE" "$@" </dev/null >/dev/null 2>>"$D/$name.err") &
	fpid=$!
	pids+=("$fpid")
	wait_for test -S "$D/$name.qmp"
}

wait_for() {	# wait_for CMD...: up to 10 s
	local i=0
	while ! "$@" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	"$@" 2>/dev/null
}

# the lines of LOG after its last "start" line
last_run() {
	tac "$1" | sed '/^start /q' | tac
}

stop_pid() {	# stop_pid PID-OR-EMPTY
	[ "${1:-0}" -gt 0 ] 2>/dev/null && kill "$1" 2>/dev/null
}

ran_cont() {	# ran_cont LOG: the last run got a cont
	last_run "$1" | grep -qx cont
}

json_num() {	# json_num FILE KEY
	sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$1"
}

fb() {	# fb ARGS...: the tool, output in $D/out, $D/err
	"$TOOL" "$@" >"$D/out" 2>"$D/err"
}

echo "KTAP version 1"

# --- 1. a plain save and restore ---
start_fake a -- -qmp "unix:$D/a.qmp,server=on,wait=off" -m 128M
fb vm save a --qmp "$D/a.qmp" --json
ok $? "save against the fake QEMU" "$(cat "$D/err")"
check "the state and the argument record are kept" \
	test -s "$D/store/vm.a.state" -a -s "$D/store/vm.a.args"
fb vm restore a --json
ok $? "restore starts it again" "$(cat "$D/err")"
check "the restored QEMU loaded the state" grep -q '^state OK' "$D/a.log"
check "and was told to run (cont)" ran_cont "$D/a.log"
rpid=$(json_num "$D/out" pid)
stop_pid "$rpid"

# --- 2. replies matched by id: a stale reply and events come first ---
start_fake b FAKE_QMP_MODE=stale -- -qmp "unix:$D/b.qmp,server=on,wait=off"
fb vm save b --qmp "$D/b.qmp" --json
ok $? "save succeeds when stale replies and events precede each reply" "$(cat "$D/err")"
check "the running VM is recorded as running (not the stale reply's state)" \
	grep -q '"running":true' "$D/out"
check "the argument record says running 1" grep -aq '^running 1$' "$D/store/vm.b.args"
fb vm restore b --json
ok $? "restore succeeds with stale replies and events" "$(cat "$D/err")"
check "restore reports the VM running" grep -q '"status":"running"' "$D/out"
rpid=$(json_num "$D/out" pid)
stop_pid "$rpid"

# --- 3. a signal during the save resumes the VM ---
set -m	# lets a background job get SIGINT (job reports go to /dev/null)
exec 3>&2 2>/dev/null
for sig in TERM INT; do
	start_fake "s$sig" FAKE_QMP_MODE=slowmig -- -qmp "unix:$D/s$sig.qmp,server=on,wait=off"
	spid=$fpid
	"$TOOL" vm save "s$sig" --qmp "$D/s$sig.qmp" >"$D/out" 2>"$D/err" &
	tpid=$!
	wait_for grep -qx migrate "$D/s$sig.log"
	sleep 0.5
	kill -s "$sig" "$tpid"
	wait "$tpid"
	rc=$?
	ok "$([ $rc -eq 1 ]; echo $?)" "SIG$sig during the save: the tool fails cleanly (exit $rc)" "$(cat "$D/err")"
	check "SIG$sig during the save: the VM was resumed (cont after migrate)" \
		sh -c "sed -n '/^migrate\$/,\$p' $D/s$sig.log | grep -qx cont"
	check "SIG$sig during the save: QEMU still runs" alive "$spid"
	check "SIG$sig during the save: no state is left in the store" \
		test ! -e "$D/store/vm.s$sig.state" -a ! -e "$D/store/vm.s$sig.args"
	kill "$spid" 2>/dev/null
done
set +m
exec 2>&3 3>&-

# --- 4. "QEMU quit" only once the process has exited ---
start_fake q FAKE_QMP_MODE=lingerquit -- -qmp "unix:$D/q.qmp,server=on,wait=off"
qpid=$fpid
fb vm save q --qmp "$D/q.qmp"
ok $? "save of a QEMU that closes QMP before it exits" "$(cat "$D/err")"
alive "$qpid"
ok "$((1 - $?))" "QEMU has exited when save returns" "$(cat "$D/err")"
wait "$qpid" 2>/dev/null

# --- 5. restore --qmp OTHER drops the old -chardev and its -mon ---
start_fake m -- -chardev "socket,id=mon0,path=$D/m.qmp,server=on,wait=off" \
	-mon chardev=mon0,mode=control -m 64M
fb vm save m --qmp "$D/m.qmp"
ok $? "save of a QEMU with QMP on -chardev/-mon" "$(cat "$D/err")"
mv "$D/m.log" "$D/m2.log"
fb vm restore m --qmp "$D/m2.qmp" --json
ok $? "restore with another --qmp" "$(cat "$D/err"; cat "$D/m.err" 2>/dev/null)"
check "the restored QEMU has no -mon for the dropped chardev" \
	sh -c "grep '^start' $D/m.log | grep -qv 'chardev=mon0'"
check "it listens on the new socket" test -S "$D/m2.qmp"
rpid=$(json_num "$D/out" pid)
stop_pid "$rpid"

# --- 7. the mode: cpr-reboot where QEMU has it, x-ignore-shared where not ---
start_fake c7 FAKE_QMP_MODE=nocpr -- -qmp "unix:$D/c7.qmp,server=on,wait=off"
fb vm save c7 --qmp "$D/c7.qmp" --json
ok $? "save of a QEMU without migration mode (7.2)" "$(cat "$D/err")"
check "saved in x-ignore-shared mode (--json)" grep -q '"mode":"x-ignore-shared"' "$D/out"
check "the record says x-ignore-shared" grep -aqx 'mode x-ignore-shared' "$D/store/vm.c7.args"
check "no mode was set" sh -c "! grep -q '^mode ' $D/c7.log"
check "the capability was" grep -qx migrate-set-capabilities "$D/c7.log"
fb vm restore c7 --json
ok $? "restore of it" "$(cat "$D/err")"
check "restored in x-ignore-shared mode, no mode set" \
	sh -c "grep -q '\"mode\":\"x-ignore-shared\"' $D/out && last_run() { tac \$1 | sed '/^start /q' | tac; } && ! last_run $D/c7.log | grep -q '^mode ' && last_run $D/c7.log | grep -q '^state OK'"
stop_pid "$(json_num "$D/out" pid)"

start_fake c8 FAKE_QMP_MODE=cpr -- -qmp "unix:$D/c8.qmp,server=on,wait=off"
fb vm save c8 --qmp "$D/c8.qmp" --json
ok $? "save of a QEMU with migration mode (8.2 and newer)" "$(cat "$D/err")"
check "saved in cpr-reboot mode (--json)" grep -q '"mode":"cpr-reboot"' "$D/out"
check "the record says cpr-reboot" grep -aqx 'mode cpr-reboot' "$D/store/vm.c8.args"
check "mode cpr-reboot was set, before migrate" \
	sh -c "grep -x -e 'mode cpr-reboot' -e migrate $D/c8.log | tr '\n' ' ' | grep -qx 'mode cpr-reboot migrate '"
cp "$D/store/vm.c8.args" "$D/c8.args"
cp "$D/store/vm.c8.state" "$D/c8.state"
fb vm restore c8 --json
ok $? "restore of it" "$(cat "$D/err")"
check "restored in cpr-reboot mode" grep -q '"mode":"cpr-reboot"' "$D/out"
check "the restored QEMU got mode cpr-reboot before migrate-incoming, and the state" \
	sh -c "last_run() { tac \$1 | sed '/^start /q' | tac; } && last_run $D/c8.log | grep -x -e 'mode cpr-reboot' -e migrate-incoming -e 'state OK' | tr '\n' ' ' | grep -qx 'mode cpr-reboot migrate-incoming state OK '"
stop_pid "$(json_num "$D/out" pid)"
# the same record, restored by a QEMU without cpr-reboot: refused
sed 's/FAKE_QMP_MODE=cpr/FAKE_QMP_MODE=nocpr/' "$D/c8.args" >"$D/store/vm.c8.args"
cp "$D/c8.state" "$D/store/vm.c8.state"
fb vm restore c8 --json
ok "$((1 - $?))" "a cpr-reboot state is not restored by a QEMU without cpr-reboot" "$(cat "$D/err")"
check "it says why" grep -q 'no cpr-reboot mode' "$D/err"
check "the state is kept for another try" test -s "$D/store/vm.c8.state"
# and an x-ignore-shared record restored by a QEMU that has cpr-reboot
sed -e 's/FAKE_QMP_MODE=cpr/FAKE_QMP_MODE=xyz/' -e 's/^mode cpr-reboot$/mode x-ignore-shared/' \
	"$D/c8.args" >"$D/store/vm.c8.args"
fb vm restore c8 --json
ok $? "an x-ignore-shared state restores on a QEMU with cpr-reboot" "$(cat "$D/err")"
check "in the mode it was saved in" \
	sh -c "grep -q '\"mode\":\"x-ignore-shared\"' $D/out && last_run() { tac \$1 | sed '/^start /q' | tac; } && ! last_run $D/c8.log | grep -q '^mode '"
stop_pid "$(json_num "$D/out" pid)"

# --- 6. restore runs QEMU as the user it ran as, without LD_PRELOAD ---
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	mkdir -p "$D/u"
	chown 65534:65534 "$D/u"
	rm -f "$D/u/u.log"
	(cd "$D/u" && exec setpriv --reuid 65534 --regid 65534 --clear-groups \
		env FAKE_QMP_LOG="$D/u/u.log" FAKE_MARK=kept \
		LD_PRELOAD=/nonexistent/fastboot-test.so LD_LIBRARY_PATH=/nonexistent \
		"$FAKE" -qmp "unix:$D/u/u.qmp,server=on,wait=off" \
		</dev/null >/dev/null 2>/dev/null) &
	upid=$!
	pids+=("$upid")
	wait_for test -S "$D/u/u.qmp"
	fb vm save u --qmp "$D/u/u.qmp"
	ok $? "save of a QEMU run by uid 65534" "$(cat "$D/err")"
	wait "$upid" 2>/dev/null
	mv "$D/u/u.log" "$D/u/u-saved.log"
	# root restores it with a supplementary group QEMU must not get
	setpriv --groups 27 "$TOOL" vm restore u --json >"$D/out" 2>"$D/err"
	ok $? "restore of it as root" "$(cat "$D/err")"
	rpid=$(json_num "$D/out" pid)
	rpid=${rpid:-0}
	check "the restored QEMU runs as uid 65534, gid 65534" \
		grep -q '^start uid=65534 gid=65534 ' "$D/u/u.log"
	check "with no supplementary group of root's" \
		sh -c "grep -q '^Groups:[[:space:]]*\$' /proc/$rpid/status"
	check "without LD_PRELOAD or LD_LIBRARY_PATH" \
		sh -c "tr '\\0' '\\n' </proc/$rpid/environ >$D/env && ! grep -q '^LD_' $D/env"
	check "with the rest of its environment (FAKE_MARK)" \
		sh -c "tr '\\0' '\\n' </proc/$rpid/environ | grep -qx FAKE_MARK=kept"
	stop_pid "$rpid"
else
	n=$((n + 1))
	echo "ok $n # SKIP uid drop at restore (needs root and setpriv)"
fi

for p in "${pids[@]}"; do
	kill "$p" 2>/dev/null
done
rm -rf "$D"
echo "1..$n"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
