#!/bin/bash
# Purpose: SIGKILL ends a long btrfsx reflink as promptly as stock btrfs's
# (the clone loop's fatal-signal check survives the extent rule's wait
# path).  Reported, not asserted: a reflink killed while a transaction
# commit of its references runs stays in the kernel until the commit lets
# new transactions start, on either module, for 2-85 s on 6.1 under TCG
# (how many references the killed reflink queued before the commit blocked
# it decides).  That is how fstests' generic/298 fails on 6.1 ("umount:
# target is busy" 2 s after the kill) on stock btrfs and on btrfsx: whether
# the 30-s periodic commit starts just before its kill is timing
# (docs/fstests.md, tests/fstests/timing.list).  commit=300 keeps that
# commit out of the way here; the test starts one itself.  6.12 commits
# the references in under 2 s, and nothing is killed in it.  make check
# doubles the file to 2^16 one-block extents; long mode
# (lib-reliability.sh) to 2^18, where generic/298's doubling ends here.
. ./common.sh
. ./lib-reliability.sh
_require_cmd xfs_io
_require_disks 1
_loaded btrfs || _load_stock || _skip "stock btrfs module not available"
D=${DISKS[0]}
M=$SCRATCH/250
top=15
_long && top=17

now() { echo "${EPOCHREALTIME/./}"; } # microseconds
secs() { printf '%d.%d' $(($1 / 1000000)) $(($1 / 100000 % 10)); }

# running PID: our child PID has not exited (a zombie has: it holds no file)
running() {
	local st
	st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) && [ "$st" != Z ]
}

# kill_reflink: reflink the file onto its end and SIGKILL xfs_io after 1 s,
# as generic/298 does with timeout(1); sets $pid and $killed (the time).
kill_reflink() {
	local n
	n=$(stat -c %s "$M/f")
	xfs_io -c "reflink $M/f 0 $n $n" "$M/f" >/dev/null 2>&1 &
	pid=$!
	sleep 1
	running $pid || _fail "$type: the reflink ended before the kill"
	kill -KILL $pid
	killed=$(now)
}

# gone: sets $lag, microseconds from the kill until xfs_io has exited (by
# SIGKILL); not in a $(...): wait works on the shell's own children only.
gone() {
	local rc
	wait "$pid"
	rc=$?
	[ $rc = 137 ] || _fail "$type: the killed xfs_io exited with $rc, not by SIGKILL"
	lag=$(($(now) - killed))
}

# run TYPE: prints "LAG COMMIT HELD LAG2" in microseconds.  LAG: kill to
# exit.  COMMIT: of the references, started by hand.  HELD: xfs_io killed
# in that commit was still there 2 s later (the generic/298 failure), "-"
# when the commit was over within 2 s (6.12) and nothing was killed in it.
run() {
	local type=$1 i pid killed t0 lag lag1 commit held=- lag2=0 sp
	_mkfs "$D"
	_mount "$type" "$D" "$M" commit=300
	_run xfs_io -f -c "pwrite -S 0x61 0 4096" "$M/f"
	# 2^(top+1) one-block extents: a whole-file reflink of 2^18 of them
	# runs 15-60 s, of 2^16 a quarter of that, past the kill after 1 s.
	for ((i = 0; i <= top; i++)); do
		_run xfs_io -c "reflink $M/f 0 $((4096 << i)) $((4096 << i))" "$M/f"
	done
	kill_reflink
	gone
	lag1=$lag

	t0=$(now)
	btrfs filesystem sync "$M" >/dev/null &
	sp=$!
	for ((i = 0; i < 20; i++)); do
		running $sp || break
		sleep 0.1
	done
	if running $sp; then
		kill_reflink
		sleep 2
		held=0
		running "$pid" && held=1
		gone
		lag2=$lag
	fi
	wait $sp || _fail "$type: btrfs filesystem sync failed"
	commit=$(($(now) - t0))
	_umount "$M"
	echo "$lag1 $commit $held $lag2"
}

out=$(run btrfs) || exit 1
read -r s_lag s_commit s_held s_lag2 <<<"$out"
out=$(run btrfsx) || exit 1
read -r x_lag x_commit x_held x_lag2 <<<"$out"
_note "killed reflink exits after (s): stock $(secs "$s_lag"), btrfsx $(secs "$x_lag")"
_note "commit of its references (s): stock $(secs "$s_commit"), btrfsx $(secs "$x_commit")"
_note "killed in that commit: still there 2 s later (-: commit within 2 s, not tried): stock $s_held, btrfsx $x_held; exits after (s): stock $(secs "$s_lag2"), btrfsx $(secs "$x_lag2")"
[ "$x_lag" -le 5000000 ] ||
	_fail "btrfsx's killed reflink ran on for $(secs "$x_lag") s (stock: $(secs "$s_lag") s)"
exit 0
