// SPDX-License-Identifier: GPL-2.0
/*
 * Who may read what cowsnapctl makes.
 *
 * image_nodes: a volume's node gets the owner, group and mode of the
 * device it was made over, and an image's node those of its volume's:
 * 0660 root:disk, and 0640 1234:5678.  A member of the group reads the
 * snapshot instant's data through the image, another user is refused.
 * The store's node gives others no access.  (The guest has no udev:
 * libdevmapper makes the nodes, as cowsnapctl tells it.)
 *
 * store_files: with umask 0, a store in a directory is an unnamed file
 * (the directory stays empty, the loop device's file is "(deleted)"), a
 * store file the tool creates is 0600 root.
 *
 * backup_files: with umask 0, a backup's directories are 0700 and its
 * files (manifest, image) 0600, and so are the backup locks in
 * /run/cowsnapctl.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safety-test.h"

#define DEV_BYTES	(16ULL << 20)
#define GID_DISK	6

static const struct {
	mode_t mode;
	uid_t uid;
	gid_t gid;
} origin[] = {
	{ 0660, 0, GID_DISK },
	{ 0640, 1234, 5678 },
};

#define NR_VOLS	(sizeof(origin) / sizeof(origin[0]))

static char vol[NR_VOLS][64], dir[128];

static int perms_init(void)
{
	unsigned int i;
	char *l;

	snprintf(dir, sizeof(dir), "/tmp/perms-%d", (int)getpid());
	tl_defer("rm -rf %s", dir);
	if (tl_run(NULL, "mkdir -p %s/store", dir))
		return -1;
	for (i = 0; i < NR_VOLS; i++) {
		l = tl_loop_create(DEV_BYTES);
		if (!l)
			return -1;
		snprintf(vol[i], sizeof(vol[i]), "perms%d-%u", (int)getpid(),
			 i);
		tl_defer("cowsnapctl remove %s", vol[i]);
		if (chown(l, origin[i].uid, origin[i].gid) ||
		    chmod(l, origin[i].mode) ||
		    tl_run(NULL, "cowsnapctl create %s %s", vol[i], l)) {
			free(l);
			return -1;
		}
		free(l);
	}
	return 0;
}

static int perms_clean(void)
{
	tl_teardown();
	return 0;
}

/* @path is a block device node with volume @i's origin's owner and mode. */
static bool like_origin(const char *path, unsigned int i)
{
	struct stat st;
	bool ok;

	if (stat(path, &st)) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return false;
	}
	ok = S_ISBLK(st.st_mode) && (st.st_mode & 07777) == origin[i].mode &&
	     st.st_uid == origin[i].uid && st.st_gid == origin[i].gid;
	printf("%s: %04o %u:%u\n", path, st.st_mode & 07777, st.st_uid,
	       st.st_gid);
	if (!ok)
		fprintf(stderr, "%s: %04o %u:%u, want %04o %u:%u\n", path,
			st.st_mode & 07777, st.st_uid, st.st_gid,
			origin[i].mode, origin[i].uid, origin[i].gid);
	return ok;
}

static void image_node(unsigned int i)
{
	struct sf_user member = { .uid = SF_NOBODY, .gid = SF_NOBODY,
				  .nr_groups = 1, .groups = { origin[i].gid } };
	char vpath[160], image[192], store[192], set[64];
	struct stat st;

	snprintf(set, sizeof(set), "pn%d-%u", (int)getpid(), i);
	snprintf(vpath, sizeof(vpath), "/dev/mapper/%s", vol[i]);
	snprintf(image, sizeof(image), "/dev/mapper/%s@%s", vol[i], set);
	snprintf(store, sizeof(store), "/dev/mapper/cowsnap@%s.store", set);
	CU_ASSERT(like_origin(vpath, i));
	CU_ASSERT_FATAL(sf_write_check(vpath, 31 + i));
	CU_ASSERT_FATAL(tl_run(NULL, "cowsnapctl snapshot create %s --store "
			       "%s/store --store-size 8M --name %s", vol[i],
			       dir, set) == 0);
	CU_ASSERT(sf_write_check(vpath, 41 + i));	/* after the instant */
	CU_ASSERT(like_origin(image, i));
	CU_ASSERT_EQUAL(sf_read_as(&member, image, 31 + i), 0);
	CU_ASSERT_EQUAL(sf_read_as(&sf_nobody, image, 31 + i), EACCES);
	CU_ASSERT(!stat(store, &st) && !(st.st_mode & 0007));
	printf("%s: %04o %u:%u\n", store, st.st_mode & 07777, st.st_uid,
	       st.st_gid);
	CU_ASSERT_EQUAL(tl_run(NULL, "cowsnapctl snapshot destroy %s", set),
			0);
}

