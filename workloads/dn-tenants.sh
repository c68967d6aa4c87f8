#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Consolidation measured (Figure F), in the test guest with disagg_node
# loaded: N tenants share the memory blade at once, each a target at its
# own remote share (dnctl run --remote-pct P --latency NS: its local
# memory is fixed by its own split, whatever the others do), and each is
# measured against the same tenant alone at 0 % remote.
#
# Tenant I (1..8; the same program and data at every N):
#   odd I   redis-server holding KEYS keys (key:000000000000 ..., 256-byte
#           values of its own, from seed I), then GETS random GETs by
#           redis-benchmark (-r KEYS), then 100 of its keys read back and
#           compared with what was written
#   even I  sqlite3 holding a lineitem table of ROWS rows (dn_tpch, seed
#           I) in memory, then TPC-H Q1 and Q6 ROUNDS times, every answer
#           compared with dn_tpch's own
#   remote share: the I-th of PCTS, cycling (25 50 75: tenant 1 at 25,
#   2 at 50, 3 at 75, 4 at 25, ...); latency LAT for all
# A batch of N runs tenants 1..N at once in two phases: every tenant
# loads its data; once all have, the blade is read (the node's MemUsed,
# the targets' local and remote pages, dn_cbps --csv: what content-based
# page sharing would save there); then all run their measured phase
# together (from the same start to each one's end).  First, each tenant
# alone at remote_pct 0 (batch n=0, one tenant at a time): its base.
#
# Prints two CSVs on stdout, their lines interleaved (they differ in
# their number of fields, which is how figures.sh tells them apart):
#   n,tenant,kind,remote_pct,latency_ns,phase_work,unit,cpu_seconds,
#   phase_seconds,remote_mean,remote_min,remote_max,run_remote_pct,
#   run_latency_ns,traps,exchanges,status          (one line per tenant run)
#     cpu_seconds    the tenant program's CPU time over its life (load and
#                    measured phase; dnctl run's "cpu"), its traps included
#     phase_seconds  guest seconds from the batch's start to its end
#                    (/proc/uptime, 0.01 s steps)
#     remote_*       its split measured from its page tables while it ran
#                    (dnctl run's pagemap samples, every 100 ms)
#     run_*          the settings dnctl run reports the tenant ran with
#     traps, exchanges  its remote_faults and exchanges at dnctl run's
#                    last sample (up to 100 ms before it ended)
#   blade_n,batch_seconds,node_used_kib,target_local_pages,
#   target_remote_pages,cbps_pages,zero,duplicate,unique,distinct,saving
#                                              (one line per batch, N > 0)
# Progress on stderr.
#
# Usage: dn-tenants.sh [--size quick|full] [--counts "1 2 4"]
#                      [--pcts "25 50 75"] [--latency NS]
# Exit status 0, 1 if a tenant failed or gave a wrong answer, 2 on bad
# usage.
set -u

size=full
counts="1 2 4 8"
pcts="25 50 75"
lat=1000
usage() {
	echo "usage: dn-tenants.sh [--size quick|full] [--counts LIST] [--pcts LIST] [--latency NS]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--size) size=${2:-}; shift 2 || usage ;;
	--counts) counts=${2:-}; shift 2 || usage ;;
	--pcts) pcts=${2:-}; shift 2 || usage ;;
	--latency) lat=${2:-}; shift 2 || usage ;;
	*) usage ;;
	esac
done
case $size in
quick) keys=4000 gets=8000 rows=4000 rounds=3 ;;
full) keys=8000 gets=16000 rows=8000 rounds=3 ;;
*) echo "dn-tenants: --size takes quick or full, not '$size'" >&2; exit 2 ;;
esac
max=0
for n in $counts; do
	case $n in ''|*[!0-9]*|0) echo "dn-tenants: --counts takes numbers 1 to 8" >&2; exit 2 ;; esac
	[ "$n" -le 8 ] || { echo "dn-tenants: --counts takes numbers 1 to 8" >&2; exit 2; }
	[ "$n" -le "$max" ] || max=$n
done
[ "$max" -gt 0 ] || usage
npcts=0
for p in $pcts; do
	case $p in ''|*[!0-9]*) usage ;; esac
	npcts=$((npcts + 1))
done
[ "$npcts" -gt 0 ] || usage
case $lat in ''|*[!0-9]*) usage ;; esac

node=$(cat /sys/kernel/mm/disagg_node/node_id 2>/dev/null) || {
	echo "dn-tenants: disagg_node is not loaded" >&2
	exit 1
}
work=/tmp/dn-tenants
rm -rf "$work"
mkdir -p "$work"
rc=0

# Tenant I's remote share: the I-th of PCTS, cycling.
pct_of() {
	set -- "$1" $pcts
	k=$(( ($1 - 1) % npcts + 2 ))
	eval echo "\${$k}"
}

