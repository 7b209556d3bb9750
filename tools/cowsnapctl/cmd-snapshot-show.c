// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl: snapshot list, snapshot info.
 *
 * Both read the sets as the kernel has them (cs_snap_list(),
 * cs_snap_find()): list from the status lines, info also sends "info" to
 * each member and reads the store's segments back.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cowsnapctl.h"

static uint64_t set_copied(const struct cs_snap_set *s)
{
	const struct cs_snap_status *st;
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < s->nr_members; i++) {
		st = cs_snap_member_status(&s->members[i]);
		if (st)
			n += st->copied;
	}
	return n;
}

static const char *member_label(const struct cs_snap_member *m)
{
	return m->volume[0] ? m->volume : m->member;
}

/* ------------------------------------------------------------------------
 * list
 * ---------------------------------------------------------------------- */

static void list_json(const struct cs_snap_set *sets, int nr)
{
	const struct cs_snap_status *st;
	struct cs_json j;
	unsigned int k;
	int i;

	cs_json_init(&j, stdout, CS_JSON_PRETTY);
	cs_json_begin_object(&j, NULL);
	cs_json_begin_array(&j, "sets");
	for (i = 0; i < nr; i++) {
		st = cs_snap_set_status(&sets[i]);
		cs_json_begin_object(&j, NULL);
		cs_json_string(&j, "set", sets[i].id);
		cs_json_begin_array(&j, "volumes");
		for (k = 0; k < sets[i].nr_members; k++)
			cs_json_string(&j, NULL,
				       member_label(&sets[i].members[k]));
		cs_json_end_array(&j);
		cs_json_string(&j, "state", cs_snap_set_state(&sets[i]));
		cs_json_u64(&j, "error", st ? st->error : 0);
		cs_json_u64(&j, "chunk_size", st ? st->chunk_size : 0);
		cs_json_u64(&j, "store_used_sectors", st ? st->store_used : 0);
		cs_json_u64(&j, "store_size_sectors", st ? st->store_size : 0);
		cs_json_u64(&j, "copied", set_copied(&sets[i]));
		cs_json_u64(&j, "last_event", st ? st->last_event : 0);
		cs_json_end_object(&j);
	}
	cs_json_end_array(&j);
	cs_json_end_object(&j);
	cs_json_finish(&j);
}

static void list_row(const struct cs_snap_set *s, char cells[][128])
{
	const struct cs_snap_status *st = cs_snap_set_status(s);
	size_t len;
	unsigned int k;

	cells[0][0] = '\0';
	for (k = 0; k < s->nr_members; k++) {
		len = strlen(cells[0]);
		snprintf(cells[0] + len, 128 - len, "%s%s", k ? "," : "",
			 member_label(&s->members[k]));
	}
	snprintf(cells[1], 128, "%s", cs_snap_set_state(s));
	if (!st) {
		strcpy(cells[2], "-");
		strcpy(cells[3], "-");
		strcpy(cells[4], "-");
		strcpy(cells[5], "-");
	} else {
		cs_format_size(st->chunk_size / 512, cells[2]);
		cs_format_size(st->store_used, cells[3]);
		cs_format_size(st->store_size, cells[4]);
		snprintf(cells[5], 128, "%.2f", st->store_size ?
			 100.0 * (double)st->store_used /
			 (double)st->store_size : 0.0);
	}
	snprintf(cells[6], 128, "%" PRIu64, set_copied(s));
}

static int list_human(const struct cs_snap_set *sets, int nr)
{
	static const char *const heads[] = {
		"SET", "VOLUMES", "STATE", "CHUNK", "USED", "SIZE", "USE%",
		"COPIED",
	};
	char cells[7][128];
	struct cs_columns c;
	int i, r;

	r = cs_columns_init(&c, 8, heads, 0x1f << 3);
	for (i = 0; i < nr && !r; i++) {
		const char *row[] = { sets[i].id, cells[0], cells[1], cells[2],
				      cells[3], cells[4], cells[5], cells[6] };

		list_row(&sets[i], cells);
		r = cs_columns_add(&c, row);
	}
	if (!r && nr)
		cs_columns_print(&c, stdout);
	cs_columns_free(&c);
	return r;
}

