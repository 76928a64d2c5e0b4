/* SPDX-License-Identifier: GPL-2.0 */
/*
 * btrfsx's own module setup, called first by init_btrfs_fs() and last by
 * exit_btrfs_fs() (call-btrfsx-init-and-exit.patch).
 */
#ifndef BTRFSX_MODULE_H
#define BTRFSX_MODULE_H

int btrfsx_init(void);
void btrfsx_exit(void);

#endif
