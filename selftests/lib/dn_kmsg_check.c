// SPDX-License-Identifier: GPL-2.0
/*
 * dn_kmsg_check LOGFILE: scripts/check-dmesg.sh's verdict on a log, from
 * the selftests' scanner (dn_kmsg.c, the same check-dmesg.patterns
 * compiled in): prints the bad lines, numbered; exits 1 if there are any,
 * 0 if the log is clean, 2 if it is missing or empty or a pattern does not
 * compile.  A host program, for scripts/test-check-dmesg.sh, which checks
 * that both scanners say the same of each sample.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dn_kmsg.h"

int main(int argc, char **argv)
{
	size_t cap = 0;
	long nr = 0, bad = 0;
	char *line = NULL;
	ssize_t n;
	FILE *f;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: dn_kmsg_check LOGFILE\n");
		return 2;
	}
	f = fopen(argv[1], "r");
	if (!f) {
		fprintf(stderr, "dn_kmsg_check: %s is missing\n", argv[1]);
		return 2;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		nr++;
		if (n && line[n - 1] == '\n')
			line[n - 1] = '\0';
		r = dn_kmsg_line_bad(line);
		if (r < 0)
			return 2;
		if (r) {
			printf("%ld:%s\n", nr, line);
			bad++;
		}
	}
	free(line);
	fclose(f);
	if (!nr) {
		fprintf(stderr, "dn_kmsg_check: %s is empty\n", argv[1]);
		return 2;
	}
	return bad ? 1 : 0;
}
