// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnap table lines and messages.  Good lines are taken and read back
 * as written.  Every bad line -- wrong argument counts, bad chunk sizes,
 * bad identities, another chunk size or store within a set, an image
 * without a live origin, devices too small or missing, bad optional
 * arguments -- is refused by "dmsetup create" with the reason in the
 * kernel log, leaves no device and no set behind, and does not touch the
 * live set it names; every bad message is refused and changes nothing.
 * None of it gives a kernel warning.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cowsnap-test.h"

#define DEV_SECTORS	8192ULL		/* 4 MiB volumes */
#define STORE_SECTORS	8192ULL
#define BIG_STORE_SECTORS	65536ULL	/* two of the largest chunks */

static struct ct_vol live, other;	/* the live set's member, a spare */
static struct ct_set set;		/* live-<pid>-1, member "m" */
static char store[160], store2[160], store3[160];

static int get_loop(char *path, size_t size, uint64_t sectors)
{
	char *loop = tl_loop_create(sectors * CT_SECTOR);

	if (!loop)
		return -1;
	snprintf(path, size, "%s", loop);
	free(loop);
	return 0;
}

static int table_init(void)
{
	if (get_loop(store, sizeof(store), STORE_SECTORS) ||
	    get_loop(store2, sizeof(store2), STORE_SECTORS) ||
	    get_loop(store3, sizeof(store3), BIG_STORE_SECTORS) ||
	    ct_vol_create(&live, "m", DEV_SECTORS) ||
	    ct_vol_create(&other, "o", DEV_SECTORS) ||
	    ct_fill_device(live.top_dev, DEV_SECTORS, 0, 1) ||
	    ct_fill_device(other.top_dev, DEV_SECTORS, 0, 2))
		return -1;
	ct_set_init(&set, "live", store, 4096, NULL);
	return ct_snapshot1(&set, &live);
}

static int table_clean(void)
{
	tl_teardown();
	ct_vol_free(&live);
	ct_vol_free(&other);
	return 0;
}

/*
 * Run @cmd, which must fail, naming @what; the kernel log must hold @why
 * (NULL: no reason needed) and no warning.
 */
static void refused(const char *what, const char *cmd, const char *why)
{
	int kmsg = tl_kmsg_open(), r;
	char *log, *out = NULL;

	CU_ASSERT_FATAL(kmsg >= 0);
	r = tl_run(&out, "%s", cmd);
	log = tl_kmsg_read(kmsg);
	close(kmsg);
	CU_ASSERT_FATAL(log != NULL);
	if (!r) {
		fprintf(stderr, "%s: accepted: %s\n", what, cmd);
		CU_FAIL("a bad line or message was accepted");
	} else if (why && !strstr(log, why)) {
		fprintf(stderr, "%s: no reason in the kernel log: %s\n%s",
			what, out, log);
		CU_FAIL("the refusal does not say why");
	}
	if (tl_kmsg_has_warning(log)) {
		fprintf(stderr, "%s: kernel warning:\n%s", what, log);
		CU_FAIL("a bad line or message gave a kernel warning");
	}
	free(out);
	free(log);
}

/* ------------------------------------------------------------------ */
/* Table lines                                                        */

#define O	COWSNAP_ORIGIN_TARGET_NAME
#define I	COWSNAP_IMAGE_TARGET_NAME

/*
 * After "<start> <len> <target>": %O the spare volume's device beneath,
 * %V the live member's, %S the live set's store, %T (4 MiB) and %N
 * (32 MiB) two other stores, %I a new set id, %L the live set's id, %X an
 * id one character too long.
 */
