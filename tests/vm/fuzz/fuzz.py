#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Seeded corruption of btrfs images, and the driver of 100-corrupt-images.sh.

  fuzz.py run --out DIR --first SEED --count N [--keep-going]
      Build two populated 256 MiB base images (stock btrfs writes them), then
      for each seed: corrupt a copy of a base image, mount it as btrfsx, walk
      it, read every file, reflink one, write and fsync one, unmount; then the
      same on another copy under stock btrfs.  The kernel log of each trial is
      read from /dev/kmsg.  Exit 1 when btrfsx WARNs/BUGs/aborts where stock
      btrfs does not, when the two refuse or accept the mount differently,
      when a trial hangs, or when the kernel log shows a problem outside any
      trial.  A WARN/abort is allowed only where the list --klog
      (100-corrupt-images.klog) expects it for that seed, and under btrfsx
      only with the same signatures as under stock btrfs on the same image
      (klog-sigs); never one that points into btrfsx's own code (OWN_CODE).

  fuzz.py corrupt BASE OUT SEED
      Only write OUT: a copy of BASE corrupted as seed SEED would (prints what
      it did), to reproduce one case by hand.

  fuzz.py zero-disk-extent [--uncompressed] BASE OUT [VALUE]
      Write OUT: a copy of BASE whose first compressed (or uncompressed) file
      extent item has disk_num_bytes VALUE (default 0; compressed, 0 and 2**63
      crash stock btrfs too; exit 2 without such an item).

  fuzz.py own-code < LOG
      Print the kernel log lines that point into btrfsx's own code (src/),
      the test run uses to tell btrfsx's WARNs from upstream's.

  fuzz.py klog-sigs < LOG
      Print the signature of each WARN/BUG report or other bad line of LOG
      ("WARNING in FUNCTION[: message]", normalized lines): the same under
      btrfsx and stock btrfs, so that their logs of one image compare.

  fuzz.py klog-check LIST [--seed N] < LOG
      Print the reports and bad lines of LOG that LIST (a test's list of the
      upstream WARNs expected on both modules, tests/vm/NNN-*.klog; with
      --seed, those of that image) does not allow, or that point into
      btrfsx's own code.  tests/vm/suite checks a test's log with it when
      the test has such a list.

