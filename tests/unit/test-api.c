// SPDX-License-Identifier: GPL-2.0
/* One case per behaviour of the range lock API. */

#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "tests.h"

#define S	BTRFSX_RANGE_SHARED
#define X	BTRFSX_RANGE_EXCL
#define OTHER	BTRFSX_RANGE_OTHER
#define CHUNK	4096ULL		/* DISK chunk size used by these cases */

static bool try(struct btrfsx_range_domain *dom, u64 start, u64 end,
		enum btrfsx_range_mode mode, struct btrfsx_range_req *req)
{
	return btrfsx_range_trylock(dom, start, end, mode, OTHER, req);
}

static void file_init(struct btrfsx_range_domain *dom, u64 ino)
{
	btrfsx_range_domain_init_file(dom, ino, NULL);
}

static void disk_init(struct btrfsx_range_domain *dom)
{
	CHECK_EQ(btrfsx_range_domain_init_disk(dom, 12, 8, NULL), 0);
}

/* Every test ends with its domains idle and consistent. */
static void done(struct btrfsx_range_domain *dom)
{
	CHECK_EQ(check_domain(dom), 0);
	CHECK(domain_empty(dom));
	btrfsx_range_domain_destroy(dom);
}

static void test_shared_shared(void)
{
	struct btrfsx_range_domain d;
	struct btrfsx_range_req a, b;
	struct locker l;

	file_init(&d, 1);
	CHECK(try(&d, 0, 99, S, &a));
	CHECK(try(&d, 50, 149, S, &b));
	locker_start(&l, &d, 10, 20, S);
	CHECK(locker_granted(&l));
	CHECK_EQ(check_domain(&d), 0);
	locker_finish(&l);
	btrfsx_range_unlock(&a);
	btrfsx_range_unlock(&b);
	done(&d);
}

static void test_shared_excl_conflict(void)
{
	struct btrfsx_range_domain d;
	struct btrfsx_range_req a, b;
	struct locker l1, l2;

	file_init(&d, 1);
	CHECK(try(&d, 0, 99, S, &a));
	CHECK(!try(&d, 99, 99, X, &b));		/* end is inclusive */
	CHECK(try(&d, 100, 200, X, &b));	/* adjacent is not overlap */
	locker_start(&l1, &d, 50, 60, X);
	CHECK(locker_queued(&l1));
	CHECK(locker_blocked(&l1));
	locker_start(&l2, &d, 150, 150, S);
	CHECK(locker_queued(&l2));
	CHECK(locker_blocked(&l2));
	CHECK_EQ(check_domain(&d), 0);

	btrfsx_range_unlock(&a);
	CHECK(locker_granted(&l1));
	CHECK(locker_blocked(&l2));
	btrfsx_range_unlock(&b);
	CHECK(locker_granted(&l2));
	locker_finish(&l1);
	locker_finish(&l2);
	done(&d);
}

static void test_limits(void)
{
	struct btrfsx_range_domain d, dd;
	struct btrfsx_range_req a, b;
	long allocs = shim_read_allocs();

	file_init(&d, 1);
	CHECK(try(&d, 0, U64_MAX, X, &a));
	CHECK(!try(&d, U64_MAX, U64_MAX, S, &b));
	CHECK(!try(&d, 0, 0, S, &b));
	btrfsx_range_unlock(&a);
	CHECK(try(&d, U64_MAX - 9, U64_MAX, X, &a));
	CHECK(try(&d, 0, U64_MAX - 10, X, &b));
	btrfsx_range_unlock(&a);
	btrfsx_range_unlock(&b);
	done(&d);

	/* A DISK range over everything has a node in every shard. */
	disk_init(&dd);
	CHECK(try(&dd, 0, U64_MAX, S, &a));
	CHECK_EQ(a.nr_nodes, 8);
	CHECK(shim_read_allocs() > allocs + 1);
	CHECK(!try(&dd, U64_MAX, U64_MAX, X, &b));
	CHECK(!try(&dd, 5 * CHUNK, 5 * CHUNK, X, &b));
	CHECK(try(&dd, U64_MAX - 1, U64_MAX, S, &b));
	CHECK_EQ(check_domain(&dd), 0);
	btrfsx_range_unlock(&a);
	btrfsx_range_unlock(&b);
	CHECK(try(&dd, U64_MAX, U64_MAX, X, &b));
	btrfsx_range_unlock(&b);
	done(&dd);
}

