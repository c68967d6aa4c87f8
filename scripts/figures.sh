#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Regenerate the memory-blade figures into results/ (ignored by git) and
# print their key numbers.  Benchmarks, not tests: nothing here asserts a
# figure, but a workload whose answer is wrong, or a guest whose kernel log
# is not clean, fails the command.
#   Figure C  slowdown against the remote share (workloads/dn-sweep.sh),
#             after the trap floor (dn_latbench at latency 0) in the same
#             VM: results/sweep-floor.csv, results/sweep.csv (every run),
#             results/sweep-summary.csv (median, min and max over the
#             repetitions, and the time decomposed: base, traps x floor,
#             traps x latency, residual), results/projection.csv (the
#             slowdown with a real host's trap floor: a projection, not
#             a measurement), results/slowdown.png
#   Figure D  configured against measured remote latency (dn_latbench):
#             results/latency.csv, results/latency.png (y = x is the goal)
#   Figure E  content-based page sharing on the node and the consolidation
#             it would allow (workloads/dn-consolidate.sh):
#             results/cbps.csv (per group of workloads placed on the node),
#             results/consolidation.csv, results/consolidation.png
#   Figure F  consolidation measured (workloads/dn-tenants.sh): N tenants
#             (redis-server, sqlite3 holding a table) on the blade at
#             once, each at its own remote share, against N: each
#             tenant's slowdown against itself alone at 0 %, the
#             aggregate throughput, the blade's pages with and without
#             content-based sharing (dn_cbps): results/tenants.csv,
#             results/tenants-blade.csv (as measured),
#             results/tenants-slowdown.csv, results/tenants-summary.csv,
#             results/tenants-summary.txt, results/tenants.png
# A Figure C point is plotted at the split measured from the page tables
# while it ran: a run whose split is more than 3 points off its setting
# (or was not measured) makes the figure an error: it is not drawn, the
# runs at fault are named, and the command exits 1.  So is a Figure F
# tenant (its base at 0 % too) off its split, or whose settings dnctl run
# reports are not its point's.
# Each figure runs in its own VM.  Figures C, D and F time things, so they run
# under the clock --clock picks (scripts/vm-run.sh --clock); Figure E
# counts pages and always runs under wall-clock TCG.  Timings inside QEMU
# are emulated either way: read the figures as ratios within one run, not
# as a real host's times.  Plots are drawn on the host with gnuplot.
#
# Usage: scripts/figures.sh [--quick] [--kernel 6.1|6.12|sid] [--only C,D,E,F]
#                           [--clock icount|wall] [--replot]
#   --quick   shorter runs: Figure C at 1 us only (full: 1 and 10 us),
#             on inputs half the full ones, 3 repetitions either way;
#             Figure D 2 x 256 traps a setting; Figure E 3 smaller groups;
#             Figure F 1, 2 and 4 tenants on half the data (full: 1, 2,
#             4 and 8).  --quick, all four, took 12 min 6 s on 6.1 under
#             icount on an otherwise idle 2-core host (2026-12-07; F alone
#             2 min 42 s, its full run 5 min 13 s).  Figure C --quick took
#             10-11 min on 6.1 under icount with other VMs on the host
#             (2026-12-06: 1.27 million traps, at most 0.46 ms of host time
#             each, everything included).  The full run, all four, took
#             32 min 39 s on 6.1 under icount from a fresh clone
#             (2026-12-07; Figure C 24 min, 3.75 million traps)
#   --clock   guest time for Figures C, D and F: icount (the default; QEMU 10,
#             one instruction is 1 ns and idle time is skipped, so a run
#             repeats and the host's load does not enter it) or wall (the
#             host's QEMU under TCG, guest time is host time)
#   --replot  no VM: redraw the figures from the guest logs of the last run
#             (results/*-vm.log; the clock each ran under is in *-vm.log.clock)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kernel=6.1
quick=0
only=C,D,E,F
clock=icount
replot=0
usage() {
	echo "usage: scripts/figures.sh [--quick] [--kernel 6.1|6.12|sid] [--only C,D,E,F] [--clock icount|wall] [--replot]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1; shift ;;
	--kernel) [ $# -ge 2 ] || usage; kernel=$2; shift 2 ;;
	--only) [ $# -ge 2 ] || usage; only=$2; shift 2 ;;
	--clock) [ $# -ge 2 ] || usage; clock=$2; shift 2 ;;
	--replot) replot=1; shift ;;
	*) usage ;;
	esac
done
case $clock in
icount|wall) ;;
*) usage ;;
esac
want() { case ",$only," in *",$1,"*) return 0 ;; esac; return 1; }
figure_failed=0

out=${DN_RESULTS:-$top/results}	# another folder: scripts/test-figures.sh
mkdir -p "$out"
if [ "$replot" = 0 ]; then
	deps=("$kernel")
	if [ "$clock" = icount ] && { want C || want D || want F; }; then
		deps+=(qemu10)
	fi
	"$top/scripts/deps.sh" "${deps[@]}"
	make -s KVER="$kernel" all
