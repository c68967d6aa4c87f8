#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The slowdown sweep (Figure C), in the test guest with disagg_node loaded:
# every workload of dn-workload.sh at every remote_pct and latency, REPS
# times.  Repetitions are interleaved (rep 1 runs every point once, then
# rep 2 ...) so that a drift of the host's speed spreads over every point
# instead of biasing some; each repetition runs remote_pct 0 again for
# every latency, the base its other points are normalised to.  Prints one
# CSV line per run (rep, latency_ns, remote_pct, then dn-workload.sh's
# columns) on stdout, progress on stderr.
#
# Usage: dn-sweep.sh [--size quick|full] [--reps N] [--pcts "0 10 ..."]
#                    [--latencies "1000 10000"] [--workloads "qsort ..."]
# Exit status: 0 when every run's answer was right, 1 otherwise, 2 on bad
# usage.
set -u

size=full
reps=3
pcts="0 10 25 50 75 90"
lats="1000 10000"
wls="qsort blackscholes tpch redis sysbench xz"
while [ $# -gt 0 ]; do
	case $1 in
	--size) size=${2:-}; shift 2 || exit 2 ;;
	--reps) reps=${2:-}; shift 2 || exit 2 ;;
	--pcts) pcts=${2:-}; shift 2 || exit 2 ;;
	--latencies) lats=${2:-}; shift 2 || exit 2 ;;
	--workloads) wls=${2:-}; shift 2 || exit 2 ;;
	*) echo "usage: dn-sweep.sh [--size quick|full] [--reps N] [--pcts LIST] [--latencies LIST] [--workloads LIST]" >&2
	   exit 2 ;;
	esac
done
case $reps in
''|*[!0-9]*|0) echo "dn-sweep: --reps takes a positive number" >&2; exit 2 ;;
esac
case " $pcts " in
*" 0 "*) ;;
*) echo "dn-sweep: --pcts must include 0 (the base of the normalisation)" >&2; exit 2 ;;
esac

work=/tmp/dn-sweep
rc=0
echo "rep,latency_ns,remote_pct,$(dn-workload.sh header)"
rep=1
while [ "$rep" -le "$reps" ]; do
	for lat in $lats; do
		for pct in $pcts; do
			dnctl set latency_ns "$lat" > /dev/null &&
				dnctl set remote_pct "$pct" > /dev/null || exit 1
			for wl in $wls; do
				line=$(dn-workload.sh --size "$size" "$wl" "$work") || rc=1
				[ -n "$line" ] || line="$wl,,,,,,,,,,,,fail"
				echo "$rep,$lat,$pct,$line"
				echo "dn-sweep: rep $rep latency $lat ns remote $pct %: $line" >&2
			done
		done
	done
	rep=$((rep + 1))
done
exit $rc