/* S held, X waits: a later S must wait behind the X, not join the S. */
static void test_fifo_no_starvation(void)
{
	struct btrfsx_range_domain d;
	struct btrfsx_range_req a, b;
	struct locker l1, l2;

	file_init(&d, 1);
	CHECK(try(&d, 0, 99, S, &a));
	locker_start(&l1, &d, 0, 99, X);
	CHECK(locker_queued(&l1));
	locker_start(&l2, &d, 10, 20, S);
	CHECK(locker_queued(&l2));
	CHECK(locker_blocked(&l1));
	CHECK(locker_blocked(&l2));
	CHECK(!try(&d, 50, 50, S, &b));
	CHECK_EQ(check_domain(&d), 0);

	btrfsx_range_unlock(&a);
	CHECK(locker_granted(&l1));
	CHECK(locker_blocked(&l2));
	locker_finish(&l1);
	CHECK(locker_granted(&l2));
	locker_finish(&l2);
	done(&d);
}

/* Grants follow queue order among overlapping conflicting requests. */
static void test_fifo_grant_order(void)
{
	struct btrfsx_range_domain d;
	struct btrfsx_range_req a;
	struct locker l1, l2, l3, l4;

	file_init(&d, 1);
	CHECK(try(&d, 0, 99, X, &a));
	locker_start(&l1, &d, 0, 9, S);
	CHECK(locker_queued(&l1));
	locker_start(&l2, &d, 5, 14, X);
	CHECK(locker_queued(&l2));
	locker_start(&l3, &d, 0, 9, S);
	CHECK(locker_queued(&l3));
	locker_start(&l4, &d, 20, 29, S);
	CHECK(locker_queued(&l4));
	CHECK_EQ(check_domain(&d), 0);

	btrfsx_range_unlock(&a);
	CHECK(locker_granted(&l1));
	CHECK(locker_granted(&l4));
	CHECK(locker_blocked(&l2));	/* behind l1 */
	CHECK(locker_blocked(&l3));	/* behind l2, although l1 is shared */
	locker_finish(&l1);
	CHECK(locker_granted(&l2));
	CHECK(locker_blocked(&l3));
	locker_finish(&l2);
	CHECK(locker_granted(&l3));
	locker_finish(&l3);
	locker_finish(&l4);
	done(&d);
}

static void test_trylock_behind_waiter(void)
{
	struct btrfsx_range_stats __percpu *st = btrfsx_range_stats_alloc();
	struct btrfsx_range_cpu_stats sum;
	struct btrfsx_range_domain d;
	struct btrfsx_range_req a, b;
	struct locker l1;

	btrfsx_range_domain_init_file(&d, 1, st);
	CHECK(try(&d, 0, 9, S, &a));
	locker_start(&l1, &d, 5, 20, X);
	CHECK(locker_queued(&l1));
	CHECK(!try(&d, 15, 20, S, &b));		/* only the waiter overlaps */
	CHECK(!try(&d, 20, 25, X, &b));
	CHECK(try(&d, 21, 30, S, &b));
	btrfsx_range_unlock(&b);
	btrfsx_range_unlock(&a);
	CHECK(locker_granted(&l1));
	locker_finish(&l1);

	btrfsx_range_stats_sum(st, BTRFSX_RANGE_FILE, OTHER, &sum);
	CHECK_EQ(sum.acquired, 3);
	CHECK_EQ(sum.contended, 1);
	CHECK_EQ(sum.trylock_failed, 2);
	done(&d);
	btrfsx_range_stats_free(st);
}

