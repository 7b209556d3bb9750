// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: finding snapshot sets by scanning the dm devices, and the
 * messages that read a set (see snapshot.h).
 *
 * Every dm device with a cowsnap dm uuid is looked at once: an image
 * (COWSNAP-SNAP-...) and a store (COWSNAP-STORE-...) are known by their
 * uuid; a volume or one of its layers is read for a cowsnap-origin target,
 * whose table line names the set and the member.  Volumes are also noted
 * by uuid, to name the members.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"
#include "util.h"

/**
 * struct scan - what a scan collects
 * @only: the one set wanted, or NULL
 * @sets: the sets found, @nr of them
 * @vuuids: volume uuid of each volume seen, @nr_vols of them
 * @names: its name
 */
struct scan {
	const char *only;
	struct cs_snap_set *sets;
	int nr;
	char (*vuuids)[CS_VUUID_LEN + 1];
	char (*names)[CS_DM_NAME_LEN];
	int nr_vols;
};

/* ------------------------------------------------------------------------
 * Collecting
 * ---------------------------------------------------------------------- */

static struct cs_snap_set *get_set(struct scan *sc, const char *id)
{
	struct cs_snap_set *s;
	int i;

	for (i = 0; i < sc->nr; i++)
		if (!strcmp(sc->sets[i].id, id))
			return &sc->sets[i];
	s = realloc(sc->sets, (sc->nr + 1) * sizeof(*s));
	if (!s)
		return NULL;
	sc->sets = s;
	s = &sc->sets[sc->nr++];
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", id);
	return s;
}

static struct cs_snap_member *get_member(struct cs_snap_set *s,
					 const char *member)
{
	struct cs_snap_member *m;
	unsigned int i;

	for (i = 0; i < s->nr_members; i++)
		if (!strcmp(s->members[i].member, member))
			return &s->members[i];
	if (s->nr_members == COWSNAP_MEMBERS_MAX)
		return NULL;
	m = &s->members[s->nr_members++];
	snprintf(m->member, sizeof(m->member), "%s", member);
	return m;
}

static void read_status(const char *name, const char *type,
			struct cs_snap_dev *d)
{
	struct cs_table st = { 0 };
	int i;

	if (cs_dm_status(name, &st))
		return;
	i = cs_table_find(&st, type);
	if (i >= 0 && !cs_snap_status_parse(st.targets[i].params, &d->status))
		d->status_ok = true;
	cs_table_free(&st);
}

/* A device whose table holds a @type target: an image or an origin. */
static int add_dev(struct scan *sc, const struct cs_dm_info *info,
		   const struct cs_table *t, const char *type)
{
	struct cs_snap_params p;
	struct cs_snap_member *m;
	struct cs_snap_set *s;
	struct cs_snap_dev *d;
	int i = cs_table_find(t, type);

	if (i < 0 || cs_snap_params_parse(t->targets[i].params, &p))
		return 0;
	if (sc->only && strcmp(p.set, sc->only))
		return 0;
	s = get_set(sc, p.set);
	if (!s)
		return -ENOMEM;
	m = get_member(s, p.member);
	if (!m)
		return 0;
	d = strcmp(type, COWSNAP_IMAGE_TARGET_NAME) ? &m->origin : &m->image;
	d->present = true;
	d->info = *info;
	d->params = p;
	d->size = t->targets[i].length;
	read_status(info->name, type, d);
	return 0;
}

static int add_store(struct scan *sc, const struct cs_dm_info *info,
		     const char *id)
{
	struct cs_snap_set *s;

	if (sc->only && strcmp(id, sc->only))
		return 0;
	s = get_set(sc, id);
	if (!s)
		return -ENOMEM;
	s->has_store = true;
	s->store = *info;
	cs_table_free(&s->store_table);
	(void)cs_dm_table(info->name, &s->store_table);
	return 0;
}

