#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# dn-tpch-check.sh - the TPC-H-style workload: generate a LINEITEM table with
# dn_tpch, run Q1 and Q6 over it in sqlite3 (an in-memory database), and
# compare sqlite3's output byte for byte with the answers dn_tpch computes
# itself from the same generator stream.
#
# Usage: dn-tpch-check.sh ROWS SEED DIR
#   DIR (created if missing) receives lineitem.csv, tpch.sql (load + q1 +
#   q6), expected.txt and sqlite.txt; they are left there.
# Environment:
#   DN_WRAP   a command prefix for the sqlite3 process alone, word-split, e.g.
#             DN_WRAP="dnctl run --remote-pct 50 --" dn-tpch-check.sh ...
#   SQLITE3   the sqlite3 binary (default: sqlite3 on PATH)
#   DN_WL_CORRUPT=1 reaches 'dn_tpch answers', which then gets one value
#             wrong on purpose: the check must fail (a test of the test).
# Prints "dn-tpch: rows=R seed=S q1+q6 answers match sqlite_seconds=T" (T:
# wall time of sqlite3, load and queries, from /proc/uptime, 0.01 s steps).
# Exit status: 0 on a match, 1 on a mismatch or a failed step, 2 on bad
# usage.  POSIX sh for busybox: set -eu, no pipelines (no pipefail in dash).

set -eu

usage() {
	echo "usage: dn-tpch-check.sh ROWS SEED DIR" >&2
	exit 2
}

[ $# -eq 3 ] || usage
rows=$1
seed=$2
dir=$3
case $rows in '' | *[!0-9]*) usage ;; esac
case $seed in '' | *[!0-9]*) usage ;; esac
[ -n "$dir" ] || usage
SQLITE3=${SQLITE3:-sqlite3}
DN_WRAP=${DN_WRAP:-}

mkdir -p "$dir"
rc=0
dn_tpch gen --rows "$rows" --seed "$seed" "$dir/lineitem.csv" || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "dn-tpch: dn_tpch gen failed (exit $rc)" >&2
	[ "$rc" -eq 2 ] && exit 2
	exit 1
fi
dn_tpch sql load "$dir/lineitem.csv" > "$dir/tpch.sql"
dn_tpch sql q1 >> "$dir/tpch.sql"
dn_tpch sql q6 >> "$dir/tpch.sql"
dn_tpch answers --rows "$rows" --seed "$seed" > "$dir/expected.txt"

read -r t0 _ < /proc/uptime
# shellcheck disable=SC2086 # DN_WRAP is a command prefix: split it
if ! $DN_WRAP "$SQLITE3" :memory: < "$dir/tpch.sql" > "$dir/sqlite.txt"; then
	echo "dn-tpch: sqlite3 failed (DN_WRAP=\"$DN_WRAP\", script $dir/tpch.sql)" >&2
	exit 1
fi
read -r t1 _ < /proc/uptime

if ! cmp "$dir/expected.txt" "$dir/sqlite.txt" >&2; then
	echo "dn-tpch: rows=$rows seed=$seed: sqlite3's answers differ from dn_tpch's" >&2
	if command -v diff > /dev/null 2>&1; then
		diff "$dir/expected.txt" "$dir/sqlite.txt" >&2 || true
	else
		echo "--- expected ($dir/expected.txt):" >&2
		cat "$dir/expected.txt" >&2
		echo "--- sqlite3 ($dir/sqlite.txt):" >&2
		cat "$dir/sqlite.txt" >&2
	fi
	exit 1
fi
echo "dn-tpch: rows=$rows seed=$seed q1+q6 answers match" \
	"sqlite_seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
