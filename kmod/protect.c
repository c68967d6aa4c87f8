// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node: keeping remote pages unmapped, and the page-table, TLB and
 * LRU primitives that the hook, the worker and the exchange share.
 *
 * A remote page of a target is mapped by a PROT_NONE ("NUMA hint") PTE, so
 * every CPU access to it faults into the kernel's NUMA fault path, where the
 * hook (hook.c) pays the latency and promotes it.  pte_modify() does not
 * link in a module on Debian (cc_mask is not exported), so the hint PTE is
 * built by hand here, keeping the L1TF inversion of the PFN bits that the
 * kernel applies to every non-present PTE.
 *
 * Page tables are changed with apply_to_existing_page_range() under the
 * mmap read lock and the PTE lock it takes; it WARNs on huge PMDs, so
 * dn_walk_range() checks every PMD first and passes only page tables to it.
 * Where that function is not exported to every module (7.2),
 * apply_to_page_range() does the same on the PMDs found to hold a page
 * table (it would allocate a missing one, and calls back for empty PTEs
 * too: dn_apply() skips them).
 *
 * The mmap read lock does not keep a PMD as it is: under it, an empty page
 * table can be freed (7.2's CONFIG_PT_RECLAIM, after MADV_DONTNEED), a
 * file VMA's table retracted by khugepaged (6.5 and later), and a fault can
 * then map a huge page where the table was.  The walk would then allocate
 * a table the kernel just freed, or WARN on the huge PMD.  So each PMD is
 * checked and walked under its PMD lock, which every one of those paths
 * takes to change the PMD; the walk's own PTE lock nests inside it, as in
 * the kernel (retract_page_tables()).  That needs split page-table locks
 * (otherwise both are mm->page_table_lock): Debian's kernels have them.
 * A walk that fails all the same is counted (stats/walk_errors).
 *
 * TLB flushes are batched: every path that makes PTEs PROT_NONE runs
 * in a struct dn_protect_batch, which marks a TLB flush pending from its
 * first change until dn_protect_finish() has flushed, as change_protection()
 * does.  While a flush is pending, x86's pte_accessible() treats a PROT_NONE
 * PTE as possibly cached, so a concurrent migration of that page (another
 * thread's trap, move_pages(), compaction) flushes the TLB before it copies
 * the page: no CPU can then write the old page through a stale entry after
 * the copy, which would lose the write.
 */
#define pr_fmt(fmt) "disagg_node: " fmt

#include <linux/cpu.h>
#include <linux/mm.h>
#include <linux/mm_inline.h>
#include <linux/mutex.h>
#include <linux/pgtable.h>
#include <linux/smp.h>
#include <linux/workqueue.h>
#include <asm/pgtable-invert.h>
#include <asm/paravirt.h>
#include <asm/tlbflush.h>

#include "internal.h"	/* config.h: HAVE_* */

#ifdef HAVE_FOLIO_BATCH_H
#include <linux/folio_batch.h>
#else
#include <linux/pagevec.h>
#endif

/*
 * The PROT_NONE form of a present PTE, as pte_modify(pte, PAGE_NONE) with
 * the write bit preserved (the NUMA fault path restores write access from
 * it) would give: not present, _PAGE_PROTNONE and accessed set, user, NX
 * and protection-key bits clear; PFN inverted against L1TF.
 */
static pte_t dn_mk_protnone(pte_t pte)
{
	pteval_t old = pte_val(pte), val;

	val = old & ~(_PAGE_PRESENT | _PAGE_USER | _PAGE_NX | _PAGE_PKEY_MASK);
	val |= _PAGE_PROTNONE | _PAGE_ACCESSED;
	val = flip_protnone_guard(old, val, PTE_PFN_MASK);
	return __pte(val);
}

/* VMAs whose PTEs the module may read and rewrite. */
bool dn_vma_walkable(struct vm_area_struct *vma)
{
	return !(vma->vm_flags & (VM_HUGETLB | VM_PFNMAP | VM_IO | VM_MIXEDMAP)) &&
	       vma_is_accessible(vma);
}

/*
 * VMAs whose anonymous pages may be evicted: private mappings, anonymous
 * or of a file (the pages copied on write there, .data or relocations:
 * migrate_vma_*() moves anonymous pages whatever the mapping; the caller
 * picks only anonymous pages, dn_page_evictable()).  File pages, and pages
 * of shared or mlocked mappings, that land on the remote node are
 * protected and promoted on access like the others, but never evicted
 * (counted in skipped_shared).
 */
bool dn_vma_evictable(struct vm_area_struct *vma)
{
	return dn_vma_walkable(vma) && !vma_is_dax(vma) &&
	       !(vma->vm_flags & (VM_SHARED | VM_LOCKED));
}

/* The PTE lock must not be the PMD lock (dn_walk_range() nests them). */
#if defined(USE_SPLIT_PTE_PTLOCKS)	/* up to 6.11 */
#if !USE_SPLIT_PTE_PTLOCKS
#error "disagg_node nests PTE locks in PMD locks: split PTE locks are needed"
#endif
#elif !defined(CONFIG_SPLIT_PTE_PTLOCKS)
#error "disagg_node nests PTE locks in PMD locks: split PTE locks are needed"
#endif

#ifndef HAVE_EXPORT_APPLY_TO_EXISTING_PAGE_RANGE
struct dn_apply_walk {
	int (*fn)(pte_t *pte, unsigned long addr, void *data);
	void *data;
};

/* apply_to_page_range() calls back for every PTE: skip the empty ones. */
static int dn_apply_pte(pte_t *ptep, unsigned long addr, void *data)
{
	struct dn_apply_walk *w = data;

	if (pte_none(ptep_get(ptep)))
		return 0;
	return w->fn(ptep, addr, w->data);
}
#endif

/*
 * @fn on every non-empty PTE of [addr, addr + size), inside one PMD that
 * holds a page table, under its PTE lock.
 */
static int dn_apply(struct mm_struct *mm, unsigned long addr,
		    unsigned long size,
		    int (*fn)(pte_t *pte, unsigned long addr, void *data),
		    void *data)
{
#ifdef HAVE_EXPORT_APPLY_TO_EXISTING_PAGE_RANGE
	return apply_to_existing_page_range(mm, addr, size, fn, data);
#else
	struct dn_apply_walk w = { .fn = fn, .data = data };

	return apply_to_page_range(mm, addr, size, dn_apply_pte, &w);
#endif
}

/*
 * The PMD entry that maps @addr in @mm, or NULL if there is none (no table
 * below the PGD, P4D or PUD, or a bad one), or if the PUD maps a huge page
 * (*@huge_pud set).  Caller holds the mmap lock.
 */
static pmd_t *dn_pmd_of(struct mm_struct *mm, unsigned long addr,
			bool *huge_pud)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud;

	*huge_pud = false;
	if (pgd_none(*pgd) || pgd_bad(*pgd))
		return NULL;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d) || p4d_bad(*p4d))
		return NULL;
	pud = pud_offset(p4d, addr);
	if (pud_none(*pud))
		return NULL;
	if (pud_leaf(*pud) || pud_bad(*pud)) {
		*huge_pud = true;
		return NULL;
	}
	return pmd_offset(pud, addr);
}

