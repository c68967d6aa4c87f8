#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Swap-on-access figures (a benchmark, not a test: it prints figures and
# writes them to build/results/, it asserts nothing).  In one VM per
# kernel (2 vCPUs): dn_trapbench (a minor fault of node 0, a trap alone, a
# trap with its exchange, interleaved rounds), then dn_split_test, whose
# cases print the split error at every sample under random access at
# 25/50/75 %, the worker's time for an idle 512 MiB target and the time to
# reach remote_pct 50 from all local, and the pagemap-timed accesses; then
# the idle case again for 32 MiB and 1 GiB targets at remote_pct 25 (the
# VM's remote node is 512 MiB).
# Timings under TCG are emulated: compare ratios from one run.
#
# Usage: scripts/bench-swap.sh [KERNEL...]    (default: 6.1 6.12)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=(6.1 6.12)
build=${BUILD:-$top/build}
export BUILD=$build
"$top/scripts/deps.sh" "${kernels[@]}"
out=$build/results
mkdir -p "$out"

guest='mount -t debugfs none /sys/kernel/debug 2>/dev/null
modprobe disagg_node || exit 1
/dn/bin/dn_trapbench --rounds 5; st=$?
modprobe -r disagg_node
/dn/selftests/dn_split_test || st=1
for mb in 32 1024; do
	DN_SPLIT_ONLY=idle_target_costs_nothing DN_SPLIT_IDLE_MB=$mb DN_SPLIT_IDLE_PCT=25 \
		/dn/selftests/dn_split_test || st=1
done
exit $st'

rc=0
for k in "${kernels[@]}"; do
	make -s KVER="$k" all
	log=$build/logs/bench-swap-$k.log
	"$top/scripts/vm-run.sh" --kernel "$k" --log "$log" -- "$guest" >/dev/null || rc=1
	grep -a -h '^DN-TRAPBENCH\|DN-SPLIT case' "$log" | sed 's/^# [^ ]*://' > "$out/swap-$k.txt" || rc=1
	echo "=== $k ($out/swap-$k.txt)"
	cat "$out/swap-$k.txt"
done
exit $rc
