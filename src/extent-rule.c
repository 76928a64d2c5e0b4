// SPDX-License-Identifier: GPL-2.0
/*
 * The btrfsx extent rule (include/btrfsx/extent-rule.h): the protocols that
 * clone, dedupe and relocation follow on the DISK lock domain.
 */

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/limits.h>
#include <linux/sched.h>
#include "btrfsx/extent-rule.h"
#include "btrfsx/fs.h"

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

/*
 * The rule scope of a clone or of a relocation leaf opens on its first item
 * and closes when the state ends (its owner's cleanup attribute), if open.
 */
static void scope_enter(struct btrfsx_rule_scope *scope, bool *scoped,
			struct btrfsx_fs *fs, enum btrfsx_range_caller caller,
			bool excl)
{
	if (*scoped)
		return;
	btrfsx_rule_scope_open(scope, fs, caller, excl);
	*scoped = true;
}

static void scope_leave(struct btrfsx_rule_scope *scope, bool *scoped)
{
	if (!*scoped)
		return;
	btrfsx_rule_scope_close(scope);
	*scoped = false;
}

/* Clone and dedupe */

static void clone_unlock(struct btrfsx_clone *c)
{
	if (c->locked) {
		btrfsx_range_unlock(&c->req);
		c->locked = false;
	}
}

/**
 * btrfsx_clone_item - the source item points at extent [@disk_bytenr, +@len)
 * @c:           the clone's state
 * @disk_bytenr: the item's disk_bytenr; 0 for a hole or an inline extent
 * @disk_len:    the item's disk_num_bytes
 *
 * Called with the source leaf locked, so it only try-locks.
 *
 * Return: 0 when the clone may copy the item (the extent's DISK range is held
 * shared, or there is nothing to hold); BTRFSX_CLONE_WAIT when the caller must
 * release the path, call btrfsx_clone_wait() and read the item again.
 */
int btrfsx_clone_item(struct btrfsx_clone *c, u64 disk_bytenr, u64 disk_len)
{
	scope_enter(&c->scope, &c->scoped, c->fs, c->caller, false);
	/* Revalidate: after a wait the item may point at another extent. */
	if (c->locked &&
	    !btrfsx_extent_held(c->fs, &c->req, disk_bytenr, disk_len, false))
		clone_unlock(c);
	if (!disk_bytenr || !btrfsx_rule_enabled() ||
	    btrfsx_debug_clone_skip_lock()) {
		btrfsx_rule_scope_extent(&c->scope, disk_bytenr,
					 disk_bytenr ? disk_len : 0, NULL);
		return 0;
	}
	if (!c->locked) {
		if (!btrfsx_extent_trylock(c->fs, disk_bytenr, disk_len,
					   BTRFSX_RANGE_SHARED, c->caller,
					   &c->req)) {
			c->bytenr = disk_bytenr;
			c->len = disk_len;
			return BTRFSX_CLONE_WAIT;
		}
		c->locked = true;
	}
	btrfsx_rule_scope_extent(&c->scope, disk_bytenr, disk_len, &c->req);
	return 0;
}

/*
 * Wait for the extent btrfsx_clone_item() could not try-lock, holding no
 * tree lock.  The lock stays held for the item read next, if it still points
 * there.  Return: 0, or -EINTR on a fatal signal.
 */
int btrfsx_clone_wait(struct btrfsx_clone *c)
{
	int ret;

	if (WARN_ON_ONCE(c->locked || !c->bytenr))
		return -EINVAL;
	ret = btrfsx_extent_lock(c->fs, c->bytenr, c->len, BTRFSX_RANGE_SHARED,
				 c->caller, &c->req);
	if (!ret)
		c->locked = true;
	return ret;
}

/* The item's new reference is queued: the extent is not the clone's now. */
void btrfsx_clone_item_end(struct btrfsx_clone *c)
{
	btrfsx_rule_scope_extent(&c->scope, 0, 0, NULL);
	clone_unlock(c);
}

