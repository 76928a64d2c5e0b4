#!/bin/bash
# Purpose: a btrfs and a btrfsx filesystem are mounted at the same time; each
# has its own /sys/fs/<module>/<uuid>. With btrfsx.progs_compat=1 (the
# default, docs/btrfs-progs.md) /proc/mounts says btrfs for both, and the
# btrfsx one is also /sys/fs/btrfs/<uuid>, a link to ../btrfsx/<uuid>.
. ./common.sh
_require_disks 2
A=${DISKS[0]} B=${DISKS[1]}
_mkfs "$A"
_mkfs "$B"
_mount btrfs "$A" $SCRATCH/a
_mount btrfsx "$B" $SCRATCH/b
[ "$(_fstype $SCRATCH/a)" = btrfs ] || _fail "$SCRATCH/a is $(_fstype $SCRATCH/a)"
[ "$(_fstype $SCRATCH/b)" = btrfs ] || _fail "$SCRATCH/b is $(_fstype $SCRATCH/b) (progs_compat=1: btrfs)"
ua=$(blkid -s UUID -o value "$A")
ub=$(blkid -s UUID -o value "$B")
[ -d /sys/fs/btrfs/$ua ] || _fail "/sys/fs/btrfs/$ua missing"
[ -d /sys/fs/btrfsx/$ub ] || _fail "/sys/fs/btrfsx/$ub missing"
[ ! -e /sys/fs/btrfsx/$ua ] || _fail "btrfs fs $ua shows up under /sys/fs/btrfsx"
[ "$(readlink /sys/fs/btrfs/$ub)" = "../btrfsx/$ub" ] ||
	_fail "/sys/fs/btrfs/$ub is not a link to ../btrfsx/$ub: $(ls -ld /sys/fs/btrfs/$ub 2>&1)"
_populate $SCRATCH/a
_populate $SCRATCH/b
_sums $SCRATCH/a >/tmp/a.sums
_sums $SCRATCH/b >/tmp/b.sums
_umount $SCRATCH/a
_umount $SCRATCH/b
_mount btrfs "$A" $SCRATCH/a
_mount btrfsx "$B" $SCRATCH/b
_verify $SCRATCH/a /tmp/a.sums
_verify $SCRATCH/b /tmp/b.sums
dmesg | grep -q "BTRFSX info (device ${B#/dev/}" || _fail "no BTRFSX-prefixed log lines for $B"
_umount $SCRATCH/a
_umount $SCRATCH/b
exit 0
