// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node: /sys/kernel/mm/disagg_node, one value per file.
 * Documented in Documentation/ABI/testing/sysfs-kernel-mm-disagg_node.
 */
#define pr_fmt(fmt) "disagg_node: " fmt

#include <linux/kernel.h>
#include <linux/kernfs.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/sysfs.h>

#include "internal.h"

static ssize_t node_id_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", dn_dev.nid);
}

static ssize_t region_start_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%#llx\n", dn_dev.start);
}

static ssize_t region_size_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", dn_dev.size);
}

static ssize_t zone_vetoes_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&dn_dev.vetoed));
}

static ssize_t remote_pct_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(dn_dev.remote_pct));
}

/* Parse an unsigned decimal and check it with @check; -EINVAL otherwise. */
static int dn_parse(const char *buf, const char *name,
		    int (*check)(unsigned long), unsigned int *val)
{
	unsigned long v;

	if (kstrtoul(buf, 10, &v)) {
		pr_err("%s: '%.*s' is not an unsigned decimal number\n", name,
		       (int)strcspn(buf, "\n"), buf);
		return -EINVAL;
	}
	if (check(v))
		return -EINVAL;
	*val = v;
	return 0;
}

/* Parse, check and store one run-time setting under dn_dev.lock. */
static int dn_store_uint(const char *buf, const char *name,
			 int (*check)(unsigned long), unsigned int *field)
{
	unsigned int v;
	int ret;

	ret = dn_parse(buf, name, check, &v);
	if (ret)
		return ret;
	mutex_lock(&dn_dev.lock);
	WRITE_ONCE(*field, v);
	mutex_unlock(&dn_dev.lock);
	return 0;
}

static ssize_t remote_pct_store(struct kobject *kobj,
				struct kobj_attribute *attr, const char *buf,
				size_t count)
{
	int ret;

	ret = dn_store_uint(buf, "remote_pct", dn_check_remote_pct,
			    &dn_dev.remote_pct);
	if (ret)
		return ret;
	dn_evict_kick();	/* every target's split moves */
	return count;
}

static ssize_t latency_ns_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(dn_dev.latency_ns));
}

static ssize_t latency_ns_store(struct kobject *kobj,
				struct kobj_attribute *attr, const char *buf,
				size_t count)
{
	int ret;

	ret = dn_store_uint(buf, "latency_ns", dn_check_latency_ns,
			    &dn_dev.latency_ns);
	if (ret)
		return ret;
	return count;
}

static ssize_t latency_offset_ns_show(struct kobject *kobj,
				      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n", READ_ONCE(dn_dev.latency_offset_ns));
}

static int dn_check_calibrate(unsigned long v)
{
	if (v != 1) {
		pr_err("calibrate=%lu: write 1 to measure latency_offset_ns again\n",
		       v);
		return -EINVAL;
	}
	return 0;
}

/* Measure the busy-wait's offset again (dn_latency_calibrate()). */
static ssize_t calibrate_store(struct kobject *kobj,
			       struct kobj_attribute *attr, const char *buf,
			       size_t count)
{
	unsigned int v;
	int ret;

	ret = dn_parse(buf, "calibrate", dn_check_calibrate, &v);
	if (ret)
		return ret;
	mutex_lock(&dn_dev.lock);
	dn_latency_calibrate();
	mutex_unlock(&dn_dev.lock);
	return count;
}

static ssize_t trap_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(dn_dev.trap));
}

static int dn_check_bool(unsigned long v)
{
	if (v > 1) {
		pr_err("trap=%lu: use 0 or 1\n", v);
		return -EINVAL;
	}
	return 0;
}

static ssize_t trap_store(struct kobject *kobj, struct kobj_attribute *attr,
			  const char *buf, size_t count)
{
	unsigned int v;
	int ret;

	ret = dn_parse(buf, "trap", dn_check_bool, &v);
	if (ret)
		return ret;
	mutex_lock(&dn_dev.lock);
	WRITE_ONCE(dn_dev.trap, v);
	mutex_unlock(&dn_dev.lock);
	dn_evict_kick();
	return count;
}

