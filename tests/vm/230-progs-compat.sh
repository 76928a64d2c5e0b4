#!/bin/bash
# Purpose: the btrfsx.progs_compat switch.  On (default): /proc/mounts and
# findmnt show a btrfsx mount as btrfs, and /sys/fs/btrfs/<fsid> links to
# /sys/fs/btrfsx/<fsid>, holding the stock module (rmmod btrfs: in use)
# until the umount; a seed filesystem sprouted by btrfs device add gets the
# link under its new fsid.  Off: /proc/mounts and findmnt -t btrfsx show
# btrfsx, no link, the stock module is not held.  Restores btrfs and btrfsx
# loaded normally at the end.
. ./common.sh
_require_disks 2
_require_cmd findmnt btrfstune
A=${DISKS[0]} B=${DISKS[1]}
M=$SCRATCH/c

ko=$(_btrfsx_ko) || _skip "no btrfsx.ko path in \$VM_OUT/.vm/env (VM_KOS)"
[ -f "$ko" ] || _skip "$ko not readable in the guest"
_loaded btrfs || _skip "the stock btrfs module is not loaded"
[ "$(cat /sys/module/btrfsx/parameters/progs_compat 2>/dev/null)" = Y ] ||
	_fail "btrfsx's progs_compat (default Y) is missing or off"

restore() {
	umount $M 2>/dev/null
	if _loaded btrfsx && [ "$(cat /sys/module/btrfsx/parameters/progs_compat)" != Y ]; then
		rmmod btrfsx || echo "restore: rmmod btrfsx failed" >&2
	fi
	_loaded btrfs || _load_stock || echo "restore: cannot load the stock btrfs module" >&2
	_loaded btrfsx || insmod "$ko" || echo "restore: insmod $ko failed" >&2
}
trap restore EXIT

refs() { cat /sys/module/btrfs/refcnt; }

# On: shown as btrfs, linked, the stock module held while mounted.
_mkfs "$A"
U=$(blkid -s UUID -o value "$A")
r0=$(refs)
_mount btrfsx "$A" $M
[ "$(findmnt -n -o FSTYPE $M)" = btrfs ] || _fail "findmnt shows $(findmnt -n -o FSTYPE $M)"
findmnt -t btrfs $M >/dev/null || _fail "findmnt -t btrfs does not list $M"
[ -L /sys/fs/btrfs/$U ] || _fail "no /sys/fs/btrfs/$U link"
[ "$(refs)" = $((r0 + 1)) ] || _fail "stock btrfs refcnt $(refs), want $((r0 + 1)) while linked"
if rmmod btrfs 2>/dev/null; then
	_fail "rmmod btrfs succeeded while /sys/fs/btrfs/$U links into it"
fi
_populate $M
_sums $M >/tmp/c.sums
_umount $M
[ ! -e /sys/fs/btrfs/$U ] || _fail "/sys/fs/btrfs/$U left after umount"
[ "$(refs)" = "$r0" ] || _fail "stock btrfs refcnt $(refs) after umount, want $r0"

# A seed filesystem sprouted by device add changes its fsid: the link moves.
_run btrfstune -S 1 "$A"
_mount btrfsx "$A" $M
[ -L /sys/fs/btrfs/$U ] || _fail "no link for the seed filesystem $U"
_run btrfs device add -f "$B" $M
_run mount -o remount,rw $M
N=$(btrfs filesystem show $M | awk '/uuid:/ { print $NF; exit }')
[ -n "$N" ] && [ "$N" != "$U" ] || _fail "no new fsid after sprouting: '$N'"
[ -L /sys/fs/btrfs/$N ] || _fail "no /sys/fs/btrfs/$N link after sprouting"
[ ! -e /sys/fs/btrfs/$U ] || _fail "stale /sys/fs/btrfs/$U link after sprouting"
out=$(btrfs filesystem usage $M 2>&1) || _fail "filesystem usage of the sprout: $out"
! grep -q '^ERROR' <<<"$out" || _fail "filesystem usage of the sprout: $out"
echo sprouted >$M/sprouted
_verify $M /tmp/c.sums
_umount $M
[ ! -e /sys/fs/btrfs/$N ] || _fail "/sys/fs/btrfs/$N left after umount"
[ "$(refs)" = "$r0" ] || _fail "stock btrfs refcnt $(refs) after the sprout's umount, want $r0"

# Off: shown as btrfsx, no link, the stock module not held.
_run rmmod btrfsx
_run insmod "$ko" progs_compat=0
_mkfs "$A"
U=$(blkid -s UUID -o value "$A")
_mount btrfsx "$A" $M
[ "$(_fstype $M)" = btrfsx ] || _fail "/proc/mounts shows $(_fstype $M) with progs_compat=0"
findmnt -t btrfsx $M >/dev/null || _fail "findmnt -t btrfsx does not list $M"
[ ! -e /sys/fs/btrfs/$U ] || _fail "/sys/fs/btrfs/$U exists with progs_compat=0"
[ -d /sys/fs/btrfsx/$U ] || _fail "no /sys/fs/btrfsx/$U"
[ "$(refs)" = "$r0" ] || _fail "stock btrfs refcnt $(refs) with progs_compat=0, want $r0"
_populate $M
_sums $M >/tmp/c.sums
_umount $M
_mount btrfsx "$A" $M
_verify $M /tmp/c.sums
_umount $M

_run rmmod btrfsx
trap - EXIT
restore
_loaded btrfs && _loaded btrfsx || _fail "modules not restored: $(grep -E '^btrfsx? ' /proc/modules)"
[ "$(cat /sys/module/btrfsx/parameters/progs_compat)" = Y ] || _fail "btrfsx not back with its defaults"
exit 0
