#!/bin/bash
# Purpose: every prefix of each release series applies to pristine fs/btrfs
# and passes the rename (the debug series on top of the whole release series
# too), so that a series can be bisected and no patch depends on a later
# one.  With BTRFSX_LONG=1 (make check-long) every prefix is also built.
. "$(dirname "$0")/common.sh"
tested=0
for sf in "$TOP"/patches/*/series; do
	d=${sf%/series}
	s=${d##*/}
	k=$("$TOP/scripts/kernels" "$s" 2>/dev/null) || { echo "# no $s headers"; continue; }
	n=$(grep -cv '^[[:space:]]*\(#\|$\)' "$sf")
	for i in $(seq 0 "$n"); do
		out=$TMP/$s-$i
		BTRFSX_QUIET=1 BTRFSX_SERIES_PREFIX=$i "$TOP/scripts/import" "$k" "$out/btrfsx" \
			>"$TMP/log" 2>&1 || _fail "$s: the first $i patches do not import: $(tail -3 "$TMP/log")"
		if [ -n "${BTRFSX_LONG:-}" ]; then
			make -s -C "/lib/modules/$k/build" M="$out/btrfsx" -j"${JOBS:-2}" modules \
				>"$TMP/log" 2>&1 || _fail "$s: the first $i patches do not build: $(grep -m3 'error' "$TMP/log")"
			echo "# $s: prefix $i builds"
		fi
		rm -rf "$out"
	done
	BTRFSX_QUIET=1 "$TOP/scripts/import" --debug "$k" "$TMP/$s-debug/btrfsx" \
		>"$TMP/log" 2>&1 || _fail "$s: the debug series does not import: $(tail -3 "$TMP/log")"
	if [ -n "${BTRFSX_LONG:-}" ]; then
		make -s -C "/lib/modules/$k/build" M="$TMP/$s-debug/btrfsx" -j"${JOBS:-2}" \
			BTRFSX_DEBUG=1 modules >"$TMP/log" 2>&1 ||
			_fail "$s: the debug series does not build: $(grep -m3 'error' "$TMP/log")"
	fi
	rm -rf "$TMP/$s-debug"
	echo "# $s: $((n + 1)) prefixes of $n patches and the debug series import"
	tested=$((tested + 1))
done
[ "$tested" -gt 0 ] || _skip "no kernel headers of a supported series installed"
exit 0
