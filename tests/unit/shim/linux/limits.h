/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: U64_MAX lives in the shim's <linux/types.h>. */
#ifndef SHIM_LINUX_LIMITS_H
#define SHIM_LINUX_LIMITS_H

#include <linux/types.h>

#endif
