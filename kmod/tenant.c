// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node: cgroup tenants.
 *
 * A tenant is a cgroup v2 directory that root registers (tenant_add) to
 * give every target in it, or in a cgroup below it, a remote_pct and a
 * latency_ns of their own: tenants/ID/, ID being the cgroup's id.  A
 * target follows, in this order, its own value (targets/PID/), its
 * tenant's, the global one (dn_setting_own(), dn_setting()).  The
 * innermost tenant that holds a target's cgroup is its tenant.
 *
 * Membership is decided when a process becomes a target (dn_target_add()),
 * and again for every target when a tenant is added or removed; a target
 * whose process later moves to another cgroup keeps its tenant.  A
 * tenant's members that follow its remote_pct (those without their own)
 * share one local capacity: (100 - remote_pct) % of their pages together.
 * Every DN_POOL_MS, at the worker's pass, dn_pool_share() gives each
 * member its part of it, and moves a step of it toward the member whose
 * remote pages trap most; each member is given the remote_pct that holds
 * its part (@tenant_pct), and holds it as a target holds its own.  The
 * tenant's split is the sum of the members': it holds as theirs do, and
 * its hot pages go local whichever member holds them.  A trap's victim is
 * still a page of the trapping process (the exchange is 1:1, so the sum
 * holds at every trap); the step moves capacity between members at the
 * worker's passes.  tenants/ID/ shows the sum, targets/PID/remote_pct
 * each member's part.
 *
 * Locking: dn_targets_lock (target.c) protects dn_tenants, each tenant's
 * settings and every target's @tenant; a target's copies of its tenant's
 * settings (@tenant_pct, @tenant_lat) are written with WRITE_ONCE() under
 * it and read with READ_ONCE() anywhere (dn_target_remote_pct()).
 */
#define pr_fmt(fmt) "disagg_node: " fmt

#include <linux/cgroup.h>
#include <linux/kobject.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "internal.h"

/**
 * struct dn_tenant - a cgroup v2 directory whose targets share settings
 * @list: in dn_tenants; dn_targets_lock.
 * @cgrp: the cgroup, with a reference (cgroup_get_from_path()).
 * @id: cgroup_id(@cgrp), the name of tenants/ID.
 * @remote_pct: 0..DN_REMOTE_PCT_MAX, or DN_SETTING_GLOBAL; written with
 *	WRITE_ONCE() under dn_targets_lock, read with READ_ONCE().
 * @latency_ns: 0..DN_LATENCY_NS_MAX, or DN_SETTING_GLOBAL; as @remote_pct.
 * @pool_at: jiffies of its last sharing (__dn_tenant_share());
 *	dn_targets_lock.
 * @pool_pct: the remote_pct it shared at; dn_targets_lock.
 * @remote_mib: its cap, in MiB (0: none), which its members' parts share;
 *	written with WRITE_ONCE() under dn_cap_lock (dn_caps_claim()) and
 *	dn_targets_lock, read with READ_ONCE().
 * @held: the most pages its remote_pct asked remote that its cap kept
 *	local, at a sharing; dn_targets_lock.
 * @refused: what @held grew by, in all (tenants/ID/refused_pages);
 *	written under dn_targets_lock, read with READ_ONCE().
 * @kobj: tenants/ID; its release frees the tenant.
 */
struct dn_tenant {
	struct list_head list;
	struct cgroup *cgrp;
	u64 id;
	int remote_pct;
	int latency_ns;
	unsigned long pool_at;
	unsigned int pool_pct;
	unsigned int remote_mib;
	unsigned long held;
	unsigned long refused;
	struct kobject kobj;
};

/* How often the worker shares a tenant's local capacity anew, at most. */
#define DN_POOL_MS	500

static LIST_HEAD(dn_tenants);	/* dn_targets_lock */

