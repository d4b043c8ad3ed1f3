#!/usr/bin/python
# SPDX-License-Identifier: GPL-2.0
# -*- coding: utf-8 -*-

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: fastboot_update
short_description: Load a new boot image with fastboot update, reading only what changed
version_added: "0.1.0"
description:
  - Drives C(fastboot update) on the host through its C(--json) output.  It
    stores the image's modules in the host's persistent RAM store, reading
    from disk only the modules whose file changed, and loads the image for
    the next kexec.
  - Without an image option the CLI's default applies, C(FASTBOOT_IMAGE)
    from C(/etc/default/fastboot), else C(/vmlinuz) and C(/initrd.img)
    with the running command line.
  - Idempotent. When the host already runs exactly the target image (the
    same kernel, initramfs modules and command line, compared by SHA-256)
    and nothing else is loaded for the next kexec, nothing is done and
    C(changed) is false, unless I(always) is set.  C(changed) is true only
    when a new image is loaded.
  - In check mode it runs C(fastboot update --dry-run), which makes every
    check a real update makes (files, free space, stored modules, the
    image's fastboot.ko) and changes nothing, and reports what would be
    read and what would be reused.
  - With C(--diff) it shows the running image and the target image.
  - By default it leaves the reboot to the play
    (M(fastboot.fastboot.fastboot_reboot), which runs C(systemctl kexec)
    and waits for the host to come back, as the role fastboot_rolling_update
    does); with I(reboot=true) it schedules C(systemctl kexec) a few seconds
    after it returns.
author:
  - fastboot developers
options:
  image:
    description: A manifest (fastboot(8), IMAGE MANIFEST), C(--image).
    type: path
  kernel:
    description: A kernel, C(--kernel); with I(initrd).
    type: path
  initrd:
    description: The initramfs files in boot order, C(--initrd) each; with
      I(kernel).
    type: list
    elements: path
  rollback:
    description: The previous image, from the store (C(--rollback)); reads
      nothing from disk.
    type: bool
    default: false
  from_store:
    description: The current image, from the store (C(--from-store)).
    type: bool
    default: false
  config:
    description: The configuration file whose C(FASTBOOT_IMAGE) names the
      image (C(--config)); default C(/etc/default/fastboot).
    type: path
  cmdline:
    description: The kernel command line (C(--cmdline)).
    type: str
  reuse_cmdline:
    description: The running kernel's command line (C(--reuse-cmdline)).
    type: bool
    default: false
  append:
    description: Words added to the command line, replacing words with the
      same key (C(--append)).
    type: str
  verify:
    description: Read and hash every source (C(--verify)).
    type: bool
    default: false
  force:
    description: Load although the image's fastboot.ko does not match its
      kernel (C(--force)).
    type: bool
    default: false
  always:
    description: Load the image even when the host already runs it.
    type: bool
    default: false
  reboot:
    description:
      - After loading, schedule C(systemctl kexec) I(reboot_delay) seconds
        later (with C(systemd-run)), so that the result still reaches the
        controller.  The play must then wait for the host to go down and
        come back itself; M(fastboot.fastboot.fastboot_reboot) with
        I(reboot=false) does both.
    type: bool
    default: false
  reboot_delay:
    description: Seconds between the module's return and C(systemctl kexec)
      with I(reboot=true).
    type: int
    default: 2
requirements:
  - the C(fastboot) command (Debian package C(fastboot)) and an attached,
    formatted store on the host
notes:
  - Needs root (C(become)).
  - "Errors are returned as failures with the message of C(fastboot), for
    example C(fastboot: update: the image needs 40 MiB of new modules and
    records but the store has 12 MiB free; nothing was changed)."
'''

EXAMPLES = r'''
- name: Load the configured image (FASTBOOT_IMAGE or /vmlinuz + /initrd.img)
  fastboot.fastboot.fastboot_update:
  register: fb_update

- name: Boot it, waiting for the host to come back
  fastboot.fastboot.fastboot_reboot:
  when: fb_update.changed

- name: Roll back to the previous image and reboot at once
  fastboot.fastboot.fastboot_update:
    rollback: true
    reboot: true
'''

RETURN = r'''
image:
  description: The name of the image record loaded (C(img.N)); in check
    mode the one that would be recorded.
  returned: success
  type: str
  sample: img.4
running_image:
  description: The image the host runs now (empty when fastboot did not
    start this boot).
  returned: success
  type: str
  sample: img.3
read_bytes:
  description: Bytes read from disk (in check mode, that would be read).
  returned: success
  type: int
  sample: 2048
reused_bytes:
  description: Bytes taken from the store without reading their source.
  returned: success
  type: int
  sample: 41943040
read_modules:
  description: Names of the modules read from disk (C(kernel) for the
    kernel).
  returned: success
  type: list
  elements: str
  sample: [site]
reused_modules:
  description: Names of the modules reused from the store.
  returned: success
  type: list
  elements: str
  sample: [kernel, base]
rebooting:
  description: Whether C(systemctl kexec) was scheduled.
  returned: success
  type: bool
update:
  description: The whole C(fastboot update --json) document (of the dry
    run in check mode, or when nothing was loaded).
  returned: success
  type: dict
'''

import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.fastboot.fastboot.plugins.module_utils.fastboot_cli import run_json

IMAGE_WORD = re.compile(r'^fastboot\.image=')


def image_args(p):
    """The CLI options that choose the image and its command line."""
    args = []
    if p['image']:
        args += ['--image', p['image']]
    if p['kernel']:
        args += ['--kernel', p['kernel']]
        for initrd in p['initrd'] or []:
            args += ['--initrd', initrd]
    if p['rollback']:
        args.append('--rollback')
    if p['from_store']:
        args.append('--from-store')
    if p['config']:
        args += ['--config', p['config']]
    if p['cmdline'] is not None:
        args += ['--cmdline', p['cmdline']]
    if p['reuse_cmdline']:
        args.append('--reuse-cmdline')
    if p['append']:
        args += ['--append', p['append']]
    if p['verify']:
        args.append('--verify')
    if p['force']:
        args.append('--force')
    return args


def modules_of(doc):
    return [doc['kernel']] + list(doc.get('modules') or [])


def signature(doc):
    """What makes two images the same boot: content and command line.

    fastboot.image= names the record, which differs for every load.
    """
    mods = tuple((m.get('name'), m.get('kind', 'kernel'), m.get('sha256'),
                  m.get('delivery', 'kexec')) for m in modules_of(doc))
    words = tuple(w for w in (doc.get('cmdline') or '').split()
                  if not IMAGE_WORD.match(w))
    return mods, words


def describe(name, doc):
    """The image as text, for --diff."""
    lines = ['image %s' % (name or '(none: fastboot did not start this boot)')]
    if doc:
        for i, m in enumerate(modules_of(doc)):
            lines.append('%s %s %s %s' % (m.get('kind', 'kernel') if i else 'kernel',
                                          m.get('name'), m.get('sha256'), m.get('path')))
        lines.append('cmdline %s' % ' '.join(
            w for w in (doc.get('cmdline') or '').split() if not IMAGE_WORD.match(w)))
    return '\n'.join(lines) + '\n'


def running_image(module, status):
    """The content of the image this boot runs, or None if unknown.

    It is known when fastboot started this boot and its record is still
    the store's newest one (fastboot update --from-store reads that).
    """
    name = status.get('image')
    if not name:
        return None
    dummy, objects, dummy2 = run_json(module, ['ls'])
    numbers = [int(o['name'][4:]) for o in objects
               if re.match(r'^img\.[0-9]+$', o.get('name', ''))]
    if not numbers or 'img.%d' % max(numbers) != name:
        return None
    rc, doc, dummy = run_json(module, ['update', '--from-store', '--dry-run'],
                              fail=False)
    return doc if rc == 0 else None


def human(n):
    for unit in ('bytes', 'KiB', 'MiB', 'GiB'):
        if n < 1024 or unit == 'GiB':
            return '%d %s' % (n, unit) if unit == 'bytes' else '%.1f %s' % (n, unit)
        n /= 1024.0
    return str(n)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            image=dict(type='path'),
            kernel=dict(type='path'),
            initrd=dict(type='list', elements='path'),
            rollback=dict(type='bool', default=False),
            from_store=dict(type='bool', default=False),
            config=dict(type='path'),
            cmdline=dict(type='str'),
            reuse_cmdline=dict(type='bool', default=False),
            append=dict(type='str'),
            verify=dict(type='bool', default=False),
            force=dict(type='bool', default=False),
            always=dict(type='bool', default=False),
            reboot=dict(type='bool', default=False),
            reboot_delay=dict(type='int', default=2),
        ),
        mutually_exclusive=[
            ('image', 'kernel', 'rollback', 'from_store', 'config'),
            ('cmdline', 'reuse_cmdline'),
        ],
        required_by={'initrd': 'kernel'},
        supports_check_mode=True,
    )
    p = module.params
    if p['reboot_delay'] < 1:
        module.fail_json(msg='reboot_delay must be at least 1 second')
    args = image_args(p)

    dummy, status, dummy2 = run_json(module, ['status'])
    running_name = status.get('image') or ''
    # The dry run makes every check the update makes, changing nothing.
    dummy, plan, dummy2 = run_json(module, ['update'] + args + ['--dry-run'])
    current = running_image(module, status)
    pending = status.get('next_image') or ''
    same = (current is not None and not pending and
            signature(current) == signature(plan))

    result = dict(changed=False, running_image=running_name, rebooting=False)
    if not same or p['always']:
        result['diff'] = dict(before_header='running', before=describe(running_name, current),
                              after_header='target', after=describe(plan.get('image'), plan))

    doc = plan
    if same and not p['always']:
        result['msg'] = 'already running this image (%s); nothing loaded' % running_name
    elif module.check_mode:
        result['changed'] = True
        result['msg'] = 'would load %s' % plan.get('image')
    else:
        dummy, doc, dummy2 = run_json(module, ['update'] + args + ['--no-exec'])
        result['changed'] = True
        result['msg'] = 'loaded %s' % doc.get('image')
        if p['reboot']:
            systemd_run = module.get_bin_path('systemd-run', required=True)
            systemctl = module.get_bin_path('systemctl', required=True)
            cmd = [systemd_run, '--on-active=%d' % p['reboot_delay'],
                   '--timer-property=AccuracySec=100ms',
                   '--description=fastboot_update: systemctl kexec into %s' % doc.get('image'),
                   systemctl, 'kexec']
            rc, out, err = module.run_command(cmd)
            if rc != 0:
                module.fail_json(msg='fastboot_update: %s is loaded, but scheduling systemctl kexec failed: %s'
                                 % (doc.get('image'), err.strip()), cmd=cmd, rc=rc, **result)
            result['rebooting'] = True
            result['msg'] += '; systemctl kexec in %d s' % p['reboot_delay']

    mods = modules_of(doc)
    names = ['kernel' if i == 0 else m.get('name') for i, m in enumerate(mods)]
    result.update(
        image=running_name if same and not p['always'] else doc.get('image', ''),
        read_bytes=doc.get('read_bytes', 0),
        reused_bytes=doc.get('reused_bytes', 0),
        read_modules=[n for n, m in zip(names, mods) if m.get('status') == 'loaded'],
        reused_modules=[n for n, m in zip(names, mods) if m.get('status') == 'reused'],
        update=doc,
    )
    if result['changed']:
        result['msg'] += ' (read %s: %s; reused %s: %s)' % (
            human(result['read_bytes']), ', '.join(result['read_modules']) or 'nothing',
            human(result['reused_bytes']), ', '.join(result['reused_modules']) or 'nothing')
    module.exit_json(**result)


if __name__ == '__main__':
    main()
