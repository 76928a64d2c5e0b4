// SPDX-License-Identifier: GPL-2.0
/* Test helpers: see harness.h. */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"

#define WAIT_LIMIT_NS	(5ULL * 1000000000ULL)

static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;
int test_failed;
int test_expect_warnings;

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&fail_lock);
	test_failed++;
	printf("#   FAILED at %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	pthread_mutex_unlock(&fail_lock);
}

u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void sleep_us(unsigned int us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000L };

	nanosleep(&ts, NULL);
}

unsigned int domain_nr_trees(const struct btrfsx_range_domain *dom)
{
	return dom->shard_mask + 1;
}

struct btrfsx_range_tree *domain_tree(struct btrfsx_range_domain *dom,
				      unsigned int i)
{
	return dom->shards ? &dom->shards[i].tree : &dom->tree;
}

void lock_domain(struct btrfsx_range_domain *dom)
{
	unsigned int i;

	if (dom->shards)
		spin_lock(&dom->wide_lock);
	for (i = 0; i < domain_nr_trees(dom); i++)
		spin_lock(&domain_tree(dom, i)->lock);
}

void unlock_domain(struct btrfsx_range_domain *dom)
{
	unsigned int i;

	for (i = domain_nr_trees(dom); i-- > 0;)
		spin_unlock(&domain_tree(dom, i)->lock);
	if (dom->shards)
		spin_unlock(&dom->wide_lock);
}

static struct btrfsx_range_node *node_of(struct rb_node *rb)
{
	return rb ? rb_entry(rb, struct btrfsx_range_node, rb) : NULL;
}

bool domain_empty(struct btrfsx_range_domain *dom)
{
	bool empty = true;
	unsigned int i;

	lock_domain(dom);
	for (i = 0; i < domain_nr_trees(dom); i++)
		empty &= RB_EMPTY_ROOT(&domain_tree(dom, i)->root.rb_root);
	unlock_domain(dom);
	return empty;
}

/* Caller holds the domain's locks. */
static struct btrfsx_range_node *find_node(struct btrfsx_range_domain *dom,
					   const struct btrfsx_range_req *req)
{
	struct btrfsx_range_node *n;
	unsigned int i;

	for (i = 0; i < domain_nr_trees(dom); i++) {
		struct rb_root *root = &domain_tree(dom, i)->root.rb_root;

		for (n = node_of(rb_first(root)); n; n = node_of(rb_next(&n->rb)))
			if (n->req == req)
				return n;
	}
	return NULL;
}

bool req_queued(struct btrfsx_range_domain *dom,
		const struct btrfsx_range_req *req)
{
	bool found;

	lock_domain(dom);
	found = find_node(dom, req);
	unlock_domain(dom);
	return found;
}

static bool conflict(const struct btrfsx_range_node *a,
		     const struct btrfsx_range_node *b)
{
	return a->req->mode == BTRFSX_RANGE_EXCL ||
	       b->req->mode == BTRFSX_RANGE_EXCL;
}

static bool overlap(const struct btrfsx_range_node *a,
		    const struct btrfsx_range_node *b)
{
	return a->start <= b->last && b->start <= a->last;
}

/* Does [start, end] touch shard s of dom?  Written independently of the
 * library: walk the chunks. */
static bool touches_shard(const struct btrfsx_range_domain *dom, u64 start,
			  u64 end, unsigned int s)
{
	u64 c, first = start >> dom->shard_shift, last = end >> dom->shard_shift;

	if (!dom->shards)
		return true;
	for (c = first; c <= last; c++) {
		if ((c & dom->shard_mask) == s)
			return true;
		if (c - first > dom->shard_mask || c == U64_MAX)
			return true;
	}
	return false;
}

struct cnode {
	struct btrfsx_range_node *n;
	unsigned int tree;
	int count;
};

static int cmp_ptr(const void *a, const void *b)
{
	const struct cnode *x = a, *y = b;

	if (x->n->req != y->n->req)
		return (uintptr_t)x->n->req < (uintptr_t)y->n->req ? -1 : 1;
	return 0;
}

static u64 check_subtree(struct rb_node *rb, int *errors)
{
	struct btrfsx_range_node *n = node_of(rb);
	u64 m;

	if (!rb)
		return 0;
	m = n->last;
	if (rb->left) {
		u64 l = check_subtree(rb->left, errors);

		m = l > m ? l : m;
		if (node_of(rb->left)->start > n->start)
			(*errors)++;
	}
	if (rb->right) {
		u64 r = check_subtree(rb->right, errors);

		m = r > m ? r : m;
		if (node_of(rb->right)->start < n->start)
			(*errors)++;
	}
	if (m != n->subtree_last)
		(*errors)++;
	return m;
}

