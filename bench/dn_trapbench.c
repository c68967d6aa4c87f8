// SPDX-License-Identifier: GPL-2.0
/*
 * dn_trapbench - what a trap costs, with and without its exchange, in
 * minor faults of the local node measured in the same run.
 *
 * Per round, on PAGES pages (default 4096), at latency_ns 0:
 *   minor      first write to each page of a fresh anonymous mapping
 *              (a minor fault of node 0, page zeroed);
 *   trap       a read of each page after debugfs evict moved them all to
 *              the remote node, worker paused and remote_pct 0: each read
 *              traps and promotes, and no exchange runs;
 *   trap+exch  a read of each page that /proc/self/pagemap places on the
 *              remote node, worker on, remote_pct 50, once the split is
 *              reached (>= 45 % of the pages remote, waited for):
 *              each read traps, promotes, and its exchange sends a cold
 *              local page remote before the read completes.
 * A kind of trap's time is its timed loop's over the traps the loop took:
 * a page that pagemap placed remote can be brought home by the worker
 * before the loop reads it (a read that does not trap costs nanoseconds,
 * but seen: 744 traps for at least 1,843 pages read, under icount).
 * Rounds interleave the three.  For the two kinds of trap, the TLB
 * shootdown and function-call IPIs that all CPUs received during the
 * timed loop (/proc/interrupts "TLB:" and "CAL:"; the module flushes by
 * function call) are counted per trap.  Prints one "DN-TRAPBENCH" line per
 * round and the medians; a benchmark, not a test: it asserts nothing.
 *
 * Usage: dn_trapbench [--rounds N] [--pages N]   (root; module loaded)
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "dn_bench.h"

#define MAX_ROUNDS	64

static void die(const char *what)
{
	fprintf(stderr, "dn_trapbench: %s failed\n", what);
	exit(1);
}

static char *map(size_t n)
{
	char *p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

/*
 * IPIs received so far by all CPUs: TLB shootdowns plus function calls
 * (the /proc/interrupts lines "TLB:" and "CAL:"), or -1.
 */
static long long ipis(void)
{
	char line[4096], *s, *end;
	long long sum = 0, v;
	int found = 0;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		s = strstr(line, "TLB:");
		if (!s)
			s = strstr(line, "CAL:");
		if (!s)
			continue;
		found++;
		for (s += 4;; s = end) {
			v = strtoll(s, &end, 10);
			if (end == s)
				break;
			sum += v;
		}
	}
	fclose(f);
	return found == 2 ? sum : -1;
}

/* ns per page of a first write to each of n fresh pages. */
static double bench_minor(size_t n)
{
	char *p = map(n);
	long long t0 = now_ns();
	size_t i;

	for (i = 0; i < n; i++)
		p[i * PAGE] = 1;
	t0 = now_ns() - t0;
	munmap(p, n * PAGE);
	return (double)t0 / n;
}

/* ns per trap, no exchange: all pages evicted, worker paused, pct 0. */
static double bench_trap(size_t n, long long *traps, long long *ipi)
{
	char *p = map(n), cmd[96];
	volatile char sink;
	long long t0, f0, i0;
	size_t i;

	memset(p, 2, n * PAGE);
	if (set_ll(DN_DEBUGFS "/pause", 1) || set_ll(DN_SYSFS "/remote_pct", 0))
		die("pause / remote_pct 0");
	snprintf(cmd, sizeof(cmd), "%d %p %zu", getpid(), p, n * PAGE);
	if (write_str(DN_DEBUGFS "/evict", cmd))
		die("debugfs evict");
	f0 = read_ll(DN_SYSFS "/stats/remote_faults");
	i0 = ipis();
	t0 = now_ns();
	for (i = 0; i < n; i++)
		sink = p[i * PAGE];
	t0 = now_ns() - t0;
	*ipi = ipis() - i0;
	(void)sink;
	*traps = read_ll(DN_SYSFS "/stats/remote_faults") - f0;
	munmap(p, n * PAGE);
	return *traps > 0 ? (double)t0 / *traps : 0;
}

static uint64_t pfn_of(int fd, void *addr)
{
	uint64_t e;

	if (pread(fd, &e, sizeof(e), (uintptr_t)addr / PAGE * 8) != sizeof(e) ||
	    !(e & (1ULL << 63)))
		return 0;
	return e & ((1ULL << 55) - 1);
}

