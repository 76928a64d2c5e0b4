/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: a tiny stand-in for lockdep.  Each thread keeps the maps it
 * holds; the shim warns (and so fails the test) on a blocking acquire of a
 * class the thread already holds, on a release of a class it does not hold,
 * and tests can check the depth is back to zero.  No dependency graph. */
#ifndef SHIM_LINUX_LOCKDEP_H
#define SHIM_LINUX_LOCKDEP_H

#include <linux/types.h>

struct lock_class_key {
	int unused;
};

struct lockdep_map {
	const char *name;
	void *key;
};

#define STATIC_LOCKDEP_MAP_INIT(_name, _key) \
	{ .name = (_name), .key = (void *)(_key), }

void shim_lock_acquire(struct lockdep_map *map, int trylock, int read);
void shim_lock_release(struct lockdep_map *map);
int shim_lockdep_depth(void);

#define lock_acquire_exclusive(l, s, t, n, i)	shim_lock_acquire(l, t, 0)
#define lock_acquire_shared(l, s, t, n, i)	shim_lock_acquire(l, t, 1)
#define lock_release(l, i)			shim_lock_release(l)

#endif
