// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node: the fault hook and the paths that put pages on the node.
 *
 * Remote pages are mapped PROT_NONE (protect.c), so the CPU's access enters
 * the kernel's NUMA fault path, do_numa_page(), which asks mpol_misplaced()
 * where the page belongs and migrates it there.  A kretprobe on
 * mpol_misplaced() filters remote pages in its entry handler (every other
 * hint fault returns at once) and makes the kernel migrate the page to the
 * local node whatever the task's mempolicy.  Only hint faults reach it:
 * ordinary page faults pay nothing.
 *
 * The kernel calls mpol_misplaced() with the PTE lock held and preemption
 * off, so nothing slow happens there: the remote latency is paid by a
 * task_work before the faulting thread returns to user mode (and so before
 * its access completes), outside every lock, preemptibly, counting only the
 * time the thread is on its CPU (dn_remote_wait()).  Each trapped access
 * pays its own latency once, whatever other threads do.
 *
 * Kretprobes on the migration functions (6.1: migrate_misplaced_page(),
 * 6.12: migrate_misplaced_folio_prepare() and migrate_misplaced_folio())
 * count promotions.  When one fails, do_numa_page() maps the remote page
 * back ACCESSIBLE; a task_work then protects it again before the faulting
 * task returns to user mode, so its next access traps again.
 *
 * First touch: a page allocated on the remote node for a user task (e.g.
 * under numactl --membind) is mapped accessible by the fault that allocated
 * it.  A probe on the kmem:mm_page_alloc tracepoint - one node comparison
 * per page allocation - queues a task_work that protects it, again before
 * the task returns to user mode, and makes the task a target.
 *
 * Enrollment (target.c): under enroll=explicit, a process that is not a
 * target and may not become one (dn_enrollable_rcu()) is left alone: its
 * hint faults on remote pages are the kernel's (the entry handlers return
 * at once, nothing is promoted, protected or paid), its first touches are
 * not protected, and each is counted in enroll_refused.  A process that
 * may, but is refused by targets_per_user, is not protected and pays no
 * latency either (enroll_limited).  Its pages on the node stay accessible:
 * nothing traps again and again.
 *
 * Every task_work holds a module reference while it is pending: a task
 * that never returns to user mode (blocked in a syscall after a fault in
 * kernel mode) keeps it, and unload is refused ("in use") meanwhile.  The
 * callback drops the reference as its first action, after counting itself
 * in dn_works_running, so that a target trapping all the time (each trap's
 * exchange runs in a callback) does not hold the module for the length of
 * its exchanges: dn_hook_exit() waits for the running callbacks, then with
 * synchronize_rcu_tasks() for them to leave the module's text.
 */
#define pr_fmt(fmt) "disagg_node: " fmt

#include <linux/delay.h>
#include <linux/timex.h>
#include <linux/kprobes.h>
#include <linux/rcupdate_wait.h>
#include <linux/sched/signal.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/cred.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/tracepoint.h>

#include "internal.h"
#include "policy.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/* Concurrent instances of each kretprobe: a miss would lose a fault. */
#define DN_KRP_MAXACTIVE	256

/*
 * Promotions of one target failing in a row before re-protection is left
 * to the worker.  A trapped access completes only once its page is mapped:
 * when promotions keep failing (the local node below its watermark, which
 * the worker is fixing), protecting the page again before the task returns
 * to user mode would make the same access trap forever.
 */
#define DN_FAIL_STREAK		32

/*
 * Unload quiesces the kretprobes before unregistering them: once
 * dn_quiesce is set, entry handlers hook no new returns, and dn_inflight
 * counts the hooked returns still to come.  Unregistering while a probed
 * function (migration sleeps) is in flight leaves it to return through the
 * rethook trampoline after the module is gone.
 */
static bool dn_quiesce;
static atomic_t dn_inflight = ATOMIC_INIT(0);
#define DN_QUIESCE_WAIT_MS	10000

/* Entry handlers: hook this return (0), or not (1). */
static int dn_hook_return(void)
{
	if (READ_ONCE(dn_quiesce))
		return 1;
	atomic_inc(&dn_inflight);
	return 0;
}

static void dn_return_done(void)
{
	atomic_dec(&dn_inflight);
}

