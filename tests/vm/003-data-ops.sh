#!/bin/bash
# Purpose: data written through btrfsx survives reflink, dedupe, snapshot,
# zstd compression, a full balance and scrub, checked by sha256 after remount;
# the lock manager's statistics show each subsystem's FILE and DISK locks.
. ./common.sh
_require_cmd xfs_io
_require_disks 1
D=${DISKS[0]}
M=$SCRATCH/x
_mkfs "$D"
_mount btrfsx "$D" $M compress=zstd
_populate $M/data
# Compressible data, to exercise zstd (its extents are checked at the end).
grep -qE " $M btrfsx? .*compress=zstd" /proc/mounts ||
	_fail "$M not mounted with compress=zstd: $(grep " $M " /proc/mounts)"
yes btrfsx | head -c 8M >$M/data/compressible
# Reflinks: cp and xfs_io.
_run cp --reflink=always $M/data/f3000 $M/data/f3000.clone
_run xfs_io -f -c "reflink $M/data/f1000 0 0 1024000" $M/data/f1000.clone
# Dedupe: two identical files, then share their extents.
head -c 1M /dev/urandom >$M/data/d1
cp $M/data/d1 $M/data/d2
sync
out=$(xfs_io -c "dedupe $M/data/d1 0 0 1M" $M/data/d2 2>&1) || _fail "dedupe: $out"
grep -q 'deduped 1048576/1048576' <<<"$out" || _fail "dedupe did not share: $out"
# Snapshot.
_run btrfs subvolume snapshot $M $M/snap
_sums $M/data >/tmp/data.sums
cmp $M/data/f3000 $M/data/f3000.clone || _fail "reflinked copy differs"
# Shared extents are really shared.
xfs_io -c "fiemap -v" $M/data/d2 | grep -q shared ||
	filefrag -v $M/data/d2 | grep -q shared || _fail "d2 has no shared extent after dedupe"
# Full balance and scrub.
_run btrfs balance start --full-balance $M
out=$(btrfs scrub start -B $M 2>&1) || _fail "scrub: $out"
grep -q 'no errors found\|Error summary: *no errors' <<<"$out" || _fail "scrub found errors: $out"
# Every subsystem took its ranges from the lock manager: FILE (clone and
# dedupe file ranges) and DISK (the extent rule; relocation's fence in the
# pass that updates data pointers, once per data block group at least).
st=/sys/fs/btrfsx/$(blkid -s UUID -o value "$D")/range_locks/stats
[ -r "$st" ] || _fail "no lock statistics at $st"
for k in "file clone" "file dedupe" \
	 "disk clone" "disk dedupe" "disk relocation"; do
	n=$(awk -v k="$k" '$1 " " $2 == k { print $3 }' "$st")
	[ "${n:-0}" -gt 0 ] || _fail "lock statistics: '$k' acquired ${n:-?}: $(cat "$st")"
	_note "locks acquired, $k: $n"
done
rel=$(cat "${st%/stats}/relocation") || _fail "no relocation counters"
_note "relocation: $rel"
fenced=$(awk '{ print $4 }' <<<"$rel")
[ "${fenced:-0}" -gt 0 ] || _fail "the full balance fenced no pass: $rel"
_umount $M
_mount btrfsx "$D" $M
_verify $M/data /tmp/data.sums
_verify $M/snap/data /tmp/data.sums
ino=$(stat -c %i $M/data/compressible)
_umount $M
# The compressible file (read back above by _verify) is stored as zstd
# extents: its file extent items say so.
n=$(btrfs inspect-internal dump-tree -t 5 "$D" | awk -v k="key ($ino EXTENT_DATA " '
	/^\titem / { on = index($0, k) > 0 }
	on && /extent compression 3 \(zstd\)/ { n++ }
	END { print n + 0 }')
[ "$n" -gt 0 ] || _fail "no zstd extent in the compressible file (inode $ino): $(btrfs inspect-internal dump-tree -t 5 "$D" | grep -A4 "key ($ino EXTENT_DATA" | head -6)"
_note "zstd: $n compressed extents in the 8 MiB file"
_btrfs_check "$D"
exit 0
