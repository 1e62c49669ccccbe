/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The preflight gate between a plan and its journal (README.md, Recovery): runs
 * preflight_run() for the plan, prints every refusal, and keeps what the
 * executor's kernel-side steps need (the per-kernel choice, Secure Boot,
 * the patch signatures) and the dpkg locks until cleared.
 */

#include "parse/signature.h"
#include "recover/kernel_step.h"
#include "recover/plan.h"
#include "recover/preflight.h"
#include "recover/stepfile.h"
#include "recover_cmd.h"
#include "root/sysroot.h"

typedef struct recover_gate {
        preflight_result pf;
        bool have_pf;
        signature_db *sigs;
        kernel_ctx kc;          /* for exec_options.kernel: NULL-able through recover_gate_kernel() */
        bool kernel_allowed;    /* the plan's kernel-side steps may run here (--root /) */
} recover_gate;

/*
 * Returns 0 when the gate passed (the dpkg locks are held in g until
 * recover_gate_clear), else the exit code after printing why:
 * EXIT_RECOVER_REFUSED (12) or EXIT_RECOVER_UNKNOWN (3).
 */
int recover_gate_run(const recover_cli *c, const sysroot *sr, const plan *p, const char *state, recover_gate *g);
/* Kernel-side steps may run here: the running system's own / (never --root DIR). */
bool recover_gate_kernel_allowed(const recover_cli *c, const sysroot *sr);

/*
 * The same checks for a preview of plan p (the TUI's Recovery screen):
 * nothing is remounted, the dpkg locks are only tested, nothing is
 * printed. Returns 0 and *ret (preflight_result_clear it) or < 0 errno.
 */
int recover_gate_preview(const recover_cli *c, const sysroot *sr, const plan *p, const char *state,
                         preflight_result *ret);
const kernel_ctx *recover_gate_kernel(const recover_gate *g);
void recover_gate_clear(recover_gate *g);
