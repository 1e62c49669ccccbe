/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "recover/kernel_step.h"

#include "parse/ko_scan.h"
#include "recover/kernel_tx.h"
#include "recover/plan.h"

/* An earlier step of this run that already rebuilt or removed the DKMS module of kernel (and its initramfs). */
static bool kernel_done_before(journal *j, size_t idx, const char *kernel)
{
        const plan *p = journal_plan(j);

        for (size_t i = 0; i < idx; i++) {
                const plan_action *a = &p->actions[i];

                if ((a->type == ACTION_DKMS_REBUILD || a->type == ACTION_DKMS_REMOVE) &&
                    streq_ptr(a->kernel, kernel) && journal_get_step(j, i)->state == STEP_DONE)
                        return true;
        }
        return false;
}

int kernel_step_run(journal *j, size_t idx, const sysroot *sr, const kernel_ctx *k, char **ret_error,
                    char **ret_note)
{
        const plan_action *a = &journal_plan(j)->actions[idx];
        const char *markers[KO_MAX_MARKERS];
        const preflight_kernel *pk;
        kernel_tx_options o = {.sr = sr, .j = j, .step = idx, .kernel = a->kernel, .module = a->dkms_module,
                               .version = a->dkms_version};
        kernel_tx_result res = {0};
        size_t n = 0;
        int r;

        *ret_error = NULL;
        *ret_note = NULL;
        if (!a->kernel || !k || !k->pf)
                return -EINVAL;
        if (a->type == ACTION_UPDATE_INITRAMFS && kernel_done_before(j, idx, a->kernel)) {
                *ret_note = strdup("made and verified by this kernel's DKMS step");
                return *ret_note ? 0 : -ENOMEM;
        }
        for (size_t i = 0; k->sigs && i < k->sigs->n && n < KO_MAX_MARKERS; i++)
                if (k->sigs->sigs[i].ko_marker)
                        markers[n++] = k->sigs->sigs[i].ko_marker;
        o.markers = markers;
        o.n_markers = n;
        o.sigs = k->sigs;
        o.sb = &k->pf->sb;
        o.patched_build_ids = k->patched_build_ids;
        o.on_progress = k->on_progress;
        o.progress_userdata = k->progress_userdata;

        if (a->type == ACTION_UPDATE_INITRAMFS) {
                o.initramfs_only = true;
                o.module = a->dkms_module ? a->dkms_module : "amdgpu";
                o.version = a->dkms_version ? a->dkms_version : "none";
        } else {
                if (!a->dkms_module || !a->dkms_version)
                        return -EINVAL;
                pk = preflight_result_kernel(k->pf, a->kernel);
                if (!pk || pk->choice == KERNEL_CHOICE_NONE) {
                        *ret_error = strdup_printf("the preflight gate did not clear kernel %s", a->kernel);
                        return *ret_error ? 0 : -ENOMEM;
                }
                /* dkms-remove stays a removal; a rebuild the gate found unsafe becomes one. */
                o.choice = a->type == ACTION_DKMS_REMOVE ? KERNEL_CHOICE_IN_TREE : pk->choice;
                if (a->type == ACTION_DKMS_REBUILD && o.choice == KERNEL_CHOICE_IN_TREE &&
                    !(*ret_note = strdup_printf("in-tree driver instead of a rebuild: %s", pk->reason)))
                        return -ENOMEM;
        }
        r = kernel_tx_run(&o, &res);
        if (r < 0)
                return r;
        if (!res.ok) {
                *ret_error = strdup_printf("%s%s", res.error ? res.error : "failed",
                                           res.restored ? "; the kernel's previous modules and initramfs are back"
                                                        : "; NOT everything could be put back: see the journal");
                kernel_tx_result_clear(&res);
                return *ret_error ? 0 : -ENOMEM;
        }
        kernel_tx_result_clear(&res);
        return 0;
}

int kernel_step_rollback(journal *j, size_t idx, const sysroot *sr, strv *messages, size_t *ret_skipped)
{
        const plan_action *a = &journal_plan(j)->actions[idx];

        if (!a->kernel)
                return -EINVAL;
        return kernel_tx_rollback(sr, j, idx, a->kernel, messages, ret_skipped);
}