Everything one seed does depends on the seed and the base image only; the base
images are built from fixed data, a fixed fs UUID and fixed operations.
"""
import argparse
import ctypes
import errno
import json
import os
import random
import re
import select
import shutil
import struct
import subprocess
import sys
import time

SB_OFF = 0x10000
SB_MIRROR = 0x4000000  # 64 MiB, inside a 256 MiB image
HDR = 101  # struct btrfs_header
ITEM = 25  # struct btrfs_item
KEYPTR = 33  # struct btrfs_key_ptr
IMG_SIZE = 256 << 20
FSID = "b7f5c0de-0000-4000-8000-00000000f022"

# Item types.
INODE_ITEM, INODE_REF, XATTR_ITEM, DIR_ITEM, DIR_INDEX = 1, 12, 24, 84, 96
EXTENT_DATA, EXTENT_CSUM, ROOT_ITEM, ROOT_REF = 108, 128, 132, 156
EXTENT_ITEM, METADATA_ITEM, BLOCK_GROUP_ITEM = 168, 169, 192
DEV_EXTENT, DEV_ITEM, CHUNK_ITEM = 204, 216, 228
TREE_TYPES = {INODE_ITEM, INODE_REF, XATTR_ITEM, DIR_ITEM, DIR_INDEX,
              EXTENT_DATA, EXTENT_CSUM, ROOT_ITEM, ROOT_REF, EXTENT_ITEM,
              METADATA_ITEM, BLOCK_GROUP_ITEM, DEV_EXTENT, DEV_ITEM, CHUNK_ITEM}

BAD = re.compile(r"kernel log lost|WARNING:|BUG:|Oops|general protection fault|Call Trace|"
                 r"kernel BUG|RIP:|[Tt]ransaction (\d+ )?aborted|"
                 r"forced readonly|possible recursive locking|"
                 r"circular locking dependency|inconsistent lock state|"
                 r"blocked for more than|KASAN|UBSAN|lockdep")

# A bad line that points at btrfsx's own code (src/): a WARN there is
# btrfsx's even on an image where stock btrfs WARNs or aborts as well.
OWN_CODE = re.compile(r"/src/(range-lock|extent-rule|file-lock|module|compat)\.c:|"
                      r"\bbtrfsx_(range|extent|assert|rule|file|remap|inode)_\w*\+0x")

# ---------------------------------------------------------------- kernel log
# The kernel log as events: a WARN/BUG report ("cut here" to "end trace",
# its RIP: and Call Trace lines included) is one event, any other bad line
# is one.  An event's signature names it the same way under btrfsx and stock
# btrfs, on any device: "WARNING in FUNCTION[: message]" (no file or line:
# the patches shift lines), or the line with device, numbers and the
# BTRFSX/BTRFS prefix normalized.
STAMP = re.compile(r"^\[\s*[0-9.]+\]\s*")
CUT = "------------[ cut here ]------------"
WARN_AT = re.compile(r"^WARNING: CPU: \d+ PID: \d+ at (\S+):(\d+) (\S+?)\+0x")
# Linux 7.x: "WARNING: FILE:LINE at FUNCTION+0x.../0x... [MODULE], CPU#N:
# COMM/PID", and "cut here" only below the console's loglevel, so that a
# console log has the report open with this line.
WARN_AT_7 = re.compile(r"^WARNING: (\S+):(\d+) at (\S+?)\+0x\S+ \[(\w+)\]")
# The pristine sources scripts/import extracted (build/src/<series>-<id>/),
# for the statement at the file:line of a stock WARN.
REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))


_PRISTINE = None


def _pristine_trees():
    global _PRISTINE
    if _PRISTINE is None:
        rel = os.uname().release
        series = ".".join(rel.split(".")[:2])
        src = os.path.join(REPO, "build", "src")
        _PRISTINE = [t for t in
                     [os.path.join("/lib/modules", rel, "source")] +
                     sorted(os.path.join(src, d) for d in
                            (os.listdir(src) if os.path.isdir(src) else [])
                            if d.startswith(series + "-"))
                     if os.path.isfile(os.path.join(t, "fs/btrfs/ctree.c"))]
    return _PRISTINE


def _source_line(path, line, module=None):
    """The statement a WARN's FILE:LINE names, normalized; "" if unknown.
    btrfsx's WARNs name the patched file by its absolute path (7.x: by its
    path in the module's tree, build/KVER/btrfsx/), stock btrfs'
    fs/btrfs/FILE, read from the pristine sources of the running series.
    With it, a WARN in a btrfsx hunk of a patched function does not pass
    for the upstream WARN of that function."""
    pristine = _pristine_trees()
    if not pristine:  # stock's statement unknown: compare without any
        return ""
    if os.path.isabs(path):
        cands = [path]
    elif module == "btrfsx":
        rel = os.uname().release
        cands = [os.path.join(REPO, "build", d, "btrfsx", path)
                 for d in (rel, rel + "-debug")]
    else:
        cands = [os.path.join(t, path) for t in pristine]
    for c in cands:
        try:
            with open(c, errors="replace") as f:
                for i, text in enumerate(f, 1):
                    if i == int(line):
                        return _norm(" ".join(text.split()))
        except OSError:
            continue
    return ""
RIP = re.compile(r"^RIP: [0-9a-f]{4}:(\S+?)\+0x")


def _norm(line):
    line = re.sub(r"\bBTRFSX\b", "BTRFS", line)
    line = re.sub(r"\(device [^)]*\)", "(device)", line)
    line = re.sub(r"Transaction \d+ aborted", "Transaction aborted", line)  # 7.x
    line = re.sub(r"\b(btrfsx?)\b", "btrfs", line)
    line = re.sub(r"0x[0-9a-f]+|\b[0-9a-f]{8,}\b", "X", line)
    line = re.sub(r"(\w+):\d+:", r"\1:N:", line)  # function:line
    return line.strip()


def klog_events(lines):
    """[(signature, [bad lines])] of a kernel log, in order."""
    events = []
    block = None  # [message lines, signature, bad lines] of an open report
    for raw in lines:
        l = STAMP.sub("", raw.rstrip("\n"))
        if l == CUT:
            block = [[], None, []]
            continue
        if block is None and WARN_AT_7.search(l):
            block = [[], None, []]
        if block is not None:
            m = WARN_AT.search(l) or WARN_AT_7.search(l)
            if block[1] is None and m:
                msg = "; ".join(_norm(x) for x in block[0])
                mod = m.group(4) if m.re is WARN_AT_7 else None
                stmt = _source_line(m.group(1), m.group(2), mod)
                block[1] = (f"WARNING in {m.group(3)}" + (f" at '{stmt}'" if stmt else "") +
                            (f": {msg}" if msg else ""))
                block[2].append(l)
            elif block[1] is None and BAD.search(l) and not RIP.search(l):
                block[0].append(l)  # the WARN's message, or a BUG line
                block[2].append(l)
            elif l.startswith("---[ end trace"):
                sig = block[1] or "; ".join(_norm(x) for x in block[0]) or "report"
                events.append((sig, block[2]))
                block = None
            elif BAD.search(l):
                block[2].append(l)
                m = RIP.search(l)
                if block[1] is None and m and block[0]:
                    block[0] = [re.sub(r" at \S+", "", block[0][0]) + f" in {m.group(1)}"]
            elif block[1] is None and len(block[0]) < 2 and not l.startswith(
                    ("Modules linked in", "CPU:", "Hardware name")):
                block[0].append(l)
            continue
        if BAD.search(l):
            events.append((_norm(l), [l]))
    if block is not None:  # a report cut short
        events.append((block[1] or "unterminated report", block[2]))
    return events


def klog_expected(path, seed=None):
    """The signatures a test's list (tests/vm/NNN-*.klog) allows: lines
    "SEED SIGNATURE" (SEED a number, or * for any); all of them without a
    seed, else those of the seed and of *."""
    allowed = []
    with open(path) as f:
        for l in f:
            l = l.strip()
            if not l or l.startswith("#"):
                continue
            k, _, sig = l.partition(" ")
            if seed is None or k == "*" or k == str(seed):
                allowed.append(sig.strip())
    return allowed


def klog_unexpected(lines, allowed):
    """The bad lines of events whose signature is not allowed."""
    out = []
    for sig, bad in klog_events(lines):
        if sig not in allowed or any(OWN_CODE.search(b) for b in bad):
            out.append(f"[{sig}] " + " | ".join(bad[:3]))
    return out


# ---------------------------------------------------------------- crc32c
def _crc_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


CRC_TABLE = _crc_table()


def crc32c(data):
    c = 0xFFFFFFFF
    t = CRC_TABLE
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283


def u8(b, o): return b[o]
def u16(b, o): return struct.unpack_from("<H", b, o)[0]
def u32(b, o): return struct.unpack_from("<I", b, o)[0]
def u64(b, o): return struct.unpack_from("<Q", b, o)[0]


def key_at(b, o):
    return struct.unpack_from("<QBQ", b, o)


# ---------------------------------------------------------------- parsing
class Image:
    """Just enough of a single-device btrfs image: chunk map and every tree
    block reachable from the superblock (root tree, chunk tree, log tree)."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self.data = f  # only used while parsing
            f.seek(SB_OFF)
            self.sb = f.read(4096)
            sb = self.sb
            assert sb[0x40:0x48] == b"_BHRfS_M", "not a btrfs image"
            self.nodesize = u32(sb, 0x94)
            self.sectorsize = u32(sb, 0x90)
            self.total_bytes = u64(sb, 0x70)
            self.generation = u64(sb, 0x48)
            self.chunks = []  # (logical, length, [physical...])
            n = u32(sb, 0xA0)
            arr = sb[0x32B:0x32B + n]
            o = 0
            while o < n:
                _, _, logical = key_at(arr, o)
                o += 17
                o = self._add_chunk(arr, o, logical)
            self.blocks = {}  # logical -> (level, owner, nritems)
            self.items = []  # (logical, slot, type, item data offset, size)
            self.ptrs = []  # (logical, slot)
            self.roots = []
            self._walk(u64(sb, 0x58), u8(sb, 0xC7))  # chunk tree
            self._walk(u64(sb, 0x50), u8(sb, 0xC6))  # root tree
            if u64(sb, 0x60):
                self._walk(u64(sb, 0x60), u8(sb, 0xC8))  # log root tree
            seen = set()
            while self.roots:
                bytenr, level = self.roots.pop()
                if bytenr not in seen:
                    seen.add(bytenr)
                    self._walk(bytenr, level)
        self.data = None
        self.block_list = sorted(self.blocks)

    def _add_chunk(self, b, o, logical):
        length = u64(b, o)
        num = u16(b, o + 44)
        phys = [u64(b, o + 48 + 32 * i + 8) for i in range(num)]
        if not any(c[0] == logical for c in self.chunks):
            self.chunks.append((logical, length, phys))
        return o + 48 + 32 * num

    def map(self, logical):
        for start, length, phys in self.chunks:
            if start <= logical < start + length:
                return [p + logical - start for p in phys]
        raise KeyError(logical)

    def read_block(self, f, logical):
        f.seek(self.map(logical)[0])
        return f.read(self.nodesize)

    def _walk(self, bytenr, level):
        todo = [bytenr]
        while todo:
            logical = todo.pop()
            if logical in self.blocks:
                continue
            b = self.read_block(self.data, logical)
            nr = u32(b, 0x60)
            lvl = b[0x64]
            self.blocks[logical] = (lvl, u64(b, 0x58), nr)
            if lvl > 0:
                for i in range(nr):
                    o = HDR + KEYPTR * i
                    todo.append(u64(b, o + 17))
                    self.ptrs.append((logical, i))
                continue
            for i in range(nr):
                o = HDR + ITEM * i
                _, typ, _ = key_at(b, o)
                off, size = u32(b, o + 17), u32(b, o + 21)
                self.items.append((logical, i, typ, HDR + off, size))
                if typ == CHUNK_ITEM:
                    self._add_chunk(b, HDR + off, key_at(b, o)[2])
                elif typ == ROOT_ITEM and size >= 239:
                    d = HDR + off
                    self.roots.append((u64(b, d + 176), b[d + 238]))


