# SPDX-License-Identifier: GPL-2.0
#
# make                 module for KVER (default 6.1), user programs, selftests
#                      and unit tests; without the linux-source tree that the
#                      tests need (scripts/deps.sh), the module and the user
#                      programs only: what a real host needs
# make KVER=$(uname -r) module user
#                      the module and the user programs for the running
#                      kernel of a real host: its headers are all it needs
# make KVER=... install
#                      what was built, laid out as the selftests expect
#                      (DN_PREFIX): $(PREFIX)/bin (user programs and
#                      scripts), $(PREFIX)/selftests if built; the module
#                      in /lib/modules/<release>/extra/, then depmod.
#                      PREFIX defaults to /opt/disagg_node; DESTDIR stages
#                      it elsewhere (no depmod then)
# make KVER=6.12       the same against the bookworm-backports 6.12 kernel
# make KVER=sid        the same against sid's kernel (whatever release sid
#                      shipped when deps.sh fetched it), built in the sid chroot
# make KVER=<release>  against any kernel whose headers are unpacked in
#                      .cache/kernels/ or installed in /lib/modules/<release>
# make test            every test on every target kernel (scripts/test.sh)
# make demo            the demo in a VM (scripts/demo.sh)
# make user            the user programs of tools/, bench/ and workloads/
#                      into build/user/ (dn_run a symlink to dnctl)
# make checkpatch      checkpatch.pl --strict on the kernel sources
# make unit            the unit tests of the policy core and of the benchmarks'
#                      statistics, built for the host (build/unit/)
# make kmsg-check      the selftests' kernel log scanner as a host program
#
# Everything is built under build/; nothing is written into the sources.

KVER ?= 6.1
# Resolved: the sid chroot bind-mounts it, and a symlinked .cache (a git
# worktree sharing the main tree's) would dangle inside the chroot.
CACHE ?= $(or $(realpath $(CURDIR)/.cache),$(CURDIR)/.cache)
BUILD ?= $(CURDIR)/build

