// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers of the cowsnap suites: see cowsnap-test.h.
 */
#include <inttypes.h>
#include <sys/stat.h>

#include "cowsnap-test.h"

int ct_run(const char *fmt, ...)
{
	char *cmd, *out = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	r = tl_run(&out, "%s", cmd);
	if (r)
		fprintf(stderr, "'%s' failed (%d): %s", cmd, r, out ? out : "");
	free(out);
	free(cmd);
	return r;
}

uint64_t ct_rnd(struct ct_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t ct_below(struct ct_rng *r, uint64_t n)
{
	return n ? ct_rnd(r) % n : 0;
}

uint64_t ct_csum(const struct ct_sector *s)
{
	const uint64_t *w = (const uint64_t *)s;
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned int i;

	for (i = 0; i < 63; i++)
		h = (h ^ w[i]) * 0x100000001b3ULL ^ (h >> 29);
	return h;
}

void ct_sector_fill(void *buf, uint64_t sector, uint64_t gen,
				  uint32_t tag)
{
	struct ct_sector *s = buf;
	uint64_t x = (sector * 0x9e3779b97f4a7c15ULL) ^
		     (gen * 0xc2b2ae3d27d4eb4fULL) ^ ((uint64_t)tag << 40) ^ 1;
	unsigned int i;

	s->magic = CT_MAGIC;
	s->sector = sector;
	s->gen = gen;
	s->tag = tag;
	s->zero = 0;
	for (i = 0; i < 59; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		s->payload[i] = x;
	}
	s->csum = ct_csum(s);
}

void ct_fill(void *buf, uint64_t sector, uint64_t n,
			   uint64_t gen, uint32_t tag)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		ct_sector_fill((char *)buf + i * CT_SECTOR, sector + i, gen,
			       tag);
}

bool ct_sector_is(const void *buf, uint64_t sector,
				uint64_t gen, uint32_t tag)
{
	const struct ct_sector *s = buf;
	struct ct_sector want;

	if (s->magic != CT_MAGIC || s->sector != sector || s->gen != gen ||
	    s->tag != tag)
		return false;
	ct_sector_fill(&want, sector, gen, tag);
	return !memcmp(s, &want, sizeof(want));
}

bool ct_sector_zero(const void *buf)
{
	const uint64_t *w = buf;
	unsigned int i;

	for (i = 0; i < 64; i++)
		if (w[i])
			return false;
	return true;
}

const char *ct_describe(const void *buf, char *out, size_t size)
{
	const struct ct_sector *s = buf;

	if (ct_sector_zero(buf))
		snprintf(out, size, "zeros");
	else if (s->magic != CT_MAGIC)
		snprintf(out, size, "no sector header (%016llx)",
			 (unsigned long long)s->magic);
	else if (s->csum != ct_csum(s))
		snprintf(out, size, "a torn sector (header: sector %llu gen "
			 "%llu tag %u)", (unsigned long long)s->sector,
			 (unsigned long long)s->gen, s->tag);
	else
		snprintf(out, size, "sector %llu gen %llu tag %u",
			 (unsigned long long)s->sector,
			 (unsigned long long)s->gen, s->tag);
	return out;
}

int ct_write(int fd, uint64_t sector, uint64_t n, uint64_t gen,
			   uint32_t tag)
{
	void *buf = tl_alloc_aligned(n * CT_SECTOR);
	ssize_t r;

	ct_fill(buf, sector, n, gen, tag);
	r = pwrite(fd, buf, n * CT_SECTOR, (off_t)(sector * CT_SECTOR));
	free(buf);
	if (r < 0)
		return -errno;
	return r == (ssize_t)(n * CT_SECTOR) ? 0 : -EIO;
}

int ct_write_path(const char *path, uint64_t sector, uint64_t n,
				uint64_t gen, uint32_t tag)
{
	int fd = open(path, O_WRONLY | O_DIRECT), r;

	if (fd < 0)
		return -errno;
	r = ct_write(fd, sector, n, gen, tag);
	close(fd);
	return r;
}

int ct_read(int fd, void *buf, uint64_t sector, uint64_t n)
{
	ssize_t r = pread(fd, buf, n * CT_SECTOR, (off_t)(sector * CT_SECTOR));

	if (r < 0)
		return -errno;
	return r == (ssize_t)(n * CT_SECTOR) ? 0 : -EIO;
}

