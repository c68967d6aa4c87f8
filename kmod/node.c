// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node: finding the reserved region and the empty node, hotplugging
 * the region as a CPU-less, lower-tier, ZONE_MOVABLE node, and removing it.
 *
 * The rule by which the region and the node are chosen (see also
 * Documentation/admin-guide/disagg_node/usage.rst):
 *
 * Region: a "Reserved" range in /proc/iomem (E820 reserved) of at
 * least one memory block that the firmware memory map (/sys/firmware/memmap,
 * which memmap= does not change) reports as RAM, i.e. DRAM that
 * "memmap=SIZE$ADDR" took away from the kernel.  Firmware-reserved ranges
 * are never RAM in the firmware map, so they never qualify; nor do the small
 * ranges the kernel reserves itself (page 0, the BIOS area), which are
 * smaller than a memory block.  If there are several, the largest wins (the
 * lowest address on a tie).  Where the firmware map is not available to
 * modules (7.2), the ACPI SRAT stands in for it: see dn_firmware_ram().
 *
 * Node: the lowest-numbered possible node that has neither memory nor CPUs.
 */
#define pr_fmt(fmt) "disagg_node: " fmt

#include <linux/cpumask.h>
#include <linux/fs.h>
#include <linux/ioport.h>
#include <linux/memory.h>
#include <linux/memory-tiers.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/sched/signal.h>
#include <linux/delay.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <linux/acpi.h>
#include <asm/e820/api.h>

#include "internal.h"

/* E820 types that make a range something other than plain firmware RAM. */
/* Onlining retries while another task holds the device hotplug lock. */
#define DN_ONLINE_TRIES		500
#define DN_ONLINE_RETRY_MS	10

#ifdef HAVE_EXPORT_E820__MAPPED_RAW_ANY
#define DN_FIRMWARE_MAP "the firmware memory map (/sys/firmware/memmap)"

static const enum e820_type dn_not_ram[] = {
	E820_TYPE_RESERVED, E820_TYPE_ACPI, E820_TYPE_NVS, E820_TYPE_UNUSABLE,
	E820_TYPE_PMEM, E820_TYPE_PRAM, E820_TYPE_SOFT_RESERVED,
};

/* Does the firmware memory map report [start, start + size) as RAM only? */
static bool dn_firmware_ram(u64 start, u64 size)
{
	u64 end = start + size;
	int i;

	if (!e820__mapped_raw_any(start, end, E820_TYPE_RAM))
		return false;
	for (i = 0; i < ARRAY_SIZE(dn_not_ram); i++)
		if (e820__mapped_raw_any(start, end, dn_not_ram[i]))
			return false;
	return true;
}
#else
#define DN_FIRMWARE_MAP "the ACPI SRAT (memory affinity)"

/* The SRAT memory range that contains @pos and counts as RAM, or NULL. */
static struct acpi_srat_mem_affinity *
dn_srat_ram_at(struct acpi_table_header *tbl, u64 pos)
{
	u8 *p = (u8 *)tbl + sizeof(struct acpi_table_srat);
	u8 *end = (u8 *)tbl + tbl->length;
	struct acpi_subtable_header *h;
	struct acpi_srat_mem_affinity *m;

	for (; p + sizeof(*h) <= end; p += h->length) {
		h = (struct acpi_subtable_header *)p;
		if (h->length < sizeof(*h) || p + h->length > end)
			break;
		if (h->type != ACPI_SRAT_TYPE_MEMORY_AFFINITY ||
		    h->length < sizeof(*m))
			continue;
		m = (struct acpi_srat_mem_affinity *)p;
		if (!(m->flags & ACPI_SRAT_MEM_ENABLED) ||
		    (m->flags & (ACPI_SRAT_MEM_HOT_PLUGGABLE |
				 ACPI_SRAT_MEM_NON_VOLATILE)))
			continue;
		if (pos >= m->base_address && pos - m->base_address < m->length)
			return m;
	}
	return NULL;
}

/*
 * Is [start, start + size) RAM for the firmware?  e820__mapped_raw_any(),
 * the firmware's E820 map, is exported only to KVM's modules (7.2), so the
 * ACPI SRAT answers: enabled, volatile, not hot-pluggable memory ranges
 * must cover the range.  That is weaker than the E820 map: DRAM the
 * firmware keeps for itself inside such a range (SMM, graphics stolen
 * memory) is covered too.  The range must still be one whole E820
 * "Reserved" range of whole memory blocks that nothing has claimed
 * (dn_region_check()).  No SRAT, no region.
 */
