// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl from the outside: help and usage errors, every command's
 * success path against golden output (human format) and parsed JSON, the
 * failure paths with their exit codes and one-line messages, and that a
 * failure leaves the dm device list exactly as it was.
 *
 * Golden files (tests/cowsnapctl/golden/) hold the output with the parts
 * that vary from run to run replaced: @LOOP@ (the loop device path),
 * @LOOPDEV@ (its major:minor), @VOLDEV@ / @REALDEV@ (the dm devices'
 * major:minor), @UUID@ (the volume uuid), @NAME@ (the volume name),
 * @TIME@ (event times); runs of spaces count as one, so column widths may
 * follow the substitutions.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "testlib.h"

#define DEV_SECTORS	65536ULL
#define GOLDEN_DIR	"tests/cowsnapctl/golden"

static char *loop;
static char vol[128], loopdev[32];

struct cli {
	int status;
	char *out, *err;
};

static int cli_init(void)
{
	struct stat st;

	loop = tl_loop_create(DEV_SECTORS << 9);
	if (!loop || stat(loop, &st))
		return -1;
	snprintf(loopdev, sizeof(loopdev), "%u:%u", major(st.st_rdev),
		 minor(st.st_rdev));
	snprintf(vol, sizeof(vol), "%s", tl_dm_name("vol"));
	tl_defer("rm -f /tmp/cowsnap-cli-out /tmp/cowsnap-cli-err");
	tl_defer("dmsetup remove %s-real 2>/dev/null; true", vol);
	tl_defer("dmsetup remove %s 2>/dev/null; true", vol);
	return 0;
}

static int cli_clean(void)
{
	tl_teardown();
	free(loop);
	return 0;
}

static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return strdup("");
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

/* Run "cowsnapctl <args>" with stdout and stderr apart. */
static struct cli run_cli(const char *args)
{
	struct cli c;

	c.status = tl_run(NULL, "cowsnapctl %s >/tmp/cowsnap-cli-out "
			  "2>/tmp/cowsnap-cli-err", args);
	c.out = slurp("/tmp/cowsnap-cli-out");
	c.err = slurp("/tmp/cowsnap-cli-err");
	return c;
}

static void cli_free(struct cli *c)
{
	free(c->out);
	free(c->err);
}

static int cli_status(const char *args)
{
	struct cli c = run_cli(args);

	cli_free(&c);
	return c.status;
}

static unsigned int count_lines(const char *s)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Replace every @from in *s by @to (in place, reallocating). */
static void replace_all(char **s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to);
	char *p, *r, *o;

	if (!fl || !strstr(*s, from))
		return;
	r = malloc(strlen(*s) * (tl > fl ? tl / fl + 2 : 1) + 1);
	for (o = r, p = *s; *p;) {
		if (!strncmp(p, from, fl)) {
			memcpy(o, to, tl);
			o += tl;
			p += fl;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	free(*s);
	*s = r;
}

/* Collapse runs of blanks and drop trailing blanks of each line. */
static void squeeze(char *s)
{
	char *o = s, *p;

	for (p = s; *p; p++) {
		if (*p == ' ' && (p[1] == ' ' || p[1] == '\n' || !p[1]))
			continue;
		*o++ = *p;
	}
	*o = '\0';
}

/* ISO 8601 times become @TIME@. */
static void mask_times(char *s)
{
	char *p = s, *t;

	while ((t = strstr(p, "T")) != NULL) {
		if (t - s >= 10 && isdigit((unsigned char)t[-1]) &&
		    t[-3] == '-' && strlen(t) >= 14 && t[13] == 'Z') {
			char *start = t - 10;

			memcpy(start, "@TIME@", 6);
			memmove(start + 6, t + 14, strlen(t + 14) + 1);
			p = start + 6;
		} else {
			p = t + 1;
		}
	}
}

static char *normalize(const char *text)
{
	char *s = strdup(text), *uuid, dev[64];

	/* Times first: "06:27:11" must not become "06:2@LOOPDEV@1". */
	mask_times(s);
	uuid = strstr(s, "COWSNAP-");
	if (uuid && strlen(uuid) >= 40) {
		char id[33];

		memcpy(id, uuid + 8, 32);
		id[32] = '\0';
		replace_all(&s, id, "@UUID@");
	}
	snprintf(dev, sizeof(dev), "%s", tl_dm_dev(vol));
	if (dev[0])
		replace_all(&s, dev, "@VOLDEV@");
	{
		char real[160];

		snprintf(real, sizeof(real), "%s-real", vol);
		snprintf(dev, sizeof(dev), "%s", tl_dm_dev(real));
		if (dev[0])
			replace_all(&s, dev, "@REALDEV@");
	}
	replace_all(&s, loop, "@LOOP@");
	replace_all(&s, loopdev, "@LOOPDEV@");
	replace_all(&s, vol, "@NAME@");
	squeeze(s);
	return s;
}

static void check_golden(const char *file, const char *actual)
{
	char path[256], *want, *got, *want_n;

	snprintf(path, sizeof(path), GOLDEN_DIR "/%s", file);
	want = slurp(path);
	got = normalize(actual);
	want_n = strdup(want);
	squeeze(want_n);
	if (strcmp(got, want_n)) {
		fprintf(stderr, "golden %s differs; got:\n%s---\nwant:\n%s---\n",
			file, got, want_n);
		CU_FAIL("output differs from the golden file");
	}
	free(want);
	free(want_n);
	free(got);
}

/* ------------------------------------------------------------------ */
/* Help and usage errors                                              */

static void test_help(void)
{
	static const char *const cmds[] = {
		"create", "adopt", "remove", "list", "status", "filter",
		"filter attach", "filter detach", "events", "snapshot",
		"snapshot create", "snapshot wait", "snapshot monitor",
		"backup", "restore", "verify",
	};
	char args[64], want[64];
	struct cli c;
	unsigned int i;

	c = run_cli("--help");
	CU_ASSERT_EQUAL(c.status, 0);
	CU_ASSERT_STRING_EQUAL(c.err, "");
	check_golden("help.out", c.out);
	cli_free(&c);

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		snprintf(args, sizeof(args), "%s --help", cmds[i]);
		snprintf(want, sizeof(want), "Usage: cowsnapctl %s", cmds[i]);
		c = run_cli(args);
		CU_ASSERT_EQUAL(c.status, 0);
		CU_ASSERT_STRING_EQUAL(c.err, "");
		if (strncmp(c.out, want, strlen(want))) {
			fprintf(stderr, "'%s' starts: %.60s\n", args, c.out);
			CU_FAIL("help does not start with its usage line");
		}
		cli_free(&c);
	}
}

