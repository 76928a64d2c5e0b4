#!/bin/bash
# Purpose: bad clone/dedupe calls, bad mount options and garbage written to sysfs get the same errno/result from btrfsx as from stock btrfs.
#
# fuzz/calls.py runs each case on both filesystems and prints the table;
# a case whose result differs fails the test.  Clone/dedupe cases: same-file
# overlapping ranges, unaligned offsets/lengths, past EOF, huge lengths,
# across filesystems (btrfsx<->btrfs, same type, tmpfs), read-only mount,
# immutable/append-only files, an active swapfile, directories,
# datasum/nodatasum, dedupe of differing data; then every file's content.
. ./common.sh
. ./lib-reliability.sh
_require_py
_require_disks 2
_require_cmd mkswap
modprobe loop 2>/dev/null
A=${DISKS[0]} B=${DISKS[1]}
S=$SCRATCH/calls
mkdir -p $S/tmp $S/opt
loops=()
cleanup() {
	grep -E " $S/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount 2>/dev/null
	for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null; done
	rm -f $S/*.img
}
trap cleanup EXIT

# A second filesystem of each type (loop files), for same-type cross-fs cases
# and for the mount option probes (options are parsed on a fresh mount only).
for t in btrfs btrfsx; do
	truncate -s 256M $S/o-$t.img
	_mkfs $S/o-$t.img
	l=$(losetup -f --show $S/o-$t.img) || _fail "losetup"
	loops+=("$l")
	eval "L_$t=$l"
done
# shellcheck disable=SC2154 # set by eval
$PY ./fuzz/calls.py mountopts --btrfs "$L_btrfs" --btrfsx "$L_btrfsx" --mnt $S/opt
rc_opts=$?

_mkfs "$A"
_mkfs "$B"
_mount btrfs "$A" $S/btrfs
_mount btrfsx "$B" $S/btrfsx
_mount btrfs "$L_btrfs" $S/o-btrfs
_mount btrfsx "$L_btrfsx" $S/o-btrfsx
$PY ./fuzz/calls.py remap --btrfs $S/btrfs --btrfsx $S/btrfsx \
	--btrfs-other $S/o-btrfs --btrfsx-other $S/o-btrfsx --tmp $S/tmp
rc_remap=$?

$PY ./fuzz/calls.py sysfs --btrfs "$(blkid -s UUID -o value "$A")" \
	--btrfsx "$(blkid -s UUID -o value "$B")"
rc_sysfs=$?

# After all that, both filesystems still work and check clean.
for t in btrfs btrfsx; do
	head -c 1M /dev/urandom >$S/$t/after
	sync -f $S/$t/after || _fail "$t: sync after the bad calls failed"
done
cleanup
_btrfs_check "$A"
_btrfs_check "$B"
[ $rc_opts = 0 ] || _fail "mount options: btrfsx and btrfs differ (table above)"
[ $rc_remap = 0 ] || _fail "clone/dedupe: btrfsx and btrfs differ (table above)"
[ $rc_sysfs = 0 ] || _fail "sysfs: btrfsx and btrfs differ (table above)"
exit 0
