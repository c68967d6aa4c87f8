// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node: /sys/kernel/debug/disagg_node, for the selftests, and the
 * contents report of the remote node (remote_hashes).
 *
 *   evict         write "PID ADDR LEN": move those pages of PID to the
 *                 remote node now; read: pages moved by the last write.
 *   fail_promote  write N: the next N remote faults refuse promotion.
 *   pause         write 1/0: stop/restart the balancing worker.
 *   pte_state     write "PID ADDR LEN"; read "PROTECTED ACCESSIBLE": the
 *                 remote pages of that range mapped PROT_NONE or not.
 *   remote_hashes read (root only): one line per page in use on the remote
 *                 node, "PFN HASH ZERO" (PFN and the xxh64 of the page's
 *                 bytes in hexadecimal, ZERO 1 if every byte is 0), for
 *                 content-based page sharing reports (bench/dn_cbps).
 *   run_pass      write 1: run one balancing pass over every target now,
 *                 paused or not; the write returns when it is done.
 *
 * "PID ADDR LEN": PID decimal, ADDR hexadecimal (0x optional), LEN decimal
 * bytes, one space apart, an optional newline; ADDR and LEN page aligned.
 */
#define pr_fmt(fmt) "disagg_node: " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/highmem.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xxhash.h>

#include "internal.h"

static struct dentry *dn_debugfs_dir;
static atomic_long_t dn_last_evicted;
/* dn_state_lock protects dn_state_result. */
static DEFINE_MUTEX(dn_state_lock);
static char dn_state_result[48];

/* Parse "PID ADDR LEN" written to a debugfs file; strictly, see above. */
static int dn_parse_range(const char __user *ubuf, size_t count, int *pid,
			  unsigned long *addr, unsigned long *len)
{
	char buf[64], *cur, *tok[3];
	int i;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (count && buf[count - 1] == '\n')
		buf[count - 1] = '\0';
	cur = buf;
	for (i = 0; i < 3; i++) {
		tok[i] = strsep(&cur, " ");
		if (!tok[i] || !*tok[i])
			return -EINVAL;
	}
	if (cur)		/* a fourth field, or a trailing space */
		return -EINVAL;
	if (kstrtoint(tok[0], 10, pid) || *pid <= 0 ||
	    kstrtoul(tok[1], 16, addr) || kstrtoul(tok[2], 10, len))
		return -EINVAL;
	if (!*len || !PAGE_ALIGNED(*addr) || !PAGE_ALIGNED(*len) ||
	    *addr + *len < *addr || *addr + *len > TASK_SIZE)
		return -EINVAL;
	return 0;
}

static ssize_t dn_evict_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	unsigned long addr, len;
	long moved;
	int pid, ret;

	ret = dn_parse_range(ubuf, count, &pid, &addr, &len);
	if (ret)
		return ret;
	moved = dn_evict_user_range(pid, addr, len);
	if (moved < 0)
		return moved;
	atomic_long_set(&dn_last_evicted, moved);
	return count;
}

static ssize_t dn_evict_read(struct file *file, char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	char buf[32];
	int n = scnprintf(buf, sizeof(buf), "%ld\n",
			  atomic_long_read(&dn_last_evicted));

	return simple_read_from_buffer(ubuf, count, ppos, buf, n);
}

static const struct file_operations dn_evict_fops = {
	.owner = THIS_MODULE,
	.read = dn_evict_read,
	.write = dn_evict_write,
	.llseek = default_llseek,
};

/*
 * hold_mmap: "PID MS" holds the mmap lock of PID's address space for
 * writing for MS milliseconds (at most DN_HOLD_MS_MAX), as a thread in a
 * long operation under it would; the write returns when the hold ends, or
 * at once on a fatal signal.  Reading it gives 1 while a hold is on.  For
 * the selftests: a registration stalled on its own process's lock.
 */
#define DN_HOLD_MS_MAX	60000
static atomic_t dn_holding = ATOMIC_INIT(0);

static ssize_t dn_hold_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	char buf[32], *cur, *tok;
	struct mm_struct *mm;
	unsigned int ms;
	pid_t tgid;
	int pid, ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	cur = strim(buf);
	tok = strsep(&cur, " ");
	if (!cur || kstrtoint(tok, 10, &pid) || pid <= 0 ||
	    kstrtouint(cur, 10, &ms) || ms > DN_HOLD_MS_MAX)
		return -EINVAL;
	mm = dn_pid_mm(pid, &tgid, NULL);
	if (IS_ERR(mm))
		return PTR_ERR(mm);
	ret = mmap_write_lock_killable(mm);
	if (!ret) {
		atomic_inc(&dn_holding);
		msleep_interruptible(ms);
		atomic_dec(&dn_holding);
		mmap_write_unlock(mm);
	}
	mmput(mm);
	return ret ? ret : count;
}

static ssize_t dn_hold_read(struct file *file, char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	char buf[16];
	int n = scnprintf(buf, sizeof(buf), "%d\n", atomic_read(&dn_holding) > 0);

	return simple_read_from_buffer(ubuf, count, ppos, buf, n);
}

static const struct file_operations dn_hold_fops = {
	.owner = THIS_MODULE,
	.read = dn_hold_read,
	.write = dn_hold_write,
	.llseek = default_llseek,
};

