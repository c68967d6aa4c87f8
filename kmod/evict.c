// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node: moving pages - the fault path's exchange and the worker.
 *
 * Swap on access: a trap that promotes a remote page makes its target owe
 * the remote node a page; before the faulting thread returns to user mode,
 * dn_exchange() sends that many cold local pages of the target there,
 * taken from the target's pool of candidates (no page-table walk at fault
 * time).  The split therefore holds whatever the access rate.
 *
 * The worker keeps the pools filled by a clock sweep (dn_sweep_visit(),
 * policy.c) from each target's hand, giving a second chance to pages whose
 * accessed bit is set, and catches up with what the fault path does not
 * see: new memory, a changed remote_pct, new targets.  A target costs it
 * O(1) while nothing changes: the resident total comes from the mm's RSS
 * counters and the remote count is kept by the events that move pages;
 * the page tables are walked only when dn_recount_due() says so.  The
 * local node is also kept above its high watermark, so that promotions
 * (which fail below it) succeed.
 *
 * Pages move through migrate_vma_*() into pages the module allocates on
 * the destination node, copying the data itself; each run of pages sent
 * remote is protected as soon as it has moved (dn_protect_evicted()).
 *
 * The worker never runs on the fault path and holds only the mmap read
 * lock: faults on other pages proceed while it works.  It holds a reference
 * on one target at a time (dn_target_next()), never dn_targets_lock, so a
 * target that holds its mmap lock for writing delays only its own pass.
 */
#define pr_fmt(fmt) "disagg_node: " fmt

#include <linux/highmem.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmstat.h>
#include <linux/workqueue.h>

#include "internal.h"
#include "policy.h"
#include "trace.h"

/* Free pages kept above the local node's high watermarks. */
#define DN_WMARK_MARGIN		512