/* Each: exit 2, nothing on stdout, two lines on stderr. */
static void test_usage_errors(void)
{
	static const char *const bad[] = {
		"", "bogus", "create", "create onlyname", "create a /dev/x extra",
		"remove", "status", "filter", "filter bogus x", "filter attach",
		"filter attach v --ring-size 1000", "filter attach v --ring-size",
		"filter attach v --uevent-ms 60001", "events",
		"events v --since abc", "events v --count 0", "list extra",
		"--no-such-option list", "status v --bogus",
		"create 'bad/name' /dev/loop0",
		"snapshot", "snapshot bogus", "snapshot create",
		"snapshot create v", "snapshot create v v --store /tmp",
		"snapshot create v --store /tmp --chunk-size 5000",
		"snapshot create v --store /tmp --chunk-size 32M",
		"snapshot create v --store /tmp --name a.b",
		"snapshot create v --store /tmp --store-size 0",
		"snapshot create v --store /tmp --store-size 1X",
		"snapshot info", "snapshot destroy s extra",
		"snapshot wait s --after x", "snapshot wait s --follow",
		"snapshot extend s --size", "snapshot list --force",
		"backup", "backup v", "backup v --to", "backup v v --to /tmp/b",
		"backup v --to /tmp/b --full --incremental",
		"backup v --to /tmp/b --chunk-size 5000", "backup v --to '' ",
		"backup v --to /tmp/b --at 1", "restore", "restore --from /tmp/b",
		"restore --to /tmp/t", "restore x --from /tmp/b --to /tmp/t",
		"restore --from /tmp/b --to /tmp/t --volume -x",
		"restore --from /tmp/b --to /tmp/t --full", "verify",
		"verify a b", "verify /tmp/b --force",
	};
	unsigned int i;
	struct cli c;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = run_cli(bad[i]);
		if (c.status != 2 || c.out[0] || count_lines(c.err) != 2 ||
		    !strstr(c.err, "Try 'cowsnapctl --help'.")) {
			fprintf(stderr, "'cowsnapctl %s': exit %d, out '%s', "
				"err '%s'\n", bad[i], c.status, c.out, c.err);
			CU_FAIL("usage error not reported as one");
		}
		cli_free(&c);
	}
}

/* ------------------------------------------------------------------ */
/* Success paths                                                      */

static json_object *parse_json(const char *text)
{
	json_object *j = json_tokener_parse(text);

	if (!j)
		fprintf(stderr, "not JSON: %s\n", text);
	return j;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
	       json_object_get_string(v) : NULL;
}

