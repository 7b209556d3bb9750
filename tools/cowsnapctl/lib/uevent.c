// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: waiting for new event records (see uevent.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/dm-blkfilter.h>
#include <linux/netlink.h>

#include "uevent.h"
#include "util.h"

#define UEVENT_GROUP_KERNEL	1
#define UEVENT_RCVBUF		(1 << 20)
#define UEVENT_MSG_MAX		8192

struct cs_watch {
	char dev_name[CS_DM_NAME_LEN];
	struct cs_devno dev;
	int fd;			/* uevent socket, -1: DM_DEV_WAIT */
	int extra_fd;		/* cs_watch_add_fd(), -1: none */
	bool armed;
	uint32_t event_nr;
};

/* ------------------------------------------------------------------------
 * Parsing
 * ---------------------------------------------------------------------- */

static void parse_var(const char *var, struct cs_uevent *ev,
		      unsigned int *devno_parts)
{
	const size_t elen = strlen(COWSNAP_UEVENT_EVENT);
	const size_t slen = strlen(COWSNAP_UEVENT_SEQ);
	uint64_t v;

	if (!strncmp(var, "MAJOR=", 6) && !cs_parse_u64(var + 6, &v) &&
	    v <= UINT32_MAX) {
		ev->dev.major = (uint32_t)v;
		*devno_parts |= 1;
	} else if (!strncmp(var, "MINOR=", 6) && !cs_parse_u64(var + 6, &v) &&
		   v <= UINT32_MAX) {
		ev->dev.minor = (uint32_t)v;
		*devno_parts |= 2;
	} else if (!strncmp(var, COWSNAP_UEVENT_EVENT, elen) &&
		   var[elen] == '=') {
		snprintf(ev->event, sizeof(ev->event), "%s", var + elen + 1);
	} else if (!strncmp(var, COWSNAP_UEVENT_SEQ, slen) &&
		   var[slen] == '=' && !cs_parse_u64(var + slen + 1, &v)) {
		ev->seq = v;
		ev->has_seq = true;
	}
}

int cs_uevent_parse(const char *buf, size_t len, struct cs_uevent *ev)
{
	unsigned int devno_parts = 0;
	const char *p, *end = buf + len, *at;
	size_t n;

	memset(ev, 0, sizeof(*ev));
	n = strnlen(buf, len);
	at = memchr(buf, '@', n);
	if (n == len || !at || at == buf || at == buf + n - 1 ||
	    (size_t)(at - buf) >= sizeof(ev->action))
		return -EINVAL;
	memcpy(ev->action, buf, at - buf);
	for (p = buf + n + 1; p < end; p += n + 1) {
		n = strnlen(p, end - p);
		if (p + n == end)
			break;		/* unterminated tail: ignore */
		parse_var(p, ev, &devno_parts);
	}
	ev->has_dev = devno_parts == 3;
	return 0;
}

bool cs_uevent_is_cowsnap(const struct cs_uevent *ev, struct cs_devno dev)
{
	return !strcmp(ev->action, "change") && ev->has_dev &&
	       ev->dev.major == dev.major && ev->dev.minor == dev.minor &&
	       ev->event[0];
}

/* ------------------------------------------------------------------------
 * The netlink socket
 * ---------------------------------------------------------------------- */

static int uevent_open(void)
{
	struct sockaddr_nl addr = {
		.nl_family = AF_NETLINK,
		.nl_groups = UEVENT_GROUP_KERNEL,
	};
	int fd, size = UEVENT_RCVBUF;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    NETLINK_KOBJECT_UEVENT);
	if (fd < 0)
		return -errno;
	/* A bigger buffer if allowed; the default will do otherwise. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/*
 * Read one message.  Return: 1 and @ev filled for a kernel uevent, 2 for a
 * message to ignore, 0 if none is pending, -ENOBUFS if some were lost,
 * -errno.
 */
