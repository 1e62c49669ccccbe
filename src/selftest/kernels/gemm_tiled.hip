// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The self-test's convolution kernels: im2col, a tiled FP32 GEMM in several
 * tile configurations, and the ordered reduction of split-K partials.
 *
 * Built with `hipcc --genco --offload-arch=gfx1010,gfx1011,gfx1012
 * -mcode-object-version=4 -O3` (bench/RESULTS.md has the exact commands) and
 * loaded with hipModuleLoad (hence extern "C" names), and with nvcc through
 * ../hip_cuda_compat.h for the benchmark on NVIDIA hardware.
 *
 * gemm_tiled_f32_<config>: one instance of gemm_tile<> per line of
 *   gemm_config.h's GEMM_CONFIGS. C[M][N] = A[M][K] * B[K][N], row-major,
 *   any sizes, K cut into `splits` chunks of k_chunk (a multiple of BK).
 *   grid  (ceil(N / BN), ceil(M / BM), batch * splits), block (THREADS);
 *   the blocks of one image and chunk take the tiles in groups of
 *   GEMM_GROUP_M rows (gemm_block_tile), not in blockIdx order
 *   blockIdx.z = z * splits + s: image z, chunk s; A + z*strideA,
 *   B + z*strideB, and the result of chunk s of image z goes to
 *   C + blockIdx.z * strideC. With splits = 1 that is C of image z; with
 *   more, C is the workspace of partials that gemm_splitk_reduce_f32 sums.
 *   (The convolution: A = weights with strideA 0, B = im2col of image z,
 *   C = output image z.)
 * gemm_conv_f32_<config>: the same GEMM with B = im2col(x) of image z
 *   gathered from x while loading the B tile (implicit GEMM: no col
 *   buffer, no im2col launch); arguments as gemm_tiled_f32 with B, ldb,
 *   strideB replaced by x, one image's size and the geometry
 *   h, w, kh, kw, stride, pad, wo. Same grid, same results bit for bit.
 * gemm_splitk_reduce_f32: C[z][m][n] = sum over s = 0, 1, ... of
 *   W[z][s][m][n], added in that order (W dense: M x N per partial).
 *   grid (any, batch), block (any): a grid-stride loop.
 * im2col_nchw_f32: col[z][cin*kh*kw][ho*wo] from x[z][cin][h][w]
 *   grid (any, batch), block (any): a grid-stride loop.
 *
 * The tile configurations are gemm_config.h's, shared with the CPU twin
 * (conv_cpu.c). Pipeline per K step: the next step's global loads go to
 * registers (float4 where aligned and inside the matrices, predicated
 * elsewhere), this step's LDS stage feeds the FMAs through double-buffered
 * register fragments (float4 LDS reads, conflict-free), then the registers
 * go to the other LDS stage: two stages, one barrier per step.
 * No scratch: every register array is indexed by constants in fully
 * unrolled loops. Each output of a chunk is one sequence of fmaf over
 * ascending k, and the chunks are added in ascending order, so results are
 * bitwise repeatable.
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

/*
 * The convolution geometry of the implicit-GEMM kernels (gemm_conv_f32_*):
 * B[k][n] is im2col's col[k][n] without the buffer, read from the image
 * x[cin][h][w] with k = (c * kh + ky) * kw + kx and n = oy * wo + ox.
 */
struct gemm_conv_geom {
        int h, w, kh, kw, stride, pad, wo;
};

/*
 * n / d for 0 <= n < GEMM_FAST_DIV_LIMIT and d >= 1, with inv = 1.0f / d:
 * the float quotient is within 1 of the true one there (n and inv are
 * exact to 2^-24, so n * inv is off by less than n * 2^-23 < 0.5), and one
 * correction each way makes it exact. An integer division is a long
 * sequence of instructions on both AMD and NVIDIA GPUs; this is a few.
 */
#define GEMM_FAST_DIV_LIMIT (1 << 22)
static __device__ __forceinline__ int gemm_div_small(int n, int d, float inv)
{
        int q = (int) ((float) n * inv);
        int r = n - q * d;

        if (r < 0)
                q--;
        else if (r >= d)
                q++;
        return q;
}

