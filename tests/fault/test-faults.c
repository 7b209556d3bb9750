// SPDX-License-Identifier: GPL-2.0
/*
 * The fault matrix (Documentation/reliability.rst, "Fault matrix"): what a
 * snapshot set, its volume and the tool do when the devices beneath fail,
 * the storage goes away or fills its filesystem, growth fails, or memory
 * runs short.  Each case checks the data of the volume against a model of
 * what was written (and of what failed), the image against the snapshot
 * instant, the state and the events; the harness fails the run on any
 * kernel warning.
 *
 * The volume is made the way a user makes it (tests/cowsnapctl-style):
 *
 *	"disk"   0 N linear <loop> 0    a dm device whose table a case swaps
 *	                                 for flakey or error tables
 *	VOL      cowsnapctl create VOL /dev/mapper/<disk>; filter attach;
 *	         snapshot create: cowsnap-origin over blkfilter over linear
 *
 * except where the case needs a store of its own (ct_* stacks of
 * tests/cowsnap/cowsnap-test.h).
 *
 * Cases of the matrix already elsewhere: the store's device failing
 * writes (tests/cowsnap/test-storage.c store_io_error), the store
 * overflowing (overflow), the origin table removed (origin_removed).
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../cowsnap/cowsnap-test.h"

#define VOL_SECTORS	(16 * CT_MIB / CT_SECTOR)
#define CHUNK		(64 * CT_KIB)
#define CS		(CHUNK / CT_SECTOR)
#define SMALL_FS	"/tmp/cowsnap-fault-fs"

static struct {
	char *loop;		/* the disk's loop device */
	char disk[128];		/* dm name of the disk */
	char vol[128];		/* volume name */
	char set[32];		/* snapshot set name */
	char top[160];		/* /dev/mapper/VOL */
	char image[200];	/* /dev/mapper/VOL@SET */
	struct ct_model m;	/* the volume */
	struct ct_vol v;	/* ct stacks */
	struct ct_set s;
	char *store_loop;
	pid_t hog;
} f;

static int fault_clean(void)
{
	if (f.hog > 0) {
		kill(f.hog, SIGKILL);
		waitpid(f.hog, NULL, 0);
	}
	tl_teardown();
	ct_vol_free(&f.v);
	ct_model_free(&f.m);
	free(f.loop);
	free(f.store_loop);
	memset(&f, 0, sizeof(f));
	return 0;
}

/* ------------------------------------------------------------------ */
/* The volume as cowsnapctl makes it                                  */

