// SPDX-License-Identifier: GPL-2.0
/*
 * disagg_node: /sys/kernel/mm/disagg_node, one value per file.
 * Documented in Documentation/ABI/testing/sysfs-kernel-mm-disagg_node.
 */
#define pr_fmt(fmt) "disagg_node: " fmt

#include <linux/kernel.h>
#include <linux/kernfs.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/sysfs.h>

#include "internal.h"

static ssize_t node_id_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", dn_dev.nid);
}

static ssize_t region_start_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%#llx\n", dn_dev.start);
}

static ssize_t region_size_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", dn_dev.size);
}

static ssize_t zone_vetoes_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&dn_dev.vetoed));
}

static ssize_t remote_pct_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(dn_dev.remote_pct));
}

/* Parse an unsigned decimal and check it with @check; -EINVAL otherwise. */
static int dn_parse(const char *buf, const char *name,
		    int (*check)(unsigned long), unsigned int *val)
{
	unsigned long v;

	if (kstrtoul(buf, 10, &v)) {
		pr_err("%s: '%.*s' is not an unsigned decimal number\n", name,
		       (int)strcspn(buf, "\n"), buf);
		return -EINVAL;
	}
	if (check(v))
		return -EINVAL;
	*val = v;
	return 0;
}

static ssize_t remote_pct_store(struct kobject *kobj,
				struct kobj_attribute *attr, const char *buf,
				size_t count)
{
	unsigned int v;
	int ret;

	ret = dn_parse(buf, "remote_pct", dn_check_remote_pct, &v);
	if (ret)
		return ret;
	mutex_lock(&dn_dev.lock);
	WRITE_ONCE(dn_dev.remote_pct, v);
	mutex_unlock(&dn_dev.lock);
	return count;
}

static ssize_t latency_ns_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(dn_dev.latency_ns));
}

static ssize_t latency_ns_store(struct kobject *kobj,
				struct kobj_attribute *attr, const char *buf,
				size_t count)
{
	unsigned int v;
	int ret;

	ret = dn_parse(buf, "latency_ns", dn_check_latency_ns, &v);
	if (ret)
		return ret;
	mutex_lock(&dn_dev.lock);
	WRITE_ONCE(dn_dev.latency_ns, v);
	mutex_unlock(&dn_dev.lock);
	return count;
}

static struct kobj_attribute dn_attr_node_id = __ATTR_RO(node_id);
static struct kobj_attribute dn_attr_region_start = __ATTR_RO(region_start);
static struct kobj_attribute dn_attr_region_size = __ATTR_RO(region_size);
static struct kobj_attribute dn_attr_zone_vetoes = __ATTR_RO(zone_vetoes);
static struct kobj_attribute dn_attr_remote_pct = __ATTR_RW(remote_pct);
static struct kobj_attribute dn_attr_latency_ns = __ATTR_RW(latency_ns);

static struct attribute *dn_attrs[] = {
	&dn_attr_node_id.attr,
	&dn_attr_region_start.attr,
	&dn_attr_region_size.attr,
	&dn_attr_zone_vetoes.attr,
	&dn_attr_remote_pct.attr,
	&dn_attr_latency_ns.attr,
	NULL,
};

static const struct attribute_group dn_attr_group = {
	.attrs = dn_attrs,
};

/*
 * /sys/kernel/mm's kobject.  mm_kobj is no longer exported on 6.12, so it is
 * found on every kernel through kernfs, where a sysfs directory's private
 * data is its kobject.  It is static in the kernel and never goes away.
 */
static struct kobject *dn_mm_kobj(void)
{
	struct kernfs_node *kn;
	struct kobject *kobj = NULL;

	kn = kernfs_find_and_get(kernel_kobj->sd, "mm");
	if (!kn)
		return NULL;
	if (kernfs_type(kn) == KERNFS_DIR)
		kobj = kn->priv;
	kernfs_put(kn);
	return kobj;
}

int dn_sysfs_init(struct dn_dev *dn)
{
	struct kobject *mm = dn_mm_kobj();
	int ret;

	if (!mm) {
		pr_err("/sys/kernel/mm not found\n");
		return -ENOENT;
	}
	dn->kobj = kobject_create_and_add("disagg_node", mm);
	if (!dn->kobj)
		return -ENOMEM;
	ret = sysfs_create_group(dn->kobj, &dn_attr_group);
	if (ret)
		goto err_group;
	return 0;

err_group:
	kobject_put(dn->kobj);
	return ret;
}

void dn_sysfs_exit(struct dn_dev *dn)
{
	sysfs_remove_group(dn->kobj, &dn_attr_group);
	kobject_put(dn->kobj);
}