/* Set @t's tenant and its copies of the tenant's settings. */
static void __dn_tenant_set(struct dn_target *t, struct dn_tenant *tn)
{
	lockdep_assert_held(&dn_targets_lock);
	if (t->tenant != tn) {
		t->pool_pm = DN_POOL_NEW;	/* a new member: no part yet */
		/* Under a cap, none of it until its part is known. */
		WRITE_ONCE(t->pool_cap, tn && READ_ONCE(tn->remote_mib) ? 1 : 0);
	}
	t->tenant = tn;
	WRITE_ONCE(t->tenant_pct, tn ? tn->remote_pct : DN_SETTING_GLOBAL);
	WRITE_ONCE(t->tenant_lat, tn ? tn->latency_ns : DN_SETTING_GLOBAL);
}

/*
 * __dn_tenant_attach - give @t the innermost tenant that holds its
 * process's cgroup, or none.  Caller holds dn_targets_lock.
 */
void __dn_tenant_attach(struct dn_target *t)
{
	struct dn_tenant *tn, *best = NULL;
	struct task_struct *task;
	struct cgroup *cg;

	lockdep_assert_held(&dn_targets_lock);
	if (list_empty(&dn_tenants)) {
		__dn_tenant_set(t, NULL);
		return;
	}
	rcu_read_lock();
	task = pid_task(find_pid_ns(t->tgid, &init_pid_ns), PIDTYPE_PID);
	if (task) {
		cg = task_dfl_cgroup(task);
		list_for_each_entry(tn, &dn_tenants, list)
			if (cgroup_is_descendant(cg, tn->cgrp) &&
			    (!best || tn->cgrp->level > best->cgrp->level))
				best = tn;
	}
	rcu_read_unlock();
	__dn_tenant_set(t, best);
}

/* A member of @tn that follows its remote_pct: it has a part of its capacity. */
static bool dn_tenant_pooled(struct dn_target *t, struct dn_tenant *tn)
{
	return t->tenant == tn && READ_ONCE(t->remote_pct) < 0;
}

/*
 * __dn_tenant_share - share @tn's local capacity among its members
 * (dn_pool_share()) and give each the remote_pct that holds its part.
 * Caller holds dn_targets_lock.  If the arrays cannot be had, the members
 * keep their parts until the next time.
 */
static void __dn_tenant_share(struct dn_tenant *tn)
{
	unsigned long cap, held, local = 0, remote = 0;
	struct dn_pool_member *m;
	struct dn_target *t, **tv;
	struct dn_split split;
	unsigned int n = 0, i;
	u64 faults;

	lockdep_assert_held(&dn_targets_lock);
	tn->pool_at = jiffies;
	tn->pool_pct = dn_setting(READ_ONCE(tn->remote_pct),
				  READ_ONCE(dn_dev.remote_pct));
	list_for_each_entry(t, &dn_targets, list) {
		if (t->tenant == tn && !dn_tenant_pooled(t, tn))
			WRITE_ONCE(t->pool_cap, 0);	/* its own: no part */
		n += dn_tenant_pooled(t, tn);
	}
	if (!n)
		return;
	m = kmalloc_array(n, sizeof(*m), GFP_KERNEL);
	tv = kmalloc_array(n, sizeof(*tv), GFP_KERNEL);
	if (!m || !tv)
		goto out_free;
	i = 0;
	list_for_each_entry(t, &dn_targets, list) {
		/* Its own remote_pct is written without this lock: bounded. */
		if (!dn_tenant_pooled(t, tn) || i == n)
			continue;
		dn_target_split(t, &split);
		faults = atomic64_read(&t->stat[DN_TSTAT_REMOTE_FAULTS]);
		m[i].resident = split.local + split.remote;
		m[i].remote = split.remote;
		m[i].faults = t->pool_pm == DN_POOL_NEW ? 0 :
			      faults - t->pool_faults;
		m[i].local_pm = t->pool_pm;
		m[i].remote_max = READ_ONCE(t->pool_cap);
		t->pool_faults = faults;
		local += split.local;
		remote += split.remote;
		tv[i++] = t;
	}
	cap = (unsigned long)READ_ONCE(tn->remote_mib) << (20 - PAGE_SHIFT);
	dn_pool_share(m, i, tn->pool_pct, cap);
	while (i--) {
		tv[i]->pool_pm = m[i].local_pm;
		WRITE_ONCE(tv[i]->pool_cap, m[i].remote_max);
		WRITE_ONCE(tv[i]->tenant_pct, m[i].remote_pct);
	}

	/* What the cap holds local, counted once (dn_target_held()). */
	split = (struct dn_split){ .local = local, .remote = remote,
				   .remote_pct = tn->pool_pct,
				   .remote_max = cap };
	held = dn_split_held(&split, false);
	if (held > tn->held) {
		WRITE_ONCE(tn->refused, tn->refused + held - tn->held);
		dn_stat_add(DN_STAT_REFUSED, held - tn->held);
		tn->held = held;
	}
out_free:
	kfree(tv);
	kfree(m);
}

