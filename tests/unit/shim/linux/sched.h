/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: a task per thread, and fatal signals sent by tests. */
#ifndef SHIM_LINUX_SCHED_H
#define SHIM_LINUX_SCHED_H

#include <pthread.h>
#include <linux/errno.h>	/* the kernel's comes with it too */
#include <linux/types.h>

struct completion;

struct task_struct {
	pthread_mutex_t lock;
	struct completion *waiting;	/* under lock */
	int killed;			/* atomic */
	unsigned long id;
};

struct task_struct *shim_current(void);
#define current shim_current()

void shim_kill(struct task_struct *task);	/* deliver a fatal signal */
void shim_clear_kill(struct task_struct *task);	/* the signal was handled */

static inline bool fatal_signal_pending(struct task_struct *task)
{
	return __atomic_load_n(&task->killed, __ATOMIC_ACQUIRE);
}

#endif
