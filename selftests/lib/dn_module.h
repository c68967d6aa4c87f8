/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module and its files (contract:
 * Documentation/ABI/testing/sysfs-kernel-mm-disagg_node): loading and
 * unloading, sysfs knobs and counters, the debugfs test hooks (pause,
 * run_pass, evict), and the small file reads and writes they take.
 */
#ifndef _DN_MODULE_H
#define _DN_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define DN_SYSFS	"/sys/kernel/mm/disagg_node"
#define DN_DEBUGFS	"/sys/kernel/debug/disagg_node"

int dn_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int dn_capture(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

ssize_t dn_read_file(const char *path, char *buf, size_t len);
long long dn_read_ll(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int dn_write_file(const char *path, const char *val);
int dn_write_ll(const char *path, long long val);
bool dn_file_has(const char *path, const char *needle);

bool dn_configured(void);
int dn_load(const char *args);
int dn_unload(void);
bool dn_loaded(void);
bool dn_debugfs_ready(void);
int dn_iomem_entries(void);

long long dn_stat(const char *name);
long long dn_target_stat(pid_t pid, const char *name);
int dn_set(const char *name, long long val);
int dn_debugfs_set(const char *name, long long val);
int dn_target_add(pid_t pid);
int dn_evict(pid_t pid, void *addr, size_t len);
bool dn_cgroup_ready(const char *dir);
int dn_tenant_dir(const char *cgroup, char *dir, size_t len);
long long dn_evict_moved(void);
int dn_run_pass(void);

/* Global counters that the tests compare before and after. */
struct dn_counters {
	long long remote_faults;
	long long promotions;
	long long promotion_failures;
	long long evictions;
	long long homecomings;
	long long injected_delay_ns;
	long long reprotected;
	long long hook_protected;
	long long remote_full;
	long long exchanges;
};

int dn_counters_read(struct dn_counters *c);
long long dn_counters_moved(const struct dn_counters *a,
			    const struct dn_counters *b);
int dn_run_passes_until_still(int max_passes);

/* Every counter of stats/, by name: for a case's diagnostics. */
#define DN_STATS_MAX	64
struct dn_stats_all {
	int n;
	char name[DN_STATS_MAX][256];
	long long val[DN_STATS_MAX];
};

void dn_stats_all_read(struct dn_stats_all *a);
void dn_stats_all_print_delta(const char *tag, const struct dn_stats_all *a);

#endif /* _DN_MODULE_H */
