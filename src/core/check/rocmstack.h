/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * stack.rocm: the installed ROCm stacks (trees in /opt/rocm*, the
 * distribution's packages), judged against rocm_known_bad.c for the GPUs
 * present, and AMD apt sources that no longer fit the system.
 */

#include <stddef.h>

#include "base/report.h"
#include "probe/ko_cache.h"
#include "probe/pkgverify.h"
#include "root/sysroot.h"

/*
 * Raise stack.rocm; gfx: the gfx targets of the root's AMD GPUs. Its
 * evidence names the GPU targets the stacks' libraries carry code for
 * (rocm_coverage.h; results cached in cache, NULL: none).
 */
int rocm_stack_apply(const sysroot *sr, const pkgverify *pv, ko_cache *cache, const char *const *gfx, size_t n_gfx,
                     report *r);

/*
 * One apt source line (one-line style, "deb [opts] URI SUITE COMP...") or
 * deb822 URIs/Suites pair: is it AMD's repository, which product and
 * version? Returns 1 and fills the outputs (owned) for repo.radeon.com
 * amdgpu/rocm URIs, 0 otherwise, < 0 ENOMEM. (Exposed for unit tests.)
 */
int apt_radeon_source(const char *uri, const char *suite, char **ret_product, char **ret_version);
