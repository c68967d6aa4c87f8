#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Content-based page sharing on the remote node (Figure E), in the test
# guest with disagg_node loaded: place groups of workloads on the node one
# after the other (numactl --membind: the memory blade holds all their
# memory; trapping off, so nothing moves) and after each group report what content-based page sharing at
# the blade would find there (dn_cbps: the node's pages hashed in the
# kernel).  A group is what one consolidated server would run:
#   redis-server filled by redis-benchmark (SET, random keys, 256 B values),
#   sqlite3 holding a generated lineitem table in memory,
#   dn_qsort and dn_blackscholes holding their data after their run,
# each group with its own data (its own seeds): what the groups share is
# what such programs share by nature (zero pages, their code and libraries
# read into the page cache, common structures), not planted copies.
# Prints "groups,pages,zero,duplicate,unique,distinct,saving" lines on
# stdout (dn_cbps --csv's figures for the whole node, after each group).
#
# Usage: dn-consolidate.sh [--size quick|full] [--groups N]
# Exit status 0, 1 if a workload or the report failed, 2 on bad usage.
set -u

size=full
groups=4
while [ $# -gt 0 ]; do
	case $1 in
	--size) size=${2:-}; shift 2 || exit 2 ;;
	--groups) groups=${2:-}; shift 2 || exit 2 ;;
	*) echo "usage: dn-consolidate.sh [--size quick|full] [--groups N]" >&2; exit 2 ;;
	esac
done
case $size in
quick) redis_n=20000 rows=20000 qsort_mib=8 bs_options=100000 ;;
full) redis_n=100000 rows=100000 qsort_mib=32 bs_options=400000 ;;
*) echo "dn-consolidate: --size takes quick or full, not '$size'" >&2; exit 2 ;;
esac
case $groups in
''|*[!0-9]*|0) echo "dn-consolidate: --groups takes a positive number, not '$groups'" >&2; exit 2 ;;
esac
[ "$groups" -le 8 ] || { echo "dn-consolidate: --groups takes at most 8" >&2; exit 2; }

node=$(cat /sys/kernel/mm/disagg_node/node_id 2>/dev/null) || {
	echo "dn-consolidate: disagg_node is not loaded" >&2
	exit 1
}
# Trapping off: the node is a plain lower-tier node and its pages stay
# where membind put them (the blade's content, unmoved); back on at exit.
dnctl set trap 0 > /dev/null || exit 1
work=/tmp/dn-consolidate
mkdir -p "$work"
pids=
rc=0

# The workloads, and the sleeps keeping sqlite3's stdin open, die with us.
cleanup() {
	for p in $pids; do
		kill "$p" 2> /dev/null
	done
	pkill -x sleep 2> /dev/null
	dnctl set trap 1 > /dev/null
}
trap cleanup EXIT

# Wait until FILE contains WORD (60 s at most).
wait_for() {
	i=0
	until grep -q "$2" "$1" 2> /dev/null; do
		i=$((i + 1))
		[ $i -lt 600 ] || return 1
		sleep 0.1
	done
}

on_node() {
	numactl --membind="$node" "$@"
}

echo "groups,pages,zero,duplicate,unique,distinct,saving"
g=1
while [ "$g" -le "$groups" ]; do
	port=$((6400 + g))
	on_node redis-server --port "$port" --save '' --appendonly no > "$work/redis$g.log" 2>&1 &
	pids="$pids $!"
	i=0
	until [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; do
		i=$((i + 1))
		[ $i -lt 300 ] || { echo "dn-consolidate: redis-server $g did not start" >&2; rc=1; break; }
		sleep 0.1
	done
	redis-benchmark -p "$port" -q -t set -n "$redis_n" -r "$redis_n" -d 256 -c 4 \
		> /dev/null 2>&1 || { echo "dn-consolidate: redis-benchmark $g failed" >&2; rc=1; }

	csv=$work/lineitem$g.csv
	dn_tpch gen --rows "$rows" --seed "$g" "$csv" || rc=1
	# sqlite3 loads the table, says so, and waits on its open stdin.
	{ dn_tpch sql load "$csv"; echo "SELECT 'loaded', count(*) FROM lineitem;"; sleep 100000; } |
		on_node sqlite3 :memory: > "$work/sqlite$g.out" 2>&1 &
	pids="$pids $!"
	on_node dn_qsort --mib "$qsort_mib" --seed "$g" --hold 100000 > "$work/qsort$g.out" 2>&1 &
	pids="$pids $!"
	on_node dn_blackscholes --options "$bs_options" --seed "$g" --hold 100000 > "$work/bs$g.out" 2>&1 &
	pids="$pids $!"
	wait_for "$work/sqlite$g.out" "loaded|$rows" || { echo "dn-consolidate: sqlite3 $g did not load" >&2; rc=1; }
	wait_for "$work/qsort$g.out" "sorted=yes" || { echo "dn-consolidate: dn_qsort $g failed" >&2; rc=1; }
	wait_for "$work/bs$g.out" "parity=ok" || { echo "dn-consolidate: dn_blackscholes $g failed" >&2; rc=1; }
	rm -f "$csv"	# the page cache of the file is not the workload's

	line=$(dn_cbps --csv | tail -n 1) || { echo "dn-consolidate: dn_cbps failed" >&2; exit 1; }
	echo "$g,$line"
	echo "dn-consolidate: $g groups on node $node: $(numactl -H | grep "^node $node free")" >&2
	g=$((g + 1))
done
exit $rc
