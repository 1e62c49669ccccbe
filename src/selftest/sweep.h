/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The self-test's convolution cases. "quick" is a handful of small shapes
 * (seconds on a CPU, still with partial edge tiles in M and N and an M
 * larger than one tile); "standard" crosses the 42x42 / 44x44 boundary of
 * the ROCm 5.7 hang at 44x44 feature maps (42x42 the last size that passed,
 * docs/DOMAIN.md §15) (40, 42, 44, 48, 64, ... 224), channels 3->16 up to 64->64,
 * 1x1 / 3x3 / 5x5 kernels, stride 1 and 2, with and without padding.
 */

#include <errno.h>
#include <stddef.h>

#include "conv_cpu.h"

#ifdef __cplusplus
extern "C" {
#endif

enum sweep_kind {
        SWEEP_QUICK,
        SWEEP_STANDARD,
        _SWEEP_KIND_MAX,
        _SWEEP_KIND_INVALID = -EINVAL,
};

/* Returns: the static case list of kind (count in *ret_n), NULL for an unknown kind. */
const struct conv_shape *sweep_cases(enum sweep_kind kind, size_t *ret_n);

/* "quick", "standard"; NULL for an unknown kind. */
const char *sweep_kind_to_string(enum sweep_kind kind);

/* Returns: the kind, or _SWEEP_KIND_INVALID. */
enum sweep_kind sweep_kind_from_string(const char *s);

#ifdef __cplusplus
}
#endif