int ct_read_path(const char *path, uint64_t sector, uint64_t n)
{
	void *buf = tl_alloc_aligned(n * CT_SECTOR);
	int fd = open(path, O_RDONLY | O_DIRECT), r;

	r = fd < 0 ? -errno : ct_read(fd, buf, sector, n);
	if (fd >= 0)
		close(fd);
	free(buf);
	return r;
}

uint64_t ct_verify(const char *what, const char *path,
				 uint64_t first, uint64_t n,
				 const uint32_t *gens, const uint8_t *zero_ok,
				 uint32_t tag, uint64_t *first_bad)
{
	uint64_t done, s, i, len, bad = 0;
	void *buf = tl_alloc_aligned(CT_IO_MAX);
	int fd = open(path, O_RDONLY | O_DIRECT), r;
	char desc[160];

	if (fd < 0) {
		fprintf(stderr, "%s: cannot open %s: %s\n", what, path,
			strerror(errno));
		free(buf);
		return n;
	}
	for (done = 0; done < n; done += len) {
		len = n - done < CT_IO_MAX / CT_SECTOR ? n - done :
						       CT_IO_MAX / CT_SECTOR;
		r = ct_read(fd, buf, first + done, len);
		if (r) {
			fprintf(stderr, "%s: read of sectors %llu+%llu: %s\n",
				what, (unsigned long long)(first + done),
				(unsigned long long)len, strerror(-r));
			if (!bad && first_bad)
				*first_bad = first + done;
			bad += n - done;
			break;
		}
		for (i = 0; i < len; i++) {
			const char *sec = (const char *)buf + i * CT_SECTOR;

			s = first + done + i;
			if (ct_sector_is(sec, s, gens ? gens[s] : 0, tag) ||
			    (zero_ok && zero_ok[s] && ct_sector_zero(sec)))
				continue;
			if (!bad && first_bad)
				*first_bad = s;
			if (bad++ < 6)
				fprintf(stderr, "%s: sector %llu: want gen %u "
					"tag %u%s, found %s\n", what,
					(unsigned long long)s,
					gens ? gens[s] : 0, tag,
					zero_ok && zero_ok[s] ? " or zeros" :
					"", ct_describe(sec, desc,
							sizeof(desc)));
		}
	}
	if (bad > 6)
		fprintf(stderr, "%s: %llu bad sectors in all\n", what,
			(unsigned long long)bad);
	close(fd);
	free(buf);
	return bad;
}

int ct_fill_device(const char *path, uint64_t n, uint64_t gen,
				 uint32_t tag)
{
	int fd = open(path, O_WRONLY | O_DIRECT), r = 0;
	uint64_t done, len;

	if (fd < 0)
		return -errno;
	for (done = 0; done < n && !r; done += len) {
		len = n - done < CT_IO_MAX / CT_SECTOR ? n - done :
						       CT_IO_MAX / CT_SECTOR;
		r = ct_write(fd, done, len, gen, tag);
	}
	if (!r && fsync(fd))
		r = -errno;
	close(fd);
	return r;
}

int ct_model_init(struct ct_model *m, uint64_t sectors)
{
	m->sectors = sectors;
	m->gens = calloc(sectors, sizeof(*m->gens));
	m->busy = calloc(sectors, 1);
	m->zero_ok = calloc(sectors, 1);
	pthread_mutex_init(&m->lock, NULL);
	return m->gens && m->busy && m->zero_ok ? 0 : -1;
}

void ct_model_free(struct ct_model *m)
{
	free(m->gens);
	free(m->busy);
	free(m->zero_ok);
	m->gens = NULL;
	m->busy = m->zero_ok = NULL;
}

void ct_model_copy(struct ct_model *dst,
				 const struct ct_model *src)
{
	memcpy(dst->gens, src->gens, src->sectors * sizeof(*dst->gens));
	memcpy(dst->zero_ok, src->zero_ok, src->sectors);
}

bool ct_model_claim(struct ct_model *m, uint64_t sector,
				  uint64_t n)
{
	uint64_t i;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < n && !m->busy[sector + i]; i++)
		;
	if (i == n)
		memset(m->busy + sector, 1, n);
	pthread_mutex_unlock(&m->lock);
	return i == n;
}

void ct_model_release(struct ct_model *m, uint64_t sector,
				    uint64_t n, uint32_t gen,
				    enum ct_kind kind)
{
	uint64_t i;

