/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

typedef struct selftest_cli {
        const char *root;
        const char *state_dir;
        const char *datadir;
        const char *sweep;          /* "quick" | "standard" */
        unsigned stress_seconds;    /* > 0: --stress */
        const char *backend;        /* "hip" | "cpu" */
        const char *device;         /* PCI slot or NULL */
        const char *framework;      /* PYTHON or NULL */
        bool inject_errors;
        bool as_root;
        bool json;
        bool quiet;
} selftest_cli;

/* Returns the --selftest exit code: 0 pass, 20 wrong, 21 crash, 22 hang, 23 GPU reset, 3 not run. */
int selftest_run_cli(const selftest_cli *c);
