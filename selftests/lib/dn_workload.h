/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CSV line workloads/dn-workload.sh prints for one run (its columns:
 * dn-workload.sh header), as dn_work_test and dn_icount_test read it.
 */
#ifndef _DN_WORKLOAD_H
#define _DN_WORKLOAD_H

/* The fields of a dn-workload.sh CSV line. */
struct dn_wl_line {
	char name[32];
	double metric, seconds, remote_mean, remote_min, remote_max;
	long long remote_faults, exchanges, perf_fault, perf_exchange;
	char status[8];
	double cpu_seconds;
};

const char *dn_wl_find(const char *out, const char *name);
int dn_wl_parse(const char *s, struct dn_wl_line *l);

#endif
