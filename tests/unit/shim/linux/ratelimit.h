/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: rate limits let everything through, so that tests count
 * every WARN behind one. */
#ifndef SHIM_LINUX_RATELIMIT_H
#define SHIM_LINUX_RATELIMIT_H

#ifndef HZ
#define HZ	1000
#endif

struct ratelimit_state {
	int interval;
	int burst;
};

#define DEFINE_RATELIMIT_STATE(name, i, b) \
	struct ratelimit_state name = { (i), (b) }
#define __ratelimit(rs)		((void)(rs), 1)

#endif
