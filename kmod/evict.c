// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node: the balancing worker.
 *
 * Every scan_period_ms, for each target: one walk of its page tables counts
 * resident local and remote pages and protects any remote page found
 * accessible (a path the hook did not see); dn_split_delta() (policy.c)
 * turns the counts and remote_pct into pages to move; a clock sweep
 * (dn_clock_visit()) from the target's hand picks cold local pages, giving
 * a second chance to pages whose accessed bit is set; migrate_vma_*() moves
 * them into pages the module allocates on the remote node, copying the data
 * itself; the new PTEs are made PROT_NONE and the TLB is flushed once for
 * the batch.  When remote_pct is lowered, remote pages come home the same
 * way.  The local node is also kept above its high watermark, so that the
 * fault path's promotions (which fail below it) succeed.
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
#include <linux/pagevec.h>
#include <linux/cpu.h>
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
			mod_delayed_work(system_unbound_wq, &dn_evict_work, 0);
		else
			queue_delayed_work(system_unbound_wq, &dn_evict_work,
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
 * Move the pages of [start, start + n pages) that are not already on @nid
 * to @nid.  Returns the number moved; *full is set when @nid had no room.
 */
static unsigned long dn_move_run(struct vm_area_struct *vma,
				 unsigned long start, unsigned long n, int nid,
				 bool *full)
{
	struct migrate_vma args = {
		.vma = vma,
		.start = start,
		.end = start + (n << PAGE_SHIFT),
		.src = dn_src,
		.dst = dn_dst,
		.flags = MIGRATE_VMA_SELECT_SYSTEM,
	};
	gfp_t gfp = GFP_HIGHUSER_MOVABLE | __GFP_THISNODE | __GFP_NORETRY |
		    __GFP_NOWARN;
	struct page *spage, *dpage;
	unsigned long i, moved = 0;

	lockdep_assert_held(&dn_move_lock);
	memset(dn_src, 0, n * sizeof(*dn_src));
	memset(dn_dst, 0, n * sizeof(*dn_dst));
	if (migrate_vma_setup(&args))
		return 0;
	for (i = 0; i < n; i++) {
		spage = migrate_pfn_to_page(dn_src[i]);
		if (!spage || !(dn_src[i] & MIGRATE_PFN_MIGRATE) ||
		    page_to_nid(spage) == nid || *full)
			continue;
		dpage = alloc_pages_node(nid, gfp, 0);
		if (!dpage) {
			*full = true;
			continue;
		}
		lock_page(dpage);
		copy_highpage(dpage, spage);
		dn_dst[i] = migrate_pfn(page_to_pfn(dpage));
	}
	migrate_vma_pages(&args);
	for (i = 0; i < n; i++)
		if (dn_dst[i] && (dn_src[i] & MIGRATE_PFN_MIGRATE))
			moved++;
	/* Unlocks and frees the destination pages that did not move. */
	migrate_vma_finalize(&args);
	return moved;
}

/*
 * Pages just faulted in or migrated wait in a per-CPU LRU batch, where NUMA
 * promotion cannot isolate them: a trap on one would fail.  lru_add_drain()
 * is not exported, but releasing an empty page batch drains this CPU's
 * batches first.
 */
void dn_lru_drain_local(void)
{
#ifdef HAVE_FOLIO_BATCH_RELEASE
	struct folio_batch fb;

	folio_batch_init(&fb);
	__folio_batch_release(&fb);
#else
	struct pagevec pv;

	pagevec_init(&pv);
	__pagevec_release(&pv);
#endif
}

/* dn_drain_lock serialises dn_lru_drain_all(): it owns dn_drain_work. */
static DEFINE_MUTEX(dn_drain_lock);
static DEFINE_PER_CPU(struct work_struct, dn_drain_work);

static void dn_drain_workfn(struct work_struct *work)
{
	dn_lru_drain_local();
}

/* Drain every CPU's LRU batches, as lru_add_drain_all() (not exported). */
void dn_lru_drain_all(void)
{
	int cpu;

	mutex_lock(&dn_drain_lock);
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		INIT_WORK(per_cpu_ptr(&dn_drain_work, cpu), dn_drain_workfn);
		queue_work_on(cpu, system_wq, per_cpu_ptr(&dn_drain_work, cpu));
	}
	for_each_online_cpu(cpu)
		flush_work(per_cpu_ptr(&dn_drain_work, cpu));
	cpus_read_unlock();
	mutex_unlock(&dn_drain_lock);
}

