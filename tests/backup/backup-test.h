/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the backup suite (tests/backup/test-backup.c) needs besides
 * tests/lib: cowsnapctl volumes over loop devices, commands with stdout and
 * stderr apart, a background cowsnapctl, its JSON, positional random data,
 * SHA-256, the points of a backup directory, whole-device checks against
 * an oracle, and what the system held before a run (dm and loop devices,
 * snapshot sets) to tell what a run left behind.
 *
 * The code is in backup-test.c (libtestarea.a, see tests/tests.mk).
 */
#ifndef COWSNAP_BACKUP_TEST_H
#define COWSNAP_BACKUP_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "testlib.h"

#define BT_KIB		1024ULL
#define BT_MIB		(1024 * BT_KIB)
#define BT_GIB		(1024 * BT_MIB)
#define BT_CHUNK	(64 * BT_KIB)	/* the default snapshot chunk */

/*
 * cowsnapctl with a time limit: a hung run fails its test, not the VM.
 * 150 s, times COWSNAP_TIME_FACTOR in a slow guest (make check-debug).
 */
#define BT_CTL	\
	"timeout $((150 * ${COWSNAP_TIME_FACTOR:-1})) cowsnapctl"

/* ------------------------------------------------------------------ */
/* Seed, random numbers, data                                         */


/* splitmix64 */
struct bt_rng {
	uint64_t s;
};

uint64_t bt_rnd(struct bt_rng *r);
uint64_t bt_below(struct bt_rng *r, uint64_t n);
void bt_rnd_fill(struct bt_rng *r, void *buf, size_t len);

/*
 * bt_fill - positional data: the bytes at offset @off of "data @seed",
 * the same whatever the I/O that wrote them (@off and @len multiples of
 * 8).  No 8-byte word of it is zero, so no 4 KiB block of it is either.
 */
void bt_fill(void *buf, size_t len, uint64_t seed, uint64_t off);

/* ------------------------------------------------------------------ */
/* SHA-256                                                            */

/* A running SHA-256: OpenSSL's EVP (the tool uses the same library, but
 * the digest itself is a well-tested reference, not code under test). */
struct bt_sha256 {
	void *ctx;	/* EVP_MD_CTX */
};

void bt_sha256_init(struct bt_sha256 *c);
void bt_sha256_update(struct bt_sha256 *c, const void *data, size_t len);
/* The digest as 64 lowercase hex digits and a NUL. */
void bt_sha256_hex(struct bt_sha256 *c, char hex[65]);
void bt_sha256_buf(const void *data, size_t len, char hex[65]);
/* The digest of a file's content (holes read as zeros); 0 or -1. */
int bt_sha256_file(const char *path, char hex[65]);

/* ------------------------------------------------------------------ */
/* Commands                                                           */

/* What a command printed, apart, and its exit status (-1: killed). */
struct bt_cmd {
	int status;
	char *out;
	char *err;
};

/*
 * bt_cmd - run a shell command; its stdout and stderr kept apart.  The
 * command, its status and its stderr are printed.  Returns the status.
 */