static bool dn_firmware_ram(u64 start, u64 size)
{
	struct acpi_srat_mem_affinity *m;
	struct acpi_table_header *tbl;
	u64 pos = start, end = start + size;

	if (ACPI_FAILURE(acpi_get_table(ACPI_SIG_SRAT, 0, &tbl)))
		return false;
	while (pos < end) {
		m = dn_srat_ram_at(tbl, pos);
		if (!m)
			break;
		pos = m->base_address + m->length;
	}
	acpi_put_table(tbl);
	return pos >= end;
}
#endif

struct dn_region_walk {
	u64 start;
	u64 size;
};

static int dn_region_walk_one(struct resource *res, void *arg)
{
	struct dn_region_walk *best = arg;
	u64 size = resource_size(res);

	if (size < memory_block_size_bytes() || !dn_firmware_ram(res->start, size))
		return 0;
	if (size > best->size) {
		best->start = res->start;
		best->size = size;
	}
	return 0;
}

/**
 * dn_region_find - find the memmap= reservation to carve
 * @start: out: physical start
 * @size: out: size in bytes
 *
 * Return: 0, or -ENODEV when no reserved range was RAM in firmware.
 */
int dn_region_find(u64 *start, u64 *size)
{
	struct dn_region_walk best = { 0, 0 };

	walk_iomem_res_desc(IORES_DESC_RESERVED, IORESOURCE_MEM, 0, U64_MAX,
			    &best, dn_region_walk_one);
	if (!best.size)
		return -ENODEV;
	*start = best.start;
	*size = best.size;
	return 0;
}

struct dn_cover_walk {
	u64 start;
	u64 end;	/* inclusive */
	bool covered;
};

static int dn_cover_walk_one(struct resource *res, void *arg)
{
	struct dn_cover_walk *w = arg;

	/* The walk clips @res to the range: whole coverage means equality. */
	if (res->start == w->start && res->end == w->end &&
	    dn_firmware_ram(res->start, resource_size(res)))
		w->covered = true;
	return 0;
}

/*
 * Is [start, start + size) inside one reserved range that the firmware
 * reports as RAM?  e820__mapped_raw_any() alone would accept a range that
 * runs off the end of RAM into a hole.
 */
static bool dn_reserved_ram(u64 start, u64 size)
{
	struct dn_cover_walk w = { start, start + size - 1, false };

	walk_iomem_res_desc(IORES_DESC_RESERVED, IORESOURCE_MEM, start,
			    start + size - 1, &w, dn_cover_walk_one);
	return w.covered;
}

/**
 * dn_region_check - can [start, start + size) become the remote node?
 * @start: physical start
 * @size: size in bytes
 *
 * Logs one line naming the problem and the fix.
 *
 * Return: 0, -EINVAL for a misaligned range or one that is not RAM, -EBUSY
 * for a range the kernel already uses as System RAM.
 */
