/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The btrfsx extent rule: a data extent's references change only under a
 * lock on the extent's DISK range [disk_bytenr, disk_bytenr + len) from the
 * range-lock manager.  Clone and dedupe hold it shared from reading a source
 * file extent item until the new reference is queued; relocation holds it
 * exclusive while it moves references from the old to the new location, and
 * fences a data block group while the reloc roots that still reference its
 * old extents are dropped.  See docs/extent-rule.md and docs/locking.md.
 *
 * The protocols live in src/extent-rule.c; patched btrfs only calls the hooks
 * below at the places named after them, with values it read from its items.
 * Nothing here knows a btrfs structure, so it is the same for every series.
 */
#ifndef BTRFSX_EXTENT_RULE_H
#define BTRFSX_EXTENT_RULE_H

#include <linux/types.h>
#include "btrfsx/range-lock.h"

struct btrfsx_fs;
struct task_struct;

/*
 * The debug build's record of the extent a task is working on and the lock
 * it holds on it, for the assertion where data references are queued
 * (src/extent-rule-debug.c).  Empty in release builds.
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

/*
 * Clone and dedupe, one per btrfs_clone() call:
 *
 *	BTRFSX_CLONE(bx, fs, dedupe);		(with the declarations)
 *	loop over the source items, leaf locked:
 *		ret = btrfsx_clone_item(&bx, disk_bytenr, disk_num_bytes);
 *		if (ret == BTRFSX_CLONE_WAIT) {
 *			release the path;
 *			ret = btrfsx_clone_wait(&bx);	(0 or -EINTR)
 *			search the same key again;
 *		}
 *		copy the item, release the path, queue its new reference;
 *		btrfsx_clone_item_end(&bx);
 *
 * BTRFSX_CLONE() declares the state with the cleanup attribute, as 6.5+
 * btrfs declares its auto-freed paths: btrfsx_clone_end() runs on every
 * return, so the patch needs no call on btrfs_clone()'s exit paths, which
 * differ between kernel series.
 *
 * disk_bytenr is 0 for holes and inline extents (nothing to lock).  The lock
 * on the source extent is taken shared, with only a trylock while the leaf is
 * locked; after a wait the item is read again and revalidated: the held lock
 * is kept only if it still covers the extent the item now points at.
 */
struct btrfsx_clone {
	struct btrfsx_fs *fs;
	struct btrfsx_range_req req;	/* the source extent's DISK lock */
	u64 bytenr;			/* the extent to wait for */
	u64 len;
	bool locked;
	bool scoped;			/* scope open (on the first item) */
	enum btrfsx_range_caller caller;
	struct btrfsx_rule_scope scope;
};

#define BTRFSX_CLONE_WAIT	1

void btrfsx_clone_end(struct btrfsx_clone *c);

#define BTRFSX_CLONE_INIT(_fs, dedupe) {				\
	.fs = (_fs),							\
	.caller = (dedupe) ? BTRFSX_RANGE_DEDUPE : BTRFSX_RANGE_CLONE,	\
}

#define BTRFSX_CLONE(name, _fs, dedupe)					\
	struct btrfsx_clone name					\
		__attribute__((__cleanup__(btrfsx_clone_end))) =	\
		BTRFSX_CLONE_INIT(_fs, dedupe)

int btrfsx_clone_item(struct btrfsx_clone *c, u64 disk_bytenr, u64 disk_len);
int btrfsx_clone_wait(struct btrfsx_clone *c);
void btrfsx_clone_item_end(struct btrfsx_clone *c);

/*
 * Relocation, one per leaf in replace_file_extents():
 *
 *	BTRFSX_RELOC_LEAF(bx, fs);		(with the declarations)
 *	for each item pointing into the block group:
 *		if (!btrfsx_reloc_item(&bx, bytenr, num_bytes, reloc_tree))
 *			skip the item: a clone or dedupe holds the extent;
 *		move its reference from the old to the new extent;
 *
 * Tree locks and a transaction handle are held, so btrfsx_reloc_item() never
 * waits: it try-locks the old extent exclusive (or finds it under the task's
 * own fence) and says to skip the item when that fails, as upstream skips an
 * item whose file range is busy; the block group loop comes back to it.  The
 * lock is released at the next item or when the leaf is done
 * (btrfsx_reloc_leaf_end(), by the cleanup attribute), after both of the
 * item's references (+Y, -X) are queued.  Reloc tree leaves (@reloc_tree)
 * only move references their own COW added: not locked.
 */
