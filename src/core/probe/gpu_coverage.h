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
#include "probe/ko_cache.h"

/*
 * The device code of the library open at fd. Returns 0 (code->has_fatbin
 * says whether it has any), -EBADMSG with *ret_why (malloc'd) for a file
 * that is no ELF64 library or a broken bundle, or another negative errno.
 */
int gpu_coverage_of_fd(int fd, gpu_code *code, char **ret_why);

/*
 * As gpu_coverage_of_fd(), remembered in cache (NULL: none) under
 * "gpucode:PATH" and the file's stat (device, inode, size, mtime, ctime),
 * like a module scan: a library is read again only once it changed. Only
 * what was read whole is kept; a failure is never cached.
 */
int gpu_coverage_of_fd_cached(int fd, const char *path, ko_cache *cache, gpu_code *code, char **ret_why);

/* The cache's text for code ("gpucode/1 FATBIN BUNDLES COMPRESSED TRUNCATED TARGET..."), and back (-EBADMSG). */
char *gpu_code_to_text(const gpu_code *code);
int gpu_code_from_text(const char *text, gpu_code *ret);

/* Add what src carries to code (targets, counts, truncation). */
void gpu_code_merge(gpu_code *code, const gpu_code *src);

/* Add the gfx targets named by names[0..n) (file names) to code. */
void gpu_coverage_of_names(char *const *names, size_t n, gpu_code *code);

/* The RDNA1 targets (gfx1010, gfx1011, gfx1012). */
bool gpu_target_is_rdna1(const char *gfx);
