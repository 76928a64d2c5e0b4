/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: completions on a pthread mutex + condition variable.
 * wait_for_completion_killable() also wakes on shim_kill() of the waiter. */
#ifndef SHIM_LINUX_COMPLETION_H
#define SHIM_LINUX_COMPLETION_H

#include <pthread.h>

struct completion {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int done;
};

static inline void init_completion(struct completion *x)
{
	pthread_mutex_init(&x->lock, NULL);
	pthread_cond_init(&x->cond, NULL);
	x->done = 0;
}

void complete(struct completion *x);
void wait_for_completion(struct completion *x);
int wait_for_completion_killable(struct completion *x);

#endif
