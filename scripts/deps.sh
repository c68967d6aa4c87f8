#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install every Debian package that building and testing disagg_node needs,
# and unpack the target kernels (image + headers) into an ignored cache
# folder with apt-get download + dpkg -x.  Idempotent: a second run only
# checks.  The host's own kernel and /usr/src are never touched, except for
# the linux-source-6.1 tarball that provides kselftest_harness.h, the
# kernel's migration selftest and checkpatch.pl.
#
# Usage: scripts/deps.sh              (packages, all target kernels, qemu10)
#        scripts/deps.sh ITEM...      (packages + these: 6.1, 6.12, sid, qemu10)
#        scripts/deps.sh --packages   (packages only)
#
# 6.1 comes from bookworm (its security suite first), 6.12 from bookworm-backports, sid from sid
# through a sid chroot (.cache/sid-root) that also builds the module for it.
# sid is a moving target: whatever release sid's linux-image-amd64 names
# when .cache/kernels/sid is made (7.2.13+deb14 in December 2026) is taken,
# printed, and recorded in .cache/kernels/sid/kver; a ready kernel is never
# replaced.  To pin one (see Documentation/mm/disagg_node/testing.rst):
#   DN_SID_KVER=REL      take linux-binary-REL, not the newest (e.g.
#                        7.2.13+deb14-amd64); a cached sid kernel of
#                        another release is replaced
#   DN_SID_MIRROR=URL    the archive to take the sid kernel from (e.g. a
#                        snapshot.debian.org/archive/debian/TIME/ URL,
#                        which still has a release sid dropped)
# qemu10 is QEMU 10 from bookworm-backports, unpacked (not installed) into
# .cache/qemu10 for vm-run.sh --clock icount: bookworm's QEMU 7.2 hangs SMP
# guests at CPU bring-up under -icount.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${DN_CACHE:-$top/.cache}
packages_only=0
if [ "${1:-}" = --packages ]; then
	packages_only=1
	shift
fi

need_pkgs=(build-essential bc kmod cpio gzip xz-utils zstd qemu-system-x86
	   busybox-static numactl libnuma-dev dwarves linux-source-6.1
	   python3 python3-docutils file gnuplot-nox
	   linux-perf sqlite3 redis-tools sysbench stress-ng)

apt_updated=0
apt_update() {
	[ "$apt_updated" = 1 ] && return 0
	apt-get update -qq
	apt_updated=1
}

# bookworm-backports carries the 6.12 kernel; add it with the same URI as
# the existing Debian entries.
ensure_backports() {
	if grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		return 0
	fi
	local uri
	uri=$(grep -rhs '^URIs:.*debian$\|^URIs:.*debian/$' /etc/apt/sources.list.d/ | head -n1 | awk '{print $2}')
	if [ -z "$uri" ]; then
		uri=$(grep -hs '^deb .*debian' /etc/apt/sources.list | grep -v security | head -n1 | awk '{print $2}')
	fi
	[ -n "$uri" ] || uri=http://deb.debian.org/debian
	cat > /etc/apt/sources.list.d/dn-backports.sources <<SRC
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	apt_updated=0
}

install_packages() {
	local missing=()
	for p in "${need_pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		apt_update
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
	fi
	# kselftest_harness.h, the migration selftest and checkpatch.pl come
	# from the linux-source tree.
	local src=$cache/linux-source-6.1
	if [ ! -f "$src/tools/testing/selftests/kselftest_harness.h" ] ||
	   [ ! -f "$src/tools/testing/selftests/vm/migration.c" ]; then
		mkdir -p "$cache"
		local tarball
		tarball=$(ls /usr/src/linux-source-6.1.tar.* | head -n1)
		rm -rf "$src.tmp" && mkdir -p "$src.tmp"
		tar -C "$src.tmp" --strip-components=1 -xf "$tarball" \
			--wildcards '*/tools/testing/selftests/kselftest*' \
			'*/tools/testing/selftests/vm/migration.c' \
			'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
			'*/scripts/const_structs.checkpatch'
		rm -rf "$src" && mv "$src.tmp" "$src"
	fi
}

# The Debian mirror the host's own entries use (for the sid chroot).
debian_mirror() {
	local uri
	uri=$(grep -rhs '^URIs:.*debian/\?$' /etc/apt/sources.list.d/ | head -n1 | awk '{print $2}')
	[ -n "$uri" ] || uri=$(grep -hs '^deb .*debian/\?\( \|$\)' /etc/apt/sources.list | grep -v security | head -n1 | awk '{print $2}')
	echo "${uri:-http://deb.debian.org/debian}"
}

