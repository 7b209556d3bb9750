// SPDX-License-Identifier: GPL-2.0
/*
 * What is in use cannot be pulled away.
 *
 * unload: with a device of each target alive, rmmod of its module fails
 * and the device still passes data; once the device is removed, rmmod
 * works, and modprobe loads the module again for the suites after this
 * one.
 *
 * open_image: while a process holds an image open, "snapshot destroy"
 * without --force fails (exit 4) naming the image, and "dmsetup remove"
 * of the image fails; no device, table or state changed, the image still
 * reads the data of the snapshot instant.  Once it is closed, destroy works and leaves nothing.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "safety-test.h"

#define DEV_BYTES	(16ULL << 20)

static int inuse_clean(void)
{
	tl_teardown();
	return 0;
}

static bool module_loaded(const char *module)
{
	return !tl_run(NULL, "grep -q '^%s ' /proc/modules", module);
}

/* With no device of it left, @module unloads, then loads again. */
static void unload_reload(const char *module)
{
	char *out = NULL;

	tl_defer("modprobe %s", module);	/* whatever happens below */
	CU_ASSERT_EQUAL(tl_run(&out, "rmmod %s", module), 0);
	if (out && *out)
		fprintf(stderr, "rmmod %s: %s", module, out);
	free(out);
	CU_ASSERT(!module_loaded(module));
	CU_ASSERT_EQUAL(tl_run(NULL, "modprobe %s", module), 0);
	CU_ASSERT(module_loaded(module));
}

static void test_unload(void)
{
	static const struct {
		const char *module, *table;
	} t[] = {
		{ "dm_blkfilter", "blkfilter %s" },
		{ "dm_cbt", "cbt %s inuse-%d" },
		{ "dm_cowsnap", "cowsnap-origin %s %s inuse-%d m0 65536" },
	};
	char *dev = tl_loop_create(DEV_BYTES), *store = tl_loop_create(DEV_BYTES);
	char params[256], table[320], name[128], path[160], *out = NULL;
	unsigned int i;

	CU_ASSERT_FATAL(dev && store);
	for (i = 0; i < 3; i++) {
		if (i == 2)
			snprintf(params, sizeof(params), t[i].table, dev, store,
				 (int)getpid());
		else
			snprintf(params, sizeof(params), t[i].table, dev,
				 (int)getpid());
		snprintf(table, sizeof(table), "0 %llu %s",
			 (unsigned long long)(DEV_BYTES >> 9), params);
		snprintf(name, sizeof(name), "%s", tl_dm_name(t[i].module));
		CU_ASSERT_FATAL(tl_dm_create(name, table) == 0);
		snprintf(path, sizeof(path), "/dev/mapper/%s", name);

		CU_ASSERT_NOT_EQUAL(tl_run(&out, "rmmod %s", t[i].module), 0);
		if (out && !strstr(out, "in use"))
			fprintf(stderr, "rmmod %s: %s", t[i].module, out);
		CU_ASSERT_PTR_NOT_NULL(out ? strstr(out, "in use") : NULL);
		free(out);
		out = NULL;
		CU_ASSERT(module_loaded(t[i].module));
		CU_ASSERT(sf_write_check(path, 7 + i));
		CU_ASSERT(sf_read_check(dev, 7 + i));
		CU_ASSERT_EQUAL(tl_run(NULL, "dmsetup remove %s", name), 0);
		unload_reload(t[i].module);
	}
	free(dev);
	free(store);
}

static void test_open_image(void)
{
	char *dev = tl_loop_create(DEV_BYTES), *out = NULL;
	char *before = NULL, *after = NULL;
	char vol[64], set[64], dir[128], image[160], vpath[160];
	int fd, r;

	CU_ASSERT_FATAL(dev != NULL);
	snprintf(vol, sizeof(vol), "inuse%d", (int)getpid());
	snprintf(set, sizeof(set), "inuse%d", (int)getpid());
	snprintf(dir, sizeof(dir), "/tmp/inuse-%d", (int)getpid());
	snprintf(vpath, sizeof(vpath), "/dev/mapper/%s", vol);
	snprintf(image, sizeof(image), "/dev/mapper/%s@%s", vol, set);
	tl_defer("rm -rf %s", dir);
	tl_defer("cowsnapctl remove %s", vol);
	CU_ASSERT_FATAL(tl_run(NULL, "mkdir -p %s && cowsnapctl create %s %s",
			       dir, vol, dev) == 0);
	CU_ASSERT_FATAL(sf_write_check(vpath, 11));
	tl_defer("cowsnapctl snapshot destroy %s --force", set);
	CU_ASSERT_FATAL(tl_run(&out, "cowsnapctl snapshot create %s --store "
			       "%s --store-size 8M --name %s", vol, dir,
			       set) == 0);
	free(out);
	out = NULL;
	CU_ASSERT_FATAL(sf_write_check(vpath, 12));	/* copied away */

	fd = open(image, O_RDONLY);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(tl_run(&before, "dmsetup table; dmsetup info -c "
			       "-o name,attr,open,segments") == 0);
	r = tl_run(&out, "cowsnapctl snapshot destroy %s", set);
	CU_ASSERT_EQUAL(r, 4);
	if (!out || !strstr(out, image + strlen("/dev/mapper/")))
		fprintf(stderr, "destroy of an open image said: %s",
			out ? out : "");
	CU_ASSERT_PTR_NOT_NULL(out ? strstr(out, image +
					    strlen("/dev/mapper/")) : NULL);
	free(out);
	out = NULL;
	CU_ASSERT_NOT_EQUAL(tl_run(NULL, "dmsetup remove %s@%s", vol, set), 0);
	/* Nothing changed: the same devices, tables and states. */
	CU_ASSERT_FATAL(tl_run(&after, "dmsetup table; dmsetup info -c "
			       "-o name,attr,open,segments") == 0);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(before);
	free(after);
	CU_ASSERT(sf_read_check(image, 11));		/* the instant's data */
	CU_ASSERT(sf_read_check(vpath, 12));
	close(fd);

	CU_ASSERT_EQUAL(tl_run(NULL, "cowsnapctl snapshot destroy %s", set), 0);
	CU_ASSERT_NOT_EQUAL(access(image, F_OK), 0);
	CU_ASSERT_EQUAL(tl_run(&out, "dmsetup ls | grep -c '@%s' || true",
			       set), 0);
	CU_ASSERT(out && atoi(out) == 0);
	free(out);
	CU_ASSERT(sf_read_check(vpath, 12));
	free(dev);
}

static CU_TestInfo inuse_tests[] = {
	{ "unload", test_unload },
	{ "open_image", test_open_image },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "inuse", NULL, inuse_clean, NULL, NULL, inuse_tests },
	CU_SUITE_INFO_NULL,
};