static void test_killable(void)
{
	struct btrfsx_range_domain d;
	struct btrfsx_range_req a, b;
	struct locker l1, l2;

	file_init(&d, 1);
	CHECK(try(&d, 0, 9, S, &a));
	locker_start(&l1, &d, 0, 19, X);
	CHECK(locker_queued(&l1));
	locker_start(&l2, &d, 15, 19, S);	/* blocked only by l1 */
	CHECK(locker_queued(&l2));
	CHECK(locker_blocked(&l2));
	CHECK(!try(&d, 10, 14, S, &b));

	locker_kill(&l1);
	CHECK(!locker_granted(&l1));
	CHECK_EQ(locker_ret(&l1), -EINTR);
	CHECK(!req_queued(&d, &l1.req));
	CHECK(locker_granted(&l2));
	CHECK(try(&d, 10, 14, X, &b));
	CHECK_EQ(check_domain(&d), 0);
	btrfsx_range_unlock(&b);
	locker_finish(&l1);
	locker_finish(&l2);
	btrfsx_range_unlock(&a);
	done(&d);
}

/* nokill: a fatal signal does not end the wait; it returns holding. */
static void test_nokill(void)
{
	struct btrfsx_range_domain d;
	struct btrfsx_range_req a, b;
	struct locker l1;

	file_init(&d, 1);
	CHECK(try(&d, 0, 9, X, &a));
	locker_start_kind(&l1, &d, 5, 14, X, LOCKER_NOKILL);
	CHECK(locker_queued(&l1));
	locker_kill(&l1);
	sleep_us(20000);
	CHECK(!locker_returned(&l1));
	CHECK(locker_blocked(&l1));
	btrfsx_range_unlock(&a);
	CHECK(locker_granted(&l1));
	CHECK(btrfsx_range_req_held(&l1.req));
	CHECK(!try(&d, 14, 14, S, &b));
	locker_finish(&l1);
	done(&d);
}

/* A held or waiting request is not taken over by a second lock call. */
static void test_lock_busy_request(void)
{
	struct btrfsx_range_domain d;
	struct btrfsx_range_req a, b, c;
	struct btrfsx_range_req *reqs[] = { &b, &a };
	struct locker l1;

	file_init(&d, 1);
	CHECK(try(&d, 0, 9, X, &a));
	test_expect_warnings = 9;
	/* Held: every lock call refuses it and leaves it held as it was. */
	CHECK_EQ(btrfsx_range_lock(&d, 20, 29, X, OTHER, &a), -EINVAL);
	CHECK(!try(&d, 20, 29, S, &a));
	btrfsx_range_lock_nokill(&d, 20, 29, X, OTHER, &a);
	btrfsx_range_req_init(&b, &d, 40, 49, X, OTHER);
	btrfsx_range_req_init(&a, &d, 20, 29, X, OTHER);	/* untouched */
	CHECK_EQ(btrfsx_range_lock_multi(reqs, 2), -EINVAL);
	CHECK(!btrfsx_range_req_held(&b));
	CHECK(btrfsx_range_req_held(&a));
	CHECK_EQ(a.start, 0);
	CHECK_EQ(a.end, 9);
	CHECK(try(&d, 20, 29, X, &c));		/* nothing took 20-29 */
	btrfsx_range_unlock(&c);
	CHECK_EQ(check_domain(&d), 0);

	/* Waiting: refused too; it is granted as usual afterwards. */
	locker_start(&l1, &d, 5, 14, X);
	CHECK(locker_queued(&l1));
	CHECK(!try(&d, 100, 100, S, &l1.req));
	CHECK_EQ(btrfsx_range_lock(&d, 100, 100, S, OTHER, &l1.req), -EINVAL);
	CHECK(locker_blocked(&l1));
	CHECK_EQ(check_domain(&d), 0);
	btrfsx_range_unlock(&a);
	CHECK(locker_granted(&l1));
	locker_finish(&l1);

	/* Unlocking what is not held: a released or a never-locked request. */
	btrfsx_range_unlock(&a);
	btrfsx_range_unlock(&b);
	memset(&c, 0, sizeof(c));
	btrfsx_range_unlock(&c);
	done(&d);
}

/* Leftover bytes (a fresh stack slot) read as idle, not as busy. */
static void test_lock_garbage_request(void)
{
	struct btrfsx_range_domain d;
	struct btrfsx_range_req a;
	int byte;

	file_init(&d, 1);
	for (byte = 0; byte < 256; byte += 0x55) {
		memset(&a, byte, sizeof(a));
		CHECK(!btrfsx_range_req_held(&a));
		CHECK(try(&d, 0, 9, X, &a));
		btrfsx_range_unlock(&a);
		memset(&a, byte, sizeof(a));
		CHECK_EQ(btrfsx_range_lock(&d, 0, 9, X, OTHER, &a), 0);
		btrfsx_range_unlock(&a);
	}
	done(&d);
}

