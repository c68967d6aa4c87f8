// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node: DRAM reserved at boot, hotplugged as a CPU-less NUMA node in
 * a lower memory tier, to emulate disaggregated ("far") memory.
 *
 * Load: check parameters, find the region and the node, hotplug (node.c),
 * publish sysfs (sysfs.c).  Unload: the exact reverse.
 */
#define pr_fmt(fmt) "disagg_node: " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/numa.h>

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

static unsigned int remote_pct;
module_param(remote_pct, uint, 0444);
MODULE_PARM_DESC(remote_pct,
		 "Initial share of a target's resident pages kept remote, 0-100 (default 0); runtime: sysfs");

static unsigned int latency_ns;
module_param(latency_ns, uint, 0444);
MODULE_PARM_DESC(latency_ns,
		 "Initial delay per remote access in ns, 0-1000000 (default 0); runtime: sysfs");

struct dn_dev dn_dev = {
	.lock = __MUTEX_INITIALIZER(dn_dev.lock),
	.state = DN_STATE_INIT,
	.nid = NUMA_NO_NODE,
	.memtypes = LIST_HEAD_INIT(dn_dev.memtypes),
};

int dn_check_remote_pct(unsigned long pct)
{
	if (pct > DN_REMOTE_PCT_MAX) {
		pr_err("remote_pct=%lu is out of range: use 0-%d\n",
		       pct, DN_REMOTE_PCT_MAX);
		return -EINVAL;
	}
	return 0;
}

int dn_check_latency_ns(unsigned long ns)
{
	if (ns > DN_LATENCY_NS_MAX) {
		pr_err("latency_ns=%lu is out of range: use 0-%d\n",
		       ns, DN_LATENCY_NS_MAX);
		return -EINVAL;
	}
	return 0;
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
	dn->remote_pct = remote_pct;
	dn->latency_ns = latency_ns;

	dn->nid = node;
	ret = dn_node_pick(&dn->nid);
	if (ret)
		return ret;
	ret = dn_region_choose(dn);
	if (ret)
		return ret;

	mutex_lock(&dn->lock);
	ret = dn_node_add(dn);
	mutex_unlock(&dn->lock);
	if (ret)
		return ret;

	ret = dn_sysfs_init(dn);
	if (ret)
		goto err_sysfs;

	pr_info("node %d: %llu MiB at %#llx, lower memory tier, ZONE_MOVABLE\n",
		dn->nid, dn->size >> 20, dn->start);
	return 0;

err_sysfs:
	mutex_lock(&dn->lock);
	dn_node_remove(dn);
	mutex_unlock(&dn->lock);
	return ret;
}

static void __exit dn_exit(void)
{
	struct dn_dev *dn = &dn_dev;

	dn_sysfs_exit(dn);
	mutex_lock(&dn->lock);
	if (!dn_node_remove(dn))
		pr_info("node %d removed, every page migrated home\n", dn->nid);
	mutex_unlock(&dn->lock);
}

module_init(dn_init);
module_exit(dn_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Disaggregated memory testbed: reserved DRAM as a CPU-less, lower-tier NUMA node");
