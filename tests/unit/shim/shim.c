// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace implementations behind the shim headers: an augmented treap for
 * INTERVAL_TREE_DEFINE(), allocation counters, tasks with fatal signals,
 * completions, and a per-thread lockdep stand-in.
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/completion.h>
#include <linux/errno.h>
#include <linux/interval_tree_generic.h>
#include <linux/lockdep.h>
#include <linux/percpu.h>
#include <linux/rbtree.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include "shim.h"

long shim_warnings;
long shim_live_allocs;
int shim_fail_nowait;
int shim_fail_all;
__thread int shim_spin_depth;
__thread int shim_cpu;

static unsigned long shim_next_thread_id = 1;
static __thread unsigned long shim_tid;

unsigned long shim_thread_id(void)
{
	if (!shim_tid) {
		shim_tid = __atomic_fetch_add(&shim_next_thread_id, 1,
					      __ATOMIC_RELAXED);
		shim_cpu = shim_tid % SHIM_NR_CPUS;
	}
	return shim_tid;
}

void shim_warn(const char *file, int line, const char *cond)
{
	__atomic_fetch_add(&shim_warnings, 1, __ATOMIC_SEQ_CST);
	fprintf(stderr, "# WARNING at %s:%d: %s\n", file, line, cond);
}

void shim_might_sleep(const char *what)
{
	if (shim_spin_depth) {
		fprintf(stderr, "# BUG: %s while holding %d spin lock(s)\n",
			what, shim_spin_depth);
		abort();
	}
}

/* Allocation */

void *shim_kmalloc(size_t size, gfp_t gfp)
{
	void *p;

	if (gfp & __GFP_DIRECT_RECLAIM)
		shim_might_sleep("sleeping allocation");
	if (!(gfp & (__GFP_DIRECT_RECLAIM | __GFP_NOFAIL)) &&
	    __atomic_load_n(&shim_fail_nowait, __ATOMIC_RELAXED))
		return NULL;
	if (!(gfp & __GFP_NOFAIL) &&
	    __atomic_load_n(&shim_fail_all, __ATOMIC_RELAXED))
		return NULL;
	p = (gfp & __GFP_ZERO) ? calloc(1, size ? size : 1) :
				 malloc(size ? size : 1);
	if (!p)
		abort();
	__atomic_fetch_add(&shim_live_allocs, 1, __ATOMIC_SEQ_CST);
	return p;
}

void shim_kfree(const void *p)
{
	if (!p)
		return;
	__atomic_fetch_sub(&shim_live_allocs, 1, __ATOMIC_SEQ_CST);
	free((void *)p);
}

void *shim_alloc_percpu(size_t size)
{
	BUG_ON(size > SHIM_PERCPU_STRIDE);
	return shim_kmalloc((size_t)SHIM_NR_CPUS * SHIM_PERCPU_STRIDE,
			    GFP_KERNEL | __GFP_ZERO);
}

/* Tasks and completions */

static __thread struct task_struct shim_task;
static __thread bool shim_task_ready;

struct task_struct *shim_current(void)
{
	if (!shim_task_ready) {
		pthread_mutex_init(&shim_task.lock, NULL);
		shim_task.waiting = NULL;
		shim_task.killed = 0;
		shim_task.id = shim_thread_id();
		shim_task_ready = true;
	}
	return &shim_task;
}

void shim_kill(struct task_struct *task)
{
	pthread_mutex_lock(&task->lock);
	__atomic_store_n(&task->killed, 1, __ATOMIC_RELEASE);
	if (task->waiting) {
		pthread_mutex_lock(&task->waiting->lock);
		pthread_cond_broadcast(&task->waiting->cond);
		pthread_mutex_unlock(&task->waiting->lock);
	}
	pthread_mutex_unlock(&task->lock);
}

void shim_clear_kill(struct task_struct *task)
{
	__atomic_store_n(&task->killed, 0, __ATOMIC_RELEASE);
}

void complete(struct completion *x)
{
	pthread_mutex_lock(&x->lock);
	if (x->done != ~0u)
		x->done++;
	pthread_cond_broadcast(&x->cond);
	pthread_mutex_unlock(&x->lock);
}

