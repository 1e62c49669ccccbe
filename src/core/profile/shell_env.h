/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The environment one user's shells would get, read statically with the
 * audit's parser (envfile.h), never executed: /etc/environment, /etc/profile,
 * /etc/profile.d/NAME.sh, /etc/bash.bashrc, then ~/.profile, ~/.bash_profile
 * and ~/.bashrc, following `.`/`source` of absolute or home-relative paths
 * to a bounded depth. Later settings win, as in a login shell that sources
 * them in this order. Used by `--profile diff` and by install's
 * --disable-conflicts.
 */

#include <stdbool.h>
#include <stddef.h>

#include "root/sysroot.h"
#include "root/users.h"

#define SHELL_ENV_SOURCE_DEPTH 4

typedef struct shell_setting {
        char *name;
        char *value;            /* as the parser gives it ($HOME kept) */
        char *path;             /* as the inspected system sees it */
        unsigned line;
        char *line_text;        /* the whole line as written (for disabling it) */
        bool in_home;           /* a user's file: only --recover (as the user) may change it */
        bool exported;
} shell_setting;

typedef struct shell_env {
        shell_setting *items;   /* every setting, in the order a shell meets them */
        size_t n;
        size_t n_unreadable;    /* files that exist but could not be read */
} shell_env;

/* user may be NULL: system files only. Returns 0 or -ENOMEM. */
int shell_env_collect(const sysroot *sr, const root_user *user, shell_env *ret);
void shell_env_clear(shell_env *e);

/* The setting that wins for name (the last exported one), or NULL. */
const shell_setting *shell_env_final(const shell_env *e, const char *name);

/* value with $HOME, ${HOME}, $USER, ${USER} replaced (for comparing with a profile's). NULL on ENOMEM. */
char *shell_value_expand(const char *value, const char *home_dir, const char *user);