/*
 * dn_tenants_share - the worker, at each pass: share again the local
 * capacity of every tenant last shared DN_POOL_MS ago or more, or at
 * another remote_pct (the global one, which it follows, changed).
 */
void dn_tenants_share(void)
{
	unsigned int global = READ_ONCE(dn_dev.remote_pct);
	struct dn_tenant *tn;

	/* A look without the lock: a tenant added meanwhile waits a pass. */
	if (list_empty(&dn_tenants))
		return;
	mutex_lock(&dn_targets_lock);
	list_for_each_entry(tn, &dn_tenants, list)
		if (time_after_eq(jiffies, tn->pool_at +
				  msecs_to_jiffies(DN_POOL_MS)) ||
		    dn_setting(READ_ONCE(tn->remote_pct), global) !=
		    tn->pool_pct)
			__dn_tenant_share(tn);
	mutex_unlock(&dn_targets_lock);
}

/* Every target's tenant again, after a tenant came or went. */
static void __dn_tenants_reattach(void)
{
	struct dn_tenant *tn;
	struct dn_target *t;

	lockdep_assert_held(&dn_targets_lock);
	/* The dead too: none may keep a pointer to a tenant that went. */
	list_for_each_entry(t, &dn_targets, list)
		__dn_tenant_attach(t);
	list_for_each_entry(tn, &dn_tenants, list)
		__dn_tenant_share(tn);
}

static void dn_tenant_release(struct kobject *kobj)
{
	struct dn_tenant *tn = container_of(kobj, struct dn_tenant, kobj);
	unsigned long free;

	/* Its cap goes back to the blade: no sysfs write can come now. */
	dn_caps_claim(&tn->remote_mib, 0, &free);
	if (tn->cgrp)
		cgroup_put(tn->cgrp);
	kfree(tn);
}

/* tenants/ID/ */
enum {
	DN_NFILE_CGROUP,
	DN_NFILE_REMOTE_PCT,
	DN_NFILE_LATENCY_NS,
	DN_NFILE_REMOTE_PCT_SOURCE,
	DN_NFILE_LATENCY_NS_SOURCE,
	DN_NFILE_MEMBERS,
	DN_NFILE_LOCAL,
	DN_NFILE_REMOTE,
	DN_NFILE_REMOTE_MIB,
	DN_NFILE_REFUSED,
};

struct dn_nattr {
	struct attribute attr;
	int file;
};

#define DN_NATTR(_name, _file, _mode) \
	static struct dn_nattr dn_nattr_##_name = { \
		.attr = { .name = __stringify(_name), .mode = _mode }, \
		.file = _file, \
	}

DN_NATTR(cgroup, DN_NFILE_CGROUP, 0444);
DN_NATTR(remote_pct, DN_NFILE_REMOTE_PCT, 0644);
DN_NATTR(latency_ns, DN_NFILE_LATENCY_NS, 0644);
DN_NATTR(remote_pct_source, DN_NFILE_REMOTE_PCT_SOURCE, 0444);
DN_NATTR(latency_ns_source, DN_NFILE_LATENCY_NS_SOURCE, 0444);
DN_NATTR(members, DN_NFILE_MEMBERS, 0444);
DN_NATTR(local_pages, DN_NFILE_LOCAL, 0444);
DN_NATTR(remote_pages, DN_NFILE_REMOTE, 0444);
DN_NATTR(remote_mib, DN_NFILE_REMOTE_MIB, 0644);
DN_NATTR(refused_pages, DN_NFILE_REFUSED, 0444);

