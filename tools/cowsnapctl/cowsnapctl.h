/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cowsnapctl: the command table and the state every command receives.
 */
#ifndef COWSNAPCTL_H
#define COWSNAPCTL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "cowsnap.h"

/* Exit codes, listed in cowsnapctl(8). */
enum {
	EXIT_OK		= 0,
	EXIT_FAILED	= 1,	/* the operation failed */
	EXIT_USAGE	= 2,	/* bad command line */
	EXIT_NOT_FOUND	= 3,	/* no such volume or device */
	EXIT_STATE	= 4,	/* exists already, in use, or wrong state */
	EXIT_TIMEOUT	= 5,	/* timed out (snapshot wait --timeout) */
	EXIT_OVERFLOW	= 6,	/* backup: the snapshot overflowed */
	EXIT_LOCKED	= 7,	/* backup: another backup holds the lock */
};

/* Returned by a handler that has printed a usage error itself. */
#define CTL_EUSAGE	(-4096)

/* Options a command may accept (struct command.options). */
enum {
	OPT_HELP	= 1 << 0,
	OPT_VERSION	= 1 << 1,
	OPT_VERBOSE	= 1 << 2,
	OPT_JSON	= 1 << 3,
	OPT_RING_SIZE	= 1 << 4,
	OPT_UEVENT_MS	= 1 << 5,
	OPT_SINCE	= 1 << 6,
	OPT_FOLLOW	= 1 << 7,
	OPT_COUNT	= 1 << 8,
	OPT_TIMEOUT	= 1 << 9,
	OPT_NO_UEVENT	= 1 << 10,
	OPT_BLOCK_SIZE	= 1 << 11,
	OPT_OUTPUT	= 1 << 12,
	OPT_STORE	= 1 << 13,
	OPT_STORE_SIZE	= 1 << 14,
	OPT_STORE_LIMIT	= 1 << 15,
	OPT_CHUNK_SIZE	= 1 << 16,
	OPT_NAME	= 1 << 17,
	OPT_FORCE	= 1 << 18,
	OPT_AFTER	= 1 << 19,
	OPT_SIZE	= 1 << 20,
	OPT_TO		= 1 << 21,
	OPT_FROM	= 1 << 22,
	OPT_AT		= 1 << 23,
	OPT_FULL	= 1 << 24,
	OPT_INCREMENTAL	= 1 << 25,
	OPT_VOLUME	= 1 << 26,
};

/* Every command takes these. */
#define OPT_COMMON	(OPT_HELP | OPT_VERBOSE)
/* Options at the start of the command line, before the command. */
#define OPT_GLOBAL	(OPT_HELP | OPT_VERSION | OPT_VERBOSE | OPT_JSON)

struct ctl;

/**
 * struct command - one command, or a noun whose verbs are in @sub
 * @name: the word on the command line
 * @fn: handler; returns 0 or -errno (or CTL_EUSAGE)
 * @check: NULL, or checks of the arguments run before device-mapper is
 *	opened; returns 0 or CTL_EUSAGE
 * @sub: NULL-terminated verbs of a noun ("filter attach"), else NULL
 * @min_args: fewest positional arguments
 * @max_args: most positional arguments
 * @options: OPT_* accepted, besides OPT_COMMON
 * @usage: arguments and options, for "Usage: cowsnapctl <name> <usage>"
 * @help: what it does, one sentence
 * @no_dm: runs without device-mapper (works on files only)
 */
struct command {
	const char *name;
	int (*fn)(struct ctl *ctl);
	int (*check)(struct ctl *ctl);
	const struct command *const *sub;
	int min_args;
	int max_args;
	unsigned int options;
	const char *usage;
	const char *help;
	bool no_dm;
};

