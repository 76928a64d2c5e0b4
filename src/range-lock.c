// SPDX-License-Identifier: GPL-2.0
/*
 * btrfsx extent-range lock manager.
 *
 * A request is one node in an interval tree per shard it touches (FILE
 * domains have a single tree).  When a node is queued it counts the nodes
 * already in its tree that overlap it and conflict with it; a request is
 * granted once the sum of those counts over its nodes drops to zero.  Every
 * node that goes away decrements exactly the later nodes that counted it, so
 * a request waits for all earlier conflicting requests and for nothing else:
 * strict FIFO between overlapping conflicting requests.
 *
 * See docs/locking.md for the rules callers follow.
 */

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/completion.h>
#include <linux/errno.h>
#include <linux/interval_tree_generic.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/log2.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <btrfsx/range-lock.h>

#define CREATE_TRACE_POINTS
#include <btrfsx/range-lock-trace.h>

#define RL_START(n)	((n)->start)
#define RL_LAST(n)	((n)->last)

INTERVAL_TREE_DEFINE(struct btrfsx_range_node, rb, u64, subtree_last,
		     RL_START, RL_LAST, static, rl_it)

#ifdef CONFIG_DEBUG_LOCK_ALLOC
/* One lockdep class per domain class: lockdep sees "a FILE range lock". */
static struct lock_class_key rl_keys[BTRFSX_RANGE_NR_CLASSES];
static struct lockdep_map rl_dep_map[BTRFSX_RANGE_NR_CLASSES] = {
	[BTRFSX_RANGE_FILE] = STATIC_LOCKDEP_MAP_INIT("btrfsx_range_file",
			&rl_keys[BTRFSX_RANGE_FILE]),
	[BTRFSX_RANGE_DISK] = STATIC_LOCKDEP_MAP_INIT("btrfsx_range_disk",
			&rl_keys[BTRFSX_RANGE_DISK]),
};

/* @req carries the hold; @mode is the strongest of what it stands for. */
static void rl_dep_acquire(struct btrfsx_range_req *req,
			   enum btrfsx_range_mode mode, int trylock,
			   unsigned long ip)
{
	struct lockdep_map *map = &rl_dep_map[req->dom->class];

	if (mode == BTRFSX_RANGE_SHARED)
		lock_acquire_shared(map, 0, trylock, NULL, ip);
	else
		lock_acquire_exclusive(map, 0, trylock, NULL, ip);
	req->lockdep = true;
}

static void rl_dep_release(struct btrfsx_range_req *req, unsigned long ip)
{
	if (!req->lockdep)
		return;
	lock_release(&rl_dep_map[req->dom->class], ip);
	req->lockdep = false;
}
#else
static inline void rl_dep_acquire(struct btrfsx_range_req *req,
				  enum btrfsx_range_mode mode, int trylock,
				  unsigned long ip)
{
}

static inline void rl_dep_release(struct btrfsx_range_req *req,
				  unsigned long ip)
{
}
#endif

/* Statistics */

static const char * const rl_class_names[BTRFSX_RANGE_NR_CLASSES] = {
	[BTRFSX_RANGE_FILE] = "file",
	[BTRFSX_RANGE_DISK] = "disk",
};

static const char * const rl_caller_names[BTRFSX_RANGE_NR_CALLERS] = {
	[BTRFSX_RANGE_CLONE] = "clone",
	[BTRFSX_RANGE_DEDUPE] = "dedupe",
	[BTRFSX_RANGE_RELOCATION] = "relocation",
	[BTRFSX_RANGE_DELAYED_REF] = "delayed_ref",
	[BTRFSX_RANGE_OTHER] = "other",
};

const char *btrfsx_range_caller_name(enum btrfsx_range_caller caller)
{
	return caller < BTRFSX_RANGE_NR_CALLERS ? rl_caller_names[caller] : "?";
}

struct btrfsx_range_stats __percpu *btrfsx_range_stats_alloc(void)
{
	return alloc_percpu(struct btrfsx_range_stats);
}

void btrfsx_range_stats_free(struct btrfsx_range_stats __percpu *stats)
{
	free_percpu(stats);
}