static void dn_evict_workfn(struct work_struct *work);
static DECLARE_DELAYED_WORK(dn_evict_work, dn_evict_workfn);

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
 * again and one cancel_delayed_work_sync() is final: the disable-then-cancel
 * pattern of disable_delayed_work_sync() (6.9 and later) on every kernel.
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
			mod_delayed_work(dn_unbound_wq, &dn_evict_work, 0);
		else
			queue_delayed_work(dn_unbound_wq, &dn_evict_work,
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
 * The migrate_vma arrays of one run: dn_src/dn_dst (DN_RUN_MAX entries,
 * dn_move_lock) for the worker, the stack for an exchange.
 */
struct dn_move_buf {
	unsigned long *src;
	unsigned long *dst;
	unsigned long max;	/* entries: the longest run */
};

/*
 * Move the pages of [start, start + n pages) that are not already on @nid
 * to @nid.  Returns the number moved; *full is set when @nid had no room.
 */
static unsigned long dn_move_run(struct vm_area_struct *vma,
				 unsigned long start, unsigned long n, int nid,
				 bool *full, struct dn_move_buf *buf)
{
	unsigned long *src = buf->src, *dst = buf->dst;
	struct migrate_vma args = {
		.vma = vma,
		.start = start,
		.end = start + (n << PAGE_SHIFT),
		.src = src,
		.dst = dst,
		.flags = MIGRATE_VMA_SELECT_SYSTEM,
	};
	gfp_t gfp = GFP_HIGHUSER_MOVABLE | __GFP_THISNODE | __GFP_NORETRY |
		    __GFP_NOWARN;
	struct page *spage, *dpage;
	unsigned long i, moved = 0;

	memset(src, 0, n * sizeof(*src));
	memset(dst, 0, n * sizeof(*dst));
	if (migrate_vma_setup(&args))
		return 0;
	for (i = 0; i < n; i++) {
		spage = migrate_pfn_to_page(src[i]);
		if (!spage || !(src[i] & MIGRATE_PFN_MIGRATE) ||
		    page_to_nid(spage) == nid || *full)
			continue;
		dpage = alloc_pages_node(nid, gfp, 0);
		if (!dpage) {
			*full = true;
			continue;
		}
		lock_page(dpage);
		copy_highpage(dpage, spage);
		dst[i] = migrate_pfn(page_to_pfn(dpage));
	}
	migrate_vma_pages(&args);
	for (i = 0; i < n; i++)
		if (dst[i] && (src[i] & MIGRATE_PFN_MIGRATE))
			moved++;
	/* Unlocks and frees the destination pages that did not move. */
	migrate_vma_finalize(&args);
	return moved;
}

/*
 * The end (exclusive index) of the run of @addrs starting at @i: contiguous
 * addresses inside @vma and one PMD, at most @max pages.
 */
static unsigned long dn_run_end(struct vm_area_struct *vma,
				const unsigned long *addrs, unsigned long i,
				unsigned long nr, unsigned long max)
{
	unsigned long j, start = addrs[i];

	for (j = i + 1; j < nr && j - i < max &&
	     addrs[j] == start + ((j - i) << PAGE_SHIFT) &&
	     vma && addrs[j] < vma->vm_end &&
	     pmd_addr_end(start, vma->vm_end) > addrs[j]; j++)
		;
	return j;
}

/*
 * Move the pages at @addrs (sorted, in evictable VMAs) to @nid in runs of
 * contiguous addresses.  Every run is protected as soon as it has been
 * through migrate_vma, whatever the direction and whether pages moved:
 * migrate_vma_setup() unmaps every page of the run it can isolate, remote
 * ones included, and migrate_vma_finalize() maps back those not migrated
 * with the mapping's protection, so a remote page that did not move (a
 * stale exchange candidate, a page that could not come home) would be left
 * accessible.  If @nid is the remote node, each run's accessed bits are
 * cleared first, so that an access in the window between finalize and the
 * protection is counted (dn_protect_evicted()).  Caller holds the mmap read
 * lock and owns @buf.
 */
static unsigned long dn_move_pages(struct mm_struct *mm, unsigned long *addrs,
				   unsigned long nr, int nid, bool *full,
				   struct dn_move_buf *buf)
{
	bool remote = nid == dn_dev.nid;
	struct dn_protect_batch b;
	struct vm_area_struct *vma;
	unsigned long i, j, end, moved = 0, accessed = 0;

	for (i = 0; i < nr && !*full; i = j) {
		vma = vma_lookup(mm, addrs[i]);
		j = dn_run_end(vma, addrs, i, nr, buf->max);
		if (!vma || !dn_vma_evictable(vma))
			continue;
		end = addrs[i] + ((j - i) << PAGE_SHIFT);
		if (remote)
			dn_mkold_range(mm, addrs[i], end);
		moved += dn_move_run(vma, addrs[i], j - i, nid, full, buf);
		dn_protect_init(&b, mm);
		if (remote)
			accessed += dn_protect_evicted(&b, addrs[i], end);
		else
			dn_protect_range(&b, addrs[i], end, 0);
		dn_protect_finish(&b);
	}
	if (accessed)
		dn_stat_add(DN_STAT_EVICT_WINDOW_ACCESSED, accessed);
	return moved;
}

/* dn_local_walk: is the page at an address local and mapped? */
static int dn_local_pte(pte_t *ptep, unsigned long addr, void *data)
{
	struct page *page = dn_pte_page(ptep_get(ptep));

	*(bool *)data = page && !dn_page_remote(page) && PageAnon(page);
	return 0;
}

/*
 * Keep the exchange candidates still local and mapped (a candidate may
 * have been sent remote by another exchange or the worker, or unmapped,
 * since the clock chose it); returns how many are kept, in order.  Caller
 * holds the mmap read lock.
 */
static unsigned long dn_keep_local(struct mm_struct *mm, unsigned long *addrs,
				   unsigned long n)
{
	unsigned long i, kept = 0;
	struct vm_area_struct *vma;
	bool local;

	for (i = 0; i < n; i++) {
		vma = vma_lookup(mm, addrs[i]);
		local = false;
		if (vma && dn_vma_evictable(vma))
			dn_walk_range(mm, addrs[i], addrs[i] + PAGE_SIZE,
				      dn_local_pte, &local);
		if (local)
			addrs[kept++] = addrs[i];
	}
	return kept;
}

/* Candidates in @t's pool. */
static unsigned long dn_pool_count(struct dn_target *t)
{
	return READ_ONCE(t->pool_count);
}

/* Take up to @n candidates, oldest first. */
static unsigned long dn_pool_take(struct dn_target *t, unsigned long *addrs,
				  unsigned long n)
{
	unsigned long i;

	spin_lock(&t->pool_lock);
	n = min_t(unsigned long, n, t->pool_count);
	for (i = 0; i < n; i++) {
		addrs[i] = t->pool[t->pool_head];
		t->pool_head = (t->pool_head + 1) % DN_POOL_SIZE;
	}
	WRITE_ONCE(t->pool_count, t->pool_count - n);
	spin_unlock(&t->pool_lock);
	return n;
}

/* Add candidates (those beyond the pool's room are dropped). */
static void dn_pool_put(struct dn_target *t, const unsigned long *addrs,
			unsigned long n)
{
	unsigned long i;

	spin_lock(&t->pool_lock);
	for (i = 0; i < n && t->pool_count < DN_POOL_SIZE; i++) {
		t->pool[(t->pool_head + t->pool_count) % DN_POOL_SIZE] = addrs[i];
		WRITE_ONCE(t->pool_count, t->pool_count + 1);
	}
	spin_unlock(&t->pool_lock);
}

/* Sort helper for victim addresses (few thousand at most). */
static int dn_cmp_addr(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/*
 * The split of @t as the policy sees it: counts kept by events, the
 * resident total read now.
 */
static void dn_target_split(struct dn_target *t, struct dn_split *split)
{
	split->local = max(atomic_long_read(&t->local), 0L);
	split->remote = max(atomic_long_read(&t->remote), 0L);
	split->remote_pct = READ_ONCE(dn_dev.remote_pct);
}

/* What the worker moves for @t: the split's delta, at least @pressure. */
static long dn_target_delta(struct dn_target *t, unsigned long pressure,
			    struct dn_split *split)
{
	long delta;

	dn_target_split(t, split);
	delta = dn_worker_delta(split);
	if (delta >= 0 && pressure > (unsigned long)delta)
		delta = pressure;
	return delta;
}

/**
 * dn_exchange - the other half of a promotion: send cold pages remote
 * @t: the target whose traps brought pages home (a reference is held)
 * @mm: its address space, current->mm (the caller is its task)
 *
 * Runs in the task_work of a thread whose trap promoted a page, before it
 * returns to user mode, with no lock held: takes the target's owed count,
 * asks the policy how many pages to send (dn_exchange_count()), takes that
 * many candidates from the pool the worker's clock keeps filled, and moves
 * them.  A pool half empty wakes the worker to refill it; pages not sent
 * (no candidate, or one that could not move) are counted in
 * exchange_misses and stay owed: the next exchange sends them, or the
 * worker's next pass evicts them (the split it sees is short of them).
 *
 * Return: the pages sent to the remote node.
 */
unsigned long dn_exchange(struct dn_target *t, struct mm_struct *mm)
{
	unsigned long addrs[DN_EXCHANGE_MAX], src[DN_EXCHANGE_MAX];
	unsigned long dst[DN_EXCHANGE_MAX];
	struct dn_move_buf buf = { src, dst, DN_EXCHANGE_MAX };
	unsigned long owed, want, n, moved = 0;
	struct dn_split split;
	bool full = false;

	owed = atomic_long_xchg(&t->owed, 0);
	if (!owed)
		return 0;
	dn_target_split(t, &split);
	want = dn_exchange_count(&split, owed);
	if (owed > DN_EXCHANGE_MAX)	/* the rest for the next exchange */
		atomic_long_add(owed - DN_EXCHANGE_MAX, &t->owed);
	if (!want)
		return 0;
	n = dn_pool_take(t, addrs, want);
	/* Half empty: wake the worker to refill it before it runs dry. */
	if (dn_pool_refill(dn_pool_count(t)))
		dn_evict_kick();
	if (n && !mmap_read_lock_killable(mm)) {
		n = dn_keep_local(mm, addrs, n);
		sort(addrs, n, sizeof(*addrs), dn_cmp_addr, NULL);
		moved = dn_move_pages(mm, addrs, n, dn_dev.nid, &full, &buf);
		mmap_read_unlock(mm);
	}
	if (moved) {
		/* Put them on the LRU, or a trap on one cannot promote it. */
		dn_lru_drain_local();
		dn_target_moved(t, moved);
		dn_stat_add(DN_STAT_EXCHANGES, moved);
		atomic64_add(moved, &t->stat[DN_TSTAT_EXCHANGES]);
	}
	if (full)
		dn_stat_add(DN_STAT_REMOTE_FULL, 1);
	if (moved < want) {
		/* Still owed: the next exchange, or the worker, pays it. */
		atomic_long_add(want - moved, &t->owed);
		dn_stat_add(DN_STAT_EXCHANGE_MISSES, want - moved);
	}
	trace_dn_exchange(t->tgid, owed, moved, want - moved);
	return moved;
}

/*
 * The worker's page-table walks, one small struct each.  dn_scan_mm() runs
 * one over the walkable VMAs of a range and tells it, through *evictable,
 * whether the VMA being walked is evictable.
 */

/* The recount: resident pages, and a protection for what hooks missed. */
struct dn_count_walk {
	struct dn_protect_batch *protect;
	bool evictable;
	unsigned long local;
	unsigned long remote;
	unsigned long shared;	/* remote pages not evictable */
};

static int dn_count_pte(pte_t *ptep, unsigned long addr, void *data)
{
	struct dn_count_walk *w = data;
	struct page *page = dn_pte_page(ptep_get(ptep));

	if (!page)
		return 0;
	if (!dn_page_remote(page)) {
		w->local++;
		return 0;
	}
	w->remote++;
	/* A path the hook did not see: protect it here, under the PTE lock. */
	__dn_protect_pte(w->protect, addr, ptep);
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
		return 0;
	page = dn_pte_page(pte);
	if (!page)
		return 0;
	/*
	 * A local PROT_NONE PTE was unmapped by the kernel's NUMA scanner and
	 * not used since: old.  Clearing the accessed bit needs no TLB flush
	 * on x86; a stale entry only delays its setting again.
	 */
	if (dn_sweep_visit(&w->sweep, addr,
			   !dn_page_remote(page) && PageAnon(page),
			   !pte_protnone(pte) && pte_young(pte)) == DN_KEEP_CLEAR)
		test_and_clear_bit(_PAGE_BIT_ACCESSED, (unsigned long *)&ptep->pte);
	return 0;
}

/* Homecoming: the first remote pages of private anonymous mappings. */
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

	if (w->nr < w->want && dn_page_remote(page) && PageAnon(page))
		w->home[w->nr++] = addr;
	return 0;
}

/*
 * Walk the walkable VMAs of [from, to) of @mm with @fn, the evictable ones
 * only if @evict_only; *@evictable says which kind is being walked.
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
		dn_walk_range(mm, max(from, vma->vm_start), min(to, vma->vm_end),
			      fn, data);
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

/*
 * One pass over one target; caller holds dn_pass_lock and a reference on
 * @t.  Costs O(1) while nothing changes (dn_recount_due()): the resident
 * total is read from the mm's counters and the remote count is kept by the
 * events that move pages.  Otherwise, in this order and bounded: a recount
 * walk (which also protects remote pages found accessible), evictions or
 * homecomings toward remote_pct, and a refill of the exchange pool.
 * Skipped, and retried at the next pass, while another thread holds the
 * target's mmap lock for writing.
 *
 * Return: true if the pass did any work (so the worker does not back off).
 */
static bool dn_balance_target(struct dn_target *t, unsigned long pressure,
			      bool force)
{
	struct mm_struct *mm = t->mm;
	struct dn_count_view v;
	struct dn_split split;
	struct dn_protect_batch b;
	unsigned long batch = READ_ONCE(dn_dev.evict_batch);
	unsigned long moved, n, refill, sweeps, total = 0;
	u64 deadline;
	bool full = false, recount, busy = false;
	long delta;

	if (!mmget_not_zero(mm))
		return false;
	v.resident = get_mm_rss(mm);
	v.remote = max(atomic_long_read(&t->remote), 0L);
	v.remote_pct = READ_ONCE(dn_dev.remote_pct);
	v.counted_pct = t->counted_pct;
	v.moved = atomic_long_read(&t->moved);
	v.ms_since = jiffies_to_msecs(jiffies - t->counted_at);
	v.forced = force || READ_ONCE(t->recount);
	recount = dn_recount_due(&v);
	if (!recount)
		atomic_long_set(&t->local, dn_split_local(v.resident, v.remote));
	delta = dn_target_delta(t, pressure, &split);
	refill = v.remote_pct ? dn_pool_refill(dn_pool_count(t)) : 0;
	if (delta < 0 && (split.remote <= READ_ONCE(t->shared) ||
			  !dn_local_headroom()))
		delta = 0;	/* nothing that can come home, or no room */
	if (!recount && !delta && !refill)
		goto out_mmput;		/* nothing changed: O(1) */
	if (!mmap_read_trylock(mm))
		goto out_mmput;
	mutex_lock(&dn_move_lock);
	busy = recount;

	if (recount) {
		/* Count, and protect what every hook missed, in one walk. */
		struct dn_count_walk c = { .protect = &b };

		WRITE_ONCE(t->recount, false);
		dn_protect_init(&b, mm);
		dn_scan_mm(mm, 0, TASK_SIZE, false, &c.evictable, dn_count_pte,
			   &c);
		dn_stat_add(DN_STAT_REPROTECTED, dn_protect_finish(&b));
		dn_stat_add(DN_STAT_RECOUNTS, 1);
		atomic_long_set(&t->local, c.local);
		atomic_long_set(&t->remote, c.remote);
		atomic_long_set(&t->moved, 0);
		WRITE_ONCE(t->shared, c.shared);
		t->counted_at = jiffies;
		t->counted_pct = v.remote_pct;
		delta = dn_target_delta(t, pressure, &split);
	}

	/*
	 * First keep the exchange pool filled with cold local pages: the
	 * fault path depends on it, and a long eviction below must not
	 * starve it.
	 */
	refill = v.remote_pct ? dn_pool_refill(dn_pool_count(t)) : 0;
	if (refill) {
		n = dn_clock_sweep(t, mm, dn_victims, refill);
		dn_pool_put(t, dn_victims, n);
		busy |= n > 0;
	}

	/*
	 * Evict toward the split, in clock sweeps of evict_batch pages, for
	 * DN_PASS_MS at most: the next pass goes on.
	 */
	deadline = ktime_get_ns() + DN_PASS_MS * NSEC_PER_MSEC;
	for (sweeps = 0; delta > 0 && sweeps < DN_PASS_SWEEPS && !full &&
	     ktime_get_ns() < deadline; sweeps++) {
		n = dn_clock_sweep(t, mm, dn_victims,
				   min_t(unsigned long, delta, batch));
		if (!n)
			break;
		sort(dn_victims, n, sizeof(*dn_victims), dn_cmp_addr, NULL);
		moved = dn_move_pages(mm, dn_victims, n, dn_dev.nid, &full,
				      &dn_worker_buf);
		dn_target_moved(t, moved);
		dn_stat_add(DN_STAT_EVICTIONS, moved);
		atomic64_add(moved, &t->stat[DN_TSTAT_EVICTIONS]);
		trace_dn_evict(t->tgid, dn_dev.nid, moved, n - moved);
		total += moved;
		if (!moved)
			break;
		delta -= moved;
		cond_resched();
	}
	if (delta > 0 && !full && total)
		dn_more_work = true;	/* cut short: the next pass at once */
	if (full)
		dn_stat_add(DN_STAT_REMOTE_FULL, 1);

	if (delta < 0 && split.remote > READ_ONCE(t->shared)) {
		/* Bring remote pages home, the first ones found, if room. */
		struct dn_home_walk h = { .home = dn_victims };

		h.want = min3((unsigned long)-delta, batch, dn_local_headroom());
		if (h.want)
			dn_scan_mm(mm, 0, TASK_SIZE, true, &h.evictable,
				   dn_home_pte, &h);
		if (h.nr) {
			moved = dn_move_pages(mm, h.home, h.nr, dn_dev.local_nid,
					      &full, &dn_worker_buf);
			dn_target_moved(t, -(long)moved);
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
		       recount);
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

static void dn_evict_workfn(struct work_struct *work)
{
	u64 t0 = ktime_get_ns();
	bool busy = false;

	if (!READ_ONCE(dn_dev.paused)) {
		mutex_lock(&dn_pass_lock);
		busy = dn_pass(false);
		mutex_unlock(&dn_pass_lock);
	} else {
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
	unsigned long moved = 0, nr, addr, end;
	struct dn_clock_walk w;
	struct dn_target *t;
	struct mm_struct *mm;
	bool full = false;
	pid_t tgid;
	int ret;

	if (!PAGE_ALIGNED(start) || !PAGE_ALIGNED(len) || !len ||
	    start + len < start)
		return -EINVAL;
	mm = dn_pid_mm(pid, &tgid);
	if (IS_ERR(mm))
		return PTR_ERR(mm);
	ret = dn_target_add(mm, tgid, NULL);
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
		dn_sweep_begin(&w.sweep, dn_victims, nr);
		dn_scan_mm(mm, addr, addr + (nr << PAGE_SHIFT), true,
			   &w.evictable, dn_clock_pte, &w);
		/* Young pages got a second chance: take them on a second lap. */
		dn_sweep_second_lap(&w.sweep);
		dn_scan_mm(mm, addr, addr + (nr << PAGE_SHIFT), true,
			   &w.evictable, dn_clock_pte, &w);
		moved += dn_move_pages(mm, dn_victims, w.sweep.clock.selected,
				       dn_dev.nid, &full, &dn_worker_buf);
		if (fatal_signal_pending(current))
			break;
	}
	mutex_unlock(&dn_move_lock);
	mmap_read_unlock(mm);
	atomic64_add(moved, &t->stat[DN_TSTAT_EVICTIONS]);
	dn_target_moved(t, moved);
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

/* Allocate the worker's buffers; dn_evict_start() starts it. */
int dn_evict_init(struct dn_dev *dn)
{
	dn_victims = kvcalloc(DN_EVICT_BATCH_MAX, sizeof(*dn_victims), GFP_KERNEL);
	return dn_victims ? 0 : -ENOMEM;
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
	cancel_delayed_work_sync(&dn_evict_work);
}

void dn_evict_exit(struct dn_dev *dn)
{
	kvfree(dn_victims);
}
