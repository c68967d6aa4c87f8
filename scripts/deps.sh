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
# Usage: scripts/deps.sh            (packages + all target kernels)
#        scripts/deps.sh --packages (packages only)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${DN_CACHE:-$top/.cache}
packages_only=0
[ "${1:-}" = --packages ] && packages_only=1

need_pkgs=(build-essential bc kmod cpio gzip xz-utils zstd qemu-system-x86
	   busybox-static numactl libnuma-dev dwarves linux-source-6.1
	   python3 file)

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

# fetch_kernel NAME META_IMAGE META_HEADERS [SUITE]
# Resolves the metapackages to the versioned image/headers packages and
# unpacks them (with the -common headers and linux-kbuild) into
# $cache/kernels/NAME/root; writes $cache/kernels/NAME/kver.
fetch_kernel() {
	local name=$1 meta_img=$2 meta_hdr=$3 suite=${4:-}
	local dir=$cache/kernels/$name
	if [ -f "$dir/kver" ] && [ -f "$dir/root/boot/vmlinuz-$(cat "$dir/kver")" ]; then
		return 0
	fi
	apt_update
	local tflag=()
	[ -n "$suite" ] && tflag=(-t "$suite")
	local img hdr
	img=$(apt-cache "${tflag[@]}" depends "$meta_img" 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
	if [ -n "$suite" ]; then
		img=$(apt-cache show "$meta_img/$suite" | awk '/^Depends:/{print; exit}' | grep -o 'linux-image-[^ ,]*' | head -n1)
		hdr=$(apt-cache show "$meta_hdr/$suite" | awk '/^Depends:/{print; exit}' | grep -o 'linux-headers-[^ ,]*' | head -n1)
	else
		hdr=$(apt-cache depends "$meta_hdr" | awk '/Depends: linux-headers-/{print $2; exit}')
	fi
	[ -n "$img" ] && [ -n "$hdr" ] || { echo "deps: cannot resolve $meta_img/$meta_hdr" >&2; return 1; }
	local common kbuild
	common=$(apt-cache show "$hdr" | awk '/^Depends:/{print; exit}' | grep -o 'linux-headers-[^ ,]*-common[^ ,]*' | head -n1)
	kbuild=$(apt-cache show "$hdr" | awk '/^Depends:/{print; exit}' | grep -o 'linux-kbuild-[^ ,]*' | head -n1)
	rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/debs" "$dir.tmp/root"
	(cd "$dir.tmp/debs" && apt-get download -qq "$img" "$hdr" "$common" "$kbuild")
	for d in "$dir.tmp"/debs/*.deb; do dpkg -x "$d" "$dir.tmp/root"; done
	rm -rf "$dir.tmp/debs"
	local kver=${img#linux-image-}
	kver=${kver%-unsigned}
	echo "$kver" > "$dir.tmp/kver"
	rm -rf "$dir" && mv "$dir.tmp" "$dir"
	# The arch headers' Makefile includes the -common tree by an absolute
	# /usr/src path: point it at the unpacked tree.
	local hdir=$dir/root/usr/src/linux-headers-$kver
	sed -i "s|/usr/src/linux-headers-|$dir/root/usr/src/linux-headers-|g" "$hdir/Makefile"
	echo "deps: $name kernel $kver unpacked in $dir"
}

install_packages
if [ "$packages_only" = 0 ]; then
	ensure_backports
	fetch_kernel 6.1 linux-image-amd64 linux-headers-amd64
	fetch_kernel 6.12 linux-image-amd64 linux-headers-amd64 bookworm-backports
fi
