// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node: targets, the processes whose remote pages trap.
 *
 * Enrollment (sysfs enroll, targets_per_user).  With enroll=auto (the
 * default), a process becomes a target by itself when it traps on a remote
 * page or first touches a page on the remote node (hook.c), and when a pid
 * is written to target_add.  With enroll=explicit, only root enrolls: a pid
 * written to target_add (dnctl run does so), and then, by themselves at
 * their first trap or first touch, the program that process execs and the
 * processes it forks, theirs in turn: any process with a live target among
 * its ancestors (up to DN_ANCESTORS_MAX generations), or whose own
 * address space exec replaced was one.  Any other process is not enrolled
 * (hook.c leaves its pages accessible and counts enroll_refused).  In both
 * modes a uid other than root's has at most targets_per_user live targets;
 * the next is refused: -EUSERS to target_add, enroll_limited for the hook.
 *
 * This file is the registry: it owns each target's state (its counts, its
 * ring of local pages, its own settings, its sysfs directory, whose files
 * sysfs.c shows and parses) and calls into no other file of the module but
 * tenant.c, which gives a new target its cgroup tenant, if any.
 * Each target has an mmu notifier, whose callbacks (notify.c) keep the
 * counts true when others change the address space; the worker frees a
 * target once its address space is gone (dn_targets_reap()).  A new target
 * follows the global remote_pct and latency_ns until its own are written
 * to targets/PID/; a new address space of the same process (exec) takes its
 * old target's own settings, another new target its nearest ancestor's
 * (fork, see dn_target_add()).
 *
 * What a target costs the kernel is charged to the memory cgroup of its
 * address space, whoever enrolls it: struct dn_target and its ring
 * (GFP_KERNEL_ACCOUNT under set_active_memcg()); its sysfs directory is
 * created under the same active memcg, so it is charged where the kernel
 * accounts kernfs nodes.  Not charged: the kobject's name and the mm's
 * mmu notifier bookkeeping, which the kernel allocates without
 * __GFP_ACCOUNT.
 *
 * Each target may have a cap, remote_mib: its share of the blade (the
 * remote node).  The caps are claims on the blade: their sum never exceeds
 * its size (dn_target_set_cap()).  A cap is released when its target is
 * freed, moves with its process across exec, and is inherited by a fork
 * only if the blade has room for it.
 */
#define pr_fmt(fmt) "disagg_node: " fmt

#include <linux/hashtable.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/cred.h>
#include <linux/pid.h>
#include <linux/rculist.h>
#include <linux/sched/signal.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "internal.h"

#define DN_TARGET_HASH_BITS	6

/*
 * Generations of ancestors looked at for a live target (enroll=explicit,
 * settings passed on at fork): shell, make, its jobs, their children...
 */
#define DN_ANCESTORS_MAX	16

/*
 * dn_target_hash (by mm, live targets) and dn_tgid_hash (by tgid, listed
 * targets): writers hold dn_target_hash_lock, readers RCU.
 */
static DEFINE_HASHTABLE(dn_target_hash, DN_TARGET_HASH_BITS);
static DEFINE_HASHTABLE(dn_tgid_hash, DN_TARGET_HASH_BITS);
static DEFINE_SPINLOCK(dn_target_hash_lock);

/*
 * dn_targets_lock protects dn_targets (in order of addition), each target's
 * @list, @seq and @tenant and the adding and deleting of its kobject, and
 * the cgroup tenants (tenant.c).  Held briefly: no
 * page-table walk or migration runs under it.
 */
DEFINE_MUTEX(dn_targets_lock);
LIST_HEAD(dn_targets);
static u64 dn_target_seq;	/* dn_targets_lock */

/*
 * dn_cap_lock protects dn_caps (the sum of the caps of the targets and the
 * cgroup tenants, MiB) and the writes of each one's @remote_mib, so that
 * the sum stays within the blade.  A spinlock, taken last: under
 * dn_targets_lock (dn_target_add(), a tenant's remote_mib), and in a
 * target's or a tenant's release.
 */
