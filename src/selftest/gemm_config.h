/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The one tile configuration of the self-test GEMM, shared by every backend:
 * the HIP kernel (gfx1010/1011/1012), its CUDA build for benchmarking and
 * the CPU twin in conv_cpu.c. It is chosen for gfx1010: wave32, 64 KiB of
 * LDS per workgroup, 36 CUs.
 *
 * C[M][N] = A[M][K] * B[K][N], all row-major. A block of GEMM_THREADS threads
 * computes a GEMM_BM x GEMM_BN tile of C, stepping through K by GEMM_BK with
 * two LDS stages. Each thread owns a GEMM_TM x GEMM_TN micro-tile made of
 * 2 x 2 sub-tiles of 4 x 4 (float4 wide); the sub-tiles are GEMM_WARP_M / 2
 * rows and GEMM_WARP_N / 2 columns apart so that a warp (wave) reads
 * contiguous float4s from LDS without bank conflicts.
 *
 * This header is plain C11 and C++: it is included by gcc, hipcc and nvcc.
 */

#define GEMM_BM 128
#define GEMM_BN 128
#define GEMM_BK 8
#define GEMM_TM 8
#define GEMM_TN 8
#define GEMM_THREADS 256

/* wave32 on RDNA1; the same width as an NVIDIA warp */
#define GEMM_WAVE 32

/* threads of one wave laid out as GEMM_WAVE_TY rows x GEMM_WAVE_TX columns */
#define GEMM_WAVE_TY 4
#define GEMM_WAVE_TX 8
#define GEMM_SUB 4                                      /* sub-tile edge: one float4 */
#define GEMM_WARP_M (GEMM_WAVE_TY * GEMM_TM)             /* 32 rows per wave */
#define GEMM_WARP_N (GEMM_WAVE_TX * GEMM_TN)             /* 64 columns per wave */
#define GEMM_WARPS_M (GEMM_BM / GEMM_WARP_M)             /* 4 */
#define GEMM_WARPS_N (GEMM_BN / GEMM_WARP_N)             /* 2 */

/*
 * LDS rows are padded by one float4 so that the transposing store of A
 * (thread t writes As[k][t / 2]) hits 32 distinct banks, while every row
 * start stays 16-byte aligned for float4 reads.
 */
#define GEMM_LDS_PAD 4
#define GEMM_LDS_STAGES 2
#define GEMM_LDS_A_STRIDE (GEMM_BM + GEMM_LDS_PAD)
#define GEMM_LDS_B_STRIDE (GEMM_BN + GEMM_LDS_PAD)
#define GEMM_LDS_BYTES                                                          \
        (GEMM_LDS_STAGES * GEMM_BK * (GEMM_LDS_A_STRIDE + GEMM_LDS_B_STRIDE) * 4)

/* global -> LDS loads: float4 slots per thread per K step */
#define GEMM_A_LOADS (GEMM_BM * GEMM_BK / 4 / GEMM_THREADS)
#define GEMM_B_LOADS (GEMM_BK * GEMM_BN / 4 / GEMM_THREADS)

/*
 * Row (within the block tile) of element i (0..GEMM_TM-1) of thread tid's
 * micro-tile, and column of element j (0..GEMM_TN-1). Shared by the kernel
 * and the CPU twin so both compute each output with the same thread.
 */
#define GEMM_WAVE_ID(tid) ((tid) / GEMM_WAVE)
#define GEMM_LANE(tid) ((tid) % GEMM_WAVE)
#define GEMM_ROW0(tid)                                                          \
        ((GEMM_WAVE_ID(tid) / GEMM_WARPS_N) * GEMM_WARP_M +                     \
         (GEMM_LANE(tid) / GEMM_WAVE_TX) * GEMM_SUB)
#define GEMM_COL0(tid)                                                          \
        ((GEMM_WAVE_ID(tid) % GEMM_WARPS_N) * GEMM_WARP_N +                     \
         (GEMM_LANE(tid) % GEMM_WAVE_TX) * GEMM_SUB)
#define GEMM_ROW(tid, i)                                                        \
        (GEMM_ROW0(tid) + ((i) / GEMM_SUB) * (GEMM_WARP_M / 2) + (i) % GEMM_SUB)
#define GEMM_COL(tid, j)                                                        \
        (GEMM_COL0(tid) + ((j) / GEMM_SUB) * (GEMM_WARP_N / 2) + (j) % GEMM_SUB)

#ifdef __cplusplus
#define GEMM_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define GEMM_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif

GEMM_STATIC_ASSERT(GEMM_LDS_BYTES <= 65536, "LDS per block must fit gfx1010's 64 KiB");
GEMM_STATIC_ASSERT(GEMM_THREADS % GEMM_WAVE == 0, "block must be whole waves (wave32)");
GEMM_STATIC_ASSERT(GEMM_THREADS <= 1024, "at most 1024 threads per block");
GEMM_STATIC_ASSERT((GEMM_BM / GEMM_TM) * (GEMM_BN / GEMM_TN) == GEMM_THREADS,
                   "micro-tiles must cover the block tile exactly");
GEMM_STATIC_ASSERT(GEMM_TM == 2 * GEMM_SUB && GEMM_TN == 2 * GEMM_SUB,
                   "micro-tile is 2 x 2 float4 sub-tiles");
GEMM_STATIC_ASSERT(GEMM_WAVE_TY * GEMM_WAVE_TX == GEMM_WAVE, "wave layout");
GEMM_STATIC_ASSERT(GEMM_WARPS_M * GEMM_WARPS_N * GEMM_WAVE == GEMM_THREADS, "wave grid");
GEMM_STATIC_ASSERT(GEMM_BM % GEMM_WARP_M == 0 && GEMM_BN % GEMM_WARP_N == 0, "wave tiles");
GEMM_STATIC_ASSERT(GEMM_BK % 4 == 0, "A tile is loaded as float4 along K");
GEMM_STATIC_ASSERT(GEMM_A_LOADS >= 1 && GEMM_A_LOADS * 4 * GEMM_THREADS == GEMM_BM * GEMM_BK,
                   "A tile loads divide evenly");
GEMM_STATIC_ASSERT(GEMM_B_LOADS >= 1 && GEMM_B_LOADS * 4 * GEMM_THREADS == GEMM_BK * GEMM_BN,
                   "B tile loads divide evenly");
