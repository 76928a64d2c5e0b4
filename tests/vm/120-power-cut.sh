#!/bin/bash
# Purpose: after a power cut (dm-flakey drop_writes) in the middle of write+fsync, reflink+fsync, dedupe and a balance, every fsync'd byte is back and btrfs check is clean, on btrfsx as on stock btrfs.
#
# Per filesystem type: mkfs on a dm-flakey device, commit a base, then
# fsync'd writes/reflinks/dedupes (recorded with their sha256), then a full
# balance and unsynced writers; writes start being dropped mid-workload; the
# fs is unmounted (its last writes are lost), the flakey target removed, and
# the raw disk mounted again: the log tree is replayed, every recorded file
# must match, and btrfs check must be clean.
. ./common.sh
. ./lib-reliability.sh
_require_cmd dmsetup xfs_io
_require_disks 2
modprobe dm-flakey 2>/dev/null
dmsetup targets 2>/dev/null | grep -qw flakey || _skip "no dm-flakey target"

cut_one() { # TYPE DISK
	local t=$1 disk=$2 name=rel-flakey-$1 dev
	local M=$SCRATCH/pc-$t sums=$SCRATCH/pc-$t.sums pids=()
	_flakey_up "$name" "$disk"
	dev=$(_flakey_dev "$name")
	_mkfs "$dev"
	_mount "$t" "$dev" "$M"
	_populate "$M/base"
	_run btrfs subvolume snapshot "$M" "$M/snap"
	sync
	: >"$sums"
	record() { (cd "$M" && sha256sum "$@") >>"$sums"; }

	# Fsync'd and not yet committed: only the log tree keeps them.
	head -c 3M /dev/urandom >"$M/w1"
	_run xfs_io -c fsync "$M/w1"
	record w1
	_run cp --reflink=always "$M/base/f3000" "$M/r1"
	_run xfs_io -c fsync "$M/r1"
	record r1
	_run xfs_io -f -c "reflink $M/w1 1M 0 1M" -c "reflink $M/base/f1000 0 1M 512K" -c fsync "$M/r2"
	record r2
	_run xfs_io -c "pwrite -q -S 0xab 4096 8192" -c fsync "$M/base/f1000"
	record base/f1000
	head -c 1M /dev/urandom >"$M/d1"
	cp "$M/d1" "$M/d2"
	_run xfs_io -c fsync "$M/d1"
	_run xfs_io -c fsync "$M/d2"
	out=$(xfs_io -c "dedupe $M/d1 0 0 1M" "$M/d2" 2>&1) || _fail "$t: dedupe: $out"
	_run xfs_io -c fsync "$M/d2"
	record d1 d2
	_run xfs_io -c "pwrite -q -S 0xcd 0 64K" -c "fdatasync" "$M/snap/base/f64"
	record snap/base/f64

	# Mid-workload: a full balance and unsynced writers, then the cut.
	btrfs balance start --full-balance "$M" >/dev/null 2>&1 &
	pids+=($!)
	(
		i=0
		while :; do
			head -c 256K /dev/urandom >"$M/u$i" 2>/dev/null
			cp --reflink=always "$M/w1" "$M/u$i.r" 2>/dev/null
			i=$((i + 1))
		done
	) &
	pids+=($!)
	sleep 1
	# Fsync'd while the balance runs, right before the cut.
	head -c 2M /dev/urandom >"$M/w2"
	_run xfs_io -c fsync "$M/w2"
	_run xfs_io -f -c "reflink $M/w2 0 0 1M" -c fsync "$M/r3"
	record w2 r3
	_flakey_drop "$name" "$disk"
	# Still "succeeding" after the cut: none of this may come back half-done.
	head -c 1M /dev/urandom >"$M/after-cut"
	xfs_io -c fsync "$M/after-cut" >/dev/null 2>&1
	sleep 1
	kill "${pids[1]}" 2>/dev/null
	btrfs balance cancel "$M" >/dev/null 2>&1
	wait
	# The writer's last head/cp may outlive its killed shell for a moment.
	for _ in $(seq 1 60); do
		umount "$M" 2>/dev/null && break
		sleep 0.5
	done
	! mountpoint -q "$M" || _fail "$t: $M still busy after the workload stopped"
	_flakey_remove "$name"

	# Power back: the raw disk, log replay.
	_mount "$t" "$disk" "$M"
	(cd "$M" && sha256sum --quiet -c "$sums") >/dev/null 2>&1 ||
		_fail "$t: fsync'd data lost after the power cut: $( (cd "$M" && sha256sum --quiet -c "$sums") 2>&1 | head -5)"
	[ -f "$M/base/f3000" ] && [ -f "$M/snap/base/f4" ] || _fail "$t: committed files missing after the power cut"
	# Proof that there was a cut: what was written after it is not there.
	[ ! -e "$M/after-cut" ] || _fail "$t: a file written after the cut is on disk: dm-flakey dropped nothing"
	_umount "$M"
	out=$(btrfs check --readonly "$disk" 2>&1) || _fail "$t: btrfs check after the power cut: $(tail -5 <<<"$out")"
	_note "$t: $(wc -l <"$sums") fsync'd files intact, btrfs check clean"
}

cut_one btrfs "${DISKS[0]}"
cut_one btrfsx "${DISKS[1]}"
exit 0
