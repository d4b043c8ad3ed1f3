# SPDX-License-Identifier: GPL-2.0
# fastboot: top-level build.  `make` builds the module and the tool,
# `make check` runs the unit tests and the in-VM scenarios, `make demo`
# runs the demo in the VM.

KVER ?= 6.1.0-56-amd64
KDIR ?= /usr/src/linux-headers-$(KVER)
PWD := $(CURDIR)

all: module tool test-module vm-bins

module:
	$(MAKE) -C $(KDIR) M=$(PWD) modules

test-module:
	$(MAKE) -C $(KDIR) M=$(PWD)/selftests/kmod modules

tool:
	$(MAKE) -C tools/fastboot

# Static helper programs for the in-VM scenarios (selftests/vm/*.c).
VM_BINS := $(patsubst selftests/vm/%.c,build/vm-bin/%,$(wildcard selftests/vm/*.c))
vm-bins: $(VM_BINS)
build/vm-bin/%: selftests/vm/%.c
	@mkdir -p build/vm-bin
	$(CC) -O2 -Wall -Wextra -Werror -static -Ikmod -o $@ $<
# fbvdev builds hash trees with the tool's own code.
build/vm-bin/fbvdev: selftests/vm/fbvdev.c tools/fastboot/verity.c tools/fastboot/sha256.c \
		tools/fastboot/verity.h tools/fastboot/sha256.h kmod/uapi/fastboot.h
	@mkdir -p build/vm-bin
	$(CC) -O2 -Wall -Wextra -Werror -static -Ikmod -Itools/fastboot -o $@ \
		$(filter %.c,$^)

deps:
	scripts/deps.sh

check: deps
	$(MAKE) all
	selftests/run-all.sh

demo: deps
	$(MAKE) all
	scripts/demo.sh

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean 2>/dev/null || true
	$(MAKE) -C $(KDIR) M=$(PWD)/selftests/kmod clean 2>/dev/null || true
	$(MAKE) -C tools/fastboot clean
	$(MAKE) -C selftests/unit clean
	rm -rf build

.PHONY: all module test-module tool vm-bins deps check demo clean

# ---------------------------------------------------------------------------
# Installing on a host (packaging/, dkms.conf).
#
#   make install   [DESTDIR=...] [PREFIX=/usr]  the tool, fastboot(8), bash
#                  completion and systemd units under PREFIX, the example
#                  unit fastboot-vms.service under EXAMPLESDIR (not
#                  enabled: an admin copies it to /etc/systemd/system); the
#                  initramfs-tools hook and boot script under INITRAMFSDIR
#                  (/usr/share/initramfs-tools); under SYSCONFDIR (/etc),
#                  kept when present and changed: /etc/default/fastboot,
#                  /etc/modprobe.d/fastboot.conf, the GRUB fragment
#                  /etc/default/grub.d/fastboot.cfg and the kernel hooks
#                  /etc/kernel/post{inst,rm}.d/zz-fastboot
#   make uninstall [DESTDIR=...] [PREFIX=/usr]  the same, removed (the files
#                  under SYSCONFDIR only when unchanged)
#   make install-dkms [DESTDIR=...]  the module source to /usr/src/fastboot-VER;
#                  without DESTDIR also `dkms install` it for the running kernel
#   make dkms-check  scripts/dkms-check.sh: dkms add, build, remove (root)
#   make check-cli   selftests/cli-consistency.sh: tool, man page, completion
#   make check-hostfiles  selftests/hostfiles-check.sh: the GRUB fragment,
#                    the kernel hook, the initramfs-tools hook and script
#                    (with stand-ins; mkinitramfs if there)
#   make deb         scripts/deb.sh: the Debian packages fastboot and
#                    fastboot-dkms (debian/), built in a copy of the tree,
#                    into build/deb/
#   make check-deb   selftests/deb-check.sh: build, lintian, install,
#                    remove and purge them (root; also part of make check)
# ---------------------------------------------------------------------------
PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
EXAMPLESDIR ?= $(PREFIX)/share/doc/fastboot/examples
SYSCONFDIR ?= /etc
# initramfs-tools reads its hooks and scripts from here (and /etc) only.
INITRAMFSDIR ?= /usr/share/initramfs-tools
DKMSSRCDIR ?= /usr/src
INSTALL ?= install
# The version is written once, as PACKAGE_VERSION in dkms.conf.
FB_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}[[:space:]]*$$/\1/p' dkms.conf)
FB_UNITS := fastboot.service fastboot-arm.service
FB_EXAMPLES := fastboot-vms.service
# Under SYSCONFDIR, as SOURCE-in-packaging/:DESTINATION:MODE.
FB_CONFIGS := default/fastboot:default/fastboot:0644 \
	modprobe.d/fastboot.conf:modprobe.d/fastboot.conf:0644 \
	grub/fastboot.cfg:default/grub.d/fastboot.cfg:0644 \
	kernel/zz-fastboot:kernel/postinst.d/zz-fastboot:0755 \
	kernel/zz-fastboot:kernel/postrm.d/zz-fastboot:0755
# Under INITRAMFSDIR, from packaging/initramfs-tools/.
FB_INITRAMFS := hooks/fastboot scripts/init-top/fastboot scripts/init-bottom/fastboot
# ... and what they source (not executable)
FB_INITRAMFS_DATA := scripts/fastboot-functions
FB_DKMS_FILES := Kbuild dkms.conf kmod/Kbuild \
	$(filter-out %.mod.c,$(wildcard kmod/*.c)) $(wildcard kmod/*.h kmod/uapi/*.h)
# Paths in the units and scripts, for another PREFIX or SYSCONFDIR.
FB_UNIT_SED := -e 's|/usr/sbin/fastboot|$(SBINDIR)/fastboot|g' \
	-e 's|/etc/default/fastboot|$(SYSCONFDIR)/default/fastboot|g'

install: tool
	$(INSTALL) -D -m 0755 tools/fastboot/fastboot $(DESTDIR)$(SBINDIR)/fastboot
	$(INSTALL) -D -m 0644 Documentation/fastboot.8 $(DESTDIR)$(MANDIR)/man8/fastboot.8
	$(INSTALL) -D -m 0644 packaging/bash-completion/fastboot $(DESTDIR)$(BASHCOMPDIR)/fastboot
	$(INSTALL) -d $(DESTDIR)$(SYSTEMDUNITDIR)
	for u in $(FB_UNITS); do \
		sed $(FB_UNIT_SED) packaging/systemd/$$u >$(DESTDIR)$(SYSTEMDUNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
	done
	$(INSTALL) -d $(DESTDIR)$(EXAMPLESDIR)
	for u in $(FB_EXAMPLES); do \
		sed $(FB_UNIT_SED) packaging/systemd/$$u >$(DESTDIR)$(EXAMPLESDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(EXAMPLESDIR)/$$u || exit 1; \
	done
	for f in $(FB_INITRAMFS); do \
		$(INSTALL) -d $(DESTDIR)$(INITRAMFSDIR)/$$(dirname $$f) && \
		sed $(FB_UNIT_SED) packaging/initramfs-tools/$$f >$(DESTDIR)$(INITRAMFSDIR)/$$f && \
		chmod 0755 $(DESTDIR)$(INITRAMFSDIR)/$$f || exit 1; \
	done
	for f in $(FB_INITRAMFS_DATA); do \
		sed $(FB_UNIT_SED) packaging/initramfs-tools/$$f >$(DESTDIR)$(INITRAMFSDIR)/$$f && \
		chmod 0644 $(DESTDIR)$(INITRAMFSDIR)/$$f || exit 1; \
	done
	@for c in $(FB_CONFIGS); do \
		src=packaging/$${c%%:*}; rest=$${c#*:}; mode=$${rest#*:}; \
		d=$(DESTDIR)$(SYSCONFDIR)/$${rest%%:*}; \
		$(INSTALL) -d $$(dirname $$d) && \
		sed $(FB_UNIT_SED) $$src >$$d.fb-new || exit 1; \
		if [ -e $$d ] && ! cmp -s $$d.fb-new $$d; then \
			echo "install: keeping $$d (changed; new one in $$src)"; \
			rm -f $$d.fb-new; \
		else \
			echo "$(INSTALL) -D -m $$mode $$src $$d"; \
			$(INSTALL) -D -m $$mode $$d.fb-new $$d && rm -f $$d.fb-new || exit 1; \
		fi; \
	done
	@echo "install: done; then: systemctl daemon-reload; systemctl enable fastboot.service fastboot-arm.service;"
	@echo "install: after setting FASTBOOT_REGION in $(SYSCONFDIR)/default/fastboot: update-initramfs -u; update-grub"

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/fastboot $(DESTDIR)$(MANDIR)/man8/fastboot.8 \
		$(DESTDIR)$(BASHCOMPDIR)/fastboot \
		$(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(FB_UNITS)) \
		$(addprefix $(DESTDIR)$(EXAMPLESDIR)/,$(FB_EXAMPLES)) \
		$(addprefix $(DESTDIR)$(INITRAMFSDIR)/,$(FB_INITRAMFS) $(FB_INITRAMFS_DATA))
	@for c in $(FB_CONFIGS); do \
		src=packaging/$${c%%:*}; rest=$${c#*:}; \
		d=$(DESTDIR)$(SYSCONFDIR)/$${rest%%:*}; \
		if [ -e $$d ] && ! sed $(FB_UNIT_SED) $$src | cmp -s - $$d; then \
			echo "uninstall: keeping $$d (changed)"; \
		else \
			echo "rm -f $$d"; rm -f $$d; \
		fi; \
	done

install-dkms:
	test -n "$(FB_VERSION)"
	for f in $(FB_DKMS_FILES); do \
		$(INSTALL) -D -m 0644 $$f $(DESTDIR)$(DKMSSRCDIR)/fastboot-$(FB_VERSION)/$$f || exit 1; \
	done
	if [ -z "$(DESTDIR)" ]; then \
		dkms status -m fastboot -v $(FB_VERSION) | grep -q . || \
			dkms add -m fastboot -v $(FB_VERSION) && \
		dkms install -m fastboot -v $(FB_VERSION); \
	fi

dkms-check:
	scripts/dkms-check.sh $(KVER)

check-cli: tool
	selftests/cli-consistency.sh

check-hostfiles: tool
	selftests/hostfiles-check.sh $(KVER)

deb:
	scripts/deb.sh

check-deb:
	selftests/deb-check.sh

.PHONY: install uninstall install-dkms dkms-check check-cli check-hostfiles deb check-deb

# ---------------------------------------------------------------------------
# Other Debian kernels (scripts/kernels.sh, scripts/check-kernels.sh).
#
#   make kernels        build kmod/ and selftests/kmod/ with -Werror against
#                       bookworm's 6.1 (host), trixie's and sid's kernels
#                       (cached debootstrap chroots under build/kernels/);
#                       modules and vmlinuz go to build/kernels/<kver>/
#   make check-kernels  the same, then the VM scenarios store,
#                       store-unclean, vdev, guest, guest-pages and vm on each
#                       kernel with its own module and its own virtio and
#                       file system modules
#                       (root; FB_KERNELS_SCENARIOS overrides the list)
# ---------------------------------------------------------------------------
kernels: deps
	scripts/kernels.sh bookworm trixie sid

check-kernels: deps tool
	scripts/check-kernels.sh bookworm trixie sid

.PHONY: kernels check-kernels

# ---------------------------------------------------------------------------
# A real Debian 12 host (selftests/host/, scripts/mkhost.sh).
#
#   make check-host  build the packages (make deb), install them in a
#                    debootstrapped bookworm host with systemd and
#                    initramfs-tools (cached in /var/cache/fastboot-bed,
#                    rebuilt when selftests/host/recipe.sh changes), boot it
#                    from its own kernel and initrd and run
#                    selftests/host/stages.sh through an update via
#                    systemctl kexec, a panic into the crash kernel, update
#                    --from-store, a kernel package reinstallation and an
#                    update through the kexec_load fallback (root)
# ---------------------------------------------------------------------------
check-host: deps
	selftests/host/run.sh

.PHONY: check-host

# ---------------------------------------------------------------------------
# A fleet under Ansible (contrib/ansible/, selftests/fleet/).
#
#   make check-ansible  selftests/ansible-sanity.sh: ansible-test sanity
#                    (the tests that run offline), ansible-lint, ansible-doc,
#                    documented options = argument_spec, the collection
#                    build, the example playbook's syntax (also part of
#                    make check)
#   make check-fleet  three Debian 12 hosts of the host bed (1 GiB each, sshd
#                    on 127.0.0.1 only) and Debian's ansible-core: check
#                    mode, a rolling update with one module changed, the
#                    same play again, a failing health gate on the second
#                    host (rolled back, the third untouched); the admin
#                    guide's Fleets section (root)
# ---------------------------------------------------------------------------
check-ansible: deps
	selftests/ansible-sanity.sh

check-fleet: deps
	selftests/fleet/run.sh

.PHONY: check-ansible check-fleet

# ---------------------------------------------------------------------------
# Reliability and security tests (selftests/fuzz/, selftests/vm/hostile.c).
#
#   make fuzz        build the libFuzzer targets (clang; selftests/fuzz/) and
#                    fuzz each for FUZZ_SECONDS (default 60): the attach
#                    path, bootimg.c, the manifest and the image record
#   make check-fuzz  every target's kept corpus through a gcc ASan/UBSan
#                    driver (also part of make check)
#   make fb-hostile  build/bin/fb-hostile, static, for the VM initramfs
#                    (scenario reliability); built by `make all`
#   make check-long  every fuzz target for FUZZ_SECONDS, then the
#                    reliability scenario with 20 kexec cycles
#                    (FB_REL_KEXEC_CYCLES; `make check` runs 3), then
#                    make check-fleet (too long for CI: see README)
# ---------------------------------------------------------------------------
FUZZ_SECONDS ?= 60

all: fb-hostile

fb-hostile: build/bin/fb-hostile

build/bin/fb-hostile: selftests/vm/hostile.c kmod/uapi/fastboot.h
	@mkdir -p build/bin
	$(CC) -static -O2 -g -std=gnu11 -Wall -Wextra -Werror -Ikmod -o $@ $<

fuzz:
	$(MAKE) -C selftests/fuzz fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

check-fuzz:
	$(MAKE) -s -C selftests/fuzz check

check-long: deps
	$(MAKE) fuzz
	$(MAKE) all
	FB_VM_BUILD=build/vm-long FB_VM_TIMEOUT=1800 \
		FB_VM_APPEND="fbrel.kexec=$${FB_REL_KEXEC_CYCLES:-20}" \
		selftests/run-vm.sh reliability
	selftests/fleet/run.sh

.PHONY: fb-hostile fuzz check-fuzz check-long

# ---------------------------------------------------------------------------
# Benchmarks (scripts/bench.sh, selftests/bench/).
#
#   make bench   update reboot (also by reference), crash recovery (also
#                by reference), VM blackout, store throughput, guest memory
#                and a store at scale, measured in the VM test bed; writes
#                results/bench.md, results/bench.json and results/bench.png.
#                Reports, never gates.  BENCH_REPS (default 5) and
#                BENCH_SECTIONS (default "update byref crash crashbyref vm
#                store guestmem scale") select;
#                BENCH_VM=0 skips the VM blackout section (nested QEMU,
#                25 to 45 minutes of the run).
# ---------------------------------------------------------------------------
bench: deps
	$(MAKE) all
	scripts/bench.sh

.PHONY: bench
