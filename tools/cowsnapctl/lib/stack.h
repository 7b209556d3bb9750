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
 * enum cs_push_step - how far a push in steps (struct cs_push) got
 * @CS_PUSH_NONE: nothing done
 * @CS_PUSH_CREATED: VOL-<layer> exists with the top's table
 * @CS_PUSH_LOADED: the top's new table is loaded, inactive
 * @CS_PUSH_SUSPENDED: the top is suspended with lockfs
 * @CS_PUSH_RESUMED: the top runs its new table: done
 * @CS_PUSH_BROKEN: resuming failed; the top may be suspended
 */
enum cs_push_step {
	CS_PUSH_NONE,
	CS_PUSH_CREATED,
	CS_PUSH_LOADED,
	CS_PUSH_SUSPENDED,
	CS_PUSH_RESUMED,
	CS_PUSH_BROKEN,
};

/**
 * struct cs_push - a layer being pushed below the top of a volume, in
 * steps, so that several volumes can be suspended at once (snapshot sets)
 * @vol: the volume, from cs_volume_open(); stale once resumed
 * @lname: dm name of the new hidden device VOL-<layer>
 * @linfo: its dm information, once created
 * @table: the top's new table, once loaded
 * @step: how far it got
 *
 *	cs_push_create()    create VOL-<layer> with the top's table
 *	cs_push_load()      load the top's new table (inactive)
 *	cs_push_suspend()   suspend the top with lockfs
 *	cs_push_resume()    resume it: the new table is live
 *	cs_push_undo()      from any step back to where it started
 *	cs_push_free()      free what the push holds
 */
struct cs_push {
	struct cs_volume *vol;
	char lname[CS_DM_NAME_LEN];
	struct cs_dm_info linfo;
	struct cs_table table;
	enum cs_push_step step;
};

/**
 * cs_push_create() - first step: create hidden device VOL-@layer with the
 * table of the top of @vol
 * @p: push, zeroed here
 * @vol: volume from cs_volume_open()
 * @layer: layer name
 *
 * Return: 0; -E2BIG if the stack is full; -EEXIST if VOL-@layer exists;
 * -EBUSY if the top is suspended or has an inactive table; or -errno.  An
 * error is recorded on failure; nothing is left to undo then.
 */
int cs_push_create(struct cs_push *p, struct cs_volume *vol,
		   const char *layer);

/**
 * cs_push_load() - load "0 <size> @type <dev> @params" as the inactive
 * table of the top, <dev> being VOL-<layer>
 * @p: push after cs_push_create()
 * @type: target type
 * @params: parameters after the device number ("" for none)
 *
 * Return: 0; -EINVAL if the kernel refused the table; or -errno (recorded).
 */
int cs_push_load(struct cs_push *p, const char *type, const char *params);

/**
 * cs_push_suspend() - suspend the top with lockfs (its filesystem is
 * frozen and flushed)
 * @p: push after cs_push_load()
 *
 * Return: 0 or -errno (recorded).
 */
int cs_push_suspend(struct cs_push *p);

/**
 * cs_push_resume() - resume the top: the loaded table becomes live
 * @p: push after cs_push_suspend()
 *
 * Return: 0 or -errno (recorded).
 */
int cs_push_resume(struct cs_push *p);

/**
 * cs_push_undo() - take every step of @p back, last first: the top gets
 * its old table live again, VOL-<layer> is removed
 * @p: push at any step
 *
 * Failures are added to the error already recorded.
 */
void cs_push_undo(struct cs_push *p);

/** cs_push_free() - free what @p holds (not the volume) */
void cs_push_free(struct cs_push *p);

/**
 * cs_stack_push() - insert a layer right below the top of @vol
 * @vol: volume from cs_volume_open(); stale afterwards, free it
 * @layer: layer name of the new hidden device, e.g. CS_LAYER_REAL
 * @type: target type the top will use
 * @params: target parameters after the device number ("" for none)
 *
 * Creates hidden device VOL-@layer with the top's table, loads the table
 * "0 <size> @type <dev> @params" into the top, where <dev> is the new
 * device, then suspends the top (lockfs) and resumes it with that table:
 * the steps of struct cs_push.  Undoes everything on failure.
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

/** CS_LAYER_PARAMS_MAX - size of the parameters of a cs_layer_enable() target */
#define CS_LAYER_PARAMS_MAX	256

/**
 * struct cs_layer_type - a layer that is one target over the layer below,
 * as cs_layer_enable(), cs_layer_find() and cs_layer_disable() handle it
 * @layer: layer name of the hidden device a push creates, e.g. CS_LAYER_CBT
 * @target: target type, e.g. "cbt"
 * @present: error text when the volume has the target already, e.g.
 *	"cbt already enabled"
 * @absent: error text when it has not, e.g. "cbt is not enabled"
 */
struct cs_layer_type {
	const char *layer;
	const char *target;
	const char *present;
	const char *absent;
};

/**
 * typedef cs_layer_params_fn - build the target parameters of a layer
 * @vol: the volume it goes into
 * @arg: as given to cs_layer_enable()
 * @buf: receives the parameters after the device number ("" for none)
 * @size: CS_LAYER_PARAMS_MAX
 *
 * Return: 0 or -errno, recorded.
 */
typedef int cs_layer_params_fn(const struct cs_volume *vol, const void *arg,
			       char *buf, size_t size);

/**
 * cs_layer_enable() - push layer @lt below the top of volume @name
 * @name: volume name
 * @lt: the layer
 * @params: builds its target parameters once the volume is read
 * @arg: passed to @params
 *
 * Return: 0; -EEXIST if the volume has @lt's target already or the hidden
 * device exists; as @params, cs_volume_open() and cs_stack_push().  An
 * error is recorded on failure.
 */
int cs_layer_enable(const char *name, const struct cs_layer_type *lt,
		    cs_layer_params_fn *params, const void *arg);

/**
 * cs_layer_find() - the device holding @lt's target in volume @name
 * @name: volume name
 * @lt: the layer
 * @info: receives its dm information
 *
 * Return: 0; -ENOTCONN if the volume has no such target; as
 * cs_volume_open().  An error is recorded on failure.
 */
int cs_layer_find(const char *name, const struct cs_layer_type *lt,
		  struct cs_dm_info *info);

/**
 * cs_layer_disable() - remove layer @lt from volume @name
 * @name: volume name
 * @lt: the layer
 *
 * The target may be below other layers (cs_stack_remove()); its device's
 * table must be that one target.
 * Return: 0; -ENOTCONN if the volume has no such target; -EBUSY if its
 * table holds more; as cs_volume_open() and cs_stack_remove().  An error
 * is recorded on failure.
 */
int cs_layer_disable(const char *name, const struct cs_layer_type *lt);

#endif /* COWSNAP_STACK_H */
