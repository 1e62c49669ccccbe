// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The self-test's convolution kernels: im2col and a tiled FP32 GEMM.
 *
 * Built with `hipcc --genco --offload-arch=gfx1010,gfx1011,gfx1012
 * -mcode-object-version=4 -O3` (bench/RESULTS.md has the exact commands) and
 * loaded with hipModuleLoad (hence extern "C" names), and with nvcc through
 * ../hip_cuda_compat.h for the benchmark on NVIDIA hardware.
 *
 * gemm_tiled_f32: C[M][N] = A[M][K] * B[K][N], row-major, any sizes.
 *   grid  (ceil(N / GEMM_BN), ceil(M / GEMM_BM), batch), block (GEMM_THREADS)
 *   batch z uses A + z*strideA, B + z*strideB, C + z*strideC
 *   (the convolution: A = weights with strideA 0, B = im2col of image z,
 *   C = output image z).
 * im2col_nchw_f32: col[z][cin*kh*kw][ho*wo] from x[z][cin][h][w]
 *   grid (any, batch), block (any): a grid-stride loop.
 *
 * The tile configuration is gemm_config.h's, shared with the CPU twin
 * (conv_cpu.c). Pipeline per K step: the next step's global loads go to
 * registers (float4 where aligned and inside the matrices, predicated
 * elsewhere), this step's LDS stage feeds the FMAs through double-buffered
 * register fragments (float4 LDS reads, conflict-free), then the registers
 * go to the other LDS stage: two stages, one barrier per step.
 * No scratch: every register array is indexed by constants in fully
 * unrolled loops. Each output is one sequence of fmaf over ascending k, so
 * results are bitwise repeatable.
 */

#if defined(__CUDACC__)
#include "../hip_cuda_compat.h"
#else
#include <hip/hip_runtime.h>
#endif

#include "../gemm_config.h"

#ifndef GEMM_LAUNCH_BOUNDS
#define GEMM_LAUNCH_BOUNDS(threads) __launch_bounds__(threads)
#endif

typedef long long gemm_index;

/*
 * Predicated load of A[m][k..k+3] from p = &A[m][k]; zeros outside the
 * matrix. row_in: m < M. Only elements inside the matrix are read, so the
 * padding of a leading dimension is never touched.
 */
static __device__ __forceinline__ float4 gemm_load_a(const float *__restrict__ p, bool row_in,
                                                     bool vec, int k, int K)
{
        float4 v = make_float4(0.0f, 0.0f, 0.0f, 0.0f);

        if (!row_in)
                return v;
        if (vec && k + 3 < K)
                return *reinterpret_cast<const float4 *>(p);
        if (k < K)
                v.x = p[0];
        if (k + 1 < K)
                v.y = p[1];
        if (k + 2 < K)
                v.z = p[2];
        if (k + 3 < K)
                v.w = p[3];
        return v;
}

/*
 * Predicated load of B[k][n..n+3] from p = &B[k][n]; zeros outside the
 * matrix. cols: N - n, the columns left in this row (4 or more: all).
 */
static __device__ __forceinline__ float4 gemm_load_b(const float *__restrict__ p, bool vec,
                                                     int cols, int k, int K)
{
        float4 v = make_float4(0.0f, 0.0f, 0.0f, 0.0f);

        if (k >= K)
                return v;
        if (vec && cols >= 4)
                return *reinterpret_cast<const float4 *>(p);
        if (cols > 0)
                v.x = p[0];
        if (cols > 1)
                v.y = p[1];
        if (cols > 2)
                v.z = p[2];
        if (cols > 3)
                v.w = p[3];
        return v;
}

static __device__ __forceinline__ bool gemm_aligned16(const void *p)
{
        return (reinterpret_cast<unsigned long long>(p) & 15) == 0;
}