static int do_list(struct ctl *ctl)
{
	struct cs_snap_set *sets;
	int nr, r = 0;

	nr = cs_snap_list(&sets);
	if (nr < 0)
		return nr;
	if (ctl->json)
		list_json(sets, nr);
	else
		r = list_human(sets, nr);
	cs_snap_sets_free(sets, nr);
	return r;
}

/* ------------------------------------------------------------------------
 * info
 * ---------------------------------------------------------------------- */

/**
 * struct shown - what info reads besides the set
 * @set: the set
 * @info: answer to "info" of each member (its image's, else its origin's)
 * @ok: @info was read
 * @segs: the store's segments, @nr_segs of them
 * @pid: the monitor's, 0: none
 */
struct shown {
	const struct cs_snap_set *set;
	struct cs_snap_info info[COWSNAP_MEMBERS_MAX];
	bool ok[COWSNAP_MEMBERS_MAX];
	struct cs_segment *segs;
	int nr_segs;
	pid_t pid;
};

static int read_shown(struct shown *sh)
{
	const struct cs_snap_member *m;
	const char *dev;
	unsigned int i;
	int r;

	for (i = 0; i < sh->set->nr_members; i++) {
		m = &sh->set->members[i];
		dev = m->image.present ? m->image.info.name :
		      m->origin.present ? m->origin.info.name : NULL;
		if (!dev)
			continue;
		r = cs_snap_get_info(dev, &sh->info[i]);
		if (r)
			return r;
		sh->ok[i] = true;
	}
	if (sh->set->has_store) {
		sh->nr_segs = cs_store_segments(&sh->set->store_table,
						&sh->segs);
		if (sh->nr_segs < 0)
			sh->nr_segs = 0;
	}
	sh->pid = cs_snap_monitor_pid(sh->set->id);
	return 0;
}

/* The first member's info: the set-wide fields. */
static const struct cs_snap_info *set_info(const struct shown *sh)
{
	unsigned int i;

	for (i = 0; i < sh->set->nr_members; i++)
		if (sh->ok[i])
			return &sh->info[i];
	return NULL;
}

static const char *seg_kind(const struct cs_segment *g)
{
	return g->kind == CS_SEG_BLOCK ? "block" :
	       g->kind == CS_SEG_FILE ? "file" : "unnamed";
}

static void json_segments(struct cs_json *j, const struct shown *sh)
{
	char devno[CS_DEVNO_LEN];
	const struct cs_segment *g;
	int i;

	cs_json_begin_array(j, "segments");
	for (i = 0; i < sh->nr_segs; i++) {
		g = &sh->segs[i];
		cs_json_begin_object(j, NULL);
		cs_json_u64(j, "start", g->start);
		cs_json_u64(j, "sectors", g->sectors);
		cs_format_devno(g->dev.major, g->dev.minor, devno);
		cs_json_string(j, "devno", devno);
		cs_json_string(j, "path", g->path);
		cs_json_string(j, "kind", seg_kind(g));
		cs_json_string(j, "backing", g->backing[0] ? g->backing : NULL);
		cs_json_end_object(j);
	}
	cs_json_end_array(j);
}

static void json_store(struct cs_json *j, const struct shown *sh)
{
	const struct cs_snap_set *s = sh->set;
	char devno[CS_DEVNO_LEN];

	if (!s->has_store) {
		cs_json_null(j, "store");
		return;
	}
	cs_json_begin_object(j, "store");
	cs_json_string(j, "name", s->store.name);
	cs_json_string(j, "devno", cs_format_devno(s->store.dev.major,
						   s->store.dev.minor, devno));
	cs_json_u64(j, "size_sectors", cs_table_size(&s->store_table));
	json_segments(j, sh);
	cs_json_end_object(j);
}

