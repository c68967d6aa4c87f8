// SPDX-License-Identifier: GPL-2.0
/*
 * Memory of the selftests: placement, where pages are, data patterns.
 */
#include <linux/mempolicy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dn_mem.h"
#include "../../tools/dn_pagemap.h"

/* Node of each page of [p, p + len), by move_pages(2) query. */
int dn_pages_node(void *p, size_t len, int *status)
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

/* How many pages of [p, p + len) are on node nid; -1 on error. */
long dn_count_on_node(void *p, size_t len, int nid)
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
 * at addr; -1 if unreadable.
 */
long dn_numa_maps_pages(void *addr, int nid)
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

/* A "Key: N kB" field of the /proc/self/smaps entry starting at addr; -1 if none. */
long long dn_smaps_kb(void *addr, const char *key)
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

/* A "Node N <key>: <value> kB" line of the node's meminfo; -1 if none. */
long long dn_node_meminfo_kb(int nid, const char *key)
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

/*
 * Process @pid's (0: this process's) private anonymous pages on the local
 * and on the remote node, from its page tables (tools/dn_pagemap.h); 0 or
 * -1.
 */
int dn_pid_split(pid_t pid, long *local, long *remote)
{
	return dn_pagemap_split(pid, local, remote);
}

/*
 * Process @pid's (0: this process's) remote share in percent of the pages
 * the module splits (its private anonymous pages), from its page tables
 * (tools/dn_pagemap.h, as dnctl run measures a target); -1 if it has none
 * or they are unreadable.
 */
double dn_pid_share(pid_t pid)
{
	long local, remote;

	if (dn_pid_split(pid, &local, &remote) || local + remote <= 0)
		return -1;
	return 100.0 * remote / (local + remote);
}

/* This process's split and share: dn_pid_split(0), dn_pid_share(0). */
int dn_anon_split(long *local, long *remote)
{
	return dn_pid_split(0, local, remote);
}

double dn_anon_share(void)
{
	return dn_pid_share(0);
}

/* Anonymous mapping bound to one node (MPOL_BIND), not yet touched. */
void *dn_map_on_node(size_t len, int nid)
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

/*
 * Private anonymous mapping between two PROT_NONE guard pages, so that it
 * never merges with a neighbour and stays one line of numa_maps starting
 * at the returned address; bound to node nid if nid >= 0.  NULL on error.
 */
void *dn_map_guarded(size_t len, int nid)
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

int dn_unmap_guarded(void *p, size_t len)
{
	return munmap((char *)p - DN_PAGE, len + 2 * DN_PAGE);
}

/* Fill with the pattern of seed (dn_pattern()), every word. */
void dn_fill(void *p, size_t len, uint64_t seed)
{
	uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / sizeof(*w); i++)
		w[i] = dn_pattern(i, seed);
}

/* The number of words that differ from the pattern of seed. */
long dn_check(const void *p, size_t len, uint64_t seed)
{
	const uint64_t *w = p;
	size_t i;
	long bad = 0;

	for (i = 0; i < len / sizeof(*w); i++)
		if (w[i] != dn_pattern(i, seed))
			bad++;
	return bad;
}

/* One CPU read of each page: the first byte, through a volatile access. */
void dn_touch_read(const void *p, size_t npages)
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
void dn_touch_write(void *p, size_t npages, uint64_t seed)
{
	volatile uint64_t *w = p;
	size_t i;

	for (i = 0; i < npages; i++)
		w[i * DN_PAGE_WORDS] = dn_pattern(i * DN_PAGE_WORDS, seed);
}
