// SPDX-License-Identifier: GPL-2.0
/* src/file-lock.c: the file ranges of a clone or dedupe call. */

#include "harness.h"
#include "tests.h"
#include "btrfsx/file-lock.h"

#define S	BTRFSX_RANGE_SHARED
#define X	BTRFSX_RANGE_EXCL
#define CLONE	BTRFSX_RANGE_CLONE

static bool try(struct btrfsx_range_domain *dom, u64 start, u64 end,
		enum btrfsx_range_mode mode, struct btrfsx_range_req *req)
{
	return btrfsx_range_trylock(dom, start, end, mode, BTRFSX_RANGE_OTHER,
				    req);
}

static void done(struct btrfsx_inode *bi)
{
	CHECK(bi->file_locks);
	if (bi->file_locks) {
		CHECK_EQ(check_domain(bi->file_locks), 0);
		CHECK(domain_empty(bi->file_locks));
	}
	btrfsx_inode_destroy(bi);
	CHECK(!bi->file_locks);
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
	CHECK(try(src.file_locks, 4096, 4096, S, &c));
	btrfsx_range_unlock(&c);
	CHECK(!try(src.file_locks, 12287, 12287, X, &c));
	CHECK(try(src.file_locks, 12288, 20000, X, &c));
	btrfsx_range_unlock(&c);
	CHECK(!try(dst.file_locks, 8191, 8191, S, &c));
	CHECK(try(dst.file_locks, 8192, 8192, X, &c));
	btrfsx_range_unlock(&c);
	btrfsx_remap_unlock(&l);
	CHECK(try(dst.file_locks, 0, 8191, X, &c));
	btrfsx_range_unlock(&c);
	done(&src);
	done(&dst);
}

/* No source domain (6.1 experiment, 6.12): the destination alone. */
static void test_remap_dst_only(void)
{
	struct btrfsx_inode dst;
	struct btrfsx_remap_locks l;
	struct btrfsx_range_req c;

	btrfsx_inode_init(&dst);
	CHECK_EQ(btrfsx_remap_lock(&l, NULL, NULL, 0, 0, &dst, 2, 0, 100, CLONE),
		 0);
	CHECK_EQ(l.nr, 1);
	CHECK(!try(dst.file_locks, 99, 99, S, &c));
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
	CHECK_EQ(btrfsx_remap_lock(&l, NULL, &d, 1, 0, &d, 1, 8192, 4096, CLONE),
		 0);
	CHECK_EQ(l.nr, 2);
	CHECK(try(d.file_locks, 100, 100, S, &c));	/* source: shared */
	btrfsx_range_unlock(&c);
	CHECK(try(d.file_locks, 4096, 8191, X, &c));	/* the gap */
	btrfsx_range_unlock(&c);
	CHECK(!try(d.file_locks, 8192, 8192, S, &c));	/* destination */
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
	CHECK_EQ(btrfsx_remap_lock(&l, NULL, &d, 1, 4096, &d, 1, 0, 8192, CLONE),
		 0);
	CHECK_EQ(l.nr, 1);
	CHECK(!try(d.file_locks, 12287, 12287, S, &c));
	CHECK(!try(d.file_locks, 0, 0, S, &c));
	CHECK(try(d.file_locks, 12288, 12288, S, &c));
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
	CHECK_EQ(btrfsx_remap_lock(&l, NULL, &d, 1, U64_MAX, &d, 1, 0, 2, CLONE),
		 -EINVAL);
	CHECK_EQ(l.nr, 0);
	done(&d);
}

/* The data-relocation inode's page ranges. */
static void test_file_lock(void)
{
	struct btrfsx_inode d;
	struct btrfsx_range_req a, c;

	btrfsx_inode_init(&d);
	btrfsx_file_lock(NULL, &d, 1, 0, 4095, BTRFSX_RANGE_RELOCATION, &a);
	CHECK(!try(d.file_locks, 0, 0, S, &c));
	btrfsx_file_unlock(&a);
	done(&d);
}

const struct test file_lock_tests[] = {
	{ "remap: source shared, destination exclusive", test_remap_two_inodes },
	{ "remap: destination only", test_remap_dst_only },
	{ "remap: one inode, disjoint ranges", test_remap_same_inode },
	{ "remap: one inode, overlapping ranges merge", test_remap_same_inode_overlap },
	{ "remap: invalid lengths", test_remap_invalid },
	{ "file lock: exclusive page range", test_file_lock },
};

const unsigned int nr_file_lock_tests = ARRAY_SIZE(file_lock_tests);