static unsigned int rl_hist_bucket(u64 ns)
{
	return min_t(unsigned int, fls64(ns), BTRFSX_RANGE_HIST_BUCKETS - 1);
}

/* The counters of @req's class and caller, or NULL (none, or bad index). */
static struct btrfsx_range_cpu_stats __percpu *
rl_stats_of(const struct btrfsx_range_req *req)
{
	struct btrfsx_range_stats __percpu *st = req->dom->stats;
	unsigned int class = req->dom->class;
	unsigned int caller = req->caller;

	if (!st || WARN_ON_ONCE(class >= BTRFSX_RANGE_NR_CLASSES ||
				caller >= BTRFSX_RANGE_NR_CALLERS))
		return NULL;
	return &st->c[class][caller];
}

static void rl_account(const struct btrfsx_range_req *req, bool contended,
		       u64 wait_ns)
{
	struct btrfsx_range_cpu_stats __percpu *c = rl_stats_of(req);

	if (!c)
		return;
	this_cpu_inc(c->acquired);
	if (!contended)
		return;
	this_cpu_inc(c->contended);
	this_cpu_inc(c->wait_hist[rl_hist_bucket(wait_ns)]);
}

static void rl_account_trylock_failed(const struct btrfsx_range_req *req)
{
	struct btrfsx_range_cpu_stats __percpu *c = rl_stats_of(req);

	if (c)
		this_cpu_inc(c->trylock_failed);
}

void btrfsx_range_stats_sum(struct btrfsx_range_stats __percpu *stats,
			    enum btrfsx_range_class class,
			    enum btrfsx_range_caller caller,
			    struct btrfsx_range_cpu_stats *sum)
{
	unsigned int b;
	int cpu;

	memset(sum, 0, sizeof(*sum));
	if (!stats || WARN_ON_ONCE(class >= BTRFSX_RANGE_NR_CLASSES ||
				   caller >= BTRFSX_RANGE_NR_CALLERS))
		return;
	for_each_possible_cpu(cpu) {
		const struct btrfsx_range_cpu_stats *c =
			&per_cpu_ptr(stats, cpu)->c[class][caller];

		sum->acquired += READ_ONCE(c->acquired);
		sum->contended += READ_ONCE(c->contended);
		sum->trylock_failed += READ_ONCE(c->trylock_failed);
		for (b = 0; b < BTRFSX_RANGE_HIST_BUCKETS; b++)
			sum->wait_hist[b] += READ_ONCE(c->wait_hist[b]);
	}
}

/*
 * One header line, then one line per (class, caller):
 *   <class> <caller> <acquired> <contended> <trylock_failed> [b:n ...]
 * where each b:n says n contended waits took w ns with fls64(w) == b, that is
 * 2^(b-1) <= w < 2^b (the last bucket also holds everything longer).
 */
int btrfsx_range_stats_format(struct btrfsx_range_stats __percpu *stats,
			      char *buf, size_t size)
{
	struct btrfsx_range_cpu_stats sum;
	unsigned int class, caller, b;
	int len;

	len = scnprintf(buf, size,
			"# class caller acquired contended trylock_failed wait_log2_ns:count...\n");
	for (class = 0; class < BTRFSX_RANGE_NR_CLASSES; class++) {
		for (caller = 0; caller < BTRFSX_RANGE_NR_CALLERS; caller++) {
			btrfsx_range_stats_sum(stats, class, caller, &sum);
			len += scnprintf(buf + len, size - len,
					 "%s %s %llu %llu %llu",
					 rl_class_names[class],
					 rl_caller_names[caller],
					 sum.acquired, sum.contended,
					 sum.trylock_failed);
			for (b = 0; b < BTRFSX_RANGE_HIST_BUCKETS; b++) {
				if (!sum.wait_hist[b])
					continue;
				len += scnprintf(buf + len, size - len,
						 " %u:%llu", b, sum.wait_hist[b]);
			}
			len += scnprintf(buf + len, size - len, "\n");
		}
	}
	return len;
}

/* Domains and shards */

static void rl_tree_init(struct btrfsx_range_tree *tree)
{
	spin_lock_init(&tree->lock);
	tree->root = RB_ROOT_CACHED;
	tree->seq = 0;
}

