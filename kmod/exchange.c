// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node: the exchange on the fault path, and each target's ring of
 * local pages it takes its victims from.
 *
 * The seed's semantics: a target's local memory is a cache of fixed
 * capacity C = (100 - remote_pct) % of its resident anonymous pages.  A
 * trap brings a remote page home; before the faulting thread returns to
 * user mode, its task_work (hook.c) calls dn_exchange(), which sends local
 * pages remote while the target's local pages exceed C (one per promotion
 * when the split holds), whatever their temperature: hot victims make the
 * program trap again, and it pays for that, which is the cost the emulator
 * exists to show.
 *
 * Victims come from the target's ring (policy.h): the local pages in the
 * order they became local, fed by the promotions themselves (the page the
 * trap brought home goes to the tail) and by the worker's recounts (every
 * local page found).  A pick costs O(1) page lookups per victim: young
 * entries get a bounded number of second chances, then the oldest is taken
 * (dn_pick_visit()).  Entries whose page is gone (freed, already remote,
 * shared with another process) are dropped as they are met.  A debt the
 * exchange cannot pay (an empty ring, a victim that would not move) stays
 * owed: the same target's next trap pays it, and the worker is asked for a
 * recount, which refills the ring.
 */
#define pr_fmt(fmt) "disagg_node: " fmt

#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "internal.h"
#include "policy.h"
#include "trace.h"

/* An exchange that misses asks for a recount at most this often. */
#define DN_MISS_RECOUNT_MS	1000
/* Present PTEs an exchange whose ring ran dry looks at to refill it. */
#define DN_SCAN_BUDGET		1024
/* After a scan that found no page to add, none for this long. */
#define DN_SCAN_REST_MS		100

/*
 * A page the module may send remote: anonymous, small and mapped by one
 * address space only (pages shared with a non-target, by COW after fork or
 * by KSM, are not moved on a target's behalf).
 */
bool dn_page_evictable(struct page *page)
{
	struct folio *folio = page_folio(page);

	return PageAnon(page) && !folio_test_large(folio) &&
	       atomic_read(&folio->_mapcount) <= 0;
}

/**
 * dn_ring_reserve - make room for @count entries in @t's ring
 * @t: the target
 * @count: entries the ring must hold
 *
 * Allocates, charged to the target's memory cgroup: process context with
 * no spinlock held.
 *
 * Return: 0, or -ENOMEM with the ring unchanged.
 */