static ssize_t scan_period_ms_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(dn_dev.scan_period_ms));
}

static ssize_t scan_period_ms_store(struct kobject *kobj,
				    struct kobj_attribute *attr,
				    const char *buf, size_t count)
{
	int ret;

	ret = dn_store_uint(buf, "scan_period_ms", dn_check_scan_period_ms,
			    &dn_dev.scan_period_ms);
	if (ret)
		return ret;
	dn_evict_kick();
	return count;
}

static ssize_t evict_batch_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(dn_dev.evict_batch));
}

static ssize_t evict_batch_store(struct kobject *kobj,
				 struct kobj_attribute *attr, const char *buf,
				 size_t count)
{
	int ret;

	ret = dn_store_uint(buf, "evict_batch", dn_check_evict_batch,
			    &dn_dev.evict_batch);
	if (ret)
		return ret;
	return count;
}

static ssize_t enroll_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n", READ_ONCE(dn_dev.enroll) ==
			  DN_ENROLL_EXPLICIT ? "explicit" : "auto");
}

/*
 * enroll: auto or explicit.  Applies to enrollments from now on: targets
 * already enrolled stay so.
 */
static ssize_t enroll_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	unsigned int mode;
	int ret;

	ret = dn_parse_enroll(buf, &mode);
	if (ret)
		return ret;
	mutex_lock(&dn_dev.lock);
	WRITE_ONCE(dn_dev.enroll, mode);
	mutex_unlock(&dn_dev.lock);
	return count;
}

static ssize_t targets_per_user_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(dn_dev.targets_per_user));
}

/*
 * targets_per_user: 0 (no limit) or more.  Applies to enrollments from now
 * on: a uid above a lowered limit keeps its targets.
 */
static ssize_t targets_per_user_store(struct kobject *kobj,
				      struct kobj_attribute *attr,
				      const char *buf, size_t count)
{
	unsigned int v;

	if (kstrtouint(buf, 10, &v)) {
		pr_err_ratelimited("targets_per_user: '%.*s' is not an unsigned decimal number (0: no limit)\n",
				   (int)strcspn(buf, "\n"), buf);
		return -EINVAL;
	}
	mutex_lock(&dn_dev.lock);
	WRITE_ONCE(dn_dev.targets_per_user, v);
	mutex_unlock(&dn_dev.lock);
	return count;
}

/* target_add, target_remove: a pid, decimal. */
static int dn_parse_pid(const char *buf, const char *name, pid_t *pid)
{
	int v;

	if (kstrtoint(buf, 10, &v) || v <= 0) {
		pr_err("%s: '%.*s' is not a process id\n", name,
		       (int)strcspn(buf, "\n"), buf);
		return -EINVAL;
	}
	*pid = v;
	return 0;
}

static ssize_t target_add_store(struct kobject *kobj,
				struct kobj_attribute *attr, const char *buf,
				size_t count)
{
	pid_t pid;
	int ret;

	ret = dn_parse_pid(buf, "target_add", &pid);
	if (!ret)
		ret = dn_target_add_pid(pid);
	if (ret)
		return ret;
	dn_evict_kick();	/* the new target's split */
	return count;
}

static ssize_t target_remove_store(struct kobject *kobj,
				   struct kobj_attribute *attr,
				   const char *buf, size_t count)
{
	pid_t pid;
	int ret;

	ret = dn_parse_pid(buf, "target_remove", &pid);
	if (!ret)
		ret = dn_target_remove_pid(pid);
	return ret ? ret : count;
}

/*
 * targets/PID/: the target's counters and split (read-only), and its own
 * remote_pct and latency_ns (read-write), each with a read-only _source
 * file that tells whether the value shown is the target's own or the
 * global one it follows; its cap, remote_mib (read-write, 0: none).
 */