/**
 * struct ctl - the state of one run, passed to every handler
 * @cmd: the command being run
 * @what: its full name for messages ("filter attach")
 * @dev: the device or volume the command is about, for messages
 * @args: positional arguments
 * @nr_args: number of @args
 * @json: --json
 * @verbose: -v count
 * @filter: --ring-size, --uevent-ms
 * @since: --since (a sequence number, or a change number for cbt changes)
 * @follow: --follow
 * @count: --count (0: no limit)
 * @timeout: --timeout in seconds (0: none)
 * @no_uevent: --no-uevent
 * @block_size: --block-size in bytes (0: the target's default)
 * @output: --output FILE, or NULL
 * @store: --store PATH, or NULL
 * @store_size: --store-size in bytes (0: the default)
 * @store_limit: --store-limit in bytes (0: none)
 * @chunk_size: --chunk-size in bytes (0: the default)
 * @name: --name ID, or NULL
 * @force: --force
 * @after: --after (a sequence number)
 * @has_after: --after was given
 * @size: --size in bytes (0: the default)
 * @to: --to DIR (backup) or TARGET (restore), or NULL
 * @from: --from DIR, or NULL
 * @at: --at POINT, or NULL
 * @full: --full
 * @incremental: --incremental
 * @volume: --volume NAME, or NULL
 */
struct ctl {
	const struct command *cmd;
	char what[64];
	const char *dev;
	char **args;
	int nr_args;
	bool json;
	int verbose;
	struct cs_filter_opts filter;
	uint64_t since;
	bool follow;
	uint64_t count;
	unsigned int timeout;
	bool no_uevent;
	unsigned int block_size;
	const char *output;
	const char *store;
	uint64_t store_size;
	uint64_t store_limit;
	uint32_t chunk_size;
	const char *name;
	bool force;
	uint64_t after;
	bool has_after;
	uint64_t size;
	const char *to;
	const char *from;
	const char *at;
	bool full;
	bool incremental;
	const char *volume;
};

/* Commands, one file per noun. */
extern const struct command cmd_create, cmd_adopt, cmd_remove, cmd_list,
			    cmd_status;
extern const struct command cmd_filter;
extern const struct command cmd_events;
extern const struct command cmd_cbt;
/* Verbs of cmd_cbt defined outside cmd-cbt.c. */
extern const struct command cmd_cbt_changes, cmd_cbt_map, cmd_cbt_events;
extern const struct command cmd_snapshot;
/* Verbs of cmd_snapshot defined outside cmd-snapshot.c. */
extern const struct command cmd_snapshot_list, cmd_snapshot_info,
			    cmd_snapshot_wait, cmd_snapshot_monitor;
extern const struct command cmd_backup, cmd_restore, cmd_verify;

/**
 * ctl_check_volume_list() - check the volumes of a snapshot set or backup
 * in ctl->args: at most COWSNAP_MEMBERS_MAX, none twice
 * @ctl: state
 *
 * Return: 0 or CTL_EUSAGE (printed).
 */
int ctl_check_volume_list(struct ctl *ctl);

/**
 * ctl_start_monitor() - start "snapshot monitor" for set @m detached,
 * growing its store up to ctl->store_limit
 * @ctl: options
 * @m: the set made
 *
 * Return: 0 or -errno (recorded).
 */
int ctl_start_monitor(const struct ctl *ctl, const struct cs_snap_made *m);

/** CTL_MONITOR_READY - the first line of "snapshot monitor" on stdout */
#define CTL_MONITOR_READY	"monitoring snapshot set "

/**
 * ctl_usage_error() - print "cowsnapctl: <what>: <message>" and the hint
 * line on stderr
 * @ctl: state (its @what may be empty)
 * @fmt: printf format of the message
 *
 * Return: CTL_EUSAGE, for the handler to return.
 */