/*
 * Call @fn on every existing PTE of [start, end) (page aligned, inside one
 * VMA), skipping huge PMD and PUD mappings, which are counted.  The caller
 * holds the mmap lock; @fn runs under the PMD lock and the PTE lock, and
 * returns 0 to go on or a positive value to stop the walk.
 *
 * Return: 0, @fn's positive value, or a negative errno from the kernel's
 * walk (counted in stats/walk_errors).
 */
int dn_walk_range(struct mm_struct *mm, unsigned long start,
		  unsigned long end, int (*fn)(pte_t *pte, unsigned long addr,
					       void *data), void *data)
{
	unsigned long addr, next;
	pmd_t *pmd, pmdval;
	spinlock_t *pml;	/* the PMD lock: keeps *pmd a page table */
	bool huge_pud;
	int ret;

	for (addr = start; addr < end; addr = next) {
		next = pmd_addr_end(addr, end);
		pmd = dn_pmd_of(mm, addr, &huge_pud);
		if (huge_pud) {
			dn_stat_add(DN_STAT_SKIPPED_HUGE, 1);
			next = pud_addr_end(addr, end);
			continue;
		}
		if (!pmd || pmd_none(READ_ONCE(*pmd)))
			continue;
		pml = pmd_lock(mm, pmd);
		pmdval = *pmd;
		if (pmd_none(pmdval)) {
			ret = 0;
		} else if (pmd_leaf(pmdval) || pmd_bad(pmdval) ||
			   !pmd_present(pmdval)) {
			dn_stat_add(DN_STAT_SKIPPED_HUGE, 1);
			ret = 0;
		} else {
			ret = dn_apply(mm, addr, next - addr, fn, data);
		}
		spin_unlock(pml);
		if (ret < 0)
			dn_stat_add(DN_STAT_WALK_ERRORS, 1);
		if (ret)
			return ret;
		cond_resched();
	}
	return 0;
}

