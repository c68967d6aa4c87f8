/* SPDX-License-Identifier: GPL-2.0 */
/*
 * disagg_node internal definitions: the one device the module drives.
 */
#ifndef _DN_INTERNAL_H
#define _DN_INTERNAL_H

#include <linux/kobject.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/types.h>

#include "config.h"

/* Abstract distance of the remote node: that of slow memory in dax/kmem. */
#define DN_ADISTANCE		(MEMTIER_ADISTANCE_DRAM * 5)
#define DN_REMOTE_PCT_MAX	100
#define DN_LATENCY_NS_MAX	1000000

/**
 * enum dn_state - lifecycle of the remote node
 * @DN_STATE_INIT: nothing added yet; only parameters are valid.
 * @DN_STATE_ADDED: memory added to the node, not (fully) online yet.
 * @DN_STATE_ONLINE: every block online in ZONE_MOVABLE; the node is usable.
 * @DN_STATE_REMOVING: unload in progress; offline_and_remove_memory() runs.
 * @DN_STATE_REMOVE_FAILED: removal failed; the memory stays online and the
 *	resource name, memory type and region are leaked on purpose.
 */
enum dn_state {
	DN_STATE_INIT,
	DN_STATE_ADDED,
	DN_STATE_ONLINE,
	DN_STATE_REMOVING,
	DN_STATE_REMOVE_FAILED,
};

struct memory_dev_type;

/**
 * struct dn_dev - the remote memory node
 * @lock: protects @state and serialises writers of @remote_pct and
 *	@latency_ns (readers use READ_ONCE() and need no lock).
 * @state: see enum dn_state.
 * @nid: the NUMA node the region is added to; fixed after load.
 * @start: physical start of the region; fixed after load.
 * @size: size of the region in bytes; fixed after load.
 * @res_name: "System RAM (disagg_node)", must outlive the memory.
 * @memtype: the lower-tier memory type registered for @nid.
 * @memtypes: 6.12 list of allocated memory types (mt_put_memory_types()).
 * @mem_nb: memory notifier that keeps the region in ZONE_MOVABLE.
 * @vetoed: onlining attempts into a zone other than ZONE_MOVABLE refused.
 * @remote_pct: share of a target's resident pages kept remote, 0..100.
 * @latency_ns: delay injected on every remote access, 0..DN_LATENCY_NS_MAX.
 * @kobj: /sys/kernel/mm/disagg_node.
 */
struct dn_dev {
	struct mutex lock;	/* protects @state; serialises sysfs writers */
	enum dn_state state;
	int nid;
	u64 start;
	u64 size;
	const char *res_name;
	struct memory_dev_type *memtype;
	struct list_head memtypes;
	struct notifier_block mem_nb;
	atomic_long_t vetoed;
	unsigned int remote_pct;
	unsigned int latency_ns;
	struct kobject *kobj;
};

extern struct dn_dev dn_dev;

int dn_region_find(u64 *start, u64 *size);
int dn_region_check(u64 start, u64 size);
int dn_node_pick(int *nid);
int dn_node_add(struct dn_dev *dn);
int dn_node_remove(struct dn_dev *dn);

int dn_sysfs_init(struct dn_dev *dn);
void dn_sysfs_exit(struct dn_dev *dn);

int dn_check_remote_pct(unsigned long pct);
int dn_check_latency_ns(unsigned long ns);

#endif /* _DN_INTERNAL_H */
