/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a process's pages are, read from its page tables, for the tools,
 * the workloads and the selftests.
 *
 * /proc/PID/pagemap gives, per page of a range: present (bit 63; a
 * PROT_NONE page is present: the module's remote pages are, and
 * move_pages(2) cannot always see them, 6.1 answers -ENOENT), a file or
 * shared-memory page (bit 61), and its PFN (bits 0-54).  The kernel shows
 * PFNs to CAP_SYS_ADMIN only: a reader without it gets -EPERM here.
 *
 * dn_pagemap_split(): the split of a process, as the module counts it:
 * its private anonymous pages (heap, stack, anonymous mmap, and the pages
 * copied on write in private file mappings, what the kernel counts in
 * MM_ANONPAGES) over /proc/PID/maps, and of those the ones whose PFN is
 * in the node's region (region_start, region_size in
 * /sys/kernel/mm/disagg_node).  dnctl run and the selftests measure the
 * split with it, so that they measure what the module's local_pages and
 * remote_pages count.
 *
 * dn_pagemap_nodes(): the private anonymous pages of one range of a
 * process per NUMA node, each PFN's node found from the memory blocks
 * each node lists (/sys/devices/system/node/nodeN/memoryM, block M being
 * PFNs [M, M + 1) * block_size_bytes / 4096): with or without the module,
 * while its node comes and goes.
 */
#ifndef DN_PAGEMAP_H
#define DN_PAGEMAP_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define DN_PM_PAGE	4096ULL
#define DN_PM_PRESENT	(1ULL << 63)
#define DN_PM_FILE	(1ULL << 61)
#define DN_PM_PFN	((1ULL << 55) - 1)
#define DN_PM_BATCH	512		/* entries per read */
#define DN_PM_USER_END	0x800000000000ULL	/* above: [vsyscall] */

/* A number from /sys/kernel/mm/disagg_node/NAME, or -1. */
static inline long long dn_pm_sysfs(const char *name)
{
	char path[128];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/mm/disagg_node/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lli", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* /proc/PID/NAME, or /proc/self/NAME for pid 0. */
static inline void dn_pm_path(char *path, size_t len, pid_t pid,
			      const char *name)
{
	if (pid)
		snprintf(path, len, "/proc/%d/%s", (int)pid, name);
	else
		snprintf(path, len, "/proc/self/%s", name);
}

/*
 * Call @fn(@pfn, @arg) for each present private anonymous page of
 * [start, end) in @fd (an open pagemap); add to *@absent (if not NULL) the
 * pages not present.  Return: 0, -EPERM if the PFNs are hidden, or -1 if
 * the pagemap could not be read.
 */
static inline int dn_pm_range(int fd, unsigned long long start,
			      unsigned long long end,
			      void (*fn)(unsigned long long pfn, void *arg),
			      void *arg, long *absent)
{
	unsigned long long addr, e[DN_PM_BATCH];
	ssize_t got;
	size_t i, n;

	for (addr = start; addr < end; addr += n * DN_PM_PAGE) {
		n = (end - addr) / DN_PM_PAGE;
		if (n > DN_PM_BATCH)
			n = DN_PM_BATCH;
		got = pread(fd, e, n * sizeof(e[0]),
			    addr / DN_PM_PAGE * sizeof(e[0]));
		if (got < 0)
			return -1;
		n = got / sizeof(e[0]);
		if (!n)
			break;
		for (i = 0; i < n; i++) {
			if (!(e[i] & DN_PM_PRESENT)) {
				if (absent)
					(*absent)++;
				continue;
			}
			if (e[i] & DN_PM_FILE)
				continue;
			if (!(e[i] & DN_PM_PFN))
				return -EPERM;
			fn(e[i] & DN_PM_PFN, arg);
		}
	}
	return 0;
}

/* The region's PFNs and the split counted against them. */
struct dn_pm_split {
	unsigned long long first, last;	/* the region's PFNs, inclusive */
	long local, remote;
};

static inline void dn_pm_split_one(unsigned long long pfn, void *arg)
{
	struct dn_pm_split *s = arg;

	if (pfn >= s->first && pfn <= s->last)
		s->remote++;
	else
		s->local++;
}

/*
 * Count @pid's private anonymous pages (0: this process) into *@local and
 * *@remote.  Return: 0, -EPERM without CAP_SYS_ADMIN, -ENODEV without the
 * module, or -1 if the process could not be read (it is gone).
 */
static inline int dn_pagemap_split(pid_t pid, long *local, long *remote)
{
	long long rstart = dn_pm_sysfs("region_start");
	long long rsize = dn_pm_sysfs("region_size");
	unsigned long long start, end;
	struct dn_pm_split s = { 0 };
	char path[64], *line = NULL;
	size_t cap = 0;
	int fd, ret = 0;
	FILE *maps;

	*local = 0;
	*remote = 0;
	if (rstart < 0 || rsize <= 0)
		return -ENODEV;
	s.first = rstart / DN_PM_PAGE;
	s.last = (rstart + rsize) / DN_PM_PAGE - 1;
	dn_pm_path(path, sizeof(path), pid, "maps");
	maps = fopen(path, "r");
	if (!maps)
		return -1;
	dn_pm_path(path, sizeof(path), pid, "pagemap");
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fclose(maps);
		return -1;
	}
	while (!ret && getline(&line, &cap, maps) > 0) {
		if (sscanf(line, "%llx-%llx", &start, &end) != 2 ||
		    start >= DN_PM_USER_END)
			continue;
		ret = dn_pm_range(fd, start, end, dn_pm_split_one, &s, NULL);
	}
	free(line);
	close(fd);
	fclose(maps);
	*local = s.local;
	*remote = s.remote;
	return ret;
}