int ctl_usage_error(const struct ctl *ctl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * ctl_parse_options() - parse the options in @argv
 * @ctl: state; receives option values and, unless @global, the
 *	positional arguments in @ctl->args (room for @argc entries)
 * @argc: number of words
 * @argv: words; argv[0] is the program or the command word
 * @mask: OPT_* allowed here; any other known option is a usage error
 * @global: stop at the first non-option (options before the command)
 *
 * Arguments after "--" are left at argv[optind...].
 * Return: the OPT_* bits seen, or CTL_EUSAGE after printing the error.
 */
int ctl_parse_options(struct ctl *ctl, int argc, char **argv,
		      unsigned int mask, bool global);

/** ctl_print_options() - print the help lines of the options in @mask */
void ctl_print_options(unsigned int mask);

/**
 * ctl_warn() - print "cowsnapctl: warning: <message>" on stderr
 * @fmt: printf format of the message
 */
void ctl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * ctl_catch_signals() - have SIGINT, SIGTERM, SIGHUP and SIGALRM call
 * @handler,
 * interrupting a wait in progress (no SA_RESTART)
 * @handler: the signal handler
 */
void ctl_catch_signals(void (*handler)(int));

/*
 * ctl_stopped - set to 1 by SIGINT, SIGTERM or SIGHUP once
 * ctl_catch_stop() ran: a long command (backup, restore) checks it
 * between steps, cleans up and exits.
 */
extern volatile sig_atomic_t ctl_stopped;
void ctl_catch_stop(void);

/**
 * struct ctl_page - one page of event records, as ctl_read_records() sees
 * it
 * @last_seq: newest record of the device (0: none ever)
 * @first_seq: oldest record it still keeps
 * @dropped: records it dropped in total (if struct ctl_records.dropped)
 * @missed: records after the one asked for that it no longer keeps
 * @count: records in the page
 */
struct ctl_page {
	uint64_t last_seq;
	uint64_t first_seq;
	uint64_t dropped;
	uint64_t missed;
	unsigned int count;
};

/**
 * struct ctl_records - a kind of event records that ctl_read_records()
 * reads and prints
 * @what: what the records are, in warnings: "event", "cbt event"
 * @restart: the likely cause of a sequence restarting, in a warning:
 *	"filter attached"
 * @dropped: the device counts dropped records (struct ctl_page.dropped)
 * @max: most records one read returns, or 0 if a read takes no limit
 * @read: read the page of records after @after, at most @max of them
 *	(0: the device's maximum), and keep it in @src until @free; Return: 0
 *	or -errno, recorded
 * @print: print record @i of the page kept, as a line or with --json as a
 *	JSON object; Return: its sequence number
 * @free: free the page kept
 */
struct ctl_records {
	const char *what;
	const char *restart;
	bool dropped;
	unsigned int max;
	int (*read)(void *src, uint64_t after, unsigned int max,
		    struct ctl_page *page);
	uint64_t (*print)(void *src, const struct ctl *ctl, unsigned int i);
	void (*free)(void *src);
};

/**
 * ctl_read_records() - print the event records of volume ctl->args[0]
 * after --since; with --follow wait for more and print them, until SIGINT,
 * SIGTERM, --timeout or --count ends it
 * @ctl: options (--json, --since, --follow, --count, --timeout,
 *	--no-uevent)
 * @dev: dm device whose uevents and event counter announce new records
 * @rs: the kind of records
 * @src: passed to @rs's functions
 *
 * A warning is printed (and with --json a "missed" object) when records
 * were lost before being read, and when the sequence restarted.
 *
 * Return: 0 (also when interrupted) or -errno from @rs->read or the watch.
 */
int ctl_read_records(const struct ctl *ctl, const char *dev,
		     const struct ctl_records *rs, void *src);

/**
 * struct ctl_progress - a progress line on a terminal (progress.c)
 * @what: what is being done: "backup", "restore"
 * @tty: stderr is a terminal; else nothing is shown
 * @start_us: when it started (CLOCK_MONOTONIC)
 * @last_us: when the line was last drawn
 * @shown: the line was drawn at least once
 */
struct ctl_progress {
	const char *what;
	bool tty;
	uint64_t start_us;
	uint64_t last_us;
	bool shown;
};

/** ctl_progress_init() - start a progress line for @what */
void ctl_progress_init(struct ctl_progress *p, const char *what);

/**
 * ctl_progress_show() - a cs_bk_progress_fn: redraw the line (bytes,
 * rate, ETA) at most four times a second
 * @priv: the struct ctl_progress
 * @done: bytes done
 * @total: bytes in all
 */
void ctl_progress_show(void *priv, uint64_t done, uint64_t total);

/** ctl_progress_end() - end the line, if it was drawn */
void ctl_progress_end(struct ctl_progress *p);

#endif /* COWSNAPCTL_H */
