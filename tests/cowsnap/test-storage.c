// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnap difference storage: what happens when it fills, grows, runs low,
 * fails, or loses its origin.
 *
 * overflow: a store too small for the writes.  Every origin write
 * succeeds and the origin holds them all; the set is "corrupted 28" in
 * the status of both devices; the image fails reads and writes with EIO;
 * one "corrupted" record with value 28 is read with the events message,
 * announced by a dm event and a uevent on both devices.
 *
 * growth: the store is a dm-linear device reloaded bigger, then
 * "store_append": store_size grows, a store_grown record tells the new
 * size, and writes far beyond the first size keep the image whole.
 * store_append beyond the device is refused and changes nothing.
 *
 * low_space: with low_water 50 a low_space record (value: the free
 * sectors) comes exactly when free space falls below half the store, once;
 * store_append re-arms it, and it comes again at the next crossing.
 *
 * origin_removed: the origin's table replaced while the image remains:
 * "corrupted 19" on the image, its I/O fails, the volume is intact.
 *
 * store_io_error: part of the store reloaded as dm "error": the next copy
 * there fails, the set is "corrupted 5", the origin lost nothing.
 */
#include <sys/stat.h>

#include "cowsnap-test.h"

#define VOL_SECTORS	(16 * CT_MIB / CT_SECTOR)
#define CHUNK		(64 * CT_KIB)
#define CS		(CHUNK / CT_SECTOR)

static struct {
	struct ct_vol vol;
	struct ct_set set;
	struct ct_model m;		/* the origin */
	char *store_loop;
	char store_name[128];		/* "" unless the store is a dm device */
	char store[160];
} c;

static int storage_clean(void)
{
	tl_teardown();
	ct_vol_free(&c.vol);
	ct_model_free(&c.m);
	free(c.store_loop);
	memset(&c, 0, sizeof(c));
	return 0;
}

/*
 * A volume named after @what, filled, and its snapshot with @opts; the
 * store a loop device of @store_bytes, under a dm-linear device of its
 * first @store_sectors when that is not 0.
 */
static void setup(const char *what, uint64_t store_bytes,
		  uint64_t store_sectors, const char *opts)
{
	char name[64], table[256];

	storage_clean();
	CU_ASSERT_FATAL(ct_model_init(&c.m, VOL_SECTORS) == 0);
	c.store_loop = tl_loop_create(store_bytes);
	CU_ASSERT_FATAL(c.store_loop != NULL);
	snprintf(c.store, sizeof(c.store), "%s", c.store_loop);
	if (store_sectors) {
		snprintf(name, sizeof(name), "%s-store", what);
		snprintf(c.store_name, sizeof(c.store_name), "%s",
			 tl_dm_name(name));
		snprintf(c.store, sizeof(c.store), "/dev/mapper/%s",
			 c.store_name);
		snprintf(table, sizeof(table), "0 %llu linear %s 0",
			 (unsigned long long)store_sectors, c.store_loop);
		CU_ASSERT_FATAL(tl_dm_create(c.store_name, table) == 0);
		tl_defer("dmsetup resume %s 2>/dev/null; true", c.store_name);
	}
	/* Made after the store: the teardown removes it first. */
	CU_ASSERT_FATAL(ct_vol_create(&c.vol, what, VOL_SECTORS) == 0);
	CU_ASSERT_FATAL(ct_fill_device(c.vol.top_dev, VOL_SECTORS, 0, 0) ==
			0);
	ct_set_init(&c.set, what, c.store, CHUNK, opts);
	CU_ASSERT_FATAL(ct_snapshot1(&c.set, &c.vol) == 0);
}

/* One sector into chunk @chunk of the origin; must succeed. */
static void write_chunk(uint64_t chunk)
{
	uint64_t s = chunk * CS + 1;
	uint32_t gen = ct_next_gen();
	int r = ct_write_path(c.vol.top_dev, s, 1, gen, 0);

	if (r) {
		fprintf(stderr, "origin write of chunk %llu: %s\n",
			(unsigned long long)chunk, strerror(-r));
		CU_FAIL("an origin write failed");
	}
	c.m.gens[s] = gen;
}