/*
 * Pages of anonymous huge PMD mappings in [start, end) of one VMA, which
 * the module's walks skip; caller holds the mmap lock.
 */
unsigned long dn_huge_anon_pages(struct mm_struct *mm, unsigned long start,
				 unsigned long end)
{
	unsigned long addr, next, n = 0;
	pmd_t *pmd, pmdval;
	bool huge_pud;

	for (addr = start; addr < end; addr = next) {
		next = pmd_addr_end(addr, end);
		pmd = dn_pmd_of(mm, addr, &huge_pud);
		if (!pmd)
			continue;
		pmdval = READ_ONCE(*pmd);
		if (pmd_leaf(pmdval) && pmd_present(pmdval) &&
		    PageAnon(pmd_page(pmdval)))
			n += HPAGE_PMD_NR;
	}
	return n;
}

/* dn_walk_range() over the walkable VMAs of [start, end). */
static void dn_walk_vmas(struct mm_struct *mm, unsigned long start,
			 unsigned long end,
			 int (*fn)(pte_t *pte, unsigned long addr, void *data),
			 void *data)
{
	struct vm_area_struct *vma;
	struct vma_iterator vmi;

	vma_iter_init(&vmi, mm, start);
	for_each_vma_range(vmi, vma, end) {
		if (!dn_vma_walkable(vma))
			continue;
		dn_walk_range(mm, max(start, vma->vm_start),
			      min(end, vma->vm_end), fn, data);
	}
}

/*
 * TLB flushes go through the kernel's own paravirt operations, which
 * asm/paravirt.h offers to modules (pv_ops is exported to every module;
 * native, Xen, KVM and Hyper-V each implement them): flush_tlb_user, this
 * CPU's entries of the address space it runs, and flush_tlb_kernel, this
 * CPU's whole TLB, every PCID included.  The kernel's targeted flush
 * (flush_tlb_mm_range(), and the TLB generation it bumps) is not
 * available to modules.
 */
#ifndef CONFIG_PARAVIRT
#error "disagg_node flushes TLBs through paravirt operations: CONFIG_PARAVIRT=y is needed"
#endif

static void dn_flush_tlb_user(void *unused)
{
	__flush_tlb_local();
}

static void dn_flush_tlb_global(void *unused)
{
	__flush_tlb_global();
}

/*
 * Flush @mm's TLB entries wherever they may be cached.
 *
 * Without PCID (QEMU's TCG CPUs among others), loading another address
 * space flushes every user entry, so only the CPUs in mm_cpumask(@mm) -
 * those running @mm, or holding it lazily - can cache its entries: each
 * flushes its current address space's entries, and no other CPU is
 * disturbed (a single-threaded target flushing its own address space
 * sends no IPI).  A CPU that starts running @mm meanwhile sets its bit
 * before it loads @mm, and its load flushes.
 *
 * With PCID, a CPU keeps the entries of an address space it switched away
 * from under their PCID, and reuses them when it switches back unless the
 * address space's TLB generation moved, which only the kernel's own flush
 * can record: every CPU then flushes its whole TLB.
 */
static void dn_flush_tlb(struct mm_struct *mm)
{
	if (boot_cpu_has(X86_FEATURE_PCID))
		on_each_cpu(dn_flush_tlb_global, NULL, 1);
	else
		on_each_cpu_mask(mm_cpumask(mm), dn_flush_tlb_user, NULL, true);
}

/**
 * __dn_protect_pte - make one PTE trap if it maps a remote page accessibly
 * @b: the batch, for @b->mm
 * @addr: the address @ptep maps
 * @ptep: the PTE; caller holds its PTE lock (a walk callback)
 *
 * The first change opens the batch's flush-pending window: the increment is
 * made before the PTE changes, under the same PTE lock, so whoever sees the
 * new PTE under that lock sees the flush pending (see
 * inc_tlb_flush_pending()).  No window is opened while nothing changes.
 *
 * Return: the PTE as it was cleared (atomically: its accessed bit includes
 * every access made through it) if it was changed, else an empty PTE.
 * dn_protect_finish() flushes the TLB.
 */
