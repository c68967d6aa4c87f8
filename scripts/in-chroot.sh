#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a command inside a build chroot (the sid chroot that scripts/deps.sh
# makes for kernels the host's compiler cannot build for), in the same
# working directory, with each DIR bind-mounted at its own path and /proc
# mounted (objtool and kbuild need it).  The mounts live in a private mount
# namespace (unshare -m): they vanish with the command, even if it fails.
#
# Usage: in-chroot.sh ROOT DIR... -- COMMAND [ARG...]
set -euo pipefail

root=$1; shift
dirs=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do dirs+=("$1"); shift; done
[ "${1:-}" = -- ] || { echo "in-chroot: usage: in-chroot.sh ROOT DIR... -- COMMAND" >&2; exit 2; }
shift
[ -f "$root/.dn-ready" ] || { echo "in-chroot: $root is not a ready chroot: run scripts/deps.sh" >&2; exit 1; }

if [ "${DN_IN_CHROOT_NS:-}" != 1 ]; then
	for d in "${dirs[@]}"; do mkdir -p "$d"; done
	DN_IN_CHROOT_NS=1 exec unshare -m --propagation private "$0" "$root" "${dirs[@]}" -- "$@"
fi
# In the new mount namespace.
for d in "${dirs[@]}"; do
	mkdir -p "$root$d"
	mount --bind "$d" "$root$d"
done
mount -t proc proc "$root/proc"
unset DN_IN_CHROOT_NS
exec chroot "$root" /usr/bin/env -C "$PWD" "$@"
