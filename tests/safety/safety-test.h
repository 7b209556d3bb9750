/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the safety suites (tests/safety/test-*.c) share besides tests/lib:
 * running a program or a read as another user, and 64 KiB data checks.
 *
 * The code is in safety-test.c (libtestarea.a, see tests/tests.mk).
 */
#ifndef COWSNAP_SAFETY_TEST_H
#define COWSNAP_SAFETY_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "testlib.h"

/** SF_NOBODY - the normal user of the suites: uid and gid 65534 */
#define SF_NOBODY	65534

/* Where the data checks write and read: 64 KiB at 1 MiB. */
#define SF_OFF		(1ULL << 20)
#define SF_LEN		65536

/**
 * struct sf_user - who a child process runs as
 * @uid: real, effective and saved uid
 * @gid: real, effective and saved gid
 * @nr_groups: supplementary groups in @groups (0: none)
 * @groups: the supplementary groups
 *
 * A root process that changes every uid to non-zero loses all its
 * capabilities: the child is an ordinary user.
 */
struct sf_user {
	uid_t uid;
	gid_t gid;
	int nr_groups;
	gid_t groups[4];
};

/** sf_nobody - uid and gid 65534, no supplementary groups */
extern const struct sf_user sf_nobody;

/*
 * sf_run_as - run @argv (NULL-terminated, found in PATH) as @u, stdout and
 * stderr together into @out (NUL-terminated, at most @size - 1 bytes).
 * Returns its exit status, 126 when the identity could not be taken,
 * -1 when it was killed or could not run.
 */
int sf_run_as(const struct sf_user *u, char *const *argv, char *out,
	      size_t size);

/* sf_sh_as - sf_run_as() of "sh -c @cmd". */
int sf_sh_as(const struct sf_user *u, const char *cmd, char *out,
	     size_t size);

/*
 * sf_read_as - as @u, open @path read-only and check SF_LEN bytes at
 * SF_OFF against pattern @seed.  Returns 0 (the data matches), EACCES
 * (the open was refused), EIO (the open failed otherwise) or -1 (a short
 * read, other data, or the identity could not be taken).
 */
int sf_read_as(const struct sf_user *u, const char *path, uint32_t seed);

/* sf_write_check - write pattern @seed at SF_OFF through @path, read it back. */
bool sf_write_check(const char *path, uint32_t seed);

/* sf_read_check - SF_LEN bytes at SF_OFF of @path hold pattern @seed. */
bool sf_read_check(const char *path, uint32_t seed);

#endif /* COWSNAP_SAFETY_TEST_H */
