/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SHIM_LINUX_ERRNO_H
#define SHIM_LINUX_ERRNO_H

/* The uapi numbers; <errno.h> itself would come back here via <linux/errno.h>. */
#include <asm-generic/errno.h>

#define ERESTARTSYS	512

#endif