/* Reload the disk with @table (a printf format), suspend, resume. */
static void disk_table(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void disk_table(const char *fmt, ...)
{
	char table[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(table, sizeof(table), fmt, ap);
	va_end(ap);
	CU_ASSERT_FATAL(ct_run("dmsetup reload %s --table '%s' && dmsetup "
			       "suspend %s && dmsetup resume %s", f.disk,
			       table, f.disk, f.disk) == 0);
}

/*
 * A volume named after @what over a dm "disk", with the I/O error filter,
 * filled with generation 0, and its snapshot with @store_args.
 */
static void vol_setup(const char *what, const char *store_args)
{
	char name[64], table[256];

	CU_ASSERT_FATAL(ct_model_init(&f.m, VOL_SECTORS) == 0);
	f.loop = tl_loop_create(VOL_SECTORS * CT_SECTOR);
	CU_ASSERT_FATAL(f.loop != NULL);
	snprintf(name, sizeof(name), "%s-disk", what);
	snprintf(f.disk, sizeof(f.disk), "%s", tl_dm_name(name));
	snprintf(table, sizeof(table), "0 %llu linear %s 0",
		 (unsigned long long)VOL_SECTORS, f.loop);
	CU_ASSERT_FATAL(tl_dm_create(f.disk, table) == 0);
	snprintf(f.vol, sizeof(f.vol), "%s", tl_dm_name(what));
	snprintf(f.set, sizeof(f.set), "%s-s", what);
	snprintf(f.top, sizeof(f.top), "/dev/mapper/%s", f.vol);
	snprintf(f.image, sizeof(f.image), "/dev/mapper/%s@%s", f.vol, f.set);
	/* Whatever the test left: the disk's table back, the set gone. */
	tl_defer("dmsetup resume %s 2>/dev/null; dmsetup reload %s --table "
		 "'%s' && dmsetup suspend %s && dmsetup resume %s; "
		 "cowsnapctl snapshot destroy %s --force >/dev/null 2>&1; "
		 "cowsnapctl remove %s >/dev/null 2>&1; true", f.disk, f.disk,
		 table, f.disk, f.disk, f.set, f.vol);
	CU_ASSERT_FATAL(ct_run("cowsnapctl create %s /dev/mapper/%s", f.vol,
			       f.disk) == 0);
	CU_ASSERT_FATAL(ct_run("cowsnapctl filter attach %s", f.vol) == 0);
	CU_ASSERT_FATAL(ct_fill_device(f.top, VOL_SECTORS, 0, 0) == 0);
	CU_ASSERT_FATAL(ct_run("cowsnapctl snapshot create %s --name %s "
			       "--chunk-size 64K %s", f.vol, f.set,
			       store_args) == 0);
}

/* One sector into chunk @chunk of @path; its result is returned. */
static int write_chunk_of(const char *path, uint64_t chunk)
{
	uint64_t s = chunk * CS + 1;
	uint32_t gen = ct_next_gen();
	int r = ct_write_path(path, s, 1, gen, 0);

	if (!r)
		f.m.gens[s] = gen;
	return r;
}

/* The same, and it must succeed. */
static void write_ok(const char *path, uint64_t chunk)
{
	int r = write_chunk_of(path, chunk);

	if (r) {
		fprintf(stderr, "write of chunk %llu of %s: %s\n",
			(unsigned long long)chunk, path, strerror(-r));
		CU_FAIL("a volume write failed");
	}
}

static void check_volume(const char *path, const char *when)
{
	uint64_t bad = ct_model_verify(path, path, &f.m, NULL);

	if (bad) {
		fprintf(stderr, "%s: %llu sectors of the volume are wrong\n",
			when, (unsigned long long)bad);
		CU_FAIL("the volume lost data");
	}
}

/* The image holds generation 0 (the snapshot instant) everywhere. */
static void check_image(const char *path, const char *when)
{
	if (ct_verify(path, path, 0, VOL_SECTORS, NULL, NULL, 0, NULL)) {
		fprintf(stderr, "%s: the image is not the snapshot\n", when);
		CU_FAIL("the image does not hold the snapshot");
	}
}

static void check_state(const char *name, const char *state,
			unsigned int error)
{
	if (!ct_state_is(name, state, error))
		CU_FAIL("wrong state");
}

static void check_image_fails(const char *path)
{
	CU_ASSERT_EQUAL(ct_read_path(path, 0, 8), -EIO);
	CU_ASSERT_EQUAL(ct_read_path(path, VOL_SECTORS - 8, 8), -EIO);
}

/*
 * The filter's records ("cowsnapctl events VOL") must hold one of class
 * "io" and operation @op starting at @sector, @sectors long.
 */
static void check_filter_record(const char *op, uint64_t sector,
				uint64_t sectors)
{
	char *out = NULL, *line, *save = NULL, cls[32], o[32];
	unsigned long long seq, sec, n;
	bool found = false;

	CU_ASSERT_EQUAL_FATAL(tl_run(&out, "cowsnapctl events %s", f.vol), 0);
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%llu %*s %31s %31s %llu %llu", &seq, cls, o,
			   &sec, &n) == 5 && !strcmp(cls, "io") &&
		    !strcmp(o, op) && sec == sector && n == sectors)
			found = true;
	if (!found) {
		fprintf(stderr, "no 'io %s %llu %llu' record in:\n%s", op,
			(unsigned long long)sector,
			(unsigned long long)sectors, out ? out : "");
		CU_FAIL("the filter did not report the failed I/O");
	}
	free(out);
}