fi

# Boot the kernel and run a guest command under CLOCK, its console into
# LOG and the clock into LOG.clock; with --replot, use the LOG of the last
# run instead.
guest() {	# guest LOG TIMEOUT CLOCK COMMAND
	[ "$replot" = 0 ] || { [ -s "$1" ] || { echo "figures: no $1 to replot" >&2; exit 1; }; return 0; }
	rm -f "$1.clock"
	"$top/scripts/vm-run.sh" --kernel "$kernel" --clock "$3" --timeout "$2" --log "$1" -- "$4" > /dev/null
	echo "$3" > "$1.clock"
}

# What every figure's guest runs first: DAMON_STAT off where the kernel
# has it on by default (sid's 7.2): its kdamond samples memory every few
# ms and clears accessed bits, and two icount runs of one workload then
# differ by 1.3 to 1.5 % instead of 0.13 % (dn_icount_test).
quiet="{ [ ! -w /sys/module/damon_stat/parameters/enabled ] || echo N > /sys/module/damon_stat/parameters/enabled; }"

# How a figure's title names the clock its LOG ran under.
clock_title() {	# clock_title LOG
	case $(cat "$1.clock" 2>/dev/null) in
	icount) echo "QEMU icount, 1 ns per instruction" ;;
	wall) echo "QEMU TCG, wall clock" ;;
	*) echo "QEMU, clock not recorded" ;;
	esac
}

# The CSV the guest printed: its header line (starting with $2), then the
# lines after it that start with a digit and have as many fields (the
# console interleaves the guest's progress messages and kernel lines).
guest_csv() {	# guest_csv LOG HEADER-START
	awk -F, -v h="$2" '
	!n && index($0, h) == 1 { n = NF; print; next }
	n && /^[0-9]/ && NF == n { print }' "$1"
}

if want D; then
	rounds=5 pages=512
	[ "$quick" = 0 ] || { rounds=2; pages=256; }
	log=$out/latency-vm.log
	guest "$log" 1800 "$clock" "$quiet && modprobe disagg_node && echo DN-LATENCY-OFFSET-NS=\$(cat /sys/kernel/mm/disagg_node/latency_offset_ns) && /dn/bin/dn_latbench --rounds $rounds --pages $pages"
	guest_csv "$log" configured_ns, > "$out/latency.csv"
	gnuplot <<GP
set terminal png size 800,600
set output "$out/latency.png"
set datafile separator ","
set title "Figure D: remote latency, configured vs measured\\n(kernel $kernel, $(clock_title "$log"), $rounds x $pages traps each)"
set termoption noenhanced
set xlabel "configured latency (us)"
set ylabel "measured added latency per trap (us)"
set key top left
set grid
plot x title "y = x" with lines dt 2 lc rgb "gray", \
     "$out/latency.csv" using (\$1/1000):(\$7/1000) skip 1 title "median - median at 0" with linespoints pt 7, \
     "$out/latency.csv" using (\$1/1000):(\$8/1000) skip 1 title "mean - mean at 0" with linespoints pt 5, \
     "$out/latency.csv" using (\$1/1000):(\$10/1000) skip 1 title "mean of the fastest 95 % - same at 0" with linespoints pt 9
GP
fi

