// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node selftest for a machine booted WITHOUT a memmap= reservation
 * (scripts/test.sh boots one): loading must fail with a clear message and
 * leave nothing behind.
 */
#include "kselftest_harness.h"
#include "dn_harness.h"

/* No reservation: modprobe fails, names the fix, leaves no residue. */
TEST(no_reservation_rejected)
{
	if (dn_configured())
		SKIP(return, "machine booted with memmap=: wrong machine for this test");
	dn_expect_load_fails(_metadata, "", "no memmap= reservation found");
}

TEST_HARNESS_MAIN
