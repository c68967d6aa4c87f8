// SPDX-License-Identifier: GPL-2.0
/*
 * HAVE_FOLIO_BATCH_RELEASE: per-CPU LRU batches are folio_batches, released
 * with __folio_batch_release() since 6.4; 6.1 has __pagevec_release().
 * Either drains this CPU's LRU batches first.
 */
#include <linux/pagevec.h>

void dn_probe(void);
void dn_probe(void)
{
	struct folio_batch fb;

	folio_batch_init(&fb);
	__folio_batch_release(&fb);
}
