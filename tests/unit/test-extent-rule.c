// SPDX-License-Identifier: GPL-2.0
/*
 * src/extent-rule.c: the protocols clone, dedupe and relocation follow on the
 * DISK lock domain of a struct btrfsx_fs (src/fs.c).  The parties that block
 * run in actor threads, each its own `current`, driven one step at a time, so
 * a test can check that a step is still blocked, release what blocks it and
 * see it return.  Locker threads (harness.h) stand in for relocation holding
 * an extent exclusive.
 */

#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "tests.h"
#include "btrfsx/extent-rule.h"
#include "btrfsx/fs.h"
#include <linux/kobject.h>
#include <linux/sysfs.h>

#define S	BTRFSX_RANGE_SHARED
#define X	BTRFSX_RANGE_EXCL
#define MiB	(1ULL << 20)
#define GiB	(1ULL << 30)

/* A data block group, extents in it, outside it, and relocation's copies. */
#define BG	(2 * GiB)
#define BG_LEN	GiB
#define EXT_A	(BG + 4 * MiB)
#define EXT_B	(BG + 700 * MiB)
#define EXT_OUT	(8 * GiB)
#define EXT_NEW	(5 * GiB)		/* where relocation moved EXT_A */
#define LEN	(128 * 1024ULL)

#define STEP_LIMIT_NS	(5ULL * 1000000000ULL)
#define BLOCKED_US	20000		/* "still blocked" after this long */

enum op {
	OP_CLONE_BEGIN,		/* BTRFSX_CLONE(); a = dedupe */
	OP_CLONE_ITEM,		/* a = disk_bytenr, b = disk_len */
	OP_CLONE_WAIT,
	OP_CLONE_ITEM_END,
	OP_CLONE_END,
	OP_LEAF_BEGIN,		/* BTRFSX_RELOC_LEAF(); a = reloc_tree */
	OP_RELOC_ITEM,		/* a = bytenr, b = len */
	OP_LEAF_END,
	OP_DROP_BEGIN,		/* a = start, b = len, moved_data */
	OP_DROP_END,
	OP_EXIT,
};

struct actor {
	pthread_t thread;
	struct btrfsx_fs *fs;
	struct btrfsx_clone clone;
	struct btrfsx_reloc_leaf leaf;
	struct task_struct *task;	/* atomic */
	/* The next step, written by the test before it bumps posted. */
	enum op op;
	u64 a;
	u64 b;
	bool moved_data;
	bool reloc_tree;		/* of the leaf begun last */
	unsigned int posted;		/* atomic */
	unsigned int done;		/* atomic */
	int ret;			/* of the last step */
	int depth;			/* lockdep depth after the last step */
};

static void *actor_main(void *arg)
{
	struct actor *t = arg;
	unsigned int seen = 0;
	int ret;

	__atomic_store_n(&t->task, current, __ATOMIC_RELEASE);
	for (;;) {
		while (__atomic_load_n(&t->posted, __ATOMIC_ACQUIRE) == seen)
			sleep_us(100);
		seen++;
		ret = 0;
		switch (t->op) {
		case OP_CLONE_BEGIN:
			t->clone = (struct btrfsx_clone)
				BTRFSX_CLONE_INIT(t->fs, t->a);
			break;
		case OP_CLONE_ITEM:
			ret = btrfsx_clone_item(&t->clone, t->a, t->b);
			break;
		case OP_CLONE_WAIT:
			ret = btrfsx_clone_wait(&t->clone);
			break;
		case OP_CLONE_ITEM_END:
			btrfsx_clone_item_end(&t->clone);
			break;
		case OP_CLONE_END:
			btrfsx_clone_end(&t->clone);
			break;
		case OP_LEAF_BEGIN:
			t->leaf = (struct btrfsx_reloc_leaf)
				BTRFSX_RELOC_LEAF_INIT(t->fs);
			t->reloc_tree = t->a;
			break;
		case OP_RELOC_ITEM:
			ret = btrfsx_reloc_item(&t->leaf, t->a, t->b,
						t->reloc_tree);
			break;
		case OP_LEAF_END:
			btrfsx_reloc_leaf_end(&t->leaf);
			break;
		case OP_DROP_BEGIN:
			btrfsx_reloc_drop_begin(t->fs, t->a, t->b,
						t->moved_data);
			break;
		case OP_DROP_END:
			btrfsx_reloc_drop_end(t->fs);
			break;
		case OP_EXIT:
			if (shim_lockdep_depth())
				test_fail(__FILE__, __LINE__,
					  "actor exits holding %d locks",
					  shim_lockdep_depth());
			return NULL;
		}
		t->ret = ret;
		t->depth = shim_lockdep_depth();
		__atomic_store_n(&t->done, seen, __ATOMIC_RELEASE);
	}
}

static void actor_start(struct actor *t, struct btrfsx_fs *fs)
{
	memset(t, 0, sizeof(*t));
	t->fs = fs;
	if (pthread_create(&t->thread, NULL, actor_main, t))
		abort();
	while (!__atomic_load_n(&t->task, __ATOMIC_ACQUIRE))
		sleep_us(100);
}

static bool actor_idle(struct actor *t)
{
	return __atomic_load_n(&t->done, __ATOMIC_ACQUIRE) ==
	       __atomic_load_n(&t->posted, __ATOMIC_RELAXED);
}

/* Start a step; the actor must be idle. */
static void actor_post(struct actor *t, enum op op, u64 a, u64 b)
{
	if (!actor_idle(t)) {
		test_fail(__FILE__, __LINE__, "actor busy, step %d not posted",
			  op);
		return;
	}
	t->op = op;
	t->a = a;
	t->b = b;
	__atomic_add_fetch(&t->posted, 1, __ATOMIC_RELEASE);
}

/* Wait (bounded) for the step in flight; true if it returned. */
static bool actor_wait(struct actor *t)
{
	u64 deadline = now_ns() + STEP_LIMIT_NS;

	while (!actor_idle(t)) {
		if (now_ns() > deadline)
			return false;
		sleep_us(100);
	}
	return true;
}

/* One step, run to its end; its return value, or -1000 if it hangs. */
static int actor_do(struct actor *t, enum op op, u64 a, u64 b)
{
	actor_post(t, op, a, b);
	if (!actor_wait(t)) {
		test_fail(__FILE__, __LINE__, "step %d did not return", op);
		return -1000;
	}
	return t->ret;
}

/* The step in flight waits with @req queued in @fs's DISK domain. */
static bool actor_blocked(struct actor *t, struct btrfsx_fs *fs,
			  const struct btrfsx_range_req *req)
{
	u64 deadline = now_ns() + STEP_LIMIT_NS;

	while (!req_queued(&fs->disk, req)) {
		if (actor_idle(t) || now_ns() > deadline)
			return false;
		sleep_us(100);
	}
	sleep_us(BLOCKED_US);
	return !actor_idle(t) && req_queued(&fs->disk, req);
}

static void actor_stop(struct actor *t)
{
	if (!actor_wait(t)) {
		test_fail(__FILE__, __LINE__, "actor stuck in step %d", t->op);
		dump_domain(&t->fs->disk);
		abort();	/* cannot join a thread stuck in a lock */
	}
	actor_post(t, OP_EXIT, 0, 0);
	pthread_join(t->thread, NULL);
}

