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
# - Figure C's decomposition: base time, traps x the floor dn_latbench
#   measured in the same log, traps x latency, the residual, its share
#   per trap and the share of the added time the model explains (perf's
#   trap count, dnctl's where perf has none); no floor, no model;
#   the time is cpu_seconds when the CSV has it, else the wall seconds;
# - Figure C's projection: (base + traps x (floor + latency)) / base for
#   each real-host floor and latency, from the 1 us line at 25-75 %;
# - Figure E: the consolidation model's groups per blade size;
# - Figure F: each tenant's slowdown against itself alone at 0 %, the
#   aggregate per N, the blade with and without sharing; a tenant off its
#   split (its base too) or its settings makes figures.sh exit 1.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail=0

h="rep,latency_ns,remote_pct,workload,metric,unit,seconds,remote_mean,remote_min,remote_max,remote_faults,exchanges,perf_dn_fault,perf_dn_exchange,perf_page_faults,status"
cat > "$t/sweep-vm.log" <<LOG
DN-GUEST: 6.1.0: modprobe disagg_node && dn_latbench 1000 && dn-sweep.sh
configured_ns,samples,median_ns,mean_ns,p10_ns,p90_ns,added_median_ns,added_mean_ns,trim_mean_ns,added_trim_mean_ns
0,512,100000,100500,99000,101000,0,0,100200,0
1000,512,101000,101500,100000,102000,1000,1000,101200,1000
$h
1,1000,0,a,1.0,s,1.0,0.00,0.00,0.00,0,0,0,0,10,ok
dn-sweep: rep 1 latency 1000 ns remote 0 %: a,1.0,s,1.0,...
1,1000,0,r,100,rps,3.0,0.00,0.00,0.00,0,0,0,0,10,ok
1,1000,50,a,2.0,s,2.0,48.00,45.00,50.00,9000,5,10000,5,20,ok
1,1000,50,r,50,rps,3.0,51.00,45.00,60.00,8,5,10,5,20,ok
7,2 a console line that starts with a digit
2,1000,0,a,2.0,s,2.0,0.00,0.00,0.00,0,0,0,0,10,ok
2,1000,0,r,200,rps,3.0,0.00,0.00,0.00,0,0,0,0,10,ok
2,1000,50,a,5.0,s,5.0,47.00,45.00,50.00,18000,5,20000,5,20,ok
2,1000,50,r,150,rps,3.0,53.00,50.00,55.00,30,5,,,20,ok
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
# The model, floor 100000 ns (the median at 0), latency 1000 ns.  a at 0:
# base 1.0 (median of 1, 2, 1), no traps, nothing to explain.  a at 50:
# traps are perf's 10000 and 20000 (not dnctl's 9000, 18000): 15000;
# floor 15000 x 100 us = 1.5 s, latency 15000 x 1 us = 0.015 s, model
# 2.515 s, residual 3.5 - 2.515 = 0.985 s = 65667 ns a trap; the model
# explains 1.515 of the 2.5 s added: 0.606.  r at 50: perf's 10, then
# dnctl's 30 where perf counted nothing: 20 traps; 0.002 s floor,
# 0.00002 s latency, residual -0.00202 s = -101000 ns a trap; nothing
# added (3.0 s as at 0): no share.
expect sweep-summary.csv "1000,0,a,3,1.0000,1.0000,1.0000,0.00,1.000,1.0000,0,100000,0.0000,0.0000,1.0000,0.0000,,"
expect sweep-summary.csv "1000,50,a,2,0.4500,0.4000,0.5000,47.50,3.500,1.0000,15000,100000,1.5000,0.0150,2.5150,0.9850,65667,0.606"
expect sweep-summary.csv "1000,50,r,2,0.6250,0.5000,0.7500,52.00,3.000,3.0000,20,100000,0.0020,0.0000,3.0020,-0.0020,-101000,"
expect sweep-floor.csv "0,512,100000,100500,99000,101000,0,0,100200,0"
# The projection at 50 % (the only share measured): a, 15000 traps on a
# 1 s base: 1 + 15000 x (2 + 1) us = 1.045; (2 + 10) us: 1.18; (5 + 1)
# us: 1.09; (5 + 10) us: 1.225; beside it the 3.5x measured.  r: 20
# traps on 3 s: 1.000 at every setting.
expect projection.csv "workload,remote_pct,traps,base_s,latency_ns_measured,measured_slowdown,host_floor_ns,host_latency_ns,projected_slowdown"
expect projection.csv "a,50,15000,1.0000,1000,3.500,2000,1000,1.045"
expect projection.csv "a,50,15000,1.0000,1000,3.500,2000,10000,1.180"
expect projection.csv "a,50,15000,1.0000,1000,3.500,5000,1000,1.090"
expect projection.csv "a,50,15000,1.0000,1000,3.500,5000,10000,1.225"
expect projection.csv "r,50,20,3.0000,1000,1.000,5000,10000,1.000"
[ "$(wc -l < "$t/projection.csv")" = 9 ] || { echo "figures self-test: projection.csv has $(wc -l < "$t/projection.csv") lines, want 9" >&2; fail=1; }
grep -q "NOT measured" "$t/out" || { echo "figures self-test: the projection is not labelled as such:" >&2; cat "$t/out" >&2; fail=1; }
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
# With dn_trapbench's median line in the log, the model's floor is its
# trap with an exchange (200000 ns), not dn_latbench's bare trap: a at 50,
# 15000 traps: floor 3.0 s, model 1 + 3 + 0.015 = 4.015 s, residual
# -0.515 s = -34333 ns a trap, explains 3.015 / 2.5 = 1.206.
mkdir -p "$t/exch"
sed -e 's/^DN-EXIT-STATUS=0$/DN-TRAPBENCH median rounds=3 minor_ns=7000 trap_ns=100000 trap_exchange_ns=200000 trap_per_minor=14.29 trap_exchange_per_minor=28.57 trap_exchange_per_trap=2.00 trap_ipis_per_trap=0.001 exchange_ipis_per_trap=0.003\n&/' \
	"$t/sweep-vm.log" > "$t/exch/sweep-vm.log"
