// SPDX-License-Identifier: GPL-2.0
/*
 * dn_touch - allocate memory, write a pattern, read it back, and report on
 * which NUMA nodes the pages live.  Run it under numactl --membind to put a
 * workload on the remote node.
 *
 * Placement is read from the page tables (/proc/self/pagemap, each PFN's
 * node from the memory blocks the nodes list in sysfs:
 * tools/dn_pagemap.h), which see the module's remote pages although they
 * are mapped PROT_NONE.  Without CAP_SYS_ADMIN (pagemap then hides PFNs)
 * or without memory blocks in sysfs, it asks move_pages(2), which cannot
 * see every PROT_NONE page (6.1 answers -ENOENT for them).
 *
 * Usage: dn_touch [--mb N] [--passes N] [--expect-node NID] [--hold SEC]
 * --hold: after the passes, report placement, keep the memory for SEC
 * seconds, then check the data and report placement again (to watch pages
 * move while the memory is held, e.g. across "modprobe -r disagg_node").
 * Exit status: 0 when the data is intact (and every page is on NID if
 * --expect-node is given, checked before any hold), 1 otherwise, 2 on bad
 * usage.
 */
#include <getopt.h>
#include <sys/syscall.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../tools/dn_pagemap.h"

#define MAX_NODES 64

static void usage(void)
{
	fprintf(stderr, "usage: dn_touch [--mb N] [--passes N] [--expect-node NID] [--hold SEC]\n");
	exit(2);
}

/*
 * Fill per_node from move_pages(2); *other: pages it gave no node for
 * (-ENOENT: not present, or on 6.1 mapped PROT_NONE).
 */
static int nodes_move_pages(char *p, size_t len, long page, long *per_node,
			    long *other)
{
	size_t i, npages = len / page;
	void **pages = calloc(npages, sizeof(*pages));
	int *status = calloc(npages, sizeof(*status));
	int ret = 0;

	*other = 0;
	memset(per_node, 0, MAX_NODES * sizeof(*per_node));
	if (!pages || !status) {
		ret = -1;
		goto out;
	}
	for (i = 0; i < npages; i++)
		pages[i] = p + i * page;
	if (syscall(SYS_move_pages, 0, npages, pages, NULL, status, 0)) {
		perror("move_pages");
		ret = -1;
		goto out;
	}
	for (i = 0; i < npages; i++) {
		if (status[i] >= 0 && status[i] < MAX_NODES)
			per_node[status[i]]++;
		else
			(*other)++;
	}
out:
	free(pages);
	free(status);
	return ret;
}

/* Print how many pages of [p, p + len) are on each node; fill per_node. */
static int report(char *p, size_t len, long page, long *per_node)
{
	long other = 0, absent = 0;
	int i, ret;

	ret = dn_pagemap_nodes(0, p, len, per_node, MAX_NODES, &other, &absent);
	if (ret == -EPERM || ret == -ENODEV) {
		printf("dn_touch: placement from move_pages(2): %s\n",
		       ret == -EPERM ? "pagemap hides PFNs without CAP_SYS_ADMIN" :
		       "no memory blocks in /sys/devices/system/node");
		if (nodes_move_pages(p, len, page, per_node, &other))
			return -1;
	} else if (ret) {
		perror("dn_touch: /proc/self/pagemap");
		return -1;
	}
	for (i = 0; i < MAX_NODES; i++)
		if (per_node[i])
			printf("dn_touch: node %d: %ld pages\n", i, per_node[i]);
	if (ret == -EPERM || ret == -ENODEV) {
		if (other)
			printf("dn_touch: not seen by move_pages (not present, or PROT_NONE on 6.1): %ld pages\n",
			       other);
		return 0;
	}
	if (other)
		printf("dn_touch: on no single node's memory block: %ld pages\n", other);
	if (absent)
		printf("dn_touch: not present: %ld pages\n", absent);
	return 0;
}

/* Number of words of the last pass's pattern that are wrong. */
static size_t verify(const uint64_t *w, size_t len, int pass)
{
	size_t i, bad = 0;

	for (i = 0; i < len / 8; i++)
		if (w[i] != (i ^ (0x5a5a5a5aULL + pass)))
			bad++;
	return bad;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mb", required_argument, NULL, 'm' },
		{ "passes", required_argument, NULL, 'p' },
		{ "expect-node", required_argument, NULL, 'e' },
		{ "hold", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long mb = 64, passes = 1, expect = -1, hold = 0;
	long page = sysconf(_SC_PAGESIZE), per_node[MAX_NODES];
	size_t len, npages, i, bad = 0;
	struct timespec t0, t1;
	uint64_t *w;
	char *p;
	int c, pass;

	while ((c = getopt_long(argc, argv, "m:p:e:H:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': mb = strtol(optarg, NULL, 0); break;
		case 'p': passes = strtol(optarg, NULL, 0); break;
		case 'e': expect = strtol(optarg, NULL, 0); break;
		case 'H': hold = strtol(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (mb <= 0 || passes <= 0 || expect >= MAX_NODES || hold < 0)
		usage();
	len = (size_t)mb << 20;
	npages = len / page;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	w = (uint64_t *)p;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (pass = 0; pass < passes; pass++) {
		for (i = 0; i < len / 8; i++)
			w[i] = i ^ (0x5a5a5a5aULL + pass);
		bad += verify(w, len, pass);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);

	printf("dn_touch: %ld MiB, %ld pass(es), %.3f s, %zu bad words\n", mb,
	       passes, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, bad);
	if (report(p, len, page, per_node))
		return 1;
	if (expect >= 0 && per_node[expect] != (long)npages) {
		fprintf(stderr, "dn_touch: expected all %zu pages on node %ld\n",
			npages, expect);
		return 1;
	}
	if (hold) {
		fflush(stdout);
		sleep(hold);
		bad += verify(w, len, passes - 1);
		printf("dn_touch: after %ld s held: %zu bad words\n", hold, bad);
		if (report(p, len, page, per_node))
			return 1;
	}
	return bad ? 1 : 0;
}
