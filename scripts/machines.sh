# SPDX-License-Identifier: GPL-2.0
#
# The test machines: one table, sourced by scripts/test.sh and
# scripts/debug-kernel.sh.  For each machine, how scripts/vm-run.sh boots
# it and which tests selftests/run-guest.sh runs in it.
#
#   dn_machines     every machine, in the order of the summaries
#   dn_start_order  the same, the longest first (test.sh starts them so)
#   dn_machine NAME sets, for machine NAME (returns 1 if there is none):
#     dn_tests      the tests: run-guest.sh's arguments
#     dn_vm_opts    how it boots: vm-run.sh's options (an array), on top
#                   of the defaults (2 vCPUs, 2 GiB, memmap=512M$0x40000000,
#                   an empty node 1)
#     dn_timeout    vm-run.sh --timeout on a stock kernel, in seconds
#     dn_build      the build it boots from, under build/ (default: build/
#                   itself); hostpath: the real-host build (test.sh)
#     dn_once       1: on the first kernel asked for only
#
# Typical times on the stock kernels (README): main 6 min, work 3.5,
# conc 5, migration 7, icount 1 to 1.5, noreserve, nonode and hostpath
# seconds.
set -euo pipefail

dn_machines=(main work icount noreserve nonode hostpath conc migration)
dn_start_order=(conc migration work main icount hostpath noreserve nonode)

dn_machine() {
	dn_vm_opts=()
	dn_timeout=900
	dn_build=
	dn_once=0
	case $1 in
	# The module's suites: the node, trap semantics, the split,
	# enrollment.
	main)
		dn_tests="dn_node_test dn_remote_test dn_split_test dn_blade_test dn_enroll_test"
		dn_timeout=1800 ;;
	# The workloads (Debian's sqlite3, redis, sysbench, xz, perf).
	work)
		dn_tests=dn_work_test
		dn_timeout=2400 ;;
	# Instruction-counted guest time (QEMU 10, scripts/deps.sh qemu10):
	# the calibrated latency and a workload's repeatability, 2 to 3
	# minutes.
	icount)
		dn_tests=dn_icount_test
		dn_vm_opts=(--clock icount) ;;
	# Loading without a memmap= reservation, without an empty node.
	noreserve)
		dn_tests=dn_noreserve_test
		dn_vm_opts=(--memmap none) ;;
	nonode)
		dn_tests=dn_nonode_test
		dn_vm_opts=(--single-node) ;;
	# The real-host path: the module and user programs built with the
	# kernel's headers only, the selftests run from another prefix than
	# /dn (selftests/run-host-path.sh); once, on the first kernel.
	hostpath)
		dn_tests=run-host-path.sh
		dn_build=hostpath
		dn_once=1 ;;
	# 8 cases of 20 s and 20 unload cycles: 4.5 to 6.5 minutes.
	conc)
		dn_tests=dn_conc_test
		dn_vm_opts=(--smp 4)
		dn_timeout=1200 ;;
	# The kernel's migration selftest, plain and as a target (3 cases
	# of 60 s, twice, after a 60 s baseline): about 8 minutes; it
	# needs 3 vCPUs or more.
	migration)
		dn_tests=run-migration.sh
		dn_vm_opts=(--smp 4)
		dn_timeout=900 ;;
	*)
		return 1 ;;
	esac
}
