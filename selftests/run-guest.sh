#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the test run: run the named kselftest binaries one after the
# other, print their TAP output, and exit non-zero if any of them failed.
# The host (scripts/vm-run.sh) also fails the run on a dirty kernel log.
#
# Usage: run-guest.sh TEST...
#   DN_PREFIX   the guest's tree (default /dn): the tests are in
#               $DN_PREFIX/selftests
prefix=${DN_PREFIX:-/dn}
rc=0
for t in "$@"; do
	echo "# DN-SUITE $t"
	"$prefix/selftests/$t"
	st=$?
	echo "# DN-SUITE-EXIT $t $st"
	[ "$st" = 0 ] || rc=1
done
exit $rc
