// SPDX-License-Identifier: GPL-2.0
/*
 * Debug builds only: microbenchmark of the range lock manager against the
 * io_tree extent locks of stock btrfs.  Reading
 * /sys/kernel/debug/btrfsx/range_lock_bench runs it (9 tests of
 * btrfsx.range_lock_bench_ms each, 9 s by default) and returns a table; see
 * the "Benchmark" section of docs/locking.md.
 *
 * Locks compared, all exclusive lock+unlock pairs:
 *   io_tree  lock_extent()/unlock_extent() with a cached state, on an io tree
 *            of its own (extent-io-tree.c, through
 *            debug-range-lock-microbenchmark.patch)
 *   file     a FILE domain of the manager (one interval tree)
 *   disk     a DISK domain (BTRFSX_RANGE_DISK_SHIFT chunks over
 *            BTRFSX_RANGE_DISK_SHARDS shards), with 1MiB "extents"
 * Tests:
 *   uncontended  one task, ranges cycling over 64 slots, nothing else held
 *   disjoint     two kthreads bound to CPU 0 and CPU 1, each in its own far
 *                away part of the same tree/domain (DISK: another shard)
 *   overlap      the same two kthreads, each always on one fixed range that
 *                overlaps the other thread's by half
 */

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/sort.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>
#include <btrfsx/range-lock.h>
#include <btrfsx/range-lock-bench.h>

static unsigned int bench_ms = 1000;
module_param_named(range_lock_bench_ms, bench_ms, uint, 0644);
MODULE_PARM_DESC(range_lock_bench_ms,
		 "Debug: duration of each range_lock_bench test in ms (10-10000, default 1000)");

enum bench_kind {
	BENCH_IO_TREE,
	BENCH_FILE,
	BENCH_DISK,
	BENCH_NR_KINDS,
};

enum bench_test {
	BENCH_UNCONTENDED,
	BENCH_DISJOINT,
	BENCH_OVERLAP,
	BENCH_NR_TESTS,
};

static const char * const kind_names[BENCH_NR_KINDS] = {
	[BENCH_IO_TREE] = "io_tree",
	[BENCH_FILE] = "file",
	[BENCH_DISK] = "disk",
};

static const char * const test_names[BENCH_NR_TESTS] = {
	[BENCH_UNCONTENDED] = "uncontended",
	[BENCH_DISJOINT] = "disjoint",
	[BENCH_OVERLAP] = "overlap",
};

/* Size of one locked range: a page for file offsets, an extent on disk. */
static const u64 kind_unit[BENCH_NR_KINDS] = {
	[BENCH_IO_TREE] = SZ_4K,
	[BENCH_FILE] = SZ_4K,
	[BENCH_DISK] = SZ_1M,
};

/*
 * Each test runs for bench_ms in bench_slices slices.  The slices of all
 * tests are interleaved, in rounds (odd rounds in reverse order), so that a
 * change of the host's load hits every test alike.  The mean is what a test
 * did over all its slices; its best slice is what the lock did when nothing
 * else (on a shared host: the vCPUs being descheduled) got in the way.  The
 * ratios of two locks are taken round by round, between slices run next to
 * each other, and reported as the median over the rounds.
 */
#define BENCH_SLICES	20	/* at most */

static unsigned int bench_slices = BENCH_SLICES;
module_param_named(range_lock_bench_slices, bench_slices, uint, 0644);
MODULE_PARM_DESC(range_lock_bench_slices,
		 "Debug: slices per range_lock_bench test (1-20, default 20)");

struct bench_result {
	u64 ops;		/* all threads, all slices */
	u64 ns;
	u64 best_ops;		/* the slice with the highest rate */
	u64 best_ns;
	u64 thread_ops[2];	/* per kthread, over its own time */
	u64 thread_ns[2];
	u64 rate[BENCH_SLICES];	/* ops/s of each slice, in round order */
	unsigned int nr_slices;
	int nr_threads;
	u64 acquired;		/* manager only: acquisitions, and how many */
	u64 waited;		/* of them slept (its statistics) */
};

