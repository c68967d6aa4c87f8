#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run one workload of the slowdown sweep (Figure C) once, in the test guest,
# as a disagg_node target at the current settings (remote_pct, latency_ns),
# check its answer, and print one CSV line (columns: dn-workload.sh header).
# The program doing the work, and only it, runs under
#   perf stat -e disagg_node:dn_fault,disagg_node:dn_exchange,page-faults --
#   dnctl run -- PROGRAM
# so that dnctl run reports its wall time, the split measured while it ran
# and its counters, and perf counts the module's tracepoints in it.  Inputs
# are made before, and answers checked after, outside the timed run.
#
# Workloads:
#   qsort         dn_qsort: the seed's quicksort of random 64-bit keys
#   blackscholes  dn_blackscholes: PARSEC-style option pricing
#   tpch          sqlite3 (Debian's) loading a generated lineitem table
#                 into memory and answering TPC-H-style Q1 and Q6, compared
#                 with dn_tpch's own answers (dn-tpch-check.sh)
#   redis         redis-server (Debian's) under redis-benchmark SET/GET;
#                 1,000 keys written and read back afterwards
#   sysbench      sysbench memory (Debian's): 4 MiB blocks written
#   xz            xz -6 (Debian's) compressing a lineitem table;
#                 decompressed and compared afterwards
# The figure of merit is the program's CPU time, user and system (unit s:
# lower is better; cpu_seconds, from wait4(2) in dnctl run; its traps,
# with their injected latency, are system time), except for redis:
# requests per second, the mean of SET and GET (unit rps).  The wall
# time is the seconds column.  CPU time, not wall time: under icount
# with 2 vCPUs, two runs with the same inputs repeated their CPU time to
# 1 ms and their wall time only within 1.4 % (icount_test's
# workload_repeatable prints both); the wall time also counts whatever
# else ran (dnctl run's sampler, the worker).
#
# Usage: dn-workload.sh header
#        dn-workload.sh [--size quick|full] NAME WORKDIR
# Exit status: 0 when the workload ran and its answer was right; 1 when
# its answer was wrong or it failed (the line says why); 2 on bad usage.
set -u

size=full
if [ "${1:-}" = --size ]; then
	size=${2:-}
	shift 2 || exit 2
fi
case $size in
quick|full) ;;
*) echo "dn-workload: --size takes quick or full, not '$size'" >&2; exit 2 ;;
esac
if [ "${1:-}" = header ]; then
	echo "workload,metric,unit,seconds,remote_mean,remote_min,remote_max,remote_faults,exchanges,perf_dn_fault,perf_dn_exchange,perf_page_faults,status,cpu_seconds"
	exit 0
fi
name=${1:-}
dir=${2:-}
if [ -z "$name" ] || [ -z "$dir" ] || [ $# -ne 2 ]; then
	echo "usage: dn-workload.sh [--size quick|full] NAME WORKDIR (NAME: qsort blackscholes tpch redis sysbench xz)" >&2
	exit 2
fi
mkdir -p "$dir" || exit 2
perf_out=$dir/$name.perf
run_err=$dir/$name.dnctl
rm -f "$perf_out" "$run_err"

# Sizes: "full" is twice "quick".  Under icount (6.1, 2026-12-06) a
# quick run at remote_pct 0 takes 0.1-0.65 s of guest time (qsort 0.31,
# blackscholes 0.21, redis 0.64, sysbench 0.22, xz 0.11, tpch 0.42), at
# 75 % and 1 us 0.3 (blackscholes) to 5.2 s (sysbench); each trap costs
# the host 0.35-0.4 ms, and that bounds the sizes: Figure C at full size
# must fit in an hour (usage.rst, Figures).  xz gets a small input: its
# match finder reads its tables at random, so at 50 % remote nearly
# every such read traps.
if [ "$size" = quick ]; then
	qsort_mib=8 bs_options=100000 tpch_rows=10000 redis_n=2000
	sysbench_total=128M xz_rows=400
else
	qsort_mib=16 bs_options=200000 tpch_rows=20000 redis_n=4000
	sysbench_total=256M xz_rows=800
fi

if command -v perf > /dev/null; then
	wrap="perf stat -x , -o $perf_out -e disagg_node:dn_fault,disagg_node:dn_exchange,page-faults -- dnctl run --"
else
	wrap="dnctl run --"
fi

# The value of "key=N" in dnctl run's report, or empty.
field() {
	sed -n "s/.*[ :]$1=\([0-9]*\).*/\1/p" "$run_err" | head -n 1
}

# Count of a perf event in the perf stat -x , output, or empty.
perf_count() {
	[ -f "$perf_out" ] || return 0
	awk -F, -v e="$1" '$3 == e { print $1 }' "$perf_out" | head -n 1
}

fail() {
	echo "dn-workload: $name: $*" >&2
	status=fail
}

status=ok
metric=
unit=s
case $name in
qsort)
	$wrap dn_qsort --mib "$qsort_mib" > "$dir/qsort.out" 2> "$run_err" ||
		fail "dn_qsort failed: $(cat "$dir/qsort.out")"
	grep -q 'sorted=yes' "$dir/qsort.out" || fail "not sorted: $(cat "$dir/qsort.out")"
	;;
