#!/bin/bash
# Purpose: a 2-device RAID1 filesystem mounts as btrfsx with device=, keeps
# its data, scrubs clean, and is clean for btrfs check.
. ./common.sh
_require_disks 2
A=${DISKS[0]} B=${DISKS[1]}
M=$SCRATCH/r
_mkfs -d raid1 -m raid1 "$A" "$B"
_mount btrfsx "$A" $M "device=$A,device=$B"
_populate $M
_sums $M >/tmp/r.sums
out=$(btrfs device stats $M 2>&1) || _fail "device stats: $out"
grep -c "$B" <<<"$out" >/dev/null || _fail "second device not in the fs: $out"
_umount $M
_mount btrfsx "$A" $M "device=$A,device=$B"
_verify $M /tmp/r.sums
out=$(btrfs scrub start -B $M 2>&1) || _fail "scrub: $out"
_umount $M
_btrfs_check "$A"
exit 0
