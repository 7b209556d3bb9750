/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcowsnap: names and dm uuids of volumes and their layers.
 *
 * A volume VOL is the dm device /dev/mapper/VOL with dm uuid
 * "COWSNAP-<vuuid>" (vuuid: 32 lowercase hex digits).  Each hidden layer
 * below it is the dm device "VOL-<layer>" with dm uuid
 * "COWSNAP-<vuuid>-<layer>".
 *
 * A snapshot set ID (1 to COWSNAP_ID_MAX characters from [A-Za-z0-9_-],
 * not starting with '-') has one image per member volume VOL, the dm
 * device "VOL@ID" with dm uuid "COWSNAP-SNAP-<vuuid>-ID", and one store,
 * the hidden dm device "cowsnap@ID.store" with dm uuid
 * "COWSNAP-STORE-ID".  No volume or layer name holds '@' (a volume name
 * cannot, a layer name is [a-z0-9]) and no set ID holds '.', so these
 * names never clash with each other or with a volume's.
 *
 * Pure string functions: no device is touched.
 */
#ifndef COWSNAP_NAMES_H
#define COWSNAP_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/** CS_UUID_PREFIX - dm uuid prefix of every device cowsnap manages */
#define CS_UUID_PREFIX		"COWSNAP-"
/** CS_NAME_MAX - longest volume name, leaving room for "-<layer>" */
#define CS_NAME_MAX		96
/** CS_LAYER_MAX - longest layer name */
#define CS_LAYER_MAX		16
/** CS_LAYER_REAL - the hidden layer below the blkfilter target; it got the
 * volume's table when the filter was attached */
#define CS_LAYER_REAL		"real"
/** CS_LAYER_CBT - the hidden layer below the cbt target (changed-block
 * tracking) */
#define CS_LAYER_CBT		"cbt"
/** CS_LAYER_ORIGIN - the hidden layer below a snapshot set's cowsnap-origin
 * target: the volume's table as it was when the snapshot was taken */
#define CS_LAYER_ORIGIN		"origin"
/** CS_SNAP_ID_MAX - longest snapshot set ID (COWSNAP_ID_MAX) */
#define CS_SNAP_ID_MAX		64
/** CS_UUID_IMAGE_PREFIX - dm uuid prefix of a snapshot image */
#define CS_UUID_IMAGE_PREFIX	CS_UUID_PREFIX "SNAP-"
/** CS_UUID_STORE_PREFIX - dm uuid prefix of a snapshot store */
#define CS_UUID_STORE_PREFIX	CS_UUID_PREFIX "STORE-"

/**
 * enum cs_uuid_kind - what a dm uuid says about its device
 * @CS_UUID_NONE: no uuid: an unmanaged device, may be adopted
 * @CS_UUID_FOREIGN: owned by another manager ("LVM-...", "CRYPT-...")
 * @CS_UUID_VOLUME: the top device of a cowsnap volume
 * @CS_UUID_LAYER: a hidden layer of a cowsnap volume
 * @CS_UUID_INVALID: starts with "COWSNAP-" but is malformed
 * @CS_UUID_IMAGE: the image of a volume in a snapshot set
 * @CS_UUID_STORE: the store of a snapshot set
 */
enum cs_uuid_kind {
	CS_UUID_NONE,
	CS_UUID_FOREIGN,
	CS_UUID_VOLUME,
	CS_UUID_LAYER,
	CS_UUID_INVALID,
	CS_UUID_IMAGE,
	CS_UUID_STORE,
};

/**
 * cs_volume_name_check() - is @name usable as a volume name?
 * @name: proposed name
 *
 * 1 to CS_NAME_MAX characters from [A-Za-z0-9+_.-], the first one a letter
 * or digit (so that no name looks like an option or like "." and "..").
 *
 * Return: 0, or -EINVAL with an error record saying why.
 */
int cs_volume_name_check(const char *name);

/**
 * cs_layer_name_valid() - Return: true if @layer is 1 to CS_LAYER_MAX - 1
 * characters from [a-z0-9]
 * @layer: layer name, e.g. "real"
 */
