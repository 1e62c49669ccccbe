/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * One inspection of a root: runs the probes, keeps their facts, and lets
 * the kernel-side rules turn them into findings. Front ends render an
 * inspection; they never probe themselves.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/report.h"
#include "base/util.h"
#include "parse/ko_scan.h"
#include "parse/signature.h"
#include "probe/dkms.h"
#include "probe/facts.h"
#include "probe/rdna1_table.h"
#include "root/sysroot.h"

typedef struct inspect_options {
        const char *root;       /* "/" by default */
        const char *datadir;    /* signatures live in DATADIR/signatures */
        const char *cache_path; /* ko scan cache (host path), NULL: no cache */
        const char *state_dir;  /* --state-dir (host path); NULL: ROOT/var/lib/rdna1-doctor */
        const char *cache_dir;  /* host directory for other caches (hashes); NULL: none */
        bool system_only;       /* skip users' homes (package hooks) */
} inspect_options;

typedef struct inspection {
        sysroot *sr;
        bool live;              /* the root has a running system (proc/ and sys/) */
        char *osrelease;        /* running kernel, NULL when offline */
        signature_db *sigs;
        const char **dyndbg_functions;

        gpu_device *devices;
        size_t n_devices;
        kfd_facts *kfd;
        cmdline_facts *cmdline;
        module_facts *module;
        taint_facts taint;
        invoking_user user;
        dkms_facts *dkms;
        kernel_facts *kernels;
        size_t n_kernels;
        scanned_module *modules;
        size_t n_modules;
        char *dkms_package_status; /* dpkg Status of amdgpu-dkms, NULL when absent */
        ko_cache *cache;           /* module scans and source digests; NULL: no cache */
        const inspect_options *opts; /* as given to inspect_run (valid during the run only) */

        report *report;
} inspection;

/*
 * Run every kernel-side probe and rule. Returns 0 (the result, partial or
 * not, is in (*ret)->report), or < 0 errno when nothing could be checked:
 * -ENOENT/-ENOTDIR for a missing root, -EBADMSG for a broken signature db.
 */
int inspect_run(const inspect_options *opts, inspection **ret);
inspection *inspection_free(inspection *in);
DEFINE_TRIVIAL_CLEANUP_FUNC(inspection *, inspection_free);

/* The distinct gfx targets of the root's AMD GPUs (at most max); returns how many. */
size_t inspection_gfx_targets(const inspection *in, const char **targets, size_t max);

/* Rules: facts -> findings (rules_kernel.c, rules_selftest.c). */
int rules_kernel_apply(inspection *in);
/* The userspace audit (rdna1-doctor(8), FINDINGS), one file each: packages, environment, Python. */
int rules_runtime_apply(inspection *in);
int rules_env_apply(inspection *in);
int rules_python_apply(inspection *in);
/* state_fd: the self-test records directory (or < 0: none); state_path names it in evidence. */
int rules_selftest_apply(inspection *in, int state_fd, const char *state_path);

/*
 * Open the self-test records directory: STATE_DIR/selftest on the host, or
 * /var/lib/rdna1-doctor/selftest inside the root. create: make it (0700).
 * *ret_path gets the path to show. Returns an fd or < 0 errno.
 */
int selftest_dir_open(const sysroot *sr, const char *state_dir, bool create, char **ret_path);
/* The same for any subdirectory of the state directory ("selftest", "metrics"). */
int state_subdir_open(const sysroot *sr, const char *state_dir, const char *sub, bool create, char **ret_path);

/* "in-tree" | "dkms" | "none" | "unknown" */
const char *inspection_driver_origin(const inspection *in);
/* The scanned module whose build-id (or srcversion) equals the loaded one's, or NULL. */
const scanned_module *inspection_loaded_match(const inspection *in);
