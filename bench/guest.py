#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make bench` (runs inside scripts/dev/vm, started by bench/run).
#
# For every workload, ROUNDS rounds; each round runs the workload three
# times, each time on a freshly made filesystem on the same scratch disk:
#     odd rounds:  btrfsx, btrfs, btrfs-aa     even rounds: btrfs-aa, btrfs, btrfsx
# btrfs-aa is stock btrfs again: btrfs-aa/btrfs is the A/A control, whose
# spread is the noise band for btrfsx/btrfs. Stock btrfs sits in the middle
# so that drift over a round hits both ratios alike.
#
# Writes $VM_OUT/raw.jsonl (one JSON object per measurement), $VM_OUT/guest.json
# (environment) and $VM_OUT/stats/ (btrfsx range-lock statistics per run).
# Progress lines go to stdout.
#
# Each run is a child process under a watchdog (--run-timeout): a hang is
# recorded with the kernel stacks of its tasks (hang-*.txt) instead of
# stalling the whole benchmark. Everything timed is done by syscalls from
# Python (ioctls through fcntl, mount(2) through ctypes): under TCG,
# starting a process costs ~1 s. fio is the exception; it reports its own
# numbers, its start-up is not measured.

import argparse
import ctypes
import errno
import fcntl
import json
import mmap
import os
import platform
import select
import signal
import struct
import subprocess
import sys
import time

MNT = "/mnt/bench"
SYSFS = "/sys/fs/btrfsx"

# Sizes per mode. Times are for TCG on a busy 2-core host.
SIZES = {
    "quick": dict(
        rw_buf="8m", rw_direct="4m", seq="32m", rr_file=32, rr_secs=2,
        frag_blocks=2048, clones=2,            # 2048 extents
        bal_frag_blocks=1024, bal_data=24, load_blocks=256,
        meta_files=150, meta_snaps=3, rewrite_blocks=256),
    "full": dict(
        rw_buf="64m", rw_direct="32m", seq="256m", rr_file=128, rr_secs=10,
        frag_blocks=32768, clones=2,           # 32768 extents
        bal_frag_blocks=8192, bal_data=128, load_blocks=512,
        meta_files=1000, meta_snaps=5, rewrite_blocks=1024),
}

# ioctl numbers (x86-64)
FICLONE = 0x40049409
FIDEDUPERANGE = 0xC0189436
FS_IOC_FIEMAP = 0xC020660B
BTRFS_IOC_SUBVOL_CREATE = 0x5000940E
BTRFS_IOC_SNAP_CREATE_V2 = 0x50009417
BTRFS_IOC_BALANCE_V2 = 0xC4009420
BTRFS_IOC_BALANCE_CTL = 0x40049421
MAX_DEDUPE = 16 << 20
HIST_BUCKETS = 32  # BTRFSX_RANGE_HIST_BUCKETS

libc = ctypes.CDLL("libc.so.6", use_errno=True)
T0 = time.monotonic()


def log(msg):
    e = int(time.monotonic() - T0)
    print(f"[bench {e // 3600}:{e // 60 % 60:02d}:{e % 60:02d}] {msg}", flush=True)


def sh(*argv, check=True):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if check and r.returncode:
        raise RuntimeError(f"{' '.join(argv)}: exit {r.returncode}: {r.stdout.strip()[-300:]}")
    return r.stdout


def mount(dev, fstype):
    os.makedirs(MNT, exist_ok=True)
    if libc.mount(dev.encode(), MNT.encode(), fstype.encode(), 0, None):
        e = ctypes.get_errno()
        raise OSError(e, f"mount -t {fstype} {dev}: {os.strerror(e)}")


def umount():
    if libc.umount2(MNT.encode(), 0):
        e = ctypes.get_errno()
        raise OSError(e, f"umount {MNT}: {os.strerror(e)}")


def is_mounted():
    with open("/proc/mounts") as f:
        return any(line.split()[1] == MNT for line in f)


