# SPDX-License-Identifier: GPL-2.0
# -*- coding: utf-8 -*-
"""Run the installed fastboot(8) command with --json, for the modules.

Every read command of the CLI has --json: one JSON value on one line on
standard output, or, when it fails, {"error": {"what", "why", "exit"}} and
the same "fastboot: what: why" line on standard error.  run_json() returns
the parsed value or fails the module with the CLI's own message.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json


def _message(data, stderr, rc):
    """The CLI's 'fastboot: what: why' message."""
    err = data.get('error') if isinstance(data, dict) else None
    if isinstance(err, dict) and err.get('what') is not None:
        return 'fastboot: %s: %s' % (err.get('what'), err.get('why'))
    for line in (stderr or '').splitlines():
        if line.startswith('fastboot: '):
            return line.strip()
    return 'fastboot exited %d without a message' % rc


def run_json(module, args, fail=True):
    """Run 'fastboot ARGS --json'; (rc, value, stderr).

    On failure, with fail=True, the module fails with the CLI's message,
    its exit status and its standard error; with fail=False the caller
    gets rc != 0 and value {"error": ...} (or None).
    """
    fastboot = module.get_bin_path('fastboot', required=True,
                                   opt_dirs=['/usr/sbin', '/sbin'])
    cmd = [fastboot] + list(args) + ['--json']
    rc, out, err = module.run_command(cmd)
    data = None
    if out.strip():
        try:
            data = json.loads(out)
        except ValueError:
            if rc == 0:
                module.fail_json(msg='fastboot: %s: output is not JSON'
                                 % ' '.join(args), cmd=cmd, stdout=out,
                                 stderr=err, rc=rc)
    if rc != 0 and fail:
        module.fail_json(msg=_message(data, err, rc), cmd=cmd, rc=rc,
                         stderr=err, stdout=out)
    if rc == 0 and data is None:
        module.fail_json(msg='fastboot: %s: printed no JSON'
                         % ' '.join(args), cmd=cmd, stderr=err, rc=rc)
    return rc, data, err


def message(data, stderr, rc):
    """The CLI's message for a failed run_json(..., fail=False)."""
    return _message(data, stderr, rc)
