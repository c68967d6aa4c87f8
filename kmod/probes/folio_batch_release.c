// SPDX-License-Identifier: GPL-2.0
/*
 * HAVE_FOLIO_BATCH_RELEASE: per-CPU LRU batches are folio_batches, released
 * with __folio_batch_release() since 6.4; 6.1 has __pagevec_release().
 * Either drains this CPU's LRU batches first.  The header moved from
 * linux/pagevec.h to linux/folio_batch.h in 7.x (HAVE_FOLIO_BATCH_H).
 */
#if __has_include("linux/folio_batch.h")
#include <linux/folio_batch.h>
#else
#include <linux/pagevec.h>
#endif

void dn_probe(void);
void dn_probe(void)
{
	struct folio_batch fb;

	folio_batch_init(&fb);
	__folio_batch_release(&fb);
}
