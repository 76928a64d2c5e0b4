/* SPDX-License-Identifier: GPL-2.0 */
/* Test helpers: TAP checks, locker threads, white-box domain inspection. */
#ifndef RL_HARNESS_H
#define RL_HARNESS_H

#include <pthread.h>
#include <stdio.h>
#include <linux/errno.h>
#include <linux/types.h>
#include <btrfsx/range-lock.h>
#include "shim/shim.h"

/* Failure of the current test case; the runner prints "not ok". */
void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
extern int test_expect_warnings;	/* WARN_ON hits the case expects */

#define CHECK(cond) do {						\
	if (!(cond))							\
		test_fail(__FILE__, __LINE__, "%s", #cond);		\
} while (0)

#define CHECK_EQ(a, b) do {						\
	long long __a = (long long)(a), __b = (long long)(b);		\
	if (__a != __b)							\
		test_fail(__FILE__, __LINE__, "%s == %s (%lld != %lld)", \
			  #a, #b, __a, __b);				\
} while (0)

u64 now_ns(void);
void sleep_us(unsigned int us);

/* Take every shard lock of @dom the way range-lock.c does (wide first). */
void lock_domain(struct btrfsx_range_domain *dom);
void unlock_domain(struct btrfsx_range_domain *dom);
unsigned int domain_nr_trees(const struct btrfsx_range_domain *dom);
struct btrfsx_range_tree *domain_tree(struct btrfsx_range_domain *dom,
				      unsigned int i);
bool domain_empty(struct btrfsx_range_domain *dom);
bool req_queued(struct btrfsx_range_domain *dom,
		const struct btrfsx_range_req *req);

/*
 * Recompute what every queued node should count and compare with the
 * requests' counters; also checks the interval tree's augmentation.
 * Returns the number of problems found (printed as TAP comments).
 */
int check_domain(struct btrfsx_range_domain *dom);
void dump_domain(struct btrfsx_range_domain *dom);

/* How a locker locks a single range. */
enum locker_kind {
	LOCKER_KILLABLE,	/* btrfsx_range_lock() */
	LOCKER_NOKILL,		/* btrfsx_range_lock_nokill() */
};

/* A thread that takes one lock (or a multi-lock) and holds it until told. */
struct locker {
	enum locker_kind kind;
	pthread_t thread;
	struct btrfsx_range_domain *dom;
	u64 start;
	u64 end;
	enum btrfsx_range_mode mode;
	enum btrfsx_range_caller caller;
	struct btrfsx_range_req req;
	struct btrfsx_range_req **multi;	/* lock_multi() of these */
	struct btrfsx_range_req *multi_reqs[8];	/* unsorted copy */
	unsigned int nr_multi;
	struct task_struct *task;	/* atomic */
	int ret;			/* atomic */
	int returned;			/* atomic: lock call has returned */
	int release;			/* atomic: told to release */
};

void locker_start(struct locker *l, struct btrfsx_range_domain *dom,
		  u64 start, u64 end, enum btrfsx_range_mode mode);
void locker_start_kind(struct locker *l, struct btrfsx_range_domain *dom,
		       u64 start, u64 end, enum btrfsx_range_mode mode,
		       enum locker_kind kind);
void locker_start_multi(struct locker *l, struct btrfsx_range_req **reqs,
			unsigned int nr);
/* Wait (bounded) until the locker's request sits in the queue. */
bool locker_queued(struct locker *l);
/* Wait (bounded) until the lock call returned; true if it returned 0. */
bool locker_granted(struct locker *l);
/* Queued and counting blockers right now (white-box, deterministic). */
bool locker_blocked(struct locker *l);
int locker_ret(struct locker *l);
bool locker_returned(struct locker *l);
void locker_kill(struct locker *l);
/* Unlock (if granted) and join. */
void locker_finish(struct locker *l);

#endif