static struct btrfsx_range_tree *rl_tree(struct btrfsx_range_domain *dom,
					 unsigned int shard)
{
	return dom->shards ? &dom->shards[shard].tree : &dom->tree;
}

void btrfsx_range_domain_init_file(struct btrfsx_range_domain *dom, u64 ino,
				   struct btrfsx_range_stats __percpu *stats)
{
	dom->shards = NULL;
	dom->stats = stats;
	dom->key = ino;
	dom->shard_shift = 0;
	dom->shard_mask = 0;
	dom->class = BTRFSX_RANGE_FILE;
	spin_lock_init(&dom->wide_lock);
	rl_tree_init(&dom->tree);
}

int btrfsx_range_domain_init_disk(struct btrfsx_range_domain *dom,
				  unsigned int shard_shift,
				  unsigned int nr_shards,
				  struct btrfsx_range_stats __percpu *stats)
{
	unsigned int i;

	if (!is_power_of_2(nr_shards) || nr_shards > BTRFSX_RANGE_MAX_SHARDS ||
	    shard_shift >= 64)
		return -EINVAL;
	dom->shards = kcalloc(nr_shards, sizeof(*dom->shards), GFP_KERNEL);
	if (!dom->shards)
		return -ENOMEM;
	for (i = 0; i < nr_shards; i++)
		rl_tree_init(&dom->shards[i].tree);
	dom->stats = stats;
	dom->key = 0;
	dom->shard_shift = shard_shift;
	dom->shard_mask = nr_shards - 1;
	dom->class = BTRFSX_RANGE_DISK;
	spin_lock_init(&dom->wide_lock);
	rl_tree_init(&dom->tree);
	return 0;
}

/*
 * Returns false, with a warning, if a request is still queued: the caller
 * must then not free the domain (a leak instead of a use after free).
 */
bool btrfsx_range_domain_destroy(struct btrfsx_range_domain *dom)
{
	unsigned int i;

	for (i = 0; i <= dom->shard_mask; i++) {
		if (WARN_ON_ONCE(!RB_EMPTY_ROOT(&rl_tree(dom, i)->root.rb_root)))
			return false;
	}
	kfree(dom->shards);
	dom->shards = NULL;
	return true;
}

static unsigned int rl_shard_of(const struct btrfsx_range_domain *dom, u64 pos)
{
	return (pos >> dom->shard_shift) & dom->shard_mask;
}

static bool rl_one_shard(const struct btrfsx_range_domain *dom, u64 start,
			 u64 end)
{
	return !dom->shard_mask ||
	       (start >> dom->shard_shift) == (end >> dom->shard_shift);
}

/*
 * The first shard >= @from that [start, end] touches, or shard_mask + 1.
 * The shards touched are one run of consecutive chunks taken modulo the
 * number of shards: [s0, s1], or [0, s1] and [s0, mask] when it wraps.
 */
static unsigned int rl_next_shard(const struct btrfsx_range_domain *dom,
				  u64 start, u64 end, unsigned int from)
{
	unsigned int s0 = rl_shard_of(dom, start);
	unsigned int s1 = rl_shard_of(dom, end);
	unsigned int none = dom->shard_mask + 1;

	if (from >= none ||
	    (end >> dom->shard_shift) - (start >> dom->shard_shift) >=
	    dom->shard_mask)
		return from;
	if (s0 <= s1)
		return from < s0 ? s0 : from <= s1 ? from : none;
	return from <= s1 || from >= s0 ? from : s0;
}

/* Count the shards [start, end] touches, recording them in ascending order. */
static unsigned int rl_fill_shards(const struct btrfsx_range_domain *dom,
				   u64 start, u64 end,
				   struct btrfsx_range_node *nodes)
{
	unsigned int shard, nr = 0;

	for (shard = rl_next_shard(dom, start, end, 0);
	     shard <= dom->shard_mask;
	     shard = rl_next_shard(dom, start, end, shard + 1)) {
		if (nodes)
			nodes[nr].shard = shard;
		nr++;
	}
	return nr;
}

/*
 * Give @req one node per shard.  Only DISK ranges spanning more than
 * BTRFSX_RANGE_INLINE_NODES shards allocate (at most MAX_SHARDS nodes).
 */
