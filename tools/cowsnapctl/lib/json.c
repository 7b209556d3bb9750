// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: a small streaming JSON writer (see json.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "json.h"

/* ------------------------------------------------------------------------
 * String escaping
 * ---------------------------------------------------------------------- */

typedef void (*put_fn)(void *ctx, const char *p, size_t n);

struct sbuf {
	char *buf;
	size_t size;
	size_t len;
};

static void sbuf_put(void *ctx, const char *p, size_t n)
{
	struct sbuf *sb = ctx;
	size_t room = sb->size > sb->len ? sb->size - sb->len - 1 : 0;

	if (room > n)
		room = n;
	if (room)
		memcpy(sb->buf + sb->len, p, room);
	sb->len += n;
}

static void file_put(void *ctx, const char *p, size_t n)
{
	fwrite(p, 1, n, ctx);
}

/* Length of the valid UTF-8 sequence at @p, 0 if it is not valid. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;		/* overlong */
	else if (p[0] == 0xed)
		hi = 0x9f;		/* surrogates */
	else if (p[0] == 0xf0)
		lo = 0x90;		/* overlong */
	else if (p[0] == 0xf4)
		hi = 0x8f;		/* above U+10FFFF */
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

static void escape(const char *s, put_fn put, void *ctx)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[8];
	size_t n;

	put(ctx, "\"", 1);
	while (*p) {
		const char *e = NULL;

		switch (*p) {
		case '"':  e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		}
		if (e) {
			put(ctx, e, strlen(e));
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			put(ctx, esc, 6);
			p++;
		} else if ((n = utf8_len(p))) {
			put(ctx, (const char *)p, n);
			p += n;
		} else {
			put(ctx, "\\ufffd", 6);
			p++;
		}
	}
	put(ctx, "\"", 1);
}

size_t cs_json_escape(const char *s, char *buf, size_t size)
{
	struct sbuf sb = { .buf = buf, .size = size };

	escape(s, sbuf_put, &sb);
	if (size)
		buf[sb.len < size ? sb.len : size - 1] = '\0';
	return sb.len;
}

/* ------------------------------------------------------------------------
 * Writer
 * ---------------------------------------------------------------------- */

void cs_json_init(struct cs_json *j, FILE *f, unsigned int flags)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->flags = flags;
}

static void newline(struct cs_json *j, unsigned int depth)
{
	unsigned int i;

	if (!(j->flags & CS_JSON_PRETTY))
		return;
	fputc('\n', j->f);
	for (i = 0; i < depth; i++)
		fputs("  ", j->f);
}

/* Separator, indentation and key before a value; checks the key rule. */
static bool begin_value(struct cs_json *j, const char *key)
{
	bool in_object = j->depth && j->close[j->depth] == '}';

	if (j->err)
		return false;
	if (!!key != in_object || (!j->depth && j->count[0])) {
		j->err = -EINVAL;
		return false;
	}
	if (j->count[j->depth]++)
		fputc(',', j->f);
	if (j->depth)
		newline(j, j->depth);
	if (key) {
		escape(key, file_put, j->f);
		fputs(j->flags & CS_JSON_PRETTY ? ": " : ":", j->f);
	}
	return true;
}

static void begin(struct cs_json *j, const char *key, char open, char close)
{
	if (!begin_value(j, key))
		return;
	if (j->depth == CS_JSON_DEPTH_MAX) {
		j->err = -EINVAL;
		return;
	}
	fputc(open, j->f);
	j->depth++;
	j->count[j->depth] = 0;
	j->close[j->depth] = close;
}

static void end(struct cs_json *j, char close)
{
	if (j->err)
		return;
	if (!j->depth || j->close[j->depth] != close) {
		j->err = -EINVAL;
		return;
	}
	if (j->count[j->depth])
		newline(j, j->depth - 1);
	fputc(close, j->f);
	j->depth--;
}

void cs_json_begin_object(struct cs_json *j, const char *key)
{
	begin(j, key, '{', '}');
}

void cs_json_end_object(struct cs_json *j)
{
	end(j, '}');
}

void cs_json_begin_array(struct cs_json *j, const char *key)
{
	begin(j, key, '[', ']');
}

void cs_json_end_array(struct cs_json *j)
{
	end(j, ']');
}

void cs_json_string(struct cs_json *j, const char *key, const char *val)
{
	if (!begin_value(j, key))
		return;
	if (val)
		escape(val, file_put, j->f);
	else
		fputs("null", j->f);
}

void cs_json_u64(struct cs_json *j, const char *key, uint64_t val)
{
	if (begin_value(j, key))
		fprintf(j->f, "%" PRIu64, val);
}

void cs_json_i64(struct cs_json *j, const char *key, int64_t val)
{
	if (begin_value(j, key))
		fprintf(j->f, "%" PRId64, val);
}

void cs_json_bool(struct cs_json *j, const char *key, bool val)
{
	if (begin_value(j, key))
		fputs(val ? "true" : "false", j->f);
}

void cs_json_null(struct cs_json *j, const char *key)
{
	if (begin_value(j, key))
		fputs("null", j->f);
}

int cs_json_finish(struct cs_json *j)
{
	if (!j->err && (j->depth || !j->count[0]))
		j->err = -EINVAL;
	if (j->err)
		return j->err;
	fputc('\n', j->f);
	errno = 0;
	if (fflush(j->f) || ferror(j->f))
		return errno ? -errno : -EIO;
	return 0;
}