if want C; then
	# remote_pct 0 (the base) and the three shares the projection reads;
	# 3 repetitions.  Every trap costs 0.3-0.5 ms of host time under
	# icount, so the budget (--quick 15 min, full 60) sets the rest:
	# no 10 or 90 % (the 90 % points of one repetition took longer than
	# all its other points together), --quick at 1 us only.
	pcts="0 25 50 75" lats="1000 10000" size=full reps=3
	[ "$quick" = 0 ] || { size=quick; lats=1000; }
	# The projection's real-host trap floors and latencies (ns).
	proj_floors_ns="2000 5000" proj_lats_ns="1000 10000"
	log=$out/sweep-vm.log
	# The trap floor first, in the same VM: dn_latbench's trapped read at
	# latency 0 (and at the sweep's latencies, which it shows are paid as
	# set), and dn_trapbench's trap with its exchange (a trap of a target
	# at remote_pct > 0 also sends a page out: what the sweep's traps
	# cost), then the sweep.
	guest "$log" 28800 "$clock" "$quiet && modprobe disagg_node && /dn/bin/dn_latbench --rounds 2 --pages 256 $lats && /dn/bin/dn_trapbench --rounds 3 --pages 1024 && dn-sweep.sh --size $size --reps $reps --pcts '$pcts' --latencies '$lats'"
	guest_csv "$log" configured_ns, > "$out/sweep-floor.csv"
	guest_csv "$log" rep, > "$out/sweep.csv"
	trap_floor_ns=$(awk -F, 'NR > 1 && $1 == 0 { print $3; exit }' "$out/sweep-floor.csv")
	exch_floor_ns=$(sed -n 's/^DN-TRAPBENCH median .* trap_exchange_ns=\([0-9][0-9]*\).*/\1/p' "$log" | head -n 1)
	# The model's floor: a trap with its exchange when measured, else a
	# bare trap (an older log).
	floor_ns=${exch_floor_ns:-$trap_floor_ns}
	# Every run's split within DN_SPLIT_TOL points of its setting.
	offsplit=$(awk -F, -v tol="${DN_SPLIT_TOL:-3}" '
	NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	$col["status"] == "ok" && $col["remote_pct"] > 0 {
		m = $col["remote_mean"]
		what = $col["workload"] " at remote_pct " $col["remote_pct"] ", latency " $col["latency_ns"] " ns, rep " $col["rep"]
		if (m == "")
			print what ": split not measured"
		else if (m - $col["remote_pct"] > tol || $col["remote_pct"] - m > tol)
			print what ": ran at " m " % remote"
	}' "$out/sweep.csv")
	# Each run's performance relative to remote_pct 0 of the same
	# repetition and latency (time: base / t; throughput: x / base), then
	# per point the median, minimum and maximum over repetitions, and the
	# time decomposed by the model.  The time is the program's CPU time
	# (cpu_seconds: user and system, its traps included), also for redis;
	# a sweep.csv without that column (older) gives its wall seconds.
	#   seconds_median  that time's median over the repetitions
	#   base_s    median time at remote_pct 0 (same latency and workload)
	#   traps     median traps in the program (perf's dn_fault count;
	#             dnctl run's remote_faults, read at its last 100 ms
	#             sample, when perf counted nothing)
	#   floor_s   traps x the trap floor (floor_ns: dn_trapbench's trap
	#             with its exchange at latency 0, or dn_latbench's bare
	#             trap at 0 when the log has no dn_trapbench line)
	#   latency_s traps x latency_ns
	#   model_s   base_s + floor_s + latency_s
	#   residual_s  seconds_median - model_s (per trap: residual_ns_per_trap)
	#   explained (model_s - base_s) / (seconds_median - base_s): the share
	#             of the time remote memory added that the model accounts
	#             for; empty at remote_pct 0 or when nothing was added
	awk -F, -v OFS=, -v floor="$floor_ns" '
	NR == 1 {
		for (i = 1; i <= NF; i++) col[$i] = i
		tcol = ("cpu_seconds" in col) ? col["cpu_seconds"] : col["seconds"]
		next
	}
	{
		k = $col["rep"] SUBSEP $col["latency_ns"] SUBSEP $col["workload"]
		if ($col["remote_pct"] == 0)
			base[k] = $col["metric"]
		row[NR] = $0
	}
	END {
		print "latency_ns,remote_pct,workload,reps,perf_median,perf_min,perf_max,remote_mean,seconds_median," \
		      "base_s,traps,floor_ns,floor_s,latency_s,model_s,residual_s,residual_ns_per_trap,explained"
		for (r in row) {
			split(row[r], f, ",")
			k = f[col["rep"]] SUBSEP f[col["latency_ns"]] SUBSEP f[col["workload"]]
			m = f[col["metric"]]
			if (f[col["status"]] != "ok" || !(k in base) || base[k] <= 0 || m <= 0 || f[tcol] == "")
				continue
			p = f[col["unit"]] == "s" ? base[k] / m : m / base[k]
			g = f[col["latency_ns"]] OFS f[col["remote_pct"]] OFS f[col["workload"]]
			n[g]++
			perf[g, n[g]] = p
			secs[g, n[g]] = f[tcol]
			t = f[col["perf_dn_fault"]] != "" ? f[col["perf_dn_fault"]] : f[col["remote_faults"]]
			if (t == "")
				notraps[g] = 1
			traps[g, n[g]] = t
			if (f[col["remote_mean"]] != "") {	# the split was sampled
				rem[g] += f[col["remote_mean"]]
				nrem[g]++
			}
		}
		for (g in n) {
			for (i = 1; i <= n[g]; i++) { a[i] = perf[g, i]; b[i] = secs[g, i]; c[i] = traps[g, i] }
			asort_n(a, n[g]); asort_n(b, n[g]); asort_n(c, n[g])
			pmed[g] = med(a, n[g]); pmin[g] = a[1]; pmax[g] = a[n[g]]
			smed[g] = med(b, n[g])
			tmed[g] = (g in notraps) ? "" : med(c, n[g])
		}
		for (g in n) {
			split(g, q, OFS)	# latency_ns, remote_pct, workload
			bg = q[1] OFS 0 OFS q[3]
			dec = ",,,,,,,,"
			if ((bg in smed) && floor != "" && tmed[g] != "") {
				bs = smed[bg]
				fs = tmed[g] * floor / 1e9
				ls = tmed[g] * q[1] / 1e9
				ms = bs + fs + ls
				rs = smed[g] - ms
				dec = sprintf("%.4f,%.10g,%.10g,%.4f,%.4f,%.4f,%.4f,%s,%s", bs, tmed[g], floor,
					      fs, ls, ms, rs, (tmed[g] > 0 ? sprintf("%.0f", rs / tmed[g] * 1e9) : ""),
					      (q[2] > 0 && smed[g] > bs ? sprintf("%.3f", (ms - bs) / (smed[g] - bs)) : ""))
			}
			print g, n[g], sprintf("%.4f", pmed[g]), sprintf("%.4f", pmin[g]),
			      sprintf("%.4f", pmax[g]), (nrem[g] ? sprintf("%.2f", rem[g] / nrem[g]) : ""),
			      sprintf("%.3f", smed[g]), dec
		}
	}
	function asort_n(x, m,   i, j, t) {
		for (i = 2; i <= m; i++)
			for (j = i; j > 1 && x[j - 1] + 0 > x[j] + 0; j--) { t = x[j]; x[j] = x[j - 1]; x[j - 1] = t }
	}
	function med(x, m) { return m % 2 ? x[(m + 1) / 2] : (x[m / 2] + x[m / 2 + 1]) / 2 }
	' "$out/sweep.csv" | { read -r h; echo "$h"; sort -t, -k1,1n -k3,3 -k2,2n; } > "$out/sweep-summary.csv"
	# The projection to a real host's trap floors (not a measurement):
	# per workload at 25, 50 and 75 %, the time with each trap costing a
	# real host's floor plus a latency, over the base, from the traps and
	# base time of the lowest latency measured (1 us).
	awk -F, -v OFS=, -v floors="$proj_floors_ns" -v plats="$proj_lats_ns" '
	NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	{ r[NR] = $0; if (lo == "" || $1 < lo) lo = $1 }
	END {
		print "workload,remote_pct,traps,base_s,latency_ns_measured,measured_slowdown,host_floor_ns,host_latency_ns,projected_slowdown"
		nf = split(floors, fl, " "); nl = split(plats, la, " ")
		for (i in r) {
			split(r[i], f, ",")
			p = f[col["remote_pct"]]
			if (f[col["latency_ns"]] != lo || (p != 25 && p != 50 && p != 75))
				continue
			b = f[col["base_s"]]; t = f[col["traps"]]
			if (b == "" || b <= 0 || t == "")
				continue
			for (x = 1; x <= nf; x++)
				for (y = 1; y <= nl; y++)
					print f[col["workload"]], p, t, b, lo, sprintf("%.3f", f[col["seconds_median"]] / b),
					      fl[x], la[y], sprintf("%.3f", (b + t * (fl[x] + la[y]) / 1e9) / b)
		}
	}' "$out/sweep-summary.csv" | { read -r h; echo "$h"; sort -t, -k1,1 -k2,2n -k7,7n -k8,8n; } > "$out/projection.csv"
	lats=$(awk -F, 'NR > 1 { print $1 }' "$out/sweep-summary.csv" | sort -un | tr '\n' ' ')
	wls=$(awk -F, 'NR > 1 { print $3 }' "$out/sweep-summary.csv" | sort -u | tr '\n' ' ')
	nl=$(echo "$lats" | wc -w)
	nreps=$(awk -F, 'NR > 1 { print $1 }' "$out/sweep.csv" | sort -un | wc -l)
	rm -f "$out/slowdown.png"
	if [ -n "$offsplit" ]; then
		echo "figures: Figure C not drawn: runs whose split is not their setting (within ${DN_SPLIT_TOL:-3} points):" >&2
		echo "$offsplit" | sed 's/^/figures:   /' >&2
		figure_failed=1
	else
	# One column per latency.  Top: performance, median with bars from
	# minimum to maximum over the repetitions.  Bottom (when the log has
	# the floor): time over the base time, measured and as the model
	# has it.  x is the split measured while each run ran (its mean over
	# the repetitions).  Keys sit outside the plots: no line is hidden.
	rows=1
	[ -z "$floor_ns" ] || rows=2
	# gnuplot's data source for one latency and workload.
	src() { printf '"< awk -F, '"'"'$1 == %s && $3 == \\"%s\\"'"'"' %s"' "$1" "$2" "$out/sweep-summary.csv"; }
	{
		echo "set terminal pngcairo size $((800 * nl)),$((520 * rows + 60))"
		echo "set output \"$out/slowdown.png\""
		echo 'set datafile separator ","'
		echo 'set termoption noenhanced'
		echo "set multiplot layout $rows,$nl title \"Figure C: performance against remote share\\n(kernel $kernel, $(clock_title "$log"), $nreps repetitions; trap floor ${floor_ns:-not measured} ns)\""
		echo 'set xlabel "% of the workload'"'"'s memory remote (measured)"'
		echo 'set xrange [0:100]'
		echo 'set grid'
		echo 'set key outside right top'
		for l in $lats; do
			us=$(awk -v l="$l" 'BEGIN { printf "%g", l / 1000 }')
			echo "set title \"remote latency $us us: median, bars min to max\""
			echo 'set ylabel "performance (1 / CPU time; redis: requests/s), normalised to 0 % remote"'
			echo 'set yrange [0:*]'
			printf 'plot '
			sep= i=0
			for w in $wls; do
				i=$((i + 1))
				printf '%s%s using (strcol(8) eq "" ? $2 : $8):5:6:7 title "%s" with yerrorlines lc %d pt %d' \
					"$sep" "$(src "$l" "$w")" "$w" "$i" "$i"
				sep=', '
			done
			echo
		done
		if [ "$rows" = 2 ]; then
			for l in $lats; do
				us=$(awk -v l="$l" 'BEGIN { printf "%g", l / 1000 }')
				echo "set title \"remote latency $us us: time over base, measured and model\\n(model: base + traps x (floor + latency))\""
				echo 'set ylabel "CPU time / CPU time at 0 % remote (log)"'
				echo 'set logscale y'
				echo 'set yrange [0.9:*]'
				printf 'plot '
				sep= i=0
				for w in $wls; do
					i=$((i + 1))
					printf '%s%s using (strcol(8) eq "" ? $2 : $8):($9 / $10) title "%s" with linespoints lc %d pt %d, %s using (strcol(8) eq "" ? $2 : $8):($15 / $10) title "%s model" with lines dt 2 lc %d' \
						"$sep" "$(src "$l" "$w")" "$w" "$i" "$i" "$(src "$l" "$w")" "$w" "$i"
					sep=', '
				done
				echo
				echo 'unset logscale y'
			done
		fi
		echo 'unset multiplot'
	} | gnuplot
	fi
fi

if want E; then
	groups=4 size=full
	[ "$quick" = 0 ] || { groups=3; size=quick; }
	log=$out/cbps-vm.log
	guest "$log" 7200 wall "$quiet && modprobe disagg_node && dn-consolidate.sh --size $size --groups $groups"
	guest_csv "$log" groups, > "$out/cbps.csv"
	# The consolidation model: a blade of B MiB holds n groups without
	# sharing while n * (pages per group) <= B; with sharing (zero pages
	# and duplicates stored once) while distinct(n) <= B, distinct(n)
	# extrapolated past the measured groups by its last measured step.
	awk -F, -v OFS=, '
	NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	{ g = $col["groups"]; pages[g] = $col["pages"]; dist[g] = $col["distinct"]; last = g }
	END {
		per = pages[last] / last
		step = last > 1 ? dist[last] - dist[last - 1] : dist[last]
		print "blade_mib,groups_without_sharing,groups_with_sharing"
		for (b = 64; b <= 65536; b *= 2) {
			cap = b * 256	# pages of 4 KiB
			without = int(cap / per)
			with = 0
			for (n = 1; n <= 100000; n++) {
				d = n <= last ? dist[n] : dist[last] + (n - last) * step
				if (d > cap)
					break
				with = n
			}
			print b, without, with
		}
	}' "$out/cbps.csv" > "$out/consolidation.csv"
	ngroups=$(awk -F, 'END { print $1 }' "$out/cbps.csv")
	gnuplot <<GP
set terminal png size 800,600
set output "$out/consolidation.png"
set datafile separator ","
set termoption noenhanced
set title "Figure E: workload groups a memory blade holds\\n(kernel $kernel, $(clock_title "$log"); model from $ngroups groups measured)"
set xlabel "blade capacity (MiB)"
set ylabel "workload groups that fit"
set logscale xy 2
set key top left
set grid
plot "$out/consolidation.csv" using 1:(\$2 > 0 ? \$2 : 1/0) skip 1 title "without sharing" with linespoints pt 7, \
     "$out/consolidation.csv" using 1:(\$3 > 0 ? \$3 : 1/0) skip 1 title "with content-based page sharing" with linespoints pt 5
GP
fi

if want F; then
	counts="1 2 4 8" size=full
	[ "$quick" = 0 ] || { counts="1 2 4"; size=quick; }
	log=$out/tenants-vm.log
	guest "$log" 14400 "$clock" "$quiet && modprobe disagg_node && dn-tenants.sh --size $size --counts '$counts'"
	# Two CSVs in one log; guest_csv tells them apart by their number of
	# fields (17, 15 before the trap counts, and 11).
	guest_csv "$log" n,tenant, > "$out/tenants.csv"
	guest_csv "$log" blade_n, > "$out/tenants-blade.csv"
	# Every tenant run at the settings its point claims: its split within
	# DN_SPLIT_TOL points of its remote_pct (the bases too: 0 %), and
	# dnctl run's report of its settings equal to them.
	offsplit_f=$(awk -F, -v tol="${DN_SPLIT_TOL:-3}" '
	NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	$col["status"] == "ok" {
		m = $col["remote_mean"]; p = $col["remote_pct"]
		what = "tenant " $col["tenant"] " (" $col["kind"] ") at remote_pct " p ", " ($col["n"] == 0 ? "alone (base)" : "one of " $col["n"])
		if (m == "")
			print what ": split not measured"
		else if (m - p > tol || p - m > tol)
			print what ": ran at " m " % remote"
		if ($col["run_remote_pct"] != p || $col["run_latency_ns"] != $col["latency_ns"])
			print what ": dnctl run reports remote_pct " $col["run_remote_pct"] ", latency_ns " $col["run_latency_ns"] ", not " p ", " $col["latency_ns"]
	}' "$out/tenants.csv")
	# Each tenant against itself alone at 0 % (n = 0): its CPU time over
	# the base's (what its remote share costs it, whatever the vCPUs'
	# sharing), and its measured phase's guest time over the base's (that
	# and the wait for a vCPU beside N - 1 others).
	awk -F, -v OFS=, '
	NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	$col["status"] != "ok" { next }
	$col["n"] == 0 {
		bc[$col["tenant"]] = $col["cpu_seconds"]; bp[$col["tenant"]] = $col["phase_seconds"]
		bt[$col["tenant"]] = ("traps" in col) ? $col["traps"] : ""
		next
	}
	{ row[NR] = $0 }
	END {
		print "n,tenant,kind,remote_pct,remote_mean,cpu_seconds,base_cpu_seconds,cpu_slowdown,phase_seconds,base_phase_seconds,phase_slowdown,traps,base_traps"
		for (r in row) {
			split(row[r], f, ",")
			t = f[col["tenant"]]
			if (!(t in bc) || bc[t] <= 0 || bp[t] <= 0 || f[col["cpu_seconds"]] <= 0 || f[col["phase_seconds"]] <= 0)
				continue
			print f[col["n"]], t, f[col["kind"]], f[col["remote_pct"]], f[col["remote_mean"]],
			      f[col["cpu_seconds"]], bc[t], sprintf("%.3f", f[col["cpu_seconds"]] / bc[t]),
			      f[col["phase_seconds"]], bp[t], sprintf("%.3f", f[col["phase_seconds"]] / bp[t]),
			      ("traps" in col) ? f[col["traps"]] : "", bt[t]
		}
	}' "$out/tenants.csv" | { read -r h; echo "$h"; sort -t, -k1,1n -k2,2n; } > "$out/tenants-slowdown.csv"
	# Per N: the aggregate throughput in tenants alone at 0 % (the sum of
	# each tenant's throughput over its base's: N when remote memory and
	# sharing the vCPUs cost nothing), per CPU second and per guest
	# second; the slowdowns' mean and maximum; the blade's use, and with
	# content-based sharing (dn_cbps: its pages less what sharing saves).
	awk -F, -v OFS=, '
	FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; file++; next }
	file == 1 {
		n = $col["n"]; k[n]++
		ac[n] += 1 / $col["cpu_slowdown"]; ap[n] += 1 / $col["phase_slowdown"]
		sc[n] += $col["cpu_slowdown"]; sp[n] += $col["phase_slowdown"]
		if ($col["cpu_slowdown"] > mc[n]) mc[n] = $col["cpu_slowdown"]
		if ($col["phase_slowdown"] > mp[n]) mp[n] = $col["phase_slowdown"]
		next
	}
	{ bl[$col["blade_n"]] = $0 }
	END {
		print "n,tenants,aggregate_cpu,aggregate_phase,mean_cpu_slowdown,max_cpu_slowdown,mean_phase_slowdown,max_phase_slowdown," \
		      "batch_seconds,node_used_kib,target_remote_pages,blade_pages,saving,blade_pages_shared,saving_pct"
		for (n in k) {
			split(bl[n], b, ",")
			pages = b[col["cbps_pages"]]; sav = b[col["saving"]]
			print n, k[n], sprintf("%.3f", ac[n]), sprintf("%.3f", ap[n]), sprintf("%.3f", sc[n] / k[n]), mc[n],
			      sprintf("%.3f", sp[n] / k[n]), mp[n], b[col["batch_seconds"]], b[col["node_used_kib"]],
			      b[col["target_remote_pages"]], pages, sav, (pages != "" && sav != "" ? pages - sav : ""),
			      (pages > 0 && sav != "" ? sprintf("%.1f", 100 * sav / pages) : "")
		}
	}' "$out/tenants-slowdown.csv" "$out/tenants-blade.csv" | { read -r h; echo "$h"; sort -t, -k1,1n; } > "$out/tenants-summary.csv"
	rm -f "$out/tenants.png"
	if [ -n "$offsplit_f" ]; then
		echo "figures: Figure F not drawn: tenants whose settings are not their point's (split within ${DN_SPLIT_TOL:-3} points):" >&2
		echo "$offsplit_f" | sed 's/^/figures:   /' >&2
		figure_failed=1
	else
	maxn=$(awk -F, 'NR > 1 { m = $1 } END { print m + 0 }' "$out/tenants-summary.csv")
	flat=$(awk -F, 'NR > 1 && !s[$5]++ { printf "%s%g us", (n++ ? ", " : ""), $5 / 1000 }' "$out/tenants.csv")
	tsrc() { printf '"< awk -F, '"'"'NR > 1 && $2 == %s'"'"' %s"' "$1" "$out/tenants-slowdown.csv"; }
	{
		echo 'set terminal pngcairo size 1500,520'
		echo "set output \"$out/tenants.png\""
		echo 'set datafile separator ","'
		echo 'set termoption noenhanced'
		echo "set multiplot layout 1,3 title \"Figure F: N tenants sharing one blade, each at its own remote share (latency $flat)\\n(kernel $kernel, $(clock_title "$log"))\""
		echo 'set xlabel "tenants N"'
		echo "set xrange [0.5:$maxn + 0.5]"
		echo 'set grid'
		echo 'set key top left'
		echo 'set title "aggregate throughput, in tenants alone at 0 % remote"'
		echo 'set ylabel "sum of throughput / alone at 0 %"'
		echo 'set yrange [0:*]'
		echo "plot x title \"N (no cost)\" with lines dt 2 lc rgb \"gray\", \"$out/tenants-summary.csv\" using 1:3 skip 1 title \"per CPU second\" with linespoints pt 7, \"$out/tenants-summary.csv\" using 1:4 skip 1 title \"per guest second\" with linespoints pt 5"
		echo 'set title "each tenant: CPU time / alone at 0 %"'
		echo 'set ylabel "slowdown"'
		echo 'set key outside bottom center horizontal'
		printf 'plot '
		sep=
		for tn in $(awk -F, 'NR > 1 { print $2 }' "$out/tenants-slowdown.csv" | sort -un); do
			what=$(awk -F, -v t="$tn" 'NR > 1 && $2 == t { print $3 " " $4 " %"; exit }' "$out/tenants-slowdown.csv")
			printf '%s%s using 1:8 title "%s: %s" with linespoints lc %d pt %d' "$sep" "$(tsrc "$tn")" "$tn" "$what" "$tn" "$tn"
			sep=', '
		done
		echo
		echo 'set title "the blade: pages on the node"'
		echo 'set ylabel "MiB"'
		echo 'set key top left'
		echo "plot \"$out/tenants-summary.csv\" using 1:(\$12 / 256) skip 1 title \"in use\" with linespoints pt 7, \"$out/tenants-summary.csv\" using 1:(\$14 / 256) skip 1 title \"with content-based sharing\" with linespoints pt 5"
		echo 'unset multiplot'
	} | gnuplot
	fi
	# The text summary.
	{
		echo "Figure F: N tenants on one blade ($(clock_title "$log"); kernel $kernel)"
		awk -F, 'NR > 1 {
			printf "  N=%d: aggregate %.2f tenants alone at 0 %% per CPU second, %.2f per guest second; CPU slowdown mean %.2fx, max %.2fx; guest-time slowdown mean %.2fx, max %.2fx; blade %d pages (%.1f MiB), with sharing %s (saves %s %%)\n",
			       $1, $3, $4, $5, $6, $7, $8, $12, $12 / 256, $14, $15
		}' "$out/tenants-summary.csv"
		awk -F, 'NR > 1 {
			printf "    N=%d tenant %d %-6s at %2d %% (ran at %s %%): CPU %.3f s / %.3f s alone = %.2fx; phase %.2f s / %.2f s alone = %.2fx; traps %s (alone at 0 %%: %s)\n",
			       $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, ($12 == "" ? "?" : $12), ($13 == "" ? "?" : $13)
		}' "$out/tenants-slowdown.csv"
	} > "$out/tenants-summary.txt"
