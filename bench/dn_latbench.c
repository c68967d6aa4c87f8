// SPDX-License-Identifier: GPL-2.0
/*
 * dn_latbench - configured against measured remote latency (the memory
 * blade paper's Figure D).  A benchmark: it prints figures, asserts
 * nothing.
 *
 * For each round and each configured latency (the order rotates per round),
 * Once the machine is quiet (its CPUs busy at most 2 % of a 200 ms window),
 * PAGES pages (default 512) of this process are moved to the remote node
 * (debugfs evict; worker paused, remote_pct 0: no exchange), then each is
 * read once in random order, every read timed alone: one trap each.  One
 * pass at latency 0 before the rounds warms the path up and is dropped.  Per
 * setting over all rounds: the median and mean time of a trapped read, and
 * the same minus the median at latency 0 (the floor: the trap and the
 * promotion themselves), which is what the setting added.  Also the mean
 * of each setting's fastest 95 % of reads (trim_mean): 1 to 2 % of reads
 * are hit by a timer interrupt or a preemption of the reading thread
 * (+12 us to +1 ms in the guest), which moves the plain mean by more than
 * the latency model's error; the plain mean stays beside it.
 *
 * Output (CSV on stdout):
 *   configured_ns,samples,median_ns,mean_ns,p10_ns,p90_ns,added_median_ns,added_mean_ns,
 *   trim_mean_ns,added_trim_mean_ns
 * Usage: dn_latbench [--rounds N] [--pages N] [NS...]
 *   NS: the configured latencies (default 0 500 1000 2000 5000 10000 20000
 *   50000); 0 is always measured.  Root, module loaded, debugfs mounted.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "dn_bench.h"
#include "dn_settle.h"
#include "dn_stats.h"

#define MAX_SET		32

static void die(const char *what)
{
	fprintf(stderr, "dn_latbench: %s failed (root? module loaded? debugfs mounted?)\n",
		what);
	exit(1);
}

/* Evict @n pages at @p, then time a read of each, in @order. */
static void measure(char *p, size_t n, const size_t *order, long long *out)
{
	char cmd[96];
	volatile char sink;
	long long t0;
	size_t i;

	snprintf(cmd, sizeof(cmd), "%d %p %zu", getpid(), p, n * PAGE);
	if (write_str(DN_DEBUGFS "/evict", cmd))
		die("debugfs evict");
	for (i = 0; i < n; i++) {
		t0 = now_ns();
		sink = p[order[i] * PAGE];
		out[i] = now_ns() - t0;
	}
	(void)sink;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "pages", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	long long set[MAX_SET] = { 0, 500, 1000, 2000, 5000, 10000, 20000, 50000 };
	long long *samples[MAX_SET], *v;
	int rounds = 5, nset = 8, r, c, k, j;
	size_t pages = 512, i, *order;
	double floor_median = 0, floor_mean = 0, floor_trim = 0;
	char *p;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			rounds = atoi(optarg);
		else if (c == 'p')
			pages = strtoul(optarg, NULL, 10);
		else
			return 2;
	}
	if (optind < argc) {
		nset = 1;	/* set[0] stays 0: the floor */
		for (; optind < argc && nset < MAX_SET; optind++) {
			char *end;

			set[nset] = strtoll(argv[optind], &end, 10);
			if (*end || set[nset] <= 0 || set[nset] > 1000000)
				return fprintf(stderr, "dn_latbench: NS must be 1..1000000\n"), 2;
			nset++;
		}
	}
	if (rounds < 1 || rounds > 100 || pages < 16 || pages > 65536) {
		fprintf(stderr, "usage: dn_latbench [--rounds 1..100] [--pages 16..65536] [NS...]\n");
		return 2;
	}
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		die("PR_SET_THP_DISABLE");
	if (dn_settle() < 0)
		fprintf(stderr, "dn_latbench: the machine did not settle in 60 s; timing anyway\n");
	if (set_ll(DN_SYSFS "/target_add", getpid()) ||
	    set_ll(DN_DEBUGFS "/pause", 1) || set_ll(DN_SYSFS "/remote_pct", 0))
		die("target_add / pause / remote_pct 0");
	p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	order = calloc(pages, sizeof(*order));
	if (p == MAP_FAILED || !order)
		die("mmap");
	memset(p, 7, pages * PAGE);
	for (k = 0; k < nset; k++) {
		samples[k] = calloc((size_t)rounds * pages, sizeof(long long));
		if (!samples[k])
			die("calloc");
	}
	srand(42);
	/* A warm-up pass, not recorded: first-use costs of the path. */
	for (i = 0; i < pages; i++)
		order[i] = i;
	measure(p, pages, order, samples[0]);
	for (r = 0; r < rounds; r++) {
		for (j = 0; j < nset; j++) {
			k = (j + r) % nset;
			for (i = 0; i < pages; i++)
				order[i] = i;
			for (i = pages - 1; i > 0; i--) {
				size_t s = rand() % (i + 1), t = order[i];

				order[i] = order[s];
				order[s] = t;
			}
			if (set_ll(DN_SYSFS "/latency_ns", set[k]))
				die("latency_ns");
			measure(p, pages, order, samples[k] + (size_t)r * pages);
		}
	}
	set_ll(DN_SYSFS "/latency_ns", 0);
	set_ll(DN_DEBUGFS "/pause", 0);
	printf("configured_ns,samples,median_ns,mean_ns,p10_ns,p90_ns,added_median_ns,added_mean_ns,trim_mean_ns,added_trim_mean_ns\n");
	for (k = 0; k < nset; k++) {
		size_t n = (size_t)rounds * pages;
		double med, mean, trim;
		long long p10, p90;

		v = samples[k];
		mean = dn_mean(v, n);
		med = dn_median(v, n);
		p10 = dn_percentile(v, n, 10);
		p90 = dn_percentile(v, n, 90);
		trim = dn_trimmed_mean(v, n, 5);
		if (!k) {
			floor_median = med;
			floor_mean = mean;
			floor_trim = trim;
		}
		printf("%lld,%zu,%.0f,%.0f,%lld,%lld,%.0f,%.0f,%.0f,%.0f\n", set[k], n,
		       med, mean, p10, p90, med - floor_median, mean - floor_mean,
		       trim, trim - floor_trim);
		free(v);
	}
	return 0;
}
