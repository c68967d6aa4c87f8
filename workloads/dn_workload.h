/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the Figure C workloads (dn_qsort, dn_blackscholes, dn_tpch) share:
 * the strict number parser of their options, the splitmix64 stream their
 * data comes from, a clock, the --hold pause and the DN_WL_CORRUPT switch.
 */
#ifndef DN_WORKLOAD_H
#define DN_WORKLOAD_H

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DN_WL_MAX_HOLD	1000000	/* --hold: at most this many seconds */

/*
 * A decimal number in [@min, @max], digits only and the whole string, or
 * "@prog: --@opt: '@s' is not a number in @min..@max" and exit 2.
 */
static inline uint64_t dn_wl_parse(const char *prog, const char *opt,
				   const char *s, uint64_t min, uint64_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (s[0] >= '0' && s[0] <= '9') {
		v = strtoull(s, &end, 10);
		if (!errno && !*end && v >= min && v <= max)
			return v;
	}
	fprintf(stderr, "%s: --%s: '%s' is not a number in %" PRIu64
		"..%" PRIu64 "\n", prog, opt, s, min, max);
	exit(2);
}

/* The next number of the splitmix64 stream at @state. */
static inline uint64_t dn_wl_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* CLOCK_MONOTONIC in seconds: the difference of two is a wall time. */
static inline double dn_wl_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/*
 * --hold SEC: with the result line out (stdout flushed), keep the data in
 * memory for @sec seconds; the caller then checks it again.
 */
static inline void dn_wl_hold(uint64_t sec)
{
	fflush(stdout);
	sleep(sec);
}

/*
 * DN_WL_CORRUPT from the environment, the test switch that makes a
 * workload damage its data to prove its check can fail: 1 or 2 when set
 * to exactly that, else 0.
 */
static inline int dn_wl_corrupt(void)
{
	const char *s = getenv("DN_WL_CORRUPT");

	if (s && !strcmp(s, "1"))
		return 1;
	if (s && !strcmp(s, "2"))
		return 2;
	return 0;
}

#endif