/*
 * enroll=explicit: is current a process the hooks must leave alone, one
 * that is not a target and may not become one?  Any context.
 */
static bool dn_not_enrolled(void)
{
	bool ok;

	if (READ_ONCE(dn_dev.enroll) != DN_ENROLL_EXPLICIT)
		return false;
	rcu_read_lock();
	ok = current->mm && (dn_target_lookup_rcu(current->mm) ||
			     dn_enrollable_rcu(current));
	rcu_read_unlock();
	return !ok;
}

/*
 * Task_work callbacks running (past their module_put()); dn_hook_exit()
 * waits for 0.  Bounded: a callback waits at most for the mmap lock
 * (killable), a migration, and DN_WAIT_WALL_FACTOR times the latency.
 */
static atomic_t dn_works_running = ATOMIC_INIT(0);

/*
 * A deferred action run by the task before it returns to user mode.  An
 * exec in between replaces the task's address space: what belongs to the
 * one the work was queued for (@mm) is then not done to the new one.
 */
struct dn_work {
	struct callback_head cb;
	struct mm_struct *mm;	/* current->mm when queued; compared only */
	bool trap;		/* a trapped access: pay @wait_ns (may be 0) */
	u64 wait_ns;		/* remote latency to pay */
	unsigned long start;	/* protect [start, end) again, if end */
	unsigned long end;
	unsigned long pfn;	/* protect the page at this PFN, if pfn */
	bool born;		/* pfn was just allocated there (first touch) */
	bool grown;		/* pfn: a local page just allocated for a target */
	bool drain_one;		/* drain drain_cpu's LRU batches first */
	int drain_cpu;
	bool drain_all;		/* drain every CPU's LRU batches first */
	bool add_target;	/* make current->mm a target */
	bool exchange;		/* a target's trap at @addr: dn_exchange() */
	unsigned long addr;
};

/* Address of @index in @vma, or 0 if outside it. */
static unsigned long dn_index_addr(struct vm_area_struct *vma, pgoff_t index)
{
	if (index < vma->vm_pgoff || index - vma->vm_pgoff >= vma_pages(vma))
		return 0;
	return vma->vm_start + ((index - vma->vm_pgoff) << PAGE_SHIFT);
}

struct dn_find_walk {
	unsigned long pfn;
	unsigned long addr;
};

static int dn_find_pte(pte_t *ptep, unsigned long addr, void *data)
{
	struct dn_find_walk *f = data;
	pte_t pte = ptep_get(ptep);

	if (pte_present(pte) && pte_pfn(pte) == f->pfn)
		f->addr = addr;
	return 0;
}

/*
 * Where @mm maps the page @pfn, found from its folio's index (a page may be
 * freed meanwhile: a stale index finds nothing, the PTE must map @pfn);
 * 0 if nowhere.
 */
static unsigned long dn_find_page(struct mm_struct *mm, unsigned long pfn)
{
	struct page *page = pfn_to_page(pfn);
	struct folio *folio = page_folio(page);
	pgoff_t index = READ_ONCE(folio->index) + folio_page_idx(folio, page);
	struct dn_find_walk f = { .pfn = pfn };
	struct vm_area_struct *vma;
	unsigned long addr;
	struct vma_iterator vmi;

	vma_iter_init(&vmi, mm, 0);
	for_each_vma(vmi, vma) {
		addr = dn_index_addr(vma, index);
		if (!addr || !dn_vma_walkable(vma))
			continue;
		dn_walk_range(mm, addr, addr + PAGE_SIZE, dn_find_pte, &f);
		if (f.addr)
			break;
	}
	return f.addr;
}

/*
 * Busy-wait @ns of this thread's CPU time; return the time counted.
 *
 * The clock is the CPU's time stamp counter, read back to back: a read
 * costs a few ns (a local_clock() read, tens), and that is the wait's
 * granularity.  tsc_khz converts.  The TSCs of two CPUs need not agree, so
 * only gaps measured on one CPU count.
 *
 * Preemptible: the wait runs in chunks of at most DN_WAIT_CHUNK_NS with
 * preemption off, and the thread may be scheduled out between chunks.
 * Every gap between two reads counts unless it is long enough to mean the
 * CPU did something else (dn_latency_oncpu()), the gap across a chunk
 * boundary included when the thread stayed on its CPU: time off the CPU
 * is not counted, and nothing on it is lost.
 *
 * The loop has no cpu_relax(): PAUSE hands the CPU to another vCPU under
 * QEMU TCG's round robin (and under KVM's pause-loop exiting), which would
 * make every iteration a gap that does not count, and the wait endless.
 *
 * A wait ends early on a fatal signal, and after DN_WAIT_WALL_FACTOR times
 * @ns of wall time (plus two jiffies) whatever it has counted: a bound for
 * a thread that is hardly ever on its CPU.
 */
