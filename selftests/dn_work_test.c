// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node workload and tool selftests (issue #9): each workload of the
 * slowdown sweep (userspace/dn-workload.sh: the seed's quicksort,
 * blackscholes, sqlite3 answering TPC-H-style Q1 and Q6, redis-server under
 * redis-benchmark, sysbench memory, xz) gives the right answer as a target
 * at remote_pct 50 while its accesses trap, a wrong answer does fail a
 * run, stress-ng verifies its memory on the node, perf counts every trap
 * stats/ counts (perf stat and perf record of the module's tracepoints),
 * and the tools refuse bad input.
 *
 * Needs the normal test machine (memmap= reservation, empty possible node)
 * and the guest's Debian programs (perf, sqlite3, redis, sysbench, xz,
 * stress-ng: see scripts/initramfs.sh); skips otherwise.
 */
#include "kselftest_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dn_lib.h"

#define DN_WORK_DIR	"/tmp/dn-work"
#define DN_WORK_LAT_NS	1000

FIXTURE(work) {
	bool loaded;
	int nid;
};

FIXTURE_SETUP(work)
{
	if (!dn_file_has("/proc/cmdline", "memmap="))
		SKIP(return, "machine booted without memmap=: no remote node");
	if (dn_loaded())
		ASSERT_EQ(0, dn_unload());
	ASSERT_EQ(0, dn_load("")) {
		TH_LOG("modprobe disagg_node failed; see dmesg");
	}
	self->loaded = true;
	self->nid = dn_read_ll(DN_SYSFS "/node_id");
	ASSERT_LT(0, self->nid);
	ASSERT_EQ(0, dn_set("remote_pct", 50));
	ASSERT_EQ(0, dn_set("latency_ns", DN_WORK_LAT_NS));
}

FIXTURE_TEARDOWN(work)
{
	if (!self->loaded)
		return;
	EXPECT_EQ(0, dn_unload());
}

/* The fields of a dn-workload.sh CSV line. */
struct dn_wl_line {
	char name[32];
	double metric, seconds, remote_mean, remote_min, remote_max;
	long long remote_faults, exchanges, perf_fault, perf_exchange;
	char status[8];
};

/*
 * Parse a CSV line; a field left empty (a split that was not sampled)
 * reads as -1.  0, or -1 if the line does not have the 13 fields.
 */
static int dn_wl_parse(const char *s, struct dn_wl_line *l)
{
	double *num[] = { &l->metric, NULL, &l->seconds, &l->remote_mean,
			  &l->remote_min, &l->remote_max };
	long long *cnt[] = { &l->remote_faults, &l->exchanges, &l->perf_fault,
			     &l->perf_exchange };
	const char *f = s, *e;
	int i;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < 13; i++, f = e + 1) {
		e = strpbrk(f, ",\n");
		if (!e)
			e = f + strlen(f);
		if (i == 0)
			snprintf(l->name, sizeof(l->name), "%.*s", (int)(e - f), f);
		else if (i <= 6 && num[i - 1])
			*num[i - 1] = e > f ? atof(f) : -1;
		else if (i >= 7 && i <= 10)
			*cnt[i - 7] = e > f ? atoll(f) : -1;
		else if (i == 12)
			snprintf(l->status, sizeof(l->status), "%.*s", (int)(e - f), f);
		if (i < 12 && *e != ',')
			return -1;
	}
	return 0;
}

static bool dn_have(const char *prog)
{
	return access(prog, X_OK) == 0;
}

/*
 * One workload, quick size, at remote_pct 50 and 1 us: its answer is right
 * (dn-workload.sh exits 0 and says ok), the program trapped on remote
 * pages (the target's remote_faults and perf's count of dn_fault are not
 * zero).  The split dnctl run measured is printed, not checked (that the
 * split holds is dn_split_test's): a short program whose memory grows fast,
 * or whose every local page is hot, runs below the configured share while
 * the worker catches up.
 */
