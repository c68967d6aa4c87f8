#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side: the kernel's own migration selftest (migration.c from
# linux-source-6.1, built as /dn/selftests/migration) with disagg_node
# loaded (remote_pct=50, the worker on): first as a plain process, then as
# a target under dn_run.  Prints the TAP output of both runs and exits
# non-zero if either failed.  The host (scripts/vm-run.sh) also fails the
# run on a dirty kernel log.  Needs 3 or more vCPUs (migration.c skips
# with 2): vm-run.sh --smp 4.
#
# Usage: run-migration.sh [-t TEST]...    (default: every test)
#   DN_MIG_MODES    runs, default "plain target"; also "membind": a target
#                   whose memory starts on the remote node (numactl
#                   --membind), so that every process of the test traps
#   DN_MIG_PARAMS   module parameters, default "remote_pct=50"
#   DN_MIGRATION_RETRY_MS  how long move_pages() is retried on a page it
#                   did not migrate before the test sees the failure,
#                   default 20000; 0: upstream, one failed call fails the
#                   test (shared_anon then fails on 6.1 with or without the
#                   module: a kernel race, see selftests/migration-wrap.h)
modes=${DN_MIG_MODES:-plain target}
params=${DN_MIG_PARAMS:-remote_pct=50}
export DN_MIGRATION_RETRY_MS=${DN_MIGRATION_RETRY_MS:-20000}
stats=/sys/kernel/mm/disagg_node/stats

# Children of a failed shared_anon run are left spinning: end them.
reap() {
	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" = migration ] && kill -9 "${p#/proc/}" 2>/dev/null
	done
}

if [ "$(nproc)" -lt 3 ]; then
	echo "# run-migration: $(nproc) CPUs: migration.c needs 3 or more (vm-run.sh --smp 4)"
	exit 1
fi
if [ ! -d /sys/kernel/mm/disagg_node ]; then
	# shellcheck disable=SC2086
	modprobe disagg_node $params || exit 1
fi
echo "# run-migration: $(uname -r), $(nproc) CPUs, disagg_node $params, DN_MIGRATION_RETRY_MS=$DN_MIGRATION_RETRY_MS"
numactl -H | sed -n 's/^\(node [0-9]* size.*\)/# \1/p'

# Counters that show what a run did: page migrations (move_pages and
# promotions), NUMA hint faults (the module's traps are such faults).
counters() {
	printf 'remote_faults=%s promotions=%s evictions=%s ' \
		"$(cat $stats/remote_faults)" "$(cat $stats/promotions)" \
		"$(cat $stats/evictions)"
	grep -E '^(pgmigrate_success|pgmigrate_fail|numa_hint_faults) ' /proc/vmstat |
		tr ' \n' '= '
}

rc=0
for mode in $modes; do
	before=$(counters)
	echo "# DN-SUITE migration ($mode)"
	case $mode in
	plain) /dn/selftests/migration "$@" ;;
	target) /dn/bin/dn_run -- /dn/selftests/migration "$@" ;;
	membind) numactl --membind="$(cat /sys/kernel/mm/disagg_node/node_id)" \
			/dn/bin/dn_run -- /dn/selftests/migration "$@" ;;
	*) echo "# run-migration: unknown mode $mode"; false ;;
	esac
	st=$?
	reap
	echo "# DN-SUITE-EXIT migration ($mode) $st"
	echo "# counters before: $before"
	echo "# counters after:  $(counters)"
	[ "$st" = 0 ] || rc=1
done
exit $rc
