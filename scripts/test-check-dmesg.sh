#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-test of scripts/check-dmesg.sh: a clean log passes, an empty log and
# each kind of kernel problem fail.
set -euo pipefail

check=$(dirname "$0")/check-dmesg.sh
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail=0

expect() {	# expect STATUS NAME LINE...
	local want=$1 name=$2; shift 2
	if [ $# -gt 0 ]; then printf "%s\n" "$@"; fi > "$t/log"
	local got=0
	"$check" "$t/log" >/dev/null 2>&1 || got=$?
	if [ "$got" != "$want" ]; then
		echo "check-dmesg self-test: $name: exit $got, want $want" >&2
		fail=1
	fi
}

clean='[    4.80] disagg_node: node 1: 512 MiB at 0x40000000, lower memory tier, ZONE_MOVABLE'
expect 0 clean "$clean" '[    5.98] disagg_node: node 1 removed, every page migrated home'
expect 2 empty
expect 1 warn "$clean" '[    6.01] WARNING: CPU: 1 PID: 97 at mm/memory_hotplug.c:1234 add_memory_resource+0x1/0x2'
expect 1 bug "$clean" '[    6.01] BUG: unable to handle page fault for address: ffff888000000000'
expect 1 oops '[    6.01] Oops: 0000 [#1] PREEMPT SMP NOPTI'
expect 1 trace '[    6.01] Call Trace:'
expect 1 softlockup '[   30.00] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [modprobe:97]'
expect 1 hardlockup '[   30.00] NMI watchdog: Watchdog detected hard LOCKUP on cpu 1'
expect 1 hung '[  150.00] INFO: task modprobe:97 blocked for more than 120 seconds.'
expect 1 panic '[    6.01] Kernel panic - not syncing: Fatal exception'
# Debug kernel reports (scripts/debug-kernel.sh).
expect 1 circular "$clean" '[   12.34] WARNING: possible circular locking dependency detected'
expect 1 recursive '[   12.34] WARNING: possible recursive locking detected'
expect 1 inconsistent '[   12.34] WARNING: inconsistent lock state'
expect 1 suspicious-rcu '[   12.34] WARNING: suspicious RCU usage'
expect 1 sleeping '[   12.34] BUG: sleeping function called from invalid context at mm/migrate.c:1234'
expect 1 atomic '[   12.34] BUG: scheduling while atomic: dn_remote_test/97/0x00000002'
expect 1 kasan '[   12.34] BUG: KASAN: slab-out-of-bounds in dn_count_pte+0x1/0x2 [disagg_node]'
expect 1 bad-page '[   12.34] BUG: Bad page state in process dn_remote_test  pfn:4a000'
expect 1 vm-bug '[   12.34] kernel BUG at mm/migrate.c:1234!'
expect 1 slub '[   12.34] BUG dn_target (Tainted: G    B      O      ): Object already free'
expect 1 slub-kmalloc '[   12.34] BUG kmalloc-64 (Not tainted): Poison overwritten'
expect 1 rcu-stall '[   40.00] rcu: INFO: rcu_preempt self-detected stall on CPU'
expect 1 rcu-tasks '[  700.00] INFO: rcu_tasks detected stalls on tasks:'
expect 1 wq-lockup '[   60.00] BUG: workqueue lockup - pool cpus=1 node=0 flags=0x0 nice=0 stuck for 31s!'
expect 1 gpf '[   12.34] general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] PREEMPT SMP KASAN'
expect 0 lockdep-off "$clean" '[   12.34] INFO: lockdep is turned off.' '[    0.00] Dentry cache hash table entries: 262144 (order: 9, 2097152 bytes, linear)'
[ "$fail" = 0 ] && echo "check-dmesg self-test: ok"
exit "$fail"
