// SPDX-License-Identifier: GPL-2.0
/*
 * cbt table lines and messages: good lines read back as written, with the
 * block size asked for or the default; every bad line and bad message is
 * refused, with the reason in the kernel log, no kernel warning, nothing
 * left behind and nothing changed: a refused message marks no block, takes
 * no checkpoint, and a refused takeover leaves the live tracker alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/dm-cbt.h>

#include "testlib.h"

#define DEV_SECTORS	8192ULL		/* 4 MiB: 1024 blocks of 4 KiB */

static char *loop;
static char live[128];		/* a device with tracker "live-<pid>" */

static int table_init(void)
{
	char table[256];

	loop = tl_loop_create(DEV_SECTORS << 9);
	if (!loop)
		return -1;
	snprintf(live, sizeof(live), "%s", tl_dm_name("live"));
	snprintf(table, sizeof(table), "0 %llu cbt %s live-%d 2 block_size "
		 "4096", DEV_SECTORS, loop, (int)getpid());
	return tl_dm_create(live, table) ? -1 : 0;
}

static int table_clean(void)
{
	tl_teardown();
	free(loop);
	return 0;
}

/*
 * What the kernel log says about a refusal: the text after "cbt: " on its
 * lines (the target's prefix, or the target name in dm's table error).
 * Returns whether there was any; *why points into a static buffer.
 */
static bool cbt_reason(const char *log, const char **why)
{
	static char buf[4096];
	const char *p = log, *c, *nl;
	size_t len = 0;

	buf[0] = '\0';
	while ((c = strstr(p, "cbt: "))) {
		nl = strchr(c, '\n');
		nl = nl ? nl : c + strlen(c);
		len += snprintf(buf + len, sizeof(buf) - len, "%.*s\n",
				(int)(nl - c - 5), c + 5);
		if (len >= sizeof(buf))
			break;
		p = nl;
	}
	*why = buf;
	return buf[0] != '\0';
}

/* Run @cmd, which must fail, and check the kernel log it leaves. */
static void refused(const char *what, const char *cmd,
		    const char *const *words)
{
	const char *why;
	char *log;
	bool named = !words[0];
	int kmsg = tl_kmsg_open();

	CU_ASSERT_FATAL(kmsg >= 0);
	CU_ASSERT_NOT_EQUAL(tl_run(NULL, "%s", cmd), 0);
	log = tl_kmsg_read(kmsg);
	close(kmsg);
	CU_ASSERT_FATAL(log != NULL);
	if (cbt_reason(log, &why))
		for (; *words && !named; words++)
			named = strcasestr(why, *words) != NULL;
	if (!why[0] || !named) {
		fprintf(stderr, "%s: the log does not name the reason:\n%s",
			what, log);
		CU_FAIL("refusal does not name the reason");
	}
	CU_ASSERT_FALSE(tl_kmsg_has_warning(log));
	free(log);
}

/* ------------------------------------------------------------------ */
/* Table lines                                                        */

#define ARGS	(const char *const[])
#define ANY	ARGS{ NULL }
#define BLK	ARGS{ "block_size", "block size", NULL }
#define OPTS	ARGS{ "argument", NULL }
#define ID	ARGS{ "tracker", "id", NULL }

/*
 * After "<start> <len> cbt": %D is the loop device, %I a new tracker id,
 * %L the live tracker's id, %X an id of CBT_ID_MAX + 1 characters.
 */