static struct attribute *dn_tenant_attrs[] = {
	&dn_nattr_cgroup.attr,
	&dn_nattr_remote_pct.attr,
	&dn_nattr_latency_ns.attr,
	&dn_nattr_remote_pct_source.attr,
	&dn_nattr_latency_ns_source.attr,
	&dn_nattr_members.attr,
	&dn_nattr_local_pages.attr,
	&dn_nattr_remote_pages.attr,
	&dn_nattr_remote_mib.attr,
	&dn_nattr_refused_pages.attr,
	NULL,
};
ATTRIBUTE_GROUPS(dn_tenant);

static ssize_t dn_tenant_show(struct kobject *kobj, struct attribute *attr,
			      char *buf)
{
	struct dn_tenant *tn = container_of(kobj, struct dn_tenant, kobj);
	struct dn_nattr *na = container_of(attr, struct dn_nattr, attr);
	unsigned long members = 0, local = 0, remote = 0;
	struct dn_split split;
	struct dn_target *t;
	int len;

	switch (na->file) {
	case DN_NFILE_CGROUP:
		len = cgroup_path(tn->cgrp, buf, PAGE_SIZE - 1);
		if (len < 0)
			return len;
		len = strlen(buf);
		buf[len++] = '\n';
		return len;
	case DN_NFILE_REMOTE_PCT:
	case DN_NFILE_REMOTE_PCT_SOURCE:
		len = READ_ONCE(tn->remote_pct);
		if (na->file == DN_NFILE_REMOTE_PCT_SOURCE)
			return sysfs_emit(buf, "%s\n", len < 0 ? "global" : "own");
		return sysfs_emit(buf, "%u\n",
				  dn_setting(len, READ_ONCE(dn_dev.remote_pct)));
	case DN_NFILE_LATENCY_NS:
	case DN_NFILE_LATENCY_NS_SOURCE:
		len = READ_ONCE(tn->latency_ns);
		if (na->file == DN_NFILE_LATENCY_NS_SOURCE)
			return sysfs_emit(buf, "%s\n", len < 0 ? "global" : "own");
		return sysfs_emit(buf, "%u\n",
				  dn_setting(len, READ_ONCE(dn_dev.latency_ns)));
	case DN_NFILE_REMOTE_MIB:
		return sysfs_emit(buf, "%u\n", READ_ONCE(tn->remote_mib));
	case DN_NFILE_REFUSED:
		return sysfs_emit(buf, "%lu\n", READ_ONCE(tn->refused));
	}
	mutex_lock(&dn_targets_lock);
	list_for_each_entry(t, &dn_targets, list) {
		if (t->tenant != tn || READ_ONCE(t->dead))
			continue;
		members++;
		dn_target_split(t, &split);
		local += split.local;
		remote += split.remote;
	}
	mutex_unlock(&dn_targets_lock);
	return sysfs_emit(buf, "%lu\n", na->file == DN_NFILE_MEMBERS ? members :
			  na->file == DN_NFILE_LOCAL ? local : remote);
}

/*
 * tenants/ID/remote_mib: the tenant's cap, 0 (none) to the blade, a claim
 * on the blade as a target's cap is (dn_caps_claim()).  The members' parts
 * of it are given at once.
 */
