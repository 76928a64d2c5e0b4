#!/bin/bash
# Purpose: repeated insmod/mount/work/umount/rmmod of btrfsx beside a mounted stock btrfs leaves nothing behind (sysfs, control device, slab caches) and keeps both filesystems' data.
#
# 5 cycles in make check, 100 in long mode (lib-reliability.sh), or
# BTRFSX_CYCLES.  btrfsx is loaded again at the end for the tests after this.
. ./common.sh
. ./lib-reliability.sh
_require_disks 2
ko=$(_btrfsx_ko) || _skip "no btrfsx.ko path in \$VM_OUT/.vm/env (VM_KOS)"
[ -f "$ko" ] || _skip "$ko not readable in the guest"
# insmod from tmpfs, not over 9p: repeated loads of a 4 MB module add up.
cp "$ko" /tmp/btrfsx-lifecycle.ko || _fail "cannot copy $ko"
ko=/tmp/btrfsx-lifecycle.ko
cycles=5
_long && cycles=100
cycles=${BTRFSX_CYCLES:-$cycles}
A=${DISKS[0]} B=${DISKS[1]}
X=$SCRATCH/lc-x S=$SCRATCH/lc-stock
_mkfs "$A"
_mkfs "$B"
_mount btrfs "$B" "$S"
_populate "$S"
_sums "$S" >/tmp/lc-stock.sums
ub=$(blkid -s UUID -o value "$B")

gone() { # everything of btrfsx's must be gone after rmmod
	grep -q '^btrfsx ' /proc/modules && _fail "cycle $1: btrfsx still loaded"
	[ ! -e /sys/fs/btrfsx ] || _fail "cycle $1: /sys/fs/btrfsx still there"
	[ ! -e /dev/btrfsx-control ] || _fail "cycle $1: /dev/btrfsx-control still there"
	[ ! -e /sys/module/btrfsx ] || _fail "cycle $1: /sys/module/btrfsx still there"
	[ ! -e /sys/kernel/tracing/events/btrfsx ] || _fail "cycle $1: trace system btrfsx still there"
	! grep -q '^btrfsx_' /proc/slabinfo ||
		_fail "cycle $1: slab caches left: $(grep '^btrfsx_' /proc/slabinfo | cut -d' ' -f1 | tr '\n' ' ')"
	local left
	left=$(find /sys/kernel/slab -maxdepth 1 -name 'btrfsx_*' -type d | head -3)
	[ -z "$left" ] || _fail "cycle $1: slab dirs left: $left"
	grep -qw btrfsx /proc/filesystems && _fail "cycle $1: btrfsx still in /proc/filesystems"
	# Stock btrfs untouched.
	[ -d "/sys/fs/btrfs/$ub" ] || _fail "cycle $1: stock /sys/fs/btrfs/$ub gone"
	grep -q '^btrfs_inode ' /proc/slabinfo || [ -e /sys/kernel/slab/btrfs_inode ] ||
		_fail "cycle $1: stock btrfs_inode cache gone"
	return 0
}

t0=$SECONDS
grep -q '^btrfsx ' /proc/modules || _run insmod "$ko"
for i in $(seq 1 "$cycles"); do
	_mount btrfsx "$A" "$X"
	if [ "$i" = 1 ]; then
		_populate "$X/base"
		# Busy while mounted.
		rmmod btrfsx 2>/dev/null && _fail "rmmod btrfsx succeeded with a btrfsx fs mounted"
	fi
	head -c $((i * 4096 + 100)) /dev/urandom >"$X/c$i"
	_run cp --reflink=always "$X/c$i" "$X/c$i.r"
	cmp -s "$X/c$i" "$X/c$i.r" || _fail "cycle $i: reflink differs"
	[ $((i % 10)) = 1 ] && _run btrfs balance start -dusage=50 "$X"
	_sums "$X" >/tmp/lc-x.sums.new
	if [ "$i" -gt 1 ]; then
		# Everything of the earlier cycles is still there, as it was.
		(cd "$X" && sha256sum --quiet -c /tmp/lc-x.sums) >/dev/null 2>&1 ||
			_fail "cycle $i: data of earlier cycles differs"
	fi
	mv /tmp/lc-x.sums.new /tmp/lc-x.sums
	# The stock fs beside it is in use too.
	echo "$i" >"$S/cycle"
	_umount "$X"
	refs=$(cat /sys/module/btrfsx/refcnt)
	[ "$refs" = 0 ] || _fail "cycle $i: btrfsx refcnt $refs after umount"
	_run rmmod btrfsx
	gone "$i"
	_run insmod "$ko"
done
secs=$((SECONDS - t0))
_run rmmod btrfsx
gone last
_run insmod "$ko"
[ -c /dev/btrfsx-control ] && [ -d /sys/fs/btrfsx/features ] || _fail "btrfsx not back after the last insmod"
_mount btrfsx "$A" "$X"
_verify "$X" /tmp/lc-x.sums
_umount "$X"
_verify "$S" /tmp/lc-stock.sums
_umount "$S"
_btrfs_check "$A"
_btrfs_check "$B"
_note "$cycles cycles in ${secs}s, nothing left after rmmod, btrfsx loaded again"
exit 0
