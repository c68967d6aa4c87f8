/* SPDX-License-Identifier: GPL-2.0 */
/*
 * disagg_node internal definitions: the one device the module drives.
 */
#ifndef _DN_INTERNAL_H
#define _DN_INTERNAL_H

#include <linux/hashtable.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/page_idle.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "config.h"
#include "policy.h"

/*
 * The per-CPU system workqueue under its current name: 7.2 deprecates
 * system_wq (HAVE_SYSTEM_PERCPU_WQ).
 */
#ifdef HAVE_SYSTEM_PERCPU_WQ
#define dn_percpu_wq	system_percpu_wq
#else
#define dn_percpu_wq	system_wq
#endif

/* Abstract distance of the remote node: that of slow memory in dax/kmem. */
#define DN_ADISTANCE		(MEMTIER_ADISTANCE_DRAM * 5)
#define DN_REMOTE_PCT_MAX	100
#define DN_LATENCY_NS_MAX	1000000
#define DN_SCAN_PERIOD_MS_MAX	10000
#define DN_EVICT_BATCH_MAX	4096
#define DN_RUN_MAX		512	/* pages per migrate_vma call: one PMD */
#define DN_TARGETS_PER_USER	64	/* targets_per_user's default */

/**
 * enum dn_enroll - who may become a target (sysfs enroll)
 * @DN_ENROLL_AUTO: any process whose page on the node traps or is first
 *	touched, and every pid written to target_add.
 * @DN_ENROLL_EXPLICIT: only the processes root registers (target_add), the
 *	programs they exec and the processes they fork (descendants of a live
 *	target); any other process's pages on the node are left alone.
 */
enum dn_enroll {
	DN_ENROLL_AUTO,
	DN_ENROLL_EXPLICIT,
};

/**
 * enum dn_state - lifecycle of the remote node
 * @DN_STATE_INIT: nothing added yet; only parameters are valid.
 * @DN_STATE_ADDED: memory added to the node, not (fully) online yet.
 * @DN_STATE_ONLINE: every block online in ZONE_MOVABLE; the node is usable.
 * @DN_STATE_REMOVING: unload in progress; offline_and_remove_memory() runs.
 * @DN_STATE_REMOVE_FAILED: removal failed; the memory stays online and the
 *	resource name, memory type and region are leaked on purpose.
 */
enum dn_state {
	DN_STATE_INIT,
	DN_STATE_ADDED,
	DN_STATE_ONLINE,
	DN_STATE_REMOVING,
	DN_STATE_REMOVE_FAILED,
};

struct memory_dev_type;

/**
 * struct dn_dev - the remote memory node
 * @lock: serialises writers of @remote_pct, @latency_ns,
 *	@latency_offset_ns, @trap, @enroll and @targets_per_user, and of each
 *	target's own remote_pct and latency_ns (readers use READ_ONCE() and
 *	need no lock).
 * @state: see enum dn_state; written only by load and unload, before the
 *	sysfs files exist and after they are gone, so it needs no lock.
 * @nid: the NUMA node the region is added to; fixed after load.
 * @start: physical start of the region; fixed after load.
 * @size: size of the region in bytes; fixed after load.
 * @res_name: "System RAM (disagg_node)", must outlive the memory.
 * @memtype: the lower-tier memory type registered for @nid.
 * @memtypes: 6.12 list of allocated memory types (mt_put_memory_types()).
 * @mem_nb: memory notifier that keeps the region in ZONE_MOVABLE.
 * @vetoed: onlining attempts into a zone other than ZONE_MOVABLE refused.
 * @local_nid: the node remote pages are promoted to (the first node with
 *	CPUs and memory); fixed after load.
 * @trap: remote pages trap (1, the default), or the node is a plain
 *	lower-tier NUMA node (0): hooks and worker stand aside.
 * @first_touch: the kmem:mm_page_alloc probe protects first touches at
 *	once (1), or the worker does at its next pass (0); fixed after load.
 * @remote_pct: share of a target's resident pages kept remote, 0..100;
 *	the default of every target without its own (dn_target_remote_pct()).
 * @latency_ns: delay injected on every remote access, 0..DN_LATENCY_NS_MAX;
 *	the default of every target without its own, and what a process
 *	that is not a target yet pays (dn_target_latency_ns()).
 * @latency_offset_ns: what the busy-wait costs beyond what it counts,
 *	subtracted from each wait; set by dn_latency_calibrate() (writers
 *	hold @lock, readers use READ_ONCE()).
 * @enroll: enum dn_enroll: who may become a target.
 * @targets_per_user: live targets one uid (but root's) may have at a time;
 *	0: no limit.
 * @scan_period_ms: period of the balancing worker, 1..DN_SCAN_PERIOD_MS_MAX.
 * @evict_batch: pages moved per target per pass, 1..DN_EVICT_BATCH_MAX.
 * @paused: debugfs: the worker does nothing while set.
 * @fail_promote: debugfs: that many next remote faults refuse promotion.
 * @kobj: /sys/kernel/mm/disagg_node.
 * @stats_kobj: /sys/kernel/mm/disagg_node/stats.
 * @targets_kobj: /sys/kernel/mm/disagg_node/targets.
 * @tenants_kobj: /sys/kernel/mm/disagg_node/tenants.
 */
