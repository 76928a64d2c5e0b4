#!/bin/bash
# Purpose: the on-disk format is unchanged: a filesystem written by btrfsx
# mounts under stock btrfs with its data and is clean for btrfs check, and
# the other way round.
. ./common.sh
_require_disks 1
D=${DISKS[0]}
M=$SCRATCH/c
for first in btrfsx btrfs; do
	second=btrfs
	[ $first = btrfs ] && second=btrfsx
	_mkfs "$D"
	_mount $first "$D" $M
	_populate $M
	_run cp --reflink=always $M/f3000 $M/f3000.clone
	_run btrfs subvolume snapshot $M $M/snap
	_sums $M >/tmp/c.sums
	_umount $M
	_btrfs_check "$D"
	_mount $second "$D" $M
	_verify $M /tmp/c.sums
	echo more >$M/written-by-$second
	_umount $M
	_btrfs_check "$D"
	_mount $first "$D" $M
	[ "$(cat $M/written-by-$second)" = more ] || _fail "$first does not see what $second wrote"
	_umount $M
done
exit 0
