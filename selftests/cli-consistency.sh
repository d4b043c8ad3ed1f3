#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The command line is described in three places that must agree:
#
#   - the tool:       `fastboot help` (each command, one line),
#                     `fastboot help CMD` and `fastboot CMD --help` (the
#                     command's usage and options) and `fastboot --help`
#                     (global options);
#   - the man page:   the .TP entries under COMMANDS and OPTIONS of
#                     Documentation/fastboot.8, and its JSON OUTPUT section;
#   - the completion: the table in packaging/bash-completion/fastboot.
#
# Checked: the set of commands, each command's long options (--help aside,
# which every command takes), the global options, and the version
# (dkms.conf PACKAGE_VERSION, `fastboot --version`, the man page's .TH).
# Then the conventions of fastboot(8): every help goes to stdout with exit
# 0 and fits 80 columns; a write error on stdout fails the command (exit 1,
# "fastboot: stdout: ..."); every --json output, the error object included,
# parses as JSON (python3), and every JSON key the tool writes is in the
# man page and follows its naming rule (byte counts end in _bytes).
#
# Prints KTAP and a closing line "N passed, N failed"; exits 1 on failure.
# FASTBOOT=path/to/fastboot tests another binary (default: the one in
# tools/fastboot, built when missing).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
MAN=Documentation/fastboot.8
COMP=packaging/bash-completion/fastboot
FB=${FASTBOOT:-tools/fastboot/fastboot}
n=0
failed=0

ok() {
	n=$((n + 1))
	echo "ok $n $1"
}

# not_ok DESC [DIAG...]: each DIAG line becomes a "# " diagnostic.
not_ok() {
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n $1"
	shift
	local l
	for l in "$@"; do
		echo "#   $l"
	done
}

finish() {
	echo "1..$n"
	echo "$((n - failed)) passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

# Words of stdin, sorted and unique, on one line.
set_of() {
	tr -s ' \t' '\n' | sed '/^$/d' | LC_ALL=C sort -u | tr '\n' ' ' | sed 's/ $//'
}

# long_opts: the --options in stdin, --help excluded, as a set.
long_opts() {
	grep -o -- '--[a-z][a-z0-9-]*' | grep -vx -- '--help' | set_of
}

# agree DESC NAME1 SET1 NAME2 SET2 [NAME3 SET3]: ok if the sets are equal.
agree() {
	local desc=$1 n1=$2 s1=$3 n2=$4 s2=$5 n3=${6:-} s3=${7:-}
	if [ "$s1" = "$s2" ] && { [ -z "$n3" ] || [ "$s1" = "$s3" ]; }; then
		ok "$desc agree: ${s1:-(none)}"
	elif [ -n "$n3" ]; then
		not_ok "$desc disagree" "$n1: ${s1:-(none)}" "$n2: ${s2:-(none)}" \
			"$n3: ${s3:-(none)}"
	else
		not_ok "$desc disagree" "$n1: ${s1:-(none)}" "$n2: ${s2:-(none)}"
	fi
}

# Roff to plain text: \- to -, font escapes and \e dropped.
deroff() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' -e 's/\\e/\\/g' \
		-e 's/\\&//g' -e 's/\\%//g' -e 's/^\.[A-Z]* *//' -e 's/"//g'
}

# man_tags SECTION: the .TP tag lines (the line after each .TP) of SECTION,
# de-roffed.
man_tags() {
	awk -v sec="$1" '
		/^\.SH / { insec = ($2 == sec); next }
		insec && /^\.TP/ { tag = 1; next }
		insec && tag { print; tag = 0 }
	' "$MAN" | deroff
}

echo "KTAP version 1"

if [ -z "${FASTBOOT:-}" ] && [ ! -x "$FB" ]; then
	make -s -C tools/fastboot >/dev/null 2>&1
fi
if ! [ -x "$FB" ] || ! "$FB" help >/dev/null 2>&1; then
	not_ok "the tool runs: $FB help"
	finish
fi
ok "the tool runs: $FB help"
# shellcheck source=/dev/null
if ! . "$COMP" || ! declare -F _fastboot_commands >/dev/null; then
	not_ok "the completion loads: $COMP"
	finish
fi
ok "the completion loads: $COMP"

# --- commands -------------------------------------------------------------
tool_help=$("$FB" help)
tool_cmds=$(printf '%s\n' "$tool_help" |
	awk '/^Commands:/ { c = 1; next } c && /^$/ { exit } c { print $1 }' | set_of)
comp_cmds=$(_fastboot_commands | set_of)
man_cmds=$(man_tags COMMANDS | awk '{ print $1 }' | set_of)
agree "commands of tool, completion and man page" \
	"fastboot help" "$tool_cmds" "$COMP" "$comp_cmds" "$MAN" "$man_cmds"