static void check_origin(const char *when)
{
	if (ct_model_verify(c.vol.top_dev, c.vol.top_dev, &c.m, NULL)) {
		fprintf(stderr, "%s: the origin lost data\n", when);
		CU_FAIL("the origin does not hold what was written");
	}
}

/* The image holds the snapshot: generation 0 everywhere. */
static void check_image(const char *when)
{
	if (ct_verify(c.vol.image_dev, c.vol.image_dev, 0, VOL_SECTORS, NULL,
		      NULL, 0, NULL)) {
		fprintf(stderr, "%s: the image is not the snapshot\n", when);
		CU_FAIL("the image does not hold the snapshot");
	}
}

/* Status of @name must be @state with @error. */
static void check_state(const char *name, const char *state,
			unsigned int error)
{
	if (!ct_state_is(name, state, error))
		CU_FAIL("wrong state");
}

/* Reload the dm store device with @table (suspend, resume). */
static void reload_store(const char *table)
{
	CU_ASSERT_FATAL(ct_run("dmsetup reload %s --table '%s' && dmsetup "
			       "suspend %s && dmsetup resume %s",
			       c.store_name, table, c.store_name,
			       c.store_name) == 0);
}

/* Every image I/O fails with EIO once the set is corrupted. */
static void check_image_fails(void)
{
	CU_ASSERT_EQUAL(ct_read_path(c.vol.image_dev, 0, 8), -EIO);
	CU_ASSERT_EQUAL(ct_read_path(c.vol.image_dev, VOL_SECTORS - 8, 8),
			-EIO);
	CU_ASSERT_EQUAL(ct_write_path(c.vol.image_dev, 5 * CS, 8, 1, 0),
			-EIO);
	CU_ASSERT_EQUAL(ct_write_path(c.vol.image_dev, VOL_SECTORS - 1, 1, 1,
				      0), -EIO);
}

/*
 * The set's records hold exactly one "corrupted" with @error; it is the
 * newest (status last_event), announced on @name (target @target) by a
 * dm event past @event_nr and a uevent on @uevent_fd.
 */
static void check_corrupted_record(const char *name, const char *target,
				   unsigned int error, int64_t event_nr,
				   int uevent_fd)
{
	struct ct_events *e = malloc(sizeof(*e));
	const struct ct_event *ev;
	struct ct_status st;
	char dev[32];
	uint64_t seq;

	CU_ASSERT_FATAL(e != NULL);
	snprintf(dev, sizeof(dev), "%s", tl_dm_dev(name));
	CU_ASSERT_FATAL(ct_events(name, 0, e) == 0);
	ev = ct_event_find(e, COWSNAP_EVENT_CORRUPTED);
	CU_ASSERT_FATAL(ev != NULL);
	CU_ASSERT_EQUAL(ct_event_count(e, COWSNAP_EVENT_CORRUPTED), 1);
	CU_ASSERT_EQUAL(ev->value, error);
	CU_ASSERT_STRING_EQUAL(ev->member, c.vol.member);
	CU_ASSERT_FATAL(ct_status(name, &st) == 0);
	CU_ASSERT_EQUAL(st.last_event, e->last);
	CU_ASSERT_EQUAL(ev->seq, e->last);
	if (!ct_wait_event_nr(name, event_nr, 10000))
		CU_FAIL("no dm event on a device of the corrupted set");
	seq = tl_uevent_wait(uevent_fd, dev, target, COWSNAP_EVENT_CORRUPTED,
			     10000);
	if (seq != ev->seq) {
		fprintf(stderr, "%s: uevent COWSNAP_SEQ %llu, record %llu\n",
			name, (unsigned long long)seq, ev->seq);
		CU_FAIL("no uevent for the corrupted record");
	}
	free(e);
}

/* ------------------------------------------------------------------ */