static DEFINE_SPINLOCK(dn_cap_lock);
static unsigned long dn_caps;

/* Caller holds rcu_read_lock(); the target stays valid until it drops it. */
struct dn_target *dn_target_lookup_rcu(struct mm_struct *mm)
{
	struct dn_target *t;

	hash_for_each_possible_rcu(dn_target_hash, t, hnode, (unsigned long)mm)
		if (t->mm == mm && !READ_ONCE(t->dead))
			return t;
	return NULL;
}

/*
 * The listed target of process @tgid (a dead one too if !@live: an address
 * space that exec replaced), or NULL.  Caller holds rcu_read_lock().
 */
static struct dn_target *dn_tgid_lookup_rcu(pid_t tgid, bool live)
{
	struct dn_target *t;

	hash_for_each_possible_rcu(dn_tgid_hash, t, tnode, tgid)
		if (t->tgid == tgid && (!live || !READ_ONCE(t->dead)))
			return t;
	return NULL;
}

/*
 * The live target of @task's nearest ancestor, up to DN_ANCESTORS_MAX
 * generations, or NULL.  Caller holds rcu_read_lock() (real_parent).
 */
static struct dn_target *dn_ancestor_target_rcu(struct task_struct *task)
{
	struct dn_target *t;
	pid_t tgid;
	int i;

	for (i = 0; i < DN_ANCESTORS_MAX; i++) {
		task = rcu_dereference(task->real_parent);
		tgid = task_tgid_nr(task);
		if (!tgid)	/* past init: the idle task */
			break;
		t = dn_tgid_lookup_rcu(tgid, true);
		if (t)
			return t;
	}
	return NULL;
}

/**
 * dn_enrollable_rcu - may @task become a target under enroll=explicit?
 * @task: a user task, usually current
 *
 * True if its process has a listed target (an address space exec replaced,
 * whose dead target stays listed DN_EXEC_KEEP_MS) or a live target among
 * its ancestors.  Any context, with rcu_read_lock() held: the fault hook's
 * quick answer; dn_target_add() decides again under dn_targets_lock.
 */
bool dn_enrollable_rcu(struct task_struct *task)
{
	return dn_tgid_lookup_rcu(task_tgid_nr(task), false) ||
	       dn_ancestor_target_rcu(task);
}

static void dn_target_unhash(struct dn_target *t)
{
	spin_lock(&dn_target_hash_lock);
	if (!hlist_unhashed(&t->hnode))
		hash_del_rcu(&t->hnode);
	spin_unlock(&dn_target_hash_lock);
}

/*
 * dn_target_gone - @t's address space is going (its notifier's release):
 * no trap finds it any more; the worker frees it (dn_targets_reap()).
 */
void dn_target_gone(struct dn_target *t)
{
	WRITE_ONCE(t->gone_at, jiffies);
	WRITE_ONCE(t->dead, true);
	dn_target_unhash(t);
}

/* The last reference is gone: the target is off every list. */
static void dn_target_release(struct kobject *kobj)
{
	struct dn_target *t = container_of(kobj, struct dn_target, kobj);

	/* Its cap goes back to the blade: no sysfs write can come now. */
	spin_lock(&dn_cap_lock);
	dn_caps -= t->remote_mib;
	spin_unlock(&dn_cap_lock);
	mmdrop(t->mm);
	kvfree(t->ring.slot);
	kfree_rcu(t, rcu);
}

static const struct kobj_type dn_target_ktype = {
	.release = dn_target_release,
	.sysfs_ops = &dn_target_sysfs_ops,
	.default_groups = dn_target_groups,
};

/* The live target of @mm, or NULL; caller holds dn_targets_lock. */
struct dn_target *__dn_target_find(struct mm_struct *mm)
{
	struct dn_target *t;

	lockdep_assert_held(&dn_targets_lock);
	list_for_each_entry(t, &dn_targets, list)
		if (t->mm == mm && !READ_ONCE(t->dead))
			return t;
	return NULL;
}

