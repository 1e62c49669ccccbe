/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * `--profile install`: write /etc/profile.d/rdna1-doctor.sh inside the root
 * through the recovery journal (one run, so `--rollback ID` undoes it), and
 * optionally comment out conflicting lines of other system environment
 * files in the same run. Files in homes are never written here: those
 * need a child running as their owner, which `--recover` does.
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
 * *ret_journal_id set, -EBUSY when another run holds the lock, -ESTALE when
 * a line to disable changed since it was planned (nothing is written for
 * it; earlier steps stay done and are rolled back by --rollback), < 0 errno.
 */
int profile_install(const install_request *req, char **ret_journal_id, char **ret_error);

/* The text a disabled line becomes. */
char *env_line_disabled_text(const char *text);
