#!/bin/bash
# Purpose: corrupted images (seeded: superblock, tree blocks, extent refcounts, file extents, ...) mount or are refused under btrfsx exactly as under stock btrfs, with no WARN/BUG/abort/hang of btrfsx's own.
#
# fuzz/fuzz.py builds two populated 256 MiB images with stock btrfs (16 KiB
# nodes; 4 KiB nodes with a log tree to replay), then per seed corrupts a copy,
# mounts it as btrfsx through a loop device, walks it, reads every file,
# reflinks one, writes and fsyncs one, unmounts; then the same copy under
# stock btrfs.  Fails on: a WARN/BUG/abort under btrfsx that stock btrfs does
# not show on the same image (compared by signature: fuzz.py klog-sigs), any
# WARN in btrfsx's own code (statements of patched btrfs functions included:
# the signatures name the statement), a WARN that stock btrfs did not report
# identically on that image (what both report is appended to
# $VM_OUT/100-corrupt-images.seen.klog, which tests/vm/suite allows), a different mount
# result, a hang, a problem outside the trials.
#
# make check: 30 images (seeds 1..30); long mode (see lib-reliability.sh): 500.
# BTRFSX_FUZZ_FIRST / BTRFSX_FUZZ_COUNT override.  Replay one case:
#   fuzz/fuzz.py corrupt BASE OUT SEED   (BASE saved as $VM_OUT/100-*.img.zst)
. ./common.sh
. ./lib-reliability.sh
_require_py
_require_cmd mkfs.btrfs zstd
modprobe loop 2>/dev/null
[ -e /dev/loop-control ] || _skip "no loop device support"

count=30
_long && count=500
count=${BTRFSX_FUZZ_COUNT:-$count}
first=${BTRFSX_FUZZ_FIRST:-1}
out=${VM_OUT:-/tmp}
rm -f "$out"/100-seeds.txt "$out"/100-corrupt-images.seen.klog

# Our own start marker, so that the driver also checks the log of this
# script when it runs outside tests/vm/suite.
marker="btrfsx-fuzz-start-$$"
echo "<6>$marker" >/dev/kmsg
# A trial that takes longer than this is a hang.  The debug kernel (KASAN,
# lockdep) runs 2-7x slower: give it more.
trial_timeout=120
case $(uname -r) in *-btrfsx-debug) trial_timeout=600 ;; esac
$PY ./fuzz/fuzz.py run --out "$out" --work "$SCRATCH/fuzz" --first "$first" \
	--count "$count" --marker "$marker" --timeout "$trial_timeout" \
	--klog ./100-corrupt-images.klog --seen "$out/100-corrupt-images.seen.klog" \
	${VERBOSE:+--verbose}
rc=$?
rm -rf "$SCRATCH/fuzz"
# The kernel log stays: tests/vm/suite checks it against the same list.
exit $rc