def fresh_fs(dev, fstype):
    if is_mounted():
        umount()
    sh("mkfs.btrfs", "-f", "-q", dev)
    mount(dev, fstype)


def remount(dev, fstype):
    """Cold caches for this filesystem only (drop_caches would also drop the
    9p root's cache and make the next process start very slowly)."""
    umount()
    mount(dev, fstype)


def p(name):
    return os.path.join(MNT, name)


# --- helpers -----------------------------------------------------------------

def extents(path):
    """Number of extents (FIEMAP with extent_count 0)."""
    buf = bytearray(struct.pack("QQIIII", 0, 0xFFFFFFFFFFFFFFFF, 0, 0, 0, 0))
    with open(path, "rb") as f:
        fcntl.ioctl(f.fileno(), FS_IOC_FIEMAP, buf)
    return struct.unpack("QQIIII", buf)[3]


def write_file(path, mib, seed=0):
    """MIB MiB of incompressible-looking data, 1 MiB writes, fsync."""
    block = bytearray(os.urandom(1 << 20))
    with open(path, "wb") as f:
        for i in range(mib):
            block[0:8] = struct.pack("Q", (seed << 32) + i)
            f.write(block)
        f.flush()
        os.fsync(f.fileno())


def copy_file(src, dst):
    """A real copy (cp may reflink through copy_file_range)."""
    with open(src, "rb") as s, open(dst, "wb") as d:
        while True:
            b = s.read(1 << 20)
            if not b:
                break
            d.write(b)
        d.flush()
        os.fsync(d.fileno())


