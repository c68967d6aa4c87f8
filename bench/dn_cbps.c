// SPDX-License-Identifier: GPL-2.0
/*
 * dn_cbps - what content-based page sharing (CBPS) at the memory blade
 * would save: reads the hashes of the pages in use on the remote node
 * (debugfs remote_hashes, root only; the kernel computes them, see the
 * admin guide) and reports
 *
 *   pages      pages in use on the node
 *   zero       pages whose bytes are all 0
 *   duplicate  other pages whose content is on another page of the node too
 *   unique     other pages whose content is found once
 *   distinct   distinct non-zero contents
 *   saving     pages sharing would free: every zero page (mapped to one
 *              shared zero page) and every copy but one of each content
 *
 *   dn_cbps [--csv] [FILE]     FILE: default the debugfs file
 *
 * Equal hashes are taken for equal contents (xxh64: a collision among
 * 2^17 pages has a probability near 2^-30).
 *
 * Exit status: 0, 1 if the file cannot be read, 2 on bad usage.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DN_HASHES "/sys/kernel/debug/disagg_node/remote_hashes"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	unsigned long pages = 0, zero = 0, dup = 0, uniq = 0, distinct = 0;
	size_t n = 0, cap = 4096, i, j;
	const char *path = DN_HASHES;
	unsigned long long pfn, h;
	uint64_t *hash;
	int csv = 0, z;
	char line[128];
	FILE *f;

	for (i = 1; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "--csv"))
			csv = 1;
		else if (argv[i][0] != '-' && i + 1 == (size_t)argc)
			path = argv[i];
		else {
			fprintf(stderr, "usage: dn_cbps [--csv] [FILE]\n");
			return 2;
		}
	}
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "dn_cbps: %s: %s (as root, with debugfs mounted and disagg_node loaded)\n",
			path, strerror(errno));
		return 1;
	}
	hash = malloc(cap * sizeof(*hash));
	if (!hash) {
		fclose(f);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %llx %d", &pfn, &h, &z) != 3) {
			fprintf(stderr, "dn_cbps: %s: bad line: %s", path, line);
			fclose(f);
			free(hash);
			return 1;
		}
		pages++;
		if (z) {
			zero++;
			continue;
		}
		if (n == cap) {
			uint64_t *more = realloc(hash, 2 * cap * sizeof(*hash));

			if (!more) {
				fclose(f);
				free(hash);
				return 1;
			}
			hash = more;
			cap *= 2;
		}
		hash[n++] = h;
	}
	fclose(f);
	qsort(hash, n, sizeof(*hash), cmp_u64);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && hash[j] == hash[i]; j++)
			;
		distinct++;
		if (j - i > 1)
			dup += j - i;
		else
			uniq++;
	}
	free(hash);
	if (csv) {
		printf("pages,zero,duplicate,unique,distinct,saving\n");
		printf("%lu,%lu,%lu,%lu,%lu,%lu\n", pages, zero, dup, uniq, distinct,
		       zero + n - distinct);
	} else {
		printf("pages      %lu\nzero       %lu\nduplicate  %lu\nunique     %lu\ndistinct   %lu\n",
		       pages, zero, dup, uniq, distinct);
		printf("saving     %lu pages (%.1f %%)\n", zero + n - distinct,
		       pages ? 100.0 * (zero + n - distinct) / pages : 0.0);
	}
	return 0;
}
