/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SHIM_LINUX_DELAY_H
#define SHIM_LINUX_DELAY_H

#include <unistd.h>
#include <linux/kernel.h>

static inline void msleep(unsigned int ms)
{
	might_sleep();
	usleep(ms * 1000);
}

#endif
