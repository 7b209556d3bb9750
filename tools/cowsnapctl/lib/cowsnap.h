/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcowsnap: the library under cowsnapctl, for programs and tests.
 *
 *	#include <cowsnap.h>	(-Itools/cowsnapctl/lib -Iinclude/uapi)
 *
 * Link build/host/libcowsnap.a and `pkg-config --libs devmapper`.
 *
 * Conventions: functions return 0 (or a count) on success and a negative
 * errno on failure; when errno alone would not say enough, they record an
 * error (cs_last_error(): device and reason) that the caller prints once.
 * Nothing prints on its own unless cs_set_verbose() asks for it.  Every
 * change that fails is undone.
 *
 *	util.h		errors, verbose log, parsing, uuids, formatting
 *	json.h		small JSON writer
 *	columns.h	aligned text tables
 *	names.h		volume and layer names and dm uuids
 *	table.h		dm tables in memory
 *	dm.h		libdevmapper wrappers
 *	stack.h		a volume's stack of dm devices, push/pop with undo
 *	volume.h	create, adopt, remove, list
 *	filter.h	attach/detach the blkfilter layer
 *	cbt.h		the cbt layer: enable/disable, its answers and maps
 *	snapshot.h	snapshot sets: create, find, destroy, grow, monitor
 *	store.h		a snapshot store's segments and dm device
 *	loop.h		loop devices over a store's files
 *	events.h	read and format blkfilter event records
 *	uevent.h	wait for new records (uevents, DM_DEV_WAIT)
 *	backup.h	backups into a directory: run, restore, verify
 */
#ifndef COWSNAP_H
#define COWSNAP_H

#include "util.h"
#include "json.h"
#include "columns.h"
#include "names.h"
#include "table.h"
#include "dm.h"
#include "stack.h"
#include "volume.h"
#include "filter.h"
#include "cbt.h"
#include "snapshot.h"
#include "store.h"
#include "loop.h"
#include "events.h"
#include "uevent.h"
#include "backup.h"

#endif /* COWSNAP_H */
