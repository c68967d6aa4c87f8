/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the disagg_node selftests: loading the module, reading
 * its sysfs files and the node's, watching the kernel log, and checking
 * where pages live.  Included after kselftest_harness.h.
 */
#ifndef _DN_LIB_H
#define _DN_LIB_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/mempolicy.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../tools/dn_pagemap.h"

#define DN_SYSFS	"/sys/kernel/mm/disagg_node"
#define DN_PAGE		4096UL

/* Run a shell command quietly; return its exit status (or -1). */
static inline int dn_sh(const char *fmt, ...)
{
	char cmd[512];
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

/* Run a shell command, its output into buf (NUL-terminated); its exit status. */
static inline int dn_capture(const char *cmd, char *buf, size_t len)
{
	size_t n = 0, k;
	FILE *f = popen(cmd, "r");
	int st;

	buf[0] = '\0';
	if (!f)
		return -1;
	while (n + 1 < len && (k = fread(buf + n, 1, len - 1 - n, f)) > 0)
		n += k;
	buf[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static inline int dn_load(const char *args)
{
	return dn_sh("modprobe disagg_node %s 2>/tmp/dn_modprobe.err", args);
}

/*
 * Unload.  The module refuses ("in use") while one of its task_works is
 * still pending on a task that has not yet returned to user mode.  Each
 * lasts a moment, but with threads of a target trapping all the time one
 * is pending most of the time (on a slow debug kernel, at most attempts),
 * so retry while the refusal is "in use" (EWOULDBLOCK), for up to 60 s.  Any other
 * error, or the time running out, is printed and returned.
 */
static inline int dn_unload(void)
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

static inline bool dn_loaded(void)
{
	return access("/sys/module/disagg_node", F_OK) == 0;
}

/* Read a whole small file into buf; return its length or -1. */
static inline ssize_t dn_read_file(const char *path, char *buf, size_t len)
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
static inline long long dn_read_ll(const char *fmt, ...)
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
static inline int dn_write_file(const char *path, const char *val)
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

/* Does a file contain a string? */
static inline bool dn_file_has(const char *path, const char *needle)
{
	static char buf[1 << 16];

	if (dn_read_file(path, buf, sizeof(buf)) < 0)
		return false;
	return strstr(buf, needle) != NULL;
}

/*
 * Kernel log watching: dn_kmsg_open() positions a /dev/kmsg reader at the
 * end; dn_kmsg_has() reads what was logged since and looks for a string.
 */
static inline int dn_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

static inline bool dn_kmsg_has(int fd, const char *needle)
{
	char rec[2048];
	bool found = false;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;
		rec[n] = '\0';
		if (strstr(rec, needle))
			found = true;
	}
	return found;
}

/* Node of each page of [p, p + len), by move_pages(2) query. */
static inline int dn_pages_node(void *p, size_t len, int *status)
{
	size_t i, n = len / DN_PAGE;
	void **pages = calloc(n, sizeof(void *));
	long ret;

	if (!pages)
		return -1;
	for (i = 0; i < n; i++)
		pages[i] = (char *)p + i * DN_PAGE;
	ret = syscall(SYS_move_pages, 0, n, pages, NULL, status, 0);
	free(pages);
	return ret ? -1 : 0;
}

/* How many pages of [p, p + len) are on node nid. */
static inline long dn_count_on_node(void *p, size_t len, int nid)
{
	size_t i, n = len / DN_PAGE;
	int *status = calloc(n, sizeof(int));
	long count = 0;

	if (!status || dn_pages_node(p, len, status)) {
		free(status);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (status[i] == nid)
			count++;
	free(status);
	return count;
}

/*
 * Pages on node nid from /proc/self/numa_maps, of the mapping that starts
 * at addr.
 */
static inline long dn_numa_maps_count(void *addr, int nid)
{
	char line[4096], key[16];
	unsigned long start;
	long pages = 0;
	FILE *f = fopen("/proc/self/numa_maps", "r");
	char *s;

	if (!f)
		return -1;
	snprintf(key, sizeof(key), " N%d=", nid);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx", &start) != 1 ||
		    start != (unsigned long)addr)
			continue;
		s = strstr(line, key);
		if (s)
			pages += strtol(s + strlen(key), NULL, 10);
		break;
	}
	fclose(f);
	return pages;
}

static inline long dn_numa_maps_pages(void *addr, int nid)
{
	return dn_numa_maps_count(addr, nid);
}


/*
 * This process's remote share in percent of the pages the module splits
 * (its private anonymous pages), from its page tables
 * (tools/dn_pagemap.h, as dnctl run measures a target); -1 if none or
 * unreadable.  @nid is the remote node, whose region the module reports.
 */
static inline double dn_anon_share(int nid)
{
	long local, remote;

	(void)nid;
	if (dn_pagemap_split(0, &local, &remote) || local + remote <= 0)
		return -1;
	return 100.0 * remote / (local + remote);
}

/* A "Key: N kB" field of the /proc/self/smaps entry starting at addr; -1 if none. */
static inline long long dn_smaps_kb(void *addr, const char *key)
{
	char line[512];
	unsigned long start, end;
	long long kb = -1;
	bool in = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			if (in)
				break;
			in = start == (unsigned long)addr;
			continue;
		}
		if (in && !strncmp(line, key, strlen(key))) {
			kb = strtoll(line + strlen(key), NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

/* Anonymous mapping bound to one node, not yet touched. */
static inline void *dn_map_on_node(size_t len, int nid)
{
	unsigned long mask = 1UL << nid;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (syscall(SYS_mbind, p, len, MPOL_BIND, &mask, 64, 0)) {
		munmap(p, len);
		return NULL;
	}
	return p;
}

/* Fill with a pattern unique to each word and the seed; then check it. */
static inline void dn_fill(void *p, size_t len, uint64_t seed)
{
	uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / sizeof(*w); i++)
		w[i] = (i * 0x9e3779b97f4a7c15ULL) ^ seed;
}

/* Return the number of words that differ from the pattern. */
static inline long dn_check(const void *p, size_t len, uint64_t seed)
{
	const uint64_t *w = p;
	size_t i;
	long bad = 0;

	for (i = 0; i < len / sizeof(*w); i++)
		if (w[i] != ((i * 0x9e3779b97f4a7c15ULL) ^ seed))
			bad++;
	return bad;
}

/* Lines of /proc/iomem that name the module: 0 when nothing is left. */
static inline int dn_iomem_entries(void)
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

/*
 * Load with args, expect failure with errno-text and a kernel log line
 * containing msg, and no residue: module absent, /proc/iomem clean, no
 * node with the module's memory.
 */
#define DN_EXPECT_LOAD_FAILS(args, msg) do {				\
	int __kfd = dn_kmsg_open();					\
	ASSERT_LE(0, __kfd);						\
	EXPECT_NE(0, dn_load(args));					\
	EXPECT_TRUE(dn_kmsg_has(__kfd, msg)) {				\
		TH_LOG("no kernel log line with '%s'", msg);		\
	}								\
	close(__kfd);							\
	EXPECT_FALSE(dn_loaded());					\
	EXPECT_EQ(0, dn_iomem_entries());				\
	if (dn_loaded())						\
		dn_unload();						\
} while (0)

/*
 * Remote-memory semantics (contract:
 * Documentation/ABI/testing/sysfs-kernel-mm-disagg_node): counters, the
 * debugfs test hooks, touching pages, timing and child processes.
 */
#define DN_DEBUGFS	"/sys/kernel/debug/disagg_node"
#define DN_PAGE_WORDS	(DN_PAGE / sizeof(uint64_t))

/* A counter from stats/; -1 if unreadable. */
static inline long long dn_stat(const char *name)
{
	return dn_read_ll(DN_SYSFS "/stats/%s", name);
}

/* A counter from targets/PID/; -1 if unreadable (e.g. not a target). */
static inline long long dn_target_stat(pid_t pid, const char *name)
{
	return dn_read_ll(DN_SYSFS "/targets/%d/%s", (int)pid, name);
}

/* Write a decimal value to a file; 0 or -errno of the write. */
static inline int dn_write_ll(const char *path, long long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", val);
	return dn_write_file(path, buf);
}

/* Set a sysfs knob (DN_SYSFS/name) or a debugfs one (DN_DEBUGFS/name). */
static inline int dn_set(const char *name, long long val)
{
	char path[256];

	snprintf(path, sizeof(path), DN_SYSFS "/%s", name);
	return dn_write_ll(path, val);
}

static inline int dn_debugfs_set(const char *name, long long val)
{
	char path[256];

	snprintf(path, sizeof(path), DN_DEBUGFS "/%s", name);
	return dn_write_ll(path, val);
}

/* Register a process as a target; 0 or -errno. */
static inline int dn_target_add(pid_t pid)
{
	return dn_write_ll(DN_SYSFS "/target_add", pid);
}

/*
 * Move the resident local pages of [addr, addr + len) of process pid to the
 * remote node now, protected (debugfs evict); 0 or -errno.  The number of
 * pages moved by the last such write is read back with dn_evict_moved().
 */
static inline int dn_evict(pid_t pid, void *addr, size_t len)
{
	char buf[96];

	snprintf(buf, sizeof(buf), "%d 0x%lx %zu", (int)pid,
		 (unsigned long)addr, len);
	return dn_write_file(DN_DEBUGFS "/evict", buf);
}

static inline long long dn_evict_moved(void)
{
	return dn_read_ll(DN_DEBUGFS "/evict");
}

/* Global counters that the remote-memory tests compare before and after. */
struct dn_counters {
	long long remote_faults;
	long long promotions;
	long long promotion_failures;
	long long evictions;
	long long homecomings;
	long long injected_delay_ns;
	long long reprotected;
	long long hook_protected;
	long long remote_full;
	long long exchanges;
};

/* Read them all; 0, or -1 if any is unreadable. */
static inline int dn_counters_read(struct dn_counters *c)
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

/* Every counter of stats/, by name: for a case's diagnostics. */
#define DN_STATS_MAX	64
struct dn_stats_all {
	int n;
	char name[DN_STATS_MAX][256];
	long long val[DN_STATS_MAX];
};

/* Read every counter of stats/ (at most DN_STATS_MAX). */
static inline void dn_stats_all_read(struct dn_stats_all *a)
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
static inline void dn_stats_all_print_delta(const char *tag,
					    const struct dn_stats_all *a)
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

/* Word i of the dn_fill() pattern for seed. */
static inline uint64_t dn_pattern(size_t i, uint64_t seed)
{
	return (i * 0x9e3779b97f4a7c15ULL) ^ seed;
}

/* One CPU read of each page: the first byte, through a volatile access. */
static inline void dn_touch_read(const void *p, size_t npages)
{
	const volatile char *c = p;
	size_t i;

	for (i = 0; i < npages; i++)
		(void)c[i * DN_PAGE];
}

/*
 * One CPU write to each page: its first word gets its dn_fill() pattern
 * value for seed, so a filled range keeps its content.
 */
static inline void dn_touch_write(void *p, size_t npages, uint64_t seed)
{
	volatile uint64_t *w = p;
	size_t i;

	for (i = 0; i < npages; i++)
		w[i * DN_PAGE_WORDS] = dn_pattern(i * DN_PAGE_WORDS, seed);
}

/*
 * Private anonymous mapping between two PROT_NONE guard pages, so that it
 * never merges with a neighbour and stays one line of numa_maps starting
 * at the returned address; bound to node nid if nid >= 0.  NULL on error.
 */
static inline void *dn_map_guarded(size_t len, int nid)
{
	char *g = mmap(NULL, len + 2 * DN_PAGE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long mask;
	char *p;

	if (g == MAP_FAILED)
		return NULL;
	p = g + DN_PAGE;
	if (mprotect(p, len, PROT_READ | PROT_WRITE))
		goto fail;
	if (nid >= 0) {
		mask = 1UL << nid;
		if (syscall(SYS_mbind, p, len, MPOL_BIND, &mask, 64, 0))
			goto fail;
	}
	return p;
fail:
	munmap(g, len + 2 * DN_PAGE);
	return NULL;
}

static inline int dn_unmap_guarded(void *p, size_t len)
{
	return munmap((char *)p - DN_PAGE, len + 2 * DN_PAGE);
}

/* A "Node N <key>: <value> kB" line of the node's meminfo; -1 if none. */
static inline long long dn_node_meminfo_kb(int nid, const char *key)
{
	char path[64], line[256], want[64];
	long long kb = -1, v;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo",
		 nid);
	snprintf(want, sizeof(want), "%s:", key);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char name[64];

		if (sscanf(line, "Node %*d %63s %lld", name, &v) == 2 &&
		    !strcmp(name, want)) {
			kb = v;
			break;
		}
	}
	fclose(f);
	return kb;
}

