/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Wait for a quiet machine before timing anything: used by dn_latbench and
 * dn_icount_test.  A guest just booted, or a node just hotplugged, still
 * runs deferred work (sid's 7.2: the crypto self-tests, about 1 s of CPU;
 * after the module's load: the hotplug's workqueue items), and a timed run
 * that overlaps it measures that work too.
 */
#ifndef DN_SETTLE_H
#define DN_SETTLE_H

#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* Busy and total jiffies of all CPUs, from /proc/stat's "cpu" line. */
static inline int dn_cpu_jiffies(unsigned long long *busy,
				 unsigned long long *total)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	int n, i;

	if (!f)
		return -1;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 4)
		return -1;
	*total = 0;
	for (i = 0; i < 8; i++)
		*total += v[i];
	*busy = *total - v[3] - v[4];	/* less idle and iowait */
	return 0;
}

/*
 * Wait (up to 60 s) until, in a 200 ms window, the CPUs are busy at most
 * 2 % of the time.  Return the seconds waited, or -1 if the machine did
 * not settle (or /proc/stat is unreadable).
 */
static inline double dn_settle(void)
{
	unsigned long long b0, t0, b1, t1;
	struct timespec a, b;
	double waited = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	while (waited < 60) {
		if (dn_cpu_jiffies(&b0, &t0))
			return -1;
		usleep(200000);
		if (dn_cpu_jiffies(&b1, &t1))
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &b);
		waited = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
		if (t1 > t0 && (b1 - b0) * 50 <= t1 - t0)
			return waited;
	}
	return -1;
}

#endif