/* Unregister and free a target; caller holds dn_targets_lock. */
static void __dn_target_free(struct dn_target *t)
{
	lockdep_assert_held(&dn_targets_lock);
	dn_target_unhash(t);
	spin_lock(&dn_target_hash_lock);
	hash_del_rcu(&t->tnode);
	spin_unlock(&dn_target_hash_lock);
	list_del_init(&t->list);	/* dn_target_next() tests it */
	kobject_del(&t->kobj);
	/* Calls release() if the address space is still alive. */
	mmu_notifier_unregister(&t->mn, t->mm);
	kobject_put(&t->kobj);
}

/**
 * dn_target_next - the next live target, with a reference
 * @prev: the target returned by the last call, or NULL for the first; its
 *	reference is dropped
 *
 * Targets added or removed meanwhile are seen or not; none is returned
 * twice.  No lock is held on return: the caller may sleep, take the
 * target's mmap lock and migrate its pages.  The reference keeps the target
 * and its mm_struct allocated (mmgrab()), not its address space alive.
 *
 * Return: the target, to be passed to the next call or to dn_target_put(),
 * or NULL after the last one.
 */
struct dn_target *dn_target_next(struct dn_target *prev)
{
	u64 after = prev ? prev->seq : 0;
	struct dn_target *t, *found = NULL;

	mutex_lock(&dn_targets_lock);
	/*
	 * The list is in seq order (added at the tail with the next seq):
	 * go on from @prev while it is listed, so that a pass over n
	 * targets costs O(n), not O(n^2); from the head, past the seqs
	 * already seen, if it was unlisted meanwhile.
	 */
	if (prev && !list_empty(&prev->list))
		t = list_next_entry(prev, list);
	else
		t = list_first_entry(&dn_targets, struct dn_target, list);
	list_for_each_entry_from(t, &dn_targets, list) {
		if (t->seq > after && !READ_ONCE(t->dead)) {
			found = t;
			kobject_get(&t->kobj);
			break;
		}
	}
	mutex_unlock(&dn_targets_lock);
	if (prev)
		dn_target_put(prev);
	return found;
}

/* Drop a reference taken by dn_target_next() or dn_target_get_mm(). */
void dn_target_put(struct dn_target *t)
{
	kobject_put(&t->kobj);
}

/* The live target of @mm with a reference, or NULL. */
/*
 * dn_target_tryget - a reference on @mm's target without dn_targets_lock,
 * for the fault path's task_work: an RCU lookup, and a reference only if
 * the count is not already 0 (the free waits for a grace period).
 */
struct dn_target *dn_target_tryget(struct mm_struct *mm)
{
	struct dn_target *t;

	rcu_read_lock();
	t = dn_target_lookup_rcu(mm);
	if (t && !kobject_get_unless_zero(&t->kobj))
		t = NULL;
	rcu_read_unlock();
	return t;
}

struct dn_target *dn_target_get_mm(struct mm_struct *mm)
{
	struct dn_target *t;

	mutex_lock(&dn_targets_lock);
	t = __dn_target_find(mm);
	if (t)
		kobject_get(&t->kobj);
	mutex_unlock(&dn_targets_lock);
	return t;
}

/*
 * How long a dead target with settings of its own, or any dead target
 * under enroll=explicit, stays listed: long enough for its process, if it
 * exec'd, to register its new address space (at its first touch or trap)
 * and take them, or be allowed to (dn_target_add()).
 */
#define DN_EXEC_KEEP_MS		1000

/* Free the targets whose address space is gone. */
void dn_targets_reap(void)
{
	bool explicit = READ_ONCE(dn_dev.enroll) == DN_ENROLL_EXPLICIT;
	struct dn_target *t, *tmp;
	bool own;

	mutex_lock(&dn_targets_lock);
	list_for_each_entry_safe(t, tmp, &dn_targets, list) {
		if (!READ_ONCE(t->dead))
			continue;
		own = explicit ||
		      READ_ONCE(t->remote_pct) != DN_SETTING_GLOBAL ||
		      READ_ONCE(t->latency_ns) != DN_SETTING_GLOBAL ||
		      READ_ONCE(t->remote_mib);
		if (own && time_before(jiffies, READ_ONCE(t->gone_at) +
				       msecs_to_jiffies(DN_EXEC_KEEP_MS)))
			continue;
		__dn_target_free(t);
	}
	mutex_unlock(&dn_targets_lock);
}

