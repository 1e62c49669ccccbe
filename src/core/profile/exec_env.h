/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * `rdna1-doctor exec`: who the command runs as, the clean environment it
 * gets, the privilege drop and the exec itself (no shell, ever).
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "profile/profile.h"
#include "root/sysroot.h"

/* Variables kept from the caller's environment; everything else is dropped. */
#define EXEC_KEEP_VARS "PATH", "HOME", "USER", "TERM", "LANG"
#define EXEC_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

typedef struct exec_user {
        uid_t uid;
        gid_t gid;
        gid_t *groups;          /* supplementary, from the root's /etc/group (primary included) */
        size_t n_groups;
        char *name;             /* NULL when the root's passwd does not know the uid */
        char *home;             /* NULL likewise */
        const char *via;        /* "SUDO_UID", "PKEXEC_UID", "DOAS_USER" */
} exec_user;

/*
 * The user who invoked us through sudo (SUDO_UID, SUDO_GID), pkexec
 * (PKEXEC_UID) or doas (DOAS_USER), looked up in the root's /etc/passwd and
 * /etc/group. Returns 1 with *ret filled, 0 when none of them is set,
 * -ENOENT when the variable names an account the root does not know and no
 * SUDO_GID says its group (a refusal, not a guess), -EINVAL for a malformed
 * value, -ENOMEM.
 */
int exec_user_from_env(const sysroot *sr, exec_user *ret);

/* The identity of exec_user_unprivileged() when the root's passwd has no "nobody" (the kernel's overflow ids). */
#define EXEC_NOBODY_UID 65534
#define EXEC_NOBODY_GID 65534

/*
 * Whom to run a workload as when root was reached through none of sudo,
 * pkexec or doas (a root login, recovery mode) and no one asked for root:
 * "nobody" of the root's /etc/passwd with its primary group (65534/65534
 * when there is none), plus the group of each of device_nodes (e.g.
 * /dev/kfd and the card's render node, stat()ed through the root) that
 * the group may read and write: what a GPU run needs, and nothing of
 * root's. Group 0 is never added. via is "nobody". Returns 0, -ENOMEM,
 * or a negative errno from reading the root's passwd and group.
 */
int exec_user_unprivileged(const sysroot *sr, const char *const *device_nodes, size_t n_nodes, exec_user *ret);
void exec_user_clear(exec_user *u);

/*
 * The child's environment: the kept variables (HOME and USER of u when
 * given), then the resolved profile with ${HOME}/${USER} expanded.
 * NULL-terminated "NAME=VALUE" strings. Returns 0 or -ENOMEM.
 */
int exec_env_build(const resolved_env *e, const exec_user *u, char ***ret);
void exec_env_free(char **env);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, exec_env_free);

/* setgroups, setresgid, setresuid to u, and check that root cannot come back. */
int exec_drop_privileges(const exec_user *u);

/*
 * Find argv[0] in PATH (of envp) and execve it with envp. Returns only on
 * failure: 127 when not found, 126 when found but not executable (a file
 * without "#!" is not run through a shell: that is 126 too).
 */
int exec_command(char *const argv[], char *const envp[]);
