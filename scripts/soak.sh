#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Soak test (not in CI): the concurrency suite (selftests/dn_conc_test.c) in
# one 4-vCPU VM for about the given time.  Pass 1 runs the whole mix
# (shared-words threads, pthread sync, fork COW, VMA churn, several targets,
# knobs under load, targets killed mid-migration, 20 unload-under-load
# cycles) at 20 s a case; pass 2 spends the rest of the time on the cases
# that migrate the most pages per second (shared-words threads, fork COW,
# knobs under load, kills), to reach 10^6 migrations.  Each case's figures
# and failures are in the log (build/logs/soak-*.log).  Every case verifies
# every byte at its end.  Prints the totals over all cases (migrations,
# traps, evictions, bytes verified, lost writes, errors) and exits non-zero
# on any failed case, lost write, bad word, error, dirty guest kernel log,
# or fewer migrations than --min-migrations (default 1000000, 0 turns that
# check off).
#
# Usage: scripts/soak.sh [--minutes N] [--kernel 6.1|6.12|sid] [--min-migrations N]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
minutes=10
kernel=6.1
min_migrations=1000000

while [ $# -gt 0 ]; do
	case $1 in
	--minutes) minutes=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--min-migrations) min_migrations=$2; shift 2 ;;
	*) echo "soak: unknown option $1" >&2; exit 2 ;;
	esac
done
case $minutes in ''|*[!0-9]*|0) echo "soak: --minutes takes a number" >&2; exit 2 ;; esac
case $min_migrations in ''|*[!0-9]*) echo "soak: --min-migrations takes a number" >&2; exit 2 ;; esac

build=${BUILD:-$top/build}
export BUILD=$build
"$top/scripts/deps.sh" "$kernel"
make -s KVER="$kernel" all

# Pass 1 takes 5 to 7 minutes (7 cases of 20 s plus their checks, 20
# unload cycles of 4 to 8 s).  Pass 2 shares what is left of the time, as
# the guest measures it after pass 1 (30 s kept for booting and the
# kernel log), between its 4 cases, at about 5 s of checks each.
s1=20
pass2="threads_shared_words fork_cow knobs_under_load kill_mid_migration"
budget=$(( 60 * minutes - 30 ))
mkdir -p "$build/logs"
log=$build/logs/soak-$kernel-$(date +%Y%m%d-%H%M%S).log
echo "soak: kernel $kernel, about $minutes min: pass 1 all cases at ${s1} s, pass 2 '$pass2' in the time left (log: $log)"

start=$(date +%s)
set +e
"$top/scripts/vm-run.sh" --kernel "$kernel" --smp 4 \
	--timeout $(( 60 * minutes * 2 + 900 )) --log "$log" -- \
	"t0=\$(cut -d. -f1 /proc/uptime);
	 DN_CONC_SECONDS=$s1 DN_CONC_CYCLES=20 run-guest.sh dn_conc_test; a=\$?;
	 s2=\$(( ($budget - \$(cut -d. -f1 /proc/uptime) + t0) / 4 - 5 ));
	 [ \$s2 -ge 10 ] || s2=10;
	 echo \"soak: pass 2 at \$s2 s a case\";
	 DN_CONC_SECONDS=\$s2 DN_CONC_ONLY='$pass2' run-guest.sh dn_conc_test; b=\$?;
	 [ \$a = 0 ] && [ \$b = 0 ]"
st=$?
set -e
wall=$(( $(date +%s) - start ))

# Add up the "DN-CONC case=... key=value ..." lines, one per case run.
read -r cases migrations traps evictions promotions homecomings bytes lost bad errors < <(
	awk '/DN-CONC case=/ {
		n++
		for (i = 1; i <= NF; i++)
			if (split($i, kv, "=") == 2)
				v[kv[1]] += kv[2]
	}
	END {
		printf "%d %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f\n", n,
		       v["migrations"], v["traps"], v["evictions"],
		       v["promotions"], v["homecomings"], v["bytes_verified"],
		       v["lost"], v["bad"], v["errors"]
	}' "$log")
passed=$(grep -E '^ok [0-9]+ ' "$log" | grep -vc '# SKIP' || true)
failed=$(grep -cE '^not ok [0-9]+ ' "$log" || true)

echo
echo "=== soak summary: kernel $kernel, $wall s wall"
echo "cases:          $passed passed, $failed failed ($cases reported figures)"
echo "migrations:     $migrations (promotions $promotions, evictions $evictions, homecomings $homecomings)"
echo "traps:          $traps"
echo "evictions:      $evictions"
echo "bytes verified: $bytes"
echo "errors:         $lost lost writes, $bad bad words, $errors other errors"

rc=0
if [ "$st" != 0 ]; then
	echo "soak: FAILED: the guest run exited $st (failed case, dirty kernel log, crash or timeout)" >&2
	rc=1
fi
if [ "$failed" != 0 ] || [ "$lost" != 0 ] || [ "$bad" != 0 ] || [ "$errors" != 0 ]; then
	echo "soak: FAILED: $failed failed cases, $lost lost writes, $bad bad words, $errors errors" >&2
	rc=1
fi
if [ "$passed" = 0 ] || [ "$cases" = 0 ]; then
	echo "soak: FAILED: no case ran" >&2
	rc=1
fi
if [ "$migrations" -lt "$min_migrations" ]; then
	echo "soak: FAILED: $migrations migrations, fewer than $min_migrations: run longer (--minutes)" >&2
	rc=1
fi
[ "$rc" != 0 ] || echo "soak: PASSED"
exit "$rc"