static int rl_prepare(struct btrfsx_range_req *req, gfp_t gfp)
{
	struct btrfsx_range_domain *dom = req->dom;
	struct btrfsx_range_node *nodes = req->inline_nodes;
	unsigned int i, nr = 1;

	if (rl_one_shard(dom, req->start, req->end)) {
		nodes[0].shard = rl_shard_of(dom, req->start);
	} else {
		nr = rl_fill_shards(dom, req->start, req->end, NULL);
		if (nr > BTRFSX_RANGE_INLINE_NODES) {
			nodes = kmalloc_array(nr, sizeof(*nodes), gfp);
			if (!nodes)
				return -ENOMEM;
		}
		rl_fill_shards(dom, req->start, req->end, nodes);
	}
	for (i = 0; i < nr; i++) {
		nodes[i].start = req->start;
		nodes[i].last = req->end;
		nodes[i].req = req;
	}
	req->nodes = nodes;
	req->nr_nodes = nr;
	return 0;
}

static void rl_free_nodes(struct btrfsx_range_req *req)
{
	if (req->nodes != req->inline_nodes)
		kfree(req->nodes);
	req->nodes = NULL;
	req->nr_nodes = 0;
}

/*
 * The shard locks of a set of requests of one domain: a single shard lock, or
 * wide_lock and then every shard involved in ascending order.  rl_lock_set()
 * returns the tree it locked alone, or NULL for the wide case, in which
 * rl_unlock_set() recomputes the set from the requests' (unchanged) ranges.
 */
static unsigned int rl_set_next_shard(struct btrfsx_range_domain *dom,
				      struct btrfsx_range_req **reqs,
				      unsigned int nr, unsigned int from)
{
	unsigned int i, next, shard = dom->shard_mask + 1;

	for (i = 0; i < nr; i++) {
		next = rl_next_shard(dom, reqs[i]->start, reqs[i]->end, from);
		if (next < shard)
			shard = next;
	}
	return shard;
}

static int rl_set_one_shard(struct btrfsx_range_domain *dom,
			    struct btrfsx_range_req **reqs, unsigned int nr)
{
	unsigned int shard = rl_shard_of(dom, reqs[0]->start);
	unsigned int i;

	for (i = 0; i < nr; i++) {
		if (!rl_one_shard(dom, reqs[i]->start, reqs[i]->end) ||
		    rl_shard_of(dom, reqs[i]->start) != shard)
			return -1;
	}
	return shard;
}

/* For sparse, a lock set counts as one lock: the shard locks are hidden. */
static struct btrfsx_range_tree *rl_lock_set(struct btrfsx_range_domain *dom,
					     struct btrfsx_range_req **reqs,
					     unsigned int nr)
	__acquires(dom)
{
	struct btrfsx_range_tree *tree;
	unsigned int shard;
	int one;

	/* The usual case: one request in one shard. */
	if (nr == 1 && reqs[0]->nr_nodes == 1)
		one = reqs[0]->nodes[0].shard;
	else
		one = rl_set_one_shard(dom, reqs, nr);
	if (one >= 0) {
		tree = rl_tree(dom, one);
		spin_lock(&tree->lock);
		return tree;
	}
	spin_lock(&dom->wide_lock);
	for (shard = rl_set_next_shard(dom, reqs, nr, 0);
	     shard <= dom->shard_mask;
	     shard = rl_set_next_shard(dom, reqs, nr, shard + 1)) {
		tree = rl_tree(dom, shard);
		spin_lock_nest_lock(&tree->lock, &dom->wide_lock);
		__release(&tree->lock);
	}
	return NULL;
}

static void rl_unlock_set(struct btrfsx_range_domain *dom,
			  struct btrfsx_range_req **reqs, unsigned int nr,
			  struct btrfsx_range_tree *one)
	__releases(dom)
{
	struct btrfsx_range_tree *tree;
	unsigned int shard;

	if (one) {
		spin_unlock(&one->lock);
		return;
	}
	for (shard = rl_set_next_shard(dom, reqs, nr, 0);
	     shard <= dom->shard_mask;
	     shard = rl_set_next_shard(dom, reqs, nr, shard + 1)) {
		tree = rl_tree(dom, shard);
		__acquire(&tree->lock);
		spin_unlock(&tree->lock);
	}
	spin_unlock(&dom->wide_lock);
}