static const struct {
	const char *target;
	unsigned long long len;
	const char *args;
	const char *what;
} bad_lines[] = {
	{ O, DEV_SECTORS, "", "no arguments" },
	{ O, DEV_SECTORS, "%O", "one argument" },
	{ O, DEV_SECTORS, "%O %N", "two arguments" },
	{ O, DEV_SECTORS, "%O %N %I", "three arguments" },
	{ O, DEV_SECTORS, "%O %N %I m", "no chunk size" },
	{ O, DEV_SECTORS, "%O %N  m 4096", "empty set id" },
	{ O, DEV_SECTORS, "%O %N %I m 0", "chunk size 0" },
	{ O, DEV_SECTORS, "%O %N %I m 1000", "chunk size 1000" },
	{ O, DEV_SECTORS, "%O %N %I m 2048", "chunk size 2048" },
	{ O, DEV_SECTORS, "%O %N %I m 12288", "chunk size 12288" },
	{ O, DEV_SECTORS, "%O %N %I m 33554432", "chunk size 32 MiB" },
	{ O, DEV_SECTORS, "%O %N %I m 4294971392", "chunk size 4 GiB + 4 KiB" },
	{ O, DEV_SECTORS, "%O %N %I m 4k", "chunk size 4k" },
	{ O, DEV_SECTORS, "%O %N %I m abc", "chunk size abc" },
	{ O, DEV_SECTORS, "%O %N %I m -4096", "chunk size -4096" },
	{ O, DEV_SECTORS, "%O %N %I m 0x1000", "chunk size 0x1000" },
	{ O, DEV_SECTORS, "%O %N %X m 4096", "set id too long" },
	{ O, DEV_SECTORS, "%O %N %I %X 4096", "member too long" },
	{ O, DEV_SECTORS, "%O %N bad.id m 4096", "set id with ." },
	{ O, DEV_SECTORS, "%O %N bad/id m 4096", "set id with /" },
	{ O, DEV_SECTORS, "%O %N bad:id m 4096", "set id with :" },
	{ O, DEV_SECTORS, "%O %N caf\xc3\xa9 m 4096", "set id not ASCII" },
	{ O, DEV_SECTORS, "%O %N %I m! 4096", "member with !" },
	{ O, DEV_SECTORS, "%O %N %I m\\ n 4096", "member with a space" },
	{ O, DEV_SECTORS, "%O %S %L m2 8192", "another chunk size in a set" },
	{ O, DEV_SECTORS, "%O %T %L m2 4096", "another store in a set" },
	{ O, DEV_SECTORS, "%O %O %I m 4096", "store is the origin device" },
	{ O, DEV_SECTORS, "%S %N %I m 4096", "origin is another set's store" },
	{ O, DEV_SECTORS, "%V %N %I m 4096", "origin of another set's member" },
	{ O, DEV_SECTORS, "%O %T %I m 16777216", "store below one chunk" },
	{ I, DEV_SECTORS, "%O %N %I m 4096", "image of no set" },
	{ I, DEV_SECTORS, "%O %S %L nosuch 4096", "image of no member" },
	{ I, DEV_SECTORS, "%V %S %L m 8192", "image with another chunk size" },
	{ I, DEV_SECTORS, "%V %T %L m 4096", "image with another store" },
	{ I, DEV_SECTORS, "%O %S %L m 4096", "image of another device" },
	{ I, DEV_SECTORS - 8, "%V %S %L m 4096", "image shorter than its "
	  "member" },
	{ O, DEV_SECTORS + 1, "%O %N %I m 4096", "origin device too small" },
	{ I, DEV_SECTORS + 1, "%V %S %L m 4096", "image device too small" },
	{ O, DEV_SECTORS, "/dev/cowsnap-no-such %N %I m 4096", "no device" },
	{ O, DEV_SECTORS, "%O /dev/cowsnap-no-such %I m 4096", "no store" },
	{ O, DEV_SECTORS, "%O %N %I m 4096 1", "1 optional argument" },
	{ O, DEV_SECTORS, "%O %N %I m 4096 x", "optional count x" },
	{ O, DEV_SECTORS, "%O %N %I m 4096 1 low_water", "low_water alone" },
	{ O, DEV_SECTORS, "%O %N %I m 4096 2 low_water", "2, one given" },
	{ O, DEV_SECTORS, "%O %N %I m 4096 2 high_water 5", "unknown option" },
	{ O, DEV_SECTORS, "%O %N %I m 4096 2 low_water 100", "low_water 100" },
	{ O, DEV_SECTORS, "%O %N %I m 4096 2 low_water -1", "low_water -1" },
	{ O, DEV_SECTORS, "%O %N %I m 4096 2 low_water 5x", "low_water 5x" },
	{ O, DEV_SECTORS, "%O %N %I m 4096 2 low_water 5 extra", "extra" },
	{ O, DEV_SECTORS, "%O %N %I m 4096 0 extra", "0, then extra" },
	{ I, DEV_SECTORS, "%V %S %L m 4096 2 low_water 100",
	  "image low_water 100" },
	/* Refused at the set, with a good low_water: it must not stay. */
	{ O, DEV_SECTORS, "%O %T %L m2 4096 2 low_water 50",
	  "another store, low_water" },
	{ I, DEV_SECTORS, "%V %S %L m 8192 2 low_water 50",
	  "image with another chunk size, low_water" },
};

