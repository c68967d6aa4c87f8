// SPDX-License-Identifier: GPL-2.0
/*
 * HAVE_MPOL_MISPLACED_FOLIO: mpol_misplaced() takes (folio, vmf, addr)
 * since 6.8; 6.1 has (page, vma, addr).
 */
#include <linux/mempolicy.h>
#include <linux/mm.h>

int (*dn_probe)(struct folio *, struct vm_fault *, unsigned long) = mpol_misplaced;
