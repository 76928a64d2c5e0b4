#!/bin/bash
# Purpose: the pipeline run from inside another make (what DKMS does under
# `make check`: MAKEFLAGS with -w and MAKELEVEL exported) still reads the
# headers' kernel version. It used to read make's "Leaving directory" line
# and refuse every kernel, which failed `apt install btrfsx-dkms` in CI.
. "$(dirname "$0")/common.sh"
menv=(env MAKEFLAGS=w MFLAGS=-w MAKELEVEL=2)

clean=$("$TOP/scripts/kernels" all 2>/dev/null) || _skip "no supported kernel headers installed"
# stdout only: notes such as "skipping 7.2.13+deb14-amd64" go to stderr.
got=$("${menv[@]}" "$TOP/scripts/kernels" all 2>"$TMP/err") ||
	_fail "scripts/kernels all inside a make: $got $(cat "$TMP/err")"
[ "$got" = "$clean" ] || _fail "scripts/kernels all inside a make: '$got', expected '$clean'"
echo "# scripts/kernels all inside a make: $(echo $got)"
for s in 6.1 6.12; do
	k=$("$TOP/scripts/kernels" "$s" 2>/dev/null) || continue
	got=$("${menv[@]}" "$TOP/scripts/kernels" "$s" 2>"$TMP/err") ||
		_fail "scripts/kernels $s inside a make: $got $(cat "$TMP/err")"
	[ "$got" = "$k" ] || _fail "scripts/kernels $s inside a make: '$got', expected '$k'"
done

# scripts/import's version check, on fake headers so that nothing is built:
# it must get past reading the version and refuse the series by name.
kb=$TMP/kbuild-5.10
mkdir -p "$kb"
printf 'kernelversion:\n\t@echo 5.10.209\n' >"$kb/Makefile"
_expect_error "import inside a make" "is a 5.10 kernel; supported series" \
	"${menv[@]}" BTRFSX_KBUILD="$kb" "$TOP/scripts/import" 5.10.0-fake "$TMP/out"
exit 0
