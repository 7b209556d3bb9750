// SPDX-License-Identifier: GPL-2.0
/*
 * No kernel address leaves the kernel.
 *
 * outputs: a volume over a device whose last MiB is dm "error", with the
 * filter and a tracker, a checkpoint, a snapshot whose store overflows
 * (low_space and corrupted events, a DMERR line), a read of the error
 * region (a filter event), and one refused table line per target.  Then
 * everything the targets say is collected: "dmsetup table" and "status"
 * of every device, the answer of every message verb to every device of
 * the volume and the set, the tool's views (status, info, events, --json),
 * the kernel log lines of device-mapper and our modules, and every uevent
 * seen.  None may hold what looks like a kernel address: a word of 16
 * hex digits (what %p and %px print: ffff8880..., or a hashed
 * 00000000...), or "0x" and 8 or more hex digits.  The collection must not be empty of
 * what it is about: answers to the messages, a uevent of our targets, a
 * device-mapper log line.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "safety-test.h"

#define DEV_SECTORS	32768ULL	/* 16 MiB */
#define ERR_SECTORS	2048ULL		/* its last MiB fails */

/*
 * Bounded by what cannot be part of a longer hex word, so that a UUID or
 * a SHA-256 that happens to hold "ffff" and 12 hex digits does not count.
 */
static const char *const pointer_res[] = {
	"(^|[^0-9a-z_-])[0-9a-f]{16}($|[^0-9a-z_-])",
	"0x[0-9a-f]{8,}",
};

#define NR_RES	(sizeof(pointer_res) / sizeof(pointer_res[0]))

static const char *const messages[] = {
	"events 0", "info", "checkpoint", "map 0 64", "changes 0 0",
	"mark_dirty 0 8", "written 0", "store_append 1", "events 0 4",
};

struct text {
	char *buf;
	size_t len;
};

static void text_add(struct text *t, const char *what, const char *s)
{
	size_t n = strlen(what) + strlen(s) + 3;

	t->buf = realloc(t->buf, t->len + n + 1);
	if (!t->buf)
		abort();
	t->len += (size_t)sprintf(t->buf + t->len, "%s: %s\n", what, s);
}

/* The output of shell command @cmd, whatever its status. */
static void text_cmd(struct text *t, const char *cmd)
{
	char *out = NULL;

	tl_run(&out, "%s", cmd);
	text_add(t, cmd, out ? out : "");
	free(out);
}

/*
 * The lines of @text that look like a kernel address, printed unless
 * @quiet; how many.
 */
static unsigned int pointer_lines(const char *text, bool quiet)
{
	regex_t re[NR_RES];
	unsigned int i, n = 0;
	const char *line = text, *end;
	char buf[4096];

	for (i = 0; i < NR_RES; i++)
		if (regcomp(&re[i], pointer_res[i],
			    REG_EXTENDED | REG_ICASE | REG_NOSUB))
			abort();
	for (; *line; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		snprintf(buf, sizeof(buf), "%.*s", (int)(end - line), line);
		for (i = 0; i < NR_RES; i++) {
			if (regexec(&re[i], buf, 0, NULL, 0))
				continue;
			if (!quiet)
				fprintf(stderr, "a kernel address? %s\n", buf);
			n++;
			break;
		}
	}
	for (i = 0; i < NR_RES; i++)
		regfree(&re[i]);
	return n;
}

