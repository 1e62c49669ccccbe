/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The executor: runs a journaled plan step by step (README.md, Recovery), resumes an
 * interrupted run from its journal, and rolls a run back in reverse.
 * File steps run here; kernel-side steps belong to the per-kernel
 * transaction (kernel_tx) and are refused with a reason when it cannot run
 * (no kernel_tx in this build, or --root other than /).
 */

#include <stdbool.h>

#include "base/util.h"
#include "recover/journal.h"
#include "root/sysroot.h"

struct kernel_ctx;

typedef struct exec_options {
        const sysroot *sr;
        /* kernel-side steps (kernel_step.h): set once the preflight gate passed; NULL refuses them */
        const struct kernel_ctx *kernel;
        bool kernel_allowed;    /* the root is the running system's / (no --root DIR) */
        bool force_kernel;      /* rollback: kernel-side steps confirmed */
} exec_options;

typedef struct exec_report {
        size_t done;            /* steps done (now or earlier) */
        size_t failed;          /* steps refused or failed (originals untouched or put back) */
        size_t skipped;         /* rollback: files left alone because they changed since */
        size_t unreviewed;      /* of failed: refused, their file not the one the reviewed plan showed */
        bool kernel_changed;    /* some kernel-side step ran: reboot */
        strv messages;          /* one line per event, for people (raw: escape before printing) */
        /* Set by the caller to see each message as it is added, and the progress lines of
         * long steps that are not kept in messages (raw); may be NULL. */
        void (*on_line)(const char *line, void *userdata);
        void *userdata;
} exec_report;

void exec_report_clear(exec_report *rep);

/*
 * Run every step that is not done yet (a fresh run or --resume). Returns 0
 * when the run went through (rep says how each step ended), < 0 errno when
 * the journal itself could not be written (the run stays resumable).
 */
int executor_run(journal *j, const exec_options *o, exec_report *rep);

/* Undo a run in reverse order; files changed since are skipped and reported. */
int executor_rollback(journal *j, const exec_options *o, exec_report *rep);

/*
 * Is a process of this run still alive (the run's pid, or a child a step
 * recorded)? Returns -EBUSY and *ret_pid when one is, 0 otherwise.
 */
int executor_check_orphans(const journal *j, pid_t *ret_pid);
