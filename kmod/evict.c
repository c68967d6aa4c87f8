// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node: the balancing worker.
 *
 * The fault path keeps each target's split by itself (exchange.c).  The
 * worker reacts to what the fault path does not see: a new target, a
 * changed remote_pct, memory that grew local without a trap, a recount
 * asked for.  A target costs it O(1) while nothing changes: the split is
 * read from the mm's RSS counters and the remote count kept by events
 * (dn_target_split()); the page tables are walked only when
 * dn_recount_due() says so.  A recount also refills the target's ring with
 * every local page it finds, and protects remote pages that a path no hook
 * sees left accessible.  Evictions toward the split take their victims
 * from the ring, or from a clock sweep (dn_sweep_visit(), policy.c) when
 * the ring has none; homecomings bring the first remote pages found.  The
 * local node is also kept above its high watermark, so that promotions
 * (which fail below it) succeed.
 *
 * The worker is a kernel thread of its own, "disagg_node", at nice 19 (as
 * khugepaged): on a CPU that a program wants too, it gets about 1.5 % of
 * it (weight 15 against 1024), so it hardly takes a CPU from the program
 * under study, yet it is never starved (SCHED_IDLE was: a target whose
 * memory starts local on busy CPUs reached no split).  Its CPU time is its
 * thread's (/proc/PID/schedstat).
 *
 * The worker never runs on the fault path and holds only the mmap read
 * lock: faults on other pages proceed while it works.  It holds a reference
 * on one target at a time (dn_target_next()), never dn_targets_lock, so a
 * target that holds its mmap lock for writing delays only its own pass.
 */
#define pr_fmt(fmt) "disagg_node: " fmt

#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/vmstat.h>
#include <linux/workqueue.h>

#include "internal.h"
#include "policy.h"
#include "trace.h"

/* Free pages kept above the local node's high watermarks. */
#define DN_WMARK_MARGIN		512

static void dn_evict_workfn(struct kthread_work *work);
static DEFINE_KTHREAD_DELAYED_WORK(dn_evict_work, dn_evict_workfn);
/* The worker's thread; set by dn_evict_init(), gone in dn_evict_exit(). */
static struct kthread_worker *dn_kworker;

/*
 * dn_move_lock serialises the users of the buffers below and protects each
 * target's clock hand.
 */
static DEFINE_MUTEX(dn_move_lock);
static unsigned long *dn_victims;		/* DN_EVICT_BATCH_MAX addresses */
static unsigned long dn_src[DN_RUN_MAX], dn_dst[DN_RUN_MAX];

/* dn_pass_lock serialises balancing passes: the worker's and run_pass. */
static DEFINE_MUTEX(dn_pass_lock);

/*
 * dn_kick_lock protects dn_work_enabled.  Queueing dn_evict_work checks it
 * under the lock, so once dn_evict_stop() clears it no one queues the work
 * again and one kthread_cancel_delayed_work_sync() is final.
 */
static DEFINE_SPINLOCK(dn_kick_lock);
static bool dn_work_enabled;

/* Queue the worker after @delay jiffies, or now if @kick; unless stopped. */
static void dn_evict_queue(unsigned long delay, bool kick)
{
	unsigned long flags;

	spin_lock_irqsave(&dn_kick_lock, flags);
	if (dn_work_enabled) {
		if (kick)
			kthread_mod_delayed_work(dn_kworker, &dn_evict_work, 0);
		else
			kthread_queue_delayed_work(dn_kworker, &dn_evict_work,
						   delay);
	}
	spin_unlock_irqrestore(&dn_kick_lock, flags);
}

/* Run the worker now: a new target, a target gone, a setting changed. */
void dn_evict_kick(void)
{
	dn_evict_queue(0, true);
}

/*
 * The worker's page-table walks, one small struct each.  dn_scan_mm() runs
 * one over the walkable VMAs of a range and tells it, through *evictable,
 * whether the VMA being walked is evictable.
 */

/*
 * The recount: the remote anonymous pages counted, the ring refilled with
 * the local ones that may move, and a protection for what hooks missed.
 */
struct dn_count_walk {
	struct dn_protect_batch *protect;
	struct dn_target *t;
	bool evictable;
	unsigned long remote;	/* remote anonymous pages, of any VMA */
	unsigned long shared;	/* remote pages not evictable */
	unsigned long accessed;	/* of those protected here, found accessed */
};

