#!/bin/bash
# Purpose: btrfsx's own kernel code is clean for checkpatch --strict.
. "$(dirname "$0")/common.sh"
# The newest series' checkpatch.  Its advice to use kzalloc_obj() and
# friends (7.x) does not apply: src/ builds on 6.1 too.
cp=$(ls -d "$TOP"/build/src/*/scripts/checkpatch.pl 2>/dev/null | sort -V | tail -1)
ignore=FILE_PATH_CHANGES,SPDX_LICENSE_TAG,ALLOC_WITH_SIZEOF
if [ -z "$cp" ]; then
	# Not imported yet: take it from a kernel source tarball.
	tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | head -1)
	[ -n "$tarball" ] || _skip "no checkpatch.pl: install linux-source-6.1"
	top=$(tar -tf "$tarball" 2>/dev/null | head -n1 | cut -d/ -f1)
	tar -xf "$tarball" -C "$TMP" --wildcards "$top/scripts/checkpatch.pl" \
		"$top/scripts/spelling.txt" "$top/scripts/const_structs.checkpatch" ||
		_fail "cannot extract checkpatch.pl from $tarball"
	cp=$TMP/$top/scripts/checkpatch.pl
fi
files=$(ls "$TOP"/src/*.c "$TOP"/include/btrfsx/*.h 2>/dev/null | grep -v -- '-trace\.h$')
out=$(perl "$cp" --no-tree --strict --terse --show-types \
	--ignore "$ignore" -f $files 2>&1)
# Trace headers name their file with a hyphen (TRACE_INCLUDE_FILE), which
# checkpatch reads as a subtraction, as in the kernel's own samples.
for t in "$TOP"/include/btrfsx/*-trace.h; do
	[ -f "$t" ] || continue
	out+=$'\n'$(perl "$cp" --no-tree --strict --terse --show-types \
		--ignore "$ignore",SPACING -f "$t" 2>&1)
done
# The patches too: what they add to btrfs follows its style.  Run outside
# the git tree (checkpatch reads a file inside one as the tree's own).
for p in "$TOP"/patches/*/*.patch; do
	out+=$'\n'$(cd "$TMP" && perl "$cp" --no-tree --strict --terse --show-types \
		--ignore "$ignore",MISSING_SIGN_OFF,GIT_COMMIT_ID,UNKNOWN_COMMIT_ID "$p" 2>&1)
done
if grep -qE ': (ERROR|WARNING|CHECK):' <<<"$out"; then
	echo "$out" | grep -E ': (ERROR|WARNING|CHECK):' | head -20
	_fail "checkpatch found problems"
fi
echo "# checked: $(echo $files | wc -w) files and $(ls "$TOP"/patches/*/*.patch | wc -l) patches"
exit 0
