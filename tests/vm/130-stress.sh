#!/bin/bash
# Purpose: concurrent writers, clone and dedupe loops, snapshots, full balances and scrubs on one btrfsx filesystem lose no data (sha256 of every file) and abort nothing.
#
# 30 s in make check, 30 min in long mode (lib-reliability.sh), or
# BTRFSX_STRESS_SECS.  Each loop keeps a sha256 manifest of what its files
# must hold, computed from the source copies in tmpfs; every file is checked
# at the end, again after a remount, and btrfs check must be clean.
. ./common.sh
. ./lib-reliability.sh
_require_cmd xfs_io
_require_disks 1
D=${DISKS[0]}
M=$SCRATCH/st
W=$SCRATCH/st-work # tmpfs: sources, manifests, counters
secs=30
_long && secs=1800
secs=${BTRFSX_STRESS_SECS:-$secs}
fs=${BTRFSX_STRESS_FS:-btrfsx} # btrfs: the same stress on stock, to compare
rm -rf "$W"
mkdir -p "$W/src" "$W/man" "$W/cnt"
_klog_mark stress
_mkfs "$D"
_mount "$fs" "$D" "$M"
mkdir -p "$M/src" "$M/w" "$M/c" "$M/d" "$M/o" "$M/snaps"
NSRC=8
for k in $(seq 0 $((NSRC - 1))); do
	head -c $(((k + 2) * 128))K /dev/urandom >"$W/src/S$k" # >= 256K
	cp "$W/src/S$k" "$M/src/S$k"
done
(cd "$M" && sha256sum src/S*) >"$W/src.sums"
sync
printf -v t0 '%(%s)T' -1
end=$((t0 + secs))

# running: the loop goes on (its first round always runs, so that every
# kind of operation is tried however slow the machine is).
running() {
	local now
	[ -n "${started:-}" ] || { started=1; return 0; }
	printf -v now '%(%s)T' -1
	[ "$now" -lt "$end" ]
}
# count NAME [ok|err]: one line per op, counted at the end.
count() { echo "${2:-ok}" >>"$W/cnt/$1"; }
# expect SLOTFILE PATH-IN-FS SHA: the manifest entry of one slot.
expect() { echo "$3  $2" >"$W/man/$1"; }
sha() { sha256sum | cut -d' ' -f1; }

writer() { # fresh random data, fsync'd, slot files rewritten
	local i=$1 n=0 f s
	while running; do
		f=w/$i-$((n % 24))
		head -c $(((RANDOM % 512 + 4) * 1024)) /dev/urandom >"$W/w$i.tmp"
		s=$(sha <"$W/w$i.tmp")
		if cp "$W/w$i.tmp" "$M/$f" && xfs_io -c fsync "$M/$f"; then
			expect "w$i-$((n % 24))" "$f" "$s"
			count write
		else
			count write err
		fi
		n=$((n + 1))
	done
}

cloner() { # whole-file and range reflinks of the sources
	local n=0 j k f s out
	while running; do
		j=$((RANDOM % NSRC)) k=$((RANDOM % NSRC)) f=c/$((n % 30))
		rm -f "$M/$f"
		if [ $((n % 2)) = 0 ]; then
			s=$(sha <"$W/src/S$k")
			out=$(cp --reflink=always "$M/src/S$k" "$M/$f" 2>&1) || out+=" (cp failed)"
		else
			# 128K of S_j, then 128K of S_k from offset 128K.
			s=$( (head -c 128K "$W/src/S$j"; tail -c +131073 "$W/src/S$k" | head -c 128K) | sha)
			# xfs_io exits 0 when a command fails: its output tells.
			out=$(xfs_io -f -c "reflink $M/src/S$j 0 0 128K" -c "reflink $M/src/S$k 128K 128K 128K" "$M/$f" 2>&1 | grep -v '^linked\|^[0-9.]* [KMG]*i*B*/sec\|ops/sec\|^$')
		fi
		if [ -z "$out" ]; then
			expect "c$((n % 30))" "$f" "$s"
			count clone
		else
			echo "clone: $out" >>"$W/errors"
			count clone err
		fi
		n=$((n + 1))
	done
}

deduper() { # private copies of the sources, deduped back onto them
	local n=0 k f out
	while running; do
		k=$((RANDOM % NSRC)) f=d/$((n % 20))
		rm -f "$M/$f"
		cp --reflink=never "$M/src/S$k" "$M/$f"
		out=$(xfs_io -c "dedupe $M/src/S$k 0 0 $(stat -c %s "$M/src/S$k")" "$M/$f" 2>&1)
		if grep -q "^deduped" <<<"$out"; then
			expect "d$((n % 20))" "$f" "$(sha <"$W/src/S$k")"
			count dedupe
		else
			echo "dedupe: $out" >>"$W/errors"
			count dedupe err
		fi
		n=$((n + 1))
	done
}