pte_t __dn_protect_pte(struct dn_protect_batch *b, unsigned long addr,
		       pte_t *ptep)
{
	pte_t pte = ptep_get(ptep);

	if (pte_protnone(pte) || !dn_page_remote(dn_pte_page(pte)))
		return __pte(0);
	if (!b->done++)
		inc_tlb_flush_pending(b->mm);
	pte = ptep_get_and_clear(b->mm, addr, ptep);
	set_pte_at(b->mm, addr, ptep, dn_mk_protnone(pte));
	return pte;
}

/**
 * dn_protect_finish - end a batch: flush the TLB if PTEs changed
 * @b: the batch
 *
 * Until the flush is done, the address space has a TLB flush pending, so a
 * migration of a page just protected flushes before it copies.
 *
 * Return: the number of PTEs the batch changed.
 */
unsigned long dn_protect_finish(struct dn_protect_batch *b)
{
	if (!b->done)
		return 0;
	dn_flush_tlb(b->mm);
	dec_tlb_flush_pending(b->mm);
	return b->done;
}

struct dn_protect_walk {
	struct dn_protect_batch *b;
	unsigned long only_pfn;
};

static int dn_protect_pte(pte_t *ptep, unsigned long addr, void *data)
{
	struct dn_protect_walk *w = data;
	pte_t pte = ptep_get(ptep);

	if (w->only_pfn && (!pte_present(pte) || pte_pfn(pte) != w->only_pfn))
		return 0;
	__dn_protect_pte(w->b, addr, ptep);
	return 0;
}

/**
 * dn_protect_range - make accessible remote pages of a range trap again
 * @b: the batch (dn_protect_init()); @b->mm's mmap lock is held (read is
 *	enough)
 * @start: start address
 * @end: end address
 * @only_pfn: if not 0, only the PTE that maps this PFN
 *
 * Every present, accessible PTE in [start, end) that maps a page on the
 * remote node becomes a PROT_NONE hint PTE; dn_protect_finish() flushes.
 */
void dn_protect_range(struct dn_protect_batch *b, unsigned long start,
		      unsigned long end, unsigned long only_pfn)
{
	struct dn_protect_walk w = { .b = b, .only_pfn = only_pfn };

	dn_walk_vmas(b->mm, start, end, dn_protect_pte, &w);
}

struct dn_evicted_walk {
	struct dn_protect_batch *b;
	unsigned long accessed;
};

/**
 * dn_protect_pte_accessed - __dn_protect_pte(), and was the page accessed?
 * @b: the batch
 * @addr: the address @ptep maps
 * @ptep: the PTE; caller holds its PTE lock (a walk callback)
 *
 * For a window in which a remote page was mapped accessible: the accessed
 * bit of the PTE as it was cleared, not as read before (an access between
 * the two would go uncounted), and the folio's young flag too (DAMON may
 * have moved the bit there), read, not consumed: it may predate the
 * window, and an upper bound is the contract.
 *
 * Return: true if the PTE was changed and its page found accessed.
 */
bool dn_protect_pte_accessed(struct dn_protect_batch *b, unsigned long addr,
			     pte_t *ptep)
{
	pte_t old = __dn_protect_pte(b, addr, ptep);

	return pte_present(old) && dn_pte_young(old, dn_pte_page(old), false);
}

static int dn_protect_evicted_pte(pte_t *ptep, unsigned long addr, void *data)
{
	struct dn_evicted_walk *w = data;

	if (dn_protect_pte_accessed(w->b, addr, ptep))
		w->accessed++;
	return 0;
}

/**
 * dn_protect_evicted - protect the remote pages of a run just moved
 * @b: the batch (dn_protect_init()); @b->mm's mmap lock is held
 * @start: start of the run, inside one VMA
 * @end: end of the run
 *
 * migrate_vma_finalize() maps each new remote page, and each remote page
 * that did not move (either direction), with the VMA's protection, from
 * its migration entry, before this can protect it: an access in between
 * does not trap.  A recount walk may close the window first; it counts
 * what it finds accessed the same way (dn_count_pte()).  No exported
 * interface installs the new PTE as PROT_NONE, so the window is kept
 * short (each run is protected as
 * soon as it has moved) and counted: the caller cleared the accessed bits
 * of the run before moving it (dn_mkold_range()), the migration entry keeps
 * that state, so a remote PTE found young here was used in the window, or
 * just before the migration unmapped it.
 *
 * Return: the pages found accessed (an upper bound of untrapped accesses).
 */
