// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the CUnit test programs (see testlib.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/fs.h>
#include <linux/netlink.h>

#include "testlib.h"

/* ------------------------------------------------------------------ */
/* Commands and the teardown stack                                    */

static char *vformat(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	return s;
}

static int run_cmd(char **out, const char *cmd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	FILE *p;
	size_t n;
	int st;

	if (!buf)
		abort();
	p = popen(cmd, "r");
	if (!p) {
		free(buf);
		return -1;
	}
	while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len < 1024) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
	}
	buf[len] = '\0';
	st = pclose(p);
	if (out)
		*out = buf;
	else
		free(buf);
	return (st != -1 && WIFEXITED(st)) ? WEXITSTATUS(st) : -1;
}

int tl_run(char **out, const char *fmt, ...)
{
	char *cmd, *full;
	va_list ap;
	int r;

	va_start(ap, fmt);
	cmd = vformat(fmt, ap);
	va_end(ap);
	if (asprintf(&full, "( %s ) 2>&1", cmd) < 0)
		abort();
	r = run_cmd(out, full);
	free(full);
	free(cmd);
	return r;
}

struct deferred {
	char *cmd;
	struct deferred *next;
};

static struct deferred *teardown_stack;

void tl_defer(const char *fmt, ...)
{
	struct deferred *d = malloc(sizeof(*d));
	va_list ap;

	if (!d)
		abort();
	va_start(ap, fmt);
	d->cmd = vformat(fmt, ap);
	va_end(ap);
	d->next = teardown_stack;
	teardown_stack = d;
}

void tl_teardown(void)
{
	struct deferred *d;

	while ((d = teardown_stack)) {
		teardown_stack = d->next;
		tl_run(NULL, "%s", d->cmd);
		free(d->cmd);
		free(d);
	}
}

/* ------------------------------------------------------------------ */
/* Loop and dm devices                                                */

char *tl_loop_create(uint64_t bytes)
{
	char file[] = "/tmp/cowsnap-test-XXXXXX";
	char *out = NULL, *nl;
	int fd;

	fd = mkstemp(file);
	if (fd < 0)
		return NULL;
	tl_defer("rm -f %s", file);
	if (ftruncate(fd, (off_t)bytes)) {
		close(fd);
		return NULL;
	}
	close(fd);
	/* Registered first: detaches whatever loop device holds the file. */
	tl_defer("losetup -j %s -O NAME -n | xargs -r -n1 losetup -d", file);
	if (tl_run(&out, "losetup --show -f %s", file)) {
		free(out);
		return NULL;
	}
	nl = strchr(out, '\n');
	if (nl)
		*nl = '\0';
	return out;
}

char *tl_loop_create_in(const char *dir, uint64_t bytes)
{
	char *file, *out = NULL, *nl;
	int fd;

	if (asprintf(&file, "%s/cowsnap-test-XXXXXX", dir) < 0)
		abort();
	fd = mkstemp(file);
	if (fd < 0) {
		free(file);
		return NULL;
	}
	tl_defer("rm -f %s", file);
	tl_defer("losetup -j %s -O NAME -n | xargs -r -n1 losetup -d", file);
	if (ftruncate(fd, (off_t)bytes) ||
	    tl_run(&out, "losetup --show -f %s", file)) {
		close(fd);
		free(file);
		free(out);
		return NULL;
	}
	close(fd);
	free(file);
	nl = strchr(out, '\n');
	if (nl)
		*nl = '\0';
	return out;
}

const char *tl_dm_name(const char *what)
{
	static char name[128];

	snprintf(name, sizeof(name), "cstest-%d-%s", (int)getpid(), what);
	return name;
}

int tl_dm_create(const char *name, const char *table)
{
	tl_defer("dmsetup remove --retry %s 2>/dev/null || "
		 "dmsetup remove --force %s", name, name);
	return tl_run(NULL, "dmsetup create %s --table '%s'", name, table);
}

const char *tl_dm_dev(const char *name)
{
	static char dev[32];
	char *out = NULL;

	dev[0] = '\0';
	if (!tl_run(&out, "dmsetup info -c --noheadings -o major,minor "
		    "--separator : %s", name))
		sscanf(out, "%31[0-9:]", dev);
	free(out);
	return dev;
}

int tl_dm_message(const char *name, const char *msg, char **out)
{
	return tl_run(out, "dmsetup message %s 0 %s", name, msg);
}

int tl_dm_status(const char *name, uint64_t *fields, int max)
{
	char *out = NULL, *p, *end;
	int n = 0, skip = 3;

	if (tl_run(&out, "dmsetup status %s", name)) {
		free(out);
		return -1;
	}
	/* "<start> <len> <target> <fields...>" */
	for (p = out; *p && skip; p++)
		if (*p == ' ')
			skip--;
	while (*p && n < max) {
		fields[n] = strtoull(p, &end, 10);
		if (end == p)
			break;
		n++;
		p = end;
		while (*p == ' ' || *p == '/')
			p++;
	}
	free(out);
	return n;
}