/* ns per trap with its exchange: pct 50, worker on, remote pages read. */
static double bench_exchange(size_t n, long long *traps, long long *exch,
			     long long *ipi)
{
	uint64_t first, last, pfn;
	char *p = map(n), **remote;
	long long t0, f0, e0, i0, rs, rz;
	volatile char sink;
	size_t i, nr = 0;
	int fd;

	memset(p, 3, n * PAGE);
	if (set_ll(DN_DEBUGFS "/pause", 0) || set_ll(DN_SYSFS "/remote_pct", 50))
		die("pause 0 / remote_pct 50");
	rs = read_ll(DN_SYSFS "/region_start");
	rz = read_ll(DN_SYSFS "/region_size");
	first = rs / PAGE;
	last = (rs + rz) / PAGE;
	fd = open("/proc/self/pagemap", O_RDONLY);
	remote = calloc(n, sizeof(*remote));
	if (fd < 0 || !remote)
		die("pagemap");
	/* Wait (up to 60 s) until the split is reached: >= 45 % remote. */
	for (t0 = now_ns(); now_ns() - t0 < 60000000000LL; usleep(100000)) {
		for (i = 0, nr = 0; i < n; i++) {
			pfn = pfn_of(fd, p + i * PAGE);
			if (pfn >= first && pfn < last)
				remote[nr++] = p + i * PAGE;
		}
		if (nr >= n * 45 / 100)
			break;
	}
	close(fd);
	usleep(500000);		/* the worker's passes settle */
	f0 = read_ll(DN_SYSFS "/stats/remote_faults");
	e0 = read_ll(DN_SYSFS "/stats/exchanges");
	i0 = ipis();
	t0 = now_ns();
	for (i = 0; i < nr; i++)
		sink = *remote[i];
	t0 = now_ns() - t0;
	*ipi = ipis() - i0;
	(void)sink;
	*traps = read_ll(DN_SYSFS "/stats/remote_faults") - f0;
	*exch = read_ll(DN_SYSFS "/stats/exchanges") - e0;
	free(remote);
	munmap(p, n * PAGE);
	return *traps > 0 ? (double)t0 / *traps : 0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "pages", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	double mi[MAX_ROUNDS], tr[MAX_ROUNDS], ex[MAX_ROUNDS];
	double ti[MAX_ROUNDS], ei[MAX_ROUNDS];
	long long traps, traps2, exch, ipi, ipi2;
	int rounds = 5, r, c;
	size_t pages = 4096;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			rounds = atoi(optarg);
		else if (c == 'p')
			pages = strtoul(optarg, NULL, 10);
		else
			return 2;
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || pages < 64 || pages > 1 << 20) {
		fprintf(stderr, "usage: dn_trapbench [--rounds 1..64] [--pages 64..1048576]\n");
		return 2;
	}
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		die("PR_SET_THP_DISABLE");
	if (set_ll(DN_SYSFS "/target_add", getpid()) ||
	    set_ll(DN_SYSFS "/latency_ns", 0))
		die("target_add / latency_ns 0 (module loaded? debugfs mounted?)");
	for (r = 0; r < rounds; r++) {
		mi[r] = bench_minor(pages);
		tr[r] = bench_trap(pages, &traps, &ipi);
		ex[r] = bench_exchange(pages, &traps2, &exch, &ipi2);
		ti[r] = traps > 0 ? (double)ipi / traps : -1;
		ei[r] = traps2 > 0 ? (double)ipi2 / traps2 : -1;
		printf("DN-TRAPBENCH round=%d pages=%zu minor_ns=%.0f trap_ns=%.0f trap_exchange_ns=%.0f trap_traps=%lld exch_traps=%lld exchanges=%lld trap_per_minor=%.2f trap_exchange_per_minor=%.2f trap_exchange_per_trap=%.2f trap_ipis_per_trap=%.3f exchange_ipis_per_trap=%.3f\n",
		       r, pages, mi[r], tr[r], ex[r], traps, traps2, exch,
		       tr[r] / mi[r], ex[r] / mi[r], ex[r] / tr[r], ti[r], ei[r]);
		fflush(stdout);
	}
	{
		double m = median(mi, rounds), t = median(tr, rounds);
		double e = median(ex, rounds);

		printf("DN-TRAPBENCH median rounds=%d minor_ns=%.0f trap_ns=%.0f trap_exchange_ns=%.0f trap_per_minor=%.2f trap_exchange_per_minor=%.2f trap_exchange_per_trap=%.2f trap_ipis_per_trap=%.3f exchange_ipis_per_trap=%.3f\n",
		       rounds, m, t, e, t / m, e / m, e / t,
		       median(ti, rounds), median(ei, rounds));
	}
	set_ll(DN_SYSFS "/remote_pct", 0);
	return 0;
}