/*
 * B[k..k+3][n] of the implicit GEMM, zeros outside the image (padding) and
 * past the chunk (k >= k_end); x: the image, kg: k's index in the whole K,
 * (iy0, ix0): the input position of output pixel n's window corner;
 * inv_khw, inv_kw: 1.0f / (kh * kw) and 1.0f / kw, fast: every kg of the
 * launch is below GEMM_FAST_DIV_LIMIT.
 * Offsets within one image are int: conv_shape_dims() keeps cin * h * w
 * below 2^31.
 */
static __device__ __forceinline__ float4 gemm_load_conv(const float *__restrict__ x, const gemm_conv_geom &g,
                                                        int kg, int k, int k_end, int iy0, int ix0,
                                                        bool fast, float inv_khw, float inv_kw)
{
        float v[4];
        const int khw = g.kh * g.kw;
        int c = fast ? gemm_div_small(kg, khw, inv_khw) : kg / khw;
        int r = kg - c * khw;
        int ky = fast ? gemm_div_small(r, g.kw, inv_kw) : r / g.kw;
        int kx = r - ky * g.kw;

#pragma unroll
        for (int i = 0; i < 4; i++) {
                const int iy = iy0 + ky, ix = ix0 + kx;

                v[i] = k + i < k_end && (unsigned) iy < (unsigned) g.h && (unsigned) ix < (unsigned) g.w
                               ? x[(c * g.h + iy) * g.w + ix]
                               : 0.0f;
                /* the next k: kx, then ky, then c */
                if (++kx == g.kw) {
                        kx = 0;
                        if (++ky == g.kh) {
                                ky = 0;
                                c++;
                        }
                }
        }
        return make_float4(v[0], v[1], v[2], v[3]);
}

/*
 * The tile of C this block computes, (tile_m, tile_n), from its place in
 * the grid: blocks start in order of blockIdx.x fastest, so consecutive
 * blocks go down GEMM_GROUP_M rows of tiles before moving one column on.
 * The blocks resident at one time then share a few A row panels and B
 * column panels, which stay in the L2 cache, instead of all of B. A
 * permutation of the tiles only: what each block computes, and so every
 * result bit, is the same.
 */
static __device__ __forceinline__ void gemm_block_tile(int *ret_tile_m, int *ret_tile_n)
{
        const int per_group = GEMM_GROUP_M * gridDim.x;
        const int id = blockIdx.y * gridDim.x + blockIdx.x;
        const int group = id / per_group;
        const int first = group * GEMM_GROUP_M;
        const int rows = gridDim.y - first < GEMM_GROUP_M ? gridDim.y - first : GEMM_GROUP_M;
        const int r = id - group * per_group;

        *ret_tile_m = first + r % rows;
        *ret_tile_n = r / rows;
}

/*
 * CONV: the implicit GEMM, B read from the image through geometry g (ldb
 * unused, strideB: one image); otherwise g is unused.
 */