/* Queueing */

static bool rl_conflict(const struct btrfsx_range_req *a,
			const struct btrfsx_range_req *b)
{
	return a->mode == BTRFSX_RANGE_EXCL || b->mode == BTRFSX_RANGE_EXCL;
}

static unsigned int rl_count_blockers(struct btrfsx_range_tree *tree,
				      const struct btrfsx_range_node *node)
{
	struct btrfsx_range_node *other;
	unsigned int nr = 0;

	for (other = rl_it_iter_first(&tree->root, node->start, node->last);
	     other;
	     other = rl_it_iter_next(other, node->start, node->last)) {
		if (rl_conflict(other->req, node->req))
			nr++;
	}
	return nr;
}

/*
 * Queue a group of requests of one domain behind everything already queued,
 * atomically, under one leader.  Returns the number of blockers; with @try,
 * returns -EAGAIN and queues nothing if there is any.
 */
static int rl_enqueue(struct btrfsx_range_req **reqs, unsigned int nr,
		      bool try)
{
	struct btrfsx_range_req *leader = reqs[0];
	struct btrfsx_range_domain *dom = leader->dom;
	struct btrfsx_range_tree *tree, *one;
	struct btrfsx_range_node *node;
	unsigned int blockers = 0;
	unsigned int i, j;

	one = rl_lock_set(dom, reqs, nr);
	for (i = 0; i < nr; i++) {
		for (j = 0; j < reqs[i]->nr_nodes; j++) {
			node = &reqs[i]->nodes[j];
			blockers += rl_count_blockers(rl_tree(dom, node->shard),
						      node);
		}
	}
	if (try && blockers) {
		rl_unlock_set(dom, reqs, nr, one);
		return -EAGAIN;
	}
	/* Members of a group are disjoint: none counts another. */
	for (i = 0; i < nr; i++) {
		reqs[i]->leader = blockers ? leader : reqs[i];
		WRITE_ONCE(reqs[i]->state,
			   blockers ? BTRFSX_RANGE_WAITING : BTRFSX_RANGE_HELD);
		for (j = 0; j < reqs[i]->nr_nodes; j++) {
			node = &reqs[i]->nodes[j];
			tree = rl_tree(dom, node->shard);
			node->seq = ++tree->seq;
			rl_it_insert(node, &tree->root);
		}
	}
	atomic_set(&leader->blocking, blockers);
	if (blockers)
		init_completion(&leader->done);
	rl_unlock_set(dom, reqs, nr, one);
	return blockers;
}

static void rl_drop_blocker(struct btrfsx_range_req *req)
{
	struct btrfsx_range_req *leader = req->leader;

	if (atomic_dec_and_test(&leader->blocking))
		complete(&leader->done);
}

/*
 * Every node queued after @old in its tree that overlaps it and conflicts
 * with its owner counted @old once: @old is leaving, drop that count.
 */
static void rl_release_node(struct btrfsx_range_domain *dom,
			    const struct btrfsx_range_node *old)
{
	struct btrfsx_range_tree *tree = rl_tree(dom, old->shard);
	struct btrfsx_range_req *owner = old->req;
	struct btrfsx_range_node *w;

	for (w = rl_it_iter_first(&tree->root, old->start, old->last); w;
	     w = rl_it_iter_next(w, old->start, old->last)) {
		if (w->req == owner || w->seq <= old->seq ||
		    !rl_conflict(w->req, owner))
			continue;
		rl_drop_blocker(w->req);
	}
}

/* Take all nodes of @req out of their trees; the shard locks are held. */
static void rl_dequeue_locked(struct btrfsx_range_req *req)
{
	struct btrfsx_range_domain *dom = req->dom;
	struct btrfsx_range_node *node;
	unsigned int i;

	for (i = 0; i < req->nr_nodes; i++) {
		node = &req->nodes[i];
		rl_release_node(dom, node);
		rl_it_remove(node, &rl_tree(dom, node->shard)->root);
	}
}

