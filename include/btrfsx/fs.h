/* SPDX-License-Identifier: GPL-2.0 */
/*
 * btrfsx's per-filesystem state, hung off struct btrfs_fs_info: the DISK lock
 * domain of the extent rule, the lock statistics, relocation's fence and its
 * counters, and their sysfs directory /sys/fs/btrfsx/<fsid>/range_locks/.
 */
#ifndef BTRFSX_FS_H
#define BTRFSX_FS_H

#include <linux/atomic.h>
#include <linux/types.h>
#include "btrfsx/extent-rule.h"
#include "btrfsx/range-lock.h"

struct kobject;
struct task_struct;

struct btrfsx_fs {
	struct btrfsx_range_domain disk;	/* logical disk bytes */
	struct btrfsx_range_stats __percpu *stats;
	struct kobject *kobj;			/* <fsid>/range_locks */
	/*
	 * Relocation's fence over a data block group while its reloc roots
	 * drop (src/extent-rule.c).  One balance runs per filesystem at a
	 * time, so one fence is enough; fence_owner is the task holding it.
	 */
	struct btrfsx_range_req fence;
	struct task_struct *fence_owner;
	struct btrfsx_rule_scope fence_scope;
	atomic64_t reloc_passes;	/* relocate_block_group() passes */
	atomic64_t reloc_fenced;	/* ... of them fenced */
	atomic64_t reloc_busy;		/* items skipped: DISK range busy */
};

struct btrfsx_fs *btrfsx_fs_alloc(void);
void btrfsx_fs_free(struct btrfsx_fs *fs);
int btrfsx_fs_sysfs_add(struct btrfsx_fs *fs, struct kobject *fsid_kobj);
void btrfsx_fs_sysfs_remove(struct btrfsx_fs *fs);
struct btrfsx_range_stats __percpu *btrfsx_fs_stats(struct btrfsx_fs *fs);

#endif
