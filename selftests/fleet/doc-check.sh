#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The admin guide's Fleets section shows the playbook that make
# check-fleet runs: the literal block after the line
# ``contrib/ansible/playbooks/rolling_update.yml``:: is that file, line
# for line.  Prints "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 2
guide=Documentation/admin-guide.rst
file=contrib/ansible/playbooks/rolling_update.yml
shown=$(awk -v m="\`\`$file\`\`::" '$0 == m { on = 1; next }
	on && /^[^ ]/ { exit }
	on { sub(/^  /, ""); print }' "$guide")
# $(...) drops the trailing blank lines; drop the leading one.
shown=${shown#$'\n'}
if [ -z "$shown" ]; then
	echo "not ok 1 $guide: no literal block after \`\`$file\`\`::"
	echo "0 passed, 1 failed"
	exit 1
fi
if diff -u "$file" <(printf '%s\n' "$shown"); then
	echo "ok 1 $guide shows $file as it is"
	echo "1 passed, 0 failed"
else
	echo "not ok 1 $guide shows another playbook than $file"
	echo "0 passed, 1 failed"
	exit 1
fi
