#!/bin/bash
# Purpose: "btrfs balance cancel" ends a data balance under clone and dedupe
# load on btrfsx as on stock btrfs.  Relocation's fence (the DISK range of a
# data block group, held around the drop of its reloc roots) is waited for
# without a cancel check, like upstream's drop itself; the wait is bounded by
# the clones in flight, so a cancel must still end the balance promptly.
#
# Per module, on a fresh filesystem with 384 MiB of data in 48 files: two
# cloners and a deduper run on the data while a data balance runs; $CYCLES
# times the balance is cancelled as the pass that updates data pointers of
# a block group starts, and the time the cancel takes is measured.  Fails
# when a cancel finds no balance running, when the balance
# does not end canceled, when btrfsx's cancelled passes did not take the
# fence (the test would not test it), when a btrfsx cancel takes longer
# than $LIMIT s or more than 3 times stock's slowest plus 10 s, when data is
# lost, or on a bad kernel log (tests/vm/suite).
. ./common.sh
. ./lib-reliability.sh
_require_py
_require_cmd xfs_io
_require_disks 1
D=${DISKS[0]}
M=$SCRATCH/cancel
CYCLES=1
_long && CYCLES=5
NSRC=48 # 8 MiB sources: 384 MiB, in two data block groups at least
LIMIT=60
_loaded btrfs || _load_stock || _skip "stock btrfs module not available"

W=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait; umount $M 2>/dev/null; rm -rf "$W"' EXIT

# cancel.py MNT: wait for a data block group's move pass to end (kernel
# log), cancel the balance (BTRFS_IOC_BALANCE_CTL, CANCEL), print the
# seconds the cancel took; fails when no balance is running.
cat >"$W/cancel.py" <<'PY'
import errno, fcntl, os, select, sys, time
BTRFS_IOC_BALANCE_CTL, CANCEL = 0x40049421, 2
fd = os.open(sys.argv[1], os.O_RDONLY)
kmsg = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
os.lseek(kmsg, 0, os.SEEK_END)
print("ready", flush=True)
deadline = time.monotonic() + 60
while True:
    left = deadline - time.monotonic()
    if left <= 0:
        sys.exit("no data block group moved its data in 60 s")
    select.select([kmsg], [], [], left)
    try:
        rec = os.read(kmsg, 8192).decode(errors="replace")
    except OSError as e:  # EAGAIN; EPIPE: records overwritten
        if e.errno not in (errno.EAGAIN, errno.EPIPE):
            raise
        continue
    if "stage: move data extents" in rec:
        break
t0 = time.monotonic()
try:
    fcntl.ioctl(fd, BTRFS_IOC_BALANCE_CTL, CANCEL)
except OSError as e:
    sys.exit(f"cancel: {os.strerror(e.errno)} (no balance running?)")
print(f"{time.monotonic() - t0:.2f}")
PY

cloner() { # dst prefix: reflink random source files, again and again
	local n=0 k
	while [ ! -e "$W/stop" ]; do
		k=$((RANDOM % NSRC))
		xfs_io -f -c "reflink $M/src/s$k" "$M/c/$1-$((n % 16))" >/dev/null 2>&1 &&
			echo >>"$W/ops.clone"
		n=$((n + 1))
	done
}
deduper() { # private copies deduped back onto their sources
	local n=0 k f
	while [ ! -e "$W/stop" ]; do
		k=$((RANDOM % NSRC)) f=$M/d/$((n % 8))
		cp --reflink=never "$M/src/s$k" "$f" 2>/dev/null &&
			xfs_io -c "dedupe $M/src/s$k 0 0 8M" "$f" 2>/dev/null | grep -q '^deduped' &&
			echo >>"$W/ops.dedupe"
		n=$((n + 1))
	done
}

