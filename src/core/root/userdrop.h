/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Run a function as a user of the inspected root: a forked child calls
 * setgroups() with the user's groups from the root's /etc/group (not the
 * host's, hence no initgroups()), setresgid(), setresuid(), checks that it
 * cannot get root back, then runs the function. Home files are only ever
 * written this way (docs/ARCHITECTURE.md).
 */

#include <sys/types.h>

#include "root/sysroot.h"

typedef struct user_ids {
        uid_t uid;
        gid_t gid;
        gid_t *groups;          /* supplementary groups, from the root's /etc/group */
        size_t n_groups;
        char *name;
        char *home;             /* from the root's /etc/passwd */
} user_ids;

/* Look uid up in the root's passwd/group. -ESRCH when there is no such user. */
int user_ids_load(const sysroot *sr, uid_t uid, user_ids *ret);
void user_ids_clear(user_ids *u);

/*
 * fork(); in the child drop to u and return fn(userdata) as the exit status
 * (a negative errno becomes 100 + errno, capped). on_child (may be NULL) is
 * called in the parent with the child's pid before waiting (the journal
 * records it). Returns fn's result as seen by the parent (0 or < 0 errno),
 * -ECHILD when the child died of a signal.
 */
typedef int (*user_fn)(void *userdata);
int run_as_user(const user_ids *u, user_fn fn, void *userdata, void (*on_child)(pid_t pid, void *ud), void *ud);