/* The newest "corrupted" record of the set has @error, with a uevent. */
static void check_corrupted(const char *name, const char *target,
			    unsigned int error, int uevent_fd)
{
	struct ct_event ev;

	CU_ASSERT_FATAL(ct_wait_record(name, 0, COWSNAP_EVENT_CORRUPTED,
				       5000, &ev) == 0);
	CU_ASSERT_EQUAL(ev.value, error);
	CU_ASSERT_EQUAL(tl_uevent_wait(uevent_fd, tl_dm_dev(name), target,
				       COWSNAP_EVENT_CORRUPTED, 10000),
			ev.seq);
}

/* ------------------------------------------------------------------ */
/* I/O errors beneath the origin                                      */

/*
 * Every write beneath fails, reads pass (dm-flakey error_writes): a first
 * write still copies its chunk (the copy reads), then fails; the set stays
 * valid, the image keeps the instant, the volume keeps what it had.
 */
static void test_origin_write_error(void)
{
	fault_clean();
	vol_setup("owe", "--store /tmp --store-size 4M");
	write_ok(f.top, 2);
	disk_table("0 %llu flakey %s 0 0 1 1 error_writes",
		   (unsigned long long)VOL_SECTORS, f.loop);
	CU_ASSERT_EQUAL(write_chunk_of(f.top, 3), -EIO); /* first write */
	CU_ASSERT_EQUAL(write_chunk_of(f.top, 2), -EIO);	/* copied */
	check_state(f.vol, COWSNAP_STATE_VALID, 0);
	check_filter_record("write", 3 * CS + 1, 1);
	check_filter_record("write", 2 * CS + 1, 1);
	check_image(f.image, "writes failing beneath");
	check_volume(f.top, "writes failing beneath");
	disk_table("0 %llu linear %s 0", (unsigned long long)VOL_SECTORS,
		   f.loop);
	write_ok(f.top, 3);
	write_ok(f.top, 4);
	check_state(f.vol, COWSNAP_STATE_VALID, 0);
	check_image(f.image, "after the disk healed");
	check_volume(f.top, "after the disk healed");
	CU_ASSERT_EQUAL(ct_run("cowsnapctl snapshot destroy %s", f.set), 0);
	check_volume(f.top, "without the snapshot");
}

/*
 * Chunks 8 and 9 of the disk fail every I/O (dm error): reads of them fail
 * on the volume and on the image (uncopied) without harm to the set; the
 * first write there cannot copy its chunk, so the set is corrupted (5) and
 * the write fails beneath; the rest of the volume is intact.
 */
static void test_origin_read_error(void)
{
	const unsigned long long bad = 8 * CS, bad_len = 2 * CS;
	int fd;

	fault_clean();
	vol_setup("ore", "--store /tmp --store-size 4M");
	write_ok(f.top, 1);
	disk_table("0 %llu linear %s 0\n%llu %llu error\n%llu %llu linear "
		   "%s %llu", bad, f.loop, bad, bad_len, bad + bad_len,
		   (unsigned long long)VOL_SECTORS - bad - bad_len, f.loop,
		   bad + bad_len);
	CU_ASSERT_EQUAL(ct_read_path(f.top, bad, 8), -EIO);
	CU_ASSERT_EQUAL(ct_read_path(f.image, bad + CS, 8), -EIO);
	check_state(f.vol, COWSNAP_STATE_VALID, 0);
	check_filter_record("read", bad, 8);
	/* The image reads of chunks elsewhere are whole. */
	CU_ASSERT_EQUAL(ct_verify(f.image, f.image, 0, bad, NULL, NULL, 0,
				  NULL), 0);
	fd = tl_uevent_open();
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write_chunk_of(f.top, 9), -EIO);
	check_state(f.vol, COWSNAP_STATE_CORRUPTED, EIO);
	check_corrupted(f.vol, COWSNAP_ORIGIN_TARGET_NAME, EIO, fd);
	close(fd);
	/* kcopyd's read of chunk 9 through the filter, then the write. */
	check_filter_record("read", 9 * CS, CS);
	check_filter_record("write", 9 * CS + 1, 1);
	check_image_fails(f.image);
	write_ok(f.top, 12);	/* the corrupted set passes writes */
	disk_table("0 %llu linear %s 0", (unsigned long long)VOL_SECTORS,
		   f.loop);
	check_volume(f.top, "after the disk healed");
	CU_ASSERT_EQUAL(ct_run("cowsnapctl snapshot destroy %s", f.set), 0);
	check_volume(f.top, "without the snapshot");
}

