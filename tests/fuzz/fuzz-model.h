/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fuzz's oracle: what Documentation/dm-*.rst says the kernel does with
 * a table line, computed in user space.  For a line of one of the four
 * targets it tells whether the kernel must refuse it, must accept it (and
 * then how its table and status read back), or cannot be told (a device
 * that is not the test's own).
 */
#ifndef FUZZ_MODEL_H
#define FUZZ_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A device the test owns. */
struct fz_dev {
	const char *path;
	unsigned int major, minor;
	uint64_t sectors;
};

/* The one set alive while images are fuzzed: an origin table is loaded. */
struct fz_live_set {
	const char *id, *member;
	int origin, store;		/* indexes into fz_world.devs */
	uint32_t chunk_size;
	uint64_t sectors;		/* the member's size */
};

/*
 * What exists: the test's devices, the live set if any.  No other set,
 * tracker or member may exist (a device neither ours nor free is "unsure").
 */
struct fz_world {
	const struct fz_dev *devs;
	unsigned int nr;
	const struct fz_live_set *set;
};

enum fz_verdict { FZ_REFUSE, FZ_ACCEPT, FZ_UNSURE };

/* What an accepted line reads back as; for a refused one, the rule. */
struct fz_expect {
	char table[1024];		/* params of "dmsetup table" */
	uint32_t ring_size;		/* blkfilter: given or the default */
	uint32_t block_size;		/* cbt: given, or 0 for the default */
	uint32_t chunk_size;		/* cowsnap targets */
	uint64_t store_sectors;		/* cowsnap targets: the store's size */
	int below;			/* where data written lands, or -1 */
	const char *why;		/* refused: the documented rule */
};

/* The verdict on "0 @len @target @params". */
enum fz_verdict fz_model_ctr(const struct fz_world *w, const char *target,
			     uint64_t len, const char *params,
			     struct fz_expect *e);

/*
 * Does the INFO status of a freshly loaded (not resumed) table of @target
 * read as the docs say, with @e's settings?  When not, *why says what.
 */
bool fz_status_ok(const char *target, uint64_t len, const struct fz_expect *e,
		  const char *status, char *why, size_t size);

/*
 * The verdict on message @msg to @target: FZ_REFUSE when its words break
 * the documented grammar of every verb, else FZ_UNSURE (whether it is
 * accepted may depend on the device's state).
 */
enum fz_verdict fz_model_msg(const char *target, const char *msg);

/* Does the answer to an accepted @msg read as the docs say? */
bool fz_answer_ok(const char *target, const char *msg, const char *answer,
		  char *why, size_t size);

#endif /* FUZZ_MODEL_H */