static void expand(char *out, size_t size, const char *args)
{
	char id[COWSNAP_ID_MAX + 2];
	const char *v;
	size_t len = 0;

	memset(id, 'a', COWSNAP_ID_MAX + 1);
	id[COWSNAP_ID_MAX + 1] = '\0';
	for (; *args && len + 1 < size; args++) {
		if (args[0] != '%' || !args[1]) {
			out[len++] = *args;
			continue;
		}
		switch (*++args) {
		case 'O': v = other.lower_dev; break;
		case 'V': v = live.lower_dev; break;
		case 'S': v = store; break;
		case 'T': v = store2; break;
		case 'N': v = store3; break;
		case 'L': v = set.id; break;
		case 'I': v = tl_dm_name("bad"); break;
		default: v = id;
		}
		len += snprintf(out + len, size - len, "%s", v);
	}
	out[len < size ? len : size - 1] = '\0';
}

static void test_bad_table_lines(void)
{
	const char *name = tl_dm_name("bad");
	char args[512], cmd[1024], *before = NULL, *after = NULL;
	char table[CT_LINE_MAX], newset[128], why[64];
	struct ct_info in;
	unsigned int i;

	CU_ASSERT_FATAL(tl_dm_message(live.top, "info", &before) == 0);
	/* Once: whatever a wrongly accepted line made goes. */
	tl_defer("dmsetup remove %s 2>/dev/null; true", name);
	for (i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		expand(args, sizeof(args), bad_lines[i].args);
		snprintf(cmd, sizeof(cmd), "dmsetup create %s --table '0 %llu "
			 "%s %s'", name, bad_lines[i].len, bad_lines[i].target,
			 args);
		/* The target that refused it names the reason. */
		snprintf(why, sizeof(why), " %s: ", bad_lines[i].target);
		refused(bad_lines[i].what, cmd, why);
		/* dmsetup removes the device when its table is refused. */
		if (ct_event_nr(name) >= 0) {
			fprintf(stderr, "'%s' left its device\n", cmd);
			CU_FAIL("a refused table left its device");
			tl_run(NULL, "dmsetup remove %s", name);
		}
	}
	/* The live set is as it was. */
	CU_ASSERT_FATAL(tl_dm_message(live.top, "info", &after) == 0);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(before);
	free(after);
	/* No refused line left a set: the new id takes any chunk size. */
	snprintf(newset, sizeof(newset), "%s", tl_dm_name("bad"));
	snprintf(table, sizeof(table), "0 %llu %s %s %s %s m 65536",
		 DEV_SECTORS, O, other.lower_dev, store3, newset);
	CU_ASSERT_FATAL(tl_dm_create(name, table) == 0);
	CU_ASSERT_FATAL(ct_info(name, &in) == 0);
	CU_ASSERT_EQUAL(in.chunk_size, 65536);
	CU_ASSERT_EQUAL(in.members, 1);
	CU_ASSERT_EQUAL(in.copied, 0);
	CU_ASSERT_EQUAL(in.store_used, 0);
	CU_ASSERT_EQUAL(in.last_event, 0);
	CU_ASSERT_EQUAL(in.low_water, COWSNAP_LOW_WATER_DEFAULT);
	CU_ASSERT_EQUAL(ct_run("dmsetup remove %s", name), 0);
}

/* "major:minor" of a block device path. */
static void devno(const char *path, char *out, size_t size)
{
	struct stat st;

	if (stat(path, &st))
		snprintf(out, size, "?");
	else
		snprintf(out, size, "%u:%u", major(st.st_rdev),
			 minor(st.st_rdev));
}