static void json_member(struct cs_json *j, const struct shown *sh,
			unsigned int i)
{
	const struct cs_snap_member *m = &sh->set->members[i];
	const struct cs_snap_info *in = &sh->info[i];
	char path[CS_DM_NAME_LEN + 16];

	snprintf(path, sizeof(path), "/dev/mapper/%s", m->image.info.name);
	cs_json_begin_object(j, NULL);
	cs_json_string(j, "volume", m->volume[0] ? m->volume : NULL);
	cs_json_string(j, "member", m->member);
	cs_json_string(j, "image", m->image.present ? m->image.info.name :
		       NULL);
	cs_json_string(j, "image_path", m->image.present ? path : NULL);
	cs_json_i64(j, "open_count", m->image.present ?
		    m->image.info.open_count : 0);
	cs_json_string(j, "origin", m->origin.present ?
		       m->origin.info.name : NULL);
	cs_json_u64(j, "size_sectors", m->image.present ? m->image.size :
		    m->origin.size);
	cs_json_string(j, "state", sh->ok[i] ? in->state : NULL);
	cs_json_u64(j, "error", in->error);
	cs_json_u64(j, "copied", in->copied);
	cs_json_u64(j, "written", in->written);
	cs_json_u64(j, "memory", in->memory);
	cs_json_u64(j, "last_event", in->last_event);
	cs_json_end_object(j);
}

static void info_json(const struct shown *sh)
{
	const struct cs_snap_info *in = set_info(sh);
	const struct cs_snap_info none = { .state = "" };
	struct cs_json j;
	unsigned int i;

	if (!in)
		in = &none;
	cs_json_init(&j, stdout, CS_JSON_PRETTY);
	cs_json_begin_object(&j, NULL);
	cs_json_string(&j, "set", sh->set->id);
	cs_json_string(&j, "state", cs_snap_set_state(sh->set));
	cs_json_u64(&j, "error", in->error);
	cs_json_u64(&j, "chunk_size", in->chunk_size);
	cs_json_u64(&j, "store_used_sectors", in->store_used);
	cs_json_u64(&j, "store_size_sectors", in->store_size);
	cs_json_u64(&j, "low_water", in->low_water);
	cs_json_u64(&j, "set_copied", in->set_copied);
	cs_json_u64(&j, "last_event", in->last_event);
	if (sh->pid)
		cs_json_i64(&j, "monitor_pid", sh->pid);
	else
		cs_json_null(&j, "monitor_pid");
	json_store(&j, sh);
	cs_json_begin_array(&j, "members");
	for (i = 0; i < sh->set->nr_members; i++)
		json_member(&j, sh, i);
	cs_json_end_array(&j);
	cs_json_end_object(&j);
	cs_json_finish(&j);
}

static void human_set(const struct shown *sh)
{
	const struct cs_snap_info *in = set_info(sh);
	const struct cs_snap_set *s = sh->set;
	char a[CS_SIZE_LEN], b[CS_SIZE_LEN], devno[CS_DEVNO_LEN];

	printf("set:         %s\nstate:       %s\n", s->id,
	       cs_snap_set_state(s));
	if (in) {
		printf("error:       %u\nchunk_size:  %" PRIu32 "\n"
		       "store_used:  %s of %s (%.2f%%), low water %u%%\n"
		       "copied:      %" PRIu64 " chunks\nlast_event:  %" PRIu64 "\n",
		       in->error, in->chunk_size,
		       cs_format_size(in->store_used, a),
		       cs_format_size(in->store_size, b),
		       in->store_size ? 100.0 * (double)in->store_used /
		       (double)in->store_size : 0.0, in->low_water,
		       in->set_copied, in->last_event);
	}
	if (sh->pid)
		printf("monitor:     pid %d\n", (int)sh->pid);
	else
		printf("monitor:     none\n");
	if (s->has_store)
		printf("store:       /dev/mapper/%s (%s)\n", s->store.name,
		       cs_format_devno(s->store.dev.major, s->store.dev.minor,
				       devno));
	else
		printf("store:       none\n");
}