static int shim_wait(struct completion *x, bool killable)
{
	struct task_struct *task = current;
	int ret = 0;

	shim_might_sleep("wait_for_completion");
	pthread_mutex_lock(&task->lock);
	task->waiting = x;
	pthread_mutex_unlock(&task->lock);

	pthread_mutex_lock(&x->lock);
	while (!x->done) {
		if (killable && fatal_signal_pending(task)) {
			ret = -ERESTARTSYS;
			break;
		}
		pthread_cond_wait(&x->cond, &x->lock);
	}
	if (!ret && x->done != ~0u)
		x->done--;
	pthread_mutex_unlock(&x->lock);

	pthread_mutex_lock(&task->lock);
	task->waiting = NULL;
	pthread_mutex_unlock(&task->lock);
	return ret;
}

void wait_for_completion(struct completion *x)
{
	shim_wait(x, false);
}

int wait_for_completion_killable(struct completion *x)
{
	return shim_wait(x, true);
}

/* Lockdep stand-in */

#define SHIM_MAX_HELD 48

static __thread struct lockdep_map *shim_held[SHIM_MAX_HELD];
static __thread int shim_held_read[SHIM_MAX_HELD];
static __thread int shim_nr_held;

void shim_lock_acquire(struct lockdep_map *map, int trylock, int read)
{
	int i;

	for (i = 0; !trylock && i < shim_nr_held; i++) {
		if (shim_held[i] == map)
			shim_warn("lockdep", 0, "possible recursive locking");
	}
	if (shim_nr_held == SHIM_MAX_HELD) {
		shim_warn("lockdep", 0, "too many held locks");
		return;
	}
	shim_held_read[shim_nr_held] = read;
	shim_held[shim_nr_held++] = map;
}

void shim_lock_release(struct lockdep_map *map)
{
	int i;

	for (i = shim_nr_held - 1; i >= 0; i--) {
		if (shim_held[i] != map)
			continue;
		memmove(&shim_held[i], &shim_held[i + 1],
			(shim_nr_held - i - 1) * sizeof(shim_held[0]));
		memmove(&shim_held_read[i], &shim_held_read[i + 1],
			(shim_nr_held - i - 1) * sizeof(shim_held_read[0]));
		shim_nr_held--;
		return;
	}
	shim_warn("lockdep", 0, "bad unlock balance");
}

int shim_lockdep_depth(void)
{
	return shim_nr_held;
}

int shim_lockdep_held_read(const char *name)
{
	int i;

	for (i = 0; i < shim_nr_held; i++) {
		if (!strcmp(shim_held[i]->name, name))
			return shim_held_read[i];
	}
	return -1;
}

/*
 * Augmented treap.  Ordered by start (ties to the right), heap-ordered by a
 * random priority; every node caches the largest last of its subtree.
 */

