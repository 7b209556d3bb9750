// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl: restore --from DIR --to TARGET, and verify DIR.  Both check
 * every checksum of the points they read; restore checks them all before
 * it writes anything.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cowsnapctl.h"

/* ------------------------------------------------------------------------
 * restore
 * ---------------------------------------------------------------------- */

static void restored_json(const struct ctl *ctl,
			  const struct cs_bk_restored *res)
{
	struct cs_json j;
	unsigned int i;

	cs_json_init(&j, stdout, CS_JSON_PRETTY);
	cs_json_begin_object(&j, NULL);
	cs_json_string(&j, "volume", res->volume);
	cs_json_string(&j, "point", res->chain[res->nr - 1]);
	cs_json_string(&j, "target", ctl->to);
	cs_json_u64(&j, "size", res->size);
	cs_json_u64(&j, "bytes_written", res->bytes_written);
	cs_json_begin_array(&j, "chain");
	for (i = 0; i < res->nr; i++)
		cs_json_string(&j, NULL, res->chain[i]);
	cs_json_end_array(&j);
	cs_json_end_object(&j);
	cs_json_finish(&j);
}

static void restored_human(const struct ctl *ctl,
			   const struct cs_bk_restored *res)
{
	char size[CS_SIZE_LEN];
	unsigned int i;

	printf("%s: restored point %s to %s (%s), from", res->volume,
	       res->chain[res->nr - 1], ctl->to,
	       cs_format_size(res->size / 512, size));
	for (i = 0; i < res->nr; i++)
		printf(" %s", res->chain[i]);
	printf("\n");
}

static int check_restore(struct ctl *ctl)
{
	if (!ctl->from)
		return ctl_usage_error(ctl, "option '--from DIR' is required");
	if (!ctl->to)
		return ctl_usage_error(ctl, "option '--to TARGET' is required");
	return 0;
}

static int do_restore(struct ctl *ctl)
{
	struct ctl_progress p;
	const struct cs_bk_restore_opts o = {
		.dir = ctl->from, .at = ctl->at, .volume = ctl->volume,
		.target = ctl->to, .force = ctl->force, .stop = &ctl_stopped,
		.progress = ctl_progress_show, .priv = &p,
	};
	struct cs_bk_restored *res;
	int r;

	res = calloc(1, sizeof(*res));
	if (!res)
		return -ENOMEM;
	ctl_progress_init(&p, "restore");
	ctl_catch_stop();
	r = cs_bk_restore(&o, res);
	ctl_progress_end(&p);
	if (!r && ctl->json)
		restored_json(ctl, res);
	else if (!r)
		restored_human(ctl, res);
	free(res);
	return r;
}

/* ------------------------------------------------------------------------
 * verify
 * ---------------------------------------------------------------------- */

static void check_line(const struct cs_bk_manifest *m, const char *kind,
		       const struct cs_bk_check *c)
{
	printf("%-22s %-12s %-16s %s\n", m->point, kind,
	       c->volume[0] ? c->volume : "-", c->err ? "FAILED" : "ok");
	if (c->err)
		fprintf(stderr, "%s: verify: %s: %s%s%s\n",
			program_invocation_short_name, m->point, c->volume,
			c->volume[0] ? ": " : "", c->why);
}

static void check_json(struct cs_json *j, const char *kind,
		       const struct cs_bk_check *c)
{
	cs_json_begin_object(j, NULL);
	cs_json_string(j, "name", c->volume[0] ? c->volume : NULL);
	cs_json_string(j, "kind", kind);
	cs_json_bool(j, "ok", !c->err);
	cs_json_string(j, "error", c->err ? c->why : NULL);
	cs_json_end_object(j);
}