enum {
	DN_TFILE_LOCAL = DN_NR_TSTATS,	/* below: an enum dn_tstat */
	DN_TFILE_REMOTE,
	DN_TFILE_REMOTE_PCT,
	DN_TFILE_LATENCY_NS,
	DN_TFILE_REMOTE_PCT_SOURCE,
	DN_TFILE_LATENCY_NS_SOURCE,
	DN_TFILE_REMOTE_MIB,
};

struct dn_tattr {
	struct attribute attr;
	int file;		/* enum dn_tstat, or a DN_TFILE_* */
};

#define DN_TATTR(_name, _file, _mode) \
	static struct dn_tattr dn_tattr_##_name = { \
		.attr = { .name = __stringify(_name), .mode = _mode }, \
		.file = _file, \
	}

DN_TATTR(remote_faults, DN_TSTAT_REMOTE_FAULTS, 0444);
DN_TATTR(promotions, DN_TSTAT_PROMOTIONS, 0444);
DN_TATTR(promotion_failures, DN_TSTAT_PROMOTION_FAILURES, 0444);
DN_TATTR(evictions, DN_TSTAT_EVICTIONS, 0444);
DN_TATTR(injected_delay_ns, DN_TSTAT_INJECTED_DELAY_NS, 0444);
DN_TATTR(exchanges, DN_TSTAT_EXCHANGES, 0444);
DN_TATTR(refused_pages, DN_TSTAT_REFUSED, 0444);
DN_TATTR(local_pages, DN_TFILE_LOCAL, 0444);
DN_TATTR(remote_pages, DN_TFILE_REMOTE, 0444);
DN_TATTR(remote_pct, DN_TFILE_REMOTE_PCT, 0644);
DN_TATTR(latency_ns, DN_TFILE_LATENCY_NS, 0644);
DN_TATTR(remote_pct_source, DN_TFILE_REMOTE_PCT_SOURCE, 0444);
DN_TATTR(latency_ns_source, DN_TFILE_LATENCY_NS_SOURCE, 0444);
DN_TATTR(remote_mib, DN_TFILE_REMOTE_MIB, 0644);

static struct attribute *dn_target_attrs[] = {
	&dn_tattr_remote_faults.attr,
	&dn_tattr_promotions.attr,
	&dn_tattr_promotion_failures.attr,
	&dn_tattr_evictions.attr,
	&dn_tattr_injected_delay_ns.attr,
	&dn_tattr_exchanges.attr,
	&dn_tattr_local_pages.attr,
	&dn_tattr_remote_pages.attr,
	&dn_tattr_remote_pct.attr,
	&dn_tattr_latency_ns.attr,
	&dn_tattr_remote_pct_source.attr,
	&dn_tattr_latency_ns_source.attr,
	&dn_tattr_remote_mib.attr,
	&dn_tattr_refused_pages.attr,
	NULL,
};

static const struct attribute_group dn_target_group = {
	.attrs = dn_target_attrs,
};

const struct attribute_group *dn_target_groups[] = {
	&dn_target_group,
	NULL,
};

/* Where a target's value comes from: "own", "tenant" or "global". */
static const char *dn_setting_source(int own, int tenant)
{
	if (own >= 0)
		return "own";
	return tenant >= 0 ? "tenant" : "global";
}

static ssize_t dn_target_show(struct kobject *kobj, struct attribute *attr,
			      char *buf)
{
	struct dn_target *t = container_of(kobj, struct dn_target, kobj);
	struct dn_tattr *ta = container_of(attr, struct dn_tattr, attr);
	struct dn_split split;

	switch (ta->file) {
	case DN_TFILE_LOCAL:
	case DN_TFILE_REMOTE:
		/* As the policy reads them (dn_target_split()). */
		dn_target_split(t, &split);
		return sysfs_emit(buf, "%lu\n", ta->file == DN_TFILE_LOCAL ?
				  split.local : split.remote);
	case DN_TFILE_REMOTE_PCT:
		return sysfs_emit(buf, "%u\n", dn_target_remote_pct(t));
	case DN_TFILE_LATENCY_NS:
		return sysfs_emit(buf, "%u\n", dn_target_latency_ns(t));
	case DN_TFILE_REMOTE_PCT_SOURCE:
		return sysfs_emit(buf, "%s\n",
				  dn_setting_source(READ_ONCE(t->remote_pct),
						    READ_ONCE(t->tenant_pct)));
	case DN_TFILE_LATENCY_NS_SOURCE:
		return sysfs_emit(buf, "%s\n",
				  dn_setting_source(READ_ONCE(t->latency_ns),
						    READ_ONCE(t->tenant_lat)));
	case DN_TFILE_REMOTE_MIB:
		return sysfs_emit(buf, "%u\n", READ_ONCE(t->remote_mib));
	}
	return sysfs_emit(buf, "%lld\n", atomic64_read(&t->stat[ta->file]));
}

