#!/bin/bash
# Purpose: scripts/kernels lists the kernel of the sid chroot
# (scripts/dev/sid-chroot, here a fake cache) only when its series has
# patches/<series>/series, so `make check` does not try 7.2 before its patch
# series exists; with one, "all" and "7.2" resolve to it; without
# scripts/dev/ (the DKMS tree) it lists the host's kernels only. No root, no
# chroot needed.
. "$(dirname "$0")/common.sh"
cache=$TMP/cache
mkdir -p "$cache/sid" "$TMP/tree"
echo "7.2.99+deb14-amd64 7.2.99" >"$cache/sid/.btrfsx-kernels"
cp -a "$TOP/scripts" "$TMP/tree/"
mkdir -p "$TMP/tree/patches"
for s in "$TOP"/patches/*/series; do
	d=${s%/series}
	[ "${d##*/}" = 7.2 ] || cp -a "$d" "$TMP/tree/patches/"
done
export BTRFSX_CACHE=$cache

[ "$("$TMP/tree/scripts/dev/sid-chroot" kernels)" = "7.2.99+deb14-amd64 7.2.99" ] ||
	_fail "sid-chroot kernels does not read $cache/sid/.btrfsx-kernels"
out=$("$TMP/tree/scripts/kernels" all 2>"$TMP/err") || true
! grep -qxF 7.2.99+deb14-amd64 <<<"$out" || _fail "kernels all lists 7.2 without patches/7.2/series"
grep -q 'skipping 7.2.99+deb14-amd64: series 7.2 is not supported' "$TMP/err" ||
	_fail "kernels all does not say why it skips 7.2: $(cat "$TMP/err")"
echo "# without patches/7.2/series: $(grep 7.2.99 "$TMP/err")"

mkdir -p "$TMP/tree/patches/7.2"
: >"$TMP/tree/patches/7.2/series"
"$TMP/tree/scripts/kernels" all 2>/dev/null | grep -qxF 7.2.99+deb14-amd64 ||
	_fail "kernels all does not list the sid kernel with patches/7.2/series"
[ "$("$TMP/tree/scripts/kernels" 7.2)" = 7.2.99+deb14-amd64 ] ||
	_fail "kernels 7.2 does not resolve to the sid kernel"
echo "# with patches/7.2/series: kernels all and kernels 7.2 give 7.2.99+deb14-amd64"

! "$TMP/tree/scripts/dev/sid-chroot" kroot 7.2.99+deb14-amd64 >/dev/null ||
	_fail "sid-chroot kroot succeeds without an unpacked kernel"

# The DKMS tree has no scripts/dev/: no sid chroot, the host's kernels only.
rm -rf "$TMP/tree/scripts/dev"
out=$("$TMP/tree/scripts/kernels" all 2>"$TMP/err") || grep -q 'no installed kernel headers' "$TMP/err" ||
	_fail "kernels all without scripts/dev: $(cat "$TMP/err")"
! grep -qxF 7.2.99+deb14-amd64 <<<"$out" || _fail "kernels all without scripts/dev lists the sid kernel"
echo "# without scripts/dev/ (the DKMS tree): kernels all gives ${out//$'\n'/ }"
exit 0
