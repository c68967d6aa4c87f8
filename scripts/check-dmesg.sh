#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Scan a guest kernel log for signs of a kernel problem: the patterns of
# scripts/check-dmesg.patterns (WARN, BUG, Oops, "Call Trace", soft/hard
# lockups, hung tasks, RCU stalls, panics, and the reports of debug
# kernels: lockdep, KASAN, DEBUG_VM, sleeping in atomic context, SLUB
# debugging), which the selftests apply in the guest too.  Prints the
# offending lines and exits 1 if any are found, 0 if the log is clean, 2
# if the log is missing or empty (a guest that printed nothing is not
# clean) or the patterns cannot be read.
#
# With --reports, prints each report in full instead, for a human to read
# (scripts/debug-kernel.sh): from its first bad line to the end of its
# stack ("---[ end trace", "</TASK>", the "=====" that closes a KASAN
# report), after a "----" line; the exit status is the same.
#
# Usage: check-dmesg.sh [--reports] LOGFILE
set -euo pipefail

reports=0
if [ "${1:-}" = --reports ]; then
	reports=1
	shift
fi
log=${1:?usage: check-dmesg.sh [--reports] LOGFILE}
patterns=$(dirname "$0")/check-dmesg.patterns

mapfile -t pats < <(grep -vE '^(#|$)' "$patterns" || true)
if [ ${#pats[@]} = 0 ]; then
	echo "check-dmesg: no patterns in $patterns" >&2
	exit 2
fi
[ -s "$log" ] || { echo "check-dmesg: $log is missing or empty" >&2; exit 2; }
args=()
for p in "${pats[@]}"; do
	args+=(-e "$p")
done

# The bad lines, numbered.
st=0
bad=$(grep -nE "${args[@]}" "$log") || st=$?
case $st in
0) ;;
1) exit 0 ;;
*) echo "check-dmesg: grep failed on $log" >&2; exit 2 ;;
esac

if [ "$reports" = 0 ]; then
	printf '%s\n' "$bad"
else
	# A report begins at a bad line, but for one within the first lines
	# of the report under way (a lockdep or KASAN header spans several)
	# and for its stack ("Call Trace"), which belongs to it.
	cut -d: -f1 <<< "$bad" | awk '
	NR == FNR { isbad[$1] = 1; next }
	function flush() { if (n) { print "----"; for (i = 1; i <= n; i++) print buf[i]; n = 0 } inrep = 0 }
	(FNR in isbad) && !/Call Trace/ {
		if (!inrep || n > 6) { flush(); inrep = 1; kasan = /KASAN/ }
	}
	inrep {
		buf[++n] = $0
		# A WARN ends with its end-trace line, a KASAN report with a
		# line of "=", anything else (lockdep, BUG:) with its stack.
		if (n >= 400 || /---\[ end (trace|Kernel panic)/ ||
		    (kasan && n > 5 && /\] =+$/) || (!kasan && /<\/TASK>/))
			flush()
	}
	END { flush() }' - "$log"
fi
echo "check-dmesg: kernel problems found in $log" >&2
exit 1
