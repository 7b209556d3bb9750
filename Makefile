# SPDX-License-Identifier: GPL-2.0
#
# cowsnap top-level Makefile.
#
#   make                 modules (against KDIR) and userspace (tool + tests)
#   make modules         kernel modules only, built in build/kernel/<release>/
#   make userspace       cowsnapctl, libcowsnap, host unit tests, VM test programs
#   make check           host unit tests, then the VM suites on every kernel
#   make demo            boot the VM and walk through what cowsnap does
#   make bench           performance against dm-linear, dm-snapshot, dm-era
#   make soak            verified I/O + snapshot loop, SOAK_DURATION min/kernel
#   make check-debug     the VM suites on a KASAN/lockdep/kmemleak 6.12 build
#   make install         modules, cowsnapctl and man page (DESTDIR, PREFIX)
#
# Every output goes under build/; nothing is written into the source tree.

KDIR	?= /lib/modules/$(shell uname -r)/build
PREFIX	?= /usr/local
DESTDIR	?=

TOP	:= $(CURDIR)
BUILD	:= $(TOP)/build
HOST	:= $(BUILD)/host

# The release the modules are built for (vermagic), not kernel.release,
# which Debian's header packages set to the upstream version.
KREL	 = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' \
		$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
MODOUT	 = $(BUILD)/kernel/$(KREL)

# Sources the module build needs, copied into a per-kernel tree so that two
# kernels can be built side by side (the VM matrix) without sharing objects.
MOD_SRCS := Kbuild drivers include scripts/compat

.PHONY: all modules userspace check check-unit check-debug demo bench soak \
	install clean help

all: modules userspace

help:
	@sed -n '3,14p' Makefile | sed 's/^# \{0,1\}//'

modules:
	@test -f "$(KDIR)/Makefile" || { \
	  echo "modules: KDIR $(KDIR) has no kernel build tree;" \
	       "install the matching linux-headers package or pass KDIR=" >&2; \
	  exit 1; }
	@mkdir -p "$(MODOUT)"
	@cp -a $(MOD_SRCS) "$(MODOUT)/"
	@$(TOP)/scripts/compat/probe.sh "$(KDIR)" "$(MODOUT)"
	$(MAKE) -C "$(KDIR)" M="$(MODOUT)" W=1 modules

-include tools/cowsnapctl/cowsnapctl.mk
include tests/tests.mk

# Both install what they need first (tests/vm/run --install-only).
check:
	@tests/vm/run --install-only --kernel all
	@$(MAKE) -s userspace
	@tests/check.sh

demo:
	@tests/vm/run --install-only --kernel 6.12
	@$(MAKE) -s userspace
	@tests/vm/run --kernel 6.12 --script tests/demo/demo.sh

# Not part of check: it reports figures and fails only when it could not
# measure (tests/bench/run; results in build/bench/).
bench:
	@tests/bench/run

# Not part of check (tests/debug/run, Documentation/reliability.rst): the
# debug kernel is built once per configuration, cached outside the tree.
check-debug:
	@tests/vm/run --install-only --kernel 6.12
	@$(MAKE) -s userspace
	@tests/debug/run

# Not part of check: SOAK_DURATION minutes on each kernel of SOAK_KERNEL
# (6.1, 6.12 or all; tests/soak/run, Documentation/reliability.rst).
SOAK_DURATION	?= 10
SOAK_KERNEL	?= all
soak:
	@tests/vm/run --install-only --kernel $(SOAK_KERNEL)
	@$(MAKE) -s userspace
	@tests/soak/run --duration $(SOAK_DURATION) --kernel $(SOAK_KERNEL)

install: modules userspace
	$(MAKE) -C "$(KDIR)" M="$(MODOUT)" INSTALL_MOD_PATH="$(DESTDIR)" \
		INSTALL_MOD_DIR=updates/cowsnap modules_install
	install -D -m 0755 $(HOST)/cowsnapctl $(DESTDIR)$(PREFIX)/sbin/cowsnapctl
	install -D -m 0644 Documentation/cowsnapctl.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/cowsnapctl.8
	@test -n "$(DESTDIR)" || depmod -a "$(KREL)"

clean:
	rm -rf $(BUILD)
