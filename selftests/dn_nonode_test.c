// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node selftest for a machine booted with a memmap= reservation but
 * WITHOUT an empty possible NUMA node (scripts/test.sh boots one): loading
 * must fail before calling the hotplug API (which would WARN), with a clear
 * message, and leave nothing behind.
 */
#include "kselftest_harness.h"
#include "dn_harness.h"

/* No empty possible node: modprobe fails, names the fix, no residue. */
TEST(no_empty_node_rejected)
{
	if (access("/sys/devices/system/node/possible", R_OK) ||
	    !dn_file_has("/sys/devices/system/node/possible", "0\n"))
		SKIP(return, "a second possible node exists: wrong machine for this test");
	dn_expect_load_fails(_metadata, "", "no empty possible NUMA node");
}

TEST_HARNESS_MAIN
