#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Unit test of the CSV code of scripts/figures.sh (no VM: --replot from
# made-up guest logs whose answers are worked out by hand):
# - Figure C: a run's performance is its remote_pct 0 time of the same
#   repetition and latency over its time (throughput: over the base), the
#   summary holds the median over repetitions, a failed run is left out,
#   and the console's other lines are not taken for CSV; a run whose
#   split is more than 3 points off its setting, or was not measured,
#   makes figures.sh exit 1 without drawing the figure, naming the run;
# - Figure E: the consolidation model's groups per blade size.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail=0

h="rep,latency_ns,remote_pct,workload,metric,unit,seconds,remote_mean,remote_min,remote_max,remote_faults,exchanges,perf_dn_fault,perf_dn_exchange,perf_page_faults,status"
cat > "$t/sweep-vm.log" <<LOG
DN-GUEST: 6.1.0: modprobe disagg_node && dn-sweep.sh
$h
1,1000,0,a,1.0,s,1.0,0.00,0.00,0.00,0,0,0,0,10,ok
dn-sweep: rep 1 latency 1000 ns remote 0 %: a,1.0,s,1.0,...
1,1000,0,r,100,rps,3.0,0.00,0.00,0.00,0,0,0,0,10,ok
1,1000,50,a,2.0,s,2.0,48.00,45.00,50.00,10,5,10,5,20,ok
1,1000,50,r,50,rps,3.0,51.00,45.00,60.00,10,5,10,5,20,ok
7,2 a console line that starts with a digit
2,1000,0,a,2.0,s,2.0,0.00,0.00,0.00,0,0,0,0,10,ok
2,1000,0,r,200,rps,3.0,0.00,0.00,0.00,0,0,0,0,10,ok
2,1000,50,a,5.0,s,5.0,47.00,45.00,50.00,10,5,10,5,20,ok
2,1000,50,r,150,rps,3.0,53.00,50.00,55.00,10,5,10,5,20,ok
3,1000,0,a,1.0,s,1.0,0.00,0.00,0.00,0,0,0,0,10,ok
3,1000,50,a,0.1,s,0.1,50.00,0.00,50.00,10,5,10,5,20,fail
DN-EXIT-STATUS=0
LOG
printf '%s\n' "DN-GUEST: 6.1.0: dn-consolidate.sh" \
	"groups,pages,zero,duplicate,unique,distinct,saving" \
	"1,1000,50,150,800,850,150" "dn-consolidate: 1 groups on node 1" \
	"2,2000,100,300,1600,1550,450" "DN-EXIT-STATUS=0" > "$t/cbps-vm.log"

if ! DN_RESULTS=$t "$top/scripts/figures.sh" --replot --only C,E > "$t/out" 2>&1; then
	echo "figures self-test: figures.sh --replot failed:" >&2
	cat "$t/out" >&2
	exit 1
fi

expect() {	# expect FILE LINE: FILE has exactly this line
	if ! grep -qxF "$2" "$t/$1"; then
		echo "figures self-test: $1 lacks '$2'; it holds:" >&2
		cat "$t/$1" >&2
		fail=1
	fi
}
# a: 1/2 and 2/5 (rep 3 failed) -> median 0.45, min 0.4, max 0.5; split
# (48 + 47) / 2; median time 3.5.  r: 50/100 and 150/200 -> 0.625; split
# (51 + 53) / 2.
expect sweep-summary.csv "1000,0,a,3,1.0000,1.0000,1.0000,0.00,1.000"
expect sweep-summary.csv "1000,50,a,2,0.4500,0.4000,0.5000,47.50,3.500"
expect sweep-summary.csv "1000,50,r,2,0.6250,0.5000,0.7500,52.00,3.000"
[ "$(wc -l < "$t/sweep.csv")" = 11 ] || { echo "figures self-test: sweep.csv has $(wc -l < "$t/sweep.csv") lines, want 11" >&2; fail=1; }
# 1000 pages per group; distinct 1550 at 2 groups, +700 a group.  64 MiB
# = 16384 pages: 16 groups without sharing; with, 1550 + 700 (n - 2) <=
# 16384 up to n = 23.  A 4 GiB blade: 1048 and 1497.
expect consolidation.csv "64,16,23"
expect consolidation.csv "4096,1048,1497"
for f in slowdown.png consolidation.png; do
	[ -s "$t/$f" ] || { echo "figures self-test: no $f" >&2; fail=1; }
done

# The split check: r's rep 2 at 46.9 % (3.1 points off) and a's rep 1 not
# measured: Figure C is not drawn, both runs are named, exit 1.  The
# failed run (rep 3) is not checked.
mkdir -p "$t/off"
sed -e 's/^2,1000,50,r,150,rps,3.0,53.00,/2,1000,50,r,150,rps,3.0,46.90,/' \
    -e 's/^1,1000,50,a,2.0,s,2.0,48.00,45.00,50.00,/1,1000,50,a,2.0,s,2.0,,,,/' \
    "$t/sweep-vm.log" > "$t/off/sweep-vm.log"
if DN_RESULTS=$t/off "$top/scripts/figures.sh" --replot --only C > "$t/off/out" 2>&1; then
	echo "figures self-test: a run 3.1 points off its split was plotted" >&2
	fail=1
fi
for want in "r at remote_pct 50, latency 1000 ns, rep 2: ran at 46.90 % remote" \
	    "a at remote_pct 50, latency 1000 ns, rep 1: split not measured"; do
	grep -qF "$want" "$t/off/out" || { echo "figures self-test: no '$want' in:" >&2; cat "$t/off/out" >&2; fail=1; }
done
! grep -q "rep 3" "$t/off/out" || { echo "figures self-test: the failed run was checked" >&2; fail=1; }
[ ! -e "$t/off/slowdown.png" ] || { echo "figures self-test: slowdown.png drawn despite the split" >&2; fail=1; }
# 3.0 points off is within.
sed -e 's/^2,1000,50,r,150,rps,3.0,53.00,/2,1000,50,r,150,rps,3.0,47.00,/' "$t/sweep-vm.log" > "$t/off/sweep-vm.log"
DN_RESULTS=$t/off "$top/scripts/figures.sh" --replot --only C > "$t/off/out" 2>&1 || {
	echo "figures self-test: a run 3.0 points off its split was refused:" >&2; cat "$t/off/out" >&2; fail=1; }
[ "$fail" = 0 ] && echo "figures self-test: passed"
exit "$fail"