static ssize_t dn_tenant_store_cap(struct dn_tenant *tn, const char *buf,
				   size_t count)
{
	unsigned long blade = dn_blade_mib(), free;
	unsigned int mib;
	bool fits;

	if (kstrtouint(buf, 10, &mib) || mib > blade) {
		pr_err("tenants/%llu/remote_mib: '%.*s' is not a size in MiB within the blade: use 0 (no cap) to %lu\n",
		       tn->id, (int)strcspn(buf, "\n"), buf, blade);
		return -EINVAL;
	}
	mutex_lock(&dn_targets_lock);
	fits = dn_caps_claim(&tn->remote_mib, mib, &free);
	if (fits)
		__dn_tenant_share(tn);
	mutex_unlock(&dn_targets_lock);
	if (!fits) {
		pr_err("tenants/%llu/remote_mib: %u MiB would take the caps beyond the blade's %lu MiB: %lu MiB are free for this tenant\n",
		       tn->id, mib, blade, free);
		return -EINVAL;
	}
	dn_evict_kick();	/* to the new parts, or home under them */
	return count;
}

/*
 * tenants/ID/remote_pct and latency_ns: 0..max, or -1 or "default" to
 * follow the global value.  Every member takes the new value at once; a
 * new remote_pct wakes the worker, which walks the members whose split
 * moved (their counted_pct differs, dn_recount_due()).
 */
static ssize_t dn_tenant_store(struct kobject *kobj, struct attribute *attr,
			       const char *buf, size_t count)
{
	struct dn_tenant *tn = container_of(kobj, struct dn_tenant, kobj);
	struct dn_nattr *na = container_of(attr, struct dn_nattr, attr);
	bool pct = na->file == DN_NFILE_REMOTE_PCT;
	unsigned int max = pct ? DN_REMOTE_PCT_MAX : DN_LATENCY_NS_MAX;
	struct dn_target *t;
	int v;

	if (na->file == DN_NFILE_REMOTE_MIB)
		return dn_tenant_store_cap(tn, buf, count);
	if (!pct && na->file != DN_NFILE_LATENCY_NS)
		return -EIO;	/* read-only files have no write permission */
	if (sysfs_streq(buf, "default")) {
		v = DN_SETTING_GLOBAL;
	} else if (kstrtoint(buf, 10, &v) || v < DN_SETTING_GLOBAL ||
		   v > (int)max) {
		pr_err("tenants/%llu/%s: '%.*s' is out of range: use 0-%u, or -1 or default to follow the global %s\n",
		       tn->id, attr->name, (int)strcspn(buf, "\n"), buf, max,
		       attr->name);
		return -EINVAL;
	}
	mutex_lock(&dn_targets_lock);
	if (pct)
		WRITE_ONCE(tn->remote_pct, v);
	else
		WRITE_ONCE(tn->latency_ns, v);
	list_for_each_entry(t, &dn_targets, list)
		if (t->tenant == tn)
			__dn_tenant_set(t, tn);
	__dn_tenant_share(tn);	/* the parts again: __dn_tenant_set() reset them */
	mutex_unlock(&dn_targets_lock);
	if (pct)
		dn_evict_kick();
	return count;
}

static const struct sysfs_ops dn_tenant_sysfs_ops = {
	.show = dn_tenant_show,
	.store = dn_tenant_store,
};

static const struct kobj_type dn_tenant_ktype = {
	.release = dn_tenant_release,
	.sysfs_ops = &dn_tenant_sysfs_ops,
	.default_groups = dn_tenant_groups,
};

/*
 * The cgroup v2 directory @buf names (its path below the cgroup2 mount,
 * "/a/b"), with a reference, or an error pointer after a line naming
 * @file.
 */
static struct cgroup *dn_parse_cgroup(const char *buf, const char *file)
{
	struct cgroup *cgrp;
	char *path;

	path = kstrndup(buf, strcspn(buf, "\n"), GFP_KERNEL);
	if (!path)
		return ERR_PTR(-ENOMEM);
	cgrp = path[0] == '/' ? cgroup_get_from_path(path) : ERR_PTR(-EINVAL);
	if (IS_ERR(cgrp)) {
		pr_err("%s: '%s' is not a cgroup v2 directory: give its path below the cgroup2 mount, e.g. /dn-a for /sys/fs/cgroup/dn-a\n",
		       file, path);
		cgrp = ERR_PTR(-EINVAL);
	}
	kfree(path);
	return cgrp;
}