/* How a group is locked: the lockdep hold it reports and how it waits. */
struct rl_how {
	bool dep;			/* the leader reports a lockdep hold */
	enum btrfsx_range_mode dep_mode;	/* in this mode */
	bool killable;			/* a fatal signal ends the wait */
};

/*
 * Sleep until the group is granted, then mark it held under its locks.  A
 * killable wait that sees a fatal signal takes the group out of the queue
 * again (waking whoever it was blocking), unless it was granted meanwhile.
 * An uninterruptible wait returns only once the group is granted.
 */
static int rl_wait(struct btrfsx_range_req **reqs, unsigned int nr,
		   const struct rl_how *how)
{
	struct btrfsx_range_req *leader = reqs[0];
	struct btrfsx_range_domain *dom = leader->dom;
	struct btrfsx_range_tree *one;
	unsigned int i;
	int ret;

	for (;;) {
		ret = 0;
		if (!how->killable)
			wait_for_completion(&leader->done);
		else if (wait_for_completion_killable(&leader->done))
			ret = -EINTR;

		one = rl_lock_set(dom, reqs, nr);
		if (!atomic_read(&leader->blocking)) {
			for (i = 0; i < nr; i++) {
				reqs[i]->leader = reqs[i];
				WRITE_ONCE(reqs[i]->state, BTRFSX_RANGE_HELD);
			}
			rl_unlock_set(dom, reqs, nr, one);
			return 0;
		}
		if (ret) {
			for (i = 0; i < nr; i++)
				rl_dequeue_locked(reqs[i]);
			rl_unlock_set(dom, reqs, nr, one);
			return ret;
		}
		rl_unlock_set(dom, reqs, nr, one);
		/*
		 * Completed with blockers left: the count is wrong.  Going on
		 * unlocked would break the exclusion; wait for the count to
		 * reach zero after all.
		 */
		WARN_ON_ONCE(1);
	}
}

static int rl_lock_group(struct btrfsx_range_req **reqs, unsigned int nr,
			 const struct rl_how *how, unsigned long ip)
{
	struct btrfsx_range_req *leader = reqs[0];
	bool contended = false;
	u64 wait_ns = 0;
	unsigned int i;
	int ret;

	for (i = 0; i < nr; i++)
		rl_prepare(reqs[i], GFP_NOFS | __GFP_NOFAIL);
	if (how->dep)
		rl_dep_acquire(leader, how->dep_mode, 0, ip);

	if (rl_enqueue(reqs, nr, false)) {
		u64 t0 = ktime_get_ns();

		contended = true;
		for (i = 0; i < nr; i++)
			trace_range_lock_wait(reqs[i], reqs[i]->start,
					      reqs[i]->end);
		ret = rl_wait(reqs, nr, how);
		if (ret) {
			rl_dep_release(leader, ip);
			for (i = 0; i < nr; i++) {
				rl_free_nodes(reqs[i]);
				WRITE_ONCE(reqs[i]->state, BTRFSX_RANGE_IDLE);
			}
			return ret;
		}
		wait_ns = ktime_get_ns() - t0;
	}
	for (i = 0; i < nr; i++) {
		rl_account(reqs[i], contended, wait_ns);
		trace_range_lock_acquired(reqs[i], wait_ns);
	}
	return 0;
}

/* API */

/* Queued (waiting) or held: a lock call must not take it over. */
static bool rl_req_busy(const struct btrfsx_range_req *req)
{
	u32 state = READ_ONCE(req->state);

	return state == BTRFSX_RANGE_WAITING || state == BTRFSX_RANGE_HELD;
}

/**
 * btrfsx_range_req_init - set up a request for btrfsx_range_lock_multi()
 * @req:    caller memory; a waiting or held request is left untouched (and
 *          btrfsx_range_lock_multi() then refuses it)
 * @dom:    the domain
 * @start:  first byte
 * @end:    last byte, inclusive
 * @mode:   BTRFSX_RANGE_SHARED or BTRFSX_RANGE_EXCL
 * @caller: subsystem, for statistics and tracing
 */