/* Good lines: taken, read back as written, with the values asked for. */
static void test_good_table_lines(void)
{
	static const struct {
		const char *target, *member, *opts;
		unsigned int chunk, low_water;
	} good[] = {
		{ O, "x", "", 4096, COWSNAP_LOW_WATER_DEFAULT },
		{ O, "A-z_09", " 2 low_water 30", 65536, 30 },
		{ O, "%X", " 2 low_water 0", COWSNAP_CHUNK_MAX, 0 },
		{ O, "-", " 2 LOW_WATER 99", 8192, 99 },
	};
	const char *name = tl_dm_name("good");
	char id[COWSNAP_ID_MAX + 1], member[COWSNAP_ID_MAX + 1];
	char table[CT_LINE_MAX], want[CT_LINE_MAX], *out = NULL;
	char odev[32], sdev[32];
	struct ct_info in;
	unsigned int i;

	devno(other.lower_dev, odev, sizeof(odev));
	devno(store3, sdev, sizeof(sdev));
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(member, sizeof(member), "%s", good[i].member);
		if (!strcmp(member, "%X")) {		/* exactly the most */
			memset(member, 'Z', COWSNAP_ID_MAX);
			member[COWSNAP_ID_MAX] = '\0';
		}
		memset(id, 'a' + i, COWSNAP_ID_MAX);	/* the longest */
		snprintf(id + COWSNAP_ID_MAX - 12, 13, "-%011d", (int)getpid());
		snprintf(table, sizeof(table), "0 %llu %s %s %s %s %s %u%s",
			 DEV_SECTORS, good[i].target, other.lower_dev, store3,
			 id, member, good[i].chunk, good[i].opts);
		CU_ASSERT_FATAL(tl_dm_create(name, table) == 0);
		snprintf(want, sizeof(want), "0 %llu %s %s %s %s %s %u%s\n",
			 DEV_SECTORS, good[i].target, odev, sdev, id, member,
			 good[i].chunk, good[i].opts);
		CU_ASSERT_EQUAL(tl_run(&out, "dmsetup table %s", name), 0);
		if (strcasecmp(out, want)) {
			fprintf(stderr, "table '%s' reads back as '%.*s'\n",
				table, (int)strcspn(out, "\n"), out);
			CU_FAIL("the table line does not read back as written");
		}
		free(out);
		CU_ASSERT_FATAL(ct_info(name, &in) == 0);
		CU_ASSERT_STRING_EQUAL(in.set, id);
		CU_ASSERT_STRING_EQUAL(in.member, member);
		CU_ASSERT_STRING_EQUAL(in.state, COWSNAP_STATE_VALID);
		CU_ASSERT_EQUAL(in.chunk_size, good[i].chunk);
		CU_ASSERT_EQUAL(in.low_water, good[i].low_water);
		CU_ASSERT_EQUAL(in.store_size, BIG_STORE_SECTORS);
		CU_ASSERT_STRING_EQUAL(in.store_dev, sdev);
		CU_ASSERT_EQUAL(in.members, 1);
		CU_ASSERT_EQUAL(ct_run("dmsetup remove %s", name), 0);
	}
}

/*
 * The live set's image: its table reads back; reloaded with low_water, it
 * sets it for the whole set (the latest table that gives one).
 */