struct dn_dev {
	struct mutex lock;	/* serialises sysfs writers of the settings */
	enum dn_state state;
	int nid;
	u64 start;
	u64 size;
	const char *res_name;
	struct memory_dev_type *memtype;
	struct list_head memtypes;
	struct notifier_block mem_nb;
	atomic_long_t vetoed;
	int local_nid;
	bool trap;
	bool first_touch;
	unsigned int remote_pct;
	unsigned int latency_ns;
	long long latency_offset_ns;
	unsigned int enroll;
	unsigned int targets_per_user;
	unsigned int scan_period_ms;
	unsigned int evict_batch;
	bool paused;
	atomic_t fail_promote;
	struct kobject *kobj;
	struct kobject *stats_kobj;
	struct kobject *targets_kobj;
	struct kobject *tenants_kobj;
};

extern struct dn_dev dn_dev;

/* Global event counters, per CPU: no shared cache line on the fault path. */
enum dn_stat {
	DN_STAT_REMOTE_FAULTS,
	DN_STAT_PROMOTIONS,
	DN_STAT_PROMOTION_FAILURES,
	DN_STAT_EVICTIONS,
	DN_STAT_HOMECOMINGS,
	DN_STAT_INJECTED_DELAY_NS,
	DN_STAT_REPROTECTED,
	DN_STAT_REMOTE_FULL,
	DN_STAT_REPROTECT_DEFERRED,
	DN_STAT_SKIPPED_HUGE,
	DN_STAT_EXCHANGES,
	DN_STAT_EXCHANGE_MISSES,
	DN_STAT_EVICT_WINDOW_ACCESSED,
	DN_STAT_HOOK_PROTECTED,
	DN_STAT_RECOUNTS,
	DN_STAT_WORKER_NS,
	DN_STAT_WALK_ERRORS,
	DN_STAT_REFUSED,
	DN_STAT_ENROLL_REFUSED,
	DN_STAT_ENROLL_LIMITED,
	DN_NR_STATS,
};

struct dn_stats {
	u64 v[DN_NR_STATS];
};

DECLARE_PER_CPU(struct dn_stats, dn_stats);

static inline void dn_stat_add(enum dn_stat s, u64 n)
{
	this_cpu_add(dn_stats.v[s], n);
}

u64 dn_stat_sum(enum dn_stat s);

/* Per-target counters, shown in targets/PID/. */
enum dn_tstat {
	DN_TSTAT_REMOTE_FAULTS,
	DN_TSTAT_PROMOTIONS,
	DN_TSTAT_PROMOTION_FAILURES,
	DN_TSTAT_EVICTIONS,
	DN_TSTAT_INJECTED_DELAY_NS,
	DN_TSTAT_EXCHANGES,
	DN_TSTAT_REFUSED,
	DN_NR_TSTATS,
};