static inline long long dn_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void dn_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* One byte over a pipe between a test and its child; 0 or -errno. */
static inline int dn_send(int fd, char c)
{
	return write(fd, &c, 1) == 1 ? 0 : -EPIPE;
}

/*
 * Wait up to timeout_ms for one byte on fd: the byte (0..255), -ETIMEDOUT,
 * -EPIPE when the other end is closed, or another -errno.
 */
static inline int dn_recv(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	unsigned char c;
	ssize_t n;
	int ret;

	do
		ret = poll(&pfd, 1, timeout_ms);
	while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return -ETIMEDOUT;
	n = read(fd, &c, 1);
	if (n == 1)
		return c;
	return n == 0 ? -EPIPE : -errno;
}

/*
 * Wait at most timeout_ms for a child to end.  *status gets the wait status.
 * 0 if it ended, -ETIMEDOUT if it still runs, -errno if waitpid failed.
 */
static inline int dn_wait_child(pid_t pid, long timeout_ms, int *status)
{
	long long end = dn_now_ns() + timeout_ms * 1000000LL;
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (dn_now_ns() >= end)
			return -ETIMEDOUT;
		dn_sleep_ms(10);
	}
}

/*
 * Reap a child, waiting at most timeout_ms before killing it (SIGKILL) and
 * reaping it anyway.  *status gets the wait status.  0 if it ended by
 * itself, -ETIMEDOUT if it had to be killed, -errno if waitpid failed.
 */
static inline int dn_reap(pid_t pid, long timeout_ms, int *status)
{
	int ret = dn_wait_child(pid, timeout_ms, status);
	pid_t r;

	if (ret != -ETIMEDOUT)
		return ret;
	kill(pid, SIGKILL);
	while ((r = waitpid(pid, status, 0)) < 0 && errno == EINTR)
		;
	return r == pid ? -ETIMEDOUT : -errno;
}

/* Did a reaped child exit normally with status 0? */
static inline bool dn_exited_ok(int reap_ret, int status)
{
	return reap_ret == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

#endif /* _DN_LIB_H */
