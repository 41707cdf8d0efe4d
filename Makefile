# SPDX-License-Identifier: GPL-2.0
#
# nflb: build the module and lbctl, install them, test them in a VM.
# Targets: all (default), module, lbctl, iptables, install, dkms-install,
# check, demo, bench, kunit, clean; see README.md.

# The host kernel may have no modules at all: default to the newest kernel
# whose headers are installed, not the running one.
KVER ?= $(shell ls -d /lib/modules/*/build 2>/dev/null | sed 's|/lib/modules/||;s|/build||' | sort -V | tail -n 1)
KDIR ?= /lib/modules/$(KVER)/build
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

V ?= 0
export KVER KDIR

# The iptables plugin of the LBMSS target needs the libxtables headers.
PKG_CONFIG ?= pkg-config
HAVE_XTABLES := $(shell $(PKG_CONFIG) --exists xtables 2>/dev/null && echo y)

.PHONY: all module lbctl iptables install install-module install-tools dkms-install \
	check check-debug demo bench kunit deps clean checkpatch sparse

all: module lbctl iptables

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

lbctl:
	$(MAKE) -C tools/lbctl

iptables:
ifeq ($(HAVE_XTABLES),y)
	$(MAKE) -C tools/iptables
else
	@echo "iptables plugin libxt_LBMSS.so skipped: no libxtables headers (apt-get install libxtables-dev)" >&2
endif

install: install-module install-tools

install-module: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=extra \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	depmod $(if $(DESTDIR),-b $(DESTDIR)) -a $(KVER)

install-tools: lbctl iptables
	$(MAKE) -C tools/lbctl install DESTDIR=$(DESTDIR) SBINDIR=$(SBINDIR) MANDIR=$(MANDIR)
ifeq ($(HAVE_XTABLES),y)
	$(MAKE) -C tools/iptables install DESTDIR=$(DESTDIR) MANDIR=$(MANDIR)
endif

dkms-install:
	selftests/deps.sh dkms build
	dkms remove nflb/$$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf) --all >/dev/null 2>&1 || true
	dkms add $(CURDIR)
	dkms install nflb/$$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf) -k $(KVER)

deps:
	selftests/deps.sh

checkpatch sparse:
	selftests/static-checks.sh $@

check:
	selftests/check.sh

demo:
	selftests/demo.sh

# nflb against IPVS and plain forwarding in a VM; QUICK=1 for a short run.
# Results in bench/results/; see README.md, "Benchmark".
bench:
	bench/run.sh $(if $(QUICK),--quick)

# KUnit suites on a debug kernel (KASAN, lockdep, kmemleak) built from
# Debian's linux-source and cached outside the tree; see kunit/.
kunit:
	kunit/run.sh

check-debug:
	kunit/check-debug.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C tools/lbctl clean
	$(MAKE) -C tools/iptables clean