int check_domain(struct btrfsx_range_domain *dom)
{
	struct cnode *nodes = NULL;
	unsigned int nr = 0, cap = 0, i, j;
	int errors = 0, tree_errors = 0;

	lock_domain(dom);
	for (i = 0; i < domain_nr_trees(dom); i++) {
		struct rb_root *root = &domain_tree(dom, i)->root.rb_root;
		struct btrfsx_range_node *n;

		check_subtree(root->rb_node, &tree_errors);
		for (n = node_of(rb_first(root)); n; n = node_of(rb_next(&n->rb))) {
			if (nr == cap) {
				cap = cap ? 2 * cap : 64;
				nodes = realloc(nodes, cap * sizeof(*nodes));
			}
			nodes[nr].n = n;
			nodes[nr].tree = i;
			nodes[nr++].count = 0;
			if (n->shard != i || n->start > n->last ||
			    !touches_shard(dom, n->start, n->last, i)) {
				printf("# node %p [%llu,%llu] in wrong shard %u\n",
				       (void *)n, n->start, n->last, i);
				errors++;
			}
		}
	}
	if (tree_errors) {
		printf("# interval tree augmentation/order broken (%d)\n",
		       tree_errors);
		errors += tree_errors;
	}

	/* What every node should count: earlier overlapping conflicting. */
	for (i = 0; i < nr; i++) {
		for (j = 0; j < nr; j++) {
			if (nodes[j].tree != nodes[i].tree || i == j)
				continue;
			if (nodes[j].n->seq < nodes[i].n->seq &&
			    overlap(nodes[i].n, nodes[j].n) &&
			    conflict(nodes[i].n, nodes[j].n))
				nodes[i].count++;
		}
	}

	/* Per request: nodes in distinct shards, exactly nr_nodes of them. */
	if (nr)
		qsort(nodes, nr, sizeof(*nodes), cmp_ptr);
	for (i = 0; i < nr; i = j) {
		struct btrfsx_range_req *req = nodes[i].n->req;

		for (j = i; j < nr && nodes[j].n->req == req; j++)
			;
		if (j - i != req->nr_nodes) {
			printf("# req %p has %u nodes queued, nr_nodes %u\n",
			       (void *)req, j - i, req->nr_nodes);
			errors++;
		}
	}

	/*
	 * A held request has nothing to wait for: no earlier overlapping
	 * conflicting node anywhere (FIFO, no barging).  A waiting group's
	 * counter is the sum over its members' nodes (no lost or early wake).
	 */
	for (i = 0; i < nr; i++) {
		struct btrfsx_range_req *req = nodes[i].n->req;
		struct btrfsx_range_req *leader = req->leader;
		long sum = 0;

		if (req->state == BTRFSX_RANGE_HELD) {
			if (nodes[i].count || leader != req) {
				printf("# held node %p [%llu,%llu] has %d blockers, leader %p\n",
				       (void *)nodes[i].n, nodes[i].n->start,
				       nodes[i].n->last, nodes[i].count,
				       (void *)leader);
				errors++;
			}
			continue;
		}
		if (req->state != BTRFSX_RANGE_WAITING ||
		    leader->state != BTRFSX_RANGE_WAITING ||
		    leader->leader != leader) {
			printf("# queued req %p in state %d, leader %p in state %d\n",
			       (void *)req, req->state, (void *)leader,
			       leader->state);
			errors++;
			continue;
		}
		if (req != leader)
			continue;
		for (j = 0; j < nr; j++) {
			if (nodes[j].n->req->leader == leader &&
			    nodes[j].n->req->state == BTRFSX_RANGE_WAITING)
				sum += nodes[j].count;
		}
		if (atomic_read(&leader->blocking) != sum) {
			printf("# leader %p counts %d blockers, queue says %ld\n",
			       (void *)leader, atomic_read(&leader->blocking),
			       sum);
			errors++;
		}
	}
	for (i = 0; errors && i < nr; i++) {
		struct btrfsx_range_node *n = nodes[i].n;

		printf("#   tree %u [%llu,%llu] seq %llu %s req %p leader %p blocking %d should-count %d\n",
		       nodes[i].tree, n->start, n->last, n->seq,
		       n->req->mode == BTRFSX_RANGE_EXCL ? "X" : "S",
		       (void *)n->req, (void *)n->req->leader,
		       atomic_read(&n->req->leader->blocking), nodes[i].count);
	}
	unlock_domain(dom);
	free(nodes);
	return errors;
}

void dump_domain(struct btrfsx_range_domain *dom)
{
	unsigned int i;

	/* Unlocked on purpose: used when something is stuck. */
	for (i = 0; i < domain_nr_trees(dom); i++) {
		struct rb_root *root = &domain_tree(dom, i)->root.rb_root;
		struct btrfsx_range_node *n;

		for (n = node_of(rb_first(root)); n; n = node_of(rb_next(&n->rb)))
			printf("#   tree %u [%llu,%llu] seq %llu %s req %p leader %p blocking %d\n",
			       i, n->start, n->last, n->seq,
			       n->req->mode == BTRFSX_RANGE_EXCL ? "X" : "S",
			       (void *)n->req, (void *)n->req->leader,
			       atomic_read(&n->req->leader->blocking));
	}
}

