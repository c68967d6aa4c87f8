// SPDX-License-Identifier: GPL-2.0
/*
 * HAVE_TASK_RSS_STAT: each task caches up to 64 RSS counter events before
 * it adds them to its mm's counters (SPLIT_RSS_COUNTING, 6.1; gone in 6.2
 * with the per-CPU counters).
 */
#include <linux/sched.h>

int dn_probe(void)
{
	return current->rss_stat.count[MM_ANONPAGES];
}
