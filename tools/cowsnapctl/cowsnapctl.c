// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl: manage cowsnap volumes, their layers and their events.
 *
 * This file holds the command table, the dispatch, the help generated from
 * the table, and the one place where an error becomes a message and an
 * exit code.  Options are in options.c, the commands in cmd-<noun>.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cowsnapctl.h"

static const struct command *const commands[] = {
	&cmd_create, &cmd_adopt, &cmd_remove, &cmd_list, &cmd_status,
	&cmd_filter, &cmd_events, &cmd_cbt, &cmd_snapshot, &cmd_backup,
	&cmd_restore, &cmd_verify, NULL,
};

/* ------------------------------------------------------------------------
 * Messages
 * ---------------------------------------------------------------------- */

/* Messages go through cs_vline(): one line, whatever the user typed. */
int ctl_usage_error(const struct ctl *ctl, const char *fmt, ...)
{
	char prefix[sizeof(ctl->what) + 2] = "";
	va_list ap;

	if (ctl->what[0])
		snprintf(prefix, sizeof(prefix), "%s: ", ctl->what);
	va_start(ap, fmt);
	cs_vline(prefix, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help'.\n", program_invocation_short_name);
	return CTL_EUSAGE;
}

void ctl_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cs_vline("warning: ", fmt, ap);
	va_end(ap);
}

static void line(const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void line(const char *prefix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cs_vline(prefix, fmt, ap);
	va_end(ap);
}

static int exit_code(int err)
{
	switch (-err) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return EXIT_NOT_FOUND;
	case EEXIST:
	case EBUSY:
	case ENOTCONN:
	case EMEDIUMTYPE:
	case ENODATA:		/* cbt: no frozen copy, tracking lost */
	case ESTALE:		/* cbt: --since above the frozen number */
		return EXIT_STATE;
	case ETIMEDOUT:
		return EXIT_TIMEOUT;
	case EOVERFLOW:		/* backup: the snapshot set overflowed */
		return EXIT_OVERFLOW;
	case EALREADY:		/* backup: locked by another run */
		return EXIT_LOCKED;
	default:
		return EXIT_FAILED;
	}
}

/* The one place that prints a failure: "cowsnapctl: what: dev: why". */
static int report(const struct ctl *ctl, int err)
{
	const struct cs_error *e = cs_last_error();
	const char *dev = ctl->dev, *why = strerror(-err);

	if (err == CTL_EUSAGE)
		return EXIT_USAGE;
	if (e->err == err && e->why[0]) {
		why = e->why;
		if (e->dev[0])
			dev = e->dev;
	}
	if (dev && *dev)
		line(NULL, "%s: %s: %s", ctl->what, dev, why);
	else
		line(NULL, "%s: %s", ctl->what, why);
	return exit_code(err);
}

/* ------------------------------------------------------------------------
 * Help, generated from the tables
 * ---------------------------------------------------------------------- */

static void print_command_line(const char *prefix, const struct command *c)
{
	int n;

	n = printf("  %s%s%s%s", prefix, c->name, c->usage[0] ? " " : "",
		   c->usage);
	if (n >= 29) {		/* a long usage: the help on its own line */
		putchar('\n');
		n = 0;
	}
	printf("%*s%s\n", 29 - n, "", c->help);
}

static void print_main_help(void)
{
	const struct command *const *c, *const *v;
	char prefix[64];

	printf("Usage: %s [OPTIONS] COMMAND [ARGS]\n\n"
	       "Manage cowsnap volumes: device-mapper stacks under /dev/mapper.\n\n"
	       "Commands:\n", program_invocation_short_name);
	for (c = commands; *c; c++) {
		if (!(*c)->sub) {
			print_command_line("", *c);
			continue;
		}
		snprintf(prefix, sizeof(prefix), "%s ", (*c)->name);
		for (v = (*c)->sub; *v; v++)
			print_command_line(prefix, *v);
	}
	ctl_print_options(OPT_GLOBAL);
	printf("\nRun '%s COMMAND --help' for the options of a command.\n"
	       "Exit status: 0 success, 1 failure, 2 usage error, 3 not found,\n"
	       "4 exists already, in use or wrong state, 5 timed out,\n"
	       "6 snapshot overflowed during a backup, 7 locked by another backup.\n"
	       "See cowsnapctl(8).\n",
	       program_invocation_short_name);
}

static void print_noun_help(const struct command *noun)
{
	const struct command *const *v;
	char prefix[64];

	printf("Usage: %s %s COMMAND [OPTIONS] [ARGS]\n\n%s\n\nCommands:\n",
	       program_invocation_short_name, noun->name, noun->help);
	snprintf(prefix, sizeof(prefix), "%s ", noun->name);
	for (v = noun->sub; *v; v++)
		print_command_line(prefix, *v);
	printf("\nRun '%s %s COMMAND --help' for the options of a command.\n",
	       program_invocation_short_name, noun->name);
}

