# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers of the reliability tests tests/vm/1NN-*.sh (sourced after
# common.sh): long mode, kernel log windows, dm-flakey.
#
# Long mode (stress 30 min, 500 fuzz images, 100 load cycles) is on when any of:
#   - BTRFSX_LONG=1 is in the environment of the test;
#   - BTRFSX_LONG=1 is on the guest kernel command line, i.e. the host ran
#     scripts/dev/vm with VM_APPEND="BTRFSX_LONG=1" (the kernel also hands such an
#     unknown NAME=VALUE parameter to init as an environment variable, so it
#     reaches the tests both ways);
#   - the file $VM_OUT/.long exists (touch it on the host before the run).

_long() {
	[ "${BTRFSX_LONG:-0}" = 1 ] && return 0
	grep -qw 'BTRFSX_LONG=1' /proc/cmdline 2>/dev/null && return 0
	[ -n "${VM_OUT:-}" ] && [ -e "$VM_OUT/.long" ]
}

# Kernel log windows: _klog_mark NAME writes a marker, _klog_since NAME prints
# what came after it (after the last marker of that name).  If the marker has
# been pushed out of the ring buffer (scripts/dev/vm boots with log_buf_len=8M
# so that it is not), the window is the whole buffer and ends with a "kernel
# log lost" line, which fails the test: its first lines may be the tail of a
# report, and a lost WARN is not a pass.
# _klog_after MARKER is the mechanism: the log after the last line that ends
# with MARKER (tests/vm/suite's per-test window uses it too).
_klog_after() {
	dmesg | awk -v m="$1" '
		length($0) >= length(m) && substr($0, length($0) - length(m) + 1) == m {
			buf = ""; seen = 1; next
		}
		{ buf = buf $0 "\n" }
		END {
			printf "%s", buf
			# The ring buffer wrapped: what is left starts mid-report.
			if (!seen) printf "btrfsx-test: kernel log lost: \"%s\" no longer in dmesg\n", m
		}'
}
_klog_mark() { echo "<6>btrfsx-rel: mark $1 $$" >/dev/kmsg; }
_klog_since() { _klog_after "btrfsx-rel: mark $1 $$"; }
# The patterns tests/vm/suite fails a test for.
KLOG_BAD='kernel log lost|WARNING:|BUG:|Oops|general protection fault|Call Trace|kernel BUG|RIP:|[Tt]ransaction ([0-9]+ )?aborted|forced readonly|possible recursive locking|circular locking dependency|inconsistent lock state|blocked for more than|KASAN|UBSAN|lockdep'
_klog_bad() { _klog_since "$1" | grep -E "$KLOG_BAD" | head -${2:-5}; }

# Image files made by stock btrfs, for tests that patch an item with
# fuzz/fuzz.py: _image_mount IMG DIR [OPTIONS] makes a fresh 256 MiB image
# IMG and mounts it with stock btrfs on a loop device ($IMG_DEV);
# _image_umount DIR syncs, unmounts and detaches it.
_image_mount() {
	modprobe loop 2>/dev/null
	[ -e /dev/loop-control ] || _skip "no loop device support"
	rm -f "$1" "$1.bad"
	truncate -s 256M "$1"
	_mkfs "$1"
	IMG_DEV=$(losetup -f --show "$1") || _fail "losetup $1"
	_mount btrfs "$IMG_DEV" "$2" "${3:-}"
}
_image_umount() {
	sync
	_umount "$1"
	losetup -d "$IMG_DEV"
}

# Python helpers next to the tests (ioctl calls with exact errnos).
PY=/usr/bin/python3
_require_py() { [ -x $PY ] || _skip "python3 not installed"; }

# dm-flakey over DEV named NAME: _flakey_up NAME DEV, _flakey_drop NAME DEV
# (from now on every write is silently dropped), _flakey_remove NAME.
_flakey_table() { # NAME DEV up|drop
	local sz
	sz=$(blockdev --getsz "$2")
	if [ "$3" = up ]; then
		echo "0 $sz flakey $2 0 180 0"
	else
		echo "0 $sz flakey $2 0 0 180 1 drop_writes"
	fi
}
# The guest has no udev: no /dev/mapper/NAME, so _flakey_dev prints the
# devtmpfs node /dev/dm-N.
_flakey_up() {
	modprobe dm-flakey 2>/dev/null
	_run dmsetup create --noudevsync "$1" --table "$(_flakey_table "$1" "$2" up)"
}
_flakey_dev() { echo "/dev/dm-$(dmsetup info -c --noheadings -o minor "$1")"; }
_flakey_drop() {
	_run dmsetup suspend --noudevsync --nolockfs "$1"
	_run dmsetup load "$1" --table "$(_flakey_table "$1" "$2" drop)"
	_run dmsetup resume --noudevsync "$1"
}
_flakey_remove() {
	dmsetup remove --noudevsync "$1" >/dev/null 2>&1 ||
		{ sleep 1; dmsetup remove --noudevsync "$1"; }
}
