// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl: the progress line of backup and restore, on a terminal only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cowsnapctl.h"

/* The bar: BAR characters, filled from BAR_FULL. */
#define BAR		24
#define BAR_FULL	"########################"

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void ctl_progress_init(struct ctl_progress *p, const char *what)
{
	p->what = what;
	p->tty = isatty(STDERR_FILENO);
	p->start_us = now_us();
	p->last_us = 0;
	p->shown = false;
}

void ctl_progress_show(void *priv, uint64_t done, uint64_t total)
{
	struct ctl_progress *p = priv;
	char sdone[CS_SIZE_LEN], stotal[CS_SIZE_LEN], srate[CS_SIZE_LEN];
	uint64_t now = now_us(), rate, eta;
	unsigned int pct;

	if (!p->tty || (now - p->last_us < 250000 && done < total))
		return;
	if (!p->shown)		/* the rate counts from the first data */
		p->start_us = now - 1;
	p->last_us = now;
	p->shown = true;
	rate = now > p->start_us ? done * 1000000 / (now - p->start_us) : 0;
	eta = rate && total > done ? (total - done) / rate : 0;
	pct = total && done < total ? (unsigned int)(done * 100 / total) : 100;
	fprintf(stderr, "\r%s [%-*.*s] %3u%%  %s of %s  %s/s  ETA %" PRIu64
		":%02" PRIu64 ":%02" PRIu64 "\033[K", p->what, BAR, pct * BAR / 100,
		BAR_FULL, pct, cs_format_size(done / 512, sdone),
		cs_format_size(total / 512, stotal),
		cs_format_size(rate / 512, srate), eta / 3600, eta / 60 % 60,
		eta % 60);
}

void ctl_progress_end(struct ctl_progress *p)
{
	if (p->shown)
		fputc('\n', stderr);
	p->shown = false;
}