	pthread_mutex_lock(&m->lock);
	for (i = sector; i < sector + n; i++) {
		if (kind != CT_DISCARD)
			m->gens[i] = kind == CT_ZEROOUT ? CT_GEN_ZERO : gen;
		m->zero_ok[i] = kind != CT_WRITE;
	}
	memset(m->busy + sector, 0, n);
	pthread_mutex_unlock(&m->lock);
}

uint32_t ct_next_gen(void)
{
	static uint32_t gen;

	return __atomic_add_fetch(&gen, 1, __ATOMIC_SEQ_CST);
}

uint64_t ct_model_verify(const char *what, const char *path,
				       const struct ct_model *m,
				       uint64_t *first_bad)
{
	return ct_verify(what, path, 0, m->sectors, m->gens, m->zero_ok, 0,
			 first_bad);
}

int ct_vol_create_in(struct ct_vol *v, const char *what,
				   uint64_t sectors, const char *dir)
{
	char table[256], name[64];

	memset(v, 0, sizeof(*v));
	snprintf(v->member, sizeof(v->member), "%s", what);
	v->sectors = sectors;
	snprintf(name, sizeof(name), "%s-lower", what);
	snprintf(v->lower, sizeof(v->lower), "%s", tl_dm_name(name));
	snprintf(v->top, sizeof(v->top), "%s", tl_dm_name(what));
	snprintf(name, sizeof(name), "%s-img", what);
	snprintf(v->image, sizeof(v->image), "%s", tl_dm_name(name));
	snprintf(v->lower_dev, sizeof(v->lower_dev), "/dev/mapper/%s",
		 v->lower);
	snprintf(v->top_dev, sizeof(v->top_dev), "/dev/mapper/%s", v->top);
	snprintf(v->image_dev, sizeof(v->image_dev), "/dev/mapper/%s",
		 v->image);
	v->loop = dir ? tl_loop_create_in(dir, sectors * CT_SECTOR) :
			tl_loop_create(sectors * CT_SECTOR);
	if (!v->loop)
		return -1;
	snprintf(table, sizeof(table), "0 %llu linear %s 0",
		 (unsigned long long)sectors, v->loop);
	if (tl_dm_create(v->lower, table))
		return -1;
	snprintf(table, sizeof(table), "0 %llu linear %s 0",
		 (unsigned long long)sectors, v->lower_dev);
	if (tl_dm_create(v->top, table))
		return -1;
	/* Runs before the top's removal: a test may fail while suspended. */
	tl_defer("dmsetup remove %s 2>/dev/null; dmsetup resume %s "
		 "2>/dev/null; true", v->image, v->top);
	return 0;
}

int ct_vol_create(struct ct_vol *v, const char *what,
				uint64_t sectors)
{
	return ct_vol_create_in(v, what, sectors, NULL);
}

void ct_vol_free(struct ct_vol *v)
{
	free(v->loop);
	v->loop = NULL;
}

void ct_set_init(struct ct_set *s, const char *what,
			       const char *store, uint32_t chunk,
			       const char *opts)
{
	static unsigned int nr;

	snprintf(s->id, sizeof(s->id), "%s-%d-%u", what, (int)getpid(), ++nr);
	snprintf(s->store, sizeof(s->store), "%s", store);
	s->chunk = chunk;
	snprintf(s->opts, sizeof(s->opts), "%s", opts ? opts : "");
}

void ct_line(char *buf, size_t size, const char *target,
			   const struct ct_set *s, const struct ct_vol *v)
{
	snprintf(buf, size, "0 %llu %s %s %s %s %s %u%s",
		 (unsigned long long)v->sectors, target, v->lower_dev,
		 s->store, s->id, v->member, s->chunk, s->opts);
}

int ct_snapshot(const struct ct_set *s, struct ct_vol **v,
			      unsigned int n)
{
	char table[CT_LINE_MAX];
	unsigned int i;
	int r = 0;

	for (i = 0; i < n && !r; i++) {
		ct_line(table, sizeof(table), COWSNAP_ORIGIN_TARGET_NAME, s,
			v[i]);
		r = ct_run("dmsetup reload %s --table '%s'", v[i]->top, table);
	}
	for (i = 0; i < n && !r; i++)
		r = ct_run("dmsetup suspend %s", v[i]->top);
	for (i = 0; i < n; i++)		/* every top, whatever happened */
		if (ct_run("dmsetup resume %s", v[i]->top))
			r = -1;
	return r ? -1 : 0;
}