static struct btrfsx_fs *fs_new(void)
{
	struct btrfsx_fs *fs = btrfsx_fs_alloc();

	if (!fs)
		abort();
#ifdef __SANITIZE_THREAD__
	/*
	 * TSan's deadlock detector follows at most 64 mutexes held by one
	 * thread, and lock_domain() of the 64 DISK shards takes 65: give the
	 * TSan build 8 shards of the same size.  ASan+UBSan keeps the
	 * production geometry of btrfsx_fs_alloc().
	 */
	btrfsx_range_domain_destroy(&fs->disk);
	if (btrfsx_range_domain_init_disk(&fs->disk, BTRFSX_RANGE_DISK_SHIFT,
					  8, fs->stats))
		abort();
#endif
	return fs;
}

/* Every test ends with the DISK domain idle and consistent. */
static void fs_done(struct btrfsx_fs *fs)
{
	CHECK_EQ(check_domain(&fs->disk), 0);
	CHECK(domain_empty(&fs->disk));
	CHECK(!READ_ONCE(fs->fence_owner));
	btrfsx_fs_free(fs);
}

/* Requests queued in @dom (held or waiting), each counted once. */
static unsigned int queued_reqs(struct btrfsx_range_domain *dom)
{
	const struct btrfsx_range_req *seen[64];
	unsigned int nr = 0, i, t;

	lock_domain(dom);
	for (t = 0; t < domain_nr_trees(dom); t++) {
		struct rb_node *rb;

		for (rb = rb_first(&domain_tree(dom, t)->root.rb_root); rb;
		     rb = rb_next(rb)) {
			const struct btrfsx_range_req *req =
				rb_entry(rb, struct btrfsx_range_node, rb)->req;

			for (i = 0; i < nr && seen[i] != req; i++)
				;
			if (i == nr && nr < ARRAY_SIZE(seen))
				seen[nr++] = req;
		}
	}
	unlock_domain(dom);
	return nr;
}

/* Could anyone take [@start, +@len) in @mode right now? */
static bool free_for(struct btrfsx_fs *fs, u64 start, u64 len,
		     enum btrfsx_range_mode mode)
{
	struct btrfsx_range_req req;

	if (!btrfsx_range_trylock(&fs->disk, start, start + len - 1, mode,
				  BTRFSX_RANGE_OTHER, &req))
		return false;
	btrfsx_range_unlock(&req);
	return true;
}

/* /sys/fs/btrfsx/<fsid>/range_locks/relocation, read through src/fs.c. */
static void check_reloc_sysfs(struct btrfsx_fs *fs, const char *want)
{
	const struct attribute_group **groups;
	struct attribute **attr;
	char buf[PAGE_SIZE];

	CHECK_EQ(btrfsx_fs_sysfs_add(fs, NULL), 0);
	if (!fs->kobj)
		return;
	for (groups = fs->kobj->ktype->default_groups; *groups; groups++) {
		for (attr = (*groups)->attrs; *attr; attr++) {
			struct kobj_attribute *ka;

			if (strcmp((*attr)->name, "relocation"))
				continue;
			ka = container_of(*attr, struct kobj_attribute, attr);
			buf[0] = 0;
			ka->show(fs->kobj, ka, buf);
			if (strcmp(buf, want))
				test_fail(__FILE__, __LINE__,
					  "relocation reads \"%s\", want \"%s\"",
					  buf, want);
			btrfsx_fs_sysfs_remove(fs);
			CHECK(!fs->kobj);
			return;
		}
	}
	test_fail(__FILE__, __LINE__, "no relocation attribute");
	btrfsx_fs_sysfs_remove(fs);
}

/* Clone */

/* Holes and inline extents (disk_bytenr 0) have no DISK range to hold. */
static void test_clone_holes(void)
{
	struct btrfsx_fs *fs = fs_new();
	struct btrfsx_clone c;

	c = (struct btrfsx_clone)BTRFSX_CLONE_INIT(fs, false);
	CHECK_EQ(btrfsx_clone_item(&c, 0, 0), 0);
	CHECK(!c.locked);
	btrfsx_clone_item_end(&c);
	CHECK_EQ(btrfsx_clone_item(&c, 0, 4096), 0);	/* inline */
	CHECK(!c.locked);
	CHECK(domain_empty(&fs->disk));
	CHECK_EQ(shim_lockdep_depth(), 0);
	btrfsx_clone_item_end(&c);
	/* An extent, then a hole: the hole drops nothing it should keep. */
	CHECK_EQ(btrfsx_clone_item(&c, EXT_A, LEN), 0);
	CHECK(c.locked);
	btrfsx_clone_item_end(&c);
	CHECK_EQ(btrfsx_clone_item(&c, 0, 0), 0);
	CHECK(!c.locked);
	CHECK(domain_empty(&fs->disk));
	btrfsx_clone_item_end(&c);
	btrfsx_clone_end(&c);
	fs_done(fs);
}

/* The source extent is held shared from the item to its end. */
static void test_clone_holds_shared(void)
{
	struct btrfsx_range_cpu_stats sum;
	struct btrfsx_fs *fs = fs_new();
	struct btrfsx_clone c;

	c = (struct btrfsx_clone)BTRFSX_CLONE_INIT(fs, true);
	CHECK_EQ(btrfsx_clone_item(&c, EXT_A, LEN), 0);
	CHECK(c.locked);
	CHECK(free_for(fs, EXT_A, LEN, S));		/* readers pass */
	CHECK(!free_for(fs, EXT_A + LEN - 1, 1, X));	/* the whole extent */
	CHECK(free_for(fs, EXT_A + LEN, 1, X));		/* and no more */
	CHECK(free_for(fs, EXT_A - 1, 1, X));
	CHECK_EQ(shim_lockdep_depth(), 1);
	btrfsx_clone_item_end(&c);
	CHECK(!c.locked);
	CHECK(free_for(fs, EXT_A, LEN, X));
	CHECK_EQ(shim_lockdep_depth(), 0);
	btrfsx_clone_end(&c);
	/* Dedupe's lock is counted as dedupe's. */
	btrfsx_range_stats_sum(fs->stats, BTRFSX_RANGE_DISK,
			       BTRFSX_RANGE_DEDUPE, &sum);
	CHECK_EQ(sum.acquired, 1);
	btrfsx_range_stats_sum(fs->stats, BTRFSX_RANGE_DISK,
			       BTRFSX_RANGE_CLONE, &sum);
	CHECK_EQ(sum.acquired, 0);
	fs_done(fs);
}

/*
 * A corrupt item's length 0 or one past U64_MAX locks what there is, the
 * first byte or up to U64_MAX, without a WARN.
 */