unsigned long dn_protect_evicted(struct dn_protect_batch *b,
				 unsigned long start, unsigned long end)
{
	struct dn_evicted_walk w = { .b = b };

	dn_walk_vmas(b->mm, start, end, dn_protect_evicted_pte, &w);
	return w.accessed;
}

static int dn_mkold_pte(pte_t *ptep, unsigned long addr, void *data)
{
	pte_t pte = ptep_get(ptep);

	/* PROT_NONE ones too: a remote page not migrated is mapped back. */
	if (pte_present(pte) && pte_young(pte))
		test_and_clear_bit(_PAGE_BIT_ACCESSED, (unsigned long *)&ptep->pte);
	return 0;
}

/**
 * dn_mkold_range - clear the accessed bits of the present PTEs of a range,
 * PROT_NONE ones included
 * @mm: the address space; caller holds its mmap lock
 * @start: start address
 * @end: end address
 *
 * No TLB flush: on x86 a stale entry only delays the bit's setting again,
 * and the migration that follows flushes before it copies.
 */
void dn_mkold_range(struct mm_struct *mm, unsigned long start,
		    unsigned long end)
{
	dn_walk_vmas(mm, start, end, dn_mkold_pte, NULL);
}

struct dn_state_walk {
	unsigned long protected;
	unsigned long accessible;
};

static int dn_state_pte(pte_t *ptep, unsigned long addr, void *data)
{
	struct dn_state_walk *w = data;
	pte_t pte = ptep_get(ptep);

	if (!dn_page_remote(dn_pte_page(pte)))
		return 0;
	if (pte_protnone(pte))
		w->protected++;
	else
		w->accessible++;
	return 0;
}

/**
 * dn_pte_state - count the remote pages of a range, protected or not
 * @mm: the address space; caller holds its mmap lock
 * @start: start address
 * @end: end address
 * @protected: out: remote pages mapped PROT_NONE
 * @accessible: out: remote pages mapped accessible
 */
void dn_pte_state(struct mm_struct *mm, unsigned long start, unsigned long end,
		  unsigned long *protected, unsigned long *accessible)
{
	struct dn_state_walk w = { 0, 0 };

	dn_walk_vmas(mm, start, end, dn_state_pte, &w);
	*protected = w.protected;
	*accessible = w.accessible;
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

/*
 * dn_drain_lock serialises dn_lru_drain_all() and dn_lru_drain_cpu(): it
 * owns dn_drain_work.
 */
static DEFINE_MUTEX(dn_drain_lock);
static DEFINE_PER_CPU(struct work_struct, dn_drain_work);

static void dn_drain_workfn(struct work_struct *work)
{
	dn_lru_drain_local();
}

/*
 * Drain @cpu's LRU batches: this CPU's at once, another online CPU's by a
 * work item on it, waited for.
 */
void dn_lru_drain_cpu(int cpu)
{
	struct work_struct *work;

	if (cpu == raw_smp_processor_id()) {
		dn_lru_drain_local();
		return;
	}
	mutex_lock(&dn_drain_lock);
	cpus_read_lock();
	if (cpu_online(cpu)) {
		work = per_cpu_ptr(&dn_drain_work, cpu);
		INIT_WORK(work, dn_drain_workfn);
		queue_work_on(cpu, dn_percpu_wq, work);
		flush_work(work);
	}
	cpus_read_unlock();
	mutex_unlock(&dn_drain_lock);
}

/* Drain every CPU's LRU batches, as lru_add_drain_all() (not exported). */
void dn_lru_drain_all(void)
{
	int cpu;

	mutex_lock(&dn_drain_lock);
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		INIT_WORK(per_cpu_ptr(&dn_drain_work, cpu), dn_drain_workfn);
		queue_work_on(cpu, dn_percpu_wq, per_cpu_ptr(&dn_drain_work, cpu));
	}
	for_each_online_cpu(cpu)
		flush_work(per_cpu_ptr(&dn_drain_work, cpu));
	cpus_read_unlock();
	mutex_unlock(&dn_drain_lock);
}
