/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcowsnap: a volume as a stack of dm devices.
 *
 * The user mounts the top device /dev/mapper/VOL; it keeps its dev_t for
 * life and only its table changes.  A layer is pushed by moving the top's
 * table into a new hidden device VOL-<layer> and giving the top a table
 * that stacks a target on it; it is removed by giving the device holding
 * its target the table of the device below and removing that one (LVM's
 * "-real" way).  So VOL-<layer> is always the device that the target of
 * <layer> uses, wherever later pushes moved that target:
 *
 *	VOL        0 <len> cbt 253:2 <id>        layers[0], the top
 *	VOL-cbt    0 <len> blkfilter 253:1       layers[1] (cbt's device)
 *	VOL-real   0 <len> linear 7:0 0          layers[2] (blkfilter's)
 *	loop0                                    backing: layers[2].deps
 *
 * Changes suspend the top with lockfs (the filesystem is frozen and
 * flushed) and undo every step already taken when a later one fails.
 */
#ifndef COWSNAP_STACK_H
#define COWSNAP_STACK_H

#include <stdint.h>

#include "dm.h"
#include "names.h"
#include "table.h"
#include "util.h"

/** CS_STACK_MAX - most dm devices in one volume's stack */
#define CS_STACK_MAX		8

/**
 * struct cs_layer - one dm device of a volume's stack
 * @layer: layer name from the dm uuid ("" for the top)
 * @info: its dm information (name, uuid, dev, open count, ...)
 * @table: its live table
 * @status: the status line of each target of @table
 * @deps: the devices its table uses
 * @nr_deps: number of @deps
 */
struct cs_layer {
	char layer[CS_LAYER_MAX];
	struct cs_dm_info info;
	struct cs_table table;
	struct cs_table status;
	struct cs_devno *deps;
	unsigned int nr_deps;
};

/**
 * struct cs_volume - a managed volume, as read from the kernel
 * @name: dm name of the top device
 * @vuuid: volume uuid (32 hex digits)
 * @size: size in 512-byte sectors
 * @nr_layers: dm devices in the stack, at least 1
 * @layers: top first; the backing devices are the last layer's deps
 */
struct cs_volume {
	char name[CS_DM_NAME_LEN];
	char vuuid[CS_VUUID_LEN + 1];
	uint64_t size;
	unsigned int nr_layers;
	struct cs_layer layers[CS_STACK_MAX];
};

/**
 * cs_volume_open() - read the stack of volume @name from the kernel
 * @name: dm name of the volume's top device
 * @volp: receives the volume; cs_volume_free() it
 *
 * Return: 0; -ENODEV if there is no such dm device; -EMEDIUMTYPE if it is
 * not the top of a cowsnap volume (no uuid, another manager's, a hidden
 * layer); -ELOOP if the stack is deeper than CS_STACK_MAX; or -errno.
 * An error is recorded on failure.
 */
int cs_volume_open(const char *name, struct cs_volume **volp);

/** cs_volume_free() - free a volume from cs_volume_open(); NULL is a no-op */
void cs_volume_free(struct cs_volume *vol);

/**
 * cs_volume_find_target() - the layer whose table has a @type target
 * @vol: volume
 * @type: target type
 *
 * Return: index into @vol->layers (0: the top), or -ENOENT.
 */
int cs_volume_find_target(const struct cs_volume *vol, const char *type);

/**
 * cs_stack_push() - insert a layer right below the top of @vol
 * @vol: volume from cs_volume_open(); stale afterwards, free it
 * @layer: layer name of the new hidden device, e.g. CS_LAYER_REAL
 * @type: target type the top will use
 * @params: target parameters after the device number ("" for none)
 *
 * Creates hidden device VOL-@layer with the top's table, then suspends
 * the top (lockfs) and gives it the table "0 <size> @type <dev> @params",
 * where <dev> is the new device.  Undoes everything on failure.
 *
 * Return: 0; -EEXIST if VOL-@layer exists; -EBUSY if the top is suspended
 * or has an inactive table; -EINVAL if the kernel refused the new table;
 * or -errno.  An error is recorded on failure.
 */
int cs_stack_push(struct cs_volume *vol, const char *layer, const char *type,
		  const char *params);

/**
 * cs_stack_remove() - remove the layer whose target is in layers[@idx]
 * @vol: volume from cs_volume_open(); stale afterwards, free it
 * @idx: index of the device holding the layer's target (0: the top); the
 *	caller has checked that its table is that one target
 *
 * Gives layers[@idx] the table of layers[@idx + 1] and removes that
 * device.  For the top this is a suspend (lockfs), load, resume; for a
 * hidden layer the top is suspended with lockfs around the same steps on
 * that layer.  If the removal fails, layers[@idx] gets its table back.
 *
 * Return: 0; -EINVAL if no layer is below layers[@idx]; -EBUSY if the top
 * or layers[@idx] is suspended or has an inactive table, or the device
 * below is used by something else; or -errno.  An error is recorded on
 * failure.
 */
int cs_stack_remove(struct cs_volume *vol, unsigned int idx);

/**
 * cs_stack_pop() - remove the layer right below the top of @vol:
 * cs_stack_remove(@vol, 0)
 * @vol: volume from cs_volume_open() with at least two layers; stale
 *	afterwards, free it
 *
 * Return: as cs_stack_remove().
 */
int cs_stack_pop(struct cs_volume *vol);

#endif /* COWSNAP_STACK_H */
