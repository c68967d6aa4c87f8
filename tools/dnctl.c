// SPDX-License-Identifier: GPL-2.0
/*
 * dnctl - show and set disagg_node's run-time settings.
 *
 *   dnctl status [--json]     the node (size, tier), the settings, the
 *                             global counters, and per target its local
 *                             and remote pages, counters and settings
 *                             (numastat for the remote node); --json for
 *                             scripts
 *   dnctl get NAME            one global value
 *   dnctl set NAME VALUE      write one global value (remote_pct 0-100,
 *                             latency_ns 0-1000000, ...): the default of
 *                             every target without its own
 *   dnctl target get PID NAME one target's remote_pct or latency_ns, and
 *                             whether it is its own or the global one; or
 *                             its cap remote_mib ("N cap", "0 none")
 *   dnctl target set PID NAME VALUE
 *                             write one target's own remote_pct (0-100) or
 *                             latency_ns (0-1000000); default (or -1): it
 *                             follows the global value again; or its cap,
 *                             remote_mib (MiB of the blade, 0: none)
 *   dnctl run [--remote-pct P] [--latency NS] [--remote-mib N] [--quiet]
 *             [--born-local]
 *             [--no-thp-off] [--no-register] -- CMD [ARG...]
 *                             run CMD as a target (THP off, memory born
 *                             remote, registered: tools/dn_launch.h) with
 *                             the remote_pct, latency_ns and remote_mib
 *                             given as its own (written before its first
 *                             instruction;
 *                             the global values are left alone), then
 *                             print its wall
 *                             time, exit status, split and counters to
 *                             stderr; the split is measured from its page
 *                             tables (/proc/PID/pagemap), with the
 *                             module's own figure beside it; samples
 *                             taken while it exits are dropped (and
 *                             counted).  --quiet
 *                             neither samples nor reports; --born-local,
 *                             --no-thp-off, --no-register leave out one
 *                             step of the launch
 *   dnctl tenant add CGROUP [--remote-pct P] [--latency NS]
 *                             make the cgroup v2 directory CGROUP (below
 *                             the cgroup2 mount: /dn-a, or
 *                             /sys/fs/cgroup/dn-a) a tenant with those
 *                             settings, and register every process in it
 *                             (its cgroup.procs) as a target
 *   dnctl tenant set CGROUP remote_pct|latency_ns|remote_mib VALUE|default
 *   dnctl tenant rm CGROUP    its targets follow their own or the global
 *   dnctl tenant ls           one line per tenant: id, cgroup, settings,
 *                             members, their local and remote pages
 *   dnctl watch [MS [COUNT]]  every MS milliseconds (default 1000), one
 *                             line for the blade (size, claimed by caps,
 *                             pages used, refused) and one per target: its
 *                             local and remote pages, remote share, its
 *                             remote_pct, the traps, exchanges and worker
 *                             evictions per second since the last line,
 *                             its cap (remote_mib) and refused pages;
 *                             COUNT samples (default: until killed)
 *
 * Exit status: 0 on success, 1 when the module is not loaded or the kernel
 * refused the value, 2 on bad usage; dnctl run: CMD's (128 + N if killed
 * by signal N), 127 if it could not be run or registered.
 *
 * Run as dn_run (a symlink to dnctl; the name in argv[0] decides), it is
 * "dnctl run --quiet", with dn_run's own usage, kept for the scripts and
 * command lines that launch a target with it:
 *
 *   dn_run [--no-thp-off] [--no-register] [--born-local] [--] PROGRAM [ARGS...]
 *
 * e.g. "numactl --membind=1 dn_run -- ./workload" (a memory policy set by
 * the caller is kept).  Without the report, it neither reads the module's
 * files nor samples pagemap while PROGRAM runs, and with --no-register it
 * needs no module at all.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dn_launch.h"
#include "dn_pagemap.h"

#define DN_SYSFS "/sys/kernel/mm/disagg_node"
#define DN_NOT_LOADED " (is disagg_node loaded?)"

static int usage_to(FILE *f)
{
	fprintf(f,
		"usage: dnctl status [--json]\n"
		"       dnctl get NAME\n"
		"       dnctl set NAME VALUE\n"
		"       dnctl target get PID remote_pct|latency_ns|remote_mib\n"
		"       dnctl target set PID remote_pct|latency_ns VALUE|default\n"
		"       dnctl target set PID remote_mib MIB\n"
		"       dnctl run [--remote-pct P] [--latency NS] [--remote-mib N] [--quiet]\n"
		"                 [--born-local] [--no-thp-off] [--no-register] -- CMD [ARG...]\n"
		"       dnctl tenant add CGROUP [--remote-pct P] [--latency NS]\n"
		"       dnctl tenant set CGROUP remote_pct|latency_ns|remote_mib VALUE|default\n"
		"       dnctl tenant rm CGROUP\n"
		"       dnctl tenant ls\n"
		"       dnctl watch [MS [COUNT]]\n");
	return 2;
}

static int usage(void)
{
	return usage_to(stderr);
}

static int not_loaded(void)
{
	fprintf(stderr, "dnctl: %s: %s (is disagg_node loaded?)\n", DN_SYSFS,
		strerror(errno));
	return 1;
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

/* The settings dnctl checks before the kernel does, with their ranges. */
static const struct {
	const char *name;
	long long min, max;
} ranges[] = {
	{ "remote_pct", 0, 100 },
	{ "latency_ns", 0, 1000000 },
	{ "trap", 0, 1 },
	{ "remote_mib", 0, 1LL << 40 },	/* the blade's size: the kernel's check */
	{ "targets_per_user", 0, 4294967295LL },
};