static int dn_count_pte(pte_t *ptep, unsigned long addr, void *data)
{
	struct dn_count_walk *w = data;
	struct page *page = dn_pte_page(ptep_get(ptep));

	if (!page)
		return 0;
	if (!dn_page_remote(page)) {
		if (w->evictable && dn_page_evictable(page))
			dn_ring_try_add(w->t, addr);
		return 0;
	}
	if (PageAnon(page))
		w->remote++;
	/*
	 * A path the hook did not see, or a move's window that this walk
	 * closes before the move's own protection could count it
	 * (dn_protect_evicted()): protect it here, under the PTE lock, and
	 * count it if it was accessed meanwhile.
	 */
	if (dn_protect_pte_accessed(w->protect, addr, ptep))
		w->accessed++;
	if (!w->evictable || !PageAnon(page))
		w->shared++;
	return 0;
}

/* The clock: the policy's sweep (dn_sweep_visit()) over local pages. */
struct dn_clock_walk {
	struct dn_sweep sweep;
	bool evictable;
};

static int dn_clock_pte(pte_t *ptep, unsigned long addr, void *data)
{
	struct dn_clock_walk *w = data;
	pte_t pte = ptep_get(ptep);
	struct page *page;

	if (dn_clock_done(&w->sweep.clock))
		return 1;	/* stop the walk */
	page = dn_pte_page(pte);
	if (!page)
		return 0;
	/*
	 * A local PROT_NONE PTE was unmapped by the kernel's NUMA scanner and
	 * not used since: old.  Clearing the accessed bit needs no TLB flush
	 * on x86; a stale entry only delays its setting again.
	 */
	if (dn_sweep_visit(&w->sweep, addr,
			   !dn_page_remote(page) && dn_page_evictable(page),
			   dn_pte_young(pte, page, true)) == DN_KEEP_CLEAR)
		test_and_clear_bit(_PAGE_BIT_ACCESSED, (unsigned long *)&ptep->pte);
	return 0;
}

/*
 * Homecoming: remote pages of private anonymous mappings, the first found
 * from the target's home hand.
 */
struct dn_home_walk {
	bool evictable;
	unsigned long want;
	unsigned long nr;
	unsigned long *home;
};

static int dn_home_pte(pte_t *ptep, unsigned long addr, void *data)
{
	struct dn_home_walk *w = data;
	struct page *page = dn_pte_page(ptep_get(ptep));

	if (w->nr >= w->want)
		return 1;	/* stop the walk */
	if (dn_page_remote(page) && PageAnon(page))
		w->home[w->nr++] = addr;
	return 0;
}

/*
 * Walk the walkable VMAs of [from, to) of @mm with @fn, the evictable ones
 * only if @evict_only; *@evictable says which kind is being walked.  A
 * callback returns 1 to stop the walk (it has what it wanted).
 */
static void dn_scan_mm(struct mm_struct *mm, unsigned long from,
		       unsigned long to, bool evict_only, bool *evictable,
		       int (*fn)(pte_t *, unsigned long, void *), void *data)
{
	struct vm_area_struct *vma;
	struct vma_iterator vmi;

	vma_iter_init(&vmi, mm, from);
	for_each_vma_range(vmi, vma, to) {
		if (!dn_vma_walkable(vma))
			continue;
		*evictable = dn_vma_evictable(vma);
		if (evict_only && !*evictable)
			continue;
		if (dn_walk_range(mm, max(from, vma->vm_start),
				  min(to, vma->vm_end), fn, data) > 0)
			break;
	}
}

/* Free pages of the local node and the sum of its high watermarks. */
static void dn_local_free(unsigned long *free, unsigned long *high)
{
	pg_data_t *pgdat = NODE_DATA(dn_dev.local_nid);
	int z;

	*free = 0;
	*high = 0;
	for (z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &pgdat->node_zones[z];

		if (!populated_zone(zone))
			continue;
		*free += zone_page_state(zone, NR_FREE_PAGES);
		*high += high_wmark_pages(zone);
	}
}

/* Free pages the local node lacks above its high watermarks. */
static unsigned long dn_local_pressure(void)
{
	unsigned long free, high;

	dn_local_free(&free, &high);
	return dn_pressure_evict(free, high, DN_WMARK_MARGIN);
}

/*
 * Free pages the local node has to spare for pages coming home: above its
 * high watermarks plus twice the margin, so that homecoming never pushes
 * it back into the pressure band (no evict/homecome ping-pong).
 */
