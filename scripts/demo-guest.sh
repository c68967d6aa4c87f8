#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The demo, run inside the VM: the remote node appears; a program runs on
# it under numactl --membind; with trapping on, a workload holds a 50:50
# local:remote split and pays 10 us per remote access; the module unloads
# cleanly while a program holds memory on the node.
set -e

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

step "Remote memory semantics: trap=1 remote_pct=50 latency_ns=10000"
echo 1 > $S/trap
echo 50 > $S/remote_pct
echo 10000 > $S/latency_ns
echo 1024 > $S/evict_batch
echo "(dn_touch reports placement after its passes, then after 3 s idle:"
echo " by then the worker has evicted cold pages to hold 50% remote)"
numactl --membind="$nid" dn_run -- dn_touch --mb 32 --passes 4 --hold 3
grep . $S/stats/remote_faults $S/stats/promotions $S/stats/evictions \
	$S/stats/injected_delay_ns $S/stats/reprotected

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