bool cs_layer_name_valid(const char *layer);

/**
 * cs_uuid_parse() - classify a dm uuid
 * @uuid: dm uuid, "" or NULL for none
 * @vuuid: if not NULL, receives the volume uuid (CS_VUUID_LEN + 1 bytes)
 *	for CS_UUID_VOLUME and CS_UUID_LAYER
 * @layer: if not NULL, receives the layer name (CS_LAYER_MAX bytes) for
 *	CS_UUID_LAYER, "" otherwise
 *
 * For CS_UUID_IMAGE @vuuid receives the member's volume uuid; use
 * cs_snap_uuid_parse() for the set ID.
 * Return: the kind of device.
 */
enum cs_uuid_kind cs_uuid_parse(const char *uuid, char *vuuid, char *layer);

/**
 * cs_uuid_format() - dm uuid of a volume (@layer NULL or "") or of a layer
 * @vuuid: volume uuid
 * @layer: layer name or NULL
 * @buf: output
 * @size: size of @buf
 *
 * Return: 0, -EINVAL if @vuuid or @layer is malformed, -ENAMETOOLONG.
 */
int cs_uuid_format(const char *vuuid, const char *layer, char *buf,
		   size_t size);

/**
 * cs_layer_dm_name() - dm name of layer @layer of volume @vol: "VOL-layer"
 * @vol: volume name
 * @layer: layer name
 * @buf: output
 * @size: size of @buf
 *
 * Return: 0, -EINVAL if @layer is malformed, -ENAMETOOLONG.
 */
int cs_layer_dm_name(const char *vol, const char *layer, char *buf,
		     size_t size);

/**
 * cs_snap_id_check() - is @id usable as a snapshot set ID?
 * @id: proposed ID
 *
 * 1 to CS_SNAP_ID_MAX characters from [A-Za-z0-9_-], the first one not
 * '-' (the kernel's rule, and no ID looks like an option).
 *
 * Return: 0, or -EINVAL with an error record saying why.
 */
int cs_snap_id_check(const char *id);

/**
 * cs_snap_uuid_parse() - the parts of a snapshot image or store dm uuid
 * @uuid: dm uuid, may be NULL
 * @vuuid: if not NULL, receives the volume uuid (CS_VUUID_LEN + 1
 *	bytes) of an image's member, of a volume or of a layer; "" for a
 *	store
 * @id: if not NULL, receives the set ID (CS_SNAP_ID_MAX + 1 bytes)
 *
 * Return: CS_UUID_IMAGE, CS_UUID_STORE, or what cs_uuid_parse() says
 * otherwise (then @id is untouched).
 */
enum cs_uuid_kind cs_snap_uuid_parse(const char *uuid, char *vuuid, char *id);

/**
 * cs_image_names() - dm name "VOL@ID" and dm uuid of the image of volume
 * @vol (uuid @vuuid) in set @id
 * @vol: volume name
 * @vuuid: its volume uuid
 * @id: set ID
 * @name: receives the name (CS_DM_NAME_LEN bytes), or NULL
 * @uuid: receives the uuid (CS_DM_UUID_LEN bytes), or NULL
 *
 * Return: 0, -EINVAL if @vuuid or @id is malformed, -ENAMETOOLONG if the
 * name does not fit in a dm name (127 characters).
 */
int cs_image_names(const char *vol, const char *vuuid, const char *id,
		   char *name, char *uuid);

/**
 * cs_store_names() - dm name "cowsnap@ID.store" and dm uuid of the store
 * of set @id
 * @id: set ID
 * @name: receives the name (CS_DM_NAME_LEN bytes), or NULL
 * @uuid: receives the uuid (CS_DM_UUID_LEN bytes), or NULL
 *
 * Return: 0 or -EINVAL if @id is malformed.
 */
int cs_store_names(const char *id, char *name, char *uuid);

#endif /* COWSNAP_NAMES_H */