static unsigned long dn_local_headroom(void)
{
	unsigned long free, high;

	dn_local_free(&free, &high);
	high += 2 * DN_WMARK_MARGIN;
	return free > high ? free - high : 0;
}

static struct dn_move_buf dn_worker_buf = { dn_src, dn_dst, DN_RUN_MAX };

/* A pass stopped with pages still to move; dn_pass_lock. */
static bool dn_more_work;

/*
 * Pages one pass evicts from one target at most, in evict_batch sweeps,
 * and for how long it starts new sweeps.
 */
#define DN_PASS_SWEEPS		16
#define DN_PASS_MS		20

/*
 * Clock sweep from the target's hand for @want victims, two laps at most,
 * into @victims (visit order); the hand moves past the last.  Caller holds
 * the mmap read lock and dn_move_lock.  Returns the number of victims.
 */
static unsigned long dn_clock_sweep(struct dn_target *t, struct mm_struct *mm,
				    unsigned long *victims, unsigned long want)
{
	struct dn_clock_walk w;
	unsigned long lap, n;

	lockdep_assert_held(&dn_move_lock);
	dn_sweep_begin(&w.sweep, victims, want);
	for (lap = 0; lap < 2 && !dn_clock_done(&w.sweep.clock); lap++) {
		if (lap)
			dn_sweep_second_lap(&w.sweep);
		dn_scan_mm(mm, t->hand, TASK_SIZE, true, &w.evictable,
			   dn_clock_pte, &w);
		if (!dn_clock_done(&w.sweep.clock))
			dn_scan_mm(mm, 0, t->hand, true, &w.evictable,
				   dn_clock_pte, &w);
	}
	n = w.sweep.clock.selected;
	if (n)
		t->hand = victims[n - 1] + PAGE_SIZE;
	return n;
}

/* The worker's plan for @t now (policy.c), and its split. */
static void dn_target_plan(struct dn_target *t, unsigned long pressure,
			   struct dn_split *split, struct dn_plan *plan)
{
	struct dn_plan_in in = {
		.pressure = pressure,
		.stuck = READ_ONCE(t->shared),
		.batch = READ_ONCE(dn_dev.evict_batch),
	};

	dn_target_split(t, &in.split);
	if (dn_worker_delta(&in.split) < 0)
		in.headroom = dn_local_headroom();
	dn_worker_plan(&in, plan);
	*split = in.split;
}

/*
 * Recount @t: walk its page tables, count its remote anonymous pages and
 * those of huge mappings, refill its ring with the local ones that may
 * move, and protect what every hook missed; the remote count is reset
 * from the walk only if @reset.  Caller holds the mmap read lock and
 * dn_move_lock.
 */
static void dn_recount(struct dn_target *t, struct mm_struct *mm,
		       unsigned int pct, bool reset)
{
	struct dn_count_walk c = { .t = t };
	struct dn_protect_batch b;
	struct vm_area_struct *vma;
	struct vma_iterator vmi;
	unsigned long huge = 0;
	long moved0, moved, counted;

	lockdep_assert_held(&dn_move_lock);
	WRITE_ONCE(t->recount, false);
	moved0 = atomic_long_read(&t->moved);
	c.protect = &b;
	dn_ring_clear(t);
	/* Room for every local page, if memory allows; else the first ones. */
	dn_ring_reserve(t, get_mm_counter(mm, MM_ANONPAGES) + DN_EXCHANGE_MAX);
	dn_protect_init(&b, mm);
	dn_scan_mm(mm, 0, TASK_SIZE, false, &c.evictable, dn_count_pte, &c);
	dn_stat_add(DN_STAT_REPROTECTED, dn_protect_finish(&b));
	if (c.accessed)
		dn_stat_add(DN_STAT_EVICT_WINDOW_ACCESSED, c.accessed);
	dn_stat_add(DN_STAT_RECOUNTS, 1);
	vma_iter_init(&vmi, mm, 0);
	for_each_vma(vmi, vma)
		if (dn_vma_walkable(vma))
			huge += dn_huge_anon_pages(mm, vma->vm_start,
						   vma->vm_end);
	/*
	 * A refresh keeps the events' count (see dn_recount_due()); a full
	 * recount corrects it by the walk, as far as the pages moved during
	 * the walk allow (dn_recount_remote()).  The correction is added, not
	 * set, so events after the reads below are kept, and so are the
	 * pages they moved.
	 */
	moved = atomic_long_read(&t->moved);
	if (reset) {
		counted = atomic_long_read(&t->remote);
		atomic_long_add(dn_recount_remote(c.remote, counted,
						  moved - moved0) - counted,
				&t->remote);
	}
	WRITE_ONCE(t->huge, huge);
	atomic_long_sub(moved, &t->moved);
	WRITE_ONCE(t->shared, c.shared);
	WRITE_ONCE(t->counted_at, jiffies);
	t->counted_pct = pct;
}

