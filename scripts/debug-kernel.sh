#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a debug kernel from Debian's linux-source-6.1 (a small config from
# allnoconfig + scripts/debug-kernel.config: KASAN, lockdep, DEBUG_VM,
# DEBUG_PAGEALLOC on by default, DEBUG_ATOMIC_SLEEP, debug objects, lockup
# and hung task detectors, full preemption), install it into the kernel
# cache as ".cache/kernels/6.1-debug" so that `make KVER=6.1-debug` and
# `scripts/vm-run.sh --kernel 6.1-debug` use it like any other kernel, then
# build the module against it and boot test machines on it with 4 vCPUs:
# by default main, noreserve, nonode and conc, each with the tests
# scripts/machines.sh gives it (the table scripts/test.sh uses).  Not part
# of CI (scripts/test.sh).
#
# Everything is kept under .cache/ (ignored by git):
#   .cache/debug-kernel/linux-source-6.1/  the unpacked tarball (/usr/src)
#   .cache/debug-kernel/build/             the O= build tree (also the
#                                          headers for out-of-tree modules)
#   .cache/debug-kernel/build.log          the last kernel build's output
#   .cache/kernels/6.1-debug/              kver, root/boot/vmlinuz-<kver>,
#                                          root/usr/src/linux-headers-<kver>
#                                          (a symlink to the build tree),
#                                          root/lib/modules/<kver>/modules.*
# The kernel is rebuilt only when its inputs change (the config fragment,
# the linux-source package, the compiler, this script's recipe); a second
# run goes straight to the tests.  The first build takes hours on 2 cores.
#
# Usage: scripts/debug-kernel.sh [options]
#   --build-only       build and install the kernel, run nothing
#   --no-build         use the installed kernel as it is (fail if none)
#   --jobs N           make -j N for the kernel (default 2; run at nice 19)
#   --smp N            guest vCPUs of every machine (default 4)
#   --timeout SEC      wall-clock limit of each VM run (default 3600)
#   --conc-seconds N   DN_CONC_SECONDS for dn_conc_test (default 10); its
#                      timeouts are 4x (DN_CONC_TIMEOUT_SCALE): twenty
#                      unloads under load take over 300 s on this kernel
#   --only LIST        comma-separated machines of scripts/machines.sh
#                      (default main,noreserve,nonode,conc; also work,
#                      migration, icount: QEMU 10, scripts/deps.sh qemu10)
#   --list             print the runs (machine, vm-run.sh options, guest
#                      command) and exit
#   --allow-fail LIST  comma-separated TAP test names (e.g.
#                      remote.latency_delta, whose timing bounds a debug
#                      kernel under TCG cannot meet) whose failure alone
#                      does not fail a run; the kernel log must still be
#                      clean.  Default: none, every failure counts.
# The module, userspace and selftests are built in $BUILD (default build/),
# logs go to $BUILD/logs/6.1-debug-<run>.log (+ .dmesg, .console, and
# .splats: every kernel report of the run with its stack).
# Exits 0 only if every run passed with a clean kernel log.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck source=scripts/machines.sh
. "$top/scripts/machines.sh"
cache=${DN_CACHE:-$top/.cache}
build=${BUILD:-$top/build}
export BUILD=$build
name=6.1-debug
# Bump when the way the kernel is built or installed changes.
recipe=1

build_only=0
no_build=0
jobs=2
smp=4
timeout_s=3600
conc_seconds=10
only=main,noreserve,nonode,conc
allow_fail=
list=0
while [ $# -gt 0 ]; do
	case $1 in
	--build-only) build_only=1; shift ;;
	--no-build) no_build=1; shift ;;
	--jobs) jobs=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--conc-seconds) conc_seconds=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--allow-fail) allow_fail=$2; shift 2 ;;
	--list) list=1; shift ;;
	-h|--help) sed -n '3,/^set -euo/p' "$0" | sed '$d;s/^# \{0,1\}//'; exit 0 ;;
	*) echo "debug-kernel: unknown option $1" >&2; exit 2 ;;
	esac
done

# The runs: the machines asked for, as the table has them, on $smp vCPUs
# and with this kernel's timeout; dn_conc_test's cases 4x slower.
runs=()
IFS=, read -r -a runs <<< "$only"
for m in "${runs[@]}"; do
	dn_machine "$m" || { echo "debug-kernel: no machine '$m' in scripts/machines.sh (${dn_machines[*]})" >&2; exit 2; }
done
run_opts() {	# run_opts MACHINE: sets opts and gcmd
	dn_machine "$1"
	# The table's options first: vm-run.sh takes the last --smp given.
	opts=("${dn_vm_opts[@]}" --smp "$smp" --timeout "$timeout_s")
	gcmd="DN_CONC_SECONDS=$conc_seconds DN_CONC_TIMEOUT_SCALE=4 run-guest.sh $dn_tests"
}
if [ "$list" = 1 ]; then
	for m in "${runs[@]}"; do
		run_opts "$m"
		echo "$m: vm-run.sh --kernel $name ${opts[*]} -- '$gcmd'"
	done
	exit 0
