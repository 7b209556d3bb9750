/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcowsnap: waiting for new event records.
 *
 * A target with something to say sends a KOBJ_CHANGE uevent on its dm disk
 * with COWSNAP_EVENT=<name> and COWSNAP_SEQ=<n>, and bumps the dm event
 * counter.  A watch listens to kernel uevents on a NETLINK_KOBJECT_UEVENT
 * socket (multicast group 1, no udev needed); if that socket cannot be
 * opened it falls back to DM_DEV_WAIT on the event counter.
 *
 *	cs_watch_open(dev, 0, &w);
 *	for (;;) {
 *		cs_watch_arm(w);
 *		... cs_events_read() until count == 0 ...
 *		r = cs_watch_wait(w, -1);      (< 0: stop)
 *	}
 */
#ifndef COWSNAP_UEVENT_H
#define COWSNAP_UEVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dm.h"

/** CS_WATCH_RESCAN_MS - a uevent watch reports at least this often, in
 * case a rate-limited uevent was not sent */
#define CS_WATCH_RESCAN_MS	1000
/** CS_WATCH_DM_WAIT - cs_watch_open() flag: use DM_DEV_WAIT, no uevents */
#define CS_WATCH_DM_WAIT	0x1
/** CS_WATCH_FD - cs_watch_wait(): the descriptor of cs_watch_add_fd() is
 * readable */
#define CS_WATCH_FD		2

/**
 * struct cs_uevent - the parts of a kernel uevent cowsnap looks at
 * @action: "add", "change", "remove", ...
 * @has_dev: MAJOR and MINOR were present
 * @dev: the device it is about
 * @event: value of COWSNAP_EVENT, "" if absent
 * @has_seq: COWSNAP_SEQ was present and a number
 * @seq: its value
 */
struct cs_uevent {
	char action[16];
	bool has_dev;
	struct cs_devno dev;
	char event[32];
	bool has_seq;
	uint64_t seq;
};

/**
 * cs_uevent_parse() - parse a kernel uevent message
 * @buf: "ACTION@DEVPATH\0KEY=VALUE\0...", as read from the socket
 * @len: its length
 * @ev: result
 *
 * Return: 0, or -EINVAL if @buf is not a kernel uevent (e.g. a libudev
 * message).
 */
int cs_uevent_parse(const char *buf, size_t len, struct cs_uevent *ev);

/**
 * cs_uevent_is_cowsnap() - is @ev a cowsnap event of device @dev?
 * @ev: parsed uevent
 * @dev: device of interest
 *
 * Return: true for a "change" uevent of @dev carrying COWSNAP_EVENT.
 */
bool cs_uevent_is_cowsnap(const struct cs_uevent *ev, struct cs_devno dev);

struct cs_watch;

/**
 * cs_watch_open() - start watching dm device @dev for new records
 * @dev: dm name of the device holding the target
 * @flags: 0 or CS_WATCH_DM_WAIT
 * @wp: receives the watch; cs_watch_close() it
 *
 * Open it before the first read, so that no uevent falls in between.
 * Return: 0, -ENODEV if @dev does not exist, or -errno (recorded).
 */
int cs_watch_open(const char *dev, unsigned int flags, struct cs_watch **wp);

/** cs_watch_uses_uevents() - Return: false if @w fell back to DM_DEV_WAIT */
bool cs_watch_uses_uevents(const struct cs_watch *w);

/**
 * cs_watch_add_fd() - also end cs_watch_wait() when @fd is readable
 * @w: watch
 * @fd: descriptor to poll as well, -1 for none; a DM_DEV_WAIT watch
 *	ignores it
 */
void cs_watch_add_fd(struct cs_watch *w, int fd);

/**
 * cs_watch_arm() - note the device's event counter before reading records
 * @w: watch
 *
 * Return: 0 or -errno (recorded).
 */
int cs_watch_arm(struct cs_watch *w);

/**
 * cs_watch_wait() - sleep until there may be new records
 * @w: watch
 * @timeout_ms: most milliseconds to wait, -1 for no limit; the
 *	DM_DEV_WAIT fallback ignores it and waits for an event or a signal
 *
 * A uevent watch returns 1 at least every CS_WATCH_RESCAN_MS.
 * Return: 1 read records now; CS_WATCH_FD the descriptor of
 * cs_watch_add_fd() is readable; 0 @timeout_ms passed; -EINTR a signal
 * arrived; or -errno (recorded).
 */
int cs_watch_wait(struct cs_watch *w, int timeout_ms);

/** cs_watch_close() - stop watching; NULL is a no-op */
void cs_watch_close(struct cs_watch *w);

#endif /* COWSNAP_UEVENT_H */
