/* SPDX-License-Identifier: GPL-2.0 */
/*
 * FILE-range locks of clone and dedupe.
 *
 * Every btrfs inode embeds a struct btrfsx_inode: one pointer to a FILE
 * domain of the range-lock manager, allocated on the inode's first FILE lock
 * (most inodes never take one) and keyed by the inode number.  Clone and
 * dedupe take their file ranges there (the destination exclusive, on 6.1 the
 * source shared), before the inode's io_tree range lock that upstream takes.
 * The manager orders them (FILE before DISK, inodes by number and address),
 * counts them per subsystem, shows them to lockdep and tracing; the io_tree
 * lock, kept as upstream has it, is what excludes every other user of the
 * inode's extent locks (buffered and direct IO, readahead, fiemap, defrag,
 * writeback), so that exclusion stays exactly as strong as stock.  See
 * docs/locking.md.
 *
 * Like extent-rule.h, this knows no btrfs structure.
 */
#ifndef BTRFSX_FILE_LOCK_H
#define BTRFSX_FILE_LOCK_H

#include <linux/types.h>
#include "btrfsx/range-lock.h"

struct btrfsx_fs;	/* per-filesystem state, see btrfsx_fs_stats() */

/* The statistics FILE domains of @fs count in; defined with struct btrfsx_fs. */
struct btrfsx_range_stats __percpu *btrfsx_fs_stats(struct btrfsx_fs *fs);

/* Embedded in struct btrfs_inode; the FILE domain is allocated on first lock. */
struct btrfsx_inode {
	struct btrfsx_range_domain *file_locks;
};

void btrfsx_inode_init(struct btrfsx_inode *bi);
void btrfsx_inode_destroy(struct btrfsx_inode *bi);

/* The file ranges of one clone or dedupe call. */
struct btrfsx_remap_locks {
	struct btrfsx_range_req src;
	struct btrfsx_range_req dst;
	unsigned int nr;
};

/* Clone/dedupe: dst exclusive, src shared (src may be NULL: not locked). */
int btrfsx_remap_lock(struct btrfsx_remap_locks *locks, struct btrfsx_fs *fs,
		      struct btrfsx_inode *src, u64 src_ino, u64 src_off,
		      struct btrfsx_inode *dst, u64 dst_ino, u64 dst_off, u64 len,
		      enum btrfsx_range_caller caller);
void btrfsx_remap_unlock(struct btrfsx_remap_locks *locks);

#endif
