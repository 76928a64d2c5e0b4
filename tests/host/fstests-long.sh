#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/fstests/long without a VM: on a made-up fstests tree, the check-long
# selection and its order, the record (what counts as done, what is run
# again), and the TAP verdicts over the record.
. "$(dirname "$0")/common.sh"
k=$(_kver 6.1)
cd "$TOP" || exit 1

f=$TMP/fst
mkdir -p "$f/common" "$f/tests/btrfs" "$f/tests/generic"
printf '#!/bin/sh\n' >"$f/check"
chmod +x "$f/check"
: >"$f/common/rc"
printf 'all:\n\t@true\n' >"$f/Makefile"
t() { printf '#! /bin/bash\n# comment\n. ./common/preamble\n_begin_fstest %s\n' "$2" >"$f/tests/$1"; }
t btrfs/001 "auto quick clone"
t btrfs/002 "auto"
t btrfs/003 "quick balance"     # not auto: not selected
t btrfs/004 "auto balance"
t generic/001 "auto clone"
t generic/002 "auto quick rw"   # no generic group of the selection
export FSTESTS=$f FSTESTS_CACHE=$TMP/cache FSTESTS_RECORD=$TMP/rec.tsv
long() { tests/fstests/long "$@"; }

got=$(long --list "$k" | tr '\n' ' ')
[ "$got" = "btrfs/001 btrfs/004 btrfs/002 generic/001 " ] ||
	_fail "selection or order: '$got' (want btrfs/001 btrfs/004 btrfs/002 generic/001)"
key=$(basename "$(tests/fstests/run --build)")
key=${key#fstests-}

# out DIR: a tests/fstests/run output directory; stdin: "module<TAB>line".
out() {
	mkdir -p "$1"
	echo "fstests ($key), btrfsx 0123456789ab, kernel $k, 2026-12-02 10:00 UTC" >"$1/table.txt"
	: >"$1/results-stock.tsv"
	: >"$1/results-btrfsx.tsv"
	while IFS= read -r l; do
		printf '%s\n' "${l#*	}" >>"$1/results-${l%%	*}.tsv"
	done
}
T=$'\t'
out "$TMP/d1" <<EOF
stock${T}btrfs/001${T}pass${T}5${T}
stock${T}btrfs/004${T}fail${T}7${T}output mismatch (see x)
stock${T}btrfs/002${T}hang${T}${T}still running
btrfsx${T}btrfs/001${T}pass${T}6${T}
btrfsx${T}btrfs/004${T}fail${T}8${T}output mismatch (see y)
btrfsx${T}btrfs/002${T}unrun${T}${T}not reached
EOF
long --import "$k" "$TMP/d1" || _fail "import d1"
long --import "$k" "$TMP/d1" || _fail "import d1 again"
[ "$(grep -c . "$FSTESTS_RECORD")" = 3 ] || _fail "record after d1 twice: $(cat "$FSTESTS_RECORD")"
got=$(long --list "$k" | tr '\n' ' ')
[ "$got" = "btrfs/002 generic/001 " ] || _fail "to do after d1: '$got' (an unrun test counts as done?)"

out "$TMP/d2" <<EOF
stock${T}btrfs/002${T}hang${T}${T}still running when the run timeout killed check
stock${T}generic/001${T}pass${T}9${T}
btrfsx${T}btrfs/002${T}hang${T}${T}still running when the run timeout killed check
btrfsx${T}generic/001${T}fail${T}10${T}output mismatch
EOF
long --import "$k" "$TMP/d2" || _fail "import d2"
[ -z "$(long --list "$k")" ] || _fail "to do after d2: $(long --list "$k")"
got=$(FSTESTS_RETRY=1 long --list "$k" | tr '\n' ' ')
[ "$got" = "btrfs/002 " ] || _fail "FSTESTS_RETRY=1 does not run the hang again: '$got'"
# A line of another fstests tree is kept but does not count.
printf 'generic/777\tpass\t1\tfail\t1\t\tx\tfeedfeedfeed\t0123456789ab\t2026-12-01 10:00 UTC\n' >>"$FSTESTS_RECORD"

# Nothing left to run: no VM, only the verdicts over the record.
long "$k" >"$TMP/tap" 2>"$TMP/err"
rc=$?
sed 's/^/# /' "$TMP/tap"
[ $rc = 1 ] || _fail "exit $rc with a regression in the record (want 1): $(cat "$TMP/err")"
want="ok 1 - btrfs/001 (stock pass 5 s, btrfsx pass 6 s)
ok 2 - btrfs/004 # SKIP stock fail too (output mismatch (see x)), see docs/fstests.md
ok 3 - btrfs/002 # SKIP stock hang too (still running when the run timeout killed check), see docs/fstests.md
not ok 4 - generic/001 (stock pass 9 s, btrfsx fail 10 s): output mismatch
# 4 of 4 tests recorded in $FSTESTS_RECORD (fstests $key)
1..4"
[ "$(cat "$TMP/tap")" = "$want" ] || _fail "TAP: $(diff <(echo "$want") "$TMP/tap")"

long --summary "$FSTESTS_RECORD" >"$TMP/sum" || _fail "--summary failed"
grep -q ': 5 tests, 2 regressions' "$TMP/sum" || _fail "summary: $(head -1 "$TMP/sum")"
grep -qF '| generic/001 | pass 9 | fail 10 | output mismatch |' "$TMP/sum" || _fail "summary table: $(cat "$TMP/sum")"

_expect_error "a record without table.txt" "no table.txt" long --import "$k" "$TMP/none"
_expect_error "bad chunk size" "take numbers" env FSTESTS_CHUNK=x tests/fstests/long "$k"
exit 0
