#!/bin/bash
# Purpose: the corrupted-image generator (tests/vm/fuzz/fuzz.py) survives
# every seed the long mode uses and is deterministic.  The long mode's 6.1
# run died in the generator itself (a 4k leaf whose nritems an earlier
# corruption had set to 1000 made it read past the block), not in a kernel:
# this runs the generator alone on host-made images, no VM needed.  Also
# checks how the comparison tells btrfsx's own WARNs from upstream ones.
. "$(dirname "$0")/common.sh"
command -v mkfs.btrfs >/dev/null || _skip "no mkfs.btrfs: apt-get install btrfs-progs"
seeds=${FUZZ_SEEDS:-500}

mkdir -p "$TMP/root/d"
for i in $(seq 1 300); do
	head -c $((i * 997 % 70000)) /dev/zero | tr '\0' "$(printf '\\%03o' $((i % 200 + 32)))" >"$TMP/root/d/f$i"
done
for n in 16384 4096; do
	truncate -s 256M "$TMP/b$n.img"
	mkfs.btrfs -q -f -n $n -s 4096 --rootdir "$TMP/root" "$TMP/b$n.img" >/dev/null ||
		_fail "mkfs.btrfs -n $n --rootdir"
done

python3 - "$TOP/tests/vm/fuzz/fuzz.py" "$TMP" "$seeds" <<'PY' || _fail "the generator failed (above)"
import hashlib, importlib.util, struct, sys
spec = importlib.util.spec_from_file_location("fuzz", sys.argv[1])
fz = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fz)
tmp, seeds = sys.argv[2], int(sys.argv[3])
# Alternate bases as the long mode does (even seeds 16k nodes, odd 4k).
bases = [fz.Image(f"{tmp}/b16384.img"), fz.Image(f"{tmp}/b4096.img")]
out = f"{tmp}/x.img"
crashed, kinds = [], {}
for seed in range(1, seeds + 1):
    img = bases[seed % 2]
    try:
        kind, _ = fz.corrupt(img, img.path, out, seed)
        kinds[kind] = kinds.get(kind, 0) + 1
    except Exception as e:
        crashed.append(f"seed {seed}: {type(e).__name__}: {e}")
# The regression itself: a 4k leaf (and a node) claiming 1000 items.
import random
c = fz.Corrupter(bases[1], None, random.Random(1))
for level in (0, 1):
    blk = bytearray(4096)
    struct.pack_into("<I", blk, 0x60, 1000)
    blk[0x64] = level
    try:
        for _ in range(100):
            c.random_pos(blk)
    except Exception as e:
        crashed.append(f"level-{level} 4k block with nritems 1000: {type(e).__name__}: {e}")
for c in crashed[:5]:
    print("# " + c)
def digest(seed):
    img = bases[seed % 2]
    fz.corrupt(img, img.path, out, seed)
    with open(out, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
same = all(digest(s) == digest(s) for s in (7, 8, 301, 343))
print(f"# {seeds} seeds, {len(crashed)} crashed; kinds: {len(kinds)}; deterministic: {same}")
sys.exit(1 if crashed or not same else 0)
PY
echo "# generator ok for seeds 1..$seeds"

# The comparison's classifier: a WARN in btrfsx's own code is btrfsx's even
# where stock also WARNs (a range-lock WARN hid that way in the 6.12 long run).
python3 - "$TOP/tests/vm/fuzz" <<'PY' || _fail "fuzz.py OWN_CODE misclassifies"
import sys
sys.path.insert(0, sys.argv[1])
import fuzz
own = ["WARNING: CPU: 0 PID: 259 at /work/main/build/6.12.117+deb12-amd64/btrfsx/src/range-lock.c:820 btrfsx_range_trylock+0x156/0x160 [btrfsx]",
       "RIP: 0010:btrfsx_range_trylock+0x156/0x160 [btrfsx]",
       "WARNING: CPU: 1 PID: 9 at /var/lib/dkms/btrfsx/0.1.0/build/src/extent-rule.c:260 btrfsx_assert_data_ref+0x1c/0x90 [btrfsx]"]
upstream = ["WARNING: CPU: 1 PID: 335 at fs/btrfs/extent-tree.c:880 lookup_inline_extent_backref+0x67d/0x770 [btrfs]",
            "BTRFSX: Transaction aborted (error -5)",
            "RIP: 0010:btrfs_run_delayed_refs+0x76/0x1a0 [btrfsx]"]
bad = [l for l in own if not fuzz.OWN_CODE.search(l)] + \
      [l for l in upstream if fuzz.OWN_CODE.search(l)]
for l in bad:
    print("# misclassified: " + l)
sys.exit(1 if bad else 0)
PY
echo "# own-code WARN classifier ok"

# The kernel log signatures the VM tests compare (fuzz.py klog-sigs and
# klog-check): an upstream WARN is named alike under both modules although
# the patches shift its line; a WARN in a btrfsx hunk of the same function
# is not; a list allows only what it names.
mkdir -p "$TMP/pristine/fs/btrfs" "$TMP/patched"
printf '%s\n' 'int f(void)' '{' '	if (WARN_ON(ret))' '		return 1;' '}' >"$TMP/pristine/fs/btrfs/ctree.c"
printf '%s\n' 'int f(void)' '{' '	/* btrfsx */' '	if (WARN_ON(ret))' '		return 1;' '	WARN_ON(ret);' '}' >"$TMP/patched/ctree.c"
python3 - "$TOP/tests/vm/fuzz" "$TMP" <<'PY' || _fail "fuzz.py klog signatures"
import sys
sys.path.insert(0, sys.argv[1])
import fuzz
tmp = sys.argv[2]
fuzz._PRISTINE = [f"{tmp}/pristine"]
def report(path, line, mod):
    return ["[  1.0] ------------[ cut here ]------------",
            f"[  1.1] WARNING: CPU: 0 PID: 9 at {path}:{line} f+0x1c/0x90 [{mod}]",
            f"[  1.2] RIP: 0010:f+0x1c/0x90 [{mod}]", "[  1.3] Call Trace:",
            "[  1.4] ---[ end trace 0000000000000000 ]---",
            "[  1.5] BTRFS info (device loop0: state EA): forced readonly"]
stock = [s for s, _ in fuzz.klog_events(report("fs/btrfs/ctree.c", 3, "btrfs"))]
same = [s for s, _ in fuzz.klog_events(report(f"{tmp}/patched/ctree.c", 4, "btrfsx"))]
hunk = [s for s, _ in fuzz.klog_events(report(f"{tmp}/patched/ctree.c", 6, "btrfsx"))]
bad = []
if stock != ["WARNING in f at 'if (WARN_ON(ret))'", "BTRFS info (device): forced readonly"]:
    bad.append(f"stock: {stock}")
if same != stock:
    bad.append(f"the same WARN under btrfsx: {same}")
if hunk == stock:
    bad.append(f"a WARN in a btrfsx hunk passes for upstream's: {hunk}")
if fuzz.klog_unexpected(report("fs/btrfs/ctree.c", 3, "btrfs"), stock) or \
   not fuzz.klog_unexpected(report(f"{tmp}/patched/ctree.c", 6, "btrfsx"), stock) or \
   not fuzz.klog_unexpected(report("fs/btrfs/ctree.c", 3, "btrfs"), stock[1:]):
    bad.append("klog-check allows what the list does not name, or refuses what it does")
for b in bad:
    print("# " + b)
sys.exit(1 if bad else 0)
PY
echo "# kernel log signatures ok"