void btrfsx_range_req_init(struct btrfsx_range_req *req,
			   struct btrfsx_range_domain *dom, u64 start, u64 end,
			   enum btrfsx_range_mode mode,
			   enum btrfsx_range_caller caller)
{
	if (rl_req_busy(req))
		return;
	req->dom = dom;
	req->start = start;
	req->end = end;
	req->nodes = NULL;
	req->nr_nodes = 0;
	req->leader = req;
	atomic_set(&req->blocking, 0);
	req->mode = mode;
	req->caller = caller;
	WRITE_ONCE(req->state, BTRFSX_RANGE_IDLE);
	req->lockdep = false;
}

bool btrfsx_range_req_held(const struct btrfsx_range_req *req)
{
	return READ_ONCE(req->state) == BTRFSX_RANGE_HELD;
}

/**
 * btrfsx_range_lock - lock [@start, @end] of @dom, sleeping killably
 * @dom:    the domain (an inode's FILE domain or the fs's DISK domain)
 * @start:  first byte
 * @end:    last byte, inclusive
 * @mode:   BTRFSX_RANGE_SHARED or BTRFSX_RANGE_EXCL
 * @caller: subsystem, for statistics and tracing
 * @req:    caller-provided request, owned by the lock until unlocked
 *
 * Waits behind every earlier queued request that overlaps and conflicts.
 * The caller must hold no other range of @dom (use btrfsx_range_lock_multi).
 *
 * Return: 0, or -EINTR on a fatal signal (nothing is left queued), or
 * -EINVAL if @start > @end or @req is already waiting or held.
 */
int btrfsx_range_lock(struct btrfsx_range_domain *dom, u64 start, u64 end,
		      enum btrfsx_range_mode mode,
		      enum btrfsx_range_caller caller,
		      struct btrfsx_range_req *req)
{
	struct rl_how how = { .dep = true, .dep_mode = mode, .killable = true };

	might_sleep();
	if (WARN_ON_ONCE(rl_req_busy(req)))
		return -EINVAL;
	btrfsx_range_req_init(req, dom, start, end, mode, caller);
	if (WARN_ON_ONCE(start > end))
		return -EINVAL;
	return rl_lock_group(&req, 1, &how, _RET_IP_);
}

/*
 * btrfsx_range_lock_nokill - as btrfsx_range_lock(), but the wait ignores
 * signals: for callers that cannot back out once they decided to wait
 * (relocation's fence before dropping reloc roots).  Arguments as for
 * btrfsx_range_lock().  Returns with the range held, except when @req is
 * already waiting or held: that is a bug of the caller, warned about, and
 * @req is left as it is.
 */
void btrfsx_range_lock_nokill(struct btrfsx_range_domain *dom, u64 start,
			      u64 end, enum btrfsx_range_mode mode,
			      enum btrfsx_range_caller caller,
			      struct btrfsx_range_req *req)
{
	struct rl_how how = { .dep = true, .dep_mode = mode };

	might_sleep();
	if (WARN_ON_ONCE(rl_req_busy(req)))
		return;
	btrfsx_range_req_init(req, dom, start, end, mode, caller);
	if (WARN_ON_ONCE(start > end))
		end = start;
	/* Not killable: rl_wait() returns only once the range is granted. */
	rl_lock_group(&req, 1, &how, _RET_IP_);
}

/*
 * btrfsx_range_trylock - lock [@start, @end] of @dom if nobody is in the way.
 * Fails if any conflicting holder or any earlier conflicting waiter overlaps
 * the range.  Never sleeps.  Arguments as for btrfsx_range_lock().  Returns
 * true if the range is now held; false also, with a warning, if @req is
 * already waiting or held.
 */
bool btrfsx_range_trylock(struct btrfsx_range_domain *dom, u64 start, u64 end,
			  enum btrfsx_range_mode mode,
			  enum btrfsx_range_caller caller,
			  struct btrfsx_range_req *req)
{
	if (WARN_ON_ONCE(rl_req_busy(req)))
		return false;
	btrfsx_range_req_init(req, dom, start, end, mode, caller);
	if (WARN_ON_ONCE(start > end))
		return false;
	if (rl_prepare(req, GFP_NOWAIT) || rl_enqueue(&req, 1, true)) {
		rl_free_nodes(req);
		rl_account_trylock_failed(req);
		return false;
	}
	rl_dep_acquire(req, mode, 1, _RET_IP_);
	rl_account(req, false, 0);
	trace_range_lock_acquired(req, 0);
	return true;
}