/*
 * A new target for @mm, its notifier registered, not listed yet.  Its
 * memory is charged to @mm's memory cgroup, whoever registers it.  Takes
 * @mm's mmap lock for writing, killably, and no module lock.
 */
static struct dn_target *dn_target_new(struct mm_struct *mm, pid_t tgid,
				       kuid_t uid)
{
	struct mem_cgroup *memcg, *old;
	struct dn_target *t;
	int i, ret;

	memcg = get_mem_cgroup_from_mm(mm);
	old = set_active_memcg(memcg);
	t = kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	set_active_memcg(old);
	mem_cgroup_put(memcg);
	if (!t)
		return ERR_PTR(-ENOMEM);
	t->mm = mm;
	mmgrab(mm);	/* dropped by dn_target_release() */
	t->tgid = tgid;
	t->uid = uid;
	for (i = 0; i < DN_NR_TSTATS; i++)
		atomic64_set(&t->stat[i], 0);
	spin_lock_init(&t->ring_lock);
	spin_lock_init(&t->reserve_lock);
	/* Follows the global settings until targets/PID/ says otherwise. */
	t->remote_pct = DN_SETTING_GLOBAL;
	t->latency_ns = DN_SETTING_GLOBAL;
	t->tenant_pct = DN_SETTING_GLOBAL;	/* no tenant yet */
	t->tenant_lat = DN_SETTING_GLOBAL;
	t->pool_pm = DN_POOL_NEW;
	t->recount = true;	/* kzalloc() zeroed the counts and the ring */
	INIT_HLIST_NODE(&t->hnode);
	INIT_HLIST_NODE(&t->tnode);
	INIT_LIST_HEAD(&t->list);
	kobject_init(&t->kobj, &dn_target_ktype);
	t->mn.ops = &dn_mn_ops;
	ret = mmap_write_lock_killable(mm);
	if (!ret) {
		ret = __mmu_notifier_register(&t->mn, mm);
		mmap_write_unlock(mm);
	}
	if (ret) {
		kobject_put(&t->kobj);	/* frees @t and drops @mm */
		return ERR_PTR(ret);
	}
	return t;
}

/*
 * @new takes @from's own settings (those it follows the global ones for
 * stay so); @new is not listed yet, @from is, under dn_targets_lock.
 * Across exec (@move) the cap moves with them; after a fork the child
 * claims a cap of its own, as large as its parent's if the blade has room
 * for it, else what is left of it (no cap if nothing is: its pages then
 * go remote as the blade allows, and a message says so).
 */
static void dn_target_inherit(struct dn_target *new, struct dn_target *from,
			      bool move)
{
	unsigned int want, left;

	new->remote_pct = READ_ONCE(from->remote_pct);
	new->latency_ns = READ_ONCE(from->latency_ns);
	spin_lock(&dn_cap_lock);
	dn_caps -= new->remote_mib;	/* a parent's, before an exec's */
	want = from->remote_mib;
	if (move) {
		WRITE_ONCE(from->remote_mib, 0);
		left = want;
	} else {
		left = dn_caps < dn_blade_mib() ? dn_blade_mib() - dn_caps : 0;
	}
	new->remote_mib = min(want, left);
	dn_caps += new->remote_mib;
	spin_unlock(&dn_cap_lock);
	if (new->remote_mib < want)
		pr_warn_ratelimited("targets/%d: the blade has %u MiB left of the remote_mib %u of its parent %d%s\n",
				    new->tgid, left, want, from->tgid,
				    left ? "" : ": no cap");
}

