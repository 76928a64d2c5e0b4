/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: kmalloc() is malloc() with a live-object counter (tests
 * check it returns to its start value), a might-sleep check for sleeping
 * flags, and injectable failure of non-sleeping allocations. */
#ifndef SHIM_LINUX_SLAB_H
#define SHIM_LINUX_SLAB_H

#include <linux/types.h>
#include <linux/gfp.h>

extern long shim_live_allocs;		/* atomic */
extern int shim_fail_nowait;		/* atomic: fail !__GFP_DIRECT_RECLAIM */
extern int shim_fail_all;		/* atomic: fail !__GFP_NOFAIL */

void *shim_kmalloc(size_t size, gfp_t gfp);
void shim_kfree(const void *p);

#define kmalloc(size, gfp)	shim_kmalloc((size), (gfp))
#define kzalloc(size, gfp)	shim_kmalloc((size), (gfp) | __GFP_ZERO)
#define kfree(p)		shim_kfree(p)

static inline void *kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	if (size && n > (size_t)-1 / size)
		return NULL;
	return shim_kmalloc(n * size, gfp);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	return kmalloc_array(n, size, gfp | __GFP_ZERO);
}

#endif