/*
 * Victims for an eviction of @t: from its ring, or, when the ring has
 * none (memory that grew local without a trap, not recounted yet), from a
 * clock sweep.  Caller holds the mmap read lock and dn_move_lock.
 */
static unsigned long dn_evict_victims(struct dn_target *t, struct mm_struct *mm,
				      unsigned long want)
{
	unsigned long n = dn_ring_pick(t, mm, dn_victims, want);

	lockdep_assert_held(&dn_move_lock);
	if (!n)
		n = dn_clock_sweep(t, mm, dn_victims, want);
	return n;
}

/*
 * One pass over one target; caller holds dn_pass_lock and a reference on
 * @t.  Costs O(1) while nothing changes (dn_recount_due()): the split is
 * read from the mm's counters and the remote count kept by events.
 * Otherwise, in this order and bounded: a recount walk, evictions or
 * homecomings toward remote_pct.  While another thread holds the target's
 * mmap lock for writing, the pass is retried at the next period (not
 * counted as idle).
 *
 * Return: true if the pass did any work or must be retried (so the
 * worker does not back off).
 */
static bool dn_balance_target(struct dn_target *t, unsigned long pressure,
			      bool force)
{
	struct mm_struct *mm = t->mm;
	struct dn_count_view v;
	struct dn_split split;
	struct dn_plan plan;
	unsigned long batch = READ_ONCE(dn_dev.evict_batch);
	unsigned long moved, n, sweeps, want, total = 0, room;
	u64 deadline;
	enum dn_recount recount;
	bool full = false, busy = false;

	if (!mmget_not_zero(mm))
		return false;
	/*
	 * Exact: the RSS counter without its per-CPU deltas can lag behind
	 * the remote count of a growing target, which would look like
	 * counts that disagree and cost a recount.
	 */
	v.resident = dn_target_anon(t);
	v.remote = max(atomic_long_read(&t->remote), 0L);
	v.remote_pct = dn_target_remote_pct(t);	/* its own, or the global */
	v.counted_pct = t->counted_pct;
	v.moved = atomic_long_read(&t->moved);
	v.ms_since = jiffies_to_msecs(jiffies - t->counted_at);
	v.forced = force || READ_ONCE(t->recount);
	recount = dn_recount_due(&v);
	dn_target_plan(t, pressure, &split, &plan);
	dn_target_held(t, false);	/* a capped target's growth, refused */
	if (!recount && !plan.evict && !plan.home)
		goto out_mmput;		/* nothing changed: O(1) */
	if (!mmap_read_trylock(mm)) {
		busy = true;
		goto out_mmput;
	}
	mutex_lock(&dn_move_lock);
	busy = recount != DN_RECOUNT_NONE;

	if (recount) {
		dn_recount(t, mm, v.remote_pct, recount == DN_RECOUNT_FULL);
		dn_target_plan(t, pressure, &split, &plan);
	}

	/*
	 * Evict toward the split, evict_batch pages at a time, for
	 * DN_PASS_MS at most: the next pass goes on.
	 */
	want = plan.evict;
	deadline = ktime_get_ns() + DN_PASS_MS * NSEC_PER_MSEC;
	for (sweeps = 0; want && sweeps < DN_PASS_SWEEPS && !full &&
	     ktime_get_ns() < deadline; sweeps++) {
		/* The cap, less what the target's exchanges are sending. */
		room = dn_target_reserve(t, min(want, batch));
		n = room ? dn_evict_victims(t, mm, room) : 0;
		if (!n) {
			dn_target_unreserve(t, room);
			break;
		}
		dn_sort_addrs(dn_victims, n);
		moved = dn_move_pages(mm, dn_victims, n, dn_dev.nid, &full,
				      &dn_worker_buf);
		dn_target_moved(t, moved);
		dn_target_unreserve(t, room);
		dn_stat_add(DN_STAT_EVICTIONS, moved);
		atomic64_add(moved, &t->stat[DN_TSTAT_EVICTIONS]);
		trace_dn_evict(t->tgid, dn_dev.nid, moved, n - moved);
		total += moved;
		if (!moved)
			break;
		want -= min(want, moved);
		cond_resched();
	}
	if (want && !full && total)
		dn_more_work = true;	/* cut short: the next pass at once */
	if (full) {
		dn_stat_add(DN_STAT_REMOTE_FULL, 1);
		dn_target_held(t, true);
	}

	if (plan.home) {
		/* Bring remote pages home. */
		struct dn_home_walk h = { .home = dn_victims, .want = plan.home };
		unsigned long i;

		/* From where the last search stopped: each page is seen once. */
		dn_scan_mm(mm, t->home_hand, TASK_SIZE, true, &h.evictable,
			   dn_home_pte, &h);
		if (h.nr < h.want)
			dn_scan_mm(mm, 0, t->home_hand, true, &h.evictable,
				   dn_home_pte, &h);
		if (h.nr) {
			t->home_hand = h.home[h.nr - 1] + PAGE_SIZE;
			dn_sort_addrs(h.home, h.nr);
			moved = dn_move_pages(mm, h.home, h.nr, dn_dev.local_nid,
					      &full, &dn_worker_buf);
			dn_target_moved(t, -(long)moved);
			/* Home: the ring's, as a promotion's would be. */
			for (i = 0; i < h.nr; i++)
				dn_ring_add(t, h.home[i]);
			dn_stat_add(DN_STAT_HOMECOMINGS, moved);
			total += moved;
			trace_dn_evict(t->tgid, dn_dev.local_nid, moved,
				       h.nr - moved);
		}
	}

	mutex_unlock(&dn_move_lock);
	mmap_read_unlock(mm);
	if (total) {
		busy = true;
		dn_lru_drain_all();
	}
	dn_target_split(t, &split);
	trace_dn_split(t->tgid, split.local, split.remote, split.remote_pct,
		       recount != DN_RECOUNT_NONE);
out_mmput:
	mmput(mm);
	return busy;
}

