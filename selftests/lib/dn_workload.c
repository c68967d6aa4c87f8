// SPDX-License-Identifier: GPL-2.0
/*
 * The CSV line of workloads/dn-workload.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dn_workload.h"

/* The line of @out that starts with "@name,", or NULL. */
const char *dn_wl_find(const char *out, const char *name)
{
	size_t n = strlen(name);
	const char *line;

	for (line = out; line; line = strchr(line, '\n')) {
		line += *line == '\n';
		if (!strncmp(line, name, n) && line[n] == ',')
			return line;
	}
	return NULL;
}

/*
 * Parse a CSV line; a field left empty (a split that was not sampled)
 * reads as -1, and so does cpu_seconds, the 14th field, in a line of 13
 * (a dnctl without it).  0, or -1 if the line does not have the first 13
 * fields.
 */
int dn_wl_parse(const char *s, struct dn_wl_line *l)
{
	double *num[] = { &l->metric, NULL, &l->seconds, &l->remote_mean,
			  &l->remote_min, &l->remote_max };
	long long *cnt[] = { &l->remote_faults, &l->exchanges, &l->perf_fault,
			     &l->perf_exchange };
	const char *f = s, *e;
	int i;

	memset(l, 0, sizeof(*l));
	l->cpu_seconds = -1;
	for (i = 0; i < 13; i++, f = e + 1) {
		e = strpbrk(f, ",\n");
		if (!e)
			e = f + strlen(f);
		if (i == 0)
			snprintf(l->name, sizeof(l->name), "%.*s", (int)(e - f), f);
		else if (i <= 6 && num[i - 1])
			*num[i - 1] = e > f ? atof(f) : -1;
		else if (i >= 7 && i <= 10)
			*cnt[i - 7] = e > f ? atoll(f) : -1;
		else if (i == 12)
			snprintf(l->status, sizeof(l->status), "%.*s", (int)(e - f), f);
		if (i < 12 && *e != ',')
			return -1;
	}
	/* f is past the status's end: its ',' when cpu_seconds follows. */
	if (f[-1] == ',' && *f && *f != ',' && *f != '\n')
		l->cpu_seconds = atof(f);
	return 0;
}
