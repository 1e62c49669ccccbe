/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Which gfx targets a ROCm or PyTorch library carries device code for,
 * read from the open file's headers (parse/gpu_bundle.h), never loaded or
 * run; and which targets a directory of per-target data files (rocBLAS's
 * Tensile libraries, MIOpen databases) names.
 */

#include <stdbool.h>
#include <stddef.h>

#include "parse/gpu_bundle.h"

/*
 * The device code of the library open at fd. Returns 0 (code->has_fatbin
 * says whether it has any), -EBADMSG with *ret_why (malloc'd) for a file
 * that is no ELF64 library or a broken bundle, or another negative errno.
 */
int gpu_coverage_of_fd(int fd, gpu_code *code, char **ret_why);

/* Add the gfx targets named by names[0..n) (file names) to code. */
void gpu_coverage_of_names(char *const *names, size_t n, gpu_code *code);

/* The RDNA1 targets (gfx1010, gfx1011, gfx1012). */
bool gpu_target_is_rdna1(const char *gfx);
