// SPDX-License-Identifier: GPL-2.0
/*
 * src/file-lock.c: the FILE domain of an inode, allocated on first lock, and
 * the file ranges of a clone or dedupe call.
 */

#include <stdlib.h>
#include <linux/slab.h>
#include "harness.h"
#include "tests.h"
#include "btrfsx/file-lock.h"
#include "btrfsx/fs.h"

#define S	BTRFSX_RANGE_SHARED
#define X	BTRFSX_RANGE_EXCL
#define CLONE	BTRFSX_RANGE_CLONE
#define DEDUPE	BTRFSX_RANGE_DEDUPE

static bool try(struct btrfsx_inode *bi, u64 start, u64 end,
		enum btrfsx_range_mode mode, struct btrfsx_range_req *req)
{
	return btrfsx_range_trylock(bi->file_locks, start, end, mode,
				    BTRFSX_RANGE_OTHER, req);
}

static void done(struct btrfsx_inode *bi)
{
	if (bi->file_locks) {
		CHECK_EQ(check_domain(bi->file_locks), 0);
		CHECK(domain_empty(bi->file_locks));
	}
	btrfsx_inode_destroy(bi);
	CHECK(!bi->file_locks);
}

/* No domain until the first lock; then one, keyed by the inode number. */
static void test_lazy_domain(void)
{
	struct btrfsx_fs fs = { .stats = btrfsx_range_stats_alloc() };
	long allocs = shim_read_allocs();
	struct btrfsx_range_cpu_stats sum;
	struct btrfsx_inode a, b, unused;
	struct btrfsx_remap_locks l;

	CHECK_EQ(sizeof(struct btrfsx_inode), 8);
	btrfsx_inode_init(&a);
	btrfsx_inode_init(&b);
	btrfsx_inode_init(&unused);
	CHECK(!a.file_locks && !b.file_locks && !unused.file_locks);
	CHECK_EQ(shim_read_allocs(), allocs);

	CHECK_EQ(btrfsx_remap_lock(&l, &fs, &a, 257, 0, &b, 258, 0, 4096,
				   CLONE), 0);
	CHECK(a.file_locks && b.file_locks);
	CHECK_EQ(shim_read_allocs(), allocs + 2);
	CHECK_EQ(a.file_locks->key, 257);
	CHECK_EQ(b.file_locks->key, 258);
	CHECK_EQ(a.file_locks->class, BTRFSX_RANGE_FILE);
	CHECK(a.file_locks->stats == fs.stats);
	btrfsx_remap_unlock(&l);

	/* Later locks use the same domain. */
	CHECK_EQ(btrfsx_remap_lock(&l, &fs, NULL, 0, 0, &a, 257, 0, 4096,
				   DEDUPE), 0);
	CHECK(l.dst.dom == a.file_locks);
	btrfsx_remap_unlock(&l);
	CHECK_EQ(shim_read_allocs(), allocs + 2);

	btrfsx_range_stats_sum(fs.stats, BTRFSX_RANGE_FILE, CLONE, &sum);
	CHECK_EQ(sum.acquired, 2);
	btrfsx_range_stats_sum(fs.stats, BTRFSX_RANGE_FILE, DEDUPE, &sum);
	CHECK_EQ(sum.acquired, 1);

	done(&a);
	done(&b);
	done(&unused);
	CHECK_EQ(shim_read_allocs(), allocs);
	btrfsx_range_stats_free(fs.stats);
}

/* Without memory for the first domain: -ENOMEM, nothing held or installed. */
static void test_remap_nomem(void)
{
	struct btrfsx_inode a, b;
	struct btrfsx_remap_locks l;

	btrfsx_inode_init(&a);
	btrfsx_inode_init(&b);
	/* a has one */
	CHECK_EQ(btrfsx_remap_lock(&l, NULL, NULL, 0, 0, &a, 5, 0, 10, CLONE),
		 0);
	btrfsx_remap_unlock(&l);
	__atomic_store_n(&shim_fail_all, 1, __ATOMIC_SEQ_CST);
	CHECK_EQ(btrfsx_remap_lock(&l, NULL, &a, 5, 0, &b, 6, 0, 10, CLONE),
		 -ENOMEM);
	CHECK_EQ(l.nr, 0);
	CHECK(!b.file_locks);
	CHECK(!btrfsx_range_req_held(&l.src));
	CHECK(!btrfsx_range_req_held(&l.dst));
	CHECK_EQ(btrfsx_remap_lock(&l, NULL, &b, 6, 0, &a, 5, 0, 10, CLONE),
		 -ENOMEM);
	CHECK(!b.file_locks);
	/* An inode that has its domain needs no memory to lock. */
	CHECK_EQ(btrfsx_remap_lock(&l, NULL, NULL, 0, 0, &a, 5, 0, 10, CLONE),
		 0);
	CHECK(btrfsx_range_req_held(&l.dst));
	btrfsx_remap_unlock(&l);
	__atomic_store_n(&shim_fail_all, 0, __ATOMIC_SEQ_CST);
	CHECK_EQ(btrfsx_remap_lock(&l, NULL, &a, 5, 0, &b, 6, 0, 10, CLONE),
		 0);
	CHECK(b.file_locks);
	btrfsx_remap_unlock(&l);
	done(&a);
	done(&b);
}

