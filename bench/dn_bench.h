/* SPDX-License-Identifier: GPL-2.0 */
/* What the benchmarks (dn_trapbench, dn_latbench) share: a clock, sysfs. */
#ifndef DN_BENCH_H
#define DN_BENCH_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DN_SYSFS	"/sys/kernel/mm/disagg_node"
#define DN_DEBUGFS	"/sys/kernel/debug/disagg_node"
#define PAGE		4096UL

static inline long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Write @val to @path; 0 or -1. */
static inline int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -1;
	if (write(fd, val, strlen(val)) < 0)
		ret = -1;
	close(fd);
	return ret;
}

static inline int set_ll(const char *path, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	return write_str(path, buf);
}

/* One number from @path; -1 if unreadable. */
static inline long long read_ll(const char *path)
{
	char buf[64];
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtoll(buf, NULL, 10);
	fclose(f);
	return v;
}

#endif