int64_t tl_dm_event_nr(const char *name)
{
	char *out = NULL;
	long long nr = -1;

	if (!tl_run(&out, "dmsetup info -c --noheadings -o events %s", name))
		sscanf(out, "%lld", &nr);
	free(out);
	return nr;
}

void *tl_alloc_aligned(size_t len)
{
	void *buf;

	if (posix_memalign(&buf, 4096, len))
		abort();
	return buf;
}

uint64_t tl_dev_bytes(const char *path)
{
	uint64_t bytes = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 0;
	if (ioctl(fd, BLKGETSIZE64, &bytes))
		bytes = 0;
	close(fd);
	return bytes;
}

/* ------------------------------------------------------------------ */
/* Data patterns                                                      */

/* One 64-bit word per 8-byte slot, a hash of (seed, slot). */
static uint64_t pattern_word(uint32_t seed, uint64_t slot)
{
	uint64_t x = slot * 0x9e3779b97f4a7c15ULL ^ ((uint64_t)seed << 32 | seed);

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint8_t pattern_byte(uint32_t seed, uint64_t off)
{
	return (uint8_t)(pattern_word(seed, off / 8) >> (8 * (off % 8)));
}

void tl_pattern_fill(void *buf, size_t len, uint32_t seed, uint64_t off)
{
	uint8_t *b = buf;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = pattern_byte(seed, off + i);
}

long tl_pattern_check(const void *buf, size_t len, uint32_t seed,
		      uint64_t off)
{
	const uint8_t *b = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != pattern_byte(seed, off + i))
			return (long)i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Kernel log                                                         */

int tl_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Records are "prio,seq,time,flags;text\n" plus continuation lines. */
char *tl_kmsg_read(int fd)
{
	size_t len = 0, cap = 8192;
	char *text = malloc(cap), rec[8192], *msg;
	ssize_t n;

	if (!text)
		abort();
	text[0] = '\0';
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: skip on */
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = '\0';
		while (len + strlen(msg) + 2 > cap) {
			cap *= 2;
			text = realloc(text, cap);
			if (!text)
				abort();
		}
		len += sprintf(text + len, "%s\n", msg);
	}
	return text;
}

bool tl_kmsg_has_warning(const char *text)
{
	static const char *const bad[] = {
		"WARNING:", "BUG:", "Oops", "general protection",
		"possible circular locking", "inconsistent lock state",
		"blocked for more than", "Call Trace",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strstr(text, bad[i]))
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Uevents                                                            */

int tl_uevent_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			NETLINK_KOBJECT_UEVENT);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The value of variable @var ("NAME=") in the NUL-separated uevent. */
static const char *uevent_var(const char *buf, size_t len, const char *var)
{
	size_t off, vl = strlen(var);

	for (off = 0; off < len; off += strlen(buf + off) + 1)
		if (!strncmp(buf + off, var, vl))
			return buf + off + vl;
	return NULL;
}

static bool uevent_is(const char *buf, size_t len, const char *var,
		      const char *value)
{
	const char *v = uevent_var(buf, len, var);

	return v && !strcmp(v, value);
}

uint64_t tl_uevent_wait(int fd, const char *dev, const char *target,
			const char *event, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	const char *maj, *min, *seq;
	char buf[8192], majmin[64];
	struct timespec t0, t;
	ssize_t len;
	int left = ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (left > 0 && poll(&p, 1, left) > 0) {
		len = recv(fd, buf, sizeof(buf) - 1, 0);
		if (len <= 0)
			break;
		buf[len] = '\0';
		maj = uevent_var(buf, len, "MAJOR=");
		min = uevent_var(buf, len, "MINOR=");
		seq = uevent_var(buf, len, "COWSNAP_SEQ=");
		snprintf(majmin, sizeof(majmin), "%s:%s", maj ? maj : "",
			 min ? min : "");
		if (seq && !strcmp(majmin, dev) &&
		    uevent_is(buf, len, "COWSNAP_TARGET=", target) &&
		    uevent_is(buf, len, "COWSNAP_EVENT=", event))
			return strtoull(seq, NULL, 10);
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - (int)((t.tv_sec - t0.tv_sec) * 1000 +
				  (t.tv_nsec - t0.tv_nsec) / 1000000);
	}
	return 0;
}

unsigned int tl_seed(const char *suite)
{
	const char *s = getenv("COWSNAP_SEED");
	unsigned int seed;

	seed = s ? (unsigned int)strtoul(s, NULL, 0) :
		   (unsigned int)time(NULL) ^ ((unsigned int)getpid() << 16);
	printf("cowsnap %s: seed %u (COWSNAP_SEED=%u repeats it)\n", suite,
	       seed, seed);
	fflush(stdout);
	return seed;
}
