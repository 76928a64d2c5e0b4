#!/bin/bash
# Purpose: the fstests guest's release_mounts (tests/fstests/release-mounts.sh)
# frees a btrfs that a test left mounted and busy, so that the stock module
# unloads for the btrfsx run of the same boot: processes with their working
# directory or an open file in the mount are ended, the mount goes, and
# "rmmod btrfs" succeeds.  Restores what the next tests expect: btrfs loaded.
# shellcheck source=tests/vm/common.sh
. ./common.sh
# shellcheck source=tests/fstests/release-mounts.sh
. ../fstests/release-mounts.sh
_require_disks 1
_require_cmd fuser
D=${DISKS[0]} M=$SCRATCH/busy
_loaded btrfs || _skip "the stock btrfs module is not loaded"
m=$(awk '$3 == "btrfs"' /proc/mounts)
[ -z "$m" ] || _fail "a btrfs is mounted before the test: $m"

_mkfs "$D"
_mount btrfs "$D" "$M"
echo data >"$M/f"
# Two holders: one has its working directory in the mount, one a file open.
# (Ended on the way out too: a failing test must not wait for them.)
(cd "$M" && exec sleep 600) &
cwd=$!
(exec 3<"$M/f" && exec sleep 600) &
fd=$!
trap 'kill $cwd $fd 2>/dev/null; umount "$M" 2>/dev/null' EXIT
sleep 1
if umount "$M" 2>/dev/null; then
	_fail "umount of a busy mount succeeded: the test holds nothing"
fi

t0=$SECONDS
release_mounts || _fail "release_mounts returned failure"
_note "released in $((SECONDS - t0)) s"
! grep -q " $M " /proc/mounts || _fail "$M is still mounted"
for p in $cwd $fd; do
	wait "$p" 2>/dev/null
	! kill -0 "$p" 2>/dev/null || _fail "holder $p is still running"
done
rmmod btrfs || _fail "rmmod btrfs failed after release_mounts: $(grep '^btrfs ' /proc/modules)"
_load_stock || _fail "cannot load the stock btrfs module again"
_btrfs_check "$D"
exit 0