/**
 * struct dn_target - a process whose remote pages trap
 * @hnode: in dn_target_hash, keyed by @mm; RCU readers (the fault path),
 *	writers hold dn_target_hash_lock.
 * @tnode: in dn_tgid_hash, keyed by @tgid, from listing to freeing (a dead
 *	target too: its process may have exec'd); as @hnode.
 * @list: in dn_targets; protected by dn_targets_lock.
 * @mn: mmu notifier: exit (release) and mprotect (invalidate_range_end).
 * @mm: the address space; kept allocated (not alive) by mmgrab() until the
 *	last reference to the target is dropped.
 * @tgid: thread-group id of the process that owned @mm when it was added.
 * @uid: that process's real uid then: targets_per_user counts by it.
 * @seq: order of addition (dn_target_next()); dn_targets_lock.
 * @dead: the address space is gone (release ran); the worker frees it.
 * @gone_at: jiffies when @dead was set: a dead target with settings of its
 *	own stays listed DN_EXEC_KEEP_MS, so that its process, if it
 *	exec'd, finds them when its new address space registers.
 * @hand: clock hand, a user address; dn_move_lock.
 * @home_hand: where the worker's next search for remote pages to bring
 *	home starts, a user address; dn_move_lock.
 * @remote: remote anonymous pages mapped by the target: the last recount,
 *	then kept by the module's own moves (exchange, eviction, homecoming,
 *	first touch) and by the mmu notifier for everything else that unmaps
 *	or migrates them (free, munmap, a promotion, move_pages(2) by others).
 * @shared: remote pages the worker cannot evict (shared, file).
 * @huge: anonymous pages mapped by huge PMDs at the last recount: counted
 *	in MM_ANONPAGES, but left alone by the module, so outside the split.
 * @owed: pages promoted whose exchange has not run yet; paid by the
 *	trap's task_work, or by the same target's next trap.
 * @moved: pages moved since the last recount (dn_recount_due()).
 * @counted_at: jiffies of the last recount; written by the worker only.
 * @counted_pct: remote_pct at the last recount; worker only.
 * @recount: a recount is asked for (new target, mprotect, debugfs).
 * @scan_hand: where the last scan of an exchange whose ring ran dry stopped
 *	(dn_ring_scan()); read and written without a lock: threads of a
 *	target scanning at once add an entry twice at worst.
 * @scan_rest: jiffies before which no scan runs, after one found nothing
 *	(every local page shared after fork(), say); no lock, as @scan_hand.
 * @ring_lock: protects @ring (the entries, not the pages they name) and
 *	@recent.
 * @ring: the target's local pages, oldest first: victims for the
 *	exchange and the worker (see policy.h).  Grown, by the target's own
 *	threads or the worker, where they may sleep (dn_ring_reserve()).
 * @recent: the pages this target's traps and first touches brought home
 *	last, which no pick takes.
 * @fail_streak: promotions failed in a row (the fault path).
 * @remote_pct: the target's own remote_pct, 0..DN_REMOTE_PCT_MAX, or
 *	DN_SETTING_GLOBAL to follow dn_dev.remote_pct; written with
 *	WRITE_ONCE() under dn_dev.lock (targets/PID/remote_pct), read with
 *	READ_ONCE() and no lock, through dn_target_remote_pct().
 * @latency_ns: the same for latency_ns, 0..DN_LATENCY_NS_MAX or
 *	DN_SETTING_GLOBAL (dn_target_latency_ns()).
 * @tenant: the cgroup tenant the target is in, or NULL (tenant.c);
 *	dn_targets_lock.
 * @tenant_pct: its tenant's remote_pct, or DN_SETTING_GLOBAL: a copy kept
 *	by tenant.c, written with WRITE_ONCE() under dn_targets_lock, read
 *	with READ_ONCE() through dn_target_remote_pct().
 * @tenant_lat: the same for latency_ns.
 * @pool_pm: its share of its tenant's local capacity, per mille of its
 *	pages (dn_pool_share()), or DN_POOL_NEW; dn_targets_lock (tenant.c).
 * @pool_faults: its remote_faults at that sharing; dn_targets_lock.
 * @pool_cap: under its tenant's cap, its part of it in pages (0: none);
 *	written with WRITE_ONCE() under dn_targets_lock, read with
 *	READ_ONCE() and no lock (dn_target_cap()).
 * @remote_mib: the target's cap, its share of the blade: remote pages it
 *	may hold at most, in MiB; 0: no cap.  Written with WRITE_ONCE()
 *	under dn_cap_lock (target.c), which keeps the sum of the caps within
 *	the blade; read with READ_ONCE() and no lock (dn_target_cap()).
 * @reserve_lock: protects @reserved.
 * @reserved: pages that evictions under way may send remote, counted
 *	against the cap before they move (dn_target_reserve()).
 * @held: the most pages that remote_pct asked remote and the cap or a
 *	full blade kept local at once (dn_target_held()); what it grows by
 *	is counted in the refused counters.  Only grows (compare-and-exchange).
 * @stat: per-target counters (enum dn_tstat).
 * @kobj: targets/PID; its reference count is the target's: the list holds
 *	one, and dn_target_next() / dn_target_get_mm() one each.
 * @rcu: deferred free.
 */
