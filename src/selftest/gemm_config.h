/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The tile configurations of the self-test GEMM, shared by every backend:
 * the HIP kernels (gfx1010/1011/1012: wave32, 64 KiB of LDS per workgroup),
 * their CUDA build for benchmarking and the CPU twin in conv_cpu.c. Each
 * configuration is one compile-time instance of the same kernel source
 * (kernels/gemm_tiled.hip), named gemm_tiled_f32_<name>; gemm_plan.c picks
 * one per GEMM shape.
 *
 * C[M][N] = A[M][K] * B[K][N], all row-major. A block of THREADS threads
 * computes a BM x BN tile of C, stepping through K by BK with two LDS
 * stages. Each thread owns a TM x TN micro-tile made of (TM/4) x (TN/4)
 * sub-tiles of 4 x 4 (float4 wide). A wave's lanes form WAVE_TY rows x
 * WAVE_TX columns of threads; its sub-tiles are WAVE_TY*4 rows and
 * WAVE_TX*4 columns apart, so that a wave reads contiguous float4s from LDS
 * without bank conflicts.
 *
 * This header is plain C11 and C++: it is included by gcc, hipcc and nvcc.
 */

/*
 * X(name, BM, BN, BK, TM, TN, WAVE_TY, WAVE_TX) for every configuration, in
 * the order of enum gemm_config_id. bench/RESULTS.md has what each one is
 * for and how fast it ran.
 */
#define GEMM_CONFIGS(X)                                                         \
        X(128x128, 128, 128, 8, 8, 8, 4, 8)                                    \
        X(64x128, 64, 128, 8, 8, 8, 4, 8)                                      \
        X(64x64, 64, 64, 8, 8, 8, 4, 8)                                        \
        X(32x128, 32, 128, 8, 8, 8, 4, 8)                                      \
        X(32x64, 32, 64, 8, 8, 8, 4, 8)                                        \
        X(64x64t4, 64, 64, 16, 4, 4, 4, 8)                                     \
        X(32x128t4, 32, 128, 16, 4, 4, 4, 8)                                   \
        X(16x128t4, 16, 128, 16, 4, 4, 4, 8)

#define GEMM_CONFIG_ENUM_(name, bm, bn, bk, tm, tn, wty, wtx) GEMM_CFG_##name,
enum gemm_config_id {
        GEMM_CONFIGS(GEMM_CONFIG_ENUM_)
        _GEMM_CFG_MAX,
};
#undef GEMM_CONFIG_ENUM_

/* the kernel of configuration `name` in the code object, and its implicit-GEMM twin */
#define GEMM_KERNEL_NAME(name) "gemm_tiled_f32_" #name
#define GEMM_CONV_KERNEL_NAME(name) "gemm_conv_f32_" #name

/* wave32 on RDNA1; the same width as an NVIDIA warp */
#define GEMM_WAVE 32
#define GEMM_SUB 4      /* sub-tile edge: one float4 */

/*
 * LDS rows are padded by one float4 so that the transposing store of A
 * (thread t writes As[k][t / (BK/4)]) spreads over the banks, while every
 * row start stays 16-byte aligned for float4 reads.
 */
#define GEMM_LDS_PAD 4
#define GEMM_LDS_STAGES 2

/*
 * Consecutive blocks go down GEMM_GROUP_M rows of tiles before the next
 * column, so that the blocks resident at one time share their A row panels
 * and B column panels in the L2 cache (1 would be plain row-major order).
 */
#define GEMM_GROUP_M 8
/*
 * The explicit GEMM's K loop is unrolled by the two LDS stages for block
 * tiles of at least this many elements (64x128, 128x128): every LDS address
 * is then a constant offset. The smaller 8x8 configurations have no VGPRs
 * left for the longer loop on gfx1010 (gemm_conv_f32_32x64 would spill to
 * scratch), and the implicit GEMM's gather needs its registers too.
 */
#define GEMM_UNROLL_MIN_TILE (64 * 128)

#define GEMM_THREADS_OF(bm, bn, tm, tn) (((bm) / (tm)) * ((bn) / (tn)))
#define GEMM_LDS_BYTES_OF(bm, bn, bk)                                           \
        (GEMM_LDS_STAGES * (bk) * ((bm) + GEMM_LDS_PAD + (bn) + GEMM_LDS_PAD) * 4)
/*
 * global -> LDS loads per K step: float4 slots of the A and B tiles, and
 * slots per thread (the last round of A slots may leave threads idle when
 * the A tile is small: fewer slots than threads).
 */
