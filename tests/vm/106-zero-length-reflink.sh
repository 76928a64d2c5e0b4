#!/bin/bash
# Purpose: an uncompressed file extent item with disk_num_bytes 0 (a corrupt
# image) is reflinked by btrfsx as by stock btrfs, with no WARN from btrfsx's
# lock code.  Before, the extent rule asked the lock manager for the empty
# DISK range [disk_bytenr, disk_bytenr - 1]: a WARN and EINVAL where stock's
# reflink succeeds (found by the 6.12 long fuzz run).  What happens next is
# upstream's and must match: both fail to run the reference (no extent item
# of 0 bytes), with the same WARNs (fuzz.py klog-sigs), and only those that
# 106-zero-length-reflink.klog expects; tests/vm/suite checks the log with
# the same list.
. ./common.sh
. ./lib-reliability.sh
_require_py
_require_cmd mkfs.btrfs
_loaded btrfs || _load_stock || _skip "stock btrfs module not available"
M=$SCRATCH/106
img=$SCRATCH/106.img
_image_mount "$img" "$M"
head -c 1M /dev/urandom >"$M/f1"
_image_umount "$M"
desc=$($PY ./fuzz/fuzz.py zero-disk-extent --uncompressed "$img" "$img.bad" 0) ||
	_fail "no uncompressed extent to patch: $desc"
_note "$desc"

# try TYPE: mount a fresh copy, reflink f1, unmount; prints the result.
try() {
	local type=$1 d r
	cp --sparse=always "$img.bad" "$img.$type"
	d=$(losetup -f --show "$img.$type") || _fail "losetup $img.$type"
	_klog_mark "106-$type"
	if ! mount -t "$type" "$d" "$M" 2>/dev/null; then
		r="mount refused"
	elif r=$(xfs_io -f -c "reflink $M/f1" "$M/r1" 2>&1); then
		r="reflink ok"
	else
		r="reflink: ${r##*: }"
	fi
	sync 2>/dev/null
	umount "$M" 2>/dev/null
	losetup -d "$d"
	rm -f "$img.$type"
	if _klog_since "106-$type" | grep -qE '[Tt]ransaction ([0-9]+ )?aborted'; then
		r+=", transaction aborted"
	fi
	echo "$r"
}
stock=$(try btrfs)
log_stock=$(_klog_since "106-btrfs")
ours=$(try btrfsx)
log=$(_klog_since "106-btrfsx")
_note "stock btrfs: $stock"
_note "btrfsx:      $ours"
rm -f "$img" "$img.bad"
own=$($PY ./fuzz/fuzz.py own-code <<<"$log" | head -3)
[ -z "$own" ] || _fail "WARN from btrfsx's lock code: $own"
[ "$ours" = "$stock" ] || _fail "btrfsx ($ours) differs from stock btrfs ($stock)"
sig_stock=$($PY ./fuzz/fuzz.py klog-sigs <<<"$log_stock" | sort)
sig=$($PY ./fuzz/fuzz.py klog-sigs <<<"$log" | sort)
[ "$sig" = "$sig_stock" ] ||
	_fail "btrfsx's kernel log [$(paste -sd';' <<<"$sig")] differs from stock's [$(paste -sd';' <<<"$sig_stock")]"
bad=$($PY ./fuzz/fuzz.py klog-check ./106-zero-length-reflink.klog <<<"$log_stock"$'\n'"$log")
[ -z "$bad" ] || _fail "kernel log not expected by 106-zero-length-reflink.klog: $bad"
_note "both (expected upstream): $(paste -sd';' <<<"$sig")"
exit 0
