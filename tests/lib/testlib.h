/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the CUnit test programs: running commands, a teardown
 * stack, loop and dm devices, data patterns, the kernel log.
 *
 * The VM suites run as root in the guest of tests/vm/run.  Devices come
 * from "losetup -f" and carry the test's pid in their name; whatever a
 * suite makes is registered on the teardown stack *before* it is made, so
 * tl_teardown() in the suite's clean function leaves nothing behind even
 * after a failure half-way.
 */
#ifndef COWSNAP_TESTLIB_H
#define COWSNAP_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <CUnit/CUnit.h>

/* Defined by each test program; run by tests/lib/cunit-main.c. */
extern CU_SuiteInfo cs_suites[];

/*
 * tl_run - run a shell command (sh -c), stdout and stderr captured into
 * *out (malloc'd, NUL-terminated, may be NULL to discard).  Returns its exit
 * status, or -1 when it could not run or was killed.
 */
int tl_run(char **out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* tl_defer - push a shell command on the teardown stack. */
void tl_defer(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* tl_teardown - run the teardown stack, newest first, and empty it. */
void tl_teardown(void);

/*
 * tl_loop_create - a loop device over a new sparse file of @bytes in /tmp.
 * Returns the device path (malloc'd) or NULL.  Teardown detaches it and
 * removes the file.
 */
char *tl_loop_create(uint64_t bytes);

/*
 * tl_loop_create_in - the same with the file in directory @dir (say on a
 * filesystem mounted by the test, for what tmpfs cannot do: write-zeroes,
 * O_DIRECT).  The teardown detaches it and removes the file.
 */
char *tl_loop_create_in(const char *dir, uint64_t bytes);

/*
 * tl_dm_name - a dm device name unique to this test process:
 * "cstest-<pid>-<what>".  Returns a static buffer, overwritten per call.
 */
const char *tl_dm_name(const char *what);

/*
 * tl_dm_create - "dmsetup create NAME" with @table; the teardown removes
 * it.  Returns dmsetup's exit status (0 on success).
 */
int tl_dm_create(const char *name, const char *table);

/* tl_dm_dev - "major:minor" of a dm device (static buffer), "" if none. */
const char *tl_dm_dev(const char *name);

/*
 * tl_dm_message - "dmsetup message NAME 0 MSG".  Returns the exit status;
 * the answer goes to *out (malloc'd) when out is not NULL.
 */
int tl_dm_message(const char *name, const char *msg, char **out);

/*
 * tl_dm_status - the INFO fields of a one-target device after the target
 * name, as numbers; "a/b" counts as two fields.  Returns how many were
 * parsed, or -1.
 */
int tl_dm_status(const char *name, uint64_t *fields, int max);

/* tl_dm_event_nr - the event counter of a dm device, or -1. */
int64_t tl_dm_event_nr(const char *name);

/* tl_alloc_aligned - 4 KiB-aligned buffer for O_DIRECT; aborts when out of memory. */
void *tl_alloc_aligned(size_t len);

/* tl_dev_bytes - size of a block device in bytes, 0 on error. */
uint64_t tl_dev_bytes(const char *path);

/*
 * tl_seed - the seed of a suite's random numbers: COWSNAP_SEED from the
 * environment, else a new one; printed so that a failure can be repeated.
 */
unsigned int tl_seed(const char *suite);

/*
 * tl_pattern_fill/check - deterministic data for (@seed, byte offset @off):
 * the same seed and offset always give the same bytes, whatever the I/O
 * size that wrote them.  check returns the offset of the first mismatch
 * relative to @buf, or -1 when all match.
 */
void tl_pattern_fill(void *buf, size_t len, uint32_t seed, uint64_t off);
long tl_pattern_check(const void *buf, size_t len, uint32_t seed,
		      uint64_t off);

/*
 * tl_kmsg_open - open /dev/kmsg positioned after the newest record.
 * tl_kmsg_read - the text of all records logged since (malloc'd,
 * one per line).  Returns NULL on error.
 */
int tl_kmsg_open(void);
char *tl_kmsg_read(int fd);

/*
 * tl_kmsg_has_warning - the kernel log text holds a warning, oops, BUG or
 * lockdep report (the patterns tests/vm/run fails a run for).
 */
bool tl_kmsg_has_warning(const char *text);

/*
 * tl_uevent_open - a netlink socket that receives the kernel's uevents,
 * or -1.  Open it before what should send the uevent.
 *
 * tl_uevent_wait - wait up to @ms for a uevent of the device @dev
 * ("major:minor") carrying COWSNAP_TARGET=@target and
 * COWSNAP_EVENT=@event; others are skipped.  Returns its COWSNAP_SEQ, or 0
 * when none came in time.
 */
int tl_uevent_open(void);
uint64_t tl_uevent_wait(int fd, const char *dev, const char *target,
			const char *event, int ms);

#endif /* COWSNAP_TESTLIB_H */
