#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Ansible collection (contrib/ansible/), checked without a network, as
# part of `make check`:
#   - ansible-test sanity (Debian's ansible-core), every test that runs
#     offline: the others (ansible-doc, import, pep8, pylint,
#     validate-modules, yamllint, ...) pip-install pinned tools into a
#     virtualenv first, which needs PyPI; their ground is covered below
#   - ansible-lint (Debian's, production profile: YAML, FQCN, names, ...)
#   - ansible-doc renders each module's documentation
#   - each module's documented options are its argument_spec (name, type,
#     default, elements): what validate-modules checks first
#   - ansible-galaxy collection build, and the example playbook passes
#     ansible-playbook --syntax-check with the collection installed
#   - the admin guide shows the example playbook as it is
# Prints KTAP and "N passed, N failed"; exits 1 on any failure.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 2
n=0
failed=0
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n $1"
	[ -s "$WORK/last" ] && tail -n 30 "$WORK/last" | sed 's/^/#   /'
}
check() {
	local desc=$1
	shift
	if "$@" >"$WORK/last" 2>&1; then ok "$desc"; else not_ok "$desc"; fi
}

echo "KTAP version 1"
for t in ansible-test ansible-lint ansible-doc ansible-galaxy ansible-playbook; do
	command -v "$t" >/dev/null || { echo "Bail out! $t missing (scripts/deps.sh installs it)"; echo "0 passed, 1 failed"; exit 1; }
done

# ansible-test runs in ansible_collections/NAMESPACE/NAME, outside a git
# tree (inside one it takes the tree's file list and skips ignored paths).
COLL=$WORK/ansible_collections/fastboot/fastboot
mkdir -p "$(dirname "$COLL")"
cp -a contrib/ansible "$COLL"
export ANSIBLE_COLLECTIONS_PATH=$WORK ANSIBLE_NOCOLOR=1 ANSIBLE_LOCAL_TEMP=$WORK/tmp \
	ANSIBLE_HOME=$WORK/ansible-home

# The tests that need a virtualenv with pinned tools from PyPI.
NEEDS_PYPI=" ansible-doc changelog import integration-aliases mypy pep8 pslint pylint runtime-metadata validate-modules yamllint "
tests=$(cd "$COLL" && ansible-test sanity --list-tests 2>/dev/null)
[ -n "$tests" ] || { echo "Bail out! ansible-test sanity --list-tests listed nothing"; echo "0 passed, 1 failed"; exit 1; }
for t in $tests; do
	case "$NEEDS_PYPI" in *" $t "*) continue ;; esac
	check "ansible-test sanity --test $t" sh -c "cd '$COLL' && ansible-test sanity --python 3.11 --test '$t'"
done

check "ansible-lint (production profile)" sh -c "cd '$COLL' && ansible-lint --nocolor"
for m in fastboot_update fastboot_status fastboot_reboot; do
	check "ansible-doc fastboot.fastboot.$m" sh -c \
		"ansible-doc fastboot.fastboot.$m | grep -q 'fastboot.fastboot.$m'"
	# An action plugin's module file is its documentation only.
	[ ! -e "$COLL/plugins/action/$m.py" ] || continue
	check "$m: the documented options are its argument_spec" /usr/bin/python3 - "$WORK" "$m" <<'EOF'
import sys
import yaml
sys.path.insert(0, sys.argv[1])
from ansible.module_utils import basic
name = sys.argv[2]
mod = __import__('ansible_collections.fastboot.fastboot.plugins.modules.' + name,
                 fromlist=['main'])


class Spec(Exception):
    pass


def capture(self, argument_spec, **kwargs):
    raise Spec(argument_spec)


basic.AnsibleModule.__init__ = capture
try:
    mod.main()
    sys.exit('main() did not build an AnsibleModule')
except Spec as e:
    spec = e.args[0]
doc = yaml.safe_load(mod.DOCUMENTATION)['options'] or {}
bad = []
for key in sorted(set(spec) | set(doc)):
    a, d = spec.get(key), doc.get(key)
    if a is None or d is None:
        bad.append('%s: %s' % (key, 'not documented' if d is None else 'documented, not in argument_spec'))
        continue
    for field, default in (('type', 'str'), ('default', None), ('elements', None), ('required', False)):
        if a.get(field, default) != d.get(field, default):
            bad.append('%s: %s %r in argument_spec, %r in DOCUMENTATION'
                       % (key, field, a.get(field, default), d.get(field, default)))
for b in bad:
    print(b)
for k in ('EXAMPLES', 'RETURN'):
    yaml.safe_load(getattr(mod, k))
sys.exit(1 if bad else 0)
EOF
done
check "ansible-galaxy collection build" ansible-galaxy collection build "$COLL" --output-path "$WORK/dist"
printf '[fleet]\nfleet1 ansible_host=127.0.0.1\n' >"$WORK/inventory"
check "ansible-playbook --syntax-check contrib/ansible/playbooks/rolling_update.yml" \
	ansible-playbook -i "$WORK/inventory" --syntax-check contrib/ansible/playbooks/rolling_update.yml
check "the admin guide shows the example playbook as it is" selftests/fleet/doc-check.sh
echo "1..$n"
echo "$((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