static void test_image_table(void)
{
	char table[CT_LINE_MAX], want[CT_LINE_MAX], vdev[32], sdev[32];
	char *out = NULL;
	struct ct_info in;

	devno(live.lower_dev, vdev, sizeof(vdev));
	devno(store, sdev, sizeof(sdev));
	snprintf(want, sizeof(want), "0 %llu %s %s %s %s m 4096\n",
		 DEV_SECTORS, I, vdev, sdev, set.id);
	CU_ASSERT_EQUAL(tl_run(&out, "dmsetup table %s", live.image), 0);
	CU_ASSERT_STRING_EQUAL(out, want);
	free(out);
	CU_ASSERT_FATAL(ct_info(live.top, &in) == 0);
	CU_ASSERT_EQUAL(in.low_water, COWSNAP_LOW_WATER_DEFAULT);

	ct_line(table, sizeof(table), I, &set, &live);
	CU_ASSERT_FATAL(ct_run("dmsetup reload %s --table '%s 2 low_water 40'"
			       " && dmsetup suspend %s && dmsetup resume %s",
			       live.image, table, live.image,
			       live.image) == 0);
	CU_ASSERT_FATAL(ct_info(live.top, &in) == 0);
	CU_ASSERT_EQUAL(in.low_water, 40);
	CU_ASSERT_EQUAL(in.members, 1);
	CU_ASSERT_STRING_EQUAL(in.state, COWSNAP_STATE_VALID);
	/* Back as it was; low_water stays, no table gives another one. */
	CU_ASSERT_FATAL(ct_run("dmsetup reload %s --table '%s' && dmsetup "
			       "suspend %s && dmsetup resume %s", live.image,
			       table, live.image, live.image) == 0);
	CU_ASSERT_FATAL(ct_info(live.image, &in) == 0);
	CU_ASSERT_EQUAL(in.low_water, 40);
}

/*
 * An origin table loaded but not resumed is not live: an image made then
 * would not show the instant (it has not come yet).  Refused; once the
 * origin is resumed the image is made.
 */
static void test_image_before_resume(void)
{
	char table[CT_LINE_MAX], cmd[CT_LINE_MAX + 256];
	struct ct_set s2;

	ct_set_init(&s2, "early", store3, 4096, NULL);
	ct_line(table, sizeof(table), O, &s2, &other);
	CU_ASSERT_FATAL(ct_run("dmsetup reload %s --table '%s'", other.top,
			       table) == 0);
	ct_line(table, sizeof(table), I, &s2, &other);
	snprintf(cmd, sizeof(cmd), "dmsetup create %s --table '%s'",
		 other.image, table);
	refused("image of an origin not yet resumed", cmd, " cowsnap: ");
	CU_ASSERT_FATAL(ct_run("dmsetup suspend %s && dmsetup resume %s",
			       other.top, other.top) == 0);
	CU_ASSERT_FATAL(ct_image_create(&s2, &other) == 0);
	CU_ASSERT_EQUAL(ct_drop1(&other), 0);
}

/*
 * A second set naming the live set's store: each set hands out the
 * store's chunks from its own count, so were it taken, the two would copy
 * into the same place.  It must be refused -- or, if taken, both images
 * must still show their volumes as they were.
 */
static void test_store_of_another_set(void)
{
	char table[CT_LINE_MAX], cmd[2 * CT_LINE_MAX], *out = NULL;
	struct ct_set s2;
	bool bad;

	ct_set_init(&s2, "share", store, 4096, NULL);
	ct_line(table, sizeof(table), O, &s2, &other);
	snprintf(cmd, sizeof(cmd), "dmsetup reload %s --table '%s' && "
		 "dmsetup suspend %s && dmsetup resume %s", other.top, table,
		 other.top, other.top);
	if (tl_run(&out, "%s", cmd)) {
		free(out);
		printf("store_of_another_set: refused\n");
		return;
	}
	free(out);
	CU_ASSERT_FATAL(ct_image_create(&s2, &other) == 0);
	/* The first chunk of each volume copied, in each set's first slot. */
	CU_ASSERT_EQUAL(ct_write_path(live.top_dev, 0, 8, 1, 1), 0);
	CU_ASSERT_EQUAL(ct_write_path(other.top_dev, 0, 8, 1, 2), 0);
	bad = ct_verify("live set's image", live.image_dev, 0, DEV_SECTORS,
			NULL, NULL, 1, NULL) ||
	      ct_verify("second set's image", other.image_dev, 0, DEV_SECTORS,
			NULL, NULL, 2, NULL);
	if (bad)
		CU_FAIL("two sets share a store and corrupt each other");
	CU_ASSERT_EQUAL(ct_drop1(&other), 0);
	CU_ASSERT_EQUAL(ct_fill_device(live.top_dev, 8, 0, 1), 0);
	CU_ASSERT_EQUAL(ct_fill_device(other.top_dev, 8, 0, 2), 0);
}

