#!/bin/bash
# Purpose: the corrupted-image generator (tests/vm/fuzz/fuzz.py) survives
# every seed the long mode uses and is deterministic.  The long mode's 6.1
# run died in the generator itself (a 4k leaf whose nritems an earlier
# corruption had set to 1000 made it read past the block), not in a kernel:
# this runs the generator alone on host-made images, no VM needed.
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
