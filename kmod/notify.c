// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node: each target's mmu notifier, through which the module learns
 * what others do to the target's address space.
 *
 * - release(): the address space is going; the target is marked dead and
 *   the worker frees it.
 * - invalidate_range_start(): remote pages leave the page tables (freed,
 *   unmapped, migrated by anyone but the module, which counts its own
 *   moves): they leave the target's remote count now, so that the count
 *   does not drift.
 * - invalidate_range_end() on mprotect(): mprotect rebuilds PTEs from the
 *   VMA's protection; the range is protected again.
 *
 * The registry (target.c) registers the notifier with these operations.
 */
#define pr_fmt(fmt) "disagg_node: " fmt

#include <linux/mm.h>
#include <linux/mmu_notifier.h>

#include "internal.h"

static void dn_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct dn_target *t = container_of(mn, struct dn_target, mn);

	dn_target_gone(t);
	dn_evict_kick();	/* to free it */
}

/* Remote anonymous pages mapped in a range (dn_mn_invalidate_range_start). */
static int dn_count_remote_pte(pte_t *ptep, unsigned long addr, void *data)
{
	struct page *page = dn_pte_page(ptep_get(ptep));

	if (dn_page_remote(page) && PageAnon(page))
		(*(unsigned long *)data)++;
	return 0;
}

/*
 * Pages about to be unmapped (munmap, MADV_DONTNEED, exit of a COW
 * sharer) or migrated (a promotion, move_pages(2), compaction): the remote
 * ones leave the target's count now.  The caller guarantees the page
 * tables of the range for the length of the invalidation, as for its own
 * walk.  The module's own migrations carry &dn_dev as owner: their callers
 * count them.  A non-blocking invalidation (the OOM reaper) is not
 * walked: its address space is going.
 */
static int dn_mn_invalidate_range_start(struct mmu_notifier *mn,
					const struct mmu_notifier_range *range)
{
	struct dn_target *t = container_of(mn, struct dn_target, mn);
	unsigned long n = 0;

	switch (range->event) {
	case MMU_NOTIFY_UNMAP:
	case MMU_NOTIFY_CLEAR:
	case MMU_NOTIFY_MIGRATE:
		break;
	default:
		return 0;
	}
	if (range->owner == &dn_dev || !mmu_notifier_range_blockable(range) ||
	    READ_ONCE(t->dead))
		return 0;
	/*
	 * An unmap whose range a VMA still covers is mremap() moving the
	 * page tables (munmap() detaches its VMAs first; both hold the mmap
	 * lock): the pages stay, elsewhere, and so do their counts.  The
	 * ring's entries for them are stale: picks drop them, and an
	 * exchange that finds the ring empty refills it with a bounded scan
	 * (exchange.c), as after any change the ring did not see.
	 */
	if (range->event == MMU_NOTIFY_UNMAP &&
	    vma_lookup(range->mm, range->start))
		return 0;
	dn_walk_range(range->mm, range->start, range->end,
		      dn_count_remote_pte, &n);
	if (n) {
		atomic_long_sub(n, &t->remote);
		atomic_long_add(n, &t->moved);
	}
	return 0;
}

static void dn_mn_invalidate_range_end(struct mmu_notifier *mn,
				       const struct mmu_notifier_range *range)
{
	/*
	 * mprotect() rebuilds PTEs from the VMA's protection, which makes
	 * PROT_NONE remote pages accessible: protect them again before the
	 * caller returns to user mode.
	 */
	if (range->event == MMU_NOTIFY_PROTECTION_VMA && current->mm == range->mm &&
	    READ_ONCE(dn_dev.trap))
		dn_queue_reprotect(range->start, range->end);
}

const struct mmu_notifier_ops dn_mn_ops = {
	.release = dn_mn_release,
	.invalidate_range_start = dn_mn_invalidate_range_start,
	.invalidate_range_end = dn_mn_invalidate_range_end,
};
