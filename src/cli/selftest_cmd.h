/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/*
 * Progress of a run, for a front end that draws it itself (the TUI). With
 * a progress callback set, selftest_run_cli() prints nothing: every line it
 * would have written reaches the callback instead.
 */
typedef enum selftest_progress_kind {
        SELFTEST_PROGRESS_START,      /* total_cases known (0 for stress) */
        SELFTEST_PROGRESS_CASE_START, /* index, name */
        SELFTEST_PROGRESS_HEARTBEAT,  /* index, fraction */
        SELFTEST_PROGRESS_CASE,       /* index, name, pass, gflops, ms */
        SELFTEST_PROGRESS_DONE,       /* outcome, reason, passed, failed, exit_code */
} selftest_progress_kind;

typedef struct selftest_progress {
        selftest_progress_kind kind;
        unsigned total_cases;
        int index;
        const char *name;       /* escaped */
        double fraction;        /* 0..1 within the case */
        bool pass;
        double gflops, ms;
        const char *outcome;    /* "pass", "hang", ..., "refused", "not-run" */
        const char *reason;     /* escaped one line, or NULL */
        unsigned passed, failed;
        int exit_code;
        bool kernel_log_readable;
        bool cancelled;         /* stopped through selftest_cli.cancel */
        int largest_size_passed; /* framework probe: feature-map size, -1 none */
        int first_failed_size;  /* framework probe: -1 none */
} selftest_progress;

typedef void (*selftest_progress_fn)(const selftest_progress *p, void *userdata);

typedef struct selftest_cli {
        const char *root;
        const char *state_dir;
        const char *datadir;
        const char *sweep;          /* "quick" | "standard" */
        unsigned stress_seconds;    /* > 0: --stress */
        const char *backend;        /* "hip" | "cpu" */
        const char *device;         /* PCI slot or NULL */
        const char *framework;      /* PYTHON or NULL */
        const char *profile;        /* run the workload under this profile (name or path), or NULL */
        bool inject_errors;
        bool as_root;
        bool json;
        bool quiet;
        selftest_progress_fn progress; /* NULL: print (the CLI) */
        void *progress_userdata;
        const volatile bool *cancel; /* set true (another thread) to stop the run: exit 3, not-run */
        double *ret_gflops;          /* if set: GFLOP/s over the cases that ran (0: none) */
} selftest_cli;

/* Returns the --selftest exit code: 0 pass, 20 wrong, 21 crash, 22 hang, 23 GPU reset, 3 not run. */
int selftest_run_cli(const selftest_cli *c);