#define GEMM_A_SLOTS_OF(bm, bk) ((bm) * (bk) / 4)
#define GEMM_B_SLOTS_OF(bn, bk) ((bk) * (bn) / 4)
#define GEMM_A_LOADS_OF(bm, bn, bk, tm, tn)                                     \
        ((GEMM_A_SLOTS_OF(bm, bk) + GEMM_THREADS_OF(bm, bn, tm, tn) - 1) / GEMM_THREADS_OF(bm, bn, tm, tn))
#define GEMM_B_LOADS_OF(bm, bn, bk, tm, tn) (GEMM_B_SLOTS_OF(bn, bk) / GEMM_THREADS_OF(bm, bn, tm, tn))

/*
 * Row (within the block tile) of the first element of thread tid's
 * micro-tile, and its column; then row i (0..TM-1) and column j (0..TN-1)
 * from those. Shared by the kernel and the CPU twin so both compute each
 * output with the same thread.
 */
#define GEMM_ROW0_OF(tid, bn, tm, tn, wty, wtx)                                 \
        ((((tid) / GEMM_WAVE) / ((bn) / ((wtx) * (tn)))) * ((wty) * (tm)) +     \
         (((tid) % GEMM_WAVE) / (wtx)) * GEMM_SUB)
#define GEMM_COL0_OF(tid, bn, tm, tn, wty, wtx)                                 \
        ((((tid) / GEMM_WAVE) % ((bn) / ((wtx) * (tn)))) * ((wtx) * (tn)) +     \
         (((tid) % GEMM_WAVE) % (wtx)) * GEMM_SUB)
#define GEMM_ROW_OF(row0, i, wty) ((row0) + ((i) / GEMM_SUB) * ((wty) * GEMM_SUB) + (i) % GEMM_SUB)
#define GEMM_COL_OF(col0, j, wtx) ((col0) + ((j) / GEMM_SUB) * ((wtx) * GEMM_SUB) + (j) % GEMM_SUB)

#ifdef __cplusplus
#define GEMM_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define GEMM_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif

/* What every configuration must satisfy, checked at compile time. */
#define GEMM_CONFIG_ASSERTS_(name, bm, bn, bk, tm, tn, wty, wtx)                                    \
        GEMM_STATIC_ASSERT(GEMM_LDS_BYTES_OF(bm, bn, bk) <= 65536,                               \
                           #name ": LDS per block must fit gfx1010's 64 KiB");                    \
        GEMM_STATIC_ASSERT(GEMM_THREADS_OF(bm, bn, tm, tn) % GEMM_WAVE == 0,                     \
                           #name ": block must be whole waves (wave32)");                         \
        GEMM_STATIC_ASSERT(GEMM_THREADS_OF(bm, bn, tm, tn) <= 256,                               \
                           #name ": at most 256 threads per block");                              \
        GEMM_STATIC_ASSERT((tm) % GEMM_SUB == 0 && (tn) % GEMM_SUB == 0 && (tm) <= 8 && (tn) <= 8, \
                           #name ": micro-tile is 1x1 .. 2x2 float4 sub-tiles");                  \
        GEMM_STATIC_ASSERT((wty) * (wtx) == GEMM_WAVE, #name ": wave layout");                   \
        GEMM_STATIC_ASSERT((bm) % ((wty) * (tm)) == 0 && (bn) % ((wtx) * (tn)) == 0,             \
                           #name ": wave tiles cover the block tile");                            \
        GEMM_STATIC_ASSERT((bk) % 4 == 0, #name ": the A tile is loaded as float4 along K");     \
        GEMM_STATIC_ASSERT(GEMM_A_SLOTS_OF(bm, bk) % GEMM_THREADS_OF(bm, bn, tm, tn) == 0 ||      \
                                   GEMM_A_SLOTS_OF(bm, bk) < GEMM_THREADS_OF(bm, bn, tm, tn),     \
                           #name ": A tile loads divide evenly, or take one partial round");       \
        GEMM_STATIC_ASSERT(GEMM_B_LOADS_OF(bm, bn, bk, tm, tn) >= 1 &&                           \
                                   GEMM_B_LOADS_OF(bm, bn, bk, tm, tn) * 4 *                     \
                                                   GEMM_THREADS_OF(bm, bn, tm, tn) ==             \
                                           (bk) * (bn),                                           \
                           #name ": B tile loads divide evenly");                                 \
        GEMM_STATIC_ASSERT((bn) % 4 == 0, #name ": the B tile is loaded as float4 along N");

GEMM_CONFIGS(GEMM_CONFIG_ASSERTS_)
