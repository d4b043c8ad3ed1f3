# SPDX-License-Identifier: GPL-3.0-or-later
# -*- coding: utf-8 -*-
# (GPL-3.0-or-later: it extends ansible-core's reboot action plugin.)
"""fastboot_reboot: ansible.builtin.reboot into the image fastboot loaded.

The same action as ansible.builtin.reboot, with two differences:
- the default reboot command is systemctl kexec, started two seconds after
  the command returned (systemd-run), so that the ssh session that ran it
  ends before the host goes down;
- a boot id is taken for one only when it looks like one.  While a host
  shuts down, running the boot time command can fail before the command
  runs, and the reboot action takes that failure's output for a new boot
  id and reports the host rebooted while it is still going down
  (ansible/ansible#78007, #83018; seen in make check-fleet).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible.plugins.action.reboot import ActionModule as RebootActionModule

BOOT_ID = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
KEXEC = 'systemd-run --on-active=2 --timer-property=AccuracySec=100ms systemctl kexec'
BOOT_ID_COMMAND = 'cat /proc/sys/kernel/random/boot_id'


class ActionModule(RebootActionModule):

    def run(self, tmp=None, task_vars=None):
        self._task.args.setdefault('reboot_command', KEXEC)
        self._task.args.setdefault('boot_time_command', BOOT_ID_COMMAND)
        return super(ActionModule, self).run(tmp, task_vars)

    def get_system_boot_time(self, distribution):
        value = super(ActionModule, self).get_system_boot_time(distribution)
        if not BOOT_ID.match(value):
            # Retried like a connection failure until reboot_timeout.
            raise ValueError('not a boot id: %r' % value[:80])
        return value