int dn_ring_reserve(struct dn_target *t, unsigned long count)
{
	unsigned long cap, *slot, *old;
	struct mem_cgroup *memcg, *prev;
	struct dn_ring r;
	bool room;

	might_sleep();
	spin_lock(&t->ring_lock);
	room = t->ring.slot && t->ring.mask >= count;
	spin_unlock(&t->ring_lock);
	if (room)
		return 0;
	cap = dn_ring_capacity(count);
	memcg = get_mem_cgroup_from_mm(t->mm);
	prev = set_active_memcg(memcg);
	slot = kvmalloc_array(cap, sizeof(*slot),
			      GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	set_active_memcg(prev);
	mem_cgroup_put(memcg);
	if (!slot)
		return -ENOMEM;
	dn_ring_init(&r, slot, cap);
	spin_lock(&t->ring_lock);
	if (t->ring.slot && t->ring.mask >= count) {
		/* Grown meanwhile by another thread. */
		spin_unlock(&t->ring_lock);
		kvfree(slot);
		return 0;
	}
	dn_ring_move(&r, &t->ring);
	old = t->ring.slot;
	t->ring = r;
	spin_unlock(&t->ring_lock);
	kvfree(old);
	return 0;
}

/* Add @addr at the ring's tail; false if the ring is full. */
bool dn_ring_try_add(struct dn_target *t, unsigned long addr)
{
	bool ok;

	spin_lock(&t->ring_lock);
	ok = dn_ring_push(&t->ring, addr);
	spin_unlock(&t->ring_lock);
	return ok;
}

/**
 * dn_ring_add - add a local page of @t to its ring, growing it if full
 * @t: the target
 * @addr: the page's user address
 *
 * Process context, may sleep.  If the ring cannot grow, the page is left
 * to the next recount.
 */
void dn_ring_add(struct dn_target *t, unsigned long addr)
{
	unsigned long n;

	if (dn_ring_try_add(t, addr))
		return;
	spin_lock(&t->ring_lock);
	n = dn_ring_count(&t->ring);
	spin_unlock(&t->ring_lock);
	if (!dn_ring_reserve(t, n + 1))
		dn_ring_try_add(t, addr);
}

/* Forget every entry: a recount adds the local pages it finds again. */
void dn_ring_clear(struct dn_target *t)
{
	spin_lock(&t->ring_lock);
	t->ring.head = t->ring.tail;
	spin_unlock(&t->ring_lock);
}

/*
 * What a ring entry's page is now, for dn_pick_visit(); a young page's
 * accessed bit (and folio young flag, dn_pte_young()) is cleared (its
 * second chance, or it is taken and about to move: either way the bit has
 * been read).  Clearing the accessed bit needs
 * no TLB flush on x86: a stale entry only delays its setting again.  A
 * local PROT_NONE PTE (the kernel's NUMA scanner) is old.
 */
static int dn_look_pte(pte_t *ptep, unsigned long addr, void *data)
{
	enum dn_page_state *state = data;
	pte_t pte = ptep_get(ptep);
	struct page *page = dn_pte_page(pte);

	if (!page || dn_page_remote(page) || !dn_page_evictable(page)) {
		*state = DN_PAGE_GONE;
	} else if (dn_pte_young(pte, page, true)) {
		*state = DN_PAGE_YOUNG;
		test_and_clear_bit(_PAGE_BIT_ACCESSED,
				   (unsigned long *)&ptep->pte);
	} else {
		*state = DN_PAGE_OLD;
	}
	return 0;
}

/* The state of the page at @addr; caller holds the mmap read lock. */
static enum dn_page_state dn_look(struct mm_struct *mm, unsigned long addr)
{
	enum dn_page_state state = DN_PAGE_GONE;
	struct vm_area_struct *vma = vma_lookup(mm, addr);

	if (vma && dn_vma_evictable(vma))
		dn_walk_range(mm, addr, addr + PAGE_SIZE, dn_look_pte, &state);
	return state;
}

/**
 * dn_ring_pick - take up to @want victims from @t's ring
 * @t: the target
 * @mm: its address space; caller holds its mmap read lock
 * @victims: out: the victims' addresses, in pick order
 * @want: victims wanted
 *
 * The policy's pick (dn_pick_visit()) over the ring, oldest first; the
 * pages the target brought home last (@t->recent) are never taken.
 *
 * Return: the number of victims, fewer than @want only if the ring ran out
 * of live entries or the pick looked at its bound of entries.
 */
unsigned long dn_ring_pick(struct dn_target *t, struct mm_struct *mm,
			   unsigned long *victims, unsigned long want)
{
	unsigned long addr;
	struct dn_pick p;
	bool got;

	dn_pick_begin(&p, want);
	while (!dn_pick_done(&p)) {
		spin_lock(&t->ring_lock);
		got = dn_ring_pop(&t->ring, &addr);
		if (got && dn_recent_has(&t->recent, addr)) {
			/* Looked at, not taken: the pick stays bounded. */
			dn_ring_push(&t->ring, addr);
			p.looked++;
			spin_unlock(&t->ring_lock);
			continue;
		}
		spin_unlock(&t->ring_lock);
		if (!got)
			break;
		switch (dn_pick_visit(&p, dn_look(mm, addr))) {
		case DN_PICK_DROP:
			break;
		case DN_PICK_AGAIN:
			dn_ring_add(t, addr);
			break;
		case DN_PICK_TAKE:
			victims[p.taken - 1] = addr;
			break;
		}
	}
	return p.taken;
}

struct dn_scan_walk {
	struct dn_target *t;
	unsigned long left;	/* PTEs still to look at */
	unsigned long added;
	unsigned long last;	/* the last address looked at */
};

static int dn_scan_pte(pte_t *ptep, unsigned long addr, void *data)
{
	struct dn_scan_walk *w = data;
	struct page *page = dn_pte_page(ptep_get(ptep));

	if (!w->left)
		return 1;	/* stop the walk */
	w->left--;
	w->last = addr;
	if (page && !dn_page_remote(page) && dn_page_evictable(page) &&
	    dn_ring_try_add(w->t, addr))
		w->added++;
	return 0;
}

/*
 * Refill @t's ring from its page tables with the local pages that may
 * move, from where the last such scan stopped, looking at DN_SCAN_BUDGET
 * present PTEs at most and wrapping around once: for a ring with no live
 * entry left, when pages became local or moved with no event that feeds
 * the ring (mremap() moves a heap, for example).  So an exchange never
 * waits for the worker to find its victims.  Caller holds the mmap read
 * lock.  Return: the entries added.
 */
static unsigned long dn_ring_scan(struct dn_target *t, struct mm_struct *mm)
{
	struct dn_scan_walk w = { .t = t, .left = DN_SCAN_BUDGET };
	unsigned long from = READ_ONCE(t->scan_hand), start;
	struct vm_area_struct *vma;
	struct vma_iterator vmi;
	int lap;

	if (time_before(jiffies, READ_ONCE(t->scan_rest)))
		return 0;

	for (lap = 0; lap < 2 && w.left; lap++) {
		vma_iter_init(&vmi, mm, lap ? 0 : from);
		for_each_vma(vmi, vma) {
			if (lap && vma->vm_start >= from)
				break;
			if (!dn_vma_evictable(vma))
				continue;
			start = lap ? vma->vm_start : max(from, vma->vm_start);
			if (dn_walk_range(mm, start, vma->vm_end, dn_scan_pte,
					  &w) > 0)
				break;
		}
	}
	WRITE_ONCE(t->scan_hand, w.last + PAGE_SIZE);
	if (!w.added)	/* nothing movable: not again for DN_SCAN_REST_MS */
		WRITE_ONCE(t->scan_rest,
			   jiffies + msecs_to_jiffies(DN_SCAN_REST_MS));
	return w.added;
}

/**
 * dn_exchange - the other half of a promotion: send local pages remote
 * @t: the target whose trap brought a page home (a reference is held)
 * @mm: its address space, current->mm (the caller is its task)
 * @addr: the address that trapped, or of the page that grew, or 0
 * @grown: @addr is a local page just allocated for the target (its first
 *	touch): it counts as a promotion if it is a private anonymous page
 *
 * Runs in the task_work of a thread that trapped, or that allocated a
 * local page, before it returns to user mode, with no lock held.  New
 * memory therefore keeps the split as promotions do, whether it is born
 * remote (it traps) or local.  If a promotion is owed, as many pages as
 * the target's local pages exceed its capacity (at most DN_EXCHANGE_MAX,
 * see dn_exchange_count()) are picked from the ring and moved; a victim
 * that does not move is replaced by the next one, once; a ring with no
 * live entry left is refilled by a bounded scan (dn_ring_scan()), which
 * rests for DN_SCAN_REST_MS after one that found nothing.  The page at
 * @addr is never one of them, nor are the last DN_LOCAL_WINDOW pages the
 * target brought home (@t->recent): the access that trapped must complete
 * when the thread returns to user mode (else two pages could evict each
 * other at every trap).  It joins the ring's tail last, if it is local.
 * What is not paid stays owed, for the target's next trap.
 *
 * Return: the pages sent to the remote node.
 */
unsigned long dn_exchange(struct dn_target *t, struct mm_struct *mm,
			  unsigned long addr, bool grown)
{
	unsigned long victims[DN_EXCHANGE_MAX], src[DN_EXCHANGE_MAX];
	unsigned long dst[DN_EXCHANGE_MAX];
	struct dn_move_buf buf = { src, dst, DN_EXCHANGE_MAX };
	unsigned long owed, want = 0, n, moved = 0, counted;
	struct dn_split split;
	bool full = false, scanned = false;
	int round;

	if (!addr && !atomic_long_read(&t->owed))
		return 0;
	if (mmap_read_lock_killable(mm))
		return 0;
	if (grown && (!addr || dn_look(mm, addr) == DN_PAGE_GONE)) {
		mmap_read_unlock(mm);	/* not a page the split counts */
		return 0;
	}
	owed = atomic_long_xchg(&t->owed, 0) + grown;
	if (addr) {
		/* Brought home: no victim, so the access completes. */
		spin_lock(&t->ring_lock);
		dn_recent_add(&t->recent, addr);
		spin_unlock(&t->ring_lock);
	}
	dn_target_split(t, &split);
	/*
	 * Within the target's cap (dn_exchange_count() under remote_max),
	 * and within what evictions under way leave of it.  A promotion the
	 * cap leaves unpaid is not owed: its page stays local, refused.
	 */
	counted = dn_exchange_count(&split, owed);
	want = dn_target_reserve(t, counted);
	for (round = 0; round < 3 && moved < want && !full; round++) {
		n = dn_ring_pick(t, mm, victims, want - moved);
		if (!n) {
			if (scanned || !dn_ring_scan(t, mm))
				break;
			scanned = true;
			continue;
		}
		dn_sort_addrs(victims, n);
		moved += dn_move_pages(mm, victims, n, dn_dev.nid, &full, &buf);
	}
	if (addr && dn_look(mm, addr) != DN_PAGE_GONE)
		dn_ring_add(t, addr);
	mmap_read_unlock(mm);
	if (moved) {
		/* Put them on the LRU, or a trap on one cannot promote it. */
		dn_lru_drain_local();
		dn_target_moved(t, moved);
		dn_stat_add(DN_STAT_EXCHANGES, moved);
		atomic64_add(moved, &t->stat[DN_TSTAT_EXCHANGES]);
	}
	dn_target_unreserve(t, want);
	if (full)
		dn_stat_add(DN_STAT_REMOTE_FULL, 1);
	dn_target_held(t, full);
	if (moved < want) {
		/*
		 * The next trap pays it; a recount refills the ring, at most
		 * once per DN_MISS_RECOUNT_MS (a target whose local pages
		 * cannot move would otherwise cost a walk per trap).
		 */
		atomic_long_inc(&t->owed);
		dn_stat_add(DN_STAT_EXCHANGE_MISSES, want - moved);
		if (time_after(jiffies, READ_ONCE(t->counted_at) +
			       msecs_to_jiffies(DN_MISS_RECOUNT_MS))) {
			WRITE_ONCE(t->recount, true);
			dn_evict_kick();
		}
	}
	trace_dn_exchange(t->tgid, owed, moved, want - moved);
	return moved;
}