static unsigned int shim_prio(void)
{
	static __thread unsigned int x;

	if (!x)
		x = 2463534242u ^ (unsigned int)(shim_thread_id() * 2654435761u);
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

static void it_update(struct rb_node *n, const struct shim_itree_ops *ops)
{
	u64 m = ops->last(n);

	if (n->left && *ops->subtree_last(n->left) > m)
		m = *ops->subtree_last(n->left);
	if (n->right && *ops->subtree_last(n->right) > m)
		m = *ops->subtree_last(n->right);
	*ops->subtree_last(n) = m;
}

static void it_replace(struct rb_root *root, struct rb_node *parent,
		       struct rb_node *old, struct rb_node *new)
{
	if (!parent)
		root->rb_node = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
	if (new)
		new->parent = parent;
}

/* The right child of x takes its place. */
static void it_rotate_left(struct rb_root *root, struct rb_node *x,
			   const struct shim_itree_ops *ops)
{
	struct rb_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	it_replace(root, x->parent, x, y);
	y->left = x;
	x->parent = y;
	it_update(x, ops);
	it_update(y, ops);
}

/* The left child of x takes its place. */
static void it_rotate_right(struct rb_root *root, struct rb_node *x,
			    const struct shim_itree_ops *ops)
{
	struct rb_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	it_replace(root, x->parent, x, y);
	y->right = x;
	x->parent = y;
	it_update(x, ops);
	it_update(y, ops);
}

void shim_itree_insert(struct rb_node *node, struct rb_root_cached *croot,
		       const struct shim_itree_ops *ops)
{
	struct rb_root *root = &croot->rb_root;
	struct rb_node *cur = root->rb_node, *parent = NULL;
	u64 start = ops->start(node), last = ops->last(node);
	bool left = false;

	while (cur) {
		parent = cur;
		if (*ops->subtree_last(cur) < last)
			*ops->subtree_last(cur) = last;
		left = start < ops->start(cur);
		cur = left ? cur->left : cur->right;
	}
	node->left = NULL;
	node->right = NULL;
	node->parent = parent;
	node->prio = shim_prio();
	*ops->subtree_last(node) = last;
	if (!parent)
		__atomic_store_n(&root->rb_node, node, __ATOMIC_RELAXED);
	else if (left)
		parent->left = node;
	else
		parent->right = node;

	while (node->parent && node->prio > node->parent->prio) {
		if (node->parent->left == node)
			it_rotate_right(root, node->parent, ops);
		else
			it_rotate_left(root, node->parent, ops);
	}
}

void shim_itree_remove(struct rb_node *node, struct rb_root_cached *croot,
		       const struct shim_itree_ops *ops)
{
	struct rb_root *root = &croot->rb_root;
	struct rb_node *child, *parent;

	/* Rotate the node down until it has at most one child. */
	while (node->left && node->right) {
		if (node->left->prio > node->right->prio)
			it_rotate_right(root, node, ops);
		else
			it_rotate_left(root, node, ops);
	}
	child = node->left ? node->left : node->right;
	parent = node->parent;
	if (!parent)
		__atomic_store_n(&root->rb_node, child, __ATOMIC_RELAXED);
	else
		it_replace(root, parent, node, child);
	if (child)
		child->parent = parent;
	for (; parent; parent = parent->parent)
		it_update(parent, ops);
	node->left = node->right = node->parent = NULL;
}

/* Leftmost node of the subtree at n overlapping [start, last]. */
static struct rb_node *it_search(struct rb_node *n, u64 start, u64 last,
				 const struct shim_itree_ops *ops)
{
	while (n && *ops->subtree_last(n) >= start) {
		/*
		 * If the left subtree reaches start, the answer is there or
		 * nowhere: its nodes start no later than n and everything
		 * right of it.
		 */
		if (n->left && *ops->subtree_last(n->left) >= start) {
			n = n->left;
			continue;
		}
		if (ops->start(n) > last)
			return NULL;
		if (ops->last(n) >= start)
			return n;
		n = n->right;
	}
	return NULL;
}

struct rb_node *shim_itree_first(struct rb_root_cached *root, u64 start,
				 u64 last, const struct shim_itree_ops *ops)
{
	return it_search(root->rb_root.rb_node, start, last, ops);
}

struct rb_node *shim_itree_next(struct rb_node *node, u64 start, u64 last,
				const struct shim_itree_ops *ops)
{
	struct rb_node *prev;

	for (;;) {
		if (node->right && *ops->subtree_last(node->right) >= start)
			return it_search(node->right, start, last, ops);
		/* Climb to the next node in order. */
		do {
			prev = node;
			node = node->parent;
			if (!node)
				return NULL;
		} while (node->right == prev);
		if (ops->start(node) > last)
			return NULL;
		if (ops->last(node) >= start)
			return node;
	}
}

struct rb_node *rb_first(const struct rb_root *root)
{
	struct rb_node *n = root->rb_node;

	while (n && n->left)
		n = n->left;
	return n;
}

struct rb_node *rb_next(const struct rb_node *node)
{
	const struct rb_node *prev;

	if (node->right) {
		node = node->right;
		while (node->left)
			node = node->left;
		return (struct rb_node *)node;
	}
	do {
		prev = node;
		node = node->parent;
	} while (node && node->right == prev);
	return (struct rb_node *)node;
}
