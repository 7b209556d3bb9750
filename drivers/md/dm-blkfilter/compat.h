/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels dm-blkfilter builds on, decided by the
 * compile tests of scripts/compat/probes/ (see scripts/compat/probe.sh),
 * never by version numbers.
 */
#ifndef BLKFILTER_COMPAT_H
#define BLKFILTER_COMPAT_H

#include "compat-generated.h"

/* v6.5 renamed the reservation-conflict status. */
#ifndef COWSNAP_HAVE_BLK_STS_RESV_CONFLICT
#define BLK_STS_RESV_CONFLICT	BLK_STS_NEXUS
#endif

#endif /* BLKFILTER_COMPAT_H */
