#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every disagg_node test: installs what it needs (scripts/deps.sh),
# builds, runs the host-side checks, then boots each target kernel under
# QEMU TCG seven times (the machines of scripts/machines.sh: the normal
# machine twice: the module's suites, and the workloads with Debian's
# programs; once under instruction-counted time, QEMU 10's -icount: the
# calibrated latency; one without a memmap= reservation, one without an
# empty possible node, and the normal machine with 4 vCPUs twice: the
# concurrency suite, and the kernel's own migration selftest plain and as
# a target), plus, on the first kernel only, the real-host path (the
# module and programs built with the kernel's headers only, the selftests
# run from another prefix than /dn), and runs the selftests there, two
# machines at a time (DN_TEST_JOBS).
# Prints the TAP output, a per-suite summary with each machine's time and a
# closing "N passed, N failed" line; exits non-zero if anything failed.
#
# Usage: scripts/test.sh [KERNEL...]     (default: 6.1 6.12 sid)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck source=scripts/machines.sh
. "$top/scripts/machines.sh"
kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=(6.1 6.12 sid)

"$top/scripts/deps.sh" "${kernels[@]}" qemu10

logdir=$top/build/logs
mkdir -p "$logdir"
rm -f "$logdir/xfail.txt" "$logdir/failures.txt"
passed=0
failed=0
extra_fail=0
before=0
summary=()

# record NAME STATUS: count a suite-level result.  ("host:" results that
# are TAP suites are counted through their TAP lines instead.)
record() {
	if [ "$2" = 0 ]; then
		passed=$((passed + 1)); summary+=("PASS $1")
	else
		failed=$((failed + 1)); summary+=("FAIL $1 (exit $2)")
	fi
}

# count_tap LOG: add the guest's TAP "ok"/"not ok" lines to the totals.
# "not ok ... # TODO why" is TAP's expected failure: the migration runner
# marks so a shared_anon failure on a kernel that fails it with the module
# inert (measured in the same boot); counted apart and listed.
tap_pass=0
tap_fail=0
tap_skip=0
tap_xfail=0
count_tap() {
	local p f s x
	p=$(grep -cE '^ok [0-9]+ ' "$1" || true)
	s=$(grep -cE '^ok [0-9]+ .*# SKIP' "$1" || true)
	f=$(grep -cE '^not ok [0-9]+ ' "$1" || true)
	x=$(grep -cE '^not ok [0-9]+ .*# TODO' "$1" || true)
	tap_pass=$((tap_pass + p - s))
	tap_skip=$((tap_skip + s))
	tap_fail=$((tap_fail + f - x))
	tap_xfail=$((tap_xfail + x))
	grep -E '^not ok [0-9]+ .*# TODO' "$1" | sed "s|^|XFAIL $(basename "$1" .log): |" >> "$logdir/xfail.txt" || true
	# A failed test's block: from its "#  RUN" line to its "not ok",
	# the last 12 lines.
	awk -v m="$(basename "$1" .log)" '
		/^#  RUN / { n = 0 }
		{ buf[n++ % 12] = $0 }
		/^not ok [0-9]+ / && !/# TODO/ {
			print "--- " m ": " $0
			for (i = (n > 12 ? n - 12 : 0); i < n - 1; i++)
				print "    " buf[i % 12]
			n = 0
		}' "$1" >> "$logdir/failures.txt" || true
}

# Host side: the dmesg scanner must catch what it is meant to catch.
set +e
"$top/scripts/test-check-dmesg.sh"
record "host: check-dmesg self-test" $?
"$top/scripts/test-figures.sh"
record "host: figures.sh CSV self-test" $?
make -s checkpatch
record "host: checkpatch --strict" $?
"$top/scripts/check-docs.sh"
record "host: docs render (docutils)" $?
set -e
make -s unit
for u in "test_policy:policy core" "test_stats:benchmark statistics"; do
	echo "=== host: ${u#*:} unit test (TAP)"
	set +e
	"$top/build/unit/${u%%:*}" | tee "$logdir/unit-${u%%:*}.log"
	st=${PIPESTATUS[0]}
	set -e
	before=$tap_fail
	count_tap "$logdir/unit-${u%%:*}.log"
	record "unit: ${u#*:} (userspace)" "$st"
	[ "$st" = 0 ] || [ "$tap_fail" != "$before" ] || extra_fail=$((extra_fail + 1))
done

# The machines (scripts/machines.sh): every kernel is built first, then
# its machines boot, up to DN_TEST_JOBS at a time (default 2:
# single-threaded TCG keeps one host core busy per guest; 1 runs them one
# after the other).  The longest start first.  Each one's output is
# printed, in a fixed order, once all have run.
for k in "${kernels[@]}"; do
	make -s KVER="$k" all
done