/* A pending fatal signal fails a contended wait, not an uncontended lock. */
static void test_killed_before_wait(void)
{
	struct btrfsx_range_domain d;
	struct btrfsx_range_req b, c;
	struct locker l1;

	file_init(&d, 1);
	locker_start(&l1, &d, 0, 9, X);
	CHECK(locker_granted(&l1));
	shim_kill(current);
	CHECK_EQ(btrfsx_range_lock(&d, 5, 5, S, OTHER, &b), -EINTR);
	CHECK(!btrfsx_range_req_held(&b));
	CHECK_EQ(btrfsx_range_lock(&d, 20, 30, S, OTHER, &c), 0);
	btrfsx_range_unlock(&c);
	shim_clear_kill(current);
	locker_finish(&l1);
	done(&d);
}

static void test_multi_two_inodes(void)
{
	struct btrfsx_range_domain d5, d3;
	struct btrfsx_range_req a, b, c;
	struct btrfsx_range_req *reqs[] = { &a, &b };

	file_init(&d5, 5);
	file_init(&d3, 3);
	btrfsx_range_req_init(&a, &d5, 0, 9, S, BTRFSX_RANGE_CLONE);
	btrfsx_range_req_init(&b, &d3, 100, 199, X, BTRFSX_RANGE_CLONE);
	CHECK_EQ(btrfsx_range_lock_multi(reqs, 2), 0);
	CHECK(reqs[0] == &b);	/* lower inode number first */
	CHECK(btrfsx_range_req_held(&a));
	CHECK(btrfsx_range_req_held(&b));
	CHECK(!try(&d3, 150, 150, S, &c));
	CHECK(try(&d5, 5, 5, S, &c));
	btrfsx_range_unlock(&c);
	btrfsx_range_unlock_multi(reqs, 2);
	done(&d5);
	done(&d3);
}

/*
 * Ranges of one domain are queued as one group: no member is held while
 * another waits, so the group cannot be part of a wait cycle.
 */
static void test_multi_same_inode(void)
{
	struct btrfsx_range_domain d;
	struct btrfsx_range_req m1, m2, c;
	struct btrfsx_range_req *reqs[] = { &m1, &m2 };
	struct locker l1, l2, l3;

	file_init(&d, 1);
	locker_start(&l3, &d, 0, 5, X);
	CHECK(locker_granted(&l3));
	locker_start(&l2, &d, 0, 25, X);
	CHECK(locker_queued(&l2));
	btrfsx_range_req_init(&m1, &d, 20, 30, X, BTRFSX_RANGE_CLONE);
	btrfsx_range_req_init(&m2, &d, 10, 15, X, BTRFSX_RANGE_CLONE);
	locker_start_multi(&l1, reqs, 2);
	CHECK(locker_queued(&l1));
	CHECK(locker_blocked(&l1));
	CHECK(!try(&d, 28, 28, S, &c));		/* a waiting member */
	CHECK(try(&d, 31, 40, S, &c));
	btrfsx_range_unlock(&c);
	CHECK_EQ(check_domain(&d), 0);

	locker_finish(&l3);
	CHECK(locker_granted(&l2));
	CHECK(locker_blocked(&l1));
	locker_finish(&l2);
	CHECK(locker_granted(&l1));
	CHECK(reqs[0] == &m2);
	locker_finish(&l1);
	done(&d);
}

static void test_multi_overlap(void)
{
	struct btrfsx_range_domain d, e;
	struct btrfsx_range_req a, b;
	struct btrfsx_range_req *reqs[] = { &a, &b };

	file_init(&d, 1);
	file_init(&e, 2);
	btrfsx_range_req_init(&a, &d, 0, 9, S, OTHER);
	btrfsx_range_req_init(&b, &d, 9, 20, S, OTHER);
	test_expect_warnings = 1;
	CHECK_EQ(btrfsx_range_lock_multi(reqs, 2), -EINVAL);
	CHECK(!btrfsx_range_req_held(&a));
	CHECK(!btrfsx_range_req_held(&b));
	/* The same offsets in two inodes are fine. */
	btrfsx_range_req_init(&a, &e, 0, 9, X, OTHER);
	btrfsx_range_req_init(&b, &d, 0, 9, X, OTHER);
	CHECK_EQ(btrfsx_range_lock_multi(reqs, 2), 0);
	btrfsx_range_unlock_multi(reqs, 2);
	done(&d);
	done(&e);
}