static int64_t jint(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
	       json_object_get_int64(v) : -1;
}

static void check_list_json(bool filter)
{
	json_object *j, *vols, *v = NULL, *layers;
	struct cli c = run_cli("list --json");
	size_t i;

	CU_ASSERT_EQUAL(c.status, 0);
	j = parse_json(c.out);
	CU_ASSERT_FATAL(j != NULL);
	CU_ASSERT_FATAL(json_object_object_get_ex(j, "volumes", &vols));
	for (i = 0; i < json_object_array_length(vols); i++)
		if (!strcmp(jstr(json_object_array_get_idx(vols, i), "name"),
			    vol))
			v = json_object_array_get_idx(vols, i);
	CU_ASSERT_FATAL(v != NULL);
	CU_ASSERT_EQUAL(jint(v, "size_sectors"), (int64_t)DEV_SECTORS);
	CU_ASSERT_EQUAL(jint(v, "size_bytes"), (int64_t)(DEV_SECTORS << 9));
	CU_ASSERT_STRING_EQUAL(jstr(v, "devno"), tl_dm_dev(vol));
	CU_ASSERT(!strncmp(jstr(v, "uuid"), "COWSNAP-", 8));
	CU_ASSERT_FATAL(json_object_object_get_ex(v, "layers", &layers));
	CU_ASSERT_EQUAL(json_object_array_length(layers), filter ? 2 : 1);
	CU_ASSERT_STRING_EQUAL(jstr(json_object_array_get_idx(layers, 0),
				    "target"), filter ? "blkfilter" : "linear");
	json_object_put(j);
	cli_free(&c);
}

static void check_status_json(bool filter)
{
	json_object *j, *layers, *top, *targets, *backing;
	char args[200];
	struct cli c;

	snprintf(args, sizeof(args), "status --json %s", vol);
	c = run_cli(args);
	CU_ASSERT_EQUAL(c.status, 0);
	j = parse_json(c.out);
	CU_ASSERT_FATAL(j != NULL);
	CU_ASSERT_STRING_EQUAL(jstr(j, "name"), vol);
	CU_ASSERT_EQUAL(jint(j, "size_sectors"), (int64_t)DEV_SECTORS);
	CU_ASSERT_FATAL(json_object_object_get_ex(j, "layers", &layers));
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(layers),
			      filter ? 2 : 1);
	top = json_object_array_get_idx(layers, 0);
	CU_ASSERT_STRING_EQUAL(jstr(top, "layer"), "top");
	CU_ASSERT_FATAL(json_object_object_get_ex(top, "targets", &targets));
	CU_ASSERT_STRING_EQUAL(jstr(json_object_array_get_idx(targets, 0),
				    "type"), filter ? "blkfilter" : "linear");
	if (filter)
		CU_ASSERT_STRING_EQUAL(jstr(json_object_array_get_idx(layers, 1),
					    "layer"), "real");
	CU_ASSERT_FATAL(json_object_object_get_ex(j, "backing", &backing));
	CU_ASSERT_STRING_EQUAL(jstr(json_object_array_get_idx(backing, 0),
				    "devno"), loopdev);
	json_object_put(j);
	cli_free(&c);
}

static void run_ok(const char *fmt, const char *golden)
{
	char args[256];
	struct cli c;

	snprintf(args, sizeof(args), fmt, vol, loop);
	c = run_cli(args);
	if (c.status != 0)
		fprintf(stderr, "'cowsnapctl %s': exit %d: %s", args, c.status,
			c.err);
	CU_ASSERT_EQUAL(c.status, 0);
	CU_ASSERT_STRING_EQUAL(c.err, "");
	if (golden)
		check_golden(golden, c.out);
	else
		CU_ASSERT_STRING_EQUAL(c.out, "");
	cli_free(&c);
}

static void test_lifecycle(void)
{
	char path[160];

	run_ok("create %s %s", NULL);
	snprintf(path, sizeof(path), "/dev/mapper/%s", vol);
	CU_ASSERT_EQUAL(tl_dev_bytes(path), DEV_SECTORS << 9);
	run_ok("status %s", "status-plain.out");
	check_list_json(false);
	check_status_json(false);
	run_ok("filter attach %s", NULL);
	run_ok("status %s", "status-filter.out");
	check_list_json(true);
	check_status_json(true);
	run_ok("filter detach %s", NULL);
	run_ok("status %s", "status-plain.out");
	run_ok("remove %s", NULL);
	CU_ASSERT_NOT_EQUAL(tl_run(NULL, "dmsetup info %s", vol), 0);
}

