// SPDX-License-Identifier: GPL-2.0
/*
 * FILE-range locks of clone and dedupe: the manager's FILE domain of each
 * inode, allocated on the inode's first FILE lock and taken before the
 * io_tree lock that upstream takes.  See include/btrfsx/file-lock.h and
 * docs/locking.md.
 */

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include "btrfsx/file-lock.h"

/* A btrfs inode starts without a FILE domain. */
void btrfsx_inode_init(struct btrfsx_inode *bi)
{
	bi->file_locks = NULL;
}

/*
 * Frees the inode's FILE domain.  A range still queued there is a bug: warn,
 * and leak the domain rather than free memory its waiters still use.
 */
void btrfsx_inode_destroy(struct btrfsx_inode *bi)
{
	struct btrfsx_range_domain *dom = bi->file_locks;

	bi->file_locks = NULL;
	if (dom && btrfsx_range_domain_destroy(dom))
		kfree(dom);
}

/*
 * The FILE domain of @bi, allocated on first use; NULL if that fails.
 * Concurrent first users each allocate one and race to install it: the
 * loser frees its copy and uses the winner's.  A successful cmpxchg orders
 * the domain's initialization before its publication; readers load the
 * pointer with acquire (a failed cmpxchg orders nothing).
 */
static struct btrfsx_range_domain *file_domain(struct btrfsx_fs *fs,
					       struct btrfsx_inode *bi,
					       u64 ino)
{
	struct btrfsx_range_domain *dom, *old;

	/* Pairs with the cmpxchg that installed it: it is initialized. */
	dom = smp_load_acquire(&bi->file_locks);
	if (dom)
		return dom;
	dom = kmalloc(sizeof(*dom), GFP_NOFS);
	if (!dom)
		return NULL;
	btrfsx_range_domain_init_file(dom, ino, fs ? btrfsx_fs_stats(fs) : NULL);
	old = cmpxchg(&bi->file_locks, NULL, dom);
	if (old) {
		kfree(dom);
		/* As above: the winner's domain is initialized. */
		return smp_load_acquire(&bi->file_locks);
	}
	return dom;
}

/**
 * btrfsx_remap_lock - lock the file ranges of a clone or dedupe call
 * @locks:   where the requests live until btrfsx_remap_unlock()
 * @fs:      the filesystem, for the statistics (may be NULL: none)
 * @src:     the source inode, or NULL not to lock the source
 * @src_ino: the source inode's number
 * @src_off: first source byte
 * @dst:     the destination inode
 * @dst_ino: the destination inode's number
 * @dst_off: first destination byte
 * @len:     bytes in each range, > 0
 * @caller:  BTRFSX_RANGE_CLONE or BTRFSX_RANGE_DEDUPE
 *
 * The destination is locked exclusive, the source shared: the source's items
 * are only read.  Both are queued through btrfsx_range_lock_multi(), which
 * orders the two inodes by (number, address): two inodes of different
 * subvolumes may have the same number.  Within one inode the VFS refuses
 * overlapping clone and dedupe ranges; should overlapping ranges arrive
 * anyway, one exclusive lock covers both instead of a self-deadlock.
 *
 * Return: 0 with the ranges held; -EINTR (fatal signal), -ENOMEM (no memory
 * for an inode's first FILE domain) or -EINVAL (bad length) with none.
 */
int btrfsx_remap_lock(struct btrfsx_remap_locks *locks, struct btrfsx_fs *fs,
		      struct btrfsx_inode *src, u64 src_ino, u64 src_off,
		      struct btrfsx_inode *dst, u64 dst_ino, u64 dst_off, u64 len,
		      enum btrfsx_range_caller caller)
{
	struct btrfsx_range_req *reqs[2] = { &locks->dst, &locks->src };
	struct btrfsx_range_domain *src_dom = NULL, *dst_dom;
	u64 src_end = src_off + len - 1;
	u64 dst_end = dst_off + len - 1;
	int ret;

	locks->nr = 0;
	if (WARN_ON_ONCE(!len || dst_end < dst_off ||
			 (src && src_end < src_off)))
		return -EINVAL;
	if (src == dst && src_off <= dst_end && dst_off <= src_end) {
		dst_off = min(src_off, dst_off);
		dst_end = max(src_end, dst_end);
		src = NULL;
	}
	dst_dom = file_domain(fs, dst, dst_ino);
	if (src)
		src_dom = file_domain(fs, src, src_ino);
	if (!dst_dom || (src && !src_dom))
		return -ENOMEM;

	btrfsx_range_req_init(&locks->dst, dst_dom, dst_off, dst_end,
			      BTRFSX_RANGE_EXCL, caller);
	if (src)
		btrfsx_range_req_init(&locks->src, src_dom, src_off, src_end,
				      BTRFSX_RANGE_SHARED, caller);
	ret = btrfsx_range_lock_multi(reqs, src ? 2 : 1);
	if (!ret)
		locks->nr = src ? 2 : 1;
	return ret;
}

void btrfsx_remap_unlock(struct btrfsx_remap_locks *locks)
{
	struct btrfsx_range_req *reqs[2] = { &locks->dst, &locks->src };

	btrfsx_range_unlock_multi(reqs, locks->nr);
	locks->nr = 0;
}
