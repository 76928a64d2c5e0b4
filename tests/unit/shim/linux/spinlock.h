/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: spinlock_t is a pthread mutex.  The shim counts the spin
 * locks each thread holds, so that sleeping (or a sleeping allocation) under a
 * spin lock fails the test, and records the owner for lockdep_assert_held(). */
#ifndef SHIM_LINUX_SPINLOCK_H
#define SHIM_LINUX_SPINLOCK_H

#include <pthread.h>
#include <linux/types.h>
#include <linux/bug.h>

typedef struct {
	pthread_mutex_t mutex;
	unsigned long owner;
} spinlock_t;

extern __thread int shim_spin_depth;
unsigned long shim_thread_id(void);

#define DEFINE_SPINLOCK(x)	spinlock_t x = { PTHREAD_MUTEX_INITIALIZER, 0 }

static inline void spin_lock_init(spinlock_t *lock)
{
	pthread_mutex_init(&lock->mutex, NULL);
	lock->owner = 0;
}

static inline void spin_lock(spinlock_t *lock)
{
	pthread_mutex_lock(&lock->mutex);
	__atomic_store_n(&lock->owner, shim_thread_id(), __ATOMIC_RELAXED);
	shim_spin_depth++;
}

static inline void spin_unlock(spinlock_t *lock)
{
	shim_spin_depth--;
	__atomic_store_n(&lock->owner, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&lock->mutex);
}

#define spin_lock_nest_lock(lock, nest)	spin_lock(lock)
#define spin_lock_nested(lock, sub)	spin_lock(lock)
#define lockdep_assert_held(lock) \
	WARN_ON(__atomic_load_n(&(lock)->owner, __ATOMIC_RELAXED) != \
		shim_thread_id())

#endif