fi

dk=$cache/debug-kernel
src=$dk/linux-source-6.1
obj=$dk/build
kc=$cache/kernels/$name
tarball=/usr/src/linux-source-6.1.tar.xz
fragment=$top/scripts/debug-kernel.config

log() { echo "debug-kernel: $*"; }
die() { echo "debug-kernel: $*" >&2; exit 1; }

# --- host packages: the module's (scripts/deps.sh) and a kernel build's
need_pkgs() {
	local p missing=()
	for p in build-essential bc bison flex libelf-dev libssl-dev cpio xz-utils \
		 kmod qemu-system-x86 busybox-static numactl libnuma-dev linux-source-6.1; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# --- the kernel: unpack, configure, build (skipped when up to date)
kernel_key() {
	{
		echo "recipe $recipe"
		dpkg-query -W -f='${Package} ${Version}\n' linux-source-6.1
		stat -c '%s %Y' "$tarball"
		gcc --version | head -n1
		echo "cache $cache"
		cat "$fragment"
	} | sha256sum | cut -d' ' -f1
}

unpack() {
	local id
	id=$(stat -c '%s %Y' "$tarball")
	if [ -f "$src/.dn-tarball" ] && [ "$(cat "$src/.dn-tarball")" = "$id" ]; then
		return 0
	fi
	log "unpacking $tarball into $dk"
	rm -rf "$src" "$obj"
	mkdir -p "$dk"
	tar -C "$dk" -xJf "$tarball"
	[ -f "$src/Makefile" ] || die "no linux-source-6.1/ in $tarball"
	echo "$id" > "$src/.dn-tarball"
}

configure() {
	mkdir -p "$obj"
	cp "$fragment" "$dk/fragment.config"
	make -s -C "$src" O="$obj" ARCH=x86_64 KCONFIG_ALLCONFIG="$dk/fragment.config" allnoconfig
	# Every option the fragment names must have survived the dependency
	# resolution: a missing dependency silently drops an option.
	local l bad=0
	while IFS= read -r l; do
		case $l in
		CONFIG_*=*) grep -qxF "$l" "$obj/.config" || {
			echo "debug-kernel: config: wanted $l, got: $(grep -E "^(# )?${l%%=*}[= ]" "$obj/.config" || echo absent)" >&2
			bad=1; } ;;
		"# CONFIG_"*" is not set") grep -qxF "$l" "$obj/.config" || { echo "debug-kernel: config: wanted '$l'" >&2; bad=1; } ;;
		esac
	done < "$dk/fragment.config"
	[ "$bad" = 0 ] || die "the config fragment does not hold (see above)"
	if grep -q '=m$' "$obj/.config"; then
		die "config builds modules: $(grep '=m$' "$obj/.config" | tr '\n' ' ')"
	fi
}

build_kernel() {
	local t0 t1
	t0=$(date +%s)
	log "building the kernel in $obj (nice -n 19 make -j$jobs; log: $dk/build.log)"
	if ! nice -n 19 make -C "$obj" -j"$jobs" LOCALVERSION= all > "$dk/build.log" 2>&1; then
		tail -n 30 "$dk/build.log" >&2
		die "kernel build failed (log: $dk/build.log)"
	fi
	t1=$(date +%s)
	log "kernel built in $(( (t1 - t0) / 60 )) min $(( (t1 - t0) % 60 )) s"
}

install_kernel() {
	local krel
	krel=$(make -s -C "$obj" LOCALVERSION= kernelrelease)
	case $krel in *-dn-debug) ;; *) die "unexpected kernel release '$krel'" ;; esac
	[ -s "$obj/Module.symvers" ] || die "no Module.symvers in $obj"
	rm -rf "$kc.tmp"
	mkdir -p "$kc.tmp/root/boot" "$kc.tmp/root/usr/src" "$kc.tmp/root/lib/modules/$krel"
	cp "$obj/arch/x86/boot/bzImage" "$kc.tmp/root/boot/vmlinuz-$krel"
	cp "$obj/.config" "$kc.tmp/root/boot/config-$krel"
	cp "$obj/System.map" "$kc.tmp/root/boot/System.map-$krel"
	# The headers are the build tree itself (out-of-tree M= builds work
	# against an O= tree), linked relatively so that the link survives
	# in the same place under .cache/.
	ln -s "../../../../../debug-kernel/build" "$kc.tmp/root/usr/src/linux-headers-$krel"
	local f
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		if [ -f "$obj/$f" ]; then cp "$obj/$f" "$kc.tmp/root/lib/modules/$krel/"; else : > "$kc.tmp/root/lib/modules/$krel/$f"; fi
	done
	echo "$krel" > "$kc.tmp/kver"
	rm -rf "$kc"
	mv "$kc.tmp" "$kc"
	log "installed $krel as $kc"
}

need_pkgs
key=$(kernel_key)
if [ "$no_build" = 1 ]; then
	[ -f "$kc/kver" ] || die "no debug kernel in $kc: run without --no-build"
