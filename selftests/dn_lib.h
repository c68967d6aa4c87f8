/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the disagg_node selftests: loading the module, reading
 * its sysfs files and the node's, watching the kernel log, and checking
 * where pages live.  Included after kselftest_harness.h.
 */
#ifndef _DN_LIB_H
#define _DN_LIB_H

#include <errno.h>
#include <fcntl.h>
#include <linux/mempolicy.h>
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
#include <unistd.h>

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

static inline int dn_load(const char *args)
{
	return dn_sh("modprobe disagg_node %s 2>/tmp/dn_modprobe.err", args);
}

static inline int dn_unload(void)
{
	return dn_sh("modprobe -r disagg_node 2>/tmp/dn_modprobe.err");
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

/* Pages of the mapping at addr on node nid, from /proc/self/numa_maps. */
static inline long dn_numa_maps_pages(void *addr, int nid)
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
		if (sscanf(line, "%lx", &start) != 1 || start != (unsigned long)addr)
			continue;
		s = strstr(line, key);
		if (s)
			pages = strtol(s + strlen(key), NULL, 10);
		break;
	}
	fclose(f);
	return pages;
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

#endif /* _DN_LIB_H */