# --- each command's help and options --------------------------------------
# CMD --help and help CMD: the command's help on stdout, exit 0, nothing on
# stderr, the same text both ways.  A device that cannot exist keeps the
# probe from touching a real store.
NODEV=/nonexistent/fastboot
for c in $tool_cmds; do
	h1=$(timeout 10 "$FB" --device $NODEV "$c" --help 2>/tmp/.cli_err.$$); r1=$?
	e1=$(cat /tmp/.cli_err.$$)
	h2=$(timeout 10 "$FB" --device $NODEV help "$c" 2>/tmp/.cli_err.$$); r2=$?
	e2=$(cat /tmp/.cli_err.$$)
	if [ $r1 -eq 0 ] && [ $r2 -eq 0 ] && [ -z "$e1$e2" ] &&
	   [ "$h1" = "$h2" ] && printf '%s\n' "$h1" | head -n 1 | grep -q "^Usage: fastboot $c\( \|$\)"; then
		ok "help of '$c': '$c --help' and 'help $c' print it on stdout, exit 0"
	else
		not_ok "help of '$c': '$c --help' and 'help $c' print it on stdout, exit 0" \
			"exits $r1 and $r2, stderr: ${e1:0:100} ${e2:0:100}" \
			"first line: $(printf '%s\n' "$h1" | head -n 1)"
	fi
done
rm -f /tmp/.cli_err.$$
# Subcommands take --help too.
for sub in "guest create" "guest path" "guest ls" "guest rm" "vm save" "vm restore"; do
	# shellcheck disable=SC2086 # two words
	out=$(timeout 10 "$FB" --device $NODEV $sub --help 2>/dev/null); r=$?
	if [ $r -eq 0 ] && printf '%s\n' "$out" | grep -q "^Usage: fastboot ${sub% *} "; then
		ok "'$sub --help' prints the help of '${sub% *}', exit 0"
	else
		not_ok "'$sub --help' prints the help of '${sub% *}', exit 0" "exit $r"
	fi
done
out=$("$FB" help nosuchcommand 2>&1 >/dev/null); r=$?
if [ $r -eq 2 ] && printf '%s\n' "$out" | grep -q "^fastboot: usage: "; then
	ok "'help nosuchcommand' is a usage error"
else
	not_ok "'help nosuchcommand' is a usage error" "exit $r: $out"
fi

# Every help fits 80 columns.
wide=""
for c in "" $tool_cmds; do
	# shellcheck disable=SC2086 # "" is the general help
	w=$("$FB" help $c 2>/dev/null | awk 'length($0) > 80 { print length($0) ": " $0 }' | head -n 3)
	[ -n "$w" ] && wide="$wide help ${c:-(general)}: $w;"
done
w=$("$FB" --help 2>/dev/null | awk 'length($0) > 80 { print length($0) ": " $0 }' | head -n 3)
[ -n "$w" ] && wide="$wide --help: $w"
if [ -z "$wide" ]; then
	ok "every help fits 80 columns"
else
	not_ok "every help fits 80 columns" "$wide"
fi

all_cmds=$(printf '%s %s %s' "$tool_cmds" "$comp_cmds" "$man_cmds" | set_of)
for c in $all_cmds; do
	t=""
	if printf ' %s ' "$tool_cmds" | grep -q " $c "; then
		# The command's help names its own options only.
		t=$(timeout 10 "$FB" --device $NODEV help "$c" 2>/dev/null | long_opts)
	fi
	p=$(_fastboot_options "$c" 2>/dev/null | sed 's/=.*//' | long_opts)
	m=$(man_tags COMMANDS | awk -v c="$c" '$1 == c' | long_opts)
	agree "options of '$c'" "fastboot help $c" "$t" "$COMP" "$p" "$MAN" "$m"
done

# --- global options ---------------------------------------------------------
all_opts() {
	grep -o -- '\(^\|[ ,]\)-\(-[a-z][a-z0-9-]*\|[a-zA-Z]\)' | tr -d ' ,' | set_of
}
tool_g=$("$FB" --help | awk '/^Options:/ { o = 1; next } o && /^$/ { exit } o' | all_opts)
# shellcheck disable=SC2086,SC2154 # a list, set by $COMP
comp_g=$(printf '%s\n' $_fastboot_global | sed 's/=.*//' | set_of)
man_g=$(man_tags OPTIONS | all_opts)
agree "global options" "fastboot --help" "$tool_g" "$COMP" "$comp_g" "$MAN" "$man_g"

# --- version ----------------------------------------------------------------
v_dkms=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}[[:space:]]*$/\1/p' dkms.conf)
v_tool=$("$FB" --version | awk '{ print $2 }')
v_man=$(awk '/^\.TH / { for (i = 1; i <= NF; i++) if ($i == "\"fastboot") { v = $(i + 1); gsub(/"/, "", v); print v } }' "$MAN")
agree "versions" "dkms.conf" "$v_dkms" "fastboot --version" "$v_tool" "$MAN" "$v_man"