grep -q '^DN-TRAPBENCH median' "$t/exch/sweep-vm.log" || { echo "figures self-test: the trapbench line was not planted" >&2; fail=1; }
DN_RESULTS=$t/exch "$top/scripts/figures.sh" --replot --only C > "$t/exch/out" 2>&1 || {
	echo "figures self-test: a log with the exchange floor was refused:" >&2; cat "$t/exch/out" >&2; fail=1; }
grep -qxF "1000,50,a,2,0.4500,0.4000,0.5000,47.50,3.500,1.0000,15000,200000,3.0000,0.0150,4.0150,-0.5150,-34333,1.206" "$t/exch/sweep-summary.csv" || {
	echo "figures self-test: the exchange floor was not the model's:" >&2; cat "$t/exch/sweep-summary.csv" >&2; fail=1; }
grep -q "trap floor: 200000 ns, a trap with its exchange" "$t/exch/out" || {
	echo "figures self-test: the exchange floor is not reported:" >&2; cat "$t/exch/out" >&2; fail=1; }

# A sweep with the cpu_seconds column (dn-workload.sh since it has one):
# the model's time is the CPU time, not the wall seconds (all made 9.9
# here).  a: CPU time as its seconds were above, same line.  r: CPU time
# 2.0 at every point: base 2.0, median 2.0, model 2.002, residual -0.002.
mkdir -p "$t/cpu"
awk -F, -v OFS=, '
	/^rep,/ { print $0 ",cpu_seconds"; next }
	NF == 16 && $4 == "a" { c = $7; $7 = 9.9; print $0 "," c; next }
	NF == 16 && $4 == "r" { $7 = 9.9; print $0 ",2.0"; next }
	{ print }' "$t/sweep-vm.log" > "$t/cpu/sweep-vm.log"
DN_RESULTS=$t/cpu "$top/scripts/figures.sh" --replot --only C > "$t/cpu/out" 2>&1 || {
	echo "figures self-test: a log with cpu_seconds was refused:" >&2; cat "$t/cpu/out" >&2; fail=1; }