/* Live targets of @uid but those of process @tgid; dn_targets_lock. */
static unsigned int __dn_uid_targets(kuid_t uid, pid_t tgid)
{
	struct dn_target *t;
	unsigned int n = 0;

	lockdep_assert_held(&dn_targets_lock);
	list_for_each_entry(t, &dn_targets, list)
		if (!READ_ONCE(t->dead) && uid_eq(t->uid, uid) &&
		    t->tgid != tgid)
			n++;
	return n;
}

/*
 * May process @tgid (real uid @uid) become a target, and whose settings
 * does it take (*@from: its own old target after an exec, else its nearest
 * ancestor's, else NULL)?  Caller holds dn_targets_lock, which keeps
 * *@from listed.
 *
 * Return: 0; -EPERM under enroll=explicit for a process that is neither
 * registered by root (@by_root) nor a live target's descendant nor one
 * that exec'd; -EUSERS if @uid (not root) has targets_per_user live targets.
 */
static int __dn_enroll_check(pid_t tgid, kuid_t uid, bool by_root,
			     struct dn_target **from)
{
	struct dn_enroll_req req = {
		.by_root = by_root,
		.explicit = READ_ONCE(dn_dev.enroll) == DN_ENROLL_EXPLICIT,
		.root_uid = uid_eq(uid, GLOBAL_ROOT_UID),
		.per_user = READ_ONCE(dn_dev.targets_per_user),
	};
	struct task_struct *task;

	lockdep_assert_held(&dn_targets_lock);
	rcu_read_lock();
	*from = dn_tgid_lookup_rcu(tgid, false);
	task = pid_task(find_pid_ns(tgid, &init_pid_ns), PIDTYPE_PID);
	if (!*from && task)
		*from = dn_ancestor_target_rcu(task);
	rcu_read_unlock();
	req.related = *from;
	if (req.per_user && !req.root_uid)
		req.uid_targets = __dn_uid_targets(uid, tgid);
	switch (dn_enroll_verdict(&req)) {
	case DN_ENROLL_NOT_RELATED:
		return -EPERM;
	case DN_ENROLL_OVER_LIMIT:
		return -EUSERS;
	default:
		return 0;
	}
}

/**
 * dn_target_add - make an address space a target
 * @mm: the address space, with a user reference (mm_users) held
 * @tgid: its owner's thread-group id, names targets/TGID
 * @uid: its owner's real uid (targets_per_user)
 * @by_root: registered by root (target_add, debugfs), not by the hook:
 *	allowed under enroll=explicit
 *
 * Sleeps: takes @mm's mmap lock for writing (killable: a fatal signal
 * ends the wait with -EINTR) before dn_targets_lock, never under it, so a
 * process whose mmap lock stays held delays only its own registration.
 * Process context only, with no mmap lock held.  Adding an existing target
 * is not an error.  The checks (__dn_enroll_check()) run before anything
 * is allocated, and again when the target is listed.
 *
 * The new target keeps the settings of its process's old target if the
 * process has exec'd, else takes those of its nearest ancestor's target
 * if it has one (a fork: "dnctl run --remote-pct 25 -- sh -c prog" runs
 * prog at 25), else follows the global ones.
 *
 * Return: 0 or a negative error: -EPERM, -EUSERS (see __dn_enroll_check()),
 * -ENOMEM, -EINTR.
 */
