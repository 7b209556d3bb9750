/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcowsnap: error records, verbose log, number parsing, random volume
 * uuids, size and device number formatting.
 *
 * Every function of the library returns 0 (or a count) on success and a
 * negative errno on failure.  Where errno alone would not say what went
 * wrong, the failing function also records an error (cs_error_set()): the
 * device it concerns and a one-line reason.  The caller prints it once.
 */
#ifndef COWSNAP_UTIL_H
#define COWSNAP_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** CS_VERSION - version of the library and of cowsnapctl */
#define CS_VERSION		"0.1.0"
/** CS_VUUID_LEN - length of a volume uuid: lowercase hex digits */
#define CS_VUUID_LEN		32
/** CS_DEVNO_LEN - buffer size for "major:minor" */
#define CS_DEVNO_LEN		24
/** CS_SIZE_LEN - buffer size for cs_format_size() */
#define CS_SIZE_LEN		16

/**
 * struct cs_error - the last error recorded by the library
 * @err: negative errno that the failing function returned
 * @dev: the device or volume it concerns ("" if none)
 * @why: one line saying what went wrong, without the device
 */
struct cs_error {
	int err;
	char dev[160];
	char why[384];
};

/**
 * cs_error_set() - record why an operation failed
 * @err: negative errno, returned unchanged
 * @dev: device or volume concerned, may be NULL
 * @fmt: printf format of the reason
 *
 * Return: @err, so that callers can write "return cs_error_set(...);".
 */
