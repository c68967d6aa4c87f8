// SPDX-License-Identifier: GPL-2.0
/*
 * HAVE_MIGRATE_MISPLACED_FOLIO_NODE: migrate_misplaced_folio() takes
 * (folio, node) in 7.2 (the vma argument went); 6.12 has (folio, vma,
 * node).  A kretprobe reads the arguments from registers, so
 * no compiler catches the difference: reading the node as the vma is an
 * oops at the first promotion.
 */
#include <linux/migrate.h>

int (*dn_probe)(struct folio *, int) = migrate_misplaced_folio;
