// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzzing cowsnapctl's command line: FUZZ_RUNS argument vectors, most
 * made from a valid command of every kind with words dropped, doubled,
 * swapped or replaced (options of other commands, missing or absurd
 * values, unknown words), some of random words.  Every name, device and
 * path they can hold is the test's own: two volumes on loop devices, a
 * scratch directory, nonexistent names.
 *
 * Each run must end by itself (except the commands that wait by design,
 * which the test stops after a while), with an exit status of
 * cowsnapctl(8) (0 to 7), never a signal; a failing run prints its reason
 * on stderr as "cowsnapctl: ..." (and nothing made by a failing run stays:
 * the dm devices and the scratch directory are as before it).  The seed
 * is printed; COWSNAP_SEED repeats a run.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dm.h"
#include "testlib.h"
#include "../cowsnap/cowsnap-test.h"

#define FUZZ_RUNS	1000
#define MAX_ARGS	16
#define WAIT_LIMIT_MS	2000		/* then a run that waits by design is stopped */
#define RUN_LIMIT_MS	120000		/* then any other run is stopped: a hang */
#define DEV_BYTES	(16ULL << 20)

static struct ct_rng rng;	/* splitmix64, cowsnap-test.h */
static char dir[128], vol[2][64], loops[2][64], spare[64], bk[160];

static uint64_t rnd(void)
{
	return ct_rnd(&rng);
}

