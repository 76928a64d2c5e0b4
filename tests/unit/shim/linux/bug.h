/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: WARN_ON*() print and count every hit (tests check the
 * count); BUG_ON() aborts. */
#ifndef SHIM_LINUX_BUG_H
#define SHIM_LINUX_BUG_H

#include <stdlib.h>
#include <linux/types.h>

void shim_warn(const char *file, int line, const char *cond);

#define WARN_ON(cond) ({						\
	bool __c = !!(cond);						\
	if (__c)							\
		shim_warn(__FILE__, __LINE__, #cond);			\
	__c;								\
})
#define WARN_ON_ONCE(cond)	WARN_ON(cond)
#define BUG_ON(cond)		do { if (cond) abort(); } while (0)

#endif