# The uptime in centiseconds.
now_cs() {
	read -r up _ < /proc/uptime
	echo "$up" | awk '{ printf "%d", $1 * 100 + 0.5 }'
}

# Wait until FILE exists (600 s at most).
wait_file() {
	wf=0
	until [ -e "$1" ]; do
		wf=$((wf + 1))
		[ $wf -lt 6000 ] || return 1
		sleep 0.1
	done
}

# Each tenant's inputs, made once (outside every timed run).  A redis
# tenant's keys as the redis protocol (for redis-cli --pipe), the GETs of
# every 40th and their values; a sqlite tenant's script and answers.
make_inputs() {	# make_inputs I
	if [ $(($1 % 2)) = 1 ]; then
		awk -v s="$1" -v n="$keys" -v d="$work/in$1" '
		function val(j,   x, v, m) {
			x = (s * 100003 + j * 7919 + 1) % 2147483647
			v = ""
			for (m = 0; m < 32; m++) {
				x = (x * 48271) % 2147483647
				v = v sprintf("%08x", x)
			}
			return v
		}
		BEGIN {
			for (j = 0; j < n; j++) {
				k = sprintf("key:%012d", j)
				v = val(j)
				printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v > (d ".resp")
				if (j % 40 == 0) {
					print "GET " k > (d ".get")
					print v > (d ".want")
				}
			}
		}' || return 1
	else
		dn_tpch gen --rows "$rows" --seed "$1" "$work/in$1.csv" || return 1
		# The script imports the CSV: it stays for every batch.
		dn_tpch sql load "$work/in$1.csv" > "$work/in$1.load" || return 1
		: > "$work/in$1.queries"
		echo loaded > "$work/in$1.want"
		r=0
		while [ $r -lt "$rounds" ]; do
			{ dn_tpch sql q1; dn_tpch sql q6; } >> "$work/in$1.queries" || return 1
			dn_tpch answers --rows "$rows" --seed "$1" >> "$work/in$1.want" || return 1
			r=$((r + 1))
		done
	fi
}

# The value of "key N" in dnctl run's report line, or empty.
run_field() {	# run_field FILE KEY
	sed -n "s/^dnctl run: pid .*, $2 \([0-9]*\).*/\1/p" "$1" | head -n 1
}

# A counter of the target at dnctl run's last sample (every 100 ms), or
# empty.
last_field() {	# last_field FILE NAME
	sed -n "s/^dnctl run: target at last sample: .* $2=\([0-9]*\).*/\1/p" "$1" | head -n 1
}