/**
 * btrfsx_range_unlock - release a held range; never sleeps
 * @req: the request passed to a successful lock call
 */
void btrfsx_range_unlock(struct btrfsx_range_req *req)
{
	struct btrfsx_range_domain *dom = req->dom;
	struct btrfsx_range_tree *one;

	if (WARN_ON_ONCE(READ_ONCE(req->state) != BTRFSX_RANGE_HELD))
		return;
	one = rl_lock_set(dom, &req, 1);
	rl_dequeue_locked(req);
	rl_unlock_set(dom, &req, 1, one);
	trace_range_lock_released(req, req->start, req->end);
	rl_dep_release(req, _RET_IP_);
	rl_free_nodes(req);
	WRITE_ONCE(req->state, BTRFSX_RANGE_IDLE);
}

static int rl_cmp(const void *a, const void *b)
{
	const struct btrfsx_range_req *x = *(struct btrfsx_range_req * const *)a;
	const struct btrfsx_range_req *y = *(struct btrfsx_range_req * const *)b;

	if (x->dom != y->dom) {
		if (x->dom->class != y->dom->class)
			return x->dom->class < y->dom->class ? -1 : 1;
		if (x->dom->key != y->dom->key)
			return x->dom->key < y->dom->key ? -1 : 1;
		return (uintptr_t)x->dom < (uintptr_t)y->dom ? -1 : 1;
	}
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

/**
 * btrfsx_range_lock_multi - lock several ranges without deadlock
 * @reqs: requests set up with btrfsx_range_req_init(); sorted in place
 * @nr:   number of requests
 *
 * Sorts by (class, domain key, domain, start): FILE before DISK, inodes by
 * number.  The ranges of one domain must not overlap; they are queued
 * together as one group, granted all at once.  Domains are taken in order.
 *
 * Return: 0 with all held, -EINTR with none held, -EINVAL (none held) on
 * overlap or if a request is already waiting or held.
 */
int btrfsx_range_lock_multi(struct btrfsx_range_req **reqs, unsigned int nr)
{
	struct rl_how how = { .killable = true };
	unsigned int i, j, next;
	u64 max_end = 0;
	int ret;

	might_sleep();
	for (i = 0; i < nr; i++) {
		if (WARN_ON_ONCE(rl_req_busy(reqs[i])))
			return -EINVAL;
	}
	sort(reqs, nr, sizeof(*reqs), rl_cmp, NULL);
	for (i = 0; i < nr; i++) {
		if (WARN_ON_ONCE(reqs[i]->start > reqs[i]->end))
			return -EINVAL;
		if (i && reqs[i]->dom == reqs[i - 1]->dom &&
		    WARN_ON_ONCE(reqs[i]->start <= max_end))
			return -EINVAL;
		if (!i || reqs[i]->dom != reqs[i - 1]->dom ||
		    reqs[i]->end > max_end)
			max_end = reqs[i]->end;
	}
	for (i = 0; i < nr; i = next) {
		for (next = i + 1; next < nr; next++) {
			if (reqs[next]->dom != reqs[i]->dom)
				break;
		}
		/*
		 * lockdep sees one hold per class, taken in class order by the
		 * first group of the class, in the strongest mode of the class.
		 */
		how.dep = !i || reqs[i - 1]->dom->class != reqs[i]->dom->class;
		how.dep_mode = BTRFSX_RANGE_SHARED;
		for (j = i; how.dep && j < nr &&
		     reqs[j]->dom->class == reqs[i]->dom->class; j++) {
			if (reqs[j]->mode == BTRFSX_RANGE_EXCL)
				how.dep_mode = BTRFSX_RANGE_EXCL;
		}
		ret = rl_lock_group(&reqs[i], next - i, &how, _RET_IP_);
		if (ret) {
			btrfsx_range_unlock_multi(reqs, i);
			return ret;
		}
	}
	return 0;
}

void btrfsx_range_unlock_multi(struct btrfsx_range_req **reqs,
			       unsigned int nr)
{
	while (nr--) {
		if (btrfsx_range_req_held(reqs[nr]))
			btrfsx_range_unlock(reqs[nr]);
	}
}