/* ------------------------------------------------------------------ */
/* The difference storage failing or going                            */

/*
 * The store (a dm device given as --store) fails every I/O for a while
 * after some copies: image reads of copied chunks fail with EIO, the rest
 * of the image and the whole volume work, no copy is needed so the set
 * stays valid; healed, the image is whole again.
 */
static void test_store_read_error(void)
{
	char name[160], table[256], args[256];
	uint64_t i;

	fault_clean();
	f.store_loop = tl_loop_create(8 * CT_MIB);
	CU_ASSERT_FATAL(f.store_loop != NULL);
	snprintf(name, sizeof(name), "%s", tl_dm_name("sre-store"));
	snprintf(table, sizeof(table), "0 16384 linear %s 0", f.store_loop);
	CU_ASSERT_FATAL(tl_dm_create(name, table) == 0);
	tl_defer("dmsetup resume %s 2>/dev/null; true", name);
	/* Made after the store: the volume's teardown comes first. */
	snprintf(args, sizeof(args), "--store /dev/mapper/%s", name);
	vol_setup("sre", args);
	for (i = 0; i < 4; i++)
		write_ok(f.top, i);
	CU_ASSERT_FATAL(ct_run("dmsetup reload %s --table '0 16384 error' && "
			       "dmsetup suspend %s && dmsetup resume %s",
			       name, name, name) == 0);
	CU_ASSERT_EQUAL(ct_read_path(f.image, 1 * CS, 8), -EIO);
	CU_ASSERT_EQUAL(ct_read_path(f.image, 3 * CS + 8, 8), -EIO);
	CU_ASSERT_EQUAL(ct_verify(f.image, f.image, 4 * CS,
				  VOL_SECTORS - 4 * CS, NULL, NULL, 0, NULL),
			0);
	/* Copied chunks: no copy, the store is not used. */
	for (i = 0; i < 4; i++)
		write_ok(f.top, i);
	check_volume(f.top, "while the store fails");
	check_state(f.vol, COWSNAP_STATE_VALID, 0);
	CU_ASSERT_FATAL(ct_run("dmsetup reload %s --table '%s' && dmsetup "
			       "suspend %s && dmsetup resume %s", name, table,
			       name, name) == 0);
	check_image(f.image, "after the store healed");
	write_ok(f.top, 20);
	check_image(f.image, "after a copy on the healed store");
	check_state(f.vol, COWSNAP_STATE_VALID, 0);
	CU_ASSERT_EQUAL(ct_run("cowsnapctl snapshot destroy %s", f.set), 0);
	check_volume(f.top, "without the snapshot");
}

/*
 * A ct_* volume of @sectors named after @what, filled with generation 0,
 * and its snapshot with chunks of @chunk bytes on @store (a device path).
 */
static void ct_stack(const char *what, uint64_t sectors, const char *store,
		     uint32_t chunk, const char *opts)
{
	CU_ASSERT_FATAL(ct_model_init(&f.m, sectors) == 0);
	CU_ASSERT_FATAL(ct_vol_create(&f.v, what, sectors) == 0);
	CU_ASSERT_FATAL(ct_fill_device(f.v.top_dev, sectors, 0, 0) == 0);
	ct_set_init(&f.s, what, store, chunk, opts);
	CU_ASSERT_FATAL(ct_snapshot1(&f.s, &f.v) == 0);
}

/* Whether loop device @dev ("/dev/loopN") is still attached. */
static bool loop_attached(const char *dev)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file",
		 dev + strlen("/dev/"));
	return access(path, F_OK) == 0;
}

