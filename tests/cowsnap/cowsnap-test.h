/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the cowsnap suites (tests/cowsnap/test-*.c) share: self-describing
 * sectors, volumes and snapshots made of dm devices, the targets' status,
 * info and events answers, checks of a whole device against a model.
 *
 * The code is in cowsnap-test.c, linked into every test program of the
 * area (tests/tests.mk).
 *
 * A volume is what cowsnapctl makes of a disk:
 *
 *	top     0 N linear <lower> 0            the volume, user-visible
 *	lower   0 N linear <loop> 0             the volume's device beneath
 *
 * A snapshot gives the top "0 N cowsnap-origin <lower> <store> SET MEMBER
 * CHUNK" the way the tool does (load every top's table, suspend every top,
 * resume every top: that resume is the instant) and makes an image
 * "0 N cowsnap <lower> <store> SET MEMBER CHUNK" per member.
 *
 * Status and messages go through libcowsnap's libdevmapper calls rather
 * than dmsetup (a fork and exec costs much under emulation); tables are
 * changed with dmsetup, as a user would.
 *
 * The data: every 512-byte sector written by a test describes itself --
 * a magic, its sector number, a generation (which write wrote it), a tag
 * (which volume), a payload derived from them and a checksum -- so that a
 * model of a device is one generation per sector, and what a wrong sector
 * holds can be told (an older write, another sector's data, zeros).
 */
#ifndef COWSNAP_TEST_H
#define COWSNAP_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/dm-cowsnap.h>

#include "dm.h"		/* libcowsnap: status and messages without forks */
#include "testlib.h"

#define CT_SECTOR	512ULL
#define CT_KIB		1024ULL
#define CT_MIB		(1024 * CT_KIB)
#define CT_MAGIC	0x4345535350414e53ULL	/* "SNAPSSEC" */
#define CT_IO_MAX	(1024 * 1024)		/* largest read of a check */
#define CT_LINE_MAX	1024			/* a table line */

/* ------------------------------------------------------------------ */
/* Commands, seed, random numbers                                     */

/* Run a command that must succeed; print it and its output when not. */
int ct_run(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

int ct_run(const char *fmt, ...);


/* splitmix64: one generator per thread, seeded from the suite's seed. */
struct ct_rng {
	uint64_t s;
};

uint64_t ct_rnd(struct ct_rng *r);

uint64_t ct_below(struct ct_rng *r, uint64_t n);

/* ------------------------------------------------------------------ */
/* Self-describing sectors                                            */

struct ct_sector {
	uint64_t magic;
	uint64_t sector;
	uint64_t gen;
	uint32_t tag;
	uint32_t zero;
	uint64_t payload[59];
	uint64_t csum;
};

_Static_assert(sizeof(struct ct_sector) == 512, "a sector is 512 bytes");

uint64_t ct_csum(const struct ct_sector *s);

/* Sector @sector as written by generation @gen of volume @tag. */
void ct_sector_fill(void *buf, uint64_t sector, uint64_t gen,
				  uint32_t tag);

/* @n sectors from @sector, all of generation @gen. */
void ct_fill(void *buf, uint64_t sector, uint64_t n,
			   uint64_t gen, uint32_t tag);

bool ct_sector_is(const void *buf, uint64_t sector,
				uint64_t gen, uint32_t tag);

bool ct_sector_zero(const void *buf);

/* What a sector holds, for a failure message. */
const char *ct_describe(const void *buf, char *out, size_t size);

/* ------------------------------------------------------------------ */
/* I/O                                                                */

/* O_DIRECT write of @n sectors of generation @gen; 0 or -errno. */
int ct_write(int fd, uint64_t sector, uint64_t n, uint64_t gen,
			   uint32_t tag);

/* The same through a new O_DIRECT descriptor of @path. */
int ct_write_path(const char *path, uint64_t sector, uint64_t n,
				uint64_t gen, uint32_t tag);

/* O_DIRECT read of @n sectors into @buf; 0 or -errno. */
int ct_read(int fd, void *buf, uint64_t sector, uint64_t n);

/* One O_DIRECT read of @n sectors of @path; 0 or -errno. */
int ct_read_path(const char *path, uint64_t sector, uint64_t n);

/*
 * Compare sectors [@first, @first + @n) of @path with the model: sector s
 * must be generation @gens[s] of volume @tag (gens NULL: generation 0),
 * or zeros where @zero_ok[s] is set (zero_ok may be NULL).  Prints the
 * first mismatches, naming the device @what; the first bad sector goes to
 * *@first_bad when that is not NULL.  Returns the number of bad sectors
 * (all of them when the device cannot be read).
 */
uint64_t ct_verify(const char *what, const char *path,
				 uint64_t first, uint64_t n,
				 const uint32_t *gens, const uint8_t *zero_ok,
				 uint32_t tag, uint64_t *first_bad);

/* Write generation @gen over the whole of @path (@n sectors). */
int ct_fill_device(const char *path, uint64_t n, uint64_t gen,
				 uint32_t tag);

/* ------------------------------------------------------------------ */
/* A model of a device for concurrent writers                         */

/* A generation no write has: the sector must read as zeros. */
#define CT_GEN_ZERO	UINT32_MAX

/* How a write changes the model. */
enum ct_kind {
	CT_WRITE,	/* the write's generation */
	CT_DISCARD,	/* unchanged, or zeros */
	CT_ZEROOUT,	/* zeros */
};

/*
 * The newest generation of every sector of a device, and which sectors a
 * write is under way on: writers claim a range no other write covers, so
 * that the newest completed write of a sector is its content.
 */
struct ct_model {
	pthread_mutex_t lock;
	uint64_t sectors;
	uint32_t *gens;
	uint8_t *busy;
	uint8_t *zero_ok;	/* may read as zeros (discarded) */
};

int ct_model_init(struct ct_model *m, uint64_t sectors);

void ct_model_free(struct ct_model *m);

/* @dst takes the content of @src (no write may be under way on either). */
void ct_model_copy(struct ct_model *dst,
				 const struct ct_model *src);

/* Claim [@sector, @sector + @n) for a write; false when it is busy. */
bool ct_model_claim(struct ct_model *m, uint64_t sector,
				  uint64_t n);

/* The write of a claimed range completed: record it, release the range. */
void ct_model_release(struct ct_model *m, uint64_t sector,
				    uint64_t n, uint32_t gen,
				    enum ct_kind kind);

/* A new generation, unique in this program. */
uint32_t ct_next_gen(void);

/* The whole device @path against the model; the number of bad sectors. */
uint64_t ct_model_verify(const char *what, const char *path,
				       const struct ct_model *m,
				       uint64_t *first_bad);

/* ------------------------------------------------------------------ */
/* Volumes and snapshots                                              */

struct ct_vol {
	char member[32];	/* its member name in a set */
	uint64_t sectors;	/* size */
	char *loop;		/* the disk */
	char lower[128], top[128], image[128];		/* dm names */
	char lower_dev[160], top_dev[160], image_dev[160];	/* paths */
};

/*
 * A volume of @sectors named after @what over a new loop device, whose
 * file is in @dir (NULL: /tmp).  The teardown removes it (and its image)
 * whatever state it is left in.  Returns 0 or -1.
 */
int ct_vol_create_in(struct ct_vol *v, const char *what,
				   uint64_t sectors, const char *dir);

int ct_vol_create(struct ct_vol *v, const char *what,
				uint64_t sectors);

void ct_vol_free(struct ct_vol *v);

/* A snapshot set: its identity, storage, chunk size, optional arguments. */
struct ct_set {
	char id[96];
	char store[160];	/* path of the store device */
	uint32_t chunk;		/* bytes */
	char opts[64];		/* "" or " <#opt> <keyword> <value>..." */
};

/* A set named after @what, unique in this run. */
void ct_set_init(struct ct_set *s, const char *what,
			       const char *store, uint32_t chunk,
			       const char *opts);

/* The table line of @target ("cowsnap-origin" or "cowsnap") for @v. */
void ct_line(char *buf, size_t size, const char *target,
			   const struct ct_set *s, const struct ct_vol *v);

/*
 * Take the snapshot of @n volumes in set @s the way cowsnapctl does: load
 * the origin table of every top, suspend every top (lockfs), resume every
 * top.  The instant is the resume.  Returns 0 or -1.
 */
int ct_snapshot(const struct ct_set *s, struct ct_vol **v,
			      unsigned int n);

/* The image of @v in set @s; the teardown removes it.  0 or -1. */
int ct_image_create(const struct ct_set *s, struct ct_vol *v);

/* Snapshot of the one volume @v, with its image.  0 or -1. */
int ct_snapshot1(const struct ct_set *s, struct ct_vol *v);

/*
 * Drop the snapshot of @n volumes: their images go, each top gets its
 * linear table back (suspend, resume), so the set is freed.  0 or -1.
 */
int ct_drop(struct ct_vol **v, unsigned int n);

int ct_drop1(struct ct_vol *v);

/* ------------------------------------------------------------------ */
/* Status, info, events                                               */

struct ct_status {
	char target[32];
	char state[16];
	unsigned int error;
	unsigned long long chunk_size, store_used, store_size, copied;
	unsigned long long memory, last_event;
};

/*
 * "dmsetup message NAME 0 MSG" through libdevmapper: 0 or -errno; the
 * answer (malloc'd) in *@out when that is not NULL.
 */
int ct_message(const char *name, const char *msg, char **out);

/* The event counter of a dm device, or -1. */
int64_t ct_event_nr(const char *name);

/* Status INFO of a one-target cowsnap device; 0 or -1 (printed). */
int ct_status(const char *name, struct ct_status *st);

/*
 * Whether the status of the one-target cowsnap device @name says @state
 * with errno @error; prints what it says when not.
 */
bool ct_state_is(const char *name, const char *state, unsigned int error);

struct ct_info {
	char set[80], member[80], state[16], store_dev[32];
	unsigned int error, members, low_water;
	unsigned long long chunk_size, store_used, store_size, copied;
	unsigned long long set_copied, written, memory, last_event;
};

/* The "info" message of a cowsnap device; 0 or -1 (printed). */
int ct_info(const char *name, struct ct_info *in);

struct ct_event {
	unsigned long long seq, value;
	long long sec, nsec;
	char event[24], member[80];
};

struct ct_events {
	unsigned long long last, first;
	unsigned int count;
	struct ct_event ev[COWSNAP_EVENTS_KEPT];
};

/*
 * "events <after> [<max>]" (max 0: not given) of a cowsnap device, checked
 * for form; 0 or -1.
 */
int ct_events_max(const char *name, unsigned long long after,
				unsigned int max, struct ct_events *e);

int ct_events(const char *name, unsigned long long after,
			    struct ct_events *e);

/* The first record named @event in @e, or NULL. */
const struct ct_event *ct_event_find(const struct ct_events *e,
						   const char *event);

/* How many records of @e are named @event. */
unsigned int ct_event_count(const struct ct_events *e,
					  const char *event);

/*
 * Wait up to @ms for a record named @event after @after in @name's set;
 * copies it to @ev.  0, or -1 when none came.
 */
int ct_wait_record(const char *name, unsigned long long after,
				 const char *event, int ms,
				 struct ct_event *ev);

/* Wait up to @ms for @name's dm event counter to pass @before. */
bool ct_wait_event_nr(const char *name, int64_t before, int ms);

/*
 * The ranges of the "written" answers of @name from sector 0 to the end,
 * in pages of @max (0: the default), marked in @chunks (one byte per
 * chunk of @chunk_sectors of a member of @sectors).  Returns the number of
 * ranges, or -1 when an answer is malformed.
 */
long ct_written(const char *name, uint64_t sectors,
			      uint64_t chunk_sectors, unsigned int max,
			      uint8_t *chunks);

#endif /* COWSNAP_TEST_H */
