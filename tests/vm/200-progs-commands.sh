#!/bin/bash
# Purpose: every btrfs-progs subcommand that works on a stock btrfs mount
# works on a btrfsx mount (btrfsx.progs_compat, the default): filesystem
# show/usage/df/du/label/resize/sync/defragment/mkswapfile, subvolume, send |
# receive (into btrfsx and into stock btrfs) with the data verified, balance,
# scrub, device add/remove/usage/stats, replace, quota/qgroup, property,
# inspect-internal; /proc/mounts shows the mount as btrfs and
# /sys/fs/btrfs/<fsid> links to /sys/fs/btrfsx/<fsid>.
. ./common.sh
_require_disks 2
_require_cmd btrfs filefrag
A=${DISKS[0]} B=${DISKS[1]}
M=$SCRATCH/p S=$SCRATCH/stock

# btrfs ARGS: must exit 0 and print no ERROR: (btrfs-progs 6.2 "device usage"
# exits 0 after "ERROR: unexpected number of devices").  Output in $OUT.
OUT=
bt() {
	OUT=$(btrfs "$@" 2>&1) || _fail "btrfs $*: $OUT"
	! grep -q '^ERROR' <<<"$OUT" || _fail "btrfs $*: $OUT"
}
has() { # has PATTERN: $OUT contains it (grep -E)
	grep -qE -- "$1" <<<"$OUT" || _fail "expected '$1' in: $OUT"
}

_loaded btrfs || _skip "the stock btrfs module is not loaded"
# progs_compat is btrfsx's, on by default: missing or off is a failure.
pc=/sys/module/btrfsx/parameters/progs_compat
[ -e $pc ] || _fail "btrfsx has no progs_compat parameter"
[ "$(cat $pc)" = Y ] || _fail "btrfsx's progs_compat is $(cat $pc), not its default Y"

_mkfs -L progs "$A"
U=$(blkid -s UUID -o value "$A")
_mount btrfsx "$A" $M

# What btrfs-progs look for: the type in /proc/mounts, /sys/fs/btrfs/<fsid>.
[ "$(_fstype $M)" = btrfs ] || _fail "/proc/mounts shows $M as '$(_fstype $M)', not btrfs"
[ -d /sys/fs/btrfsx/$U ] || _fail "/sys/fs/btrfsx/$U missing"
[ -L /sys/fs/btrfs/$U ] || _fail "/sys/fs/btrfs/$U is not a link"
[ "$(readlink -f /sys/fs/btrfs/$U)" = "$(readlink -f /sys/fs/btrfsx/$U)" ] ||
	_fail "/sys/fs/btrfs/$U -> $(readlink /sys/fs/btrfs/$U)"
[ "$(cat /sys/fs/btrfs/$U/devinfo/1/fsid)" = "$U" ] || _fail "devinfo/1/fsid through the link"
# mount(2) and the log still say btrfsx.
grep -qw btrfsx /proc/filesystems || _fail "btrfsx not registered"
dmesg | grep -q "BTRFSX info (device ${A#/dev/}" || _fail "no BTRFSX log lines for $A"

_populate $M
_sums $M >/tmp/p.sums

# filesystem
bt filesystem show $M;		has "uuid: $U"; has "path $A"
bt filesystem show "$A";	has "uuid: $U"
bt filesystem show $U;		has "path $A"
bt filesystem show --mounted;	has "uuid: $U"
bt filesystem show;		has "uuid: $U"
bt filesystem usage $M;		has "Device size:"; has "$A"
bt filesystem usage -T $M;	has "$A"
bt filesystem df $M;		has "^Data"
bt filesystem du -s $M;		has "Total"
bt filesystem label $M;		has "^progs$"
bt filesystem label $M relabeled
bt filesystem label "$A";	has "^relabeled$"
bt filesystem resize -1G $M
bt filesystem show $M;		has "size 3.00GiB"
bt filesystem resize max $M
bt filesystem show $M;		has "size 4.00GiB"
bt filesystem sync $M
bt filesystem defragment -r $M
bt filesystem mkswapfile -s 16m $M/swapfile
bt inspect-internal map-swapfile $M/swapfile; has "Physical start"
rm $M/swapfile

# subvolume
bt subvolume create $M/sv
echo in-subvolume >$M/sv/file
bt subvolume list $M;		has "path sv$"
bt subvolume show $M/sv;	has "Name:.*sv"
svid=$(btrfs inspect-internal rootid $M/sv)
bt subvolume get-default $M;	has "ID 5 "
bt subvolume set-default "$svid" $M
bt subvolume get-default $M;	has "ID $svid "
bt subvolume set-default 5 $M
bt subvolume snapshot $M/sv $M/sv-snap
bt subvolume find-new $M/sv 0;	has "transid marker"
bt subvolume delete $M/sv-snap
bt subvolume sync $M