# run TYPE: the cycles on a fresh filesystem; the cancel times (s) go to
# $W/TYPE.times, the clones and dedupes done to $W/TYPE.ops.
run() {
	local type=$1 c bal canceller
	# A failure in here (a subshell) stops this run's loops too.
	trap 'touch "$W/stop"; wait' EXIT
	_mkfs "$D"
	_mount "$type" "$D" "$M"
	mkdir -p "$M/src" "$M/c" "$M/d"
	for k in $(seq 0 $((NSRC - 1))); do
		head -c 8M /dev/urandom >"$M/src/s$k"
	done
	(cd "$M/src" && sha256sum s*) >"$W/src.sums"
	sync
	rm -f "$W"/stop
	: >"$W/ops.clone"
	: >"$W/ops.dedupe"
	cloner a & cloner b & deduper &
	for c in $(seq 1 "$CYCLES"); do
		# Cancel as soon as a data block group's "move data extents" pass
		# has ended: the pass that updates its data pointers comes next
		# (milliseconds long, hence the canceller in python, waiting on
		# /dev/kmsg with the ioctl ready), and whether that pass sees the
		# cancel or not, it ends through the fence.
		rm -f "$W/cancel.out"
		timeout $((90 + LIMIT)) "$PY" "$W/cancel.py" "$M" >"$W/cancel.out" 2>&1 &
		canceller=$!
		for _ in $(seq 1 50); do
			grep -q '^ready' "$W/cancel.out" 2>/dev/null && break
			sleep 0.1
		done
		btrfs balance start -d "$M" >"$W/bal.out" 2>&1 &
		bal=$!
		wait $canceller
		case $? in
		0) ;;
		124) _fail "$type, cycle $c: no cancel returned within $((90 + LIMIT)) s of the balance start" ;;
		*) _fail "$type, cycle $c: $(tail -n1 "$W/cancel.out") (balance: $(cat "$W/bal.out"))" ;;
		esac
		wait $bal
		grep -qi 'cancel' "$W/bal.out" ||
			_fail "$type, cycle $c: the balance did not end canceled: $(cat "$W/bal.out")"
		tail -n1 "$W/cancel.out" >>"$W/$type.times"
	done
	touch "$W/stop"
	wait
	(cd "$M/src" && sha256sum --quiet -c "$W/src.sums") >/dev/null 2>&1 ||
		_fail "$type: source data changed: $( (cd "$M/src" && sha256sum --quiet -c "$W/src.sums") 2>&1 | head -3)"
	echo "clones $(wc -l <"$W/ops.clone") dedupes $(wc -l <"$W/ops.dedupe")" >"$W/$type.ops"
	if [ "$type" = btrfsx ]; then
		# Each cancelled pass updated data pointers: each took the fence.
		local rel fenced
		rel=$(cat "/sys/fs/btrfsx/$(blkid -s UUID -o value "$D")/range_locks/relocation")
		echo "relocation: $rel" >"$W/rel"
		fenced=$(awk '{ print $4 }' <<<"$rel")
		[ "${fenced:-0}" -ge "$CYCLES" ] ||
			_fail "btrfsx: $CYCLES cancelled passes took the fence ${fenced:-?} times: $rel"
	fi
	_umount "$M"
	_btrfs_check "$D"
}

(run btrfs) || exit 1
(run btrfsx) || exit 1
_note "stock btrfs: cancel took (s) $(paste -sd' ' "$W/btrfs.times"), $(cat "$W/btrfs.ops")"
_note "btrfsx:      cancel took (s) $(paste -sd' ' "$W/btrfsx.times"), $(cat "$W/btrfsx.ops"); $(cat "$W/rel")"
smax=$(sort -g "$W/btrfs.times" | tail -n1)
xmax=$(sort -g "$W/btrfsx.times" | tail -n1)
bound=$(echo "b = 3 * $smax + 10; if (b > $LIMIT) b = $LIMIT; b" | bc)
[ "$(echo "$xmax <= $bound" | bc)" = 1 ] ||
	_fail "btrfsx's slowest cancel took $xmax s, stock's $smax s (bound $bound s)"
read -r _ clones _ dedupes <"$W/btrfsx.ops"
if [ "$clones" -eq 0 ] || [ "$dedupes" -eq 0 ]; then
	_fail "btrfsx: clones or dedupes never completed during the balances: $(cat "$W/btrfsx.ops")"
fi
exit 0