static void test_clone_corrupt_lengths(void)
{
	struct btrfsx_fs *fs = fs_new();
	struct btrfsx_clone c;

	c = (struct btrfsx_clone)BTRFSX_CLONE_INIT(fs, false);
	CHECK_EQ(btrfsx_clone_item(&c, EXT_A, 0), 0);
	CHECK(c.locked);
	CHECK(!free_for(fs, EXT_A, 1, X));
	CHECK(free_for(fs, EXT_A + 1, 1, X));
	btrfsx_clone_item_end(&c);
	CHECK_EQ(btrfsx_clone_item(&c, U64_MAX - 4095, 8192), 0);
	CHECK(c.locked);
	CHECK(!free_for(fs, U64_MAX, 1, X));
	CHECK(!free_for(fs, U64_MAX - 4095, 1, X));
	CHECK(free_for(fs, U64_MAX - 4096, 1, X));
	btrfsx_clone_item_end(&c);
	btrfsx_clone_end(&c);
	fs_done(fs);
}

/*
 * Relocation holds the extent: the clone backs off, waits without its path,
 * and the item it reads again points at relocation's copy.  The stale lock on
 * the old extent goes, the new extent is locked.
 */
static void test_clone_item_moved(void)
{
	struct btrfsx_fs *fs = fs_new();
	struct actor c;
	struct locker reloc;

	locker_start(&reloc, &fs->disk, EXT_A, EXT_A + LEN - 1, X);
	CHECK(locker_granted(&reloc));
	actor_start(&c, fs);
	actor_do(&c, OP_CLONE_BEGIN, false, 0);
	CHECK_EQ(actor_do(&c, OP_CLONE_ITEM, EXT_A, LEN), BTRFSX_CLONE_WAIT);
	CHECK(!c.clone.locked);
	CHECK_EQ(c.depth, 0);
	CHECK_EQ(queued_reqs(&fs->disk), 1);	/* the try left nothing */
	/* The caller released its path; now it waits. */
	actor_post(&c, OP_CLONE_WAIT, 0, 0);
	CHECK(actor_blocked(&c, fs, &c.clone.req));
	locker_finish(&reloc);
	CHECK(actor_wait(&c));
	CHECK_EQ(c.ret, 0);
	CHECK(c.clone.locked);
	CHECK(!free_for(fs, EXT_A, LEN, X));
	/* The item, searched again, points at the relocated copy. */
	CHECK_EQ(actor_do(&c, OP_CLONE_ITEM, EXT_NEW, LEN), 0);
	CHECK(c.clone.locked);
	CHECK_EQ(c.depth, 1);
	CHECK_EQ(queued_reqs(&fs->disk), 1);
	CHECK(free_for(fs, EXT_A, LEN, X));		/* stale lock dropped */
	CHECK(!free_for(fs, EXT_NEW, LEN, X));		/* new extent held */
	CHECK(free_for(fs, EXT_NEW, LEN, S));		/* ... shared */
	actor_do(&c, OP_CLONE_ITEM_END, 0, 0);
	CHECK(!c.clone.locked);
	CHECK(domain_empty(&fs->disk));
	actor_do(&c, OP_CLONE_END, 0, 0);
	CHECK_EQ(c.depth, 0);
	actor_stop(&c);
	fs_done(fs);
}

/* After the wait the item still points at the extent: the lock is kept. */
static void test_clone_item_same(void)
{
	struct btrfsx_fs *fs = fs_new();
	struct actor c;
	struct locker reloc;

	locker_start(&reloc, &fs->disk, EXT_A, EXT_A + LEN - 1, X);
	CHECK(locker_granted(&reloc));
	actor_start(&c, fs);
	actor_do(&c, OP_CLONE_BEGIN, false, 0);
	CHECK_EQ(actor_do(&c, OP_CLONE_ITEM, EXT_A, LEN), BTRFSX_CLONE_WAIT);
	actor_post(&c, OP_CLONE_WAIT, 0, 0);
	CHECK(actor_blocked(&c, fs, &c.clone.req));
	locker_finish(&reloc);
	CHECK(actor_wait(&c));
	CHECK_EQ(c.ret, 0);
	CHECK_EQ(actor_do(&c, OP_CLONE_ITEM, EXT_A, LEN), 0);
	CHECK(c.clone.locked);
	CHECK_EQ(c.depth, 1);			/* no second lock */
	CHECK_EQ(queued_reqs(&fs->disk), 1);
	CHECK(req_queued(&fs->disk, &c.clone.req));
	CHECK(!free_for(fs, EXT_A, LEN, X));
	/* The extent shrank (a corrupt or trimmed item): still covered. */
	CHECK_EQ(actor_do(&c, OP_CLONE_ITEM, EXT_A, LEN / 2), 0);
	CHECK(c.clone.locked);
	CHECK_EQ(queued_reqs(&fs->disk), 1);
	actor_do(&c, OP_CLONE_ITEM_END, 0, 0);
	CHECK(domain_empty(&fs->disk));
	actor_do(&c, OP_CLONE_END, 0, 0);
	actor_stop(&c);
	fs_done(fs);
}

/* The item moved to an extent that is busy too: nothing held, wait again. */
static void test_clone_item_moved_busy(void)
{
	struct btrfsx_fs *fs = fs_new();
	struct locker r1, r2;
	struct actor c;

	locker_start(&r1, &fs->disk, EXT_A, EXT_A + LEN - 1, X);
	CHECK(locker_granted(&r1));
	locker_start(&r2, &fs->disk, EXT_NEW, EXT_NEW + LEN - 1, X);
	CHECK(locker_granted(&r2));
	actor_start(&c, fs);
	actor_do(&c, OP_CLONE_BEGIN, false, 0);
	CHECK_EQ(actor_do(&c, OP_CLONE_ITEM, EXT_A, LEN), BTRFSX_CLONE_WAIT);
	actor_post(&c, OP_CLONE_WAIT, 0, 0);
	CHECK(actor_blocked(&c, fs, &c.clone.req));
	locker_finish(&r1);
	CHECK(actor_wait(&c));
	CHECK_EQ(c.ret, 0);
	CHECK_EQ(actor_do(&c, OP_CLONE_ITEM, EXT_NEW, LEN), BTRFSX_CLONE_WAIT);
	CHECK(!c.clone.locked);
	CHECK_EQ(c.depth, 0);
	CHECK(free_for(fs, EXT_A, LEN, X));
	CHECK_EQ(queued_reqs(&fs->disk), 1);	/* r2 only */
	actor_post(&c, OP_CLONE_WAIT, 0, 0);
	CHECK(actor_blocked(&c, fs, &c.clone.req));
	locker_finish(&r2);
	CHECK(actor_wait(&c));
	CHECK_EQ(c.ret, 0);
	CHECK_EQ(actor_do(&c, OP_CLONE_ITEM, EXT_NEW, LEN), 0);
	CHECK_EQ(c.depth, 1);
	actor_do(&c, OP_CLONE_ITEM_END, 0, 0);
	actor_do(&c, OP_CLONE_END, 0, 0);
	CHECK(domain_empty(&fs->disk));
	actor_stop(&c);
	fs_done(fs);
}

/* clone_end releases an item the caller did not end (an error path). */
static void test_clone_end_releases(void)
{
	struct btrfsx_fs *fs = fs_new();
	struct btrfsx_clone c;

	c = (struct btrfsx_clone)BTRFSX_CLONE_INIT(fs, false);
	CHECK_EQ(btrfsx_clone_item(&c, EXT_A, LEN), 0);
	btrfsx_clone_end(&c);
	CHECK(!c.locked);
	CHECK(domain_empty(&fs->disk));
	CHECK_EQ(shim_lockdep_depth(), 0);
	btrfsx_clone_end(&c);			/* twice: nothing more */
	fs_done(fs);
}

