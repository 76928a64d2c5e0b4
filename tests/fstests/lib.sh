# SPDX-License-Identifier: GPL-2.0
# Sourced by tests/fstests/run and tests/fstests/long: the verdict on one
# test from its results on stock btrfs and on btrfsx.

# fstests_timing TEST KVER REASON: why TEST's failure on btrfsx with REASON
# is timing on KVER's series, on stock btrfs as on btrfsx
# (tests/fstests/timing.list); nothing if it is not.
fstests_timing() {
	local series
	series=$(grep -oE '^[0-9]+\.[0-9]+' <<<"$2") || return 0
	awk -F'\t' -v t="$1" -v k="$series" -v r="$3" \
		'!/^#/ && $1 == t && $2 == k "" && r ~ $3 { print $4; exit }' \
		"$(dirname "${BASH_SOURCE[0]}")/timing.list"
}

# fstests_tap N TEST STOCK STOCK_S BTRFSX BTRFSX_S STOCK_WHY BTRFSX_WHY KVER
# Prints the TAP line; returns 1 when it is "not ok": the test passes on
# stock btrfs and fails, hangs, is not run or has no result on btrfsx.  A
# test that does not pass on stock is reported as a SKIP with its reason; a
# btrfsx failure that timing.list names for KVER's series is a TODO.
fstests_tap() {
	local n=$1 t=$2 s=${3:-missing} ts=${4:-?} x=${5:-missing} tx=${6:-?} ws=${7:-} wx=${8:-}
	local desc="$t (stock $s $ts s, btrfsx $x $tx s)" why

	if [ "$x" = pass ]; then
		echo "ok $n - $desc"
	elif [ "$s" = pass ]; then
		why=$([ "$x" = fail ] && fstests_timing "$t" "${9:-}" "$wx")
		if [ -n "$why" ]; then
			# (a "#" before the directive would end the description)
			echo "not ok $n - ${desc//#/\\#}: ${wx//#/\\#} # TODO timing on both modules: $why"
			return 0
		fi
		echo "not ok $n - $desc: $wx"
		return 1
	elif [ "$s" = notrun ] && [ "$x" = notrun ]; then
		echo "ok $n - $t # SKIP not run on either: $ws"
	else
		echo "ok $n - $t # SKIP stock $s too ($ws), see docs/fstests.md"
	fi
	return 0
}