ifneq ($(wildcard $(CACHE)/kernels/$(KVER)/kver),)
KREL := $(shell cat $(CACHE)/kernels/$(KVER)/kver)
KDIR ?= $(CACHE)/kernels/$(KVER)/root/usr/src/linux-headers-$(KREL)
else
KREL := $(KVER)
KDIR ?= $(firstword $(wildcard $(CACHE)/kernels/*/root/usr/src/linux-headers-$(KREL)) \
	/lib/modules/$(KREL)/build)
endif

# A kernel the host's compiler cannot build for (sid's: gcc-16, glibc >= 2.38)
# is built inside the chroot that scripts/deps.sh named in its 'chroot'
# file; everything else (user programs, selftests) is built on the host.
KCHROOT := $(shell cat $(CACHE)/kernels/$(KVER)/chroot 2>/dev/null)
ifneq ($(KCHROOT),)
KRUN := $(CURDIR)/scripts/in-chroot.sh $(KCHROOT) $(CURDIR) $(BUILD) $(CACHE) --
endif

# kselftest_harness.h and checkpatch.pl come from the linux-source tree.
KSRC ?= $(CACHE)/linux-source-6.1

MODBUILD := $(BUILD)/$(KREL)
KMOD_SRCS := $(wildcard kmod/*.c kmod/*.h)
CFLAGS_USER := -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE
# The user programs, by role (tools/, bench/, workloads/), all built into
# build/user/, which the guest has as /dn/bin.
TOOLS := dnctl
BENCH := dn_latbench dn_trapbench dn_cbps
WORKLOADS := dn_touch dn_qsort dn_blackscholes dn_tpch
USER_PROGS := $(TOOLS) $(BENCH) $(WORKLOADS)
SELFTESTS := dn_node_test dn_noreserve_test dn_nonode_test dn_remote_test dn_conc_test dn_split_test dn_blade_test dn_work_test dn_icount_test dn_enroll_test

.PHONY: all module user selftests unit kmsg-check test demo checkpatch clean no-tests install
# The selftests and the unit tests need kselftest_harness.h from the
# linux-source tree; the module and the user programs need only the
# kernel's headers.
HAVE_KSRC := $(wildcard $(KSRC)/tools/testing/selftests/kselftest_harness.h)
all: module user $(if $(HAVE_KSRC),selftests unit,no-tests)

no-tests:
	@echo "make: built the module and the user programs; not the selftests or the unit tests: no kselftest_harness.h in $(KSRC) (scripts/deps.sh unpacks linux-source-6.1 there)"

module: $(MODBUILD)/disagg_node.ko

$(MODBUILD)/kmod/config.h: kmod/gen-config.sh $(wildcard kmod/probes/*.c)
	@test -f $(KDIR)/Makefile || { echo "no kernel headers in $(KDIR): run scripts/deps.sh" >&2; exit 1; }
	mkdir -p $(MODBUILD)/kmod
	$(KRUN) kmod/gen-config.sh $(KDIR) $@

$(MODBUILD)/disagg_node.ko: $(MODBUILD)/kmod/config.h $(KMOD_SRCS) Kbuild
	ln -sf $(CURDIR)/Kbuild $(MODBUILD)/Kbuild
	for f in $(KMOD_SRCS); do ln -sf $(CURDIR)/$$f $(MODBUILD)/$$f; done
	$(KRUN) $(MAKE) -C $(KDIR) M=$(MODBUILD) modules || { \
		echo "disagg_node: the module does not build against $(KREL)." >&2; \
		echo "Its API probes (kmod/probes/, one per known kernel difference) found:" >&2; \
		sed -n 's|^#define \(HAVE_[A-Z0-9_]*\) 1|  \1 yes|p; s|^/\* \(HAVE_[A-Z0-9_]*\) is not set \*/|  \1 no|p' $< >&2; \
		echo "An error above that none of them explains is a new API difference: add a probe." >&2; \
		exit 1; }

user: $(addprefix $(BUILD)/user/,$(USER_PROGS)) $(BUILD)/user/dn_run

# dn_run is dnctl run --quiet under its old name: dnctl reads argv[0].
$(BUILD)/user/dn_run: $(BUILD)/user/dnctl
	ln -sf dnctl $@

# A program's source is in one of the three folders; tools/ holds the
# headers the others share (dn_pagemap.h).
USER_HDRS := $(wildcard tools/*.h bench/*.h workloads/*.h)

$(BUILD)/user/%: tools/%.c $(USER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_USER) -static -o $@ $<

$(BUILD)/user/%: bench/%.c $(USER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_USER) -static -o $@ $<

$(BUILD)/user/%: workloads/%.c $(USER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_USER) -static -o $@ $<

$(BUILD)/user/dn_blackscholes: workloads/dn_blackscholes.c $(USER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_USER) -static -o $@ $< -lm

selftests: $(addprefix $(BUILD)/selftests/,$(SELFTESTS)) $(BUILD)/selftests/migration

# The selftests' library (selftests/lib/: the module and its files, the
# kernel log, memory, the environment, dn-workload.sh's CSV), compiled once and linked into
# every selftest, as tools/testing/selftests/mm does with vm_util.c.  Its
# objects stay out of $(BUILD)/selftests/, which the guest gets whole.
SELFTEST_OBJ := $(BUILD)/obj/selftests
SELFTEST_LIB := $(addprefix $(SELFTEST_OBJ)/,dn_env.o dn_kmsg.o dn_mem.o dn_module.o dn_workload.o)
SELFTEST_HDRS := $(wildcard selftests/lib/*.h) tools/dn_pagemap.h
CFLAGS_SELFTEST := $(CFLAGS_USER) -Wno-unused-parameter -Iselftests/lib -I$(SELFTEST_OBJ)

# Kept: the selftests' pattern rule would otherwise delete them as
# intermediate files after each build.
.SECONDARY: $(SELFTEST_LIB)

$(SELFTEST_OBJ)/%.o: selftests/lib/%.c $(SELFTEST_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_SELFTEST) -c -o $@ $<

# What is a kernel problem in a kernel log: scripts/check-dmesg.patterns,
# the host scanner's, compiled into the selftests' one as C strings.
$(SELFTEST_OBJ)/dn_kmsg_patterns.h: scripts/check-dmesg.patterns
	@mkdir -p $(dir $@)
	sed -e '/^#/d' -e '/^$$/d' -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/.*/"&",/' $< > $@.tmp
	mv $@.tmp $@

$(SELFTEST_OBJ)/dn_kmsg.o: $(SELFTEST_OBJ)/dn_kmsg_patterns.h

# The selftests' scanner as a host program, for scripts/test-check-dmesg.sh.
kmsg-check: $(BUILD)/unit/dn_kmsg_check

$(BUILD)/unit/dn_kmsg_check: selftests/lib/dn_kmsg_check.c $(SELFTEST_OBJ)/dn_kmsg.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_SELFTEST) -o $@ $< $(SELFTEST_OBJ)/dn_kmsg.o

$(BUILD)/selftests/%: selftests/%.c $(SELFTEST_LIB) $(SELFTEST_HDRS)
	@test -f $(KSRC)/tools/testing/selftests/kselftest_harness.h || { echo "no kselftest_harness.h in $(KSRC): run scripts/deps.sh" >&2; exit 1; }
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_SELFTEST) -static -I$(KSRC)/tools/testing/selftests -o $@ $< $(SELFTEST_LIB)

# The kernel's own migration selftest, built from the linux-source tree as
# it is (static libnuma); selftests/migration-wrap.h adds "-t NAME" and
# DN_MIGRATION_RETRY_MS.
MIGRATION_SRC := $(KSRC)/tools/testing/selftests/vm/migration.c

$(BUILD)/selftests/migration: $(MIGRATION_SRC) selftests/migration-wrap.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -D_GNU_SOURCE -static -pthread -I$(KSRC)/tools/testing/selftests \
		-include selftests/migration-wrap.h -o $@ $(MIGRATION_SRC) -lnuma

$(MIGRATION_SRC):
	@echo "no $@: run scripts/deps.sh" >&2; exit 1

# The policy core (kmod/policy.c) built for the host and unit-tested there
# (kmod/tests/, out of the module's sources); the benchmarks' statistics
# (bench/dn_stats.h) likewise.
unit: $(BUILD)/unit/test_policy $(BUILD)/unit/test_stats

$(BUILD)/unit/test_stats: bench/test_stats.c bench/dn_stats.h
	@test -f $(KSRC)/tools/testing/selftests/kselftest_harness.h || { echo "no kselftest_harness.h in $(KSRC): run scripts/deps.sh" >&2; exit 1; }
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_USER) -Wno-unused-parameter -Ibench -I$(KSRC)/tools/testing/selftests -o $@ bench/test_stats.c

