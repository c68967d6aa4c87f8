// SPDX-License-Identifier: GPL-2.0
/*
 * HAVE_MM_RSS_PERCPU: mm->rss_stat is an array of per-CPU counters, which
 * get_mm_counter() reads without their per-CPU deltas (6.2 and later: 6.12,
 * 7.2); percpu_counter_sum_positive() reads them exactly.  6.1 has atomic
 * counters, and a per-task cache (HAVE_TASK_RSS_STAT).
 */
#include <linux/mm_types.h>
#include <linux/percpu_counter.h>

s64 dn_probe(struct mm_struct *mm)
{
	return percpu_counter_sum_positive(&mm->rss_stat[MM_ANONPAGES]);
}
