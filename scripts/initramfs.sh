#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest initramfs for one kernel release as two concatenated newc
# archives: a fixed base (static busybox, numactl + libnuma, kmod, /init,
# and the Debian programs the workloads and tests run: perf, sqlite3,
# redis-server/-cli/-benchmark, sysbench, xz, stress-ng, each with its shared
# libraries, as scripts/deps.sh installed them on the host) cached in
# build/, and a per-run part (the module installed where modprobe
# finds it, the user programs of build/user/ and the guest-side scripts
# (workloads/*.sh, scripts/demo-guest.sh) in /dn/bin, the selftests and
# their scripts in /dn/selftests, the guest command).
#
# Usage: initramfs.sh KREL OUT.cpio "GUEST COMMAND"
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
krel=$1
out=$2
cmd=$3
build=${BUILD:-$top/build}

copy_with_libs() {	# copy_with_libs ROOT BINARY...
	local root=$1; shift
	local f lib
	for f in "$@"; do
		install -D -m 0755 "$f" "$root$f"
		for lib in $(ldd "$f" | grep -o '/[^ ]*'); do
			[ -e "$root$lib" ] || install -D -m 0755 "$lib" "$root$lib"
		done
	done
}

base=$build/initramfs-base.cpio
if [ ! -s "$base" ] || [ "$base" -ot "$0" ] || [ "$base" -ot "$top/scripts/guest-init.sh" ]; then
	r=$(mktemp -d)
	mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,root,lib/modules}
	cp /bin/busybox "$r/bin/busybox"
	for a in $("$r/bin/busybox" --list); do
		[ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
	done
	copy_with_libs "$r" /usr/bin/numactl /usr/bin/kmod
	for a in modprobe insmod rmmod lsmod modinfo depmod; do
		rm -f "$r/bin/$a" "$r/sbin/$a"
		ln -s /usr/bin/kmod "$r/sbin/$a"
	done
	# Debian's programs, dynamically linked: the host's binaries and
	# libraries.  perf is bookworm's (linux-perf 6.1), used on every
	# guest kernel: perf stat/record of tracepoints work across versions.
	copy_with_libs "$r" /usr/bin/perf /usr/bin/sqlite3 /usr/bin/redis-check-rdb \
		/usr/bin/redis-benchmark /usr/bin/redis-cli /usr/bin/sysbench /usr/bin/xz \
		/usr/bin/stress-ng
	ln -s redis-check-rdb "$r/usr/bin/redis-server"
	rm -f "$r/bin/xz"	# busybox's xz only decompresses
	install -m 0755 "$top/scripts/guest-init.sh" "$r/init"
	# Machines may start side by side: each writes its own, one wins.
	(cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$base.tmp.$$"
	mv "$base.tmp.$$" "$base"
	rm -rf "$r"
fi

r=$(mktemp -d)
trap 'rm -rf "$r"' EXIT
mkdir -p "$r/lib/modules/$krel/extra" "$r/dn"
install -m 0644 "$build/$krel/disagg_node.ko" "$r/lib/modules/$krel/extra/"
kmods=$(ls -d "${DN_CACHE:-$top/.cache}"/kernels/*/root/{usr/,}lib/modules/"$krel" 2>/dev/null | head -n1 || true)
for f in modules.order modules.builtin modules.builtin.modinfo; do
	if [ -n "$kmods" ] && [ -f "$kmods/$f" ]; then
		cp "$kmods/$f" "$r/lib/modules/$krel/"
	else
		: > "$r/lib/modules/$krel/$f"
	fi
done
depmod -b "$r" "$krel"
cp -r "$build/user" "$r/dn/bin"
cp -r "$build/selftests" "$r/dn/selftests"
for f in "$top"/selftests/*.sh; do [ -e "$f" ] && install -m 0755 "$f" "$r/dn/selftests/"; done
for f in "$top"/workloads/*.sh "$top"/scripts/demo-guest.sh; do
	[ -e "$f" ] && install -m 0755 "$f" "$r/dn/bin/"
done
printf '%s\n' "$cmd" > "$r/dn/cmd"
(cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$out.run"
cat "$base" "$out.run" > "$out"
rm -f "$out.run"
