#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the real-host path (scripts/machines.sh, machine
# 'hostpath'): the module and the user programs are the ones a real host
# builds, `make KVER=<release>` with nothing but the kernel's headers
# (scripts/test.sh builds them into build/hostpath/ with no linux-source
# tree and boots this guest from there; the module is installed under
# /lib/modules/<release>/extra/ with depmod, as the README's real-host
# section says).  The selftests then run from another prefix: the tree
# moves from /dn to /opt/disagg_node and PATH loses /dn, so a test that
# still finds a program through a hard-coded /dn path fails.
#
# Usage: run-host-path.sh     (run by run-guest.sh from /dn/selftests)
prefix=/opt/disagg_node

echo "# run-host-path: module $(modinfo -F filename disagg_node 2>&1)"
echo "# run-host-path: $(modinfo -F vermagic disagg_node 2>&1)"
mkdir -p /opt && mv /dn "$prefix" || exit 1
[ ! -e /dn ] || { echo "# run-host-path: /dn still there"; exit 1; }
PATH=$(echo ":$PATH:" | sed 's#:/dn[^:]*#:#g; s#::*#:#g; s#^:##; s#:$##')
export PATH DN_PREFIX=$prefix
echo "# run-host-path: DN_PREFIX=$DN_PREFIX PATH=$PATH"
exec "$prefix/selftests/run-guest.sh" dn_node_test