#define DN_WAIT_CHUNK_NS	(50 * NSEC_PER_USEC)
#define DN_WAIT_WALL_FACTOR	10
static u64 dn_remote_wait(u64 ns)
{
	u64 khz = READ_ONCE(tsc_khz), target, max_gap, chunk_len;
	u64 waited = 0, chunk, last, now;
	unsigned long deadline;
	int cpu;

	if (!ns || !khz)
		return 0;
	target = dn_ns_to_cycles(ns, khz);
	max_gap = dn_ns_to_cycles(DN_OFFCPU_GAP_NS, khz);
	chunk_len = dn_ns_to_cycles(DN_WAIT_CHUNK_NS, khz);
	deadline = jiffies + nsecs_to_jiffies(DN_WAIT_WALL_FACTOR * ns) + 2;
	preempt_disable();
	cpu = smp_processor_id();
	last = get_cycles();
	chunk = last;
	for (;;) {
		now = get_cycles();
		waited += dn_latency_oncpu(now - last, max_gap);
		last = now;
		if (waited >= target)
			break;
		if (now - chunk < chunk_len)
			continue;
		preempt_enable();
		cond_resched();
		if (fatal_signal_pending(current) ||
		    time_after(jiffies, deadline))
			return dn_cycles_to_ns(waited, khz);
		preempt_disable();
		chunk = get_cycles();
		if (smp_processor_id() != cpu) {
			/* Another CPU's TSC: the move's gap is not counted. */
			cpu = smp_processor_id();
			last = chunk;
		}
	}
	preempt_enable();
	return dn_cycles_to_ns(waited, khz);
}

/*
 * Wait @ns less @off and return what that paid (dn_latency_added()): all
 * that differs between a trap at latency @ns and one at 0, which is what
 * the calibration times.
 */
static noinline u64 dn_latency_spend(u64 ns, long long off)
{
	return dn_latency_added(ns, dn_remote_wait(dn_latency_wait(ns, off)), off);
}

/*
 * The remote latency of one trapped access, paid before user mode.  Run at
 * latency 0 too (no wait then), so that its bookkeeping is part of the trap
 * floor and what a program measures above the floor is the wait and its
 * calibrated offset (dn_latency_calibrate()).
 */
static void dn_pay_latency(u64 ns)
{
	long long off = READ_ONCE(dn_dev.latency_offset_ns);
	struct dn_target *t;
	u64 paid;

	paid = dn_latency_spend(ns, off);
	dn_stat_add(DN_STAT_INJECTED_DELAY_NS, paid);
	rcu_read_lock();
	t = dn_target_lookup_rcu(current->mm);
	if (t)
		atomic64_add(paid, &t->stat[DN_TSTAT_INJECTED_DELAY_NS]);
	rcu_read_unlock();
}

/**
 * dn_latency_calibrate - measure the busy-wait's own cost
 *
 * Times DN_CAL_RUNS waits of DN_CAL_WAIT_NS and as many of 0, alternated,
 * with no offset, from clock read to clock read, and sets
 * dn_dev.latency_offset_ns to what a wait adds beyond what it counts
 * (dn_latency_offset()): the clock reads before the first step and after
 * the last, the conversions, the entry and exit.  Run at
 * load and on a write to the calibrate file; takes about DN_CAL_RUNS times
 * DN_CAL_WAIT_NS.  Caller holds dn_dev.lock, or is the load before the
 * sysfs files exist: one calibration at a time.
 *
 * Return: the offset, in ns.
 */