int bt_cmd(struct bt_cmd *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void bt_cmd_free(struct bt_cmd *c);

/*
 * bt_spawn - start a shell command in the background ("exec"ed: the pid is
 * the command's), stdout to @out_path, stderr to @err_path, stdin
 * /dev/null.  Returns its pid or -1.
 */
pid_t bt_spawn(const char *out_path, const char *err_path,
	       const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * bt_wait - wait up to @ms for @pid; its wait status in *@status.
 * Returns true when it ended.
 */
bool bt_wait(pid_t pid, int ms, int *status);

/* The whole content of a file (malloc'd, NUL-terminated) or NULL. */
char *bt_read_text(const char *path);

/* ------------------------------------------------------------------ */
/* JSON                                                               */

/* Parse @text (say a command's stdout); NULL, printed with @what, if bad. */
json_object *bt_json(const char *text, const char *what);
json_object *bt_json_file(const char *path);
/* Member @key of @o, printed when missing. */
json_object *bt_get(json_object *o, const char *key);
/* The string member @key, "" when missing or not a string. */
const char *bt_str(json_object *o, const char *key);
/* The integer member @key, -1 when missing or not an integer. */
int64_t bt_num(json_object *o, const char *key);
/* The boolean member @key: 1, 0, or -1 when missing or not a boolean. */
int bt_bool(json_object *o, const char *key);
/* Member @key is present and null. */
bool bt_null(json_object *o, const char *key);
/* The length of the array member @key, 0 when it is none. */
size_t bt_len(json_object *o, const char *key);
/* Element @i of the array member @key, or NULL. */
json_object *bt_idx(json_object *o, const char *key, size_t i);

/* ------------------------------------------------------------------ */
/* Volumes and directories                                            */

struct bt_vol {
	char name[64];		/* the cowsnapctl volume */
	char dev[96];		/* /dev/mapper/NAME */
	char *loop;		/* its disk */
	char file[256];		/* the disk's file */
	uint64_t size;
};

/*
 * bt_vol_create - the volume "bt<pid><what>" of @size bytes over a new
 * loop device, a sparse file in /tmp; with @fill_seed its whole disk holds
 * bt_fill(@fill_seed) first (else zeros); with @cbt a change tracker.  The
 * teardown destroys every snapshot set, removes the volume, its disk and
 * its backup lock file.  Returns 0 or -1.
 */
int bt_vol_create(struct bt_vol *v, const char *what, uint64_t size,
		  uint64_t fill_seed, bool cbt);
void bt_vol_free(struct bt_vol *v);

/*
 * bt_workdir - a new directory "/tmp/cowsnap-bt-<pid>-<what>" for the
 * backups and restores of a test (a static buffer); the teardown detaches
 * any loop device over a file in it and removes it.  NULL on error.
 */
const char *bt_workdir(const char *what);

/* Write @len bytes of @buf at @off through the volume, fsync'ed; 0 or -1. */
int bt_vol_write(const struct bt_vol *v, uint64_t off, const void *buf,
		 size_t len);

/* ------------------------------------------------------------------ */
/* Points of a backup directory                                       */

#define BT_POINT_LEN	21	/* "NNNN-YYYYMMDDTHHMMSSZ" */
#define BT_POINTS_MAX	16

struct bt_points {
	int complete;				/* NNNN-... directories */
	int partial;				/* NNNN-....partial ones */
	int other;				/* anything but .lock */
	char name[BT_POINTS_MAX][64];		/* complete ones, sorted */
	char partial_name[64];			/* the first .partial */
};

/* What DIR holds; -1 when it cannot be read (then all counts are 0). */
int bt_points(const char *dir, struct bt_points *p);

/* Is @s a point name, "NNNN-YYYYMMDDTHHMMSSZ"? */
bool bt_point_name_ok(const char *s);

/*
 * The bytes allocated to the files of the first *.partial directory of
 * DIR, or -1 when there is none.
 */
int64_t bt_partial_bytes(const char *dir);

/*
 * bt_wait_partial - wait up to @ms for a *.partial directory in DIR
 * holding at least @bytes, while @pid runs.  Returns true when it came;
 * false when @pid ended first (its status in *@status, *@ended set) or
 * time ran out.
 */
bool bt_wait_partial(const char *dir, int64_t bytes, pid_t pid, int ms,
		     bool *ended, int *status);

/* ------------------------------------------------------------------ */
/* Expected content                                                   */

/*
 * An oracle: what a device of @size bytes must hold.  Either an image in
 * memory (@image), or a map of @bs-byte blocks each holding bt_fill of
 * its seed (@seeds, seed 0: zeros).
 */
struct bt_oracle {
	uint64_t size;
	const uint8_t *image;
	const uint64_t *seeds;
	uint32_t bs;
};

/*
 * bt_compare - does @path (a file of exactly o->size bytes, or a block
 * device of at least that many) hold what @o says?  Holes of a file are
 * not read (they are zeros).  Prints the first differences, naming @what.
 * Returns the number of differing 4 KiB blocks (1 when the size is wrong
 * or it cannot be read).
 */
uint64_t bt_compare(const char *what, const char *path,
		    const struct bt_oracle *o);

/* ------------------------------------------------------------------ */
/* What a run may leave behind                                        */

struct bt_sys {
	char *dm;	/* "dmsetup ls" names, sorted, one a line */
	char *loops;	/* "losetup -a" devices, sorted */
};

void bt_sys_get(struct bt_sys *s);
void bt_sys_free(struct bt_sys *s);
/*
 * bt_sys_same - the dm and loop devices are those of @before, no snapshot
 * set exists and no dm device has an image, store or origin name.  Prints
 * what differs, naming @what.  Returns true when all is as it was.
 */
bool bt_sys_same(const struct bt_sys *before, const char *what);

/* How many snapshot sets "cowsnapctl snapshot list --json" shows, or -1. */
int bt_snapshot_sets(void);

/* ------------------------------------------------------------------ */
/* Checks, with CUnit assertions (backup-check.c)                     */

/* @s (may be NULL) contains @what. */
bool bt_contains(const char *s, const char *what);

/*
 * bt_backup - back up the one volume @v into @dir with --json and @opts:
 * it must succeed, and its summary be of a backup of @kind ("full" or
 * "incremental") into @dir.  Returns the summary (json_object_put by the
 * caller) or NULL; the point's name into @point (64 bytes), the stderr
 * (malloc'd) into *@err when @err is not NULL.
 */
json_object *bt_backup(const struct bt_vol *v, const char *dir,
		       const char *opts, const char *kind, char *point,
		       char **err);

/*
 * bt_check_manifest - DIR/POINT/manifest.json of the backup of @v whose
 * summary is @sum: its form, its link to @parent (NULL: none, else the
 * sha256 of the parent's manifest), the volume's entry (a tracker's
 * generation and numbers when @cbt), the data file's size and ranges,
 * and with @hash its sha256, computed here.  Returns the manifest
 * (json_object_put by the caller).
 */
json_object *bt_check_manifest(const char *dir, const char *point,
			       const struct bt_vol *v, json_object *sum,
			       const char *parent, bool hash, bool cbt);

/* The entry of the one volume of a manifest. */
json_object *bt_manifest_volume(json_object *man);

/* A write of a test: bytes [off, off + len) of a volume. */
struct bt_span {
	uint64_t off, len;
};

/*
 * bt_check_coverage - the ranges of the incremental entry @m hold every
 * write of @spans, and are no larger than the 64 KiB chunks they touch.
 */
void bt_check_coverage(json_object *m, const struct bt_span *spans, int n,
		       uint64_t size);

/*
 * bt_restore_ok - restore point @at (NULL: the default) of @dir into @to
 * with --json and @opts: it must succeed, its summary name @v, @point and
 * the chain @chain (@n points), and @to hold what @o says.
 */
void bt_restore_ok(const char *dir, const char *at, const char *to,
		   const char *opts, const struct bt_vol *v, const char *point,
		   char (*chain)[64], int n, const struct bt_oracle *o);

/*
 * bt_check_verify_json - "verify DIR --json" of @n points (@points, whose
 * first one is full, the others incremental): exit status and "ok" as
 * @ok says; point @bad (-1: none) failed, those before it are ok.
 */
void bt_check_verify_json(const char *dir, bool ok, int n, int bad,
			  char (*points)[64]);

/* DIR holds no point, complete or partial, and nothing else but .lock. */
void bt_check_no_point(const char *dir);

#endif /* COWSNAP_BACKUP_TEST_H */
