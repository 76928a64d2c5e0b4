/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What patched btrfs calls.  Kbuild includes it in every file of the tree
 * (-include), so the patches in patches/ carry call sites and no #include.
 * Each hook is named after its call site and documented in its room's header:
 *
 *   module.h       btrfsx_init/exit                   init_btrfs_fs(), exit_btrfs_fs()
 *   names.h        names chosen at load time          super.c, sysfs.c
 *   fs.h           btrfsx_fs_alloc/free, sysfs        open_ctree(), btrfs_free_fs_info(), sysfs.c
 *   file-lock.h    btrfsx_inode_init/destroy          btrfs_alloc_inode(), btrfs_destroy_inode()
 *                  btrfsx_remap_lock/unlock           clone and dedupe file ranges (reflink.c)
 *   extent-rule.h  BTRFSX_CLONE(), btrfsx_clone_*     btrfs_clone()
 *                  BTRFSX_RELOC_LEAF(), btrfsx_reloc_item   replace_file_extents()
 *                  btrfsx_reloc_drop_begin/end        relocate_block_group(), around
 *                                                     clean_dirty_subvols()
 *                  debug builds: the experiment switches (btrfs_clone(),
 *                  replace_file_extents()) and btrfsx_assert_data_ref()
 *                  (btrfs_add_delayed_data_ref()), called from the debug series only
 *   range-lock-bench.h  debug builds: the microbenchmark's io_tree calls,
 *                  defined in extent-io-tree.c by the debug series
 *
 * Logic lives in src/; a hook's caller passes only what it read from btrfs.
 */
#ifndef BTRFSX_HOOKS_H
#define BTRFSX_HOOKS_H

#include "btrfsx/extent-rule.h"
#include "btrfsx/file-lock.h"
#include "btrfsx/fs.h"
#include "btrfsx/module.h"
#include "btrfsx/names.h"
#include "btrfsx/range-lock-bench.h"

#endif