/*
 * A target's own setting: 0..@max, or "-1" or "default" to follow the
 * global value (DN_SETTING_GLOBAL); -EINVAL, with a line naming the file,
 * otherwise.
 */
static int dn_parse_tsetting(const char *buf, struct dn_target *t,
			     const char *name, unsigned int max, int *val)
{
	int v;

	if (sysfs_streq(buf, "default")) {
		*val = DN_SETTING_GLOBAL;
		return 0;
	}
	if (kstrtoint(buf, 10, &v) || v < DN_SETTING_GLOBAL || v > (int)max) {
		pr_err("targets/%d/%s: '%.*s' is out of range: use 0-%u, or -1 or default to follow the global %s\n",
		       t->tgid, name, (int)strcspn(buf, "\n"), buf, max, name);
		return -EINVAL;
	}
	*val = v;
	return 0;
}

/*
 * targets/PID/remote_pct and latency_ns.  A new remote_pct wakes the
 * worker, which walks this target alone (its counted_pct differs: a
 * refresh, dn_recount_due()) and moves its pages toward the new split; its traps'
 * exchanges use the new value at once.  A new latency_ns is paid from the
 * target's next trap on.
 */
static ssize_t dn_target_store(struct kobject *kobj, struct attribute *attr,
			       const char *buf, size_t count)
{
	struct dn_target *t = container_of(kobj, struct dn_target, kobj);
	struct dn_tattr *ta = container_of(attr, struct dn_tattr, attr);
	bool pct = ta->file == DN_TFILE_REMOTE_PCT;
	unsigned int mib;
	int v, ret;

	if (ta->file == DN_TFILE_REMOTE_MIB) {
		/* The cap: the blade's bounds are checked by the registry. */
		if (kstrtouint(buf, 10, &mib)) {
			pr_err_ratelimited("targets/%d/remote_mib: '%.*s' is not a size in MiB: use 0 (no cap) to %lu (the blade)\n",
					   t->tgid, (int)strcspn(buf, "\n"), buf,
					   dn_blade_mib());
			return -EINVAL;
		}
		ret = dn_target_set_cap(t, mib);
		if (ret)
			return ret;
		dn_evict_kick();	/* to the new cap, or home under it */
		return count;
	}
	if (!pct && ta->file != DN_TFILE_LATENCY_NS)
		return -EIO;	/* read-only files have no write permission */
	ret = dn_parse_tsetting(buf, t, attr->name,
				pct ? DN_REMOTE_PCT_MAX : DN_LATENCY_NS_MAX,
				&v);
	if (ret)
		return ret;
	mutex_lock(&dn_dev.lock);
	if (pct)
		WRITE_ONCE(t->remote_pct, v);
	else
		WRITE_ONCE(t->latency_ns, v);
	mutex_unlock(&dn_dev.lock);
	if (pct)
		dn_evict_kick();	/* this target's split moves */
	return count;
}

const struct sysfs_ops dn_target_sysfs_ops = {
	.show = dn_target_show,
	.store = dn_target_store,
};

