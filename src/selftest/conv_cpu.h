/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Convolution forward (NCHW, FP32) as im2col + tiled GEMM on the CPU, the
 * double-precision reference it is checked against, and the check itself.
 *
 * The CPU GEMM walks the same block tiles, K steps, K chunks and per-thread
 * micro-tiles as the HIP kernel (gemm_config.h) under the same plan
 * (gemm_plan.h), so the CPU backend runs the self-test's whole pipeline
 * without a GPU. The GPU backends reuse the reference, the check, the input
 * generators and the error injection from here.
 *
 * Layout: x is [n][cin][h][w], w is [cout][cin][kh][kw], y is
 * [n][cout][ho][wo]. Per image, y_n[cout][ho*wo] = w[cout][K] * col[K][ho*wo]
 * with K = cin*kh*kw: GEMM M = cout, N = ho*wo, K = cin*kh*kw.
 *
 * No I/O and no logging here. Plain C11; also included from C++ (CUDA harness).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gemm_plan.h"

#ifdef __cplusplus
extern "C" {
#endif

struct conv_shape {
        uint32_t n, cin, h, w, cout, kh, kw, stride, pad;
};

/* Sizes derived from a shape; every count fits an int (the kernels' argument type). */
struct conv_dims {
        size_t ho, wo;
        size_t m, n, k;         /* per-image GEMM: cout, ho*wo, cin*kh*kw */
        size_t x_len, w_len, y_len;
        size_t col_len;         /* im2col buffer for ONE image: k * n */
};

/*
 * Validate a shape and compute its sizes.
 * Returns: 0, or -EINVAL when a field is 0, the kernel does not fit the padded
 * input, or a size (element count of x, w, y or one image's im2col buffer)
 * does not fit an int. ret_dims is untouched on failure.
 */
int conv_shape_dims(const struct conv_shape *s, struct conv_dims *ret_dims);

/* "n1 c3x224x224 -> 16 k3x3 s1 p1" into buf (always NUL-terminated). */
void conv_shape_format(const struct conv_shape *s, char *buf, size_t len);

/* Lower one image x_image [cin][h][w] to col [cin*kh*kw][ho*wo] (zeros for padding). */
void conv_im2col(const struct conv_shape *s, const float *x_image, float *col);

/*
 * C[M][N] = A[M][K] * B[K][N], row-major with leading dimensions, with plan
 * p's tile configuration and K chunks, as the kernel computes it. Any
 * M, N, K >= 0 (K = 0 gives zeros). Only the M x N region of C is written.
 * Returns: 0, -EINVAL for a bad plan or size, -ENOMEM.
 */
int gemm_tiled_cpu(const struct gemm_plan *p, int M, int N, int K, const float *A, int lda, const float *B,
                   int ldb, float *C, int ldc);

/*
 * The plan for the per-image GEMM of shape s on a device of compute_units
 * CUs, run as an implicit GEMM (gemm_plan_select_implicit(): the HIP backend
 * runs gemm_conv_f32_<config>; the CPU backend's im2col + GEMM twin follows
 * the same plan, so both give the same bits). Returns: 0, -EINVAL for a bad
 * shape.
 */
int conv_plan(const struct conv_shape *s, int compute_units, struct gemm_plan *ret);

/*
 * y = conv(x, w) via im2col + gemm_tiled_cpu with plan (NULL: the plan for
 * GEMM_PLAN_CPU_COMPUTE_UNITS).
 * Returns: 0, -EINVAL for a bad shape or plan, -ENOMEM.
 */
int conv_forward_cpu(const struct conv_shape *s, const struct gemm_plan *plan, const float *x, const float *w,
                     float *y);

/*
 * Direct convolution in double: y_ref[i] = sum a*b, y_abs[i] = sum |a*b|
 * over the same terms (products of two floats are exact in double).
 * Returns: 0, -EINVAL for a bad shape.
 */
int conv_reference(const struct conv_shape *s, const float *x, const float *w, double *y_ref,
                   double *y_abs);

/* The same for a plain GEMM (row-major, leading dimensions). */
void gemm_reference(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                    double *c_ref, int ldr, double *c_abs);

/* gamma_K = K*u / (1 - K*u), u = 2^-24 (binary32 unit roundoff). */
double conv_gamma(size_t k);

/* How each output was summed, for its bound. */
struct conv_sum {
        size_t terms;   /* products a_i*b_i: K */
        size_t depth;   /* the most float roundings one product goes through */
        size_t ops;     /* float operations (fma and add) that produce the output */
};

/* One pass over k terms (no split-K): depth = ops = k. */
struct conv_sum conv_sum_plain(size_t k);

/* k terms under plan p: depth from gemm_plan_depth(), ops k + splits - 1. */
struct conv_sum conv_sum_plan(const struct gemm_plan *p, size_t k);

/*
 * Largest |y - y_ref| accepted for an element with sum |a*b| = abs:
 * gamma_depth * abs, plus the reference's own double rounding over the
 * terms and FLT_MIN per float operation for GPUs that flush subnormal
 * results to zero.
 */
double conv_bound(const struct conv_sum *sum, double abs);

struct conv_check {
        size_t checked;
        size_t bad;
        size_t first_bad;       /* index of the first bad element; valid when bad > 0 */
        double worst_ratio;     /* max |y - y_ref| / bound (NaN counts as +inf) */
};

/*
 * Per-element check of n outputs, each summed as sum says:
 * |y - y_ref| <= conv_bound(sum, y_abs). NaN and Inf never pass.
 * Returns: the number of elements outside the bound (0 means pass); the
 * details go to ret (may be NULL).
 */
size_t conv_check_bound(size_t n, const struct conv_sum *sum, const float *y, const double *y_ref,
                        const double *y_abs, struct conv_check *ret);

/* Bitwise run-to-run consistency: true if both outputs are identical bytes. */
bool conv_outputs_identical(const float *a, const float *b, size_t n);

/* Deterministic uniform values in [-1, 1) from seed (xorshift64*). */
void conv_fill_random(float *p, size_t n, uint64_t seed);

/*
 * Heavy cancellation: +2^20 and -2^20 alternating every `period` elements,
 * plus uniform noise in [-1, 1). With period = h*w (one channel) and all
 * weights 1, each output sums pairs of channels that cancel to the noise,
 * so the float rounding error is large relative to the result but not to
 * sum |a*b|: a relative-error check would fail, the bound must not.
 */
void conv_fill_cancellation(float *p, size_t n, size_t period, uint64_t seed);

/* Which outputs conv_inject_errors() corrupts (in image 0 unless noted). */
enum {
        CONV_INJECT_FIRST = 1 << 0,     /* y[0]: first tile */
        CONV_INJECT_EDGE_M = 1 << 1,    /* last row (cout-1), first column: last tile in M */
        CONV_INJECT_EDGE_N = 1 << 2,    /* first row, last pixel: last tile in N */
        CONV_INJECT_EDGE_MN = 1 << 3,   /* last image, last row, last pixel: corner tile */
        CONV_INJECT_ALL = (1 << 4) - 1,
};

/*
 * Corrupt the selected outputs of y (shape s) by far more than any bound
 * (y + 2^20 * (1 + |y|)). The "last tile" elements lie in partial edge tiles
 * whenever cout or ho*wo is not a multiple of the tile's BM or BN.
 * Distinct flat indices go to ret_pos (room for 4).
 * Returns: the number of distinct elements corrupted, or -EINVAL.
 */
int conv_inject_errors(const struct conv_shape *s, float *y, unsigned which, size_t ret_pos[4]);

#ifdef __cplusplus
}
#endif