/*
 * One balancing pass over every target; caller holds dn_pass_lock.
 * Return: true if any target needed work.
 */
static bool dn_pass(bool force)
{
	struct dn_target *t = NULL;
	unsigned long pressure;
	bool busy = false;

	lockdep_assert_held(&dn_pass_lock);
	dn_targets_reap();
	if (!READ_ONCE(dn_dev.trap))
		return false;
	dn_tenants_share();	/* the members' shares, before they move */
	pressure = dn_local_pressure();
	while ((t = dn_target_next(t))) {
		busy |= dn_balance_target(t, pressure, force);
		/* Later targets share what is left to free. */
		pressure = dn_local_pressure();
		cond_resched();
	}
	return busy;
}

/* Passes in a row that found nothing to do; the worker's own. */
static unsigned int dn_idle_passes;

static void dn_evict_workfn(struct kthread_work *work)
{
	bool busy = false;
	u64 t0;

	/*
	 * The pass's time, not the wait for a debugfs pass holding the
	 * lock: that one can take tens of ms under TCG, and counted here it
	 * made an idle target look busy.
	 */
	if (!READ_ONCE(dn_dev.paused)) {
		mutex_lock(&dn_pass_lock);
		t0 = ktime_get_ns();
		busy = dn_pass(false);
		mutex_unlock(&dn_pass_lock);
	} else {
		t0 = ktime_get_ns();
		dn_targets_reap();
	}
	dn_idle_passes = busy ? 0 : dn_idle_passes + 1;
	dn_stat_add(DN_STAT_WORKER_NS, ktime_get_ns() - t0);
	if (READ_ONCE(dn_more_work)) {
		WRITE_ONCE(dn_more_work, false);
		dn_evict_queue(0, false);
		return;
	}
	dn_evict_queue(msecs_to_jiffies(dn_idle_delay_ms(READ_ONCE(dn_dev.scan_period_ms),
							 dn_idle_passes)),
		       false);
}

/**
 * dn_evict_run_pass - debugfs: run one balancing pass now, paused or not
 *
 * Return: 0, or -EINTR if a signal arrived while waiting for a pass that
 * was under way.
 */
int dn_evict_run_pass(void)
{
	if (mutex_lock_interruptible(&dn_pass_lock))
		return -EINTR;
	dn_pass(true);
	mutex_unlock(&dn_pass_lock);
	return 0;
}