static void test_multi_eintr(void)
{
	struct btrfsx_range_domain da, db;
	struct btrfsx_range_req a, b, c;
	struct btrfsx_range_req *reqs[] = { &b, &a };
	struct locker l0, l1;

	file_init(&da, 1);
	file_init(&db, 2);
	locker_start(&l0, &db, 0, 9, X);
	CHECK(locker_granted(&l0));
	btrfsx_range_req_init(&a, &da, 0, 9, X, OTHER);
	btrfsx_range_req_init(&b, &db, 5, 5, S, OTHER);
	locker_start_multi(&l1, reqs, 2);
	CHECK(locker_queued(&l1));
	/* Wait until inode 1 is held and inode 2 is waited for. */
	while (!req_queued(&db, &b))
		sleep_us(100);
	CHECK(locker_blocked(&l1));
	CHECK(!try(&da, 0, 0, S, &c));
	locker_kill(&l1);
	CHECK(!locker_granted(&l1));
	CHECK_EQ(locker_ret(&l1), -EINTR);
	CHECK(try(&da, 0, 9, X, &c));		/* inode 1 was released */
	btrfsx_range_unlock(&c);
	locker_finish(&l1);
	locker_finish(&l0);
	done(&da);
	done(&db);
}

static void test_multi_file_then_disk(void)
{
	struct btrfsx_range_domain f, dd;
	struct btrfsx_range_req a, b;
	struct btrfsx_range_req *reqs[] = { &a, &b };

	file_init(&f, 7);
	disk_init(&dd);
	btrfsx_range_req_init(&a, &dd, 0, CHUNK - 1, X, BTRFSX_RANGE_DEDUPE);
	btrfsx_range_req_init(&b, &f, 0, 9, X, BTRFSX_RANGE_DEDUPE);
	CHECK_EQ(btrfsx_range_lock_multi(reqs, 2), 0);
	CHECK(reqs[0] == &b);
	CHECK_EQ(shim_lockdep_depth(), 2);	/* one hold per class */
	btrfsx_range_unlock_multi(reqs, 2);
	done(&f);
	done(&dd);
}

/*
 * lockdep sees one hold per class, in the strongest mode of the class's
 * members: a clone's shared source sorting before its exclusive destination
 * is still an exclusive FILE hold.
 */
static void test_multi_lockdep_mode(void)
{
	struct btrfsx_range_domain d1, d2, dd;
	struct btrfsx_range_req a, b, c;
	struct btrfsx_range_req *reqs[] = { &a, &b, &c };

	file_init(&d1, 1);
	file_init(&d2, 2);
	disk_init(&dd);
	btrfsx_range_req_init(&a, &d1, 0, 9, S, BTRFSX_RANGE_CLONE);
	btrfsx_range_req_init(&b, &d2, 0, 9, X, BTRFSX_RANGE_CLONE);
	btrfsx_range_req_init(&c, &dd, 0, 9, S, BTRFSX_RANGE_CLONE);
	CHECK_EQ(btrfsx_range_lock_multi(reqs, 3), 0);
	CHECK(reqs[0] == &a);		/* the shared member leads */
	CHECK_EQ(shim_lockdep_held_read("btrfsx_range_file"), 0);
	CHECK_EQ(shim_lockdep_held_read("btrfsx_range_disk"), 1);
	btrfsx_range_unlock_multi(reqs, 3);
	CHECK_EQ(shim_lockdep_depth(), 0);

	/* All shared: a read hold. */
	btrfsx_range_req_init(&a, &d1, 0, 9, S, BTRFSX_RANGE_CLONE);
	btrfsx_range_req_init(&b, &d2, 0, 9, S, BTRFSX_RANGE_CLONE);
	btrfsx_range_req_init(&c, &dd, 0, 9, X, BTRFSX_RANGE_CLONE);
	CHECK_EQ(btrfsx_range_lock_multi(reqs, 3), 0);
	CHECK_EQ(shim_lockdep_held_read("btrfsx_range_file"), 1);
	CHECK_EQ(shim_lockdep_held_read("btrfsx_range_disk"), 0);
	btrfsx_range_unlock_multi(reqs, 3);

	/* One domain, exclusive member second by offset. */
	btrfsx_range_req_init(&a, &d1, 0, 9, S, BTRFSX_RANGE_CLONE);
	btrfsx_range_req_init(&b, &d1, 20, 29, X, BTRFSX_RANGE_CLONE);
	CHECK_EQ(btrfsx_range_lock_multi(reqs, 2), 0);
	CHECK_EQ(shim_lockdep_held_read("btrfsx_range_file"), 0);
	btrfsx_range_unlock_multi(reqs, 2);
	CHECK_EQ(shim_lockdep_depth(), 0);
	done(&d1);
	done(&d2);
	done(&dd);
}

