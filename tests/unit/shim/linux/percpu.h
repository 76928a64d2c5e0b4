/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: SHIM_NR_CPUS copies of each per-cpu object at a fixed
 * stride; a thread uses the copy of "its cpu" (thread number modulo the cpu
 * count).  Several threads share a cpu, so this_cpu ops are relaxed atomics. */
#ifndef SHIM_LINUX_PERCPU_H
#define SHIM_LINUX_PERCPU_H

#include <linux/types.h>
#include <linux/slab.h>

#define SHIM_NR_CPUS		4
#define SHIM_PERCPU_STRIDE	8192

extern __thread int shim_cpu;

void *shim_alloc_percpu(size_t size);

#define alloc_percpu(type)	((type *)shim_alloc_percpu(sizeof(type)))
#define free_percpu(p)		kfree(p)
#define per_cpu_ptr(p, cpu) \
	((__typeof__(p))((char *)(p) + (size_t)(cpu) * SHIM_PERCPU_STRIDE))
#define this_cpu_ptr(p)		per_cpu_ptr(p, shim_cpu)
#define for_each_possible_cpu(cpu) \
	for ((cpu) = 0; (cpu) < SHIM_NR_CPUS; (cpu)++)

#define this_cpu_add(pcp, val) \
	((void)__atomic_fetch_add(this_cpu_ptr(&(pcp)), (val), __ATOMIC_RELAXED))
#define this_cpu_inc(pcp)	this_cpu_add(pcp, 1)

#endif
