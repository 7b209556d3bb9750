// SPDX-License-Identifier: GPL-2.0
/* BLK_STS_NEXUS was renamed BLK_STS_RESV_CONFLICT in v6.5. */
#include <linux/blk_types.h>

blk_status_t probe(void);
blk_status_t probe(void)
{
	return BLK_STS_RESV_CONFLICT;
}