struct first_lock {
	struct btrfsx_fs *fs;
	struct btrfsx_inode *bi;
	unsigned int id;
	pthread_barrier_t *go;
	int *holders;
	int ok;
};

static void *first_lock_main(void *arg)
{
	struct first_lock *f = arg;
	struct btrfsx_remap_locks l;
	u64 off = f->id * 4096ULL;

	pthread_barrier_wait(f->go);
	if (f->id & 1) {
		/* Odd threads: the destination only, one page each. */
		f->ok = !btrfsx_remap_lock(&l, f->fs, NULL, 0, 0, f->bi, 300,
					   off, 4096, DEDUPE) &&
			btrfsx_range_req_held(&l.dst);
		btrfsx_remap_unlock(&l);
	} else {
		/* All even threads overlap at byte 0: they take turns. */
		f->ok = !btrfsx_remap_lock(&l, f->fs, f->bi, 300, off + 65536,
					   f->bi, 300, 0, off + 1, CLONE);
		if (__atomic_fetch_add(f->holders, 1, __ATOMIC_SEQ_CST))
			f->ok = 0;
		__atomic_fetch_sub(f->holders, 1, __ATOMIC_SEQ_CST);
		btrfsx_remap_unlock(&l);
	}
	return NULL;
}

/*
 * Several threads take an inode's first FILE locks at once: one domain is
 * installed, the others' copies are freed, everyone locks in it (TSan checks
 * the publication).
 */
static void test_concurrent_first_lock(void)
{
	struct btrfsx_fs fs = { .stats = btrfsx_range_stats_alloc() };
	struct btrfsx_range_cpu_stats sum;
	struct first_lock f[8];
	pthread_t t[8];
	pthread_barrier_t go;
	unsigned int round, i;
	long allocs;
	int holders;

	pthread_barrier_init(&go, NULL, 8);
	for (round = 0; round < 200; round++) {
		struct btrfsx_inode bi;

		btrfsx_inode_init(&bi);
		allocs = shim_read_allocs();
		holders = 0;
		for (i = 0; i < 8; i++) {
			f[i] = (struct first_lock){ .fs = &fs, .bi = &bi,
				.id = i, .go = &go, .holders = &holders };
			if (pthread_create(&t[i], NULL, first_lock_main, &f[i]))
				abort();
		}
		for (i = 0; i < 8; i++) {
			pthread_join(t[i], NULL);
			CHECK(f[i].ok);
		}
		CHECK_EQ(shim_read_allocs(), allocs + 1);
		CHECK_EQ(bi.file_locks->key, 300);
		done(&bi);
		CHECK_EQ(shim_read_allocs(), allocs);
	}
	pthread_barrier_destroy(&go);
	btrfsx_range_stats_sum(fs.stats, BTRFSX_RANGE_FILE, DEDUPE, &sum);
	CHECK_EQ(sum.acquired, 200 * 4);
	btrfsx_range_stats_sum(fs.stats, BTRFSX_RANGE_FILE, CLONE, &sum);
	CHECK_EQ(sum.acquired, 200 * 4 * 2);
	btrfsx_range_stats_free(fs.stats);
}

struct cross {
	struct btrfsx_inode *src, *dst;
	unsigned int iters;
	int ok;
};