struct btrfsx_reloc_leaf {
	struct btrfsx_fs *fs;
	struct btrfsx_range_req req;
	bool locked;
	bool scoped;
#ifdef BTRFSX_DEBUG
	bool mmap_lock;		/* 6.12+: the item's upstream trylock taken */
#endif
	struct btrfsx_rule_scope scope;
};

void btrfsx_reloc_leaf_end(struct btrfsx_reloc_leaf *rl);

#define BTRFSX_RELOC_LEAF_INIT(_fs) { .fs = (_fs) }

#define BTRFSX_RELOC_LEAF(name, _fs)					\
	struct btrfsx_reloc_leaf name					\
		__attribute__((__cleanup__(btrfsx_reloc_leaf_end))) =	\
		BTRFSX_RELOC_LEAF_INIT(_fs)

bool btrfsx_reloc_item(struct btrfsx_reloc_leaf *rl, u64 bytenr, u64 len,
		       bool reloc_tree);

/*
 * Relocation's reloc-root drop at the end of each relocate_block_group()
 * pass: after the merge swapped subvolume leaves for their relocated copies,
 * the old leaves (now in the reloc trees) still reference the old extents,
 * and dropping the reloc roots drops those references.  When the pass moved
 * data pointers (@moved_data: the update-data-pointers pass of a block group
 * holding data), the block group's DISK range
 * [@start, +@len) is fenced exclusive around the drop, so that no clone or
 * dedupe is between reading an old item and queueing its reference.  Other
 * passes drop no reference that could be a data extent's last: no fence.
 */
void btrfsx_reloc_drop_begin(struct btrfsx_fs *fs, u64 start, u64 len,
			     bool moved_data);
void btrfsx_reloc_drop_end(struct btrfsx_fs *fs);

/*
 * Debug builds only (src/extent-rule-debug.c): the experiment switches of the
 * race matrix (module parameters debug_*, docs/extent-rule.md) and the
 * assertion where data references are queued.  Release builds have the rule
 * and upstream's protection always on, no switch and no assertion.
 */
#ifdef BTRFSX_DEBUG
bool btrfsx_rule_enabled(void);
bool btrfsx_upstream_protection(void);
bool btrfsx_debug_clone_skip_lock(void);
void btrfsx_debug_clone_delay(void);
bool btrfsx_debug_reloc_mmap_lock(struct btrfsx_reloc_leaf *rl);
bool btrfsx_debug_runner_skip(struct btrfsx_fs *fs, u64 bytenr, u64 len);
void btrfsx_assert_data_ref(struct btrfsx_fs *fs, bool add, u64 bytenr,
			    u64 len);
void btrfsx_rule_scope_open(struct btrfsx_rule_scope *scope,
			    struct btrfsx_fs *fs,
			    enum btrfsx_range_caller caller, bool excl);
void btrfsx_rule_scope_close(struct btrfsx_rule_scope *scope);

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
static inline bool btrfsx_rule_enabled(void)
{
	return true;
}

static inline bool btrfsx_debug_clone_skip_lock(void)
{
	return false;
}

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
#endif

/* The DISK range of data extent [@bytenr, +@len), for src/ only. */
int btrfsx_extent_lock(struct btrfsx_fs *fs, u64 bytenr, u64 len,
		       enum btrfsx_range_mode mode,
		       enum btrfsx_range_caller caller,
		       struct btrfsx_range_req *req);
bool btrfsx_extent_trylock(struct btrfsx_fs *fs, u64 bytenr, u64 len,
			   enum btrfsx_range_mode mode,
			   enum btrfsx_range_caller caller,
			   struct btrfsx_range_req *req);
bool btrfsx_extent_held(struct btrfsx_fs *fs,
			const struct btrfsx_range_req *req,
			u64 bytenr, u64 len, bool excl);

#endif
