/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Which gfx targets the installed ROCm stacks carry GPU code for, as
 * evidence of stack.rocm: the libraries of the distribution's ROCm packages
 * (the files their dpkg .list names) and of each /opt/rocm* tree's lib/,
 * read from their offload bundles (parse/gpu_bundle.h: the section index
 * and bundle headers, never the code; cached like a module scan), and the
 * per-target file names of rocBLAS/Tensile and hipBLASLt kernels and MIOpen
 * databases. Nothing is loaded or run.
 */

#include <stddef.h>

#include "base/report.h"
#include "probe/ko_cache.h"
#include "probe/pkgverify.h"
#include "root/sysroot.h"

#define ROCM_COVERAGE_LIBS_MAX 64u      /* libraries read per run; more: a closing line says how many */
#define ROCM_COVERAGE_DIR_ENTRIES 20000u /* names read per directory */

/*
 * Add one evidence line per library with device code (and per data
 * directory) to f: the targets it carries and, for each RDNA1 target in
 * gfx[], whether it is among them. Libraries that are no ELF64 file are
 * passed over; broken bundles become reasons in r. Returns 0 or -ENOMEM.
 */
int rocm_coverage_evidence(const sysroot *sr, const pkgverify *pv, ko_cache *cache, const char *const *gfx,
                           size_t n_gfx, report *r, finding *f);