static void *cross_main(void *arg)
{
	struct cross *c = arg;
	struct btrfsx_remap_locks l;
	unsigned int i;

	for (i = 0; i < c->iters; i++) {
		if (btrfsx_remap_lock(&l, NULL, c->src, 257, 0, c->dst, 257, 0,
				      8192, CLONE))
			return NULL;
		btrfsx_remap_unlock(&l);
	}
	c->ok = 1;
	return NULL;
}

/*
 * Two inodes of different subvolumes with the same number, cloned into each
 * other by two threads (source shared, destination exclusive): the domains
 * are ordered by address after the equal keys, so both threads take them in
 * one order and neither waits holding what the other waits for.
 */
static void test_same_ino_two_inodes(void)
{
	struct btrfsx_inode *pair = calloc(2, sizeof(*pair));
	struct btrfsx_range_req *reqs[2], r1, r2;
	struct btrfsx_remap_locks l;
	struct cross c[2] = {
		{ .src = &pair[0], .dst = &pair[1], .iters = 3000 },
		{ .src = &pair[1], .dst = &pair[0], .iters = 3000 },
	};
	pthread_t t[2];
	unsigned int i;

	btrfsx_inode_init(&pair[0]);
	btrfsx_inode_init(&pair[1]);
	for (i = 2; i-- > 0;) {
		CHECK_EQ(btrfsx_remap_lock(&l, NULL, NULL, 0, 0, &pair[i], 257,
					   0, 1, CLONE), 0);
		btrfsx_remap_unlock(&l);
	}
	CHECK_EQ(pair[0].file_locks->key, pair[1].file_locks->key);

	btrfsx_range_req_init(&r1, pair[0].file_locks, 0, 9, X, CLONE);
	btrfsx_range_req_init(&r2, pair[1].file_locks, 0, 9, S, CLONE);
	reqs[0] = pair[0].file_locks < pair[1].file_locks ? &r2 : &r1;
	reqs[1] = reqs[0] == &r1 ? &r2 : &r1;
	CHECK_EQ(btrfsx_range_lock_multi(reqs, 2), 0);
	CHECK((uintptr_t)reqs[0]->dom < (uintptr_t)reqs[1]->dom);
	btrfsx_range_unlock_multi(reqs, 2);

	for (i = 0; i < 2; i++) {
		if (pthread_create(&t[i], NULL, cross_main, &c[i]))
			abort();
	}
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		CHECK(c[i].ok);
	}
	done(&pair[0]);
	done(&pair[1]);
	free(pair);
}

/* Destroy: idle frees quietly; a queued range warns and leaks the domain. */
static void test_destroy(void)
{
	struct btrfsx_range_domain *dom;
	long allocs = shim_read_allocs();
	struct btrfsx_inode bi;
	struct btrfsx_remap_locks l;

	btrfsx_inode_init(&bi);
	btrfsx_inode_destroy(&bi);		/* never locked */
	CHECK_EQ(btrfsx_remap_lock(&l, NULL, NULL, 0, 0, &bi, 9, 0, 1, CLONE),
		 0);
	btrfsx_remap_unlock(&l);
	btrfsx_inode_destroy(&bi);
	CHECK(!bi.file_locks);
	CHECK_EQ(shim_read_allocs(), allocs);

	btrfsx_inode_init(&bi);
	CHECK_EQ(btrfsx_remap_lock(&l, NULL, NULL, 0, 0, &bi, 9, 0, 1, CLONE),
		 0);
	dom = bi.file_locks;
	test_expect_warnings = 1;
	btrfsx_inode_destroy(&bi);
	CHECK(!bi.file_locks);
	CHECK_EQ(shim_read_allocs(), allocs + 1);	/* kept for l */
	btrfsx_remap_unlock(&l);
	CHECK(btrfsx_range_domain_destroy(dom));
	kfree(dom);
}

/* Two inodes: source shared (readers pass), destination exclusive. */
static void test_remap_two_inodes(void)
{
	struct btrfsx_inode src, dst;
	struct btrfsx_remap_locks l;
	struct btrfsx_range_req c;

	btrfsx_inode_init(&src);
	btrfsx_inode_init(&dst);
	CHECK_EQ(btrfsx_remap_lock(&l, NULL, &src, 1, 4096, &dst, 2, 0, 8192,
				   CLONE), 0);
	CHECK(try(&src, 4096, 4096, S, &c));
	btrfsx_range_unlock(&c);
	CHECK(!try(&src, 12287, 12287, X, &c));
	CHECK(try(&src, 12288, 20000, X, &c));
	btrfsx_range_unlock(&c);
	CHECK(!try(&dst, 8191, 8191, S, &c));
	CHECK(try(&dst, 8192, 8192, X, &c));
	btrfsx_range_unlock(&c);
	btrfsx_remap_unlock(&l);
	CHECK(try(&dst, 0, 8191, X, &c));
	btrfsx_range_unlock(&c);
	done(&src);
	done(&dst);
}

