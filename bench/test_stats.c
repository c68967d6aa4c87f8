// SPDX-License-Identifier: GPL-2.0
/* Unit test of the benchmarks' statistics (dn_stats.h), on the host. */
#include "kselftest_harness.h"
#include "dn_stats.h"

TEST(median_odd_even_empty)
{
	long long a[] = { 5, 1, 3, 2, 4 }, b[] = { 10, 2, 4, 8 }, c[1];

	EXPECT_EQ(3.0, dn_median(a, 5));
	EXPECT_EQ(6.0, dn_median(b, 4));
	EXPECT_EQ(0.0, dn_median(c, 0));
}

TEST(mean)
{
	long long a[] = { 1, 2, 3, 4 }, b[] = { -5, 5 };

	EXPECT_EQ(2.5, dn_mean(a, 4));
	EXPECT_EQ(0.0, dn_mean(b, 2));
	EXPECT_EQ(0.0, dn_mean(a, 0));
}

TEST(percentile_nearest_rank)
{
	long long a[] = { 5, 1, 3, 2, 4 };
	long long b[100];
	int i;

	EXPECT_EQ(3, dn_percentile(a, 5, 50));
	EXPECT_EQ(5, dn_percentile(a, 5, 90));
	EXPECT_EQ(1, dn_percentile(a, 5, 10));
	EXPECT_EQ(1, dn_percentile(a, 5, 0));
	EXPECT_EQ(5, dn_percentile(a, 5, 100));
	for (i = 0; i < 100; i++)
		b[i] = 100 - i;		/* 100 .. 1 */
	EXPECT_EQ(99, dn_percentile(b, 100, 99));
	EXPECT_EQ(50, dn_percentile(b, 100, 50));
	EXPECT_EQ(1, dn_percentile(b, 100, 1));
	EXPECT_EQ(0, dn_percentile(b, 0, 50));
}

TEST(trimmed_mean)
{
	long long a[] = { 10, 1000, 10, 10, 10 }, b[] = { 7 }, c[200];
	int i;

	EXPECT_EQ(10.0, dn_trimmed_mean(a, 5, 20));
	EXPECT_EQ(208.0, dn_trimmed_mean(a, 5, 10));
	EXPECT_EQ(208.0, dn_trimmed_mean(a, 5, 0));
	EXPECT_EQ(7.0, dn_trimmed_mean(b, 1, 50));	/* one kept */
	EXPECT_EQ(10.0, dn_trimmed_mean(a, 5, 100));	/* the fastest kept */
	EXPECT_EQ(0.0, dn_trimmed_mean(b, 0, 1));
	/* 1 %% of 200 reads hit by a 1 ms interrupt: the mean of the rest */
	for (i = 0; i < 200; i++)
		c[i] = i % 100 == 0 ? 1000000 : 17000;
	EXPECT_EQ(17000.0, dn_trimmed_mean(c, 200, 1));
}

TEST_HARNESS_MAIN
