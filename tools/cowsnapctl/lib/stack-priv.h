/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcowsnap: table changes shared by stack-change.c and stack-push.c.
 * Not part of the library's interface.
 */
#ifndef COWSNAP_STACK_PRIV_H
#define COWSNAP_STACK_PRIV_H

#include <stdbool.h>

#include "stack.h"

/**
 * cs_stack_check_idle() - refuse a top device that someone else is in the
 * middle of changing
 * @vol: volume
 *
 * Return: 0, or -EBUSY (recorded) if the top is suspended, has an
 * inactive table or no live table.
 */
int cs_stack_check_idle(const struct cs_volume *vol);

/**
 * cs_stack_restore_table() - put @old back as the live table of @name
 * after a failed change: clear the inactive table, load @old if @reload,
 * resume.  Every failure is added to the error already recorded.
 * @name: dm name
 * @old: the table to restore
 * @reload: load @old (it may no longer be live)
 * @flags: 0 or CS_DM_HIDDEN
 */
void cs_stack_restore_table(const char *name, const struct cs_table *old,
			    bool reload, unsigned int flags);

/**
 * cs_stack_explain_load() - record why loading @new into @name failed
 * @r: the error of cs_dm_load()
 * @name: dm name
 * @new: the table refused
 *
 * Return: @r.
 */
int cs_stack_explain_load(int r, const char *name,
			  const struct cs_table *new);

/**
 * cs_stack_step_failed() - record a failed step, or add it to the error
 * already recorded when @undo
 * @undo: the step was part of an undo
 * @r: its error
 * @name: device
 * @what: the step, e.g. "cannot suspend"
 *
 * Return: @r.
 */
int cs_stack_step_failed(bool undo, int r, const char *name,
			 const char *what);

/**
 * cs_stack_replace_table() - replace the live table @old of @name by
 * @new: suspend (with lockfs for the top, without for a @hidden layer),
 * load, resume
 * @name: dm name
 * @hidden: a hidden layer
 * @old: its live table
 * @new: the new table
 * @undo: this call is itself an undo; add its failures to the error
 *	already recorded
 *
 * On failure @old is live again, or an undo failure is recorded too.
 * Return: 0 or -errno.
 */
int cs_stack_replace_table(const char *name, bool hidden,
			   const struct cs_table *old,
			   const struct cs_table *new, bool undo);

#endif /* COWSNAP_STACK_PRIV_H */