static void test_disk_shards(void)
{
	struct btrfsx_range_domain d;
	struct btrfsx_range_req a, b, c, e;

	disk_init(&d);
	CHECK(try(&d, 0, CHUNK - 1, X, &a));
	CHECK(try(&d, CHUNK, 2 * CHUNK - 1, X, &b));
	CHECK_EQ(a.nr_nodes, 1);
	CHECK(!try(&d, CHUNK - 96, CHUNK + 104, X, &c));	/* spans both */
	btrfsx_range_unlock(&a);
	btrfsx_range_unlock(&b);
	CHECK(try(&d, CHUNK - 96, CHUNK + 104, X, &c));
	CHECK_EQ(c.nr_nodes, 2);
	CHECK(try(&d, 8 * CHUNK, 8 * CHUNK + 10, X, &e));	/* shard 0 too */
	btrfsx_range_unlock(&c);
	btrfsx_range_unlock(&e);

	/* Chunks 7, 8, 9: shards 7, 0, 1 */
	CHECK(try(&d, 7 * CHUNK, 9 * CHUNK + 5, X, &a));
	CHECK_EQ(a.nr_nodes, 3);
	CHECK(!try(&d, 9 * CHUNK, 9 * CHUNK, S, &b));
	CHECK(!try(&d, 7 * CHUNK + 7, 7 * CHUNK + 7, S, &b));
	CHECK(try(&d, 9 * CHUNK + 6, 10 * CHUNK, S, &b));
	CHECK(try(&d, 2 * CHUNK, 2 * CHUNK, S, &c));
	CHECK(!try(&d, 0, 100000, S, &e));
	CHECK_EQ(check_domain(&d), 0);
	btrfsx_range_unlock(&a);
	btrfsx_range_unlock(&b);
	btrfsx_range_unlock(&c);
	CHECK(try(&d, 0, 100000, S, &e));
	CHECK_EQ(e.nr_nodes, 8);
	btrfsx_range_unlock(&e);
	done(&d);
}

