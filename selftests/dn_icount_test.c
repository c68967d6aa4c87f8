// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node under instruction-counted guest time (QEMU's -icount
 * shift=0,sleep=off: each guest instruction is 1 ns, idle time is skipped,
 * a run is a function of what the guest executes), where a timing claim
 * can be tested at the precision the figures state, which wall-clock TCG
 * cannot give:
 * - latency_calibrated: dn_latbench at 1 us and 10 us; the mean time a
 *   trapped read adds above the trap floor (the same read at latency 0)
 *   is within 2 % of the setting: latency_offset_ns, the busy-wait's own
 *   cost measured at load, is taken off each wait.  The mean of the fastest
 *   95 % of reads (dn_latbench's trim_mean): 1 to 2 % of reads are hit by
 *   a timer interrupt or a preemption (+12 us to +1 ms), which moves a
 *   plain mean of a few thousand reads by more than 2 %; the plain mean is
 *   printed beside it.
 * - workload_repeatable: the same workload with the same inputs
 *   (dn-workload.sh's qsort, full size), run twice as a target, each run
 *   started on a quiet machine (dn_settle(): the module's load leaves
 *   hotplug work behind): at remote_pct 0 its guest times within 1 % (what
 *   icount gives).  The same at remote_pct 50 and 1 us (about 3 s of guest
 *   time) is printed, not asserted: there the module adds variation of
 *   its own, a defect still open (on 6.12 one run in three traps 2.7 %
 *   more, its split swinging to 49.2-50.7 % once against 49.8-50.1 %, and
 *   takes 1.5 to 2.3 % longer; 6.1 and 7.2 repeat within 0.2 %).
 *
 * DAMON_STAT (on by default in sid's 7.2) is switched off for the run and
 * back on after: its kdamond samples memory every few ms and clears
 * accessed bits, and two runs of the same workload then differ by 1.3 to
 * 1.5 % (0.13 % without it).
 *
 * Needs the icount machine (scripts/vm-run.sh --clock icount puts
 * dn_clock=icount on the guest's command line) with a memmap= reservation;
 * skips elsewhere.
 */
#include "kselftest_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dn_lib.h"
#include "../bench/dn_settle.h"

/* The tools in the guest (helper-4 makes this one prefix). */
#ifndef DN_BIN
#define DN_BIN "/dn/bin"
#endif

/* Largest error of the mean added latency, in percent of the setting. */
#define DN_ICOUNT_LAT_ERR_PCT	2.0
/* Largest difference of two runs of one workload, in percent. */
#define DN_ICOUNT_REPEAT_PCT	1.0

#define DN_DAMON_STAT	"/sys/module/damon_stat/parameters/enabled"

FIXTURE(icount) {
	bool loaded;
	bool damon_stat;	/* was on: switch it on again */
};

FIXTURE_SETUP(icount)
{
	self->loaded = false;
	if (!dn_file_has("/proc/cmdline", "dn_clock=icount"))
		SKIP(return, "guest time is not instruction-counted (vm-run.sh --clock icount)");
	if (!dn_file_has("/proc/cmdline", "memmap="))
		SKIP(return, "machine booted without memmap=: no remote node");
	self->damon_stat = dn_file_has(DN_DAMON_STAT, "Y");
	if (self->damon_stat)
		ASSERT_EQ(0, dn_write_file(DN_DAMON_STAT, "N"));
	if (dn_loaded())
		ASSERT_EQ(0, dn_unload());
	ASSERT_EQ(0, dn_load(""));
	self->loaded = true;
}

FIXTURE_TEARDOWN(icount)
{
	if (self->loaded)
		EXPECT_EQ(0, dn_unload());
	if (self->damon_stat)
		EXPECT_EQ(0, dn_write_file(DN_DAMON_STAT, "Y"));
}

/*
 * dn_latbench's CSV (configured_ns,samples,median_ns,mean_ns,p10_ns,
 * p90_ns,added_median_ns,added_mean_ns,trim_mean_ns,added_trim_mean_ns):
 * the added trimmed mean of @ns (and the added mean into *@plain), or -1.
 */
static double dn_added_mean(const char *csv, long long ns, double *plain)
{
	double med, mean, p10, p90, amed, amean, trim, atrim;
	const char *line;
	long long cfg, n;

	for (line = csv; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (sscanf(line, "%lld,%lld,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf", &cfg,
			   &n, &med, &mean, &p10, &p90, &amed, &amean, &trim,
			   &atrim) == 10 && cfg == ns) {
			*plain = amean;
			return atrim;
		}
	}
	return -1;
}

TEST_F_TIMEOUT(icount, latency_calibrated, 900)
{
	static const long long lats[] = { 1000, 10000 };
	static char out[8192];
	double added, plain, err;
	size_t i;

	ASSERT_EQ(0, dn_capture(DN_BIN "/dn_latbench --rounds 5 --pages 512 1000 10000",
				out, sizeof(out)));
	printf("%s", out);
	printf("DN-ICOUNT latency_offset_ns=%lld\n",
	       dn_read_ll(DN_SYSFS "/latency_offset_ns"));
	for (i = 0; i < sizeof(lats) / sizeof(lats[0]); i++) {
		added = dn_added_mean(out, lats[i], &plain);
		ASSERT_LE(0, added) TH_LOG("no line for %lld ns", lats[i]);
		err = 100.0 * (added - lats[i]) / lats[i];
		printf("DN-ICOUNT latency_ns=%lld added_trim_mean_ns=%.0f error_pct=%+.2f added_mean_ns=%.0f\n",
		       lats[i], added, err, plain);
		EXPECT_GE(DN_ICOUNT_LAT_ERR_PCT, err > 0 ? err : -err);
	}
	fflush(stdout);
}

/* dn-workload.sh's CSV line for @name: its seconds (4th field), or -1. */
static double dn_workload_seconds(const char *name)
{
	char cmd[256], out[4096], *line;
	double s = -1;

	snprintf(cmd, sizeof(cmd),
		 DN_BIN "/dn-workload.sh --size full %s /tmp/dn-icount", name);
	if (dn_settle() < 0)
		return -1;
	if (dn_capture(cmd, out, sizeof(out)))
		return -1;
	for (line = out; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (!strncmp(line, name, strlen(name)) && line[strlen(name)] == ',' &&
		    sscanf(line + strlen(name), ",%*[^,],%*[^,],%lf", &s) == 1)
			break;
	printf("DN-ICOUNT workload=%s seconds=%.6f\n", name, s);
	fflush(stdout);
	return s;
}

/* Two runs of qsort at @pct and @lat: their difference in percent, or -1. */
static double dn_repeat(struct __test_metadata *_metadata, int pct, int lat)
{
	double a, b;

	if (dn_set("remote_pct", pct) || dn_set("latency_ns", lat))
		return -1;
	a = dn_workload_seconds("qsort");
	b = dn_workload_seconds("qsort");
	if (a <= 0 || b <= 0)
		return -1;
	printf("DN-ICOUNT workload=qsort remote_pct=%d latency_ns=%d first=%.6f second=%.6f diff_pct=%.3f\n",
	       pct, lat, a, b, 100.0 * (b - a) / a);
	fflush(stdout);
	return 100.0 * (b > a ? b - a : a - b) / a;
}

TEST_F_TIMEOUT(icount, workload_repeatable, 900)
{
	double d;

	d = dn_repeat(_metadata, 0, 0);
	ASSERT_LE(0, d);
	EXPECT_GE(DN_ICOUNT_REPEAT_PCT, d);
	/* Printed only: see the comment at the top. */
	ASSERT_LE(0, dn_repeat(_metadata, 50, 1000));
	ASSERT_EQ(0, dn_set("latency_ns", 0));
	ASSERT_EQ(0, dn_set("remote_pct", 0));
}

TEST_HARNESS_MAIN
