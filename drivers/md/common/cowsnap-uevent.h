/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The uevent channel shared by the cowsnap targets: a KOBJ_CHANGE uevent on
 * the dm disk holding the target, naming the target, the event and the
 * newest sequence number (see ARCHITECTURE.md, "Talking to userspace").
 */
#ifndef COWSNAP_UEVENT_H
#define COWSNAP_UEVENT_H

#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/kobject.h>

#include <linux/dm-blkfilter.h>

/*
 * cowsnap_send_uevent - tell udev and netlink listeners about @event of
 * target @ti.  Process context only (it allocates and may sleep).
 */
static inline void cowsnap_send_uevent(struct dm_target *ti,
				       const char *event, u64 seq)
{
	struct gendisk *disk = dm_disk(dm_table_get_md(ti->table));
	char target_var[sizeof(COWSNAP_UEVENT_TARGET) + 32];
	char event_var[sizeof(COWSNAP_UEVENT_EVENT) + 32];
	char seq_var[sizeof(COWSNAP_UEVENT_SEQ) + 24];
	char *envp[] = { target_var, event_var, seq_var, NULL };

	snprintf(target_var, sizeof(target_var), COWSNAP_UEVENT_TARGET "=%s",
		 ti->type->name);
	snprintf(event_var, sizeof(event_var), COWSNAP_UEVENT_EVENT "=%s",
		 event);
	snprintf(seq_var, sizeof(seq_var), COWSNAP_UEVENT_SEQ "=%llu", seq);
	kobject_uevent_env(&disk_to_dev(disk)->kobj, KOBJ_CHANGE, envp);
}

#endif /* COWSNAP_UEVENT_H */