long long dn_latency_calibrate(void)
{
	u64 with[DN_CAL_RUNS], without[DN_CAL_RUNS], t0;
	long long off;
	int i;

	for (i = 0; i < DN_CAL_RUNS; i++) {
		t0 = local_clock();
		dn_latency_spend(0, 0);
		without[i] = local_clock() - t0;
		t0 = local_clock();
		dn_latency_spend(DN_CAL_WAIT_NS, 0);
		with[i] = local_clock() - t0;
	}
	off = dn_latency_offset(with, without, DN_CAL_RUNS, DN_CAL_WAIT_NS);
	WRITE_ONCE(dn_dev.latency_offset_ns, off);
	return off;
}

static void dn_work_fn(struct callback_head *cb)
{
	struct dn_work *w = container_of(cb, struct dn_work, cb);
	struct mm_struct *mm = current->mm;
	struct dn_protect_batch b;
	bool same, refused = false;
	struct dn_target *t;
	unsigned long n;
	int ret;

	/*
	 * Counted before the reference goes (module_put() is a fully ordered
	 * atomic): unload can start once it is gone, and then waits for
	 * dn_works_running.
	 */
	atomic_inc(&dn_works_running);
	module_put(THIS_MODULE);
	if (!mm || (current->flags & PF_EXITING))
		goto out;
	/*
	 * After an exec, only what holds in any address space is done: a
	 * page found by its PFN is protected wherever it is mapped (a page
	 * born remote while exec copied the arguments is the new program's),
	 * and the latency is paid; the old address space's ranges, target and
	 * exchange are left alone.
	 */
	same = mm == w->mm;
	if (!same)
		w->end = 0;
	if (w->add_target && (same || w->born)) {
		ret = dn_target_add(mm, task_tgid_nr(current), current_uid(),
				    false);
		if (ret == -EPERM)
			dn_stat_add(DN_STAT_ENROLL_REFUSED, 1);
		else if (ret == -EUSERS)
			dn_stat_add(DN_STAT_ENROLL_LIMITED, 1);
		refused = ret != 0;
	}
	/* Not a target: its page stays accessible, its access is not paid. */
	if (refused) {
		w->pfn = 0;
		w->trap = false;
	}
	/* Put the page on the LRU, or the trap cannot promote it. */
	if (w->drain_all)
		dn_lru_drain_all();
	else if (w->drain_one)
		dn_lru_drain_cpu(w->drain_cpu);
	if ((w->end || (w->pfn && !w->grown)) &&
	    !mmap_read_lock_killable(mm)) {
		dn_protect_init(&b, mm);
		if (w->pfn) {
			w->start = dn_find_page(mm, w->pfn);
			w->end = w->start ? w->start + PAGE_SIZE : 0;
		}
		if (w->end)
			dn_protect_range(&b, w->start, w->end, w->pfn);
		mmap_read_unlock(mm);
		n = dn_protect_finish(&b);
		dn_stat_add(DN_STAT_HOOK_PROTECTED, n);
		if (w->born && n) {
			/* A page born remote: the target's remote count. */
			t = dn_target_tryget(mm);
			if (t) {
				dn_target_moved(t, 1);
				dn_target_put(t);
			}
		}
	}
	if (w->grown && same && !mmap_read_lock_killable(mm)) {
		w->addr = dn_find_page(mm, w->pfn);
		mmap_read_unlock(mm);
		w->exchange = w->addr;
	}
	if (w->exchange && same) {
		t = dn_target_tryget(mm);
		if (t) {
			dn_exchange(t, mm, w->addr, w->grown);
			dn_target_put(t);
		}
	}
	if (w->trap)
		dn_pay_latency(w->wait_ns);
out:
	kfree(w);
	/* Last: dn_hook_exit() may go on once no callback runs. */
	atomic_dec(&dn_works_running);
}

/*
 * Task_works are queued only once the module is fully live (dn_hook_start(),
 * the last step of its load): try_module_get() succeeds while it is still
 * loading, and a load that fails after that frees the module whatever its
 * reference count, so a task_work queued then would run freed code.
 */
static bool dn_hook_live;

/* Queue @w on current; any context.  Frees @w on failure. */
static int dn_queue(struct dn_work *w)
{
	/* A kernel thread never returns to user mode to run it. */
	if (!READ_ONCE(dn_hook_live) || (current->flags & PF_KTHREAD) ||
	    !try_module_get(THIS_MODULE))
		goto err_free;
	w->mm = current->mm;
	init_task_work(&w->cb, dn_work_fn);
	if (task_work_add(current, &w->cb, TWA_RESUME))
		goto err_put;
	return 0;

err_put:
	module_put(THIS_MODULE);
err_free:
	kfree(w);
	return -ESRCH;
}