static struct dn_tenant *__dn_tenant_find(struct cgroup *cgrp)
{
	struct dn_tenant *tn;

	lockdep_assert_held(&dn_targets_lock);
	list_for_each_entry(tn, &dn_tenants, list)
		if (tn->cgrp == cgrp)
			return tn;
	return NULL;
}

/* tenant_add: a cgroup v2 path; its targets follow tenants/ID/. */
static ssize_t tenant_add_store(struct kobject *kobj,
				struct kobj_attribute *attr,
				const char *buf, size_t count)
{
	struct dn_tenant *tn;
	struct cgroup *cgrp;
	int ret;

	cgrp = dn_parse_cgroup(buf, "tenant_add");
	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp);
	tn = kzalloc(sizeof(*tn), GFP_KERNEL);
	if (!tn) {
		cgroup_put(cgrp);
		return -ENOMEM;
	}
	tn->cgrp = cgrp;	/* the tenant's reference from now on */
	tn->id = cgroup_id(cgrp);
	tn->remote_pct = DN_SETTING_GLOBAL;
	tn->latency_ns = DN_SETTING_GLOBAL;
	kobject_init(&tn->kobj, &dn_tenant_ktype);

	mutex_lock(&dn_targets_lock);
	if (__dn_tenant_find(cgrp)) {
		pr_err("tenant_add: '%.*s' is a tenant already\n",
		       (int)strcspn(buf, "\n"), buf);
		ret = -EEXIST;
		goto err_unlock;
	}
	ret = kobject_add(&tn->kobj, dn_dev.tenants_kobj, "%llu", tn->id);
	if (ret)
		goto err_unlock;
	list_add_tail(&tn->list, &dn_tenants);
	__dn_tenants_reattach();
	mutex_unlock(&dn_targets_lock);
	dn_evict_kick();
	return count;

err_unlock:
	mutex_unlock(&dn_targets_lock);
	kobject_put(&tn->kobj);	/* drops the cgroup too */
	return ret;
}

/* tenant_remove: a tenant's cgroup path; its targets follow their own. */
static ssize_t tenant_remove_store(struct kobject *kobj,
				   struct kobj_attribute *attr,
				   const char *buf, size_t count)
{
	struct dn_tenant *tn;
	struct cgroup *cgrp;

	cgrp = dn_parse_cgroup(buf, "tenant_remove");
	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp);
	mutex_lock(&dn_targets_lock);
	tn = __dn_tenant_find(cgrp);
	if (tn) {
		list_del(&tn->list);
		__dn_tenants_reattach();
	}
	mutex_unlock(&dn_targets_lock);
	cgroup_put(cgrp);
	if (!tn) {
		pr_err("tenant_remove: '%.*s' is not a tenant\n",
		       (int)strcspn(buf, "\n"), buf);
		return -ENOENT;
	}
	kobject_del(&tn->kobj);
	kobject_put(&tn->kobj);
	dn_evict_kick();
	return count;
}

struct kobj_attribute dn_attr_tenant_add = __ATTR_WO(tenant_add);
struct kobj_attribute dn_attr_tenant_remove = __ATTR_WO(tenant_remove);

int dn_tenants_init(struct dn_dev *dn)
{
	dn->tenants_kobj = kobject_create_and_add("tenants", dn->kobj);
	return dn->tenants_kobj ? 0 : -ENOMEM;
}

/* Unload: every tenant removed; the targets are still listed. */
void dn_tenants_exit(struct dn_dev *dn)
{
	struct dn_tenant *tn, *tmp;
	LIST_HEAD(gone);

	mutex_lock(&dn_targets_lock);
	list_splice_init(&dn_tenants, &gone);
	__dn_tenants_reattach();
	mutex_unlock(&dn_targets_lock);
	list_for_each_entry_safe(tn, tmp, &gone, list) {
		list_del(&tn->list);
		kobject_del(&tn->kobj);
		kobject_put(&tn->kobj);
	}
	kobject_put(dn->tenants_kobj);
}
