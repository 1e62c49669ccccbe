/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Recovery screen's preflight line: the gate of --recover run as a
 * preview on the plan on screen (recover_gate_preview: nothing remounted,
 * the dpkg locks tested, not taken), said in one line before anyone types
 * yes. The real gate runs again in the child; this only tells early.
 */
#include <stdio.h>

#include "app.h"
#include "base/util.h"
#include "recover_gate.h"

static bool plan_has_kernel_side(const plan *p)
{
        for (size_t i = 0; i < p->n_actions; i++)
                if (p->actions[i].kernel_side)
                        return true;
        return false;
}

char *preflight_view_line(const tui_app *a, const inspection *in, const plan *p)
{
        recover_cli c = {.root = a->inspect.root, .datadir = a->opts->datadir, .system_only = a->inspect.system_only};
        preflight_result pf = {.lock_frontend_fd = -EBADF, .lock_fd = -EBADF};
        _cleanup_free_ char *line = NULL;
        bool kernel_here;
        int r;

        if (!p || p->n_actions == 0)
                return NULL;
        r = recover_gate_preview(&c, in->sr, p, a->state_dir, &pf);
        if (r < 0)
                return strdup_printf("Preflight could not run (%s).", strerror(-r));
        kernel_here = recover_gate_kernel_allowed(&c, in->sr);
        if (!preflight_passed(&pf)) {
                const preflight_failure *f = &pf.failures[0];

                line = strdup_printf("Preflight would refuse (exit 12, nothing changed): %s%s%s: %s%s",
                                     preflight_check_to_string(f->check), f->kernel ? " " : "",
                                     f->kernel ? f->kernel : "", f->reason,
                                     pf.n_failures > 1 ? " (and more)" : "");
        } else if (plan_has_kernel_side(p) && !kernel_here)
                line = strdup("Preflight: file steps pass; kernel-side steps never run on another root.");
        else
                line = strdup("Preflight: passed (root writable, space, no dpkg or dkms running).");
        preflight_result_clear(&pf);
        return TAKE_PTR(line);
}
