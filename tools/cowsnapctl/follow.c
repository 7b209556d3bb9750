// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl: reading a stream of event records, shared by "events" and
 * "cbt events".
 *
 * Reads pages of records after the last one seen (--since at first) until
 * one is empty, printing each record as a line or a JSON object.  With
 * --follow it then waits (uevents, else DM_DEV_WAIT) and reads again,
 * until SIGINT, SIGTERM, --count or --timeout ends it with exit status 0.
 * The watch is opened before the first read so that no uevent falls in
 * between.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "cowsnapctl.h"

/* ------------------------------------------------------------------------
 * Reading and printing
 * ---------------------------------------------------------------------- */

/**
 * struct reader - where a reader stands
 * @ctl: options
 * @rs: the kind of records
 * @src: passed to @rs's functions
 * @vol: volume name, for messages
 * @after: newest sequence number seen
 * @printed: records printed
 * @read_any: @after comes from a record read, not from --since
 */
struct reader {
	const struct ctl *ctl;
	const struct ctl_records *rs;
	void *src;
	const char *vol;
	uint64_t after;
	uint64_t printed;
	bool read_any;
};

static bool reader_done(const struct reader *rd)
{
	return rd->ctl->count && rd->printed >= rd->ctl->count;
}

static void report_missed(const struct reader *rd, const struct ctl_page *p)
{
	char why[96] = "no longer kept";
	struct cs_json j;

	if (rd->rs->dropped)
		snprintf(why, sizeof(why),
			 "overwritten before being read; %" PRIu64
			 " dropped in total", p->dropped);
	ctl_warn("%s: %" PRIu64 " %s records missed (seq %" PRIu64 "..%"
		 PRIu64 " %s)", rd->vol, p->missed, rd->rs->what, rd->after + 1,
		 p->first_seq - 1, why);
	if (!rd->ctl->json)
		return;
	cs_json_init(&j, stdout, 0);
	cs_json_begin_object(&j, NULL);
	cs_json_string(&j, "type", "missed");
	cs_json_u64(&j, "after_seq", rd->after);
	cs_json_u64(&j, "first_seq", p->first_seq);
	cs_json_u64(&j, "count", p->missed);
	if (rd->rs->dropped)
		cs_json_u64(&j, "dropped", p->dropped);
	cs_json_end_object(&j);
	cs_json_finish(&j);
}

/* Print one page; Return: records in it. */
static unsigned int print_page(struct reader *rd, const struct ctl_page *p)
{
	unsigned int i;

	if (p->missed) {
		report_missed(rd, p);
		rd->after = p->first_seq - 1;
	}
	for (i = 0; i < p->count && !reader_done(rd); i++) {
		rd->after = rd->rs->print(rd->src, rd->ctl, i);
		rd->read_any = true;
		rd->printed++;
	}
	fflush(stdout);
	return p->count;
}

/* The most records to ask for: what --count leaves, within rs->max. */
static unsigned int read_max(const struct reader *rd)
{
	uint64_t left = rd->ctl->count ? rd->ctl->count - rd->printed : 0;

	return rd->rs->max && left && left < rd->rs->max ?
	       (unsigned int)left : 0;
}

/* Read and print every record after rd->after.  Return: 0 or -errno. */
static int drain(struct reader *rd)
{
	struct ctl_page page;
	unsigned int n;
	int r;

	do {
		r = rd->rs->read(rd->src, rd->after, read_max(rd), &page);
		if (r)
			return r;
		if (rd->read_any && page.last_seq < rd->after) {
			ctl_warn("%s: %s sequence restarted (%s again?); reading from the start",
				 rd->vol, rd->rs->what, rd->rs->restart);
			rd->after = 0;
			rd->read_any = false;
			n = 1;
		} else {
			n = print_page(rd, &page);
		}
		rd->rs->free(rd->src);
		if (ferror(stdout))
			return cs_error_set(-EIO, NULL,
					    "cannot write to standard output");
	} while (n && !reader_done(rd));
	return 0;
}

/* ------------------------------------------------------------------------
 * --follow
 * ---------------------------------------------------------------------- */

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

void ctl_catch_signals(void (*handler)(int))
{
	struct sigaction sa = { .sa_handler = handler };	/* no SA_RESTART */

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
}

volatile sig_atomic_t ctl_stopped;

static void on_stop_signal(int sig)
{
	if (sig != SIGALRM)
		ctl_stopped = 1;
}

void ctl_catch_stop(void)
{
	ctl_catch_signals(on_stop_signal);
}

static int follow(struct reader *rd, const char *dev)
{
	struct cs_watch *w;
	int r;

	r = cs_watch_open(dev, rd->ctl->no_uevent ? CS_WATCH_DM_WAIT : 0, &w);
	if (r)
		return r;
	ctl_catch_signals(on_signal);
	if (rd->ctl->timeout)
		alarm(rd->ctl->timeout);
	while (!stop) {
		r = cs_watch_arm(w);
		if (!r)
			r = drain(rd);
		if (r || reader_done(rd))
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

int ctl_read_records(const struct ctl *ctl, const char *dev,
		     const struct ctl_records *rs, void *src)
{
	struct reader rd = { .ctl = ctl, .rs = rs, .src = src,
			     .vol = ctl->args[0], .after = ctl->since };

	if (ctl->follow)
		return follow(&rd, dev);
	return drain(&rd);
}