for want in "1000,50,a,2,0.4500,0.4000,0.5000,47.50,3.500,1.0000,15000,100000,1.5000,0.0150,2.5150,0.9850,65667,0.606" \
	    "1000,50,r,2,0.6250,0.5000,0.7500,52.00,2.000,2.0000,20,100000,0.0020,0.0000,2.0020,-0.0020,-101000,"; do
	grep -qxF "$want" "$t/cpu/sweep-summary.csv" || {
		echo "figures self-test: cpu_seconds is not the model's time: no '$want' in:" >&2
		cat "$t/cpu/sweep-summary.csv" >&2; fail=1; }
done

# A log without dn_latbench's CSV (before the floor was measured): the
# figure is drawn, the model's columns are empty.
mkdir -p "$t/nofloor"
sed -e '/^configured_ns,/d' -e '/^[01]0*,512,/d' "$t/sweep-vm.log" > "$t/nofloor/sweep-vm.log"
DN_RESULTS=$t/nofloor "$top/scripts/figures.sh" --replot --only C > "$t/nofloor/out" 2>&1 || {
	echo "figures self-test: a log without the floor was refused:" >&2; cat "$t/nofloor/out" >&2; fail=1; }
grep -qxF "1000,50,a,2,0.4500,0.4000,0.5000,47.50,3.500,,,,,,,,," "$t/nofloor/sweep-summary.csv" || {
	echo "figures self-test: no floor, yet a model:" >&2; cat "$t/nofloor/sweep-summary.csv" >&2; fail=1; }
[ -s "$t/nofloor/slowdown.png" ] || { echo "figures self-test: no slowdown.png without the floor" >&2; fail=1; }

# Figure F: each tenant against itself alone at 0 % (n = 0), the
# aggregate per N, the blade with and without sharing; a tenant whose
# split is off (the base's too) or whose settings are not its point's
# makes the figure an error.  A console line with a digit first and
# another number of fields is neither CSV.
mkdir -p "$t/f"
cat > "$t/f/tenants-vm.log" <<LOG
DN-GUEST: 6.1.0: dn-tenants.sh --size quick --counts '1 2'
n,tenant,kind,remote_pct,latency_ns,phase_work,unit,cpu_seconds,phase_seconds,remote_mean,remote_min,remote_max,run_remote_pct,run_latency_ns,traps,exchanges,status
blade_n,batch_seconds,node_used_kib,target_local_pages,target_remote_pages,cbps_pages,zero,duplicate,unique,distinct,saving
0,1,redis,0,1000,4100,requests,2.000,4.00,0.00,0.00,0.00,0,1000,5,0,ok
dn-tenants: n=0: 0,1,redis,0,1000,...
0,2,sqlite,0,1000,4,queries,1.000,2.00,0.50,0.00,1.00,0,1000,7,0,ok
1,1,redis,25,1000,4100,requests,3.000,5.00,24.00,20.00,26.00,25,1000,300,290,ok
1,5.00,40960,3000,1000,1024,24,100,900,950,74
2,1,redis,25,1000,4100,requests,4.000,10.00,26.00,20.00,28.00,25,1000,310,300,ok
3 a console line
2,2,sqlite,50,1000,4,queries,2.000,8.00,52.00,40.00,55.00,50,1000,,,ok
2,10.00,81920,4000,2000,2048,48,300,1700,1800,248
DN-EXIT-STATUS=0
LOG
if ! DN_RESULTS=$t/f "$top/scripts/figures.sh" --replot --only F > "$t/f/out" 2>&1; then
	echo "figures self-test: figures.sh --replot --only F failed:" >&2
	cat "$t/f/out" >&2
	fail=1