$(BUILD)/unit/test_policy: kmod/tests/test_policy.c kmod/policy.c kmod/policy.h
	@test -f $(KSRC)/tools/testing/selftests/kselftest_harness.h || { echo "no kselftest_harness.h in $(KSRC): run scripts/deps.sh" >&2; exit 1; }
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_USER) -Wno-unused-parameter -Ikmod -I$(KSRC)/tools/testing/selftests -o $@ kmod/tests/test_policy.c kmod/policy.c

PREFIX ?= /opt/disagg_node
DESTDIR ?=

install: module user
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)/lib/modules/$(KREL)/extra
	cp -P $(BUILD)/user/* $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 workloads/*.sh scripts/demo-guest.sh $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(MODBUILD)/disagg_node.ko $(DESTDIR)/lib/modules/$(KREL)/extra/
	if [ -d $(BUILD)/selftests ]; then \
		install -d $(DESTDIR)$(PREFIX)/selftests || exit 1; \
		for f in $(BUILD)/selftests/*; do \
			[ ! -f "$$f" ] || install -m 0755 "$$f" $(DESTDIR)$(PREFIX)/selftests/ || exit 1; \
		done; \
		install -m 0755 selftests/*.sh $(DESTDIR)$(PREFIX)/selftests/; \
	fi
	[ -n "$(DESTDIR)" ] || depmod -a $(KREL)

test:
	scripts/test.sh

demo:
	scripts/demo.sh

checkpatch:
	$(KSRC)/scripts/checkpatch.pl --strict --no-tree --show-types \
		--ignore FILE_PATH_CHANGES -f $(KMOD_SRCS) $(wildcard kmod/probes/*.c)

clean:
	rm -rf $(BUILD)
