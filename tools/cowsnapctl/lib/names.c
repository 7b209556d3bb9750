// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: names and dm uuids of volumes and their layers.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

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