/**
 * dn_evict_user_range - debugfs: evict a range of a process now
 * @pid: the process; made a target if it is not one
 * @start: start address (page aligned)
 * @len: length in bytes
 *
 * Return: the number of pages moved to the remote node, or an error.
 */
long dn_evict_user_range(pid_t pid, unsigned long start, unsigned long len)
{
	unsigned long moved = 0, nr, n, room, addr, end;
	struct dn_clock_walk w;
	struct dn_target *t;
	struct mm_struct *mm;
	bool full = false;
	pid_t tgid;
	kuid_t uid;
	int ret;

	if (!PAGE_ALIGNED(start) || !PAGE_ALIGNED(len) || !len ||
	    start + len < start)
		return -EINVAL;
	mm = dn_pid_mm(pid, &tgid, &uid);
	if (IS_ERR(mm))
		return PTR_ERR(mm);
	ret = dn_target_add(mm, tgid, uid, true);
	if (ret)
		goto out_mmput;
	t = dn_target_get_mm(mm);
	if (!t) {
		ret = -ESRCH;	/* removed meanwhile */
		goto out_mmput;
	}
	ret = mmap_read_lock_killable(mm);
	if (ret)
		goto out_put_target;
	mutex_lock(&dn_move_lock);
	end = start + len;
	for (addr = start; addr < end && !full; addr += nr << PAGE_SHIFT) {
		/* Every page is a victim: a clock that wants them all. */
		nr = min_t(unsigned long, (end - addr) >> PAGE_SHIFT,
			   DN_EVICT_BATCH_MAX);
		/* Within the target's cap: the victims are its first pages. */
		room = dn_target_reserve(t, nr);
		if (!room)
			break;
		dn_sweep_begin(&w.sweep, dn_victims, room);
		dn_scan_mm(mm, addr, addr + (nr << PAGE_SHIFT), true,
			   &w.evictable, dn_clock_pte, &w);
		/* Young pages got a second chance: take them on a second lap. */
		dn_sweep_second_lap(&w.sweep);
		dn_scan_mm(mm, addr, addr + (nr << PAGE_SHIFT), true,
			   &w.evictable, dn_clock_pte, &w);
		n = dn_move_pages(mm, dn_victims, w.sweep.clock.selected,
				  dn_dev.nid, &full, &dn_worker_buf);
		dn_target_moved(t, n);
		dn_target_unreserve(t, room);
		moved += n;
		if (fatal_signal_pending(current))
			break;
	}
	mutex_unlock(&dn_move_lock);
	mmap_read_unlock(mm);
	atomic64_add(moved, &t->stat[DN_TSTAT_EVICTIONS]);
	dn_lru_drain_all();
	dn_stat_add(DN_STAT_EVICTIONS, moved);
	if (full)
		dn_stat_add(DN_STAT_REMOTE_FULL, 1);
	trace_dn_evict(tgid, dn_dev.nid, moved, 0);
out_put_target:
	dn_target_put(t);
out_mmput:
	mmput(mm);
	return ret ? ret : moved;
}

/*
 * Allocate the worker's buffers and create its thread, at nice 19;
 * dn_evict_start() starts it.
 */
int dn_evict_init(struct dn_dev *dn)
{
	dn_victims = kvcalloc(DN_EVICT_BATCH_MAX, sizeof(*dn_victims), GFP_KERNEL);
	if (!dn_victims)
		return -ENOMEM;
	dn_kworker = kthread_create_worker(0, "disagg_node");
	if (IS_ERR(dn_kworker)) {
		kvfree(dn_victims);
		return PTR_ERR(dn_kworker);
	}
	sched_set_normal(dn_kworker->task, MAX_NICE);
	return 0;
}

void dn_evict_start(struct dn_dev *dn)
{
	spin_lock_irq(&dn_kick_lock);
	dn_work_enabled = true;
	spin_unlock_irq(&dn_kick_lock);
	dn_evict_kick();
}

/* Stop the worker for good: no one can queue it again. */
void dn_evict_stop(struct dn_dev *dn)
{
	spin_lock_irq(&dn_kick_lock);
	dn_work_enabled = false;
	spin_unlock_irq(&dn_kick_lock);
	kthread_cancel_delayed_work_sync(&dn_evict_work);
}

void dn_evict_exit(struct dn_dev *dn)
{
	kthread_destroy_worker(dn_kworker);
	kvfree(dn_victims);
}