# ---------------------------------------------------------------- corruption
class Corrupter:
    """Applies one seed's corruption to an image file opened r+b."""

    def __init__(self, img, f, rng):
        self.img, self.f, self.rng = img, f, rng
        self.what = []

    # -- low level
    def sb_write(self, sb, fix=True, mirror=False):
        sb = bytearray(sb)
        if fix:
            struct.pack_into("<I", sb, 0, crc32c(sb[32:]))
        for off in ([SB_OFF, SB_MIRROR] if mirror else [SB_OFF]):
            self.f.seek(off)
            self.f.write(sb)

    def block_write(self, logical, b, fix=True, copies=None):
        b = bytearray(b)
        if fix:
            struct.pack_into("<I", b, 0, crc32c(b[32:]))
        phys = self.img.map(logical)
        if copies is not None:
            phys = phys[:copies]
        for p in phys:
            self.f.seek(p)
            self.f.write(b)

    def block(self, logical):
        return bytearray(self.img.read_block(self.f, logical))

    def pick_block(self, leaf=None, owner=None):
        cand = [l for l in self.img.block_list
                if (leaf is None or (self.img.blocks[l][0] == 0) == leaf)
                and (owner is None or owner(self.img.blocks[l][1]))]
        return self.rng.choice(cand or self.img.block_list)

    def pick_item(self, types=None, owner=None):
        cand = [it for it in self.img.items
                if (types is None or it[2] in types)
                and (owner is None or owner(self.img.blocks[it[0]][1]))]
        return self.rng.choice(cand) if cand else None

    def bad_u64(self, old):
        r = self.rng
        return r.choice([0, 1, old + 1, max(old - 1, 0), old ^ (1 << r.randrange(64)),
                         2**64 - 1, 2**63, 2**32, old + 4096, r.getrandbits(64)]) % 2**64

    def used_ranges(self, b):
        # nritems may be corrupt already: never read past the block (a 4k
        # block holds at most 159 item headers; seed 301 of the long mode
        # found a 4k leaf claiming more).
        lvl, nr = b[0x64], u32(b, 0x60)
        if lvl > 0:
            return [(0x20, HDR + KEYPTR * min(nr, (len(b) - HDR) // KEYPTR))]
        nr = min(nr, (len(b) - HDR) // ITEM)
        r = [(0x20, HDR + ITEM * nr)]
        if nr:
            lo = min(u32(b, HDR + ITEM * i + 17) for i in range(nr))
            if HDR + lo < len(b):
                r.append((HDR + lo, len(b)))
        return r

    def random_pos(self, b):
        r = self.rng.choice(self.used_ranges(b))
        return self.rng.randrange(r[0], max(r[0] + 1, min(r[1], len(b))))

    # -- kinds
    def k_sb_field(self):
        sb = bytearray(self.img.sb)
        r = self.rng
        blk = r.choice(self.img.block_list)
        fields = [
            ("bytenr", 0x30, "Q", [0, 4096, SB_MIRROR]),
            ("generation", 0x48, "Q", [0, self.img.generation + 1, 2**64 - 1]),
            ("root", 0x50, "Q", [0, blk, blk + 1, 2**64 - 4096, IMG_SIZE]),
            ("chunk_root", 0x58, "Q", [0, blk, u64(sb, 0x50)]),
            ("log_root", 0x60, "Q", [blk, u64(sb, 0x50), 2**63]),
            ("total_bytes", 0x70, "Q", [4096, 2**64 - 1, 1 << 20, IMG_SIZE * 4]),
            ("bytes_used", 0x78, "Q", [0, 2**64 - 1]),
            ("root_dir_objectid", 0x80, "Q", [0, 5, 257]),
            ("num_devices", 0x88, "Q", [0, 2, 2**32]),
            ("sectorsize", 0x90, "I", [0, 512, 8192, 65536, 4095, 2**31]),
            ("nodesize", 0x94, "I", [0, 4096, 8192, 65536, 131072, 16383]),
            ("stripesize", 0x9C, "I", [0, 8192, 3]),
            ("sys_chunk_array_size", 0xA0, "I", [0, 1, 2049, 2**32 - 1, 97, 80]),
            ("chunk_root_generation", 0xA4, "Q", [0, self.img.generation + 5]),
            ("compat_ro_flags", 0xB4, "Q", [1 << r.randrange(64)]),
            ("incompat_flags", 0xBC, "Q", [u64(sb, 0xBC) ^ (1 << r.randrange(16)), 2**63]),
            ("csum_type", 0xC4, "H", [1, 2, 3, 99]),
            ("root_level", 0xC6, "B", [0, 2, 7, 8, 255]),
            ("chunk_root_level", 0xC7, "B", [1, 8, 255]),
            ("log_root_level", 0xC8, "B", [8, 1]),
            ("dev_item.devid", 0xC9, "Q", [0, 2, 2**64 - 1]),
            ("dev_item.total_bytes", 0xD1, "Q", [0, 4096, IMG_SIZE * 64]),
            ("dev_item.bytes_used", 0xD9, "Q", [0, 2**64 - 1]),
        ]
        name, off, fmt, vals = r.choice(fields)
        v = r.choice(vals)
        struct.pack_into("<" + fmt, sb, off, v)
        self.what.append(f"sb.{name}={v:#x}")
        self.sb_write(sb)

    def k_sb_bytes(self):
        sb = bytearray(self.img.sb)
        r = self.rng
        end = 0x32B + u32(sb, 0xA0)
        n = r.randint(1, 16)
        for _ in range(n):
            sb[r.randrange(0x20, end)] = r.getrandbits(8)
        fix = r.random() < 0.85
        self.what.append(f"sb {n} random bytes in [0x20,{end:#x}) csum {'fixed' if fix else 'bad'}")
        self.sb_write(sb, fix=fix)

    def k_sb_chunk_array(self):
        sb = bytearray(self.img.sb)
        r = self.rng
        n = u32(sb, 0xA0)
        o = 0x32B + 17  # first chunk item
        field, fo, fmt, v = r.choice([
            ("length", 0, "Q", r.choice([0, 4095, 2**63])),
            ("stripe_len", 16, "Q", r.choice([0, 4096, 2**40])),
            ("type", 24, "Q", r.choice([0, 2**63, 0x3FF])),
            ("sector_size", 40, "I", r.choice([0, 512])),
            ("num_stripes", 44, "H", r.choice([0, 3, 65535])),
            ("sub_stripes", 46, "H", r.choice([0, 7])),
            ("stripe0.devid", 48, "Q", r.choice([0, 2])),
            ("stripe0.offset", 56, "Q", r.choice([2**63, IMG_SIZE * 2, 1])),
        ])
        struct.pack_into("<" + fmt, sb, o + fo, v)
        self.what.append(f"sys_chunk_array[0].{field}={v:#x} (array size {n})")
        self.sb_write(sb)

    def k_sb_primary_gone(self):
        sb = bytearray(self.img.sb)
        sb[0x40:0x48] = b"\0" * 8
        self.what.append("primary superblock magic zeroed (mirror intact)")
        self.sb_write(sb, fix=False)

    def k_sb_mirror(self):
        sb = bytearray(self.img.sb)
        for _ in range(64):
            sb[self.rng.randrange(0x20, 4096)] = self.rng.getrandbits(8)
        self.f.seek(SB_MIRROR)
        self.f.write(sb)
        self.what.append("mirror superblock at 64 MiB garbled")

    def k_bitflip(self):
        lg = self.pick_block()
        b = self.block(lg)
        n = self.rng.randint(1, 8)
        for _ in range(n):
            p = self.random_pos(b)
            b[p] ^= 1 << self.rng.randrange(8)
        self.what.append(f"block {lg} (level {b[0x64]} owner {u64(b, 0x58)}): {n} bit flips")
        self.block_write(lg, b)

    def k_bytes(self):
        lg = self.pick_block()
        b = self.block(lg)
        p = self.random_pos(b)
        n = self.rng.randint(1, 64)
        for i in range(p, min(p + n, len(b))):
            b[i] = self.rng.getrandbits(8)
        self.what.append(f"block {lg} (level {b[0x64]} owner {u64(b, 0x58)}): {n} random bytes at {p}")
        self.block_write(lg, b)

    def k_nocsum(self):
        lg = self.pick_block()
        b = self.block(lg)
        for _ in range(8):
            b[self.random_pos(b)] = self.rng.getrandbits(8)
        copies = self.rng.choice([1, None])
        self.what.append(f"block {lg} owner {u64(b, 0x58)}: garbage, stale csum, "
                         f"{'one copy' if copies else 'all copies'}")
        self.block_write(lg, b, fix=False, copies=copies)

    def k_header(self):
        lg = self.pick_block()
        b = self.block(lg)
        r = self.rng
        field, off, fmt, v = r.choice([
            ("bytenr", 0x30, "Q", r.choice([lg + 4096, 0, r.choice(self.img.block_list)])),
            ("flags", 0x38, "Q", r.choice([0, 2**63, 1 << 56])),
            ("generation", 0x50, "Q", r.choice([0, self.img.generation + 100, 2**64 - 1])),
            ("owner", 0x58, "Q", r.choice([0, 1, 2, 3, 7, 256, 2**64 - 6, 2**64 - 1])),
            ("nritems", 0x60, "I", r.choice([0, u32(b, 0x60) + 1, 2**32 - 1, 1000])),
            ("level", 0x64, "B", r.choice([b[0x64] + 1, max(b[0x64] - 1, 0), 8, 255])),
            ("fsid[0]", 0x20, "B", b[0x20] ^ 1),
            ("chunk_tree_uuid[0]", 0x40, "B", b[0x40] ^ 1),
        ])
        struct.pack_into("<" + fmt, b, off, v)
        self.what.append(f"block {lg} owner {u64(self.block(lg), 0x58)}: header.{field}={v:#x}")
        self.block_write(lg, b)

    def k_item_header(self):
        it = self.pick_item()
        lg, slot = it[0], it[1]
        b = self.block(lg)
        r = self.rng
        o = HDR + ITEM * slot
        nr = min(u32(b, 0x60), (len(b) - HDR) // ITEM)  # may be corrupt
        choice = r.randrange(6)
        if choice == 0:
            v = r.choice([0, u32(b, o + 17) + 1, u32(b, o + 17) - 1, 2**32 - 1, self.img.nodesize])
            struct.pack_into("<I", b, o + 17, v % 2**32)
            desc = f"item[{slot}].offset={v}"
        elif choice == 1:
            v = r.choice([0, u32(b, o + 21) + 1, max(u32(b, o + 21) - 1, 0), 2**32 - 1, 65536])
            struct.pack_into("<I", b, o + 21, v % 2**32)
            desc = f"item[{slot}].size={v}"
        elif choice == 2:
            v = r.choice([0, 255, r.choice(sorted(TREE_TYPES))])
            b[o + 8] = v
            desc = f"item[{slot}].key.type={v}"
        elif choice == 3 and nr > 1:
            s2 = (slot + 1) % nr
            o2 = HDR + ITEM * s2
            k1, k2 = bytes(b[o:o + 17]), bytes(b[o2:o2 + 17])
            b[o:o + 17], b[o2:o2 + 17] = k2, k1
            desc = f"item[{slot}] and item[{s2}] keys swapped"
        elif choice == 4:
            v = self.bad_u64(u64(b, o))
            struct.pack_into("<Q", b, o, v)
            desc = f"item[{slot}].key.objectid={v:#x}"
        else:
            v = self.bad_u64(u64(b, o + 9))
            struct.pack_into("<Q", b, o + 9, v)
            desc = f"item[{slot}].key.offset={v:#x}"
        self.what.append(f"leaf {lg} owner {u64(b, 0x58)} type {it[2]}: {desc}")
        self.block_write(lg, b)

    def k_item_data(self):
        it = self.pick_item()
        if not it or it[4] == 0:
            return self.k_bitflip()
        lg, slot, typ, d, size = it
        b = self.block(lg)
        n = self.rng.randint(1, 4)
        for _ in range(n):
            p = d + self.rng.randrange(size)
            if p < len(b):
                b[p] = self.rng.getrandbits(8)
        self.what.append(f"leaf {lg} item[{slot}] type {typ}: {n} random bytes in its data")
        self.block_write(lg, b)

    def k_extent_refs(self):
        it = self.pick_item({EXTENT_ITEM, METADATA_ITEM}, owner=lambda o: o == 2)
        if not it:
            return self.k_item_data()
        lg, slot, typ, d, size = it
        b = self.block(lg)
        r = self.rng
        refs = u64(b, d)
        what = r.randrange(4)
        if what == 0:
            v = r.choice([0, refs + 1, refs + 100, 2**64 - 1, 2**32, max(refs - 1, 0)])
            struct.pack_into("<Q", b, d, v % 2**64)
            desc = f"refs {refs} -> {v}"
        elif what == 1:
            v = r.choice([0, 3, 4, 2**63, 1 if u64(b, d + 16) == 2 else 2])
            struct.pack_into("<Q", b, d + 16, v)
            desc = f"flags -> {v:#x}"
        elif what == 2 and size > 24:
            # First inline ref's type byte (after the tree block info for
            # an EXTENT_ITEM of a tree block, right after the item otherwise).
            o = d + 24 + (18 if typ == EXTENT_ITEM and u64(b, d + 16) & 2 else 0)
            if o < d + size:
                v = r.choice([0, 1, 176, 178, 182, 184, 255])
                b[o] = v
                desc = f"inline ref type -> {v}"
            else:
                desc = "nothing"
        else:
            v = self.bad_u64(u64(b, d + 8))
            struct.pack_into("<Q", b, d + 8, v)
            desc = f"generation -> {v:#x}"
        self.what.append(f"extent item {key_at(b, HDR + ITEM * slot)} in leaf {lg}: {desc}")
        self.block_write(lg, b)

    def k_file_extent(self):
        it = self.pick_item({EXTENT_DATA})
        if not it:
            return self.k_item_data()
        lg, slot, typ, d, size = it
        b = self.block(lg)
        r = self.rng
        ftype = b[d + 20]
        comp = b[d + 16]
        tb = self.img.total_bytes
        if ftype in (1, 2) and size >= 53:
            field, off, fmt, v = r.choice([
                ("disk_bytenr", 21, "Q", r.choice([tb + 4096 * r.randint(1, 100), 2**64 - 4096,
                                                  u64(b, d + 21) + 1, u64(b, d + 21) + 4096,
                                                  r.choice(self.img.block_list)])),
                ("disk_num_bytes", 29, "Q", r.choice([0, 1, 2**63, u64(b, d + 29) * 2])),
                ("offset", 37, "Q", r.choice([u64(b, d + 8) + 4096, 2**63, 1])),
                ("num_bytes", 45, "Q", r.choice([0, 1, 2**63, u64(b, d + 45) + 4096])),
                ("ram_bytes", 8, "Q", r.choice([0, 1, 2**63])),
                ("type", 20, "B", r.choice([0, 3, 255, 3 - ftype])),
                ("compression", 16, "B", r.choice([1, 3, 4, 255])),
                ("encryption", 17, "B", 1),
                ("other_encoding", 18, "H", 1),
            ])
        else:
            field, off, fmt, v = r.choice([
                ("ram_bytes", 8, "Q", r.choice([0, 2**63, u64(b, d + 8) + 1])),
                ("type", 20, "B", r.choice([1, 2, 255])),
                ("compression", 16, "B", r.choice([1, 2, 3, 4, 255])),
            ])
        struct.pack_into("<" + fmt, b, d + off, v)
        self.what.append(f"file extent {key_at(b, HDR + ITEM * slot)} (type {ftype}, "
                         f"compression {comp}) in leaf {lg}: "
                         f"{field}={v:#x}")
        self.block_write(lg, b)

    def k_inode(self):
        it = self.pick_item({INODE_ITEM})
        if not it:
            return self.k_item_data()
        lg, slot, typ, d, size = it
        b = self.block(lg)
        r = self.rng
        field, off, fmt, v = r.choice([
            ("size", 16, "Q", r.choice([0, 2**63, 2**64 - 1, u64(b, d + 16) + 1])),
            ("nbytes", 24, "Q", r.choice([0, 2**63])),
            ("nlink", 40, "I", r.choice([0, 2**32 - 1, 2])),
            ("mode", 52, "I", r.choice([0, 0o170777, 0o140644, 0o20644, 0o60644,
                                        u32(b, d + 52) ^ 0o170000])),
            ("rdev", 56, "Q", r.choice([2**64 - 1, 0x801])),
            ("flags", 64, "Q", r.choice([1 << r.randrange(64), 2**64 - 1, 0x10])),
            ("generation", 0, "Q", r.choice([0, 2**64 - 1])),
        ])
        struct.pack_into("<" + fmt, b, d + off, v)
        self.what.append(f"inode {key_at(b, HDR + ITEM * slot)[0]} in leaf {lg}: {field}={v:#x}")
        self.block_write(lg, b)

    def k_dir(self):
        it = self.pick_item({DIR_ITEM, DIR_INDEX, INODE_REF, XATTR_ITEM})
        if not it:
            return self.k_item_data()
        lg, slot, typ, d, size = it
        b = self.block(lg)
        r = self.rng
        if typ == INODE_REF:
            field, off, fmt, v = "name_len", 8, "H", r.choice([0, 255, 256, 65535])
        else:
            field, off, fmt, v = r.choice([
                ("data_len", 25, "H", r.choice([1, 65535, 16384])),
                ("name_len", 27, "H", r.choice([0, 256, 65535, u16(b, d + 27) + 1])),
                ("type", 29, "B", r.choice([0, 8, 255])),
                ("location.objectid", 0, "Q", r.choice([0, 2**64 - 1, 99999])),
                ("location.type", 8, "B", r.choice([0, 132, 255])),
            ])
        struct.pack_into("<" + fmt, b, d + off, v)
        self.what.append(f"type {typ} item {key_at(b, HDR + ITEM * slot)} in leaf {lg}: {field}={v:#x}")
        self.block_write(lg, b)

    def k_root_item(self):
        it = self.pick_item({ROOT_ITEM})
        if not it or it[4] < 239:
            return self.k_item_data()
        lg, slot, typ, d, size = it
        b = self.block(lg)
        r = self.rng
        field, off, fmt, v = r.choice([
            ("bytenr", 176, "Q", r.choice([0, r.choice(self.img.block_list), 2**63])),
            ("level", 238, "B", r.choice([b[d + 238] + 1, 8])),
            ("refs", 216, "I", r.choice([0, 2**32 - 1])),
            ("generation", 160, "Q", r.choice([0, self.img.generation + 10])),
            ("flags", 208, "Q", r.choice([1, 2**63])),
            ("drop_level", 237, "B", 9),
        ])
        struct.pack_into("<" + fmt, b, d + off, v)
        self.what.append(f"root item {key_at(b, HDR + ITEM * slot)} in leaf {lg}: {field}={v:#x}")
        self.block_write(lg, b)

    def k_chunk_bg_dev(self):
        it = self.pick_item({CHUNK_ITEM, BLOCK_GROUP_ITEM, DEV_EXTENT, DEV_ITEM})
        if not it:
            return self.k_item_data()
        lg, slot, typ, d, size = it
        b = self.block(lg)
        r = self.rng
        if typ == CHUNK_ITEM:
            field, off, fmt, v = r.choice([
                ("length", 0, "Q", r.choice([0, 4095, 2**63])),
                ("type", 24, "Q", r.choice([0, 0x3FF, 2**63])),
                ("num_stripes", 44, "H", r.choice([0, 3, 65535])),
                ("stripe0.offset", 56, "Q", r.choice([2**63, IMG_SIZE * 2])),
                ("stripe0.devid", 48, "Q", r.choice([0, 2])),
            ])
        elif typ == BLOCK_GROUP_ITEM:
            field, off, fmt, v = r.choice([
                ("used", 0, "Q", r.choice([0, 2**63, u64(b, d) + 4096])),
                ("chunk_objectid", 8, "Q", r.choice([0, 257])),
                ("flags", 16, "Q", r.choice([0, 0x3FF, 2**63, 1 | 4])),
            ])
        elif typ == DEV_EXTENT:
            field, off, fmt, v = r.choice([
                ("chunk_offset", 16, "Q", r.choice([0, 2**63, u64(b, d + 16) + 4096])),
                ("length", 24, "Q", r.choice([0, 2**40, u64(b, d + 24) + 4096])),
            ])
        else:
            field, off, fmt, v = r.choice([
                ("devid", 0, "Q", r.choice([0, 2])),
                ("total_bytes", 8, "Q", r.choice([0, 4096, 2**50])),
                ("bytes_used", 16, "Q", r.choice([0, 2**63])),
            ])
        struct.pack_into("<" + fmt, b, d + off, v)
        self.what.append(f"type {typ} item {key_at(b, HDR + ITEM * slot)} in leaf {lg}: {field}={v:#x}")
        self.block_write(lg, b)

    def k_ptr(self):
        nodes = self.img.ptrs
        if not nodes:
            return self.k_bitflip()
        lg, slot = self.rng.choice(nodes)
        b = self.block(lg)
        r = self.rng
        o = HDR + KEYPTR * slot
        what = r.randrange(3)
        if what == 0:
            v = r.choice([0, r.choice(self.img.block_list), u64(b, o + 17) + 4096,
                          self.img.total_bytes + 2**20, 2**64 - 4096])
            struct.pack_into("<Q", b, o + 17, v)
            desc = f"ptr[{slot}].blockptr={v:#x}"
        elif what == 1:
            v = r.choice([0, u64(b, o + 25) + 1, 2**64 - 1])
            struct.pack_into("<Q", b, o + 25, v)
            desc = f"ptr[{slot}].generation={v:#x}"
        else:
            v = self.bad_u64(u64(b, o))
            struct.pack_into("<Q", b, o, v)
            desc = f"ptr[{slot}].key.objectid={v:#x}"
        self.what.append(f"node {lg} owner {u64(b, 0x58)}: {desc}")
        self.block_write(lg, b)

    KINDS = ["sb_field", "sb_bytes", "sb_chunk_array", "sb_primary_gone", "sb_mirror",
             "bitflip", "bytes", "nocsum", "header", "item_header", "item_data",
             "extent_refs", "file_extent", "inode", "dir", "root_item",
             "chunk_bg_dev", "ptr"]
    # Relative weights: the structured kinds reach deepest into the code.
    WEIGHTS = [3, 2, 2, 1, 1, 3, 3, 2, 3, 4, 4, 5, 5, 3, 3, 2, 3, 3]

    def run(self):
        kind = self.rng.choices(self.KINDS, self.WEIGHTS)[0]
        getattr(self, "k_" + kind)()
        if self.rng.random() < 0.15:  # sometimes a second, different hit
            k2 = self.rng.choice(self.KINDS[5:])
            getattr(self, "k_" + k2)()
            kind += "+" + k2
        return kind


def corrupt(img, base_path, out_path, seed):
    """Copy base to out (sparse) and corrupt it; returns (kind, description)."""
    subprocess.run(["cp", "--sparse=always", base_path, out_path], check=True)
    rng = random.Random(seed)
    with open(out_path, "r+b") as f:
        c = Corrupter(img, f, rng)
        kind = c.run()
    return kind, "; ".join(c.what)


def zero_disk_extent(img, base_path, out_path, value=0, compressed=True):
    """Copy base to out and set disk_num_bytes to value (0, or 2**63) in its
    first compressed regular file extent item: the cases stock btrfs crashes
    on (see UPSTREAM_CRASH); with compressed=False in its first uncompressed
    one.  Returns a description, or None without such an item."""
    for lg, slot, typ, d, size in img.items:
        if typ != EXTENT_DATA or size < 53:
            continue
        with open(base_path, "rb") as f:
            b = bytearray(img.read_block(f, lg))
        if b[d + 20] != 1 or (b[d + 16] != 0) != compressed or u64(b, d + 21) == 0:
            continue
        subprocess.run(["cp", "--sparse=always", base_path, out_path], check=True)
        struct.pack_into("<Q", b, d + 29, value)
        with open(out_path, "r+b") as f:
            Corrupter(img, f, random.Random(0)).block_write(lg, b)
        return (f"{'' if compressed else 'un'}compressed file extent "
                f"{key_at(b, HDR + ITEM * slot)} in leaf {lg}: "
                f"disk_num_bytes={value:#x}")
    return None


# ---------------------------------------------------------------- kernel side
libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def sys_mount(src, dst, fstype, opts=None):
    r = libc.mount(src.encode(), dst.encode(), fstype.encode(), 0,
                   opts.encode() if opts else None)
    return 0 if r == 0 else ctypes.get_errno()


def sys_umount(dst):
    for _ in range(20):
        if libc.umount2(dst.encode(), 0) == 0:
            return 0
        e = ctypes.get_errno()
        if e != errno.EBUSY:
            return e
        time.sleep(0.5)
    return errno.EBUSY


LOOP_SET_FD, LOOP_CLR_FD, LOOP_CTL_GET_FREE = 0x4C00, 0x4C01, 0x4C82
FICLONE = 0x40049409
BTRFS_IOC_FORGET_DEV = 0x50009405


def loop_attach(path):
    import fcntl
    ctl = os.open("/dev/loop-control", os.O_RDWR)
    n = fcntl.ioctl(ctl, LOOP_CTL_GET_FREE)
    os.close(ctl)
    dev = f"/dev/loop{n}"
    fd = os.open(dev, os.O_RDWR)
    img = os.open(path, os.O_RDWR)
    fcntl.ioctl(fd, LOOP_SET_FD, img)
    os.close(img)
    os.close(fd)
    return dev


def loop_detach(dev):
    import fcntl
    fd = os.open(dev, os.O_RDWR)
    try:
        fcntl.ioctl(fd, LOOP_CLR_FD)
    except OSError:
        pass
    os.close(fd)


def forget_devices(fstype):
    """Drop the module's cache of scanned, unmounted devices: every image has
    the same fsid, and a corrupted one must not leave a stale entry."""
    import fcntl
    ctl = "/dev/btrfsx-control" if fstype == "btrfsx" else "/dev/btrfs-control"
    try:
        fd = os.open(ctl, os.O_RDWR)
        fcntl.ioctl(fd, BTRFS_IOC_FORGET_DEV, bytearray(4096))
        os.close(fd)
    except OSError:
        pass


class Kmsg:
    """Reads the kernel log records that arrived since the last read."""

    def __init__(self, marker):
        self.fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        self.lost = 0
        # Skip what precedes this test's start marker (bash wrote it).
        lines = self.read()
        self.pre = []
        for i, l in enumerate(lines):
            if marker in l:
                self.pre = lines[i + 1:]

    def read(self):
        out = []
        while True:
            try:
                rec = os.read(self.fd, 8192)
            except BlockingIOError:
                return out
            except BrokenPipeError:  # overrun: records were lost
                self.lost += 1
                continue
            msg = rec.decode("utf-8", "replace")
            head, _, text = msg.partition(";")
            out.append(text.split("\n")[0])

    @staticmethod
    def note(text):
        with open("/dev/kmsg", "w") as f:
            f.write("<4>btrfsx-fuzz: " + text + "\n")


def walk(mnt):
    """Child: read everything, reflink one file, write and fsync one; return
    a summary of errnos, the same form for both modules."""
    errs = {}

    def err(tag, e):
        k = f"{tag}:{errno.errorcode.get(e.errno, e.errno)}"
        errs[k] = errs.get(k, 0) + 1

    files = 0
    src = None
    for root, dirs, names in os.walk(mnt, onerror=lambda e: err("walk", e)):
        dirs.sort()
        for n in sorted(names):
            p = os.path.join(root, n)
            try:
                st = os.lstat(p)
                if os.path.islink(p):
                    os.readlink(p)
                    continue
                if not os.path.isfile(p):
                    continue
                files += 1
                os.listxattr(p)
                with open(p, "rb") as f:
                    while f.read(1 << 20):
                        pass
                if src is None and st.st_size > 8192:
                    src = p
            except OSError as e:
                err("read", e)
    import fcntl
    if src:
        try:
            with open(src, "rb") as s, open(os.path.join(mnt, "fuzz-reflink"), "wb") as d:
                fcntl.ioctl(d.fileno(), FICLONE, s.fileno())
                os.fsync(d.fileno())
        except OSError as e:
            err("reflink", e)
    try:
        with open(os.path.join(mnt, "fuzz-write"), "wb") as f:
            f.write(b"x" * 65536)
            os.fsync(f.fileno())
    except OSError as e:
        err("write", e)
    try:
        os.sync()
    except OSError as e:
        err("sync", e)
    return {"files": files, "errors": errs}


def trial(fstype, img_path, mnt, timeout):
    """Mount img as fstype, walk it, unmount: in a child process, so that a
    hang is seen.  Returns a dict; 'hang' set when the child did not finish."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        res = {"fstype": fstype}
        try:
            forget_devices(fstype)
            dev = loop_attach(img_path)
            res["mount"] = _trial_mount(dev, mnt, fstype)
            if res["mount"] == "ok":
                res.update(walk(mnt))
                e = sys_umount(mnt)
                res["umount"] = errno.errorcode.get(e, e) if e else "ok"
            loop_detach(dev)
        except Exception as e:  # report, never hang the parent
            res["exception"] = repr(e)
        try:
            os.write(wfd, json.dumps(res).encode())
        except BrokenPipeError:  # the parent gave up on us: a hang
            pass
        os._exit(0)
    os.close(wfd)
    r, _, _ = select.select([rfd], [], [], timeout)
    if not r:
        os.close(rfd)
        return {"fstype": fstype, "hang": True}
    data = b""
    while True:
        chunk = os.read(rfd, 65536)
        if not chunk:
            break
        data += chunk
    os.close(rfd)
    os.waitpid(pid, 0)
    return json.loads(data or b"{}")


def _trial_mount(dev, mnt, fstype):
    e = sys_mount(dev, mnt, fstype)
    return "ok" if e == 0 else errno.errorcode.get(e, str(e))


# ---------------------------------------------------------------- base images
def write_files(top, rng):
    """Fixed tree of files from rng: inline, small, medium, compressed,
    nocow/prealloc, sparse, links, xattrs, reflinks."""
    import fcntl
    os.makedirs(top, exist_ok=True)
    for d in range(4):
        dd = os.path.join(top, f"d{d}")
        os.mkdir(dd)
        for i in range(20):
            with open(os.path.join(dd, f"s{i}"), "wb") as f:
                f.write(rng.randbytes(rng.randrange(0, 3000)))
    os.mkdir(os.path.join(top, "m"))
    for i in range(12):
        with open(os.path.join(top, "m", f"f{i}"), "wb") as f:
            f.write(rng.randbytes(rng.randrange(8 << 10, 100 << 10)))
    with open(os.path.join(top, "big"), "wb") as f:
        f.write(rng.randbytes(1 << 20))
    # Compressed: FS_COMPR_FL on a directory is inherited by new files.
    c = os.path.join(top, "z")
    os.mkdir(c)
    fd = os.open(c, os.O_RDONLY)
    try:
        fcntl.ioctl(fd, 0x40086602, struct.pack("l", 0x4))  # FS_IOC_SETFLAGS
    except OSError:
        pass
    os.close(fd)
    for i in range(4):
        with open(os.path.join(c, f"c{i}"), "wb") as f:
            f.write((b"btrfsx %d " % i) * rng.randrange(1000, 20000))
    # nocow + prealloc.
    p = os.path.join(top, "nocow")
    fd = os.open(p, os.O_CREAT | os.O_RDWR)
    try:
        fcntl.ioctl(fd, 0x40086602, struct.pack("l", 0x00800000))
    except OSError:
        pass
    os.posix_fallocate(fd, 0, 1 << 20)
    os.pwrite(fd, rng.randbytes(20000), 100000)
    os.close(fd)
    # Sparse.
    with open(os.path.join(top, "sparse"), "wb") as f:
        f.write(rng.randbytes(5000))
        f.seek(3 << 20)
        f.write(rng.randbytes(70000))
    os.symlink("m/f1", os.path.join(top, "link"))
    os.link(os.path.join(top, "m", "f2"), os.path.join(top, "hard"))
    os.setxattr(os.path.join(top, "m", "f3"), "user.fuzz", rng.randbytes(200))
    os.mkfifo(os.path.join(top, "fifo"))
    # Reflinks: whole files and ranges.
    for i in range(4):
        s = os.path.join(top, "m", f"f{i}")
        with open(s, "rb") as sf, open(os.path.join(top, f"r{i}"), "wb") as df:
            fcntl.ioctl(df.fileno(), FICLONE, sf.fileno())
    with open(os.path.join(top, "big"), "rb") as sf, open(os.path.join(top, "rpart"), "wb") as df:
        args = struct.pack("qQQQ", sf.fileno(), 256 << 10, 512 << 10, 0)
        fcntl.ioctl(df.fileno(), 0x4020940D, args)  # FICLONERANGE


def run_cmd(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def build_base(path, mnt, nodesize, with_log, seed):
    """A populated 256 MiB image, written by stock btrfs."""
    rng = random.Random(seed)
    with open(path, "wb") as f:
        f.truncate(IMG_SIZE)
    run_cmd("mkfs.btrfs", "-q", "-f", "-U", FSID, "-n", str(nodesize), path)
    dev = loop_attach(path)
    forget_devices("btrfs")
    e = sys_mount(dev, mnt, "btrfs", "commit=300")
    if e:
        raise OSError(e, f"mount base {path}")
    write_files(os.path.join(mnt, "a"), rng)
    run_cmd("btrfs", "subvolume", "create", os.path.join(mnt, "sv"))
    write_files(os.path.join(mnt, "sv", "b"), rng)
    os.sync()
    run_cmd("btrfs", "subvolume", "snapshot", os.path.join(mnt, "sv"), os.path.join(mnt, "snap"))
    # Change the source after the snapshot: shared, then CoW'd tree blocks.
    for i in range(0, 20, 3):
        os.unlink(os.path.join(mnt, "sv", "b", "d1", f"s{i}"))
    with open(os.path.join(mnt, "sv", "b", "m", "f5"), "r+b") as f:
        f.seek(4096)
        f.write(rng.randbytes(8192))
    os.unlink(os.path.join(mnt, "a", "m", "f7"))
    os.sync()
    if with_log:
        # fsync'd but not committed: the image has a log tree to replay.
        for i in range(6):
            p = os.path.join(mnt, "a", f"logged{i}")
            with open(p, "wb") as f:
                f.write(rng.randbytes(rng.randrange(1000, 200000)))
                os.fsync(f.fileno())
        os.rename(os.path.join(mnt, "a", "d2", "s3"), os.path.join(mnt, "a", "d3", "moved"))
        fd = os.open(os.path.join(mnt, "a", "d3"), os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
        with open(os.path.join(mnt, "a", "m", "f4"), "r+b") as f:
            f.seek(0)
            f.write(rng.randbytes(4096))
            os.fsync(f.fileno())
        snap = path + ".tmp"
        run_cmd("cp", "--sparse=always", path, snap)
        sys_umount(mnt)
        loop_detach(dev)
        os.rename(snap, path)
    else:
        sys_umount(mnt)
        loop_detach(dev)
    img = Image(path)
    if with_log and not u64(img.sb, 0x60):
        raise RuntimeError("base image with log tree has no log root")
    return img


# ---------------------------------------------------------------- driver
# Corruptions that crash stock btrfs of the supported kernels, which btrfsx's
# patches refuse (patches/common/tree-checker-bound-compressed-extent-size.patch):
# reading a compressed data extent of 0 or 2^63 disk bytes oopses 6.1 and
# 6.12 (or BUGs in blk-mq).  Stock btrfs is not tried on them (a crash would
# end the whole run); btrfsx is, and must refuse without a WARN.
UPSTREAM_CRASH = re.compile(
    r"compression [1-9][0-9]*\)[^;]*disk_num_bytes=(0x0|0x8000000000000000)\b")
# btrfsx's tree checker is stricter than stock's there (0009): where it
# refused an item for this reason, a different mount or walk is by design.
BTRFSX_STRICTER = re.compile(r"invalid disk_num_bytes [0-9]+ for compressed")


def main_run(a):
    km = Kmsg(a.marker)
    os.makedirs(a.out, exist_ok=True)
    work = a.work
    os.makedirs(work, exist_ok=True)
    mnt = os.path.join(work, "mnt")
    os.makedirs(mnt, exist_ok=True)
    problems = []  # fail the run
    t0 = time.time()
    bases = [("b16k", build_base(os.path.join(work, "base16k.img"), mnt, 16384, False, 1)),
             ("b4k-log", build_base(os.path.join(work, "base4k.img"), mnt, 4096, True, 2))]
    pre = km.pre + km.read()
    bad = [l for l in pre if BAD.search(l)]
    if bad:
        problems.append(f"kernel log while building the base images: {bad[:3]}")
    for name, img in bases:
        print(f"# base {name}: {len(img.blocks)} tree blocks, {len(img.items)} items, "
              f"{len(img.chunks)} chunks, log tree {'yes' if u64(img.sb, 0x60) else 'no'}",
              flush=True)
    counts = {"images": 0, "mounted": 0, "refused": 0, "both-bad": 0,
              "stock-only-bad": 0, "btrfsx-only-bad": 0, "mount-diverged": 0,
              "walk-diverged": 0, "stock-not-tried": 0, "stricter": 0}
    upstream = []
    for i in range(a.count):
        seed = a.first + i
        bname, img = bases[seed % len(bases)]
        base_path = img.path
        x_img = os.path.join(work, "x.img")
        s_img = os.path.join(work, "s.img")
        kind, desc = corrupt(img, base_path, x_img, seed)
        run_cmd("cp", "--sparse=always", x_img, s_img)
        Kmsg.note(f"seed {seed} base {bname} kind {kind}: {desc}")
        km.read()
        res = {}
        for fstype, path in (("btrfsx", x_img), ("btrfs", s_img)):
            if fstype == "btrfs" and UPSTREAM_CRASH.search(desc):
                counts["stock-not-tried"] += 1
                res[fstype] = {"fstype": fstype, "skipped": True, "bad": []}
                continue
            t1 = time.time()
            r = trial(fstype, path, mnt, a.timeout)
            r["secs"] = time.time() - t1
            r["log"] = km.read()
            r["bad"] = [l for l in r["log"] if BAD.search(l)]
            res[fstype] = r
            if r.get("hang"):
                break
        x, s = res["btrfsx"], res.get("btrfs", {})
        counts["images"] += 1
        tag = f"seed {seed} ({bname}, {kind}: {desc})"
        verdict = []
        if x.get("hang") or s.get("hang"):
            who = "btrfsx" if x.get("hang") else "btrfs"
            with open("/proc/sysrq-trigger", "w") as f:
                f.write("w")
            problems.append(f"{tag}: {who} hung (> {a.timeout} s)")
            save(a.out, base_path, seed, desc)
            break
        for r in (x, s):
            if "exception" in r:
                problems.append(f"{tag}: {r['fstype']} trial: {r['exception']}")
        if x.get("mount") == "ok":
            counts["mounted"] += 1
        else:
            counts["refused"] += 1
        stricter = any(BTRFSX_STRICTER.search(l) for l in x["log"])
        if s.get("skipped"):
            verdict.append("stock btrfs not tried (crashes on this, see UPSTREAM_CRASH)")
        elif stricter and ((x.get("mount"), x.get("files"), x.get("errors")) !=
                           (s.get("mount"), s.get("files"), s.get("errors"))):
            counts["stricter"] += 1
            verdict.append(f"btrfsx refused the item by design (0009); btrfs {s.get('mount')}")
        elif x.get("mount") != s.get("mount"):
            counts["mount-diverged"] += 1
            verdict.append(f"mount: btrfsx {x.get('mount')}, btrfs {s.get('mount')}")
            problems.append(f"{tag}: mount result differs: btrfsx {x.get('mount')}, "
                            f"btrfs {s.get('mount')}")
        elif (x.get("files"), x.get("errors")) != (s.get("files"), s.get("errors")):
            counts["walk-diverged"] += 1
            verdict.append(f"walk: btrfsx {x.get('files')} files {x.get('errors')}, "
                           f"btrfs {s.get('files')} files {s.get('errors')}")
        # Upstream WARNs are allowed only where the test's list expects them
        # for this image (a.klog), and under btrfsx exactly as under stock.
        own = [l for l in x["bad"] if OWN_CODE.search(l)]
        xs = sorted(sig for sig, _ in klog_events(x["log"]))
        ss = sorted(sig for sig, _ in klog_events(s.get("log", [])))
        allowed = klog_expected(a.klog, seed)
        unlisted = sorted({g for g in xs + ss if g not in allowed})
        if own:
            counts["btrfsx-only-bad"] += 1
            problems.append(f"{tag}: in btrfsx's own code: {own[:4]}")
            verdict.append("WARN in btrfsx's own code")
        elif x["bad"] and not s["bad"]:
            counts["btrfsx-only-bad"] += 1
            problems.append(f"{tag}: btrfsx only: {x['bad'][:4]}")
            verdict.append("btrfsx-only WARN/abort")
        elif x["bad"] and xs != ss:
            counts["btrfsx-only-bad"] += 1
            problems.append(f"{tag}: btrfsx's WARNs {xs} differ from stock's {ss}")
            verdict.append("WARN/abort differ from stock's")
        elif unlisted and not a.seen:
            problems.append(f"{tag}: upstream WARN/abort not expected for seed {seed} "
                            f"in {os.path.basename(a.klog)}: {unlisted}")
            verdict.append("WARN/abort not in the list")
        elif x["bad"]:
            counts["both-bad"] += 1
            upstream.append(f"{tag}: btrfsx and stock btrfs both (upstream): {'; '.join(xs)}")
            verdict.append("both WARN/abort (upstream, same signatures)")
        elif s["bad"]:
            counts["stock-only-bad"] += 1
            upstream.append(f"{tag}: stock btrfs only (upstream): {'; '.join(ss)}")
            verdict.append("stock-only WARN/abort (upstream)")
        # The base images are not byte-for-byte the same in every run, so a
        # seed's upstream WARNs are not known in advance: with --seen, what
        # stock btrfs reported on this very image, and btrfsx exactly alike
        # (same signatures, statements included, none in btrfsx's code), is
        # what this image is expected to report; the suite's log check
        # allows it (tests/vm/suite).
        if unlisted and a.seen and not own and xs in ([], ss) and \
                not (x["bad"] and not s["bad"]):
            with open(a.seen, "a") as f:
                f.writelines(f"{seed} {g}\n" for g in unlisted)
        if verdict and (x["bad"] or (x.get("mount") != s.get("mount") and
                                     not s.get("skipped") and not stricter)):
            save(a.out, base_path, seed, desc)
        if a.verbose or verdict:
            print(f"# seed {seed} {bname} {kind}: btrfsx {x.get('mount')} "
                  f"{x.get('files', '-')} files {x.get('errors', {})} "
                  f"({x['secs']:.1f}+{s.get('secs', 0):.1f} s)"
                  f"{'; ' + '; '.join(verdict) if verdict else ''}", flush=True)
        if problems and not a.keep_going:
            break
    tail = km.read()
    bad = [l for l in tail if BAD.search(l)]
    if bad:
        problems.append(f"kernel log after the last trial: {bad[:3]}")
    if km.lost:
        print(f"# note: kernel log overran {km.lost} times; some records not seen")
    secs = time.time() - t0
    print(f"# {counts['images']} images in {secs:.0f} s: {counts['mounted']} mounted, "
          f"{counts['refused']} refused; divergences from stock: "
          f"{counts['mount-diverged']} mount, {counts['walk-diverged']} walk, "
          f"{counts['btrfsx-only-bad']} btrfsx-only WARN/abort, "
          f"{counts['stock-only-bad']} stock-only WARN/abort; "
          f"{counts['both-bad']} WARN/abort in both (upstream); "
          f"{counts['stock-not-tried']} not tried on stock (known crash), "
          f"{counts['stricter']} refused by btrfsx's stricter tree checker")
    for u in upstream:
        print(f"# known (upstream): {u}")
    with open(os.path.join(a.out, "100-corrupt-images.json"), "w") as f:
        json.dump({"counts": counts, "upstream": upstream, "problems": problems,
                   "first": a.first, "secs": secs}, f, indent=1)
    for p in problems:
        print(f"FAIL: {p}")
    return 1 if problems else 0


def first_bad(lines):
    """The most telling of a trial's bad log lines."""
    for pat in ("WARNING:", "BUG", "aborted", "RIP:"):
        for l in lines:
            if pat in l:
                return l.strip()
    return lines[0].strip()


def save(out, base_path, seed, desc):
    """Keep the base image (zstd) and the seed so that a case can be replayed
    with 'fuzz.py corrupt BASE OUT SEED'."""
    name = os.path.join(out, "100-" + os.path.basename(base_path) + ".zst")
    if not os.path.exists(name):
        subprocess.run(["zstd", "-q", "-f", base_path, "-o", name])
    with open(os.path.join(out, "100-seeds.txt"), "a") as f:
        f.write(f"{seed} {os.path.basename(base_path)} {desc}\n")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--out", required=True)
    r.add_argument("--work", default="/tmp/btrfsx-fuzz")
    r.add_argument("--first", type=int, default=1)
    r.add_argument("--count", type=int, default=40)
    r.add_argument("--timeout", type=int, default=120)
    r.add_argument("--marker", default="btrfsx-test: start 100")
    r.add_argument("--seen", help="append the upstream WARNs that stock and btrfsx "
                   "both reported on an image, as SEED SIGNATURE lines")
    r.add_argument("--klog", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "100-corrupt-images.klog"),
                   help="the upstream WARNs expected per seed (klog-check LIST)")
    r.add_argument("--keep-going", action="store_true")
    r.add_argument("--verbose", action="store_true")
    c = sub.add_parser("corrupt")
    c.add_argument("base")
    c.add_argument("out")
    c.add_argument("seed", type=int)
    z = sub.add_parser("zero-disk-extent")
    z.add_argument("--uncompressed", action="store_true")
    z.add_argument("base")
    z.add_argument("out")
    z.add_argument("value", nargs="?", type=lambda v: int(v, 0), default=0)
    sub.add_parser("own-code")
    sub.add_parser("klog-sigs")
    k = sub.add_parser("klog-check")
    k.add_argument("list")
    k.add_argument("--seed", type=int)
    a = p.parse_args()
    if a.cmd == "own-code":
        sys.stdout.writelines(l for l in sys.stdin if OWN_CODE.search(l))
        sys.exit(0)
    if a.cmd == "klog-sigs":
        for sig, _ in klog_events(sys.stdin):
            print(sig)
        sys.exit(0)
    if a.cmd == "klog-check":
        for u in klog_unexpected(sys.stdin, klog_expected(a.list, a.seed)):
            print(u)
        sys.exit(0)
    if a.cmd == "run":
        sys.exit(main_run(a))
    if a.cmd == "zero-disk-extent":
        desc = zero_disk_extent(Image(a.base), a.base, a.out, a.value,
                                not a.uncompressed)
        print(desc or "no such regular file extent item")
        sys.exit(0 if desc else 2)
    img = Image(a.base)
    kind, desc = corrupt(img, a.base, a.out, a.seed)
    print(f"{kind}: {desc}")


if __name__ == "__main__":
    main()