static void test_overflow(void)
{
	int64_t ev_img, ev_top;
	int fd_img, fd_top;
	uint64_t i;

	/* 16 chunks of store, at most; low_space off: one record only. */
	setup("ovf", 16 * CHUNK, 0, " 2 low_water 0");
	fd_img = tl_uevent_open();
	fd_top = tl_uevent_open();
	CU_ASSERT_FATAL(fd_img >= 0 && fd_top >= 0);
	ev_img = ct_event_nr(c.vol.image);
	ev_top = ct_event_nr(c.vol.top);
	for (i = 0; i < 24; i++)
		write_chunk(2 * i);
	check_origin("after the store overflowed");
	check_state(c.vol.image, COWSNAP_STATE_CORRUPTED, ENOSPC);
	check_state(c.vol.top, COWSNAP_STATE_CORRUPTED, ENOSPC);
	check_image_fails();
	check_corrupted_record(c.vol.image, COWSNAP_IMAGE_TARGET_NAME, ENOSPC,
			       ev_img, fd_img);
	check_corrupted_record(c.vol.top, COWSNAP_ORIGIN_TARGET_NAME, ENOSPC,
			       ev_top, fd_top);
	close(fd_img);
	close(fd_top);

	/* The origin goes on working: old chunks, new chunks. */
	for (i = 0; i < 8; i++)
		write_chunk(3 * i);
	check_origin("writes after the overflow");
	check_state(c.vol.top, COWSNAP_STATE_CORRUPTED, ENOSPC);
	CU_ASSERT_FATAL(ct_drop1(&c.vol) == 0);
	check_origin("without the snapshot");
}

static void test_growth(void)
{
	char table[256];
	struct ct_status st, st2;
	struct ct_event ev;
	uint64_t i;
	int fd;

	/* A store device of 1 MiB over 8 MiB, grown to 8 MiB later. */
	setup("grow", 8 * CT_MIB, 2048, NULL);
	for (i = 0; i < 12; i++)
		write_chunk(i);
	CU_ASSERT_FATAL(ct_status(c.vol.image, &st) == 0);
	CU_ASSERT_EQUAL(st.store_size, 2048);
	CU_ASSERT_EQUAL(st.copied, 12);
	CU_ASSERT(st.store_used >= 12 * CS && st.store_used <= 2048);

	/* Beyond the device: refused, nothing changed. */
	CU_ASSERT_NOT_EQUAL(ct_message(c.vol.top, "store_append 2048", NULL),
			    0);
	CU_ASSERT_NOT_EQUAL(ct_message(c.vol.top, "store_append 1", NULL), 0);
	CU_ASSERT_FATAL(ct_status(c.vol.image, &st2) == 0);
	CU_ASSERT_EQUAL(st2.store_size, 2048);

	fd = tl_uevent_open();
	CU_ASSERT_FATAL(fd >= 0);
	snprintf(table, sizeof(table), "0 16384 linear %s 0", c.store_loop);
	reload_store(table);
	CU_ASSERT_EQUAL(ct_message(c.vol.top, "store_append 14336", NULL), 0);
	CU_ASSERT_FATAL(ct_status(c.vol.image, &st) == 0);
	CU_ASSERT_EQUAL(st.store_size, 16384);
	CU_ASSERT_STRING_EQUAL(st.state, COWSNAP_STATE_VALID);
	CU_ASSERT_FATAL(ct_wait_record(c.vol.image, 0,
				       COWSNAP_EVENT_STORE_GROWN, 5000,
				       &ev) == 0);
	CU_ASSERT_EQUAL(ev.value, 16384);
	CU_ASSERT_STRING_EQUAL(ev.member, "-");
	CU_ASSERT_EQUAL(tl_uevent_wait(fd, tl_dm_dev(c.vol.image),
				       COWSNAP_IMAGE_TARGET_NAME,
				       COWSNAP_EVENT_STORE_GROWN, 10000),
			ev.seq);
	close(fd);
	/* The device is used up to its end now. */
	CU_ASSERT_NOT_EQUAL(ct_message(c.vol.image, "store_append 1", NULL),
			    0);

	/* 112 chunks: seven times the first size. */
	for (i = 12; i < 112; i++)
		write_chunk(i);
	CU_ASSERT_FATAL(ct_status(c.vol.image, &st) == 0);
	CU_ASSERT_STRING_EQUAL(st.state, COWSNAP_STATE_VALID);
	CU_ASSERT_EQUAL(st.copied, 112);
	CU_ASSERT(st.store_used >= 112 * CS && st.store_used <= 16384);
	check_image("after the growth");
	check_origin("after the growth");
	CU_ASSERT_FATAL(ct_drop1(&c.vol) == 0);
}

