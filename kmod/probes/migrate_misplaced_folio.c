// SPDX-License-Identifier: GPL-2.0
/*
 * HAVE_MIGRATE_MISPLACED_FOLIO: NUMA promotion is
 * migrate_misplaced_folio_prepare() (the watermark check, 0 on success) then
 * migrate_misplaced_folio() (0 on success) since 6.10; 6.1 has
 * migrate_misplaced_page() (1 on success).
 */
#include <linux/migrate.h>

int (*dn_probe)(struct folio *, struct vm_area_struct *, int) = migrate_misplaced_folio_prepare;
