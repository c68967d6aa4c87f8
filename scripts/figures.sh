#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Regenerate the memory-blade figures into results/ (ignored by git) and
# print their key numbers.  Benchmarks, not tests: nothing here asserts a
# figure, but a workload whose answer is wrong, or a guest whose kernel log
# is not clean, fails the command.
#   Figure C  slowdown against the remote share (workloads/dn-sweep.sh):
#             results/sweep.csv (every run), results/sweep-summary.csv
#             (median over repetitions), results/slowdown.png
#   Figure D  configured against measured remote latency (dn_latbench):
#             results/latency.csv, results/latency.png (y = x is the goal)
#   Figure E  content-based page sharing on the node and the consolidation
#             it would allow (workloads/dn-consolidate.sh):
#             results/cbps.csv (per group of workloads placed on the node),
#             results/consolidation.csv, results/consolidation.png
# A Figure C point is plotted at its remote_pct: a run whose split, measured
# from the page tables while it ran, is more than 3 points off its setting
# (or was not measured) makes the figure an error: it is not drawn, the
# runs at fault are named, and the command exits 1.
# Each figure runs in its own VM.  Figures C and D time things, so they run
# under the clock --clock picks (scripts/vm-run.sh --clock); Figure E
# counts pages and always runs under wall-clock TCG.  Timings inside QEMU
# are emulated either way: read the figures as ratios within one run, not
# as a real host's times.  Plots are drawn on the host with gnuplot.
#
# Usage: scripts/figures.sh [--quick] [--kernel 6.1|6.12|sid] [--only C,D,E]
#                           [--clock icount|wall] [--replot]
#   --quick   every axis of every figure, shorter runs (2 repetitions,
#             smaller inputs): Figure C alone took 79 min on 6.1 under
#             wall-clock TCG with other VMs on the host (2026-12-06; with
#             the split held, sqlite at 90 % thrashes, 12-15 min a run);
#             without it, 3 repetitions of four times the inputs
#   --clock   guest time for Figures C and D: icount (the default; QEMU 10,
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
only=C,D,E
clock=icount
replot=0
usage() {
	echo "usage: scripts/figures.sh [--quick] [--kernel 6.1|6.12|sid] [--only C,D,E] [--clock icount|wall] [--replot]" >&2
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
	if [ "$clock" = icount ] && { want C || want D; }; then
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
	size=full reps=3
	[ "$quick" = 0 ] || { size=quick; reps=2; }
	log=$out/sweep-vm.log
	guest "$log" 28800 "$clock" "$quiet && modprobe disagg_node && dn-sweep.sh --size $size --reps $reps"
	guest_csv "$log" rep, > "$out/sweep.csv"
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
	# the median over repetitions.
	awk -F, -v OFS=, '
	NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	{
		k = $col["rep"] SUBSEP $col["latency_ns"] SUBSEP $col["workload"]
		if ($col["remote_pct"] == 0)
			base[k] = $col["metric"]
		row[NR] = $0
	}
	END {
		print "latency_ns,remote_pct,workload,reps,perf_median,perf_min,perf_max,remote_mean,seconds_median"
		for (r in row) {
			split(row[r], f, ",")
			k = f[col["rep"]] SUBSEP f[col["latency_ns"]] SUBSEP f[col["workload"]]
			m = f[col["metric"]]
			if (f[col["status"]] != "ok" || !(k in base) || base[k] <= 0 || m <= 0)
				continue
			p = f[col["unit"]] == "s" ? base[k] / m : m / base[k]
			g = f[col["latency_ns"]] OFS f[col["remote_pct"]] OFS f[col["workload"]]
			n[g]++
			perf[g, n[g]] = p
			secs[g, n[g]] = f[col["seconds"]]
			if (f[col["remote_mean"]] != "") {	# the split was sampled
				rem[g] += f[col["remote_mean"]]
				nrem[g]++
			}
		}
		for (g in n) {
			for (i = 1; i <= n[g]; i++) { a[i] = perf[g, i]; b[i] = secs[g, i] }
			asort_n(a, n[g]); asort_n(b, n[g])
			print g, n[g], sprintf("%.4f", med(a, n[g])), sprintf("%.4f", a[1]),
			      sprintf("%.4f", a[n[g]]), (nrem[g] ? sprintf("%.2f", rem[g] / nrem[g]) : ""),
			      sprintf("%.3f", med(b, n[g]))
		}
	}
	function asort_n(x, m,   i, j, t) {
		for (i = 2; i <= m; i++)
			for (j = i; j > 1 && x[j - 1] > x[j]; j--) { t = x[j]; x[j] = x[j - 1]; x[j - 1] = t }
	}
	function med(x, m) { return m % 2 ? x[(m + 1) / 2] : (x[m / 2] + x[m / 2 + 1]) / 2 }
	' "$out/sweep.csv" | { read -r h; echo "$h"; sort -t, -k1,1n -k3,3 -k2,2n; } > "$out/sweep-summary.csv"
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
	{
		echo "set terminal png size $((620 * nl)),560"
		echo "set output \"$out/slowdown.png\""
		echo 'set datafile separator ","'
		echo 'set termoption noenhanced'
		echo "set multiplot layout 1,$nl title \"Figure C: performance against remote share\\n(kernel $kernel, $(clock_title "$log"), median of $nreps repetitions)\""
		echo 'set xlabel "% of the workload'"'"'s memory remote"'
		echo 'set ylabel "performance, normalised to 0 % remote"'
		echo 'set xrange [0:100]'
		echo 'set yrange [0:1.15]'
		echo 'set grid'
		echo 'set key bottom left'
		for l in $lats; do
			echo "set title \"remote latency $(awk -v l="$l" 'BEGIN { printf "%g", l / 1000 }') us\""
			printf 'plot '
			sep=
			for w in $wls; do
				printf '%s"< awk -F, '"'"'$1 == %s && $3 == \\"%s\\"'"'"' %s" using 2:5 title "%s" with linespoints' \
					"$sep" "$l" "$w" "$out/sweep-summary.csv" "$w"
				sep=', '
			done
			echo
		done
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
	awk -F, 'NR > 1 && $2 == 50 { printf "  %-13s latency %5.1f us: %.3f (slowdown %.2fx; %d reps, split %.1f %% remote)\n", $3, $1/1000, $5, ($5 > 0 ? 1 / $5 : 0), $4, $8 }' "$out/sweep-summary.csv"
fi
if want E; then
	echo "Figure E: content on the node (cbps.csv, consolidation.csv, consolidation.png)"
	awk -F, 'NR > 1 { printf "  %d groups: %d pages, %d zero, %d duplicate, %d unique; sharing saves %d pages (%.1f %%)\n", $1, $2, $3, $4, $5, $7, ($2 ? 100 * $7 / $2 : 0) }' "$out/cbps.csv"
	awk -F, 'NR > 1 && ($1 == 512 || $1 == 8192) { printf "  blade %5d MiB: %d groups without sharing, %d with\n", $1, $2, $3 }' "$out/consolidation.csv"
fi
if [ "$figure_failed" = 1 ]; then
	echo "figures: Figure C is in error: see above" >&2
	exit 1
fi