/*
 * Protect [start, end) of current->mm again before it returns to user, or,
 * with @pfn, the page at that PFN wherever it is mapped.
 */
static int __dn_queue_reprotect(unsigned long start, unsigned long end,
				unsigned long pfn, bool drain_all)
{
	struct dn_work *w = kzalloc(sizeof(*w), GFP_ATOMIC | __GFP_ACCOUNT | __GFP_NOWARN);

	if (!w)
		return -ENOMEM;
	w->start = start;
	w->end = end;
	w->pfn = pfn;
	w->drain_all = drain_all;
	return dn_queue(w);
}

/* Protect [start, end) of current->mm again before it returns to user. */
int dn_queue_reprotect(unsigned long start, unsigned long end)
{
	return __dn_queue_reprotect(start, end, 0, false);
}

/*
 * A trapped access at @addr: before the thread returns to user mode, pay
 * @wait_ns, and either make current a target (@add_target) or, for a
 * target, run the exchange (the promotion, if any, is done by then).  If
 * the work cannot be queued, a promotion stays owed: the target's next
 * trap pays it.
 */
static void dn_queue_trap(u64 wait_ns, bool add_target, unsigned long addr)
{
	struct dn_work *w;

	w = kzalloc(sizeof(*w), GFP_ATOMIC | __GFP_ACCOUNT | __GFP_NOWARN);
	if (!w)
		return;
	w->trap = true;
	w->wait_ns = wait_ns;
	w->add_target = add_target;
	w->exchange = !add_target;
	w->addr = addr;
	dn_queue(w);
}

/*
 * A failed promotion: the kernel maps the page accessible; put it on the
 * LRU (the usual cause: it waits in a CPU's LRU batch) and protect it before
 * the task returns to user mode - unless promotions keep failing, see
 * DN_FAIL_STREAK; then the worker protects it at its next pass.  The page
 * is at @addr, or where the task_work finds @pfn when the probed function
 * does not tell the address (HAVE_MIGRATE_MISPLACED_FOLIO_NODE).
 */
static void dn_promotion_failed(unsigned long addr, unsigned long pfn)
{
	struct dn_target *t;
	int streak = 0;

	dn_stat_add(DN_STAT_PROMOTION_FAILURES, 1);
	rcu_read_lock();
	t = dn_target_lookup_rcu(current->mm);
	if (t) {
		atomic64_inc(&t->stat[DN_TSTAT_PROMOTION_FAILURES]);
		streak = atomic_inc_return(&t->fail_streak);
	}
	rcu_read_unlock();
	/* Only a target's pages, or a future target's, are protected. */
	if (!t && dn_not_enrolled())
		return;
	trace_dn_promote_fail(task_tgid_nr(current), addr);
	if (streak > DN_FAIL_STREAK) {
		dn_stat_add(DN_STAT_REPROTECT_DEFERRED, 1);
		return;
	}
	if (addr)
		__dn_queue_reprotect(addr, addr + PAGE_SIZE, 0, true);
	else
		__dn_queue_reprotect(0, 0, pfn, true);
}

struct dn_fault_data {
	unsigned long addr;
};

/* mpol_misplaced(page or folio, vma or vmf, addr): remote pages only. */
static int dn_misplaced_entry(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct dn_fault_data *d = (struct dn_fault_data *)ri->data;
#ifdef HAVE_MPOL_MISPLACED_FOLIO
	int nid = folio_nid((struct folio *)regs->di);
#else
	int nid = page_to_nid((struct page *)regs->di);
#endif

	if (nid != dn_dev.nid || !READ_ONCE(dn_dev.trap))
		return 1;	/* not ours: no return handler */
	if (dn_not_enrolled()) {
		/* The kernel's own NUMA fault: it maps the page back. */
		dn_stat_add(DN_STAT_ENROLL_REFUSED, 1);
		return 1;
	}
	if (dn_hook_return())
		return 1;
	d->addr = regs->dx;
	return 0;
}

