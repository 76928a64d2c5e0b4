/* SPDX-License-Identifier: GPL-2.0 */
/*
 * btrfsx extent-range lock manager.
 *
 * Shared/exclusive locks on inclusive u64 ranges with strict FIFO fairness
 * between overlapping conflicting requests.  See docs/locking.md.
 */

#ifndef BTRFSX_RANGE_LOCK_H
#define BTRFSX_RANGE_LOCK_H

#include <linux/atomic.h>
#include <linux/cache.h>
#include <linux/completion.h>
#include <linux/rbtree.h>
#include <linux/spinlock.h>
#include <linux/types.h>

enum btrfsx_range_class {
	BTRFSX_RANGE_FILE,	/* file offsets, one domain per inode */
	BTRFSX_RANGE_DISK,	/* logical disk bytes, one domain per fs */
	BTRFSX_RANGE_NR_CLASSES,
};

enum btrfsx_range_mode {
	BTRFSX_RANGE_SHARED,
	BTRFSX_RANGE_EXCL,
};

/* Who asked: statistics are kept per caller subsystem. */
enum btrfsx_range_caller {
	BTRFSX_RANGE_CLONE,
	BTRFSX_RANGE_DEDUPE,
	BTRFSX_RANGE_RELOCATION,
	BTRFSX_RANGE_DELAYED_REF,
	BTRFSX_RANGE_OTHER,
	BTRFSX_RANGE_NR_CALLERS,
};

/* Bucket b counts waits of w ns with fls64(w) == b; the last is open. */
#define BTRFSX_RANGE_HIST_BUCKETS	32

/* Per-shard node storage carried inside each request; more is allocated. */
#define BTRFSX_RANGE_INLINE_NODES	2

/* Upper bound for btrfsx_range_domain_init_disk(): power of two. */
#define BTRFSX_RANGE_MAX_SHARDS		64

/* Suggested DISK sharding: 256MiB chunks striped over 64 shards. */
#define BTRFSX_RANGE_DISK_SHIFT		28
#define BTRFSX_RANGE_DISK_SHARDS	64

struct btrfsx_range_cpu_stats {
	u64 acquired;
	u64 contended;
	u64 trylock_failed;
	u64 wait_hist[BTRFSX_RANGE_HIST_BUCKETS];
};

/* Allocated per cpu; one instance is usually shared by a whole filesystem. */
struct btrfsx_range_stats {
	struct btrfsx_range_cpu_stats
		c[BTRFSX_RANGE_NR_CLASSES][BTRFSX_RANGE_NR_CALLERS];
};

/* One interval tree of queued (waiting and granted) request nodes. */
struct btrfsx_range_tree {
	spinlock_t lock;	/* protects root, seq and the queued nodes */
	struct rb_root_cached root;
	u64 seq;		/* queue order of the nodes in this tree */
};

struct btrfsx_range_shard {
	struct btrfsx_range_tree tree;
} ____cacheline_aligned_in_smp;

struct btrfsx_range_domain {
	struct btrfsx_range_shard *shards;	/* DISK only */
	struct btrfsx_range_stats __percpu *stats;	/* may be NULL */
	u64 key;			/* FILE: inode number; orders domains */
	unsigned int shard_shift;
	unsigned int shard_mask;	/* nr_shards - 1; 0 for FILE */
	enum btrfsx_range_class class;
	spinlock_t wide_lock;		/* taken before several shard locks */
	struct btrfsx_range_tree tree;	/* FILE only */
};

struct btrfsx_range_req;

/*
 * req->state; written under the domain locks while the request is queued
 * (with WRITE_ONCE: the lock calls read it without them).  The lock calls
 * check the state of a request before they initialize it, and a request is
 * caller memory, often a fresh stack slot: so the busy states have values
 * that leftover bytes do not take by chance, and anything else (zeroed
 * memory, garbage, a released request) reads as idle.
 */
enum btrfsx_range_state {
	BTRFSX_RANGE_IDLE = 0,
	BTRFSX_RANGE_WAITING = 0x57414954,	/* "WAIT" */
	BTRFSX_RANGE_HELD = 0x48454c44,		/* "HELD" */
};

/* A request's presence in one shard tree. */
struct btrfsx_range_node {
	struct rb_node rb;
	u64 start;
	u64 last;
	u64 subtree_last;
	u64 seq;
	struct btrfsx_range_req *req;
	unsigned int shard;
};

/*
 * A lock request, provided by the caller (on the stack or embedded).
 * Fields are private to range-lock.c; read them only through the helpers.
 */
struct btrfsx_range_req {
	struct btrfsx_range_domain *dom;
	u64 start;
	u64 end;
	struct btrfsx_range_node *nodes;
	struct btrfsx_range_req *leader;	/* waiting group's head */
	atomic_t blocking;	/* earlier conflicting nodes still queued */
	u32 state;		/* enum btrfsx_range_state */
	u16 nr_nodes;
	u8 mode;
	u8 caller;
	bool lockdep;		/* this request carries the lockdep hold */
	struct completion done;
	struct btrfsx_range_node inline_nodes[BTRFSX_RANGE_INLINE_NODES];
};

const char *btrfsx_range_caller_name(enum btrfsx_range_caller caller);
struct btrfsx_range_stats __percpu *btrfsx_range_stats_alloc(void);
void btrfsx_range_stats_free(struct btrfsx_range_stats __percpu *stats);
void btrfsx_range_stats_sum(struct btrfsx_range_stats __percpu *stats,
			    enum btrfsx_range_class class,
			    enum btrfsx_range_caller caller,
			    struct btrfsx_range_cpu_stats *sum);
int btrfsx_range_stats_format(struct btrfsx_range_stats __percpu *stats,
			      char *buf, size_t size);

void btrfsx_range_domain_init_file(struct btrfsx_range_domain *dom, u64 ino,
				   struct btrfsx_range_stats __percpu *stats);
int btrfsx_range_domain_init_disk(struct btrfsx_range_domain *dom,
				  unsigned int shard_shift,
				  unsigned int nr_shards,
				  struct btrfsx_range_stats __percpu *stats);
bool btrfsx_range_domain_destroy(struct btrfsx_range_domain *dom);

int btrfsx_range_lock(struct btrfsx_range_domain *dom, u64 start, u64 end,
		      enum btrfsx_range_mode mode,
		      enum btrfsx_range_caller caller,
		      struct btrfsx_range_req *req);
void btrfsx_range_lock_nokill(struct btrfsx_range_domain *dom, u64 start,
			      u64 end, enum btrfsx_range_mode mode,
			      enum btrfsx_range_caller caller,
			      struct btrfsx_range_req *req);
bool btrfsx_range_trylock(struct btrfsx_range_domain *dom, u64 start, u64 end,
			  enum btrfsx_range_mode mode,
			  enum btrfsx_range_caller caller,
			  struct btrfsx_range_req *req);
void btrfsx_range_unlock(struct btrfsx_range_req *req);

void btrfsx_range_req_init(struct btrfsx_range_req *req,
			   struct btrfsx_range_domain *dom, u64 start, u64 end,
			   enum btrfsx_range_mode mode,
			   enum btrfsx_range_caller caller);
int btrfsx_range_lock_multi(struct btrfsx_range_req **reqs, unsigned int nr);
void btrfsx_range_unlock_multi(struct btrfsx_range_req **reqs,
			       unsigned int nr);

bool btrfsx_range_req_held(const struct btrfsx_range_req *req);

#endif
