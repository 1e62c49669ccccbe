/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* --profile ACTION [ARG] and exec --profile NAME -- CMD, as main.c parsed them. */
typedef struct profile_cli {
        bool exec_mode;
        const char *action;     /* list, show, validate, diff, install; for exec: the profile */
        const char *arg;        /* the action's NAME or FILE; for exec: the profile */
        const char *root;       /* NULL: / */
        const char *state_dir;
        const char *device;
        bool json, quiet, as_root, disable_conflicts, demo;
        bool dry_run;           /* install: print what would be written; exec: what would run */
        char **cmd;             /* exec: CMD ARGS..., NULL-terminated */
} profile_cli;

/* Run it; returns the exit code (rdna1-doctor(8), EXIT STATUS). */
int profile_run_cli(const profile_cli *c);

struct exec_user;

/*
 * The environment a workload gets under profile NAME (a name or a path) on
 * ROOT, by the rules of `exec`: the kept variables (HOME and USER of u when
 * given) plus the resolved profile. For --selftest --profile. Errors are
 * printed. Returns 0, or the exit code to give up with (64 usage, 3 cannot).
 */
int profile_cmd_environment(const char *name, const char *root, const char *device, const struct exec_user *u,
                            char ***ret_env);