int cs_error_set(int err, const char *dev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * cs_error_append() - add a note (e.g. a failed undo) to the last record
 * @fmt: printf format of the note, appended after "; "
 */
void cs_error_append(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/**
 * cs_last_error() - the last recorded error
 *
 * Return: the record; its @err is 0 when nothing was recorded since the last
 * cs_error_clear().
 */
const struct cs_error *cs_last_error(void);

/** cs_error_clear() - forget the last recorded error */
void cs_error_clear(void);

/**
 * cs_set_verbose() - set how much the library tells on stderr
 * @level: 0 nothing (errors are only recorded), 1 each step of an
 *	operation and libdevmapper's errors, 2 also libdevmapper's debug log
 */
void cs_set_verbose(int level);

/** cs_verbose() - Return: the level set by cs_set_verbose() */
int cs_verbose(void);

/**
 * cs_vline() - print "cowsnapctl: " @prefix (may be NULL) and the message
 * on stderr as one line: control characters of the text (a newline in a
 * name the user gave, say) are shown as \xNN, so the message stays one
 * line whatever it quotes
 * @prefix: printed first, as it is
 * @fmt: printf format, without trailing newline
 * @ap: its arguments
 */
void cs_vline(const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/**
 * cs_log() - print one line on stderr if the verbose level is >= @level
 * @level: 1 or 2
 * @fmt: printf format, without trailing newline
 */
void cs_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * cs_parse_u64() - parse a decimal unsigned 64-bit number, nothing else
 * @s: the text; no sign, no blanks, no suffix
 * @val: result
 *
 * Return: 0, -EINVAL if @s is not a number, -ERANGE if it does not fit.
 */
int cs_parse_u64(const char *s, uint64_t *val);

/**
 * cs_parse_uint() - parse a decimal number within [@min, @max]
 * @s: the text
 * @min: smallest accepted value
 * @max: largest accepted value
 * @val: result
 *
 * Return: 0, -EINVAL if @s is not a number, -ERANGE if out of range.
 */
int cs_parse_uint(const char *s, unsigned int min, unsigned int max,
		  unsigned int *val);

/**
 * cs_parse_size() - parse a size in bytes: a decimal number with an
 * optional suffix K, M, G, T (or k, m, g, t; powers of 1024)
 * @s: the text, e.g. "512M"; no blanks, no sign
 * @bytes: result
 *
 * Return: 0, -EINVAL if @s is malformed, -ERANGE if it does not fit in
 * 64 bits.
 */
int cs_parse_size(const char *s, uint64_t *bytes);

/**
 * cs_split_fields() - split @line at single spaces, in place
 * @line: the text; each space becomes a NUL
 * @f: receives pointers to the fields, at most @max of them
 * @max: size of @f
 *
 * Two spaces in a row make an empty field, which number parsers refuse.
 * Return: the number of fields, or @max + 1 if there are more.
 */
int cs_split_fields(char *line, char **f, int max);

/**
 * cs_dup_line() - copy a one-line answer without its optional final newline
 * @answer: the answer
 * @copy: receives the copy; free() it
 *
 * Return: 0; -EINVAL if @answer has more than one line; -ENOMEM.
 */
int cs_dup_line(const char *answer, char **copy);

/** CS_PAIRS_MAX - most fields cs_parse_pairs() takes */
#define CS_PAIRS_MAX		16

/**
 * cs_parse_pairs() - split "key=value" fields with exactly @keys, in order
 * @line: the fields, separated by single spaces; modified
 * @keys: the keys
 * @nr: number of @keys, at most CS_PAIRS_MAX
 * @vals: receives a pointer to each value, in @line
 *
 * Return: 0 or -EINVAL.
 */
int cs_parse_pairs(char *line, const char *const *keys, int nr, char **vals);

/**
 * cs_parse_name() - copy a state or event name: 1 to @size - 1 of [a-z0-9_]
 * @s: the text
 * @out: receives the name
 * @size: size of @out
 *
 * Return: 0 or -EINVAL.
 */
int cs_parse_name(const char *s, char *out, size_t size);

/**
 * struct cs_page_parser - how to read one paged answer: a header line,
 * then as many record lines as the header says
 * @size: bytes of one record
 * @header: parses the header line; Return: the number of records that
 *	follow, or -EINVAL
 * @record: parses one record line into @rec (zeroed, @size bytes), checking
 *	it against what came before; Return: 0 or -EINVAL
 */
struct cs_page_parser {
	size_t size;
	int (*header)(char *line, void *arg);
	int (*record)(char *line, void *rec, void *arg);
};

/**
 * cs_parse_page() - parse a paged answer with @p
 * @answer: the answer text; not modified
 * @p: the header and record parsers
 * @arg: passed to @p->header and @p->record
 * @records: receives the records, malloc'ed (NULL if there are none)
 *
 * Nothing may follow the last record but one final newline.
 * Return: the number of records; -EINVAL if a line is refused, missing or
 * extra; -ENOMEM.  *@records is NULL on error.
 */
int cs_parse_page(const char *answer, const struct cs_page_parser *p,
		  void *arg, void **records);

/**
 * cs_seq_next() - check the sequence number of the next event record of
 * a page
 * @prev: number of the record before (the after_seq asked for, before the
 *	first); set to @seq if that is accepted
 * @seq: the record's number
 * @first: oldest record the page's header announces
 * @last: newest one
 *
 * Return: 0 if @seq is above *@prev and within @first..@last; -EINVAL.
 */
int cs_seq_next(uint64_t *prev, uint64_t seq, uint64_t first, uint64_t last);

/**
 * cs_parse_seq_header() - parse "<last_seq> <first_seq> <count>", the
 * header of an "events" answer of cbt and cowsnap targets
 * @line: the header line; modified
 * @kept: most records the target keeps
 * @last_seq: receives the newest record's number (0: none ever)
 * @first_seq: receives the oldest kept record's number
 *
 * Checks first_seq <= last_seq + 1, first_seq 0 only without records ever,
 * and count <= @kept.
 * Return: count, or -EINVAL.
 */
int cs_parse_seq_header(char *line, unsigned int kept, uint64_t *last_seq,
			uint64_t *first_seq);

/**
 * cs_parse_timestamp() - parse "<sec>.<nsec>" of an event record
 * @s: the text; modified (the dot is overwritten)
 * @sec: receives the seconds
 * @nsec: receives the nanoseconds: 1 to 9 digits, below 10^9
 *
 * Return: 0 or -EINVAL.
 */
int cs_parse_timestamp(char *s, int64_t *sec, uint32_t *nsec);

/**
 * cs_is_power_of_2() - Return: true if @v is a power of two (not 0)
 * @v: the value
 */
bool cs_is_power_of_2(uint64_t v);

/**
 * cs_vuuid_generate() - make a new random volume uuid
 * @buf: CS_VUUID_LEN + 1 bytes; receives 32 lowercase hex digits
 *
 * Return: 0 or -errno if no randomness could be read.
 */
int cs_vuuid_generate(char *buf);

/**
 * cs_vuuid_from_bytes() - hex-encode 16 random bytes as a volume uuid
 * @bytes: 16 bytes
 * @buf: CS_VUUID_LEN + 1 bytes
 */
void cs_vuuid_from_bytes(const uint8_t *bytes, char *buf);

/**
 * cs_format_size() - human size of @sectors like lvs: "1.00g", "512.00m"
 * @sectors: size in 512-byte sectors
 * @buf: CS_SIZE_LEN bytes
 *
 * Return: @buf.
 */
char *cs_format_size(uint64_t sectors, char *buf);

/**
 * cs_format_devno() - "major:minor"
 * @major: major number
 * @minor: minor number
 * @buf: CS_DEVNO_LEN bytes
 *
 * Return: @buf.
 */
char *cs_format_devno(uint32_t major, uint32_t minor, char *buf);

#endif /* COWSNAP_UTIL_H */