struct bench_ctx {
	struct extent_io_tree *io;
	struct btrfsx_range_stats __percpu *stats;
	struct btrfsx_range_domain file;
	struct btrfsx_range_domain disk;
	struct bench_result res[BENCH_NR_TESTS][BENCH_NR_KINDS];
};

/* The range of operation @i of thread @t. */
static void bench_range(enum bench_kind kind, enum bench_test test,
			unsigned int t, u64 i, u64 *start, u64 *end)
{
	u64 unit = kind_unit[kind];
	u64 base, len = unit;

	switch (test) {
	case BENCH_UNCONTENDED:
		base = (i & 63) * unit;
		break;
	case BENCH_DISJOINT:
		/* DISK: chunk t, so shard t; others: 1GiB apart in one tree */
		base = t * (kind == BENCH_DISK ?
			    (1ULL << BTRFSX_RANGE_DISK_SHIFT) : SZ_1G) +
		       (i & 63) * unit;
		break;
	default:
		/* [0, 16 units) and [8, 24 units): always half overlapping */
		base = t * 8 * unit;
		len = 16 * unit;
		break;
	}
	*start = base;
	*end = base + len - 1;
}

static int bench_op(struct bench_ctx *ctx, enum bench_kind kind, u64 start,
		    u64 end)
{
	struct btrfsx_range_req req;
	struct extent_state *cached = NULL;
	int ret;

	if (kind == BENCH_IO_TREE) {
		ret = btrfsx_bench_io_lock(ctx->io, start, end, &cached);
		if (ret)
			return ret;
		btrfsx_bench_io_unlock(ctx->io, start, end, &cached);
		return 0;
	}
	ret = btrfsx_range_lock(kind == BENCH_FILE ? &ctx->file : &ctx->disk,
				start, end, BTRFSX_RANGE_EXCL, BTRFSX_RANGE_OTHER,
				&req);
	if (ret)
		return ret;
	btrfsx_range_unlock(&req);
	return 0;
}

static u64 bench_per_s(u64 ops, u64 ns)
{
	return ns ? div64_u64(ops * NSEC_PER_SEC, ns) : 0;
}

/* Account one slice of @ops operations in @ns. */
static void bench_slice(struct bench_result *res, u64 ops, u64 ns)
{
	if (res->nr_slices < BENCH_SLICES)
		res->rate[res->nr_slices++] = bench_per_s(ops, ns);
	res->ops += ops;
	res->ns += ns;
	/* ops/ns > best_ops/best_ns, without dividing */
	if (ns && (!res->best_ns || ops * res->best_ns > res->best_ops * ns)) {
		res->best_ops = ops;
		res->best_ns = ns;
	}
}

/* One slice of one task: batches of 256 pairs until the time is up. */
static int bench_uncontended(struct bench_ctx *ctx, enum bench_kind kind,
			     u64 slice_ns, struct bench_result *res)
{
	u64 t0, now, i, start, end;
	unsigned int j;
	int ret;

	/* warm up again: the other tests ran in between */
	for (j = 0; j < 64; j++) {
		bench_range(kind, BENCH_UNCONTENDED, 0, j, &start, &end);
		ret = bench_op(ctx, kind, start, end);
		if (ret)
			return ret;
	}
	i = 0;
	t0 = ktime_get_ns();
	do {
		for (j = 0; j < 256; j++, i++) {
			bench_range(kind, BENCH_UNCONTENDED, 0, i, &start, &end);
			ret = bench_op(ctx, kind, start, end);
			if (ret)
				return ret;
		}
		now = ktime_get_ns();
	} while (now - t0 < slice_ns);
	bench_slice(res, i, now - t0);
	res->nr_threads = 1;
	res->thread_ops[0] += i;
	res->thread_ns[0] += now - t0;
	return 0;
}

struct bench_run;

