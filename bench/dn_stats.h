/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Summary statistics of timing samples for the benchmarks (dn_latbench),
 * unit-tested in bench/test_stats.c.  Each function sorts @v in place.
 */
#ifndef DN_STATS_H
#define DN_STATS_H

#include <stddef.h>
#include <stdlib.h>

static inline int dn_cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/*
 * The p-th percentile (0 <= p <= 100) of @n samples, nearest rank on the
 * sorted samples: the smallest sample with at least p % of the samples at
 * or below it (p 0: the smallest).  @n 0: 0.
 *
 * Example: {5, 1, 3, 2, 4}: p 50 -> 3, p 90 -> 5, p 10 -> 1.
 */
static inline long long dn_percentile(long long *v, size_t n, double p)
{
	size_t rank;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), dn_cmp_ll);
	rank = (size_t)(p / 100.0 * n + 0.999999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

/* The median: the mean of the two middle samples when @n is even. */
static inline double dn_median(long long *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), dn_cmp_ll);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static inline double dn_mean(const long long *v, size_t n)
{
	double s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += v[i];
	return n ? s / n : 0;
}

/*
 * The mean of the samples left once the slowest @drop_pct % are dropped
 * (rounded down to whole samples; at least one is kept): a mean that an
 * interrupt or a preemption hitting a few timed reads does not move.
 * @n 0: 0.
 *
 * Example: {10, 10, 10, 10, 1000} dropping 20 % -> 10 (the 1000 goes);
 * dropping 10 % -> 208 (half a sample is not dropped).
 */
static inline double dn_trimmed_mean(long long *v, size_t n, double drop_pct)
{
	size_t keep;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), dn_cmp_ll);
	keep = n - (size_t)(drop_pct / 100.0 * n);
	if (keep < 1)
		keep = 1;
	return dn_mean(v, keep);
}

#endif