/*
 * "losetup -d" of the store's loop while the set holds it: the kernel
 * only marks it to go with its last user (autoclear); copies and image
 * reads go on, and the loop goes when the set does.
 */
static void test_store_loop_detached(void)
{
	char autoclear[160], *out = NULL;
	uint64_t i;
	int n;

	fault_clean();
	f.store_loop = tl_loop_create(8 * CT_MIB);
	CU_ASSERT_FATAL(f.store_loop != NULL);
	ct_stack("sld", VOL_SECTORS, f.store_loop, CHUNK, NULL);
	for (i = 0; i < 4; i++)
		write_ok(f.v.top_dev, i);
	CU_ASSERT_EQUAL(ct_run("losetup -d %s", f.store_loop), 0);
	CU_ASSERT(loop_attached(f.store_loop));
	snprintf(autoclear, sizeof(autoclear),
		 "cat /sys/block/%s/loop/autoclear",
		 f.store_loop + strlen("/dev/"));
	CU_ASSERT_EQUAL(tl_run(&out, "%s", autoclear), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(atoi(out), 1);
	free(out);
	for (i = 4; i < 64; i++)		/* 60 more copies */
		write_ok(f.v.top_dev, i);
	check_state(f.v.top, COWSNAP_STATE_VALID, 0);
	check_image(f.v.image_dev, "after losetup -d of the store");
	check_volume(f.v.top_dev, "after losetup -d of the store");
	CU_ASSERT_FATAL(ct_drop1(&f.v) == 0);
	for (n = 0; n < 50 && loop_attached(f.store_loop); n++)
		usleep(100 * 1000);
	if (loop_attached(f.store_loop))
		CU_FAIL("the store's loop stayed after the set went");
	check_volume(f.v.top_dev, "without the snapshot");
}

/* A small ext4 (@mib MiB) on a loop, mounted at SMALL_FS. */
static void small_fs(unsigned int mib)
{
	char *dev = tl_loop_create((uint64_t)mib * CT_MIB);

	CU_ASSERT_FATAL(dev != NULL);
	tl_defer("umount %s 2>/dev/null; rmdir %s 2>/dev/null; true",
		 SMALL_FS, SMALL_FS);
	CU_ASSERT_FATAL(ct_run("mkfs.ext4 -q -F %s && mkdir -p %s && mount "
			       "%s %s", dev, SMALL_FS, dev, SMALL_FS) == 0);
	free(dev);
}

/*
 * The store a loop over a sparse 32 MiB file on an 8 MiB filesystem: the
 * copies fill the filesystem, the loop fails the next write (ENOSPC, the
 * kernel logs "critical space allocation error"), the set is corrupted
 * (5: an I/O error of the storage); every volume write succeeded and the
 * volume holds them all.
 */
static void test_store_fs_full(void)
{
	struct ct_status st;
	char *out = NULL;
	uint64_t i;
	int fd;

	fault_clean();
	small_fs(8);
	CU_ASSERT_FATAL(tl_run(&out, "truncate -s 32M %s/store && losetup "
			       "--show -f %s/store", SMALL_FS, SMALL_FS) == 0);
	out[strcspn(out, "\n")] = '\0';
	f.store_loop = out;
	tl_defer("losetup -d %s 2>/dev/null; true", f.store_loop);
	ct_stack("sff", VOL_SECTORS * 2, f.store_loop, CHUNK, " 2 low_water 0");
	fd = tl_uevent_open();
	CU_ASSERT_FATAL(fd >= 0);
	/* 32 MiB of volume; the filesystem has under 8 MiB for the store. */
	for (i = 0; i < 2 * VOL_SECTORS / CS; i++) {
		write_ok(f.v.top_dev, i);
		CU_ASSERT_FATAL(ct_status(f.v.top, &st) == 0);
		if (strcmp(st.state, COWSNAP_STATE_VALID))
			break;
	}
	if (i == 2 * VOL_SECTORS / CS)
		CU_FAIL("the store's filesystem never filled");
	check_state(f.v.top, COWSNAP_STATE_CORRUPTED, EIO);
	check_corrupted(f.v.top, COWSNAP_ORIGIN_TARGET_NAME, EIO, fd);
	close(fd);
	CU_ASSERT(st.store_used < 8 * CT_MIB / CT_SECTOR);
	CU_ASSERT_EQUAL(ct_read_path(f.v.image_dev, 0, 8), -EIO);
	for (i = 100; i < 120; i++)
		write_ok(f.v.top_dev, i);
	check_volume(f.v.top_dev, "after the store's filesystem filled");
	CU_ASSERT_FATAL(ct_drop1(&f.v) == 0);
	check_volume(f.v.top_dev, "without the snapshot");
}

/* ------------------------------------------------------------------ */
/* Growth failing                                                     */

/* The store size of the set in sectors (status of the volume). */
static uint64_t store_size(void)
{
	struct ct_status st;

	if (ct_status(f.vol, &st))
		return 0;
	return st.store_size;
}

/*
 * A monitor (foreground, its log in @log) grows the store by 1 MiB at low
 * water up to @limit; chunks are written one by one, and at low water
 * each waits until the store grew or the monitor logged a failure, so
 * the test does not outrun it.  Writes until the set is not valid.
 */
static void grow_until_full(unsigned int limit_mib, const char *log)
{
	char limit[16];

	uint64_t size, chunk;
	struct ct_status st;
	pid_t pid;
	int n;

	snprintf(limit, sizeof(limit), "%uM", limit_mib);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (!pid) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execlp("cowsnapctl", "cowsnapctl", "snapshot", "monitor",
		       f.set, "--store-size", "1M", "--store-limit", limit,
		       (char *)NULL);
		_exit(127);
	}
	tl_defer("kill %d 2>/dev/null; true", (int)pid);
	usleep(500 * 1000);
	for (chunk = 0; chunk < VOL_SECTORS / CS; chunk++) {
		write_ok(f.top, chunk);
		CU_ASSERT_FATAL(ct_status(f.vol, &st) == 0);
		if (strcmp(st.state, COWSNAP_STATE_VALID))
			break;
		if ((st.store_size - st.store_used) * 100 >=
		    st.store_size * 20 ||
		    st.store_size >= limit_mib * CT_MIB / CT_SECTOR)
			continue;
		size = st.store_size;
		for (n = 0; n < 100 && store_size() == size; n++) {
			if (!tl_run(NULL, "grep -q 'no space\\|cannot' %s",
				    log))
				break;
			usleep(100 * 1000);
		}
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* How many "store_grown" records the set has. */
static unsigned int grown_records(void)
{
	struct ct_events *e = malloc(sizeof(*e));
	unsigned int n = 0;

	if (e && !ct_events(f.vol, 0, e))
		n = ct_event_count(e, COWSNAP_EVENT_STORE_GROWN);
	free(e);
	return n;
}

/*
 * --store-limit reached: the monitor grows the store to exactly the
 * limit, then the set overflows (28); the volume lost nothing.
 */
static void test_growth_limit(void)
{
	const char *log = "/tmp/cowsnap-fault-monitor.log";

	fault_clean();
	vol_setup("glim", "--store /tmp --store-size 1M");
	tl_defer("rm -f %s", log);
	grow_until_full(3, log);
	check_state(f.vol, COWSNAP_STATE_CORRUPTED, ENOSPC);
	CU_ASSERT_EQUAL(store_size(), 3 * CT_MIB / CT_SECTOR);
	CU_ASSERT_EQUAL(grown_records(), 2);
	check_image_fails(f.image);
	check_volume(f.top, "after the limit was reached");
	CU_ASSERT_EQUAL(ct_run("cowsnapctl snapshot destroy %s", f.set), 0);
	check_volume(f.top, "without the snapshot");
}

/*
 * The store unnamed files in a directory of an 8 MiB filesystem: the
 * monitor grows it until fallocate finds no space, logs that once naming
 * the set and the directory, and the set overflows (28, not 5: every
 * store chunk was allocated before use).  "snapshot extend" then fails
 * the same way and changes nothing; "snapshot create" with a store file
 * there fails and leaves no file and no device.
 */
static void test_growth_fs_full(void)
{
	const char *log = "/tmp/cowsnap-fault-monitor.log";
	char *out = NULL, *before = NULL, *after = NULL, *p;
	uint64_t size;
	int r;

	fault_clean();
	vol_setup("gfull", "--store /tmp --store-size 4M");
	/* The set above is not used: its store is on /tmp. */
	CU_ASSERT_EQUAL(ct_run("cowsnapctl snapshot destroy %s", f.set), 0);
	small_fs(8);
	CU_ASSERT_FATAL(ct_run("cowsnapctl snapshot create %s --name %s "
			       "--chunk-size 64K --store %s --store-size 1M",
			       f.vol, f.set, SMALL_FS) == 0);
	tl_defer("rm -f %s", log);
	grow_until_full(64, log);
	check_state(f.vol, COWSNAP_STATE_CORRUPTED, ENOSPC);
	size = store_size();
	CU_ASSERT(size > 2 * CT_MIB / CT_SECTOR);
	CU_ASSERT(size < 8 * CT_MIB / CT_SECTOR);
	CU_ASSERT_EQUAL(tl_run(&out, "cat %s", log), 0);
	p = out ? strstr(out, "no space") : NULL;
	if (!p || !strstr(out, f.set) || !strstr(out, SMALL_FS)) {
		fprintf(stderr, "monitor log:\n%s", out ? out : "");
		CU_FAIL("the monitor did not say that growth found no space");
	} else if (strstr(p + 1, "no space")) {
		fprintf(stderr, "monitor log:\n%s", out);
		CU_FAIL("the monitor logged the same failure twice");
	}
	free(out);
	out = NULL;
	check_image_fails(f.image);
	check_volume(f.top, "after growth failed");
	/* By hand: refused, naming the directory, nothing changed. */
	r = tl_run(&out, "cowsnapctl snapshot extend %s --size 4M", f.set);
	CU_ASSERT_EQUAL(r, 1);
	if (!out || !strstr(out, "no space")) {
		fprintf(stderr, "extend said: %s", out ? out : "");
		CU_FAIL("extend on a full filesystem does not say why");
	}
	free(out);
	out = NULL;
	CU_ASSERT_EQUAL(store_size(), size);
	CU_ASSERT_EQUAL(ct_run("cowsnapctl snapshot destroy %s", f.set), 0);
	/* Nothing to make a store of: create fails, leaves nothing. */
	CU_ASSERT_EQUAL(tl_run(&out, "dd if=/dev/zero of=%s/fill bs=1M "
			       "2>&1; sync", SMALL_FS), 0);
	free(out);
	out = NULL;
	CU_ASSERT_EQUAL(tl_run(&before, "dmsetup ls | sort; ls -a %s",
			       SMALL_FS), 0);
	r = tl_run(&out, "cowsnapctl snapshot create %s --name %s --store "
		   "%s/store --store-size 4M", f.vol, f.set, SMALL_FS);
	CU_ASSERT_EQUAL(r, 1);
	if (!out || !strstr(out, "no space") || !strstr(out, SMALL_FS)) {
		fprintf(stderr, "create said: %s", out ? out : "");
		CU_FAIL("create on a full filesystem does not say why");
	}
	CU_ASSERT_EQUAL(tl_run(&after, "dmsetup ls | sort; ls -a %s",
			       SMALL_FS), 0);
	if (before && after && strcmp(before, after)) {
		fprintf(stderr, "before:\n%safter:\n%s", before, after);
		CU_FAIL("a refused create left a device or a file");
	}
	free(out);
	free(before);
	free(after);
	check_volume(f.top, "after the refused create");
}

/* ------------------------------------------------------------------ */
/* Memory pressure                                                    */

static long mem_available_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *fp = fopen("/proc/meminfo", "r");

	while (fp && fgets(line, sizeof(line), fp))
		if (sscanf(line, "MemAvailable: %ld kB", &kib) == 1)
			break;
	if (fp)
		fclose(fp);
	return kib;
}

/*
 * A child that locks memory in 8 MiB pieces until MemAvailable is below
 * @left_kib, tells how much it holds through @fd, and waits to be killed.
 */
static pid_t hog(long left_kib, int fd)
{
	const size_t piece = 8 << 20;
	long held = 0;
	pid_t pid = fork();
	void *p;

	if (pid)
		return pid;
	while (mem_available_kib() > left_kib + 8192) {
		p = mmap(NULL, piece, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE |
			 MAP_LOCKED, -1, 0);
		if (p == MAP_FAILED)
			break;
		memset(p, 0x5a, piece);
		held += piece >> 10;
	}
	if (write(fd, &held, sizeof(held)) != sizeof(held))
		_exit(1);
	for (;;)
		pause();
}

/*
 * Copies of 4 KiB chunks at random while a process holds all but 48 MiB
 * of the guest's memory: no warning, no OOM kill, the volume whole; the
 * image whole, or the set corrupted with 12 (no memory) and the volume
 * still whole.
 */
static void test_memory_pressure(void)
{
	const uint64_t vol = 64 * CT_MIB / CT_SECTOR, cs = 8;
	struct ct_rng rng = { tl_seed("fault") };
	struct ct_status st;
	int p[2], i;
	long held = 0;
	uint64_t s;
	uint32_t gen;

	fault_clean();
	f.store_loop = tl_loop_create(64 * CT_MIB);
	CU_ASSERT_FATAL(f.store_loop != NULL);
	ct_stack("mem", vol, f.store_loop, cs * CT_SECTOR, NULL);
	CU_ASSERT_FATAL(pipe(p) == 0);
	f.hog = hog(48 * 1024, p[1]);
	CU_ASSERT_FATAL(f.hog > 0);
	CU_ASSERT_FATAL(read(p[0], &held, sizeof(held)) == sizeof(held));
	close(p[0]);
	close(p[1]);
	printf("\nmemory pressure: %ld MiB locked, %ld MiB available\n",
	       held >> 10, mem_available_kib() >> 10);
	for (i = 0; i < 3000; i++) {
		s = ct_below(&rng, vol / cs) * cs + ct_below(&rng, cs);
		gen = ct_next_gen();
		if (ct_write_path(f.v.top_dev, s, 1, gen, 0)) {
			CU_FAIL("a volume write failed under memory pressure");
			break;
		}
		f.m.gens[s] = gen;
	}
	check_volume(f.v.top_dev, "under memory pressure");
	CU_ASSERT_FATAL(ct_status(f.v.top, &st) == 0);
	printf("memory pressure: %llu chunks copied, state %s %u\n",
	       st.copied, st.state, st.error);
	if (!strcmp(st.state, COWSNAP_STATE_VALID))
		check_image(f.v.image_dev, "under memory pressure");
	else
		check_state(f.v.top, COWSNAP_STATE_CORRUPTED, ENOMEM);
	kill(f.hog, SIGKILL);
	waitpid(f.hog, NULL, 0);
	f.hog = 0;
	CU_ASSERT_FATAL(ct_drop1(&f.v) == 0);
	check_volume(f.v.top_dev, "without the snapshot");
}

static CU_TestInfo fault_tests[] = {
	{ "origin_write_error", test_origin_write_error },
	{ "origin_read_error", test_origin_read_error },
	{ "store_read_error", test_store_read_error },
	{ "store_loop_detached", test_store_loop_detached },
	{ "store_fs_full", test_store_fs_full },
	{ "growth_limit", test_growth_limit },
	{ "growth_fs_full", test_growth_fs_full },
	{ "memory_pressure", test_memory_pressure },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "fault", NULL, fault_clean, NULL, NULL, fault_tests },
	CU_SUITE_INFO_NULL,
};