struct bench_worker {
	u64 ops;		/* read by the controller at the end */
	struct bench_run *run;
	struct task_struct *task;
	unsigned int id;
	u64 ns;
	int err;
} ____cacheline_aligned_in_smp;

struct bench_run {
	struct bench_worker w[2];
	struct bench_ctx *ctx;
	enum bench_kind kind;
	enum bench_test test;
	struct completion go;
	bool stop;
};

static int bench_thread(void *arg)
{
	struct bench_worker *w = arg;
	struct bench_run *run = w->run;
	u64 t0, i = 0, start, end;
	int err = 0;

	wait_for_completion(&run->go);
	t0 = ktime_get_ns();
	while (!READ_ONCE(run->stop)) {
		bench_range(run->kind, run->test, w->id, i, &start, &end);
		err = bench_op(run->ctx, run->kind, start, end);
		if (err)
			break;
		WRITE_ONCE(w->ops, ++i);
		if (!(i & 63))
			cond_resched();
	}
	w->ns = ktime_get_ns() - t0;
	w->err = err;

	/* kthread_stop() must find us alive */
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

/*
 * One slice of two kthreads bound to CPU 0 and CPU 1, started together;
 * this task sleeps meanwhile.
 */
static int bench_threads(struct bench_ctx *ctx, enum bench_kind kind,
			 enum bench_test test, u64 slice_ns,
			 struct bench_result *res)
{
	struct bench_run *run;
	u64 t0, ns, ops;
	unsigned int t;
	int ret = 0;

	run = kzalloc(sizeof(*run), GFP_KERNEL);
	if (!run)
		return -ENOMEM;
	run->ctx = ctx;
	run->kind = kind;
	run->test = test;
	init_completion(&run->go);
	for (t = 0; t < 2; t++) {
		struct task_struct *task;

		run->w[t].run = run;
		run->w[t].id = t;
		task = kthread_create(bench_thread, &run->w[t],
				      "btrfsx-bench/%u", t);
		if (IS_ERR(task)) {
			ret = PTR_ERR(task);
			break;
		}
		kthread_bind(task, t);
		run->w[t].task = task;
		wake_up_process(task);
	}
	if (ret)
		WRITE_ONCE(run->stop, true);
	t0 = ktime_get_ns();
	complete_all(&run->go);
	if (!ret)
		msleep(max_t(u64, div_u64(slice_ns, NSEC_PER_MSEC), 1));
	ns = ktime_get_ns() - t0;
	ops = READ_ONCE(run->w[0].ops) + READ_ONCE(run->w[1].ops);
	WRITE_ONCE(run->stop, true);
	for (t = 0; t < 2; t++) {
		if (!run->w[t].task)
			continue;
		kthread_stop(run->w[t].task);
		if (!ret)
			ret = run->w[t].err;
		res->thread_ops[t] += run->w[t].ops;
		res->thread_ns[t] += run->w[t].ns;
	}
	if (!ret)
		bench_slice(res, ops, ns);
	res->nr_threads = 2;
	kfree(run);
	return ret;
}

/* Tenths of a ns per operation. */
static u64 bench_dns(u64 ops, u64 ns)
{
	return ops ? div64_u64(ns * 10, ops) : 0;
}

static int bench_size(char *buf, size_t size, u64 bytes)
{
	if (bytes >= SZ_1M)
		return scnprintf(buf, size, "%lluMiB", bytes >> 20);
	return scnprintf(buf, size, "%lluKiB", bytes >> 10);
}

static int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * "ratio <what>  best x.xx  median y.yy  target <= t.tt: met", in hundredths:
 * @num's ns/op over @den's (@at_most) or @num's ops/s over @den's.  On a
 * shared host interference only ever adds time, so each lock's best slice is
 * the estimate of its own cost, and the verdict is on the ratio of those.
 * The median of the ratios of neighbouring slices (round by round) is a
 * cross-check.
 */
static int bench_ratio(char *buf, size_t size, const char *what,
		       const struct bench_result *num,
		       const struct bench_result *den, bool at_most,
		       u64 target)
{
	unsigned int n = min(num->nr_slices, den->nr_slices), i;
	u64 r[BENCH_SLICES], best, med, a, b;
	bool met;

	if (!n)
		return 0;
	/* a ratio of ns/op is the inverse ratio of ops/s */
	for (i = 0; i < n; i++) {
		a = at_most ? den->rate[i] : num->rate[i];
		b = at_most ? num->rate[i] : den->rate[i];
		r[i] = div64_u64(100 * a, max(b, 1ULL));
	}
	sort(r, n, sizeof(r[0]), bench_cmp_u64, NULL);
	med = (r[(n - 1) / 2] + r[n / 2]) / 2;
	a = bench_per_s(num->best_ops, num->best_ns);
	b = bench_per_s(den->best_ops, den->best_ns);
	best = at_most ? div64_u64(100 * b, max(a, 1ULL)) :
			 div64_u64(100 * a, max(b, 1ULL));
	met = at_most ? best <= target : best >= target;
	return scnprintf(buf, size,
			 "ratio %-31s best %2llu.%02llu  median %2llu.%02llu  target %s %llu.%02llu: %s\n",
			 what, best / 100, best % 100, med / 100, med % 100,
			 at_most ? "<=" : ">=", target / 100, target % 100,
			 met ? "met" : "missed");
}

static int bench_ctx_init(struct bench_ctx *ctx)
{
	int ret;

	ctx->io = btrfsx_bench_io_tree_alloc();
	if (!ctx->io)
		return -ENOMEM;
	ctx->stats = btrfsx_range_stats_alloc();
	if (!ctx->stats) {
		ret = -ENOMEM;
		goto free_io;
	}
	/* as in production: statistics on, inode number as the key */
	btrfsx_range_domain_init_file(&ctx->file, 257, ctx->stats);
	ret = btrfsx_range_domain_init_disk(&ctx->disk, BTRFSX_RANGE_DISK_SHIFT,
					    BTRFSX_RANGE_DISK_SHARDS,
					    ctx->stats);
	if (ret)
		goto free_stats;
	return 0;

free_stats:
	btrfsx_range_domain_destroy(&ctx->file);
	btrfsx_range_stats_free(ctx->stats);
free_io:
	btrfsx_bench_io_tree_free(ctx->io);
	return ret;
}

static void bench_ctx_destroy(struct bench_ctx *ctx)
{
	btrfsx_range_domain_destroy(&ctx->disk);
	btrfsx_range_domain_destroy(&ctx->file);
	btrfsx_range_stats_free(ctx->stats);
	btrfsx_bench_io_tree_free(ctx->io);
}

/*
 * The manager's own statistics say how many acquisitions had to sleep:
 * subtract the counts before a slice (@after false) from those after it.
 */
static void bench_waits(struct bench_ctx *ctx, enum bench_kind kind,
			struct bench_result *r, bool after)
{
	struct btrfsx_range_cpu_stats sum;
	s64 sign = after ? 1 : -1;

	if (kind == BENCH_IO_TREE)
		return;
	btrfsx_range_stats_sum(ctx->stats, kind == BENCH_FILE ?
			       BTRFSX_RANGE_FILE : BTRFSX_RANGE_DISK,
			       BTRFSX_RANGE_OTHER, &sum);
	r->acquired += sign * sum.acquired;
	r->waited += sign * sum.contended;
}

/* Run every test and write the table into @buf; returns its length. */
static ssize_t bench_run_all(char *buf, size_t size)
{
	struct bench_result (*res)[BENCH_NR_KINDS];
	bool two = cpu_online(0) && cpu_online(1);
	unsigned int ms = clamp(READ_ONCE(bench_ms), 10U, 10000U);
	unsigned int slices = clamp_t(unsigned int, READ_ONCE(bench_slices), 1,
				       BENCH_SLICES);
	u64 slice_ns = (u64)ms * NSEC_PER_MSEC / slices;
	unsigned int round, i, j;
	struct bench_ctx *ctx;
	enum bench_test test;
	enum bench_kind kind;
	u64 start, end;
	char range[16];
	int len = 0;
	int ret = 0;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ret = bench_ctx_init(ctx);
	if (ret)
		goto free;
	res = ctx->res;

	len += scnprintf(buf + len, size - len,
			 "# btrfsx range lock microbenchmark: kernel %s, %u CPUs online, %u ms per test\n"
			 "# exclusive lock+unlock pairs; io_tree = lock_extent/unlock_extent with cached state;\n"
			 "# file/disk = btrfsx manager FILE domain / DISK domain (%u shards of %u MiB chunks)\n"
			 "# uncontended: one task; disjoint, overlap: kthreads bound to CPU 0 and CPU 1\n"
			 "# %u interleaved slices per test; ops/s, ns/op: all slices; best_*: the fastest slice;\n"
			 "# cpuN_ops/s: each kthread; slept: manager acquisitions that had to sleep (io_tree: not counted)\n"
			 "# ratio: of the best slices (the verdict), and the median of the per-round ratios\n",
			 init_utsname()->release, num_online_cpus(), ms,
			 BTRFSX_RANGE_DISK_SHARDS,
			 1U << (BTRFSX_RANGE_DISK_SHIFT - 20), slices);
	len += scnprintf(buf + len, size - len,
			 "%-12s %-8s %6s %9s %10s %8s %10s %10s %10s %7s\n",
			 "test", "lock", "range", "ops/s", "best_ops/s",
			 "ns/op", "best_ns/op", "cpu0_ops/s", "cpu1_ops/s",
			 "slept");

	for (round = 0; round < slices; round++) {
		for (i = 0; i < BENCH_NR_TESTS * BENCH_NR_KINDS; i++) {
			j = round & 1 ? BENCH_NR_TESTS * BENCH_NR_KINDS - 1 - i : i;
			test = j / BENCH_NR_KINDS;
			kind = j % BENCH_NR_KINDS;
			bench_waits(ctx, kind, &res[test][kind], false);
			if (test == BENCH_UNCONTENDED)
				ret = bench_uncontended(ctx, kind, slice_ns,
							&res[test][kind]);
			else if (two)
				ret = bench_threads(ctx, kind, test, slice_ns,
						    &res[test][kind]);
			bench_waits(ctx, kind, &res[test][kind], true);
			if (!ret && fatal_signal_pending(current))
				ret = -EINTR;
			if (ret)
				goto destroy;
			cond_resched();
		}
	}

	for (test = 0; test < BENCH_NR_TESTS; test++) {
		for (kind = 0; kind < BENCH_NR_KINDS; kind++) {
			struct bench_result *r = &res[test][kind];
			u64 pm = div64_u64(1000 * r->waited,
					   max(r->acquired, 1ULL));
			u64 dns, best_dns;

			bench_range(kind, test, 0, 0, &start, &end);
			bench_size(range, sizeof(range), end - start + 1);
			if (!r->nr_threads) {
				len += scnprintf(buf + len, size - len,
						 "%-12s %-8s %6s skipped: CPUs 0 and 1 must be online\n",
						 test_names[test],
						 kind_names[kind], range);
				continue;
			}
			len += scnprintf(buf + len, size - len,
					 "%-12s %-8s %6s %9llu %10llu",
					 test_names[test], kind_names[kind],
					 range, bench_per_s(r->ops, r->ns),
					 bench_per_s(r->best_ops, r->best_ns));
			if (r->nr_threads == 1) {
				dns = bench_dns(r->ops, r->ns);
				best_dns = bench_dns(r->best_ops, r->best_ns);
				len += scnprintf(buf + len, size - len,
						 " %6llu.%llu %8llu.%llu %10s %10s",
						 dns / 10, dns % 10,
						 best_dns / 10, best_dns % 10,
						 "-", "-");
			} else {
				len += scnprintf(buf + len, size - len,
						 " %8s %10s %10llu %10llu",
						 "-", "-",
						 bench_per_s(r->thread_ops[0],
							     r->thread_ns[0]),
						 bench_per_s(r->thread_ops[1],
							     r->thread_ns[1]));
			}
			if (kind == BENCH_IO_TREE)
				len += scnprintf(buf + len, size - len,
						 " %7s\n", "-");
			else
				len += scnprintf(buf + len, size - len,
						 " %4llu.%llu%%\n", pm / 10, pm % 10);
		}
	}

	/* The targets of docs/locking.md; reported, not asserted. */
	len += bench_ratio(buf + len, size - len,
			   "uncontended ns/op file/io_tree",
			   &res[BENCH_UNCONTENDED][BENCH_FILE],
			   &res[BENCH_UNCONTENDED][BENCH_IO_TREE], true, 50);
	len += bench_ratio(buf + len, size - len,
			   "uncontended ns/op disk/io_tree",
			   &res[BENCH_UNCONTENDED][BENCH_DISK],
			   &res[BENCH_UNCONTENDED][BENCH_IO_TREE], true, 50);
	if (two) {
		len += bench_ratio(buf + len, size - len,
				   "disjoint ops/s file/io_tree",
				   &res[BENCH_DISJOINT][BENCH_FILE],
				   &res[BENCH_DISJOINT][BENCH_IO_TREE], false,
				   100);
		len += bench_ratio(buf + len, size - len,
				   "disjoint ops/s disk/io_tree",
				   &res[BENCH_DISJOINT][BENCH_DISK],
				   &res[BENCH_DISJOINT][BENCH_IO_TREE], false,
				   100);
	}
	ret = len;
destroy:
	bench_ctx_destroy(ctx);
free:
	kfree(ctx);
	return ret;
}

/* debugfs: the first read of an open file runs the bench, later reads page */

#define BENCH_BUF_SIZE	4096

struct bench_file {
	ssize_t len;	/* < 0: not run yet */
	char buf[BENCH_BUF_SIZE];
};

static DEFINE_MUTEX(bench_mutex);
static struct dentry *bench_dir;

static int bench_open(struct inode *inode, struct file *file)
{
	struct bench_file *bf = kzalloc(sizeof(*bf), GFP_KERNEL);

	if (!bf)
		return -ENOMEM;
	bf->len = -1;
	file->private_data = bf;
	return nonseekable_open(inode, file);
}

static ssize_t bench_read(struct file *file, char __user *ubuf, size_t count,
			  loff_t *ppos)
{
	struct bench_file *bf = file->private_data;
	ssize_t ret;

	if (bf->len < 0) {
		/* btrfsx_init() runs before the io_tree's slab cache exists */
		if (THIS_MODULE->state != MODULE_STATE_LIVE)
			return -EAGAIN;
		if (mutex_lock_killable(&bench_mutex))
			return -EINTR;
		ret = bench_run_all(bf->buf, sizeof(bf->buf));
		mutex_unlock(&bench_mutex);
		if (ret < 0)
			return ret;
		bf->len = ret;
	}
	return simple_read_from_buffer(ubuf, count, ppos, bf->buf, bf->len);
}

static int bench_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static const struct file_operations bench_fops = {
	.owner = THIS_MODULE,
	.open = bench_open,
	.read = bench_read,
	.release = bench_release,
};

void btrfsx_range_lock_bench_init(void)
{
	/* debugfs is optional: errors are ignored, as debugfs callers do */
	bench_dir = debugfs_create_dir("btrfsx", NULL);
	debugfs_create_file("range_lock_bench", 0400, bench_dir, NULL,
			    &bench_fops);
}

void btrfsx_range_lock_bench_exit(void)
{
	debugfs_remove(bench_dir);
	bench_dir = NULL;
}
