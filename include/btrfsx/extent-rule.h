/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The btrfsx extent rule: a data extent's reference count changes only under
 * a lock on the extent's DISK range [disk_bytenr, disk_bytenr + len) from the
 * range-lock manager.  Clone and dedupe hold it shared from reading a source
 * file extent item until the new reference is queued; relocation holds it
 * exclusive while it moves references from the old to the new location.
 * See docs/locking.md.
 *
 * This header is what the patched btrfs code calls; it knows nothing about
 * btrfs structures, so it stays the same for every kernel series.
 */
#ifndef BTRFSX_EXTENT_RULE_H
#define BTRFSX_EXTENT_RULE_H

#include <linux/bug.h>
#include <linux/kobject.h>
#include <linux/types.h>
#include "btrfsx/range-lock.h"

/* btrfsx's per-filesystem state, hung off struct btrfs_fs_info. */
struct btrfsx_fs {
	struct btrfsx_range_domain disk;	/* logical disk bytes */
	struct btrfsx_range_stats __percpu *stats;
	struct kobject *kobj;			/* <fsid>/range_locks */
};

struct btrfsx_fs *btrfsx_fs_alloc(void);
void btrfsx_fs_free(struct btrfsx_fs *fs);
int btrfsx_fs_sysfs_add(struct btrfsx_fs *fs, struct kobject *fsid_kobj);
void btrfsx_fs_sysfs_remove(struct btrfsx_fs *fs);

/* Lock the DISK range of the data extent at @bytenr, @len bytes long. */
int btrfsx_extent_lock(struct btrfsx_fs *fs, u64 bytenr, u64 len,
		       enum btrfsx_range_mode mode,
		       enum btrfsx_range_caller caller,
		       struct btrfsx_range_req *req);
bool btrfsx_extent_trylock(struct btrfsx_fs *fs, u64 bytenr, u64 len,
			   enum btrfsx_range_mode mode,
			   enum btrfsx_range_caller caller,
			   struct btrfsx_range_req *req);
void btrfsx_extent_unlock(struct btrfsx_range_req *req);
/* Does @req hold [@bytenr, @bytenr + @len) of @fs's DISK domain? */
bool btrfsx_extent_held(struct btrfsx_fs *fs,
			const struct btrfsx_range_req *req,
			u64 bytenr, u64 len, bool excl);

/*
 * Experiment switches, debug builds only (module parameters of btrfsx.ko,
 * see docs/extent-rule.md): they exist to show that the rule alone closes the
 * reflink-vs-relocation race.  Release builds have the rule and the upstream
 * protection always on and no delay.
 */
#ifdef BTRFSX_DEBUG
bool btrfsx_rule_enabled(void);
bool btrfsx_upstream_protection(void);
void btrfsx_debug_clone_delay(void);
#else
static inline bool btrfsx_rule_enabled(void)
{
	return true;
}

static inline bool btrfsx_upstream_protection(void)
{
	return true;
}

static inline void btrfsx_debug_clone_delay(void)
{
}
#endif

/*
 * The rule's assertion, where data references are queued (debug builds).
 *
 * Clone, dedupe and relocation open a scope for the current task and name
 * in it, item by item, the data extent X they read a file extent item of
 * and the DISK lock they hold on X (or NULL).  btrfs_add_delayed_data_ref()
 * calls btrfsx_assert_data_ref() for every ADD and DROP: while the task has
 * a scope open, a reference to X must be queued under that lock, shared or
 * exclusive as the scope asks.  A path that forgets the lock stops there,
 * with the guilty stack, instead of a transaction abort much later.
 * References to other extents (the destination extents clone drops under
 * their leaf's lock, relocation's new copy) are not the rule's business.
 * Scopes nest: the innermost one of the task counts.
 */
struct btrfsx_rule_scope {
#ifdef BTRFSX_DEBUG
	struct hlist_node node;
	struct task_struct *task;
	struct btrfsx_fs *fs;
	const struct btrfsx_range_req *held;
	u64 bytenr;
	u64 len;
	enum btrfsx_range_caller caller;
	bool excl;
#endif
};

#ifdef BTRFSX_DEBUG
void btrfsx_rule_scope_open(struct btrfsx_rule_scope *scope,
			    struct btrfsx_fs *fs,
			    enum btrfsx_range_caller caller, bool excl);
void btrfsx_rule_scope_close(struct btrfsx_rule_scope *scope);
void btrfsx_assert_data_ref(struct btrfsx_fs *fs, bool add, u64 bytenr,
			    u64 len);
bool btrfsx_debug_clone_skip_lock(void);
/*
 * The experiment behind docs/extent-rule.md's "the runner keeps the head
 * mutex": should the delayed-ref runner skip the data ref head of extent
 * [@bytenr, +@len) because its DISK range is locked?
 */
bool btrfsx_debug_runner_skip(struct btrfsx_fs *fs, u64 bytenr, u64 len);

/* @scope's task now works on extent [@bytenr, +@len) holding @held. */
static inline void btrfsx_rule_scope_extent(struct btrfsx_rule_scope *scope,
					    u64 bytenr, u64 len,
					    const struct btrfsx_range_req *held)
{
	scope->bytenr = bytenr;
	scope->len = len;
	scope->held = held;
}
#else
static inline void btrfsx_rule_scope_open(struct btrfsx_rule_scope *scope,
					  struct btrfsx_fs *fs,
					  enum btrfsx_range_caller caller,
					  bool excl)
{
}

static inline void btrfsx_rule_scope_close(struct btrfsx_rule_scope *scope)
{
}

static inline void btrfsx_rule_scope_extent(struct btrfsx_rule_scope *scope,
					    u64 bytenr, u64 len,
					    const struct btrfsx_range_req *held)
{
}

static inline void btrfsx_assert_data_ref(struct btrfsx_fs *fs, bool add,
					  u64 bytenr, u64 len)
{
}

static inline bool btrfsx_debug_clone_skip_lock(void)
{
	return false;
}

static inline bool btrfsx_debug_runner_skip(struct btrfsx_fs *fs, u64 bytenr,
					    u64 len)
{
	return false;
}
#endif

#endif