static const struct {
	unsigned long long len;
	const char *args;
	const char *const *words;	/* the reason names one of them */
} bad_lines[] = {
	{ DEV_SECTORS, "", ANY },
	{ DEV_SECTORS, "%D", ANY },
	{ DEV_SECTORS, "/dev/cowsnap-no-such-device %I", ANY },
	{ DEV_SECTORS + 1, "%D %I", ANY },
	{ DEV_SECTORS, "%D %X", ID },
	{ DEV_SECTORS, "%D bad.id", ID },
	{ DEV_SECTORS, "%D bad/id", ID },
	{ DEV_SECTORS, "%D bad:id", ID },
	{ DEV_SECTORS, "%D bad\\ id", ID },	/* a space, escaped */
	{ DEV_SECTORS, "%D caf\xc3\xa9", ID },
	{ DEV_SECTORS, "%D %I 1", OPTS },
	{ DEV_SECTORS, "%D %I x", OPTS },
	{ DEV_SECTORS, "%D %I 1 block_size", ANY },
	{ DEV_SECTORS, "%D %I 2 block_size", ANY },
	{ DEV_SECTORS, "%D %I 4 block_size 4096", ANY },
	{ DEV_SECTORS, "%D %I 2 block_sz 4096", ANY },
	{ DEV_SECTORS, "%D %I 2 block_size 6000", BLK },
	{ DEV_SECTORS, "%D %I 2 block_size 12288", BLK },
	{ DEV_SECTORS, "%D %I 2 block_size 2048", BLK },
	{ DEV_SECTORS, "%D %I 2 block_size 0", BLK },
	{ DEV_SECTORS, "%D %I 2 block_size 2147483648", BLK },
	{ DEV_SECTORS, "%D %I 2 block_size 4294967296", BLK },
	{ DEV_SECTORS, "%D %I 2 block_size 4k", BLK },
	{ DEV_SECTORS, "%D %I 2 block_size -4096", BLK },
	{ DEV_SECTORS, "%D %I 2 block_size 0x1000", BLK },
	{ DEV_SECTORS, "%D %I 4 block_size 4096 block_size 4096",
	  ARGS{ "block_size", "argument", NULL } },
	{ DEV_SECTORS, "%D %I 2 block_size 4096 extra", ANY },
	{ DEV_SECTORS, "%D %I 0 extra", ANY },
	{ DEV_SECTORS, "%D %L 2 block_size 8192", BLK },
	{ DEV_SECTORS, "%D %L 2 block_size 65536", BLK },
};

static void expand(char *out, size_t size, const char *args)
{
	char id[CBT_ID_MAX + 2];
	size_t len = 0;

	memset(id, 'a', CBT_ID_MAX + 1);
	id[CBT_ID_MAX + 1] = '\0';
	for (; *args && len + 1 < size; args++) {
		if (args[0] != '%' || !args[1]) {
			out[len++] = *args;
			continue;
		}
		switch (*++args) {
		case 'D':
			len += snprintf(out + len, size - len, "%s", loop);
			break;
		case 'I':
			len += snprintf(out + len, size - len, "bad-%d",
					(int)getpid());
			break;
		case 'L':
			len += snprintf(out + len, size - len, "live-%d",
					(int)getpid());
			break;
		default:
			len += snprintf(out + len, size - len, "%s", id);
		}
	}
	out[len < size ? len : size - 1] = '\0';
}

static void test_bad_table_lines(void)
{
	const char *name = tl_dm_name("bad");
	char args[256], cmd[512], *before = NULL, *after = NULL;
	unsigned int i;

	CU_ASSERT_FATAL(tl_dm_message(live, "info", &before) == 0);
	/* Registered once: whatever a wrongly accepted line made goes. */
	tl_defer("dmsetup remove %s 2>/dev/null; true", name);
	for (i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		expand(args, sizeof(args), bad_lines[i].args);
		snprintf(cmd, sizeof(cmd), "dmsetup create %s --table "
			 "'0 %llu cbt %s'", name, bad_lines[i].len, args);
		refused(cmd, cmd, bad_lines[i].words);
		/* dmsetup removes the device when its table is refused. */
		if (tl_run(NULL, "dmsetup info %s", name) == 0) {
			fprintf(stderr, "'%s' left the device behind\n", cmd);
			CU_FAIL("a refused table left its device");
			tl_run(NULL, "dmsetup remove %s", name);
		}
	}
	/* The refused takeovers did not touch the live tracker. */
	CU_ASSERT_FATAL(tl_dm_message(live, "info", &after) == 0);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(before);
	free(after);
	/* No refused line left a tracker: the id is free, for any size. */
	expand(args, sizeof(args), "%D %I 2 block_size 65536");
	snprintf(cmd, sizeof(cmd), "0 %llu cbt %s", DEV_SECTORS, args);
	CU_ASSERT_FATAL(tl_dm_create(name, cmd) == 0);
	CU_ASSERT_FATAL(tl_dm_message(name, "info", &after) == 0);
	if (!strstr(after, " block_size=65536 ") ||
	    !strstr(after, " current=1 frozen=0 ")) {
		fprintf(stderr, "%s: not a new tracker: %s", name, after);
		CU_FAIL("a refused table line left its tracker");
	}
	free(after);
	CU_ASSERT_EQUAL(tl_run(NULL, "dmsetup remove %s", name), 0);
}

