// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl: --follow, shared by "events" and "cbt events".
 *
 * Read every record, then wait (uevents, else DM_DEV_WAIT) and read
 * again, until SIGINT, SIGTERM, --count or --timeout ends it with exit
 * status 0.  The watch is opened before the first read so that no uevent
 * falls in between.
 */
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "cowsnapctl.h"

static volatile sig_atomic_t stop;

/*
 * Set the flag, and make sure a wait that started just before it was set
 * is interrupted too: SIGALRM comes again every second until we exit.
 */
static void on_signal(int sig)
{
	stop = sig;
	alarm(1);
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
}

int ctl_follow(const struct ctl *ctl, const char *dev, int (*drain)(void *),
	       bool (*done)(void *), void *priv)
{
	struct cs_watch *w;
	int r;

	r = cs_watch_open(dev, ctl->no_uevent ? CS_WATCH_DM_WAIT : 0, &w);
	if (r)
		return r;
	catch_signals();
	if (ctl->timeout)
		alarm(ctl->timeout);
	while (!stop) {
		r = cs_watch_arm(w);
		if (!r)
			r = drain(priv);
		if (r || done(priv))
			break;
		r = cs_watch_wait(w, -1);
		if (r == -EINTR)
			r = 0;
		else if (r < 0)
			break;
	}
	cs_watch_close(w);
	return r < 0 ? r : 0;
}