int dn_target_add(struct mm_struct *mm, pid_t tgid, kuid_t uid, bool by_root)
{
	struct dn_target *t, *tmp, *new, *from;
	struct mem_cgroup *memcg, *old;
	int ret;

	mutex_lock(&dn_targets_lock);
	t = __dn_target_find(mm);
	ret = t ? 0 : __dn_enroll_check(tgid, uid, by_root, &from);
	mutex_unlock(&dn_targets_lock);
	if (t || ret)
		return ret;
	new = dn_target_new(mm, tgid, uid);
	if (IS_ERR(new))
		return PTR_ERR(new);

	memcg = get_mem_cgroup_from_mm(mm);
	mutex_lock(&dn_targets_lock);
	if (__dn_target_find(mm))
		goto err_unlock;	/* added meanwhile by another thread */
	ret = __dn_enroll_check(tgid, uid, by_root, &from);
	if (ret)
		goto err_unlock;
	/* An exec moves the old target's cap; a fork claims its own. */
	if (from)
		dn_target_inherit(new, from, from->tgid == tgid);
	/*
	 * The same process with another address space: it has exec'd, and
	 * the old one is gone or going (its release may come later, e.g.
	 * while the worker still holds it).  Its directory has the same
	 * name: remove it first.
	 */
	list_for_each_entry_safe(t, tmp, &dn_targets, list)
		if (t->tgid == tgid)
			__dn_target_free(t);
	__dn_tenant_attach(new);
	new->seq = ++dn_target_seq;
	/* Its sysfs directory: charged as the target is. */
	old = set_active_memcg(memcg);
	ret = kobject_add(&new->kobj, dn_dev.targets_kobj, "%d", tgid);
	set_active_memcg(old);
	if (ret)
		goto err_unlock;
	list_add_tail(&new->list, &dn_targets);
	spin_lock(&dn_target_hash_lock);
	hash_add_rcu(dn_target_hash, &new->hnode, (unsigned long)mm);
	hash_add_rcu(dn_tgid_hash, &new->tnode, tgid);
	spin_unlock(&dn_target_hash_lock);
	mutex_unlock(&dn_targets_lock);
	mem_cgroup_put(memcg);
	return 0;

err_unlock:
	mutex_unlock(&dn_targets_lock);
	mem_cgroup_put(memcg);
	/* Calls release() if the address space is alive: @new is unlisted. */
	mmu_notifier_unregister(&new->mn, mm);
	kobject_put(&new->kobj);
	return ret;
}

/*
 * The address space of @pid, with a user reference, its tgid and, if
 * @uid, its real uid.
 */
struct mm_struct *dn_pid_mm(pid_t pid, pid_t *tgid, kuid_t *uid)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *p;

	p = find_get_pid(pid);
	if (!p)
		return ERR_PTR(-ESRCH);
	task = get_pid_task(p, PIDTYPE_PID);
	put_pid(p);
	if (!task)
		return ERR_PTR(-ESRCH);
	mm = get_task_mm(task);	/* NULL for kernel threads */
	*tgid = task_tgid_nr(task);
	if (uid)
		*uid = task_uid(task);
	put_task_struct(task);
	return mm ? mm : ERR_PTR(-EINVAL);
}

/*
 * target_add: register the process @pid, whatever enroll says; a uid at
 * its targets_per_user is refused with -EUSERS and a message.
 */
int dn_target_add_pid(pid_t pid)
{
	struct mm_struct *mm;
	pid_t tgid;
	kuid_t uid;
	int ret;

	mm = dn_pid_mm(pid, &tgid, &uid);
	if (IS_ERR(mm))
		return PTR_ERR(mm);
	ret = dn_target_add(mm, tgid, uid, true);
	mmput(mm);
	if (ret == -EUSERS)
		pr_warn_ratelimited("target_add: pid %d refused: uid %u has %u targets, targets_per_user\n",
				    pid, from_kuid(&init_user_ns, uid),
				    READ_ONCE(dn_dev.targets_per_user));
	return ret;
}

/* target_remove: unregister the process @pid; its remote pages stay remote. */
int dn_target_remove_pid(pid_t pid)
{
	struct dn_target *found;
	struct mm_struct *mm;
	pid_t tgid;

	mm = dn_pid_mm(pid, &tgid, NULL);
	if (IS_ERR(mm))
		return PTR_ERR(mm);
	mutex_lock(&dn_targets_lock);
	found = __dn_target_find(mm);
	if (found)
		__dn_target_free(found);
	mutex_unlock(&dn_targets_lock);
	mmput(mm);
	return found ? 0 : -ENOENT;
}

int dn_targets_init(struct dn_dev *dn)
{
	int ret;

	dn->targets_kobj = kobject_create_and_add("targets", dn->kobj);
	if (!dn->targets_kobj)
		return -ENOMEM;
	ret = dn_tenants_init(dn);
	if (ret)
		kobject_put(dn->targets_kobj);
	return ret;
}

