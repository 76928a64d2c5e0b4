/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: INTERVAL_TREE_DEFINE() with the kernel's signature, backed
 * by an augmented treap written for the shim (shim.c).  Endpoints are u64. */
#ifndef SHIM_LINUX_INTERVAL_TREE_GENERIC_H
#define SHIM_LINUX_INTERVAL_TREE_GENERIC_H

#include <linux/rbtree.h>

struct shim_itree_ops {
	u64 (*start)(struct rb_node *node);
	u64 (*last)(struct rb_node *node);
	u64 *(*subtree_last)(struct rb_node *node);
};

void shim_itree_insert(struct rb_node *node, struct rb_root_cached *root,
		       const struct shim_itree_ops *ops);
void shim_itree_remove(struct rb_node *node, struct rb_root_cached *root,
		       const struct shim_itree_ops *ops);
struct rb_node *shim_itree_first(struct rb_root_cached *root, u64 start,
				 u64 last, const struct shim_itree_ops *ops);
struct rb_node *shim_itree_next(struct rb_node *node, u64 start, u64 last,
				const struct shim_itree_ops *ops);

#define INTERVAL_TREE_DEFINE(ITSTRUCT, ITRB, ITTYPE, ITSUBTREE,		\
			     ITSTART, ITLAST, ITSTATIC, ITPREFIX)	\
static u64 ITPREFIX ## _shim_start(struct rb_node *rb)			\
{									\
	return ITSTART(rb_entry(rb, ITSTRUCT, ITRB));			\
}									\
static u64 ITPREFIX ## _shim_last(struct rb_node *rb)			\
{									\
	return ITLAST(rb_entry(rb, ITSTRUCT, ITRB));			\
}									\
static u64 *ITPREFIX ## _shim_sub(struct rb_node *rb)			\
{									\
	return &rb_entry(rb, ITSTRUCT, ITRB)->ITSUBTREE;		\
}									\
static const struct shim_itree_ops ITPREFIX ## _shim_ops = {		\
	ITPREFIX ## _shim_start, ITPREFIX ## _shim_last,		\
	ITPREFIX ## _shim_sub,						\
};									\
ITSTATIC void ITPREFIX ## _insert(ITSTRUCT *node,			\
				  struct rb_root_cached *root)		\
{									\
	shim_itree_insert(&node->ITRB, root, &ITPREFIX ## _shim_ops);	\
}									\
ITSTATIC void ITPREFIX ## _remove(ITSTRUCT *node,			\
				  struct rb_root_cached *root)		\
{									\
	shim_itree_remove(&node->ITRB, root, &ITPREFIX ## _shim_ops);	\
}									\
ITSTATIC ITSTRUCT *ITPREFIX ## _iter_first(struct rb_root_cached *root,	\
					   ITTYPE start, ITTYPE last)	\
{									\
	struct rb_node *rb = shim_itree_first(root, start, last,	\
					      &ITPREFIX ## _shim_ops);	\
	return rb ? rb_entry(rb, ITSTRUCT, ITRB) : NULL;		\
}									\
ITSTATIC ITSTRUCT *ITPREFIX ## _iter_next(ITSTRUCT *node,		\
					  ITTYPE start, ITTYPE last)	\
{									\
	struct rb_node *rb = shim_itree_next(&node->ITRB, start, last,	\
					     &ITPREFIX ## _shim_ops);	\
	return rb ? rb_entry(rb, ITSTRUCT, ITRB) : NULL;		\
}

#endif
