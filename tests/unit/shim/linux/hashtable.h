/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: fixed-size hash tables of hlists, as <linux/hashtable.h>
 * (the bucket is the key modulo the table size). */
#ifndef SHIM_LINUX_HASHTABLE_H
#define SHIM_LINUX_HASHTABLE_H

#include <linux/kernel.h>
#include <linux/types.h>

static inline void hlist_add_head(struct hlist_node *n, struct hlist_head *h)
{
	n->next = h->first;
	if (h->first)
		h->first->pprev = &n->next;
	h->first = n;
	n->pprev = &h->first;
}

static inline void hlist_del_init(struct hlist_node *n)
{
	if (!n->pprev)
		return;
	*n->pprev = n->next;
	if (n->next)
		n->next->pprev = n->pprev;
	n->next = NULL;
	n->pprev = NULL;
}

#define hlist_entry_safe(ptr, type, member) ({				\
	__typeof__(ptr) ____ptr = (ptr);				\
	____ptr ? container_of(____ptr, type, member) : NULL;		\
})

#define hlist_for_each_entry(pos, head, member)				\
	for (pos = hlist_entry_safe((head)->first, __typeof__(*(pos)), member);\
	     pos;							\
	     pos = hlist_entry_safe((pos)->member.next, __typeof__(*(pos)), \
				    member))

#define DEFINE_HASHTABLE(name, bits)	struct hlist_head name[1 << (bits)]
#define shim_hash_bucket(name, key) \
	(&(name)[(unsigned long)(key) % ARRAY_SIZE(name)])
#define hash_add(name, node, key) \
	hlist_add_head(node, shim_hash_bucket(name, key))
#define hash_del(node)			hlist_del_init(node)
#define hash_for_each_possible(name, obj, member, key) \
	hlist_for_each_entry(obj, shim_hash_bucket(name, key), member)

#endif