static int add_volume(struct scan *sc, const char *vuuid, const char *name)
{
	void *v, *n;

	v = realloc(sc->vuuids, (sc->nr_vols + 1) * sizeof(*sc->vuuids));
	if (v)
		sc->vuuids = v;
	n = realloc(sc->names, (sc->nr_vols + 1) * sizeof(*sc->names));
	if (n)
		sc->names = n;
	if (!v || !n)
		return -ENOMEM;
	snprintf(sc->vuuids[sc->nr_vols], CS_VUUID_LEN + 1, "%s", vuuid);
	snprintf(sc->names[sc->nr_vols], CS_DM_NAME_LEN, "%s", name);
	sc->nr_vols++;
	return 0;
}

static int scan_device(struct scan *sc, const char *name)
{
	char vuuid[CS_VUUID_LEN + 1], id[CS_SNAP_NAME_LEN];
	struct cs_table t = { 0 };
	struct cs_dm_info info;
	const char *type;
	int r;

	r = cs_dm_info(name, &info);
	if (r || !info.exists)
		return r == -ENXIO ? 0 : r;	/* gone meanwhile */
	switch (cs_snap_uuid_parse(info.uuid, vuuid, id)) {
	case CS_UUID_STORE:
		return add_store(sc, &info, id);
	case CS_UUID_IMAGE:
		type = COWSNAP_IMAGE_TARGET_NAME;
		break;
	case CS_UUID_VOLUME:
		r = add_volume(sc, vuuid, info.name);
		if (r)
			return r;
		/* fall through */
	case CS_UUID_LAYER:
		type = COWSNAP_ORIGIN_TARGET_NAME;
		break;
	default:
		return 0;
	}
	if (cs_dm_table(name, &t))
		return 0;
	r = add_dev(sc, &info, &t, type);
	cs_table_free(&t);
	return r;
}

/* ------------------------------------------------------------------------
 * Scanning
 * ---------------------------------------------------------------------- */

static void name_members(struct scan *sc)
{
	struct cs_snap_member *m;
	int i, k;
	unsigned int j;

	for (i = 0; i < sc->nr; i++) {
		for (j = 0; j < sc->sets[i].nr_members; j++) {
			m = &sc->sets[i].members[j];
			for (k = 0; k < sc->nr_vols; k++)
				if (!strcmp(sc->vuuids[k], m->member))
					snprintf(m->volume, sizeof(m->volume),
						 "%s", sc->names[k]);
		}
	}
}

static int cmp_member(const void *a, const void *b)
{
	const struct cs_snap_member *x = a, *y = b;
	int r = strcmp(x->volume, y->volume);

	return r ? r : strcmp(x->member, y->member);
}

static int cmp_set(const void *a, const void *b)
{
	return strcmp(((const struct cs_snap_set *)a)->id,
		      ((const struct cs_snap_set *)b)->id);
}

static int scan(const char *only, struct cs_snap_set **sets)
{
	struct scan sc = { .only = only };
	char **names, **p;
	int nr, i, r = 0;

	nr = cs_dm_list(&names);
	if (nr < 0)
		return cs_error_set(nr, NULL, "cannot list dm devices: %s",
				    strerror(-nr));
	for (p = names; *p && !r; p++)
		r = scan_device(&sc, *p);
	cs_strv_free(names);
	if (!r) {
		name_members(&sc);
		for (i = 0; i < sc.nr; i++)
			qsort(sc.sets[i].members, sc.sets[i].nr_members,
			      sizeof(struct cs_snap_member), cmp_member);
		qsort(sc.sets, sc.nr, sizeof(*sc.sets), cmp_set);
	}
	free(sc.vuuids);
	free(sc.names);
	if (r) {
		cs_snap_sets_free(sc.sets, sc.nr);
		return cs_error_set(r, NULL, "cannot read dm devices: %s",
				    strerror(-r));
	}
	*sets = sc.sets;
	return sc.nr;
}

int cs_snap_list(struct cs_snap_set **sets)
{
	return scan(NULL, sets);
}

void cs_snap_sets_free(struct cs_snap_set *sets, int nr)
{
	int i;

	for (i = 0; sets && i < nr; i++)
		cs_table_free(&sets[i].store_table);
	free(sets);
}