/* The newest record named @event in @e, or NULL. */
static const struct ct_event *newest(const struct ct_events *e,
				     const char *event)
{
	unsigned int i;

	for (i = e->count; i--; )
		if (!strcmp(e->ev[i].event, event))
			return &e->ev[i];
	return NULL;
}

/*
 * Write chunks from *@next on until free space falls below @pct of the
 * store; @before low_space records exist already.  The next one must come
 * then, not before, carrying the free sectors after that write, and only
 * once.  Returns its sequence number.
 */
static uint64_t cross_low_water(uint64_t *next, unsigned int pct,
				unsigned int before)
{
	struct ct_events *e = malloc(sizeof(*e));
	const struct ct_event *ev;
	unsigned long long free_sectors = 0, size = 0;
	struct ct_status st;
	uint64_t seq = 0;
	bool crossed = false;
	int waited;

	CU_ASSERT_FATAL(e != NULL);
	while (*next < VOL_SECTORS / CS - 2) {
		write_chunk((*next)++);
		CU_ASSERT_FATAL(ct_status(c.vol.image, &st) == 0);
		free_sectors = st.store_size - st.store_used;
		size = st.store_size;
		crossed = free_sectors * 100 < pct * size;
		if (crossed)
			break;
		CU_ASSERT_FATAL(ct_events(c.vol.image, 0, e) == 0);
		if (ct_event_count(e, COWSNAP_EVENT_LOW_SPACE) != before) {
			fprintf(stderr, "low_space with %llu of %llu sectors "
				"free\n", free_sectors, size);
			CU_FAIL("low_space above the low water mark");
		}
	}
	CU_ASSERT_FATAL(crossed);
	for (waited = 0; waited < 5000; waited += 100) {
		CU_ASSERT_FATAL(ct_events(c.vol.image, 0, e) == 0);
		if (ct_event_count(e, COWSNAP_EVENT_LOW_SPACE) > before)
			break;
		usleep(100000);
	}
	ev = newest(e, COWSNAP_EVENT_LOW_SPACE);
	if (ct_event_count(e, COWSNAP_EVENT_LOW_SPACE) != before + 1 || !ev) {
		fprintf(stderr, "%u low_space records below the mark (%llu of "
			"%llu free), want %u\n",
			ct_event_count(e, COWSNAP_EVENT_LOW_SPACE),
			free_sectors, size, before + 1);
		CU_FAIL("no low_space record at the low water mark");
	} else {
		seq = ev->seq;
		CU_ASSERT_STRING_EQUAL(ev->member, "-");
		if (ev->value != free_sectors) {
			fprintf(stderr, "low_space value %llu, free %llu\n",
				ev->value, free_sectors);
			CU_FAIL("low_space does not tell the free sectors");
		}
	}
	/* Further below the mark: no second record for this crossing. */
	write_chunk((*next)++);
	write_chunk((*next)++);
	CU_ASSERT_FATAL(ct_events(c.vol.image, 0, e) == 0);
	CU_ASSERT_EQUAL(ct_event_count(e, COWSNAP_EVENT_LOW_SPACE),
			before + 1);
	free(e);
	return seq;
}

