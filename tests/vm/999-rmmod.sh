#!/bin/bash
# Purpose: rmmod btrfsx is clean: its sysfs dir, control device, trace system
# and slab caches go away; stock btrfs keeps its own and still works.
. ./common.sh
_require_disks 1
D=${DISKS[0]}
_mkfs "$D"
_mount btrfsx "$D" $SCRATCH/m
_populate $SCRATCH/m
_umount $SCRATCH/m
_run rmmod btrfsx
grep -q '^btrfsx ' /proc/modules && _fail "btrfsx still loaded"
[ ! -e /sys/fs/btrfsx ] || _fail "/sys/fs/btrfsx still there"
[ ! -e /dev/btrfsx-control ] || _fail "/dev/btrfsx-control still there"
[ ! -e /sys/kernel/tracing/events/btrfsx ] || _fail "trace system btrfsx still there"
# Caches SLUB merged into others leave their alias symlink behind (kernel
# behaviour); a cache of btrfsx's own must be gone.
left=$(find /sys/kernel/slab -maxdepth 1 -name 'btrfsx_*' -type d | head -3)
[ -z "$left" ] || _fail "btrfsx slab caches left: $left"
grep -q '^btrfsx_' /proc/slabinfo && _fail "btrfsx caches in /proc/slabinfo: $(grep '^btrfsx_' /proc/slabinfo | head -3)"
[ -e /sys/kernel/slab/btrfs_inode ] || _fail "stock btrfs_inode slab dir gone"
[ -d /sys/fs/btrfs/features ] || _fail "/sys/fs/btrfs gone"
_mount btrfs "$D" $SCRATCH/m
[ -f $SCRATCH/m/f1000 ] || _fail "stock btrfs cannot read the fs after rmmod btrfsx"
_umount $SCRATCH/m
_btrfs_check "$D"
# Load it again for whatever runs next.
ko=$(_btrfsx_ko) && insmod "$ko"
grep -q '^btrfsx ' /proc/modules || _fail "cannot load btrfsx again"
exit 0
