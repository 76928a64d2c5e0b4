#!/bin/bash
# Purpose: drop-in mode.  btrfsx.dropin=1 is refused, with a message naming
# the reason, while the stock btrfs module is loaded.  With the stock module
# unloaded, btrfsx registers under the stock names (filesystem type btrfs,
# /sys/fs/btrfs, /dev/btrfs-control with minor 234): mount -t btrfs works
# and keeps the data, and unchanged btrfs-progs work, including mkfs.btrfs
# and "btrfs device scan" registering a RAID1 with it; "modprobe btrfs"
# with "alias btrfs btrfsx" finds btrfsx, never the stock module (an
# "install btrfs" line would not keep it away).  Restores the state
# the other tests expect at the end: btrfs loaded, btrfsx loaded normally.
. ./common.sh
_require_disks 2
A=${DISKS[0]} B=${DISKS[1]}
M=$SCRATCH/d

ko=$(_btrfsx_ko) || _skip "no btrfsx.ko path in \$VM_OUT/.vm/env (VM_KOS)"
[ -f "$ko" ] || _skip "$ko not readable in the guest"
_loaded btrfs || _skip "the stock btrfs module is not loaded"
[ -e /sys/module/btrfsx/parameters/dropin ] || _fail "btrfsx has no dropin parameter"

conf=/etc/modprobe.d/btrfsx-dropin-test.conf
restore() {
	umount $M 2>/dev/null
	rm -f $conf
	if _loaded btrfsx && [ "$(cat /sys/module/btrfsx/parameters/dropin)" = Y ]; then
		rmmod btrfsx || echo "restore: rmmod btrfsx failed" >&2
	fi
	_loaded btrfs || _load_stock || echo "restore: cannot load the stock btrfs module" >&2
	_loaded btrfsx || insmod "$ko" || echo "restore: insmod $ko failed" >&2
}
trap restore EXIT

# 1. Refused while the stock module is loaded; nothing of it is disturbed.
_run rmmod btrfsx
echo "<6>btrfsx-test: dropin refusal" >/dev/kmsg
if out=$(insmod "$ko" dropin=1 2>&1); then
	_fail "insmod dropin=1 succeeded with the stock btrfs module loaded"
fi
grep -q 'busy' <<<"$out" || _fail "insmod dropin=1 failed, but not with EBUSY: $out"
msg=$(dmesg | awk '/btrfsx-test: dropin refusal/ { on = 1 } on' | grep 'drop-in mode refused')
grep -q 'the stock btrfs module is loaded' <<<"$msg" ||
	_fail "no message naming the reason: $(dmesg | tail -n 5)"
_note "refused: ${msg#*] }"
_loaded btrfsx && _fail "btrfsx loaded after the refusal"
[ -d /sys/fs/btrfs/features ] || _fail "/sys/fs/btrfs gone after the refusal"
[ "$(stat -c '%t:%T' /dev/btrfs-control)" = a:ea ] || _fail "stock /dev/btrfs-control disturbed"

# 2. Drop-in: stock btrfs out, btrfsx in under its names.
_run rmmod btrfs
_run insmod "$ko" dropin=1
_loaded btrfs && _fail "the stock btrfs module came back"
grep -qP '^\s*btrfs$' /proc/filesystems || _fail "no btrfs in /proc/filesystems"
grep -qP '^\s*btrfsx$' /proc/filesystems && _fail "btrfsx in /proc/filesystems in drop-in mode"
[ -d /sys/fs/btrfs/features ] || _fail "no /sys/fs/btrfs/features"
[ ! -e /sys/fs/btrfsx ] || _fail "/sys/fs/btrfsx exists in drop-in mode"
[ -c /dev/btrfs-control ] || _fail "no /dev/btrfs-control"
[ "$(stat -c '%t:%T' /dev/btrfs-control)" = a:ea ] ||
	_fail "/dev/btrfs-control is $(stat -c '%t:%T' /dev/btrfs-control), not 10:234"
[ ! -e /dev/btrfsx-control ] || _fail "/dev/btrfsx-control exists in drop-in mode"
[ "$(cat /sys/module/btrfsx/parameters/dropin)" = Y ] || _fail "dropin parameter not Y"
dmesg | grep -q 'btrfsx: drop-in mode' || _fail "no drop-in banner in dmesg"

