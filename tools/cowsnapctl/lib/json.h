/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcowsnap: a small streaming JSON writer.
 *
 * Values are written in order; inside an object every value takes a key,
 * inside an array (or at the top level) none.  Misuse (a missing key, an
 * unbalanced end, nesting deeper than CS_JSON_DEPTH_MAX) is remembered and
 * reported by cs_json_finish(), so that callers need not check each call.
 *
 *	struct cs_json j;
 *
 *	cs_json_init(&j, stdout, CS_JSON_PRETTY);
 *	cs_json_begin_object(&j, NULL);
 *	cs_json_string(&j, "name", "data");
 *	cs_json_end_object(&j);
 *	r = cs_json_finish(&j);
 */
#ifndef COWSNAP_JSON_H
#define COWSNAP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** CS_JSON_PRETTY - indent by two spaces, one member per line */
#define CS_JSON_PRETTY		0x1
/** CS_JSON_DEPTH_MAX - deepest nesting of objects and arrays */
#define CS_JSON_DEPTH_MAX	16

/**
 * struct cs_json - writer state; treat as opaque
 * @f: output stream
 * @flags: CS_JSON_*
 * @depth: open containers
 * @count: values written so far in each open container (0: top level)
 * @close: closing character of each open container
 * @err: first error, 0 if none
 */
struct cs_json {
	FILE *f;
	unsigned int flags;
	unsigned int depth;
	unsigned int count[CS_JSON_DEPTH_MAX + 1];
	char close[CS_JSON_DEPTH_MAX + 1];
	int err;
};

/**
 * cs_json_init() - start a JSON document
 * @j: writer state
 * @f: output stream
 * @flags: CS_JSON_PRETTY or 0 (one line)
 */
void cs_json_init(struct cs_json *j, FILE *f, unsigned int flags);

/**
 * cs_json_begin_object() - open an object
 * @j: writer
 * @key: member name inside an object, NULL elsewhere
 */
void cs_json_begin_object(struct cs_json *j, const char *key);
/** cs_json_end_object() - close the innermost object */
void cs_json_end_object(struct cs_json *j);
/**
 * cs_json_begin_array() - open an array
 * @j: writer
 * @key: member name inside an object, NULL elsewhere
 */
void cs_json_begin_array(struct cs_json *j, const char *key);
/** cs_json_end_array() - close the innermost array */
void cs_json_end_array(struct cs_json *j);

/** cs_json_string() - a string value, escaped; NULL @val writes null */
void cs_json_string(struct cs_json *j, const char *key, const char *val);
/** cs_json_u64() - an unsigned integer value */
void cs_json_u64(struct cs_json *j, const char *key, uint64_t val);
/** cs_json_i64() - a signed integer value */
void cs_json_i64(struct cs_json *j, const char *key, int64_t val);
/** cs_json_bool() - true or false */
void cs_json_bool(struct cs_json *j, const char *key, bool val);
/** cs_json_null() - null */
void cs_json_null(struct cs_json *j, const char *key);

/**
 * cs_json_finish() - end the document with a newline and flush
 * @j: writer
 *
 * Return: 0; -EINVAL if the document is incomplete or was misused;
 * -EIO (or the stream's errno) if writing failed.
 */
int cs_json_finish(struct cs_json *j);

/**
 * cs_json_escape() - write @s as a JSON string literal, quotes included
 * @s: NUL-terminated text, any bytes
 * @buf: output buffer
 * @size: size of @buf; the output is always terminated if @size > 0
 *
 * '"', '\\' and control characters are escaped (\n, \t, ... or \u00XX),
 * DEL as \u007f; bytes that are not valid UTF-8 become U+FFFD.
 *
 * Return: length of the full literal (as snprintf(): if >= @size, the
 * output was truncated).
 */
size_t cs_json_escape(const char *s, char *buf, size_t size);

#endif /* COWSNAP_JSON_H */