static struct kobj_attribute dn_attr_node_id = __ATTR_RO(node_id);
static struct kobj_attribute dn_attr_region_start = __ATTR_RO(region_start);
static struct kobj_attribute dn_attr_region_size = __ATTR_RO(region_size);
static struct kobj_attribute dn_attr_zone_vetoes = __ATTR_RO(zone_vetoes);
static struct kobj_attribute dn_attr_remote_pct = __ATTR_RW(remote_pct);
static struct kobj_attribute dn_attr_latency_ns = __ATTR_RW(latency_ns);
static struct kobj_attribute dn_attr_latency_offset_ns = __ATTR_RO(latency_offset_ns);
static struct kobj_attribute dn_attr_calibrate = __ATTR_WO(calibrate);
static struct kobj_attribute dn_attr_trap = __ATTR_RW(trap);
static struct kobj_attribute dn_attr_scan_period_ms = __ATTR_RW(scan_period_ms);
static struct kobj_attribute dn_attr_evict_batch = __ATTR_RW(evict_batch);
static struct kobj_attribute dn_attr_enroll = __ATTR_RW(enroll);
static struct kobj_attribute dn_attr_targets_per_user = __ATTR_RW(targets_per_user);
static struct kobj_attribute dn_attr_target_add = __ATTR_WO(target_add);
static struct kobj_attribute dn_attr_target_remove = __ATTR_WO(target_remove);

static struct attribute *dn_attrs[] = {
	&dn_attr_node_id.attr,
	&dn_attr_region_start.attr,
	&dn_attr_region_size.attr,
	&dn_attr_zone_vetoes.attr,
	&dn_attr_remote_pct.attr,
	&dn_attr_latency_ns.attr,
	&dn_attr_latency_offset_ns.attr,
	&dn_attr_calibrate.attr,
	&dn_attr_trap.attr,
	&dn_attr_scan_period_ms.attr,
	&dn_attr_evict_batch.attr,
	&dn_attr_target_add.attr,
	&dn_attr_target_remove.attr,
	&dn_attr_tenant_add.attr,
	&dn_attr_tenant_remove.attr,
	&dn_attr_enroll.attr,
	&dn_attr_targets_per_user.attr,
	NULL,
};

static const struct attribute_group dn_attr_group = {
	.attrs = dn_attrs,
};

DEFINE_PER_CPU(struct dn_stats, dn_stats);

u64 dn_stat_sum(enum dn_stat st)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(dn_stats, cpu).v[st];
	return sum;
}

/* stats/: event counters summed over CPUs, and gauges. */
struct dn_sattr {
	struct kobj_attribute ka;
	int stat;		/* enum dn_stat, or a DN_GAUGE_* below */
};

enum {
	DN_GAUGE_TARGETS = DN_NR_STATS,
	DN_GAUGE_LOCAL_PAGES,
	DN_GAUGE_REMOTE_PAGES,
	DN_GAUGE_SKIPPED_SHARED,
	DN_GAUGE_HOOK_MISSED,
};

static u64 dn_gauge(int which)
{
	struct dn_split split;
	struct dn_target *t;
	u64 v = 0;

	if (which == DN_GAUGE_HOOK_MISSED)
		return dn_hook_missed();
	mutex_lock(&dn_targets_lock);
	list_for_each_entry(t, &dn_targets, list) {
		if (READ_ONCE(t->dead))
			continue;
		dn_target_split(t, &split);
		if (which == DN_GAUGE_TARGETS)
			v++;
		else if (which == DN_GAUGE_LOCAL_PAGES)	/* see dn_target_show() */
			v += split.local;
		else if (which == DN_GAUGE_SKIPPED_SHARED)
			v += READ_ONCE(t->shared);
		else
			v += split.remote;
	}
	mutex_unlock(&dn_targets_lock);
	return v;
}

static ssize_t dn_stat_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct dn_sattr *sa = container_of(attr, struct dn_sattr, ka);

	if (sa->stat < DN_NR_STATS)
		return sysfs_emit(buf, "%llu\n", dn_stat_sum(sa->stat));
	return sysfs_emit(buf, "%llu\n", dn_gauge(sa->stat));
}