# send | receive: a full and an incremental stream, into btrfsx itself and
# into a stock btrfs filesystem, data compared file by file.
bt subvolume snapshot -r $M $M/snap1
echo more >$M/after-snap1
cp $M/f1000 $M/f1000.copy
bt subvolume snapshot -r $M $M/snap2
_mkfs "$B"
_mount btrfs "$B" $S
mkdir -p $M/recv
for dst in $M/recv $S; do
	btrfs send -q $M/snap1 | btrfs receive -q $dst ||
		_fail "send $M/snap1 | receive $dst failed"
	btrfs send -q -p $M/snap1 $M/snap2 | btrfs receive -q $dst ||
		_fail "send -p snap1 snap2 | receive $dst failed"
	for s in snap1 snap2; do
		_sums $M/$s >/tmp/p.$s.sums
		_verify $dst/$s /tmp/p.$s.sums
	done
	[ "$(cat $dst/snap2/after-snap1)" = more ] || _fail "incremental stream lost a file in $dst"
done
bt send -q -f /tmp/p.stream $M/snap1
bt receive -q --dump -f /tmp/p.stream;	has "^subvol"
_umount $S

# balance, scrub (by path and by device)
bt balance start --full-balance $M;	has "Done"
bt balance start -dusage=50 $M
bt balance status $M;			has "No balance"
bt scrub start -B $M;			has "Error summary: *no errors"
bt scrub start -B "$A"
bt scrub status $M;			has "finished|Status"

# mkfs.btrfs sees the btrfsx mount (it looks for type btrfs in /proc/mounts).
if out=$(mkfs.btrfs -f "$A" 2>&1); then
	_fail "mkfs.btrfs -f $A succeeded while btrfsx has it mounted"
fi
grep -q "mounted" <<<"$out" || _fail "mkfs.btrfs on the mounted $A: $out"

# device add / usage / stats / remove, balance convert
bt device add -f "$B" $M
bt device usage $M;		has "$A"; has "$B"
bt filesystem usage $M;		has "$B"
bt filesystem show $M;		has "Total devices 2"
bt device stats $M;		has "\[$B\]\.write_io_errs"
bt device stats "$A";		has "write_io_errs"
bt balance start -dconvert=raid1 -mconvert=raid1 $M
bt filesystem df $M;		has "Data, RAID1"
bt balance start -dconvert=single -mconvert=dup -f $M
bt device remove "$B" $M
bt filesystem show $M;		has "Total devices 1"

# replace: move the filesystem from A to B
bt replace start -B -f "$A" "$B" $M
bt replace status -1 $M;	has "finished"
bt filesystem show $M;		has "path $B"

# quota / qgroup
bt quota enable $M
bt quota rescan -w $M
bt qgroup show $M;		has "0/5"
bt qgroup create 1/1 $M
bt qgroup assign 0/5 1/1 $M
bt qgroup limit 1G 0/$svid $M
bt qgroup show -re $M;		has "1/1"
bt qgroup remove 0/5 1/1 $M
bt qgroup destroy 1/1 $M
bt qgroup clear-stale $M
bt quota disable $M

# property
bt property list $M;			has "label"
bt property get $M label;		has "label=relabeled"
bt property set $M/snap1 ro false
bt property get $M/snap1 ro;		has "ro=false"
bt property set $M/snap1 ro true
bt property set $M/f64 compression zstd
bt property get $M/f64 compression;	has "compression=zstd"

# inspect-internal
bt inspect-internal rootid $M;		has "^5$"
bt inspect-internal subvolid-resolve "$svid" $M; has "^sv$"
ino=$(stat -c %i $M/sub/g)
bt inspect-internal inode-resolve "$ino" $M; has "sub/g$"
logical=$(filefrag -v $M/f1000 | awk '$1 == "0:" { sub(/\.\..*/, "", $4); printf "%.0f\n", $4 * 4096; exit }')
[ -n "$logical" ] || _fail "no extent of $M/f1000 from filefrag"
bt inspect-internal logical-resolve "$logical" $M; has "/f1000"
bt inspect-internal min-dev-size $M;	has "bytes"
bt inspect-internal dump-super "$B";	has "$U"
bt inspect-internal dump-tree -t root "$B"; has "ROOT_ITEM"
bt inspect-internal tree-stats "$B";	has "Total size"

# The data came through all of it; unmounted it is clean for btrfs check,
# btrfs restore reads it, and it mounts as btrfsx again by its new device.
_verify $M /tmp/p.sums
_umount $M
[ ! -e /sys/fs/btrfs/$U ] || _fail "/sys/fs/btrfs/$U left after umount"
_btrfs_check "$B"
mkdir -p /tmp/restore
bt restore "$B" /tmp/restore
_verify /tmp/restore /tmp/p.sums
_mount btrfsx "$B" $M
_verify $M /tmp/p.sums
_umount $M
exit 0
