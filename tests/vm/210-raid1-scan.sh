#!/bin/bash
# Purpose: a 2-device RAID1 made by mkfs.btrfs mounts as btrfsx by one device
# name, without -o device=, once scripts/user/btrfsx-scan registered its devices
# with btrfsx (mkfs.btrfs registers them with the stock module only);
# btrfsx-scan --forget and --ready; udev with scripts/user/udev/64-btrfsx.rules
# registers them by itself.
. ./common.sh
_require_disks 2
_require_cmd python3
A=${DISKS[0]} B=${DISKS[1]}
M=$SCRATCH/r
top=$(cd ../.. && pwd)
SCAN=$top/scripts/user/btrfsx-scan
RULE=$top/scripts/user/udev/64-btrfsx.rules
[ -x "$SCAN" ] || _fail "$SCAN missing"
# The checks below ask btrfs-progs about the btrfsx mount.
[ "$(cat /sys/module/btrfsx/parameters/progs_compat 2>/dev/null)" = Y ] ||
	_fail "btrfsx's progs_compat (default Y) is missing or off"

scan() { # scan ARGS: btrfsx-scan, output in $OUT, exit status in $RC
	OUT=$("$SCAN" "$@" 2>&1)
	RC=$?
}
mount_fails() { # mount_fails DEV: mount -t btrfsx DEV must fail
	mkdir -p $M
	if mount -t btrfsx "$1" $M 2>/dev/null; then
		umount $M
		_fail "mount -t btrfsx $1 succeeded: $2"
	fi
}

_mkfs -d raid1 -m raid1 "$A" "$B"
U=$(blkid -s UUID -o value "$A")

# btrfsx has seen neither device: mounting by one of them fails.
scan --forget
[ $RC = 0 ] || _fail "btrfsx-scan --forget: $OUT"
mount_fails "$A" "btrfsx never saw $B"
dmesg | tail -n 20 | grep -q "BTRFSX" || _fail "no BTRFSX log line for the failed mount"

# Register one device: not ready; the other too: ready, and it mounts.
scan "$A"
[ $RC = 0 ] && grep -q "registered $A" <<<"$OUT" || _fail "btrfsx-scan $A: rc $RC: $OUT"
scan --ready "$A"
[ $RC = 1 ] || _fail "--ready with $B unregistered: rc $RC: $OUT"
scan "$B"
[ $RC = 0 ] || _fail "btrfsx-scan $B: rc $RC: $OUT"
scan --ready "$A"
[ $RC = 0 ] || _fail "--ready with both registered: rc $RC: $OUT"
_mount btrfsx "$A" $M
out=$(btrfs filesystem show $M 2>&1)
grep -q "uuid: $U" <<<"$out" && grep -q "Total devices 2" <<<"$out" &&
	grep -q "path $B" <<<"$out" ||
	_fail "btrfsx mounted $A without $B: $out"
_populate $M
_sums $M >/tmp/r.sums
_umount $M

# --forget drops both; a scan of everything finds them again; mount by B.
scan --forget
mount_fails "$A" "after btrfsx-scan --forget"
scan
[ $RC = 0 ] && grep -q "registered $A" <<<"$OUT" && grep -q "registered $B" <<<"$OUT" ||
	_fail "btrfsx-scan (all devices): rc $RC: $OUT"
_mount btrfsx "$B" $M
_verify $M /tmp/r.sums
out=$(btrfs scrub start -B $M 2>&1) || _fail "scrub: $out"
out=$(btrfs device usage $M 2>&1)
grep -q "$A" <<<"$out" && grep -q "$B" <<<"$out" || _fail "device usage: $out"
_umount $M

# Errors: a device that is not btrfs, a path that does not exist.
scan /dev/null
[ $RC = 1 ] || _fail "btrfsx-scan /dev/null: rc $RC: $OUT"
scan --ready
[ $RC = 2 ] || _fail "btrfsx-scan --ready without a device: rc $RC"

# udev: with the rule installed, a change event on the devices (what
# mkfs.btrfs or a hotplug causes) registers them; so does the add event of
# /dev/btrfsx-control (btrfsx being loaded).
udevd=/lib/systemd/systemd-udevd
if [ ! -x $udevd ] || ! command -v udevadm >/dev/null; then
	_note "no systemd-udevd: udev rule not tested"
	exit 0
fi
mkdir -p /run/udev/rules.d
sed "s|/usr/sbin/btrfsx-scan|$SCAN|" "$RULE" >/run/udev/rules.d/64-btrfsx.rules
trap 'udevadm control --exit 2>/dev/null' EXIT
$udevd --daemon --resolve-names=never 2>/dev/null || _fail "cannot start $udevd"
udevadm settle -t 30

# udev_registers WHAT DEV TRIGGER-ARGS...: with every device forgotten, the
# udev events TRIGGER-ARGS fire must register the RAID1 so that it mounts by DEV.
udev_registers() {
	local what=$1 dev=$2
	shift 2
	scan --forget
	udevadm trigger --settle "$@" || _fail "udevadm trigger failed"
	udevadm settle -t 60
	scan --ready "$dev"
	[ $RC = 0 ] || _fail "$what did not register the devices: $OUT"
	_mount btrfsx "$dev" $M
	_verify $M /tmp/r.sums
	_umount $M
}
udev_registers "udev change events" "$A" --action=change \
	"/sys/class/block/${A#/dev/}" "/sys/class/block/${B#/dev/}"
udev_registers "the btrfsx-control add event" "$B" --action=add /sys/class/misc/btrfsx-control
_btrfs_check "$A"
exit 0
