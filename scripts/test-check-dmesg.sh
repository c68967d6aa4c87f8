#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-test of the kernel log scanners and of their one definition,
# scripts/check-dmesg.patterns: a clean log passes, an empty log and each
# kind of kernel problem fail, both in scripts/check-dmesg.sh (the host's
# scanner of the guests' logs) and in the selftests' scanner
# (selftests/lib/dn_kmsg.c, built here as a host program by make
# kmsg-check), which must agree on every sample; every pattern of the file
# has a sample that it catches; --reports cuts a log into its reports.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
check=$top/scripts/check-dmesg.sh
build=${BUILD:-$top/build}
make -s -C "$top" kmsg-check
twin=$build/unit/dn_kmsg_check
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail=0
: > "$t/bad-samples"

expect() {	# expect STATUS NAME LINE...
	local want=$1 name=$2; shift 2
	if [ $# -gt 0 ]; then printf "%s\n" "$@"; fi > "$t/log"
	[ "$want" != 1 ] || cat "$t/log" >> "$t/bad-samples"
	local got=0 got_twin=0
	"$check" "$t/log" >/dev/null 2>&1 || got=$?
	"$twin" "$t/log" >/dev/null 2>&1 || got_twin=$?
	if [ "$got" != "$want" ]; then
		echo "check-dmesg self-test: $name: check-dmesg.sh exit $got, want $want" >&2
		fail=1
	fi
	if [ "$got_twin" != "$want" ]; then
		echo "check-dmesg self-test: $name: the selftests' scanner exit $got_twin, want $want" >&2
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
expect 1 softlockup-old '[   30.00] NMI watchdog: soft lockup - CPU#0 stuck for 22s!'
expect 1 hardlockup '[   30.00] NMI watchdog: Watchdog detected hard LOCKUP on cpu 1'
expect 1 hung '[  150.00] INFO: task modprobe:97 blocked for more than 120 seconds.'
expect 1 panic '[    6.01] Kernel panic - not syncing: Fatal exception'
expect 1 ubsan '[    6.01] UBSAN: shift-out-of-bounds in mm/memory.c:1234:5'
expect 1 list-add '[    6.01] list_add corruption. next->prev should be prev (ffff888), but was 0000. (next=ffff888).'
expect 1 list-del '[    6.01] list_del corruption, ffff888000000000->next is LIST_POISON1 (dead000000000100)'
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
expect 1 slub-kmalloc-short '[   12.34] BUG kmalloc-64: Redzone overwritten'
expect 1 rcu-stall '[   40.00] rcu: INFO: rcu_preempt self-detected stall on CPU'
expect 1 rcu-stall-old '[   40.00] INFO: rcu_sched self-detected stall on CPU 0'
expect 1 rcu-tasks '[  700.00] INFO: rcu_tasks detected stalls on tasks:'
expect 1 wq-lockup '[   60.00] BUG: workqueue lockup - pool cpus=1 node=0 flags=0x0 nice=0 stuck for 31s!'
expect 1 gpf '[   12.34] general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] PREEMPT SMP KASAN'
expect 0 lockdep-off "$clean" '[   12.34] INFO: lockdep is turned off.' '[    0.00] Dentry cache hash table entries: 262144 (order: 9, 2097152 bytes, linear)'
# Words that contain a pattern's letters but are no report.
expect 0 near-misses '[    1.00] DEBUG: nothing' '[    1.00] random: crng init done' '[    1.00] printk: 12 messages suppressed, BUGS none'

# Every pattern of the file catches at least one sample above: a pattern
# added without a sample, or one that no longer matches its own, fails.
while IFS= read -r p; do
	if ! grep -qE -e "$p" "$t/bad-samples"; then
		echo "check-dmesg self-test: pattern '$p' catches no sample" >&2
		fail=1
	fi
done < <(grep -vE '^(#|$)' "$top/scripts/check-dmesg.patterns")

# --reports: a WARN with its stack and a KASAN report are two reports, the
# stack in the first; the verdict is the same.
printf '%s\n' "$clean" \
	'[   12.00] ------------[ cut here ]------------' \
	'[   12.00] WARNING: CPU: 1 PID: 97 at kmod/evict.c:100 dn_pass+0x1/0x2 [disagg_node]' \
	'[   12.00] Modules linked in: disagg_node' \
	'[   12.00] CPU: 1 PID: 97 Comm: kworker Not tainted 6.1.0 #1' \
	'[   12.00] RIP: 0010:dn_pass+0x1/0x2 [disagg_node]' \
	'[   12.00] RSP: 0018:ffffc90000000000 EFLAGS: 00010246' \
	'[   12.00] RAX: 0000000000000000 RBX: 0000000000000000' \
	'[   12.00] RDX: 0000000000000000 RSI: 0000000000000000' \
	'[   12.00] Call Trace:' '[   12.00]  <TASK>' '[   12.00]  dn_evict_workfn+0x1/0x2' '[   12.00]  </TASK>' \
	'[   12.00] ---[ end trace 0000000000000000 ]---' "$clean" \
	'[   13.00] ==================================================================' \
	'[   13.00] BUG: KASAN: slab-out-of-bounds in dn_count_pte+0x1/0x2 [disagg_node]' \
	'[   13.00] Read of size 8 at addr ffff888000000000 by task dn_remote_test/97' \
	'[   13.00] Call Trace:' '[   13.00]  <TASK>' '[   13.00]  </TASK>' \
	'[   13.00] The buggy address belongs to the object at ffff888000000000' \
	'[   13.00] ==================================================================' "$clean" > "$t/log"
st=0
"$check" --reports "$t/log" > "$t/reports" 2>/dev/null || st=$?
if [ "$st" != 1 ] || [ "$(grep -c '^----$' "$t/reports")" != 2 ] ||
   ! sed -n '2,/^----$/p' "$t/reports" | grep -q 'Call Trace' ||
   grep -q 'disagg_node: node 1' "$t/reports"; then
	echo "check-dmesg self-test: --reports: exit $st, want 1 and 2 reports, the stack in the first:" >&2
	cat "$t/reports" >&2
	fail=1
fi
printf '%s\n' "$clean" > "$t/log"
st=0
"$check" --reports "$t/log" > "$t/reports" 2>/dev/null || st=$?
if [ "$st" != 0 ] || [ -s "$t/reports" ]; then
	echo "check-dmesg self-test: --reports on a clean log: exit $st, want 0 and nothing" >&2
	fail=1
fi

[ "$fail" = 0 ] && echo "check-dmesg self-test: ok"
exit "$fail"
