// SPDX-License-Identifier: GPL-2.0
/*
 * dnctl - show and set disagg_node's run-time settings.
 *
 *   dnctl status              every file of /sys/kernel/mm/disagg_node
 *   dnctl get NAME            one value
 *   dnctl set NAME VALUE      write one value (remote_pct, latency_ns)
 *   dnctl watch [MS [COUNT]]  every MS milliseconds (default 1000), one
 *                             line per target: its local and remote pages,
 *                             remote share, and the traps, exchanges and
 *                             worker evictions per second since the last
 *                             line; COUNT samples (default: until killed)
 *
 * Exit status: 0 on success, 1 when the module is not loaded or the kernel
 * refused the value, 2 on bad usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DN_SYSFS "/sys/kernel/mm/disagg_node"

static int usage(void)
{
	fprintf(stderr, "usage: dnctl status | get NAME | set NAME VALUE | watch [MS [COUNT]]\n");
	return 2;
}

static int valid_name(const char *name)
{
	return name[0] && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

static int show(const char *name, int with_name)
{
	char path[256], buf[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), DN_SYSFS "/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "dnctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		fprintf(stderr, "dnctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	buf[n] = '\0';
	if (with_name)
		printf("%-14s %s", name, buf);
	else
		fputs(buf, stdout);
	return 0;
}

static int status(void)
{
	struct dirent **list;
	int i, n, ret = 0;

	n = scandir(DN_SYSFS, &list, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "dnctl: %s: %s (is disagg_node loaded?)\n",
			DN_SYSFS, strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (list[i]->d_name[0] != '.')
			ret |= show(list[i]->d_name, 1);
		free(list[i]);
	}
	free(list);
	return ret;
}

static int set(const char *name, const char *value)
{
	char path[256];
	int fd, ret = 0;

	snprintf(path, sizeof(path), DN_SYSFS "/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "dnctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (write(fd, value, strlen(value)) < 0) {
		fprintf(stderr, "dnctl: %s=%s refused: %s (see dmesg)\n", name,
			value, strerror(errno));
		ret = 1;
	}
	close(fd);
	return ret;
}

/* One number from a sysfs file; -1 if unreadable. */
static long long read_ll(const char *fmt, const char *a)
{
	char path[512], buf[64];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), fmt, a);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtoll(buf, NULL, 10);
	fclose(f);
	return v;
}

#define DN_WATCH_MAX	64	/* targets followed */

struct watch_prev {
	char pid[256];
	long long faults, exchanges, evictions;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/*
 * The split of every target over time: one line per target and sample.
 * Rates are per second since the target's previous line (blank on its
 * first line).
 */
static int watch(long ms, long count)
{
	struct watch_prev prev[DN_WATCH_MAX], cur[DN_WATCH_MAX];
	int nprev = 0, ncur, i, j;
	double t0 = now_s(), tprev = t0, t;
	struct dirent **list;
	long k;
	int n;

	if (read_ll(DN_SYSFS "/%s", "remote_pct") < 0) {
		fprintf(stderr, "dnctl: %s: %s (is disagg_node loaded?)\n",
			DN_SYSFS, strerror(errno));
		return 1;
	}
	printf("%8s %8s %10s %10s %7s %4s %9s %9s %9s\n", "time_s", "pid",
	       "local", "remote", "share%", "pct", "traps/s", "exch/s", "evict/s");
	for (k = 0; count <= 0 || k < count; k++) {
		if (k)
			usleep(ms * 1000);
		t = now_s();
		n = scandir(DN_SYSFS "/targets", &list, NULL, alphasort);
		if (n < 0) {
			fprintf(stderr, "dnctl: %s/targets: %s\n", DN_SYSFS,
				strerror(errno));
			return 1;
		}
		for (i = 0, ncur = 0; i < n; i++) {
			const char *pid = list[i]->d_name;
			long long l, r, pct;
			struct watch_prev *c;

			if (pid[0] == '.' || ncur == DN_WATCH_MAX) {
				free(list[i]);
				continue;
			}
			c = &cur[ncur++];
			snprintf(c->pid, sizeof(c->pid), "%s", pid);
			l = read_ll(DN_SYSFS "/targets/%s/local_pages", pid);
			r = read_ll(DN_SYSFS "/targets/%s/remote_pages", pid);
			c->faults = read_ll(DN_SYSFS "/targets/%s/remote_faults", pid);
			c->exchanges = read_ll(DN_SYSFS "/targets/%s/exchanges", pid);
			c->evictions = read_ll(DN_SYSFS "/targets/%s/evictions", pid);
			pct = read_ll(DN_SYSFS "/%s", "remote_pct");
			printf("%8.2f %8s %10lld %10lld %7.2f %4lld", t - t0, pid,
			       l, r, l + r > 0 ? 100.0 * r / (l + r) : 0.0, pct);
			for (j = 0; j < nprev && strcmp(prev[j].pid, pid); j++)
				;
			if (j < nprev && t > tprev)
				printf(" %9.0f %9.0f %9.0f\n",
				       (c->faults - prev[j].faults) / (t - tprev),
				       (c->exchanges - prev[j].exchanges) / (t - tprev),
				       (c->evictions - prev[j].evictions) / (t - tprev));
			else
				printf(" %9s %9s %9s\n", "-", "-", "-");
			free(list[i]);
		}
		free(list);
		fflush(stdout);
		memcpy(prev, cur, sizeof(cur[0]) * ncur);
		nprev = ncur;
		tprev = t;
	}
	return 0;
}

/* A positive number of at most max, or -1. */
static long parse_pos(const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v <= 0 || v > max)
		return -1;
	return v;
}

int main(int argc, char **argv)
{
	long ms = 1000, count = 0;

	if (argc >= 2 && argc <= 4 && !strcmp(argv[1], "watch")) {
		if (argc >= 3 && (ms = parse_pos(argv[2], 3600000)) < 0) {
			fprintf(stderr, "dnctl: watch: MS must be 1..3600000\n");
			return 2;
		}
		if (argc == 4 && (count = parse_pos(argv[3], 1000000000)) < 0) {
			fprintf(stderr, "dnctl: watch: COUNT must be a positive number\n");
			return 2;
		}
		return watch(ms, count);
	}
	if (argc == 2 && !strcmp(argv[1], "status"))
		return status();
	if (argc == 3 && !strcmp(argv[1], "get") && valid_name(argv[2]))
		return show(argv[2], 0);
	if (argc == 4 && !strcmp(argv[1], "set") && valid_name(argv[2]))
		return set(argv[2], argv[3]);
	return usage();
}
