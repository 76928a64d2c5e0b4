/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: btrfsx headers only pass struct kobject pointers. */
#ifndef SHIM_LINUX_KOBJECT_H
#define SHIM_LINUX_KOBJECT_H

struct kobject;

#endif
