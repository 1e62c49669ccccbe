/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* Does this command line belong to the profile front end (--profile ..., exec ...)? */
bool profile_cmd_wanted(int argc, char **argv);

/* Run it; returns the exit code (rdna1-doctor(8), EXIT STATUS). */
int profile_cmd_main(int argc, char **argv);

struct exec_user;

/*
 * The environment a workload gets under profile NAME (a name or a path) on
 * ROOT, by the rules of `exec`: the kept variables (HOME and USER of u when
 * given) plus the resolved profile. For --selftest --profile. Errors are
 * printed. Returns 0, or the exit code to give up with (64 usage, 3 cannot).
 */
int profile_cmd_environment(const char *name, const char *root, const char *device, const struct exec_user *u,
                            char ***ret_env);