blackscholes)
	$wrap dn_blackscholes --options "$bs_options" --rounds 2 > "$dir/bs.out" 2> "$run_err" ||
		fail "dn_blackscholes failed: $(cat "$dir/bs.out")"
	grep -q 'parity=ok' "$dir/bs.out" || fail "wrong prices: $(cat "$dir/bs.out")"
	;;
tpch)
	DN_WRAP=$wrap dn-tpch-check.sh "$tpch_rows" 1 "$dir/tpch" > "$dir/tpch.out" 2> "$run_err" ||
		fail "wrong answers: $(cat "$dir/tpch.out")"
	;;
redis)
	unit=rps
	$wrap redis-server --port 6379 --save '' --appendonly no > "$dir/redis.log" 2> "$run_err" &
	server=$!
	i=0
	until [ "$(redis-cli ping 2>/dev/null)" = PONG ]; do
		i=$((i + 1))
		[ $i -lt 300 ] || break
		sleep 0.1
	done
	redis-benchmark -q --csv -t set,get -n "$redis_n" -r 50000 -d 256 -c 8 \
		> "$dir/redis.csv" 2>&1 || fail "redis-benchmark failed"
	seq 1 1000 | awk '{ print "SET dnk:" $1 " v" $1 * 7 }' | redis-cli > /dev/null
	got=$(seq 1 1000 | awk '{ print "GET dnk:" $1 }' | redis-cli --raw | md5sum)
	want=$(seq 1 1000 | awk '{ print "v" $1 * 7 }' | md5sum)
	[ "$got" = "$want" ] || fail "keys read back differ from those written"
	redis-cli shutdown nosave > /dev/null 2>&1
	wait "$server" || fail "redis-server exited with status $?"
	metric=$(awk -F, '{ gsub(/"/, "") } $1 == "SET" || $1 == "GET" { s += $2; n++ } END { if (n == 2) printf "%.2f", s / 2 }' "$dir/redis.csv")
	[ -n "$metric" ] || fail "no SET and GET figures: $(cat "$dir/redis.csv")"
	;;
sysbench)
	$wrap sysbench memory --threads=1 --memory-block-size=4M \
		--memory-total-size="$sysbench_total" --memory-oper=write --time=0 run \
		> "$dir/sysbench.out" 2> "$run_err" || fail "sysbench failed"
	want=$(echo "$sysbench_total" | awk '/M$/ { print $0 + 0 } /G$/ { print $0 * 1024 }')
	grep -q "^$want.00 MiB transferred" "$dir/sysbench.out" ||
		fail "did not transfer $want MiB: $(grep transferred "$dir/sysbench.out")"
	;;
xz)
	in=$dir/xz-lineitem.csv
	if [ ! -s "$in" ]; then
		dn_tpch gen --rows "$xz_rows" --seed 2 "$in" || exit 1
	fi
	# /usr/bin/xz: busybox sh runs its own (decompress-only) applet first.
	$wrap /usr/bin/xz -T1 -6 -c "$in" > "$dir/out.xz" 2> "$run_err" || fail "xz failed"
	/usr/bin/xz -dc "$dir/out.xz" | cmp -s - "$in" || fail "decompressed data differ"
	;;
*)
	echo "dn-workload: unknown workload '$name' (qsort blackscholes tpch redis sysbench xz)" >&2
	exit 2
	;;
esac

seconds=$(sed -n 's/^dnctl run: pid .* wall \([0-9.]*\) s.*/\1/p' "$run_err" | head -n 1)
cpu=$(sed -n 's/^dnctl run: pid .* cpu \([0-9.]*\) s.*/\1/p' "$run_err" | head -n 1)
[ -n "$seconds" ] || fail "no dnctl run report: $(cat "$run_err")"
# The timed workloads' figure of merit: a report without it is no figure.
[ -n "$cpu" ] || fail "no CPU time in dnctl run's report: $(cat "$run_err")"
[ -n "$metric" ] || metric=$cpu
split=$(sed -n 's/^dnctl run: split over .* remote mean \([0-9.]*\) %, min \([0-9.]*\) %, max \([0-9.]*\) %.*/\1,\2,\3/p' "$run_err")
[ -n "$split" ] || split=,,
echo "$name,$metric,$unit,$seconds,$split,$(field remote_faults),$(field exchanges),$(perf_count disagg_node:dn_fault),$(perf_count disagg_node:dn_exchange),$(perf_count page-faults),$status,$cpu"
[ "$status" = ok ]
