#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Exact-errno probes run on stock btrfs and on btrfsx side by side, for
tests/vm/110-bad-calls.sh and 150-permissions.sh.  Each subcommand prints a
table (case | btrfs | btrfsx | verdict) and exits 1 when the two differ.

  calls.py remap   --btrfs DIR --btrfsx DIR --btrfs-other DIR --btrfsx-other DIR --tmp DIR
  calls.py mountopts --btrfs DEV --btrfsx DEV --mnt DIR
  calls.py sysfs   --btrfs UUID --btrfsx UUID
  calls.py unpriv  --btrfs DIR --btrfsx DIR --user NAME
"""
import argparse
import ctypes
import errno
import fcntl
import hashlib
import os
import pwd
import random
import struct
import subprocess
import sys

FICLONE = 0x40049409
FICLONERANGE = 0x4020940D
FIDEDUPERANGE = 0xC0189436
FS_IOC_GETFLAGS = 0x80086601
FS_IOC_SETFLAGS = 0x40086602
FL_IMMUTABLE, FL_APPEND, FL_NOCOW = 0x10, 0x20, 0x00800000
MS_RDONLY, MS_REMOUNT, MS_BIND = 1, 32, 4096

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
libc.swapon.argtypes = [ctypes.c_char_p, ctypes.c_int]
libc.swapoff.argtypes = [ctypes.c_char_p]


def ename(e):
    return errno.errorcode.get(e, str(e))


def cmount(src, dst, fstype, flags=0, opts=None):
    r = libc.mount(src.encode() if src else None, dst.encode(),
                   fstype.encode() if fstype else None, flags,
                   opts.encode() if opts else None)
    return 0 if r == 0 else ctypes.get_errno()


def cumount(dst):
    return 0 if libc.umount2(dst.encode(), 0) == 0 else ctypes.get_errno()


def setflags(path, flags):
    fd = os.open(path, os.O_RDONLY)
    try:
        buf = bytearray(8)
        fcntl.ioctl(fd, FS_IOC_GETFLAGS, buf)
        old = struct.unpack_from("<i", buf)[0]
        fcntl.ioctl(fd, FS_IOC_SETFLAGS, struct.pack("<i", flags(old)))
    finally:
        os.close(fd)


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                return h.hexdigest()[:12]
            h.update(b)


def table(rows, title):
    """rows: (case, btrfs, btrfsx); prints, returns the differing cases."""
    w = max([len(r[0]) for r in rows] + [4])
    v = max([len(r[1]) for r in rows] + [5])
    print(f"# {title}")
    print(f"# {'case':<{w}}  {'btrfs':<{v}}  btrfsx")
    bad = []
    for case, a, b in rows:
        same = a == b
        if not same:
            bad.append(case)
        print(f"# {case:<{w}}  {a:<{v}}  {b}{'' if same else '   <-- DIFFERS'}")
    return bad


# ---------------------------------------------------------------- remap
class Fs:
    """One filesystem under test with the files of the remap cases."""

    def __init__(self, fstype, root, other, peer, tmp):
        self.fstype, self.root, self.other, self.peer, self.tmp = fstype, root, other, peer, tmp
        self.ro = os.path.join(os.path.dirname(root.rstrip("/")), f"ro-{fstype}")
        self.swap = None

    def path(self, name):
        for pre, top in (("ro:", self.ro), ("other:", self.other), ("peer:", self.peer),
                         ("tmp:", self.tmp)):
            if name.startswith(pre):
                return os.path.join(top, name[len(pre):])
        return os.path.join(self.root, name)

    def setup(self):
        rng = random.Random(110)
        data_a = rng.randbytes(1 << 20)
        data_b = rng.randbytes(1 << 20)
        w = lambda n, d: open(self.path(n), "wb").write(d)
        w("a", data_a)
        w("a2", data_a)
        w("a3", data_a)
        w("b", data_b)
        w("small", data_a[:5000])
        w("e", b"")
        w("imm", data_a)
        w("app", data_a)
        os.makedirs(self.path("dir"), exist_ok=True)
        w("other:o", data_a)
        w("peer-src-" + self.fstype, data_a)
        w("tmp:t-" + self.fstype, data_a)
        open(self.path("nocow"), "wb").close()
        setflags(self.path("nocow"), lambda f: f | FL_NOCOW)
        w("nocow", data_a[:262144])
        os.sync()
        setflags(self.path("imm"), lambda f: f | FL_IMMUTABLE)
        setflags(self.path("app"), lambda f: f | FL_APPEND)
        # A swapfile: nocow, preallocated, no holes.
        sw = self.path("swap")
        fd = os.open(sw, os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.ioctl(fd, FS_IOC_SETFLAGS, struct.pack("<i", FL_NOCOW))
        os.posix_fallocate(fd, 0, 16 << 20)
        os.close(fd)
        subprocess.run(["mkswap", sw], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        if libc.swapon(sw.encode(), 0) == 0:
            self.swap = sw
        else:
            self.swap_err = ename(ctypes.get_errno())
        os.makedirs(self.ro, exist_ok=True)
        e = cmount(self.root, self.ro, None, MS_BIND) or \
            cmount(None, self.ro, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
        if e:
            raise OSError(e, f"read-only bind mount of {self.root}")

    def cleanup(self):
        if self.swap:
            libc.swapoff(self.swap.encode())
        for n in ("imm", "app"):
            try:
                setflags(self.path(n), lambda f: f & ~(FL_IMMUTABLE | FL_APPEND))
            except OSError:
                pass
        cumount(self.ro)

    def open(self, spec, new=False):
        name, mode = spec
        flags = {"r": os.O_RDONLY, "w": os.O_WRONLY, "rw": os.O_RDWR,
                 "a": os.O_WRONLY | os.O_APPEND}[mode]
        if new:
            flags |= os.O_CREAT
        return os.open(self.path(name), flags, 0o644)


def r_clone(fs, src, dst, off, length, doff, new=False, whole=False, nocow=False):
    try:
        s = fs.open(src)
    except OSError as e:
        return f"open src: {ename(e.errno)}"
    try:
        d = s if dst == "same" else fs.open(dst, new)
    except OSError as e:
        os.close(s)
        return f"open dst: {ename(e.errno)}"
    try:
        if nocow:
            fcntl.ioctl(d, FS_IOC_SETFLAGS, struct.pack("<i", FL_NOCOW))
        if whole:
            fcntl.ioctl(d, FICLONE, s)
        else:
            fcntl.ioctl(d, FICLONERANGE, struct.pack("qQQQ", s, off, length, doff))
        res = "ok"
        if dst != "same" and new:
            res += " " + sha(fs.path(dst[0]))
        elif dst == "same" or dst[0] == src[0]:
            res += " " + sha(fs.path(src[0]))
    except OSError as e:
        res = ename(e.errno)
    finally:
        os.close(s)
        if d != s:
            os.close(d)
    return res


def r_dedupe(fs, src, dsts, off, length, count=None, reserved=0):
    try:
        s = fs.open(src)
        ds = [fs.open((d, "r")) for d, _ in dsts]
    except OSError as e:
        return f"open: {ename(e.errno)}"
    n = len(dsts) if count is None else count
    buf = bytearray(struct.pack("QQHHI", off, length, n, reserved, 0))
    for fd, (_, doff) in zip(ds, dsts):
        buf += struct.pack("qQQiI", fd, doff, 0, 0, 0)
    try:
        fcntl.ioctl(s, FIDEDUPERANGE, buf)
        out = []
        for i in range(len(dsts)):
            _, _, deduped, status, _ = struct.unpack_from("qQQiI", buf, 24 + 32 * i)
            out.append("same %d" % deduped if status == 0 else
                       "differs" if status == 1 else ename(-status))
        res = ", ".join(out) or "ok (no dest)"
    except OSError as e:
        res = ename(e.errno)
    finally:
        os.close(s)
        for fd in ds:
            os.close(fd)
    return res


K = 1 << 10
M = 1 << 20
REMAP_CASES = [
    # name, function, args (paths are relative to the fs under test)
    ("clone whole file (FICLONE)", r_clone, (("a", "r"), ("c1", "rw"), 0, 0, 0), {"new": True, "whole": True}),
    ("clone range to new file", r_clone, (("a", "r"), ("c2", "rw"), 64 * K, 128 * K, 0), {"new": True}),
    ("clone same file, disjoint", r_clone, (("a3", "r"), ("a3", "rw"), 0, 64 * K, 512 * K), {}),
    ("clone same file, overlapping", r_clone, (("a", "r"), ("a", "rw"), 0, 128 * K, 64 * K), {}),
    ("clone same file, same range", r_clone, (("a", "r"), ("a", "rw"), 0, 64 * K, 0), {}),
    ("clone same fd (FICLONE)", r_clone, (("a", "rw"), "same", 0, 0, 0), {"whole": True}),
    ("clone unaligned src offset", r_clone, (("a", "r"), ("c3", "rw"), 1000, 64 * K, 0), {"new": True}),
    ("clone unaligned dst offset", r_clone, (("a", "r"), ("c4", "rw"), 0, 64 * K, 1000), {"new": True}),
    ("clone unaligned length mid-file", r_clone, (("a", "r"), ("c5", "rw"), 0, 1000, 0), {"new": True}),
    ("clone unaligned length to EOF", r_clone, (("small", "r"), ("c6", "rw"), 0, 5000, 0), {"new": True}),
    ("clone length 0 = to EOF", r_clone, (("a", "r"), ("c7", "rw"), 512 * K, 0, 0), {"new": True}),
    ("clone src offset past EOF", r_clone, (("a", "r"), ("c8", "rw"), 2 * M, 64 * K, 0), {"new": True}),
    ("clone src range past EOF", r_clone, (("a", "r"), ("c9", "rw"), 512 * K, M, 0), {"new": True}),
    ("clone to dst offset past EOF", r_clone, (("a", "r"), ("c10", "rw"), 0, 64 * K, 3 * M), {"new": True}),
    ("clone huge length 2^63", r_clone, (("a", "r"), ("c11", "rw"), 0, 1 << 63, 0), {"new": True}),
    ("clone length 2^64-4096", r_clone, (("a", "r"), ("c12", "rw"), 0, 2**64 - 4096, 0), {"new": True}),
    ("clone huge dst offset", r_clone, (("a", "r"), ("c13", "rw"), 0, 64 * K, 2**63 - 64 * K), {"new": True}),
    ("clone from empty file", r_clone, (("e", "r"), ("c14", "rw"), 0, 0, 0), {"new": True}),
    ("clone to the other fs type", r_clone, (("a", "r"), ("peer:x-from-other-type", "rw"), 0, 64 * K, 0), {"new": True}),
    ("clone to same type, other fs", r_clone, (("a", "r"), ("other:x", "rw"), 0, 64 * K, 0), {"new": True}),
    ("clone to tmpfs", r_clone, (("a", "r"), ("tmp:x", "rw"), 0, 64 * K, 0), {"new": True}),
    ("clone from tmpfs", r_clone, (("tmp:t-FS", "r"), ("c15", "rw"), 0, 64 * K, 0), {"new": True}),
    ("clone from read-only mount", r_clone, (("ro:a", "r"), ("c16", "rw"), 0, 64 * K, 0), {"new": True}),
    ("clone to read-only mount (rw)", r_clone, (("a", "r"), ("ro:c17", "rw"), 0, 64 * K, 0), {"new": True}),
    ("clone to fd opened read-only", r_clone, (("a", "r"), ("b", "r"), 0, 64 * K, 0), {}),
    ("clone from fd opened write-only", r_clone, (("a", "w"), ("b", "rw"), 0, 64 * K, 0), {}),
    ("clone to O_APPEND fd", r_clone, (("a", "r"), ("b", "a"), 0, 64 * K, 0), {}),
    ("clone to immutable file", r_clone, (("a", "r"), ("imm", "rw"), 0, 64 * K, 0), {}),
    ("clone to immutable file (fd ro)", r_clone, (("a", "r"), ("imm", "r"), 0, 64 * K, 0), {}),
    ("clone to append-only file", r_clone, (("a", "r"), ("app", "a"), 0, 64 * K, 0), {}),
    ("clone from immutable file", r_clone, (("imm", "r"), ("c18", "rw"), 0, 64 * K, 0), {"new": True}),
    ("clone from active swapfile", r_clone, (("swap", "r"), ("c19", "rw"), 0, 64 * K, 0), {"new": True}),
    ("clone from swapfile to nocow", r_clone, (("swap", "r"), ("c21", "rw"), 0, 64 * K, 0), {"new": True, "nocow": True}),
    ("clone to active swapfile", r_clone, (("a", "r"), ("swap", "rw"), 0, 64 * K, 0), {}),
    ("clone nocow to active swapfile", r_clone, (("nocow", "r"), ("swap", "rw"), 0, 64 * K, 0), {}),
    ("clone from directory", r_clone, (("dir", "r"), ("c20", "rw"), 0, 64 * K, 0), {"new": True}),
    ("clone to directory", r_clone, (("a", "r"), ("dir", "r"), 0, 64 * K, 0), {}),
    ("clone datasum to nodatasum", r_clone, (("a", "r"), ("nocow", "rw"), 0, 64 * K, 0), {}),
    ("clone nodatasum to datasum", r_clone, (("nocow", "r"), ("b", "rw"), 0, 64 * K, 0), {}),
    ("dedupe identical data", r_dedupe, (("a", "r"), [("a2", 0)], 0, M), {}),
    ("dedupe differing data", r_dedupe, (("a", "r"), [("b", 0)], 0, M), {}),
    ("dedupe two dests, one differs", r_dedupe, (("a", "r"), [("a2", 0), ("b", 0)], 0, 256 * K), {}),
    ("dedupe same file, other range", r_dedupe, (("a", "r"), [("a", 512 * K)], 0, 64 * K), {}),
    ("dedupe same file, overlapping", r_dedupe, (("a", "r"), [("a", 4 * K)], 0, 64 * K), {}),
    ("dedupe unaligned offset", r_dedupe, (("a", "r"), [("a2", 1000)], 1000, 64 * K), {}),
    ("dedupe unaligned length", r_dedupe, (("a", "r"), [("a2", 0)], 0, 1000), {}),
    ("dedupe past EOF", r_dedupe, (("a", "r"), [("a2", 0)], 2 * M, 64 * K), {}),
    ("dedupe range over EOF", r_dedupe, (("a", "r"), [("a2", 0)], 512 * K, M), {}),
    ("dedupe huge length 2^40", r_dedupe, (("a", "r"), [("a2", 0)], 0, 1 << 40), {}),
    ("dedupe length 0", r_dedupe, (("a", "r"), [("a2", 0)], 0, 0), {}),
    ("dedupe dest_count 0", r_dedupe, (("a", "r"), [], 0, 64 * K), {}),
    ("dedupe reserved field set", r_dedupe, (("a", "r"), [("a2", 0)], 0, 64 * K), {"reserved": 1}),
    ("dedupe dest_count 65535, 1 given", r_dedupe, (("a", "r"), [("a2", 0)], 0, 64 * K), {"count": 65535}),
    ("dedupe to read-only mount", r_dedupe, (("a", "r"), [("ro:a2", 0)], 0, 64 * K), {}),
    ("dedupe to immutable file", r_dedupe, (("a", "r"), [("imm", 0)], 0, 64 * K), {}),
    ("dedupe to active swapfile", r_dedupe, (("a", "r"), [("swap", 0)], 0, 64 * K), {}),
    ("dedupe from active swapfile", r_dedupe, (("swap", "r"), [("a2", 0)], 0, 64 * K), {}),
    ("dedupe nocow to active swapfile", r_dedupe, (("nocow", "r"), [("swap", 0)], 0, 64 * K), {}),
    ("dedupe to directory", r_dedupe, (("a", "r"), [("dir", 0)], 0, 64 * K), {}),
    ("dedupe to the other fs type", r_dedupe, (("a", "r"), [("peer:peer-src-PEER", 0)], 0, 64 * K), {}),
    ("dedupe to same type, other fs", r_dedupe, (("a", "r"), [("other:o", 0)], 0, 64 * K), {}),
    ("dedupe to nodatasum file", r_dedupe, (("a", "r"), [("nocow", 0)], 0, 64 * K), {}),
]


def subst(x, fs, peer):
    if isinstance(x, tuple):
        return tuple(subst(y, fs, peer) for y in x)
    if isinstance(x, list):
        return [subst(y, fs, peer) for y in x]
    if isinstance(x, str):
        return x.replace("FS", fs.fstype).replace("PEER", peer)
    return x


def cmd_remap(a):
    fss = [Fs("btrfs", a.btrfs, a.btrfs_other, a.btrfsx, a.tmp),
           Fs("btrfsx", a.btrfsx, a.btrfsx_other, a.btrfs, a.tmp)]
    rows = []
    try:
        for fs in fss:
            fs.setup()
        rows.append(("swapon on the fs", *[("ok" if fs.swap else fs.swap_err) for fs in fss]))
        for name, fn, args, kw in REMAP_CASES:
            res = []
            for fs in fss:
                peer = "btrfsx" if fs.fstype == "btrfs" else "btrfs"
                res.append(fn(fs, *subst(args, fs, peer), **kw))
            rows.append((name, *res))
        os.sync()
        # Every file's content at the end (what the cases left).
        for n in sorted(os.listdir(a.btrfs)):
            p = [os.path.join(fs.root, n) for fs in fss]
            if n == "swap" or not all(os.path.isfile(x) for x in p):
                continue
            rows.append((f"content of {n}", *[sha(x) for x in p]))
    finally:
        for fs in fss:
            fs.cleanup()
    bad = table(rows, "clone/dedupe: errno or result (sha256 prefix of the destination)")
    print(f"# {len(rows)} cases, {len(bad)} differ")
    return 1 if bad else 0


# ---------------------------------------------------------------- mount options
MOUNT_OPTS = ["nonsense", "compress=bogus", "compress=zstd:99", "compress-force=lzo:3",
              "commit=abc", "commit=-1", "commit=0", "thread_pool=0", "thread_pool=-5",
              "space_cache=v9", "space_cache=v1", "subvol=/does/not/exist",
              "subvolid=12345", "subvolid=abc", "subvol=", "device=/nonexistent",
              "max_inline=abc", "max_inline=99999999999999999999", "fatal_errors=bogus",
              "rescue=bogus", "rescue=usebackuproot", "nologreplay", "norecovery",
              "discard=bogus", "ssd,nossd", "check_int", "alloc_start=1", "inode_cache",
              "metadata_ratio=-1", "datacow,nodatacow", "clear_cache,nospace_cache",
              "skip_balance,ro", "rescue=all", "rescue=ignorebadroots", "user_subvol_rm_allowed",
              "usebackuproot", "degraded", "ref_verify", "x" * 1000]


def cmd_mountopts(a):
    rows = []
    for opt in MOUNT_OPTS:
        res = []
        for fstype, dev in (("btrfs", a.btrfs), ("btrfsx", a.btrfsx)):
            e = cmount(dev, a.mnt, fstype, 0, opt)
            if e == 0:
                ro = "ro" if "ro" in open("/proc/mounts").read().split(a.mnt + " ")[1].split()[1].split(",") else "rw"
                res.append(f"ok ({ro})")
                cumount(a.mnt)
            else:
                res.append(ename(e))
        rows.append((("-o " + opt)[:40], *res))
    bad = table(rows, "mount options: mount(2) result")
    print(f"# {len(rows)} options, {len(bad)} differ")
    return 1 if bad else 0


# ---------------------------------------------------------------- sysfs
GARBAGE = [b"garbage\n", b"-1\n", b"18446744073709551616\n", b"\xff\xfe\x00\x01",
           b"0x\n", b" \n", b"A" * 4095]


def sysfs_files(top, uuid):
    """Writable regular files under /sys/fs/TYPE: global ones and those of
    the fs UUID (the uuid replaced by UUID in the relative name)."""
    out = {}
    for root, dirs, names in os.walk(top):
        rel = os.path.relpath(root, top)
        first = rel.split("/")[0]
        if len(first) == 36 and first.count("-") == 4 and first != uuid:
            continue  # another mounted fs
        for n in names:
            p = os.path.join(root, n)
            if os.path.islink(p) or not os.stat(p).st_mode & 0o222:
                continue
            out[os.path.join(rel, n).replace(uuid, "UUID").lstrip("./")] = p
    return out


def write_garbage(path):
    res = []
    try:
        old = open(path, "rb").read()
    except OSError as e:
        old = None
    for g in GARBAGE:
        try:
            fd = os.open(path, os.O_WRONLY)
        except OSError as e:
            res.append("open " + ename(e.errno))
            continue
        try:
            n = os.write(fd, g)
            res.append("ok" if n == len(g) else f"short {n}")
        except OSError as e:
            res.append(ename(e.errno))
        finally:
            os.close(fd)
    changed = ""
    try:
        new = open(path, "rb").read()
        if old is not None and new != old:
            changed = " (value changed"
            try:
                fd = os.open(path, os.O_WRONLY)
                os.write(fd, old.rstrip(b"\n") or b"\n")
                os.close(fd)
                changed += ", restored)" if open(path, "rb").read() == old else ", not restored)"
            except OSError as e:
                changed += f", restore {ename(e.errno)})"
    except OSError:
        pass
    # Compact: collapse identical results.
    if len(set(res)) == 1:
        return f"all {res[0]}{changed}"
    return ",".join(res) + changed


def cmd_sysfs(a):
    files = {t: sysfs_files(f"/sys/fs/{t}", u) for t, u in (("btrfs", a.btrfs), ("btrfsx", a.btrfsx))}
    rows = []
    extra = []
    for rel in sorted(set(files["btrfs"]) | set(files["btrfsx"])):
        res = []
        for t in ("btrfs", "btrfsx"):
            p = files[t].get(rel)
            res.append(write_garbage(p) if p else "(absent)")
        if rel not in files["btrfs"]:
            extra.append(rel)
            # btrfsx's own file: must refuse garbage or keep its value.
            if "ok" in res[1] and "changed" in res[1]:
                res[0] = "(btrfsx only: must refuse)"
            else:
                res[0] = res[1]
        rows.append((rel, *res))
    bad = table(rows, "garbage written to every writable sysfs file (7 values each)")
    print(f"# {len(rows)} writable files, {len(bad)} differ, btrfsx-only: {extra or 'none'}")
    return 1 if bad else 0


# ---------------------------------------------------------------- unprivileged
def as_user(user, fn):
    """Run fn() in a child with the uid/gid of user; returns its string."""
    pw = pwd.getpwnam(user)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
            out = fn()
        except Exception as e:  # noqa
            out = f"exception {e!r}"
        os.write(w, out.encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        c = os.read(r, 4096)
        if not c:
            break
        data += c
    os.close(r)
    os.waitpid(pid, 0)
    return data.decode()


def u_clone(src, dst, new=False, whole=True, off=0, length=0, mode=os.O_RDWR):
    def f():
        try:
            s = os.open(src, os.O_RDONLY)
        except OSError as e:
            return f"open src: {ename(e.errno)}"
        try:
            d = os.open(dst, mode | (os.O_CREAT if new else 0), 0o644)
        except OSError as e:
            os.close(s)
            return f"open dst: {ename(e.errno)}"
        try:
            if whole:
                fcntl.ioctl(d, FICLONE, s)
            else:
                fcntl.ioctl(d, FICLONERANGE, struct.pack("qQQQ", s, off, length, 0))
            return "ok " + sha(dst)
        except OSError as e:
            return ename(e.errno)
        finally:
            os.close(s)
            os.close(d)
    return f


def u_dedupe(src, dst, length, dmode=os.O_RDONLY):
    def f():
        try:
            s = os.open(src, os.O_RDONLY)
            d = os.open(dst, dmode)
        except OSError as e:
            return f"open: {ename(e.errno)}"
        buf = bytearray(struct.pack("QQHHI", 0, length, 1, 0, 0) + struct.pack("qQQiI", d, 0, 0, 0, 0))
        try:
            fcntl.ioctl(s, FIDEDUPERANGE, buf)
            _, _, deduped, status, _ = struct.unpack_from("qQQiI", buf, 24)
            return "same %d" % deduped if status == 0 else "differs" if status == 1 else ename(-status)
        except OSError as e:
            return ename(e.errno)
        finally:
            os.close(s)
            os.close(d)
    return f


def u_ioctl(path, req, arg, oflags=os.O_RDONLY):
    def f():
        try:
            fd = os.open(path, oflags)
        except OSError as e:
            return f"open: {ename(e.errno)}"
        try:
            fcntl.ioctl(fd, req, arg)
            return "ok"
        except OSError as e:
            return ename(e.errno)
        finally:
            os.close(fd)
    return f


def u_cmd(*argv):
    def f():
        p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        return "ok" if p.returncode == 0 else f"exit {p.returncode}"
    return f


def cmd_unpriv(a):
    """Root made, in each fs: dir 'pub' (1777) holding root's 'ra' (0644),
    'ra2' (= ra), 'rw0' (0666), a user-owned 'ua' and 'ua2' (= ra)."""
    rows = []
    user = a.user
    pw = pwd.getpwnam(user)
    rng = random.Random(150)
    data = rng.randbytes(256 << 10)
    for top in (a.btrfs, a.btrfsx):
        pub = os.path.join(top, "pub")
        os.makedirs(pub, exist_ok=True)
        os.chmod(pub, 0o1777)
        for n, mode, owner in (("ra", 0o644, 0), ("ra2", 0o644, 0), ("rw0", 0o666, 0),
                               ("rsecret", 0o600, 0), ("ua", 0o644, pw.pw_uid),
                               ("ua2", 0o644, pw.pw_uid)):
            p = os.path.join(pub, n)
            with open(p, "wb") as f:
                f.write(data)
            os.chmod(p, mode)
            os.chown(p, owner, pw.pw_gid if owner else 0)
        os.chown(os.path.join(top, "pub"), 0, 0)
    os.sync()
    BTRFS_IOC_SYNC = 0x9408
    BTRFS_IOC_TREE_SEARCH = 0xD0009411
    BTRFS_IOC_SCAN_DEV = 0x50009404
    BTRFS_IOC_BALANCE_PROGRESS = 0x84009422
    BTRFS_IOC_SUBVOL_CREATE = 0x5000940E
    BTRFS_IOC_FS_INFO = 0x8400941F
    BTRFS_IOC_DEFRAG = 0x50009402
    cases = [
        ("clone root's 0644 file into own new file", lambda p: u_clone(p + "/ra", p + "/new1", new=True)),
        ("clone range root's file -> own new file", lambda p: u_clone(p + "/ra", p + "/new2", new=True, whole=False, length=64 << 10)),
        ("clone into root's 0644 file", lambda p: u_clone(p + "/ua", p + "/ra2")),
        ("clone into root's 0666 file", lambda p: u_clone(p + "/ua", p + "/rw0")),
        ("clone from root's 0600 file", lambda p: u_clone(p + "/rsecret", p + "/new3", new=True)),
        ("dedupe into root's file (fd ro)", lambda p: u_dedupe(p + "/ua", p + "/ra2", 256 << 10)),
        ("dedupe into own file (fd ro)", lambda p: u_dedupe(p + "/ra", p + "/ua2", 256 << 10)),
        ("dedupe into root's 0666 file (fd rw)", lambda p: u_dedupe(p + "/ua", p + "/rw0", 256 << 10, os.O_RDWR)),
        ("dedupe into root's 0666 file (fd ro)", lambda p: u_dedupe(p + "/ua", p + "/rw0", 256 << 10)),
        ("BTRFS_IOC_SYNC", lambda p: u_ioctl(p, BTRFS_IOC_SYNC, 0)),
        ("BTRFS_IOC_TREE_SEARCH", lambda p: u_ioctl(p, BTRFS_IOC_TREE_SEARCH, bytearray(4096))),
        ("BTRFS_IOC_FS_INFO", lambda p: u_ioctl(p, BTRFS_IOC_FS_INFO, bytearray(1024))),
        ("BTRFS_IOC_BALANCE_PROGRESS", lambda p: u_ioctl(p, BTRFS_IOC_BALANCE_PROGRESS, bytearray(1024))),
        ("BTRFS_IOC_DEFRAG on root's file", lambda p: u_ioctl(p + "/ra", BTRFS_IOC_DEFRAG, 0)),
        ("BTRFS_IOC_SUBVOL_CREATE in 1777 dir", lambda p: u_ioctl(p, BTRFS_IOC_SUBVOL_CREATE,
                                                                    bytearray(struct.pack("q", 0) + b"usersv".ljust(4088, b"\0")))),
        ("btrfs subvolume snapshot of the fs", lambda p: u_cmd("btrfs", "subvolume", "snapshot",
                                                                os.path.dirname(p), p + "/usnap")),
        ("btrfs filesystem defragment", lambda p: u_cmd("btrfs", "filesystem", "defragment", p + "/ua")),
        ("btrfs balance start", lambda p: u_cmd("btrfs", "balance", "start", "-dusage=0", os.path.dirname(p))),
        ("btrfs scrub start", lambda p: u_cmd("btrfs", "scrub", "start", "-B", os.path.dirname(p))),
    ]
    ctl = {"btrfs": "/dev/btrfs-control", "btrfsx": "/dev/btrfsx-control"}
    for name, mk in cases:
        rows.append((name, *[as_user(user, mk(os.path.join(top, "pub"))) for top in (a.btrfs, a.btrfsx)]))
    rows.append(("SCAN_DEV on the control device",
                 *[as_user(user, u_ioctl(ctl[t], BTRFS_IOC_SCAN_DEV, bytearray(4096), os.O_RDWR))
                   for t in ("btrfs", "btrfsx")]))
    for n in ("ra2", "rw0", "ua2", "new1", "new2", "new3"):
        rows.append((f"content of {n}", *[sha(os.path.join(t, "pub", n)) if os.path.exists(os.path.join(t, "pub", n))
                                          else "(none)" for t in (a.btrfs, a.btrfsx)]))
    bad = table(rows, f"unprivileged ({user}) clone/dedupe/ioctls")
    print(f"# {len(rows)} cases, {len(bad)} differ")
    return 1 if bad else 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("remap")
    for o in ("--btrfs", "--btrfsx", "--btrfs-other", "--btrfsx-other", "--tmp"):
        r.add_argument(o, required=True)
    m = sub.add_parser("mountopts")
    for o in ("--btrfs", "--btrfsx", "--mnt"):
        m.add_argument(o, required=True)
    s = sub.add_parser("sysfs")
    for o in ("--btrfs", "--btrfsx"):
        s.add_argument(o, required=True)
    u = sub.add_parser("unpriv")
    for o in ("--btrfs", "--btrfsx", "--user"):
        u.add_argument(o, required=True)
    a = p.parse_args()
    sys.exit({"remap": cmd_remap, "mountopts": cmd_mountopts, "sysfs": cmd_sysfs,
              "unpriv": cmd_unpriv}[a.cmd](a))


if __name__ == "__main__":
    main()
