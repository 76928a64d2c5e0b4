// SPDX-License-Identifier: GPL-2.0
/*
 * The btrfsx extent rule (include/btrfsx/extent-rule.h): per-filesystem DISK
 * lock domain, its statistics in sysfs, and the debug-only experiment knobs.
 */

#include <linux/delay.h>
#include <linux/hashtable.h>
#include <linux/kobject.h>
#include <linux/limits.h>
#include <linux/moduleparam.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>
#include "btrfsx/extent-rule.h"

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

static struct attribute *btrfsx_fs_attrs[] = {
	&stats_attr.attr,
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

/* The rule */

/*
 * The last byte of data extent [@bytenr, +@len) in the DISK domain.  Only a
 * corrupt file extent item has @len 0 or runs past U64_MAX; stock btrfs goes
 * on with such an item (and fails later, where it looks the extent up), so
 * lock what there is, the first byte or up to U64_MAX, rather than refuse
 * the call with a WARN.
 */
static u64 extent_last(u64 bytenr, u64 len)
{
	if (!len)
		return bytenr;
	if (bytenr + len - 1 < bytenr)
		return U64_MAX;
	return bytenr + len - 1;
}

int btrfsx_extent_lock(struct btrfsx_fs *fs, u64 bytenr, u64 len,
		       enum btrfsx_range_mode mode,
		       enum btrfsx_range_caller caller,
		       struct btrfsx_range_req *req)
{
	return btrfsx_range_lock(&fs->disk, bytenr, extent_last(bytenr, len),
				 mode, caller, req);
}

bool btrfsx_extent_trylock(struct btrfsx_fs *fs, u64 bytenr, u64 len,
			   enum btrfsx_range_mode mode,
			   enum btrfsx_range_caller caller,
			   struct btrfsx_range_req *req)
{
	return btrfsx_range_trylock(&fs->disk, bytenr,
				    extent_last(bytenr, len), mode, caller,
				    req);
}

void btrfsx_extent_unlock(struct btrfsx_range_req *req)
{
	btrfsx_range_unlock(req);
}

bool btrfsx_extent_held(struct btrfsx_fs *fs,
			const struct btrfsx_range_req *req,
			u64 bytenr, u64 len, bool excl)
{
	if (!req || !btrfsx_range_req_held(req) || req->dom != &fs->disk)
		return false;
	if (excl && req->mode != BTRFSX_RANGE_EXCL)
		return false;
	return req->start <= bytenr && extent_last(bytenr, len) <= req->end;
}

#ifdef BTRFSX_DEBUG
static bool debug_disk_rule = true;
module_param(debug_disk_rule, bool, 0644);
MODULE_PARM_DESC(debug_disk_rule,
		 "debug: enforce the DISK extent rule (default Y)");

static bool debug_upstream_protection = true;
module_param(debug_upstream_protection, bool, 0644);
MODULE_PARM_DESC(debug_upstream_protection,
		 "debug: keep upstream's reflink/relocation protection (6.1: clone locks the source range; 6.12: relocation try-locks i_mmap_lock) (default Y)");

static unsigned int debug_clone_delay_ms;
module_param(debug_clone_delay_ms, uint, 0644);
MODULE_PARM_DESC(debug_clone_delay_ms,
		 "debug: sleep this long between reading a source extent item and queueing its new reference in clone/dedupe (default 0)");

bool btrfsx_rule_enabled(void)
{
	return READ_ONCE(debug_disk_rule);
}

bool btrfsx_upstream_protection(void)
{
	return READ_ONCE(debug_upstream_protection);
}

void btrfsx_debug_clone_delay(void)
{
	unsigned int ms = READ_ONCE(debug_clone_delay_ms);

	if (ms)
		msleep(ms);
}

static bool debug_clone_skip_lock;
module_param(debug_clone_skip_lock, bool, 0644);
MODULE_PARM_DESC(debug_clone_skip_lock,
		 "debug: clone and dedupe do not take the source extent's DISK lock although the rule is on, to show that the assertion catches it (default N)");

bool btrfsx_debug_clone_skip_lock(void)
{
	return READ_ONCE(debug_clone_skip_lock);
}

static unsigned int debug_runner_disk_lock;
module_param(debug_runner_disk_lock, uint, 0644);
MODULE_PARM_DESC(debug_runner_disk_lock,
		 "debug: the delayed-ref runner skips a data ref head whose DISK range it cannot try-lock, 1 exclusive, 2 shared: the design docs/extent-rule.md rejects, to show the commit livelock (default 0)");

bool btrfsx_debug_runner_skip(struct btrfsx_fs *fs, u64 bytenr, u64 len)
{
	unsigned int mode = READ_ONCE(debug_runner_disk_lock);
	struct btrfsx_range_req req;

	if (!mode || !fs)
		return false;
	if (!btrfsx_extent_trylock(fs, bytenr, len,
				   mode == 1 ? BTRFSX_RANGE_EXCL :
					       BTRFSX_RANGE_SHARED,
				   BTRFSX_RANGE_DELAYED_REF, &req))
		return true;
	btrfsx_extent_unlock(&req);
	return false;
}

/*
 * Open scopes, by task.  Debug builds only, so one lock for all is enough;
 * the newest scope of a task is found first (hash_add() adds at the head).
 */
static DEFINE_SPINLOCK(scope_lock);
static DEFINE_HASHTABLE(scope_table, 6);

void btrfsx_rule_scope_open(struct btrfsx_rule_scope *scope,
			    struct btrfsx_fs *fs,
			    enum btrfsx_range_caller caller, bool excl)
{
	scope->task = current;
	scope->fs = fs;
	scope->held = NULL;
	scope->bytenr = 0;
	scope->len = 0;
	scope->caller = caller;
	scope->excl = excl;
	spin_lock(&scope_lock);
	hash_add(scope_table, &scope->node, (unsigned long)current);
	spin_unlock(&scope_lock);
}

void btrfsx_rule_scope_close(struct btrfsx_rule_scope *scope)
{
	spin_lock(&scope_lock);
	hash_del(&scope->node);
	spin_unlock(&scope_lock);
}

void btrfsx_assert_data_ref(struct btrfsx_fs *fs, bool add, u64 bytenr,
			    u64 len)
{
	static DEFINE_RATELIMIT_STATE(rs, 5 * HZ, 3);
	struct btrfsx_rule_scope *scope, *found = NULL;

	if (!btrfsx_rule_enabled())
		return;
	spin_lock(&scope_lock);
	hash_for_each_possible(scope_table, scope, node,
			       (unsigned long)current) {
		if (scope->task == current) {
			found = scope;
			break;
		}
	}
	spin_unlock(&scope_lock);
	/* The scope belongs to this task: it cannot go away under us. */
	if (!found || found->fs != fs || !found->len ||
	    bytenr + len <= found->bytenr || found->bytenr + found->len <= bytenr)
		return;
	if (btrfsx_extent_held(fs, found->held, bytenr, len, found->excl))
		return;
	if (__ratelimit(&rs))
		WARN(1, "btrfsx: %s queued %s of data extent [%llu, +%llu) without its %s DISK lock\n",
		     btrfsx_range_caller_name(found->caller), add ? "an ADD" : "a DROP",
		     bytenr, len, found->excl ? "exclusive" : "shared");
}
#endif
