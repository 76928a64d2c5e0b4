/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SHIM_LINUX_GFP_H
#define SHIM_LINUX_GFP_H

#include <linux/types.h>

#define __GFP_IO		0x40u
#define __GFP_FS		0x80u
#define __GFP_DIRECT_RECLAIM	0x400u
#define __GFP_KSWAPD_RECLAIM	0x800u
#define __GFP_NOFAIL		0x8000u
#define __GFP_ZERO		0x100u

#define GFP_NOWAIT	(__GFP_KSWAPD_RECLAIM)
#define GFP_NOFS	(__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM | __GFP_IO)
#define GFP_KERNEL	(GFP_NOFS | __GFP_FS)

#endif