/* Every uevent until none came for @ms (NULs as spaces); how many. */
static unsigned int uevents_drain(int fd, struct text *t, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned int n = 0;
	char buf[8192];
	ssize_t len, i;

	while (poll(&p, 1, ms) > 0) {
		len = recv(fd, buf, sizeof(buf) - 1, 0);
		if (len < 0 && errno == ENOBUFS) {
			text_add(t, "uevent", "(some lost: ENOBUFS)");
			continue;
		}
		if (len <= 0)
			break;
		for (i = 0; i < len; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[len] = '\0';
		text_add(t, "uevent", buf);
		n++;
	}
	return n;
}

static int ptr_clean(void)
{
	tl_teardown();
	return 0;
}

/* The volume, its snapshot overflowing, a failed read, refused tables. */
static void make_events(const char *vol, const char *set, const char *dir)
{
	char *loop = tl_loop_create(DEV_SECTORS << 9), table[256], err[128];

	CU_ASSERT_FATAL(loop != NULL);
	snprintf(err, sizeof(err), "%s", tl_dm_name("err"));
	snprintf(table, sizeof(table), "0 %llu linear %s 0\n%llu %llu error",
		 DEV_SECTORS - ERR_SECTORS, loop, DEV_SECTORS - ERR_SECTORS,
		 ERR_SECTORS);
	CU_ASSERT_FATAL(tl_dm_create(err, table) == 0);
	tl_defer("cowsnapctl remove %s", vol);
	tl_defer("rm -rf %s", dir);
	CU_ASSERT_FATAL(tl_run(NULL, "mkdir -p %s && cowsnapctl create %s "
			       "/dev/mapper/%s && cowsnapctl filter attach %s "
			       "&& cowsnapctl cbt enable %s", dir, vol, err,
			       vol, vol) == 0);
	snprintf(table, sizeof(table), "/dev/mapper/%s", vol);
	CU_ASSERT_FATAL(sf_write_check(table, 51));
	tl_defer("cowsnapctl snapshot destroy %s --force", set);
	CU_ASSERT_FATAL(tl_run(NULL, "cowsnapctl cbt checkpoint %s && "
			       "cowsnapctl snapshot create %s --store %s "
			       "--store-size 1M --name %s", vol, vol, dir,
			       set) == 0);
	/* 2 MiB of new data: the 1 MiB store fills */
	CU_ASSERT_EQUAL(tl_run(NULL, "dd if=/dev/urandom of=/dev/mapper/%s "
			       "bs=64k count=32 oflag=direct status=none",
			       vol), 0);
	/* the last MiB fails: a filter event */
	CU_ASSERT_NOT_EQUAL(tl_run(NULL, "dd if=/dev/mapper/%s of=/dev/null "
				   "bs=4k skip=%llu count=1 iflag=direct "
				   "status=none", vol,
				   (DEV_SECTORS - ERR_SECTORS) / 8), 0);
	snprintf(err, sizeof(err), "%s", tl_dm_name("bad"));
	tl_defer("dmsetup remove %s 2>/dev/null; true", err);
	tl_run(NULL, "for t in blkfilter cbt cowsnap-origin cowsnap; do "
	       "dmsetup create %s --table \"0 8 $t /dev/null x y\" && "
	       "dmsetup remove %s; done", err, err);
	free(loop);
}

static void test_outputs(void)
{
	char vol[64], set[64], dir[128], cmd[2048], *names = NULL, *w, *save;
	struct text t = { 0 };
	unsigned int i, answered = 0, nr_uevents;
	int kfd = tl_kmsg_open(), ufd = tl_uevent_open(), rcvbuf = 8 << 20;
	char *klog, *line, *out = NULL;

	CU_ASSERT_FATAL(kfd >= 0 && ufd >= 0);
	/* room for every uevent of the test until it reads them */
	setsockopt(ufd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	snprintf(vol, sizeof(vol), "ptr%d", (int)getpid());
	snprintf(set, sizeof(set), "ptr%d", (int)getpid());
	snprintf(dir, sizeof(dir), "/tmp/ptr-%d", (int)getpid());
	make_events(vol, set, dir);

	text_cmd(&t, "dmsetup table");
	text_cmd(&t, "dmsetup status");
	text_cmd(&t, "dmsetup info -c");
	CU_ASSERT_FATAL(tl_run(&names, "dmsetup ls | awk '{print $1}' | "
			       "grep -F -e '%s' -e '@%s'", vol, set) == 0);
	for (w = strtok_r(names, "\n", &save); w;
	     w = strtok_r(NULL, "\n", &save)) {
		for (i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
			snprintf(cmd, sizeof(cmd), "dmsetup message '%s' 0 %s",
				 w, messages[i]);
			if (!tl_run(&out, "%s", cmd) && out && *out)
				answered++;
			text_add(&t, cmd, out ? out : "");
			free(out);
			out = NULL;
		}
	}
	free(names);
	snprintf(cmd, sizeof(cmd), "cowsnapctl status %s; cowsnapctl --json "
		 "status %s; cowsnapctl list; cowsnapctl --json list; "
		 "cowsnapctl events %s; cowsnapctl --json events %s; "
		 "cowsnapctl cbt info %s; cowsnapctl --json cbt info %s; "
		 "cowsnapctl cbt events %s; cowsnapctl snapshot list; "
		 "cowsnapctl --json snapshot info %s", vol, vol, vol, vol, vol,
		 vol, vol, set);
	text_cmd(&t, cmd);

	nr_uevents = uevents_drain(ufd, &t, 2000);
	klog = tl_kmsg_read(kfd);
	CU_ASSERT_FATAL(klog != NULL);
	for (line = strtok_r(klog, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "device-mapper") || strstr(line, "cowsnap") ||
		    strstr(line, "blkfilter") || strstr(line, "cbt"))
			text_add(&t, "kernel", line);
	free(klog);
	close(kfd);
	close(ufd);

	printf("collected %zu bytes: %u message answers, %u uevents\n", t.len,
	       answered, nr_uevents);
	CU_ASSERT(answered >= 8);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "COWSNAP_EVENT=corrupted"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "kernel: device-mapper: "));
	CU_ASSERT_EQUAL(pointer_lines(t.buf, false), 0);
	free(t.buf);
}

/* The detector finds what %p and %px print, and not our usual numbers. */
static void test_detector(void)
{
	CU_ASSERT_EQUAL(pointer_lines("ptr ffff888003a1b2c0 x\n"
				      "hashed 00000000c0ffee11\n"
				      "hex 0xffffffffc0a01234\n"
				      "m=ffff88800a0b0c0d,\n", true), 4);
	CU_ASSERT_EQUAL(pointer_lines("set=s3f9a0c12 store_dev=7:1 "
				      "generation=0a1b2c3d-0a1b-0a1b-0a1b-"
				      "0a1b2c3d4e5f\n1763820000.123456789 "
				      "18446744073709551615\n"
				      "sha256 15965e8b15965e8b15965e8b15965e8b"
				      "15965e8b15965e8b15965e8b15965e8b\n"
				      "COWSNAP-0123ffff0123456789abcdef01234567"
				      "-real\n",
				      true), 0);
}

static CU_TestInfo ptr_tests[] = {
	{ "detector", test_detector },
	{ "outputs", test_outputs },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "pointers", NULL, ptr_clean, NULL, NULL, ptr_tests },
	CU_SUITE_INFO_NULL,
};