int cs_snap_find(const char *id, struct cs_snap_set **set)
{
	int nr, r;

	r = cs_snap_id_check(id);
	if (r)
		return r;
	nr = scan(id, set);
	if (nr < 0)
		return nr;
	if (!nr) {
		free(*set);
		return cs_error_set(-ENOENT, id, "no such snapshot set");
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * A set's state
 * ---------------------------------------------------------------------- */

const struct cs_snap_status *cs_snap_member_status(
	const struct cs_snap_member *m)
{
	if (m->image.present && m->image.status_ok)
		return &m->image.status;
	if (m->origin.present && m->origin.status_ok)
		return &m->origin.status;
	return NULL;
}

const struct cs_snap_status *cs_snap_set_status(const struct cs_snap_set *s)
{
	const struct cs_snap_status *st;
	unsigned int i;

	for (i = 0; i < s->nr_members; i++) {
		st = cs_snap_member_status(&s->members[i]);
		if (st)
			return st;
	}
	return NULL;
}

const char *cs_snap_set_state(const struct cs_snap_set *s)
{
	const struct cs_snap_status *st;
	unsigned int i;

	if (!s->has_store || !s->nr_members)
		return "incomplete";
	for (i = 0; i < s->nr_members; i++)
		if (!s->members[i].image.present ||
		    !s->members[i].origin.present)
			return "incomplete";
	for (i = 0; i < s->nr_members; i++) {
		st = cs_snap_member_status(&s->members[i]);
		if (st && st->corrupted)
			return COWSNAP_STATE_CORRUPTED;
	}
	st = cs_snap_set_status(s);
	return st ? st->state : "unknown";
}

const char *cs_snap_msg_dev(const struct cs_snap_set *s)
{
	unsigned int i;

	for (i = 0; i < s->nr_members; i++)
		if (s->members[i].image.present)
			return s->members[i].image.info.name;
	for (i = 0; i < s->nr_members; i++)
		if (s->members[i].origin.present)
			return s->members[i].origin.info.name;
	return NULL;
}

/* ------------------------------------------------------------------------
 * Messages that read
 * ---------------------------------------------------------------------- */

static int bad_answer(const char *dev, int r, const char *msg,
		      const char *answer)
{
	char shown[64];
	size_t i;

	if (r != -EINVAL)
		return cs_error_set(r, dev, "%s", strerror(-r));
	for (i = 0; answer[i] && i < sizeof(shown) - 1; i++)
		shown[i] = answer[i] == '\n' ? '|' : answer[i];
	shown[i] = '\0';
	return cs_error_set(r, dev, "malformed answer to \"%s\": \"%s%s\"",
			    msg, shown, answer[i] ? "..." : "");
}

static int send_msg(const char *dev, const char *msg, char **answer)
{
	int r;

	cs_log(2, "%s: message \"%s\"", dev, msg);
	r = cs_dm_message(dev, msg, answer);
	if (r)
		return cs_error_set(r, dev, "message \"%s\" failed: %s%s", msg,
				    strerror(-r),
				    r == -EINVAL ? " (see dmesg)" : "");
	return 0;
}

int cs_snap_get_info(const char *dev, struct cs_snap_info *info)
{
	char *answer;
	int r;

	r = send_msg(dev, COWSNAP_MSG_INFO, &answer);
	if (r)
		return r;
	r = cs_snap_info_parse(answer, info);
	if (r)
		bad_answer(dev, r, COWSNAP_MSG_INFO, answer);
	free(answer);
	return r;
}

int cs_snap_events_read(const char *dev, uint64_t after_seq,
			struct cs_snap_events *page)
{
	char msg[48], *answer;
	int r;

	snprintf(msg, sizeof(msg), "%s %" PRIu64, COWSNAP_MSG_EVENTS,
		 after_seq);
	r = send_msg(dev, msg, &answer);
	if (r)
		return r;
	r = cs_snap_events_parse(answer, after_seq, page);
	if (r)
		bad_answer(dev, r, msg, answer);
	free(answer);
	return r;
}