extern "C" __global__ GEMM_LAUNCH_BOUNDS(GEMM_THREADS) void
gemm_tiled_f32(int M, int N, int K,
               const float *__restrict__ A, int lda, long long strideA,
               const float *__restrict__ B, int ldb, long long strideB,
               float *__restrict__ C, int ldc, long long strideC)
{
        /* two stages: the next K step is stored while this one is read */
        __shared__ __attribute__((aligned(16))) float As[GEMM_LDS_STAGES][GEMM_BK][GEMM_LDS_A_STRIDE];
        __shared__ __attribute__((aligned(16))) float Bs[GEMM_LDS_STAGES][GEMM_BK][GEMM_LDS_B_STRIDE];

        const int tid = threadIdx.x;
        const int m0 = blockIdx.y * GEMM_BM;
        const int n0 = blockIdx.x * GEMM_BN;

        A += blockIdx.z * strideA;
        B += blockIdx.z * strideB;
        C += blockIdx.z * strideC;

        /* float4 global access only where every row start is 16-byte aligned */
        const bool a_vec = lda % 4 == 0 && gemm_aligned16(A);
        const bool b_vec = ldb % 4 == 0 && gemm_aligned16(B);
        const bool c_vec = ldc % 4 == 0 && gemm_aligned16(C);

        /*
         * This thread's slots in the A tile (float4 along K) and the B tile
         * (float4 along N), with their global addresses, which advance by one
         * K step per fetch: no address arithmetic is redone in the loop.
         */
        int a_m[GEMM_A_LOADS], a_k[GEMM_A_LOADS], b_k[GEMM_B_LOADS], b_n[GEMM_B_LOADS];
        const float *a_src[GEMM_A_LOADS], *b_src[GEMM_B_LOADS];
        bool a_in[GEMM_A_LOADS];
        int b_cols[GEMM_B_LOADS];
        const gemm_index b_step = (gemm_index) GEMM_BK * ldb;
#pragma unroll
        for (int s = 0; s < GEMM_A_LOADS; s++) {
                int l = s * GEMM_THREADS + tid;
                a_m[s] = l / (GEMM_BK / 4);
                a_k[s] = (l % (GEMM_BK / 4)) * 4;
                a_in[s] = m0 + a_m[s] < M;
                a_src[s] = A + (gemm_index) (m0 + a_m[s]) * lda + a_k[s];
        }
#pragma unroll
        for (int s = 0; s < GEMM_B_LOADS; s++) {
                int l = s * GEMM_THREADS + tid;
                b_k[s] = l / (GEMM_BN / 4);
                b_n[s] = (l % (GEMM_BN / 4)) * 4;
                b_cols[s] = N - (n0 + b_n[s]);
                b_src[s] = B + (gemm_index) b_k[s] * ldb + n0 + b_n[s];
        }

        float4 a_reg[GEMM_A_LOADS], b_reg[GEMM_B_LOADS];

        /* k0: the K offset of the step being fetched */
#define GEMM_FETCH(k0)                                                                  \
        do {                                                                            \
                _Pragma("unroll") for (int s = 0; s < GEMM_A_LOADS; s++) {              \
                        a_reg[s] = gemm_load_a(a_src[s], a_in[s], a_vec, (k0) + a_k[s], K); \
                        a_src[s] += GEMM_BK;                                            \
                }                                                                       \
                _Pragma("unroll") for (int s = 0; s < GEMM_B_LOADS; s++) {              \
                        b_reg[s] = gemm_load_b(b_src[s], b_vec, b_cols[s], (k0) + b_k[s], K); \
                        b_src[s] += b_step;                                             \
                }                                                                       \
        } while (0)

#define GEMM_STORE(stage)                                                               \
        do {                                                                            \
                _Pragma("unroll") for (int s = 0; s < GEMM_A_LOADS; s++) {              \
                        As[stage][a_k[s] + 0][a_m[s]] = a_reg[s].x;                     \
                        As[stage][a_k[s] + 1][a_m[s]] = a_reg[s].y;                     \
                        As[stage][a_k[s] + 2][a_m[s]] = a_reg[s].z;                     \
                        As[stage][a_k[s] + 3][a_m[s]] = a_reg[s].w;                     \
                }                                                                       \
                _Pragma("unroll") for (int s = 0; s < GEMM_B_LOADS; s++)                \
                        *reinterpret_cast<float4 *>(&Bs[stage][b_k[s]][b_n[s]]) = b_reg[s]; \
        } while (0)

        float acc[GEMM_TM][GEMM_TN];
#pragma unroll
        for (int i = 0; i < GEMM_TM; i++)
#pragma unroll
                for (int j = 0; j < GEMM_TN; j++)
                        acc[i][j] = 0.0f;

        const int row0 = GEMM_ROW0(tid);
        const int col0 = GEMM_COL0(tid);
        const int ktiles = (K + GEMM_BK - 1) / GEMM_BK;
        /* the whole block tile lies inside C and every load can be a float4 */
        const bool interior = a_vec && b_vec && m0 + GEMM_BM <= M && n0 + GEMM_BN <= N;

        float fa[2][GEMM_TM], fb[2][GEMM_TN];

#define GEMM_FRAG(buf, stage, k)                                                        \
        do {                                                                            \
                float4 v_;                                                              \
                v_ = *reinterpret_cast<const float4 *>(&As[stage][k][row0]);            \
                fa[buf][0] = v_.x, fa[buf][1] = v_.y, fa[buf][2] = v_.z, fa[buf][3] = v_.w; \
                v_ = *reinterpret_cast<const float4 *>(&As[stage][k][row0 + GEMM_WARP_M / 2]); \
                fa[buf][4] = v_.x, fa[buf][5] = v_.y, fa[buf][6] = v_.z, fa[buf][7] = v_.w; \
                v_ = *reinterpret_cast<const float4 *>(&Bs[stage][k][col0]);            \
                fb[buf][0] = v_.x, fb[buf][1] = v_.y, fb[buf][2] = v_.z, fb[buf][3] = v_.w; \
                v_ = *reinterpret_cast<const float4 *>(&Bs[stage][k][col0 + GEMM_WARP_N / 2]); \
                fb[buf][4] = v_.x, fb[buf][5] = v_.y, fb[buf][6] = v_.z, fb[buf][7] = v_.w; \
        } while (0)

        GEMM_FETCH(0);
        GEMM_STORE(0);
        __syncthreads();
        GEMM_FRAG(0, 0, 0);

        for (int t = 0; t < ktiles; t++) {
                const int cur = t & 1;
                const bool more = t + 1 < ktiles;

                /*
                 * Global loads of the next step are in flight during the FMAs.
                 * Inside the matrices (a block-uniform test) they need no
                 * predicates; past the last step every predicated load is off
                 * (zeros), which is cheaper than a branch around the fetch.
                 */
                if (interior && (t + 2) * GEMM_BK <= K) {
#pragma unroll
                        for (int s = 0; s < GEMM_A_LOADS; s++) {
                                a_reg[s] = *reinterpret_cast<const float4 *>(a_src[s]);
                                a_src[s] += GEMM_BK;
                        }
#pragma unroll
                        for (int s = 0; s < GEMM_B_LOADS; s++) {
                                b_reg[s] = *reinterpret_cast<const float4 *>(b_src[s]);
                                b_src[s] += b_step;
                        }
                } else {
                        GEMM_FETCH((t + 1) * GEMM_BK);
                }

#pragma unroll
                for (int kk = 0; kk < GEMM_BK; kk++) {
                        /*
                         * Fragments are double-buffered: those of the next k
                         * are read from LDS before this k's FMAs, across the
                         * step boundary too (after the barrier).
                         */
                        if (kk == GEMM_BK - 1) {
                                if (more)
                                        GEMM_STORE(cur ^ 1);
                                /* one barrier per step: stage cur^1 is complete, stage cur is free */
                                __syncthreads();
                                GEMM_FRAG((kk + 1) & 1, cur ^ 1, 0);
                        } else {
                                GEMM_FRAG((kk + 1) & 1, cur, kk + 1);
                        }
#pragma unroll
                        for (int i = 0; i < GEMM_TM; i++)
#pragma unroll
                                for (int j = 0; j < GEMM_TN; j++)
                                        acc[i][j] = fmaf(fa[kk & 1][i], fb[kk & 1][j], acc[i][j]);
                }
        }
#undef GEMM_FETCH
#undef GEMM_STORE
#undef GEMM_FRAG

#pragma unroll
        for (int i = 0; i < GEMM_TM; i++) {
                const int m = m0 + GEMM_ROW(tid, i);

                if (m >= M)
                        continue;
                float *crow = C + (gemm_index) m * ldc;
#pragma unroll
                for (int sj = 0; sj < GEMM_TN / GEMM_SUB; sj++) {
                        const int n = n0 + GEMM_COL(tid, sj * GEMM_SUB);

                        if (c_vec && n + 3 < N) {
                                *reinterpret_cast<float4 *>(crow + n) =
                                        make_float4(acc[i][sj * GEMM_SUB + 0], acc[i][sj * GEMM_SUB + 1],
                                                    acc[i][sj * GEMM_SUB + 2], acc[i][sj * GEMM_SUB + 3]);
                                continue;
                        }
#pragma unroll
                        for (int j = 0; j < GEMM_SUB; j++)
                                if (n + j < N)
                                        crow[n + j] = acc[i][sj * GEMM_SUB + j];
                }
        }
}

extern "C" __global__ void
im2col_nchw_f32(const float *__restrict__ x, float *__restrict__ col,
                int cin, int h, int w, int kh, int kw, int stride, int pad, int ho, int wo)
{
        const gemm_index npix = (gemm_index) ho * wo;
        const gemm_index total = (gemm_index) cin * kh * kw * npix;

        x += blockIdx.y * ((gemm_index) cin * h * w);
        col += blockIdx.y * total;

        for (gemm_index idx = (gemm_index) blockIdx.x * blockDim.x + threadIdx.x; idx < total;
             idx += (gemm_index) gridDim.x * blockDim.x) {
                const int p = (int) (idx % npix);
                const int row = (int) (idx / npix);
                const int c = row / (kh * kw);
                const int r = row % (kh * kw);
                const int ih = (p / wo) * stride - pad + r / kw;
                const int iw = (p % wo) * stride - pad + r % kw;

                col[idx] = ih >= 0 && ih < h && iw >= 0 && iw < w ? x[((gemm_index) c * h + ih) * w + iw]
                                                                   : 0.0f;
        }
}
