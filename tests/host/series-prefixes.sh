#!/bin/bash
# Purpose: every prefix of each release series applies to pristine fs/btrfs,
# and the debug series on top of the whole release series, so that a series
# can be bisected and no patch depends on a later one.  With BTRFSX_LONG=1
# (make check-long) every prefix is also imported (rename included) and
# built, release and debug.
. "$(dirname "$0")/common.sh"
tested=0
entries() { grep -v '^[[:space:]]*\(#\|$\)' "$1" | awk '{ print $1 }'; }
sid=$("$TOP/scripts/dev/sid-chroot" kernels | cut -d' ' -f1)
# in_env KVER CMD...: CMD where KVER's headers are: here, or in the sid
# chroot (which sees the clone only, so the work goes under build/).
in_env() {
	local k=$1
	shift
	if grep -qxF -- "$k" <<<"$sid" && [ ! -e "/lib/modules/$k/build/Makefile" ]; then
		"$TOP/scripts/dev/sid-chroot" run "$TOP" env BTRFSX_QUIET=1 "$@"
	else
		env BTRFSX_QUIET=1 "$@"
	fi
}
work=$TOP/build/series-prefixes
rm -rf "$work"
trap 'rm -rf "$work" "$TMP"' EXIT
for sf in "$TOP"/patches/*/series; do
	d=${sf%/series}
	s=${d##*/}
	k=$("$TOP/scripts/kernels" "$s" 2>/dev/null) || { echo "# no $s headers"; continue; }
	mapfile -t rel < <(entries "$sf")
	mapfile -t dbg < <(entries "$d/debug.series")
	# The import caches the pristine tree under build/src/.
	in_env "$k" BTRFSX_SERIES_PREFIX=0 "$TOP/scripts/import" "$k" "$work/$s-0/btrfsx" \
		>"$TMP/log" 2>&1 || _fail "$s: pristine import: $(tail -3 "$TMP/log")"
	src=$(cat "$work/$s-0/btrfsx/.import-cache")/fs/btrfs
	rm -rf "$TMP/stage"
	cp -r "$src" "$TMP/stage"
	i=0
	for p in "${rel[@]}" "${dbg[@]}"; do
		i=$((i + 1))
		patch -s -p1 -F0 --no-backup-if-mismatch -d "$TMP/stage" <"$TOP/patches/$p" \
			>"$TMP/log" 2>&1 || _fail "$s: patch $i ($p) does not apply after the $((i - 1)) before it: $(head -3 "$TMP/log")"
	done
	if [ -n "${BTRFSX_LONG:-}" ]; then
		for i in $(seq 1 "${#rel[@]}"); do
			out=$work/$s-$i
			in_env "$k" BTRFSX_SERIES_PREFIX=$i "$TOP/scripts/import" "$k" "$out/btrfsx" \
				>"$TMP/log" 2>&1 || _fail "$s: the first $i patches do not import: $(tail -3 "$TMP/log")"
			in_env "$k" make -s -C "/lib/modules/$k/build" M="$out/btrfsx" -j"${JOBS:-2}" modules \
				>"$TMP/log" 2>&1 || _fail "$s: the first $i patches do not build: $(grep -m3 'error' "$TMP/log")"
			echo "# $s: the first $i patches build"
			rm -rf "$out"
		done
		in_env "$k" "$TOP/scripts/import" --debug "$k" "$work/$s-debug/btrfsx" \
			>"$TMP/log" 2>&1 || _fail "$s: the debug series does not import: $(tail -3 "$TMP/log")"
		in_env "$k" make -s -C "/lib/modules/$k/build" M="$work/$s-debug/btrfsx" -j"${JOBS:-2}" \
			BTRFSX_DEBUG=1 modules >"$TMP/log" 2>&1 ||
			_fail "$s: the debug series does not build: $(grep -m3 'error' "$TMP/log")"
		echo "# $s: the debug series builds"
	fi
	rm -rf "$work/$s-0" "$TMP/stage"
	echo "# $s: ${#rel[@]} release and ${#dbg[@]} debug patches apply one after the other"
	tested=$((tested + 1))
done
[ "$tested" -gt 0 ] || _skip "no kernel headers of a supported series installed"
exit 0
