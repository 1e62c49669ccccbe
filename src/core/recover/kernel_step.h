/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The executor's side of kernel-side plan steps (dkms-rebuild, dkms-remove,
 * update-initramfs): maps a journaled plan action onto kernel_tx with what
 * the preflight gate decided, and undoes it for --rollback.
 */

#include <stdbool.h>

#include "base/util.h"
#include "parse/signature.h"
#include "recover/journal.h"
#include "recover/preflight.h"
#include "root/sysroot.h"

typedef struct kernel_ctx {
        preflight_result *pf;                  /* the gate passed; its dpkg locks are held */
        const signature_db *sigs;              /* markers and the source check; may be NULL */
        const char *const *patched_build_ids;  /* extra known patched builds; may be NULL */
        void (*on_progress)(const char *line, void *userdata); /* kernel_tx's progress lines; may be NULL */
        void *progress_userdata;
} kernel_ctx;

/*
 * Run step idx of j. Returns 0 with *ret_error NULL when done (*ret_note:
 * NULL or a line for people, e.g. the in-tree fallback), 0 with *ret_error
 * set when it failed (the kernel's previous files are back), < 0 errno
 * when it could not run at all.
 */
int kernel_step_run(journal *j, size_t idx, const sysroot *sr, const kernel_ctx *k, char **ret_error,
                    char **ret_note);

/* --rollback of step idx: kernel_tx_rollback(). *ret_skipped files were left alone (messages say why). */
int kernel_step_rollback(journal *j, size_t idx, const sysroot *sr, strv *messages, size_t *ret_skipped);
