// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: error records, verbose log, number parsing, volume uuids,
 * formatting helpers.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "util.h"

/* ------------------------------------------------------------------------
 * Error record and verbose log
 * ---------------------------------------------------------------------- */

static __thread struct cs_error last_error;
static int verbose_level;

int cs_error_set(int err, const char *dev, const char *fmt, ...)
{
	va_list ap;

	last_error.err = err;
	snprintf(last_error.dev, sizeof(last_error.dev), "%s", dev ? dev : "");
	va_start(ap, fmt);
	vsnprintf(last_error.why, sizeof(last_error.why), fmt, ap);
	va_end(ap);
	return err;
}

void cs_error_append(const char *fmt, ...)
{
	size_t len = strlen(last_error.why);
	va_list ap;

	if (len + 2 >= sizeof(last_error.why))
		return;
	if (len) {
		memcpy(last_error.why + len, "; ", 3);
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(last_error.why + len, sizeof(last_error.why) - len, fmt, ap);
	va_end(ap);
}

const struct cs_error *cs_last_error(void)
{
	return &last_error;
}

void cs_error_clear(void)
{
	memset(&last_error, 0, sizeof(last_error));
}

void cs_set_verbose(int level)
{
	verbose_level = level;
}

int cs_verbose(void)
{
	return verbose_level;
}

void cs_vline(const char *prefix, const char *fmt, va_list ap)
{
	const unsigned char *p;
	char *text;

	fprintf(stderr, "%s: %s", program_invocation_short_name,
		prefix ? prefix : "");
	if (vasprintf(&text, fmt, ap) < 0) {
		fputs("(no memory for the message)\n", stderr);
		return;
	}
	for (p = (const unsigned char *)text; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(stderr, "\\x%02x", *p);
		else
			fputc(*p, stderr);
	}
	fputc('\n', stderr);
	free(text);
}

void cs_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (verbose_level < level)
		return;
	va_start(ap, fmt);
	cs_vline(NULL, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------------
 * Parsing
 * ---------------------------------------------------------------------- */

int cs_parse_u64(const char *s, uint64_t *val)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned int d = (unsigned char)*s - '0';

		if (d > 9)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*val = v;
	return 0;
}

int cs_parse_uint(const char *s, unsigned int min, unsigned int max,
		  unsigned int *val)
{
	uint64_t v;
	int r;

	r = cs_parse_u64(s, &v);
	if (r)
		return r;
	if (v < min || v > max)
		return -ERANGE;
	*val = (unsigned int)v;
	return 0;
}

int cs_parse_size(const char *s, uint64_t *bytes)
{
	static const char units[] = "kmgt";
	char num[24], *u;
	unsigned int shift = 0;
	size_t len;
	uint64_t v;
	int r;

	len = s ? strlen(s) : 0;
	if (!len || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len + 1);
	u = strchr(units, num[len - 1] | 0x20);		/* never a digit */
	if (u) {
		shift = 10 * (unsigned int)(u - units + 1);
		num[len - 1] = '\0';
	}
	r = cs_parse_u64(num, &v);
	if (r)
		return r;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*bytes = v << shift;
	return 0;
}

int cs_split_fields(char *line, char **f, int max)
{
	int n = 0;
	char *s;

	while ((s = strsep(&line, " "))) {
		if (n == max)
			return max + 1;
		f[n++] = s;
	}
	return n;
}

int cs_dup_line(const char *answer, char **copy)
{
	size_t len = strlen(answer);

	if (len && answer[len - 1] == '\n')
		len--;
	if (memchr(answer, '\n', len))
		return -EINVAL;
	*copy = strndup(answer, len);
	return *copy ? 0 : -ENOMEM;
}

int cs_parse_pairs(char *line, const char *const *keys, int nr, char **vals)
{
	char *f[CS_PAIRS_MAX];
	size_t len;
	int i;

	if (nr > CS_PAIRS_MAX || cs_split_fields(line, f, nr) != nr)
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		len = strlen(keys[i]);
		if (strncmp(f[i], keys[i], len) || f[i][len] != '=')
			return -EINVAL;
		vals[i] = f[i] + len + 1;
	}
	return 0;
}

int cs_parse_name(const char *s, char *out, size_t size)
{
	size_t len = strlen(s), i;

	if (!len || len >= size)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return -EINVAL;
	memcpy(out, s, len + 1);
	return 0;
}

