/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: a jiffy is a millisecond. */
#ifndef SHIM_LINUX_JIFFIES_H
#define SHIM_LINUX_JIFFIES_H

#define HZ			1000
#define msecs_to_jiffies(m)	((unsigned long)(m))

#endif