static ssize_t dn_state_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	unsigned long addr, len, prot, acc;
	struct mm_struct *mm;
	pid_t tgid;
	int pid, ret;

	ret = dn_parse_range(ubuf, count, &pid, &addr, &len);
	if (ret)
		return ret;
	mm = dn_pid_mm(pid, &tgid, NULL);
	if (IS_ERR(mm))
		return PTR_ERR(mm);
	ret = mmap_read_lock_killable(mm);
	if (ret)
		goto out_mmput;
	dn_pte_state(mm, addr, addr + len, &prot, &acc);
	mmap_read_unlock(mm);
out_mmput:
	mmput(mm);
	if (ret)
		return ret;
	mutex_lock(&dn_state_lock);
	scnprintf(dn_state_result, sizeof(dn_state_result), "%lu %lu\n", prot, acc);
	mutex_unlock(&dn_state_lock);
	return count;
}

static ssize_t dn_state_read(struct file *file, char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	char buf[48];

	mutex_lock(&dn_state_lock);
	memcpy(buf, dn_state_result, sizeof(buf));
	mutex_unlock(&dn_state_lock);
	return simple_read_from_buffer(ubuf, count, ppos, buf, strlen(buf));
}

static const struct file_operations dn_state_fops = {
	.owner = THIS_MODULE,
	.read = dn_state_read,
	.write = dn_state_write,
	.llseek = default_llseek,
};

static int dn_fail_get(void *data, u64 *val)
{
	*val = atomic_read(&dn_dev.fail_promote);
	return 0;
}

static int dn_fail_set(void *data, u64 val)
{
	if (val > INT_MAX)
		return -EINVAL;
	atomic_set(&dn_dev.fail_promote, val);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(dn_fail_fops, dn_fail_get, dn_fail_set, "%llu\n");

static int dn_pause_get(void *data, u64 *val)
{
	*val = READ_ONCE(dn_dev.paused);
	return 0;
}

static int dn_pause_set(void *data, u64 val)
{
	if (val > 1)
		return -EINVAL;
	WRITE_ONCE(dn_dev.paused, val);
	dn_evict_kick();
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(dn_pause_fops, dn_pause_get, dn_pause_set, "%llu\n");

static int dn_run_pass_set(void *data, u64 val)
{
	if (val != 1)
		return -EINVAL;
	return dn_evict_run_pass();
}
DEFINE_DEBUGFS_ATTRIBUTE(dn_run_pass_fops, NULL, dn_run_pass_set, "%llu\n");

/*
 * remote_hashes walks the region's page frames; the position is the page's
 * index in the region.  Each page in use is read through the kernel's
 * mapping under a reference: no trap, nothing moves or changes.  A page
 * written meanwhile hashes as some state of it.  debugfs keeps the region
 * from going away under a reader: unload removes the files first, and
 * waits for readers, before the node.
 */
static void *dn_hash_start(struct seq_file *m, loff_t *pos)
{
	return *pos < (loff_t)(dn_dev.size >> PAGE_SHIFT) ? pos : NULL;
}

static void *dn_hash_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return dn_hash_start(m, pos);
}

static void dn_hash_stop(struct seq_file *m, void *v)
{
}

static int dn_hash_show(struct seq_file *m, void *v)
{
	loff_t i = *(loff_t *)v;
	unsigned long pfn = PHYS_PFN(dn_dev.start) + i;
	struct page *page = pfn_to_online_page(pfn);
	struct folio *folio;
	bool zero;
	void *addr;
	u64 hash;

	if (!(i & 255))
		cond_resched();
	if (!page)
		return 0;
	folio = page_folio(page);
	if (!folio_try_get(folio))
		return 0;		/* free */
	if (page_folio(page) == folio) {
		addr = kmap_local_page(page);
		hash = xxh64(addr, PAGE_SIZE, 0);
		zero = !memchr_inv(addr, 0, PAGE_SIZE);
		kunmap_local(addr);
		seq_printf(m, "%lx %016llx %d\n", pfn, hash, zero);
	}
	folio_put(folio);
	return 0;
}

static const struct seq_operations dn_hash_sops = {
	.start = dn_hash_start,
	.next = dn_hash_next,
	.stop = dn_hash_stop,
	.show = dn_hash_show,
};
DEFINE_SEQ_ATTRIBUTE(dn_hash);

void dn_debugfs_init(struct dn_dev *dn)
{
	dn_debugfs_dir = debugfs_create_dir("disagg_node", NULL);
	debugfs_create_file("evict", 0600, dn_debugfs_dir, NULL, &dn_evict_fops);
	debugfs_create_file_unsafe("fail_promote", 0600, dn_debugfs_dir, NULL,
				   &dn_fail_fops);
	debugfs_create_file_unsafe("pause", 0600, dn_debugfs_dir, NULL,
				   &dn_pause_fops);
	debugfs_create_file("pte_state", 0600, dn_debugfs_dir, NULL,
			    &dn_state_fops);
	debugfs_create_file_unsafe("run_pass", 0200, dn_debugfs_dir, NULL,
				   &dn_run_pass_fops);
	debugfs_create_file("remote_hashes", 0400, dn_debugfs_dir, NULL,
			    &dn_hash_fops);
	debugfs_create_file("hold_mmap", 0600, dn_debugfs_dir, NULL,
			    &dn_hold_fops);
}

void dn_debugfs_exit(struct dn_dev *dn)
{
	debugfs_remove(dn_debugfs_dir);
}
