/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "recover_gate.h"

#include <stdio.h>
#include <sys/stat.h>

#include "base/log.h"
#include "base/util.h"

#define MAX_KERNELS 64

static void print_escaped_line(FILE *f, const char *prefix, const char *s)
{
        _cleanup_free_ char *e = escape_untrusted(s ? s : "", s ? strlen(s) : 0, 0);

        fprintf(f, "%s%s\n", prefix, e ? e : "?");
}

/* The gate's options for plan p: its kernels (into kernels[MAX_KERNELS + 1]) and the backups' size. */
static preflight_options gate_options(const recover_cli *c, const sysroot *sr, const plan *p, const char *state,
                                      bool kernel_allowed, const char **kernels)
{
        preflight_options po = {.remount_rw = c->remount_rw, .in_tree = c->in_tree, .state_dir = state,
                                .kernels = kernels};
        size_t nk = 0;

        for (size_t i = 0; i < p->n_actions; i++) {
                const plan_action *a = &p->actions[i];
                struct stat st;
                bool seen = false;

                /* A kernel step the planner blocked is still judged here: the
                 * gate's refusal (exit 12) is what says the kernel side cannot be done. */
                if (a->blocked && !a->kernel_side)
                        continue;
                /* Backups of the file steps go to the journal's file system. */
                /* (a user's file is never copied past USER_FILE_MAX: growing one does not block the run;
                 * each backup checks the space again for the size the file has then) */
                if (!a->kernel_side && a->path && sysroot_stat(sr, a->path, &st) >= 0 && S_ISREG(st.st_mode))
                        po.file_backup_bytes += a->in_home && (uint64_t)st.st_size > USER_FILE_MAX
                                                        ? USER_FILE_MAX : (uint64_t)st.st_size;
                /* dpkg -i gets a copy of the verified .deb in the journal */
                if (a->type == ACTION_REINSTALL_PACKAGE && a->source_path && sysroot_stat(sr, a->source_path, &st) >= 0)
                        po.file_backup_bytes += (uint64_t)st.st_size;
                if (!a->kernel_side || !a->kernel || !kernel_allowed)
                        continue;
                for (size_t k = 0; k < nk; k++)
                        seen = seen || streq(kernels[k], a->kernel);
                if (!seen && nk < MAX_KERNELS)
                        kernels[nk++] = a->kernel;
        }
        po.kernel_side = nk > 0;
        return po;
}

bool recover_gate_kernel_allowed(const recover_cli *c, const sysroot *sr)
{
        return sr->is_host && streq(c->root, "/");
}

int recover_gate_preview(const recover_cli *c, const sysroot *sr, const plan *p, const char *state,
                         preflight_result *ret)
{
        const char *kernels[MAX_KERNELS + 1] = {0};
        preflight_options po = gate_options(c, sr, p, state, recover_gate_kernel_allowed(c, sr), kernels);

        po.remount_rw = false;
        po.preview = true;
        return preflight_run(sr, &po, ret);
}

int recover_gate_run(const recover_cli *c, const sysroot *sr, const plan *p, const char *state, recover_gate *g)
{
        const char *kernels[MAX_KERNELS + 1] = {0};
        preflight_options po;
        int r;

        *g = (recover_gate){0};
        g->kernel_allowed = recover_gate_kernel_allowed(c, sr);
        po = gate_options(c, sr, p, state, g->kernel_allowed, kernels);

        if (po.kernel_side) {
                _cleanup_free_ char *dir = strdup_printf("%s/signatures", c->datadir);

                r = dir ? signature_db_load(dir, &g->sigs) : -ENOMEM;
                if (r < 0) {
                        log_error_errno(r, "cannot load the patch signatures from %s", dir ? dir : "?");
                        return EXIT_RECOVER_UNKNOWN;
                }
        }
        r = preflight_run(sr, &po, &g->pf);
        if (r < 0) {
                fprintf(stderr, "rdna1-doctor: the preflight gate could not run: %s; nothing was changed.\n",
                        strerror(-r));
                recover_gate_clear(g);
                return EXIT_RECOVER_UNKNOWN;
        }
        g->have_pf = true;
        for (size_t i = 0; i < g->pf.n_notes && !c->quiet; i++)
                print_escaped_line(c->json ? stderr : stdout, "Preflight: ", g->pf.notes[i]);
        if (!preflight_passed(&g->pf)) {
                fprintf(stderr, "rdna1-doctor: refused by the preflight gate; nothing was changed:\n");
                for (size_t i = 0; i < g->pf.n_failures; i++) {
                        const preflight_failure *f = &g->pf.failures[i];
                        _cleanup_free_ char *prefix = strdup_printf("  - %s%s%s: ",
                                preflight_check_to_string(f->check), f->kernel ? " " : "", f->kernel ? f->kernel : "");

                        print_escaped_line(stderr, prefix ? prefix : "  - ", f->reason);
                }
                recover_gate_clear(g);
                return EXIT_RECOVER_REFUSED;
        }
        g->kc = (kernel_ctx){.pf = &g->pf, .sigs = g->sigs};
        return 0;
}

const kernel_ctx *recover_gate_kernel(const recover_gate *g)
{
        return g->have_pf && g->kernel_allowed ? &g->kc : NULL;
}

void recover_gate_clear(recover_gate *g)
{
        if (g->have_pf)
                preflight_result_clear(&g->pf);
        signature_db_free(g->sigs);
        *g = (recover_gate){0};
}