static int uevent_recv(int fd, struct cs_uevent *ev)
{
	char buf[UEVENT_MSG_MAX];
	struct sockaddr_nl addr;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = {
		.msg_name = &addr,
		.msg_namelen = sizeof(addr),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	ssize_t n;

	n = recvmsg(fd, &msg, 0);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	/* Only the kernel (port 0) sends on group 1; skip anything else. */
	if (addr.nl_pid != 0 || (msg.msg_flags & MSG_TRUNC))
		return 2;
	return cs_uevent_parse(buf, (size_t)n, ev) ? 2 : 1;
}

/* Drain the socket.  Return: 1 if a uevent of ours was among the
 * messages (or some were lost), 0 if not, -errno. */
static int uevent_drain(struct cs_watch *w)
{
	struct cs_uevent ev;
	bool ours = false;
	int r;

	while ((r = uevent_recv(w->fd, &ev))) {
		if (r == -ENOBUFS) {
			ours = true;
			continue;
		}
		if (r < 0)
			return r;
		if (r == 1 && cs_uevent_is_cowsnap(&ev, w->dev)) {
			cs_log(2, "%s: uevent %s seq %llu", w->dev_name,
			       ev.event, (unsigned long long)ev.seq);
			ours = true;
		}
	}
	return ours;
}

/* ------------------------------------------------------------------------
 * Watches
 * ---------------------------------------------------------------------- */

int cs_watch_open(const char *dev, unsigned int flags, struct cs_watch **wp)
{
	struct cs_dm_info info;
	struct cs_watch *w;
	int r;

	r = cs_dm_info(dev, &info);
	if (!r && !info.exists)
		r = -ENODEV;
	if (r)
		return cs_error_set(r, dev, "cannot watch: %s", strerror(-r));
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	snprintf(w->dev_name, sizeof(w->dev_name), "%s", dev);
	w->dev = info.dev;
	w->fd = -1;
	w->extra_fd = -1;
	if (!(flags & CS_WATCH_DM_WAIT)) {
		w->fd = uevent_open();
		if (w->fd < 0)
			cs_log(1, "%s: no uevent socket (%s), using DM_DEV_WAIT",
			       dev, strerror(-w->fd));
	}
	if (w->fd < 0)
		w->fd = -1;
	*wp = w;
	return 0;
}

bool cs_watch_uses_uevents(const struct cs_watch *w)
{
	return w->fd >= 0;
}

void cs_watch_add_fd(struct cs_watch *w, int fd)
{
	w->extra_fd = fd;
}

int cs_watch_arm(struct cs_watch *w)
{
	struct cs_dm_info info;
	int r;

	if (w->fd >= 0)
		return 0;
	r = cs_dm_info(w->dev_name, &info);
	if (!r && !info.exists)
		r = -ENODEV;
	if (r)
		return cs_error_set(r, w->dev_name, "cannot read device: %s",
				    strerror(-r));
	w->event_nr = info.event_nr;
	w->armed = true;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_uevent(struct cs_watch *w, int timeout_ms)
{
	bool rescan = timeout_ms < 0 || timeout_ms > CS_WATCH_RESCAN_MS;
	int64_t deadline = now_ms() + (rescan ? CS_WATCH_RESCAN_MS : timeout_ms);
	struct pollfd pfd[2] = {
		{ .fd = w->fd, .events = POLLIN },
		{ .fd = w->extra_fd, .events = POLLIN },
	};
	int64_t left;
	int r;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return rescan ? 1 : 0;
		r = poll(pfd, w->extra_fd >= 0 ? 2 : 1, (int)left);
		if (r < 0)
			return errno == EINTR ? -EINTR :
			       cs_error_set(-errno, w->dev_name,
					    "waiting for uevents: %s",
					    strerror(errno));
		if (!r)
			continue;
		if (pfd[1].revents)
			return CS_WATCH_FD;
		r = uevent_drain(w);
		if (r < 0)
			return cs_error_set(r, w->dev_name,
					    "reading uevents: %s", strerror(-r));
		if (r)
			return 1;
	}
}

int cs_watch_wait(struct cs_watch *w, int timeout_ms)
{
	int r;

	if (w->fd >= 0)
		return wait_uevent(w, timeout_ms);
	if (!w->armed) {
		r = cs_watch_arm(w);
		if (r)
			return r;
	}
	r = cs_dm_wait_event(w->dev_name, w->event_nr);
	w->armed = false;
	if (r == -EINTR)
		return r;
	if (r)
		return cs_error_set(r, w->dev_name, "DM_DEV_WAIT failed: %s",
				    strerror(-r));
	return 1;
}

void cs_watch_close(struct cs_watch *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}
