// SPDX-License-Identifier: GPL-2.0
/*
 * HAVE_FOLIO_BATCH_H: struct folio_batch lives in linux/folio_batch.h;
 * linux/pagevec.h, which held it up to 6.x, is gone (seen in 7.2).
 */
#include <linux/folio_batch.h>

void dn_probe(struct folio_batch *fb);
void dn_probe(struct folio_batch *fb)
{
	folio_batch_init(fb);
}