/* Good lines: accepted, "dmsetup table" gives them back, right sizes. */
static void test_good_table_lines(void)
{
	static const struct {
		const char *id, *opts;
		unsigned int bs;
	} good[] = {
		{ "x", "", 4096 },
		{ "-", " 2 block_size 4096", 4096 },
		{ "A-z_09", " 2 block_size 65536", 65536 },
		{ "%X", " 2 block_size 1073741824", 1U << 30 },
	};
	const char *name = tl_dm_name("good");
	char id[CBT_ID_MAX + 1], table[512], want[512], *out = NULL;
	unsigned int i, bs = 0;
	unsigned long long blocks = 0;
	struct stat st;

	CU_ASSERT_FATAL(stat(loop, &st) == 0);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(id, sizeof(id), "%s", good[i].id);
		if (!strcmp(id, "%X")) {		/* exactly the most */
			memset(id, 'Z', CBT_ID_MAX);
			id[CBT_ID_MAX] = '\0';
		}
		snprintf(table, sizeof(table), "0 %llu cbt %s %s%s",
			 DEV_SECTORS, loop, id, good[i].opts);
		CU_ASSERT_FATAL(tl_dm_create(name, table) == 0);
		snprintf(want, sizeof(want), "0 %llu cbt %u:%u %s%s\n",
			 DEV_SECTORS, major(st.st_rdev), minor(st.st_rdev), id,
			 good[i].opts);
		CU_ASSERT_EQUAL(tl_run(&out, "dmsetup table %s", name), 0);
		if (strcmp(out, want)) {
			fprintf(stderr, "table '%s' reads back as '%.*s'\n",
				table, (int)strcspn(out, "\n"), out);
			CU_FAIL("the table line does not read back as written");
		}
		free(out);
		CU_ASSERT_EQUAL(tl_dm_message(name, "info", &out), 0);
		CU_ASSERT_EQUAL(sscanf(out, "capacity=%*u block_size=%u "
				       "blocks=%llu", &bs, &blocks), 2);
		CU_ASSERT_EQUAL(bs, good[i].bs);
		CU_ASSERT_EQUAL(blocks, ((DEV_SECTORS << 9) + bs - 1) / bs);
		free(out);
		CU_ASSERT_EQUAL(tl_run(NULL, "dmsetup remove %s", name), 0);
	}
}

/* The default block size keeps the map within CBT_DEFAULT_MAX_BLOCKS. */
static void test_default_block_size(void)
{
	const uint64_t most = (uint64_t)CBT_DEFAULT_MAX_BLOCKS * 4096;
	char *big = tl_loop_create(most + 512), *out = NULL, table[256];
	const char *name = tl_dm_name("default");
	unsigned long long blocks = 0;
	unsigned int bs = 0, i;

	CU_ASSERT_FATAL(big != NULL);
	for (i = 0; i < 2; i++) {	/* exactly the most, then one more */
		snprintf(table, sizeof(table), "0 %llu cbt %s dflt-%d",
			 (unsigned long long)((most >> 9) + i), big,
			 (int)getpid());
		CU_ASSERT_FATAL(tl_dm_create(name, table) == 0);
		CU_ASSERT_EQUAL(tl_dm_message(name, "info", &out), 0);
		CU_ASSERT_EQUAL(sscanf(out, "capacity=%*u block_size=%u "
				       "blocks=%llu", &bs, &blocks), 2);
		free(out);
		CU_ASSERT_EQUAL(bs, i ? 8192 : 4096);
		CU_ASSERT_EQUAL(blocks, i ? CBT_DEFAULT_MAX_BLOCKS / 2 + 1 :
				CBT_DEFAULT_MAX_BLOCKS);
		CU_ASSERT_EQUAL(tl_run(NULL, "dmsetup remove %s", name), 0);
	}
	free(big);
}

