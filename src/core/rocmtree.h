/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Bounded walks of the ROCm trees (/opt/rocm*, the ROCm directories of the
 * distribution's packages) and the amdgpu DKMS sources: files no package
 * owns (runtime.unowned) and patch leftovers (leftover.patch-artifact).
 * Also the installed ROCm versions and apt sources (stack.rocm).
 */

#include <stdbool.h>
#include <stddef.h>

#include "pkgverify.h"
#include "report.h"
#include "sysroot.h"

#define ROCM_WALK_MAX_ENTRIES 200000u
#define ROCM_WALK_MAX_DEPTH 24u

typedef struct rocm_tree_facts {
        char **unowned;        /* files (and symlinks) no package owns */
        size_t n_unowned;
        char **artifacts;      /* *.orig *.rej *.bak *.patch no package owns */
        size_t n_artifacts;
        size_t n_entries;      /* entries seen, all walks */
        bool truncated;        /* a bound was reached (a reason says which) */
} rocm_tree_facts;

int rocm_tree_walk(const sysroot *sr, const pkgverify *pv, report *r, rocm_tree_facts **ret);
rocm_tree_facts *rocm_tree_facts_free(rocm_tree_facts *f);

/* "x.orig", "x.rej", "x.bak", "x.patch" */
bool is_patch_artifact(const char *name);

/* Raise stack.rocm: versions in /opt/rocm*, distribution packages, stale apt sources. */
int rocm_stack_apply(const sysroot *sr, const pkgverify *pv, report *r);

/*
 * One apt source line (one-line style, "deb [opts] URI SUITE COMP...") or
 * deb822 URIs/Suites pair: is it AMD's repository, which product and
 * version? Returns 1 and fills the outputs (owned) for repo.radeon.com
 * amdgpu/rocm URIs, 0 otherwise, < 0 ENOMEM. (Exposed for unit tests.)
 */
int apt_radeon_source(const char *uri, const char *suite, char **ret_product, char **ret_version);