# The real-host build (the 'hostpath' machine boots it): plain make for
# the first kernel with no linux-source tree, so with nothing but the
# kernel's headers, must build the module and the user programs and
# nothing else; the selftests (which need linux-source) are added from
# the normal build, to run from another prefix; make install, staged,
# must lay them out as the selftests expect.
hostbuild=$top/build/hostpath
rm -rf "$hostbuild"
set +e
(
	set -e
	make -s KVER="${kernels[0]}" BUILD="$hostbuild" KSRC="$hostbuild/no-linux-source"
	ls "$hostbuild"/*/disagg_node.ko "$hostbuild/user/dnctl" "$hostbuild/user/dn_touch" > /dev/null
	[ ! -e "$hostbuild/selftests" ] || { echo "test.sh: the real-host build built selftests" >&2; exit 1; }
	cp -r "${BUILD:-$top/build}/selftests" "$hostbuild/selftests"
	# make install, staged: the layout the guest's /dn has (DN_PREFIX).
	make -s KVER="${kernels[0]}" BUILD="$hostbuild" KSRC="$hostbuild/no-linux-source" \
		DESTDIR="$hostbuild/stage" install
	s=$hostbuild/stage
	ls "$s"/lib/modules/*/extra/disagg_node.ko "$s/opt/disagg_node/bin/dnctl" \
	   "$s/opt/disagg_node/bin/dn-workload.sh" "$s/opt/disagg_node/selftests/dn_node_test" \
	   "$s/opt/disagg_node/selftests/run-guest.sh" > /dev/null
)
record "host: real-host build, kernel ${kernels[0]}'s headers only (make, no linux-source)" $?
set -e

# machine KERNEL SCENARIO: the tests it runs ($tests), and vm-run.sh's
# options ($opts), from the table.
machine() {
	dn_machine "$2"
	tests=$dn_tests
	opts=(--kernel "$1" --log "$logdir/$1-$2.log" --timeout "$dn_timeout" "${dn_vm_opts[@]}")
	build=${BUILD:-$top/build}
	[ -z "$dn_build" ] || build=$top/build/$dn_build
}

# wanted KERNEL SCENARIO: does this kernel run this machine?
wanted() {
	dn_machine "$2"
	[ "$dn_once" = 0 ] || [ "$1" = "${kernels[0]}" ]
}

# run_machine KERNEL SCENARIO: boot it; its output, exit status and
# seconds go to $logdir/KERNEL-SCENARIO.{out,status}.
run_machine() {
	local t0 st
	machine "$1" "$2"
	t0=$(date +%s)
	set +e
	BUILD=$build "$top/scripts/vm-run.sh" "${opts[@]}" -- run-guest.sh $tests > "$logdir/$1-$2.out" 2>&1
	st=$?
	set -e
	echo "$st $(($(date +%s) - t0))" > "$logdir/$1-$2.status"
}

jobs_max=${DN_TEST_JOBS:-2}
case $jobs_max in ''|*[!0-9]*|0) echo "test.sh: DN_TEST_JOBS takes a number above 0" >&2; exit 2 ;; esac
for scen in "${dn_start_order[@]}"; do
	for k in "${kernels[@]}"; do
		wanted "$k" "$scen" || continue
		rm -f "$logdir/$k-$scen.status"
		while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
			wait -n || true
		done
		echo "=== starting kernel $k, machine '$scen'"
		run_machine "$k" "$scen" &
	done
done
wait

# The releases tested (sid's changes with time): in the summary and in
# build/logs/kernels.txt.
rels=()
for k in "${kernels[@]}"; do
	rels+=("kernel $k: release $(cat "${DN_CACHE:-$top/.cache}/kernels/$k/kver" 2>/dev/null || echo '?')")
done
printf '%s\n' "${rels[@]}" > "$logdir/kernels.txt"

times=()
for k in "${kernels[@]}"; do
	for scen in "${dn_machines[@]}"; do
		wanted "$k" "$scen" || continue
		machine "$k" "$scen"
		st=125 secs=0
		[ ! -s "$logdir/$k-$scen.status" ] || read -r st secs < "$logdir/$k-$scen.status"
		echo "=== kernel $k, machine '$scen': $tests (${secs} s)"
		cat "$logdir/$k-$scen.out" 2>/dev/null || true
		before=$tap_fail
		count_tap "$logdir/$k-$scen.log"
		record "kernel $k: $scen ($tests)" "$st"
		times+=("kernel $k, machine $scen: ${secs} s")
		# A failed run with no failed test (dirty kernel log, crash,
		# timeout) still counts as one failure.
		if [ "$st" != 0 ] && [ "$tap_fail" = "$before" ]; then
			extra_fail=$((extra_fail + 1))
			{ echo "--- $k-$scen: exit $st with no failed test; its last lines:"
			  tail -n 8 "$logdir/$k-$scen.out" 2>/dev/null | sed 's/^/    /'; } >> "$logdir/failures.txt"
		fi
	done
done

echo
echo "=== summary"
printf '%s\n' "${summary[@]}"
printf '%s\n' "${rels[@]}"
printf '%s\n' "${times[@]}"
echo "suites: $passed passed, $failed failed"
echo "selftests (TAP, all kernels): $tap_pass passed, $tap_fail failed, $tap_skip skipped, $tap_xfail expected failures (kernel bugs)"
[ ! -s "$logdir/xfail.txt" ] || cat "$logdir/xfail.txt"
# Each failed test with the last lines it printed, so that the tail of a
# CI log says why (the full logs are in build/logs).
[ ! -s "$logdir/failures.txt" ] || { echo "=== failed tests"; cat "$logdir/failures.txt"; }
# Host checks count as one test each.  A skipped test is not a pass: the
# harness boots every machine a test needs, so a skip counts as a failure.
host_pass=0
host_fail=0
for line in "${summary[@]}"; do
	case $line in
	"PASS host:"*) host_pass=$((host_pass + 1)) ;;
	"FAIL host:"*) host_fail=$((host_fail + 1)) ;;
	esac
done
total_pass=$((tap_pass + host_pass))
total_fail=$((tap_fail + tap_skip + host_fail + extra_fail))
[ "$tap_pass" -gt 0 ] || total_fail=$((total_fail + 1))
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ] && [ "$failed" = 0 ]
