// SPDX-License-Identifier: GPL-2.0
/*
 * btrfsx module identity: version, the kernel source it was built from, and
 * the init/exit of btrfsx's own subsystems.
 */

#include <linux/module.h>
#include <linux/printk.h>
#include "btrfsx/module.h"
#include "btrfsx/range-lock-bench.h"
#include "btrfsx/version.h"

int btrfsx_init(void)
{
	pr_info("btrfsx: version %s, built from %s\n", BTRFSX_VERSION,
		BTRFSX_SOURCE);
#ifdef BTRFSX_DEBUG
	btrfsx_range_lock_bench_init();
#endif
	return 0;
}

void btrfsx_exit(void)
{
#ifdef BTRFSX_DEBUG
	btrfsx_range_lock_bench_exit();
#endif
}

MODULE_VERSION(BTRFSX_VERSION);
MODULE_INFO(btrfsx_source, BTRFSX_SOURCE);