# One tenant's run: load, say so ($d.loaded), wait for the batch's start
# ($work/go), run the measured phase, check the answers; its CSV line in
# $d.line.  Runs in the background (a subshell: its variables are its
# own).
tenant() {	# tenant N I PCT
	trap - EXIT	# the main shell's cleanup is not this subshell's
	n=$1 ti=$2 p=$3
	d=$work/t$ti
	status=ok
	if [ $((ti % 2)) = 1 ]; then
		kind=redis unit=requests work_n=$((gets + keys / 40))
		port=$((6400 + ti))
		dnctl run --remote-pct "$p" --latency "$lat" -- \
			redis-server --port "$port" --save '' --appendonly no > "$d.log" 2> "$d.run" &
		server=$!
		j=0
		until [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; do
			j=$((j + 1))
			[ $j -lt 600 ] || { status=fail; echo "dn-tenants: tenant $ti: redis-server did not start" >&2; break; }
			sleep 0.1
		done
		redis-cli -p "$port" --pipe < "$work/in$ti.resp" > "$d.load" 2>&1 &&
			grep -q "errors: 0, replies: $keys" "$d.load" ||
			{ status=fail; echo "dn-tenants: tenant $ti: keys not loaded: $(cat "$d.load")" >&2; }
		touch "$d.loaded"
		wait_file "$work/go"
		redis-benchmark -p "$port" -q --csv -t get -n "$gets" -r "$keys" -c 4 > "$d.bench" 2>&1 ||
			{ status=fail; echo "dn-tenants: tenant $ti: redis-benchmark failed" >&2; }
		redis-cli -p "$port" --raw < "$work/in$ti.get" > "$d.got" 2>&1
		cmp -s "$d.got" "$work/in$ti.want" ||
			{ status=fail; echo "dn-tenants: tenant $ti: keys read back differ from those written" >&2; }
		redis-cli -p "$port" shutdown nosave > /dev/null 2>&1
		wait "$server" || { status=fail; echo "dn-tenants: tenant $ti: redis-server exited with status $?" >&2; }
	else
		kind=sqlite unit=queries work_n=$((2 * rounds))
		# sqlite3 loads the table, says "loaded", and reads the queries
		# once the batch starts.
		{
			cat "$work/in$ti.load"
			echo "SELECT 'loaded';"
			wait_file "$work/go"
			cat "$work/in$ti.queries"
		} | dnctl run --remote-pct "$p" --latency "$lat" -- sqlite3 :memory: > "$d.out" 2> "$d.run" &
		db=$!
		j=0
		until grep -q '^loaded$' "$d.out" 2> /dev/null; do
			j=$((j + 1))
			[ $j -lt 6000 ] && kill -0 "$db" 2> /dev/null ||
				{ status=fail; echo "dn-tenants: tenant $ti: sqlite3 did not load: $(cat "$d.run")" >&2; break; }
			sleep 0.1
		done
		touch "$d.loaded"
		wait "$db" || { status=fail; echo "dn-tenants: tenant $ti: sqlite3 failed" >&2; }
		cmp -s "$d.out" "$work/in$ti.want" ||
			{ status=fail; echo "dn-tenants: tenant $ti: sqlite3's answers differ from dn_tpch's" >&2; }
	fi
	t1=$(now_cs)
	t0=$(cat "$work/go")
	cpu=$(sed -n 's/^dnctl run: pid .* cpu \([0-9.]*\) s.*/\1/p' "$d.run" | head -n 1)
	[ -n "$cpu" ] || { status=fail; echo "dn-tenants: tenant $ti: no dnctl run report: $(cat "$d.run")" >&2; }
	split=$(sed -n 's/^dnctl run: split over .* remote mean \([0-9.]*\) %, min \([0-9.]*\) %, max \([0-9.]*\) %.*/\1,\2,\3/p' "$d.run")
	[ -n "$split" ] || split=,,
	echo "$n,$ti,$kind,$p,$lat,$work_n,$unit,$cpu,$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 100 }'),$split,$(run_field "$d.run" remote_pct),$(run_field "$d.run" latency_ns),$(last_field "$d.run" remote_faults),$(last_field "$d.run" exchanges),$status" > "$d.line"
}

# Tenants that are still running when we exit (a failure) go with us.
pids=
cleanup() {
	touch "$work/go"
	for q in $pids; do
		kill "$q" 2> /dev/null
	done
}
trap cleanup EXIT

# The sum of one file over every target.
targets_sum() {
	s=0
	for f in /sys/kernel/mm/disagg_node/targets/*/"$1"; do
		[ -r "$f" ] || continue
		s=$((s + $(cat "$f")))
	done
	echo "$s"
}

# A batch: tenants I.. at shares P.. (pairs "I:P"), N in the CSV.
batch() {	# batch N I:P...
	n=$1
	shift
	rm -f "$work/go" "$work"/t*.*
	pids=
	for ip in "$@"; do
		tenant "$n" "${ip%%:*}" "${ip#*:}" &
		pids="$pids $!"
	done
	for ip in "$@"; do
		wait_file "$work/t${ip%%:*}.loaded" || { echo "dn-tenants: tenant ${ip%%:*} did not load" >&2; rc=1; }
	done
	if [ "$n" -gt 0 ]; then
		used=$(awk '$3 == "MemUsed:" { print $4 }' "/sys/devices/system/node/node$node/meminfo")
		cbps=$(dn_cbps --csv | tail -n 1) || { echo "dn-tenants: dn_cbps failed" >&2; rc=1; cbps=,,,,,; }
		blade="$(targets_sum local_pages),$(targets_sum remote_pages),$cbps"
	fi
	t0=$(now_cs)
	echo "$t0" > "$work/go.t"
	mv "$work/go.t" "$work/go"
	for q in $pids; do
		wait "$q"
	done
	pids=
	t1=$(now_cs)
	for ip in "$@"; do
		bi=${ip%%:*}
		line=$(cat "$work/t$bi.line" 2> /dev/null) || line="$n,$bi,,${ip#*:},$lat,,,,,,,,,,,,fail"
		case $line in *,fail) rc=1 ;; esac
		echo "$line"
		echo "dn-tenants: n=$n: $line" >&2
	done
	if [ "$n" -gt 0 ]; then
		echo "$n,$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 100 }'),$used,$blade"
		echo "dn-tenants: n=$n: blade $used kB used, $blade" >&2
	fi
}

i=1
while [ $i -le "$max" ]; do
	make_inputs $i || { echo "dn-tenants: tenant $i's inputs failed" >&2; exit 1; }
	i=$((i + 1))
done
echo "n,tenant,kind,remote_pct,latency_ns,phase_work,unit,cpu_seconds,phase_seconds,remote_mean,remote_min,remote_max,run_remote_pct,run_latency_ns,traps,exchanges,status"
echo "blade_n,batch_seconds,node_used_kib,target_local_pages,target_remote_pages,cbps_pages,zero,duplicate,unique,distinct,saving"
# The bases: each tenant alone at 0 %.
i=1
while [ $i -le "$max" ]; do
	batch 0 "$i:0"
	i=$((i + 1))
done
for n in $counts; do
	set --
	i=1
	while [ $i -le "$n" ]; do
		set -- "$@" "$i:$(pct_of $i)"
		i=$((i + 1))
	done
	batch "$n" "$@"
done
exit $rc
