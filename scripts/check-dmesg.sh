#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Scan a guest kernel log for signs of a kernel problem: WARN, BUG, Oops,
# "Call Trace", soft/hard lockups, hung tasks, RCU stalls, panics, and the
# reports of debug kernels (lockdep, KASAN, DEBUG_VM, sleeping in atomic
# context, SLUB debugging).  Prints the offending
# lines and exits 1 if any are found, 0 if the log is clean, 2 if the log is
# missing or empty (a guest that printed nothing is not clean).
#
# Usage: check-dmesg.sh LOGFILE
set -euo pipefail

log=${1:?usage: check-dmesg.sh LOGFILE}
[ -s "$log" ] || { echo "check-dmesg: $log is missing or empty" >&2; exit 2; }

# Lockdep, KASAN, DEBUG_VM, DEBUG_ATOMIC_SLEEP and debug objects reports
# begin with "WARNING:" or "BUG:"; SLUB's own checks with "BUG <cache>
# (Tainted|Not tainted): ..."; RCU Tasks stalls with "INFO: rcu_tasks
# detected stalls on tasks:" (no "rcu: " prefix).
pattern='WARNING:|\bBUG:|BUG kmalloc|BUG [^ ]+ \((Not t|T)ainted|Oops|Call Trace|soft lockup|hard LOCKUP|rcu_sched self-detected stall|rcu: INFO:|INFO: rcu_[a-z_]+ detected stalls|blocked for more than [0-9]+ seconds|Kernel panic|general protection fault|kernel BUG at|UBSAN:|list_add corruption|list_del corruption'
if grep -nE "$pattern" "$log"; then
	echo "check-dmesg: kernel problems found in $log" >&2
	exit 1
fi
exit 0