static int parse_records(char **rest, const struct cs_page_parser *p,
			 void *arg, char *recs, int count)
{
	char *line;
	int i;

	for (i = 0; i < count; i++) {
		line = strsep(rest, "\n");
		if (!line || p->record(line, recs + (size_t)i * p->size, arg))
			return -EINVAL;
	}
	/* Nothing may follow but one final newline. */
	if (*rest && **rest)
		return -EINVAL;
	return count;
}

int cs_parse_page(const char *answer, const struct cs_page_parser *p,
		  void *arg, void **records)
{
	char *copy, *rest, *recs = NULL;
	int r;

	*records = NULL;
	copy = strdup(answer);
	if (!copy)
		return -ENOMEM;
	rest = copy;
	r = p->header(strsep(&rest, "\n"), arg);
	if (r > 0) {
		recs = calloc((size_t)r, p->size);
		if (!recs)
			r = -ENOMEM;
	}
	if (r >= 0)
		r = parse_records(&rest, p, arg, recs, r);
	free(copy);
	if (r < 0)
		free(recs);
	else
		*records = recs;
	return r;
}

int cs_seq_next(uint64_t *prev, uint64_t seq, uint64_t first, uint64_t last)
{
	if (seq <= *prev || seq < first || seq > last)
		return -EINVAL;
	*prev = seq;
	return 0;
}

int cs_parse_seq_header(char *line, unsigned int kept, uint64_t *last_seq,
			uint64_t *first_seq)
{
	uint64_t count;
	char *f[3];

	if (cs_split_fields(line, f, 3) != 3 ||
	    cs_parse_u64(f[0], last_seq) || cs_parse_u64(f[1], first_seq) ||
	    cs_parse_u64(f[2], &count) || count > kept ||
	    (!*first_seq && *last_seq) ||
	    (*first_seq && *first_seq - 1 > *last_seq))
		return -EINVAL;
	return (int)count;
}

int cs_parse_timestamp(char *s, int64_t *sec, uint32_t *nsec)
{
	char *dot = strchr(s, '.');
	uint64_t a, b;

	if (!dot || dot - s > 19 || strlen(dot + 1) > 9)
		return -EINVAL;
	*dot = '\0';
	if (cs_parse_u64(s, &a) || cs_parse_u64(dot + 1, &b) ||
	    a > INT64_MAX || b >= 1000000000)
		return -EINVAL;
	*sec = (int64_t)a;
	*nsec = (uint32_t)b;
	return 0;
}

bool cs_is_power_of_2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* ------------------------------------------------------------------------
 * Volume uuids
 * ---------------------------------------------------------------------- */

void cs_vuuid_from_bytes(const uint8_t *bytes, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < CS_VUUID_LEN / 2; i++) {
		buf[2 * i] = hex[bytes[i] >> 4];
		buf[2 * i + 1] = hex[bytes[i] & 0xf];
	}
	buf[CS_VUUID_LEN] = '\0';
}

static int read_urandom(uint8_t *bytes, size_t len)
{
	ssize_t n;
	int fd, r = 0;

	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, bytes, len);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;
	close(fd);
	return r;
}

int cs_vuuid_generate(char *buf)
{
	uint8_t bytes[CS_VUUID_LEN / 2];
	ssize_t n;
	int r;

	do
		n = getrandom(bytes, sizeof(bytes), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(bytes)) {
		r = read_urandom(bytes, sizeof(bytes));
		if (r)
			return cs_error_set(r, NULL,
					    "cannot read random bytes: %s",
					    strerror(-r));
	}
	cs_vuuid_from_bytes(bytes, buf);
	return 0;
}

/* ------------------------------------------------------------------------
 * Formatting
 * ---------------------------------------------------------------------- */

char *cs_format_size(uint64_t sectors, char *buf)
{
	static const char units[] = "kmgtpe";
	long double v;
	unsigned int i = 0;

	if (sectors < 2) {
		snprintf(buf, CS_SIZE_LEN, "%ub", (unsigned int)sectors * 512);
		return buf;
	}
	v = (long double)sectors / 2;	/* KiB */
	while (v >= 1024 && units[i + 1]) {
		v /= 1024;
		i++;
	}
	snprintf(buf, CS_SIZE_LEN, "%.2Lf%c", v, units[i]);
	return buf;
}

char *cs_format_devno(uint32_t major, uint32_t minor, char *buf)
{
	snprintf(buf, CS_DEVNO_LEN, "%" PRIu32 ":%" PRIu32, major, minor);
	return buf;
}
