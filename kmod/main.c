// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node: DRAM reserved at boot, hotplugged as a CPU-less NUMA node in
 * a lower memory tier, whose pages are kept unmapped so that every access
 * traps, pays a latency and brings the page local, to emulate disaggregated
 * ("far") memory.
 *
 * Load: check parameters, find the region and the node, hotplug (node.c),
 * the sysfs directories (sysfs.c, target.c), the worker's buffers
 * (evict.c), the fault hook (hook.c), start the worker, then the
 * user-visible files last: debugfs, the sysfs files.  Unload: the exact
 * reverse, so that nothing a user can reach refers to what is already
 * gone; removing the memory migrates every remote page home.
 *
 * Lock order (a -> b: b is taken while a is held):
 *   kernfs of->mutex -> dn_dev.lock (sysfs stores); node.c adds, onlines
 *   (through sysfs) and removes the memory with no module lock held,
 *   before the sysfs files exist and after they are gone
 *   dn_pass_lock -> mmap_lock -> dn_move_lock -> PMD lock -> PTE lock
 *   (evict.c; every page-table walk nests them so, protect.c)
 *   dn_pass_lock -> dn_targets_lock (briefly: dn_target_next())
 *   mmap_lock for writing (mmu_notifier_register()) is taken before
 *   dn_targets_lock, never under it (target.c)
 *   dn_targets_lock -> dn_target_hash_lock, dn_kick_lock, dn_cap_lock
 *   (spinlocks)
 *   dn_drain_lock -> cpus_read_lock (dn_lru_drain_all(), dn_lru_drain_cpu())
 * What each path holds when it protects, flushes and waits:
 *   - PTEs become PROT_NONE under the mmap read lock and the PTE lock,
 *     in a struct dn_protect_batch, which marks a TLB flush pending from
 *     its first change (protect.c);
 *   - the TLB flush (the CPUs of mm_cpumask(), or every CPU with PCID)
 *     runs in dn_protect_finish(), with no lock held; until it is done,
 *     migrations of those pages flush;
 *   - the remote latency is paid by a task_work before user mode, with no
 *     lock held, preemptible (hook.c); the probes themselves run under the
 *     kernel's PTE lock and only count and queue.
 */
#define pr_fmt(fmt) "disagg_node: " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/numa.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "internal.h"

static unsigned long long region_start;
module_param(region_start, ullong, 0444);
MODULE_PARM_DESC(region_start,
		 "Physical start of the reserved region (default 0: found from memmap=)");

static unsigned long long region_size;
module_param(region_size, ullong, 0444);
MODULE_PARM_DESC(region_size,
		 "Size in bytes of the region (default 0: the whole reservation)");

static int node = NUMA_NO_NODE;
module_param(node, int, 0444);
MODULE_PARM_DESC(node, "NUMA node to create (default -1: the first empty possible node)");

static bool trap = true;
module_param(trap, bool, 0444);
MODULE_PARM_DESC(trap,
		 "Remote pages trap and are promoted on access (default 1); 0: a plain lower-tier node; runtime: sysfs");

static bool first_touch = true;
module_param(first_touch, bool, 0444);
MODULE_PARM_DESC(first_touch,
		 "Protect pages first touched on the node at once, through a probe on every page allocation (default 1); 0: at the worker's next pass");

static unsigned int remote_pct;
module_param(remote_pct, uint, 0444);
MODULE_PARM_DESC(remote_pct,
		 "Initial share of a target's resident pages kept remote, 0-100 (default 0); runtime: sysfs");

static unsigned int latency_ns;
module_param(latency_ns, uint, 0444);
MODULE_PARM_DESC(latency_ns,
		 "Initial delay per remote access in ns, 0-1000000 (default 0); runtime: sysfs");

static char *enroll = "auto";
module_param(enroll, charp, 0444);
MODULE_PARM_DESC(enroll,
		 "Who becomes a target: auto (default: any process whose page on the node traps or is first touched) or explicit (only those root registers, and their descendants); runtime: sysfs");

static unsigned int targets_per_user = DN_TARGETS_PER_USER;
module_param(targets_per_user, uint, 0444);
MODULE_PARM_DESC(targets_per_user,
		 "Live targets a uid other than root's may have, 0: no limit (default 64); runtime: sysfs");

struct dn_dev dn_dev = {
	.lock = __MUTEX_INITIALIZER(dn_dev.lock),
	.state = DN_STATE_INIT,
	.nid = NUMA_NO_NODE,
	.local_nid = NUMA_NO_NODE,
	.memtypes = LIST_HEAD_INIT(dn_dev.memtypes),
	.scan_period_ms = 10,
	.evict_batch = 256,
};

/* -EINVAL, with a line naming the parameter and its range, unless lo<=v<=hi. */
static int dn_check_range(const char *name, unsigned long v, unsigned long lo,
			  unsigned long hi)
{
	if (v < lo || v > hi) {
		pr_err("%s=%lu is out of range: use %lu-%lu\n", name, v, lo, hi);
		return -EINVAL;
	}
	return 0;
}

int dn_check_remote_pct(unsigned long pct)
{
	return dn_check_range("remote_pct", pct, 0, DN_REMOTE_PCT_MAX);
}

int dn_check_latency_ns(unsigned long ns)
{
	return dn_check_range("latency_ns", ns, 0, DN_LATENCY_NS_MAX);
}

int dn_check_scan_period_ms(unsigned long ms)
{
	return dn_check_range("scan_period_ms", ms, 1, DN_SCAN_PERIOD_MS_MAX);
}