static void test_stats_format(void)
{
	struct btrfsx_range_stats __percpu *st = btrfsx_range_stats_alloc();
	struct btrfsx_range_domain d, dd;
	struct btrfsx_range_req a, b;
	struct locker l1;
	char buf[4096], small[40], *line, *save;
	int lines = 0, len;

	btrfsx_range_domain_init_file(&d, 1, st);
	CHECK_EQ(btrfsx_range_domain_init_disk(&dd, 12, 8, st), 0);
	CHECK(btrfsx_range_trylock(&d, 0, 9, X, BTRFSX_RANGE_CLONE, &a));
	CHECK(!btrfsx_range_trylock(&d, 5, 5, X, BTRFSX_RANGE_CLONE, &b));
	locker_start(&l1, &d, 0, 9, X);
	CHECK(locker_queued(&l1));
	sleep_us(3000);
	btrfsx_range_unlock(&a);
	CHECK(locker_granted(&l1));
	locker_finish(&l1);
	CHECK(btrfsx_range_trylock(&dd, 0, 0, S, BTRFSX_RANGE_RELOCATION, &a));
	btrfsx_range_unlock(&a);

	len = btrfsx_range_stats_format(st, buf, sizeof(buf));
	CHECK_EQ(len, strlen(buf));
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long acq, cont, fail, cnt;
		char class[16], caller[16];
		unsigned int bucket;
		int n;

		if (lines++ == 0) {
			CHECK(line[0] == '#');
			continue;
		}
		CHECK_EQ(sscanf(line, "%15s %15s %llu %llu %llu%n", class,
				caller, &acq, &cont, &fail, &n), 5);
		if (!strcmp(class, "file") && !strcmp(caller, "clone")) {
			CHECK(acq == 1 && cont == 0 && fail == 1);
		} else if (!strcmp(class, "file") && !strcmp(caller, "other")) {
			CHECK(acq == 1 && cont == 1 && fail == 0);
			/* waited >= 3ms: fls64(3e6) = 22 */
			CHECK_EQ(sscanf(line + n, " %u:%llu", &bucket, &cnt), 2);
			CHECK(bucket >= 22 && bucket < BTRFSX_RANGE_HIST_BUCKETS);
			CHECK_EQ(cnt, 1);
		} else if (!strcmp(class, "disk") &&
			   !strcmp(caller, "relocation")) {
			CHECK(acq == 1 && cont == 0 && fail == 0);
		} else {
			CHECK(acq == 0 && cont == 0 && fail == 0);
			CHECK(line[n] == '\0');
		}
	}
	CHECK_EQ(lines, 1 + BTRFSX_RANGE_NR_CLASSES * BTRFSX_RANGE_NR_CALLERS);

	len = btrfsx_range_stats_format(st, small, sizeof(small));
	CHECK_EQ(len, sizeof(small) - 1);
	CHECK_EQ(strlen(small), sizeof(small) - 1);

	done(&d);
	done(&dd);
	btrfsx_range_stats_free(st);
}

/* A class or caller out of range is not an index into the counters. */
static void test_stats_bad_index(void)
{
	struct btrfsx_range_stats __percpu *st = btrfsx_range_stats_alloc();
	enum btrfsx_range_caller bad = (enum btrfsx_range_caller)200;
	struct btrfsx_range_cpu_stats sum;
	struct btrfsx_range_domain d;
	struct btrfsx_range_req a, b;
	unsigned int class, caller;

	btrfsx_range_domain_init_file(&d, 1, st);
	test_expect_warnings = 4;
	CHECK_EQ(btrfsx_range_lock(&d, 0, 9, X, bad, &a), 0);
	CHECK(!btrfsx_range_trylock(&d, 0, 9, X, BTRFSX_RANGE_NR_CALLERS, &b));
	btrfsx_range_unlock(&a);
	for (class = 0; class < BTRFSX_RANGE_NR_CLASSES; class++) {
		for (caller = 0; caller < BTRFSX_RANGE_NR_CALLERS; caller++) {
			btrfsx_range_stats_sum(st, class, caller, &sum);
			CHECK_EQ(sum.acquired + sum.trylock_failed, 0);
		}
	}
	memset(&sum, 0xff, sizeof(sum));
	btrfsx_range_stats_sum(st, BTRFSX_RANGE_FILE, bad, &sum);
	CHECK_EQ(sum.acquired, 0);
	btrfsx_range_stats_sum(st, BTRFSX_RANGE_NR_CLASSES, OTHER, &sum);
	CHECK_EQ(sum.acquired, 0);
	CHECK(!strcmp(btrfsx_range_caller_name(bad), "?"));
	done(&d);
	btrfsx_range_stats_free(st);
}

static void test_invalid(void)
{
	struct btrfsx_range_domain d, dd;
	struct btrfsx_range_req a;

	file_init(&d, 1);
	test_expect_warnings = 2;
	CHECK_EQ(btrfsx_range_lock(&d, 10, 9, X, OTHER, &a), -EINVAL);
	CHECK(!try(&d, 10, 9, S, &a));
	CHECK_EQ(btrfsx_range_domain_init_disk(&dd, 12, 3, NULL), -EINVAL);
	CHECK_EQ(btrfsx_range_domain_init_disk(&dd, 12, 128, NULL), -EINVAL);
	CHECK_EQ(btrfsx_range_domain_init_disk(&dd, 64, 8, NULL), -EINVAL);
	CHECK_EQ(btrfsx_range_domain_init_disk(&dd, 0, 1, NULL), 0);
	btrfsx_range_domain_destroy(&dd);
	done(&d);
}