/* ------------------------------------------------------------------ */
/* Failure paths                                                      */

/*
 * "cowsnapctl <args>" must exit @status with one stderr line naming
 * @names, print nothing on stdout, and leave the dm devices as they were.
 */
static void run_fail(const char *args, int status, const char *names)
{
	char *before = NULL, *after = NULL;
	struct cli c;

	tl_run(&before, "dmsetup ls; dmsetup table");
	c = run_cli(args);
	tl_run(&after, "dmsetup ls; dmsetup table");
	if (c.status != status || c.out[0] || count_lines(c.err) != 1 ||
	    strncmp(c.err, "cowsnapctl: ", 12) || !strstr(c.err, names)) {
		fprintf(stderr, "'cowsnapctl %s': exit %d (want %d), out '%s',"
			" err '%s' (want one line naming '%s')\n", args,
			c.status, status, c.out, c.err, names);
		CU_FAIL("failure not reported as one line with its exit code");
	}
	if (strcmp(before, after)) {
		fprintf(stderr, "'cowsnapctl %s' changed dm devices:\n%s---\n%s",
			args, before, after);
		CU_FAIL("a failed command left something changed");
	}
	free(before);
	free(after);
	cli_free(&c);
}

static void test_failures(void)
{
	char args[512], mnt[64], plain[128], foreign[128];

	snprintf(plain, sizeof(plain), "%s", tl_dm_name("plain"));
	snprintf(foreign, sizeof(foreign), "%s", tl_dm_name("foreign"));
	snprintf(mnt, sizeof(mnt), "/tmp/cowsnap-cli-mnt-%d", (int)getpid());
	tl_defer("rmdir %s 2>/dev/null; true", mnt);
	tl_defer("umount %s 2>/dev/null; true", mnt);
	CU_ASSERT_FATAL(tl_dm_create(plain, "0 1000 zero") == 0);
	tl_defer("dmsetup remove %s 2>/dev/null; true", foreign);
	CU_ASSERT_FATAL(tl_run(NULL, "dmsetup create %s -u LVM-cowsnaptest%d "
			       "--table '0 1000 zero'", foreign,
			       (int)getpid()) == 0);
	snprintf(args, sizeof(args), "create %s %s", vol, loop);
	CU_ASSERT_FATAL(cli_status(args) == 0);

	run_fail(args, 4, vol);						/* exists */
	run_fail("create cs-new /dev/cowsnap-no-such-dev", 3,
		 "/dev/cowsnap-no-such-dev");
	run_fail("create cs-new /tmp/cowsnap-cli-err", 1,
		 "/tmp/cowsnap-cli-err");			/* a file */
	snprintf(args, sizeof(args), "create cs-new %s", loop);
	run_fail(args, 4, loop);			/* held by the volume */
	run_fail("remove cs-no-such-vol", 3, "cs-no-such-vol");
	run_fail("status cs-no-such-vol", 3, "cs-no-such-vol");
	run_fail("filter attach cs-no-such-vol", 3, "cs-no-such-vol");
	run_fail("adopt cs-no-such-vol", 3, "cs-no-such-vol");
	snprintf(args, sizeof(args), "filter detach %s", vol);
	run_fail(args, 4, vol);					/* not attached */
	snprintf(args, sizeof(args), "events %s", vol);
	run_fail(args, 4, vol);					/* no filter */
	snprintf(args, sizeof(args), "adopt %s", vol);
	run_fail(args, 4, vol);					/* managed */
	snprintf(args, sizeof(args), "adopt %s", foreign);
	run_fail(args, 4, foreign);				/* LVM's */
	snprintf(args, sizeof(args), "status %s", plain);
	run_fail(args, 4, plain);				/* unmanaged */

	/* A mounted volume cannot be removed. */
	CU_ASSERT_FATAL(tl_run(NULL, "mkfs.ext4 -q /dev/mapper/%s && "
			       "mkdir -p %s && mount /dev/mapper/%s %s", vol,
			       mnt, vol, mnt) == 0);
	snprintf(args, sizeof(args), "remove %s", vol);
	run_fail(args, 4, vol);
	CU_ASSERT_EQUAL(tl_run(NULL, "umount %s", mnt), 0);

	/* And the good ends of the same commands. */
	snprintf(args, sizeof(args), "adopt %s", plain);
	CU_ASSERT_EQUAL(cli_status(args), 0);
	CU_ASSERT_EQUAL(tl_run(NULL, "cowsnapctl list | grep -q ' *%s '",
			       plain), 0);
	snprintf(args, sizeof(args), "remove %s", plain);
	CU_ASSERT_EQUAL(cli_status(args), 0);
	CU_ASSERT_NOT_EQUAL(tl_run(NULL, "dmsetup info %s", plain), 0);
	snprintf(args, sizeof(args), "remove %s", vol);
	CU_ASSERT_EQUAL(cli_status(args), 0);
}

