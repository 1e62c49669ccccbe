/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Which tile configuration (gemm_config.h) and how many K chunks ("split-K")
 * a GEMM of a given shape runs with: a pure function of the shape and the
 * device's compute-unit count, used by every backend, so the CPU backend in
 * CI runs each configuration's logic the way a GPU would.
 *
 * Split-K: K is cut into `splits` chunks of k_chunk (a multiple of the
 * configuration's BK; only the last one may be shorter); each chunk's
 * partial product is computed as usual into a workspace, then the partials
 * are added in the fixed order 0, 1, ..., splits-1. Deterministic, but in a
 * different order than one pass over K; gemm_plan_depth() gives the bound
 * that order keeps.
 *
 * Plain C11; also included from C++ (CUDA harness).
 */

#include <stddef.h>

#include "gemm_config.h"

#ifdef __cplusplus
extern "C" {
#endif

struct gemm_config {
        const char *name;       /* "128x128": the kernel is gemm_tiled_f32_<name> */
        int bm, bn, bk, tm, tn, wave_ty, wave_tx;
        int threads;
        int lds_bytes;
};

extern const struct gemm_config gemm_configs[_GEMM_CFG_MAX];

struct gemm_plan {
        enum gemm_config_id config;
        int splits;             /* >= 1 */
        int k_chunk;            /* K per split: a multiple of BK, or K itself when splits == 1 */
};

/*
 * The compute-unit count the CPU backend plans for: an RX 5600 XT or
 * RX 5700 (36 CUs), so that CI runs the plans an RDNA1 card would.
 */
#define GEMM_PLAN_CPU_COMPUTE_UNITS 36

/* The most K chunks a plan uses, and the fewest BK steps in a chunk gemm_plan_select() plans. */
#define GEMM_PLAN_MAX_SPLITS 16
#define GEMM_PLAN_MIN_CHUNK_STEPS 4

/*
 * The plan for C[M][N] = A[M][K] * B[K][N] (batch of them) on a device of
 * compute_units CUs (SMs); compute_units <= 0 means unknown (planned as the
 * CPU backend's). Pure: the same arguments always give the same plan.
 * M, N, K, batch >= 0.
 */
void gemm_plan_select(int M, int N, int K, int batch, int compute_units, struct gemm_plan *ret);

/*
 * The same for the implicit GEMM of a convolution (B gathered from the
 * image while it is loaded: gemm_conv_f32_*), whose gather costs per B
 * element and needs more resident threads: its plans favour taller tiles
 * and more blocks. Pure, like gemm_plan_select().
 */
void gemm_plan_select_implicit(int M, int N, int K, int batch, int compute_units, struct gemm_plan *ret);

/*
 * A plan with a given configuration and split count for K (benchmarks and
 * tests): k_chunk is ceil(K / splits) rounded up to BK, and splits is
 * lowered so that no chunk is empty.
 * Returns: 0, -EINVAL for an unknown configuration or splits outside
 * 1..GEMM_PLAN_MAX_SPLITS or K < 0 (*ret untouched).
 */
int gemm_plan_make(enum gemm_config_id config, int splits, int K, struct gemm_plan *ret);

/*
 * Whether plan p covers a K of exactly K: a known configuration, 1 to
 * GEMM_PLAN_MAX_SPLITS chunks of k_chunk (a multiple of BK when split)
 * that reach K without an empty one.
 * Returns: 0, or -EINVAL.
 */
int gemm_plan_check(const struct gemm_plan *p, int K);

/*
 * The rounding depth of each output under plan p: the most roundings any
 * product a_i*b_i goes through, so that |y - y_ref| <= gamma_depth *
 * sum |a_i b_i| (conv_bound()). One pass over K: K. With s chunks of at most
 * k_chunk terms each, added in order: min(K, k_chunk) + s - 1, which is
 * never more than K.
 */
size_t gemm_plan_depth(const struct gemm_plan *p, int K);

/* Floats of workspace the plan needs for a batch of M x N outputs (0 without split-K). */
size_t gemm_plan_workspace(const struct gemm_plan *p, int M, int N, int batch);

/* "64x64" or "64x64/s4" (4 K chunks) into buf (always NUL-terminated). */
void gemm_plan_format(const struct gemm_plan *p, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