static int human_segments(const struct shown *sh)
{
	static const char *const heads[] = {
		"START", "SECTORS", "DEVICE", "KIND", "BACKING",
	};
	char start[24], sectors[24];
	const struct cs_segment *g;
	struct cs_columns c;
	int i, r;

	r = cs_columns_init(&c, 5, heads, 1u << 0 | 1u << 1);
	for (i = 0; i < sh->nr_segs && !r; i++) {
		const char *row[] = { start, sectors, NULL, NULL, NULL };

		g = &sh->segs[i];
		snprintf(start, sizeof(start), "%" PRIu64, g->start);
		snprintf(sectors, sizeof(sectors), "%" PRIu64, g->sectors);
		row[2] = g->path;
		row[3] = seg_kind(g);
		row[4] = g->backing;
		r = cs_columns_add(&c, row);
	}
	if (!r && sh->nr_segs)
		cs_columns_print(&c, stdout);
	cs_columns_free(&c);
	return r;
}

static void member_row(const struct shown *sh, unsigned int i,
		       char cells[][CS_DM_NAME_LEN + 16])
{
	const struct cs_snap_member *m = &sh->set->members[i];
	const struct cs_snap_info *in = &sh->info[i];

	snprintf(cells[0], sizeof(cells[0]), "%s", member_label(m));
	snprintf(cells[1], sizeof(cells[1]), m->image.present ?
		 "/dev/mapper/%s" : "-", m->image.info.name);
	snprintf(cells[2], sizeof(cells[2]), "%d", m->image.info.open_count);
	snprintf(cells[3], sizeof(cells[3]), "%s", sh->ok[i] ? in->state : "-");
	snprintf(cells[4], sizeof(cells[4]), "%u", in->error);
	snprintf(cells[5], sizeof(cells[5]), "%" PRIu64, in->copied);
	snprintf(cells[6], sizeof(cells[6]), "%" PRIu64, in->written);
	snprintf(cells[7], sizeof(cells[7]), "%" PRIu64, in->memory);
	snprintf(cells[8], sizeof(cells[8]), "%" PRIu64, in->last_event);
	snprintf(cells[9], sizeof(cells[9]), "%s", m->origin.present ?
		 m->origin.info.name : "-");
}

static int human_members(const struct shown *sh)
{
	static const char *const heads[] = {
		"VOLUME", "IMAGE", "OPEN", "STATE", "ERROR", "COPIED",
		"WRITTEN", "MEMORY", "LAST_EVENT", "ORIGIN",
	};
	char cells[10][CS_DM_NAME_LEN + 16];
	struct cs_columns c;
	unsigned int i;
	int r;

	r = cs_columns_init(&c, 10, heads, 1u << 2 | 0x1f << 4);
	for (i = 0; i < sh->set->nr_members && !r; i++) {
		const char *row[] = {
			cells[0], cells[1], cells[2], cells[3], cells[4],
			cells[5], cells[6], cells[7], cells[8], cells[9],
		};

		member_row(sh, i, cells);
		r = cs_columns_add(&c, row);
	}
	if (!r)
		cs_columns_print(&c, stdout);
	cs_columns_free(&c);
	return r;
}

static int do_info(struct ctl *ctl)
{
	struct cs_snap_set *s;
	struct shown *sh;
	int r;

	r = cs_snap_find(ctl->args[0], &s);
	if (r)
		return r;
	sh = calloc(1, sizeof(*sh));
	r = sh ? 0 : -ENOMEM;
	if (!r) {
		sh->set = s;
		r = read_shown(sh);
	}
	if (!r && ctl->json) {
		info_json(sh);
	} else if (!r) {
		human_set(sh);
		r = human_segments(sh);
		if (!r)
			r = human_members(sh);
	}
	if (sh)
		free(sh->segs);
	free(sh);
	cs_snap_sets_free(s, 1);
	return r;
}

const struct command cmd_snapshot_list = {
	.name = "list", .fn = do_list, .min_args = 0, .max_args = 0,
	.options = OPT_JSON, .usage = "",
	.help = "List the snapshot sets.",
};

const struct command cmd_snapshot_info = {
	.name = "info", .fn = do_info, .min_args = 1, .max_args = 1,
	.options = OPT_JSON, .usage = "ID",
	.help = "Show snapshot set ID: its store and its members.",
};