/* 0 if @value is in @name's range (or @name has none), else 1 with a message. */
static int check_range(const char *name, const char *value)
{
	char *end;
	long long v;
	size_t i;

	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		if (strcmp(name, ranges[i].name))
			continue;
		errno = 0;
		v = strtoll(value, &end, 10);
		if (errno || end == value || *end || v < ranges[i].min ||
		    v > ranges[i].max) {
			fprintf(stderr, "dnctl: %s=%s is out of range: use %lld-%lld\n",
				name, value, ranges[i].min, ranges[i].max);
			return 1;
		}
	}
	return 0;
}

/*
 * Write @val to the module's file @name; 0, or 1 with a message (@enoent
 * added to it when the file does not exist).
 */
static int write_file(const char *name, const char *val, const char *enoent)
{
	char path[512];
	int fd, ret = 0;

	snprintf(path, sizeof(path), DN_SYSFS "/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "dnctl: %s: %s%s\n", path, strerror(errno),
			errno == ENOENT ? enoent : "");
		return 1;
	}
	if (write(fd, val, strlen(val)) < 0) {
		fprintf(stderr, "dnctl: %s=%s refused: %s (see dmesg)\n", name,
			val, strerror(errno));
		ret = 1;
	}
	close(fd);
	return ret;
}

static int set(const char *name, const char *value)
{
	if (check_range(name, value))
		return 1;
	return write_file(name, value,
			  " (is disagg_node loaded? is NAME a setting?)");
}

/* The settings a target has of its own (targets/PID/NAME). */
static int target_setting(const char *name)
{
	return !strcmp(name, "remote_pct") || !strcmp(name, "latency_ns") ||
	       !strcmp(name, "remote_mib");
}

/* dnctl target get PID NAME: "VALUE own" or "VALUE global". */
static int target_get(const char *pid, const char *name)
{
	char path[256], val[64], src[64];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), DN_SYSFS "/targets/%s/%s", pid, name);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "dnctl: %s: %s%s\n", path, strerror(errno),
			errno == ENOENT ? " (is PID a target?)" : "");
		return 1;
	}
	ok = fscanf(f, "%63s", val) == 1;
	fclose(f);
	if (ok && !strcmp(name, "remote_mib")) {
		/* A cap has no global value: it is set, or there is none. */
		printf("%s %s\n", val, strcmp(val, "0") ? "cap" : "none");
		return 0;
	}
	snprintf(path, sizeof(path), DN_SYSFS "/targets/%s/%s_source", pid,
		 name);
	f = fopen(path, "r");
	ok = ok && f && fscanf(f, "%63s", src) == 1;
	if (f)
		fclose(f);
	if (!ok) {
		fprintf(stderr, "dnctl: targets/%s/%s: unreadable\n", pid, name);
		return 1;
	}
	printf("%s %s\n", val, src);
	return 0;
}

/*
 * dnctl target set PID NAME VALUE: the target's own value, or default
 * (-1) to follow the global one again.
 */
static int target_set(const char *pid, const char *name, const char *value)
{
	char path[256];
	int fd, ret = 0;

	if ((!strcmp(name, "remote_mib") || (strcmp(value, "default") &&
					     strcmp(value, "-1"))) &&
	    check_range(name, value))
		return 1;
	snprintf(path, sizeof(path), DN_SYSFS "/targets/%s/%s", pid, name);
	fd = open(path, O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "dnctl: %s: %s%s\n", path, strerror(errno),
			errno == ENOENT ? " (is PID a target?)" : "");
		return 1;
	}
	if (write(fd, value, strlen(value)) < 0) {
		fprintf(stderr, "dnctl: targets/%s/%s=%s refused: %s (see dmesg)\n",
			pid, name, value, strerror(errno));
		ret = 1;
	}
	close(fd);
	return ret;
}

/* Cgroup tenants */

#define DN_CGROUP2	"/sys/fs/cgroup"

/* @cg below the cgroup2 mount ("/dn-a"), from either form; NULL if bad. */
static const char *tenant_path(const char *cg)
{
	size_t n = strlen(DN_CGROUP2);

	if (!strncmp(cg, DN_CGROUP2, n) && cg[n] == '/')
		cg += n;
	if (cg[0] != '/' || !cg[1] || strstr(cg, "/..")) {
		fprintf(stderr, "dnctl: tenant: '%s' is not a cgroup path: give /NAME or %s/NAME\n",
			cg, DN_CGROUP2);
		return NULL;
	}
	return cg;
}

/* The first line of @path into @buf (newline cut); 0, or -1. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* The id (tenants/ID) of the tenant of cgroup @cg into @id; 0, or 1. */
static int tenant_id(const char *cg, char *id, size_t len)
{
	char path[512], val[512];
	struct dirent *e;
	DIR *d = opendir(DN_SYSFS "/tenants");
	int ret = 1;

	if (!d)
		return not_loaded();
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), DN_SYSFS "/tenants/%s/cgroup",
			 e->d_name);
		if (!read_line(path, val, sizeof(val)) && !strcmp(val, cg)) {
			snprintf(id, len, "%s", e->d_name);
			ret = 0;
			break;
		}
	}
	closedir(d);
	if (ret)
		fprintf(stderr, "dnctl: %s is not a tenant (dnctl tenant ls)\n", cg);
	return ret;
}

