#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The command line is described in three places that must agree:
#
#   - the tool:       `fastboot help` (the cmds[] table: each command and its
#                     arguments), `fastboot CMD --help` (the command's usage,
#                     printed as help or as a usage error) and
#                     `fastboot --help` (global options);
#   - the man page:   the .TP entries under COMMANDS and OPTIONS of
#                     Documentation/fastboot.8;
#   - the completion: the table in packaging/bash-completion/fastboot.
#
# Checked: the set of commands, each command's long options (--help aside,
# which every command takes), the global options, and the version
# (dkms.conf PACKAGE_VERSION, `fastboot --version`, the man page's .TH).
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

# --- each command's options -----------------------------------------------
all_cmds=$(printf '%s %s %s' "$tool_cmds" "$comp_cmds" "$man_cmds" | set_of)
for c in $all_cmds; do
	t=""
	if printf ' %s ' "$tool_cmds" | grep -q " $c "; then
		# The help line: "  NAME ARGS HELP"; the options are in ARGS and
		# maybe in HELP, which names the command's own options only.
		t=$(printf '%s\n' "$tool_help" |
			awk -v c="$c" '/^Commands:/ { s = 1; next } s && /^$/ { exit } s && $1 == c')
		# CMD --help prints the command's usage (as help or as a usage
		# error), which may say more than the help line.  A device that
		# cannot exist keeps the probe from touching a real store.
		if [ "$c" != help ]; then
			sub=$(timeout 10 "$FB" --device /nonexistent/fastboot "$c" --help 2>&1 |
				grep -E "^(fastboot: usage: |Usage: )fastboot $c( |$)")
			t="$t $sub"
		fi
		t=$(printf '%s\n' "$t" | long_opts)
	fi
	p=$(_fastboot_options "$c" 2>/dev/null | sed 's/=.*//' | long_opts)
	m=$(man_tags COMMANDS | awk -v c="$c" '$1 == c' | long_opts)
	agree "options of '$c'" "fastboot help" "$t" "$COMP" "$p" "$MAN" "$m"
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

finish