fi

echo "Key numbers (kernel $kernel; results in $out):"
if want D; then
	echo "Figure D: configured vs measured latency (latency.csv, latency.png; $(clock_title "$out/latency-vm.log"))"
	dclock=$(cat "$out/latency-vm.log.clock" 2>/dev/null || echo wall)
	offset=$(sed -n 's/^DN-LATENCY-OFFSET-NS=\(-\{0,1\}[0-9]*\).*/\1/p' "$out/latency-vm.log" | head -n1)
	echo "  latency_offset_ns (the busy-wait's own cost, taken off each wait): ${offset:-?}"
	# The floor, and each point against its target: under icount the mean
	# (of the fastest 95 % of reads: interrupts and preemptions hit 1-2 %)
	# within 1 % from 1 us (50 ns below), under wall-clock TCG the median
	# within 5 %.
	awk -F, -v clock="$dclock" '
	NR == 1 { next }
	$1 == 0 {
		printf "  trap floor (latency 0): median %.0f ns, mean %.0f ns", $3, $4
		if (clock == "icount")
			printf " (median = %.0f guest instructions: icount shift 0, 1 ns each)", $3
		printf "\n"
		next
	}
	{
		if (clock == "icount") { what = "95 % mean"; v = $10; tol = ($1 >= 1000 ? $1 / 100 : 50); t = ($1 >= 1000 ? "1 %" : "50 ns") }
		else { what = "median"; v = $7; tol = $1 * 5 / 100; t = "5 %" }
		err = v - $1
		printf "  %6.1f us configured: median +%7.3f us, mean +%7.3f us, 95 %% mean +%7.3f us; %s error %+.0f ns (%+.2f %%), target %s: %s\n", $1/1000, $7/1000, $8/1000, $10/1000, what, err, 100 * err / $1, t, (err <= tol && -err <= tol ? "met" : "MISSED")
	}' "$out/latency.csv"