fi
# Tenant 1 alone: CPU 2 s, phase 4 s, 5 traps; tenant 2: 1 s, 2 s, 7
# traps (its N=2 run has no count: empty).  N=1: 3/2 and
# 5/4.  N=2: tenant 1 4/2 and 10/4, tenant 2 2/1 and 8/2.  Aggregates:
# N=1 1/1.5 and 1/1.25; N=2 1/2 + 1/2 = 1 and 1/2.5 + 1/4 = 0.65.  The
# blade at N=2: 2048 pages, sharing saves 248: 1800 with it (12.1 %).
expect f/tenants-slowdown.csv "1,1,redis,25,24.00,3.000,2.000,1.500,5.00,4.00,1.250,300,5"
expect f/tenants-slowdown.csv "2,1,redis,25,26.00,4.000,2.000,2.000,10.00,4.00,2.500,310,5"
expect f/tenants-slowdown.csv "2,2,sqlite,50,52.00,2.000,1.000,2.000,8.00,2.00,4.000,,7"
expect f/tenants-summary.csv "1,1,0.667,0.800,1.500,1.500,1.250,1.250,5.00,40960,1000,1024,74,950,7.2"
expect f/tenants-summary.csv "2,2,1.000,0.650,2.000,2.000,3.250,4.000,10.00,81920,2000,2048,248,1800,12.1"
[ "$(wc -l < "$t/f/tenants.csv")" = 6 ] || { echo "figures self-test: tenants.csv has $(wc -l < "$t/f/tenants.csv") lines, want 6" >&2; fail=1; }
[ "$(wc -l < "$t/f/tenants-blade.csv")" = 3 ] || { echo "figures self-test: tenants-blade.csv has $(wc -l < "$t/f/tenants-blade.csv") lines, want 3" >&2; fail=1; }
[ -s "$t/f/tenants.png" ] || { echo "figures self-test: no tenants.png" >&2; fail=1; }
grep -qF "N=2: aggregate 1.00 tenants alone at 0 % per CPU second, 0.65 per guest second" "$t/f/out" || {
	echo "figures self-test: no Figure F summary in:" >&2; cat "$t/f/out" >&2; fail=1; }
# Off its point: tenant 2 at 53.1 % (3.1 points above 50), tenant 1 at
# N=2 at 21.9 % (3.1 below 25), tenant 1's base at 3.5 % (not 0), tenant
# 1 at N=1 with another latency than its point's.  Each is named, nothing is drawn, exit 1.
mkdir -p "$t/foff"
sed -e 's/^2,2,sqlite,50,1000,4,queries,2.000,8.00,52.00,/2,2,sqlite,50,1000,4,queries,2.000,8.00,53.10,/' \
    -e 's/^2,1,redis,25,1000,4100,requests,4.000,10.00,26.00,/2,1,redis,25,1000,4100,requests,4.000,10.00,21.90,/' \
    -e 's/^0,1,redis,0,1000,4100,requests,2.000,4.00,0.00,/0,1,redis,0,1000,4100,requests,2.000,4.00,3.50,/' \
    -e 's/^\(1,1,redis,25,1000,.*,25,\)1000,300,290,ok$/\110000,300,290,ok/' \
    "$t/f/tenants-vm.log" > "$t/foff/tenants-vm.log"
if DN_RESULTS=$t/foff "$top/scripts/figures.sh" --replot --only F > "$t/foff/out" 2>&1; then
	echo "figures self-test: Figure F drew tenants off their point" >&2
	fail=1
fi
for want in "tenant 2 (sqlite) at remote_pct 50, one of 2: ran at 53.10 % remote" \
	    "tenant 1 (redis) at remote_pct 25, one of 2: ran at 21.90 % remote" \
	    "tenant 1 (redis) at remote_pct 0, alone (base): ran at 3.50 % remote" \
	    "tenant 1 (redis) at remote_pct 25, one of 1: dnctl run reports remote_pct 25, latency_ns 10000, not 25, 1000"; do
	grep -qF "$want" "$t/foff/out" || { echo "figures self-test: no '$want' in:" >&2; cat "$t/foff/out" >&2; fail=1; }
done
[ ! -e "$t/foff/tenants.png" ] || { echo "figures self-test: tenants.png drawn off its point" >&2; fail=1; }
[ "$fail" = 0 ] && echo "figures self-test: passed"
exit "$fail"
