// SPDX-License-Identifier: GPL-2.0
/*
 * HAVE_MT_FIND_ALLOC_MEMORY_TYPE: 6.12 registers memory types with
 * mt_find_alloc_memory_type()/mt_put_memory_types() (added in 6.9);
 * 6.1 has alloc_memory_type()/destroy_memory_type() instead.
 */
#include <linux/memory-tiers.h>

void dn_probe(void);
void dn_probe(void)
{
	LIST_HEAD(types);

	mt_find_alloc_memory_type(0, &types);
	mt_put_memory_types(&types);
}
