/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: WARN_ON*() and WARN() print and count every hit (tests
 * check the count); BUG_ON() aborts. */
#ifndef SHIM_LINUX_BUG_H
#define SHIM_LINUX_BUG_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/types.h>

void shim_warn(const char *file, int line, const char *cond);

static inline __attribute__((format(printf, 3, 4)))
void shim_warn_fmt(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	shim_warn(file, line, "WARN()");
	fputs("# ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

#define WARN_ON(cond) ({						\
	bool __c = !!(cond);						\
	if (__c)							\
		shim_warn(__FILE__, __LINE__, #cond);			\
	__c;								\
})
#define WARN_ON_ONCE(cond)	WARN_ON(cond)
#define WARN(cond, fmt, ...) ({						\
	bool __c = !!(cond);						\
	if (__c)							\
		shim_warn_fmt(__FILE__, __LINE__, fmt, ##__VA_ARGS__);	\
	__c;								\
})
#define BUG_ON(cond)		do { if (cond) abort(); } while (0)

#endif