/*
 * BTRFSX_CLONE() and BTRFSX_RELOC_LEAF() end their state on every return, an
 * early one included: the patches call no end on btrfs's exit paths.
 */
static int clone_returns(struct btrfsx_fs *fs, bool early)
{
	BTRFSX_CLONE(bx, fs, false);

	if (btrfsx_clone_item(&bx, EXT_A, LEN))
		return -1;
	if (early)
		return 1;			/* holding EXT_A */
	btrfsx_clone_item_end(&bx);
	return 0;
}

static bool reloc_leaf_returns(struct btrfsx_fs *fs)
{
	BTRFSX_RELOC_LEAF(bx, fs);

	return btrfsx_reloc_item(&bx, EXT_B, LEN, false);	/* holding EXT_B */
}

static void test_cleanup_ends_state(void)
{
	struct btrfsx_fs *fs = fs_new();

	CHECK_EQ(clone_returns(fs, true), 1);
	CHECK(domain_empty(&fs->disk));
	CHECK_EQ(shim_lockdep_depth(), 0);
	CHECK_EQ(clone_returns(fs, false), 0);
	CHECK(domain_empty(&fs->disk));
	CHECK(reloc_leaf_returns(fs));
	CHECK(domain_empty(&fs->disk));
	CHECK_EQ(shim_lockdep_depth(), 0);
	/* Not skipped: reloc_leaf_returns() did take EXT_B. */
	CHECK_EQ(atomic64_read(&fs->reloc_busy), 0);
	fs_done(fs);
}

/* Relocation */

/*
 * A clone holds the extent: relocation skips the item and counts it; the
 * next item and the skipped one, once free, are moved under their locks.
 */
static void test_reloc_skips_busy(void)
{
	struct btrfsx_fs *fs = fs_new();
	struct btrfsx_reloc_leaf rl;
	struct actor c;

	actor_start(&c, fs);
	actor_do(&c, OP_CLONE_BEGIN, false, 0);
	CHECK_EQ(actor_do(&c, OP_CLONE_ITEM, EXT_A, LEN), 0);

	rl = (struct btrfsx_reloc_leaf)BTRFSX_RELOC_LEAF_INIT(fs);
	CHECK(!btrfsx_reloc_item(&rl, EXT_A, LEN, false));
	CHECK(!rl.locked);
	CHECK_EQ(atomic64_read(&fs->reloc_busy), 1);
	CHECK_EQ(queued_reqs(&fs->disk), 1);	/* the clone's */
	/* The next item after a skipped one. */
	CHECK(btrfsx_reloc_item(&rl, EXT_B, LEN, false));
	CHECK(rl.locked);
	CHECK(!free_for(fs, EXT_B, LEN, S));	/* exclusive */
	CHECK_EQ(shim_lockdep_depth(), 1);
	/* The leaf ends: the item's lock goes. */
	btrfsx_reloc_leaf_end(&rl);
	CHECK(!rl.locked);
	CHECK(free_for(fs, EXT_B, LEN, X));
	CHECK_EQ(shim_lockdep_depth(), 0);
	rl = (struct btrfsx_reloc_leaf)BTRFSX_RELOC_LEAF_INIT(fs);

	actor_do(&c, OP_CLONE_ITEM_END, 0, 0);
	/* The block group loop comes back to the skipped item. */
	CHECK(btrfsx_reloc_item(&rl, EXT_A, LEN, false));
	CHECK(rl.locked);
	CHECK(!free_for(fs, EXT_A, LEN, S));
	/* A clone now backs off from relocation. */
	CHECK_EQ(actor_do(&c, OP_CLONE_ITEM, EXT_A, LEN), BTRFSX_CLONE_WAIT);
	/* The next item without item_end: the previous lock goes first. */
	CHECK(btrfsx_reloc_item(&rl, EXT_B, LEN, false));
	CHECK(free_for(fs, EXT_A, LEN, X));
	CHECK(!free_for(fs, EXT_B, LEN, S));
	CHECK_EQ(shim_lockdep_depth(), 1);
	btrfsx_reloc_leaf_end(&rl);
	CHECK(!rl.locked);
	CHECK(domain_empty(&fs->disk));
	CHECK_EQ(shim_lockdep_depth(), 0);
	CHECK_EQ(atomic64_read(&fs->reloc_busy), 1);
	actor_do(&c, OP_CLONE_END, 0, 0);
	actor_stop(&c);
	check_reloc_sysfs(fs, "passes 0 fenced 0 busy_skipped 1\n");
	fs_done(fs);
}

/* A skipped item holds nothing when the leaf ends. */
static void test_reloc_skip_then_leaf_end(void)
{
	struct btrfsx_fs *fs = fs_new();
	struct btrfsx_reloc_leaf rl;
	struct locker other;

	locker_start(&other, &fs->disk, EXT_A, EXT_A, S);
	CHECK(locker_granted(&other));
	rl = (struct btrfsx_reloc_leaf)BTRFSX_RELOC_LEAF_INIT(fs);
	CHECK(btrfsx_reloc_item(&rl, EXT_B, LEN, false));
	CHECK(!btrfsx_reloc_item(&rl, EXT_A, LEN, false));	/* B released first */
	CHECK(free_for(fs, EXT_B, LEN, X));
	CHECK_EQ(shim_lockdep_depth(), 0);
	btrfsx_reloc_leaf_end(&rl);
	CHECK_EQ(queued_reqs(&fs->disk), 1);
	CHECK_EQ(atomic64_read(&fs->reloc_busy), 1);
	locker_finish(&other);
	fs_done(fs);
}

/* Reloc tree leaves move only references their own COW added: no lock. */
static void test_reloc_tree_leaf(void)
{
	struct btrfsx_fs *fs = fs_new();
	struct btrfsx_reloc_leaf rl;
	struct actor c;

	actor_start(&c, fs);
	actor_do(&c, OP_CLONE_BEGIN, false, 0);
	CHECK_EQ(actor_do(&c, OP_CLONE_ITEM, EXT_A, LEN), 0);
	rl = (struct btrfsx_reloc_leaf)BTRFSX_RELOC_LEAF_INIT(fs);
	CHECK(btrfsx_reloc_item(&rl, EXT_A, LEN, true));	/* despite the clone */
	CHECK(!rl.locked);
	CHECK(btrfsx_reloc_item(&rl, EXT_B, LEN, true));
	CHECK(!rl.locked);
	CHECK(free_for(fs, EXT_B, LEN, X));
	CHECK_EQ(queued_reqs(&fs->disk), 1);
	CHECK_EQ(shim_lockdep_depth(), 0);
	btrfsx_reloc_leaf_end(&rl);
	CHECK_EQ(atomic64_read(&fs->reloc_busy), 0);
	actor_do(&c, OP_CLONE_ITEM_END, 0, 0);
	actor_do(&c, OP_CLONE_END, 0, 0);
	actor_stop(&c);
	fs_done(fs);
}