static void dn_workload_at_50(struct __test_metadata *_metadata,
			      const char *name)
{
	char cmd[256], out[4096], *line;
	struct dn_wl_line l;
	int st;

	snprintf(cmd, sizeof(cmd),
		 "/dn/bin/dn-workload.sh --size quick %s " DN_WORK_DIR " 2>&1",
		 name);
	st = dn_capture(cmd, out, sizeof(out));
	printf("%s", out);
	ASSERT_EQ(0, st);
	snprintf(cmd, sizeof(cmd), "%s,", name);	/* the CSV line */
	for (line = out; line; line = strchr(line, '\n')) {
		line += *line == '\n';
		if (!strncmp(line, cmd, strlen(cmd)))
			break;
	}
	ASSERT_TRUE(line && !dn_wl_parse(line, &l)) {
		TH_LOG("no CSV line from dn-workload.sh: %s", out);
	}
	EXPECT_STREQ("ok", l.status);
	EXPECT_LT(0, l.remote_faults);
	EXPECT_LT(0, l.perf_fault);
	TH_LOG("%s: %.3f s, split mean %.1f %% (min %.1f, max %.1f), %lld traps, %lld exchanges",
	       name, l.seconds, l.remote_mean, l.remote_min, l.remote_max,
	       l.remote_faults, l.exchanges);
}

/* A workload's case: skipped when the guest lacks the Debian program it runs. */
#define DN_WORKLOAD_TEST(test, name, prog)				\
TEST_F_TIMEOUT(work, test, 600)						\
{									\
	if (!dn_have(prog))						\
		SKIP(return, "no %s in this guest", prog);		\
	dn_workload_at_50(_metadata, name);				\
}

DN_WORKLOAD_TEST(qsort_answer_at_50, "qsort", "/dn/bin/dn_qsort")
DN_WORKLOAD_TEST(blackscholes_answer_at_50, "blackscholes", "/dn/bin/dn_blackscholes")
DN_WORKLOAD_TEST(sqlite_tpch_answers_at_50, "tpch", "/usr/bin/sqlite3")
DN_WORKLOAD_TEST(redis_answer_at_50, "redis", "/usr/bin/redis-server")
DN_WORKLOAD_TEST(sysbench_answer_at_50, "sysbench", "/usr/bin/sysbench")
DN_WORKLOAD_TEST(xz_answer_at_50, "xz", "/usr/bin/xz")

/*
 * A wrong answer fails the run: DN_WL_CORRUPT=1 makes the program flip one
 * value before its check (the hook exists for this test), and
 * dn-workload.sh must then exit 1 with status "fail".
 */
TEST_F_TIMEOUT(work, wrong_answer_fails, 600)
{
	const char *const wl[] = { "qsort", "blackscholes", "tpch" };
	char cmd[256], out[4096];
	size_t i;

	for (i = 0; i < sizeof(wl) / sizeof(wl[0]); i++) {
		snprintf(cmd, sizeof(cmd),
			 "DN_WL_CORRUPT=1 /dn/bin/dn-workload.sh --size quick %s " DN_WORK_DIR " 2>&1",
			 wl[i]);
		EXPECT_EQ(1, dn_capture(cmd, out, sizeof(out)));
		EXPECT_NE(NULL, strstr(out, ",fail")) {
			TH_LOG("%s: %s", wl[i], out);
		}
	}
}

/*
 * stress-ng's vm stressors, their memory bound to the remote node (numactl
 * --membind: the first-touch probe makes each worker a target), write and
 * verify their pages while they trap (remote_pct 50): stress-ng reports
 * no verification failure and exits 0.
 */
TEST_F_TIMEOUT(work, stress_ng_verifies_on_node, 600)
{
	char cmd[256], out[8192];
	long long f0, f1;
	int st;

	if (!dn_have("/usr/bin/stress-ng"))
		SKIP(return, "no /usr/bin/stress-ng in this guest");
	snprintf(cmd, sizeof(cmd),
		 "numactl --membind=%d stress-ng --vm 2 --vm-bytes 8M --vm-ops 64 --verify --timeout 120s 2>&1",
		 self->nid);
	f0 = dn_stat("remote_faults");
	st = dn_capture(cmd, out, sizeof(out));
	f1 = dn_stat("remote_faults");
	printf("%s", out);
	EXPECT_EQ(0, st);
	EXPECT_EQ(NULL, strstr(out, "fail"));
	EXPECT_LT(0, f1 - f0);
	TH_LOG("stress-ng vm: exit %d, %lld traps", st, f1 - f0);
}

