#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Regenerate the figures into results/ (ignored by git) and print their key
# numbers.  Benchmarks, not tests: nothing here asserts.  So far:
#   Figure D  configured against measured remote latency (dn_latbench):
#             results/latency.csv, results/latency.png (y = x is the goal)
# Timings inside QEMU TCG are emulated: read the figure as ratios of one
# run, not as absolute times.  Plots are drawn on the host with gnuplot.
#
# Usage: scripts/figures.sh [--quick] [--kernel 6.1|6.12|7.2]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kernel=6.1
quick=0
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1; shift ;;
	--kernel) kernel=$2; shift 2 ;;
	*) echo "usage: scripts/figures.sh [--quick] [--kernel 6.1|6.12|7.2]" >&2; exit 2 ;;
	esac
done

"$top/scripts/deps.sh" "$kernel"
if ! command -v gnuplot > /dev/null; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gnuplot-nox
fi
make -s KVER="$kernel" all
out=$top/results
mkdir -p "$out"

rounds=5 pages=512
[ "$quick" = 0 ] || { rounds=2; pages=256; }
log=$out/latency-vm.log
"$top/scripts/vm-run.sh" --kernel "$kernel" --timeout 1800 --log "$log" -- \
	"modprobe disagg_node && /dn/bin/dn_latbench --rounds $rounds --pages $pages" > /dev/null
# The CSV is what the guest printed from its header line on.
sed -n '/^configured_ns,/,/^DN-EXIT-STATUS/p' "$log" | grep -v '^DN-EXIT-STATUS' |
	grep -E '^(configured_ns|[0-9])' > "$out/latency.csv"

gnuplot <<GP
set terminal png size 800,600
set output "$out/latency.png"
set datafile separator ","
set title "Remote latency: configured vs measured (kernel $kernel, QEMU TCG, $rounds x $pages traps each)"
set termoption noenhanced
set xlabel "configured latency (us)"
set ylabel "measured added latency per trap (us)"
set key top left
set grid
plot x title "y = x" with lines dt 2 lc rgb "gray", \
     "$out/latency.csv" using (\$1/1000):(\$7/1000) skip 1 title "median - median at 0" with linespoints pt 7, \
     "$out/latency.csv" using (\$1/1000):(\$8/1000) skip 1 title "mean - mean at 0" with linespoints pt 5
GP

echo "Figure D: configured vs measured latency (kernel $kernel; $out/latency.csv, $out/latency.png)"
awk -F, 'NR > 1 { printf "  %6.1f us configured: median +%7.2f us, mean +%7.2f us (median error %+.2f us)\n", $1/1000, $7/1000, $8/1000, ($7-$1)/1000 }' "$out/latency.csv"
