# SPDX-License-Identifier: GPL-2.0
# Helpers for host-side tests (sourced).  Exit 0 pass, 1 fail, 77 skip.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
_fail() { echo "FAIL: $*" >&2; exit 1; }
_skip() { echo "SKIP: $*" >&2; exit 77; }

# A kernel of a series with headers installed, or skip.
_kver() { "$TOP/scripts/kernels" "$1" 2>/dev/null || _skip "no $1 kernel headers installed"; }

# _expect_error "what" "regex" CMD...: CMD must fail and say regex.
_expect_error() {
	local what=$1 re=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		_fail "$what: succeeded, expected an error matching '$re'"
	fi
	grep -qE "$re" <<<"$out" || _fail "$what: error does not match '$re': $out"
	echo "# $what: $(grep -E "$re" <<<"$out" | head -1)"
}