struct dn_target {
	struct rcu_head rcu;	/* first: kfree_rcu() needs a small offset */
	struct hlist_node hnode;
	struct hlist_node tnode;
	struct list_head list;
	struct mmu_notifier mn;
	struct mm_struct *mm;
	pid_t tgid;
	kuid_t uid;
	u64 seq;
	bool dead;
	unsigned long gone_at;
	unsigned long hand;
	unsigned long home_hand;
	atomic_long_t remote;
	unsigned long shared;
	unsigned long huge;
	atomic_long_t owed;
	atomic_long_t moved;
	unsigned long counted_at;
	unsigned int counted_pct;
	bool recount;
	unsigned long scan_hand;
	unsigned long scan_rest;
	spinlock_t ring_lock;	/* @ring, @recent */
	struct dn_ring ring;
	struct dn_recent recent;
	atomic_t fail_streak;
	int remote_pct;
	int latency_ns;
	struct dn_tenant *tenant;
	int tenant_pct;
	int tenant_lat;
	unsigned int pool_pm;
	u64 pool_faults;
	unsigned long pool_cap;
	unsigned int remote_mib;
	spinlock_t reserve_lock;	/* @reserved */
	unsigned long reserved;
	atomic_long_t held;
	atomic64_t stat[DN_NR_TSTATS];
	struct kobject kobj;
};

/*
 * A target's effective settings: its own, else its cgroup tenant's, else
 * the global ones (dn_setting_own(), dn_setting()).  Any context; the
 * target must stay allocated (a reference, or rcu_read_lock() around
 * dn_target_lookup_rcu()).  Each is read once per use: a write in between
 * takes effect at the next one.
 */
static inline unsigned int dn_target_remote_pct(const struct dn_target *t)
{
	return dn_setting(dn_setting_own(READ_ONCE(t->remote_pct),
					 READ_ONCE(t->tenant_pct)),
			  READ_ONCE(dn_dev.remote_pct));
}

static inline unsigned int dn_target_latency_ns(const struct dn_target *t)
{
	return dn_setting(dn_setting_own(READ_ONCE(t->latency_ns),
					 READ_ONCE(t->tenant_lat)),
			  READ_ONCE(dn_dev.latency_ns));
}

/* The blade: the remote node's size, in MiB, what the caps share. */
static inline unsigned long dn_blade_mib(void)
{
	return dn_dev.size >> 20;
}

/* A target's own cap in pages (remote_mib); 0: no cap.  Any context. */
static inline unsigned long dn_target_own_cap(const struct dn_target *t)
{
	return (unsigned long)READ_ONCE(t->remote_mib) << (20 - PAGE_SHIFT);
}

/*
 * A target's cap in pages: its own, or its part of its tenant's
 * (@pool_cap), the lower if both; 0: no cap.  Any context.
 */
static inline unsigned long dn_target_cap(const struct dn_target *t)
{
	unsigned long own = dn_target_own_cap(t);
	unsigned long part = READ_ONCE(t->pool_cap);

	if (!own || !part)
		return own | part;
	return min(own, part);
}