static void test_low_space(void)
{
	uint64_t next = 0, seq;
	int64_t ev_nr;
	char table[256];
	int fd;

	setup("low", 8 * CT_MIB, 4096, " 2 low_water 50");
	fd = tl_uevent_open();
	CU_ASSERT_FATAL(fd >= 0);
	ev_nr = ct_event_nr(c.vol.image);
	seq = cross_low_water(&next, 50, 0);
	CU_ASSERT(ct_wait_event_nr(c.vol.image, ev_nr, 10000));
	CU_ASSERT_EQUAL(tl_uevent_wait(fd, tl_dm_dev(c.vol.image),
				       COWSNAP_IMAGE_TARGET_NAME,
				       COWSNAP_EVENT_LOW_SPACE, 10000), seq);
	close(fd);

	/* Twice the space: above the mark again, and re-armed. */
	snprintf(table, sizeof(table), "0 8192 linear %s 0", c.store_loop);
	reload_store(table);
	CU_ASSERT_EQUAL_FATAL(ct_message(c.vol.top, "store_append 4096",
					 NULL), 0);
	CU_ASSERT(cross_low_water(&next, 50, 1) > seq);
	check_state(c.vol.image, COWSNAP_STATE_VALID, 0);
	check_image("after low_space");
	CU_ASSERT_FATAL(ct_drop1(&c.vol) == 0);
	check_origin("after low_space");
}

static void test_origin_removed(void)
{
	struct ct_event ev;
	int64_t ev_nr;
	int fd;

	setup("orm", 4 * CT_MIB, 0, NULL);
	write_chunk(1);
	write_chunk(7);
	check_image("before the origin went");
	fd = tl_uevent_open();
	CU_ASSERT_FATAL(fd >= 0);
	ev_nr = ct_event_nr(c.vol.image);
	/* The volume's linear table back, the image still there. */
	CU_ASSERT_FATAL(ct_run("dmsetup reload %s --table '0 %llu linear %s "
			       "0' && dmsetup suspend %s && dmsetup resume %s",
			       c.vol.top, (unsigned long long)VOL_SECTORS,
			       c.vol.lower_dev, c.vol.top, c.vol.top) == 0);
	check_state(c.vol.image, COWSNAP_STATE_CORRUPTED, ENODEV);
	check_image_fails();
	CU_ASSERT_FATAL(ct_wait_record(c.vol.image, 0, COWSNAP_EVENT_CORRUPTED,
				       5000, &ev) == 0);
	CU_ASSERT_EQUAL(ev.value, ENODEV);
	CU_ASSERT_STRING_EQUAL(ev.member, c.vol.member);
	CU_ASSERT(ct_wait_event_nr(c.vol.image, ev_nr, 10000));
	CU_ASSERT_EQUAL(tl_uevent_wait(fd, tl_dm_dev(c.vol.image),
				       COWSNAP_IMAGE_TARGET_NAME,
				       COWSNAP_EVENT_CORRUPTED, 10000), ev.seq);
	close(fd);
	write_chunk(9);
	check_origin("after the origin table went");
	CU_ASSERT_EQUAL(ct_run("dmsetup remove %s", c.vol.image), 0);
	check_origin("after the image went");
}

static void test_store_io_error(void)
{
	struct ct_status st;
	char table[512];
	int64_t ev_nr;
	uint64_t i;
	int fd;

	/* 8 MiB of store: 1 MiB good, then errors. */
	setup("ioerr", 4 * CT_MIB, 8192, " 2 low_water 0");
	for (i = 0; i < 4; i++)
		write_chunk(i);
	check_image("before the store failed");
	fd = tl_uevent_open();
	CU_ASSERT_FATAL(fd >= 0);
	ev_nr = ct_event_nr(c.vol.top);
	snprintf(table, sizeof(table), "0 2048 linear %s 0\n2048 6144 error",
		 c.store_loop);
	reload_store(table);
	/* The store's good part is used up first, or copies fail at once. */
	for (i = 4; i < 64; i++) {
		write_chunk(i);
		CU_ASSERT_FATAL(ct_status(c.vol.top, &st) == 0);
		if (strcmp(st.state, COWSNAP_STATE_VALID))
			break;
	}
	check_state(c.vol.top, COWSNAP_STATE_CORRUPTED, EIO);
	check_state(c.vol.image, COWSNAP_STATE_CORRUPTED, EIO);
	check_origin("after the store failed");
	check_image_fails();
	check_corrupted_record(c.vol.top, COWSNAP_ORIGIN_TARGET_NAME, EIO,
			       ev_nr, fd);
	close(fd);
	for (i = 60; i < 70; i++)
		write_chunk(i);
	check_origin("after the store failed, more writes");
	CU_ASSERT_FATAL(ct_drop1(&c.vol) == 0);
	check_origin("without the snapshot");
}

