#!/usr/bin/python
# SPDX-License-Identifier: GPL-2.0
# -*- coding: utf-8 -*-

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: fastboot_status
short_description: Read the state of a host's fastboot store
version_added: "0.1.0"
description:
  - Runs C(fastboot status --json) on the host and returns what it reports,
    with the fields a rolling update checks (state, boot reason, the image
    this boot came up with, whether crash recovery is armed) at the top.
  - Changes nothing; supports check mode.
  - Fails with the message of C(fastboot) when it fails (for example when
    the module is not loaded).
author:
  - fastboot developers
options: {}
requirements:
  - the C(fastboot) command (Debian package C(fastboot)) on the host
notes:
  - See fastboot(8), JSON OUTPUT, for every field.
'''

EXAMPLES = r'''
- name: Read the store's state
  fastboot.fastboot.fastboot_status:
  register: fb

- name: The host came back from an update
  ansible.builtin.assert:
    that:
      - fb.reason == 'update'
      - fb.image == 'img.7'
'''

RETURN = r'''
state:
  description: C(ready), C(unformatted) or C(damaged).
  returned: always
  type: str
  sample: ready
reason:
  description: How the previous kernel left the store (C(first), C(update),
    C(crash), C(unclean)); empty when the store is not ready.
  returned: always
  type: str
  sample: update
boot_count:
  description: Boots counted by the store.
  returned: always
  type: int
  sample: 4
image:
  description: The image this boot came up with (empty when fastboot did
    not start this boot).
  returned: always
  type: str
  sample: img.3
next_image:
  description: The image the next kexec boots, once an update loaded one.
  returned: always
  type: str
  sample: ''
armed:
  description: Whether C(fastboot arm) loaded a crash kernel.
  returned: always
  type: bool
  sample: false
status:
  description: The whole C(fastboot status --json) document.
  returned: always
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.fastboot.fastboot.plugins.module_utils.fastboot_cli import run_json


def summary(status):
    """The fields a play checks, from fastboot status --json."""
    boot = status.get('boot') or {}
    return dict(
        state=status.get('state', ''),
        reason=boot.get('reason', ''),
        boot_count=boot.get('count', 0),
        image=status.get('image') or '',
        next_image=status.get('next_image') or '',
        armed=bool(status.get('armed', False)),
    )


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    dummy, status, dummy2 = run_json(module, ['status'])
    result = summary(status)
    module.exit_json(changed=False, status=status, **result)


if __name__ == '__main__':
    main()