static unsigned int below(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

#define PICK(a)	((a)[below(sizeof(a) / sizeof((a)[0]))])

/* ------------------------------------------------------------------ */
/* Argument vectors                                                   */

struct argv {
	int n;
	char *a[MAX_ARGS + 1];
};

static void push(struct argv *v, const char *s)
{
	if (v->n < MAX_ARGS)
		v->a[v->n++] = strdup(s);
	v->a[v->n] = NULL;
}

static void argv_free(struct argv *v)
{
	while (v->n)
		free(v->a[--v->n]);
}

/* A value for anything: ours, nonexistent, or absurd. */
static const char *value(void)
{
	static char buf[320];
	static const char *const fixed[] = {
		"0", "1", "-1", "4096", "65536", "1M", "64K", "1G", "1T",
		"18446744073709551616", "99999999999999999999999", "0x10",
		"1.5M", "M", "", " ", "-", "--", "latest", "0001", "nope",
		"/dev/null", "/nonexistent", "/proc", "a:b", "7:0",
	};

	switch (below(10)) {
	case 0: return vol[below(2)];
	case 1: return loops[below(2)];
	case 2: return dir;
	case 3: return bk;
	case 4:
		snprintf(buf, sizeof(buf), "%s/f%u", dir, below(4));
		return buf;
	case 5:
		memset(buf, 'v', 300);
		buf[1 + below(300)] = '\0';
		return buf;
	default:
		return PICK(fixed);
	}
}

static const char *option(void)
{
	static const char *const opts[] = {
		"-h", "--help", "-V", "-v", "-vv", "-j", "--json",
		"--ring-size", "--uevent-ms", "--since", "--follow", "-f",
		"--count", "--timeout", "--no-uevent", "--block-size",
		"--output", "-o", "--store", "--store-size", "--store-limit",
		"--chunk-size", "--name", "--force", "--after", "--size",
		"--to", "--from", "--at", "--full", "--incremental",
		"--volume", "--bogus", "-x", "--store=", "--json=1",
	};

	return PICK(opts);
}

/* A valid command line, as a template: V volume, W other, D dir, B backups. */
static const char *const valid[] = {
	"list", "list --json", "status V", "status V --json",
	"filter attach V", "filter detach V", "events V --count 1 --timeout 1",
	"cbt enable V", "cbt info V", "cbt checkpoint V", "cbt changes V",
	"cbt map V", "cbt mark-dirty V 0:8", "cbt events V", "cbt disable V",
	"snapshot list", "snapshot create V --store D/store --store-size 4M",
	"snapshot create V W --store D --name fz", "snapshot info fz",
	"snapshot wait fz --timeout 1", "snapshot extend fz --size 1M",
	"snapshot destroy fz", "snapshot destroy fz --force",
	"backup V --to B", "backup V W --to B --full",
	"backup V --to B --incremental --json", "verify B",
	"restore --from B --to D/restored", "restore --from B --to D/r2 "
	"--at latest --volume V", "adopt V", "remove S", "create S L",
	"--version", "--help",
};

static void expand(struct argv *v, const char *tmpl)
{
	char *copy = strdup(tmpl), *save = NULL, *w, buf[200];

	for (w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (!strcmp(w, "V"))
			push(v, vol[below(2)]);
		else if (!strcmp(w, "W"))
			push(v, vol[1]);
		else if (!strcmp(w, "S"))
			push(v, spare);
		else if (!strcmp(w, "L"))
			push(v, loops[below(2)]);
		else if (!strcmp(w, "B"))
			push(v, bk);
		else if (!strncmp(w, "D", 1)) {
			snprintf(buf, sizeof(buf), "%s%s", dir, w + 1);
			push(v, buf);
		} else {
			push(v, w);
		}
	}
	free(copy);
}

static void mutate(struct argv *v)
{
	int i = v->n ? (int)below((unsigned int)v->n) : 0, j;
	char *t;

	switch (below(6)) {
	case 0:
		if (v->n) {
			free(v->a[i]);
			memmove(v->a + i, v->a + i + 1,
				(size_t)(v->n - i) * sizeof(char *));
			v->n--;
		}
		break;
	case 1:
		if (v->n > 1) {
			j = (int)below((unsigned int)v->n);
			t = v->a[i];
			v->a[i] = v->a[j];
			v->a[j] = t;
		}
		break;
	case 2:
		push(v, option());
		break;
	case 3:
		push(v, value());
		break;
	default:
		if (v->n) {
			free(v->a[i]);
			v->a[i] = strdup(below(2) ? value() : option());
		}
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Running                                                            */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Run cowsnapctl with @v; stderr into @err.  Returns the wait status, or
 * -1 when it had to be stopped after @limit_ms.
 */
static int run(const struct argv *v, uint64_t limit_ms, char *err,
	       size_t size)
{
	char *args[MAX_ARGS + 2];
	int pfd[2], status = 0, fd;
	uint64_t end = now_ms() + limit_ms;
	size_t len = 0;
	bool stopped = false;
	pid_t pid;
	ssize_t n;

	args[0] = "cowsnapctl";
	memcpy(args + 1, v->a, sizeof(char *) * (size_t)(v->n + 1));
	if (pipe2(pfd, O_CLOEXEC))
		return -2;
	pid = fork();
	if (!pid) {
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(pfd[1], 2);
		execvp("cowsnapctl", args);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		int ms = (int)(end > now_ms() ? end - now_ms() : 0);

		if (!ms && !stopped) {
			kill(pid, SIGKILL);
			stopped = true;
		}
		if (poll(&p, 1, ms ? ms : 1000) <= 0)
			continue;
		n = read(pfd[0], err + len, size - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == size - 1)
			len = 0;	/* keep the tail */
	}
	err[len] = '\0';
	close(pfd[0]);
	waitpid(pid, &status, 0);
	return stopped ? -1 : status;
}

/* A sorted, joined list of the dm devices, and of the scratch files. */
static char *state(void)
{
	char **names = NULL, *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	struct dirent *e;
	DIR *dp;
	int n, i;

	n = cs_dm_list(&names);
	for (i = 0; i < n; i++)
		fprintf(f, "dm %s\n", names[i]);
	cs_strv_free(names);
	dp = opendir(dir);
	while (dp && (e = readdir(dp)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			fprintf(f, "file %s\n", e->d_name);
	if (dp)
		closedir(dp);
	fclose(f);
	return s;
}

static bool waits_by_design(const struct argv *v)
{
	int i;

	for (i = 0; i < v->n; i++)
		if (!strcmp(v->a[i], "wait") || !strcmp(v->a[i], "monitor") ||
		    !strcmp(v->a[i], "--follow") || !strcmp(v->a[i], "-f"))
			return true;
	return false;
}

/*
 * A failing run's stderr: one line "cowsnapctl: ...: <reason>", after a
 * usage error "Try 'cowsnapctl --help'." too.  Warnings may come first,
 * and with -v or -vv the steps: the reason is then the last such line.
 */
static bool reason_ok(const struct argv *v, const char *err)
{
	const char *line = err, *nl;
	bool verbose = false;
	int i;

	for (i = 0; i < v->n; i++)
		verbose |= !strncmp(v->a[i], "-v", 2) ||
			   !strcmp(v->a[i], "--verbose");
	while (!strncmp(line, "cowsnapctl: warning: ", 21) &&
	       (nl = strchr(line, '\n')))
		line = nl + 1;
	if (verbose && (nl = strstr(err, "\ncowsnapctl: ")))
		line = nl + 1;
	while (verbose && (nl = strstr(line + 1, "\ncowsnapctl: ")))
		line = nl + 1;
	if (strncmp(line, "cowsnapctl: ", 12) || line[12] == '\n' ||
	    !(nl = strchr(line, '\n')))
		return false;
	return !nl[1] || (!strncmp(nl + 1, "Try '", 5) &&
			  strchr(nl + 1, '\n') == nl + 1 + strlen(nl + 1) - 1);
}

static char *joined(const struct argv *v)
{
	static char buf[2048];
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < v->n && len < sizeof(buf) - 40; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, " '%.30s'",
					v->a[i]);
	return buf;
}

static void test_cli(void)
{
	unsigned int i, by_status[8] = { 0 }, stopped = 0, bad = 0;
	char err[4096], *before, *after;
	struct argv v = { 0 };
	int st, code;

	for (i = 0; i < FUZZ_RUNS; i++) {
		if (below(8)) {
			/* Half of them one change or none: deep enough. */
			unsigned int m = below(2) ? below(2) : 1 + below(3);

			expand(&v, PICK(valid));
			while (m--)
				mutate(&v);
		} else {
			unsigned int m = below(6);

			while (m--)
				push(&v, below(3) ? value() : option());
		}
		before = state();
		st = run(&v, waits_by_design(&v) ? WAIT_LIMIT_MS :
			 RUN_LIMIT_MS, err, sizeof(err));
		after = state();
		if (st == -1) {
			stopped++;
			if (!waits_by_design(&v)) {
				fprintf(stderr, "run %u did not end:%s\n", i,
					joined(&v));
				bad++;
			}
		} else if (st < 0 || WIFSIGNALED(st)) {
			fprintf(stderr, "run %u killed by signal %d:%s\n%s", i,
				st < 0 ? -1 : WTERMSIG(st), joined(&v), err);
			bad++;
		} else if ((code = WEXITSTATUS(st)) > 7) {
			fprintf(stderr, "run %u: exit status %d:%s\n%s", i,
				code, joined(&v), err);
			bad++;
		} else {
			by_status[code]++;
			if (code && !reason_ok(&v, err)) {
				fprintf(stderr, "run %u: status %d without a "
					"reason:%s\nstderr: '%s'\n", i, code,
					joined(&v), err);
				bad++;
			} else if (code && strcmp(before, after)) {
				fprintf(stderr, "run %u failed (%d) but left "
					"things:%s\n--- before\n%s--- after\n"
					"%s%s", i, code, joined(&v), before,
					after, err);
				bad++;
			}
		}
		free(before);
		free(after);
		argv_free(&v);
	}
	printf("fuzz: cowsnapctl: %u runs, by exit status 0-7: %u %u %u %u "
	       "%u %u %u %u, %u stopped (waiting by design), %u failures\n",
	       FUZZ_RUNS, by_status[0], by_status[1], by_status[2],
	       by_status[3], by_status[4], by_status[5], by_status[6],
	       by_status[7], stopped, bad);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(by_status[0] > 0 && by_status[2] > 0);
}

/* ------------------------------------------------------------------ */

static int cli_init(void)
{
	unsigned int seed = tl_seed("cli fuzz");
	char *l;
	int i;

	rng.s = seed;
	snprintf(dir, sizeof(dir), "/tmp/fz-cli-%d", (int)getpid());
	snprintf(bk, sizeof(bk), "%s/bk", dir);
	tl_defer("rm -rf %s", dir);
	if (mkdir(dir, 0700))
		return -1;
	snprintf(spare, sizeof(spare), "fzspare%d", (int)getpid());
	for (i = 0; i < 2; i++) {
		l = tl_loop_create(DEV_BYTES);
		if (!l)
			return -1;
		snprintf(loops[i], sizeof(loops[i]), "%s", l);
		free(l);
		snprintf(vol[i], sizeof(vol[i]), "fzv%d-%d", i, (int)getpid());
		/* Teardown: sets first (any), then the volumes. */
		tl_defer("cowsnapctl remove %s", vol[i]);
		if (tl_run(NULL, "cowsnapctl create %s %s", vol[i], loops[i]))
			return -1;
	}
	tl_defer("for s in $(cowsnapctl snapshot list --json | sed -n "
		 "'s/^ *\"set\": \"\\(.*\\)\",$/\\1/p'); do "
		 "cowsnapctl snapshot destroy \"$s\" --force; done");
	tl_defer("cowsnapctl remove %s", spare);
	return 0;
}

static int cli_clean(void)
{
	tl_teardown();
	return 0;
}

static CU_TestInfo cli_tests[] = {
	{ "cli", test_cli },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "cli", cli_init, cli_clean, NULL, NULL, cli_tests },
	CU_SUITE_INFO_NULL,
};
