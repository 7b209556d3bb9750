// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: every call into libdevmapper (see dm.h).
 *
 * Each wrapper creates one task, runs it, and destroys it at its out:
 * label.  Tasks that make the kernel send a uevent (create, resume, rename,
 * remove) carry a udev cookie and wait on it, as dmsetup does.  With udev
 * absent or DM_DISABLE_UDEV=1 set, dm_udev_wait() returns at once and
 * libdevmapper makes or removes the /dev/mapper node itself: we never ask
 * for DM_UDEV_DISABLE_LIBRARY_FALLBACK.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <libdevmapper.h>

#include "dm.h"
#include "util.h"

#define HIDDEN_UDEV_FLAGS	(DM_UDEV_DISABLE_SUBSYSTEM_RULES_FLAG |	\
				 DM_UDEV_DISABLE_DISK_RULES_FLAG |	\
				 DM_UDEV_DISABLE_OTHER_RULES_FLAG |	\
				 DM_UDEV_LOW_PRIORITY_FLAG)

/* ------------------------------------------------------------------------
 * Set-up, logging, running tasks
 * ---------------------------------------------------------------------- */

__attribute__((format(printf, 5, 6)))
static void dm_log(int level, const char *file, int line, int dm_errno,
		   const char *fmt, ...)
{
	int lvl = level & 0x7;	/* strip _LOG_STDERR, _LOG_ONCE */
	va_list ap;

	(void)file;
	(void)line;
	(void)dm_errno;
	if (!(cs_verbose() >= 2 || (cs_verbose() >= 1 && lvl <= 4)))
		return;
	fprintf(stderr, "%s: libdevmapper: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void dm_setup(void)
{
	static bool done;
	const char *env;

	if (done)
		return;
	done = true;
	dm_log_with_errno_init(dm_log);
	env = getenv("DM_DISABLE_UDEV");
	if (env && *env)
		dm_udev_set_sync_support(0);
}

static struct dm_task *task_new(int type, const char *name)
{
	struct dm_task *dmt;

	dm_setup();
	dmt = dm_task_create(type);
	if (!dmt)
		return NULL;
	if (name && !dm_task_set_name(dmt, name)) {
		dm_task_destroy(dmt);
		return NULL;
	}
	return dmt;
}

/* Why dm_task_create() failed: no device-mapper, or no memory. */
static int task_error(void)
{
	int r = cs_dm_available();

	return r ? r : -ENOMEM;
}

int cs_dm_available(void)
{
	char path[PATH_MAX], version[64];
	const char *why = "no device-mapper driver";
	int fd, r = -EOPNOTSUPP;

	dm_setup();
	if (dm_driver_version(version, sizeof(version)))
		return 0;
	/* libdevmapper does not say why; open the control node to see. */
	snprintf(path, sizeof(path), "%s/control", dm_dir());
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		why = strerror(errno);
		if (errno == EACCES || errno == EPERM)
			r = -errno;
	} else {
		close(fd);
	}
	if (r != -EOPNOTSUPP)
		return cs_error_set(r, NULL, "permission denied: device-mapper needs root (CAP_SYS_ADMIN) to open %s",
				    path);
	return cs_error_set(r, NULL, "device-mapper is not available (%s: %s)",
			    path, why);
}

int cs_dm_node_stat(const char *name, struct stat *st)
{
	char path[PATH_MAX];

	dm_setup();
	snprintf(path, sizeof(path), "%s/%s", dm_dir(), name);
	if (stat(path, st))
		return cs_error_set(-errno, path, "cannot read its owner and mode: %s",
				    strerror(errno));
	if (!S_ISBLK(st->st_mode))
		return cs_error_set(-ENOTBLK, path, "is not a block device node");
	return 0;
}

static int task_run(struct dm_task *dmt)
{
	int err;

	if (dm_task_run(dmt))
		return 0;
	err = dm_task_get_errno(dmt);
	return err ? -err : -EIO;
}

/* Run a task that makes a uevent, synchronised with udev through a cookie. */
static int task_run_cookie(struct dm_task *dmt, unsigned int flags)
{
	uint16_t udev_flags = flags & CS_DM_HIDDEN ? HIDDEN_UDEV_FLAGS : 0;
	uint32_t cookie = 0;
	int r;

	if (!dm_task_set_cookie(dmt, &cookie, udev_flags))
		return -EIO;
	r = task_run(dmt);
	(void)dm_udev_wait(cookie);
	return r;
}

static int task_add_table(struct dm_task *dmt, const struct cs_table *table)
{
	unsigned int i;

	for (i = 0; i < table->nr; i++) {
		const struct cs_target *tg = &table->targets[i];

		if (!dm_task_add_target(dmt, tg->start, tg->length, tg->type,
					tg->params))
			return -ENOMEM;
	}
	return 0;
}

/* What task_simple() sets on a task before running it. */
enum {
	TASK_COOKIE	= 1 << 0,	/* it makes a uevent: wait on udev */
	TASK_NO_LOCKFS	= 1 << 1,	/* suspend without freezing the fs */
	TASK_RETRY	= 1 << 2,	/* retry a remove that finds it open */
	TASK_DEFERRED	= 1 << 3,	/* remove once it is closed */
};

/* Create, run and destroy a task of @type on device @name that takes no
 * argument but the @how flags; @flags as task_run_cookie(). */
static int task_simple(int type, const char *name, unsigned int how,
		       unsigned int flags)
{
	struct dm_task *dmt;
	int r = -ENOMEM;

	dmt = task_new(type, name);
	if (!dmt)
		return task_error();
	if (((how & TASK_NO_LOCKFS) && !dm_task_skip_lockfs(dmt)) ||
	    ((how & TASK_RETRY) && !dm_task_retry_remove(dmt)) ||
	    ((how & TASK_DEFERRED) && !dm_task_deferred_remove(dmt)))
		goto out;
	r = (how & TASK_COOKIE) ? task_run_cookie(dmt, flags) : task_run(dmt);
out:
	dm_task_destroy(dmt);
	return r;
}

static void copy_info(struct dm_task *dmt, const struct dm_info *dmi,
		      struct cs_dm_info *info)
{
	const char *s;

	memset(info, 0, sizeof(*info));
	info->exists = dmi->exists;
	if (!dmi->exists)
		return;
	info->suspended = dmi->suspended;
	info->live_table = dmi->live_table;
	info->inactive_table = dmi->inactive_table;
	info->read_only = dmi->read_only;
	info->open_count = dmi->open_count;
	info->event_nr = dmi->event_nr;
	info->target_count = dmi->target_count;
	info->dev.major = dmi->major;
	info->dev.minor = dmi->minor;
	s = dm_task_get_name(dmt);
	snprintf(info->name, sizeof(info->name), "%s", s ? s : "");
	s = dm_task_get_uuid(dmt);
	snprintf(info->uuid, sizeof(info->uuid), "%s", s ? s : "");
}

/* ------------------------------------------------------------------------
 * Queries
 * ---------------------------------------------------------------------- */

static int info_run(struct dm_task *dmt, struct cs_dm_info *info)
{
	struct dm_info dmi;
	int r;

	r = task_run(dmt);
	if (r)
		return r;
	if (!dm_task_get_info(dmt, &dmi))
		return -EIO;
	copy_info(dmt, &dmi, info);
	return 0;
}

int cs_dm_info(const char *name, struct cs_dm_info *info)
{
	struct dm_task *dmt;
	int r;

	dmt = task_new(DM_DEVICE_INFO, name);
	if (!dmt)
		return task_error();
	r = info_run(dmt, info);
	dm_task_destroy(dmt);
	return r;
}

int cs_dm_info_devno(struct cs_devno dev, struct cs_dm_info *info)
{
	struct dm_task *dmt;
	int r = -ENOMEM;

	dmt = task_new(DM_DEVICE_INFO, NULL);
	if (!dmt)
		return task_error();
	if (!dm_task_set_major(dmt, dev.major) ||
	    !dm_task_set_minor(dmt, dev.minor))
		goto out;
	r = info_run(dmt, info);
out:
	dm_task_destroy(dmt);
	return r;
}

static int get_targets(int type, const char *name, struct cs_table *table)
{
	struct dm_task *dmt;
	uint64_t start, length;
	char *ttype, *params;
	struct dm_info dmi;
	void *next = NULL;
	int r;

	dmt = task_new(type, name);
	if (!dmt)
		return task_error();
	r = task_run(dmt);
	if (r)
		goto out;
	r = -ENXIO;
	if (!dm_task_get_info(dmt, &dmi) || !dmi.exists)
		goto out;
	r = 0;
	do {
		next = dm_get_next_target(dmt, next, &start, &length, &ttype,
					  &params);
		if (ttype)
			r = cs_table_add(table, start, length, ttype, params);
	} while (next && !r);
	if (r)
		cs_table_free(table);
out:
	dm_task_destroy(dmt);
	return r;
}

int cs_dm_table(const char *name, struct cs_table *table)
{
	return get_targets(DM_DEVICE_TABLE, name, table);
}

int cs_dm_status(const char *name, struct cs_table *status)
{
	return get_targets(DM_DEVICE_STATUS, name, status);
}

int cs_dm_deps(const char *name, struct cs_devno **devs, unsigned int *nr)
{
	struct dm_task *dmt;
	struct dm_deps *deps;
	struct cs_devno *d;
	unsigned int i;
	int r;

	dmt = task_new(DM_DEVICE_DEPS, name);
	if (!dmt)
		return task_error();
	r = task_run(dmt);
	if (r)
		goto out;
	r = -EIO;
	deps = dm_task_get_deps(dmt);
	if (!deps)
		goto out;
	r = -ENOMEM;
	d = calloc(deps->count ? deps->count : 1, sizeof(*d));
	if (!d)
		goto out;
	for (i = 0; i < deps->count; i++) {
		d[i].major = major(deps->device[i]);
		d[i].minor = minor(deps->device[i]);
	}
	*devs = d;
	*nr = deps->count;
	r = 0;
out:
	dm_task_destroy(dmt);
	return r;
}

void cs_strv_free(char **v)
{
	char **p;

	if (!v)
		return;
	for (p = v; *p; p++)
		free(*p);
	free(v);
}

static int strv_push(char ***v, unsigned int *nr, const char *s)
{
	char **nv = realloc(*v, (*nr + 2) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*nr] = strdup(s);
	if (!nv[*nr])
		return -ENOMEM;
	nv[++*nr] = NULL;
	return 0;
}

int cs_dm_list(char ***names)
{
	struct dm_names *n;
	struct dm_task *dmt;
	unsigned int nr = 0, next = 0;
	char **v = NULL;
	int r;

	dmt = task_new(DM_DEVICE_LIST, NULL);
	if (!dmt)
		return task_error();
	r = task_run(dmt);
	if (r)
		goto out;
	r = -ENOMEM;
	v = calloc(1, sizeof(*v));
	n = dm_task_get_names(dmt);
	if (!v || !n)
		goto out;
	r = 0;
	if (n->dev) {
		do {
			n = (struct dm_names *)((char *)n + next);
			r = strv_push(&v, &nr, n->name);
			next = n->next;
		} while (next && !r);
	}
out:
	dm_task_destroy(dmt);
	if (r) {
		cs_strv_free(v);
		return r;
	}
	*names = v;
	return (int)nr;
}

/* ------------------------------------------------------------------------
 * Changes
 * ---------------------------------------------------------------------- */

int cs_dm_create(const char *name, const char *uuid,
		 const struct cs_table *table, unsigned int flags)
{
	return cs_dm_create_like(name, uuid, table, flags, NULL);
}

/* The node libdevmapper makes gets @st's owner, group and permission bits. */
static bool task_set_perms(struct dm_task *dmt, const struct stat *st)
{
	return dm_task_set_uid(dmt, st->st_uid) &&
	       dm_task_set_gid(dmt, st->st_gid) &&
	       dm_task_set_mode(dmt, st->st_mode & 07777);
}

int cs_dm_create_like(const char *name, const char *uuid,
		      const struct cs_table *table, unsigned int flags,
		      const struct stat *like)
{
	struct dm_task *dmt;
	int r = -ENOMEM;

	dmt = task_new(DM_DEVICE_CREATE, name);
	if (!dmt)
		return task_error();
	if (uuid && !dm_task_set_uuid(dmt, uuid))
		goto out;
	if (like && !task_set_perms(dmt, like))
		goto out;
	r = task_add_table(dmt, table);
	if (r)
		goto out;
	/* libdevmapper creates, loads, resumes, and removes on failure. */
	r = task_run_cookie(dmt, flags);
out:
	dm_task_destroy(dmt);
	return r;
}

int cs_dm_load(const char *name, const struct cs_table *table)
{
	struct dm_task *dmt;
	int r;

	dmt = task_new(DM_DEVICE_RELOAD, name);
	if (!dmt)
		return task_error();
	r = task_add_table(dmt, table);
	if (r)
		goto out;
	r = task_run(dmt);
out:
	dm_task_destroy(dmt);
	return r;
}

int cs_dm_clear(const char *name)
{
	return task_simple(DM_DEVICE_CLEAR, name, 0, 0);
}

int cs_dm_suspend(const char *name, bool lockfs)
{
	return task_simple(DM_DEVICE_SUSPEND, name, lockfs ? 0 : TASK_NO_LOCKFS,
			   0);
}

int cs_dm_resume(const char *name, unsigned int flags)
{
	return task_simple(DM_DEVICE_RESUME, name, TASK_COOKIE, flags);
}

int cs_dm_remove(const char *name, unsigned int flags)
{
	return task_simple(DM_DEVICE_REMOVE, name, TASK_COOKIE | TASK_RETRY,
			   flags);
}

int cs_dm_remove_deferred(const char *name, unsigned int flags)
{
	return task_simple(DM_DEVICE_REMOVE, name,
			   TASK_COOKIE | TASK_DEFERRED, flags);
}

int cs_dm_set_uuid(const char *name, const char *uuid)
{
	struct dm_task *dmt;
	int r = -ENOMEM;

	dmt = task_new(DM_DEVICE_RENAME, name);
	if (!dmt)
		return task_error();
	if (!dm_task_set_newuuid(dmt, uuid))
		goto out;
	r = task_run_cookie(dmt, 0);
out:
	dm_task_destroy(dmt);
	return r;
}

/* ------------------------------------------------------------------------
 * Messages, events, targets, device names
 * ---------------------------------------------------------------------- */

int cs_dm_message(const char *name, const char *msg, char **answer)
{
	struct dm_task *dmt;
	const char *resp;
	int r = -ENOMEM;

	dmt = task_new(DM_DEVICE_TARGET_MSG, name);
	if (!dmt)
		return task_error();
	if (!dm_task_set_sector(dmt, 0) || !dm_task_set_message(dmt, msg))
		goto out;
	r = task_run(dmt);
	if (r)
		goto out;
	resp = dm_task_get_message_response(dmt);
	*answer = strdup(resp ? resp : "");
	r = *answer ? 0 : -ENOMEM;
out:
	dm_task_destroy(dmt);
	return r;
}

int cs_dm_wait_event(const char *name, uint32_t event_nr)
{
	struct dm_task *dmt;
	int r = -ENOMEM;

	dmt = task_new(DM_DEVICE_WAITEVENT, name);
	if (!dmt)
		return task_error();
	if (!dm_task_set_event_nr(dmt, event_nr))
		goto out;
	r = task_run(dmt);
out:
	dm_task_destroy(dmt);
	return r;
}

int cs_dm_target_present(const char *type)
{
	struct dm_versions *v, *last;
	struct dm_task *dmt;
	int r;

	dmt = task_new(DM_DEVICE_LIST_VERSIONS, NULL);
	if (!dmt)
		return task_error();
	r = task_run(dmt);
	if (r)
		goto out;
	r = -EIO;
	v = dm_task_get_versions(dmt);
	if (!v)
		goto out;
	r = 0;
	do {
		last = v;
		if (!strcmp(v->name, type)) {
			r = 1;
			break;
		}
		v = (struct dm_versions *)((char *)v + v->next);
	} while (last != v);
out:
	dm_task_destroy(dmt);
	return r;
}

bool cs_dm_is_dm(struct cs_devno dev)
{
	dm_setup();
	return dm_is_dm_major(dev.major);
}

int cs_dev_kernel_name(struct cs_devno dev, char *buf, size_t size)
{
	dm_setup();
	if (!dm_device_get_name(dev.major, dev.minor, 1, buf, size))
		return -ENODEV;
	return 0;
}