static int tenant_set(const char *cg, const char *name, const char *value)
{
	char id[256], file[320];

	if (!target_setting(name)) {
		fprintf(stderr, "dnctl: tenant set: NAME is remote_pct, latency_ns or remote_mib\n");
		return 2;
	}
	if (strcmp(value, "default") && strcmp(value, "-1") &&
	    check_range(name, value))
		return 1;
	if (tenant_id(cg, id, sizeof(id)))
		return 1;
	snprintf(file, sizeof(file), "tenants/%s/%s", id, name);
	return write_file(file, value, DN_NOT_LOADED);
}

/*
 * dnctl tenant add: the tenant, its settings, then every process of the
 * cgroup registered (a process that exits meanwhile is skipped).
 */
static int tenant_add(const char *cg, const char *pct, const char *lat)
{
	char path[512], line[32], id[256];
	int enrolled = 0, failed = 0;
	FILE *f;

	if ((pct && check_range("remote_pct", pct)) ||
	    (lat && check_range("latency_ns", lat)))
		return 1;
	if (write_file("tenant_add", cg, DN_NOT_LOADED) || tenant_id(cg, id, sizeof(id)))
		return 1;
	if ((pct && tenant_set(cg, "remote_pct", pct)) ||
	    (lat && tenant_set(cg, "latency_ns", lat)))
		return 1;
	snprintf(path, sizeof(path), DN_CGROUP2 "%s/cgroup.procs", cg);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "dnctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (write_file("target_add", line, DN_NOT_LOADED))
			failed++;
		else
			enrolled++;
	}
	fclose(f);
	printf("tenant %s: %s, %d processes registered%s\n", id, cg, enrolled,
	       failed ? " (some refused: see above)" : "");
	return 0;
}

static int tenant_ls(void)
{
	static const char * const files[] = {
		"remote_pct", "remote_pct_source", "latency_ns",
		"latency_ns_source", "members", "local_pages", "remote_pages",
		"remote_mib", "refused_pages",
	};
	char path[512], val[10][128], col[300];
	struct dirent *e;
	size_t i;
	DIR *d = opendir(DN_SYSFS "/tenants");

	if (!d)
		return not_loaded();
	printf("%-8s %-24s %-16s %-16s %7s %10s %10s %7s %10s\n", "id",
	       "cgroup", "remote_pct", "latency_ns", "members", "local",
	       "remote", "cap_mib", "refused");
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), DN_SYSFS "/tenants/%s/cgroup",
			 e->d_name);
		if (read_line(path, val[0], sizeof(val[0])))
			continue;	/* removed meanwhile */
		for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(path, sizeof(path), DN_SYSFS "/tenants/%s/%s",
				 e->d_name, files[i]);
			if (read_line(path, val[i + 1], sizeof(val[0])))
				snprintf(val[i + 1], sizeof(val[0]), "?");
		}
		snprintf(col, sizeof(col), "%s (%s)", val[1], val[2]);
		printf("%-8s %-24s %-16s ", e->d_name, val[0], col);
		snprintf(col, sizeof(col), "%s (%s)", val[3], val[4]);
		printf("%-16s %7s %10s %10s %7s %10s\n", col, val[5], val[6],
		       val[7], strcmp(val[8], "0") ? val[8] : "-", val[9]);
	}
	closedir(d);
	return 0;
}

static int tenant_main(int argc, char **argv)
{
	const char *cg, *pct = NULL, *lat = NULL;
	int i;

	if (argc == 3 && !strcmp(argv[2], "ls"))
		return tenant_ls();
	if (argc < 4)
		return usage();
	cg = tenant_path(argv[3]);
	if (!cg)
		return 2;
	if (!strcmp(argv[2], "add")) {
		for (i = 4; i < argc; i++) {
			if (!strcmp(argv[i], "--remote-pct") && i + 1 < argc)
				pct = argv[++i];
			else if (!strcmp(argv[i], "--latency") && i + 1 < argc)
				lat = argv[++i];
			else
				return usage();
		}
		return tenant_add(cg, pct, lat);
	}
	if (!strcmp(argv[2], "set") && argc == 6)
		return tenant_set(cg, argv[4], argv[5]);
	if (!strcmp(argv[2], "rm") && argc == 4)
		return write_file("tenant_remove", cg, DN_NOT_LOADED);
	return usage();
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
		v = strtoll(buf, NULL, 0);	/* region_start is hex */
	fclose(f);
	return v;
}

/* The settings, global counters and per-target counters shown. */
static const char * const settings[] = {
	"trap", "remote_pct", "latency_ns", "scan_period_ms", "evict_batch",
	"zone_vetoes", "targets_per_user",
};

static const char * const tcounters[] = {
	"local_pages", "remote_pages", "remote_faults", "promotions",
	"promotion_failures", "exchanges", "evictions", "injected_delay_ns",
	"refused_pages",
};

/* blade/: the remote node as the targets' caps share it. */
static const char * const blade[] = {
	"capacity_mib", "claimed_mib", "capacity_pages", "used_pages",
	"refused_pages",
};

/*
 * Target @pid's setting @name (remote_pct, latency_ns) into *@v, and
 * whether it is its own (1) or the global one it follows (0); -1 if
 * unreadable.
 */