#define DN_SATTR(_name, _stat) \
	static struct dn_sattr dn_sattr_##_name = { \
		.ka = __ATTR(_name, 0444, dn_stat_show, NULL), \
		.stat = _stat, \
	}

DN_SATTR(remote_faults, DN_STAT_REMOTE_FAULTS);
DN_SATTR(promotions, DN_STAT_PROMOTIONS);
DN_SATTR(promotion_failures, DN_STAT_PROMOTION_FAILURES);
DN_SATTR(evictions, DN_STAT_EVICTIONS);
DN_SATTR(homecomings, DN_STAT_HOMECOMINGS);
DN_SATTR(injected_delay_ns, DN_STAT_INJECTED_DELAY_NS);
DN_SATTR(reprotected, DN_STAT_REPROTECTED);
DN_SATTR(remote_full, DN_STAT_REMOTE_FULL);
DN_SATTR(skipped_shared, DN_GAUGE_SKIPPED_SHARED);
DN_SATTR(reprotect_deferred, DN_STAT_REPROTECT_DEFERRED);
DN_SATTR(skipped_huge, DN_STAT_SKIPPED_HUGE);
DN_SATTR(targets, DN_GAUGE_TARGETS);
DN_SATTR(local_pages, DN_GAUGE_LOCAL_PAGES);
DN_SATTR(remote_pages, DN_GAUGE_REMOTE_PAGES);
DN_SATTR(hook_missed, DN_GAUGE_HOOK_MISSED);
DN_SATTR(exchanges, DN_STAT_EXCHANGES);
DN_SATTR(exchange_misses, DN_STAT_EXCHANGE_MISSES);
DN_SATTR(evict_window_accessed, DN_STAT_EVICT_WINDOW_ACCESSED);
DN_SATTR(hook_protected, DN_STAT_HOOK_PROTECTED);
DN_SATTR(recounts, DN_STAT_RECOUNTS);
DN_SATTR(worker_ns, DN_STAT_WORKER_NS);
DN_SATTR(walk_errors, DN_STAT_WALK_ERRORS);
DN_SATTR(enroll_refused, DN_STAT_ENROLL_REFUSED);
DN_SATTR(enroll_limited, DN_STAT_ENROLL_LIMITED);

/*
 * blade/: the remote node as tenants share it.  Sizes in MiB as the caps
 * are set, page counts in pages as the other counters.
 */
static ssize_t capacity_mib_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", dn_blade_mib());
}

static ssize_t claimed_mib_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", dn_caps_mib());
}

static ssize_t capacity_pages_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", dn_dev.size >> PAGE_SHIFT);
}

/* Pages of the node the page allocator has handed out: managed - free. */
static ssize_t used_pages_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	unsigned long managed = 0, free = 0;
	pg_data_t *pgdat;
	int z;

	if (dn_dev.nid == NUMA_NO_NODE || !node_online(dn_dev.nid))
		return sysfs_emit(buf, "0\n");
	pgdat = NODE_DATA(dn_dev.nid);
	for (z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &pgdat->node_zones[z];

		managed += zone_managed_pages(zone);
		free += zone_page_state(zone, NR_FREE_PAGES);
	}
	return sysfs_emit(buf, "%lu\n", managed > free ? managed - free : 0);
}

static ssize_t refused_pages_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", dn_stat_sum(DN_STAT_REFUSED));
}

static struct kobj_attribute dn_battr_capacity_mib = __ATTR_RO(capacity_mib);
static struct kobj_attribute dn_battr_capacity_pages = __ATTR_RO(capacity_pages);
static struct kobj_attribute dn_battr_claimed_mib = __ATTR_RO(claimed_mib);
static struct kobj_attribute dn_battr_used_pages = __ATTR_RO(used_pages);
static struct kobj_attribute dn_battr_refused_pages = __ATTR_RO(refused_pages);

static struct attribute *dn_blade_attrs[] = {
	&dn_battr_capacity_mib.attr,
	&dn_battr_capacity_pages.attr,
	&dn_battr_claimed_mib.attr,
	&dn_battr_used_pages.attr,
	&dn_battr_refused_pages.attr,
	NULL,
};

