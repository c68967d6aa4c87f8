// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node selftests that need the normal test machine: booted with a
 * memmap= reservation and an empty possible NUMA node.  Each test loads and
 * unloads the module itself.
 */
#include "kselftest_harness.h"

#include <dirent.h>
#include <limits.h>
#include <sys/mman.h>

#include "dn_env.h"
#include "dn_harness.h"
#include "dn_mem.h"
#include "dn_module.h"

#define MB		(1UL << 20)

/* block_size_bytes is hex without a 0x prefix. */
static long long dn_block_size(void)
{
	char buf[32];

	if (dn_read_file("/sys/devices/system/memory/block_size_bytes", buf,
			 sizeof(buf)) < 0)
		return -1;
	return strtoll(buf, NULL, 16);
}

/* Memory blocks linked under /sys/devices/system/node/node<nid>. */
static long dn_node_blocks(int nid, unsigned long *first, unsigned long *last)
{
	char path[64];
	struct dirent *de;
	unsigned long id;
	long n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", nid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (sscanf(de->d_name, "memory%lu", &id) != 1)
			continue;
		if (!n || id < *first)
			*first = id;
		if (!n || id > *last)
			*last = id;
		n++;
	}
	closedir(d);
	return n;
}

FIXTURE(node) {
	int nid;
	long long size;
};

FIXTURE_SETUP(node)
{
	if (!dn_configured())
		SKIP(return, "machine booted without memmap=: nothing to carve");
	if (dn_loaded())
		ASSERT_EQ(0, dn_unload());
	/* The node itself: no trapping, pages stay where they are put. */
	ASSERT_EQ(0, dn_load("trap=0")) {
		TH_LOG("modprobe disagg_node failed; see dmesg");
	}
	self->nid = dn_read_ll(DN_SYSFS "/node_id");
	self->size = dn_read_ll(DN_SYSFS "/region_size");
	ASSERT_LT(0, self->nid);
	ASSERT_LT(0, self->size);
}

FIXTURE_TEARDOWN(node)
{
	if (dn_loaded())
		EXPECT_EQ(0, dn_unload());
}

/* The node exists, has no CPUs and exactly the region's memory, movable. */
TEST_F(node, cpuless_node_of_region_size)
{
	long long block = dn_block_size();
	long long start = dn_read_ll(DN_SYSFS "/region_start");
	unsigned long first = 0, last = 0, id;
	long long memtotal_kb = -1;
	char path[256], buf[256];
	long blocks;
	FILE *f;

	ASSERT_LT(0, block);
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist",
		 self->nid);
	ASSERT_LE(0, dn_read_file(path, buf, sizeof(buf)));
	EXPECT_STREQ("\n", buf);

	/* Exactly the region's blocks, each online and movable. */
	blocks = dn_node_blocks(self->nid, &first, &last);
	EXPECT_EQ(self->size, blocks * block);
	EXPECT_EQ(start, (long long)first * block);
	EXPECT_EQ(start + self->size, (long long)(last + 1) * block);
	for (id = first; blocks && id <= last; id++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/memory/memory%lu/state", id);
		EXPECT_TRUE(dn_file_has(path, "online"));
		snprintf(path, sizeof(path),
			 "/sys/devices/system/memory/memory%lu/valid_zones", id);
		EXPECT_TRUE(dn_file_has(path, "Movable"));
	}

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo",
		 self->nid);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "Node %*d MemTotal: %lld kB", &memtotal_kb) == 1)
			break;
	fclose(f);
	/* All of it, less at most 2% for the kernel's own accounting. */
	EXPECT_LE(memtotal_kb * 1024, self->size);
	EXPECT_GE(memtotal_kb * 1024, self->size - self->size / 50);
}

/* numactl -H shows the node with no CPUs and the reserved size. */
TEST_F(node, numactl_shows_node)
{
	char line[256], want_cpus[32], want_size[64];
	bool cpus_ok = false, size_ok = false;
	FILE *p = popen("numactl -H", "r");

	ASSERT_NE(NULL, p);
	snprintf(want_cpus, sizeof(want_cpus), "node %d cpus:\n", self->nid);
	snprintf(want_size, sizeof(want_size), "node %d size: %lld MB\n",
		 self->nid, self->size / (long long)MB);
	while (fgets(line, sizeof(line), p)) {
		if (!strcmp(line, want_cpus))
			cpus_ok = true;
		if (!strcmp(line, want_size))
			size_ok = true;
	}
	EXPECT_EQ(0, pclose(p));
	EXPECT_TRUE(cpus_ok);
	EXPECT_TRUE(size_ok);
}

