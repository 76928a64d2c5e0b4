/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SHIM_LINUX_SORT_H
#define SHIM_LINUX_SORT_H

#include <stdlib.h>
#include <linux/bug.h>

typedef int (*cmp_func_t)(const void *a, const void *b);

static inline void sort(void *base, size_t num, size_t size, cmp_func_t cmp,
			void *swap)
{
	BUG_ON(swap);
	if (num > 1)
		qsort(base, num, size, cmp);
}

#endif
