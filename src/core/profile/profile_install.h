/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * `--profile install`: write /etc/profile.d/rdna1-doctor.sh inside the root
 * through the recovery journal, and optionally comment out conflicting
 * lines of other system environment files in the same run. The run is a
 * plan (an install-profile step, then one disable-env-line step per line)
 * that the recovery's executor runs, so `--recover --resume` finishes a
 * crashed install and `--rollback ID` undoes it. Files in homes are never
 * written here: those need a child running as their owner, which
 * `--recover` does.
 */

#include <stdbool.h>
#include <stddef.h>

typedef struct env_line_ref {
        char *path;             /* as the inspected system sees it */
        unsigned line;
        char *text;             /* the line as planned, without its newline */
        char *name;             /* the variable it sets */
} env_line_ref;

typedef struct install_request {
        const char *root;       /* host path of the root */
        const char *state_dir;  /* --state-dir, NULL: ROOT/var/lib/rdna1-doctor */
        const char *profile_name;
        const char *content;    /* the script */
        const env_line_ref *disable; /* lines to comment out (system files only) */
        size_t n_disable;
} install_request;

/*
 * Run the install as one journaled recovery run. Returns 0 with
 * *ret_journal_id set, -EBUSY when another run holds the lock, -EIO with
 * *ret_journal_id and *ret_error set when a step was refused (a line to
 * disable changed since it was planned, an immutable file: nothing is
 * written for it, the run stops there; earlier steps stay done, and
 * `--recover --resume` or `--rollback ID` go on from the journal), < 0 errno.
 */
int profile_install(const install_request *req, char **ret_journal_id, char **ret_error);

/* The text a disabled line becomes. */
char *env_line_disabled_text(const char *text);
