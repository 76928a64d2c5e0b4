#!/bin/bash
# Purpose: the import is reproducible and incremental: a second import of the
# same kernel rewrites no file (so kbuild recompiles nothing), the rename
# leaves no stock name that collides, and the on-disk names are kept.
. "$(dirname "$0")/common.sh"
tested=0
for s in 6.1 6.12; do
	k=$("$TOP/scripts/kernels" "$s" 2>/dev/null) || { echo "# no $s headers"; continue; }
	tested=$((tested + 1))
	out=$TMP/$s
	BTRFSX_QUIET=1 "$TOP/scripts/import" "$k" "$out" || _fail "import $k"
	find "$out" -type f -printf '%P %T@\n' | sort >"$TMP/before"
	sleep 1
	BTRFSX_QUIET=1 "$TOP/scripts/import" "$k" "$out" || _fail "re-import $k"
	find "$out" -type f -printf '%P %T@\n' | sort >"$TMP/after"
	diff -u "$TMP/before" "$TMP/after" >/dev/null || _fail "$k: re-import touched: $(diff "$TMP/before" "$TMP/after" | grep '^>' | head -3)"
	# Names that would collide with stock btrfs.
	# The fs types and the kset are named at load time by src/names.c
	# (choose-names-at-load-time.patch; btrfsx, or btrfs in drop-in mode): no stock literal left.
	! grep -q '\.name[[:space:]]*= "btrfsx\{0,1\}"' "$out/super.c" || _fail "$k: fs type name is a literal"
	grep -q 'btrfsx_register_filesystem(&btrfs_fs_type' "$out/super.c" || _fail "$k: fs types not named by src/names.c"
	grep -q 'kset_create_and_add(btrfsx_name()' "$out/sysfs.c" || _fail "$k: kset not named by src/names.c"
	! grep -q 'kset_create_and_add("btrfs"' "$out/sysfs.c" || _fail "$k: stock kset name kept"
	grep -q '"btrfsx-control"' "$out/super.c" || _fail "$k: control device not renamed"
	grep -q 'MISC_DYNAMIC_MINOR' "$out/super.c" || _fail "$k: fixed minor kept"
	! grep -q 'MODULE_ALIAS_MISCDEV\|devname:btrfs' "$out/super.c" || _fail "$k: stock aliases kept"
	grep -q '^#define TRACE_SYSTEM btrfsx$' "$out/include/trace/events/btrfsx.h" || _fail "$k: trace system"
	! grep -rq 'KMEM_CACHE(btrfs_\|kmem_cache_create("btrfs_' "$out"/*.c || _fail "$k: stock slab names left"
	! grep -rq '<trace/events/btrfs\.h>' "$out" || _fail "$k: stock trace header still included"
	# Kept: send stream magic, xattr prefix, superblock magic.
	grep -q '"btrfs-stream"' "$out/send.h" || _fail "$k: send stream magic renamed"
	grep -rq 'XATTR_BTRFS_PREFIX' "$out" || _fail "$k: xattr prefix gone"
	echo "# $k: ok"
done
[ "$tested" -gt 0 ] || _skip "no 6.1 or 6.12 kernel headers installed"
exit 0
