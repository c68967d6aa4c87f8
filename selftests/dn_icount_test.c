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
 *
 * - workload_repeatable: the quick qsort of Figure C (dn-workload.sh, the
 *   figures' own path) run twice with the same inputs at remote_pct 0 and
 *   twice at 50 % (1 us): each pair's guest CPU times (user and system,
 *   Figure C's time) within 1 % (DN_ICOUNT_REPEAT_PCT); the wall times and
 *   trap counts are printed beside them.  The wall time is not asserted:
 *   with 2 vCPUs it repeated only within 1.4 % while another VM loaded
 *   the host (first measured 2026-12-06 on 6.1), the CPU time to 1 ms.
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

#include "dn_env.h"
#include "dn_harness.h"
#include "dn_module.h"
#include "dn_workload.h"

/* Largest error of the mean added latency, in percent of the setting. */
#define DN_ICOUNT_LAT_ERR_PCT	2.0

/* Largest difference of two identical runs' guest times, in percent. */
#define DN_ICOUNT_REPEAT_PCT	1.0

#define DN_DAMON_STAT	"/sys/module/damon_stat/parameters/enabled"

FIXTURE(icount) {
	bool loaded;	/* module loaded by setup: teardown unloads it */
	bool ready;	/* setup completed (the 6.1 harness runs a skipped test's body) */
	bool damon_stat;	/* was on: switch it on again */
	int nid;	/* the remote node */
};

/* The module loaded afresh with its defaults, as it is set at load. */
static const struct dn_setup dn_icount_setup = {
	.args = "", .debugfs = false, .pause = -1, .remote_pct = -1,
	.latency_ns = -1, .thp_off = false, .target = false,
};

FIXTURE_SETUP(icount)
{
	if (!dn_file_has("/proc/cmdline", "dn_clock=icount"))
		SKIP(return, "guest time is not instruction-counted (vm-run.sh --clock icount)");
	if (!dn_configured())
		SKIP(return, "machine booted without memmap=: no remote node");
	self->damon_stat = dn_file_has(DN_DAMON_STAT, "Y");
	if (self->damon_stat)
		ASSERT_EQ(0, dn_write_file(DN_DAMON_STAT, "N"));
	self->ready = dn_setup_module(_metadata, &dn_icount_setup,
				      &self->loaded, &self->nid);
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

	DN_NEED_SETUP();
	ASSERT_EQ(0, dn_capture(out, sizeof(out),
				"%s --rounds 5 --pages 512 1000 10000",
				dn_path("bin/dn_latbench")));
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

/*
 * One quick qsort through dn-workload.sh: its guest wall and CPU seconds
 * and its traps (the CSV's seconds, cpu_seconds and remote_faults); 0, or
 * -1 with the output in @out.
 */
static int dn_qsort_once(char *out, size_t len, double *secs, double *cpu,
			 long long *traps)
{
	struct dn_wl_line l;
	const char *line;

	if (dn_capture(out, len, "%s --size quick qsort /tmp/dn-icount 2>&1",
		       dn_path("bin/dn-workload.sh")))
		return -1;
	line = dn_wl_find(out, "qsort");
	if (!line || dn_wl_parse(line, &l) || l.cpu_seconds <= 0)
		return -1;
	*secs = l.seconds;
	*cpu = l.cpu_seconds;
	*traps = l.remote_faults;
	return 0;
}

static double dn_diff_pct(const double v[2])
{
	return 100.0 * (v[1] - v[0]) / (v[0] < v[1] ? v[0] : v[1]);
}

TEST_F_TIMEOUT(icount, workload_repeatable, 900)
{
	static const int pcts[] = { 0, 50 };
	static char out[4096];
	long long traps[2];
	double secs[2], cpu[2], diff;
	size_t i;
	int r;

	DN_NEED_SETUP();
	ASSERT_EQ(0, dn_set("latency_ns", 1000));
	for (i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		ASSERT_EQ(0, dn_set("remote_pct", pcts[i]));
		for (r = 0; r < 2; r++)
			ASSERT_EQ(0, dn_qsort_once(out, sizeof(out), &secs[r],
						   &cpu[r], &traps[r])) {
				TH_LOG("dn-workload.sh qsort: %s", out);
			}
		diff = dn_diff_pct(cpu);
		printf("DN-ICOUNT repeat remote_pct=%d cpu_s=%.3f,%.3f cpu_diff_pct=%+.2f wall_s=%.3f,%.3f wall_diff_pct=%+.2f traps=%lld,%lld\n",
		       pcts[i], cpu[0], cpu[1], diff, secs[0], secs[1],
		       dn_diff_pct(secs), traps[0], traps[1]);
		fflush(stdout);
		EXPECT_GE(DN_ICOUNT_REPEAT_PCT, diff > 0 ? diff : -diff);
	}
}

TEST_HARNESS_MAIN
