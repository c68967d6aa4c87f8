/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory of the selftests: mappings placed on a node, where their pages
 * are (move_pages(2), numa_maps, smaps, the node's meminfo, the page
 * tables), data patterns that every word can be checked against, and the
 * pseudo-random numbers of access patterns.
 */
#ifndef _DN_MEM_H
#define _DN_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DN_PAGE		4096UL
#define DN_PAGE_WORDS	(DN_PAGE / sizeof(uint64_t))

int dn_pages_node(void *p, size_t len, int *status);
long dn_count_on_node(void *p, size_t len, int nid);
long dn_numa_maps_pages(void *addr, int nid);
long long dn_smaps_kb(void *addr, const char *key);
long long dn_node_meminfo_kb(int nid, const char *key);
int dn_pid_split(pid_t pid, long *local, long *remote);
double dn_pid_share(pid_t pid);
int dn_anon_split(long *local, long *remote);
double dn_anon_share(void);

void *dn_map_on_node(size_t len, int nid);
void *dn_map_guarded(size_t len, int nid);
int dn_unmap_guarded(void *p, size_t len);

/* Word i of the data pattern for seed: unique to each word and seed. */
static inline uint64_t dn_pattern(size_t i, uint64_t seed)
{
	return (i * 0x9e3779b97f4a7c15ULL) ^ seed;
}

void dn_fill(void *p, size_t len, uint64_t seed);
long dn_check(const void *p, size_t len, uint64_t seed);
void dn_touch_read(const void *p, size_t npages);
void dn_touch_write(void *p, size_t npages, uint64_t seed);

/* Pseudo-random numbers: an LCG (its high bits) and xorshift64. */
static inline uint64_t dn_lcg(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return *state >> 33;
}

static inline uint64_t dn_xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

#endif /* _DN_MEM_H */