/* target.c */
int dn_targets_init(struct dn_dev *dn);
void dn_targets_exit(struct dn_dev *dn);
struct dn_target *dn_target_lookup_rcu(struct mm_struct *mm);
struct dn_target *__dn_target_find(struct mm_struct *mm);
struct dn_target *dn_target_next(struct dn_target *prev);
struct dn_target *dn_target_get_mm(struct mm_struct *mm);
struct dn_target *dn_target_tryget(struct mm_struct *mm);
void dn_target_put(struct dn_target *t);
bool dn_enrollable_rcu(struct task_struct *task);
int dn_target_add(struct mm_struct *mm, pid_t tgid, kuid_t uid, bool by_root);
int dn_target_add_pid(pid_t pid);
struct mm_struct *dn_pid_mm(pid_t pid, pid_t *tgid, kuid_t *uid);
int dn_target_remove_pid(pid_t pid);
void dn_targets_reap(void);
void dn_target_gone(struct dn_target *t);
void dn_target_moved(struct dn_target *t, long to_remote);
unsigned long dn_target_anon(struct dn_target *t);
void dn_target_split(struct dn_target *t, struct dn_split *split);
int dn_target_set_cap(struct dn_target *t, unsigned int mib);
bool dn_caps_claim(unsigned int *cap, unsigned int mib, unsigned long *free);
unsigned long dn_caps_mib(void);
unsigned long dn_target_reserve(struct dn_target *t, unsigned long want);
void dn_target_unreserve(struct dn_target *t, unsigned long reserved);
void dn_target_held(struct dn_target *t, bool full);
extern struct mutex dn_targets_lock;
extern struct list_head dn_targets;

/* tenant.c */
struct dn_tenant;
int dn_tenants_init(struct dn_dev *dn);
void dn_tenants_exit(struct dn_dev *dn);
void __dn_tenant_attach(struct dn_target *t);
void dn_tenants_share(void);
extern struct kobj_attribute dn_attr_tenant_add;
extern struct kobj_attribute dn_attr_tenant_remove;

/* sysfs.c: the files of targets/PID/ */
extern const struct sysfs_ops dn_target_sysfs_ops;
extern const struct attribute_group *dn_target_groups[];

/* notify.c */
extern const struct mmu_notifier_ops dn_mn_ops;

/* The page a present PTE maps, or NULL. */
static inline struct page *dn_pte_page(pte_t pte)
{
	unsigned long pfn;

	if (!pte_present(pte))
		return NULL;
	pfn = pte_pfn(pte);
	return pfn_valid(pfn) ? pfn_to_page(pfn) : NULL;
}

static inline bool dn_page_remote(struct page *page)
{
	return page && page_to_nid(page) == dn_dev.nid;
}

/*
 * Was the page that accessible PTE @pte maps (@page) used since its
 * accessed bit was last cleared?  The PTE's bit, or the folio's young
 * flag: DAMON (7.2 runs DAMON_STAT by default) and idle page tracking
 * move the bit there when they clear it (damon_ptep_mkold()), and reclaim
 * reads both the same way (folio_referenced_one()).  @clear consumes the
 * folio's flag, as reclaim does; the caller clears the PTE's bit.
 */
static inline bool dn_pte_young(pte_t pte, struct page *page, bool clear)
{
	if (pte_protnone(pte))
		return false;
	if (pte_young(pte))
		return true;
	if (!page)
		return false;
	return clear ? folio_test_clear_young(page_folio(page)) :
		       folio_test_young(page_folio(page));
}

/* protect.c: page-table, TLB and LRU primitives */
void dn_lru_drain_local(void);
void dn_lru_drain_all(void);
void dn_lru_drain_cpu(int cpu);
struct vm_area_struct;
struct dn_walk;
bool dn_vma_walkable(struct vm_area_struct *vma);
bool dn_vma_evictable(struct vm_area_struct *vma);
/*
 * A batch of PTEs made PROT_NONE, flushed once: a page-table walk that
 * protects runs between dn_protect_init() and dn_protect_finish().
 */
struct dn_protect_batch {
	struct mm_struct *mm;
	unsigned long done;	/* PTEs changed; > 0: a TLB flush is pending */
};

