// SPDX-License-Identifier: GPL-2.0
/*
 * FILE-range locks of clone, dedupe and the data-relocation inode: the
 * manager's FILE domain of each inode, taken before the io_tree lock that
 * upstream takes.  See include/btrfsx/file-lock.h and docs/locking.md.
 */

#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include "btrfsx/file-lock.h"

void btrfsx_inode_init(struct btrfsx_inode *bi)
{
	bi->file_locks = NULL;
}

void btrfsx_inode_destroy(struct btrfsx_inode *bi)
{
	if (!bi->file_locks)
		return;
	btrfsx_range_domain_destroy(bi->file_locks);
	kfree(bi->file_locks);
	bi->file_locks = NULL;
}

/* The inode's FILE domain, allocated on first use. */
static struct btrfsx_range_domain *inode_domain(struct btrfsx_fs *fs,
						struct btrfsx_inode *bi,
						u64 ino, gfp_t gfp)
{
	struct btrfsx_range_domain *dom = READ_ONCE(bi->file_locks);
	struct btrfsx_range_domain *old;

	if (dom)
		return dom;
	dom = kmalloc(sizeof(*dom), gfp);
	if (!dom)
		return NULL;
	btrfsx_range_domain_init_file(dom, ino, btrfsx_fs_stats(fs));
	old = cmpxchg(&bi->file_locks, NULL, dom);
	if (old) {
		kfree(dom);
		return old;
	}
	return dom;
}

void btrfsx_file_lock(struct btrfsx_fs *fs, struct btrfsx_inode *bi, u64 ino,
		      u64 start, u64 end, enum btrfsx_range_caller caller,
		      struct btrfsx_range_req *req)
{
	struct btrfsx_range_domain *dom;

	dom = inode_domain(fs, bi, ino, GFP_NOFS | __GFP_NOFAIL);
	/* Uninterruptible, as the io_tree lock that follows. */
	btrfsx_range_lock_nokill(dom, start, end, BTRFSX_RANGE_EXCL, caller,
				 req);
}

void btrfsx_file_unlock(struct btrfsx_range_req *req)
{
	btrfsx_range_unlock(req);
}

/**
 * btrfsx_remap_lock - lock the file ranges of a clone or dedupe call
 * @locks:   where the requests live until btrfsx_remap_unlock()
 * @src:     the source inode's FILE domain, or NULL not to lock the source
 * @src_off: first source byte
 * @dst:     the destination inode's FILE domain
 * @dst_off: first destination byte
 * @len:     bytes in each range, > 0
 * @caller:  BTRFSX_RANGE_CLONE or BTRFSX_RANGE_DEDUPE
 *
 * The destination is locked exclusive, the source shared: the source's items
 * are only read.  Both are queued through btrfsx_range_lock_multi(), which
 * orders the two inodes.  Within one inode the VFS refuses overlapping clone
 * and dedupe ranges; should overlapping ranges arrive anyway, one exclusive
 * lock covers both instead of a self-deadlock.
 *
 * Return: 0 with the ranges held, -EINTR (fatal signal) or -EINVAL with none.
 */
int btrfsx_remap_lock(struct btrfsx_remap_locks *locks, struct btrfsx_fs *fs,
		      struct btrfsx_inode *src_inode, u64 src_ino, u64 src_off,
		      struct btrfsx_inode *dst_inode, u64 dst_ino, u64 dst_off,
		      u64 len, enum btrfsx_range_caller caller)
{
	struct btrfsx_range_domain *src = NULL, *dst;
	struct btrfsx_range_req *reqs[2] = { &locks->dst, &locks->src };
	u64 src_end = src_off + len - 1;
	u64 dst_end = dst_off + len - 1;
	int ret;

	locks->nr = 0;
	dst = inode_domain(fs, dst_inode, dst_ino, GFP_NOFS);
	if (src_inode)
		src = inode_domain(fs, src_inode, src_ino, GFP_NOFS);
	if (!dst || (src_inode && !src))
		return -ENOMEM;
	if (WARN_ON_ONCE(!len || dst_end < dst_off ||
			 (src && src_end < src_off)))
		return -EINVAL;
	if (src == dst && src_off <= dst_end && dst_off <= src_end) {
		dst_off = min(src_off, dst_off);
		dst_end = max(src_end, dst_end);
		src = NULL;
	}
	btrfsx_range_req_init(&locks->dst, dst, dst_off, dst_end,
			      BTRFSX_RANGE_EXCL, caller);
	if (src)
		btrfsx_range_req_init(&locks->src, src, src_off, src_end,
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