elif [ -f "$obj/.dn-key" ] && [ "$(cat "$obj/.dn-key")" = "$key" ] && [ -f "$kc/kver" ] &&
     [ -f "$kc/root/boot/vmlinuz-$(cat "$kc/kver")" ]; then
	log "kernel $(cat "$kc/kver") is up to date (key ${key:0:12})"
else
	unpack
	rm -f "$obj/.dn-key"
	configure
	build_kernel
	install_kernel
	echo "$key" > "$obj/.dn-key"
fi
krel=$(cat "$kc/kver")
# vm-run.sh boots the image that 'vmlinuz' names, as deps.sh links it.
[ -e "$kc/vmlinuz" ] || ln -s "root/boot/vmlinuz-$krel" "$kc/vmlinuz"
[ "$build_only" = 0 ] || exit 0

# --- the module and tests against it; every symbol must resolve (modpost
# fails on an undefined symbol; check it again explicitly)
log "building the module, userspace and selftests for $krel in $build"
if ! make -s KVER="$name" all; then
	# A selftest being written elsewhere may not build yet: go on with
	# what did build, as long as the module did.
	echo "debug-kernel: 'make KVER=$name all' failed; continuing with what built" >&2
	make -s -k KVER="$name" all || true
fi
ko=$build/$krel/disagg_node.ko
[ -f "$ko" ] || die "no $ko"
missing=$(nm -u "$ko" | awk '{print $2}' | sort -u |
	  comm -23 - <(awk '{print $2}' "$kc/root/usr/src/linux-headers-$krel/Module.symvers" | sort -u) || true)
[ -z "$missing" ] || die "symbols the module needs but the kernel does not export: $missing"

# --- the runs
logdir=$build/logs
mkdir -p "$logdir"
results=()
failed=0

run() {	# run MACHINE
	local rname=$1 st t0 t1 lg=$logdir/$name-$1.log opts gcmd t
	run_opts "$rname"
	for t in $dn_tests; do
		case $t in *.sh) continue ;; esac
		if [ ! -x "$build/selftests/$t" ]; then
			failed=1
			results+=("FAIL $rname: no $build/selftests/$t (it did not build)")
			return 0
		fi
	done
	log "=== run '$rname' on $krel, $smp vCPUs: $gcmd"
	rm -f "$lg" "${lg%.log}".{dmesg,console,splats}
	t0=$(date +%s)
	set +e
	"$top/scripts/vm-run.sh" --kernel "$name" --log "$lg" "${opts[@]}" -- "$gcmd"
	st=$?
	set -e
	t1=$(date +%s)
	local p f
	p=$(grep -cE '^ok [0-9]+ ' "$lg" || true)
	f=$(grep -cE '^not ok [0-9]+ ' "$lg" || true)
	# The reports from the guest's dmesg; from the console (everything the
	# guest printed) only if it died before printing its dmesg.
	local dm=${lg%.log}.dmesg
	[ -s "$dm" ] || dm=$lg
	# Every kernel report, with its stack, for a human to read (the
	# verdict is vm-run.sh's, from the same check-dmesg.sh).
	"$top/scripts/check-dmesg.sh" --reports "$dm" > "${lg%.log}.splats" 2>/dev/null || true
	local nsplat
	nsplat=$(grep -c '^----$' "${lg%.log}.splats" || true)
	local verdict=PASS note= names=
	if [ "$st" != 0 ]; then
		verdict=FAIL
		# Only allowed failures, a guest that finished and a clean log?
		local bad=0 n
		names=$(sed -n 's/^not ok [0-9]* \([^ ]*\).*/\1/p' "$lg")
		if [ "$st" = 1 ] && [ -n "$allow_fail" ] && [ -n "$names" ] && [ "$nsplat" = 0 ] &&
		   "$top/scripts/check-dmesg.sh" "${lg%.log}.dmesg" >/dev/null 2>&1; then
			for n in $names; do
				case ",$allow_fail," in *",$n,"*) ;; *) bad=1 ;; esac
			done
			if [ "$bad" = 0 ]; then
				verdict=PASS
				note=" (allowed failures: $(echo $names))"
			fi
		fi
	fi
	[ "$verdict" = PASS ] || failed=1
	results+=("$verdict $rname: exit $st, TAP $p ok / $f not ok, $nsplat kernel report(s), $(( (t1 - t0) / 60 )) min $(( (t1 - t0) % 60 )) s (log: $lg)$note")
	[ -z "$names" ] || results+=("     not ok: $(echo $names)")
	if [ "$nsplat" != 0 ]; then
		log "kernel reports of run '$rname' (${lg%.log}.splats):"
		cat "${lg%.log}.splats"
	fi
}

for m in "${runs[@]}"; do
	run "$m"
done

echo
echo "=== debug kernel $krel: summary"
printf '%s\n' "${results[@]}"
[ "$failed" = 0 ] && echo "debug-kernel: all runs passed" || echo "debug-kernel: FAILED"
exit "$failed"