int dn_region_check(u64 start, u64 size)
{
	u64 block = memory_block_size_bytes();

	if (!size || !IS_ALIGNED(start, block) || !IS_ALIGNED(size, block)) {
		pr_err("region %#llx+%#llx is not aligned to the memory block size %#llx: use memmap=SIZE$ADDR with SIZE and ADDR multiples of %lluM\n",
		       start, size, block, block >> 20);
		return -EINVAL;
	}
	if (region_intersects(start, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("region %#llx+%#llx overlaps System RAM in use: reserve it at boot with memmap=SIZE$ADDR\n",
		       start, size);
		return -EBUSY;
	}
	if (!dn_reserved_ram(start, size)) {
		pr_err("region %#llx+%#llx is not RAM in %s: choose a range inside RAM\n",
		       start, size, DN_FIRMWARE_MAP);
		return -EINVAL;
	}
	return 0;
}

static bool dn_node_empty(int nid)
{
	return !node_state(nid, N_MEMORY) && !node_state(nid, N_CPU) &&
	       cpumask_empty(cpumask_of_node(nid));
}

/**
 * dn_node_pick - choose or check the node to carve
 * @nid: in: the requested node, or NUMA_NO_NODE to pick one; out: the node
 *
 * Return: 0, -ENODEV when no possible node is empty, -EINVAL for a node that
 * is not possible, -EBUSY for a node with memory or CPUs.
 */
int dn_node_pick(int *nid)
{
	int n;

	if (*nid == NUMA_NO_NODE) {
		for_each_node(n) {
			if (dn_node_empty(n)) {
				*nid = n;
				return 0;
			}
		}
		pr_err("no empty possible NUMA node: the firmware (ACPI SRAT hotplug range, CXL CFMWS) or QEMU '-numa node,nodeid=N' without memory and CPUs must declare one\n");
		return -ENODEV;
	}
	if (*nid < 0 || *nid >= nr_node_ids || !node_possible(*nid)) {
		pr_err("node=%d is not a possible NUMA node (possible: %*pbl): pick one of those, or leave node unset\n",
		       *nid, nodemask_pr_args(&node_possible_map));
		return -EINVAL;
	}
	if (!dn_node_empty(*nid)) {
		pr_err("node=%d already has memory or CPUs: pick an empty possible node, or leave node unset\n",
		       *nid);
		return -EBUSY;
	}
	return 0;
}

/*
 * Refuse to online any part of the region into a zone other than
 * ZONE_MOVABLE: 6.12 auto-onlines hotplugged memory into ZONE_NORMAL, where
 * kernel allocations would pin it and make removal fail.  The zone is set
 * before MEM_GOING_ONLINE is sent, so it can be checked here.
 */
static int dn_mem_notify(struct notifier_block *nb, unsigned long action,
			 void *data)
{
	struct dn_dev *dn = container_of(nb, struct dn_dev, mem_nb);
	struct memory_notify *arg = data;
	u64 start = PFN_PHYS(arg->start_pfn);
	u64 end = start + PFN_PHYS(arg->nr_pages);

	if (action != MEM_GOING_ONLINE || end <= dn->start ||
	    start >= dn->start + dn->size)
		return NOTIFY_OK;
	if (zone_idx(page_zone(pfn_to_page(arg->start_pfn))) == ZONE_MOVABLE)
		return NOTIFY_OK;
	atomic_long_inc(&dn->vetoed);
	return notifier_from_errno(-EPERM);
}

/* Write "online_movable" to a block's state file unless it is online. */
static int __dn_online_block(unsigned long id)
{
	static const char movable[] = "online_movable";
	char path[64], state[16] = "";
	struct file *f;
	loff_t pos = 0;
	ssize_t ret;

	snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%lu/state", id);
	f = filp_open(path, O_RDWR, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	ret = kernel_read(f, state, sizeof(state) - 1, &pos);
	if (ret >= 0 && !strncmp(state, "online", 6) && state[6] == '\n') {
		ret = 0;	/* auto-onlined; the notifier made it movable */
		goto out_close;
	}
	pos = 0;
	ret = kernel_write(f, movable, sizeof(movable) - 1, &pos);
	ret = ret < 0 ? ret : 0;
out_close:
	filp_close(f, NULL);
	return ret;
}

/*
 * Online one memory block as movable through its sysfs state file (no
 * onlining function is exported).  When the device hotplug lock is busy, the
 * store returns -ERESTARTNOINTR and flags a signal as pending on this task
 * (restart_syscall()); recalc_sigpending() drops that flag again, since a
 * pending flag would make the cleanup's offlining fail with -EINTR.
 */
static int dn_online_block(unsigned long id)
{
	int ret, tries;

	for (tries = 0; tries < DN_ONLINE_TRIES; tries++) {
		ret = __dn_online_block(id);
		if (ret != -ERESTARTNOINTR)
			return ret;
		recalc_sigpending();
		msleep(DN_ONLINE_RETRY_MS);
	}
	return -EBUSY;
}

static int dn_online_region(struct dn_dev *dn)
{
	u64 block = memory_block_size_bytes();
	u64 addr;
	int ret;

	for (addr = dn->start; addr < dn->start + dn->size; addr += block) {
		ret = dn_online_block(addr / block);
		if (ret) {
			pr_err("onlining memory block %llu as movable failed: %d\n",
			       addr / block, ret);
			return ret;
		}
	}
	return 0;
}

#ifdef HAVE_MT_FIND_ALLOC_MEMORY_TYPE
/* 6.12: memory types are found or allocated on a caller's list. */
static struct memory_dev_type *dn_memtype_get(struct dn_dev *dn)
{
	return mt_find_alloc_memory_type(DN_ADISTANCE, &dn->memtypes);
}

static void dn_memtype_put(struct dn_dev *dn)
{
	mt_put_memory_types(&dn->memtypes);
}
#else
/* 6.1: alloc_memory_type() and destroy_memory_type(). */
static struct memory_dev_type *dn_memtype_get(struct dn_dev *dn)
{
	return alloc_memory_type(DN_ADISTANCE);
}

static void dn_memtype_put(struct dn_dev *dn)
{
	destroy_memory_type(dn->memtype);
}
#endif

/**
 * dn_node_add - register the tier, hotplug the region and online it
 * @dn: the device, with @nid, @start and @size checked
 *
 * Return: 0 with the node online in ZONE_MOVABLE, or an error with nothing
 * left behind (or, if removal of a half-onlined region fails, the region
 * leaked as after a failed unload).
 */
int dn_node_add(struct dn_dev *dn)
{
	int ret;

	dn->res_name = kstrdup("System RAM (disagg_node)", GFP_KERNEL);
	if (!dn->res_name)
		return -ENOMEM;

	/* The memory type must be set before the node first comes online. */
	dn->memtype = dn_memtype_get(dn);
	if (IS_ERR(dn->memtype)) {
		ret = PTR_ERR(dn->memtype);
		goto err_memtype;
	}
	init_node_memory_type(dn->nid, dn->memtype);

	dn->mem_nb.notifier_call = dn_mem_notify;
	ret = register_memory_notifier(&dn->mem_nb);
	if (ret)
		goto err_notifier;

	ret = add_memory_driver_managed(dn->nid, dn->start, dn->size,
					dn->res_name, MHP_NONE);
	if (ret) {
		if (ret == -EEXIST || ret == -EBUSY)
			pr_err("region %#llx+%#llx is busy (claimed by another driver, e.g. nd_e820/pmem, or overlapping firmware areas): reserve it with memmap=SIZE$ADDR, not memmap=SIZE!ADDR\n",
			       dn->start, dn->size);
		else
			pr_err("adding region %#llx+%#llx to node %d failed: %d\n",
			       dn->start, dn->size, dn->nid, ret);
		goto err_add;
	}
	dn->state = DN_STATE_ADDED;

	ret = dn_online_region(dn);
	if (ret)
		goto err_online;
	dn->state = DN_STATE_ONLINE;
	return 0;

err_online:
	/* On failure the region is leaked on purpose, see dn_node_remove(). */
	dn_node_remove(dn);
	return ret;
err_add:
	unregister_memory_notifier(&dn->mem_nb);
err_notifier:
	clear_node_memory_type(dn->nid, dn->memtype);
	dn_memtype_put(dn);
err_memtype:
	kfree(dn->res_name);
	return ret;
}

/**
 * dn_node_remove - migrate every page home and remove the region
 * @dn: the device, in DN_STATE_ADDED or DN_STATE_ONLINE
 *
 * offline_and_remove_memory() migrates every page in use to another node
 * (node 0 here), whatever the owner's mempolicy, so no data is lost.  If
 * that fails (pinned pages, a signal), the memory stays online: the resource
 * name, the memory type and the notifier-free region are leaked on purpose,
 * as drivers/dax/kmem.c does, and the failure is recorded in @state.
 *
 * Return: 0, or the error of offline_and_remove_memory().
 */
int dn_node_remove(struct dn_dev *dn)
{
	int ret;

	dn->state = DN_STATE_REMOVING;
	ret = offline_and_remove_memory(dn->start, dn->size);
	unregister_memory_notifier(&dn->mem_nb);
	if (ret) {
		dn->state = DN_STATE_REMOVE_FAILED;
		/* The memory type stays in use: detach it from module memory. */
		list_del_init(&dn->memtypes);
		pr_err("removing region %#llx+%#llx from node %d failed (%d): the memory stays online as node %d until reboot; no data was lost\n",
		       dn->start, dn->size, dn->nid, ret, dn->nid);
		return ret;
	}
	clear_node_memory_type(dn->nid, dn->memtype);
	dn_memtype_put(dn);
	kfree(dn->res_name);
	dn->state = DN_STATE_INIT;
	return 0;
}
