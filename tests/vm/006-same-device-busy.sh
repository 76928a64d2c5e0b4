#!/bin/bash
# Purpose: one device cannot be mounted by btrfs and btrfsx at once: the
# second mount fails with EBUSY and nothing is corrupted.
. ./common.sh
_require_disks 1
D=${DISKS[0]}
_mkfs "$D"
for pair in "btrfs btrfsx" "btrfsx btrfs"; do
	read -r first second <<<"$pair"
	_mount $first "$D" $SCRATCH/one
	_populate $SCRATCH/one
	_sums $SCRATCH/one >/tmp/one.sums
	mkdir -p $SCRATCH/two
	if out=$(mount -t $second "$D" $SCRATCH/two 2>&1); then
		umount $SCRATCH/two
		_fail "$second mounted $D while $first had it mounted"
	fi
	# libmount words EBUSY from mount(2) as "already mounted"; ask the
	# syscall itself when python3 is there.
	grep -qiE 'busy|already mounted' <<<"$out" || _fail "$second mount failed, but not with EBUSY: $out"
	if [ -x /usr/bin/python3 ]; then
		err=$(/usr/bin/python3 -c 'import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
r = libc.mount(sys.argv[1].encode(), sys.argv[2].encode(), sys.argv[3].encode(), 0, None)
print("ok" if r == 0 else os.strerror(ctypes.get_errno()))' "$D" $SCRATCH/two $second)
		[ "$err" = "Device or resource busy" ] || { umount $SCRATCH/two 2>/dev/null; _fail "mount(2) by $second: $err, not EBUSY"; }
	fi
	_drop_caches
	_verify $SCRATCH/one /tmp/one.sums
	_umount $SCRATCH/one
	_btrfs_check "$D"
	rm -f /tmp/one.sums
done
exit 0