/* Relocation's fence around the reloc-root drop */

/*
 * The fence waits for a clone that holds an extent of the block group, then
 * holds the block group: new clones of its extents wait for the drop's end,
 * other extents are not affected, and the fence's owner moves references
 * inside it without a second lock.
 */
static void test_fence(void)
{
	struct btrfsx_fs *fs = fs_new();
	struct actor c1, c2, f;
	struct btrfsx_reloc_leaf rl;
	struct btrfsx_clone c;

	actor_start(&c1, fs);
	actor_start(&c2, fs);
	actor_start(&f, fs);
	actor_do(&c1, OP_CLONE_BEGIN, false, 0);
	CHECK_EQ(actor_do(&c1, OP_CLONE_ITEM, EXT_A, LEN), 0);

	f.moved_data = true;
	actor_post(&f, OP_DROP_BEGIN, BG, BG_LEN);
	CHECK(actor_blocked(&f, fs, &fs->fence));
	CHECK(!READ_ONCE(fs->fence_owner));
	/* A new clone in the block group queues behind the fence... */
	actor_do(&c2, OP_CLONE_BEGIN, false, 0);
	CHECK_EQ(actor_do(&c2, OP_CLONE_ITEM, EXT_B, LEN), BTRFSX_CLONE_WAIT);
	/* ... the clone holding an extent ends its item: the fence is in. */
	actor_do(&c1, OP_CLONE_ITEM_END, 0, 0);
	CHECK(actor_wait(&f));
	CHECK(READ_ONCE(fs->fence_owner) == f.task);
	CHECK_EQ(f.depth, 1);
	CHECK_EQ(atomic64_read(&fs->reloc_passes), 1);
	CHECK_EQ(atomic64_read(&fs->reloc_fenced), 1);
	CHECK(!free_for(fs, BG, 1, S));
	CHECK(!free_for(fs, BG + BG_LEN - 1, 1, S));
	CHECK(free_for(fs, BG + BG_LEN, 1, X));
	CHECK(free_for(fs, BG - 1, 1, X));

	/* A clone of an extent in the block group waits for the drop. */
	CHECK_EQ(actor_do(&c1, OP_CLONE_ITEM, EXT_A, LEN), BTRFSX_CLONE_WAIT);
	actor_post(&c2, OP_CLONE_WAIT, 0, 0);
	CHECK(actor_blocked(&c2, fs, &c2.clone.req));
	/* A clone of an extent outside is not affected. */
	c = (struct btrfsx_clone)BTRFSX_CLONE_INIT(fs, false);
	CHECK_EQ(btrfsx_clone_item(&c, EXT_OUT, LEN), 0);
	CHECK(c.locked);
	btrfsx_clone_item_end(&c);
	btrfsx_clone_end(&c);
	/* Another task's relocation skips a fenced extent. */
	rl = (struct btrfsx_reloc_leaf)BTRFSX_RELOC_LEAF_INIT(fs);
	CHECK(!btrfsx_reloc_item(&rl, EXT_A, LEN, false));
	btrfsx_reloc_leaf_end(&rl);
	CHECK_EQ(atomic64_read(&fs->reloc_busy), 1);

	/* The fence's owner moves a fenced extent's reference: no new lock. */
	actor_do(&f, OP_LEAF_BEGIN, false, 0);
	CHECK_EQ(actor_do(&f, OP_RELOC_ITEM, EXT_A, LEN), true);
	CHECK(!f.leaf.locked);
	CHECK_EQ(f.depth, 1);
	CHECK_EQ(queued_reqs(&fs->disk), 2);	/* fence, c2 waiting */
	CHECK_EQ(actor_do(&f, OP_RELOC_ITEM, BG, BG_LEN), true); /* all of it */
	CHECK(!f.leaf.locked);
	/* Outside the fence it try-locks as any relocation. */
	CHECK_EQ(actor_do(&f, OP_RELOC_ITEM, EXT_OUT, LEN), true);
	CHECK(f.leaf.locked);
	CHECK(!free_for(fs, EXT_OUT, LEN, S));
	actor_do(&f, OP_LEAF_END, 0, 0);
	CHECK(!f.leaf.locked);
	CHECK_EQ(f.depth, 1);
	CHECK(free_for(fs, EXT_OUT, LEN, X));
	CHECK_EQ(atomic64_read(&fs->reloc_busy), 1);
	CHECK(!actor_idle(&c2));

	actor_do(&f, OP_DROP_END, 0, 0);
	CHECK_EQ(f.depth, 0);
	CHECK(!READ_ONCE(fs->fence_owner));
	CHECK(actor_wait(&c2));
	CHECK_EQ(c2.ret, 0);
	CHECK(c2.clone.locked);
	CHECK_EQ(actor_do(&c2, OP_CLONE_ITEM, EXT_B, LEN), 0);
	CHECK_EQ(queued_reqs(&fs->disk), 1);
	actor_do(&c2, OP_CLONE_ITEM_END, 0, 0);
	actor_do(&c2, OP_CLONE_END, 0, 0);
	actor_do(&c1, OP_CLONE_END, 0, 0);	/* gave up its WAIT item */
	CHECK(domain_empty(&fs->disk));
	actor_stop(&c1);
	actor_stop(&c2);
	actor_stop(&f);
	check_reloc_sysfs(fs, "passes 1 fenced 1 busy_skipped 1\n");
	fs_done(fs);
}

/* Passes that moved no data pointers count, fence nothing. */
static void test_fence_not_needed(void)
{
	struct btrfsx_fs *fs = fs_new();
	struct btrfsx_clone c;

	btrfsx_reloc_drop_begin(fs, BG, BG_LEN, false);
	CHECK(!READ_ONCE(fs->fence_owner));
	CHECK(domain_empty(&fs->disk));
	CHECK_EQ(shim_lockdep_depth(), 0);
	c = (struct btrfsx_clone)BTRFSX_CLONE_INIT(fs, false);
	CHECK_EQ(btrfsx_clone_item(&c, EXT_A, LEN), 0);
	btrfsx_clone_end(&c);
	btrfsx_reloc_drop_end(fs);
	/* An empty block group: nothing to fence either. */
	btrfsx_reloc_drop_begin(fs, BG, 0, true);
	CHECK(!READ_ONCE(fs->fence_owner));
	CHECK(domain_empty(&fs->disk));
	btrfsx_reloc_drop_end(fs);
	CHECK_EQ(atomic64_read(&fs->reloc_passes), 2);
	CHECK_EQ(atomic64_read(&fs->reloc_fenced), 0);
	check_reloc_sysfs(fs, "passes 2 fenced 0 busy_skipped 0\n");
	fs_done(fs);
}