/* Tier of a node from /sys/devices/virtual/memory_tiering; -1 if none. */
static int dn_node_tier(int nid)
{
	const char *dir = "/sys/devices/virtual/memory_tiering";
	char path[512], buf[256];
	struct dirent *de;
	int tier = -1, id;
	DIR *d = opendir(dir);

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char *s, *tok;

		if (sscanf(de->d_name, "memory_tier%d", &id) != 1)
			continue;
		snprintf(path, sizeof(path), "%s/%s/nodelist", dir, de->d_name);
		if (dn_read_file(path, buf, sizeof(buf)) < 0)
			continue;
		for (s = buf; (tok = strsep(&s, ",\n")); ) {
			int lo, hi;

			if (sscanf(tok, "%d-%d", &lo, &hi) == 2 ? 0 :
			    sscanf(tok, "%d", &lo) == 1 ? (hi = lo, 0) : 1)
				continue;
			if (nid >= lo && nid <= hi)
				tier = id;
		}
	}
	closedir(d);
	return tier;
}

/* The node sits in a lower memory tier than node 0 (a higher tier id). */
TEST_F(node, lower_tier_than_dram)
{
	int dram = dn_node_tier(0), remote = dn_node_tier(self->nid);

	ASSERT_LE(0, dram);
	ASSERT_LE(0, remote);
	EXPECT_LT(dram, remote);
}

/* Memory bound to the node (mbind MPOL_BIND) lands there: move_pages, numa_maps. */
TEST_F(node, membind_allocations_land_on_node)
{
	size_t len = 32 * MB;
	char *p = dn_map_on_node(len, self->nid);

	ASSERT_NE(NULL, p);
	dn_fill(p, len, 1);
	EXPECT_EQ((long)(len / DN_PAGE), dn_count_on_node(p, len, self->nid));
	EXPECT_EQ((long)(len / DN_PAGE), dn_numa_maps_pages(p, self->nid));
	EXPECT_EQ(0, dn_check(p, len, 1));
	munmap(p, len);
}

/* dn_cbps --csv: its six figures; 0 or -1. */
static int dn_cbps_read(long long v[6])
{
	char line[256], cmd[PATH_MAX + 16];
	int n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s --csv", dn_path("bin/dn_cbps"));
	f = popen(cmd, "r");

	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f) && fgets(line, sizeof(line), f))
		n = sscanf(line, "%lld,%lld,%lld,%lld,%lld,%lld", &v[0], &v[1],
			   &v[2], &v[3], &v[4], &v[5]);
	return pclose(f) == 0 && n == 6 ? 0 : -1;
}

/*
 * The content-sharing report finds exactly what is planted on the node:
 * 64 copies of one page, 32 of another, 16 zero pages and 100 pages unlike
 * any other (212 pages): +212 pages, +16 zero, +96 duplicate, +100 unique,
 * +102 distinct contents, +110 pages saved (16 + 63 + 31), over what was
 * there before.  Bad usage and a missing file are refused.
 */
TEST_F(node, cbps_finds_planted_duplicates)
{
	const long long want[6] = { 212, 16, 96, 100, 102, 110 };
	const char *name[6] = { "pages", "zero", "duplicate", "unique",
				"distinct", "saving" };
	size_t npages = 212, len = npages * DN_PAGE, i, w;
	long long before[6], after[6];
	uint64_t *q, v;
	char *p;
	int k;

	ASSERT_EQ(0, dn_cbps_read(before));
	p = dn_map_on_node(len, self->nid);
	ASSERT_NE(NULL, p);
	for (i = 0; i < npages; i++) {
		q = (uint64_t *)(p + i * DN_PAGE);
		if (i < 64)
			v = 0x5eed0000a5a5a5a5ULL;		/* copies of A */
		else if (i < 96)
			v = 0x5eed00005a5a5a5aULL;		/* copies of B */
		else if (i < 112)
			v = 0;					/* zero pages */
		else
			v = 0x5eed000100000000ULL + i;		/* unique */
		for (w = 0; w < DN_PAGE / sizeof(*q); w++)
			q[w] = v;
	}
	EXPECT_EQ((long)npages, dn_count_on_node(p, len, self->nid));
	ASSERT_EQ(0, dn_cbps_read(after));
	for (k = 0; k < 6; k++) {
		TH_LOG("%s: %lld -> %lld", name[k], before[k], after[k]);
		EXPECT_EQ(want[k], after[k] - before[k]);
	}
	munmap(p, len);
	EXPECT_EQ(2, dn_sh("%s --bogus 2>/dev/null", dn_path("bin/dn_cbps")));
	EXPECT_EQ(1, dn_sh("%s /nonexistent 2>/dev/null", dn_path("bin/dn_cbps")));
}