# --- write errors on stdout --------------------------------------------------
# full_fails DESC ARGS...: `fastboot ARGS >/dev/full` exits 1 and says so.
full_fails() {
	local desc=$1 err r
	shift
	err=$(timeout 10 "$FB" "$@" 2>&1 >/dev/full); r=$?
	if [ $r -eq 1 ] && printf '%s\n' "$err" | grep -q '^fastboot: stdout: '; then
		ok "$desc >/dev/full: exit 1, fastboot: stdout: ..."
	else
		not_ok "$desc >/dev/full: exit 1, fastboot: stdout: ..." "exit $r, stderr: $err"
	fi
}
if [ -w /dev/full ]; then
	full_fails "--help" --help
	full_fails "--version" --version
	full_fails "help" help
	full_fails "help status" help status
	full_fails "status --help" status --help
	full_fails "setup" setup --region 256M@0x40000000 --config /dev/null
	full_fails "setup --json" setup --region 256M@0x40000000 --config /dev/null --json
else
	not_ok "/dev/full is writable (needed by the write-error checks)"
fi

# --- JSON output ---------------------------------------------------------------
# json_run DESC EXIT ARGS...: `fastboot ARGS` exits EXIT, its stdout is one
# JSON value (python3, strict UTF-8); on failure it is the error object
# {"error":{"what":STR,"why":STR,"exit":EXIT}} and stderr still has the
# usual line.
JSON_CHECK='
import json, sys
want = int(sys.argv[1])
v = json.loads(sys.stdin.buffer.read().decode("utf-8", "strict"))
if want != 0:
    e = v["error"]
    assert set(v) == {"error"}, "more than the error"
    assert isinstance(e["what"], str) and e["what"], "what"
    assert isinstance(e["why"], str) and e["why"], "why"
    assert e["exit"] == want, "exit %r" % e["exit"]
'
json_run() {
	local desc=$1 want=$2 out err r why
	shift 2
	out=$(timeout 10 "$FB" "$@" 2>/tmp/.cli_err.$$); r=$?
	err=$(cat /tmp/.cli_err.$$); rm -f /tmp/.cli_err.$$
	why=$(printf '%s' "$out" | python3 -c "$JSON_CHECK" "$want" 2>&1 | tail -n 1)
	if [ $r -eq "$want" ] && [ -z "$why" ] && [ -n "$out" ] &&
	   { [ "$want" -eq 0 ] || printf '%s\n' "$err" | grep -q '^fastboot: '; }; then
		ok "$desc: exit $want, stdout is JSON"
	else
		not_ok "$desc: exit $want, stdout is JSON" "exit $r; stdout: ${out:0:200}" \
			"python3: $why" "stderr: ${err:0:200}"
	fi
}
json_run "setup --json" 0 setup --region 256M@0x40000000 --config /dev/null --json
json_run "status --json, no device" 1 --device $NODEV status --json
json_run "ls --json, no device" 1 --device $NODEV ls --json
json_run "log --json, no device" 1 --device $NODEV log --json
json_run "guest ls --json, no device" 1 --device $NODEV guest ls --json
json_run "update --json, no device" 1 --device $NODEV update --kernel /nonexistent --dry-run --json
json_run "arm --json, no device" 1 --device $NODEV arm --kernel /nonexistent --dry-run --json
json_run "vm save --json, no socket" 1 --device $NODEV vm save v0 --qmp /nonexistent/qmp --json
json_run "vm restore --json, no device" 1 --device $NODEV vm restore v0 --json
json_run "--json rm, no device" 1 --device $NODEV --json rm obj
json_run "status --json with a usage error" 2 status --json extra
json_run "--json with an unknown command" 2 --json nosuchcommand
json_run "setup --json with a bad region" 2 setup --region nonsense --json

# Every key the tool writes is in the man page's JSON OUTPUT section, and a
# byte count says so: it ends in _bytes (no "size", "bytes", "bytes_*").
src_keys=$(grep -ho 'json_[a-z0-9]*(&\{0,1\}j, "[a-z0-9_]*"' tools/fastboot/*.c |
	sed 's/.*"\([a-z0-9_]*\)"/\1/' | set_of)
man_json=$(awk '/^\.SH / { s = ($0 ~ /JSON OUTPUT/); next } s' "$MAN" | deroff)
undoc=""
for k in $src_keys; do
	printf '%s\n' "$man_json" | grep -q "\(^\|[^a-z0-9_]\)$k\([^a-z0-9_]\|$\)" || undoc="$undoc $k"
done
if [ -n "$src_keys" ] && [ -z "$undoc" ]; then
	ok "every JSON key is documented under JSON OUTPUT in $MAN"
else
	not_ok "every JSON key is documented under JSON OUTPUT in $MAN" "missing:$undoc"
fi
# shellcheck disable=SC2086 # a list of words
bad=$(printf '%s\n' $src_keys | grep -E 'size|bytes' | grep -v '_bytes$' | set_of)
if [ -z "$bad" ]; then
	ok "JSON byte counts end in _bytes"
else
	not_ok "JSON byte counts end in _bytes" "$bad"
fi

finish