/* Check point @m; Return: the number of checks that failed. */
static unsigned int verify_point(const struct ctl *ctl, struct cs_json *j,
				 const struct cs_bk_dir *dir,
				 const struct cs_bk_manifest *m)
{
	unsigned int i, bad = 0;
	struct cs_bk_check c;
	const char *kind;

	if (j) {
		cs_json_begin_object(j, NULL);
		cs_json_string(j, "point", m->point);
		cs_json_begin_array(j, "volumes");
	}
	for (i = 0; i <= m->nr; i++) {
		/* the parent link first, then each volume */
		if (!i) {
			cs_bk_check_parent(dir, m, &c);
			kind = "parent";
		} else {
			cs_bk_check_volume(dir, m, &m->vols[i - 1], &c);
			kind = m->vols[i - 1].full ? "full" : "incremental";
		}
		bad += c.err != 0;
		if (j && (i || c.err))
			check_json(j, kind, &c);
		else if (!j && (i || c.err || ctl->verbose))
			check_line(m, kind, &c);
	}
	if (j) {
		cs_json_end_array(j);
		cs_json_bool(j, "ok", !bad);
		cs_json_end_object(j);
	}
	return bad;
}

/* A point whose manifest does not read; Return: 1, a failed check. */
static unsigned int unreadable_point(struct cs_json *j,
				     const struct cs_bk_check *c)
{
	if (j) {
		cs_json_begin_object(j, NULL);
		cs_json_string(j, "point", c->point);
		cs_json_begin_array(j, "volumes");
		check_json(j, "manifest", c);
		cs_json_end_array(j);
		cs_json_bool(j, "ok", false);
		cs_json_end_object(j);
		return 1;
	}
	printf("%-22s %-12s %-16s %s\n", c->point, "manifest", "-", "FAILED");
	fprintf(stderr, "%s: verify: %s: %s\n", program_invocation_short_name,
		c->point, c->why);
	return 1;
}

static int do_verify(struct ctl *ctl)
{
	unsigned int i, bad = 0;
	struct cs_json json, *j = ctl->json ? &json : NULL;
	struct cs_bk_dir dir;
	int r;

	ctl->dev = ctl->args[0];
	r = cs_bk_dir_read(ctl->args[0], &dir, false);
	if (r)
		return r;
	for (i = 0; i < dir.nr_partial; i++)
		ctl_warn("%s/%s: an incomplete backup (in progress, or left by a crash)",
			 dir.path, dir.partial[i]);
	if (j) {
		cs_json_init(j, stdout, CS_JSON_PRETTY);
		cs_json_begin_object(j, NULL);
		cs_json_string(j, "dir", ctl->args[0]);
		cs_json_begin_array(j, "points");
	} else if (dir.nr) {
		printf("%-22s %-12s %-16s %s\n", "POINT", "KIND", "VOLUME",
		       "CHECK");
	}
	for (i = 0; i < dir.nr; i++)
		bad += verify_point(ctl, j, &dir, &dir.points[i]);
	for (i = 0; i < dir.nr_bad; i++)
		bad += unreadable_point(j, &dir.bad[i]);
	if (j) {
		cs_json_end_array(j);
		cs_json_bool(j, "ok", !bad);
		cs_json_end_object(j);
		cs_json_finish(j);
	}
	if (!dir.nr && !dir.nr_bad)
		r = cs_error_set(-ENOENT, ctl->args[0], "no complete backup here");
	else if (bad)
		r = cs_error_set(-EINVAL, ctl->args[0], "%u check%s failed", bad,
				 bad == 1 ? "" : "s");
	cs_bk_dir_free(&dir);
	return r;
}

const struct command cmd_restore = {
	.name = "restore", .fn = do_restore, .check = check_restore,
	.min_args = 0, .max_args = 0,
	.options = OPT_FROM | OPT_TO | OPT_AT | OPT_VOLUME | OPT_FORCE |
		   OPT_JSON,
	.usage = "--from DIR --to TARGET",
	.help = "Rebuild a volume from its backups in DIR, as it was at a point.",
	.no_dm = true,
};

const struct command cmd_verify = {
	.name = "verify", .fn = do_verify, .min_args = 1, .max_args = 1,
	.options = OPT_JSON, .usage = "DIR",
	.help = "Check every backup in DIR: the chain and every checksum.",
	.no_dm = true,
};
