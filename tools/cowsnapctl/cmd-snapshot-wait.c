// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl: snapshot wait, for the next event record of a set.
 *
 * The watch (uevents, else DM_DEV_WAIT) is opened on one image of the set
 * before the first read, so that no record falls in between; the kernel
 * announces a set's records on every device of the set.  Every record
 * after --after (default: the newest one when the command starts) is
 * printed once there is one; --timeout ends the wait with exit status 5.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cowsnapctl.h"

/**
 * struct waiter - a wait in progress
 * @ctl: options
 * @id: set ID
 * @dev: the device messages go to
 * @after: newest sequence number seen
 */
struct waiter {
	const struct ctl *ctl;
	const char *id;
	char dev[CS_DM_NAME_LEN];
	uint64_t after;
};

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	caught = sig;
}

static void print_event(const struct waiter *w, const struct cs_snap_event *e)
{
	char line[CS_SNAP_EVENT_LINE_LEN];
	struct cs_json j;

	if (!w->ctl->json) {
		printf("%s\n", cs_snap_event_format(e, line));
		return;
	}
	cs_json_init(&j, stdout, 0);
	cs_snap_event_json(&j, e, w->id);
	cs_json_finish(&j);
}

/* Print the records after w->after; Return: how many, or -errno. */
static int print_new(struct waiter *w)
{
	struct cs_snap_events page;
	unsigned int i;
	int r;

	r = cs_snap_events_read(w->dev, w->after, &page);
	if (r == -ENXIO || r == -ENODEV)
		return cs_error_set(-ENOENT, w->id, "snapshot set is gone");
	if (r)
		return r;
	if (page.count && page.first_seq > w->after + 1)
		ctl_warn("%s: %" PRIu64 " event records missed (no longer kept)",
			 w->id, page.first_seq - w->after - 1);
	for (i = 0; i < page.count; i++) {
		print_event(w, &page.events[i]);
		w->after = page.events[i].seq;
	}
	r = (int)page.count;
	cs_snap_events_free(&page);
	fflush(stdout);
	return r;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int timed_out(const struct waiter *w)
{
	return cs_error_set(-ETIMEDOUT, w->id,
			    "no event after seq %" PRIu64 " within %u s",
			    w->after, w->ctl->timeout);
}

static int wait_loop(struct waiter *w, struct cs_watch *watch)
{
	int64_t deadline = w->ctl->timeout ?
			   now_ms() + 1000LL * w->ctl->timeout : 0, left;
	int r;

	for (;;) {
		r = cs_watch_arm(watch);
		if (!r)
			r = print_new(w);
		if (r)
			return r < 0 ? r : 0;
		if (caught == SIGALRM)
			return timed_out(w);
		if (caught)
			return cs_error_set(-EINTR, w->id, "interrupted");
		left = deadline ? deadline - now_ms() : -1;
		if (deadline && left <= 0)
			return timed_out(w);
		r = cs_watch_wait(watch, (int)(left > INT32_MAX ? -1 : left));
		if (r < 0 && r != -EINTR)
			return r;
	}
}

static int do_wait(struct ctl *ctl)
{
	struct waiter w = { .ctl = ctl, .id = ctl->args[0] };
	struct cs_snap_info info;
	struct cs_snap_set *s;
	struct cs_watch *watch;
	int r;

	r = cs_snap_find(w.id, &s);
	if (r)
		return r;
	if (cs_snap_msg_dev(s))
		snprintf(w.dev, sizeof(w.dev), "%s", cs_snap_msg_dev(s));
	cs_snap_sets_free(s, 1);
	if (!w.dev[0])
		return cs_error_set(-ENOENT, w.id,
				    "snapshot set has no image and no origin");
	r = cs_watch_open(w.dev, 0, &watch);
	if (r)
		return r;
	w.after = ctl->after;
	if (!ctl->has_after) {
		r = cs_snap_get_info(w.dev, &info);
		w.after = info.last_event;
	}
	ctl_catch_signals(on_signal);
	if (ctl->timeout)
		alarm(ctl->timeout);	/* ends a DM_DEV_WAIT too */
	if (!r)
		r = wait_loop(&w, watch);
	alarm(0);
	cs_watch_close(watch);
	return r;
}

const struct command cmd_snapshot_wait = {
	.name = "wait", .fn = do_wait, .min_args = 1, .max_args = 1,
	.options = OPT_AFTER | OPT_TIMEOUT | OPT_JSON, .usage = "ID",
	.help = "Wait for an event record of snapshot set ID.",
};