def frag_file(path, blocks):
    """A file of BLOCKS 4 KiB blocks, then every other block overwritten by
    4 KiB pwrites with an fsync every 1024: 2 x BLOCKS/2 extents. One xfs_io
    process reading its commands from stdin."""
    cmds = [f"pwrite -q -b 1m 0 {blocks * 4096}", "fsync"]
    for n, i in enumerate(range(0, blocks, 2)):
        cmds.append(f"pwrite -q -S {i % 251} {i * 4096} 4096")
        if n % 1024 == 1023:
            cmds.append("fsync")
    cmds.append("fsync")
    r = subprocess.run(["xfs_io", "-f", path], input="\n".join(cmds) + "\n",
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode or r.stdout.strip():
        raise RuntimeError(f"xfs_io building {path}: {r.stdout.strip()[-300:]}")
    return extents(path)


def clone(src, dst):
    with open(src, "rb") as s, open(dst, "wb") as d:
        fcntl.ioctl(d.fileno(), FICLONE, s.fileno())


def dedupe(src, dst):
    """Dedupe all of DST against SRC (same content), 16 MiB per call.
    Returns bytes deduped."""
    size = os.path.getsize(src)
    done = 0
    with open(src, "rb") as s, open(dst, "r+b") as d:
        off = 0
        while off < size:
            n = min(MAX_DEDUPE, size - off)
            buf = bytearray(struct.pack("QQHHI", off, n, 1, 0, 0) +
                            struct.pack("qQQiI", d.fileno(), off, 0, 0, 0))
            fcntl.ioctl(s.fileno(), FIDEDUPERANGE, buf)
            _, _, deduped, status, _ = struct.unpack("qQQiI", buf[24:])
            if status != 0:
                raise RuntimeError(f"dedupe at {off}: status {status}")
            done += deduped
            off += n
    return done


def subvol_create(parent, name):
    fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.ioctl(fd, BTRFS_IOC_SUBVOL_CREATE,
                    bytearray(struct.pack("q4088s", 0, name.encode())))
    finally:
        os.close(fd)


def snapshot(src, parent, name):
    sfd = os.open(src, os.O_RDONLY | os.O_DIRECTORY)
    pfd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.ioctl(pfd, BTRFS_IOC_SNAP_CREATE_V2,
                    bytearray(struct.pack("qQQ32s4040s", sfd, 0, 0, b"", name.encode())))
    finally:
        os.close(sfd)
        os.close(pfd)


def balance(path):
    """Full balance (data, metadata, system; no filters) as the
    BTRFS_IOC_BALANCE_V2 ioctl. Returns the number of chunks relocated."""
    args = bytearray(1024)
    struct.pack_into("Q", args, 0, 1 | 2 | 4)  # DATA | SYSTEM | METADATA
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.ioctl(fd, BTRFS_IOC_BALANCE_V2, args)
    finally:
        os.close(fd)
    return struct.unpack_from("QQQ", args, 16 + 3 * 136)[2]


def used_bytes():
    st = os.statvfs(MNT)
    return (st.f_blocks - st.f_bfree) * st.f_frsize


def fio(*opts):
    out = "/tmp/fio.json"
    sh("fio", "--output-format=json", f"--output={out}", "--name=bench",
       f"--filename={p('fio.dat')}", "--fallocate=none", "--ioengine=psync",
       *opts)
    with open(out) as f:
        return json.load(f)["jobs"][0]


# --- workloads ---------------------------------------------------------------
# Each: (name, description, function(dev, fstype, S) -> [(metric, value, unit, extra)])
# Every value is a throughput: higher is better.

def fio_write(*opts, mib=False):
    """A fio write job, then sync(2) timed here: whatever fio's end_fsync
    left unwritten counts too. IOPS (or MiB/s) over runtime + sync."""
    j = fio(*opts)["write"]
    t = time.perf_counter()
    os.sync()
    t = time.perf_counter() - t
    secs = j["runtime"] / 1000 + t
    ex = {"fio_runtime_ms": j["runtime"], "sync_s": round(t, 3), "fio_value":
          j["bw_bytes"] / 2**20 if mib else j["iops"]}
    if mib:
        return [("write", j["io_bytes"] / 2**20 / secs, "MiB/s", ex)]
    return [("write", j["total_ios"] / secs, "IOPS", ex)]


def w_randwrite_buf(dev, fstype, S):
    return fio_write("--rw=randwrite", "--bs=4k", f"--size={S['rw_buf']}", "--end_fsync=1")


def w_randwrite_direct(dev, fstype, S):
    return fio_write("--rw=randwrite", "--bs=4k", f"--size={S['rw_direct']}", "--direct=1",
                     "--ioengine=libaio", "--iodepth=16")


def w_seqwrite(dev, fstype, S):
    return fio_write("--rw=write", "--bs=1m", f"--size={S['seq']}", "--end_fsync=1", mib=True)


def w_randread(dev, fstype, S):
    write_file(p("fio.dat"), S["rr_file"])
    remount(dev, fstype)
    j = fio("--rw=randread", "--bs=4k", f"--size={S['rr_file']}m", "--time_based",
            f"--runtime={S['rr_secs']}")
    return [("read", j["read"]["iops"], "IOPS", {"runtime_ms": j["read"]["runtime"]})]


def w_reflink(dev, fstype, S):
    n = frag_file(p("frag"), S["frag_blocks"])
    os.sync()
    k = S["clones"]
    t = time.perf_counter()
    for i in range(k):
        clone(p("frag"), p(f"clone{i}"))
    os.sync()
    t = time.perf_counter() - t
    return [("clone", k * n / t, "extents/s", {"seconds": t, "extents": n, "copies": k})]


def w_dedupe(dev, fstype, S):
    n = frag_file(p("frag"), S["frag_blocks"])
    copy_file(p("frag"), p("dup"))
    os.sync()
    t = time.perf_counter()
    b = dedupe(p("frag"), p("dup"))
    os.sync()
    t = time.perf_counter() - t
    size = os.path.getsize(p("frag"))
    if b != size:
        raise RuntimeError(f"deduped {b} of {size} bytes")
    return [("dedupe", n / t, "extents/s", {"seconds": t, "extents": n, "bytes": b})]


def populate(S):
    """A filesystem worth balancing: a fragmented file and two reflinks of
    it, plain data, a snapshot of it all with a few files changed after."""
    frag_file(p("frag"), S["bal_frag_blocks"])
    clone(p("frag"), p("frag.r1"))
    clone(p("frag"), p("frag.r2"))
    write_file(p("data"), S["bal_data"])
    os.makedirs(p("small"))
    for i in range(200):
        with open(p(f"small/f{i}"), "wb") as f:
            f.write(os.urandom(1000 + 37 * i))
    snapshot(MNT, MNT, "snap")
    write_file(p("data2"), max(1, S["bal_data"] // 8), seed=1)
    os.sync()


def w_balance(dev, fstype, S):
    populate(S)
    used = used_bytes()
    t = time.perf_counter()
    chunks = balance(MNT)
    t = time.perf_counter() - t
    return [("balance", used / 2**20 / t, "MiB/s",
             {"seconds": t, "used_mib": used / 2**20, "chunks": chunks})]


def op_loop(kind, src, dst, stop, wfd):
    """Child process: clone or dedupe SRC onto DST until STOP exists; write
    'ok failed' to WFD."""
    ok = failed = 0
    i = 0
    try:
        while not os.path.exists(stop):
            try:
                if kind == "clone":
                    clone(src, f"{dst}.{i % 4}")
                else:
                    dedupe(src, dst)
                ok += 1
            except OSError:
                failed += 1
            i += 1
    finally:
        os.write(wfd, f"{ok} {failed}\n".encode())
        os._exit(0)


def w_balance_load(dev, fstype, S):
    populate(S)
    frag_file(p("hot"), S["load_blocks"])
    copy_file(p("hot"), p("hot.dup"))
    os.sync()
    used = used_bytes()
    stop = "/tmp/bench.stop"
    if os.path.exists(stop):
        os.unlink(stop)
    kids = []
    for kind, dst in (("clone", p("hot.clone")), ("dedupe", p("hot.dup"))):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            op_loop(kind, p("hot"), dst, stop, w)
        os.close(w)
        kids.append((kind, pid, r))
    t = time.perf_counter()
    try:
        chunks = balance(MNT)
    finally:
        t = time.perf_counter() - t
        open(stop, "w").close()
        counts = {}
        for kind, pid, r in kids:
            with os.fdopen(r) as f:
                ok, failed = (int(x) for x in (f.read().split() or [0, 0]))
            os.waitpid(pid, 0)
            counts[kind] = (ok, failed)
        os.unlink(stop)
    ex = {"seconds": t, "used_mib": used / 2**20, "chunks": chunks,
          "clones": counts["clone"][0], "clone_failed": counts["clone"][1],
          "dedupes": counts["dedupe"][0], "dedupe_failed": counts["dedupe"][1]}
    return [("balance", used / 2**20 / t, "MiB/s", ex),
            ("clone-ops", counts["clone"][0] / t, "ops/s", ex),
            ("dedupe-ops", counts["dedupe"][0] / t, "ops/s", ex)]


def snap_loop(src, req, ack, res):
    """Child process: for each byte read from REQ, write one to ACK and clone
    SRC whole into a new file; at REQ's end write the count, and the error
    that stopped it if any, to RES."""
    n, err = 0, ""
    try:
        while os.read(req, 1):
            os.write(ack, b"s")
            clone(src, p(f"snap{n}"))
            n += 1
    except OSError as e:
        err = f"snapshot {n}: {e}"
    finally:
        os.write(res, f"{n} {err}".encode())
        os._exit(0)


def w_snapshot_rewrite(dev, fstype, S):
    """generic/166 without its process starts: one process rewrites a file
    from its last 64 KiB block to its first with O_DIRECT; after each write
    it asks another process for a snapshot (FICLONE of the whole file into a
    new file) and writes the next block as soon as that one starts, so each
    write but the first races a clone. Done when the last clone is."""
    blocks, bs = S["rewrite_blocks"], 65536
    write_file(p("file"), blocks * bs >> 20)
    os.sync()
    buf = mmap.mmap(-1, bs)  # page aligned, as O_DIRECT wants
    buf.write(b"c" * bs)
    fd = os.open(p("file"), os.O_WRONLY | os.O_DIRECT)
    req_r, req_w = os.pipe()
    ack_r, ack_w = os.pipe()
    res_r, res_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        for f in (fd, req_w, ack_r, res_r):
            os.close(f)
        snap_loop(p("file"), req_r, ack_w, res_w)
    for f in (req_r, ack_w, res_w):
        os.close(f)
    t = time.perf_counter()
    try:
        for i in reversed(range(blocks)):
            if os.pwrite(fd, buf, i * bs) != bs:
                raise RuntimeError(f"short O_DIRECT write at block {i}")
            os.write(req_w, b"x")
            if not os.read(ack_r, 1):
                break  # the child stopped: its error is in res_r
    finally:
        os.close(fd)
        os.close(req_w)
        with os.fdopen(res_r) as f:
            snaps, _, err = f.read().partition(" ")
        t = time.perf_counter() - t
        os.waitpid(pid, 0)
        os.close(ack_r)
    if err:
        raise RuntimeError(err)
    snaps = int(snaps)
    if snaps != blocks:
        raise RuntimeError(f"{snaps} snapshots for {blocks} writes")
    return [("rewrite", blocks / t, "blocks/s",
             {"seconds": t, "blocks": blocks, "snapshots": snaps})]


def w_metadata(dev, fstype, S):
    n, snaps = S["meta_files"], S["meta_snaps"]
    every = max(1, n // snaps)
    block = os.urandom(4096)
    t = time.perf_counter()
    subvol_create(MNT, "vol")
    os.makedirs(p("snaps"))
    for d in range(16):
        os.mkdir(p(f"vol/d{d}"))
    k = 0
    for i in range(n):
        fd = os.open(p(f"vol/d{i % 16}/f{i}"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, block[: 512 + (i * 97) % 3584])
        os.fsync(fd)
        os.close(fd)
        if i % 7 == 6:  # some churn: renames and unlinks of earlier files
            os.rename(p(f"vol/d{(i - 6) % 16}/f{i - 6}"), p(f"vol/d{i % 16}/r{i - 6}"))
            os.unlink(p(f"vol/d{(i - 5) % 16}/f{i - 5}"))
        if i % every == every - 1:
            snapshot(p("vol"), p("snaps"), f"s{k}")
            k += 1
    os.sync()
    t = time.perf_counter() - t
    return [("files", n / t, "files/s", {"seconds": t, "files": n, "snapshots": k})]


WORKLOADS = [
    ("randwrite-buf", "fio 4k random write, buffered, end_fsync", w_randwrite_buf),
    ("randwrite-direct", "fio 4k random write, O_DIRECT, libaio qd16", w_randwrite_direct),
    ("seqwrite", "fio 1M sequential write, end_fsync", w_seqwrite),
    ("randread", "fio 4k random read, cold cache", w_randread),
    ("reflink", "FICLONE of a fragmented file, then sync", w_reflink),
    ("dedupe", "FIDEDUPERANGE of a fragmented file onto a copy, then sync", w_dedupe),
    ("balance", "full balance of a populated filesystem", w_balance),
    ("metadata", "small files with fsync, renames, unlinks, snapshots", w_metadata),
    ("snapshot-rewrite", "FICLONE snapshots racing O_DIRECT rewrites", w_snapshot_rewrite),
    # last: the one most likely to take the guest kernel down
    ("balance-load", "full balance while clone and dedupe loops run", w_balance_load),
]


class Hung(Exception):
    pass


def dump_hang(path, pgid):
    """Stacks of the workload's processes and of every blocked task."""
    with open(path, "w") as f:
        for pid in sorted(os.listdir("/proc"), key=lambda x: (len(x), x)):
            if not pid.isdigit():
                continue
            try:
                if os.getpgid(int(pid)) != pgid:
                    continue
                for tid in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{tid}/stat") as st:
                        state = st.read().rsplit(")", 1)[1].split()[0]
                    with open(f"/proc/{pid}/task/{tid}/stack") as st:
                        f.write(f"--- pid {pid} task {tid} state {state}\n{st.read()}")
            except OSError:
                continue
        try:
            n0 = len(sh("dmesg", check=False).splitlines())
            with open("/proc/sysrq-trigger", "w") as t:
                t.write("w")
            time.sleep(1)
            f.write("--- sysrq w (blocked tasks)\n")
            f.write("\n".join(sh("dmesg", check=False).splitlines()[n0:]) + "\n")
        except OSError as e:
            f.write(f"sysrq failed: {e}\n")


def balance_cancel():
    try:
        fd = os.open(MNT, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.ioctl(fd, BTRFS_IOC_BALANCE_CTL, 2)  # BTRFS_BALANCE_CTL_CANCEL
        finally:
            os.close(fd)
    except OSError:
        pass


def supervised(fn, dev, fstype, S, limit, hangfile):
    """Run FN in a child process (its own process group) for at most LIMIT
    seconds. Returns its results; raises its error, or Hung (after saving
    the stacks to HANGFILE and killing the group; the Hung says whether the
    processes went away)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # never returns
        try:
            os.close(r)
            os.setpgid(0, 0)
            try:
                msg = {"ok": fn(dev, fstype, S)}
            except Exception as e:
                msg = {"error": f"{type(e).__name__}: {e}"}
            data = json.dumps(msg).encode()
            while data:
                data = data[os.write(w, data):]
        finally:
            os._exit(0)
    os.close(w)
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass
    buf = b""
    deadline = time.monotonic() + limit
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select([r], [], [], min(left, 5))
        if ready:
            chunk = os.read(r, 65536)
            if not chunk:
                break
            buf += chunk
    if time.monotonic() >= deadline:
        dump_hang(hangfile, pid)
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        balance_cancel()
        gone = False
        for _ in range(60):
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                gone = True
                break
            time.sleep(1)
        os.close(r)
        raise Hung(f"still running after {limit} s (RUN_TIMEOUT); stacks in {os.path.basename(hangfile)}; "
                   f"processes {'killed' if gone else 'unkillable (D state)'}")
    os.close(r)
    os.waitpid(pid, 0)
    msg = json.loads(buf or b'{"error": "workload process died"}')
    if "error" in msg:
        raise RuntimeError(msg["error"])
    return [tuple(x) for x in msg["ok"]]


def wait_percentile(hist, q):
    """The power-of-two bucket holding the Q-quantile (nearest rank) of the
    wait times in HIST ({bucket: count}, bucket b = fls64(wait ns): waits of
    2^(b-1) <= w < 2^b ns, b = 0 a wait of 0 ns; the last bucket also holds
    everything longer). Returns the bucket or None when HIST is empty."""
    n = sum(hist.values())
    if not n:
        return None
    rank = max(1, -(-round(q * 1000) * n // 1000))  # ceil(q * n), no float error
    seen = 0
    for b in sorted(hist):
        seen += hist[b]
        if seen >= rank:
            return b
    return max(hist)


def bucket_bound(b, last=HIST_BUCKETS - 1):
    """What is known of a wait in bucket B: "<= 2^B ns" (rounded), or for
    the last, open bucket ">= 2^(B-1) ns"."""
    if b is None:
        return "-"

    def human(ns):
        for div, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "us")):
            if ns >= div:
                return f"{ns / div:.3g} {unit}"
        return f"{ns:.0f} ns"
    if b == 0:
        return "0"
    if b >= last:
        return ">= " + human(2 ** (b - 1))
    return "<= " + human(2 ** b)


def reloc_counts():
    """/sys/fs/btrfsx/<fsid>/range_locks/relocation of the mounted btrfsx
    filesystem ("passes N fenced N busy_skipped N") as a dict, or None
    (a module older than the file)."""
    base = SYSFS
    for fsid in os.listdir(base) if os.path.isdir(base) else []:
        f = os.path.join(base, fsid, "range_locks", "relocation")
        if os.path.exists(f):
            with open(f) as fh:
                w = fh.read().split()
            return {w[i]: int(w[i + 1]) for i in range(0, len(w) - 1, 2)}
    return None


def lock_stats(fstype):
    """The btrfsx range-lock statistics of the mounted filesystem: text and
    a dict: sums of acquired/contended/trylock_failed; "by", the same and
    the wait histogram per "class caller"; "relocation", the relocation
    counts (None without the sysfs file); and what the bench reports of
    them: the relocation DISK trylock failures and the clone and dedupe
    DISK wait percentiles (buckets, over the contended acquisitions)."""
    if fstype != "btrfsx":
        return None, None
    base = SYSFS
    for fsid in os.listdir(base):
        f = os.path.join(base, fsid, "range_locks", "stats")
        if os.path.exists(f):
            with open(f) as fh:
                text = fh.read()
            s = [0, 0, 0]
            by = {}
            for line in text.splitlines():
                w = line.split()
                if line.startswith("#") or len(w) < 5:
                    continue
                try:
                    c = [int(x) for x in w[2:5]]
                    hist = {int(b): int(n) for b, n in (x.split(":") for x in w[5:])}
                except ValueError:
                    continue
                for i in range(3):
                    s[i] += c[i]
                by[f"{w[0]} {w[1]}"] = {"acquired": c[0], "contended": c[1],
                                         "trylock_failed": c[2], "wait_hist": hist}
            ls = {"acquired": s[0], "contended": s[1], "trylock_failed": s[2], "by": by,
                  "relocation": reloc_counts()}
            rel = by.get("disk relocation")
            ls["reloc_disk_trylock_failed"] = rel["trylock_failed"] if rel else None
            for caller in ("clone", "dedupe"):
                d = by.get(f"disk {caller}")
                hist = d["wait_hist"] if d else {}
                ls[f"{caller}_disk_wait"] = {
                    "acquired": d["acquired"] if d else None,
                    "contended": d["contended"] if d else None,
                    "p50_bucket": wait_percentile(hist, 0.50),
                    "p99_bucket": wait_percentile(hist, 0.99)}
            return text, ls
    return None, None


def counts_line(ls):
    """The progress log's summary of a btrfsx run's relocation counts and
    clone/dedupe DISK waits; "n/a" for what the module does not provide."""
    r = ls.get("relocation")
    rel = (f"passes {r.get('passes', 'n/a')} fenced {r.get('fenced', 'n/a')} "
           f"busy_skipped {r.get('busy_skipped', 'n/a')}" if r else "passes n/a fenced n/a busy_skipped n/a")
    tf = ls.get("reloc_disk_trylock_failed")
    out = f"relocation {rel} (DISK trylock_failed {'n/a' if tf is None else tf})"
    for caller in ("clone", "dedupe"):
        w = ls[f"{caller}_disk_wait"]
        if w["acquired"] is None:
            out += f"; {caller} DISK wait n/a"
        else:
            out += (f"; {caller} DISK waits {w['contended']}/{w['acquired']} "
                    f"p50 {bucket_bound(w['p50_bucket'])} p99 {bucket_bound(w['p99_bucket'])}")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=SIZES, default="quick")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default="")
    ap.add_argument("--disk", default=None)
    ap.add_argument("--run-timeout", type=int, default=0,
                    help="seconds a run may take (default: quick 300, full 1800)")
    a = ap.parse_args()
    a.disk = a.disk or os.environ["VM_DISKS"].split()[0]
    limit = a.run_timeout or (300 if a.mode == "quick" else 1800)
    out = os.environ["VM_OUT"]
    S = SIZES[a.mode]
    only = [w for w in a.only.replace(",", " ").split() if w]
    names = [w[0] for w in WORKLOADS]
    for w in only:
        if w not in names:
            sys.exit(f"bench: unknown workload {w}; known: {' '.join(names)}")
    todo = [w for w in WORKLOADS if not only or w[0] in only]
    os.makedirs(os.path.join(out, "stats"), exist_ok=True)

    env = {
        "kernel": platform.release(),
        "vcpus": os.cpu_count(),
        "mem_mib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20,
        "disk": f"{a.disk}: virtio-blk, raw sparse file on the host, cache=unsafe, "
                f"{int(open('/sys/class/block/' + os.path.basename(a.disk) + '/size').read()) * 512 // 2**30} GiB, "
                "mkfs.btrfs -f (defaults, discard) before every run; same disk for all runs",
        "btrfsx_version": open("/sys/module/btrfsx/version").read().strip()
        if os.path.exists("/sys/module/btrfsx/version") else "?",
        "btrfs_progs": sh("btrfs", "--version").strip(),
        "fio": sh("fio", "--version").strip(),
        "mode": a.mode, "rounds": a.rounds,
        "sizes": S,
        "workloads": {w[0]: w[1] for w in todo},
    }
    with open(os.path.join(out, "guest.json"), "w") as f:
        json.dump(env, f, indent=1)

    raw = open(os.path.join(out, "raw.jsonl"), "w")
    log(f"{env['kernel']}, {env['vcpus']} vCPUs, {env['mem_mib']} MiB, mode {a.mode}, "
        f"{a.rounds} rounds x {len(todo)} workloads x 3 runs")
    failures = 0
    wedged = False
    nrun, total = 0, a.rounds * len(todo) * 3
    for name, desc, fn in todo:
        log(f"== {name}: {desc}")
        for rnd in range(1, a.rounds + 1):
            order = ["btrfsx", "btrfs", "btrfs-aa"]
            if rnd % 2 == 0:
                order.reverse()
            for slot, label in enumerate(order):
                nrun += 1
                fstype = "btrfsx" if label == "btrfsx" else "btrfs"
                t = time.monotonic()
                hangfile = os.path.join(out, f"hang-{name}-r{rnd}-{label}.txt")
                rec = {"workload": name, "round": rnd, "slot": slot, "fs": label}
                with open(os.path.join(out, "current.json"), "w") as f:
                    json.dump(rec, f)  # bench/run's clue if the guest dies
                try:
                    fresh_fs(a.disk, fstype)
                    res = supervised(fn, a.disk, fstype, S, limit, hangfile)
                    text, ls = lock_stats(fstype)
                    if text:
                        with open(os.path.join(out, "stats", f"{name}-r{rnd}.txt"), "w") as f:
                            f.write(text)
                    umount()
                    err = None
                except Exception as e:  # record and go on
                    failures += 1
                    err = f"{type(e).__name__}: {e}"
                    res, ls = [], None
                    if is_mounted():
                        try:
                            umount()
                        except OSError as e2:
                            err += f"; then {e2}"
                            wedged = True
                for metric, value, unit, extra in res:
                    raw.write(json.dumps(dict(rec, metric=metric, unit=unit, value=value,
                                              extra=extra, locks=ls)) + "\n")
                if err:
                    raw.write(json.dumps(dict(rec, metric="error", error=err)) + "\n")
                raw.flush()
                shown = "  ".join(f"{m} {v:.4g} {u}" for m, v, u, _ in res) or f"FAILED: {err}"
                log(f"{name} round {rnd}/{a.rounds} {label:<8} {shown}  "
                    f"({time.monotonic() - t:.0f} s; run {nrun}/{total})")
                if ls and name.startswith("balance"):
                    log(f"{name} round {rnd}/{a.rounds} {label:<8} {counts_line(ls)}")
                if wedged:
                    log(f"{MNT} cannot be unmounted: stopping here")
                    raw.close()
                    return 1
    raw.close()
    os.unlink(os.path.join(out, "current.json"))
    log(f"done, {failures} failed run(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