/* ------------------------------------------------------------------ */
/* Messages                                                           */

static const struct {
	const char *msg;
	const char *word;	/* the reason names it */
} bad_messages[] = {
	{ "frobnicate", "frobnicate" },
	{ "info now", "info" },
	{ "checkpoint now", "checkpoint" },
	{ "map", "map" },
	{ "map 0", "map" },
	{ "map x 10", "map" },
	{ "map 0 x", "map" },
	{ "map 0x1 10", "map" },	/* (dmsetup takes "-1" for an option) */
	{ "map 0 10 5", "map" },
	{ "changes", "changes" },
	{ "changes 0", "changes" },
	{ "changes x 0", "changes" },
	{ "changes 0 x", "changes" },
	{ "changes 0 0 x", "changes" },
	{ "changes 0 0 3 4", "changes" },
	{ "mark_dirty", "mark_dirty" },
	{ "mark_dirty 8", "mark_dirty" },
	{ "mark_dirty 0 8 16", "mark_dirty" },
	{ "mark_dirty x 8", "mark_dirty" },
	{ "mark_dirty 0 8 x 8", "mark_dirty" },
	{ "mark_dirty 0 8 16 x", "mark_dirty" },
	{ "events", "events" },
	{ "events x", "events" },
	{ "events 0 1", "events" },
};

static void test_bad_messages(void)
{
	const char *name = tl_dm_name("msgs");
	char table[256], cmd[2048], *before = NULL, *after = NULL;
	unsigned int i, frozen = 0, count = 1;
	size_t len;

	snprintf(table, sizeof(table), "0 %llu cbt %s msgs-%d", DEV_SECTORS,
		 loop, (int)getpid());
	CU_ASSERT_FATAL(tl_dm_create(name, table) == 0);
	CU_ASSERT_FATAL(tl_dm_message(name, "checkpoint", NULL) == 0);
	CU_ASSERT_FATAL(tl_dm_message(name, "info", &before) == 0);
	for (i = 0; i < sizeof(bad_messages) / sizeof(bad_messages[0]); i++) {
		snprintf(cmd, sizeof(cmd), "dmsetup message %s 0 %s", name,
			 bad_messages[i].msg);
		refused(cmd, cmd, ARGS{ bad_messages[i].word, NULL });
	}
	/* One range more than a message takes. */
	len = snprintf(cmd, sizeof(cmd), "dmsetup message %s 0 mark_dirty",
		       name);
	for (i = 0; i <= CBT_MARK_RANGES_MAX; i++)
		len += snprintf(cmd + len, sizeof(cmd) - len, " %u 1", i * 8);
	refused("mark_dirty with too many ranges", cmd,
		ARGS{ "mark_dirty", NULL });

	/* Nothing changed: no checkpoint taken, no block marked. */
	CU_ASSERT_FATAL(tl_dm_message(name, "info", &after) == 0);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(after);
	CU_ASSERT_FATAL(tl_dm_message(name, "checkpoint", NULL) == 0);
	CU_ASSERT_FATAL(tl_dm_message(name, "changes 0 0", &after) == 0);
	CU_ASSERT_EQUAL(sscanf(after, "%u %*u %u", &frozen, &count), 2);
	CU_ASSERT_EQUAL(frozen, 2);
	CU_ASSERT_EQUAL(count, 0);
	free(after);
	free(before);
	CU_ASSERT_EQUAL(tl_run(NULL, "dmsetup remove %s", name), 0);
}

static CU_TestInfo table_tests[] = {
	{ "bad_table_lines", test_bad_table_lines },
	{ "good_table_lines", test_good_table_lines },
	{ "default_block_size", test_default_block_size },
	{ "bad_messages", test_bad_messages },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "table", table_init, table_clean, NULL, NULL, table_tests },
	CU_SUITE_INFO_NULL,
};
