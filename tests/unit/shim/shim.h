/* SPDX-License-Identifier: GPL-2.0 */
/* What tests can ask the shim. */
#ifndef SHIM_SHIM_H
#define SHIM_SHIM_H

#include <linux/sched.h>

extern long shim_warnings;	/* WARN_ON hits so far */
extern long shim_live_allocs;	/* kmalloc'ed objects not yet freed */
extern int shim_fail_nowait;	/* non-zero: non-sleeping kmalloc fails */
extern int shim_fail_all;		/* non-zero: kmalloc without __GFP_NOFAIL fails */

unsigned long shim_thread_id(void);
int shim_lockdep_depth(void);	/* lockdep maps this thread holds */
/* How this thread holds the lockdep map @name: -1 not, 0 exclusive, 1 read. */
int shim_lockdep_held_read(const char *name);

static inline long shim_read_warnings(void)
{
	return __atomic_load_n(&shim_warnings, __ATOMIC_SEQ_CST);
}

static inline long shim_read_allocs(void)
{
	return __atomic_load_n(&shim_live_allocs, __ATOMIC_SEQ_CST);
}

#endif
