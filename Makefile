# SPDX-License-Identifier: GPL-2.0
#
# btrfsx: the btrfs of the running (or named) kernel, built as btrfsx.ko.
#
#   make [KVER=<release>|6.1|6.12|all]   build build/<kver>/btrfsx.ko
#   make demo [KVER=6.12|7.2]            build, boot 6.1 in a VM, show it work
#   make check                           every test; last line "N passed, N failed"
#   make check-debug                     VM suite on a lockdep/KASAN/UBSAN 6.1 kernel
#   make fstests [FSTESTS=...]           fstests, stock btrfs and btrfsx side by side
#   make vm KVER=...                     a shell in a VM with btrfsx loaded
#   make reload KVER=...                 rebuild, then rmmod + insmod here
#   make install / uninstall / deb       DKMS (see README)
#
# Variables: KVER, BTRFSX_KSRC (kernel tree or tarball), BTRFSX_FORCE=1
# (accept a source/headers version mismatch), JOBS.

KVER ?=
TOP := $(CURDIR)

.PHONY: all module deps demo check check-unit check-host check-vm check-long check-debug fstests \
	vm reload clean install uninstall deb bench

all: module

module:
	@$(TOP)/scripts/build $(KVER)

deps:
	@$(TOP)/scripts/dev/deps all

# The demo needs only its kernel's packages (the sid chroot for 7.2).
demo:
	@$(TOP)/scripts/dev/deps build vm test $(if $(filter 7.%,$(KVER)),sid)
	@$(TOP)/scripts/build $(or $(KVER),6.1)
	@$(TOP)/scripts/dev/demo $(or $(KVER),6.1)

check:
	@$(TOP)/scripts/dev/deps all
	@$(TOP)/tests/run

check-long:
	@$(TOP)/scripts/dev/deps all
	@BTRFSX_LONG=1 $(TOP)/tests/run

# fstests on stock btrfs and btrfsx side by side (tests/fstests/run,
# docs/fstests.md): FSTESTS=<tree or tarball>, KVER=6.1|6.12|all (default all).
fstests:
	@$(TOP)/scripts/dev/deps all
	@KVERS="$(or $(KVER),all)" ONLY=fstests $(TOP)/tests/run

check-debug:
	@$(TOP)/scripts/dev/deps all
	@ONLY=debug $(TOP)/tests/run

vm:
	@$(TOP)/scripts/build $(or $(KVER),6.1)
	@$(TOP)/scripts/dev/vm --kver $(or $(KVER),6.1) \
		--ko $(TOP)/build/$$($(TOP)/scripts/kernels $(or $(KVER),6.1))/btrfsx.ko \
		--disk 2G --disk 2G --shell

reload:
	@$(TOP)/scripts/build $(KVER)
	@k=$$($(TOP)/scripts/kernels $(KVER)); \
	if [ "$$k" != "$$(uname -r)" ]; then \
		echo "btrfsx: reload works on the running kernel only ($$(uname -r)); use make vm KVER=$$k" >&2; exit 1; fi; \
	if grep -q '^btrfsx ' /proc/modules; then rmmod btrfsx; fi; \
	insmod $(TOP)/build/$$k/btrfsx.ko && echo "btrfsx: reloaded for $$k"

clean:
	rm -rf $(TOP)/build

# DKMS (scripts/pkg/, dkms.conf, debian/; docs/install.md).
install:
	@$(TOP)/scripts/pkg/dkms-install

uninstall:
	@$(TOP)/scripts/pkg/dkms-uninstall

deb:
	@$(TOP)/scripts/pkg/dkms-deb

# Benchmark btrfsx against btrfs in a VM (bench/run, docs/benchmarks.md).
# KVER=6.1|6.12|all (default all), QUICK=1, ROUNDS=N, WORKLOADS="...".
bench:
	@$(TOP)/bench/run
