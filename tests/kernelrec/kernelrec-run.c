/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TEST DRIVER for the kernel side of --recover, on the running system
 * (--root /, which the tests make an overlay of / inside a private mount
 * namespace): preflight gate → journal with one kernel-side step →
 * kernel_tx_run(). It does what the executor does for one kernel-side
 * action, so the real dkms tests can run before the executor and
 * `rdna1-doctor --recover --yes` are wired; exit codes are --recover's:
 * 10 done (reboot), 11 failed (restored), 12 refused by preflight.
 *
 *   kernelrec-run --kernel K --module M --version V --state-dir DIR
 *                 [--in-tree] [--signatures DIR] [--patched-build-id HEX]...
 *   kernelrec-run --preflight-only [--root DIR] [--remount-rw] --kernel K [--in-tree]
 *                 the gate alone (any root): prints its notes, the Secure Boot
 *                 state and each kernel's choice; exit 0 passed, 12 refused
 */
#include <getopt.h>
#include <stdio.h>

#include "base/util.h"
#include "parse/ko_scan.h"
#include "parse/signature.h"
#include "recover/journal.h"
#include "recover/kernel_tx.h"
#include "recover/plan.h"
#include "recover/preflight.h"
#include "root/sysroot.h"

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"kernel", required_argument, NULL, 'k'},
                {"module", required_argument, NULL, 'm'},
                {"version", required_argument, NULL, 'v'},
                {"state-dir", required_argument, NULL, 's'},
                {"signatures", required_argument, NULL, 'S'},
                {"patched-build-id", required_argument, NULL, 'p'},
                {"in-tree", no_argument, NULL, 'i'},
                {"root", required_argument, NULL, 'r'},
                {"preflight-only", no_argument, NULL, 'P'},
                {"remount-rw", no_argument, NULL, 'R'},
                {},
        };
        const char *kernel = NULL, *module = "amdgpu", *version = NULL, *state_dir = NULL, *sigdir = NULL;
        const char *markers[KO_MAX_MARKERS];
        const char *patched[16] = {0};
        size_t n_markers = 0, n_patched = 0;
        bool in_tree = false, preflight_only = false, remount_rw = false;
        const char *root = "/";
        sysroot *sr = NULL;
        signature_db *db = NULL;
        preflight_result pf;
        plan *p;
        plan_action *a;
        journal *j = NULL;
        kernel_tx_result res;
        int c, r, code;

        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0)
                switch (c) {
                case 'k': kernel = optarg; break;
                case 'm': module = optarg; break;
                case 'v': version = optarg; break;
                case 's': state_dir = optarg; break;
                case 'S': sigdir = optarg; break;
                case 'i': in_tree = true; break;
                case 'r': root = optarg; break;
                case 'P': preflight_only = true; break;
                case 'R': remount_rw = true; break;
                case 'p':
                        if (n_patched + 1 < ELEMENTSOF(patched))
                                patched[n_patched++] = optarg;
                        break;
                default: return 64;
                }
        if (!kernel || (!preflight_only && (!version || !state_dir))) {
                fprintf(stderr, "usage: kernelrec-run --kernel K --version V --state-dir DIR [...]\n");
                return 64;
        }
        r = sysroot_open(root, &sr);
        if (r < 0) {
                fprintf(stderr, "cannot open /: %s\n", strerror(-r));
                return 3;
        }
        if (sigdir) {
                r = signature_db_load(sigdir, &db);
                if (r < 0) {
                        fprintf(stderr, "cannot load signatures from %s: %s\n", sigdir, strerror(-r));
                        return 3;
                }
                for (size_t i = 0; i < db->n && n_markers < KO_MAX_MARKERS; i++)
                        if (db->sigs[i].ko_marker)
                                markers[n_markers++] = db->sigs[i].ko_marker;
        }

        const char *kernels[] = {kernel, NULL};
        preflight_options po = {.kernel_side = true, .kernels = kernels, .in_tree = in_tree,
                                .state_dir = state_dir, .remount_rw = remount_rw};
        r = preflight_run(sr, &po, &pf);
        if (r < 0) {
                fprintf(stderr, "preflight: %s\n", strerror(-r));
                signature_db_free(db);
                sysroot_free(sr);
                return 3;
        }
        for (size_t i = 0; i < pf.n_notes; i++)
                printf("note: %s\n", pf.notes[i]);
        if (preflight_only)
                printf("secure-boot: %s (%s), certificate %s: %s\n", secure_boot_to_string(pf.sb.state),
                       pf.sb.detail, pf.sb.cert_path,
                       !pf.sb.cert ? "missing" : pf.sb.enrolled == 1 ? "enrolled" : pf.sb.enrolled == 0 ? "not enrolled" : "unknown");
        if (!preflight_passed(&pf)) {
                for (size_t i = 0; i < pf.n_failures; i++)
                        printf("refused (%s%s%s): %s\n", preflight_check_to_string(pf.failures[i].check),
                               pf.failures[i].kernel ? " " : "", pf.failures[i].kernel ? pf.failures[i].kernel : "",
                               pf.failures[i].reason);
                preflight_result_clear(&pf);
                signature_db_free(db);
                sysroot_free(sr);
                return 12;
        }
        const preflight_kernel *pk = preflight_result_kernel(&pf, kernel);
        printf("kernel %s: %s%s%s\n", kernel, kernel_choice_to_string(pk->choice), pk->reason ? ": " : "",
               pk->reason ? pk->reason : "");
        if (preflight_only) {
                preflight_result_clear(&pf);
                signature_db_free(db);
                sysroot_free(sr);
                return 0;
        }

        p = plan_new("/");
        a = p ? plan_add(p, pk->choice == KERNEL_CHOICE_IN_TREE ? ACTION_DKMS_REMOVE : ACTION_DKMS_REBUILD,
                         "kernel.patched-source") : NULL;
        if (!a || !(a->kernel = strdup(kernel)) || !(a->dkms_module = strdup(module)) ||
            !(a->dkms_version = strdup(version)))
                return 3;
        r = journal_create(state_dir, p, &j);
        if (r >= 0)
                r = journal_begin_step(j, 0);
        if (r < 0) {
                fprintf(stderr, "journal: %s\n", strerror(-r));
                return 3;
        }
        printf("journal %s\n", journal_id(j));

        kernel_tx_options ko = {.sr = sr, .j = j, .step = 0, .kernel = kernel, .module = module,
                                .version = version, .choice = pk->choice, .markers = markers,
                                .n_markers = n_markers, .patched_build_ids = patched, .sb = &pf.sb, .sigs = db};
        r = kernel_tx_run(&ko, &res);
        if (r < 0) {
                fprintf(stderr, "kernel_tx: %s\n", strerror(-r));
                return 3;
        }
        if (res.ok) {
                journal_step_done(j, 0);
                journal_set_status(j, RUN_DONE);
                printf("kernel %s: done%s%s; reboot to load the clean driver\n", kernel,
                       res.build_id ? ", build-id " : "", res.build_id ? res.build_id : "");
                code = 10;
        } else {
                journal_step_failed(j, 0, res.error);
                journal_set_status(j, RUN_PARTIAL);
                printf("kernel %s: failed: %s; previous modules and initramfs %s\n", kernel, res.error,
                       res.restored ? "restored" : "NOT fully restored");
                code = 11;
        }
        kernel_tx_result_clear(&res);
        journal_free(j);
        plan_free(p);
        preflight_result_clear(&pf);
        signature_db_free(db);
        sysroot_free(sr);
        return code;
}
