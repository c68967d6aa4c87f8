#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The demo, run inside the VM: the remote node appears, a program runs on
# it under numactl --membind, and the module unloads cleanly.
set -e

step() { printf '\n### %s\n' "$*"; }

step "Before: one node with CPUs and memory"
numactl -H

step "modprobe disagg_node"
modprobe disagg_node
nid=$(cat /sys/kernel/mm/disagg_node/node_id)
numactl -H
dnctl status

step "Memory tiers (lower tier = higher number)"
for t in /sys/devices/virtual/memory_tiering/memory_tier*; do
	echo "$(basename "$t"): nodes $(cat "$t/nodelist")"
done

step "numactl --membind=$nid dn_touch --mb 64 (pattern written and checked)"
numactl --membind="$nid" dn_touch --mb 64 --expect-node "$nid"

step "A program holds 64 MiB on node $nid while the module unloads"
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