static inline void dn_protect_init(struct dn_protect_batch *b,
				   struct mm_struct *mm)
{
	b->mm = mm;
	b->done = 0;
}

pte_t __dn_protect_pte(struct dn_protect_batch *b, unsigned long addr,
		       pte_t *ptep);
bool dn_protect_pte_accessed(struct dn_protect_batch *b, unsigned long addr,
			     pte_t *ptep);
void dn_protect_range(struct dn_protect_batch *b, unsigned long start,
		      unsigned long end, unsigned long only_pfn);
unsigned long dn_protect_finish(struct dn_protect_batch *b);
unsigned long dn_protect_evicted(struct dn_protect_batch *b,
				 unsigned long start, unsigned long end);
void dn_mkold_range(struct mm_struct *mm, unsigned long start,
		    unsigned long end);
void dn_pte_state(struct mm_struct *mm, unsigned long start, unsigned long end,
		  unsigned long *protected, unsigned long *accessible);
unsigned long dn_huge_anon_pages(struct mm_struct *mm, unsigned long start,
				 unsigned long end);
int dn_walk_range(struct mm_struct *mm, unsigned long start,
		  unsigned long end, int (*fn)(pte_t *pte, unsigned long addr,
					       void *data), void *data);

/* hook.c */
int dn_hook_init(struct dn_dev *dn);
void dn_hook_start(struct dn_dev *dn);
void dn_hook_exit(struct dn_dev *dn);
unsigned long dn_hook_missed(void);
int dn_queue_reprotect(unsigned long start, unsigned long end);
long long dn_latency_calibrate(void);

/* move.c */
/*
 * The migrate_vma arrays of one run: the worker's (DN_RUN_MAX entries,
 * dn_move_lock), or the stack for an exchange.
 */
struct dn_move_buf {
	unsigned long *src;
	unsigned long *dst;
	unsigned long max;	/* entries: the longest run */
};

unsigned long dn_move_pages(struct mm_struct *mm, unsigned long *addrs,
			    unsigned long nr, int nid, bool *full,
			    struct dn_move_buf *buf);
void dn_sort_addrs(unsigned long *addrs, unsigned long n);

/* exchange.c */
int dn_ring_reserve(struct dn_target *t, unsigned long count);
void dn_ring_add(struct dn_target *t, unsigned long addr);
bool dn_ring_try_add(struct dn_target *t, unsigned long addr);
void dn_ring_clear(struct dn_target *t);
unsigned long dn_ring_pick(struct dn_target *t, struct mm_struct *mm,
			   unsigned long *victims, unsigned long want);
unsigned long dn_exchange(struct dn_target *t, struct mm_struct *mm,
			  unsigned long addr, bool grown);
bool dn_page_evictable(struct page *page);

/* evict.c */
int dn_evict_init(struct dn_dev *dn);
void dn_evict_start(struct dn_dev *dn);
void dn_evict_stop(struct dn_dev *dn);
void dn_evict_exit(struct dn_dev *dn);
void dn_evict_kick(void);
int dn_evict_run_pass(void);
long dn_evict_user_range(pid_t pid, unsigned long start, unsigned long len);

/* debugfs.c */
void dn_debugfs_init(struct dn_dev *dn);
void dn_debugfs_exit(struct dn_dev *dn);

int dn_region_find(u64 *start, u64 *size);
int dn_region_check(u64 start, u64 size);
int dn_node_pick(int *nid);
int dn_node_add(struct dn_dev *dn);
int dn_node_remove(struct dn_dev *dn);

int dn_sysfs_init(struct dn_dev *dn);
int dn_sysfs_files_init(struct dn_dev *dn);
void dn_sysfs_files_exit(struct dn_dev *dn);
void dn_sysfs_exit(struct dn_dev *dn);

int dn_check_remote_pct(unsigned long pct);
int dn_check_latency_ns(unsigned long ns);
int dn_check_scan_period_ms(unsigned long ms);
int dn_check_evict_batch(unsigned long n);
int dn_parse_enroll(const char *buf, unsigned int *mode);

#endif /* _DN_INTERNAL_H */