/*
 * The end (exclusive index) of the run of @addrs starting at @i: contiguous
 * addresses inside @vma and one PMD, at most DN_RUN_MAX pages.
 */
static unsigned long dn_run_end(struct vm_area_struct *vma,
				const unsigned long *addrs, unsigned long i,
				unsigned long nr)
{
	unsigned long j, start = addrs[i];

	for (j = i + 1; j < nr && j - i < DN_RUN_MAX &&
	     addrs[j] == start + ((j - i) << PAGE_SHIFT) &&
	     vma && addrs[j] < vma->vm_end &&
	     pmd_addr_end(start, vma->vm_end) > addrs[j]; j++)
		;
	return j;
}

/*
 * Move the pages at @addrs (sorted, in evictable VMAs) to @nid in runs of
 * contiguous addresses.  If @nid is the remote node, protect them once all
 * are moved, in one short flush-pending window (a long one would make
 * every concurrent promotion flush the TLB), and flush.  Caller holds the
 * mmap read lock and dn_move_lock.
 */
static unsigned long dn_move_pages(struct mm_struct *mm, unsigned long *addrs,
				   unsigned long nr, int nid, bool *full)
{
	struct dn_protect_batch b;
	struct vm_area_struct *vma;
	unsigned long i, j, moved = 0;

	for (i = 0; i < nr && !*full; i = j) {
		vma = vma_lookup(mm, addrs[i]);
		j = dn_run_end(vma, addrs, i, nr);
		if (vma && dn_vma_evictable(vma))
			moved += dn_move_run(vma, addrs[i], j - i, nid, full);
	}
	if (nid != dn_dev.nid || !moved)
		return moved;
	dn_protect_init(&b, mm);
	for (i = 0; i < nr; i = j) {
		vma = vma_lookup(mm, addrs[i]);
		j = dn_run_end(vma, addrs, i, nr);
		dn_protect_range(&b, addrs[i],
				 addrs[i] + ((j - i) << PAGE_SHIFT), 0);
	}
	dn_protect_finish(&b);
	return moved;
}

/* One walk: counts, pages found unprotected, and clock candidates. */
struct dn_scan {
	struct dn_protect_batch *protect; /* if set, dn_count_pte() protects */
	bool evictable;
	unsigned long local;
	unsigned long remote;
	unsigned long reprotected;	/* accessible remote pages protected */
	unsigned long shared;		/* remote pages not evictable */
	/* clock sweep */
	struct dn_clock clock;
	unsigned long *victims;
	/*
	 * Second lap: the first lap's victims are met again, in the same
	 * order, still mapped and old; skip them (victims[dedup..lap1)).
	 */
	bool second_lap;
	unsigned long lap1;
	unsigned long dedup;
	/* homecoming: remote pages to bring home */
	unsigned long want_home;
	unsigned long *home;
	unsigned long nr_home;
};

static int dn_count_pte(pte_t *ptep, unsigned long addr, void *data)
{
	struct dn_scan *s = data;
	struct page *page = dn_pte_page(ptep_get(ptep));

	if (!page)
		return 0;
	if (!dn_page_remote(page)) {
		s->local++;
		return 0;
	}
	s->remote++;
	/* A path the hook did not see: protect it here, under the PTE lock. */
	if (s->protect && __dn_protect_pte(s->protect, addr, ptep))
		s->reprotected++;
	if (!s->evictable || !PageAnon(page))
		s->shared++;
	else if (s->nr_home < s->want_home)
		s->home[s->nr_home++] = addr;	/* private anonymous */
	return 0;
}