/* PTE lock held, preemption off: count, choose the node, queue the wait. */
static int dn_misplaced_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct dn_fault_data *d = (struct dn_fault_data *)ri->data;
	struct dn_target *t;
	u64 wait_ns;

	dn_stat_add(DN_STAT_REMOTE_FAULTS, 1);
	rcu_read_lock();
	t = dn_target_lookup_rcu(current->mm);
	if (t) {
		atomic64_inc(&t->stat[DN_TSTAT_REMOTE_FAULTS]);
		wait_ns = dn_target_latency_ns(t);
	} else {
		/* Not a target yet (this trap makes it one): the global. */
		wait_ns = READ_ONCE(dn_dev.latency_ns);
	}
	rcu_read_unlock();
	dn_queue_trap(wait_ns, !t, d->addr & PAGE_MASK);
	trace_dn_fault(task_tgid_nr(current), d->addr, dn_dev.nid, wait_ns);

	if (atomic_dec_if_positive(&dn_dev.fail_promote) >= 0) {
		/* debugfs fault injection: refuse, as a failed promotion */
		regs_set_return_value(regs, NUMA_NO_NODE);
		dn_promotion_failed(d->addr, 0);
	} else {
		regs_set_return_value(regs, dn_dev.local_nid);
	}
	dn_return_done();
	return 0;
}

static struct kretprobe dn_krp_misplaced = {
	.kp.symbol_name = "mpol_misplaced",
	.entry_handler = dn_misplaced_entry,
	.handler = dn_misplaced_ret,
	.data_size = sizeof(struct dn_fault_data),
	.maxactive = DN_KRP_MAXACTIVE,
};

struct dn_migrate_data {
	unsigned long addr;	/* where the page is mapped, if known */
	unsigned long pfn;	/* else the page */
};

#ifdef HAVE_MIGRATE_MISPLACED_FOLIO
/*
 * (folio, vma, node), or (folio, node) for migrate_misplaced_folio() where
 * HAVE_MIGRATE_MISPLACED_FOLIO_NODE: a promotion of a remote page?
 */
static int __dn_migrate_entry(struct kretprobe_instance *ri,
			      struct pt_regs *regs, bool has_vma)
{
	struct dn_migrate_data *d = (struct dn_migrate_data *)ri->data;
	struct folio *folio = (struct folio *)regs->di;

	if (folio_nid(folio) != dn_dev.nid || !READ_ONCE(dn_dev.trap) ||
	    dn_not_enrolled() || dn_hook_return())
		return 1;
	d->pfn = folio_pfn(folio);
	d->addr = has_vma ? dn_index_addr((struct vm_area_struct *)regs->si,
					  folio->index) : 0;
	return 0;
}

static int dn_prepare_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return __dn_migrate_entry(ri, regs, true);
}

static int dn_migrate_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
#ifdef HAVE_MIGRATE_MISPLACED_FOLIO_NODE
	return __dn_migrate_entry(ri, regs, false);
#else
	return __dn_migrate_entry(ri, regs, true);
#endif
}
#else
/* migrate_misplaced_page(page, vma, node): a promotion of a remote page? */
static int dn_migrate_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct dn_migrate_data *d = (struct dn_migrate_data *)ri->data;
	struct vm_area_struct *vma = (struct vm_area_struct *)regs->si;
	struct page *page = (struct page *)regs->di;

	if (page_to_nid(page) != dn_dev.nid || !READ_ONCE(dn_dev.trap) ||
	    dn_not_enrolled() || dn_hook_return())
		return 1;
	d->pfn = page_to_pfn(page);
	d->addr = dn_index_addr(vma, page->index);
	return 0;
}
#endif

/*
 * A page came home: the target owes the remote node a page, sent by the
 * trap's exchange before the task returns to user mode (dn_exchange()).
 * The remote count already dropped: the migration's mmu notifier saw the
 * page leave (target.c).
 */
static void dn_promoted(void)
{
	struct dn_target *t;

	dn_stat_add(DN_STAT_PROMOTIONS, 1);
	rcu_read_lock();
	t = dn_target_lookup_rcu(current->mm);
	if (t) {
		atomic64_inc(&t->stat[DN_TSTAT_PROMOTIONS]);
		atomic_set(&t->fail_streak, 0);
		atomic_long_inc(&t->owed);
	}
	rcu_read_unlock();
}

