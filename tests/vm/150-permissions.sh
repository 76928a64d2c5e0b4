#!/bin/bash
# Purpose: what btrfsx adds under sysfs/debugfs/tracefs/dev is root-only writable with stock btrfs' mode bits, and an unprivileged user's clone/dedupe/ioctls fare exactly as on stock btrfs.
. ./common.sh
. ./lib-reliability.sh
_require_py
_require_disks 2
A=${DISKS[0]} B=${DISKS[1]}
P=$SCRATCH/perm
_mkfs "$A"
_mkfs "$B"
_mount btrfs "$A" $P/btrfs
_mount btrfsx "$B" $P/btrfsx
ua=$(blkid -s UUID -o value "$A")
ub=$(blkid -s UUID -o value "$B")

# mode owner:group relpath, with the fs uuid as UUID.
listing() { # DIR UUID
	(cd "$1" && find . -mindepth 1 \( -type f -o -type d \) -printf '%m %u:%g %P\n' 2>/dev/null) |
		sed "s/$2/UUID/" | sort -k3
}
bad=0
report() { echo "# $*"; bad=$((bad + 1)); }
root_only() { # NAME DIR: no group- or world-writable entry, all owned by root
	local name=$1 mode owner path
	[ -d "$2" ] || _fail "$name: btrfsx has no $2"
	listing "$2" "$ub" >/tmp/perm.x
	while read -r mode owner path; do
		[ $((8#$mode & 8#022)) = 0 ] || report "$name/$path: mode $mode is group/world-writable"
		[ "$owner" = root:root ] || report "$name/$path: owner $owner"
	done </tmp/perm.x
	echo "# $name: $(wc -l </tmp/perm.x) entries checked"
}
compare_tree() { # NAME STOCKDIR BTRFSXDIR
	local name=$1 l
	# A missing directory would compare nothing.
	[ -d "$2" ] || _fail "$name: stock btrfs has no $2: nothing to compare with"
	root_only "$name" "$3"
	listing "$2" "$ua" >/tmp/perm.stock
	# Same mode as stock for every entry both have; btrfsx-only entries listed.
	l=$(join -1 3 -2 3 -o 1.1,2.1,0 /tmp/perm.stock /tmp/perm.x | awk '$1 != $2')
	[ -z "$l" ] || report "$name: modes differ from stock (stock btrfsx path): $(head -5 <<<"$l" | tr '\n' ';')"
	l=$(join -1 3 -2 3 -v 2 /tmp/perm.stock /tmp/perm.x | awk '{print $1}')
	[ -z "$l" ] || echo "# $name: btrfsx-only entries (checked root-only): $(head -10 <<<"$l" | tr '\n' ' ')"
	l=$(join -1 3 -2 3 -v 1 /tmp/perm.stock /tmp/perm.x | awk '{print $1}')
	[ -z "$l" ] || echo "# $name: stock-only entries: $(head -10 <<<"$l" | tr '\n' ' ')"
}
compare_tree sysfs /sys/fs/btrfs /sys/fs/btrfsx
compare_tree tracefs /sys/kernel/tracing/events/btrfs /sys/kernel/tracing/events/btrfsx
# Stock btrfs has no module parameters, and a debugfs dir only with
# CONFIG_BTRFS_DEBUG: where it has none, btrfsx's are checked root-only.
if [ -d /sys/module/btrfs/parameters ]; then
	compare_tree module-params /sys/module/btrfs/parameters /sys/module/btrfsx/parameters
else
	root_only module-params /sys/module/btrfsx/parameters
fi
mountpoint -q /sys/kernel/debug || _fail "debugfs is not mounted"
if [ -d /sys/kernel/debug/btrfs ]; then
	compare_tree debugfs /sys/kernel/debug/btrfs /sys/kernel/debug/btrfsx
fi
# Anything named btrfsx in debugfs (the debug build's lock microbenchmark).
for d in /sys/kernel/debug/*btrfsx*; do
	[ -e "$d" ] || continue
	root_only "debugfs ${d##*/}" "$d"
done
sc=$(stat -c '%a %U:%G' /dev/btrfs-control)
xc=$(stat -c '%a %U:%G' /dev/btrfsx-control)
[ "$sc" = "$xc" ] || report "/dev/btrfsx-control is $xc, /dev/btrfs-control is $sc"
echo "# control devices: btrfs $sc, btrfsx $xc"

# Unprivileged clone/dedupe/ioctls, as nobody.
id nobody >/dev/null 2>&1 || useradd -M -r nobody
$PY ./fuzz/calls.py unpriv --btrfs $P/btrfs --btrfsx $P/btrfsx --user nobody || bad=$((bad + 1))
_umount $P/btrfs
_umount $P/btrfsx
_btrfs_check "$A"
_btrfs_check "$B"
[ $bad = 0 ] || _fail "$bad permission problems (above)"
exit 0