static void test_image_nodes(void)
{
	unsigned int i;

	for (i = 0; i < NR_VOLS; i++)
		image_node(i);
}

static void test_store_files(void)
{
	char set[64], file[192], *out = NULL;
	struct stat st;

	/* unnamed: nothing appears in the directory */
	snprintf(set, sizeof(set), "ps%d", (int)getpid());
	tl_defer("cowsnapctl snapshot destroy %s --force", set);
	CU_ASSERT_FATAL(tl_run(NULL, "umask 0; cowsnapctl snapshot create %s "
			       "--store %s/store --store-size 8M --name %s",
			       vol[0], dir, set) == 0);
	CU_ASSERT(tl_run(&out, "ls -A %s/store", dir) == 0 && out && !*out);
	free(out);
	out = NULL;
	CU_ASSERT(tl_run(&out, "losetup -l -n -O BACK-FILE | grep -F '%s/store'",
			 dir) == 0 && out && strstr(out, "(deleted)"));
	printf("store loop file: %s", out ? out : "-\n");
	free(out);
	out = NULL;
	CU_ASSERT_EQUAL(tl_run(NULL, "cowsnapctl snapshot destroy %s", set),
			0);

	/* a file the tool creates */
	snprintf(file, sizeof(file), "%s/store.img", dir);
	CU_ASSERT_FATAL(tl_run(NULL, "umask 0; cowsnapctl snapshot create %s "
			       "--store %s --store-size 8M --name %s",
			       vol[0], file, set) == 0);
	CU_ASSERT(!stat(file, &st) && (st.st_mode & 07777) == 0600 &&
		  st.st_uid == 0);
	printf("%s: %04o %u:%u\n", file, st.st_mode & 07777, st.st_uid,
	       st.st_gid);
	CU_ASSERT_EQUAL(tl_run(NULL, "cowsnapctl snapshot destroy %s", set),
			0);
}

static unsigned int nr_seen, nr_bad;

static int check_entry(const char *path, const struct stat *st, int type,
		       struct FTW *ftw)
{
	mode_t want = type == FTW_D ? 0700 : 0600;

	(void)ftw;
	nr_seen++;
	if ((type != FTW_D && type != FTW_F) || (st->st_mode & 07777) != want ||
	    st->st_uid) {
		fprintf(stderr, "%s: %04o %u, want %04o root\n", path,
			st->st_mode & 07777, st->st_uid, want);
		nr_bad++;
	}
	return 0;
}

static void test_backup_files(void)
{
	char bk[160];

	snprintf(bk, sizeof(bk), "%s/bk", dir);
	CU_ASSERT_FATAL(tl_run(NULL, "umask 0; cowsnapctl backup %s --to %s",
			       vol[0], bk) == 0);
	nr_seen = nr_bad = 0;
	CU_ASSERT_EQUAL(nftw(bk, check_entry, 8, FTW_PHYS), 0);
	CU_ASSERT_EQUAL(nftw("/run/cowsnapctl", check_entry, 8, FTW_PHYS), 0);
	printf("backup files and locks checked: %u\n", nr_seen);
	CU_ASSERT(nr_seen >= 5);	/* bk, point, manifest, image, locks */
	CU_ASSERT_EQUAL(nr_bad, 0);
}

static CU_TestInfo perms_tests[] = {
	{ "image_nodes", test_image_nodes },
	{ "store_files", test_store_files },
	{ "backup_files", test_backup_files },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "perms", perms_init, perms_clean, NULL, NULL, perms_tests },
	CU_SUITE_INFO_NULL,
};