/* Unload: drop every target.  Hooks and the worker are already stopped. */
void dn_targets_exit(struct dn_dev *dn)
{
	struct dn_target *t, *tmp;

	dn_tenants_exit(dn);	/* the targets leave their tenants */
	mutex_lock(&dn_targets_lock);
	list_for_each_entry_safe(t, tmp, &dn_targets, list)
		__dn_target_free(t);
	mutex_unlock(&dn_targets_lock);
	kobject_put(dn->targets_kobj);
	/* kfree_rcu() of the targets must not outlive the module's memory. */
	rcu_barrier();
}

/*
 * dn_target_moved - account @to_remote pages of @t moved to the remote node
 * (negative: brought home).  The counts hold between recounts.
 */
void dn_target_moved(struct dn_target *t, long to_remote)
{
	atomic_long_add(to_remote, &t->remote);
	atomic_long_add(abs(to_remote), &t->moved);
}

/**
 * dn_target_split - @t's split as the policy sees it, in O(1)
 * @t: the target (a reference is held: its mm_struct is allocated)
 * @split: out: local and remote anonymous pages, and the target's
 *	remote_pct (its own, or the global one: dn_target_remote_pct())
 *
 * The pages split are the target's private anonymous pages, as the mm's
 * RSS counter MM_ANONPAGES counts them (heap, stack, anonymous mmap, and
 * pages copied on write in private file mappings), read by dn_mm_anon().
 * Remote: the count kept by the module's moves and the mmu notifier.
 * Local: MM_ANONPAGES less the remote ones and the pages of huge mappings
 * at the last recount (left alone, so outside the split), at least 0.
 */
/*
 * @mm's private anonymous pages, exactly: get_mm_counter() leaves out the
 * per-CPU deltas of 6.2 and later (up to 32 pages per CPU), and, on 6.1,
 * the events each task caches (up to 64): of those, the current task's,
 * the one that faults, are added.
 */
static long dn_mm_anon(struct mm_struct *mm)
{
#ifdef HAVE_MM_RSS_PERCPU
	return percpu_counter_sum_positive(&mm->rss_stat[MM_ANONPAGES]);
#else
	long n = get_mm_counter(mm, MM_ANONPAGES);

#ifdef HAVE_TASK_RSS_STAT
	if (current->mm == mm)
		n += current->rss_stat.count[MM_ANONPAGES];
#endif
	return max(n, 0L);
#endif
}

/* @t's private anonymous pages, exactly (dn_mm_anon()). */
unsigned long dn_target_anon(struct dn_target *t)
{
	return dn_mm_anon(t->mm);
}

void dn_target_split(struct dn_target *t, struct dn_split *split)
{
	long anon = dn_mm_anon(t->mm);
	long remote = max(atomic_long_read(&t->remote), 0L);
	long local = anon - remote - (long)READ_ONCE(t->huge);

	/*
	 * A dead target's address space is gone, and its pages with it (its
	 * remote count is not taken down page by page at exit): it holds
	 * none, though it stays listed a while (DN_EXEC_KEEP_MS).
	 */
	if (READ_ONCE(t->dead)) {
		local = 0;
		remote = 0;
	}
	split->local = max(local, 0L);
	split->remote = remote;
	split->remote_pct = dn_target_remote_pct(t);
	split->remote_max = dn_target_cap(t);
}

/**
 * dn_target_set_cap - targets/PID/remote_mib: set @t's share of the blade
 * @t: the target
 * @mib: its cap in MiB, 0 for none
 *
 * The caps of all targets together may not exceed the blade: a cap larger
 * than the blade, or one that would take the sum beyond it, is refused.
 *
 * Return: 0, or -EINVAL with a message that says why.
 */