static int dn_clock_pte(pte_t *ptep, unsigned long addr, void *data)
{
	struct dn_scan *s = data;
	pte_t pte = ptep_get(ptep);
	struct page *page;
	bool young;

	if (dn_clock_done(&s->clock))
		return 0;
	page = dn_pte_page(pte);
	if (!page)
		return 0;
	if (s->second_lap && s->dedup < s->lap1 && s->victims[s->dedup] == addr) {
		s->dedup++;
		return 0;
	}
	if (dn_page_remote(page) || !PageAnon(page))
		return 0;
	/*
	 * A local PROT_NONE PTE was unmapped by the kernel's NUMA scanner and
	 * not used since: old.  Clearing the accessed bit needs no TLB flush
	 * on x86; a stale entry only delays its setting again.
	 */
	young = !pte_protnone(pte) && pte_young(pte);
	switch (dn_clock_visit(&s->clock, true, young)) {
	case DN_KEEP_CLEAR:
		test_and_clear_bit(_PAGE_BIT_ACCESSED, (unsigned long *)&ptep->pte);
		break;
	case DN_EVICT:
		s->victims[s->clock.selected - 1] = addr;
		break;
	default:
		break;
	}
	return 0;
}

/* Walk every walkable VMA of @mm with @fn; evictable-only if @evict_only. */
static void dn_scan_mm(struct mm_struct *mm, struct dn_scan *s,
		       unsigned long from, unsigned long to, bool evict_only,
		       int (*fn)(pte_t *, unsigned long, void *))
{
	struct vm_area_struct *vma;
	struct vma_iterator vmi;

	vma_iter_init(&vmi, mm, from);
	for_each_vma_range(vmi, vma, to) {
		if (!dn_vma_walkable(vma))
			continue;
		s->evictable = dn_vma_evictable(vma);
		if (evict_only && !s->evictable)
			continue;
		dn_walk_range(mm, max(from, vma->vm_start), min(to, vma->vm_end),
			      fn, s);
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

/* Sort helper for victim addresses (few thousand at most). */
static int dn_cmp_addr(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/*
 * One pass over one target; caller holds dn_pass_lock and a reference on
 * @t.  Skipped, and retried at the next pass, while another thread holds
 * the target's mmap lock for writing.
 */
static void dn_balance_target(struct dn_target *t, unsigned long pressure)
{
	struct mm_struct *mm = t->mm;
	struct dn_split split;
	struct dn_scan s = { .victims = dn_victims };
	struct dn_protect_batch b;
	unsigned long batch = READ_ONCE(dn_dev.evict_batch);
	unsigned long moved = 0, n, lap;
	bool full = false;
	long delta;

	if (!mmget_not_zero(mm))
		return;
	if (!mmap_read_trylock(mm))
		goto out_mmput;
	mutex_lock(&dn_move_lock);

	/* Count, and protect what the hook missed, in one walk. */
	dn_protect_init(&b, mm);
	s.protect = &b;
	dn_scan_mm(mm, &s, 0, TASK_SIZE, false, dn_count_pte);
	s.protect = NULL;
	dn_stat_add(DN_STAT_REPROTECTED, dn_protect_finish(&b));

	split.local = s.local;
	split.remote = s.remote;
	split.remote_pct = READ_ONCE(dn_dev.remote_pct);
	delta = dn_split_delta(&split);
	if (delta >= 0 && pressure > (unsigned long)delta)
		delta = pressure;

	if (delta > 0) {
		/* Clock sweep from the hand, two laps at most. */
		dn_clock_begin(&s.clock, min_t(unsigned long, delta, batch));
		for (lap = 0; lap < 2 && !dn_clock_done(&s.clock); lap++) {
			s.second_lap = lap;
			s.lap1 = s.clock.selected;
			dn_scan_mm(mm, &s, t->hand, TASK_SIZE, true, dn_clock_pte);
			if (!dn_clock_done(&s.clock))
				dn_scan_mm(mm, &s, 0, t->hand, true, dn_clock_pte);
		}
		n = s.clock.selected;
		if (n) {
			t->hand = s.victims[n - 1] + PAGE_SIZE;
			sort(s.victims, n, sizeof(*s.victims), dn_cmp_addr, NULL);
			moved = dn_move_pages(mm, s.victims, n, dn_dev.nid, &full);
			dn_stat_add(DN_STAT_EVICTIONS, moved);
			atomic64_add(moved, &t->stat[DN_TSTAT_EVICTIONS]);
			if (full)
				dn_stat_add(DN_STAT_REMOTE_FULL, 1);
			trace_dn_evict(t->tgid, dn_dev.nid, moved, n - moved);
			s.local -= moved;
			s.remote += moved;
		}
	} else if (delta < 0 && s.remote > s.shared) {
		/* Bring remote pages home, the first ones found, if room. */
		struct dn_scan h = { .home = dn_victims };

		h.want_home = min3((unsigned long)-delta, batch, dn_local_headroom());
		if (h.want_home)
			dn_scan_mm(mm, &h, 0, TASK_SIZE, true, dn_count_pte);
		if (h.nr_home) {
			moved = dn_move_pages(mm, h.home, h.nr_home,
					      dn_dev.local_nid, &full);
			dn_stat_add(DN_STAT_HOMECOMINGS, moved);
			trace_dn_evict(t->tgid, dn_dev.local_nid, moved,
				       h.nr_home - moved);
			s.local += moved;
			s.remote -= moved;
		}
	}
	mutex_unlock(&dn_move_lock);
	mmap_read_unlock(mm);
	if (moved)
		dn_lru_drain_all();
	WRITE_ONCE(t->local, s.local);
	WRITE_ONCE(t->remote, s.remote);
	WRITE_ONCE(t->shared, s.shared);
out_mmput:
	mmput(mm);
}

/* One balancing pass over every target; caller holds dn_pass_lock. */
static void dn_pass(void)
{
	struct dn_target *t = NULL;
	unsigned long pressure;

	lockdep_assert_held(&dn_pass_lock);
	dn_targets_reap();
	if (!READ_ONCE(dn_dev.trap))
		return;
	pressure = dn_local_pressure();
	while ((t = dn_target_next(t))) {
		dn_balance_target(t, pressure);
		/* Later targets share what is left to free. */
		pressure = dn_local_pressure();
		cond_resched();
	}
}

static void dn_evict_workfn(struct work_struct *work)
{
	if (!READ_ONCE(dn_dev.paused)) {
		mutex_lock(&dn_pass_lock);
		dn_pass();
		mutex_unlock(&dn_pass_lock);
	} else {
		dn_targets_reap();
	}
	dn_evict_queue(msecs_to_jiffies(READ_ONCE(dn_dev.scan_period_ms)),
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
	dn_pass();
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
	struct dn_scan s = { .victims = dn_victims };
	unsigned long moved = 0, nr, addr, end;
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
		dn_clock_begin(&s.clock, nr);
		s.second_lap = false;
		dn_scan_mm(mm, &s, addr, addr + (nr << PAGE_SHIFT), true,
			   dn_clock_pte);
		/* Young pages got a second chance: take them on a second lap. */
		s.second_lap = true;
		s.lap1 = s.clock.selected;
		s.dedup = 0;
		dn_scan_mm(mm, &s, addr, addr + (nr << PAGE_SHIFT), true,
			   dn_clock_pte);
		moved += dn_move_pages(mm, s.victims, s.clock.selected,
				       dn_dev.nid, &full);
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