/* Create @name with the one-target table @line through libdevmapper. */
static int lib_create(const char *name, unsigned long long len,
		      const char *type, const char *params)
{
	struct cs_table t = { 0 };
	int r;

	r = cs_table_add(&t, 0, len, type, params);
	if (!r)
		r = cs_dm_create(name, NULL, &t, 0);
	cs_table_free(&t);
	return r;
}

/*
 * COWSNAP_MEMBERS_MAX members in one set, each origin on its own device
 * (slices of one loop device); one more is refused.  Made through
 * libdevmapper: 64 dmsetup runs would take long under emulation.
 */
static void test_most_members(void)
{
	char params[CT_LINE_MAX], cmd[2 * CT_LINE_MAX], member[16], loop[160];
	char names[COWSNAP_MEMBERS_MAX + 1][128], slice[128];
	const unsigned int n = COWSNAP_MEMBERS_MAX;
	struct ct_info in;
	struct ct_set s;
	unsigned int i;

	CU_ASSERT_FATAL(get_loop(loop, sizeof(loop), 16 * (n + 1)) == 0);
	/* Twice: the origins, then the slices beneath them. */
	tl_defer("for i in 1 2; do for d in $(dmsetup ls | cut -f1 | "
		 "grep '^%s'); do dmsetup remove $d; done; done 2>/dev/null; "
		 "true", tl_dm_name("mm-"));
	ct_set_init(&s, "most", store2, 4096, NULL);
	for (i = 0; i <= n; i++) {
		snprintf(member, sizeof(member), "mm-s%u", i);
		snprintf(slice, sizeof(slice), "%s", tl_dm_name(member));
		snprintf(params, sizeof(params), "%s %u", loop, 16 * i);
		CU_ASSERT_FATAL(lib_create(slice, 16, "linear", params) == 0);
		snprintf(member, sizeof(member), "mm-o%u", i);
		snprintf(names[i], sizeof(names[i]), "%s", tl_dm_name(member));
		snprintf(params, sizeof(params), "/dev/mapper/%s %s %s m%u "
			 "4096", slice, s.store, s.id, i);
		if (i < n) {
			CU_ASSERT_FATAL(lib_create(names[i], 16, O, params) ==
					0);
			continue;
		}
		snprintf(cmd, sizeof(cmd), "dmsetup create %s --table '0 16 %s "
			 "%s'", names[i], O, params);
		refused("one member too many", cmd, " cowsnap-origin: ");
	}
	CU_ASSERT_FATAL(ct_info(names[0], &in) == 0);
	CU_ASSERT_EQUAL(in.members, n);
	for (i = n; i--; )
		CU_ASSERT_EQUAL(cs_dm_remove(names[i], 0), 0);
	CU_ASSERT_EQUAL(ct_run("for d in $(dmsetup ls | cut -f1 | grep "
			       "'^%s'); do dmsetup remove $d || exit 1; done",
			       tl_dm_name("mm-s")), 0);
}

/*
 * A good cowsnap line followed by a bad target: dm refuses the table and
 * destroys the cowsnap target it had made.  That must leave nothing: no
 * member in the live set (its count, its claim on the device), no new set
 * (its low_water), so the same lines without the bad target work after.
 */