template <int BM, int BN, int BK, int TM, int TN, int WTY, int WTX, bool CONV>
static __device__ __forceinline__ void
gemm_tile(int M, int N, int K, int k_chunk, int splits,
          const float *__restrict__ A, int lda, long long strideA,
          const float *__restrict__ B, int ldb, long long strideB,
          float *__restrict__ C, int ldc, long long strideC, const gemm_conv_geom g)
{
        constexpr int THREADS = GEMM_THREADS_OF(BM, BN, TM, TN);
        constexpr int A_LOADS = GEMM_A_LOADS_OF(BM, BN, BK, TM, TN);
        /* fewer A slots than threads: only the first A_SLOTS threads load A */
        constexpr int A_SLOTS = GEMM_A_SLOTS_OF(BM, BK);
        constexpr bool A_PARTIAL = A_SLOTS % THREADS != 0;
        constexpr int B_LOADS = GEMM_B_LOADS_OF(BM, BN, BK, TM, TN);
        constexpr int SUB_M = TM / GEMM_SUB, SUB_N = TN / GEMM_SUB;

        /* two stages: the next K step is stored while this one is read */
        __shared__ __attribute__((aligned(16))) float As[GEMM_LDS_STAGES][BK][BM + GEMM_LDS_PAD];
        __shared__ __attribute__((aligned(16))) float Bs[GEMM_LDS_STAGES][BK][BN + GEMM_LDS_PAD];

        const int tid = threadIdx.x;
        int tile_m, tile_n;
        gemm_block_tile(&tile_m, &tile_n);
        const int m0 = tile_m * BM;
        const int n0 = tile_n * BN;
        const int z = blockIdx.z / splits;
        const int k_begin = (blockIdx.z % splits) * k_chunk;

        /* this block's chunk of K: columns k_begin.. of A, rows k_begin.. of B */
        K = K - k_begin < k_chunk ? K - k_begin : k_chunk;
        if (K < 0)
                K = 0;
        A += z * strideA + k_begin;
        B += z * strideB + (CONV ? 0 : (gemm_index) k_begin * ldb);
        C += blockIdx.z * strideC;

        /* float4 global access only where every row start is 16-byte aligned */
        const bool a_vec = lda % 4 == 0 && gemm_aligned16(A);
        const bool b_vec = !CONV && ldb % 4 == 0 && gemm_aligned16(B);
        const bool c_vec = ldc % 4 == 0 && gemm_aligned16(C);

        /*
         * This thread's slots in the A tile (float4 along K) and the B tile
         * (float4 along N), with their global addresses, which advance by one
         * K step per fetch: no address arithmetic is redone in the loop.
         */
        int a_m[A_LOADS], a_k[A_LOADS], b_k[B_LOADS], b_n[B_LOADS];
        const float *a_src[A_LOADS], *b_src[B_LOADS];
        bool a_in[A_LOADS], a_own[A_LOADS];
        int b_cols[B_LOADS];
        const gemm_index b_step = (gemm_index) BK * ldb;
#pragma unroll
        for (int s = 0; s < A_LOADS; s++) {
                int l = s * THREADS + tid;
                a_own[s] = !A_PARTIAL || l < A_SLOTS;
                if (!a_own[s])
                        l = 0;  /* an idle slot: loads nothing, stores nothing */
                a_m[s] = l / (BK / 4);
                a_k[s] = (l % (BK / 4)) * 4;
                a_in[s] = a_own[s] && m0 + a_m[s] < M;
                a_src[s] = A + (gemm_index) (m0 + a_m[s]) * lda + a_k[s];
        }
        /*
         * The implicit GEMM's B slots are 4 rows (k) of one column (output
         * pixel) instead: the pixel's window corner (iy0, ix0) is found once,
         * and neighbouring threads read neighbouring pixels.
         */
        int b_iy0[B_LOADS], b_ix0[B_LOADS];
        /* block-uniform: every k this block reads allows the float division */
        const bool fast_div = CONV && k_begin + K + BK < GEMM_FAST_DIV_LIMIT;
        const float inv_khw = CONV ? 1.0f / (float) (g.kh * g.kw) : 0.0f;
        const float inv_kw = CONV ? 1.0f / (float) g.kw : 0.0f;
#pragma unroll
        for (int s = 0; s < B_LOADS; s++) {
                int l = s * THREADS + tid;
                if (CONV) {
                        b_k[s] = (l / BN) * 4;
                        b_n[s] = l % BN;
                        const int p = n0 + b_n[s], oy = p / g.wo, ox = p - oy * g.wo;
                        /* past the last pixel: a corner no window reaches, so every load is off */
                        b_iy0[s] = p < N ? oy * g.stride - g.pad : -0x40000000;
                        b_ix0[s] = ox * g.stride - g.pad;
                } else {
                        b_k[s] = l / (BN / 4);
                        b_n[s] = (l % (BN / 4)) * 4;
                }
                b_cols[s] = N - (n0 + b_n[s]);
                b_src[s] = B + (gemm_index) b_k[s] * ldb + n0 + b_n[s];
        }

        float4 a_reg[A_LOADS], b_reg[B_LOADS];

        /* k0: the K offset of the step being fetched */
#define GEMM_FETCH(k0)                                                                  \
        do {                                                                            \
                _Pragma("unroll") for (int s = 0; s < A_LOADS; s++) {                   \
                        a_reg[s] = gemm_load_a(a_src[s], a_in[s], a_vec, (k0) + a_k[s], K); \
                        a_src[s] += BK;                                                 \
                }                                                                       \
                GEMM_FETCH_B(k0);                                                       \
        } while (0)
#define GEMM_FETCH_B(k0)                                                                \
        do {                                                                            \
                _Pragma("unroll") for (int s = 0; s < B_LOADS; s++) {                   \
                        if (CONV) {                                                     \
                                b_reg[s] = gemm_load_conv(B, g, k_begin + (k0) + b_k[s], \
                                                          (k0) + b_k[s], K, b_iy0[s], b_ix0[s], \
                                                          fast_div, inv_khw, inv_kw);   \
                        } else {                                                        \
                                b_reg[s] = gemm_load_b(b_src[s], b_vec, b_cols[s], (k0) + b_k[s], K); \
                                b_src[s] += b_step;                                     \
                        }                                                               \
                }                                                                       \
        } while (0)

#define GEMM_STORE(stage)                                                               \
        do {                                                                            \
                _Pragma("unroll") for (int s = 0; s < A_LOADS; s++) {                   \
                        if (!a_own[s])                                                  \
                                continue;                                               \
                        As[stage][a_k[s] + 0][a_m[s]] = a_reg[s].x;                     \
                        As[stage][a_k[s] + 1][a_m[s]] = a_reg[s].y;                     \
                        As[stage][a_k[s] + 2][a_m[s]] = a_reg[s].z;                     \
                        As[stage][a_k[s] + 3][a_m[s]] = a_reg[s].w;                     \
                }                                                                       \
                _Pragma("unroll") for (int s = 0; s < B_LOADS; s++) {                   \
                        if (CONV) {                                                     \
                                Bs[stage][b_k[s] + 0][b_n[s]] = b_reg[s].x;             \
                                Bs[stage][b_k[s] + 1][b_n[s]] = b_reg[s].y;             \
                                Bs[stage][b_k[s] + 2][b_n[s]] = b_reg[s].z;             \
                                Bs[stage][b_k[s] + 3][b_n[s]] = b_reg[s].w;             \
                        } else {                                                        \
                                *reinterpret_cast<float4 *>(&Bs[stage][b_k[s]][b_n[s]]) = b_reg[s]; \
                        }                                                               \
                }                                                                       \
        } while (0)

        float acc[TM][TN];
#pragma unroll
        for (int i = 0; i < TM; i++)
#pragma unroll
                for (int j = 0; j < TN; j++)
                        acc[i][j] = 0.0f;

        const int row0 = GEMM_ROW0_OF(tid, BN, TM, TN, WTY, WTX);
        const int col0 = GEMM_COL0_OF(tid, BN, TM, TN, WTY, WTX);
        const int ktiles = (K + BK - 1) / BK;
        /*
         * The whole block tile lies inside C and every load can be a float4
         * (the implicit GEMM: every load of A; B is gathered either way).
         */
        const bool interior = CONV ? a_vec && m0 + BM <= M : a_vec && b_vec && m0 + BM <= M && n0 + BN <= N;

        float fa[2][TM], fb[2][TN];

#define GEMM_FRAG(buf, stage, k)                                                        \
        do {                                                                            \
                _Pragma("unroll") for (int s = 0; s < SUB_M; s++) {                     \
                        float4 v_ = *reinterpret_cast<const float4 *>(                  \
                                &As[stage][k][row0 + s * WTY * GEMM_SUB]);              \
                        fa[buf][4 * s + 0] = v_.x, fa[buf][4 * s + 1] = v_.y;           \
                        fa[buf][4 * s + 2] = v_.z, fa[buf][4 * s + 3] = v_.w;           \
                }                                                                       \
                _Pragma("unroll") for (int s = 0; s < SUB_N; s++) {                     \
                        float4 v_ = *reinterpret_cast<const float4 *>(                  \
                                &Bs[stage][k][col0 + s * WTX * GEMM_SUB]);              \
                        fb[buf][4 * s + 0] = v_.x, fb[buf][4 * s + 1] = v_.y;           \
                        fb[buf][4 * s + 2] = v_.z, fb[buf][4 * s + 3] = v_.w;           \
                }                                                                       \
        } while (0)

        GEMM_FETCH(0);
        GEMM_STORE(0);
        __syncthreads();
        GEMM_FRAG(0, 0, 0);

        /*
         * One K step t_ out of LDS stage cur_: the next step's global loads,
         * this step's FMAs, the next step's LDS stores and the barrier.
         */
#define GEMM_KSTEP(t_, cur_)                                                                       \
        do {                                                                                       \
                const bool more = (t_) + 1 < ktiles;                                               \
                                                                                                   \
                /*                                                                                 \
                 * Global loads of the next step are in flight during the FMAs.                    \
                 * Inside the matrices (a block-uniform test) they need no                         \
                 * predicates; past the last step every predicated load is off                     \
                 * (zeros), which is cheaper than a branch around the fetch.                       \
                 */                                                                                \
                if (interior && ((t_) + 2) * BK <= K) {                                            \
                        _Pragma("unroll")                                                          \
                        for (int s = 0; s < A_LOADS; s++) {                                        \
                                if (a_own[s])                                                      \
                                        a_reg[s] = *reinterpret_cast<const float4 *>(a_src[s]);    \
                                a_src[s] += BK;                                                    \
                        }                                                                          \
                        if (CONV) {                                                                \
                                GEMM_FETCH_B(((t_) + 1) * BK);                                     \
                        } else {                                                                   \
                                _Pragma("unroll")                                                  \
                                for (int s = 0; s < B_LOADS; s++) {                                \
                                        b_reg[s] = *reinterpret_cast<const float4 *>(b_src[s]);    \
                                        b_src[s] += b_step;                                        \
                                }                                                                  \
                        }                                                                          \
                } else {                                                                           \
                        GEMM_FETCH(((t_) + 1) * BK);                                               \
                }                                                                                  \
                                                                                                   \
                _Pragma("unroll")                                                                  \
                for (int kk = 0; kk < BK; kk++) {                                                  \
                        /*                                                                         \
                         * Fragments are double-buffered: those of the next k                      \
                         * are read from LDS before this k's FMAs, across the                      \
                         * step boundary too (after the barrier).                                  \
                         */                                                                        \
                        if (kk == BK - 1) {                                                        \
                                if (more)                                                          \
                                        GEMM_STORE((cur_) ^ 1);                                    \
                                /* one barrier per step: stage cur^1 is complete, stage cur is free */ \
                                __syncthreads();                                                   \
                                GEMM_FRAG((kk + 1) & 1, (cur_) ^ 1, 0);                            \
                        } else {                                                                   \
                                GEMM_FRAG((kk + 1) & 1, (cur_), kk + 1);                           \
                        }                                                                          \
                        _Pragma("unroll")                                                          \
                        for (int i = 0; i < TM; i++)                                               \
                                _Pragma("unroll")                                                  \
                                for (int j = 0; j < TN; j++)                                       \
                                        acc[i][j] = fmaf(fa[kk & 1][i], fb[kk & 1][j], acc[i][j]); \
                }                                                                                  \
        } while (0)

        /*
         * Unrolled by the two stages (large tiles of the explicit GEMM, see
         * GEMM_UNROLL_MIN_TILE), the stage is a constant: LDS addresses are
         * immediate offsets and no stage index is computed per step.
         */
        if (!CONV && BM * BN >= GEMM_UNROLL_MIN_TILE) {
                for (int t = 0; t < ktiles; t += 2) {
                        GEMM_KSTEP(t, 0);
                        if (t + 1 < ktiles)
                                GEMM_KSTEP(t + 1, 1);
                }
        } else {
                for (int t = 0; t < ktiles; t++)
                        GEMM_KSTEP(t, t & 1);
        }
#undef GEMM_KSTEP
#undef GEMM_FETCH
#undef GEMM_FETCH_B
#undef GEMM_STORE
#undef GEMM_FRAG

#pragma unroll
        for (int i = 0; i < TM; i++) {
                const int m = m0 + GEMM_ROW_OF(row0, i, WTY);

                if (m >= M)
                        continue;
                float *crow = C + (gemm_index) m * ldc;
#pragma unroll
                for (int sj = 0; sj < SUB_N; sj++) {
                        const int n = n0 + GEMM_COL_OF(col0, sj * GEMM_SUB, WTX);

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

/* One extern "C" kernel per configuration, named as GEMM_KERNEL_NAME() says. */
#define GEMM_KERNEL_(name, bm, bn, bk, tm, tn, wty, wtx)                                \
        extern "C" __global__ GEMM_LAUNCH_BOUNDS(GEMM_THREADS_OF(bm, bn, tm, tn)) void  \
        gemm_tiled_f32_##name(int M, int N, int K, int k_chunk, int splits,             \
                              const float *__restrict__ A, int lda, long long strideA,  \
                              const float *__restrict__ B, int ldb, long long strideB,  \
                              float *__restrict__ C, int ldc, long long strideC)        \
        {                                                                               \
                gemm_tile<bm, bn, bk, tm, tn, wty, wtx, false>(M, N, K, k_chunk, splits, A, lda, \
                                                               strideA, B, ldb, strideB, C, ldc, \
                                                               strideC, gemm_conv_geom{});     \
        }
GEMM_CONFIGS(GEMM_KERNEL_)
#undef GEMM_KERNEL_

/*
 * The implicit GEMM of the convolution, one per configuration
 * (GEMM_CONV_KERNEL_NAME()): gemm_tiled_f32_<name> with B = im2col of image
 * z read straight from X + z*strideX (no col buffer). Each output is the
 * same sequence of fmaf as with im2col, so the results are bitwise equal.
 */
#define GEMM_CONV_KERNEL_(name, bm, bn, bk, tm, tn, wty, wtx)                           \
        extern "C" __global__ GEMM_LAUNCH_BOUNDS(GEMM_THREADS_OF(bm, bn, tm, tn)) void  \
        gemm_conv_f32_##name(int M, int N, int K, int k_chunk, int splits,              \
                             const float *__restrict__ A, int lda, long long strideA,   \
                             const float *__restrict__ X, long long strideX, int h,     \
                             int w, int kh, int kw, int stride, int pad, int wo,        \
                             float *__restrict__ C, int ldc, long long strideC)         \
        {                                                                               \
                gemm_tile<bm, bn, bk, tm, tn, wty, wtx, true>(                          \
                        M, N, K, k_chunk, splits, A, lda, strideA, X, 0, strideX, C, ldc, \
                        strideC, gemm_conv_geom{ h, w, kh, kw, stride, pad, wo });     \
        }
GEMM_CONFIGS(GEMM_CONV_KERNEL_)
#undef GEMM_CONV_KERNEL_

extern "C" __global__ void
gemm_splitk_reduce_f32(int M, int N, int splits, const float *__restrict__ W,
                       float *__restrict__ C, int ldc, long long strideC)
{
        const gemm_index mn = (gemm_index) M * N;

        W += blockIdx.y * (splits * mn);
        C += blockIdx.y * strideC;
        for (gemm_index idx = (gemm_index) blockIdx.x * blockDim.x + threadIdx.x; idx < mn;
             idx += (gemm_index) gridDim.x * blockDim.x) {
                /* one fixed order, s = 0, 1, ...: the same sum on every run */
                float sum = W[idx];

                for (int s = 1; s < splits; s++)
                        sum += W[s * mn + idx];
                C[(idx / N) * ldc + idx % N] = sum;
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
                int p, row;

                /* 64-bit division is emulated and costs more than the copy: 32 bits whenever they suffice */
                if (total <= 0x7fffffff) {
                        const unsigned u = (unsigned) idx, n = (unsigned) npix;

                        row = (int) (u / n);
                        p = (int) (u - (unsigned) row * n);
                } else {
                        row = (int) (idx / npix);
                        p = (int) (idx % npix);
                }
                const int c = row / (kh * kw);
                const int r = row % (kh * kw);
                const int ih = (p / wo) * stride - pad + r / kw;
                const int iw = (p % wo) * stride - pad + r % kw;

                col[idx] = ih >= 0 && ih < h && iw >= 0 && iw < w ? x[((gemm_index) c * h + ih) * w + iw]
                                                                   : 0.0f;
        }
}