int ct_image_create(const struct ct_set *s, struct ct_vol *v)
{
	char table[CT_LINE_MAX];

	ct_line(table, sizeof(table), COWSNAP_IMAGE_TARGET_NAME, s, v);
	if (!tl_dm_create(v->image, table))
		return 0;
	fprintf(stderr, "cannot create image '%s'\n", table);
	return -1;
}

int ct_snapshot1(const struct ct_set *s, struct ct_vol *v)
{
	return ct_snapshot(s, &v, 1) || ct_image_create(s, v) ? -1 : 0;
}

int ct_drop(struct ct_vol **v, unsigned int n)
{
	unsigned int i;
	int r = 0;

	for (i = 0; i < n; i++)
		if (tl_run(NULL, "dmsetup info %s", v[i]->image) == 0 &&
		    ct_run("dmsetup remove %s", v[i]->image))
			r = -1;
	for (i = 0; i < n; i++)
		if (ct_run("dmsetup reload %s --table '0 %llu linear %s 0' && "
			   "dmsetup suspend %s && dmsetup resume %s",
			   v[i]->top, (unsigned long long)v[i]->sectors,
			   v[i]->lower_dev, v[i]->top, v[i]->top))
			r = -1;
	return r;
}

int ct_drop1(struct ct_vol *v)
{
	return ct_drop(&v, 1);
}

int ct_message(const char *name, const char *msg, char **out)
{
	char *ans = NULL;
	int r = cs_dm_message(name, msg, &ans);

	if (out)
		*out = r ? NULL : ans;
	else
		free(ans);
	return r;
}

int64_t ct_event_nr(const char *name)
{
	struct cs_dm_info info;

	if (cs_dm_info(name, &info) || !info.exists)
		return -1;
	return info.event_nr;
}

int ct_status(const char *name, struct ct_status *st)
{
	struct cs_table t = { 0 };
	const char *text = "";
	int n = -1, end = 0;

	memset(st, 0, sizeof(*st));
	if (!cs_dm_status(name, &t) && t.nr == 1) {
		snprintf(st->target, sizeof(st->target), "%s",
			 t.targets[0].type);
		text = t.targets[0].params;
		n = sscanf(text, "%15s %u %llu %llu %llu %llu %llu %llu %n",
			   st->state, &st->error, &st->chunk_size,
			   &st->store_used, &st->store_size, &st->copied,
			   &st->memory, &st->last_event, &end);
	}
	if (n != COWSNAP_STATUS_FIELDS || text[end]) {
		fprintf(stderr, "%s: bad status '%s %s'\n", name, st->target,
			text);
		n = -1;
	}
	cs_table_free(&t);
	return n < 0 ? -1 : 0;
}

int ct_info(const char *name, struct ct_info *in)
{
	char *out = NULL;
	int n = -1, end = 0;

	memset(in, 0, sizeof(*in));
	if (!ct_message(name, COWSNAP_MSG_INFO, &out))
		n = sscanf(out, "set=%79s member=%79s state=%15s error=%u "
			   "chunk_size=%llu store_used=%llu store_size=%llu "
			   "store_dev=%31s members=%u copied=%llu "
			   "set_copied=%llu written=%llu memory=%llu "
			   "low_water=%u last_event=%llu %n", in->set,
			   in->member, in->state, &in->error, &in->chunk_size,
			   &in->store_used, &in->store_size, in->store_dev,
			   &in->members, &in->copied, &in->set_copied,
			   &in->written, &in->memory, &in->low_water,
			   &in->last_event, &end);
	if (n != 15 || out[end]) {
		fprintf(stderr, "%s: bad info answer '%s'\n", name,
			out ? out : "");
		n = -1;
	}
	free(out);
	return n < 0 ? -1 : 0;
}