/* A trylock whose node array cannot be allocated without sleeping fails. */
static void test_trylock_nomem(void)
{
	struct btrfsx_range_stats __percpu *st = btrfsx_range_stats_alloc();
	struct btrfsx_range_cpu_stats sum;
	struct btrfsx_range_domain d;
	struct btrfsx_range_req a;

	CHECK_EQ(btrfsx_range_domain_init_disk(&d, 12, 8, st), 0);
	__atomic_store_n(&shim_fail_nowait, 1, __ATOMIC_SEQ_CST);
	CHECK(!btrfsx_range_trylock(&d, 0, 10 * CHUNK, S, OTHER, &a));
	CHECK(btrfsx_range_trylock(&d, 0, 2 * CHUNK - 1, S, OTHER, &a));
	__atomic_store_n(&shim_fail_nowait, 0, __ATOMIC_SEQ_CST);
	btrfsx_range_unlock(&a);
	btrfsx_range_stats_sum(st, BTRFSX_RANGE_DISK, OTHER, &sum);
	CHECK_EQ(sum.trylock_failed, 1);
	CHECK_EQ(sum.acquired, 1);
	done(&d);
	btrfsx_range_stats_free(st);
}

/* Many shared holders; an exclusive waiter is granted once all are gone. */
static void test_many_shared(void)
{
	struct btrfsx_range_domain d;
	struct btrfsx_range_req r[40];
	struct locker l1, l2;
	int i;

	file_init(&d, 1);
	for (i = 0; i < 40; i++)
		CHECK(try(&d, i, 100 + i, S, &r[i]));
	locker_start(&l1, &d, 50, 50, X);
	CHECK(locker_queued(&l1));
	locker_start(&l2, &d, 0, 0, S);		/* only r[0] overlaps: ok */
	CHECK(locker_granted(&l2));
	for (i = 0; i < 40; i++) {
		CHECK(locker_blocked(&l1));
		btrfsx_range_unlock(&r[i]);
	}
	CHECK(locker_granted(&l1));
	locker_finish(&l1);
	locker_finish(&l2);
	done(&d);
}

const struct test api_tests[] = {
	{ "shared/shared overlap is compatible", test_shared_shared },
	{ "shared/exclusive conflict, inclusive ends", test_shared_excl_conflict },
	{ "ranges at 0 and U64_MAX, FILE and DISK", test_limits },
	{ "FIFO: S held, X waits, later S waits behind X", test_fifo_no_starvation },
	{ "FIFO: grant order among overlapping waiters", test_fifo_grant_order },
	{ "trylock fails behind an earlier waiter", test_trylock_behind_waiter },
	{ "killable wait returns -EINTR and leaves nothing", test_killable },
	{ "pending fatal signal: contended fails, uncontended ok", test_killed_before_wait },
	{ "nokill: a fatal signal does not end the wait", test_nokill },
	{ "a held or waiting request is refused, with a WARN", test_lock_busy_request },
	{ "a request of leftover bytes is idle", test_lock_garbage_request },
	{ "multi: two inodes, sorted by inode number", test_multi_two_inodes },
	{ "multi: same inode ranges queue as one group", test_multi_same_inode },
	{ "multi: overlapping ranges of one domain rejected", test_multi_overlap },
	{ "multi: -EINTR releases what was taken", test_multi_eintr },
	{ "multi: FILE before DISK, one lockdep hold per class", test_multi_file_then_disk },
	{ "multi: lockdep hold in the strongest mode of the class", test_multi_lockdep_mode },
	{ "DISK shards: chunks, spans, wrap-around, all shards", test_disk_shards },
	{ "statistics: counters, histogram, text format", test_stats_format },
	{ "statistics: class or caller out of range, no overflow", test_stats_bad_index },
	{ "invalid arguments", test_invalid },
	{ "trylock fails when its node array cannot be allocated", test_trylock_nomem },
	{ "many shared holders then exclusive", test_many_shared },
};

const unsigned int nr_api_tests = ARRAY_SIZE(api_tests);