# unpack_kernel NAME DIR DEB...: dpkg -x the packages into DIR.tmp/root,
# check that the release is the one NAME promises, and move it into DIR.
# A kernel comes either as linux-image-REL (bookworm: boot/vmlinuz-REL) or
# as linux-binary-REL + linux-base-REL (sid: usr/lib/modules/REL/vmlinuz,
# config and modules.* beside it).
unpack_kernel() {
	local name=$1 dir=$2 kver=$3; shift 3
	local d
	for d in "$@"; do dpkg -x "$d" "$dir.tmp/root"; done
	rm -rf "$dir.tmp/debs"
	case $name in
	sid) ;;		# a moving target: any release
	*) case $kver in
	   "$name".*) ;;
	   *) echo "deps: the '$name' kernel resolved to release $kver: not the $name line; refusing it" >&2
	      return 1 ;;
	   esac ;;
	esac
	local img= f
	for f in "$dir.tmp/root/boot/vmlinuz-$kver" "$dir.tmp/root/usr/lib/modules/$kver"/vmlinuz*; do
		[ -f "$f" ] && { img=$f; break; }
	done
	if [ -z "$img" ] || [ ! -d "$dir.tmp/root/usr/src/linux-headers-$kver" ]; then
		echo "deps: the '$name' packages hold no kernel image or headers for $kver" >&2
		return 1
	fi
	ln -s "${img#"$dir.tmp/"}" "$dir.tmp/vmlinuz"
	echo "$kver" > "$dir.tmp/kver"
	rm -rf "$dir" && mv "$dir.tmp" "$dir"
	# The arch headers' Makefile includes the -common tree by an absolute
	# /usr/src path: point it at the unpacked tree.
	local hdir=$dir/root/usr/src/linux-headers-$kver
	sed -i "s|/usr/src/linux-headers-|$dir/root/usr/src/linux-headers-|g" "$hdir/Makefile"
	echo "deps: $name kernel $kver unpacked in $dir"
}

kernel_ready() {	# kernel_ready DIR: unpacked by this script, complete?
	[ -f "$1/kver" ] && [ -e "$1/vmlinuz" ] &&
	[ -d "$1/root/usr/src/linux-headers-$(cat "$1/kver")" ]
}

