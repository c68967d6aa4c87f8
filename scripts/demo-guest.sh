#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The demo, run inside the VM (scripts/demo.sh boots it): the remote node
# appears; a program runs on it under numactl --membind; with trapping on,
# a workload holds a 50:50 local:remote split and pays 10 us per remote
# access; the module unloads cleanly while a program holds memory on the
# node.  dn_touch says where its pages are from its page tables
# (/proc/self/pagemap), which see the remote pages mapped PROT_NONE that
# move_pages(2) does not.
set -euo pipefail

S=/sys/kernel/mm/disagg_node
step() { printf '\n### %s\n' "$*"; }

step "Before: one node with CPUs and memory"
numactl -H

step "modprobe disagg_node trap=0 (first, the node alone)"
modprobe disagg_node trap=0
nid=$(cat $S/node_id)
numactl -H
for t in /sys/devices/virtual/memory_tiering/memory_tier*; do
	echo "$(basename "$t"): nodes $(cat "$t/nodelist")   (lower tier = higher number)"
done

step "numactl --membind=$nid dn_touch --mb 64: every page lands on node $nid"
numactl --membind="$nid" dn_touch --mb 64 --expect-node "$nid"

step "Remote memory semantics: trap=1, a target at remote_pct=50 latency_ns=10000"
echo 1 > $S/trap
echo 1024 > $S/evict_batch
echo "(dnctl run runs dn_touch as a target with remote_pct and latency_ns of its"
echo " own (targets/PID/; the global settings stay 0),"
echo " its memory born on node $nid: a first touch traps and brings the page"
echo " home and, once half of the pages are local, sends one the other way."
echo " dn_touch prints where its pages are after its passes and again after"
echo " 3 s idle; dnctl run then prints the split it measured every 100 ms"
echo " while dn_touch ran, and the module's own count)"
dnctl run --remote-pct 50 --latency 10000 -- dn_touch --mb 32 --passes 4 --hold 3
grep . $S/stats/remote_faults $S/stats/promotions $S/stats/exchanges \
	$S/stats/evictions $S/stats/injected_delay_ns $S/stats/reprotected

step "A program holds 64 MiB on node $nid while the module unloads"
echo 0 > $S/trap
numactl --membind="$nid" dn_touch --mb 64 --expect-node "$nid" --hold 4 &
touch_pid=$!
sleep 2
modprobe -r disagg_node
wait "$touch_pid"
numactl -H
if grep -q disagg_node /proc/iomem; then
	echo "demo: /proc/iomem still names disagg_node" >&2
	exit 1
fi
step "Clean unload: node $nid removed, every page migrated home"
dmesg | grep 'disagg_node:' | grep -v taint