#ifdef HAVE_MIGRATE_MISPLACED_FOLIO
/* migrate_misplaced_folio_prepare(): 0, or the promotion is abandoned. */
static int dn_prepare_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct dn_migrate_data *d = (struct dn_migrate_data *)ri->data;

	if (regs_return_value(regs))
		dn_promotion_failed(d->addr, d->pfn);
	dn_return_done();
	return 0;
}

/* migrate_misplaced_folio(): 0 when the folio moved. */
static int dn_migrate_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct dn_migrate_data *d = (struct dn_migrate_data *)ri->data;

	if (regs_return_value(regs))
		dn_promotion_failed(d->addr, d->pfn);
	else
		dn_promoted();
	dn_return_done();
	return 0;
}

static struct kretprobe dn_krp_prepare = {
	.kp.symbol_name = "migrate_misplaced_folio_prepare",
	.entry_handler = dn_prepare_entry,
	.handler = dn_prepare_ret,
	.data_size = sizeof(struct dn_migrate_data),
	.maxactive = DN_KRP_MAXACTIVE,
};

static struct kretprobe dn_krp_migrate = {
	.kp.symbol_name = "migrate_misplaced_folio",
	.entry_handler = dn_migrate_entry,
	.handler = dn_migrate_ret,
	.data_size = sizeof(struct dn_migrate_data),
	.maxactive = DN_KRP_MAXACTIVE,
};

static struct kretprobe *dn_krps[] = {
	&dn_krp_misplaced, &dn_krp_prepare, &dn_krp_migrate,
};
#else
/* migrate_misplaced_page(): 1 when the page moved. */
static int dn_migrate_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct dn_migrate_data *d = (struct dn_migrate_data *)ri->data;

	if (regs_return_value(regs) == 1)
		dn_promoted();
	else
		dn_promotion_failed(d->addr, d->pfn);
	dn_return_done();
	return 0;
}

static struct kretprobe dn_krp_migrate = {
	.kp.symbol_name = "migrate_misplaced_page",
	.entry_handler = dn_migrate_entry,
	.handler = dn_migrate_ret,
	.data_size = sizeof(struct dn_migrate_data),
	.maxactive = DN_KRP_MAXACTIVE,
};

static struct kretprobe *dn_krps[] = {
	&dn_krp_misplaced, &dn_krp_migrate,
};
#endif

/*
 * kmem:mm_page_alloc: a user page born on the remote node, or, for a
 * target, on a local node.  The first is protected before the task returns
 * to user mode (and makes the task a target); the second takes the same
 * path as a promotion (dn_exchange()), so that the target's local pages
 * stay within their capacity while it grows.  One node comparison per page
 * allocation, and a target lookup per local user page allocation.
 */
static void dn_page_alloc_probe(void *data, struct page *page,
				unsigned int order, gfp_t gfp, int migratetype)
{
	bool remote, refused = false;
	unsigned int pct = 0;
	struct dn_target *t;
	struct dn_work *w;

	if (!page || !READ_ONCE(dn_dev.trap))
		return;
	/*
	 * Only pages a user fault allocates: not the module's own
	 * (__GFP_THISNODE, from a kernel thread or the debugfs writer), not
	 * kernel threads' (demotion), not huge pages (targets run with THP off).
	 */
	if (order || (gfp & __GFP_THISNODE) || !(gfp & __GFP_MOVABLE) ||
	    !in_task() || (current->flags & (PF_KTHREAD | PF_EXITING)) ||
	    !current->mm)
		return;
	remote = page_to_nid(page) == dn_dev.nid;
	rcu_read_lock();
	t = dn_target_lookup_rcu(current->mm);
	if (t)
		pct = dn_target_remote_pct(t);
	else if (remote && READ_ONCE(dn_dev.enroll) == DN_ENROLL_EXPLICIT &&
		 !dn_enrollable_rcu(current))
		refused = true;
	rcu_read_unlock();
	if (refused) {
		/* Not enrolled: the page stays as the fault maps it. */
		dn_stat_add(DN_STAT_ENROLL_REFUSED, 1);
		return;
	}
	/* A local page of a target kept all local needs no exchange. */
	if (!remote && (!t || !pct))
		return;
	w = kzalloc(sizeof(*w), GFP_ATOMIC | __GFP_ACCOUNT | __GFP_NOWARN);
	if (!w)
		return;
	w->pfn = page_to_pfn(page);
	if (!remote) {
		w->grown = true;
		dn_queue(w);
		return;
	}
	w->born = true;
	/*
	 * The fault adds it to this CPU's LRU batch; the task may run its
	 * task_work on another CPU.
	 */
	w->drain_one = true;
	w->drain_cpu = smp_processor_id();
	w->add_target = !t;	/* compared only: no reference */
	dn_queue(w);
}