/* Every return of btrfs_clone(), by BTRFSX_CLONE()'s cleanup attribute. */
void btrfsx_clone_end(struct btrfsx_clone *c)
{
	clone_unlock(c);
	scope_leave(&c->scope, &c->scoped);
}

/* Relocation */

static void reloc_item_end(struct btrfsx_reloc_leaf *rl)
{
	btrfsx_rule_scope_extent(&rl->scope, 0, 0, NULL);
	if (rl->locked) {
		btrfsx_range_unlock(&rl->req);
		rl->locked = false;
	}
}

/* Return: true to move the item's reference, false to skip the item. */
bool btrfsx_reloc_item(struct btrfsx_reloc_leaf *rl, u64 bytenr, u64 len,
		       bool reloc_tree)
{
	struct btrfsx_fs *fs = rl->fs;
	const struct btrfsx_range_req *held;

	scope_enter(&rl->scope, &rl->scoped, fs, BTRFSX_RANGE_RELOCATION, true);
	/* The previous item's references are queued (or it was skipped). */
	reloc_item_end(rl);
	if (reloc_tree || !btrfsx_rule_enabled())
		return true;
	if (READ_ONCE(fs->fence_owner) == current &&
	    btrfsx_extent_held(fs, &fs->fence, bytenr, len, true)) {
		held = &fs->fence;
	} else if (btrfsx_extent_trylock(fs, bytenr, len, BTRFSX_RANGE_EXCL,
					 BTRFSX_RANGE_RELOCATION, &rl->req)) {
		rl->locked = true;
		held = &rl->req;
	} else {
		atomic64_inc(&fs->reloc_busy);
		return false;
	}
	/* -X needs X held exclusive; +Y is the new copy's. */
	btrfsx_rule_scope_extent(&rl->scope, bytenr, len, held);
	return true;
}

/* The leaf is done: by BTRFSX_RELOC_LEAF()'s cleanup attribute. */
void btrfsx_reloc_leaf_end(struct btrfsx_reloc_leaf *rl)
{
	reloc_item_end(rl);
	scope_leave(&rl->scope, &rl->scoped);
}

/*
 * The fence is waited for holding no transaction handle and no inode lock;
 * the drop takes no inode lock, so a clone that waits for the fence while it
 * holds its file ranges cannot block it, and the clones it waits for hold a
 * source extent only from reading its item to queueing its reference.  Not
 * earlier than the drop: the merge locks user inodes' extent ranges
 * (invalidate_extent_cache()), which such a waiting clone holds.
 */
void btrfsx_reloc_drop_begin(struct btrfsx_fs *fs, u64 start, u64 len,
			     bool moved_data)
{
	atomic64_inc(&fs->reloc_passes);
	if (!moved_data || !btrfsx_rule_enabled() || !len)
		return;
	if (WARN_ON_ONCE(fs->fence_owner))
		return;
	btrfsx_range_lock_nokill(&fs->disk, start, extent_last(start, len),
				 BTRFSX_RANGE_EXCL, BTRFSX_RANGE_RELOCATION,
				 &fs->fence);
	WRITE_ONCE(fs->fence_owner, current);
	atomic64_inc(&fs->reloc_fenced);
	/* The drop queues DROPs of the block group's extents: all fenced. */
	btrfsx_rule_scope_open(&fs->fence_scope, fs, BTRFSX_RANGE_RELOCATION,
			       true);
	btrfsx_rule_scope_extent(&fs->fence_scope, start, len, &fs->fence);
}

void btrfsx_reloc_drop_end(struct btrfsx_fs *fs)
{
	if (fs->fence_owner != current)
		return;
	btrfsx_rule_scope_close(&fs->fence_scope);
	WRITE_ONCE(fs->fence_owner, NULL);
	btrfsx_range_unlock(&fs->fence);
}
