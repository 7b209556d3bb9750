// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl: snapshot monitor, the growth monitor of a set.
 *
 * "snapshot create --store-limit" starts it detached (cs_spawn_daemon());
 * it may also be run by hand, in the foreground.  It holds the set's
 * monitor socket (one monitor a set), wakes on the set's uevents and at
 * least once a second, reads "info" from one device of the set and, when
 * the free space is below low water, grows the store by --store-size up
 * to --store-limit (cs_snap_extend()).  It exits when the set is gone or
 * "snapshot destroy" asks it to; it keeps no device of the set open.
 * Detached, it logs to syslog only.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "cowsnapctl.h"

/**
 * struct monitor - a running monitor
 * @id: set ID
 * @limit: the store may grow up to this many bytes, 0: never
 * @step: bytes added each time
 * @dev: the device "info" goes to
 * @watch: uevents of @dev (NULL, or a DM_DEV_WAIT one, is not waited on)
 * @fd: the monitor socket
 * @last_err: error of the last failed growth, not logged again
 * @corrupted: the corruption of the set was logged
 */
struct monitor {
	const char *id;
	uint64_t limit;
	uint64_t step;
	char dev[CS_DM_NAME_LEN];
	struct cs_watch *watch;
	int fd;
	int last_err;
	bool corrupted;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
}

/* Find the device to read; Return: 0, 1 if the set is gone, -errno. */
static int pick_dev(struct monitor *m)
{
	struct cs_snap_set *s;
	const char *dev;
	int r;

	r = cs_snap_find(m->id, &s);
	if (r)
		return r == -ENOENT ? 1 : r;
	dev = s->has_store ? cs_snap_msg_dev(s) : NULL;
	if (dev)
		snprintf(m->dev, sizeof(m->dev), "%s", dev);
	cs_snap_sets_free(s, 1);
	if (!dev)
		return 1;
	cs_watch_close(m->watch);
	m->watch = NULL;
	if (!cs_watch_open(m->dev, 0, &m->watch))
		cs_watch_add_fd(m->watch, m->fd);
	return 0;
}

/* Log a failure, once until another one comes. */
static void log_error(struct monitor *m, int r)
{
	const struct cs_error *e = cs_last_error();

	if (r != m->last_err)
		syslog(LOG_ERR, "snapshot set %s: %s%s%s", m->id, e->dev,
		       e->dev[0] ? ": " : "",
		       e->err == r ? e->why : strerror(-r));
	m->last_err = r;
}

static void grow(struct monitor *m, const struct cs_snap_info *info)
{
	uint64_t add, added;
	int r;

	add = cs_snap_growth(info, m->step, m->limit);
	if (!add)
		return;
	r = cs_snap_extend(m->id, NULL, add, &added);
	if (r) {
		log_error(m, r);
		return;
	}
	m->last_err = 0;
	syslog(LOG_INFO, "snapshot set %s: store grown by %" PRIu64 " to %" PRIu64 " sectors",
	       m->id, added, info->store_size + added);
}

/* One look at the set; Return: 0, 1 if the set is gone, -errno. */
static int tick(struct monitor *m)
{
	struct cs_snap_info info;
	int r;

	r = cs_snap_get_info(m->dev, &info);
	if (r) {
		r = pick_dev(m);
		if (!r)
			r = cs_snap_get_info(m->dev, &info);
		if (r)
			return r;
	}
	if (info.corrupted && !m->corrupted)
		syslog(LOG_ERR, "snapshot set %s is corrupted (errno %u); its images fail all I/O",
		       m->id, info.error);
	m->corrupted = info.corrupted;
	grow(m, &info);
	return 0;
}

/* Sleep until something happens; Return: 1 when asked to stop. */
static int sleep_once(struct monitor *m)
{
	struct pollfd pfd = { .fd = m->fd, .events = POLLIN };
	int r;

	if (m->watch && cs_watch_uses_uevents(m->watch))
		r = cs_watch_wait(m->watch, CS_WATCH_RESCAN_MS);
	else
		r = poll(&pfd, 1, CS_WATCH_RESCAN_MS) == 1 ? CS_WATCH_FD : 0;
	if (r == CS_WATCH_FD)
		return cs_snap_monitor_accept(m->fd);
	return stop != 0;
}

/* Say we are ready; detached, give stdout and stderr up. */
static void ready(const struct monitor *m)
{
	const char *env = getenv(CS_DETACHED_ENV);
	bool detached = env && !strcmp(env, "1");
	int fd;

	printf(CTL_MONITOR_READY "%s, pid %d\n", m->id, (int)getpid());
	fflush(stdout);
	openlog(program_invocation_short_name,
		LOG_PID | (detached ? 0 : LOG_PERROR), LOG_DAEMON);
	if (!detached)
		return;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
}

static int do_monitor(struct ctl *ctl)
{
	struct monitor m = {
		.id = ctl->args[0], .limit = ctl->store_limit,
		.step = ctl->store_size ? ctl->store_size : CS_SNAP_STORE_MIN,
	};
	int r;

	m.fd = cs_snap_monitor_listen(m.id);
	if (m.fd < 0)
		return m.fd;
	r = pick_dev(&m);
	if (r == 1)
		r = cs_error_set(-ENOENT, m.id, "no such snapshot set");
	if (!r) {
		catch_signals();
		ready(&m);
		while (!stop) {
			r = tick(&m);
			if (r > 0)
				break;		/* the set is gone */
			if (r < 0)
				log_error(&m, r);
			if (sleep_once(&m))
				break;
		}
		syslog(LOG_INFO, "snapshot set %s: monitor exits", m.id);
		r = 0;
	}
	cs_watch_close(m.watch);
	close(m.fd);
	return r;
}

const struct command cmd_snapshot_monitor = {
	.name = "monitor", .fn = do_monitor, .min_args = 1, .max_args = 1,
	.options = OPT_STORE_LIMIT | OPT_STORE_SIZE, .usage = "ID",
	.help = "Grow the store of set ID when it runs low (foreground).",
};
