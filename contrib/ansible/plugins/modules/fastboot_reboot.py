#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# -*- coding: utf-8 -*-
# The documentation of the action plugin plugins/action/fastboot_reboot.py.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: fastboot_reboot
short_description: Boot the image fastboot loaded, with systemctl kexec, and wait for the host
version_added: "0.1.0"
description:
  - M(ansible.builtin.reboot) with C(systemctl kexec) as its reboot command
    (run two seconds after the command returned, through C(systemd-run), so
    that the ssh session ends before the host goes down), after
    M(fastboot.fastboot.fastboot_update) loaded an image.
  - It waits until the host answers with another boot id, taking for a boot
    id only what looks like one (the output of a command that failed while
    the host shut down made M(ansible.builtin.reboot) report a reboot that
    had not happened yet, ansible/ansible#78007 and #83018).
  - Takes the options of M(ansible.builtin.reboot); in check mode it does
    nothing.
author:
  - fastboot developers
options:
  reboot_command:
    description: The command that reboots the host.
    type: str
    default: systemd-run --on-active=2 --timer-property=AccuracySec=100ms systemctl kexec
  boot_time_command:
    description: The command that prints the boot id.
    type: str
    default: cat /proc/sys/kernel/random/boot_id
  reboot_timeout:
    description: Seconds to wait for the host to come back.
    type: int
    default: 600
  msg:
    description: Unused with the default reboot command.
    type: str
    default: Reboot initiated by Ansible
seealso:
  - module: ansible.builtin.reboot
notes:
  - An action plugin; this file only documents it.
'''

EXAMPLES = r'''
- name: Load the configured image
  fastboot.fastboot.fastboot_update:
  register: fb_update

- name: Boot it and wait for the host
  fastboot.fastboot.fastboot_reboot:
    reboot_timeout: 900
  when: fb_update.changed
'''

RETURN = r'''
rebooted:
  description: Whether the host rebooted.
  returned: always
  type: bool
  sample: true
elapsed:
  description: Seconds from the reboot command to the host's answer.
  returned: always
  type: int
  sample: 64
'''