/* No source (6.1 experiment, 6.12): the destination alone. */
static void test_remap_dst_only(void)
{
	struct btrfsx_inode dst;
	struct btrfsx_remap_locks l;
	struct btrfsx_range_req c;

	btrfsx_inode_init(&dst);
	CHECK_EQ(btrfsx_remap_lock(&l, NULL, NULL, 0, 0, &dst, 2, 0, 100,
				   CLONE), 0);
	CHECK_EQ(l.nr, 1);
	CHECK(!try(&dst, 99, 99, S, &c));
	btrfsx_remap_unlock(&l);
	CHECK_EQ(l.nr, 0);
	btrfsx_remap_unlock(&l);	/* a second unlock releases nothing */
	done(&dst);
}

/* One inode, disjoint ranges: both held, the gap stays free. */
static void test_remap_same_inode(void)
{
	struct btrfsx_inode d;
	struct btrfsx_remap_locks l;
	struct btrfsx_range_req c;

	btrfsx_inode_init(&d);
	CHECK_EQ(btrfsx_remap_lock(&l, NULL, &d, 1, 0, &d, 1, 8192, 4096,
				   CLONE), 0);
	CHECK_EQ(l.nr, 2);
	CHECK(try(&d, 100, 100, S, &c));	/* source: shared */
	btrfsx_range_unlock(&c);
	CHECK(try(&d, 4096, 8191, X, &c));	/* the gap */
	btrfsx_range_unlock(&c);
	CHECK(!try(&d, 8192, 8192, S, &c));	/* destination */
	btrfsx_remap_unlock(&l);
	done(&d);
}

/* One inode, overlapping ranges: one exclusive lock over both, no WARN. */
static void test_remap_same_inode_overlap(void)
{
	struct btrfsx_inode d;
	struct btrfsx_remap_locks l;
	struct btrfsx_range_req c;

	btrfsx_inode_init(&d);
	CHECK_EQ(btrfsx_remap_lock(&l, NULL, &d, 1, 4096, &d, 1, 0, 8192,
				   CLONE), 0);
	CHECK_EQ(l.nr, 1);
	CHECK(!try(&d, 12287, 12287, S, &c));
	CHECK(!try(&d, 0, 0, S, &c));
	CHECK(try(&d, 12288, 12288, S, &c));
	btrfsx_range_unlock(&c);
	btrfsx_remap_unlock(&l);
	done(&d);
}

static void test_remap_invalid(void)
{
	struct btrfsx_inode d;
	struct btrfsx_remap_locks l;

	btrfsx_inode_init(&d);
	test_expect_warnings = 2;
	CHECK_EQ(btrfsx_remap_lock(&l, NULL, NULL, 0, 0, &d, 1, 0, 0, CLONE),
		 -EINVAL);
	CHECK_EQ(btrfsx_remap_lock(&l, NULL, &d, 1, U64_MAX, &d, 1, 0, 2,
				   CLONE), -EINVAL);
	CHECK_EQ(l.nr, 0);
	CHECK(!d.file_locks);
	done(&d);
}

const struct test file_lock_tests[] = {
	{ "file domain: allocated on first lock, keyed by ino", test_lazy_domain },
	{ "file domain: -ENOMEM for remap, nothing installed", test_remap_nomem },
	{ "file domain: concurrent first lock installs one", test_concurrent_first_lock },
	{ "file domain: same ino, two inodes, cross clones", test_same_ino_two_inodes },
	{ "file domain: destroy idle frees, queued warns", test_destroy },
	{ "remap: source shared, destination exclusive", test_remap_two_inodes },
	{ "remap: destination only", test_remap_dst_only },
	{ "remap: one inode, disjoint ranges", test_remap_same_inode },
	{ "remap: one inode, overlapping ranges merge", test_remap_same_inode_overlap },
	{ "remap: invalid lengths", test_remap_invalid },
};

const unsigned int nr_file_lock_tests = ARRAY_SIZE(file_lock_tests);