int dn_target_set_cap(struct dn_target *t, unsigned int mib)
{
	unsigned long blade = dn_blade_mib(), free;

	if (mib > blade) {
		pr_err_ratelimited("targets/%d/remote_mib: %u MiB is larger than the blade (%lu MiB)\n",
				   t->tgid, mib, blade);
		return -EINVAL;
	}
	if (!dn_caps_claim(&t->remote_mib, mib, &free)) {
		pr_err_ratelimited("targets/%d/remote_mib: %u MiB would take the caps to %lu MiB, beyond the blade's %lu MiB: %lu MiB are free for this target\n",
				   t->tgid, mib, blade - free + mib, blade,
				   free);
		return -EINVAL;
	}
	return 0;
}

/**
 * dn_caps_claim - change a cap (a target's or a tenant's) within the blade
 * @cap: the cap, in MiB; written with WRITE_ONCE() under dn_cap_lock
 * @mib: its new value
 * @free: what the blade has for it, the others' caps left out (MiB)
 *
 * Return: true if the caps together stay within the blade and @cap is
 * now @mib; false if the sum would go beyond, and @cap is unchanged.
 */
bool dn_caps_claim(unsigned int *cap, unsigned int mib, unsigned long *free)
{
	unsigned long blade = dn_blade_mib(), others;
	bool fits;

	spin_lock(&dn_cap_lock);
	others = dn_caps - *cap;
	fits = others + mib <= blade;
	if (fits) {
		dn_caps = others + mib;
		WRITE_ONCE(*cap, mib);
	}
	spin_unlock(&dn_cap_lock);
	*free = others < blade ? blade - others : 0;
	return fits;
}

/* The sum of the targets' caps, MiB (blade/claimed_mib). */
unsigned long dn_caps_mib(void)
{
	return READ_ONCE(dn_caps);
}

/**
 * dn_target_reserve - count pages an eviction is about to send remote
 * @t: the target
 * @want: pages it would send
 *
 * The pages are counted against @t's cap (dn_cap_room()) until
 * dn_target_unreserve(), so that evictions under way at once (the worker,
 * the exchanges of several threads) together never take the target above
 * it.  Any context.
 *
 * Return: the pages it may send, at most @want; to be passed to
 * dn_target_unreserve() once the pages that moved are counted
 * (dn_target_moved()).
 */
unsigned long dn_target_reserve(struct dn_target *t, unsigned long want)
{
	long remote = max(atomic_long_read(&t->remote), 0L);

	spin_lock(&t->reserve_lock);
	want = dn_cap_room(dn_target_cap(t), remote, t->reserved, want);
	t->reserved += want;
	spin_unlock(&t->reserve_lock);
	return want;
}

void dn_target_unreserve(struct dn_target *t, unsigned long reserved)
{
	spin_lock(&t->reserve_lock);
	t->reserved -= reserved;
	spin_unlock(&t->reserve_lock);
}

/**
 * dn_target_held - count the pages the cap or the blade keeps local
 * @t: the target
 * @full: the last eviction found the blade full
 *
 * The pages remote_pct asks remote that stay local (dn_split_held()); what
 * that count goes beyond its peak (@t->held) is added to the target's and
 * the blade's refused counters (dn_held_refused()): each page once, when
 * it is first held.  The peak is raised with a compare-and-exchange, so
 * threads that look at once count each page once.  Nothing happens to a
 * target with no cap while the blade has room.  Any context that may read
 * the mm's counters (dn_target_split()).
 */
void dn_target_held(struct dn_target *t, bool full)
{
	unsigned long held, add;
	struct dn_split split;
	long peak;

	if (!full && !dn_target_own_cap(t))
		return;		/* the worker's every pass: O(1) */
	dn_target_split(t, &split);
	/* Its tenant's cap holds pages back: the tenant counts them. */
	split.remote_max = dn_target_own_cap(t);
	held = dn_split_held(&split, full);
	peak = atomic_long_read(&t->held);
	do {
		add = dn_held_refused(peak, held);
		if (!add)
			return;
	} while (!atomic_long_try_cmpxchg(&t->held, &peak, held));
	atomic64_add(add, &t->stat[DN_TSTAT_REFUSED]);
	dn_stat_add(DN_STAT_REFUSED, add);
}
