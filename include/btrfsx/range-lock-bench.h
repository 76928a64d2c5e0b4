/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Debug builds only: the in-kernel microbenchmark of the range lock manager
 * against btrfs's io_tree extent locks (src/range-lock-bench.c), read through
 * /sys/kernel/debug/btrfsx/range_lock_bench.
 *
 * The io_tree API differs between kernel series, so the few functions the
 * benchmark needs from it live in extent-io-tree.c, added by
 * patches/<series>/debug-range-lock-microbenchmark.patch.
 */
#ifndef BTRFSX_RANGE_LOCK_BENCH_H
#define BTRFSX_RANGE_LOCK_BENCH_H

#include <linux/types.h>

#ifdef BTRFSX_DEBUG

struct extent_io_tree;
struct extent_state;

/*
 * extent-io-tree.c (debug-range-lock-microbenchmark.patch): an empty io tree
 * with no fs_info/inode.
 */
struct extent_io_tree *btrfsx_bench_io_tree_alloc(void);
void btrfsx_bench_io_tree_free(struct extent_io_tree *tree);
/* EXTENT_LOCKED on [start, end]: the stock lock_extent()/unlock_extent(). */
int btrfsx_bench_io_lock(struct extent_io_tree *tree, u64 start, u64 end,
			 struct extent_state **cached);
void btrfsx_bench_io_unlock(struct extent_io_tree *tree, u64 start, u64 end,
			    struct extent_state **cached);

/* src/range-lock-bench.c, called by btrfsx_init()/btrfsx_exit(). */
void btrfsx_range_lock_bench_init(void);
void btrfsx_range_lock_bench_exit(void);

#endif

#endif