/*
 * More records than the set keeps: store_grown after store_append, 70
 * times.  The answers keep the newest COWSNAP_EVENTS_KEPT, in order, in
 * pages of any size; the same question gets the same answer.
 */
static void test_event_log(void)
{
	const unsigned int n = COWSNAP_EVENTS_KEPT + 6;
	struct ct_events *e = malloc(sizeof(*e));
	char table[256], *a1 = NULL, *a2 = NULL;
	unsigned long long after, first;
	unsigned int i, got;

	CU_ASSERT_FATAL(e != NULL);
	setup("evlog", 4 * CT_MIB, 2048, NULL);
	snprintf(table, sizeof(table), "0 8192 linear %s 0", c.store_loop);
	reload_store(table);
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL_FATAL(ct_message(c.vol.image, "store_append 8",
						 NULL), 0);
	first = n - COWSNAP_EVENTS_KEPT + 1;
	CU_ASSERT_FATAL(ct_events(c.vol.top, 0, e) == 0);
	CU_ASSERT_EQUAL(e->last, n);
	CU_ASSERT_EQUAL(e->first, first);
	CU_ASSERT_EQUAL_FATAL(e->count, COWSNAP_EVENTS_KEPT);
	for (i = 0; i < e->count; i++) {
		CU_ASSERT_EQUAL(e->ev[i].seq, first + i);
		CU_ASSERT_STRING_EQUAL(e->ev[i].event,
				       COWSNAP_EVENT_STORE_GROWN);
		CU_ASSERT_EQUAL(e->ev[i].value, 2048 + 8 * (first + i));
	}
	/* Pages of 5, from before the oldest kept to the end. */
	for (after = 0, got = 0; after < n; after = e->ev[e->count - 1].seq) {
		CU_ASSERT_FATAL(ct_events_max(c.vol.image, after, 5, e) == 0);
		if (!e->count)
			break;
		if (e->ev[0].seq != (after < first ? first : after + 1))
			CU_FAIL("a page does not go on where the last ended");
		got += e->count;
	}
	CU_ASSERT_EQUAL(got, COWSNAP_EVENTS_KEPT);
	CU_ASSERT_FATAL(ct_message(c.vol.image, "events 40 5", &a1) == 0);
	CU_ASSERT_FATAL(ct_message(c.vol.top, "events 40 5", &a2) == 0);
	CU_ASSERT_STRING_EQUAL(a1, a2);
	if (sscanf(a1, "%llu %llu %u", &after, &first, &i) != 3 || i != 5 ||
	    !strstr(a1, "\n41 ") || !strstr(a1, "\n45 ") || strstr(a1, "\n46 "))
		CU_FAIL("events 40 5 is not records 41 to 45");
	CU_ASSERT_FATAL(ct_events(c.vol.top, n, e) == 0);
	CU_ASSERT(e->count == 0 && e->last == n);
	free(a1);
	free(a2);
	free(e);
	check_state(c.vol.image, COWSNAP_STATE_VALID, 0);
	CU_ASSERT_FATAL(ct_drop1(&c.vol) == 0);
}

static CU_TestInfo storage_tests[] = {
	{ "overflow", test_overflow },
	{ "growth", test_growth },
	{ "low_space", test_low_space },
	{ "origin_removed", test_origin_removed },
	{ "store_io_error", test_store_io_error },
	{ "event_log", test_event_log },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "storage", NULL, storage_clean, NULL, NULL, storage_tests },
	CU_SUITE_INFO_NULL,
};