static void print_command_help(const struct ctl *ctl)
{
	const struct command *c = ctl->cmd;

	printf("Usage: %s %s [OPTIONS]%s%s\n\n%s\n",
	       program_invocation_short_name, ctl->what,
	       c->usage[0] ? " " : "", c->usage, c->help);
	ctl_print_options(c->options | OPT_COMMON);
}

/* ------------------------------------------------------------------------
 * Dispatch
 * ---------------------------------------------------------------------- */

static const struct command *find_command(const struct command *const *table,
					  const char *name)
{
	for (; *table; table++)
		if (!strcmp((*table)->name, name))
			return *table;
	return NULL;
}

/* Find the command in @argv[0] (and its verb); Return: how many words
 * it took, 0 if help was printed, or CTL_EUSAGE. */
static int find_cmd(struct ctl *ctl, int argc, char **argv)
{
	const struct command *cmd, *verb;

	if (!argc)
		return ctl_usage_error(ctl, "missing command");
	cmd = find_command(commands, argv[0]);
	if (!cmd)
		return ctl_usage_error(ctl, "unknown command '%s'", argv[0]);
	snprintf(ctl->what, sizeof(ctl->what), "%s", cmd->name);
	ctl->cmd = cmd;
	if (!cmd->sub)
		return 1;
	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && (!strcmp(argv[1], "--help") ||
				  !strcmp(argv[1], "-h"))) {
			print_noun_help(cmd);
			return 0;
		}
		return ctl_usage_error(ctl, "missing command after '%s'",
				       cmd->name);
	}
	verb = find_command(cmd->sub, argv[1]);
	if (!verb)
		return ctl_usage_error(ctl, "unknown command '%s %s'",
				       cmd->name, argv[1]);
	snprintf(ctl->what, sizeof(ctl->what), "%s %s", cmd->name, verb->name);
	ctl->cmd = verb;
	return 2;
}

static int check_args(struct ctl *ctl, unsigned int seen)
{
	const struct command *c = ctl->cmd;

	if (ctl->json && !(c->options & OPT_JSON))
		return ctl_usage_error(ctl, "option '--json' does not apply here");
	if ((seen & (OPT_TIMEOUT | OPT_NO_UEVENT)) &&
	    (c->options & OPT_FOLLOW) && !ctl->follow)
		return ctl_usage_error(ctl, "options '--timeout' and '--no-uevent' need '--follow'");
	if (ctl->nr_args < c->min_args)
		return ctl_usage_error(ctl, "missing argument (usage: %s %s %s)",
				       program_invocation_short_name,
				       ctl->what, c->usage);
	if (ctl->nr_args > c->max_args)
		return ctl_usage_error(ctl, "unexpected argument '%s'",
				       ctl->args[c->max_args]);
	return 0;
}

static int run(struct ctl *ctl, int argc, char **argv)
{
	int seen, n, i, r;

	seen = ctl_parse_options(ctl, argc, argv, OPT_GLOBAL, true);
	if (seen < 0)
		return seen;
	if (seen & OPT_HELP) {
		print_main_help();
		return 0;
	}
	if (seen & OPT_VERSION) {
		printf("%s %s\n", program_invocation_short_name, CS_VERSION);
		return 0;
	}
	argc -= optind;
	argv += optind;
	n = find_cmd(ctl, argc, argv);
	if (n <= 0)
		return n;
	argc -= n - 1;		/* argv[0]: the last command word */
	argv += n - 1;
	ctl->args = calloc(argc, sizeof(*ctl->args));
	if (!ctl->args)
		return -ENOMEM;
	seen = ctl_parse_options(ctl, argc, argv, ctl->cmd->options | OPT_COMMON,
			     false);
	if (seen < 0)
		return seen;
	for (i = optind; i < argc; i++)		/* after "--" */
		ctl->args[ctl->nr_args++] = argv[i];
	if (seen & OPT_HELP) {
		print_command_help(ctl);
		return 0;
	}
	r = check_args(ctl, (unsigned int)seen);
	if (!r && ctl->cmd->check)
		r = ctl->cmd->check(ctl);
	if (r)
		return r;
	if (ctl->nr_args)
		ctl->dev = ctl->args[0];
	cs_set_verbose(ctl->verbose);
	cs_error_clear();
	r = ctl->cmd->no_dm ? 0 : cs_dm_available();
	if (r)
		return r;
	return ctl->cmd->fn(ctl);
}

int main(int argc, char **argv)
{
	struct ctl ctl = { .filter = CS_FILTER_OPTS_INIT };
	int r, code;

	r = run(&ctl, argc, argv);
	code = r ? report(&ctl, r) : EXIT_OK;
	free(ctl.args);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: write error: %s\n",
			program_invocation_short_name, strerror(errno));
		return EXIT_FAILED;
	}
	return code;
}
