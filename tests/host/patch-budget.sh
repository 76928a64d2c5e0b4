#!/bin/bash
# Purpose: each release series stays within its budget of changed lines, and
# no hunk lives in two patch files (scripts/dev/patch-stats, docs/build.md):
# the fork's logic lives in src/, the patches only call it, and a change the
# same in several series is kept once, in patches/common/.
. "$(dirname "$0")/common.sh"
out=$("$TOP/scripts/dev/patch-stats" 2>&1)
grep '^series\|release:\|duplicated' <<<"$out" | sed 's/^/# /'
! grep -q 'OVER BUDGET' <<<"$out" || _fail "$(grep -B1 'OVER BUDGET' <<<"$out")"
grep -q 'release:' <<<"$out" || _fail "patch-stats printed no series: $out"
! grep -q '^duplicated hunk' <<<"$out" || _fail "$(grep '^duplicated hunk' <<<"$out")"
grep -qx '0 duplicated hunks' <<<"$out" || _fail "patch-stats printed no duplicate count: $out"
exit 0
