// SPDX-License-Identifier: GPL-2.0
/*
 * dn_qsort - a self-checking quicksort workload (the memory blade paper's
 * Figure C has quicksort as one of its slowdown-vs-remote-memory workloads).
 *
 * Fills MIB MiB (default 64) of uint64_t with splitmix64 numbers from SEED
 * (default 1), sorts them with its own recursive quicksort (median of three,
 * insertion sort for ranges of up to 16 elements; not libc's qsort), checks
 * that the array is non-decreasing and that the multiset checksum (the sum
 * and the xor of all values, order-independent, taken before the sort) is
 * unchanged.  Prints one line:
 *
 *   dn_qsort: mib=64 elements=8388608 checksum=<hex> sorted=yes seconds=<s>
 *
 * checksum (the sum, then the xor, 16 hex digits each) is deterministic for
 * given MIB and SEED; seconds is the wall time of the sort alone
 * (CLOCK_MONOTONIC).
 *
 * Usage: dn_qsort [--mib 1..16384] [--seed 0..2^64-1] [--hold SEC]
 * --hold: after the line is printed, keep the sorted array for SEC seconds
 * (0..1000000; to look at the memory while it is held), then check it again.
 * DN_WL_CORRUPT=1 in the environment flips one bit of one element after the
 * sort, before the check (the checksum must catch it), DN_WL_CORRUPT=2 swaps
 * the first and the last element (the order check must): a test uses them
 * to prove the check can fail.
 * Exit status: 0 when the check(s) pass, 1 when one fails (or memory is
 * short), 2 on bad usage.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "dn_workload.h"

#define DN_SMALL	16	/* ranges this short: insertion sort */
#define DN_MAX_MIB	16384

static void dn_usage(void)
{
	fprintf(stderr, "usage: dn_qsort [--mib 1..%d] [--seed 0..2^64-1] [--hold SEC]\n",
		DN_MAX_MIB);
	exit(2);
}

static void dn_checksum(const uint64_t *a, size_t n, uint64_t *sum,
			uint64_t *xor)
{
	size_t i;

	*sum = 0;
	*xor = 0;
	for (i = 0; i < n; i++) {
		*sum += a[i];
		*xor ^= a[i];
	}
}

static inline void dn_swap(uint64_t *x, uint64_t *y)
{
	uint64_t t = *x;

	*x = *y;
	*y = t;
}

static void dn_insertion_sort(uint64_t *a, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		uint64_t v = a[i];

		for (j = i; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

/*
 * Sort a[0..n).  The pivot is the median of the first, middle and last
 * elements; ordering those three first leaves a[0] <= pivot <= a[n - 1],
 * sentinels that keep both scans of the Hoare partition inside the range.
 * After it, a[0..j] <= pivot <= a[j + 1..n), both sides non-empty.  The
 * smaller side is sorted by recursion, the larger by the loop, so the stack
 * stays below log2(n) frames even on bad inputs.
 */
static void dn_quicksort(uint64_t *a, size_t n)
{
	while (n > DN_SMALL) {
		size_t mid = n / 2, i = 0, j = n - 1;
		uint64_t pivot;

		if (a[mid] < a[0])
			dn_swap(&a[mid], &a[0]);
		if (a[n - 1] < a[0])
			dn_swap(&a[n - 1], &a[0]);
		if (a[n - 1] < a[mid])
			dn_swap(&a[n - 1], &a[mid]);
		pivot = a[mid];
		for (;;) {
			do
				i++;
			while (a[i] < pivot);
			do
				j--;
			while (a[j] > pivot);
			if (i >= j)
				break;
			dn_swap(&a[i], &a[j]);
		}
		if (j + 1 < n - j - 1) {
			dn_quicksort(a, j + 1);
			a += j + 1;
			n -= j + 1;
		} else {
			dn_quicksort(a + j + 1, n - j - 1);
			n = j + 1;
		}
	}
	dn_insertion_sort(a, n);
}

/* Sorted, with the multiset checksum taken before the sort?  0 or -1. */
static int dn_verify(const uint64_t *a, size_t n, uint64_t sum0, uint64_t xor0)
{
	size_t i, unsorted = 0;
	uint64_t sum, xor;

	for (i = 1; i < n; i++)
		if (a[i - 1] > a[i])
			unsorted++;
	dn_checksum(a, n, &sum, &xor);
	if (!unsorted && sum == sum0 && xor == xor0)
		return 0;
	fprintf(stderr, "dn_qsort: FAIL: %zu adjacent pairs out of order, sum %016" PRIx64
		" -> %016" PRIx64 ", xor %016" PRIx64 " -> %016" PRIx64 "\n",
		unsorted, sum0, sum, xor0, xor);
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mib", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 's' },
		{ "hold", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t mib = 64, seed = 1, hold = 0, state, sum0, xor0;
	int corrupt = dn_wl_corrupt();
	double t0, t1;
	size_t n, i;
	uint64_t *a;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'm')
			mib = dn_wl_parse("dn_qsort", "mib", optarg, 1,
					  DN_MAX_MIB);
		else if (c == 's')
			seed = dn_wl_parse("dn_qsort", "seed", optarg, 0,
					   UINT64_MAX);
		else if (c == 'H')
			hold = dn_wl_parse("dn_qsort", "hold", optarg, 0,
					   DN_WL_MAX_HOLD);
		else
			dn_usage();
	}
	if (optind != argc)
		dn_usage();

	n = (size_t)mib << 17;	/* 2^20 / sizeof(uint64_t) per MiB */
	a = malloc(n * sizeof(*a));
	if (!a) {
		fprintf(stderr, "dn_qsort: cannot allocate %" PRIu64 " MiB\n",
			mib);
		return 1;
	}
	state = seed;
	for (i = 0; i < n; i++)
		a[i] = dn_wl_splitmix64(&state);
	dn_checksum(a, n, &sum0, &xor0);

	t0 = dn_wl_now();
	dn_quicksort(a, n);
	t1 = dn_wl_now();

	if (corrupt == 1)
		a[n / 2] ^= 1;
	else if (corrupt == 2)
		dn_swap(&a[0], &a[n - 1]);
	if (dn_verify(a, n, sum0, xor0))
		return 1;
	printf("dn_qsort: mib=%" PRIu64 " elements=%zu checksum=%016" PRIx64
	       "%016" PRIx64 " sorted=yes seconds=%.3f\n", mib, n, sum0, xor0,
	       t1 - t0);
	if (hold) {
		dn_wl_hold(hold);
		if (dn_verify(a, n, sum0, xor0))
			return 1;
	}
	free(a);
	return 0;
}
