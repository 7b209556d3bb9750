// SPDX-License-Identifier: GPL-2.0
/* BLK_STS_DURATION_LIMIT (command duration limits) appeared in v6.5. */
#include <linux/blk_types.h>

blk_status_t probe(void);
blk_status_t probe(void)
{
	return BLK_STS_DURATION_LIMIT;
}