/* The fence's wait for clones cannot be killed: the drop must follow. */
static void test_fence_wait_nokill(void)
{
	struct btrfsx_fs *fs = fs_new();
	struct actor c, f;

	actor_start(&c, fs);
	actor_start(&f, fs);
	actor_do(&c, OP_CLONE_BEGIN, false, 0);
	CHECK_EQ(actor_do(&c, OP_CLONE_ITEM, EXT_A, LEN), 0);
	f.moved_data = true;
	actor_post(&f, OP_DROP_BEGIN, BG, BG_LEN);
	CHECK(actor_blocked(&f, fs, &fs->fence));
	shim_kill(f.task);
	CHECK(actor_blocked(&f, fs, &fs->fence));
	actor_do(&c, OP_CLONE_ITEM_END, 0, 0);
	CHECK(actor_wait(&f));
	CHECK(READ_ONCE(fs->fence_owner) == f.task);
	shim_clear_kill(f.task);
	actor_do(&f, OP_DROP_END, 0, 0);
	actor_do(&c, OP_CLONE_END, 0, 0);
	actor_stop(&c);
	actor_stop(&f);
	fs_done(fs);
}

/*
 * A clone waiting behind the fence gets a fatal signal: -EINTR, nothing
 * held, nothing queued; the fence holds on and the next clone still waits.
 */
static void test_fence_killed_waiter(void)
{
	struct btrfsx_fs *fs = fs_new();
	struct actor c1, c2, f;

	actor_start(&c1, fs);
	actor_start(&c2, fs);
	actor_start(&f, fs);
	f.moved_data = true;
	actor_do(&f, OP_DROP_BEGIN, BG, BG_LEN);
	CHECK(READ_ONCE(fs->fence_owner) == f.task);

	actor_do(&c1, OP_CLONE_BEGIN, false, 0);
	CHECK_EQ(actor_do(&c1, OP_CLONE_ITEM, EXT_A, LEN), BTRFSX_CLONE_WAIT);
	actor_post(&c1, OP_CLONE_WAIT, 0, 0);
	CHECK(actor_blocked(&c1, fs, &c1.clone.req));
	shim_kill(c1.task);
	CHECK(actor_wait(&c1));
	CHECK_EQ(c1.ret, -EINTR);
	CHECK(!c1.clone.locked);
	CHECK_EQ(c1.depth, 0);
	CHECK(!req_queued(&fs->disk, &c1.clone.req));
	CHECK_EQ(queued_reqs(&fs->disk), 1);	/* the fence alone */
	actor_do(&c1, OP_CLONE_END, 0, 0);	/* the caller bails out */
	shim_clear_kill(c1.task);

	/* The fence still works. */
	CHECK(!free_for(fs, EXT_A, LEN, S));
	actor_do(&c2, OP_CLONE_BEGIN, true, 0);
	CHECK_EQ(actor_do(&c2, OP_CLONE_ITEM, EXT_A, LEN), BTRFSX_CLONE_WAIT);
	actor_post(&c2, OP_CLONE_WAIT, 0, 0);
	CHECK(actor_blocked(&c2, fs, &c2.clone.req));
	actor_do(&f, OP_DROP_END, 0, 0);
	CHECK(actor_wait(&c2));
	CHECK_EQ(c2.ret, 0);
	CHECK_EQ(actor_do(&c2, OP_CLONE_ITEM, EXT_A, LEN), 0);
	CHECK_EQ(c2.depth, 1);
	actor_do(&c2, OP_CLONE_ITEM_END, 0, 0);
	actor_do(&c2, OP_CLONE_END, 0, 0);
	actor_stop(&c1);
	actor_stop(&c2);
	actor_stop(&f);
	fs_done(fs);
}

/* One balance per filesystem: a second fence is a bug, refused loudly. */
static void test_fence_twice(void)
{
	struct btrfsx_fs *fs = fs_new();
	struct actor f;

	actor_start(&f, fs);
	f.moved_data = true;
	actor_do(&f, OP_DROP_BEGIN, BG, BG_LEN);
	test_expect_warnings = 1;
	btrfsx_reloc_drop_begin(fs, 4 * GiB, BG_LEN, true);
	CHECK_EQ(shim_lockdep_depth(), 0);
	btrfsx_reloc_drop_end(fs);		/* not ours: nothing */
	CHECK(READ_ONCE(fs->fence_owner) == f.task);
	CHECK(!free_for(fs, BG, 1, S));
	CHECK(free_for(fs, 4 * GiB, BG_LEN, X));
	actor_do(&f, OP_DROP_END, 0, 0);
	CHECK_EQ(atomic64_read(&fs->reloc_fenced), 1);
	actor_stop(&f);
	fs_done(fs);
}

/*
 * Model: clone threads and one relocation thread (items, and now and then a
 * fenced drop) over a few file items, each behind a "leaf" mutex as btrfs
 * items are behind tree locks.  Relocation moves an item to another extent
 * only while it holds the old one.  Checked throughout: a clone holding an
 * extent sees no relocation of it and no fence over it, its lock covers the
 * extent its item points at, relocation and the fence see no clone.
 */
#define M_EXTENTS	12	/* 0..5 in the block group, 6..11 outside */
#define M_SLOTS		8
#define M_CLONES	3

struct model {
	struct btrfsx_fs *fs;
	pthread_mutex_t leaf[M_SLOTS];
	int slot[M_SLOTS];		/* under leaf[]: extent, or -1 a hole */
	int clones_in[M_EXTENTS];	/* atomic */
	int reloc_in[M_EXTENTS];	/* atomic */
	int fence_on;			/* atomic */
	int stop;			/* atomic */
	u64 seed;
	long clone_items, clone_waits, moves, skips, fences;	/* atomic */
};

static u64 m_ext(int e)
{
	return e < M_EXTENTS / 2 ? BG + e * 64 * MiB :
				   EXT_OUT + (e - M_EXTENTS / 2) * 64 * MiB;
}

static bool m_in_bg(int e)
{
	return e >= 0 && e < M_EXTENTS / 2;
}

