/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The split of a process's memory, read from its page tables: the set of
 * pages the module splits (a target's private anonymous pages: heap,
 * stack, anonymous mmap, and the pages copied on write in private file
 * mappings, what the kernel counts in MM_ANONPAGES) and, of those, the
 * ones on the remote node.  Shared by dnctl run and the selftests, so that
 * both measure what the module's local_pages and remote_pages count.
 *
 * /proc/PID/maps gives the ranges, /proc/PID/pagemap each page: present
 * (bit 63; a PROT_NONE page is present), not a file or shared-memory page
 * (bit 61 clear), and its PFN (bits 0-54), which is on the remote node if
 * its address falls in the node's region (region_start, region_size in
 * /sys/kernel/mm/disagg_node).  The kernel shows PFNs to CAP_SYS_ADMIN
 * only: a reader without it gets -EPERM.
 */
#ifndef DN_PAGEMAP_H
#define DN_PAGEMAP_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

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

/*
 * Count @pid's private anonymous pages (0: this process) into *@local and
 * *@remote.  Return: 0, -EPERM without CAP_SYS_ADMIN, -ENODEV without the
 * module, or -1 if the process could not be read (it is gone).
 */
static inline int dn_pagemap_split(pid_t pid, long *local, long *remote)
{
	long long rstart = dn_pm_sysfs("region_start");
	long long rsize = dn_pm_sysfs("region_size");
	unsigned long long start, end, addr, e[DN_PM_BATCH], phys;
	char path[64], *line = NULL;
	size_t cap = 0;
	int fd, ret = 0;
	ssize_t got;
	size_t i, n;
	FILE *maps;

	*local = 0;
	*remote = 0;
	if (rstart < 0 || rsize <= 0)
		return -ENODEV;
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	maps = fopen(path, "r");
	if (!maps)
		return -1;
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/pagemap");
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fclose(maps);
		return -1;
	}
	while (!ret && getline(&line, &cap, maps) > 0) {
		if (sscanf(line, "%llx-%llx", &start, &end) != 2 ||
		    start >= DN_PM_USER_END)
			continue;
		for (addr = start; addr < end && !ret; addr += n * 4096) {
			n = (end - addr) / 4096;
			if (n > DN_PM_BATCH)
				n = DN_PM_BATCH;
			got = pread(fd, e, n * sizeof(e[0]), addr / 4096 * sizeof(e[0]));
			if (got < 0) {
				ret = -1;
				break;
			}
			n = got / sizeof(e[0]);
			if (!n)
				break;
			for (i = 0; i < n; i++) {
				if (!(e[i] & DN_PM_PRESENT) || (e[i] & DN_PM_FILE))
					continue;
				if (!(e[i] & DN_PM_PFN)) {
					ret = -EPERM;
					break;
				}
				phys = (e[i] & DN_PM_PFN) * 4096;
				if (phys >= (unsigned long long)rstart &&
				    phys - rstart < (unsigned long long)rsize)
					(*remote)++;
				else
					(*local)++;
			}
		}
	}
	free(line);
	close(fd);
	fclose(maps);
	return ret;
}

#endif