/* Locker threads */

static void *locker_main(void *arg)
{
	struct locker *l = arg;
	int ret;

	__atomic_store_n(&l->task, current, __ATOMIC_RELEASE);
	if (l->multi) {
		ret = btrfsx_range_lock_multi(l->multi, l->nr_multi);
	} else if (l->kind == LOCKER_NOKILL) {
		btrfsx_range_lock_nokill(l->dom, l->start, l->end, l->mode,
					 l->caller, &l->req);
		ret = btrfsx_range_req_held(&l->req) ? 0 : -ENOLCK;
	} else {
		ret = btrfsx_range_lock(l->dom, l->start, l->end, l->mode,
					l->caller, &l->req);
	}
	__atomic_store_n(&l->ret, ret, __ATOMIC_RELEASE);
	__atomic_store_n(&l->returned, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&l->release, __ATOMIC_ACQUIRE))
		sleep_us(100);
	if (!ret && l->multi)
		btrfsx_range_unlock_multi(l->multi, l->nr_multi);
	else if (!ret)
		btrfsx_range_unlock(&l->req);
	if (shim_lockdep_depth())
		test_fail(__FILE__, __LINE__, "locker exits holding %d locks",
			  shim_lockdep_depth());
	return NULL;
}

void locker_start(struct locker *l, struct btrfsx_range_domain *dom,
		  u64 start, u64 end, enum btrfsx_range_mode mode)
{
	locker_start_kind(l, dom, start, end, mode, LOCKER_KILLABLE);
}

void locker_start_kind(struct locker *l, struct btrfsx_range_domain *dom,
		       u64 start, u64 end, enum btrfsx_range_mode mode,
		       enum locker_kind kind)
{
	memset(l, 0, sizeof(*l));
	l->kind = kind;
	l->dom = dom;
	l->start = start;
	l->end = end;
	l->mode = mode;
	l->caller = BTRFSX_RANGE_OTHER;
	l->multi_reqs[0] = &l->req;
	l->nr_multi = 1;
	if (pthread_create(&l->thread, NULL, locker_main, l))
		abort();
}

void locker_start_multi(struct locker *l, struct btrfsx_range_req **reqs,
			unsigned int nr)
{
	memset(l, 0, sizeof(*l));
	memcpy(l->multi_reqs, reqs, nr * sizeof(*reqs));
	l->multi = reqs;
	l->nr_multi = nr;
	if (pthread_create(&l->thread, NULL, locker_main, l))
		abort();
}

bool locker_returned(struct locker *l)
{
	return __atomic_load_n(&l->returned, __ATOMIC_ACQUIRE);
}

int locker_ret(struct locker *l)
{
	return __atomic_load_n(&l->ret, __ATOMIC_ACQUIRE);
}

static bool locker_any_queued(struct locker *l)
{
	unsigned int i;

	for (i = 0; i < l->nr_multi; i++) {
		if (req_queued(l->multi_reqs[i]->dom ? l->multi_reqs[i]->dom :
			       l->dom, l->multi_reqs[i]))
			return true;
	}
	return false;
}

bool locker_queued(struct locker *l)
{
	u64 deadline = now_ns() + WAIT_LIMIT_NS;

	while (now_ns() < deadline) {
		if (locker_returned(l))
			return true;
		/* l->req.dom is written by the locker before it queues. */
		if (!l->multi && req_queued(l->dom, &l->req))
			return true;
		if (l->multi && locker_any_queued(l))
			return true;
		sleep_us(200);
	}
	return false;
}

bool locker_granted(struct locker *l)
{
	u64 deadline = now_ns() + WAIT_LIMIT_NS;

	while (!locker_returned(l)) {
		if (now_ns() > deadline)
			return false;
		sleep_us(200);
	}
	return locker_ret(l) == 0;
}

bool locker_blocked(struct locker *l)
{
	bool blocked = false;
	unsigned int i;

	for (i = 0; i < l->nr_multi; i++) {
		struct btrfsx_range_req *req = l->multi_reqs[i];
		struct btrfsx_range_domain *dom = l->multi ? req->dom : l->dom;
		struct btrfsx_range_node *n;

		lock_domain(dom);
		n = find_node(dom, req);
		if (n && atomic_read(&n->req->leader->blocking) > 0)
			blocked = true;
		unlock_domain(dom);
	}
	return blocked;
}

void locker_kill(struct locker *l)
{
	struct task_struct *task;

	while (!(task = __atomic_load_n(&l->task, __ATOMIC_ACQUIRE)))
		sleep_us(100);
	shim_kill(task);
}

void locker_finish(struct locker *l)
{
	__atomic_store_n(&l->release, 1, __ATOMIC_RELEASE);
	pthread_join(l->thread, NULL);
}
