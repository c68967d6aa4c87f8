// SPDX-License-Identifier: GPL-2.0
/*
 * The module and its files: loading, sysfs and debugfs, counters.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dn_module.h"

/* Run a shell command quietly; return its exit status (or -1). */
int dn_sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/*
 * Run a shell command, its output into buf (NUL-terminated, cut at len);
 * its exit status, or -1.
 */
int dn_capture(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = 0, k;
	char cmd[1024];
	va_list ap;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	buf[0] = '\0';
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (n + 1 < len && (k = fread(buf + n, 1, len - 1 - n, f)) > 0)
		n += k;
	buf[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Read a whole small file into buf; return its length or -1. */
ssize_t dn_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* Read an integer (decimal or 0x hex) from a file; -1 if unreadable. */
long long dn_read_ll(const char *fmt, ...)
{
	char path[256], buf[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (dn_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	return strtoll(buf, NULL, 0);
}

/* Write a string to a file; return 0 or -errno of the write. */
int dn_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Write a decimal value to a file; 0 or -errno of the write. */
int dn_write_ll(const char *path, long long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", val);
	return dn_write_file(path, buf);
}

/* Does a file contain a string? */
bool dn_file_has(const char *path, const char *needle)
{
	static char buf[1 << 16];

	if (dn_read_file(path, buf, sizeof(buf)) < 0)
		return false;
	return strstr(buf, needle) != NULL;
}

/* Was the machine booted with a memmap= reservation for the node? */
bool dn_configured(void)
{
	return dn_file_has("/proc/cmdline", "memmap=");
}

int dn_load(const char *args)
{
	return dn_sh("modprobe disagg_node %s 2>/tmp/dn_modprobe.err", args);
}

/*
 * Unload.  The module refuses ("in use") while one of its task_works is
 * still pending on a task that has not yet returned to user mode.  Each
 * lasts a moment, but with threads of a target trapping all the time one
 * is pending most of the time (on a slow debug kernel, at most attempts),
 * so retry while the refusal is "in use" (EWOULDBLOCK), for up to 60 s.
 * Any other error, or the time running out, is printed and returned.
 */
int dn_unload(void)
{
	char err[256] = "";
	int i, st = -1;
	FILE *f;

	for (i = 0; i < 600; i++) {
		st = dn_sh("modprobe -r disagg_node 2>/tmp/dn_modprobe.err");
		if (!st || access("/sys/module/disagg_node", F_OK))
			return st;
		err[0] = '\0';
		f = fopen("/tmp/dn_modprobe.err", "r");
		if (f) {
			if (!fgets(err, sizeof(err), f))
				err[0] = '\0';
			fclose(f);
		}
		/* kmod: "in use"; busybox: EWOULDBLOCK's message */
		if (!strstr(err, "in use") &&
		    !strstr(err, "temporarily unavailable"))
			break;
		usleep(100000);
	}
	fprintf(stderr, "# modprobe -r failed after %d attempt(s): %s\n",
		i < 600 ? i + 1 : i, err[0] ? err : "(no message)\n");
	return st;
}

bool dn_loaded(void)
{
	return access("/sys/module/disagg_node", F_OK) == 0;
}

/*
 * Has the loaded module its debugfs directory (the test hooks)?  debugfs
 * is mounted first if the guest has not, so that an unmounted debugfs is
 * not taken for a module without it.
 */
bool dn_debugfs_ready(void)
{
	if (!dn_file_has("/proc/mounts", " /sys/kernel/debug debugfs "))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	return access(DN_DEBUGFS, F_OK) == 0;
}

/* Lines of /proc/iomem that name the module: 0 when nothing is left. */
int dn_iomem_entries(void)
{
	char line[256];
	int n = 0;
	FILE *f = fopen("/proc/iomem", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "disagg_node"))
			n++;
	fclose(f);
	return n;
}

/* A counter from stats/; -1 if unreadable. */
long long dn_stat(const char *name)
{
	return dn_read_ll(DN_SYSFS "/stats/%s", name);
}

/* A counter from targets/PID/; -1 if unreadable (e.g. not a target). */
long long dn_target_stat(pid_t pid, const char *name)
{
	return dn_read_ll(DN_SYSFS "/targets/%d/%s", (int)pid, name);
}

/* Set a sysfs knob (DN_SYSFS/name); 0 or -errno. */
int dn_set(const char *name, long long val)
{
	char path[256];

	snprintf(path, sizeof(path), DN_SYSFS "/%s", name);
	return dn_write_ll(path, val);
}

/* Set a debugfs file (DN_DEBUGFS/name); 0 or -errno. */
int dn_debugfs_set(const char *name, long long val)
{
	char path[256];

	snprintf(path, sizeof(path), DN_DEBUGFS "/%s", name);
	return dn_write_ll(path, val);
}

/* Register a process as a target; 0 or -errno. */
int dn_target_add(pid_t pid)
{
	return dn_write_ll(DN_SYSFS "/target_add", pid);
}

/*
 * Move the resident local pages of [addr, addr + len) of process pid to the
 * remote node now, protected (debugfs evict); 0 or -errno.  The number of
 * pages moved by the last such write is read back with dn_evict_moved().
 */
int dn_evict(pid_t pid, void *addr, size_t len)
{
	char buf[96];

	snprintf(buf, sizeof(buf), "%d 0x%lx %zu", (int)pid,
		 (unsigned long)addr, len);
	return dn_write_file(DN_DEBUGFS "/evict", buf);
}

long long dn_evict_moved(void)
{
	return dn_read_ll(DN_DEBUGFS "/evict");
}

/*
 * One balancing pass over every target, now, paused or not (debugfs
 * run_pass, with a full recount of each): returns when it is done.
 * 0 or -errno.
 */
int dn_run_pass(void)
{
	return dn_debugfs_set("run_pass", 1);
}

/* Read every counter of struct dn_counters; 0, or -1 if any is unreadable. */
int dn_counters_read(struct dn_counters *c)
{
	c->remote_faults = dn_stat("remote_faults");
	c->promotions = dn_stat("promotions");
	c->promotion_failures = dn_stat("promotion_failures");
	c->evictions = dn_stat("evictions");
	c->homecomings = dn_stat("homecomings");
	c->injected_delay_ns = dn_stat("injected_delay_ns");
	c->reprotected = dn_stat("reprotected");
	c->hook_protected = dn_stat("hook_protected");
	c->remote_full = dn_stat("remote_full");
	c->exchanges = dn_stat("exchanges");
	return c->remote_faults < 0 || c->promotions < 0 ||
	       c->promotion_failures < 0 || c->evictions < 0 ||
	       c->homecomings < 0 || c->injected_delay_ns < 0 ||
	       c->reprotected < 0 || c->hook_protected < 0 ||
	       c->remote_full < 0 || c->exchanges < 0 ? -1 : 0;
}

/*
 * Page migrations from @a to @b, either way and by either agent:
 * promotions and exchanges (the fault path), evictions and homecomings
 * (the worker).
 */
long long dn_counters_moved(const struct dn_counters *a,
			    const struct dn_counters *b)
{
	return b->promotions - a->promotions + b->evictions - a->evictions +
	       b->exchanges - a->exchanges + b->homecomings - a->homecomings;
}

/*
 * dn_run_passes_until_still() - run balancing passes (run_pass) until one
 * moves no page: none migrated (dn_counters_moved()) from before the pass
 * to after it, by anyone, the caller's own traps included.  The worker
 * then has nothing left to do either: its passes compute the same plan.
 *
 * Return: the passes run, or -1 if pages still moved after @max_passes or
 * a file could not be read or written.
 */
int dn_run_passes_until_still(int max_passes)
{
	struct dn_counters a, b;
	int i;

	for (i = 1; i <= max_passes; i++) {
		if (dn_counters_read(&a) || dn_run_pass() ||
		    dn_counters_read(&b))
			return -1;
		if (!dn_counters_moved(&a, &b))
			return i;
	}
	return -1;
}

/* Read every counter of stats/ (at most DN_STATS_MAX). */
void dn_stats_all_read(struct dn_stats_all *a)
{
	struct dirent *e;
	DIR *d = opendir(DN_SYSFS "/stats");

	a->n = 0;
	if (!d)
		return;
	while ((e = readdir(d)) && a->n < DN_STATS_MAX) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(a->name[a->n], sizeof(a->name[0]), "%s", e->d_name);
		a->val[a->n] = dn_stat(e->d_name);
		a->n++;
	}
	closedir(d);
}

/* Print, on one line after @tag, the counters that changed since @a. */
void dn_stats_all_print_delta(const char *tag, const struct dn_stats_all *a)
{
	struct dn_stats_all b;
	int i, j;

	dn_stats_all_read(&b);
	printf("# %s:", tag);
	for (j = 0; j < b.n; j++)
		for (i = 0; i < a->n; i++)
			if (!strcmp(a->name[i], b.name[j]) &&
			    b.val[j] != a->val[i])
				printf(" %s=%lld", b.name[j],
				       b.val[j] - a->val[i]);
	printf("\n");
	fflush(stdout);
}

/*
 * cgroup2 at /sys/fs/cgroup, and the cgroup directory @dir in it.  The
 * test guest mounts no cgroup file system: the cgroup cases mount cgroup2
 * there, but only on an empty directory (a host with cgroup v1
 * hierarchies there skips, untouched).
 */
bool dn_cgroup_ready(const char *dir)
{
	if (access("/sys/fs/cgroup/cgroup.procs", F_OK)) {
		if (dn_sh("test -z \"$(ls -A /sys/fs/cgroup)\"") ||
		    mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL))
			return false;
	}
	return !mkdir(dir, 0755) || errno == EEXIST;
}

/*
 * The tenants/ID/ directory of the cgroup tenant for @cgroup (its path
 * under /sys/fs/cgroup, as written to tenant_add) into @dir; 0, or -1.
 */
int dn_tenant_dir(const char *cgroup, char *dir, size_t len)
{
	char out[256];

	if (dn_capture(out, sizeof(out),
		       "grep -lx '%s' %s/tenants/*/cgroup 2>/dev/null",
		       cgroup, DN_SYSFS) || !out[0])
		return -1;
	out[strcspn(out, "\n")] = 0;
	snprintf(dir, len, "%.*s", (int)(strlen(out) - strlen("/cgroup")), out);
	return 0;
}
