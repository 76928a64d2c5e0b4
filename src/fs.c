// SPDX-License-Identifier: GPL-2.0
/*
 * btrfsx's per-filesystem state (include/btrfsx/fs.h): allocated first thing
 * in open_ctree(), freed with the fs_info, and shown in sysfs while mounted.
 */

#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include "btrfsx/fs.h"

struct btrfsx_fs *btrfsx_fs_alloc(void)
{
	struct btrfsx_fs *fs;
	int ret;

	fs = kzalloc(sizeof(*fs), GFP_KERNEL);
	if (!fs)
		return NULL;
	fs->stats = btrfsx_range_stats_alloc();
	if (!fs->stats)
		goto free;
	ret = btrfsx_range_domain_init_disk(&fs->disk, BTRFSX_RANGE_DISK_SHIFT,
					    BTRFSX_RANGE_DISK_SHARDS,
					    fs->stats);
	if (ret)
		goto free_stats;
	return fs;

free_stats:
	btrfsx_range_stats_free(fs->stats);
free:
	kfree(fs);
	return NULL;
}

void btrfsx_fs_free(struct btrfsx_fs *fs)
{
	if (!fs)
		return;
	WARN_ON(fs->kobj);
	btrfsx_range_domain_destroy(&fs->disk);
	btrfsx_range_stats_free(fs->stats);
	kfree(fs);
}

struct btrfsx_range_stats __percpu *btrfsx_fs_stats(struct btrfsx_fs *fs)
{
	return fs ? fs->stats : NULL;
}

/* /sys/fs/btrfsx/<fsid>/range_locks/ */

struct btrfsx_fs_kobj {
	struct kobject kobj;
	struct btrfsx_fs *fs;
};

static void btrfsx_fs_kobj_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct btrfsx_fs_kobj, kobj));
}

static ssize_t stats_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct btrfsx_fs_kobj *k = container_of(kobj, struct btrfsx_fs_kobj,
						kobj);

	return btrfsx_range_stats_format(k->fs->stats, buf, PAGE_SIZE);
}

static struct kobj_attribute stats_attr = __ATTR(stats, 0400, stats_show,
						 NULL);

/* Counts of relocation passes that TCG timing noise does not blur. */
static ssize_t relocation_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	struct btrfsx_fs *fs = container_of(kobj, struct btrfsx_fs_kobj,
					    kobj)->fs;

	return sysfs_emit(buf, "passes %lld fenced %lld busy_skipped %lld\n",
			  (long long)atomic64_read(&fs->reloc_passes),
			  (long long)atomic64_read(&fs->reloc_fenced),
			  (long long)atomic64_read(&fs->reloc_busy));
}

static struct kobj_attribute relocation_attr =
	__ATTR(relocation, 0400, relocation_show, NULL);

static struct attribute *btrfsx_fs_attrs[] = {
	&stats_attr.attr,
	&relocation_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(btrfsx_fs);

static const struct kobj_type btrfsx_fs_ktype = {
	.sysfs_ops = &kobj_sysfs_ops,
	.release = btrfsx_fs_kobj_release,
	.default_groups = btrfsx_fs_groups,
};

int btrfsx_fs_sysfs_add(struct btrfsx_fs *fs, struct kobject *fsid_kobj)
{
	struct btrfsx_fs_kobj *k;
	int ret;

	k = kzalloc(sizeof(*k), GFP_KERNEL);
	if (!k)
		return -ENOMEM;
	k->fs = fs;
	ret = kobject_init_and_add(&k->kobj, &btrfsx_fs_ktype, fsid_kobj,
				   "range_locks");
	if (ret) {
		kobject_put(&k->kobj);
		return ret;
	}
	fs->kobj = &k->kobj;
	return 0;
}

void btrfsx_fs_sysfs_remove(struct btrfsx_fs *fs)
{
	if (!fs || !fs->kobj)
		return;
	kobject_del(fs->kobj);
	kobject_put(fs->kobj);
	fs->kobj = NULL;
}