/* The count of an event in a perf stat -x , file, or -1. */
static long long dn_perf_count(const char *path, const char *event)
{
	char line[512], *c1, *c2;
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		c1 = strchr(line, ',');
		c2 = c1 ? strchr(c1 + 1, ',') : NULL;
		if (c2 && !strncmp(c2 + 1, event, strlen(event)) &&
		    c2[1 + strlen(event)] == ',')
			v = atoll(line);
	}
	fclose(f);
	return v;
}

/*
 * perf stat -e 'disagg_node:*' counts exactly the traps and failed
 * promotions stats/ counts over the same run (one target, nothing else
 * trapping), and perf record of dn_fault records one sample per trap.
 */
TEST_F_TIMEOUT(work, perf_counts_traps, 600)
{
	long long f0, f1, p0, p1, n;
	char out[256];

	if (!dn_have("/usr/bin/perf"))
		SKIP(return, "no /usr/bin/perf in this guest");
	f0 = dn_stat("remote_faults");
	p0 = dn_stat("promotion_failures");
	ASSERT_EQ(0, dn_sh("perf stat -x , -o /tmp/dn-perf.txt -e 'disagg_node:*' -- /dn/bin/dn_run -- /dn/bin/dn_touch --mb 16 --passes 3 > /dev/null 2>&1"));
	f1 = dn_stat("remote_faults");
	p1 = dn_stat("promotion_failures");
	TH_LOG("stats/: %lld remote_faults, %lld promotion_failures; perf: %lld dn_fault, %lld dn_promote_fail",
	       f1 - f0, p1 - p0,
	       dn_perf_count("/tmp/dn-perf.txt", "disagg_node:dn_fault"),
	       dn_perf_count("/tmp/dn-perf.txt", "disagg_node:dn_promote_fail"));
	EXPECT_LT(0, f1 - f0);
	EXPECT_EQ(f1 - f0, dn_perf_count("/tmp/dn-perf.txt", "disagg_node:dn_fault"));
	EXPECT_EQ(p1 - p0, dn_perf_count("/tmp/dn-perf.txt", "disagg_node:dn_promote_fail"));

	f0 = dn_stat("remote_faults");
	ASSERT_EQ(0, dn_sh("perf record -q -e disagg_node:dn_fault -o /tmp/dn-perf.data -- /dn/bin/dn_run -- /dn/bin/dn_touch --mb 8 --passes 2 > /dev/null 2>&1"));
	f1 = dn_stat("remote_faults");
	ASSERT_EQ(0, dn_capture("perf script -i /tmp/dn-perf.data 2>/dev/null | grep -c 'disagg_node:dn_fault'",
				out, sizeof(out)));
	n = atoll(out);
	TH_LOG("perf record: %lld dn_fault samples; stats/: %lld remote_faults", n, f1 - f0);
	EXPECT_LT(0, n);
	EXPECT_EQ(f1 - f0, n);
}

/* Each tool and script refuses bad input with exit status 2 and a message. */
TEST_F(work, tools_refuse_bad_input)
{
	const char *const bad[] = {
		"/dn/bin/dn_qsort --mib 0",
		"/dn/bin/dn_qsort --mib 12x",
		"/dn/bin/dn_qsort --bogus",
		"/dn/bin/dn_blackscholes --options -5",
		"/dn/bin/dn_blackscholes --rounds 0",
		"/dn/bin/dn_tpch bogus",
		"/dn/bin/dn_tpch gen --rows 0 --seed 1 /tmp/x.csv",
		"/dn/bin/dn_tpch sql q9",
		"/dn/bin/dn_latbench --rounds 0",
		"/dn/bin/dn-workload.sh nosuch " DN_WORK_DIR,
		"/dn/bin/dn-workload.sh --size huge qsort " DN_WORK_DIR,
		"/dn/bin/dn-sweep.sh --reps 0",
		"/dn/bin/dn-sweep.sh --pcts '10 50'",
		"/dn/bin/dn-consolidate.sh --groups 0",
	};
	char cmd[300], out[1024];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(cmd, sizeof(cmd), "%s 2>&1", bad[i]);
		EXPECT_EQ(2, dn_capture(cmd, out, sizeof(out))) {
			TH_LOG("%s: %s", bad[i], out);
		}
		EXPECT_NE('\0', out[0]) {
			TH_LOG("%s: no message", bad[i]);
		}
	}
}

TEST_HARNESS_MAIN