/* A program run under numactl --membind=<node> gets its memory there. */
TEST_F(node, numactl_membind_program)
{
	EXPECT_EQ(0, dn_sh("numactl --membind=%d %s --mb 16 --expect-node %d",
			   self->nid, dn_path("bin/dn_touch"), self->nid));
}

/* Unload with 64 MB in use on the node: every byte kept, pages back on 0. */
TEST_F(node, unload_in_use_keeps_data_and_migrates_home)
{
	size_t len = 64 * MB;
	char *p = dn_map_on_node(len, self->nid);
	unsigned long first, last;

	ASSERT_NE(NULL, p);
	dn_fill(p, len, 0x5eed);
	ASSERT_EQ((long)(len / DN_PAGE), dn_count_on_node(p, len, self->nid));

	ASSERT_EQ(0, dn_unload());
	EXPECT_FALSE(dn_loaded());
	EXPECT_EQ(0, dn_iomem_entries());
	EXPECT_EQ(0, dn_node_blocks(self->nid, &first, &last));

	EXPECT_EQ(0, dn_check(p, len, 0x5eed));
	EXPECT_EQ((long)(len / DN_PAGE), dn_count_on_node(p, len, 0));
	munmap(p, len);
}

/* Runtime sysfs: valid values stick, bad ones get -EINVAL and change nothing. */
TEST_F(node, sysfs_validates_input)
{
	char off[32];

	EXPECT_EQ(0, dn_write_file(DN_SYSFS "/remote_pct", "50"));
	EXPECT_EQ(50, dn_read_ll(DN_SYSFS "/remote_pct"));
	EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/remote_pct", "101"));
	EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/remote_pct", "-1"));
	EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/remote_pct", "abc"));
	EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/remote_pct", "\n"));
	EXPECT_EQ(50, dn_read_ll(DN_SYSFS "/remote_pct"));

	EXPECT_EQ(0, dn_write_file(DN_SYSFS "/latency_ns", "1000000"));
	EXPECT_EQ(1000000, dn_read_ll(DN_SYSFS "/latency_ns"));
	EXPECT_EQ(0, dn_write_file(DN_SYSFS "/latency_ns", "20000\n"));
	EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/latency_ns", "1000001"));
	EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/latency_ns", "10us"));
	EXPECT_EQ(20000, dn_read_ll(DN_SYSFS "/latency_ns"));

	/* The busy-wait's offset: measured at load, again on "1" only. */
	EXPECT_EQ(0, dn_write_file(DN_SYSFS "/calibrate", "1"));
	EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/calibrate", "2"));
	EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/calibrate", "0"));
	EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/calibrate", "x"));
	EXPECT_EQ(-EACCES, dn_write_file(DN_SYSFS "/latency_offset_ns", "0"));
	/* A number, less than the 4 us wait it is measured on, either way. */
	ASSERT_LT(0, dn_read_file(DN_SYSFS "/latency_offset_ns", off, sizeof(off)));
	EXPECT_EQ('\n', off[strspn(off, "-0123456789")]);
	EXPECT_GT(4000, llabs(strtoll(off, NULL, 10)));

	EXPECT_EQ(0, dn_read_ll(DN_SYSFS "/trap"));
	EXPECT_EQ(-EINVAL, dn_write_file(DN_SYSFS "/trap", "2"));
	EXPECT_EQ(0, dn_write_file(DN_SYSFS "/trap", "1"));
	EXPECT_EQ(1, dn_read_ll(DN_SYSFS "/trap"));
	EXPECT_EQ(0, dn_write_file(DN_SYSFS "/trap", "0"));

	EXPECT_EQ(-EACCES, dn_write_file(DN_SYSFS "/node_id", "3"));
}

