# SPDX-License-Identifier: GPL-2.0
# fastboot: top-level build.  `make` builds the module and the tool,
# `make check` runs the unit tests and the in-VM scenarios, `make demo`
# runs the demo in the VM.

KVER ?= 6.1.0-56-amd64
KDIR ?= /usr/src/linux-headers-$(KVER)
PWD := $(CURDIR)

all: module tool test-module

module:
	$(MAKE) -C $(KDIR) M=$(PWD) modules

test-module:
	$(MAKE) -C $(KDIR) M=$(PWD)/selftests/kmod modules

tool:
	$(MAKE) -C tools/fastboot

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

.PHONY: all module test-module tool deps check demo clean