int dn_check_evict_batch(unsigned long n)
{
	return dn_check_range("evict_batch", n, 1, DN_EVICT_BATCH_MAX);
}

/**
 * dn_parse_enroll - "auto" or "explicit" (a trailing newline allowed)
 * @buf: the text
 * @mode: out: enum dn_enroll
 *
 * Return: 0, or -EINVAL with a (ratelimited) line saying what is allowed.
 */
int dn_parse_enroll(const char *buf, unsigned int *mode)
{
	if (sysfs_streq(buf, "auto")) {
		*mode = DN_ENROLL_AUTO;
	} else if (sysfs_streq(buf, "explicit")) {
		*mode = DN_ENROLL_EXPLICIT;
	} else {
		pr_err_ratelimited("enroll: '%.*s' is not a mode: use auto or explicit\n",
				   (int)strcspn(buf, "\n"), buf);
		return -EINVAL;
	}
	return 0;
}

/* The node remote pages are promoted to: the first with CPUs and memory. */
static int dn_local_node(void)
{
	int n;

	for_each_node_state(n, N_CPU)
		if (node_state(n, N_MEMORY))
			return n;
	return NUMA_NO_NODE;
}

/* Region from the parameters, or the memmap= reservation; then checked. */
static int dn_region_choose(struct dn_dev *dn)
{
	int ret;

	if (region_start || region_size) {
		if (!region_start || !region_size) {
			pr_err("region_start and region_size go together: set both, or neither to use the memmap= reservation\n");
			return -EINVAL;
		}
		dn->start = region_start;
		dn->size = region_size;
	} else {
		ret = dn_region_find(&dn->start, &dn->size);
		if (ret) {
			pr_err("no memmap= reservation found: boot with memmap=SIZE$ADDR inside RAM (e.g. memmap=512M$0x40000000), or set region_start and region_size\n");
			return ret;
		}
	}
	return dn_region_check(dn->start, dn->size);
}

static int __init dn_init(void)
{
	struct dn_dev *dn = &dn_dev;
	int ret;

	ret = dn_check_remote_pct(remote_pct);
	if (ret)
		return ret;
	ret = dn_check_latency_ns(latency_ns);
	if (ret)
		return ret;
	ret = dn_parse_enroll(enroll, &dn->enroll);
	if (ret)
		return ret;
	dn->remote_pct = remote_pct;
	dn->latency_ns = latency_ns;
	dn->targets_per_user = targets_per_user;
	dn->trap = trap;
	dn->first_touch = first_touch;

	dn->local_nid = dn_local_node();
	if (dn->local_nid == NUMA_NO_NODE) {
		pr_err("no node has both CPUs and memory: nowhere to promote remote pages to\n");
		return -ENODEV;
	}
	dn->nid = node;
	ret = dn_node_pick(&dn->nid);
	if (ret)
		return ret;
	ret = dn_region_choose(dn);
	if (ret)
		return ret;

	/*
	 * No user-visible file exists yet, so nothing else uses @dn: no lock.
	 * Holding dn_dev.lock here would order it before the sysfs writes that
	 * online the memory (sb_writers, kernfs of->mutex), the reverse of a
	 * sysfs store taking it (lockdep reports that inversion).
	 */
	ret = dn_node_add(dn);
	if (ret)
		return ret;

	ret = dn_sysfs_init(dn);
	if (ret)
		goto err_sysfs;
	ret = dn_targets_init(dn);
	if (ret)
		goto err_targets;
	ret = dn_evict_init(dn);
	if (ret)
		goto err_evict;
	dn_latency_calibrate();
	ret = dn_hook_init(dn);
	if (ret)
		goto err_hook;
	dn_evict_start(dn);
	dn_debugfs_init(dn);
	ret = dn_sysfs_files_init(dn);
	if (ret)
		goto err_files;
	/* Last: task_works only once nothing can fail (dn_queue()). */
	dn_hook_start(dn);

	pr_info("node %d: %llu MiB at %#llx, lower memory tier, ZONE_MOVABLE; remote pages %s\n",
		dn->nid, dn->size >> 20, dn->start,
		dn->trap ? "trap and are promoted" : "do not trap (trap=0)");
	return 0;

err_files:
	dn_debugfs_exit(dn);
	dn_evict_stop(dn);
	dn_hook_exit(dn);
err_hook:
	dn_evict_exit(dn);
err_evict:
	dn_targets_exit(dn);
err_targets:
	dn_sysfs_exit(dn);
err_sysfs:
	dn_node_remove(dn);
	return ret;
}

/*
 * No task_work of the module is pending here: each holds a module
 * reference.  Once the hook is gone, remote pages still trap into the
 * kernel's own NUMA fault path, which maps them back; removing the memory
 * then migrates every one of them home.
 */
static void __exit dn_exit(void)
{
	struct dn_dev *dn = &dn_dev;

	dn_sysfs_files_exit(dn);
	dn_debugfs_exit(dn);
	dn_evict_stop(dn);
	dn_hook_exit(dn);
	dn_evict_exit(dn);
	dn_targets_exit(dn);
	dn_sysfs_exit(dn);
	/* The sysfs files are gone: no lock, as in dn_init(). */
	if (!dn_node_remove(dn))
		pr_info("node %d removed, every page migrated home\n", dn->nid);
}

module_init(dn_init);
module_exit(dn_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Disaggregated memory testbed: reserved DRAM as a CPU-less, lower-tier NUMA node");