/* Parameters given at load are shown in sysfs. */
TEST(load_parameters_shown)
{
	if (!dn_configured())
		SKIP(return, "machine booted without memmap=");
	ASSERT_EQ(0, dn_load("remote_pct=25 latency_ns=5000 trap=0"));
	EXPECT_EQ(0, dn_read_ll(DN_SYSFS "/trap"));
	EXPECT_EQ(25, dn_read_ll(DN_SYSFS "/remote_pct"));
	EXPECT_EQ(5000, dn_read_ll(DN_SYSFS "/latency_ns"));
	EXPECT_EQ(25, dn_read_ll("/sys/module/disagg_node/parameters/remote_pct"));
	EXPECT_EQ(0, dn_unload());
}

/* Load and unload twice: the node comes back the same, nothing leaks. */
TEST(load_unload_twice)
{
	int i, nid0 = -1;

	if (!dn_configured())
		SKIP(return, "machine booted without memmap=");
	for (i = 0; i < 2; i++) {
		int nid;

		ASSERT_EQ(0, dn_load(""));
		nid = dn_read_ll(DN_SYSFS "/node_id");
		if (i == 0)
			nid0 = nid;
		EXPECT_EQ(nid0, nid);
		EXPECT_EQ(1, dn_iomem_entries());
		EXPECT_LT(dn_node_tier(0), dn_node_tier(nid));
		ASSERT_EQ(0, dn_unload());
		EXPECT_FALSE(dn_loaded());
		EXPECT_EQ(0, dn_iomem_entries());
		EXPECT_EQ(-1, dn_node_tier(nid));
	}
}

/* A second load is harmless: modprobe is a no-op, insmod gets EEXIST. */
TEST(load_twice)
{
	if (!dn_configured())
		SKIP(return, "machine booted without memmap=");
	ASSERT_EQ(0, dn_load(""));
	EXPECT_EQ(0, dn_load(""));
	EXPECT_NE(0, dn_sh("insmod $(modinfo -n disagg_node) 2>/dev/null"));
	EXPECT_EQ(1, dn_iomem_entries());
	EXPECT_EQ(0, dn_unload());
	EXPECT_EQ(0, dn_iomem_entries());
}

/* A bad parameter: the load fails, with this message in the kernel log. */
FIXTURE(bad_param) {
};

FIXTURE_VARIANT(bad_param) {
	const char *args;
	const char *msg;
};

FIXTURE_VARIANT_ADD(bad_param, remote_pct) {
	.args = "remote_pct=101", .msg = "remote_pct=101 is out of range",
};

FIXTURE_VARIANT_ADD(bad_param, latency_ns) {
	.args = "latency_ns=1000001", .msg = "latency_ns=1000001 is out of range",
};

FIXTURE_VARIANT_ADD(bad_param, node_not_possible) {
	.args = "node=7", .msg = "node=7 is not a possible NUMA node",
};

FIXTURE_VARIANT_ADD(bad_param, node_not_empty) {
	.args = "node=0", .msg = "node=0 already has memory or CPUs",
};

FIXTURE_VARIANT_ADD(bad_param, region_start_without_size) {
	.args = "region_start=0x40000000",
	.msg = "region_start and region_size go together",
};

/* 64 MiB into the reservation: not a multiple of the 128 MiB block. */
FIXTURE_VARIANT_ADD(bad_param, region_not_aligned) {
	.args = "region_start=0x44000000 region_size=0x8000000",
	.msg = "is not aligned to the memory block size",
};

/* 256 MiB: plain System RAM of node 0. */
FIXTURE_VARIANT_ADD(bad_param, region_in_use_as_ram) {
	.args = "region_start=0x10000000 region_size=0x8000000",
	.msg = "overlaps System RAM in use",
};

/*
 * 8 GiB: above the guest's 2 GiB of RAM, in no firmware RAM range (the
 * E820 map, or the SRAT where that is not exported: the message names
 * which).
 */
FIXTURE_VARIANT_ADD(bad_param, region_outside_ram) {
	.args = "region_start=0x200000000 region_size=0x8000000",
	.msg = "is not RAM in the",
};

FIXTURE_SETUP(bad_param)
{
	if (dn_loaded())
		ASSERT_EQ(0, dn_unload());
}

FIXTURE_TEARDOWN(bad_param)
{
}

/* Each bad input fails the load with a clear message and leaves nothing. */
TEST_F(bad_param, load_refused)
{
	dn_expect_load_fails(_metadata, variant->args, variant->msg);
}

TEST_HARNESS_MAIN