/* ------------------------------------------------------------------ */
/* events                                                             */

/* One failing 512-byte O_DIRECT read of volume @name at @sector. */
static void fail_read(const char *name, unsigned int sector)
{
	void *buf = tl_alloc_aligned(4096);
	char path[160];
	int fd;

	snprintf(path, sizeof(path), "/dev/mapper/%s", name);
	fd = open(path, O_RDONLY | O_DIRECT);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(pread(fd, buf, 512, (off_t)sector << 9), -1);
	close(fd);
	free(buf);
}

/*
 * "cowsnapctl events --follow", started before the error: it waits, prints
 * the new record and exits (--count 1).  @how is "--json" (uevents) or
 * "--no-uevent" (the DM_DEV_WAIT fallback).  Returns its output.
 */
static char *follow_one(unsigned int sector, const char *since,
			const char *how)
{
	int status, fd;
	pid_t pid;

	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (!pid) {
		fd = open("/tmp/cowsnap-cli-out",
			  O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(126);
		execlp("cowsnapctl", "cowsnapctl", "events", vol, "--since",
		       since, "--follow", "--count", "1", "--timeout", "60",
		       how, (char *)NULL);
		_exit(127);
	}
	sleep(1);
	fail_read(vol, sector);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return slurp("/tmp/cowsnap-cli-out");
}

static void test_events(void)
{
	char lower[128], table[512], args[512], *out, *line, *save;
	json_object *j;
	unsigned int n = 0;
	struct cli c;

	snprintf(lower, sizeof(lower), "%s", tl_dm_name("lower"));
	snprintf(table, sizeof(table), "0 2048 linear %s 0\n2048 64 error\n"
		 "2112 %llu linear %s 2112", loop, DEV_SECTORS - 2112, loop);
	CU_ASSERT_FATAL(tl_dm_create(lower, table) == 0);
	snprintf(args, sizeof(args), "create %s /dev/mapper/%s", vol, lower);
	CU_ASSERT_FATAL(cli_status(args) == 0);
	run_ok("filter attach %s --ring-size 64", NULL);
	run_ok("events %s", NULL);			/* nothing yet */

	fail_read(vol, 2048);
	fail_read(vol, 2100);
	fail_read(vol, 2111);
	run_ok("events %s", "events.out");

	snprintf(args, sizeof(args), "events --json %s", vol);
	c = run_cli(args);
	CU_ASSERT_EQUAL(c.status, 0);
	for (line = strtok_r(c.out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		static const int64_t sectors[] = { 2048, 2100, 2111 };

		j = parse_json(line);
		CU_ASSERT_FATAL(j != NULL);
		CU_ASSERT_STRING_EQUAL(jstr(j, "type"), "event");
		CU_ASSERT_EQUAL(jint(j, "seq"), n + 1);
		CU_ASSERT_STRING_EQUAL(jstr(j, "class"), "io");
		CU_ASSERT_STRING_EQUAL(jstr(j, "op"), "read");
		CU_ASSERT_EQUAL(jint(j, "sector"), n < 3 ? sectors[n] : -2);
		CU_ASSERT_EQUAL(jint(j, "sectors"), 1);
		json_object_put(j);
		n++;
	}
	CU_ASSERT_EQUAL(n, 3);
	cli_free(&c);

	run_ok("events %s --since 2", "events-since.out");

	/* --follow: started first, it waits and prints the next one. */
	out = follow_one(2050, "3", "--json");
	j = parse_json(out);
	CU_ASSERT_FATAL(j != NULL);
	CU_ASSERT_EQUAL(jint(j, "seq"), 4);
	CU_ASSERT_EQUAL(jint(j, "sector"), 2050);
	json_object_put(j);
	free(out);
	out = follow_one(2060, "4", "--no-uevent");
	check_golden("events-follow.out", out);
	free(out);

	run_ok("filter detach %s", NULL);
	run_ok("remove %s", NULL);
}

static CU_TestInfo cli_tests[] = {
	{ "help", test_help },
	{ "usage_errors", test_usage_errors },
	{ "lifecycle", test_lifecycle },
	{ "failures", test_failures },
	{ "events", test_events },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "cli", cli_init, cli_clean, NULL, NULL, cli_tests },
	CU_SUITE_INFO_NULL,
};