static void test_bad_second_target(void)
{
	const char *name = tl_dm_name("bad2");
	char table[CT_LINE_MAX], cmd[2 * CT_LINE_MAX], *before = NULL;
	char *after = NULL;
	struct ct_info in;
	struct ct_set s2;

	CU_ASSERT_FATAL(tl_dm_message(live.top, "info", &before) == 0);
	tl_defer("dmsetup remove %s 2>/dev/null; true", name);
	snprintf(cmd, sizeof(cmd), "dmsetup create %s --table '0 %llu %s %s "
		 "%s %s m2 4096\n%llu 8 linear /dev/cowsnap-no-such 0'", name,
		 DEV_SECTORS, O, other.lower_dev, store, set.id, DEV_SECTORS);
	refused("a new member of the live set, then a bad target", cmd,
		" linear: ");
	CU_ASSERT_FATAL(tl_dm_message(live.top, "info", &after) == 0);
	if (strcmp(before, after)) {
		fprintf(stderr, "the live set before: %safter: %s", before,
			after);
		CU_FAIL("a refused table left a member in the live set");
	}
	free(after);

	ct_set_init(&s2, "bad2", store3, 4096, " 2 low_water 50");
	ct_line(table, sizeof(table), O, &s2, &other);
	snprintf(cmd, sizeof(cmd), "dmsetup create %s --table '%s\n%llu 8 "
		 "linear /dev/cowsnap-no-such 0'", name, table, DEV_SECTORS);
	refused("a new set, then a bad target", cmd, " linear: ");

	/* Without the bad target: the device is free, the set new. */
	s2.opts[0] = '\0';
	s2.chunk = 8192;
	ct_line(table, sizeof(table), O, &s2, &other);
	if (tl_dm_create(name, table)) {
		fprintf(stderr, "'%s' refused after the refused tables\n",
			table);
		CU_FAIL("a refused table left its device claimed");
	} else {
		CU_ASSERT_FATAL(ct_info(name, &in) == 0);
		CU_ASSERT(in.members == 1 && in.chunk_size == 8192);
		CU_ASSERT_EQUAL(in.low_water, COWSNAP_LOW_WATER_DEFAULT);
		CU_ASSERT_EQUAL(ct_run("dmsetup remove %s", name), 0);
	}
	free(before);
}

/* ------------------------------------------------------------------ */
/* Messages                                                           */

static const char *const bad_messages[] = {
	"frobnicate",
	"info extra",
	"store_append",
	"store_append 0",
	"store_append x",
	"store_append -1",
	"store_append 8x",
	"store_append 1",			/* the store is used whole */
	"store_append 18446744073709551616",
	"store_append 1 2",
	"written",
	"written x",
	"written 8193",				/* beyond the member */
	"written 18446744073709551615",
	"written 0 x",
	"written 0 0",
	"written 0 4097",
	"written 0 1 2",
	"events",
	"events x",
	"events -1",
	"events 0 x",
	"events 0 0",
	"events 0 65",
	"events 0 1 2",
};

static void test_bad_messages(void)
{
	const char *devs[2] = { live.top, live.image };
	char cmd[512], *before = NULL, *after = NULL;
	uint8_t chunks[DEV_SECTORS / 8];
	struct ct_events e;
	unsigned int i, d;

	CU_ASSERT_FATAL(tl_dm_message(live.top, "info", &before) == 0);
	for (d = 0; d < 2; d++)
		for (i = 0; i < sizeof(bad_messages) / sizeof(bad_messages[0]);
		     i++) {
			snprintf(cmd, sizeof(cmd), "dmsetup message %s 0 %s",
				 devs[d], bad_messages[i]);
			refused(cmd, cmd, NULL);
		}
	CU_ASSERT_FATAL(tl_dm_message(live.image, "info", &after) == 0);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(after);
	after = NULL;
	CU_ASSERT_FATAL(tl_dm_message(live.top, "info", &after) == 0);
	CU_ASSERT_STRING_EQUAL(before, after);
	/* Good ones still work: no events, no written ranges. */
	CU_ASSERT_EQUAL(tl_dm_message(live.image, "INFO", NULL), 0);
	CU_ASSERT_EQUAL(ct_events(live.top, 0, &e), 0);
	CU_ASSERT(e.last == 0 && e.count == 0);
	CU_ASSERT_EQUAL(ct_written(live.image, DEV_SECTORS, 8, 0, chunks), 0);
	free(before);
	free(after);
}

static CU_TestInfo table_tests[] = {
	{ "bad_table_lines", test_bad_table_lines },
	{ "good_table_lines", test_good_table_lines },
	{ "image_table", test_image_table },
	{ "image_before_resume", test_image_before_resume },
	{ "store_of_another_set", test_store_of_another_set },
	{ "most_members", test_most_members },
	{ "bad_messages", test_bad_messages },
	{ "bad_second_target", test_bad_second_target },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "table", table_init, table_clean, NULL, NULL, table_tests },
	CU_SUITE_INFO_NULL,
};