static struct tracepoint *dn_tp_page_alloc;

static void dn_find_tracepoint(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "mm_page_alloc"))
		dn_tp_page_alloc = tp;
}

/**
 * dn_hook_init - place the fault hook and the first-touch probe
 * @dn: the device, with the node online
 *
 * Return: 0, or an error with nothing left registered.
 */
int dn_hook_init(struct dn_dev *dn)
{
	int ret;

	WRITE_ONCE(dn_hook_live, false);
	WRITE_ONCE(dn_quiesce, false);
	atomic_set(&dn_inflight, 0);
	dn_tp_page_alloc = NULL;
	if (dn->first_touch) {
		for_each_kernel_tracepoint(dn_find_tracepoint, NULL);
		if (!dn_tp_page_alloc) {
			pr_err("tracepoint kmem:mm_page_alloc not found: load with first_touch=0\n");
			return -ENOENT;
		}
	}
	ret = register_kretprobes(dn_krps, ARRAY_SIZE(dn_krps));
	if (ret) {
		pr_err("cannot probe %s and the NUMA migration functions (%d): this kernel's fault path is not supported\n",
		       dn_krp_misplaced.kp.symbol_name, ret);
		return ret;
	}
	if (!dn_tp_page_alloc)
		return 0;
	ret = tracepoint_probe_register(dn_tp_page_alloc, dn_page_alloc_probe, NULL);
	if (ret) {
		pr_err("cannot attach to kmem:mm_page_alloc (%d): load with first_touch=0\n",
		       ret);
		goto err_tracepoint;
	}
	return 0;

err_tracepoint:
	unregister_kretprobes(dn_krps, ARRAY_SIZE(dn_krps));
	return ret;
}

/* The load has succeeded: the hooks may queue task_works from now on. */
void dn_hook_start(struct dn_dev *dn)
{
	WRITE_ONCE(dn_hook_live, true);
}

void dn_hook_exit(struct dn_dev *dn)
{
	unsigned long deadline;

	WRITE_ONCE(dn_hook_live, false);

	/*
	 * The module's reference count is 0: no task_work is pending and
	 * none can be queued (try_module_get() fails).  Wait for those still
	 * running; they use the targets and the worker's kick.
	 */
	while (atomic_read(&dn_works_running) > 0)
		usleep_range(1000, 2000);

	if (dn_tp_page_alloc) {
		tracepoint_probe_unregister(dn_tp_page_alloc, dn_page_alloc_probe,
					    NULL);
		tracepoint_synchronize_unregister();
	}

	/* Entry handlers run with preemption off: after this, all see it. */
	WRITE_ONCE(dn_quiesce, true);
	synchronize_rcu();
	deadline = jiffies + msecs_to_jiffies(DN_QUIESCE_WAIT_MS);
	while (atomic_read(&dn_inflight) > 0 && time_before(jiffies, deadline))
		usleep_range(1000, 2000);
	if (atomic_read(&dn_inflight) > 0)
		pr_warn("%d probed calls still in flight after %d ms; unregistering anyway\n",
			atomic_read(&dn_inflight), DN_QUIESCE_WAIT_MS);
	unregister_kretprobes(dn_krps, ARRAY_SIZE(dn_krps));
	/*
	 * Every task_work callback has decremented dn_works_running; one may
	 * not have returned yet.  A task leaves the module's text before its
	 * next voluntary context switch or return to user mode, which is what
	 * an RCU Tasks grace period waits for (as for ftrace and kprobe
	 * trampolines).
	 */
	synchronize_rcu_tasks();
}

/* Probe hits lost because every kretprobe instance was in use. */
unsigned long dn_hook_missed(void)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(dn_krps); i++)
		n += READ_ONCE(dn_krps[i]->nmissed);
	return n;
}