/* The node of each memory block, and the pages counted per node. */
struct dn_pm_nodes {
	unsigned long long block_pages;	/* pages per memory block */
	long nblocks;			/* entries of nid[] */
	int *nid;			/* by block: node, -1 none, -2 several */
	long *per_node;			/* the caller's, max_nodes entries */
	int max_nodes;
	long other;			/* pages of no known node */
};

/*
 * Fill @m->nid from /sys/devices/system/node/nodeN/memoryM.  Return: 0, or
 * -ENODEV if there is no memory block in sysfs (no memory hotplug).
 */
static inline int dn_pm_nodes_read(struct dn_pm_nodes *m)
{
	char path[300], buf[32];
	struct dirent *dn, *dm;
	DIR *nodes, *node;
	long block, i;
	int nid, *grown;
	FILE *f;

	m->nid = NULL;
	m->nblocks = 0;
	f = fopen("/sys/devices/system/memory/block_size_bytes", "r");
	if (!f)
		return -ENODEV;
	m->block_pages = fgets(buf, sizeof(buf), f) ?
			 strtoull(buf, NULL, 16) / DN_PM_PAGE : 0;
	fclose(f);
	nodes = opendir("/sys/devices/system/node");
	if (!m->block_pages || !nodes) {
		if (nodes)
			closedir(nodes);
		return -ENODEV;
	}
	while ((dn = readdir(nodes))) {
		if (sscanf(dn->d_name, "node%d", &nid) != 1)
			continue;
		snprintf(path, sizeof(path), "/sys/devices/system/node/%s",
			 dn->d_name);
		node = opendir(path);
		if (!node)
			continue;
		while ((dm = readdir(node))) {
			if (sscanf(dm->d_name, "memory%ld", &block) != 1 ||
			    block < 0)
				continue;
			if (block >= m->nblocks) {
				grown = realloc(m->nid, (block + 1) * sizeof(*grown));
				if (!grown)
					continue;
				for (i = m->nblocks; i <= block; i++)
					grown[i] = -1;
				m->nid = grown;
				m->nblocks = block + 1;
			}
			m->nid[block] = m->nid[block] == -1 ? nid : -2;
		}
		closedir(node);
	}
	closedir(nodes);
	return m->nblocks ? 0 : -ENODEV;
}

static inline void dn_pm_nodes_one(unsigned long long pfn, void *arg)
{
	struct dn_pm_nodes *m = arg;
	unsigned long long block = pfn / m->block_pages;
	int nid = block < (unsigned long long)m->nblocks ? m->nid[block] : -1;

	if (nid >= 0 && nid < m->max_nodes)
		m->per_node[nid]++;
	else
		m->other++;
}

/*
 * Count the private anonymous pages of [@start, @start + @len) of @pid (0:
 * this process) per node: @per_node[N] for node N < @max_nodes, *@other
 * those whose PFN is in no memory block of a single node, *@absent the
 * pages not present.  Return: 0, -EPERM without CAP_SYS_ADMIN, -ENODEV
 * without memory blocks in sysfs, -1 if the process could not be read.
 */
static inline int dn_pagemap_nodes(pid_t pid, const void *start, size_t len,
				   long *per_node, int max_nodes, long *other,
				   long *absent)
{
	unsigned long long a = (uintptr_t)start / DN_PM_PAGE * DN_PM_PAGE;
	unsigned long long z = ((uintptr_t)start + len + DN_PM_PAGE - 1) /
			       DN_PM_PAGE * DN_PM_PAGE;
	struct dn_pm_nodes m = { .per_node = per_node, .max_nodes = max_nodes };
	char path[64];
	int fd, ret;

	memset(per_node, 0, max_nodes * sizeof(*per_node));
	*other = 0;
	*absent = 0;
	ret = dn_pm_nodes_read(&m);
	if (ret)
		return ret;
	dn_pm_path(path, sizeof(path), pid, "pagemap");
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		free(m.nid);
		return -1;
	}
	ret = dn_pm_range(fd, a, z, dn_pm_nodes_one, &m, absent);
	close(fd);
	free(m.nid);
	*other = m.other;
	return ret;
}

#endif
