#!/bin/bash
# Purpose: each release series stays within its budget of changed lines
# (scripts/dev/patch-stats, docs/build.md): the fork's logic lives in src/, the
# patches only call it.
. "$(dirname "$0")/common.sh"
out=$("$TOP/scripts/dev/patch-stats" 2>&1)
grep '^series\|release:' <<<"$out" | sed 's/^/# /'
! grep -q 'OVER BUDGET' <<<"$out" || _fail "$(grep -B1 'OVER BUDGET' <<<"$out")"
grep -q 'release:' <<<"$out" || _fail "patch-stats printed no series: $out"
exit 0
