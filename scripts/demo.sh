#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo: install what is needed, build for Debian's 6.1 kernel (or the
# kernel named), boot it under QEMU TCG with a reservation and an empty
# possible node, and run scripts/demo-guest.sh there.
#
# Usage: scripts/demo.sh [KERNEL]    (6.1 by default, or 6.12)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kernel=${1:-6.1}
"$top/scripts/deps.sh" "$kernel"
make -s -C "$top" KVER="$kernel" all
exec "$top/scripts/vm-run.sh" --kernel "$kernel" --timeout 600 -- demo-guest.sh