static int target_value(const char *pid, const char *name, long long *v)
{
	char fmt[300], path[300], src[16] = "";
	FILE *f;

	snprintf(fmt, sizeof(fmt), DN_SYSFS "/targets/%s/%%s", pid);
	*v = read_ll(fmt, name);
	snprintf(path, sizeof(path), DN_SYSFS "/targets/%s/%s_source", pid,
		 name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%15s", src) != 1)
		src[0] = '\0';
	fclose(f);
	if (*v < 0 || !src[0])
		return -1;
	return !strcmp(src, "own");
}

/* The memory tier (memory_tierN) whose nodelist holds @nid, or -1. */
static int node_tier(long long nid)
{
	struct dirent **list;
	int i, n, tier = -1;

	n = scandir("/sys/devices/virtual/memory_tiering", &list, NULL, alphasort);
	for (i = 0; i < n; i++) {
		char path[512], buf[256], *p, *end;
		int t;
		FILE *f;

		if (sscanf(list[i]->d_name, "memory_tier%d", &t) == 1) {
			snprintf(path, sizeof(path),
				 "/sys/devices/virtual/memory_tiering/%s/nodelist",
				 list[i]->d_name);
			f = fopen(path, "r");
			/* A nodelist: "0", "0-1", "0,2-3". */
			for (p = f && fgets(buf, sizeof(buf), f) ? buf : NULL;
			     p && *p && *p != '\n'; p = *end ? end + 1 : end) {
				long a = strtol(p, &end, 10), b = a;

				if (*end == '-')
					b = strtol(end + 1, &end, 10);
				if (nid >= a && nid <= b)
					tier = t;
				if (end == p)
					break;
			}
			if (f)
				fclose(f);
		}
		free(list[i]);
	}
	if (n >= 0)
		free(list);
	return tier;
}

static int is_pid(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

static void target_comm(const char *pid, char *comm, size_t len)
{
	char path[300];
	FILE *f;

	snprintf(comm, len, "?");
	snprintf(path, sizeof(path), "/proc/%s/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(comm, len, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

/* Print a JSON string: the names here need no escaping but '"' and '\'. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s >= 0x20)
			putchar(*s);
	}
	putchar('"');
}

static int status(int json)
{
	long long nid, start, size, v, l, r;
	struct dirent **list, **stats;
	int i, j, n, ns, tier, own, nown = 0;
	char comm[64];

	nid = read_ll(DN_SYSFS "/%s", "node_id");
	if (nid < 0)
		return not_loaded();
	start = read_ll(DN_SYSFS "/%s", "region_start");
	size = read_ll(DN_SYSFS "/%s", "region_size");
	tier = node_tier(nid);
	ns = scandir(DN_SYSFS "/stats", &stats, NULL, alphasort);
	n = scandir(DN_SYSFS "/targets", &list, NULL, alphasort);
	if (ns < 0 || n < 0)
		return not_loaded();

	if (json) {
		printf("{\"node\": {\"id\": %lld, \"region_start\": %lld, \"region_size\": %lld, \"memory_tier\": %d},\n",
		       nid, start, size, tier);
		printf(" \"settings\": {\"enroll\": \"%s\"",
		       dn_launch_enroll_explicit() ? "explicit" : "auto");
		for (i = 0; i < (int)(sizeof(settings) / sizeof(settings[0])); i++)
			printf(", \"%s\": %lld", settings[i],
			       read_ll(DN_SYSFS "/%s", settings[i]));
		printf("},\n \"blade\": {");
		for (i = 0; i < (int)(sizeof(blade) / sizeof(blade[0])); i++)
			printf("%s\"%s\": %lld", i ? ", " : "", blade[i],
			       read_ll(DN_SYSFS "/blade/%s", blade[i]));
		printf("},\n \"stats\": {");
		for (i = 0, j = 0; i < ns; i++)
			if (stats[i]->d_name[0] != '.')
				printf("%s\"%s\": %lld", j++ ? ", " : "",
				       stats[i]->d_name,
				       read_ll(DN_SYSFS "/stats/%s", stats[i]->d_name));
		printf("},\n \"targets\": [");
		for (i = 0, j = 0; i < n; i++) {
			const char *pid = list[i]->d_name;
			size_t c;

			if (!is_pid(pid))
				continue;
			target_comm(pid, comm, sizeof(comm));
			printf("%s\n  {\"pid\": %s, \"comm\": ", j++ ? "," : "", pid);
			json_str(comm);
			for (c = 0; c < sizeof(tcounters) / sizeof(tcounters[0]); c++) {
				char fmt[300];

				snprintf(fmt, sizeof(fmt), DN_SYSFS "/targets/%s/%%s", pid);
				printf(", \"%s\": %lld", tcounters[c],
				       read_ll(fmt, tcounters[c]));
			}
			for (c = 0; c < 2; c++) {
				const char *sn = c ? "latency_ns" : "remote_pct";
				own = target_value(pid, sn, &v);
				printf(", \"%s\": %lld, \"%s_source\": \"%s\"", sn,
				       v, sn, own < 0 ? "?" : own ? "own" : "global");
			}
			printf(", \"remote_mib\": %lld",
			       read_ll(DN_SYSFS "/targets/%s/remote_mib", pid));
			printf("}");
		}
		printf("%s]}\n", j ? "\n " : "");
	} else {
		printf("node %lld: %lld MiB at %#llx, memory tier %d\n", nid,
		       size >> 20, start, tier);
		printf("settings: enroll=%s",
		       dn_launch_enroll_explicit() ? "explicit" : "auto");
		for (i = 0; i < (int)(sizeof(settings) / sizeof(settings[0])); i++)
			printf(" %s=%lld", settings[i],
			       read_ll(DN_SYSFS "/%s", settings[i]));
		printf("\nblade: %lld MiB, %lld MiB claimed by caps; %lld of %lld pages used, %lld refused\n",
		       read_ll(DN_SYSFS "/blade/%s", "capacity_mib"),
		       read_ll(DN_SYSFS "/blade/%s", "claimed_mib"),
		       read_ll(DN_SYSFS "/blade/%s", "used_pages"),
		       read_ll(DN_SYSFS "/blade/%s", "capacity_pages"),
		       read_ll(DN_SYSFS "/blade/%s", "refused_pages"));
		printf("stats:\n");
		for (i = 0; i < ns; i++)
			if (stats[i]->d_name[0] != '.')
				printf("  %-22s %lld\n", stats[i]->d_name,
				       read_ll(DN_SYSFS "/stats/%s", stats[i]->d_name));
		printf("targets:\n  %8s %-16s %10s %10s %7s %10s %10s %10s %10s %5s %11s %8s %10s\n",
		       "pid", "comm", "local", "remote", "remote%", "traps",
		       "promoted", "exchanged", "evicted", "pct", "latency_ns",
		       "cap_mib", "refused");
		for (i = 0; i < n; i++) {
			const char *pid = list[i]->d_name;
			char fmt[300];

			if (!is_pid(pid))
				continue;
			target_comm(pid, comm, sizeof(comm));
			snprintf(fmt, sizeof(fmt), DN_SYSFS "/targets/%s/%%s", pid);
			l = read_ll(fmt, "local_pages");
			r = read_ll(fmt, "remote_pages");
			v = l + r;
			printf("  %8s %-16s %10lld %10lld %7.2f %10lld %10lld %10lld %10lld",
			       pid, comm, l, r, v > 0 ? 100.0 * r / v : 0.0,
			       read_ll(fmt, "remote_faults"),
			       read_ll(fmt, "promotions"),
			       read_ll(fmt, "exchanges"),
			       read_ll(fmt, "evictions"));
			own = target_value(pid, "remote_pct", &v);
			printf(" %4lld%c", v, own > 0 ? '*' : ' ');
			own = target_value(pid, "latency_ns", &v);
			printf(" %10lld%c", v, own > 0 ? '*' : ' ');
			printf(" %8lld %10lld\n", read_ll(fmt, "remote_mib"),
			       read_ll(fmt, "refused_pages"));
			nown += own > 0;
		}
		if (nown)
			printf("  (* the target's own value; the others follow the global setting)\n");
	}
	for (i = 0; i < ns; i++)
		free(stats[i]);
	for (i = 0; i < n; i++)
		free(list[i]);
	free(stats);
	free(list);
	return 0;
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

/* A struct timeval in seconds. */
static double tv_s(const struct timeval *tv)
{
	return tv->tv_sec + tv->tv_usec / 1e6;
}

/*
 * The split of every target over time: one line per target and sample,
 * after one for the blade (blade/: its size, the MiB its targets' caps
 * claim, its pages used of all, the pages refused so far).  Rates are per
 * second since the target's previous line (blank on its first line); a
 * target's cap (remote_mib, "-" for none) and the pages it was refused
 * (refused_pages) end its line.
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
	printf("%8s %8s %10s %10s %7s %4s %9s %9s %9s %7s %9s\n", "time_s",
	       "pid", "local", "remote", "share%", "pct", "traps/s", "exch/s",
	       "evict/s", "cap_mib", "refused");
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
		if (read_ll(DN_SYSFS "/blade/%s", "capacity_mib") >= 0)
			printf("%8.2f %8s %lld MiB, %lld MiB claimed by caps; %lld of %lld pages used, %lld refused\n",
			       t - t0, "blade",
			       read_ll(DN_SYSFS "/blade/%s", "capacity_mib"),
			       read_ll(DN_SYSFS "/blade/%s", "claimed_mib"),
			       read_ll(DN_SYSFS "/blade/%s", "used_pages"),
			       read_ll(DN_SYSFS "/blade/%s", "capacity_pages"),
			       read_ll(DN_SYSFS "/blade/%s", "refused_pages"));
		for (i = 0, ncur = 0; i < n; i++) {
			const char *pid = list[i]->d_name;
			long long l, r, pct, cap, refused;
			char capcol[24];
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
			pct = read_ll(DN_SYSFS "/targets/%s/remote_pct", pid);
			cap = read_ll(DN_SYSFS "/targets/%s/remote_mib", pid);
			refused = read_ll(DN_SYSFS "/targets/%s/refused_pages", pid);
			if (cap)
				snprintf(capcol, sizeof(capcol), "%lld", cap);
			else
				snprintf(capcol, sizeof(capcol), "-");
			printf("%8.2f %8s %10lld %10lld %7.2f %4lld", t - t0, pid,
			       l, r, l + r > 0 ? 100.0 * r / (l + r) : 0.0, pct);
			for (j = 0; j < nprev && strcmp(prev[j].pid, pid); j++)
				;
			if (j < nprev && t > tprev)
				printf(" %9.0f %9.0f %9.0f",
				       (c->faults - prev[j].faults) / (t - tprev),
				       (c->exchanges - prev[j].exchanges) / (t - tprev),
				       (c->evictions - prev[j].evictions) / (t - tprev));
			else
				printf(" %9s %9s %9s", "-", "-", "-");
			printf(" %7s %9lld\n", capcol, refused);
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

/* System-wide counters whose change over a run dnctl run reports. */
static const char * const gcounters[] = {
	"remote_faults", "promotions", "exchanges", "evictions", "homecomings",
	"injected_delay_ns", "exchange_misses", "recounts", "worker_ns",
	"walk_errors",
};

#define DN_NG	(sizeof(gcounters) / sizeof(gcounters[0]))
#define DN_NT	(sizeof(tcounters) / sizeof(tcounters[0]))

/* A target with fewer anonymous pages is starting up: its sample is skipped. */
#define DN_RUN_MIN_PAGES	64

/* Mean, minimum and maximum of a series of shares (percent). */
struct share_acc {
	int n;
	double sum, min, max;
};

static void share_add(struct share_acc *a, double v)
{
	if (!a->n || v < a->min)
		a->min = v;
	if (!a->n || v > a->max)
		a->max = v;
	a->sum += v;
	a->n++;
}

/*
 * CPU time of the module's worker thread ("disagg_node", a kernel thread),
 * in ns, from /proc/PID/schedstat; -1 if it is not found.
 */
static long long worker_cpu_ns(void)
{
	char path[300], comm[32];
	long long ns = -1;
	struct dirent *d;
	DIR *proc;
	FILE *f;

	proc = opendir("/proc");
	if (!proc)
		return -1;
	while (ns < 0 && (d = readdir(proc))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f) || strcmp(comm, "disagg_node\n")) {
			fclose(f);
			continue;
		}
		fclose(f);
		snprintf(path, sizeof(path), "/proc/%s/schedstat", d->d_name);
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%lld", &ns) != 1)
				ns = -1;
			fclose(f);
		}
	}
	closedir(proc);
	return ns;
}

/* How dnctl run (or dn_run) launches the program, and what it reports. */
struct run_opts {
	const char *who;		/* in messages: "dnctl run", "dn_run" */
	struct dn_launch_set set;	/* the target's own settings, or NULL */
	int quiet;			/* no sampling, no report */
	int thp_off, do_register, born_remote;	/* dn_launch()'s steps */
};

/*
 * The settings given are in range, and can be written: the program is
 * registered.  Return: 0, 1 (out of range) or 2 (bad usage), with a message.
 */
static int run_check(const struct run_opts *o)
{
	if ((o->set.remote_pct && check_range("remote_pct", o->set.remote_pct)) ||
	    (o->set.latency_ns && check_range("latency_ns", o->set.latency_ns)) ||
	    (o->set.remote_mib && check_range("remote_mib", o->set.remote_mib)))
		return 1;
	if ((o->set.remote_pct || o->set.latency_ns || o->set.remote_mib) &&
	    !o->do_register) {
		fprintf(stderr, "%s: --remote-pct, --latency and --remote-mib set the program's own values, in targets/PID/: they need it registered (no --no-register)\n",
			o->who);
		return 2;
	}
	return 0;
}

/* --quiet (dn_run): launch with its settings, wait; nothing else. */
static int run_quiet(char **argv, const struct run_opts *o)
{
	int status, ret;
	pid_t child;

	ret = run_check(o);
	if (ret)
		return ret;
	child = dn_launch(o->who, argv, o->thp_off, o->do_register,
			  o->born_remote, &o->set);
	if (child < 0)
		return 127;
	if (waitpid(child, &status, 0) < 0) {
		fprintf(stderr, "%s: waitpid: %s\n", o->who, strerror(errno));
		return 127;
	}
	return dn_exit_code(status);
}

/*
 * Is @pid exiting, or gone?  Its state in /proc/PID/stat is Z (zombie) or X
 * (dead), or its address space is gone: /proc/PID/status has no VmRSS line
 * once exit has detached it (exit_mm(), before its pages are freed, the
 * local ones first of all), nor for a zombie.  Either file unreadable: gone.
 */
static int proc_exiting(pid_t pid)
{
	char path[64], line[512], *p;
	int state = 0, rss = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 1;
	/* "PID (COMM) S ...": COMM may hold ')', the last one ends it. */
	if (fgets(line, sizeof(line), f)) {
		p = strrchr(line, ')');
		if (p && p[1] == ' ')
			state = p[2];
	}
	fclose(f);
	if (!state || state == 'Z' || state == 'X' || state == 'x')
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return 1;
	while (!rss && fgets(line, sizeof(line), f))
		rss = !strncmp(line, "VmRSS:", 6);
	fclose(f);
	return !rss;
}

/*
 * Run argv as a target; report on stderr, when it ends, its wall time,
 * exit status, its counters at the last sample (every 100 ms while it runs:
 * the target is gone once it has exited), the remote share's mean, min and
 * max over the samples, and the system-wide counters' change over the run.
 *
 * The split is measured from the target's page tables, not from the
 * module's counters: at each sample, its private anonymous pages on the
 * remote node over all of them (/proc/PID/pagemap, dn_pagemap_split(),
 * which needs CAP_SYS_ADMIN), samples with fewer than DN_RUN_MIN_PAGES
 * such pages (startup) left out.  The module's own figure at the same
 * samples (targets/PID/local_pages and remote_pages, which count the same
 * pages) is reported beside it.  Samples taken while the program exits
 * (proc_exiting()), or, when it is registered, without the module's count
 * for it (targets/PID/ gone, or its split 0, as a dead target's reads) are
 * dropped, and counted: their split can be that of pages being freed.
 * --quiet: run_quiet().
 */
static int run(char **argv, const struct run_opts *o)
{
	long long g0[DN_NG], g1[DN_NG], last[DN_NT] = { 0 }, nid, cpu0, cpu1;
	int status, sampled = 0, skipped = 0, unreadable = 0, uncounted = 0, ret;
	int exiting = 0, nocount = 0;	/* the samples dropped */
	struct share_acc pages = { 0 }, mod = { 0 };
	double t0, t1, mod_local = 0, mod_remote = 0;
	struct rusage ru;
	char fmt[300];
	size_t i;
	pid_t child, w;

	if (o->quiet)
		return run_quiet(argv, o);
	nid = read_ll(DN_SYSFS "/%s", "node_id");
	if (nid < 0)
		return not_loaded();
	ret = run_check(o);
	if (ret)
		return ret;
	for (i = 0; i < DN_NG; i++)
		g0[i] = read_ll(DN_SYSFS "/stats/%s", gcounters[i]);
	cpu0 = worker_cpu_ns();
	t0 = now_s();
	child = dn_launch(o->who, argv, o->thp_off, o->do_register,
			  o->born_remote, &o->set);
	if (child < 0)
		return 127;
	snprintf(fmt, sizeof(fmt), DN_SYSFS "/targets/%d/%%s", child);
	while ((w = wait4(child, &status, WNOHANG, &ru)) == 0) {
		int whole = 1;	/* every file read: the target did not go meanwhile */
		long long v[DN_NT];
		long loc, rem, all;
		int mapped = !dn_pagemap_split(child, &loc, &rem);
		int counted, gone;

		all = loc + rem;
		for (i = 0; i < DN_NT; i++) {
			v[i] = read_ll(fmt, tcounters[i]);
			whole &= v[i] >= 0;
		}
		/*
		 * A sample taken while the program exits is dropped: its
		 * pages are being freed, the local ones first, and such a
		 * sample read up to 100 % remote.  Exiting is for good, so
		 * checked after the reads: if the program is not exiting now,
		 * it was not while they were made.  The module's count
		 * missing (targets/PID/ gone) or 0 (a dead target's split
		 * reads 0) says the same; without --no-register a live
		 * target with pages always has one.
		 */
		gone = proc_exiting(child);
		counted = whole && v[0] + v[1] > 0;
		if (!gone && counted) {
			memcpy(last, v, sizeof(v));
			sampled = 1;
		}
		if (gone) {
			exiting++;
		} else if (!mapped) {
			unreadable++;
		} else if (all < DN_RUN_MIN_PAGES) {
			skipped++;
		} else if (!counted && o->do_register) {
			nocount++;
		} else {
			share_add(&pages, 100.0 * rem / all);
			if (counted) {
				share_add(&mod, 100.0 * v[1] / (v[0] + v[1]));
				mod_local += v[0];
				mod_remote += v[1];
			} else {
				uncounted++;
			}
		}
		usleep(100000);
	}
	t1 = now_s();
	cpu1 = worker_cpu_ns();
	if (w < 0) {
		fprintf(stderr, "dnctl run: waitpid: %s\n", strerror(errno));
		return 127;
	}
	for (i = 0; i < DN_NG; i++)
		g1[i] = read_ll(DN_SYSFS "/stats/%s", gcounters[i]);
	/* Its own settings, as given, or the global ones it followed. */
	fprintf(stderr, "dnctl run: pid %d, %s %d, wall %.3f s, cpu %.3f s, remote_pct %lld%s, latency_ns %lld%s\n",
		child, WIFSIGNALED(status) ? "signal" : "exit",
		WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
		t1 - t0, tv_s(&ru.ru_utime) + tv_s(&ru.ru_stime),
		o->set.remote_pct ? atoll(o->set.remote_pct) :
		read_ll(DN_SYSFS "/%s", "remote_pct"),
		o->set.remote_pct ? "" : " (global)",
		o->set.latency_ns ? atoll(o->set.latency_ns) :
		read_ll(DN_SYSFS "/%s", "latency_ns"),
		o->set.latency_ns ? "" : " (global)");
	if (o->set.remote_mib)
		fprintf(stderr, "dnctl run: remote_mib %lld (its cap), refused_pages %lld at the last sample\n",
			atoll(o->set.remote_mib), last[DN_NT - 1]);
	if (sampled) {
		long long all = last[0] + last[1];

		fprintf(stderr, "dnctl run: target at last sample: remote %.2f %%",
			all > 0 ? 100.0 * last[1] / all : 0.0);
		for (i = 0; i < DN_NT; i++)
			fprintf(stderr, " %s=%lld", tcounters[i], last[i]);
		fprintf(stderr, "\n");
	} else {
		fprintf(stderr, "dnctl run: no sample of the target (it ended within 100 ms)\n");
	}
	if (pages.n) {
		fprintf(stderr, "dnctl run: split over %d samples: remote mean %.2f %%, min %.2f %%, max %.2f %%; %d dropped (%d exiting, %d without the module's count)\n",
			pages.n, pages.sum / pages.n, pages.min, pages.max,
			exiting + nocount, exiting, nocount);
		if (mod.n)
			fprintf(stderr, "dnctl run: the module's split over the same samples: remote mean %.2f %%, min %.2f %%, max %.2f %% (targets/%d/ local_pages mean %.0f, remote_pages mean %.0f), %d of the %d samples without its count\n",
				mod.sum / mod.n, mod.min, mod.max, child,
				mod_local / mod.n, mod_remote / mod.n,
				uncounted, pages.n);
		else
			fprintf(stderr, "dnctl run: the module's split over the same samples: none (targets/%d/ had no count at any of the %d samples)\n",
				child, pages.n);
	}
	fprintf(stderr, "dnctl run: the split is node %lld's share of the private anonymous pages in /proc/%d/pagemap: %d samples counted, %d skipped (fewer than %d such pages), %d unreadable, %d dropped (%d with the program exiting, %d without its count in targets/%d/)\n",
		nid, child, pages.n, skipped, DN_RUN_MIN_PAGES, unreadable,
		exiting + nocount, exiting, nocount, child);
	fprintf(stderr, "dnctl run: system-wide during the run:");
	for (i = 0; i < DN_NG; i++)
		fprintf(stderr, " %s=%lld", gcounters[i], g1[i] - g0[i]);
	fprintf(stderr, "\n");
	/*
	 * The worker's CPU time (its thread's), and its passes' wall time
	 * (stats/worker_ns), which also counts the time it waited for a CPU.
	 */
	for (i = 0; i < DN_NG && strcmp(gcounters[i], "worker_ns"); i++)
		;
	if (cpu0 >= 0 && cpu1 >= cpu0 && t1 > t0)
		fprintf(stderr, "dnctl run: worker %.3f %% of one CPU during the run (its thread's CPU time)",
			100.0 * (cpu1 - cpu0) / 1e9 / (t1 - t0));
	else
		fprintf(stderr, "dnctl run: worker CPU time unknown (no disagg_node thread)");
	if (i < DN_NG && t1 > t0)
		fprintf(stderr, "; its passes' wall time %.3f %%",
			100.0 * (g1[i] - g0[i]) / 1e9 / (t1 - t0));
	fprintf(stderr, "\n");
	return dn_exit_code(status);
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

/* Options that dnctl run and dn_run share; 1 if argv[i] was one. */
static int launch_opt(const char *arg, struct run_opts *o)
{
	if (!strcmp(arg, "--no-thp-off"))
		o->thp_off = 0;
	else if (!strcmp(arg, "--no-register"))
		o->do_register = 0;
	else if (!strcmp(arg, "--born-local"))
		o->born_remote = 0;
	else
		return 0;
	return 1;
}

/*
 * dn_run [--no-thp-off] [--no-register] [--born-local] [--] PROGRAM...:
 * as it always parsed its arguments (the first other word is PROGRAM).
 */
static int dn_run_main(int argc, char **argv)
{
	struct run_opts o = { .who = "dn_run", .quiet = 1, .thp_off = 1,
			      .do_register = 1, .born_remote = 1 };
	int i;

	for (i = 1; i < argc && launch_opt(argv[i], &o); i++)
		;
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (i >= argc) {
		fprintf(stderr, "usage: dn_run [--no-thp-off] [--no-register] [--born-local] -- PROGRAM [ARGS...]\n");
		return 2;
	}
	return run(argv + i, &o);
}

int main(int argc, char **argv)
{
	struct run_opts o = { .who = "dnctl run", .thp_off = 1,
			      .do_register = 1, .born_remote = 1 };
	const char *name = argc ? strrchr(argv[0], '/') : NULL;
	long ms = 1000, count = 0;
	int i;

	if (argc && !strcmp(name ? name + 1 : argv[0], "dn_run"))
		return dn_run_main(argc, argv);

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
	if (argc >= 2 && !strcmp(argv[1], "run")) {
		for (i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "--remote-pct") && i + 1 < argc)
				o.set.remote_pct = argv[++i];
			else if (!strcmp(argv[i], "--latency") && i + 1 < argc)
				o.set.latency_ns = argv[++i];
			else if (!strcmp(argv[i], "--remote-mib") && i + 1 < argc)
				o.set.remote_mib = argv[++i];
			else if (!strcmp(argv[i], "--quiet"))
				o.quiet = 1;
			else if (!launch_opt(argv[i], &o))
				break;
		}
		if (i + 1 >= argc || strcmp(argv[i], "--"))
			return usage();
		return run(argv + i + 1, &o);
	}
	if (argc >= 3 && !strcmp(argv[1], "tenant"))
		return tenant_main(argc, argv);
	if (argc == 2 && !strcmp(argv[1], "status"))
		return status(0);
	if (argc == 3 && !strcmp(argv[1], "status") && !strcmp(argv[2], "--json"))
		return status(1);
	if (argc == 3 && !strcmp(argv[1], "get") && valid_name(argv[2]))
		return show(argv[2], 0);
	if (argc == 4 && !strcmp(argv[1], "set") && valid_name(argv[2]))
		return set(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "target") && !strcmp(argv[2], "get") &&
	    is_pid(argv[3]) && target_setting(argv[4]))
		return target_get(argv[3], argv[4]);
	if (argc == 6 && !strcmp(argv[1], "target") && !strcmp(argv[2], "set") &&
	    is_pid(argv[3]) && target_setting(argv[4]))
		return target_set(argv[3], argv[4], argv[5]);
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage_to(stdout);
		return 0;
	}
	return usage();
}