fi
if want C; then
	echo "Figure C: performance at 50 % remote, normalised to 0 % (sweep-summary.csv, slowdown.png; $(clock_title "$out/sweep-vm.log"))"
	if [ -n "$exch_floor_ns" ]; then
		echo "  trap floor: $floor_ns ns, a trap with its exchange at latency 0 (dn_trapbench's median in the same VM); a bare trap: ${trap_floor_ns:-?} ns (dn_latbench; sweep-floor.csv)"
	elif [ -n "$floor_ns" ]; then
		echo "  trap floor: $floor_ns ns, median trapped read at latency 0 (dn_latbench in the same VM; sweep-floor.csv)"
	else
		echo "  no trap floor in sweep-vm.log: the model's columns are empty"
	fi
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	$2 == 50 {
		printf "  %-12s latency %4.1f us: %.3f, min %.3f, max %.3f (slowdown %.2fx; %d reps, split %.1f %% remote)\n",
		       $3, $1 / 1000, $5, $6, $7, ($5 > 0 ? 1 / $5 : 0), $4, $8
		if ($col["model_s"] != "")
			printf "  %-12s   time %.3f s = base %.3f + traps x floor %.3f + traps x latency %.3f + residual %.3f (%d traps, %s ns residual a trap; model %.3f s explains %s of the added time)\n",
			       "", $9, $col["base_s"], $col["floor_s"], $col["latency_s"], $col["residual_s"], $col["traps"],
			       $col["residual_ns_per_trap"], $col["model_s"], ($col["explained"] == "" ? "-" : sprintf("%.0f %%", 100 * $col["explained"]))
	}' "$out/sweep-summary.csv"
	echo "Figure C projection to a real host (projection.csv): NOT measured; slowdown = (base + traps x (floor + latency)) / base"
	echo "  with a real host's trap floor and a latency, traps and base time as measured here at $(awk -F, 'NR == 2 { printf "%g", $5 / 1000 }' "$out/projection.csv") us"
	awk -F, '
	NR == 1 { next }
	{
		k = $1 SUBSEP $2
		if (!(k in seen)) { seen[k] = 1; key[++nk] = k; wl[nk] = $1; pct[nk] = $2; tr[nk] = $3; bs[nk] = $4; ms[nk] = $6 }
		c = $7 SUBSEP $8
		if (!(c in cseen)) { cseen[c] = 1; cf[++nc] = $7; cl[nc] = $8 }
		v[k, c] = $9
	}
	END {
		if (!nk) { print "  (no points at 25, 50 or 75 % with a base time and traps)"; exit }
		printf "  %-12s %6s %9s %8s %9s", "workload", "remote", "traps", "base_s", "here"
		for (j = 1; j <= nc; j++)
			printf " %13s", sprintf("%g+%g us", cf[j] / 1000, cl[j] / 1000)
		printf "\n"
		for (i = 1; i <= nk; i++) {
			printf "  %-12s %5d%% %9d %8.3f %8.2fx", wl[i], pct[i], tr[i], bs[i], ms[i]
			for (j = 1; j <= nc; j++)
				printf " %12.3fx", v[key[i], cf[j] SUBSEP cl[j]]
			printf "\n"
		}
		printf "  (here: the slowdown measured in this VM, emulated floor; F+L us: projected with trap floor F and latency L)\n"
	}' "$out/projection.csv"
fi
if want E; then
	echo "Figure E: content on the node (cbps.csv, consolidation.csv, consolidation.png)"
	awk -F, 'NR > 1 { printf "  %d groups: %d pages, %d zero, %d duplicate, %d unique; sharing saves %d pages (%.1f %%)\n", $1, $2, $3, $4, $5, $7, ($2 ? 100 * $7 / $2 : 0) }' "$out/cbps.csv"
	awk -F, 'NR > 1 && ($1 == 512 || $1 == 8192) { printf "  blade %5d MiB: %d groups without sharing, %d with\n", $1, $2, $3 }' "$out/consolidation.csv"
fi
if want F; then
	echo "Figure F: consolidation measured (tenants.csv, tenants-blade.csv, tenants-slowdown.csv, tenants-summary.csv, tenants.png)"
	sed -n '2,$p' "$out/tenants-summary.txt"
fi
if [ "$figure_failed" = 1 ]; then
	echo "figures: a figure is in error: see above" >&2
	exit 1
fi