overwriter() { # CoW of shared extents: clone, then overwrite its head
	local n=0 k f b s
	while running; do
		k=$((RANDOM % NSRC)) f=o/$((n % 20)) b=$(printf '%02x' $((RANDOM % 256)))
		rm -f "$M/$f"
		s=$( (head -c 64K /dev/zero | tr '\0' "\\$(printf '%03o' 0x$b)"; tail -c +65537 "$W/src/S$k") | sha)
		if cp --reflink=always "$M/src/S$k" "$M/$f" &&
			xfs_io -c "pwrite -q -S 0x$b 0 64K" "$M/$f"; then
			expect "o$((n % 20))" "$f" "$s"
			count overwrite
		else
			count overwrite err
		fi
		n=$((n + 1))
	done
}

snapdel() { # N: delete snapshot sN
	if btrfs subvolume delete "$M/snaps/s$1" >/dev/null 2>&1; then
		count snapdel
	else
		count snapdel err
	fi
}
snapshotter() { # keeps the last three
	local n=0
	while running; do
		if btrfs subvolume snapshot -r "$M" "$M/snaps/s$n" >/dev/null 2>&1; then
			count snapshot
		else
			count snapshot err
		fi
		[ $n -lt 3 ] || snapdel $((n - 3))
		n=$((n + 1))
		sleep 4
	done
	[ $n -gt 3 ] || snapdel 0 # one delete, however short the run
}

balancer() {
	local out
	while running; do
		if out=$(btrfs balance start --full-balance "$M" 2>&1); then
			count balance
		else
			echo "balance: $out" >>"$W/errors"
			count balance err
		fi
	done
}

scrubber() {
	local out
	while running; do
		out=$(btrfs scrub start -B "$M" 2>&1)
		if grep -qE 'Error summary: +no errors|no errors found' <<<"$out"; then
			count scrub
		elif grep -qiE 'csum|verify|read=[1-9]|super=[1-9]|uncorrectable' <<<"$out"; then
			echo "scrub: $out" >>"$W/errors"
			count scrub err
		else
			count scrub-interrupted # e.g. cancelled by a balance
		fi
		sleep 2
	done
}

pids=()
exec 3>&2 2>>"$W/loops.err" # the loops' complaints, shown on failure
writer 1 & pids+=($!)
writer 2 & pids+=($!)
cloner & pids+=($!)
deduper & pids+=($!)
overwriter & pids+=($!)
snapshotter & pids+=($!)
balancer & pids+=($!)
scrubber & pids+=($!)
# Nothing may hang: every loop ends within a grace period after the end.
for p in "${pids[@]}"; do
	while kill -0 "$p" 2>/dev/null; do
		printf -v now '%(%s)T' -1
		[ "$now" -lt $((end + 300)) ] || _fail "a stress loop is stuck 300 s after the end (pid $p: $(cat /proc/"$p"/cmdline 2>/dev/null | tr '\0' ' '))"
		sleep 1
	done
done
wait
exec 2>&3 3>&-
# An abort is the cause of whatever fails after it: say so first.
aborts=$(_klog_since stress | grep -cE '[Tt]ransaction ([0-9]+ )?aborted|forced readonly')
[ "$aborts" = 0 ] || _fail "$fs: transaction aborted during the stress after $(grep -hc '^ok' "$W"/cnt/* | paste -sd+ | bc) ops: $(_klog_since stress | grep -E -m4 '[Tt]ransaction ([0-9]+ )?aborted|WARNING:|error \(device|RIP:' | tr -s ' ' | cut -c1-200)"

# Every kind of operation the loops run (a full scrub, not one interrupted).
KINDS="write clone dedupe overwrite snapshot snapdel balance scrub"
done_ops() { local n; n=$(grep -c '^ok' "$W/cnt/$1" 2>/dev/null); echo "${n:-0}"; } # KIND
summary() {
	local k
	for k in $KINDS scrub-interrupted; do
		printf '%s %s, ' "$k" "$(done_ops "$k")"
	done
}
errs=$(cat "$W"/cnt/* 2>/dev/null | grep -c '^err')
verify() { # where
	local bad=0 s
	cat "$W"/man/* >"$W/all.sums"
	bad=$( (cd "$M" && sha256sum -c "$W/all.sums" 2>&1) | grep -vc ': OK$')
	for s in "$M"/snaps/s*; do
		[ -d "$s" ] || continue
		bad=$((bad + $( (cd "$s" && sha256sum -c "$W/src.sums" 2>&1) | grep -vc ': OK$')))
	done
	bad=$((bad + $( (cd "$M" && sha256sum -c "$W/src.sums" 2>&1) | grep -vc ': OK$')))
	[ "$bad" = 0 ] || _fail "$bad checksum mismatches $1: $( (cd "$M" && sha256sum -c "$W/all.sums" 2>&1) | grep -v ': OK$' | head -3)"
}
sync
verify "after the run"
_umount "$M"
_btrfs_check "$D"
_mount "$fs" "$D" "$M"
verify "after remount"
nfiles=$(wc -l <"$W/all.sums")
_umount "$M"
_note "$fs, $secs s: $(summary)files checked $nfiles, op errors $errs, aborts $aborts, mismatches 0"
[ "$errs" = 0 ] || _fail "$errs operations failed: $(head -c 600 "$W/errors" 2>/dev/null) $(head -5 "$W/loops.err")"
for k in $KINDS; do
	[ "$(done_ops "$k")" -gt 0 ] || _fail "no $k completed in $secs s: $(summary)"
done
rm -rf "$W"
exit 0
