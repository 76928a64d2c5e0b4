/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: the node and root types of the kernel rbtree API.  The
 * shim's trees are treaps (see shim.c); only what range-lock.c and the tests
 * use is provided. */
#ifndef SHIM_LINUX_RBTREE_H
#define SHIM_LINUX_RBTREE_H

#include <linux/kernel.h>

struct rb_node {
	struct rb_node *left;
	struct rb_node *right;
	struct rb_node *parent;
	unsigned int prio;
};

struct rb_root {
	struct rb_node *rb_node;
};

struct rb_root_cached {
	struct rb_root rb_root;
	struct rb_node *rb_leftmost;	/* unused by the shim */
};

#define RB_ROOT			((struct rb_root) { NULL, })
#define RB_ROOT_CACHED		((struct rb_root_cached) { { NULL, }, NULL })
#define RB_EMPTY_ROOT(root)	(READ_ONCE((root)->rb_node) == NULL)
#define rb_entry(ptr, type, member)	container_of(ptr, type, member)

struct rb_node *rb_first(const struct rb_root *root);
struct rb_node *rb_next(const struct rb_node *node);

#endif
