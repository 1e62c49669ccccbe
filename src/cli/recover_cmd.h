/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* Exit codes of --recover (rdna1-doctor(8), EXIT STATUS). */
#define EXIT_RECOVER_DONE 0
#define EXIT_RECOVER_REBOOT 10
#define EXIT_RECOVER_PARTIAL 11
#define EXIT_RECOVER_REFUSED 12
#define EXIT_RECOVER_UNKNOWN 3

typedef struct recover_cli {
        const char *root;
        const char *state_dir;
        const char *datadir;
        bool json, quiet, system_only;

        bool recover;           /* --recover */
        bool dry_run, yes, resume, remount_rw, in_tree;
        const char *rollback_id; /* --rollback ID */
        bool force_kernel;      /* --force-kernel (rollback of kernel-side steps, headless) */
        bool history;           /* --history */
        bool list_fault_points; /* --list-fault-points (test only) */
        const char *plan_file;  /* --plan-file FILE (test only) */
        const char *reviewed_plan; /* --reviewed-plan FILE: the sealed plan the TUI showed */
} recover_cli;

/* --recover, --rollback, --history: returns the exit code. */
int recover_run_cli(const recover_cli *c);