# fetch_kernel NAME SUITE...: resolve linux-image-amd64 and
# linux-headers-amd64 of the first SUITE that has them (pinned: a newer
# suite enabled on the host never leaks in) to the versioned packages and
# unpack them, with the -common headers and linux-kbuild, into
# $cache/kernels/NAME/root.
fetch_kernel() {
	local name=$1 suite; shift
	local dir=$cache/kernels/$name
	kernel_ready "$dir" && return 0
	apt_update
	local img= hdr= common kbuild
	for suite in "$@"; do
		img=$(apt-cache show "linux-image-amd64/$suite" 2>/dev/null | awk '/^Depends:/{print; exit}' | grep -o 'linux-image-[^ ,]*' | head -n1)
		hdr=$(apt-cache show "linux-headers-amd64/$suite" 2>/dev/null | awk '/^Depends:/{print; exit}' | grep -o 'linux-headers-[^ ,]*' | head -n1)
		[ -z "$img" ] || [ -z "$hdr" ] || break
	done
	[ -n "$img" ] && [ -n "$hdr" ] || { echo "deps: cannot resolve the kernel packages of $*" >&2; return 1; }
	common=$(apt-cache show "$hdr/$suite" | awk '/^Depends:/{print; exit}' | grep -o 'linux-headers-[^ ,]*-common[^ ,]*' | head -n1)
	kbuild=$(apt-cache show "$hdr/$suite" | awk '/^Depends:/{print; exit}' | grep -o 'linux-kbuild-[^ ,]*' | head -n1)
	rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/debs" "$dir.tmp/root"
	(cd "$dir.tmp/debs" && apt-get download -qq -o APT::Sandbox::User=root "$img/$suite" "$hdr/$suite" "$common/$suite" "$kbuild/$suite")
	local kver=${img#linux-image-}
	unpack_kernel "$name" "$dir" "${kver%-unsigned}" "$dir.tmp"/debs/*.deb
}

# The sid toolchain: a minimal sid chroot made with debootstrap (from
# bookworm-backports), holding the compiler the sid kernel was built with
# and the libraries its kbuild tools need (glibc >= 2.38).  The host keeps
# no sid entry in its apt sources: at default priority sid would outrank
# bookworm.  The chroot's own apt downloads the kernel packages.
sid_pkgs=gcc-16,make,libc6-dev,libelf-dev,libssl-dev,zlib1g-dev,dwarves
sid_apt() {	# sid_apt ROOT APT-GET-ARGS...
	local root=$1; shift
	# The mirror's sid Release files can be past their Valid-Until date
	# when the mirror is a stored snapshot (seen here: 27 days); the
	# signatures are still checked.
	chroot "$root" apt-get -qq -o Acquire::Check-Valid-Until=false \
		-o APT::Sandbox::User=root "$@"
}

sid_clean() {	# drop apt's package lists and caches (update makes them again)
	sid_apt "$1" clean
	rm -rf "$1"/var/lib/apt/lists/*_Packages "$1"/var/lib/apt/lists/*_Translation-* \
		"$1"/var/cache/apt/*.bin
}

ensure_sid_root() {
	local root=$cache/sid-root
	[ -f "$root/.dn-ready" ] && return 0
	if ! dpkg --compare-versions "$(dpkg-query -W -f='${Version}' debootstrap 2>/dev/null || echo 0)" ge 1.0.134; then
		apt_update
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t bookworm-backports debootstrap
	fi
	rm -rf "$root"
	mkdir -p "$cache"
	local t0=$SECONDS
	echo "deps: making the sid chroot (debootstrap --variant=minbase) in $root"
	debootstrap --variant=minbase --include="$sid_pkgs" sid "$root" "$(debian_mirror)" \
		> "$cache/sid-root.log" 2>&1 ||
		{ echo "deps: debootstrap failed, see $cache/sid-root.log" >&2; return 1; }
	# A build chroot needs no documentation or translations.
	rm -rf "$root"/usr/share/doc "$root"/usr/share/locale "$root"/usr/share/man
	sid_clean "$root"
	touch "$root/.dn-ready"
	echo "deps: sid chroot ready in $((SECONDS - t0)) s, $(du -sh "$root" | cut -f1)"
}

# fetch_sid_kernel NAME: the newest sid kernel (or DN_SID_KVER's release),
# downloaded by the chroot's apt (from DN_SID_MIRROR if set).
# linux-image-REL is an empty metapackage there: the image is in
# linux-binary-REL, config and modules.* in linux-base-REL.  Builds for it
# go through the chroot (the 'chroot' file names it; see the Makefile).
fetch_sid_kernel() {
	local name=$1
	local dir=$cache/kernels/$name root=$cache/sid-root
	local pin=${DN_SID_KVER:-} src=()
	ensure_sid_root
	local want=1
	if kernel_ready "$dir"; then
		want=0
		if [ -n "$pin" ] && [ "$(cat "$dir/kver")" != "$pin" ]; then
			echo "deps: DN_SID_KVER=$pin: replacing the cached sid kernel $(cat "$dir/kver") (once $pin is unpacked)"
			want=1
		fi
	fi
	if [ "$want" = 1 ]; then
		if [ -n "${DN_SID_MIRROR:-}" ]; then
			echo "deb $DN_SID_MIRROR sid main" > "$root/etc/apt/dn-pin.list"
			src=(-o Dir::Etc::SourceList=/etc/apt/dn-pin.list -o Dir::Etc::SourceParts=/nonexistent)
		fi
		sid_apt "$root" "${src[@]}" update
		local meta img kver hdr deps p
		if [ -n "$pin" ]; then
			kver=$pin
		else
			meta=$(chroot "$root" apt-cache "${src[@]}" depends linux-image-amd64 | awk '/Depends: linux-image-/{print $2; exit}')
			[ -n "$meta" ] || { echo "deps: cannot resolve sid's linux-image-amd64" >&2; return 1; }
			kver=${meta#linux-image-}
		fi
		img=linux-binary-$kver
		hdr=linux-headers-$kver
		deps=$(chroot "$root" apt-cache "${src[@]}" show "$hdr" 2>/dev/null | awk '/^Depends:/{print; exit}' || true)
		if [ -z "$deps" ]; then
			echo "deps: sid${DN_SID_MIRROR:+ at $DN_SID_MIRROR} has no $hdr: to pin a release sid dropped, point DN_SID_MIRROR at a snapshot.debian.org archive that has it" >&2
			return 1
		fi
		local pkgs=("$img" "linux-base-$kver" "$hdr")
		for p in $(echo "$deps" | grep -o 'linux-headers-[^ ,]*-common[^ ,]*\|linux-kbuild-[^ ,]*'); do
			pkgs+=("$p")
		done
		rm -rf "$dir.tmp" "$root/var/cache/dn-debs" && mkdir -p "$dir.tmp/debs" "$dir.tmp/root" "$root/var/cache/dn-debs"
		chroot "$root" sh -c "cd /var/cache/dn-debs && apt-get download -qq -o APT::Sandbox::User=root ${src[*]} ${pkgs[*]}"
		mv "$root"/var/cache/dn-debs/*.deb "$dir.tmp/debs/"
		rm -rf "$root/var/cache/dn-debs"
		rm -f "$root/etc/apt/dn-pin.list"
		sid_clean "$root"
		unpack_kernel "$name" "$dir" "$kver" "$dir.tmp"/debs/*.deb
	fi
	echo "deps: sid kernel: $(cat "$dir/kver")"
	# Build through the chroot unless the host has the kernel's compiler.
	local cc
	cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$dir/root/usr/lib/modules/$(cat "$dir/kver")/config")
	if [ -n "$cc" ] && command -v "$cc" > /dev/null; then
		rm -f "$dir/chroot"
	else
		echo "$root" > "$dir/chroot"
	fi
}

# fetch_qemu NAME MAJOR SUITE: QEMU's x86 system emulator, its common and
# data packages and the SeaBIOS it depends on (bookworm's is too old for
# it), downloaded from SUITE only and unpacked, not installed, into
# $cache/NAME/root; refused unless its version is MAJOR.x.  The binary is
# $cache/NAME/root/usr/bin/qemu-system-x86_64, run with -L at the
# unpacked usr/share/qemu and usr/share/seabios and QEMU_MODULE_DIR at its
# modules (scripts/vm-run.sh); the libraries it and its modules link are
# bookworm's, checked with ldd.
qemu_ready() {	# qemu_ready DIR: unpacked by this script, complete?
	[ -f "$1/version" ] && [ -x "$1/root/usr/bin/qemu-system-x86_64" ] &&
	[ -f "$1/root/usr/share/seabios/bios-256k.bin" ]
}

fetch_qemu() {
	local name=$1 major=$2 suite=$3
	local dir=$cache/$name
	qemu_ready "$dir" && return 0
	apt_update
	local ver
	ver=$(apt-cache show "qemu-system-x86/$suite" 2>/dev/null | awk '/^Version:/{print $2; exit}')
	case $ver in
	"$major".*|*:"$major".*) ;;
	*) echo "deps: qemu-system-x86 in $suite is '${ver:-missing}', not QEMU $major; refusing it" >&2
	   return 1 ;;
	esac
	rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/debs" "$dir.tmp/root"
	(cd "$dir.tmp/debs" && apt-get download -qq -o APT::Sandbox::User=root \
		"qemu-system-x86/$suite" "qemu-system-common/$suite" \
		"qemu-system-data/$suite" "seabios/$suite")
	local d
	for d in "$dir.tmp"/debs/*.deb; do dpkg -x "$d" "$dir.tmp/root"; done
	rm -rf "$dir.tmp/debs"
	local missing
	missing=$(ldd "$dir.tmp/root/usr/bin/qemu-system-x86_64" \
		"$dir.tmp"/root/usr/lib/x86_64-linux-gnu/qemu/*.so | awk '/not found/{print $1}' | sort -u)
	if [ -n "$missing" ]; then
		echo "deps: QEMU $ver from $suite needs libraries this host lacks:" $missing >&2
		return 1
	fi
	echo "$ver" > "$dir.tmp/version"
	rm -rf "$dir" && mv "$dir.tmp" "$dir"
	echo "deps: QEMU $ver ($suite) unpacked in $dir"
}

install_packages
if [ "$packages_only" = 0 ]; then
	ensure_backports
	kernels=("$@")
	[ ${#kernels[@]} -gt 0 ] || kernels=(6.1 6.12 sid qemu10)
	for k in "${kernels[@]}"; do
		case $k in
		6.1) fetch_kernel 6.1 bookworm-security bookworm ;;
		6.12) fetch_kernel 6.12 bookworm-backports ;;
		sid) fetch_sid_kernel sid ;;
		7.2) echo "deps: the sid kernel is named 'sid' now (whatever sid ships; it was 7.2)" >&2; exit 2 ;;
		qemu10) fetch_qemu qemu10 10 bookworm-backports ;;
		*) echo "deps: unknown item '$k' (6.1, 6.12, sid or qemu10)" >&2; exit 2 ;;
		esac
	done
fi