static int m_load(int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void m_add(int *p, int v)
{
	__atomic_add_fetch(p, v, __ATOMIC_SEQ_CST);
}

static void m_count(long *p)
{
	__atomic_add_fetch(p, 1, __ATOMIC_RELAXED);
}

static unsigned int m_rand(u64 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x >> 32;
}

static int m_next_id;

static void *m_clone_main(void *arg)
{
	struct model *m = arg;
	u64 x = m->seed + 0x9e3779b97f4a7c15ULL *
		(__atomic_add_fetch(&m_next_id, 1, __ATOMIC_RELAXED) + 1);
	struct btrfsx_clone c;

	while (!__atomic_load_n(&m->stop, __ATOMIC_RELAXED)) {
		unsigned int items = 1 + m_rand(&x) % 3, i;

		c = (struct btrfsx_clone)BTRFSX_CLONE_INIT(m->fs, m_rand(&x) & 1);
		for (i = 0; i < items; i++) {
			int s = m_rand(&x) % M_SLOTS, e, ret;

			pthread_mutex_lock(&m->leaf[s]);
			for (;;) {
				e = m->slot[s];
				ret = btrfsx_clone_item(&c, e < 0 ? 0 : m_ext(e),
							e < 0 ? 0 : LEN);
				if (ret != BTRFSX_CLONE_WAIT)
					break;
				/* Release the path, wait, search again. */
				pthread_mutex_unlock(&m->leaf[s]);
				m_count(&m->clone_waits);
				ret = btrfsx_clone_wait(&c);
				pthread_mutex_lock(&m->leaf[s]);
				if (ret) {
					test_fail(__FILE__, __LINE__,
						  "clone_wait: %d", ret);
					break;
				}
			}
			if (e >= 0 && !btrfsx_extent_held(m->fs, &c.req,
							  m_ext(e), LEN,
							  false))
				test_fail(__FILE__, __LINE__,
					  "clone holds no lock on extent %d",
					  e);
			if (e >= 0)
				m_add(&m->clones_in[e], 1);
			pthread_mutex_unlock(&m->leaf[s]);
			/* Copy the item, queue the new reference. */
			if (e >= 0) {
				sleep_us(m_rand(&x) % 50);
				if (m_load(&m->reloc_in[e]))
					test_fail(__FILE__, __LINE__,
						  "extent %d relocated under a clone",
						  e);
				if (m_in_bg(e) && m_load(&m->fence_on))
					test_fail(__FILE__, __LINE__,
						  "extent %d fenced under a clone",
						  e);
				m_add(&m->clones_in[e], -1);
			}
			m_count(&m->clone_items);
			btrfsx_clone_item_end(&c);
		}
		btrfsx_clone_end(&c);
	}
	return NULL;
}

/* One leaf's worth of relocation; the fence's owner may run it too. */
static void m_reloc_leaf(struct model *m, u64 *x)
{
	struct btrfsx_reloc_leaf rl;
	int s = m_rand(x) % M_SLOTS, e;

	pthread_mutex_lock(&m->leaf[s]);
	rl = (struct btrfsx_reloc_leaf)BTRFSX_RELOC_LEAF_INIT(m->fs);
	e = m->slot[s];
	if (m_in_bg(e)) {
		if (btrfsx_reloc_item(&rl, m_ext(e), LEN, false)) {
			m_add(&m->reloc_in[e], 1);
			if (m_load(&m->clones_in[e]))
				test_fail(__FILE__, __LINE__,
					  "relocation of extent %d under a clone",
					  e);
			/* Every item on extent e moves to its copy. */
			m->slot[s] = M_EXTENTS / 2 + m_rand(x) % (M_EXTENTS / 2);
			sleep_us(m_rand(x) % 50);
			m_add(&m->reloc_in[e], -1);
			m_count(&m->moves);
		} else {
			m_count(&m->skips);
		}
	} else if (e >= 0 && m_rand(x) % 2) {
		/* Data written back into the block group. */
		m->slot[s] = m_rand(x) % (M_EXTENTS / 2);
	}
	btrfsx_reloc_leaf_end(&rl);
	pthread_mutex_unlock(&m->leaf[s]);
}

static void *m_reloc_main(void *arg)
{
	struct model *m = arg;
	u64 x = m->seed ^ 0x5851f42d4c957f2dULL;
	int e;

	while (!__atomic_load_n(&m->stop, __ATOMIC_RELAXED)) {
		if (m_rand(&x) % 16) {
			m_reloc_leaf(m, &x);
			continue;
		}
		btrfsx_reloc_drop_begin(m->fs, BG, BG_LEN, true);
		__atomic_store_n(&m->fence_on, 1, __ATOMIC_SEQ_CST);
		for (e = 0; e < M_EXTENTS / 2; e++) {
			if (m_load(&m->clones_in[e]))
				test_fail(__FILE__, __LINE__,
					  "fence over extent %d under a clone",
					  e);
		}
		m_reloc_leaf(m, &x);	/* the owner re-enters */
		sleep_us(m_rand(&x) % 200);
		__atomic_store_n(&m->fence_on, 0, __ATOMIC_SEQ_CST);
		btrfsx_reloc_drop_end(m->fs);
		m_count(&m->fences);
	}
	return NULL;
}

static void test_model(void)
{
	const char *env = getenv("DURATION_MS");
	unsigned int ms = env ? strtoul(env, NULL, 0) / 4 : 1000;
	pthread_t clones[M_CLONES], reloc;
	struct model m;
	unsigned int i;

	memset(&m, 0, sizeof(m));
	m.fs = fs_new();
	env = getenv("SEED");
	m.seed = env ? strtoull(env, NULL, 0) : now_ns();
	m.seed |= 1;
	printf("# extent rule model: SEED=%llu DURATION_MS=%u\n", m.seed, ms);
	for (i = 0; i < M_SLOTS; i++) {
		pthread_mutex_init(&m.leaf[i], NULL);
		m.slot[i] = i == 0 ? -1 : (int)(i % M_EXTENTS);
	}
	for (i = 0; i < M_CLONES; i++)
		if (pthread_create(&clones[i], NULL, m_clone_main, &m))
			abort();
	if (pthread_create(&reloc, NULL, m_reloc_main, &m))
		abort();
	sleep_us(ms * 1000);
	__atomic_store_n(&m.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < M_CLONES; i++)
		pthread_join(clones[i], NULL);
	pthread_join(reloc, NULL);
	printf("# %ld clone items (%ld waits), %ld moves, %ld skipped, %ld fences\n",
	       m.clone_items, m.clone_waits, m.moves, m.skips, m.fences);
	CHECK(m.clone_items > 0);
	CHECK(m.moves > 0);
	CHECK(m.fences > 0);
	CHECK_EQ(atomic64_read(&m.fs->reloc_busy), m.skips);
	CHECK_EQ(atomic64_read(&m.fs->reloc_fenced), m.fences);
	for (i = 0; i < M_SLOTS; i++)
		pthread_mutex_destroy(&m.leaf[i]);
	fs_done(m.fs);
}

#ifdef BTRFSX_DEBUG
/*
 * Debug builds: btrfsx_assert_data_ref(), called where data references are
 * queued, WARNs when the task's scope names the extent and the task does not
 * hold its DISK lock (shared for clone, exclusive for relocation).
 */

/* The module parameters of src/extent-rule-debug.c (shim/linux/moduleparam.h). */
bool *shim_param_debug_disk_rule(void);
bool *shim_param_debug_clone_skip_lock(void);

static void set_param(bool *param, bool value)
{
	__atomic_store_n(param, value, __ATOMIC_RELAXED);
}

static void test_debug_clone_assert(void)
{
	struct btrfsx_fs *fs = fs_new();
	struct btrfsx_clone c;

	c = (struct btrfsx_clone)BTRFSX_CLONE_INIT(fs, false);
	CHECK_EQ(btrfsx_clone_item(&c, EXT_A, LEN), 0);
	btrfsx_assert_data_ref(fs, true, EXT_A, LEN);
	btrfsx_assert_data_ref(fs, true, EXT_A + 4096, 4096);
	btrfsx_clone_item_end(&c);
	btrfsx_assert_data_ref(fs, true, EXT_A, LEN);	/* no extent named */
	/* The race matrix's switch: the clone does not take its lock. */
	set_param(shim_param_debug_clone_skip_lock(), true);
	CHECK_EQ(btrfsx_clone_item(&c, EXT_A, LEN), 0);
	CHECK(!c.locked);
	CHECK(domain_empty(&fs->disk));
	btrfsx_assert_data_ref(fs, true, EXT_OUT, LEN);	/* another extent */
	test_expect_warnings = 1;
	btrfsx_assert_data_ref(fs, true, EXT_A, LEN);
	set_param(shim_param_debug_clone_skip_lock(), false);
	btrfsx_clone_item_end(&c);
	btrfsx_clone_end(&c);
	btrfsx_assert_data_ref(fs, true, EXT_A, LEN);	/* scope closed */
	fs_done(fs);
}

/* Only the scope's own lock counts, and only for its filesystem. */
static void test_debug_scope_own_lock(void)
{
	struct btrfsx_fs *fs = fs_new(), *fs2 = fs_new();
	struct btrfsx_rule_scope scope;
	struct btrfsx_range_req req;
	struct actor c;

	actor_start(&c, fs);
	actor_do(&c, OP_CLONE_BEGIN, false, 0);
	CHECK_EQ(actor_do(&c, OP_CLONE_ITEM, EXT_A, LEN), 0);
	test_expect_warnings = 2;
	btrfsx_rule_scope_open(&scope, fs, BTRFSX_RANGE_CLONE, false);
	btrfsx_rule_scope_extent(&scope, EXT_A, LEN, NULL);
	btrfsx_assert_data_ref(fs, true, EXT_A, LEN);	/* WARN: not ours */
	btrfsx_assert_data_ref(fs2, true, EXT_A, LEN);	/* other fs */
	CHECK(btrfsx_extent_trylock(fs, EXT_A, LEN, S, BTRFSX_RANGE_CLONE,
				    &req));
	btrfsx_rule_scope_extent(&scope, EXT_A, LEN, &req);
	btrfsx_assert_data_ref(fs, false, EXT_A, LEN);
	btrfsx_rule_scope_close(&scope);
	/* Relocation's scope needs the lock exclusive. */
	btrfsx_rule_scope_open(&scope, fs, BTRFSX_RANGE_RELOCATION, true);
	btrfsx_rule_scope_extent(&scope, EXT_A, LEN, &req);
	btrfsx_assert_data_ref(fs, false, EXT_A, LEN);	/* WARN: shared */
	btrfsx_rule_scope_close(&scope);
	btrfsx_range_unlock(&req);
	/* The actor queues with its lock, and from its own scope. */
	actor_do(&c, OP_CLONE_ITEM_END, 0, 0);
	actor_do(&c, OP_CLONE_END, 0, 0);
	actor_stop(&c);
	fs_done(fs2);
	fs_done(fs);
}

/* Relocation: the item's exclusive lock, or the fence, satisfies it. */
static void test_debug_reloc_assert(void)
{
	struct btrfsx_fs *fs = fs_new();
	struct btrfsx_reloc_leaf rl;

	rl = (struct btrfsx_reloc_leaf)BTRFSX_RELOC_LEAF_INIT(fs);
	CHECK(btrfsx_reloc_item(&rl, EXT_A, LEN, false));
	btrfsx_assert_data_ref(fs, false, EXT_A, LEN);
	btrfsx_reloc_leaf_end(&rl);
	btrfsx_assert_data_ref(fs, false, EXT_A, LEN);	/* no scope now */

	btrfsx_reloc_drop_begin(fs, BG, BG_LEN, true);
	btrfsx_assert_data_ref(fs, false, EXT_B, LEN);	/* the drop's DROPs */
	rl = (struct btrfsx_reloc_leaf)BTRFSX_RELOC_LEAF_INIT(fs);
	CHECK(btrfsx_reloc_item(&rl, EXT_A, LEN, false));	/* under the fence */
	CHECK(!rl.locked);
	btrfsx_assert_data_ref(fs, false, EXT_A, LEN);
	btrfsx_reloc_leaf_end(&rl);
	btrfsx_reloc_drop_end(fs);
	fs_done(fs);
}

/* The rule switched off (race matrix): nothing is locked, nothing WARNs. */
static void test_debug_rule_off(void)
{
	struct btrfsx_fs *fs = fs_new();
	struct btrfsx_reloc_leaf rl;
	struct btrfsx_clone c;

	set_param(shim_param_debug_disk_rule(), false);
	c = (struct btrfsx_clone)BTRFSX_CLONE_INIT(fs, false);
	CHECK_EQ(btrfsx_clone_item(&c, EXT_A, LEN), 0);
	CHECK(!c.locked);
	btrfsx_assert_data_ref(fs, true, EXT_A, LEN);
	btrfsx_clone_item_end(&c);
	btrfsx_clone_end(&c);
	rl = (struct btrfsx_reloc_leaf)BTRFSX_RELOC_LEAF_INIT(fs);
	CHECK(btrfsx_reloc_item(&rl, EXT_A, LEN, false));
	CHECK(!rl.locked);
	btrfsx_reloc_leaf_end(&rl);
	btrfsx_reloc_drop_begin(fs, BG, BG_LEN, true);
	CHECK(!READ_ONCE(fs->fence_owner));
	CHECK(domain_empty(&fs->disk));
	btrfsx_reloc_drop_end(fs);
	CHECK_EQ(atomic64_read(&fs->reloc_fenced), 0);
	set_param(shim_param_debug_disk_rule(), true);
	fs_done(fs);
}
#endif

const struct test extent_rule_tests[] = {
	{ "extent rule: clone of holes and inline extents locks nothing", test_clone_holes },
	{ "extent rule: clone holds the source extent shared per item", test_clone_holds_shared },
	{ "extent rule: corrupt lengths lock what there is, no WARN", test_clone_corrupt_lengths },
	{ "extent rule: clone waits, item moved: stale lock dropped, new extent locked", test_clone_item_moved },
	{ "extent rule: clone waits, item unchanged: lock kept, no second lock", test_clone_item_same },
	{ "extent rule: clone waits, item moved to a busy extent: waits again", test_clone_item_moved_busy },
	{ "extent rule: clone_end releases an unended item", test_clone_end_releases },
	{ "extent rule: clone and leaf state end on every return", test_cleanup_ends_state },
	{ "extent rule: relocation skips an extent a clone holds, counts it", test_reloc_skips_busy },
	{ "extent rule: relocation's skipped item holds nothing", test_reloc_skip_then_leaf_end },
	{ "extent rule: reloc tree leaves lock nothing", test_reloc_tree_leaf },
	{ "extent rule: fence waits for clones, then holds the block group", test_fence },
	{ "extent rule: no fence without moved data pointers", test_fence_not_needed },
	{ "extent rule: the fence's wait ignores fatal signals", test_fence_wait_nokill },
	{ "extent rule: killed clone waiter gets -EINTR, the fence holds", test_fence_killed_waiter },
	{ "extent rule: a second fence WARNs and takes nothing", test_fence_twice },
	{ "extent rule: model: clones, relocation and fences at random", test_model },
#ifdef BTRFSX_DEBUG
	{ "extent rule debug: clone's reference without its lock WARNs", test_debug_clone_assert },
	{ "extent rule debug: only the scope's own lock counts", test_debug_scope_own_lock },
	{ "extent rule debug: relocation's item lock and fence satisfy it", test_debug_reloc_assert },
	{ "extent rule debug: rule off locks nothing, WARNs nothing", test_debug_rule_off },
#endif
};

const unsigned int nr_extent_rule_tests = ARRAY_SIZE(extent_rule_tests);
