// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node: moving pages between the nodes, for the exchange, the worker
 * and debugfs.
 *
 * Pages move through migrate_vma_*() into pages the module allocates on
 * the destination node, copying the data itself; each run of pages is
 * protected as soon as it has been through the migration
 * (dn_protect_evicted()).  The migration's mmu notifier range carries
 * &dn_dev as its owner, so that the targets' notifiers (target.c) leave
 * these moves to the callers, which count them.
 */
#define pr_fmt(fmt) "disagg_node: " fmt

#include <linux/highmem.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/sort.h>

#include "internal.h"

/*
 * The migrate_vma arrays of one run: dn_src/dn_dst (DN_RUN_MAX entries,
 * dn_move_lock) for the worker, the stack for an exchange.
 */
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
		.pgmap_owner = &dn_dev,
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
 * accessible.  Each run's accessed bits are cleared first, whatever the
 * direction, so that an access in the window between finalize and the
 * protection is counted (dn_protect_evicted()).  One batch covers every
 * run: the TLB is flushed once, at the end (the batch's flush-pending
 * window makes a migration of a page protected meanwhile flush first).
 * Caller holds the mmap read lock and owns @buf.
 */
unsigned long dn_move_pages(struct mm_struct *mm, unsigned long *addrs,
			    unsigned long nr, int nid, bool *full,
			    struct dn_move_buf *buf)
{
	struct dn_protect_batch b;
	struct vm_area_struct *vma;
	unsigned long i, j, end, moved = 0, accessed = 0;

	dn_protect_init(&b, mm);
	for (i = 0; i < nr && !*full; i = j) {
		vma = vma_lookup(mm, addrs[i]);
		j = dn_run_end(vma, addrs, i, nr, buf->max);
		if (!vma || !dn_vma_evictable(vma))
			continue;
		end = addrs[i] + ((j - i) << PAGE_SHIFT);
		dn_mkold_range(mm, addrs[i], end);
		moved += dn_move_run(vma, addrs[i], j - i, nid, full, buf);
		accessed += dn_protect_evicted(&b, addrs[i], end);
	}
	dn_protect_finish(&b);
	if (accessed)
		dn_stat_add(DN_STAT_EVICT_WINDOW_ACCESSED, accessed);
	return moved;
}

/* Sort helper for victim addresses (a few thousand at most). */
static int dn_cmp_addr(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* Sort @n addresses, for dn_move_pages(). */
void dn_sort_addrs(unsigned long *addrs, unsigned long n)
{
	sort(addrs, n, sizeof(*addrs), dn_cmp_addr, NULL);
}
