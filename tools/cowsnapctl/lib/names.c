// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: names and dm uuids of volumes, their layers, snapshot images
 * and stores.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dm.h"
#include "names.h"
#include "util.h"

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int cs_volume_name_check(const char *name)
{
	size_t len = strlen(name), i;

	if (!len)
		return cs_error_set(-EINVAL, name, "empty volume name");
	if (len > CS_NAME_MAX)
		return cs_error_set(-EINVAL, name,
				    "volume name longer than %d characters",
				    CS_NAME_MAX);
	if (!is_alnum(name[0]))
		return cs_error_set(-EINVAL, name,
				    "volume name must start with a letter or digit");
	for (i = 1; i < len; i++)
		if (!is_alnum(name[i]) && !strchr("+_.-", name[i]))
			return cs_error_set(-EINVAL, name,
					    "invalid character '%c' in volume name (allowed: A-Z a-z 0-9 + _ . -)",
					    name[i] >= 0x20 && name[i] < 0x7f ?
					    name[i] : '?');
	return 0;
}

bool cs_layer_name_valid(const char *layer)
{
	size_t len = layer ? strlen(layer) : 0, i;

	if (!len || len >= CS_LAYER_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!((layer[i] >= 'a' && layer[i] <= 'z') ||
		      (layer[i] >= '0' && layer[i] <= '9')))
			return false;
	return true;
}

static bool is_vuuid(const char *v, size_t len)
{
	size_t i;

	if (len != CS_VUUID_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!is_lower_hex(v[i]))
			return false;
	return true;
}

static bool id_valid(const char *id, size_t len)
{
	size_t i;

	if (!len || len > CS_SNAP_ID_MAX || id[0] == '-')
		return false;
	for (i = 0; i < len; i++)
		if (!is_alnum(id[i]) && id[i] != '_' && id[i] != '-')
			return false;
	return true;
}

int cs_snap_id_check(const char *id)
{
	size_t len = strlen(id), i;

	if (!len)
		return cs_error_set(-EINVAL, id, "empty snapshot set ID");
	if (len > CS_SNAP_ID_MAX)
		return cs_error_set(-EINVAL, id,
				    "snapshot set ID longer than %d characters",
				    CS_SNAP_ID_MAX);
	if (id[0] == '-')
		return cs_error_set(-EINVAL, id,
				    "snapshot set ID must not start with '-'");
	for (i = 0; i < len; i++)
		if (!is_alnum(id[i]) && id[i] != '_' && id[i] != '-')
			return cs_error_set(-EINVAL, id,
					    "invalid character '%c' in snapshot set ID (allowed: A-Z a-z 0-9 _ -)",
					    id[i] >= 0x20 && id[i] < 0x7f ?
					    id[i] : '?');
	return 0;
}

/* "SNAP-<vuuid>-<id>" or "STORE-<id>", after "COWSNAP-". */
static enum cs_uuid_kind parse_snap(const char *s, char *vuuid, char *id)
{
	const char *v = s + 5, *i = s + 6;

	if (!strncmp(s, "SNAP-", 5)) {
		if (strlen(v) < CS_VUUID_LEN + 2 || !is_vuuid(v, CS_VUUID_LEN) ||
		    v[CS_VUUID_LEN] != '-')
			return CS_UUID_INVALID;
		i = v + CS_VUUID_LEN + 1;
		if (!id_valid(i, strlen(i)))
			return CS_UUID_INVALID;
		if (vuuid) {
			memcpy(vuuid, v, CS_VUUID_LEN);
			vuuid[CS_VUUID_LEN] = '\0';
		}
		if (id)
			strcpy(id, i);
		return CS_UUID_IMAGE;
	}
	if (strncmp(s, "STORE-", 6) || !id_valid(i, strlen(i)))
		return CS_UUID_INVALID;
	if (vuuid)
		*vuuid = '\0';
	if (id)
		strcpy(id, i);
	return CS_UUID_STORE;
}

enum cs_uuid_kind cs_snap_uuid_parse(const char *uuid, char *vuuid, char *id)
{
	const size_t plen = strlen(CS_UUID_PREFIX);

	if (!uuid || strncmp(uuid, CS_UUID_PREFIX, plen) ||
	    uuid[plen] != 'S')
		return cs_uuid_parse(uuid, vuuid, NULL);
	return parse_snap(uuid + plen, vuuid, id);
}

enum cs_uuid_kind cs_uuid_parse(const char *uuid, char *vuuid, char *layer)
{
	const size_t plen = strlen(CS_UUID_PREFIX);
	const char *v, *rest;
	int i;

	if (layer)
		*layer = '\0';
	if (!uuid || !*uuid)
		return CS_UUID_NONE;
	if (strncmp(uuid, CS_UUID_PREFIX, plen))
		return CS_UUID_FOREIGN;
	v = uuid + plen;
	if (*v == 'S')		/* no hex digit: an image or a store */
		return parse_snap(v, vuuid, NULL);
	for (i = 0; i < CS_VUUID_LEN; i++)
		if (!is_lower_hex(v[i]))
			return CS_UUID_INVALID;
	rest = v + CS_VUUID_LEN;
	if (*rest && (*rest != '-' || !cs_layer_name_valid(rest + 1)))
		return CS_UUID_INVALID;
	if (vuuid) {
		memcpy(vuuid, v, CS_VUUID_LEN);
		vuuid[CS_VUUID_LEN] = '\0';
	}
	if (!*rest)
		return CS_UUID_VOLUME;
	if (layer)
		strcpy(layer, rest + 1);
	return CS_UUID_LAYER;
}

int cs_uuid_format(const char *vuuid, const char *layer, char *buf,
		   size_t size)
{
	int i, n;

	for (i = 0; i < CS_VUUID_LEN; i++)
		if (!is_lower_hex(vuuid[i]))
			return -EINVAL;
	if (vuuid[CS_VUUID_LEN])
		return -EINVAL;
	if (layer && *layer) {
		if (!cs_layer_name_valid(layer))
			return -EINVAL;
		n = snprintf(buf, size, CS_UUID_PREFIX "%s-%s", vuuid, layer);
	} else {
		n = snprintf(buf, size, CS_UUID_PREFIX "%s", vuuid);
	}
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int cs_layer_dm_name(const char *vol, const char *layer, char *buf,
		     size_t size)
{
	int n;

	if (!cs_layer_name_valid(layer))
		return -EINVAL;
	n = snprintf(buf, size, "%s-%s", vol, layer);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int cs_image_names(const char *vol, const char *vuuid, const char *id,
		   char *name, char *uuid)
{
	int n;

	if (!is_vuuid(vuuid, strlen(vuuid)) || !id_valid(id, strlen(id)))
		return -EINVAL;
	n = snprintf(name ? name : NULL, name ? CS_DM_NAME_LEN : 0, "%s@%s",
		     vol, id);
	if (n < 0 || n >= CS_DM_NAME_LEN)
		return -ENAMETOOLONG;
	if (uuid)
		snprintf(uuid, CS_DM_UUID_LEN, CS_UUID_IMAGE_PREFIX "%s-%s",
			 vuuid, id);
	return 0;
}

int cs_store_names(const char *id, char *name, char *uuid)
{
	if (!id_valid(id, strlen(id)))
		return -EINVAL;
	if (name)
		snprintf(name, CS_DM_NAME_LEN, "cowsnap@%s.store", id);
	if (uuid)
		snprintf(uuid, CS_DM_UUID_LEN, CS_UUID_STORE_PREFIX "%s", id);
	return 0;
}
