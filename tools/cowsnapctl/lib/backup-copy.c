// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: copy ranges of a device into a backup's data file, hashing
 * what is written: packed one after the other (a delta), or at their
 * offsets with holes for zero blocks (an image).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "backup.h"

/* Bytes read at a time; a multiple of every logical block size. */
#define COPY_BUF	(1U << 20)
/* Zero blocks of this size become holes in an image. */
#define HOLE_BLOCK	4096U

static int read_full(struct cs_bk_copy *c, void *buf, size_t len,
		     uint64_t off)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(c->in, (char *)buf + done, len - done,
			  (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			c->read_failed = true;
			return cs_error_set(-errno, c->in_name, "read: %s",
					    strerror(errno));
		}
		if (!n)
			return cs_error_set(-EIO, c->in_name,
					    "read: unexpected end at byte %llu",
					    (unsigned long long)(off + done));
		done += (size_t)n;
	}
	return 0;
}

static int write_full(struct cs_bk_copy *c, const void *buf, size_t len,
		      uint64_t off, bool at)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = at ? pwrite(c->out, (const char *)buf + done, len - done,
				(off_t)(off + done)) :
			 write(c->out, (const char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cs_error_set(-errno, c->out_name, "write: %s",
					    strerror(errno));
		done += (size_t)n;
	}
	return 0;
}

static bool is_zero(const char *p, size_t len)
{
	return !p[0] && !memcmp(p, p + 1, len - 1);
}

/* Write @len bytes read from @off at @off, skipping zero blocks. */
static int write_sparse(struct cs_bk_copy *c, const char *buf, size_t len,
			uint64_t off)
{
	size_t i = 0, start, step;
	int r;

	while (i < len) {
		step = len - i < HOLE_BLOCK ? len - i : HOLE_BLOCK;
		if (is_zero(buf + i, step)) {
			i += step;
			continue;
		}
		start = i;
		while (i < len) {
			step = len - i < HOLE_BLOCK ? len - i : HOLE_BLOCK;
			if (is_zero(buf + i, step))
				break;
			i += step;
		}
		r = write_full(c, buf + start, i - start, off + start, true);
		if (r)
			return r;
	}
	return 0;
}

static int copy_piece(struct cs_bk_copy *c, char *buf, size_t len,
		      uint64_t off)
{
	int r;

	r = read_full(c, buf, len, off);
	if (r)
		return r;
	if (!EVP_DigestUpdate(c->sha, buf, len))
		return -ENOMEM;
	r = c->packed ? write_full(c, buf, len, 0, false) :
	    write_sparse(c, buf, len, off);
	if (r)
		return r;
	c->done += len;
	if (c->progress)
		c->progress(c->priv, c->done, c->total);
	return 0;
}

int cs_bk_copy_ranges(struct cs_bk_copy *c, const struct cs_bk_range *r,
		      size_t nr)
{
	uint64_t off, end;
	size_t i, len;
	void *buf;
	int err = 0;

	if (!c->sha) {
		c->sha = EVP_MD_CTX_new();
		if (!c->sha || !EVP_DigestInit_ex(c->sha, EVP_sha256(), NULL))
			return -ENOMEM;
	}
	/* aligned for an O_DIRECT @c->in */
	if (posix_memalign(&buf, 4096, COPY_BUF))
		return -ENOMEM;
	for (i = 0; i < nr && !err; i++) {
		end = r[i].offset + r[i].length;
		for (off = r[i].offset; off < end && !err; off += len) {
			if (c->stop && *c->stop) {
				err = -EINTR;
				break;
			}
			len = end - off < COPY_BUF ? (size_t)(end - off) :
			      COPY_BUF;
			err = copy_piece(c, buf, len, off);
		}
	}
	free(buf);
	return err;
}

void cs_bk_copy_finish(struct cs_bk_copy *c, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (c->sha && hex && EVP_DigestFinal_ex(c->sha, md, &n))
		for (i = 0; i < n && i < 32; i++)
			sprintf(hex + 2 * i, "%02x", md[i]);
	EVP_MD_CTX_free(c->sha);
	c->sha = NULL;
}
