/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compatibility with the stock btrfs names and with btrfs-progs
 * (src/names.c, docs/btrfs-progs.md).  Chosen at load time:
 *
 *   btrfsx.dropin=0 (default)  filesystem type btrfsx, /sys/fs/btrfsx,
 *                              /dev/btrfsx-control (dynamic minor): loads next
 *                              to the stock btrfs module.
 *   btrfsx.dropin=1            the stock names: type btrfs, /sys/fs/btrfs,
 *                              /dev/btrfs-control (minor 234 when free);
 *                              refused while the stock module is loaded.
 *
 *   btrfsx.progs_compat=1 (default)  /proc/mounts shows btrfsx superblocks as
 *                              type btrfs (the name of a second, never
 *                              registered file_system_type), and while the
 *                              stock module is loaded each mounted btrfsx
 *                              filesystem is linked as /sys/fs/btrfs/<fsid>
 *                              -> ../btrfsx/<fsid>: btrfs-progs look for both.
 *   btrfsx.progs_compat=0      /proc/mounts shows btrfsx, no links.
 *
 * Called by patches/<series>/0008-*.patch from fs/btrfs/super.c and sysfs.c;
 * the literal names live in src/ because patches/rename.rules rewrites every
 * "btrfs" literal of the imported tree.
 */
#ifndef BTRFSX_NAMES_H
#define BTRFSX_NAMES_H

#include <linux/types.h>

struct file_system_type;
struct kobject;
struct miscdevice;

/* Checks the parameters and, in drop-in mode, that stock btrfs is absent. */
int btrfsx_names_init(void);
/* btrfsx, or btrfs in drop-in mode: the mount(2) type and the /sys/fs/ dir. */
const char *btrfsx_name(void);
/*
 * Names both types, registers @fs_type; @sb_type stays unregistered.  An
 * @sb_type without kill_sb (defined empty by the 6.12 and 7.2 patches)
 * first becomes a copy of @fs_type.
 */
int btrfsx_register_filesystem(struct file_system_type *fs_type,
			       struct file_system_type *sb_type);
/* Names the control device and registers it with its minor. */
int btrfsx_misc_register(struct miscdevice *misc);

/* /sys/fs/btrfs/<fsid> links to a filesystem's /sys/fs/btrfsx/<fsid>. */
void btrfsx_sysfs_link_fsid(struct kobject *fsid_kobj);
void btrfsx_sysfs_unlink_fsid(struct kobject *fsid_kobj);
/* After the fsid directory was renamed (seed sprouting). */
void btrfsx_sysfs_relink_fsid(struct kobject *fsid_kobj);

#endif
