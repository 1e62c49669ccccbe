/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Bounded walks of the ROCm trees (/opt/rocm*, the ROCm directories of the
 * distribution's packages) and the amdgpu DKMS sources: files no package
 * owns (runtime.unowned) and patch leftovers (leftover.patch-artifact).
 */

#include <stdbool.h>
#include <stddef.h>

#include "base/report.h"
#include "base/util.h"
#include "probe/pkgverify.h"
#include "root/sysroot.h"

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
DEFINE_TRIVIAL_CLEANUP_FUNC(rocm_tree_facts *, rocm_tree_facts_free);

/* "x.orig", "x.rej", "x.bak", "x.patch" */
bool is_patch_artifact(const char *name);