static const struct attribute_group dn_blade_group = {
	.name = "blade",
	.attrs = dn_blade_attrs,
};

static struct attribute *dn_stat_attrs[] = {
	&dn_sattr_remote_faults.ka.attr,
	&dn_sattr_promotions.ka.attr,
	&dn_sattr_promotion_failures.ka.attr,
	&dn_sattr_evictions.ka.attr,
	&dn_sattr_homecomings.ka.attr,
	&dn_sattr_injected_delay_ns.ka.attr,
	&dn_sattr_reprotected.ka.attr,
	&dn_sattr_remote_full.ka.attr,
	&dn_sattr_skipped_shared.ka.attr,
	&dn_sattr_reprotect_deferred.ka.attr,
	&dn_sattr_skipped_huge.ka.attr,
	&dn_sattr_targets.ka.attr,
	&dn_sattr_local_pages.ka.attr,
	&dn_sattr_remote_pages.ka.attr,
	&dn_sattr_hook_missed.ka.attr,
	&dn_sattr_exchanges.ka.attr,
	&dn_sattr_exchange_misses.ka.attr,
	&dn_sattr_evict_window_accessed.ka.attr,
	&dn_sattr_hook_protected.ka.attr,
	&dn_sattr_recounts.ka.attr,
	&dn_sattr_worker_ns.ka.attr,
	&dn_sattr_walk_errors.ka.attr,
	&dn_sattr_enroll_refused.ka.attr,
	&dn_sattr_enroll_limited.ka.attr,
	NULL,
};

static const struct attribute_group dn_stat_group = {
	.name = "stats",
	.attrs = dn_stat_attrs,
};

/*
 * /sys/kernel/mm's kobject.  mm_kobj is no longer exported on 6.12, so it is
 * found on every kernel through kernfs, where a sysfs directory's private
 * data is its kobject.  It is static in the kernel and never goes away.
 */
static struct kobject *dn_mm_kobj(void)
{
	struct kernfs_node *kn;
	struct kobject *kobj = NULL;

	kn = kernfs_find_and_get(kernel_kobj->sd, "mm");
	if (!kn)
		return NULL;
	if (kernfs_type(kn) == KERNFS_DIR)
		kobj = kn->priv;
	kernfs_put(kn);
	return kobj;
}

/* /sys/kernel/mm/disagg_node, empty: the targets directory goes in it. */
int dn_sysfs_init(struct dn_dev *dn)
{
	struct kobject *mm = dn_mm_kobj();

	if (!mm) {
		pr_err("/sys/kernel/mm not found\n");
		return -ENOENT;
	}
	dn->kobj = kobject_create_and_add("disagg_node", mm);
	return dn->kobj ? 0 : -ENOMEM;
}

/* The settings and stats files: the last thing load publishes. */
int dn_sysfs_files_init(struct dn_dev *dn)
{
	int ret;

	ret = sysfs_create_group(dn->kobj, &dn_stat_group);
	if (ret)
		return ret;
	ret = sysfs_create_group(dn->kobj, &dn_blade_group);
	if (ret)
		goto err_remove_stats;
	ret = sysfs_create_group(dn->kobj, &dn_attr_group);
	if (ret)
		goto err_remove_blade;
	return 0;

err_remove_blade:
	sysfs_remove_group(dn->kobj, &dn_blade_group);
err_remove_stats:
	sysfs_remove_group(dn->kobj, &dn_stat_group);
	return ret;
}

/* The first thing unload removes; waits for readers and writers. */
void dn_sysfs_files_exit(struct dn_dev *dn)
{
	sysfs_remove_group(dn->kobj, &dn_attr_group);
	sysfs_remove_group(dn->kobj, &dn_blade_group);
	sysfs_remove_group(dn->kobj, &dn_stat_group);
}

void dn_sysfs_exit(struct dn_dev *dn)
{
	kobject_put(dn->kobj);
}
