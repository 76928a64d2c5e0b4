#!/bin/bash
# Purpose: btrfs.ko and btrfsx.ko are loaded side by side with distinct
# filesystem types, /sys/fs dirs, control devices, trace systems, slab caches.
. ./common.sh

grep -q '^btrfs ' /proc/modules || _fail "btrfs.ko not loaded"
grep -q '^btrfsx ' /proc/modules || _fail "btrfsx.ko not loaded"
grep -qP '^\s*btrfs$' /proc/filesystems || _fail "no btrfs in /proc/filesystems"
grep -qP '^\s*btrfsx$' /proc/filesystems || _fail "no btrfsx in /proc/filesystems"

[ -d /sys/fs/btrfs/features ] || _fail "/sys/fs/btrfs/features missing"
[ -d /sys/fs/btrfsx/features ] || _fail "/sys/fs/btrfsx/features missing"

[ -c /dev/btrfs-control ] || _fail "/dev/btrfs-control missing"
[ -c /dev/btrfsx-control ] || _fail "/dev/btrfsx-control missing"
a=$(stat -c '%t:%T' /dev/btrfs-control)
b=$(stat -c '%t:%T' /dev/btrfsx-control)
[ "$a" != "$b" ] || _fail "both control devices are $a"
[ "$a" = "a:ea" ] || _fail "stock btrfs-control lost minor 234 ($a)"

tr=/sys/kernel/tracing/events
[ -d $tr/btrfs ] || _fail "no trace system btrfs"
[ -d $tr/btrfsx ] || _fail "no trace system btrfsx"
[ -d $tr/btrfsx/btrfs_transaction_commit ] || _fail "btrfsx trace events missing"

for c in btrfs_inode btrfsx_inode btrfsx_extent_buffer btrfsx_delayed_node; do
	[ -e /sys/kernel/slab/$c ] || _fail "slab cache $c missing"
done
grep -q '^btrfsx_inode ' /proc/slabinfo || _fail "btrfsx_inode not in /proc/slabinfo"

# The module's version (MODULE_VERSION) is the one its banner announced.
ver=$(cat /sys/module/btrfsx/version 2>/dev/null) || _fail "btrfsx has no /sys/module/btrfsx/version"
[ -n "$ver" ] || _fail "btrfsx's module version is empty"
dmesg | grep -q "btrfsx: version $ver, built from " ||
	_fail "no banner 'btrfsx: version $ver, built from ...' in dmesg: $(dmesg | grep -m1 'btrfsx: version')"
_note "btrfsx version $ver"
exit 0