# modprobe btrfs (fstests runs it before reading /sys/fs/btrfs/features):
# kmod ignores "install btrfs ..." when btrfs.ko has soft dependencies (6.1
# and 6.12: crc32c, sha256, ...; 7.2 has none), so it would try the stock
# module; "alias btrfs btrfsx" makes it find btrfsx on every kernel.
echo 'install btrfs /bin/false' >$conf
out=$(modprobe -n -v btrfs 2>&1)
softdep=$(modinfo -F softdep btrfs 2>/dev/null | tr '\n' ' ')
if [ -n "$softdep" ]; then
	grep -q 'insmod .*/btrfs\.ko' <<<"$out" ||
		_fail "kmod honours 'install btrfs' of a module with softdeps (docs/btrfs-progs.md says it does not): $out"
else
	grep -q 'install /bin/false' <<<"$out" ||
		_fail "kmod ignores 'install btrfs' of a module without softdeps: $out"
fi
_note "install btrfs /bin/false, softdeps '$softdep': modprobe -n -v btrfs: $out"
echo 'alias btrfs btrfsx' >$conf
_run modprobe btrfs
rm -f $conf
_loaded btrfs && _fail "modprobe btrfs loaded the stock module despite the alias"
_loaded btrfsx || _fail "modprobe btrfs with the alias unloaded btrfsx"

# mkfs.btrfs registers both devices through /dev/btrfs-control: with btrfsx.
_mkfs -d raid1 -m raid1 "$A" "$B"
U=$(blkid -s UUID -o value "$A")
# btrfsx-scan finds btrfsx behind /dev/btrfs-control too.
out=$(../../scripts/user/btrfsx-scan --ready "$A" 2>&1) ||
	_fail "btrfsx-scan --ready $A in drop-in mode: $out"
_mount btrfs "$A" $M
_loaded btrfs && _fail "mount -t btrfs loaded the stock module"
[ "$(_fstype $M)" = btrfs ] || _fail "/proc/mounts shows $M as $(_fstype $M)"
[ -d /sys/fs/btrfs/$U ] && [ ! -L /sys/fs/btrfs/$U ] || _fail "no /sys/fs/btrfs/$U directory"
dmesg | grep -q "BTRFSX info (device ${A#/dev/}" || _fail "$M is not btrfsx's (no BTRFSX log lines)"
_populate $M
_sums $M >/tmp/d.sums
for cmd in "filesystem show $M" "filesystem usage $M" "device usage $M" \
	"filesystem df $M" "device stats $M" "scrub start -B $M" \
	"balance start -dusage=50 $M" "subvolume snapshot -r $M $M/snap"; do
	# shellcheck disable=SC2086 # word splitting wanted
	out=$(btrfs $cmd 2>&1) || _fail "btrfs $cmd: $out"
	! grep -q '^ERROR' <<<"$out" || _fail "btrfs $cmd: $out"
done
out=$(btrfs device usage $M 2>&1)
grep -q "$B" <<<"$out" || _fail "device usage lacks $B: $out"
mkdir -p $M/recv
btrfs send -q $M/snap | btrfs receive -q $M/recv || _fail "send | receive"
_sums $M/snap >/tmp/d.snap.sums
_verify $M/recv/snap /tmp/d.snap.sums
_umount $M
_btrfs_check "$A"

# btrfs device scan (btrfs-progs, /dev/btrfs-control) talks to btrfsx.
_run btrfs device scan --forget
if mount -t btrfs "$B" $M 2>/dev/null; then
	umount $M
	_fail "mounted by $B after btrfs device scan --forget"
fi
_run btrfs device scan "$A" "$B"
_mount btrfs "$B" $M
_verify $M /tmp/d.sums
_umount $M

# 3. Back to the normal state: the stock module and btrfsx side by side.
_run rmmod btrfsx
trap - EXIT
restore
_loaded btrfs && _loaded btrfsx || _fail "modules not restored: $(grep -E '^btrfsx? ' /proc/modules)"
[ -c /dev/btrfsx-control ] && [ -d /sys/fs/btrfsx/features ] || _fail "btrfsx not back under its own names"
[ "$(stat -c '%t:%T' /dev/btrfs-control)" = a:ea ] || _fail "stock /dev/btrfs-control not back"
# The filesystem btrfsx wrote in drop-in mode mounts under stock btrfs.
_run btrfs device scan "$A" "$B"
_mount btrfs "$A" $M
_verify $M /tmp/d.sums
_umount $M
exit 0