int ct_events_max(const char *name, unsigned long long after,
				unsigned int max, struct ct_events *e)
{
	char msg[64], *out = NULL, *p;
	unsigned int i;
	int n;

	memset(e, 0, sizeof(*e));
	n = snprintf(msg, sizeof(msg), COWSNAP_MSG_EVENTS " %llu", after);
	if (max)
		snprintf(msg + n, sizeof(msg) - n, " %u", max);
	if (ct_message(name, msg, &out) ||
	    sscanf(out, "%llu %llu %u%n", &e->last, &e->first, &e->count,
		   &n) != 3 || e->count > (max ? max : COWSNAP_EVENTS_KEPT))
		goto bad;
	for (p = out + n, i = 0; i < e->count; i++, p += n) {
		struct ct_event *ev = &e->ev[i];

		if (sscanf(p, " %llu %lld.%lld %23s %79s %llu%n", &ev->seq,
			   &ev->sec, &ev->nsec, ev->event, ev->member,
			   &ev->value, &n) != 6 || ev->seq <= after ||
		    ev->seq > e->last || (i && ev->seq != e->ev[i - 1].seq + 1))
			goto bad;
	}
	if (p[strspn(p, " \n")])
		goto bad;
	free(out);
	return 0;
bad:
	fprintf(stderr, "%s: '%s': bad answer '%.400s'\n", name, msg,
		out ? out : "");
	free(out);
	return -1;
}

int ct_events(const char *name, unsigned long long after,
			    struct ct_events *e)
{
	return ct_events_max(name, after, 0, e);
}

const struct ct_event *ct_event_find(const struct ct_events *e,
						   const char *event)
{
	unsigned int i;

	for (i = 0; i < e->count; i++)
		if (!strcmp(e->ev[i].event, event))
			return &e->ev[i];
	return NULL;
}

unsigned int ct_event_count(const struct ct_events *e,
					  const char *event)
{
	unsigned int i, n = 0;

	for (i = 0; i < e->count; i++)
		n += !strcmp(e->ev[i].event, event);
	return n;
}

int ct_wait_record(const char *name, unsigned long long after,
				 const char *event, int ms,
				 struct ct_event *ev)
{
	struct ct_events *e = malloc(sizeof(*e));
	const struct ct_event *f = NULL;
	int waited;

	if (!e)
		abort();
	for (waited = 0; waited <= ms; waited += 100) {
		if (!ct_events(name, after, e) &&
		    (f = ct_event_find(e, event)))
			break;
		usleep(100000);
	}
	if (f)
		*ev = *f;
	free(e);
	return f ? 0 : -1;
}

bool ct_wait_event_nr(const char *name, int64_t before, int ms)
{
	int waited;

	for (waited = 0; waited <= ms; waited += 100) {
		if (ct_event_nr(name) > before)
			return true;
		usleep(100000);
	}
	return false;
}

long ct_written(const char *name, uint64_t sectors,
			      uint64_t chunk_sectors, unsigned int max,
			      uint8_t *chunks)
{
	unsigned long long from = 0, next, start, nr, prev;
	unsigned int count, i;
	char msg[96], *ans = NULL, *p;
	long ranges = 0;
	uint64_t c;
	int n;

	memset(chunks, 0, (sectors + chunk_sectors - 1) / chunk_sectors);
	while (from < sectors) {
		n = snprintf(msg, sizeof(msg), COWSNAP_MSG_WRITTEN " %llu",
			     from);
		if (max)
			snprintf(msg + n, sizeof(msg) - n, " %u", max);
		if (ct_message(name, msg, &ans) ||
		    sscanf(ans, "%llu %u%n", &next, &count, &n) != 2 ||
		    next <= from || next > sectors ||
		    count > (max ? max : COWSNAP_RANGES_MAX))
			goto bad;
		for (p = ans + n, prev = from, i = 0; i < count; i++, p += n) {
			if (sscanf(p, " %llu %llu%n", &start, &nr, &n) != 2 ||
			    !nr || start < prev || start % chunk_sectors ||
			    start + nr > next ||
			    (nr % chunk_sectors && start + nr != sectors))
				goto bad;
			for (c = start / chunk_sectors;
			     c * chunk_sectors < start + nr; c++)
				chunks[c] = 1;
			prev = start + nr;
		}
		if (p[strspn(p, " \n")] || (!count && next != sectors))
			goto bad;
		ranges += count;
		free(ans);
		ans = NULL;
		from = next;
	}
	return ranges;
bad:
	fprintf(stderr, "%s: '%s': bad answer '%.400s'\n", name, msg,
		ans ? ans : "");
	free(ans);
	return -1;
}

bool ct_state_is(const char *name, const char *state, unsigned int error)
{
	struct ct_status st;

	if (ct_status(name, &st))
		return false;
	if (!strcmp(st.state, state) && st.error == error)
		return true;
	fprintf(stderr, "%s: status '%s %u', want '%s %u'\n", name, st.state,
		st.error, state, error);
	return false;
}
